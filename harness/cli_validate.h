/* cli_validate.h - what `heaplab validate` (cli_validate.c) planned, ran
 * and collected, for its report writers (validate_out.c).
 *
 * Invariants: runs[i].configs[0] is "pymalloc" (plan_interp refuses an
 * interpreter without it), so every block's series 0 is pymalloc / pool
 * and the per-configuration ratios are relative to it; blocks[] holds, for
 * every loaded run, one block per twin and metric, in that order.
 */
#ifndef HL_CLI_VALIDATE_H
#define HL_CLI_VALIDATE_H

#include "pyconfig.h"
#include "results.h"
#include "validate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* validate-plan.json, which --resume reads back */
#define HL_VAL_PLAN_FORMAT "heaplab-validate-plan"
#define HL_VAL_PLAN_VERSION 1
#define HL_VAL_MAX_INTERPS 4
#define HL_VAL_MAX_TWINS 16
#define HL_VAL_N_METRICS 2 /* time per operation, peak RSS */
#define HL_VAL_MAX_BLOCKS (HL_VAL_MAX_INTERPS * HL_VAL_MAX_TWINS * HL_VAL_N_METRICS)
#define HL_VAL_TARGET 0.90 /* issue 11, item 4: agreement for time and for peak RSS */

extern const char *const hl_val_metric_names[HL_VAL_N_METRICS]; /* "time", "peak_rss" */

typedef struct hl_val_config {
    char config[48];  /* CPython configuration, "malloc+jemalloc" */
    char backend[64]; /* heaplab's counterpart, "jemalloc" */
} hl_val_config;

/* One interpreter: its child `heaplab run` and its calls table. */
typedef struct hl_val_run {
    hl_pyinterp py;
    char model[8];              /* "3.11": the object layer's --python-model */
    size_t n_configs;
    hl_val_config configs[HL_VAL_MAX_SERIES];
    char dir[4200];             /* its result set */
    size_t argc;
    char *argv[160];            /* the child's command line (strdup'd) */
    bool loaded;
    hl_resultset rs;
    double seconds;
    char why[1200];             /* "" or what failed */
    bool have_calls;
    char calls_path[300];       /* relative to the validate directory */
    char calls_why[800];        /* why there is no calls table */
} hl_val_run;

typedef struct hl_val_out_block {
    size_t run;                 /* index into runs */
    const char *workload;
    size_t metric;              /* index into hl_val_metric_names */
    size_t n_series;
    hl_val_series series[HL_VAL_MAX_SERIES];
    double cpython_median[HL_VAL_MAX_SERIES], heaplab_median[HL_VAL_MAX_SERIES];
    hl_val_block block;
} hl_val_out_block;

typedef struct hl_validate {
    char dir[4096], src_dir[4096], command[8192];
    bool quick, no_calls;
    unsigned repetitions;
    uint64_t seed;
    double seconds;
    size_t n_workloads;
    const char *workloads[HL_VAL_MAX_TWINS];
    size_t n_runs;
    hl_val_run runs[HL_VAL_MAX_INTERPS];
    size_t n_blocks;
    hl_val_out_block blocks[HL_VAL_MAX_BLOCKS];
    hl_val_score scores[HL_VAL_N_METRICS];
} hl_validate;

/* DIR/validate.json, DIR/validate.md and (with gnuplot) DIR/validate.svg
 * with its data DIR/validate.dat.  0, or -1 with one line in err. */
int hl_validate_write(const hl_validate *vr, char *err, size_t errlen);

/* The scores and where the report is, for the console. */
void hl_validate_print(const hl_validate *vr, FILE *out);

#endif
