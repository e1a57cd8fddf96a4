/* larson.c - the Larson server benchmark: blocks bleed from thread to thread.
 *
 * After P. Larson and M. Krishnan, "Memory allocation for long-running server
 * applications", ISMM 1998, as mimalloc-bench runs it: bench.sh's
 * `larson 5 8 1000 5000 100 4141 N` (github.com/daanx/mimalloc-bench,
 * bench/larson/larson.cpp, compiled with CPP=1), written from that program.
 *
 * What the original does
 * ----------------------
 * The main thread allocates N x 5000 blocks of 8 + lran2() % 992 bytes
 * (`new char[]`), shuffles them and makes 4 x that many random replacements
 * (warmup()).  It then starts N threads, one per lane of 5000 slots, sleeps
 * 5 s, sets a stop flag and waits for every lane.  A lane's thread does
 * rounds x chunks = 500,000 steps of: pick a random slot of its lane,
 * `delete[]` its block, `new char[size]` with a new random size, write
 * bytes 0 and 1 of it ('a', 'b') and read byte 0 back (volatile).  Then it
 * starts its successor on the same slots and the same generator
 * (`_beginthread`, default attributes) and calls pthread_exit: the successor
 * runs while its predecessor is still exiting, and no thread is ever joined.
 * Steps are counted until the stop flag, so thread creation and exit are
 * inside the measured time.  Score: 1e9 / (steps per second), "relative
 * time", i.e. wall ns per free+malloc; the process then sleeps 2 s.
 *
 * How heaplab follows it
 * ----------------------
 * setup is warmup(): threads x chunks blocks from the main thread,
 * shuffled, then 4 x that many random replacements.  One iteration = one
 * round per lane: `chunks` steps of "pick a random slot of the lane, free its
 * block, allocate a block of a new random size, stamp its head".  After
 * `rounds` rounds a lane's thread starts the next generation thread on the
 * same slots and generator and returns, as the original does: successor and
 * predecessor overlap.  Nobody waits for a generation while the run is in
 * progress; run() joins every generation thread of the call once all lanes
 * are done (the original never joins; joining at the end only frees the
 * stacks sooner).  A run(n) call gives each lane n rounds; the first
 * generation of a call inherits the blocks of the previous call's last one.
 * Defaults and quick values are bench.sh's shape (5000 blocks per lane,
 * 100 rounds per generation; sizes [8, 1000)); the time is the harness's
 * (Google Benchmark's min time), not a 5 s sleep.
 *
 * Differences that remain, and why they do not decide the ranking: the
 * allocator is called through heaplab's handle (alloc.h, per-thread
 * accounting: a few instructions, the same for every backend) and with the
 * block's size (backends with a sized free use it: mimalloc, and jemalloc
 * only with api=sdallocx/mallocx); C malloc/free instead of new[]/delete[]
 * (libstdc++'s operator new[] is a call to malloc).
 *
 * Verification: every block gets a head stamp (its first min(size, 16)
 * bytes, the line the original writes) derived from a per-step tag; a fixed
 * 1 in HL_CHECK_EVERY steps of each lane checks the victim's stamp before
 * freeing it, and verify() checks every live block.  Checking every victim
 * would make each free wait for the victim's cache line, which the original
 * never reads (rng.h says what that cost).
 *
 * Randomness is Gloger's lran2 (rng.h), one generator per lane seeded from
 * the seed and the lane number, so the per-lane call sequences and the
 * checksum (sum of the sizes allocated) do not depend on scheduling.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_MIN, P_MAX, P_CHUNKS, P_ROUNDS, P_COUNT };

static const hl_param larson_params[P_COUNT] = {
    [P_MIN] = {"min_size", "smallest block (bytes)", 8, 8, 1, 1 << 20},
    [P_MAX] = {"max_size", "largest block + 1 (bytes)", 1000, 1000, 1, 1 << 20},
    [P_CHUNKS] = {"chunks", "blocks (slots) per thread; one round replaces this many", 5000, 5000,
                  1, 100000},
    [P_ROUNDS] = {"rounds", "rounds a thread runs before handing its slots to a new thread", 100,
                  100, 1, 1000000},
};

/* Invariant: p holds size bytes and its head stamp is tag; p is NULL (size
 * 0) only after a failed malloc, which stops the lane. */
typedef struct larson_slot {
    void *p;
    size_t size;
    uint64_t tag;
} larson_slot;

