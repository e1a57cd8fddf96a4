/* inspect.h - the seed's tools on an object-layer workload, at chosen
 * points of its run: gc.get_stats() / get_count() / thresholds over time,
 * objgraph's show_most_common_types and show_growth, a sys.getrefcount
 * histogram by type, a back-reference chain from an object of a chosen
 * type to a root with the reference graph around it (DOT), and
 * memory_profiler's timeline with its peak, the collections and the
 * phases of the run.
 *
 * The workload is driven from the outside through its own interface
 * (workloads/workload.h): setup, then run(ctx, 1) once per iteration, and
 * the inspection happens between iterations through the runtime the
 * workload was given, with the object layer's public API only
 * (objects/gc.h, objects/introspect.h).  Nothing in the workload or the
 * object layer knows it is being watched.
 *
 *     hl_inspect_opts o; hl_inspect_opts_default(&o);
 *     o.iterations = 2000; o.n_points = 2; o.points[0] = 0; o.points[1] = 2000;
 *     (or o.even_points = 5 and o.operations = 100000: the defaults)
 *     hl_inspection x;
 *     if (hl_inspect_run(wl, &env, &alloc, &o, &x, err, sizeof err) != 0) ...
 *     hl_inspect_write_text(&x, stdout);   // inspect_out.c
 *     hl_inspection_free(&x);
 *
 * Used by heaplab-inspect-<variant> (inspect_main.c) and tests/test_inspect.c.
 */
#ifndef HL_INSPECT_H
#define HL_INSPECT_H

#include "../allocators/alloc.h"
#include "../objects/gc.h"
#include "../workloads/workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HL_INSPECT_MAX_POINTS 64
#define HL_INSPECT_MAX_CHAIN 256
#define HL_INSPECT_NAME 64

/* sys.getrefcount buckets: 1, 2, 3-4, 5-8, 9-16, 17-256, 257 and more,
 * immortal (PEP 683). */
#define HL_INSPECT_BUCKETS 8
extern const char *const hl_inspect_bucket_names[HL_INSPECT_BUCKETS];
int hl_inspect_bucket(uint64_t refcnt);

/* The run is run(ctx, 1) `iterations` times; with iterations 0, enough
 * times for about `operations` operations, as the cells' fixed-work pass
 * does (the first iteration says how many one performs).  The points are
 * the iteration counts listed (ascending, each in 0..iterations; 0 is
 * right after set-up), or, with none listed, `even_points` of them spread
 * evenly from 0 to the end. */
typedef struct hl_inspect_opts {
    uint64_t iterations;
    uint64_t operations;
    size_t n_points;
    uint64_t points[HL_INSPECT_MAX_POINTS];
    size_t even_points;
    const char *type;           /* chain from an object of this type; NULL: the most
                                 * common container type at each point */
    unsigned depth;             /* reference graphs: edges from the object; 0: back
                                 * to the root and two levels down */
    size_t top;                 /* rows of the type tables */
    size_t max_graph_nodes;     /* a graph above this is cut to a smaller depth */
    unsigned sample_ms;         /* memory timeline period; 0: no sampler */
} hl_inspect_opts;

void hl_inspect_opts_default(hl_inspect_opts *o);

typedef struct hl_inspect_count {
    char name[HL_INSPECT_NAME];
    uint64_t count;
    int64_t delta;              /* growth: increase over the previous peak */
} hl_inspect_count;

typedef struct hl_inspect_hist {
    char name[HL_INSPECT_NAME];
    uint64_t n[HL_INSPECT_BUCKETS];
    uint64_t total;
} hl_inspect_hist;

/* One link of a back-reference chain: an object, and how it refers to the
 * next one ("[3]", "'next'", "__dict__"; "" for the last). */
typedef struct hl_inspect_link {
    char type[HL_INSPECT_NAME];
    char via[HL_INSPECT_NAME];
    uint64_t refcnt;
} hl_inspect_link;

typedef struct hl_inspect_point {
    uint64_t iteration;         /* after this many iterations (0: right after set-up) */
    double t_s;                 /* since the inspection started (before set-up) */
    hl_gc_stats gc[HL_GC_GENERATIONS];       /* the workload's own collections so far */
    uint64_t gc_count[HL_GC_GENERATIONS];    /* gc.get_count() */
    uint32_t threshold[HL_GC_GENERATIONS];   /* gc.get_threshold() */
    uint64_t live_objects, tracked;
    int64_t live_bytes;
    size_t n_common;
    hl_inspect_count *common;   /* show_most_common_types: every type with live objects,
                                 * most common first (the report prints `top` rows) */
    size_t n_growth;
    hl_inspect_count *growth;   /* show_growth (after its full collection), top rows */
    size_t n_hist;
    hl_inspect_hist *hist;      /* refcounts of the objects reached, by type */
    uint64_t walked;            /* objects reached from the heap's roots */
    size_t n_roots;             /* top-level objects the walk started from */
    char target_type[HL_INSPECT_NAME]; /* "" when no object of the type was live */
    size_t target_depth;        /* its distance from a root in the walk */
    size_t chain_len;
    hl_inspect_link chain[HL_INSPECT_MAX_CHAIN]; /* root first, the object last */
    /* The walk's own path to it from a top-level object (forward edges),
     * which also passes through untracked containers - the ones
     * gc.get_referrers, and so find_backref_chain, cannot see (CPython
     * untracks tuples of atomic items the same way).  path_cut: links
     * left out at the top when the path is longer than the array. */
    size_t path_len, path_cut;
    hl_inspect_link path[HL_INSPECT_MAX_CHAIN];
    char *path_dot;             /* the path as a DOT digraph, malloc'd */
    char *backrefs_dot;         /* hl_show_backrefs around it, malloc'd, or NULL */
    unsigned backrefs_depth;
    size_t backrefs_nodes;
    char *refs_dot;             /* hl_show_refs from it */
    unsigned refs_depth;
    size_t refs_nodes;
    double cost_s;              /* time this point's inspection took */
} hl_inspect_point;

