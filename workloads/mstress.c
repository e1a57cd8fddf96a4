/* mstress.c - random sizes, blocks migrating between threads, long-lived
 * blocks surviving their threads.
 *
 * After Daan Leijen's mstress (2019, mimalloc-bench `mstress N 50 25`),
 * written from the published program (github.com/daanx/mimalloc-bench,
 * bench/mstress/mstress.c).
 *
 * How it works
 * ------------
 * What the original does: main() runs ITER (25) rounds; a round
 * (run_os_threads) creates threads 1..N-1, runs thread 0's stress() on the
 * main thread itself, joins the others, then frees about half of the
 * 1000-slot transfer array (all of it after the last round).  So thread 0
 * keeps one long-lived heap / thread cache across rounds while the others
 * get a fresh one every round.
 *
 * One iteration = one round, as the original's: start `threads` - 1 new
 * threads, run thread 0 on the calling thread (the benchmark's own thread,
 * which lives as long as the process, like the original's main), join the
 * others, then free a random half of the 1000-slot shared transfer array,
 * so some blocks outlive the thread that made them by several rounds
 * (teardown frees the rest).
 *
 * Thread tid makes allocs = 100 * scale * (tid mod 8 + 1) "data" blocks (so
 * loads are unequal) and allocs / 2 "retained" blocks.  Each step allocates a
 * data block of 2^k words (k < 5) when no retained blocks are left or with
 * chance 50 while data blocks remain, else a retained block of 2^k words
 * (k < 7); then with chance 66 frees a random data slot, and with chance 25
 * swaps a random data slot with a random transfer slot (an atomic exchange:
 * the block migrates to whichever thread picks it up next).  At the end the
 * thread frees all its data and retained blocks.  The data list grows in
 * 100,000-entry steps.  Unlike the original, the two pointer lists live in
 * the process heap, not in the allocator under test: a corrupting allocator
 * (the `faulty` test backend) would otherwise turn a flipped byte in a list
 * into a wild free, and the point is to fail verification, not to crash.
 *
 * Sizes are in 8-byte words; rarely a block is 100x (1%), 1000x (0.1%) or
 * 10000x (0.01%) larger, and 40 words become 41.  Word i of an n-word block
 * is (n - i) XOR cookie; it is checked before every free.  A block travels
 * between threads as a tagged reference that also carries its size (see
 * ms_ref), so a damaged block is counted and still freed correctly.
 *
 * Randomness: splitmix64, per thread seeded from (tid + 1) * 43, the seed
 * and the round, so per-thread call sequences and the checksum (words
 * allocated) do not depend on scheduling; chance(p) is r mod 100 <= p.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_SCALE, P_COUNT };

static const hl_param mstress_params[P_COUNT] = {
    [P_SCALE] = {"scale", "load in percent: data blocks per thread = 100 * scale * (tid % 8 + 1)",
                 50, 5, 1, 1000},
};

#define TRANSFER_SLOTS 1000
#define DATA_STEP 100000

typedef struct ms_worker {
    struct ms_ctx *ctx;
    unsigned tid;
    uint64_t rng;
    uint64_t allocs, frees, words, mismatches;
    bool failed;
} __attribute__((aligned(64))) ms_worker;

/* A block reference: the pointer in the low 48 bits and its size code in
 * the high 16 (x86-64 and AArch64 user addresses fit in 48 bits).  Carrying
 * the size out of band means a damaged block is still freed with its true
 * size, and checking never reads past its end.  0 = no block. */
typedef uint64_t ms_ref;
#define REF_PTR_BITS 48
#define REF_PTR_MASK (((uint64_t)1 << REF_PTR_BITS) - 1)

/* Invariant between run() calls: every non-zero transfer slot is a live
 * block carrying its pattern. */
typedef struct ms_ctx {
    const hl_allocator *a;
    uint64_t seed, cookie;
    uint64_t scale;
    unsigned threads;
    uint64_t round;
    _Atomic ms_ref transfer[TRANSFER_SLOTS];
    ms_worker *workers;
    /* main thread's own frees and checks */
    uint64_t main_frees, main_mismatches;
} ms_ctx;

static bool chance(uint64_t *rng, uint64_t p)
{
    return hl_sm64(rng) % 100 <= p;
}

/* Size codes: 1 + 4 k + s for 2^k words (k < 7) times scale[s], and
 * CODE_41 for the 41-word quirk. */
static const uint64_t scale_of[4] = {1, 100, 1000, 10000};
#define CODE_41 29

static uint64_t words_of(uint64_t code)
{
    if (code == CODE_41)
        return 41;
    code--;
    return ((uint64_t)1 << (code / 4)) * scale_of[code % 4];
}

