/* cache_sharing.c - active and passive false sharing (cache_thrash,
 * cache_scratch).
 *
 * After Emery Berger's Hoard benchmarks cache-thrash and cache-scratch
 * (E. Berger, K. McKinley, R. Blumofe, P. Wilson, "Hoard: A Scalable Memory
 * Allocator for Multithreaded Applications", ASPLOS-IX 2000), as run by
 * mimalloc-bench (`cache-thrash N 1000 1 2000000 N`), written from the
 * paper and the published programs (github.com/daanx/mimalloc-bench,
 * bench/cache-scratch and bench/cache-thrash).
 *
 * How it works
 * ------------
 * cache_thrash ("active false sharing"): every thread repeatedly allocates a
 * small object, writes every byte of it `repetitions / threads` times and
 * frees it.  An allocator that hands objects of different threads out of one
 * cache line makes the threads fight over that line.
 *
 * cache_scratch ("passive false sharing"): at the start of each run() the
 * main thread allocates one object per thread back to back (so they share
 * cache lines) and hands them out; each thread frees the object it was given
 * and then loops as above.  An allocator that reuses the freed block in the
 * freeing thread keeps the sharing alive.
 *
 * One iteration = one object lifecycle (malloc, repetitions/threads passes of
 * byte increments, check, free) on every thread.  The total touching work
 * does not depend on the thread count (ideal: P-fold speedup), as in Hoard.
 * The bytes are written and read back through a volatile pointer so the
 * passes happen (the stock originals, built by mimalloc-bench's CMake with
 * GCC >= 10 at -O3, lose their whole loop to new/delete elision and dead
 * stores: docs/mimalloc-bench-fidelity.md); a pass stores a value and loads
 * it back as the originals' `obj[k] = (char) k; volatile char ch = obj[k]`
 * does, with a value that changes per pass so that each read and the final
 * bytes check the object was private to its thread for its whole life.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_SIZE, P_REPS, P_COUNT };

static const hl_param sharing_params[P_COUNT] = {
    [P_SIZE] = {"size", "object size in bytes", 1, 1, 1, 4096},
    [P_REPS] = {"repetitions", "byte-increment passes per object, divided among the threads",
                2000000, 20000, 1, 100000000},
};

typedef struct share_worker {
    struct share_ctx *ctx;
    unsigned index;
    unsigned char *handed;    /* cache_scratch: the object from main */
    uint64_t handed_tag;
    uint64_t objects, checksum, mismatches;
    bool failed;
} __attribute__((aligned(64))) share_worker;

typedef struct share_ctx {
    const hl_allocator *a;
    bool scratch;
    size_t size;
    uint64_t passes; /* per object: repetitions / threads, at least 1 */
    unsigned threads;
    uint64_t n;      /* iterations of the current run() */
    uint64_t runs;
    uint64_t expected; /* object lifecycles all run() calls asked for */
    share_worker *workers;
} share_ctx;

/* `passes` passes of "store a byte, load it back" over the object, as the
 * originals' `obj[k] = (char) k; volatile char ch = obj[k];`.  The value
 * stored does not depend on the one loaded, so the passes are bound by the
 * stores' throughput, not by a store-to-load chain: the original's loop
 * (heaplab used to increment every byte, a dependency chain of one
 * store-forwarding latency per pass, which left false sharing a smaller
 * share of the time).  The value changes with the pass and is checked as
 * it is read back, and the last pass's value at the end: another thread
 * writing into the object is seen.  Returns false when it was. */
static bool touch(unsigned char *o, size_t size, uint64_t passes, unsigned char start)
{
    volatile unsigned char *v = o;
    uint64_t bad = 0;
    for (uint64_t r = 0; r < passes; r++) {
        unsigned char want = (unsigned char)(start + r);
        for (size_t j = 0; j < size; j++) {
            v[j] = (unsigned char)(want + j);
            bad += v[j] != (unsigned char)(want + j);
        }
    }
    unsigned char last = (unsigned char)(start + passes - 1);
    for (size_t j = 0; j < size; j++)
        bad += o[j] != (unsigned char)(last + j);
    return bad == 0;
}

static void *share_thread(void *arg)
{
    share_worker *me = arg;
    share_ctx *c = me->ctx;
    if (me->handed) {
        if (!hl_stamp_ok(me->handed, c->size, me->handed_tag))
            me->mismatches++;
        hl_free(c->a, me->handed, c->size);
        me->handed = NULL;
    }
    for (uint64_t it = 0; it < c->n; it++) {
        unsigned char *o = hl_malloc(c->a, c->size);
        if (o == NULL) {
            me->failed = true;
            return NULL;
        }
        unsigned char start = (unsigned char)(it * 7 + me->index);
        if (!touch(o, c->size, c->passes, start))
            me->mismatches++;
        me->checksum += o[0] + o[c->size - 1];
        hl_free(c->a, o, c->size);
        me->objects++;
    }
    return NULL;
}

