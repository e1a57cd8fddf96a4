/* results.h - a result set: the plan, every job's outcome and metrics, the
 * metadata; written as DIR/results.json, DIR/results.csv, DIR/summary.md.
 *
 * Every file is rewritten atomically (fsutil.h) after each finished job, so
 * a run killed at any instant leaves complete, parseable files holding every
 * job that finished.  results.json is the source of truth: `heaplab show`,
 * `heaplab compare`, `--resume` and the plots read it back with
 * hl_results_load().  Format: docs/results-format.md, "Result set".
 */
#ifndef HL_RESULTS_H
#define HL_RESULTS_H

#include "json.h"
#include "plan.h"
#include "runner.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The canonical per-repetition metrics (names as in results.json/csv). */
typedef enum hl_metric_id {
    HL_M_NS_PER_OP,
    HL_M_OPS_PER_S,
    HL_M_INSTR_PER_OP,
    HL_M_ITERATIONS,
    HL_M_OPERATIONS,
    HL_M_PEAK_RSS_KIB,
    HL_M_RSS_END_KIB,
    HL_M_PEAK_LIVE_BYTES,
    HL_M_OVERHEAD,
    HL_M_MINFLT,
    HL_M_MAJFLT,
    HL_M_NVCSW,
    HL_M_NIVCSW,
    HL_M_USER_S,
    HL_M_SYS_S,
    HL_M_WALL_S,
    HL_M_GC_COLLECTIONS,
    HL_M_GC_COLLECTED,
    HL_M_GC_PAUSE_TOTAL_MS,
    HL_M_GC_PAUSE_MAX_MS,
    HL_M_GC_PAUSE_P99_MS,
    HL_M_GIL_ACQUISITIONS,
    HL_M_GIL_CONTENDED,
    HL_M_COUNT
} hl_metric_id;

extern const char *const hl_metric_names[HL_M_COUNT];

typedef struct hl_kv {
    char *name;
    double value;
} hl_kv;

/* One job's record.  status: "ok", "crashed", "timeout", "memory-limit",
 * "verify-failed" (exit 3), "bad-input" (exit 2), "setup-failed" (exit 4),
 * "failed" (any other exit, no usable cell.json, cannot start); "" while
 * not done. */
typedef struct hl_rep {
    bool done;
    char status[16];
    char reason[320];
    int exit_code;            /* -1 when it did not exit */
    int signo;                /* 0 unless crashed */
    char started[32], finished[32];
    double wall_s, user_s, sys_s; /* the driver's view (wait4) */
    uint64_t maxrss_kib;
    double m[HL_M_COUNT];     /* NAN: not reported */
    size_t n_extra;           /* every other number in cell.json, flattened "a.b.c" */
    hl_kv *extra;
    /* Cache: this record as results.json writes it, made by the first save
     * after it was recorded or loaded (results.c); freed by
     * hl_results_rep_clear, which every change of a record starts with. */
    char *json;
} hl_rep;

/* Invariant: reps has plan.n_cells * plan.repetitions entries, the record of
 * (cell c, repetition k) at [c * repetitions + k]; a record is either not
 * done (all fields cleared, metrics NAN) or done with a non-empty status. */
typedef struct hl_resultset {
    char dir[4096];
    hl_plan plan;
    hl_json *metadata_doc;    /* owns the tree metadata points into */
    const hl_json *metadata;  /* the metadata object, or NULL */
    char started[32], finished[32];
    bool complete, interrupted;
    double load_avg_end[3];
    hl_rep *reps;             /* plan.n_cells * plan.repetitions, [cell * R + rep] */
} hl_resultset;

/* Takes ownership of plan's arrays and of metadata. */
int hl_results_init(hl_resultset *rs, const char *dir, hl_plan *plan, hl_json *metadata,
                    char *err, size_t errlen);
void hl_results_free(hl_resultset *rs);

/* A record as not done: fields cleared, metrics NAN, extra freed. */
void hl_results_rep_clear(hl_rep *r);

hl_rep *hl_results_rep(hl_resultset *rs, size_t cell, unsigned rep);
const hl_rep *hl_results_rep_c(const hl_resultset *rs, size_t cell, unsigned rep);

/* "cells/<id>/rep-<k>" relative to the result directory. */
void hl_results_rep_dir(const hl_resultset *rs, size_t cell, unsigned rep, char *out,
                        size_t outlen);

/* Records a finished job from the runner's result and the files the cell
 * wrote in its rep directory (cell.json, cell.stderr, callgrind.out). */
void hl_results_record(hl_resultset *rs, size_t cell, unsigned rep, const hl_run_result *run,
                       const char *started_iso);

/* Parses one cell.json into a rep's metrics (exposed for tests); -1 with a
 * reason when the file is missing or not a cell result. */
int hl_results_parse_cell_json(const char *path, hl_rep *rep, char *err, size_t errlen);

/* Rewrites results.json, results.csv and summary.md atomically. */
int hl_results_save(const hl_resultset *rs, char *err, size_t errlen);

/* Loads DIR (a directory holding results.json, or the file itself),
 * checking every field against the documented schema; -1 with one line in
 * err naming the first bad field. */
int hl_results_load(hl_resultset *rs, const char *path, char *err, size_t errlen);

/* ---- aggregation ------------------------------------------------------- */

/* Values of metric m over the cell's ok repetitions; returns how many. */
size_t hl_results_values(const hl_resultset *rs, size_t cell, hl_metric_id m, double *out);
/* Median of the above, NAN when none. */
double hl_results_median(const hl_resultset *rs, size_t cell, hl_metric_id m);
size_t hl_results_reps_ok(const hl_resultset *rs, size_t cell);
size_t hl_results_reps_done(const hl_resultset *rs, size_t cell);
/* "ok" (every planned rep ok), "partial" (some failed or pending), "failed"
 * (done, none ok), "pending" (none done).  For failures, the first failed
 * rep's status and reason in *why (may be NULL). */
const char *hl_results_cell_status(const hl_resultset *rs, size_t cell, const hl_rep **why);
/* The time metric the set was measured with: ns/op, or instructions/op. */
hl_metric_id hl_results_primary_metric(const hl_resultset *rs);

/* ---- reports ----------------------------------------------------------- */

typedef enum hl_format { HL_FMT_TEXT, HL_FMT_MD, HL_FMT_CSV } hl_format;

/* Parses "text" | "md" | "csv"; -1 otherwise. */
int hl_format_parse(const char *s, hl_format *out);

/* results.csv: one row per cell (report.c). */
void hl_results_write_csv(const hl_resultset *rs, FILE *out);

/* One row per cell (what `heaplab show` prints; CSV = results.csv). */
void hl_results_print_table(const hl_resultset *rs, FILE *out, hl_format fmt);
/* hyperfine-style per-workload ranking, then pyperf-style warnings. */
void hl_results_print_summary(const hl_resultset *rs, FILE *out, bool markdown);

/* The summary's warnings (Debug build, too few repetitions, the machine
 * checks that warned, a busy machine, unstable cells, failed cells), one
 * line each without a bullet, through fn. */
typedef void (*hl_warning_fn)(void *ctx, const char *line);
void hl_results_each_warning(const hl_resultset *rs, hl_warning_fn fn, void *ctx);

/* Shared formatting: "52.1 ns", "1.23 us", ... ; "12.3 MiB"; "-" for NAN. */
void hl_fmt_time_ns(double ns, char *out, size_t outlen);
void hl_fmt_kib(double kib, char *out, size_t outlen);
/* Group key of a cell for ranking: workload + threads + params. */
void hl_results_group_key(const hl_plan_cell *c, char *out, size_t outlen);

#endif
