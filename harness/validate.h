/* validate.h - heaplab's predictions against real CPython: the ratios,
 * the pairs, the noise rule and the agreement score of `heaplab validate`.
 *
 * One block is one workload and one metric (time per operation, peak RSS).
 * It holds a series per CPython allocator configuration (pyconfig.h): the
 * twin's per-round values under that configuration, and the per-round
 * values of the heaplab cell that models it (hl_validate_counterpart).
 * Round k of every series ran in the same round of one run (plan.h), the
 * CPython cells next to each other and the heaplab cells next to each
 * other, so ratios are taken round by round, as ranking.h does, and a
 * ratio's interval is the harness's own (stats.h, hl_stats_median_interval:
 * [min, max] of the per-round ratios up to 5 rounds, the 95% distribution-
 * free interval of their median from 6).
 *
 * The agreement score asks whether heaplab orders the configurations as
 * CPython does.  For every pair (a, b) of configurations:
 *
 *   no-estimate  fewer than 2 rounds where both CPython values exist: the
 *                noise cannot be judged, so the pair is not counted;
 *   same-model   a and b map to the same heaplab cell (3.13's bundled
 *                mimalloc and malloc+mimalloc are both heaplab's mimalloc):
 *                heaplab makes no prediction, the pair is not counted;
 *   noise        CPython's ratio b/a has an interval that contains 1: the
 *                measurement cannot say which is larger, not counted;
 *   agree        otherwise, and heaplab's ratio b/a (median of its own
 *                per-round ratios) is on the same side of 1;
 *   disagree     otherwise (heaplab's ratio on the other side, exactly 1,
 *                or missing: a prediction it did not make is a miss).
 *
 * score = agree / (agree + disagree), NAN when nothing was counted.  A
 * block's per-configuration ratios are relative to its first series (the
 * run puts pymalloc, heaplab's pool, first).
 */
#ifndef HL_VALIDATE_H
#define HL_VALIDATE_H

#include "stats.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_VAL_MAX_SERIES 12
#define HL_VAL_MAX_ROUNDS 64
#define HL_VAL_MAX_PAIRS (HL_VAL_MAX_SERIES * (HL_VAL_MAX_SERIES - 1) / 2)

/* The heaplab backend spec that models a CPython configuration:
 * pymalloc -> pool, pymalloc+X -> pool:raw=X, malloc -> system,
 * malloc+X -> X, mimalloc (CPython's bundled one) -> mimalloc.  0, or -1
 * with one line in err for a configuration that is not one. */
int hl_validate_counterpart(const char *config, char *out, size_t outlen, char *err,
                            size_t errlen);

typedef struct hl_val_series {
    char config[48];                    /* CPython configuration */
    char backend[64];                   /* heaplab's counterpart */
    double cpython[HL_VAL_MAX_ROUNDS];  /* per round; NAN (or <= 0) where missing */
    double heaplab[HL_VAL_MAX_ROUNDS];
} hl_val_series;

/* A ratio taken round by round: the median of the per-round ratios and
 * their interval; n rounds had both values (median NAN when n == 0). */
typedef struct hl_val_ratio {
    double median;
    hl_interval iv;
    size_t n;
} hl_val_ratio;

typedef enum hl_val_class {
    HL_VAL_AGREE,
    HL_VAL_DISAGREE,
    HL_VAL_NOISE,
    HL_VAL_SAME_MODEL,
    HL_VAL_NO_ESTIMATE
} hl_val_class;

const char *hl_val_class_name(hl_val_class c); /* "agree", "disagree", "noise", ... */

typedef struct hl_val_pair {
    size_t a, b;             /* series indices, a < b */
    hl_val_ratio cpython;    /* b over a */
    hl_val_ratio heaplab;
    hl_val_class cls;
} hl_val_pair;

typedef struct hl_val_block {
    size_t n_series;
    hl_val_ratio cpython_rel[HL_VAL_MAX_SERIES]; /* series i over series 0 */
    hl_val_ratio heaplab_rel[HL_VAL_MAX_SERIES];
    size_t n_pairs;
    hl_val_pair pairs[HL_VAL_MAX_PAIRS];
    size_t agree, counted;   /* counted = agree + disagree */
} hl_val_block;

/* The per-round ratio y[k] / x[k] over the rounds where both are > 0 and
 * finite. */
hl_val_ratio hl_validate_ratio(const double *x, const double *y, size_t rounds);

/* Classifies every pair of n series (n <= HL_VAL_MAX_SERIES) measured in
 * `rounds` rounds (<= HL_VAL_MAX_ROUNDS). */
void hl_validate_block(const hl_val_series *s, size_t n, size_t rounds, hl_val_block *out);

/* Agreement over several blocks. */
typedef struct hl_val_score {
    size_t agree, counted, noise, same_model, no_estimate;
} hl_val_score;

void hl_validate_score_add(hl_val_score *sc, const hl_val_block *b);
double hl_validate_score(const hl_val_score *sc); /* agree / counted, NAN when 0 */

#endif
