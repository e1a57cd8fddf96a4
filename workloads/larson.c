/* larson.c - the Larson server benchmark: blocks bleed from thread to thread.
 *
 * After P. Larson and M. Krishnan, "Memory allocation for long-running server
 * applications", ISMM 1998, as the mimalloc-bench `larson` program runs it
 * (`larson 5 8 1000 5000 100 4141 N`, github.com/daanx/mimalloc-bench
 * bench.sh and bench/larson), written from the paper and that program's
 * published behaviour.
 *
 * How it works
 * ------------
 * setup allocates threads x chunks blocks of random size in [min, max) from
 * the main thread, shuffles them and makes 4 x that many random
 * replacements (the original's warm-up), so every lane (one per thread)
 * starts with a scattered set of blocks it did not allocate.
 *
 * One iteration = one round per lane: `chunks` steps of "pick a random slot
 * of the lane, check and free its block, allocate a block of a new random
 * size, stamp it".  A lane's thread does `rounds` rounds, then starts the
 * next generation thread on the same slots and exits; the successor joins
 * its dead predecessor and carries on, so every generation frees blocks that
 * a thread which no longer exists allocated.  A run(n) call gives each lane n
 * rounds; the first generation of a call inherits the blocks of the previous
 * call's last generation.
 *
 * Randomness is Gloger's lran2 (rng.h), one generator per lane seeded from
 * the seed and the lane number, so the per-lane call sequences and the
 * checksum (sum of the sizes allocated) do not depend on scheduling.  The
 * original is time-driven (it stops after `seconds`); here the number of
 * rounds is the harness's n.
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
    [P_CHUNKS] = {"chunks", "blocks (slots) per thread; one round replaces this many", 5000, 1000,
                  1, 100000},
    [P_ROUNDS] = {"rounds", "rounds a thread runs before handing its slots to a new thread", 100, 10,
                  1, 1000000},
};

/* Invariant: p != NULL and p's stamp is tag, p holds size bytes. */
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
    pthread_t prev;          /* the generation to join */
    bool has_prev;
    uint64_t allocs, frees, checksum, mismatches, generations;
    bool alloc_failed, spawn_failed;
    bool launched;           /* run() started a chain for this lane */
    /* completion, guarded by ctx->lock */
    bool finished;
    pthread_t last;
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

static size_t lane_size(larson_lane *l)
{
    larson_ctx *c = l->ctx;
    return c->min_size + (c->span ? (size_t)hl_lran2_next(&l->rng) % c->span : 0);
}

static void lane_rounds(larson_lane *l, uint64_t rounds)
{
    larson_ctx *c = l->ctx;
    const hl_allocator *a = c->a;
    for (uint64_t r = 0; r < rounds; r++) {
        for (size_t s = 0; s < c->chunks; s++) {
            larson_slot *sl = &l->slots[(size_t)hl_lran2_next(&l->rng) % c->chunks];
            if (!hl_stamp_ok(sl->p, sl->size, sl->tag))
                l->mismatches++;
            hl_free(a, sl->p, sl->size);
            l->frees++;
            size_t size = lane_size(l);
            void *p = hl_malloc(a, size);
            if (p == NULL) {
                /* Keep the slot valid: an empty block of size 0 is never
                 * freed (teardown skips NULL). */
                sl->p = NULL;
                sl->size = 0;
                l->alloc_failed = true;
                return;
            }
            sl->p = p;
            sl->size = size;
            sl->tag = hl_mix64(l->tag_base + ++l->seq);
            hl_stamp(p, size, sl->tag);
            l->allocs++;
            l->checksum += size;
        }
    }
}

static void *lane_generation(void *arg)
{
    larson_lane *l = arg;
    if (l->has_prev)
        pthread_join(l->prev, NULL);
    l->generations++;
    uint64_t steps = l->remaining < l->ctx->rounds ? l->remaining : l->ctx->rounds;
    lane_rounds(l, steps);
    l->remaining -= steps;
    if (l->remaining > 0 && !l->alloc_failed) {
        pthread_t next;
        l->prev = pthread_self();
        l->has_prev = true;
        if (pthread_create(&next, NULL, lane_generation, l) == 0)
            return NULL; /* the successor joins us */
        l->spawn_failed = true;
    }
    pthread_mutex_lock(&l->ctx->lock);
    l->last = pthread_self();
    l->finished = true;
    pthread_cond_broadcast(&l->ctx->done);
    pthread_mutex_unlock(&l->ctx->lock);
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
        l->has_prev = false;
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
        pthread_join(l->last, NULL);
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
        hl_stamp(b, size, c->slots[i].tag);
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
        if (!hl_stamp_ok(sl->p, sl->size, sl->tag))
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
        hl_stamp(b, size, sl->tag);
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
        if (!hl_stamp_ok(c->slots[i].p, c->slots[i].size, c->slots[i].tag))
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
