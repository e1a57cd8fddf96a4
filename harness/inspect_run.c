/* inspect_run.c - drives one object-layer workload and inspects it at the
 * chosen points (see inspect.h).
 *
 * How it works
 * ------------
 *   t = 0    the memory sampler starts (harness/timeline.h: RSS and the
 *            backend's live bytes every sample_ms, in its own thread)
 *            setup(env)                                   phase "set-up"
 *            for each iteration: run(ctx, 1), then read the collector's
 *            per-generation counters; each collection since the last
 *            read becomes an event with its pause (hl_gc_pauses keeps
 *            every pause in order, so the new ones are its tail)  "run"
 *            at each point: the GC counters, then the heap
 *            (inspect_heap.c), then show_growth, whose full collection
 *            (objgraph's gc.collect()) is recorded as the inspection's own
 *            event and subtracted from the workload's counts
 *            verify(ctx)                                   "verify"
 *            teardown(ctx)                                 "tear-down"
 *
 * One iteration per run() call is the finest step the workload interface
 * allows; the workloads are deterministic per iteration, so stepping does
 * not change what they do.  What stepping costs is measured: the time
 * inside run() (run_s), between the calls (poll_s) and at the points
 * (points_s) are reported separately, so "what inspection added" is
 * poll_s + points_s next to run_s.
 */
#include "inspect.h"

#include "../objects/introspect.h"
#include "../objects/runtime.h"
#include "procfs.h"
#include "timeline.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* gc.get_count() samples kept over a run: enough for the saw-tooth of
 * gen-0 collections to show, bounded for long runs. */
#define COUNT_SAMPLES 4000

void hl_inspect_opts_default(hl_inspect_opts *o)
{
    memset(o, 0, sizeof *o);
    o->iterations = 0;
    o->operations = 100000; /* the quick suite's fixed-work pass (plan.h) */
    o->even_points = 5;
    o->depth = 0; /* graphs: back to the root, two levels down */
    o->top = 10;
    o->max_graph_nodes = 150;
    o->sample_ms = 5;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct run_state {
    const hl_workload *wl;
    hl_rt *rt;
    hl_allocator *alloc;
    const hl_inspect_opts *o;
    hl_inspection *x;
    double t0;
    hl_gc_stats prev[HL_GC_GENERATIONS];   /* counters at the last read */
    size_t prev_pauses[HL_GC_GENERATIONS]; /* pauses logged at the last read */
    hl_gc_stats by_inspect[HL_GC_GENERATIONS];
    bool oom;
} run_state;

static void add_event(run_state *st, double t, uint64_t it, int g, uint64_t pause,
                      uint64_t collected, bool by_inspect)
{
    hl_inspection *x = st->x;
    if (x->n_events == x->cap_events) {
        size_t cap = x->cap_events ? x->cap_events * 2 : 256;
        hl_inspect_gc_event *e = realloc(x->events, cap * sizeof *e);
        if (!e) {
            st->oom = true;
            return;
        }
        x->events = e;
        x->cap_events = cap;
    }
    x->events[x->n_events++] =
        (hl_inspect_gc_event){t, it, g, pause, collected, by_inspect};
}

/* The collections since the last read, as events at time t; returns how
 * many objects they collected per generation into got (may be NULL). */
static void read_collections(run_state *st, double t, uint64_t it, bool by_inspect,
                             uint64_t got[HL_GC_GENERATIONS])
{
    hl_gc_stats now[HL_GC_GENERATIONS];
    hl_gc_get_stats(st->rt, now);
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        uint64_t n = now[g].collections - st->prev[g].collections;
        uint64_t collected = now[g].collected - st->prev[g].collected;
        if (got)
            got[g] = collected;
        if (n == 0)
            continue;
        const uint64_t *pauses;
        size_t np;
        hl_gc_pauses(st->rt, g, &pauses, &np);
        for (uint64_t k = 0; k < n; k++) {
            size_t idx = st->prev_pauses[g] + (size_t)k;
            /* the collected count of several collections in one step goes
             * to the last of them */
            add_event(st, t, it, g, idx < np ? pauses[idx] : 0, k + 1 == n ? collected : 0,
                      by_inspect);
        }
        st->prev_pauses[g] = np;
    }
    memcpy(st->prev, now, sizeof now);
}