struct larson_ctx;

/* One lane = one chain of generation threads over `chunks` slots.  Written
 * only by the lane's current generation while run() is in progress; the
 * hand-over is ordered by pthread_create/pthread_join. */
typedef struct larson_lane {
    struct larson_ctx *ctx;
    larson_slot *slots;
    hl_lran2 rng;
    uint64_t tag_base, seq;
    uint64_t remaining;      /* rounds left in this run() call */
    uint64_t step;           /* steps made by this lane, all calls */
    /* The generation threads of this run() call, for run() to join.  Each
     * generation appends itself before it creates its successor, so the
     * appends are ordered by pthread_create. */
    pthread_t *gen;
    size_t n_gen, cap_gen;
    uint64_t allocs, frees, checksum, mismatches, generations;
    bool alloc_failed, spawn_failed;
    bool launched;           /* run() started a chain for this lane */
    /* completion, guarded by ctx->lock */
    bool finished;
} __attribute__((aligned(64))) larson_lane;

typedef struct larson_ctx {
    const hl_allocator *a;
    size_t min_size, span, chunks, rounds;
    unsigned threads;
    larson_slot *slots; /* threads * chunks */
    larson_lane *lanes;
    uint64_t setup_checksum, setup_mismatches;
    pthread_mutex_t lock;
    pthread_cond_t done;
} larson_ctx;

/* The hot loop.  Everything it updates lives in locals and is written back
 * at the end: the slot stores could otherwise alias the lane's generator
 * and counters (size_t and long may alias), and every step would reload
 * them -- instructions the original's loop does not have. */
static void lane_rounds(larson_lane *l, uint64_t rounds)
{
    const larson_ctx *c = l->ctx;
    const hl_allocator *a = c->a;
    const size_t chunks = c->chunks, span = c->span, min = c->min_size;
    larson_slot *const slots = l->slots;
    const uint64_t base = l->tag_base;
    hl_lran2 rng = l->rng;
    uint64_t step = l->step, seq = l->seq, sum = 0, bad = 0, done = 0;
    const uint64_t steps = rounds * chunks;
    for (; done < steps; done++) {
        larson_slot *sl = &slots[(size_t)hl_lran2_next(&rng) % chunks];
        if (step++ % HL_CHECK_EVERY == 0 && !hl_stamp_head_ok(sl->p, sl->size, sl->tag))
            bad++;
        hl_free(a, sl->p, sl->size);
        size_t size = min + (span ? (size_t)hl_lran2_next(&rng) % span : 0);
        void *p = hl_malloc(a, size);
        if (p == NULL) {
            /* Keep the slot valid: an empty block of size 0 is never
             * freed (teardown skips NULL). */
            sl->p = NULL;
            sl->size = 0;
            l->alloc_failed = true;
            l->frees++;
            break;
        }
        /* distinct for every step of every lane: an odd multiplier is a
         * bijection, and the lanes' bases differ */
        uint64_t tag = base ^ (++seq * 0x9E3779B97F4A7C15ull);
        *sl = (larson_slot){p, size, tag};
        hl_stamp_head(p, size, tag);
        sum += size;
    }
    l->rng = rng;
    l->step = step;
    l->seq = seq;
    l->allocs += done;
    l->frees += done;
    l->checksum += sum;
    l->mismatches += bad;
}

/* Appends the calling generation to its lane's list; false when out of
 * memory (the process heap, not the allocator's accounting). */
static bool lane_register(larson_lane *l)
{
    if (l->n_gen == l->cap_gen) {
        size_t cap = l->cap_gen ? 2 * l->cap_gen : 16;
        pthread_t *g = realloc(l->gen, cap * sizeof *g);
        if (g == NULL)
            return false;
        l->gen = g;
        l->cap_gen = cap;
    }
    l->gen[l->n_gen++] = pthread_self();
    return true;
}

static void lane_finish(larson_lane *l)
{
    pthread_mutex_lock(&l->ctx->lock);
    l->finished = true;
    pthread_cond_broadcast(&l->ctx->done);
    pthread_mutex_unlock(&l->ctx->lock);
}

