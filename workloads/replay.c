/* replay.c - replays a recorded allocation trace against the backend.
 *
 * Traces come from libheaplab-trace.so (trace_recorder.c); the format and
 * the validation rules are in trace_format.h and docs/trace-format.md.  The
 * replay approach (recorded calls replayed with their thread structure,
 * recorded addresses mapped to the replayer's own blocks) is the usual one
 * of malloc trace tools such as glibc's mtrace/trace_run experiments; this
 * file is written from that idea, not from their code.
 *
 * Which trace: env->data_path is the *path of the trace file* for this
 * workload (the harness passes `--trace FILE`); when it is NULL the
 * environment variable HEAPLAB_TRACE names the file.  A missing, truncated,
 * corrupt or hostile trace makes setup fail with one line.
 *
 * How it works
 * ------------
 * setup parses and validates the whole trace into events whose pointers are
 * already dense block ids (hl_trace_parse), and builds one event list per
 * recorded thread.
 *
 * One iteration = one pass over the whole trace, then freeing the blocks the
 * trace never freed, so every pass starts from nothing.  mode=0 starts one
 * replay thread per recorded thread, each replaying its own events in
 * order; mode=1 replays every event on one thread in sequence order.
 *
 * Cross-thread order: an event that consumes a block (free, realloc) may run
 * only after the event that produced it.  Each block carries the pass
 * number in which it was last published (release store after the pointer
 * is written); the consumer spins (then yields) until it sees the current
 * pass.  A producer's sequence number is always below its consumer's, and
 * each thread runs its events in sequence order, so the lowest unfinished
 * event can always proceed: no deadlock.
 *
 * Every block gets a stamp (rng.h) on allocation, checked before it is
 * freed or reallocated (and its surviving prefix after a realloc); calloc
 * blocks must read zero at both ends.  aligned calls (memalign family) are
 * replayed as plain malloc of the same size: hl_allocator has no aligned
 * entry point; the count is reported.
 */
#include "rng.h"
#include "trace_format.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_MODE, P_COUNT };

static const char *const replay_serial_labels[] = {"threads", "serial"};

static const hl_param replay_params[P_COUNT] = {
    [P_MODE] = {"serial", "0 = one replay thread per recorded thread, 1 = all events on one thread", 0,
                0, 0, 1, replay_serial_labels},
};

/* Invariant: while `pass` equals the current pass number, ptr is the live
 * block for this id (or NULL for a 0-byte request that returned NULL). */
typedef struct rp_block {
    void *ptr;
    _Atomic uint64_t pass;
} rp_block;

typedef struct rp_worker {
    struct rp_ctx *ctx;
    const uint32_t *events; /* indices into trace.events */
    size_t n_events;
    uint64_t allocs, reallocs, frees, mismatches;
    bool failed;
} __attribute__((aligned(64))) rp_worker;

typedef struct rp_ctx {
    const hl_allocator *a;
    int mode;
    hl_trace trace;
    rp_block *blocks;
    uint32_t *order;        /* event indices grouped by thread */
    rp_worker *workers;     /* one per recorded thread */
    uint32_t *leftover;     /* blocks the trace never frees */
    size_t n_leftover;
    uint64_t pass;          /* current pass number, starts at 1 */
    uint64_t passes;
    uint64_t cleanup_frees, cleanup_mismatches;
    _Atomic bool failed;
} rp_ctx;

static uint64_t block_tag(uint32_t id)
{
    return hl_mix64(0x7265706c6179ull + id);
}

static void *wait_block(rp_ctx *c, uint32_t id)
{
    rp_block *b = &c->blocks[id];
    unsigned spins = 0;
    while (atomic_load_explicit(&b->pass, memory_order_acquire) != c->pass) {
        if (atomic_load_explicit(&c->failed, memory_order_relaxed))
            return NULL;
        if (++spins > 64)
            sched_yield();
    }
    return b->ptr;
}

static void publish(rp_ctx *c, uint32_t id, void *p)
{
    c->blocks[id].ptr = p;
    atomic_store_explicit(&c->blocks[id].pass, c->pass, memory_order_release);
}