static void count_sample(run_state *st, double t, uint64_t it)
{
    hl_inspection *x = st->x;
    if (x->n_counts == x->cap_counts) {
        size_t cap = x->cap_counts ? x->cap_counts * 2 : 512;
        hl_inspect_count_sample *c = realloc(x->counts, cap * sizeof *c);
        if (!c) {
            st->oom = true;
            return;
        }
        x->counts = c;
        x->cap_counts = cap;
    }
    hl_inspect_count_sample *c = &x->counts[x->n_counts++];
    c->t_s = t;
    c->iteration = it;
    hl_gc_get_count(st->rt, c->count);
}

static void copy_counts(hl_inspect_count **dst, size_t *n, const hl_type_count *src, size_t k)
{
    *dst = calloc(k ? k : 1, sizeof **dst);
    if (!*dst) {
        *n = 0;
        return;
    }
    for (size_t i = 0; i < k; i++) {
        snprintf((*dst)[i].name, sizeof (*dst)[i].name, "%s", src[i].name);
        (*dst)[i].count = src[i].count;
        (*dst)[i].delta = src[i].delta;
    }
    *n = k;
}

/* A name list for the error message of an unknown --type: every type
 * with live objects at a point. */
static void note_types(hl_inspection *x, const hl_inspect_point *p)
{
    for (size_t i = 0; i < p->n_common; i++) {
        const char *name = p->common[i].name;
        size_t ln = strlen(name);
        bool have = false;
        for (const char *q = x->types_seen; (q = strstr(q, name)) != NULL; q += ln)
            if ((q == x->types_seen || q[-1] == ' ') && (q[ln] == ',' || q[ln] == '\0'))
                have = true;
        if (!have && strlen(x->types_seen) + ln + 3 < sizeof x->types_seen)
            snprintf(x->types_seen + strlen(x->types_seen),
                     sizeof x->types_seen - strlen(x->types_seen), "%s%s",
                     x->types_seen[0] ? ", " : "", name);
    }
}

static int do_point(run_state *st, uint64_t it, char *err, size_t errlen)
{
    hl_inspection *x = st->x;
    double start = now_s();
    hl_inspect_point *p = &x->points[x->n_points++];
    memset(p, 0, sizeof *p);
    p->iteration = it;
    p->t_s = start - st->t0;
    /* The workload's counters first, before the inspection touches them. */
    read_collections(st, p->t_s, it, false, NULL);
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        p->gc[g].collections = st->prev[g].collections - st->by_inspect[g].collections;
        p->gc[g].collected = st->prev[g].collected - st->by_inspect[g].collected;
        p->gc[g].uncollectable = st->prev[g].uncollectable - st->by_inspect[g].uncollectable;
    }
    hl_gc_get_count(st->rt, p->gc_count);
    hl_gc_get_threshold(st->rt, p->threshold);
    p->live_objects = hl_rt_live_objects(st->rt);
    p->tracked = hl_gc_tracked_count(st->rt);
    hl_alloc_stats as;
    hl_allocator_stats(st->alloc, &as);
    p->live_bytes = as.live_bytes;
    count_sample(st, p->t_s, it);

    if (hl_inspect_heap(st->rt, st->o, p, err, errlen) != 0)
        return -1;
    for (size_t i = 0; st->o->type && i < p->n_common; i++)
        if (strcmp(p->common[i].name, st->o->type) == 0)
            x->type_found = true;
    note_types(x, p);

    /* objgraph.show_growth: a full collection, then the types above their
     * peak.  That collection is the inspection's, not the workload's. */
    size_t cap = 512;
    hl_type_count *g = malloc(cap * sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = hl_growth(st->rt, g, cap);
    size_t k = n < cap ? n : cap;
    copy_counts(&p->growth, &p->n_growth, g, k < st->o->top ? k : st->o->top);
    free(g);
    hl_gc_stats before[HL_GC_GENERATIONS];
    memcpy(before, st->prev, sizeof before);
    read_collections(st, now_s() - st->t0, it, true, NULL);
    for (int q = 0; q < HL_GC_GENERATIONS; q++) {
        st->by_inspect[q].collections += st->prev[q].collections - before[q].collections;
        st->by_inspect[q].collected += st->prev[q].collected - before[q].collected;
        st->by_inspect[q].uncollectable += st->prev[q].uncollectable - before[q].uncollectable;
        x->inspect_collections += st->prev[q].collections - before[q].collections;
    }
    p->cost_s = now_s() - start;
    x->points_s += p->cost_s;
    return st->oom ? (snprintf(err, errlen, "out of memory"), -1) : 0;
}

