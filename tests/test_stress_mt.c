/* test_stress_mt.c - every backend of this variant under 4 threads, with a
 * check of every byte of every block before it is freed or reallocated.
 *
 * Each thread keeps a table of live blocks; a block's content is a pattern
 * derived from (thread, slot, size, generation), so any overlap between two
 * live blocks, a lost realloc copy or a block handed out twice shows up as a
 * mismatch.  Some blocks are handed to other threads through a shared
 * mutex-protected exchange and freed or reallocated there (cross-thread
 * free: the path thread-caching allocators handle specially).  Everything
 * goes through hl_allocator handles, which take the GIL for the pool and
 * cpython.  At the end the handle's counters must balance exactly.
 * faulty is skipped: it corrupts blocks on purpose.
 */
#include "alloc.h"
#include "backends.h"
#include "hl_test.h"
#include "registry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define THREADS 4
#define SLOTS 128
#define EXCHANGE 64
#ifdef HL_SANITIZE
#define OPS 6000
#else
#define OPS 12000
#endif

typedef struct block {
    unsigned char *p;
    size_t size;
    uint32_t tag;   /* seeds the pattern */
    unsigned owner; /* thread that allocated it */
} block;

static hl_allocator H;
static pthread_mutex_t exchange_lock = PTHREAD_MUTEX_INITIALIZER;
static block exchange[EXCHANGE];
static int exchange_len;
static _Atomic int corrupt_seen;
static _Atomic uint64_t reallocs_done, cross_frees;

static unsigned char pattern_byte(uint32_t tag, size_t i)
{
    return (unsigned char)((tag * 2654435761u) >> 24) ^ (unsigned char)(i * 37u + (i >> 9));
}

static void paint(const block *b)
{
    for (size_t i = 0; i < b->size; i++)
        b->p[i] = pattern_byte(b->tag, i);
}

static bool intact(const block *b, size_t upto)
{
    for (size_t i = 0; i < upto; i++)
        if (b->p[i] != pattern_byte(b->tag, i))
            return false;
    return true;
}

static size_t random_size(uint64_t *rng)
{
    uint64_t r = hl_test_rand(rng);
    if (r % 10 != 0)
        return 1 + (r >> 8) % 512;
    return 513 + (r >> 8) % (64 * 1024 - 512);
}

static void release(block *b)
{
    if (!intact(b, b->size))
        atomic_fetch_add(&corrupt_seen, 1);
    hl_free(&H, b->p, b->size);
    b->p = NULL;
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = 0x1234 + id * 7919u;
    block live[SLOTS] = {{0}};
    uint32_t generation = 0;
    for (int op = 0; op < OPS; op++) {
        int k = (int)(hl_test_rand(&rng) % SLOTS);
        block *b = &live[k];
        unsigned what = (unsigned)(hl_test_rand(&rng) % 10);
        if (b->p == NULL) {
            b->size = random_size(&rng);
            b->tag = (id << 28) ^ ((uint32_t)k << 20) ^ (uint32_t)b->size ^ (++generation << 8);
            b->owner = id;
            b->p = (what & 1) ? hl_calloc(&H, 1, b->size) : hl_malloc(&H, b->size);
            if (b->p == NULL) {
                atomic_fetch_add(&corrupt_seen, 1); /* out of memory counts as failure */
                continue;
            }
            paint(b);
        } else if (what < 3) {
            /* realloc: the kept prefix must survive, then repaint. */
            size_t n = random_size(&rng);
            size_t kept = n < b->size ? n : b->size;
            if (!intact(b, b->size))
                atomic_fetch_add(&corrupt_seen, 1);
            unsigned char *q = hl_realloc(&H, b->p, b->size, n);
            if (q == NULL) {
                atomic_fetch_add(&corrupt_seen, 1);
                continue;
            }
            b->p = q;
            if (!intact(b, kept))
                atomic_fetch_add(&corrupt_seen, 1);
            b->size = n;
            paint(b);
            atomic_fetch_add(&reallocs_done, 1);
        } else if (what < 5) {
            /* Hand the block over, and adopt one another thread left. */
            block adopt = {0};
            pthread_mutex_lock(&exchange_lock);
            if (exchange_len < EXCHANGE) {
                exchange[exchange_len++] = *b;
                b->p = NULL;
            }
            if (exchange_len > 1 && (what & 1)) {
                int j = (int)(hl_test_rand(&rng) % (uint64_t)exchange_len);
                adopt = exchange[j];
                exchange[j] = exchange[--exchange_len];
            }
            pthread_mutex_unlock(&exchange_lock);
            if (adopt.p != NULL) {
                if (adopt.owner != id)
                    atomic_fetch_add(&cross_frees, 1);
                if (b->p == NULL)
                    *b = adopt; /* keep it: freed or reallocated here later */
                else
                    release(&adopt);
            }
        } else {
            release(b);
        }
        if (id == 0 && op % 500 == 0)
            hl_allocator_sample(&H); /* the harness's sampler, in miniature */
    }
    for (int k = 0; k < SLOTS; k++)
        if (live[k].p)
            release(&live[k]);
    return NULL;
}

static const hl_backend *B;