static uint64_t *ref_ptr(ms_ref r)
{
    return (uint64_t *)(uintptr_t)(r & REF_PTR_MASK);
}

/* A block of 2^k words, sometimes 100x, 1000x or 10000x larger. */
static ms_ref alloc_items(ms_worker *w, unsigned k)
{
    ms_ctx *c = w->ctx;
    uint64_t r = hl_sm64(&w->rng) % 10000;
    unsigned s = r == 0 ? 3 : r < 10 ? 2 : r < 100 ? 1 : 0;
    uint64_t code = 1 + 4 * (uint64_t)k + s;
    uint64_t n = words_of(code);
    if (n == 40) { /* never with these scales; kept from the original */
        code = CODE_41;
        n = 41;
    }
    uint64_t *p = hl_malloc(c->a, n * 8);
    if (p == NULL || ((uintptr_t)p >> REF_PTR_BITS) != 0) {
        if (p)
            hl_free(c->a, p, n * 8);
        w->failed = true;
        return 0;
    }
    for (uint64_t i = 0; i < n; i++)
        p[i] = (n - i) ^ c->cookie;
    w->allocs++;
    w->words += n;
    return (ms_ref)(uintptr_t)p | (code << REF_PTR_BITS);
}

static bool block_ok(const ms_ctx *c, ms_ref r)
{
    const uint64_t *p = ref_ptr(r);
    uint64_t n = words_of(r >> REF_PTR_BITS);
    for (uint64_t i = 0; i < n; i++)
        if (p[i] != ((n - i) ^ c->cookie))
            return false;
    return true;
}

/* Checks and frees the block; false when its pattern was damaged. */
static bool free_items(ms_ctx *c, ms_ref r)
{
    bool ok = block_ok(c, r);
    hl_free(c->a, ref_ptr(r), words_of(r >> REF_PTR_BITS) * 8);
    return ok;
}

static void worker_free(ms_worker *w, ms_ref r)
{
    if (r == 0)
        return;
    w->frees++;
    if (!free_items(w->ctx, r))
        w->mismatches++;
}

static void *ms_thread(void *arg)
{
    ms_worker *w = arg;
    ms_ctx *c = w->ctx;
    uint64_t allocs = 100 * c->scale * (w->tid % 8 + 1);
    uint64_t retain = allocs / 2;
    size_t data_size = 0, data_top = 0, retain_top = 0;
    ms_ref *data = NULL;
    ms_ref *retained = calloc(retain ? retain : 1, sizeof *retained);
    if (retained == NULL) {
        w->failed = true;
        return NULL;
    }

    while ((allocs > 0 || retain > 0) && !w->failed) {
        if (retain == 0 || (chance(&w->rng, 50) && allocs > 0)) {
            allocs--;
            if (data_top >= data_size) {
                size_t grow = data_size + DATA_STEP;
                ms_ref *nd = realloc(data, grow * sizeof *data);
                if (nd == NULL) {
                    w->failed = true;
                    break;
                }
                memset(nd + data_size, 0, DATA_STEP * sizeof *data);
                data = nd;
                data_size = grow;
            }
            data[data_top++] = alloc_items(w, (unsigned)(hl_sm64(&w->rng) % 5));
        } else {
            retained[retain_top++] = alloc_items(w, (unsigned)(hl_sm64(&w->rng) % 7));
            retain--;
        }
        if (chance(&w->rng, 66) && data_top > 0) {
            size_t i = (size_t)hl_rand_below(&w->rng, data_top);
            worker_free(w, data[i]);
            data[i] = 0;
        }
        if (chance(&w->rng, 25) && data_top > 0) {
            size_t i = (size_t)hl_rand_below(&w->rng, data_top);
            size_t j = (size_t)hl_rand_below(&w->rng, TRANSFER_SLOTS);
            data[i] = atomic_exchange(&c->transfer[j], data[i]);
        }
    }
    for (size_t i = 0; i < retain_top; i++)
        worker_free(w, retained[i]);
    for (size_t i = 0; i < data_top; i++)
        worker_free(w, data[i]);
    free(retained);
    free(data);
    return NULL;
}

static void main_free(ms_ctx *c, ms_ref r)
{
    if (r == 0)
        return;
    c->main_frees++;
    if (!free_items(c, r))
        c->main_mismatches++;
}