/* Was time t inside a point's inspection (or one sampling period after
 * it, the sample that still saw its memory)? */
static bool inspecting(const hl_inspection *x, double t, double period)
{
    for (size_t k = 0; k < x->n_points; k++)
        if (t >= x->points[k].t_s && t <= x->points[k].t_s + x->points[k].cost_s + period)
            return true;
    return false;
}

/* The samples, in our time; the peak is the workload's: the inspection's
 * own bookkeeping (the walk's tables, in the process malloc) can raise the
 * RSS while a point is inspected, and those samples are left out of it. */
static void copy_timeline(hl_inspection *x, hl_timeline *tl, double offset, double period)
{
    size_t n = hl_timeline_count(tl);
    x->mem = calloc(n ? n : 1, sizeof *x->mem);
    if (!x->mem)
        return;
    for (size_t i = 0; i < n; i++) {
        const hl_timeline_sample *s = hl_timeline_at(tl, i);
        x->mem[i].t_s = s->t_seconds + offset;
        x->mem[i].rss_bytes = s->rss_bytes;
        x->mem[i].live_bytes = s->live_bytes;
        if (s->rss_bytes > x->peak_rss_bytes && !inspecting(x, x->mem[i].t_s, period)) {
            x->peak_rss_bytes = s->rss_bytes;
            x->peak_t_s = x->mem[i].t_s;
        }
    }
    x->n_mem = n;
}

/* The points as iteration counts in a run of `total` iterations. */
static int resolve_points(const hl_inspect_opts *o, uint64_t total, uint64_t *pts, size_t *n,
                          char *err, size_t errlen)
{
    *n = 0;
    if (o->n_points) {
        for (size_t i = 0; i < o->n_points; i++) {
            if (o->points[i] > total) {
                snprintf(err, errlen, "point %" PRIu64 " is outside the run, which has %" PRIu64
                                      " iterations: give points from 0 to %" PRIu64,
                         o->points[i], total, total);
                return HL_INSPECT_BAD_POINT;
            }
            pts[(*n)++] = o->points[i];
        }
        return 0;
    }
    for (size_t i = 0; i < o->even_points; i++) {
        uint64_t v = o->even_points == 1 ? total
                                         : (uint64_t)((double)total * (double)i /
                                                          (double)(o->even_points - 1) +
                                                      0.5);
        if (*n == 0 || v > pts[*n - 1])
            pts[(*n)++] = v;
    }
    return 0;
}

