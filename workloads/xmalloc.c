/* xmalloc.c - producer threads allocate, consumer threads free.
 *
 * After C. Lever and D. Boreham, "malloc() Performance in a Multithreaded
 * Linux Environment", USENIX 2000 FREENIX track, in the form mimalloc-bench
 * runs it (`xmalloc-test -w N -t 5 -s 64`, Kuszmaul's SuperMalloc version),
 * written from the paper and the published program
 * (github.com/daanx/mimalloc-bench, bench/xmalloc-test).
 *
 * How it works
 * ------------
 * w = env->threads producers and w consumers (as `-w N` starts 2N threads).
 * A producer allocates a batch record (through the allocator under test),
 * fills it with `batch` new objects, writes the first min(size, 128) bytes
 * of each plus a stamp, and pushes the record on one global bounded LIFO
 * stack (mutex + two condition variables; producers wait while `max_queued`
 * records are queued).  A consumer pops a record, checks and frees every
 * object and the record.  Every object is freed by a thread that did not
 * allocate it.
 *
 * One iteration = one batch produced and consumed.  Batch ids are global and
 * dealt round-robin to producers; an object's size and stamp derive from
 * (batch id, index) alone, so the consumer can verify it without any side
 * table and the checksum (sum of object sizes) is independent of scheduling.
 * size=0 picks among the 17 sizes 8..2048 (steps x1.5 / x1.33) as `-s -1`.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_SIZE, P_BATCH, P_QUEUE, P_COUNT };

static const hl_param xmalloc_params[P_COUNT] = {
    [P_SIZE] = {"size", "object size in bytes; 0 = random among 17 sizes 8..2048", 64, 64, 0,
                1 << 20},
    [P_BATCH] = {"batch", "objects per batch record", 4096, 1024, 1, 65536},
    [P_QUEUE] = {"max_queued", "batches queued before producers wait", 100, 100, 1, 100000},
};

static const uint32_t random_sizes[17] = {8,   12,  16,  24,  32,   48,   64,   96,  128,
                                          192, 256, 384, 512, 768, 1024, 1536, 2048};

/* A batch record, allocated with the allocator under test.  Invariant:
 * obj[0..n) are live objects of batch `id`. */
typedef struct xm_batch {
    uint64_t id;
    uint32_t n;
    uint32_t pad;
    void *obj[];
} xm_batch;

typedef struct xm_worker {
    struct xm_ctx *ctx;
    unsigned index;
    uint64_t objects, checksum, mismatches;
    bool failed;
} __attribute__((aligned(64))) xm_worker;

typedef struct xm_ctx {
    const hl_allocator *a;
    size_t size, batch, max_queued;
    unsigned w;
    uint64_t seed;
    uint64_t next_base;   /* first batch id of the next run() */
    /* the global stack, guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    xm_batch **stack;
    size_t top;
    uint64_t popped, target; /* batches popped in this run / to pop */
    uint64_t run_base;
    xm_worker *producers, *consumers;
    uint64_t batches;
} xm_ctx;

static size_t object_size(const xm_ctx *c, uint64_t key)
{
    if (c->size)
        return c->size;
    return random_sizes[hl_below(hl_mix64(key + c->seed * 0xD1B54A32D192ED03ull), 17)];
}

static uint64_t object_tag(const xm_ctx *c, uint64_t key)
{
    return hl_mix64(key + c->seed * 0x9E3779B97F4A7C15ull + 1);
}

static size_t batch_bytes(const xm_ctx *c)
{
    return sizeof(xm_batch) + c->batch * sizeof(void *);
}

static void push(xm_ctx *c, xm_batch *b)
{
    pthread_mutex_lock(&c->lock);
    while (c->top == c->max_queued)
        pthread_cond_wait(&c->not_full, &c->lock);
    c->stack[c->top++] = b;
    pthread_cond_signal(&c->not_empty);
    pthread_mutex_unlock(&c->lock);
}

/* NULL when this run's batches are all popped. *got says whether a slot was
 * taken (a NULL record stands for a batch whose record could not be made). */
static xm_batch *pop(xm_ctx *c, bool *got)
{
    pthread_mutex_lock(&c->lock);
    while (c->top == 0 && c->popped < c->target)
        pthread_cond_wait(&c->not_empty, &c->lock);
    xm_batch *b = NULL;
    *got = false;
    if (c->top > 0) {
        b = c->stack[--c->top];
        c->popped++;
        *got = true;
        pthread_cond_signal(&c->not_full);
        if (c->popped == c->target)
            pthread_cond_broadcast(&c->not_empty);
    }
    pthread_mutex_unlock(&c->lock);
    return b;
}

