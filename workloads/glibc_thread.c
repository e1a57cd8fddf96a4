/* glibc_thread.c - random sizes with an inverse-square distribution over a
 * per-thread working set.
 *
 * After glibc's benchtests/bench-malloc-thread.c (8000 precomputed sizes,
 * inverse-square on [4, 32768]; 4096 precomputed random indices into a
 * 1024-slot working set; each thread cycles both tables: free the slot,
 * malloc the next size), with mimalloc-bench's addition of writing every
 * byte, written from glibc's benchtests/bench-malloc-thread.c and
 * github.com/daanx/mimalloc-bench bench/glibc-bench as published.
 *
 * How it works
 * ------------
 * The inverse-square density on [min, max] is sampled by inversion:
 * size = 1 / (u (1/max - 1/min) + 1/min) with u uniform in [0, 1), which
 * makes small sizes common (mean about 36 bytes) with a long tail.
 *
 * One iteration = one step on every thread: take the next index, check and
 * free the block in that slot (the first pass finds slots empty), allocate
 * the next size from the table, fill every byte.  The working sets live in
 * the context across run() calls, so a slot's block may be freed by the next
 * call's thread.  Upstream is time-driven (2 s alarm); here the step count is
 * the harness's n.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_MIN, P_MAX, P_SLOTS, P_COUNT };

static const hl_param gthread_params[P_COUNT] = {
    [P_MIN] = {"min_size", "smallest size of the inverse-square distribution", 4, 4, 1, 1 << 20},
    [P_MAX] = {"max_size", "largest size of the inverse-square distribution", 32768, 32768, 1,
               1 << 24},
    [P_SLOTS] = {"slots", "working-set slots per thread", 1024, 1024, 1, 1 << 20},
};

#define SIZE_TABLE 8000
#define INDEX_TABLE 4096

/* Invariant: block[i] is NULL or holds size[i] bytes all equal to tag[i]. */
typedef struct gt_worker {
    struct gt_ctx *ctx;
    unsigned char **block;
    uint32_t *size;
    unsigned char *tag;
    uint32_t sizes[SIZE_TABLE];
    uint32_t index[INDEX_TABLE];
    uint64_t size_pos, index_pos;
    uint64_t steps, checksum, mismatches;
    bool failed;
} __attribute__((aligned(64))) gt_worker;

typedef struct gt_ctx {
    const hl_allocator *a;
    size_t slots;
    unsigned threads;
    uint64_t n;
    gt_worker *workers;
} gt_ctx;

static bool gt_block_ok(const gt_worker *w, size_t i)
{
    const unsigned char *b = w->block[i];
    size_t n = w->size[i];
    unsigned char t = w->tag[i];
    return b[0] == t && b[n / 2] == t && b[n - 1] == t;
}

static void *gt_thread(void *arg)
{
    gt_worker *w = arg;
    const hl_allocator *a = w->ctx->a;
    for (uint64_t s = 0; s < w->ctx->n; s++) {
        uint32_t i = w->index[w->index_pos++ % INDEX_TABLE];
        if (w->block[i]) {
            if (!gt_block_ok(w, i))
                w->mismatches++;
            w->checksum += w->block[i][0];
            hl_free(a, w->block[i], w->size[i]);
            w->block[i] = NULL;
        }
        uint32_t size = w->sizes[w->size_pos++ % SIZE_TABLE];
        unsigned char *b = hl_malloc(a, size);
        if (b == NULL) {
            w->failed = true;
            return NULL;
        }
        unsigned char t = (unsigned char)(w->steps * 13 + 1);
        memset(b, t, size);
        w->block[i] = b;
        w->size[i] = size;
        w->tag[i] = t;
        w->steps++;
    }
    return NULL;
}

static uint64_t gt_run(void *p, uint64_t n)
{
    gt_ctx *c = p;
    c->n = n;
    pthread_t th[c->threads];
    bool ok[c->threads];
    for (unsigned t = 0; t < c->threads; t++) {
        ok[t] = !c->workers[t].failed &&
                pthread_create(&th[t], NULL, gt_thread, &c->workers[t]) == 0;
        if (!ok[t] && !c->workers[t].failed)
            gt_thread(&c->workers[t]);
    }
    for (unsigned t = 0; t < c->threads; t++)
        if (ok[t])
            pthread_join(th[t], NULL);
    return n * c->threads;
}