static void replay_event(rp_ctx *c, rp_worker *w, const hl_trace_event *ev)
{
    const hl_allocator *a = c->a;
    const uint64_t *bsize = c->trace.block_size;
    switch (ev->op) {
    case HL_OP_ALLOC: {
        size_t size = (size_t)ev->size;
        unsigned char *p = ev->kind == HL_TR_CALLOC ? hl_calloc(a, 1, size) : hl_malloc(a, size);
        if (p == NULL && size > 0) {
            w->failed = true;
            atomic_store(&c->failed, true);
        }
        if (p && size && ev->kind == HL_TR_CALLOC && (p[0] != 0 || p[size - 1] != 0))
            w->mismatches++;
        if (p)
            hl_stamp(p, size, block_tag(ev->block));
        publish(c, ev->block, p);
        w->allocs++;
        break;
    }
    case HL_OP_REALLOC: {
        void *old = wait_block(c, ev->old);
        size_t old_size = (size_t)bsize[ev->old], size = (size_t)ev->size;
        if (old && !hl_stamp_ok(old, old_size, block_tag(ev->old)))
            w->mismatches++;
        void *p = hl_realloc(a, old, old ? old_size : 0, size);
        if (p == NULL && size > 0) {
            w->failed = true;
            atomic_store(&c->failed, true);
            hl_free(a, old, old_size); /* keep the accounting balanced */
        } else if (p) {
            if (old && !hl_stamp_prefix_ok(p, old_size, size, block_tag(ev->old)))
                w->mismatches++;
            hl_stamp(p, size, block_tag(ev->block));
        }
        c->blocks[ev->old].ptr = NULL;
        publish(c, ev->block, p);
        w->reallocs++;
        break;
    }
    case HL_OP_FREE: {
        void *p = wait_block(c, ev->old);
        size_t size = (size_t)bsize[ev->old];
        if (p && !hl_stamp_ok(p, size, block_tag(ev->old)))
            w->mismatches++;
        hl_free(a, p, size);
        c->blocks[ev->old].ptr = NULL; /* consumed: only this thread touches it now */
        w->frees++;
        break;
    }
    default:
        break;
    }
}

static void *replay_thread(void *arg)
{
    rp_worker *w = arg;
    rp_ctx *c = w->ctx;
    for (size_t i = 0; i < w->n_events; i++) {
        if (atomic_load_explicit(&c->failed, memory_order_relaxed))
            break;
        replay_event(c, w, &c->trace.events[w->events[i]]);
    }
    return NULL;
}

static void cleanup_pass(rp_ctx *c)
{
    for (size_t i = 0; i < c->n_leftover; i++) {
        uint32_t id = c->leftover[i];
        rp_block *b = &c->blocks[id];
        if (atomic_load(&b->pass) != c->pass || b->ptr == NULL)
            continue;
        size_t size = (size_t)c->trace.block_size[id];
        if (!hl_stamp_ok(b->ptr, size, block_tag(id)))
            c->cleanup_mismatches++;
        hl_free(c->a, b->ptr, size);
        b->ptr = NULL;
        c->cleanup_frees++;
    }
}

static uint64_t replay_run(void *p, uint64_t n)
{
    rp_ctx *c = p;
    uint32_t nt = c->trace.n_threads;
    for (uint64_t it = 0; it < n; it++) {
        if (atomic_load(&c->failed))
            break;
        c->pass++;
        if (c->mode == 1 || nt <= 1) {
            rp_worker *w = &c->workers[0];
            for (size_t i = 0; i < c->trace.n_events; i++)
                replay_event(c, w, &c->trace.events[i]);
        } else {
            /* The cell may hold the runtime lock across the run (lock
             * policy HL_LOCK_WHOLE_RUN).  The replay threads take it per
             * call, so this thread lets go of it while they run, as a
             * CPython thread releases the GIL while it blocks in join();
             * holding it here would deadlock them. */
            bool held = hl_gil_held;
            if (held)
                hl_gil_release();
            pthread_t th[nt];
            bool ok[nt];
            for (uint32_t t = 0; t < nt; t++) {
                ok[t] = c->workers[t].n_events > 0 &&
                        pthread_create(&th[t], NULL, replay_thread, &c->workers[t]) == 0;
                if (!ok[t] && c->workers[t].n_events > 0) {
                    c->workers[t].failed = true;
                    atomic_store(&c->failed, true);
                }
            }
            for (uint32_t t = 0; t < nt; t++)
                if (ok[t])
                    pthread_join(th[t], NULL);
            if (held)
                hl_gil_acquire();
        }
        cleanup_pass(c);
        c->passes++;
    }
    uint64_t per_pass = c->trace.allocs + c->trace.reallocs + c->trace.frees + c->n_leftover;
    uint64_t ops = n * per_pass;
    return ops >= n ? ops : n;
}