TEST(threads_with_canaries)
{
    hl_alloc_stats s0, s1;
    hl_allocator_stats(&H, &s0);
    atomic_store(&corrupt_seen, 0);
    atomic_store(&reallocs_done, 0);
    atomic_store(&cross_frees, 0);
    pthread_t t[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) == 0);
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int j = 0; j < exchange_len; j++)
        release(&exchange[j]);
    exchange_len = 0;

    CHECK_EQ_U64(atomic_load(&corrupt_seen), 0);
    CHECK(atomic_load(&cross_frees) > 0); /* the test really freed across threads */
    hl_allocator_stats(&H, &s1);
    CHECK_EQ_U64(s1.live_bytes, 0);
    CHECK_EQ_U64(s1.allocs - s0.allocs, s1.frees - s0.frees);
    CHECK_EQ_U64(s1.reallocs - s0.reallocs, atomic_load(&reallocs_done));
    CHECK(s1.allocs - s0.allocs > (uint64_t)THREADS * OPS / 10);
    CHECK(!s1.peak_exact);          /* several threads: the peak is sampled */
    CHECK(s1.peak_live_bytes >= 1); /* and the samples saw live blocks */
    printf("     %s: %" PRIu64 " allocs, %" PRIu64 " reallocs, %" PRIu64 " cross-thread\n",
           B->name, s1.allocs - s0.allocs, s1.reallocs - s0.reallocs,
           (uint64_t)atomic_load(&cross_frees));
    if (!B->thread_safe) {
        hl_gil_stats g;
        hl_gil_get_stats(&g);
        CHECK(g.acquisitions > 0); /* the GIL was really taken around the calls */
    }
}

/* ---- thread hooks: a backend that counts them, on the native one -------- */

static _Atomic int hook_attaches, hook_detaches, hook_calls_unattached, hook_bad_detach;
static _Thread_local int hook_attached_here; /* attaches seen by this thread */

static void *counting_malloc(void *ctx, size_t n)
{
    const hl_raw *r = ctx;
    if (hook_attached_here != 1)
        atomic_fetch_add(&hook_calls_unattached, 1);
    return r->backend->malloc(r->ctx, n);
}

static void counting_free(void *ctx, void *p)
{
    const hl_raw *r = ctx;
    if (hook_attached_here != 1)
        atomic_fetch_add(&hook_calls_unattached, 1);
    r->backend->free(r->ctx, p);
}

static void counting_attach(void *ctx)
{
    hook_attached_here++;
    atomic_fetch_add(&hook_attaches, 1);
}

static void counting_detach(void *ctx)
{
    if (hook_attached_here != 1)
        atomic_fetch_add(&hook_bad_detach, 1);
    atomic_fetch_add(&hook_detaches, 1);
}

/* thread_safe is the native backend's (set by the test): hl_allocator then
 * takes the GIL around the calls, and the hooks, when the native needs it. */
static hl_backend counting_backend = {
    .name = "counting", .thread_attach = counting_attach,
    .thread_detach = counting_detach, .malloc = counting_malloc, .free = counting_free};

/* Two handles on one instance: every thread that uses either is attached
 * once, before its first call, and detached once when it exits. */
static hl_allocator hook_a, hook_b;

static void *hook_worker(void *arg)
{
    for (int i = 0; i < 100; i++) {
        const hl_allocator *h = (i & 1) ? &hook_a : &hook_b;
        void *p = hl_malloc(h, 64);
        hl_free(h, p, 64);
    }
    return arg;
}

TEST(thread_hooks_once_per_thread_and_instance)
{
    char err[256];
    const hl_backend *nb;
    static hl_raw raw;
    REQUIRE(hl_registry_open(hl_registry_native()->name, &nb, &raw.ctx, err, sizeof err) == 0);
    raw.backend = nb;
    counting_backend.thread_safe = nb->thread_safe;
    REQUIRE(hl_allocator_init(&hook_a, &counting_backend, &raw, "counting", err, sizeof err) == 0);
    REQUIRE(hl_allocator_init(&hook_b, &counting_backend, &raw, "counting", err, sizeof err) == 0);
    hook_worker(NULL); /* the main thread: attached, never detached */
    CHECK_EQ_U64(atomic_load(&hook_attaches), 1);
    pthread_t t[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, hook_worker, NULL) == 0);
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_U64(atomic_load(&hook_attaches), 1 + THREADS);
    CHECK_EQ_U64(atomic_load(&hook_detaches), THREADS);
    CHECK_EQ_U64(atomic_load(&hook_calls_unattached), 0);
    CHECK_EQ_U64(atomic_load(&hook_bad_detach), 0);
    hl_alloc_stats st;
    hl_allocator_stats(&hook_a, &st);
    CHECK_EQ_U64(st.allocs, 50 * (1 + THREADS));
    CHECK_EQ_U64(st.live_bytes, 0);
}

int main(void)
{
    char err[256];
    printf("variant %s\n", hl_registry_variant());
    for (size_t i = 0; i < hl_registry_count(); i++) {
        B = hl_registry_at(i);
        if (hl_registry_row(B)->kind == HL_KIND_FAULT)
            continue; /* corrupts blocks on purpose */
        /* open() runs inside hl_allocator_open: backend.h wants the GIL for every call
         * of a backend that is not thread safe (the pool asserts it). */
        bool take = !B->thread_safe;
        if (take)
            hl_gil_acquire();
        int rc = hl_allocator_open(&H, B->name, err, sizeof err);
        if (take)
            hl_gil_release();
        if (rc != 0) {
            printf("FAIL open %s: %s\n", B->name, err);
            hl_test_failed++;
            continue;
        }
        printf("-- backend %s\n", B->name);
        RUN(threads_with_canaries);
    }
    printf("-- thread hooks\n");
    RUN(thread_hooks_once_per_thread_and_instance);
    return hl_test_summary();
}