static uint64_t mstress_run(void *p, uint64_t n)
{
    ms_ctx *c = p;
    uint64_t ops = 0;
    for (uint64_t r = 0; r < n; r++, c->round++) {
        pthread_t th[c->threads];
        bool ok[c->threads];
        uint64_t before = 0;
        for (unsigned t = 0; t < c->threads; t++) {
            ms_worker *w = &c->workers[t];
            before += w->allocs;
            w->rng = hl_mix64(c->seed ^ ((uint64_t)(t + 1) * 43)) + c->round * 0x9E3779B97F4A7C15ull;
        }
        /* Threads 1.. are new each round; thread 0 is the caller, as the
         * original's run_os_threads runs tid 0 on main. */
        for (unsigned t = 1; t < c->threads; t++) {
            ok[t] = pthread_create(&th[t], NULL, ms_thread, &c->workers[t]) == 0;
            if (!ok[t])
                ms_thread(&c->workers[t]); /* do the work anyway, on this thread */
        }
        ms_thread(&c->workers[0]);
        uint64_t after = c->workers[0].allocs;
        for (unsigned t = 1; t < c->threads; t++) {
            if (ok[t])
                pthread_join(th[t], NULL);
            after += c->workers[t].allocs;
        }
        ops += after - before;
        uint64_t rs = hl_mix64(c->seed + c->round * 7919);
        for (size_t i = 0; i < TRANSFER_SLOTS; i++)
            if (hl_sm64(&rs) & 1)
                main_free(c, atomic_exchange(&c->transfer[i], 0));
    }
    return ops > n ? ops : n;
}

static void mstress_teardown(void *p)
{
    ms_ctx *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; i < TRANSFER_SLOTS; i++)
        main_free(c, atomic_exchange(&c->transfer[i], 0));
    free(c->workers);
    free(c);
}

static void *mstress_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    ms_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "mstress: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->seed = env->seed;
    c->cookie = hl_mix64(env->seed ^ 0xbf58476d1ce4e5b9ull) | 1;
    c->scale = (uint64_t)env->params[P_SCALE];
    c->threads = env->threads ? env->threads : 1;
    for (size_t i = 0; i < TRANSFER_SLOTS; i++)
        atomic_init(&c->transfer[i], 0);
    c->workers = aligned_alloc(64, c->threads * sizeof(ms_worker));
    if (c->workers == NULL) {
        free(c);
        snprintf(err, errlen, "mstress: out of memory for %u threads", env->threads);
        return NULL;
    }
    memset(c->workers, 0, c->threads * sizeof(ms_worker));
    for (unsigned t = 0; t < c->threads; t++) {
        c->workers[t].ctx = c;
        c->workers[t].tid = t;
    }
    return c;
}

static int mstress_verify(void *p, char *err, size_t errlen)
{
    ms_ctx *c = p;
    uint64_t allocs = 0, frees = c->main_frees, bad = c->main_mismatches, live = 0;
    for (unsigned t = 0; t < c->threads; t++) {
        if (c->workers[t].failed) {
            snprintf(err, errlen, "mstress: an allocation failed in thread %u", t);
            return -1;
        }
        allocs += c->workers[t].allocs;
        frees += c->workers[t].frees;
        bad += c->workers[t].mismatches;
    }
    for (size_t i = 0; i < TRANSFER_SLOTS; i++) {
        ms_ref r = atomic_load(&c->transfer[i]);
        if (r == 0)
            continue;
        live++;
        bad += !block_ok(c, r);
    }
    if (bad) {
        snprintf(err, errlen, "mstress: %" PRIu64 " blocks lost their word pattern (overlapping or corrupted blocks)",
                 bad);
        return -1;
    }
    if (allocs != frees + live) {
        snprintf(err, errlen,
                 "mstress: %" PRIu64 " blocks allocated but %" PRIu64 " freed + %" PRIu64 " in transfer",
                 allocs, frees, live);
        return -1;
    }
    return 0;
}

static size_t mstress_metrics(void *p, hl_metric *out, size_t max)
{
    ms_ctx *c = p;
    if (max < 1)
        return 0;
    uint64_t words = 0;
    for (unsigned t = 0; t < c->threads; t++)
        words += c->workers[t].words;
    return hl_metric_checksum(out, max, words);
}

static const hl_metric_desc mstress_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_mstress = {
    .name = "mstress",
    .description = "Leijen 2019 mstress: random sizes, blocks migrating between threads, re-created threads",
    .layer = HL_LAYER_RAW,
    .threaded = true,
    .op_unit = "block allocated (and later freed)",
    .params = mstress_params,
    .n_params = P_COUNT,
    .setup = mstress_setup,
    .run = mstress_run,
    .verify = mstress_verify,
    .metrics = mstress_metrics,
    .metric_descs = mstress_metric_descs,
    .n_metric_descs = sizeof mstress_metric_descs / sizeof mstress_metric_descs[0],
    .lock = HL_LOCK_PER_CALL,
    .teardown = mstress_teardown,
};