static void replay_teardown(void *p)
{
    rp_ctx *c = p;
    if (c == NULL)
        return;
    if (c->blocks && c->pass > 0) {
        /* After a failed pass some blocks may still be live: consumed blocks
         * have ptr == NULL, the others are freed here. */
        for (uint32_t id = 0; id < c->trace.n_blocks; id++) {
            rp_block *b = &c->blocks[id];
            if (atomic_load(&b->pass) == c->pass && b->ptr) {
                hl_free(c->a, b->ptr, (size_t)c->trace.block_size[id]);
                b->ptr = NULL;
            }
        }
    }
    hl_trace_free(&c->trace);
    free(c->blocks);
    free(c->order);
    free(c->workers);
    free(c->leftover);
    free(c);
}

static void *replay_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    const char *path = env->data_path ? env->data_path : getenv("HEAPLAB_TRACE");
    if (path == NULL || path[0] == '\0') {
        snprintf(err, errlen,
                 "replay: no trace given; pass --trace FILE or set HEAPLAB_TRACE (record one with "
                 "scripts/record-trace.sh)");
        return NULL;
    }
    rp_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "replay: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->mode = (int)env->params[P_MODE];
    if (hl_trace_load(path, &c->trace, err, errlen) != 0) {
        free(c);
        return NULL;
    }
    /* hl_trace_load refused a trace with nothing to replay, by the rule the
     * driver's plan-time check applies too: there is at least one event. */
    hl_trace *t = &c->trace;
    uint32_t nt = t->n_threads ? t->n_threads : 1;
    c->blocks = calloc(t->n_blocks ? t->n_blocks : 1, sizeof *c->blocks);
    c->order = malloc(t->n_events * sizeof *c->order);
    c->workers = aligned_alloc(64, nt * sizeof(rp_worker));
    bool *consumed = calloc(t->n_blocks ? t->n_blocks : 1, 1);
    c->leftover = malloc((t->live_at_end ? t->live_at_end : 1) * sizeof *c->leftover);
    if (!c->blocks || !c->order || !c->workers || !consumed || !c->leftover) {
        free(consumed);
        snprintf(err, errlen, "replay: out of memory for %zu events", t->n_events);
        replay_teardown(c);
        return NULL;
    }
    memset(c->workers, 0, nt * sizeof(rp_worker));
    /* Counting sort of the events by thread keeps each thread's order. */
    size_t start = 0;
    for (uint32_t k = 0; k < nt; k++) {
        c->workers[k].ctx = c;
        c->workers[k].events = c->order + start;
        start += t->thread_events[k];
    }
    for (size_t i = 0; i < t->n_events; i++) {
        rp_worker *w = &c->workers[t->events[i].thread];
        ((uint32_t *)w->events)[w->n_events++] = (uint32_t)i;
        if (t->events[i].old != HL_TRACE_NONE)
            consumed[t->events[i].old] = true;
    }
    for (uint32_t id = 0; id < t->n_blocks; id++)
        if (!consumed[id] && c->n_leftover < t->live_at_end)
            c->leftover[c->n_leftover++] = id;
    free(consumed);
#ifdef HL_DEBUG
    /* Each thread's list holds exactly its events, in sequence order. */
    for (uint32_t k = 0; k < nt; k++) {
        const rp_worker *w = &c->workers[k];
        if (w->n_events != t->thread_events[k])
            abort();
        for (size_t i = 0; i < w->n_events; i++)
            if (t->events[w->events[i]].thread != k || (i && w->events[i] <= w->events[i - 1]))
                abort();
    }
    if (c->n_leftover != t->live_at_end)
        abort();
#endif
    return c;
}

