/* cell.h - one measured cell, shared by the rooms of the cell program:
 *
 *   cell_main.c      the order of things: check, open, set up, measure,
 *                    verify, tear down, report
 *   cell_args.c      the command line and the workload's parameters
 *   cell_describe.c  --describe [--json]: what this variant hosts
 *   cell_fixed.c     the fixed-work pass: memory and GC at equal work
 *   cell_time.c      time mode: Google Benchmark through the C shim
 *   cell_instr.c     instructions mode: callgrind
 *   cell_report.c    cell.json and gc_pauses.csv
 *
 * Not a public interface: the cell program is its only user.  What the
 * driver may rely on is in protocol.h and docs/results-format.md.
 */
#ifndef HL_CELL_H
#define HL_CELL_H

#include "../allocators/alloc.h"
#include "../allocators/registry.h"
#include "../workloads/workload.h"
#include "bench.h"
#include "procfs.h"
#include "protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_CELL_MAX_PARAMS 32
#define HL_CELL_MAX_REPS 1000
#define HL_CELL_MAX_METRICS 64
#define HL_CELL_MAX_GB_ARGS 32
#define HL_CELL_MAX_MODEL_OPTIONS 16

#define HL_CELL_DEFAULT_SEED 1
#define HL_CELL_DEFAULT_MIN_TIME 0.5
#define HL_CELL_DEFAULT_TIMELINE_MS 10
#define HL_CELL_DEFAULT_INSTR_OPERATIONS 20000

typedef enum hl_cell_measure { HL_MEASURE_TIME, HL_MEASURE_INSTRUCTIONS } hl_cell_measure;

/* The command line, validated field by field (cell_args.c). */
typedef struct hl_cell_opts {
    bool describe, json;
    long protocol;            /* --protocol N, -1 when not given */
    const char *backend;      /* spec, e.g. "pool:raw=system" */
    const char *workload;
    size_t n_param_args;
    const char *param_args[HL_CELL_MAX_PARAMS]; /* "k=v" as given */
    uint64_t threads;
    uint64_t seed;
    uint64_t repetitions;
    uint64_t samples;         /* time mode: equal-work samples in one --min-time (cell_time.c) */
    double min_time_s;
    double warmup_time_s;
    bool quick;               /* --suite-size quick */
    const char *out_dir;
    int64_t timeline_ms;      /* -1: default (object-layer and threaded cells on) */
    const char *trace;
    hl_cell_measure measure;
    uint64_t iterations;      /* instructions mode; 0: default */
    uint64_t fixed_ops;       /* time mode: operations of the fixed-work pass; 0: none */
    const char *callgrind_out;
    bool have_gc_threshold;
    uint32_t gc_threshold[3];
    const char *python_model;   /* --python-model, NULL: the build's default */
    size_t n_model_options;
    const char *model_options[HL_CELL_MAX_MODEL_OPTIONS]; /* --model-option NAME=VALUE */
    const char *call_histogram; /* --call-histogram FILE */
    bool quiet;
    int n_gb_args;
    char *gb_args[HL_CELL_MAX_GB_ARGS]; /* --benchmark_* passed through */
} hl_cell_opts;

/* One Google Benchmark repetition as the cell reports it. */
typedef struct hl_cell_rep {
    uint64_t iterations;
    uint64_t operations;
    double real_ns_per_iter, cpu_ns_per_iter;
    double ns_per_op, cpu_ns_per_op;
    bool has_memory;
    double allocs_per_op;     /* memory manager: allocations per operation */
    hl_bench_mem_result memory;
    bool error;
    char error_message[256];
} hl_cell_rep;

typedef struct hl_cell_gc_gen {
    uint64_t collections, collected, uncollectable;
    size_t n_pauses;
    uint64_t *pauses_ns;      /* copied, in order: the runtime's array is short-lived */
} hl_cell_gc_gen;

/* Invariants once set-up has succeeded: wl != NULL; params holds one
 * validated value per wl->params entry; n_alloc == 1 and alloc[0] is open
 * on opt.backend; rt != NULL exactly when wl->layer == HL_LAYER_OBJECTS;
 * lock_held tells whether this thread holds the runtime lock for the
 * workload's lock policy (it does from set-up to tear-down when the policy
 * is HL_LOCK_WHOLE_RUN and the backend needs the lock, or always for the
 * object layer, whose runtime is entered). */