/* A collection seen between two iterations (or the inspection's own). */
typedef struct hl_inspect_gc_event {
    double t_s;
    uint64_t iteration;
    int generation;
    uint64_t pause_ns;
    uint64_t collected;
    bool by_inspect;            /* show_growth's full collection at a point */
} hl_inspect_gc_event;

typedef struct hl_inspect_count_sample {
    double t_s;
    uint64_t iteration;
    uint64_t count[HL_GC_GENERATIONS];
} hl_inspect_count_sample;

typedef struct hl_inspect_mem_sample {
    double t_s;
    uint64_t rss_bytes;
    int64_t live_bytes;
} hl_inspect_mem_sample;

/* Invariants once hl_inspect_run returned 0: points are in ascending
 * iteration order, one per requested point; events and count samples are
 * in time order; t_setup <= t_run <= t_verify <= t_end. */
typedef struct hl_inspection {
    char workload[64];
    size_t top;                 /* rows of the type tables in the report */
    char type[HL_INSPECT_NAME]; /* opts.type, "" when not given */
    uint64_t iterations, operations;
    double t_setup, t_run, t_verify, t_end;  /* phase ends, s since the start */
    double run_s;               /* inside run(ctx, 1) */
    double poll_s;              /* between iterations: reading the GC's counters */
    double points_s;            /* at the points */
    uint64_t rss_start_bytes;   /* resident when the inspection started */
    uint64_t peak_rss_bytes;    /* the workload's: samples taken while a point was
                                 * inspected (whose tables the RSS holds) left out */
    double peak_t_s;
    hl_gc_stats gc_end[HL_GC_GENERATIONS];   /* the workload's own, after the run */
    uint64_t inspect_collections;
    size_t n_points;
    hl_inspect_point points[HL_INSPECT_MAX_POINTS];
    size_t n_events, cap_events;
    hl_inspect_gc_event *events;
    size_t n_counts, cap_counts;
    hl_inspect_count_sample *counts;
    size_t n_mem;
    hl_inspect_mem_sample *mem;
    bool type_found;            /* opts.type was live at some point */
    char types_seen[800];       /* "int, str, Node, ..." for the error message */
    bool verified;
    char verify_error[300];
} hl_inspection;

/* Runs the workload as above.  env->rt must be the runtime the caller
 * created (and entered) on alloc.  0; -1 with one line in err (set-up
 * failed, out of memory); or HL_INSPECT_BAD_POINT with one line naming the
 * point outside the run.  A failed verification is not an error here:
 * verified is false and verify_error says why. */
#define HL_INSPECT_BAD_POINT (-2)
int hl_inspect_run(const hl_workload *wl, const hl_wl_env *env, hl_allocator *alloc,
                   const hl_inspect_opts *o, hl_inspection *out, char *err, size_t errlen);
void hl_inspection_free(hl_inspection *x);

/* inspect_heap.c: one point's heap inspection (everything but the GC
 * counters and show_growth, which hl_inspect_run reads around it). */
int hl_inspect_heap(struct hl_rt *rt, const hl_inspect_opts *o, hl_inspect_point *p,
                    char *err, size_t errlen);

/* inspect_out.c: the terminal report, --format json, and the data files
 * of DIR (timeline.csv, gc_events.csv, gc_count.csv, inspect.json and the
 * DOT files, graph-p<K>.dot, refs-p<K>.dot, path-p<K>.dot).  0, or -1
 * with one line. */
void hl_inspect_write_text(const hl_inspection *x, const char *backend, FILE *f);
int hl_inspect_write_json(const hl_inspection *x, const char *backend, FILE *f);
int hl_inspect_write_files(const hl_inspection *x, const char *backend, const char *dir,
                           char *err, size_t errlen);

/* inspect_render.c: pictures of DIR's files, each skipped with one line on
 * stderr when its tool is missing (Graphviz for the graphs, gnuplot for
 * the timeline); returns the number of images written. */
unsigned hl_inspect_render(const hl_inspection *x, const char *dir, bool quiet);

#endif