int hl_inspect_run(const hl_workload *wl, const hl_wl_env *env, hl_allocator *alloc,
                   const hl_inspect_opts *o, hl_inspection *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->workload, sizeof out->workload, "%s", wl->name);
    out->top = o->top;
    if (o->type)
        snprintf(out->type, sizeof out->type, "%s", o->type);
    if (wl->layer != HL_LAYER_OBJECTS || env->rt == NULL) {
        snprintf(err, errlen, "%s is a raw-allocator workload: inspect needs one on the object "
                              "layer", wl->name);
        return -1;
    }
    if (o->n_points > HL_INSPECT_MAX_POINTS || o->even_points > HL_INSPECT_MAX_POINTS ||
        (o->n_points == 0 && o->even_points == 0) || (o->iterations == 0 && o->operations == 0)) {
        snprintf(err, errlen, "nothing to inspect: no points, or a run of no iterations");
        return -1;
    }
    for (size_t i = 1; i < o->n_points; i++)
        if (o->points[i] <= o->points[i - 1]) {
            snprintf(err, errlen, "points must be given in ascending order without repeats");
            return HL_INSPECT_BAD_POINT;
        }
    run_state st = {.wl = wl, .rt = env->rt, .alloc = alloc, .o = o, .x = out};
    out->rss_start_bytes = hl_proc_rss_bytes();
    st.t0 = now_s();
    hl_timeline *tl = NULL;
    if (o->sample_ms) {
        hl_allocator *as[1] = {alloc};
        tl = hl_timeline_start(as, 1, o->sample_ms, err, errlen);
        if (!tl)
            return -1;
    }
    double tl_offset = now_s() - st.t0; /* the sampler's zero, in our time */
    char werr[300] = "";
    void *ctx = wl->setup(env, werr, sizeof werr);
    if (!ctx) {
        if (tl) {
            hl_timeline_stop(tl);
            hl_timeline_free(tl);
        }
        snprintf(err, errlen, "set-up of workload %s failed: %s", wl->name, werr);
        return -1;
    }
    out->t_setup = now_s() - st.t0;
    /* The set-up's collections are the workload's, before the first event. */
    hl_gc_get_stats(st.rt, st.prev);
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        const uint64_t *p;
        hl_gc_pauses(st.rt, g, &p, &st.prev_pauses[g]);
    }
    /* The points in iterations, known once the run's length is: at once
     * with --iterations, else after the first iteration (point 0 comes
     * before it either way). */
    uint64_t total = o->iterations;
    uint64_t pts[HL_INSPECT_MAX_POINTS];
    size_t npts = 0;
    bool resolved = false;
    size_t next = 0;
    int rc = 0;
    for (uint64_t it = 0; rc == 0; it++) {
        if (!resolved && (total > 0 || it == 1)) {
            resolved = true;
            rc = resolve_points(o, total, pts, &npts, err, errlen);
            if (rc != 0)
                break;
            while (next < npts && pts[next] < it)
                next++; /* point 0, inspected already */
        }
        bool at_point = resolved ? (next < npts && pts[next] == it)
                                 : (it == 0 && (o->n_points ? o->points[0] == 0
                                                            : o->even_points >= 2));
        if (at_point) {
            rc = do_point(&st, it, err, errlen);
            if (resolved)
                next++;
            if (rc != 0)
                break;
        }
        if (resolved && it == total)
            break;
        double a = now_s();
        uint64_t ops = wl->run(ctx, 1);
        double b = now_s();
        out->operations += ops;
        out->run_s += b - a;
        if (total == 0) /* the first iteration: as many as the operations ask */
            total = o->operations / (ops ? ops : 1) + (o->operations % (ops ? ops : 1) != 0);
        read_collections(&st, b - st.t0, it + 1, false, NULL);
        uint64_t every = total / COUNT_SAMPLES + 1;
        if ((it + 1) % every == 0)
            count_sample(&st, b - st.t0, it + 1);
        out->poll_s += now_s() - b;
        if (st.oom) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    out->iterations = total;
    out->t_run = now_s() - st.t0;
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        out->gc_end[g].collections = st.prev[g].collections - st.by_inspect[g].collections;
        out->gc_end[g].collected = st.prev[g].collected - st.by_inspect[g].collected;
        out->gc_end[g].uncollectable = st.prev[g].uncollectable - st.by_inspect[g].uncollectable;
    }
    if (rc == 0) {
        out->verified = wl->verify(ctx, out->verify_error, sizeof out->verify_error) == 0;
        if (out->verified)
            out->verify_error[0] = '\0';
    }
    out->t_verify = now_s() - st.t0;
    wl->teardown(ctx);
    out->t_end = now_s() - st.t0;
    if (tl) {
        hl_timeline_stop(tl);
        copy_timeline(out, tl, tl_offset, o->sample_ms / 1000.0);
        hl_timeline_free(tl);
    }
    return rc;
}

void hl_inspection_free(hl_inspection *x)
{
    for (size_t i = 0; i < x->n_points; i++) {
        hl_inspect_point *p = &x->points[i];
        free(p->common);
        free(p->growth);
        free(p->hist);
        free(p->backrefs_dot);
        free(p->refs_dot);
        free(p->path_dot);
    }
    free(x->events);
    free(x->counts);
    free(x->mem);
    memset(x, 0, sizeof *x);
}
