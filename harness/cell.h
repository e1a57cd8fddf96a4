/* cell.h - the state of one measured cell, shared by cell.c (command line,
 * measurement) and cell_report.c (cell.json, timeline.csv, gc_pauses.csv).
 * Not a public interface: the cell program is the only user.
 */
#ifndef HL_CELL_H
#define HL_CELL_H

#include "../allocators/alloc.h"
#include "../allocators/registry.h"
#include "../workloads/workload.h"
#include "bench.h"
#include "procstat.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses (docs/results-format.md). */
enum {
    HL_CELL_EXIT_OK = 0,
    HL_CELL_EXIT_INTERNAL = 1,     /* results could not be written, out of memory */
    HL_CELL_EXIT_BAD_INPUT = 2,    /* a flag, a parameter, a backend spec, wrong malloc,
                                    * or a set-up the workload refused (missing trace) */
    HL_CELL_EXIT_VERIFY = 3        /* the workload's verification failed */
};

#define HL_CELL_MAX_PARAMS 32
#define HL_CELL_MAX_REPS 1000
#define HL_CELL_MAX_METRICS 64
#define HL_CELL_MAX_GB_ARGS 32

typedef enum hl_cell_measure { HL_MEASURE_TIME, HL_MEASURE_INSTRUCTIONS } hl_cell_measure;

typedef struct hl_cell_opts {
    bool describe, json;
    const char *backend;      /* spec, e.g. "pool:raw=system" */
    const char *workload;
    size_t n_param_args;
    const char *param_args[HL_CELL_MAX_PARAMS]; /* "k=v" as given */
    unsigned threads;
    uint64_t seed;
    int repetitions;
    double min_time_s;
    double warmup_time_s;
    bool quick;               /* --suite-size quick */
    const char *out_dir;
    long timeline_ms;         /* -1: default (10 for object-layer workloads, else 0) */
    const char *trace;
    hl_cell_measure measure;
    uint64_t iterations;      /* instructions mode; 0: default */
    const char *callgrind_out;
    bool have_gc_threshold;
    uint32_t gc_threshold[3];
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

typedef struct hl_cell {
    hl_cell_opts opt;
    int argc;
    char **argv;
    const char *variant;

    const hl_workload *wl;
    int64_t params[HL_CELL_MAX_PARAMS];
    long timeline_ms;         /* resolved */

    /* allocators: [0] is the raw allocator or the object memory, [1] the
     * item arrays (object layer only). */
    size_t n_alloc;
    hl_allocator alloc[2];
    const char *alloc_role[2];
    uint64_t peak_live_seen[2]; /* peaks saved before the memory manager resets them */
    struct hl_rt *rt;
    void *ctx;

    /* outcome */
    const char *status;       /* "ok", "verification_failed", "benchmark_error" */
    char message[512];
    char started[40], finished[40];

    /* process readings */
    hl_procstat at_start, after_setup, before_measure, after_measure, measured;
    int64_t rss_baseline_kib, rss_after_setup_kib;

    /* time mode */
    size_t n_reps;
    hl_cell_rep reps[HL_CELL_MAX_REPS];

    /* instructions mode */
    uint64_t instr_iterations, instr_operations, instructions;
    char callgrind_dump[4200];

    /* allocator statistics at the end of the measured part, after teardown */
    hl_alloc_stats stats_end[2];
    int64_t live_after_teardown[2];
    hl_gil_stats gil;

    bool have_gc;
    hl_cell_gc_gen gc[3];

    size_t n_metrics;
    hl_metric metrics[HL_CELL_MAX_METRICS];

    struct hl_timeline *timeline;
    bool wrote_timeline, wrote_gc_pauses;
} hl_cell;

/* cell_report.c */
/* Writes DIR/cell.json atomically (temporary file, fsync, rename).  0, or -1
 * with one line in err. */
int hl_cell_write_json(const hl_cell *c, char *err, size_t errlen);
/* DIR/gc_pauses.csv ("generation,pause_ns"); 0 or -1 with err. */
int hl_cell_write_gc_pauses(hl_cell *c, char *err, size_t errlen);
/* type-7 percentile (p in [0,100]) of n sorted values; NAN when n == 0. */
double hl_cell_percentile_sorted(const double *sorted, size_t n, double p);

#endif