static void *lane_generation(void *arg)
{
    larson_lane *l = arg;
    if (!lane_register(l)) {
        /* run() cannot join this thread: let it go, and fail the cell */
        pthread_detach(pthread_self());
        l->spawn_failed = true;
        lane_finish(l);
        return NULL;
    }
    l->generations++;
    uint64_t steps = l->remaining < l->ctx->rounds ? l->remaining : l->ctx->rounds;
    lane_rounds(l, steps);
    l->remaining -= steps;
    if (l->remaining > 0 && !l->alloc_failed) {
        /* The successor starts while this thread is still exiting, as
         * _beginthread + pthread_exit do in the original. */
        pthread_t next;
        if (pthread_create(&next, NULL, lane_generation, l) == 0)
            return NULL;
        l->spawn_failed = true;
    }
    lane_finish(l);
    return NULL;
}

static uint64_t larson_run(void *p, uint64_t n)
{
    larson_ctx *c = p;
    for (unsigned t = 0; t < c->threads; t++) {
        larson_lane *l = &c->lanes[t];
        l->launched = false;
        if (l->alloc_failed || l->spawn_failed || n == 0)
            continue;
        l->remaining = n;
        l->n_gen = 0;
        l->finished = false;
        pthread_t th;
        if (pthread_create(&th, NULL, lane_generation, l) != 0) {
            l->spawn_failed = true;
            continue;
        }
        l->launched = true;
    }
    for (unsigned t = 0; t < c->threads; t++) {
        larson_lane *l = &c->lanes[t];
        if (!l->launched)
            continue;
        pthread_mutex_lock(&c->lock);
        while (!l->finished)
            pthread_cond_wait(&c->done, &c->lock);
        pthread_mutex_unlock(&c->lock);
    }
    /* Every lane is done: its list is complete and no longer written. */
    for (unsigned t = 0; t < c->threads; t++) {
        larson_lane *l = &c->lanes[t];
        for (size_t g = 0; l->launched && g < l->n_gen; g++)
            pthread_join(l->gen[g], NULL);
        l->n_gen = 0;
    }
    return n * c->chunks * c->threads;
}

static void larson_teardown(void *p)
{
    larson_ctx *c = p;
    if (c == NULL)
        return;
    if (c->slots) {
        for (size_t i = 0; i < c->chunks * c->threads; i++)
            if (c->slots[i].p)
                hl_free(c->a, c->slots[i].p, c->slots[i].size);
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->done);
    for (unsigned t = 0; c->lanes && t < c->threads; t++)
        free(c->lanes[t].gen);
    free(c->slots);
    free(c->lanes);
    free(c);
}

static void *larson_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    size_t min = (size_t)env->params[P_MIN], max = (size_t)env->params[P_MAX];
    if (max < min) {
        snprintf(err, errlen, "larson: max_size %zu is below min_size %zu; give max_size >= min_size",
                 max, min);
        return NULL;
    }
    larson_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "larson: out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->done, NULL);
    c->a = env->raw;
    c->min_size = min;
    c->span = max - min;
    c->chunks = (size_t)env->params[P_CHUNKS];
    c->rounds = (size_t)env->params[P_ROUNDS];
    c->threads = env->threads ? env->threads : 1;
    size_t total = c->chunks * c->threads;
    c->slots = calloc(total, sizeof *c->slots);
    c->lanes = aligned_alloc(64, sizeof(larson_lane) * c->threads);
    if (!c->slots || !c->lanes) {
        larson_teardown(c);
        snprintf(err, errlen, "larson: out of memory for %zu slots", total);
        return NULL;
    }
    memset(c->lanes, 0, sizeof(larson_lane) * c->threads);

    hl_lran2 g;
    hl_lran2_init(&g, env->seed);
    for (size_t i = 0; i < total; i++) {
        size_t size = c->min_size + (c->span ? (size_t)hl_lran2_next(&g) % c->span : 0);
        void *b = hl_malloc(c->a, size);
        if (b == NULL) {
            larson_teardown(c);
            snprintf(err, errlen, "larson: malloc(%zu) failed in setup", size);
            return NULL;
        }
        c->slots[i] = (larson_slot){b, size, hl_mix64(env->seed ^ (0xA5A5ull << 40) ^ i)};
        hl_stamp_head(b, size, c->slots[i].tag);
        c->setup_checksum += size;
    }
    /* Fisher-Yates, so a lane's blocks are not address-ordered. */
    uint64_t rs = env->seed ^ 0x6c6172736f6eull;
    for (size_t i = total; i > 1; i--) {
        size_t j = (size_t)hl_rand_below(&rs, i);
        larson_slot t = c->slots[i - 1];
        c->slots[i - 1] = c->slots[j];
        c->slots[j] = t;
    }
    /* Warm-up as in the original: 4 x total random replacements from the
     * main thread, so the heap is fragmented before anything is timed. */
    for (size_t k = 0; k < 4 * total; k++) {
        larson_slot *sl = &c->slots[hl_rand_below(&rs, total)];
        if (!hl_stamp_head_ok(sl->p, sl->size, sl->tag))
            c->setup_mismatches++;
        hl_free(c->a, sl->p, sl->size);
        size_t size = c->min_size + (c->span ? (size_t)hl_lran2_next(&g) % c->span : 0);
        void *b = hl_malloc(c->a, size);
        if (b == NULL) {
            sl->p = NULL;
            sl->size = 0;
            larson_teardown(c);
            snprintf(err, errlen, "larson: malloc(%zu) failed in setup", size);
            return NULL;
        }
        *sl = (larson_slot){b, size, hl_mix64(env->seed ^ (0x5A5Aull << 40) ^ k)};
        hl_stamp_head(b, size, sl->tag);
        c->setup_checksum += size;
    }
    for (unsigned t = 0; t < c->threads; t++) {
        larson_lane *l = &c->lanes[t];
        l->ctx = c;
        l->slots = c->slots + (size_t)t * c->chunks;
        hl_lran2_init(&l->rng, env->seed * 31 + t + 1);
        l->tag_base = hl_mix64(env->seed + ((uint64_t)(t + 1) << 48));
    }
    return c;
}