static uint64_t share_run(void *p, uint64_t n)
{
    share_ctx *c = p;
    c->n = n;
    if (c->scratch) {
        for (unsigned t = 0; t < c->threads; t++) {
            share_worker *w = &c->workers[t];
            w->handed = hl_malloc(c->a, c->size);
            if (w->handed == NULL) {
                w->failed = true;
                continue;
            }
            w->handed_tag = hl_mix64(c->runs * 1000003 + t);
            hl_stamp(w->handed, c->size, w->handed_tag);
        }
    }
    pthread_t th[c->threads];
    bool ok[c->threads];
    for (unsigned t = 0; t < c->threads; t++) {
        ok[t] = pthread_create(&th[t], NULL, share_thread, &c->workers[t]) == 0;
        if (!ok[t])
            share_thread(&c->workers[t]); /* still do the work, serially */
    }
    for (unsigned t = 0; t < c->threads; t++)
        if (ok[t])
            pthread_join(th[t], NULL);
    c->runs++;
    c->expected += n * c->threads;
    return n * c->threads;
}

static void share_teardown(void *p)
{
    share_ctx *c = p;
    if (c == NULL)
        return;
    if (c->workers)
        for (unsigned t = 0; t < c->threads; t++)
            if (c->workers[t].handed)
                hl_free(c->a, c->workers[t].handed, c->size);
    free(c->workers);
    free(c);
}

static void *share_setup_common(const hl_wl_env *env, bool scratch, char *err, size_t errlen)
{
    share_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "cache sharing: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->scratch = scratch;
    c->size = (size_t)env->params[P_SIZE];
    c->threads = env->threads ? env->threads : 1;
    c->passes = (uint64_t)env->params[P_REPS] / c->threads;
    if (c->passes == 0)
        c->passes = 1;
    c->workers = aligned_alloc(64, c->threads * sizeof(share_worker));
    if (c->workers == NULL) {
        free(c);
        snprintf(err, errlen, "cache sharing: out of memory for %u threads", env->threads);
        return NULL;
    }
    memset(c->workers, 0, c->threads * sizeof(share_worker));
    for (unsigned t = 0; t < c->threads; t++) {
        c->workers[t].ctx = c;
        c->workers[t].index = t;
    }
    return c;
}

static void *thrash_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    return share_setup_common(env, false, err, errlen);
}

static void *scratch_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    return share_setup_common(env, true, err, errlen);
}

static int share_verify(void *p, char *err, size_t errlen)
{
    share_ctx *c = p;
    const char *name = c->scratch ? "cache_scratch" : "cache_thrash";
    uint64_t bad = 0, objects = 0;
    for (unsigned t = 0; t < c->threads; t++) {
        if (c->workers[t].failed) {
            snprintf(err, errlen, "%s: malloc(%zu) returned NULL in thread %u", name, c->size, t);
            return -1;
        }
        bad += c->workers[t].mismatches;
        objects += c->workers[t].objects;
    }
    if (bad) {
        snprintf(err, errlen,
                 "%s: %" PRIu64 " objects were changed by someone else while in use "
                 "(overlapping or corrupted blocks)",
                 name, bad);
        return -1;
    }
    if (objects != c->expected) {
        snprintf(err, errlen, "%s: %" PRIu64 " objects went through their lifecycle, expected %" PRIu64,
                 name, objects, c->expected);
        return -1;
    }
    return 0;
}

static size_t share_metrics(void *p, hl_metric *out, size_t max)
{
    share_ctx *c = p;
    if (max < 1)
        return 0;
    uint64_t sum = 0;
    for (unsigned t = 0; t < c->threads; t++)
        sum += c->workers[t].checksum;
    return hl_metric_checksum(out, max, sum);
}

static const hl_metric_desc share_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_cache_thrash = {
    .name = "cache_thrash",
    .description = "Hoard cache-thrash: active false sharing between threads' small objects",
    .layer = HL_LAYER_RAW,
    .threaded = true,
    .op_unit = "object lifecycle (malloc, touch, free)",
    /* one object per thread: the heap's steady state is reached at once,
     * and an operation is repetitions/threads byte writes */
    .fixed_ops = 20000,
    .params = sharing_params,
    .n_params = P_COUNT,
    .setup = thrash_setup,
    .run = share_run,
    .verify = share_verify,
    .metrics = share_metrics,
    .metric_descs = share_metric_descs,
    .n_metric_descs = sizeof share_metric_descs / sizeof share_metric_descs[0],
    .lock = HL_LOCK_PER_CALL,
    .teardown = share_teardown,
};

const hl_workload hl_wl_cache_scratch = {
    .name = "cache_scratch",
    .description = "Hoard cache-scratch: passive false sharing through blocks freed by other threads",
    .layer = HL_LAYER_RAW,
    .threaded = true,
    .op_unit = "object lifecycle (malloc, touch, free)",
    /* one object per thread: the heap's steady state is reached at once,
     * and an operation is repetitions/threads byte writes */
    .fixed_ops = 20000,
    .params = sharing_params,
    .n_params = P_COUNT,
    .setup = scratch_setup,
    .run = share_run,
    .verify = share_verify,
    .metrics = share_metrics,
    .metric_descs = share_metric_descs,
    .n_metric_descs = sizeof share_metric_descs / sizeof share_metric_descs[0],
    .lock = HL_LOCK_PER_CALL,
    .teardown = share_teardown,
};