static int replay_verify(void *p, char *err, size_t errlen)
{
    rp_ctx *c = p;
    uint32_t nt = c->trace.n_threads ? c->trace.n_threads : 1;
    uint64_t allocs = 0, reallocs = 0, frees = 0, bad = c->cleanup_mismatches;
    for (uint32_t t = 0; t < nt; t++) {
        rp_worker *w = &c->workers[t];
        if (w->failed) {
            snprintf(err, errlen, "replay: an allocation failed or a thread could not start (thread %u)", t);
            return -1;
        }
        allocs += w->allocs;
        reallocs += w->reallocs;
        frees += w->frees;
        bad += w->mismatches;
    }
    if (bad) {
        snprintf(err, errlen, "replay: %" PRIu64 " blocks had a damaged stamp or non-zero calloc memory",
                 bad);
        return -1;
    }
    const hl_trace *t = &c->trace;
    if (allocs != c->passes * t->allocs || reallocs != c->passes * t->reallocs ||
        frees != c->passes * t->frees || c->cleanup_frees != c->passes * c->n_leftover) {
        snprintf(err, errlen,
                 "replay: %" PRIu64 " passes replayed %" PRIu64 " allocs, %" PRIu64 " reallocs, %" PRIu64
                 " frees, %" PRIu64 " cleanup frees; the trace has %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%zu per pass",
                 c->passes, allocs, reallocs, frees, c->cleanup_frees, t->allocs, t->reallocs, t->frees,
                 c->n_leftover);
        return -1;
    }
    return 0;
}

static size_t replay_metrics(void *p, hl_metric *out, size_t max)
{
    rp_ctx *c = p;
    const hl_trace *t = &c->trace;
    struct {
        const char *name;
        double v;
        const char *unit;
    } m[] = {
        {"checksum", (double)(t->allocs * 3 + t->reallocs * 5 + t->frees * 7), ""},
        {"trace_events", (double)t->n_events, "events"},
        {"trace_threads", (double)t->n_threads, "threads"},
        {"trace_blocks", (double)t->n_blocks, "blocks"},
        {"trace_peak_live_bytes", (double)t->peak_live_bytes, "B"},
        {"unknown_frees", (double)t->unknown_frees, "calls"},
        {"unknown_reallocs", (double)t->unknown_reallocs, "calls"},
        {"null_frees", (double)t->null_frees, "calls"},
        {"failed_calls", (double)t->failed_calls, "calls"},
        {"aligned_as_malloc", (double)t->aligned_calls, "calls"},
        {"live_at_end", (double)t->live_at_end, "blocks"},
    };
    size_t k = 0;
    for (; k < sizeof m / sizeof m[0] && k < max; k++) {
        snprintf(out[k].name, sizeof out[k].name, "%s", m[k].name);
        out[k].value = m[k].v;
        out[k].unit = m[k].unit;
    }
    return k;
}

static const hl_metric_desc replay_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"trace_events", "events", "events in the trace", false, NULL},
    {"trace_threads", "threads", "threads recorded in the trace", false, NULL},
    {"trace_blocks", "blocks", "distinct blocks the trace allocates", false, NULL},
    {"trace_peak_live_bytes", "B", "peak of live bytes the trace requested", false, NULL},
    {"unknown_frees", "calls", "frees of blocks the trace never allocated (skipped)", false, NULL},
    {"unknown_reallocs", "calls", "reallocs of unknown blocks (replayed as malloc)", false, NULL},
    {"null_frees", "calls", "free(NULL) calls", false, NULL},
    {"failed_calls", "calls", "calls that failed when recorded", false, NULL},
    {"aligned_as_malloc", "calls", "aligned allocations replayed as malloc", false, NULL},
    {"live_at_end", "blocks", "blocks still live at the end of the trace", false, NULL},
};

const hl_workload hl_wl_replay = {
    .name = "replay",
    .description = "replays a recorded malloc trace (--trace FILE or HEAPLAB_TRACE) with its threads",
    .layer = HL_LAYER_RAW,
    .threaded = false, /* the thread count is the trace's */
    .op_unit = "replayed allocator call",
    .params = replay_params,
    .n_params = P_COUNT,
    .setup = replay_setup,
    .run = replay_run,
    .verify = replay_verify,
    .metrics = replay_metrics,
    .metric_descs = replay_metric_descs,
    .n_metric_descs = sizeof replay_metric_descs / sizeof replay_metric_descs[0],
    .data = HL_DATA_TRACE,
    .teardown = replay_teardown,
};