static void *producer(void *arg)
{
    xm_worker *me = arg;
    xm_ctx *c = me->ctx;
    for (uint64_t k = me->index; k < c->target; k += c->w) {
        uint64_t id = c->run_base + k;
        xm_batch *b = hl_malloc(c->a, batch_bytes(c));
        if (b == NULL) {
            me->failed = true;
            push(c, NULL);
            continue;
        }
        b->id = id;
        b->n = 0;
        for (size_t i = 0; i < c->batch; i++) {
            uint64_t key = id * c->batch + i;
            size_t size = object_size(c, key);
            unsigned char *o = hl_malloc(c->a, size);
            if (o == NULL) {
                me->failed = true;
                break;
            }
            uint64_t tag = object_tag(c, key);
            memset(o, (int)(tag & 0xff), size < 128 ? size : 128);
            hl_stamp(o, size, tag);
            b->obj[b->n++] = o;
            me->objects++;
            me->checksum += size;
        }
        push(c, b);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    xm_worker *me = arg;
    xm_ctx *c = me->ctx;
    for (;;) {
        bool got;
        xm_batch *b = pop(c, &got);
        if (!got)
            break;
        if (b == NULL)
            continue;
        for (uint32_t i = 0; i < b->n; i++) {
            uint64_t key = b->id * c->batch + i;
            size_t size = object_size(c, key);
            if (!hl_stamp_ok(b->obj[i], size, object_tag(c, key)))
                me->mismatches++;
            hl_free(c->a, b->obj[i], size);
            me->objects++;
            me->checksum += size;
        }
        hl_free(c->a, b, batch_bytes(c));
    }
    return NULL;
}

static uint64_t xmalloc_run(void *p, uint64_t n)
{
    xm_ctx *c = p;
    c->target = n;
    c->popped = 0;
    c->run_base = c->next_base;
    pthread_t th[2 * c->w];
    bool ok[2 * c->w];
    for (unsigned i = 0; i < c->w; i++) {
        ok[i] = pthread_create(&th[i], NULL, consumer, &c->consumers[i]) == 0;
        if (!ok[i])
            c->consumers[i].failed = true;
    }
    for (unsigned i = 0; i < c->w; i++) {
        ok[c->w + i] = pthread_create(&th[c->w + i], NULL, producer, &c->producers[i]) == 0;
        if (!ok[c->w + i]) {
            /* Run this producer's share here so the consumers can finish. */
            c->producers[i].failed = true;
            producer(&c->producers[i]);
        }
    }
    bool any_consumer = false;
    for (unsigned i = 0; i < c->w; i++)
        any_consumer |= ok[i];
    if (!any_consumer)
        consumer(&c->consumers[0]);
    for (unsigned i = 0; i < 2 * c->w; i++)
        if (ok[i])
            pthread_join(th[i], NULL);
    c->next_base += n;
    c->batches += n;
    return n * c->batch;
}

static void xmalloc_teardown(void *p)
{
    xm_ctx *c = p;
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->not_full);
    pthread_cond_destroy(&c->not_empty);
    free(c->stack);
    free(c->producers);
    free(c->consumers);
    free(c);
}

static void *xmalloc_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    xm_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "xmalloc: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->size = (size_t)env->params[P_SIZE];
    c->batch = (size_t)env->params[P_BATCH];
    c->max_queued = (size_t)env->params[P_QUEUE];
    c->w = env->threads ? env->threads : 1;
    c->seed = env->seed;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->not_full, NULL);
    pthread_cond_init(&c->not_empty, NULL);
    c->stack = calloc(c->max_queued, sizeof *c->stack);
    c->producers = aligned_alloc(64, c->w * sizeof(xm_worker));
    c->consumers = aligned_alloc(64, c->w * sizeof(xm_worker));
    if (!c->stack || !c->producers || !c->consumers) {
        snprintf(err, errlen, "xmalloc: out of memory for %u workers", c->w);
        xmalloc_teardown(c);
        return NULL;
    }
    memset(c->producers, 0, c->w * sizeof(xm_worker));
    memset(c->consumers, 0, c->w * sizeof(xm_worker));
    for (unsigned i = 0; i < c->w; i++) {
        c->producers[i].ctx = c->consumers[i].ctx = c;
        c->producers[i].index = c->consumers[i].index = i;
    }
    return c;
}

static void totals(xm_ctx *c, xm_worker *ws, uint64_t *objects, uint64_t *sum, uint64_t *bad,
                   bool *failed)
{
    for (unsigned i = 0; i < c->w; i++) {
        *objects += ws[i].objects;
        *sum += ws[i].checksum;
        *bad += ws[i].mismatches;
        *failed |= ws[i].failed;
    }
}

static int xmalloc_verify(void *p, char *err, size_t errlen)
{
    xm_ctx *c = p;
    uint64_t made = 0, made_sum = 0, freed = 0, freed_sum = 0, bad = 0;
    bool failed = false;
    totals(c, c->producers, &made, &made_sum, &bad, &failed);
    totals(c, c->consumers, &freed, &freed_sum, &bad, &failed);
    if (failed) {
        snprintf(err, errlen, "xmalloc: an allocation or a thread creation failed");
        return -1;
    }
    if (bad) {
        snprintf(err, errlen, "xmalloc: %" PRIu64 " objects had a damaged stamp when freed", bad);
        return -1;
    }
    if (made != c->batches * c->batch || freed != made || freed_sum != made_sum) {
        snprintf(err, errlen,
                 "xmalloc: produced %" PRIu64 " objects (%" PRIu64 " B), consumed %" PRIu64
                 " (%" PRIu64 " B), expected %" PRIu64,
                 made, made_sum, freed, freed_sum, c->batches * c->batch);
        return -1;
    }
    return 0;
}

static size_t xmalloc_metrics(void *p, hl_metric *out, size_t max)
{
    xm_ctx *c = p;
    if (max < 1)
        return 0;
    uint64_t made = 0, sum = 0, bad = 0;
    bool failed = false;
    totals(c, c->producers, &made, &sum, &bad, &failed);
    return hl_metric_checksum(out, max, sum);
}

static const hl_metric_desc xmalloc_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_xmalloc = {
    .name = "xmalloc",
    .description = "Lever & Boreham 2000: producers allocate batches, consumers free them",
    .layer = HL_LAYER_RAW,
    .threaded = true,
    .op_unit = "object (malloc in one thread, free in another)",
    .params = xmalloc_params,
    .n_params = P_COUNT,
    .setup = xmalloc_setup,
    .run = xmalloc_run,
    .verify = xmalloc_verify,
    .metrics = xmalloc_metrics,
    .metric_descs = xmalloc_metric_descs,
    .n_metric_descs = sizeof xmalloc_metric_descs / sizeof xmalloc_metric_descs[0],
    .lock = HL_LOCK_PER_CALL,
    .teardown = xmalloc_teardown,
};
