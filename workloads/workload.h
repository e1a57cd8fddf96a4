/* workload.h - what a workload is: a self-describing, deterministic,
 * self-verifying program that drives the object layer or a raw allocator.
 *
 * A workload knows nothing of timing, processes or output formats.  The
 * harness calls, in one process:
 *
 *     ctx = setup(env)          build long-lived state (not timed)
 *     run(ctx, n) ...           n iterations; returns operations performed
 *                               (timed; called repeatedly by the benchmark loop)
 *     verify(ctx)               checksum / invariants: a broken allocator
 *                               fails the cell instead of giving a fast wrong number
 *     metrics(ctx)              workload-specific figures (optional)
 *     teardown(ctx)
 *
 * Determinism: everything random derives from env->seed; the same seed and
 * parameters give the same sequence of allocator calls (for single-threaded
 * workloads; threaded ones have the same per-thread sequences).
 *
 * Adding a workload = one file defining an hl_workload plus one line in
 * workloads/registry.c (docs/DESIGN.md, "Adding a workload").
 */
#ifndef HL_WORKLOAD_H
#define HL_WORKLOAD_H

#include "../allocators/alloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The fixed-work pass of a workload that declares none (hl_workload's
 * fixed_ops), and the measure against which a declared one is a scale. */
#define HL_WL_FIXED_OPS_DEFAULT 1000000

struct hl_rt; /* objects/runtime.h: the object layer's runtime */

typedef enum hl_layer {
    HL_LAYER_OBJECTS, /* drives the object layer (env->rt) */
    HL_LAYER_RAW      /* drives one raw allocator (env->raw) */
} hl_layer;

/* An integer parameter.  `quick` is the value the quick suite uses (small,
 * so the whole matrix runs in minutes); `def` is the full-size default.
 * An enumeration names its values: labels[v - min] for v in [min, max]
 * (labels has max - min + 1 entries), so reports can say "mode=frozen"
 * where the cell id says "mode=2". */
typedef struct hl_param {
    const char *name;
    const char *help;
    int64_t def;
    int64_t quick;
    int64_t min;
    int64_t max;
    const char *const *labels; /* NULL: a plain number */
} hl_param;

/* Who holds the runtime lock (allocators/gil.h) while the workload runs.
 * The cell is the lock's one owner and applies the policy; a workload never
 * takes it around its own set-up or run. */
typedef enum hl_lock_policy {
    /* The cell takes the lock before set-up and keeps it until after
     * tear-down, as an interpreter thread holds the GIL across its whole
     * program: every call comes from the one thread that holds it (object
     * layer; single-threaded raw workloads).  A workload that still starts
     * threads (replay of a multi-threaded trace) releases the lock while it
     * waits for them, as a CPython thread releases the GIL while it blocks
     * in a join. */
    HL_LOCK_WHOLE_RUN = 0,
    /* Nobody holds it across the run: each call takes it when the backend
     * needs it (alloc.h), which is what pymalloc would cost a threaded
     * program (threaded raw workloads). */
    HL_LOCK_PER_CALL
} hl_lock_policy;

/* Data a workload reads from outside the process (env->data_path). */
typedef enum hl_wl_data {
    HL_DATA_NONE = 0,
    HL_DATA_TRACE /* a malloc trace (workloads/trace_format.h); the driver
                   * checks it at plan time and leaves the workload out of a
                   * default suite when there is none */
} hl_wl_data;

typedef struct hl_wl_env {
    hl_allocator *raw;     /* HL_LAYER_RAW: the allocator under test */
    struct hl_rt *rt;      /* HL_LAYER_OBJECTS: runtime on the allocator under test */
    unsigned threads;      /* >= 1; only meaningful when the workload is threaded */
    uint64_t seed;
    const int64_t *params; /* one value per hl_workload.params entry, validated */
    const char *data_path; /* the file a workload with data != HL_DATA_NONE reads, or NULL */
} hl_wl_env;

/* A workload-specific figure, e.g. {"private_dirty_kib_child0", 1234, "KiB"}. */
typedef struct hl_metric {
    char name[48];
    double value;
    const char *unit;
} hl_metric;

/* What a workload declares about a figure it reports, so that the harness
 * can label, chart and check it without knowing the workload.  Every
 * hl_metric a workload writes matches exactly one descriptor: by name, or,
 * for a series, by name followed by a decimal index (name0, name1, ...). */
typedef struct hl_metric_desc {
    const char *name;
    const char *unit;  /* "" for a pure number */
    const char *help;  /* one line */
    bool series;       /* one value per item of the run (a forked child) */
    const char *chart; /* plots/<chart>.gp draws it, or NULL */
} hl_metric_desc;

/* The checksum most workloads report (hl_metric_checksum). */
#define HL_METRIC_DESC_CHECKSUM \
    {"checksum", "", "checksum of what the run computed (same seed, same value)", false, NULL}

typedef struct hl_workload {
    const char *name;
    const char *description; /* one line */
    hl_layer layer;
    bool threaded;           /* honours env->threads */
    /* Its operations run in forked children.  Instructions mode cannot
     * count them: callgrind gives each child its own count, which the
     * cell's one dump of the parent does not hold. */
    bool forks;
    const char *op_unit;     /* what one operation is: "alloc+free", "tree node", ... */
    const hl_param *params;
    size_t n_params;
    hl_lock_policy lock;
    hl_wl_data data;
    const hl_metric_desc *metric_descs; /* what metrics() may write */
    size_t n_metric_descs;
    /* Operations of the fixed-work pass (harness/cell_fixed.c) at full
     * sizes, the quick suite running a tenth; 0: the harness's default
     * (HL_WL_FIXED_OPS_DEFAULT).  For workloads whose one operation is long
     * (thousands of writes), so that the pass stays a fraction of the timed
     * one; instructions mode's default count shrinks in the same
     * proportion (harness/cell_instr.c). */
    uint64_t fixed_ops;

    /* Returns a context, or NULL with one line in err. */
    void *(*setup)(const hl_wl_env *env, char *err, size_t errlen);
    /* Performs n iterations; returns the operations performed (>= n). */
    uint64_t (*run)(void *ctx, uint64_t n);
    /* 0 when the workload's invariants hold, else -1 with one line in err. */
    int (*verify)(void *ctx, char *err, size_t errlen);
    /* Optional: workload-specific figures; returns how many were written. */
    size_t (*metrics)(void *ctx, hl_metric *out, size_t max);
    void (*teardown)(void *ctx);
} hl_workload;

/* Writes the one metric most raw workloads report, their checksum, into
 * out[0]; returns how many metrics were written (0 when max is 0). */
static inline size_t hl_metric_checksum(hl_metric *out, size_t max, uint64_t checksum)
{
    if (max < 1)
        return 0;
    snprintf(out[0].name, sizeof out[0].name, "checksum");
    out[0].value = (double)checksum;
    out[0].unit = "";
    return 1;
}

/* ---- registry (workloads/registry.c) ------------------------------------ */
size_t hl_workload_count(void);
const hl_workload *hl_workload_at(size_t i);
const hl_workload *hl_workload_find(const char *name);

/* Index of a parameter by name, or -1. */
int hl_workload_param_index(const hl_workload *w, const char *name);

/* The descriptor a reported metric name matches (see hl_metric_desc), or
 * NULL. */
const hl_metric_desc *hl_workload_metric_desc(const hl_workload *w, const char *name);

#endif