static void gt_teardown(void *p)
{
    gt_ctx *c = p;
    if (c == NULL)
        return;
    for (unsigned t = 0; c->workers && t < c->threads; t++) {
        gt_worker *w = &c->workers[t];
        for (size_t i = 0; w->block && i < c->slots; i++)
            if (w->block[i])
                hl_free(c->a, w->block[i], w->size[i]);
        free(w->block);
        free(w->size);
        free(w->tag);
    }
    free(c->workers);
    free(c);
}

static void *gt_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    double lo = (double)env->params[P_MIN], hi = (double)env->params[P_MAX];
    if (hi < lo) {
        snprintf(err, errlen, "glibc_thread: max_size %.0f is below min_size %.0f", hi, lo);
        return NULL;
    }
    gt_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "glibc_thread: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->slots = (size_t)env->params[P_SLOTS];
    c->threads = env->threads ? env->threads : 1;
    c->workers = aligned_alloc(64, c->threads * sizeof(gt_worker));
    if (c->workers == NULL) {
        free(c);
        snprintf(err, errlen, "glibc_thread: out of memory for %u threads", env->threads);
        return NULL;
    }
    memset(c->workers, 0, c->threads * sizeof(gt_worker));
    for (unsigned t = 0; t < c->threads; t++) {
        gt_worker *w = &c->workers[t];
        w->ctx = c;
        w->block = calloc(c->slots, sizeof *w->block);
        w->size = calloc(c->slots, sizeof *w->size);
        w->tag = calloc(c->slots, 1);
        if (!w->block || !w->size || !w->tag) {
            snprintf(err, errlen, "glibc_thread: out of memory for %zu slots", c->slots);
            gt_teardown(c);
            return NULL;
        }
        uint64_t rng = hl_mix64(env->seed + t + 1);
        for (size_t i = 0; i < SIZE_TABLE; i++) {
            double u = hl_rand_unit(&rng);
            double s = 1.0 / (u * (1.0 / hi - 1.0 / lo) + 1.0 / lo);
            uint32_t size = (uint32_t)s;
            w->sizes[i] = size < lo ? (uint32_t)lo : size > hi ? (uint32_t)hi : size;
        }
        for (size_t i = 0; i < INDEX_TABLE; i++)
            w->index[i] = (uint32_t)hl_rand_below(&rng, c->slots);
    }
    return c;
}

static int gt_verify(void *p, char *err, size_t errlen)
{
    gt_ctx *c = p;
    uint64_t bad = 0;
    for (unsigned t = 0; t < c->threads; t++) {
        gt_worker *w = &c->workers[t];
        if (w->failed) {
            snprintf(err, errlen, "glibc_thread: malloc returned NULL in thread %u", t);
            return -1;
        }
        bad += w->mismatches;
        for (size_t i = 0; i < c->slots; i++)
            if (w->block[i] && !gt_block_ok(w, i))
                bad++;
    }
    if (bad) {
        snprintf(err, errlen, "glibc_thread: %" PRIu64 " blocks changed while live (overlapping or corrupted blocks)",
                 bad);
        return -1;
    }
    return 0;
}

static size_t gt_metrics(void *p, hl_metric *out, size_t max)
{
    gt_ctx *c = p;
    if (max < 1)
        return 0;
    uint64_t sum = 0;
    for (unsigned t = 0; t < c->threads; t++)
        for (size_t i = 0; i < SIZE_TABLE; i++)
            sum += c->workers[t].sizes[i];
    for (unsigned t = 0; t < c->threads; t++)
        sum += c->workers[t].checksum;
    return hl_metric_checksum(out, max, sum);
}

static const hl_metric_desc gt_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_glibc_thread = {
    .name = "glibc_thread",
    .description = "glibc bench-malloc-thread: inverse-square sizes 4..32768 over 1024 slots per thread",
    .layer = HL_LAYER_RAW,
    .threaded = true,
    .op_unit = "free+malloc",
    .params = gthread_params,
    .n_params = P_COUNT,
    .setup = gt_setup,
    .run = gt_run,
    .verify = gt_verify,
    .metrics = gt_metrics,
    .metric_descs = gt_metric_descs,
    .n_metric_descs = sizeof gt_metric_descs / sizeof gt_metric_descs[0],
    .lock = HL_LOCK_PER_CALL,
    .teardown = gt_teardown,
};
