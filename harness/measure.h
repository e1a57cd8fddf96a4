/* measure.h - a claim's measures (claims.h) computed from result sets.
 *
 * A claim reads the result sets of its experiments: one per experiment
 * variant, plus the original programs' run when --bench-dir gave one.
 * hl_measure_eval is the hl_measure_fn (verdict.h) over them:
 *
 *   1. The selectors pick cells: workload, backend (a spec, or a CPython
 *      configuration before '@'), threads ("nproc" is the machine's), the
 *      resolved parameter values (results.json reps[].extra "params.NAME",
 *      else the cell's explicit ones), the variant and original flags.
 *   2. num and den cells pair when they agree on everything the selectors
 *      leave open (so "system over tcmalloc" pairs the cells of each block
 *      size and order).  Within one result set the ratio is taken round by
 *      round (repetition k of both cells ran next to each other, plan.h),
 *      and its median and interval (stats.h) come from those per-round
 *      values; across sets (variants) it is the ratio of the medians with
 *      the interval [lo_num / hi_den, hi_num / lo_den].
 *   3. Several pairs are combined by the geometric mean of their medians,
 *      and of their interval ends (so "holds" needs the typical pair, not
 *      every one, and an interval still spans what the pairs allow).
 *   4. A threaded cell whose median CPU time over wall time is below the
 *      experiment's parallel_min x threads did not have its threads
 *      running at once (a busy shared machine): the measure is then not
 *      comparable, saying so with the figure.
 *
 * Metrics: "time" = the run's primary figure; "cpu_time" = the cell's
 * process CPU ns per operation; "peak_rss"; any canonical metric name of
 * results.h; "extra:NAME" = a number the cell reported.
 */
#ifndef HL_MEASURE_H
#define HL_MEASURE_H

#include "claims.h"
#include "results.h"
#include "verdict.h"

#include <stdbool.h>
#include <stddef.h>

/* One result set a claim may read.  rs NULL: the run did not happen here;
 * why says why (no CPython 3.13, this heaplab cannot run it, ...). */
typedef struct hl_mset {
    const char *experiment;
    const char *variant;     /* "" when the experiment has no variants */
    bool first_variant;      /* the variant a selector without one means */
    bool original;           /* the original programs' run */
    double parallel_min;     /* NAN: no parallelism check */
    const hl_resultset *rs;
    const char *why;
} hl_mset;

typedef struct hl_mctx {
    size_t n;
    const hl_mset *sets;
    unsigned nproc;          /* what threads "nproc" means */
} hl_mctx;

/* hl_measure_fn over ctx (an hl_mctx). */
int hl_measure_eval(void *ctx, const hl_claims_measure *m, bool original, hl_measured *out);

/* One repetition's value of metric (see above) for a cell, or NAN. */
double hl_measure_rep_value(const hl_resultset *rs, size_t cell, unsigned rep,
                            const char *metric);

/* Median CPU time / wall time of a cell's ok repetitions (threads actually
 * running), NAN when it has none. */
double hl_measure_parallelism(const hl_resultset *rs, size_t cell);

#endif