static int larson_verify(void *p, char *err, size_t errlen)
{
    larson_ctx *c = p;
    uint64_t allocs = 0, frees = 0, bad = c->setup_mismatches;
    for (unsigned t = 0; t < c->threads; t++) {
        larson_lane *l = &c->lanes[t];
        if (l->alloc_failed) {
            snprintf(err, errlen, "larson: malloc returned NULL in lane %u", t);
            return -1;
        }
        if (l->spawn_failed) {
            snprintf(err, errlen, "larson: could not create a thread for lane %u", t);
            return -1;
        }
        allocs += l->allocs;
        frees += l->frees;
        bad += l->mismatches;
    }
    size_t total = c->chunks * c->threads;
    for (size_t i = 0; i < total; i++)
        if (c->slots[i].p && !hl_stamp_head_ok(c->slots[i].p, c->slots[i].size, c->slots[i].tag))
            bad++;
    if (bad) {
        snprintf(err, errlen, "larson: %" PRIu64 " blocks had a damaged stamp (overlapping or corrupted blocks)",
                 bad);
        return -1;
    }
    if (allocs != frees) {
        snprintf(err, errlen, "larson: %" PRIu64 " allocations but %" PRIu64 " frees in the rounds",
                 allocs, frees);
        return -1;
    }
    return 0;
}

static size_t larson_metrics(void *p, hl_metric *out, size_t max)
{
    larson_ctx *c = p;
    if (max < 2)
        return 0;
    uint64_t sum = c->setup_checksum, gens = 0;
    for (unsigned t = 0; t < c->threads; t++) {
        sum += c->lanes[t].checksum;
        gens += c->lanes[t].generations;
    }
    snprintf(out[0].name, sizeof out[0].name, "checksum");
    out[0].value = (double)sum;
    out[0].unit = "";
    snprintf(out[1].name, sizeof out[1].name, "thread_generations");
    out[1].value = (double)gens;
    out[1].unit = "threads";
    return 2;
}

static const hl_metric_desc larson_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"thread_generations", "threads", "worker threads started (each replaces its predecessor)", false, NULL},
};

const hl_workload hl_wl_larson = {
    .name = "larson",
    .description = "Larson & Krishnan 1998: random replacements, slots handed to new threads",
    .layer = HL_LAYER_RAW,
    .threaded = true,
    .op_unit = "free+malloc",
    .params = larson_params,
    .n_params = P_COUNT,
    .setup = larson_setup,
    .run = larson_run,
    .verify = larson_verify,
    .metrics = larson_metrics,
    .metric_descs = larson_metric_descs,
    .n_metric_descs = sizeof larson_metric_descs / sizeof larson_metric_descs[0],
    .lock = HL_LOCK_PER_CALL,
    .teardown = larson_teardown,
};