typedef struct hl_cell {
    hl_cell_opts opt;
    int argc;
    char **argv;
    const char *variant;

    const hl_workload *wl;
    int64_t params[HL_CELL_MAX_PARAMS];
    int64_t timeline_ms;      /* resolved */

    /* One handle, even for the object layer's two domains (object memory
     * and item arrays): both are on the backend under test, and one handle
     * gives the exact combined peak of live bytes that the memory overhead
     * (peak RSS / peak live) is computed from. */
    size_t n_alloc;
    hl_allocator alloc[1];
    const char *alloc_role[1];
    uint64_t peak_live_seen[1]; /* peaks saved before the memory manager resets them */
    struct hl_rt *rt;
    bool lock_held;
    void *ctx;

    /* outcome */
    const char *status;       /* HL_CELL_STATUS_* */
    char message[512];
    char started[40], finished[40];

    /* process readings */
    hl_procstat at_start, after_setup, before_measure, after_measure, measured;
    int64_t rss_baseline_kib, rss_after_setup_kib;

    /* time mode */
    size_t n_reps;
    hl_cell_rep reps[HL_CELL_MAX_REPS];

    /* the fixed-work pass (time mode with --fixed-ops): memory, GC and the
     * timeline come from it, at the same work for every backend */
    bool fixed_done;
    uint64_t fixed_iterations, fixed_operations;
    hl_procstat fixed_before, fixed_after, fixed;

    /* instructions mode */
    uint64_t instr_iterations, instr_operations, instructions;
    char callgrind_dump[4200];

    /* allocator statistics at the end of the measured part, after teardown */
    hl_alloc_stats stats_end[1];
    int64_t live_after_teardown[1];
    hl_gil_stats gil;

    bool have_gc;
    hl_cell_gc_gen gc[3];
    /* the object runtime's model, for cell.json (object layer only) */
    char python_model[8];
    char model_options[256];
    uint32_t gc_threshold_used[3];

    size_t n_metrics;
    hl_metric metrics[HL_CELL_MAX_METRICS];

    struct hl_timeline *timeline;
    bool wrote_timeline, wrote_gc_pauses;
} hl_cell;

/* One line on stderr, prefixed with the program name (cell_main.c). */
void hl_cell_complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "2026-12-01T10:11:12.345Z" */
void hl_cell_now_iso(char *out, size_t outlen);

/* cell_args.c: 0, 1 for --help (printed), or -1 after complaining. */
int hl_cell_parse_args(hl_cell_opts *o, int argc, char **argv);
/* Fills c->params from the suite size and --param; 0 or -1 after complaining. */
int hl_cell_resolve_params(hl_cell *c);

/* cell_describe.c: prints the description; returns the exit status. */
int hl_cell_describe(bool json);

/* cell_fixed.c: runs the fixed-work pass (when opt.fixed_ops > 0) with the
 * GC marks, the allocator peak and the timeline around it; returns
 * HL_CELL_EXIT_OK or the exit status to stop with. */
int hl_cell_fixed_pass(hl_cell *c);

/* cell_time.c / cell_instr.c: return HL_CELL_EXIT_OK (c->status tells how
 * the measurement went) or the exit status to stop with. */
int hl_cell_measure_time(hl_cell *c);
/* The samples the time pass aims at: --samples, or 1 for a threaded
 * workload (cell_time.c says why). */
uint64_t hl_cell_samples_wanted(const hl_cell *c);
int hl_cell_measure_instructions(hl_cell *c);
/* Instructions mode's and --call-histogram's default iteration count:
 * about HL_CELL_DEFAULT_INSTR_OPERATIONS operations, scaled down as the
 * workload's own fixed_ops is, from a one-iteration probe run now (its
 * operations in *probe_ops; deterministic, so the same command always
 * counts the same N). */
uint64_t hl_cell_default_iterations(hl_cell *c, uint64_t *probe_ops);

/* cell_report.c: each 0, or -1 with one line in err.  Files are written
 * atomically (temporary file, fsync, rename). */
int hl_cell_write_json(const hl_cell *c, char *err, size_t errlen);
int hl_cell_write_gc_pauses(hl_cell *c, char *err, size_t errlen);
int hl_cell_write_timeline(hl_cell *c, char *err, size_t errlen);

#endif
