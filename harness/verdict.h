/* verdict.h - a claim's rule applied to measured values: holds, differs, or
 * not comparable here.
 *
 * The rule (claims.h) says what to measure and what the published claim
 * predicts; the measurements come through a callback (measure.h computes
 * them from result sets; tests give constructed values), so that the
 * judgement itself is a pure function of numbers.  Every leaf of the rule
 * becomes one judged item with the published value, the measured median
 * and its interval, what "holds" requires, and a sentence saying why.
 *
 * Leaves (docs/claims-format.md gives the reasons for each threshold):
 *   band        holds when the median lies in [lo, hi], differs otherwise.
 *   direction   expect above (below) the pivot: holds when the median
 *               reaches the threshold (and, when significant, the interval
 *               lies wholly on the expected side of the pivot); differs
 *               when the whole interval falls short of the threshold;
 *               otherwise the data cannot tell (not comparable: too noisy).
 *   class_rank  per benchmark and allocator, the class of its published
 *               ratios to the reference over every machine of the envelope:
 *                 large   (min > large_min):  holds at >= large_holds
 *                 slower  (min > slower_min): holds above slower_min with
 *                         the interval above 1
 *                 parity  (max <= parity_max): holds within
 *                         [1/parity_holds, parity_holds]
 *                 varies  (the rest): the direction only, when all
 *                         machines agree on it
 *               then every pair of allocators whose published ratio
 *               differs by rank_gap on most machines must keep its order
 *               where the measured difference is significant, and the
 *               peak-RSS signs (rss) must agree.
 *   not_measured  always not comparable, with its reason.
 * Combinators: all (differs if a part differs, holds if every comparable
 * part holds), any (holds if a part holds).
 */
#ifndef HL_VERDICT_H
#define HL_VERDICT_H

#include "claims.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum hl_cverdict {
    HL_CV_HOLDS,
    HL_CV_DIFFERS,
    HL_CV_NOT_COMPARABLE
} hl_cverdict;

/* "holds", "differs", "not comparable here". */
const char *hl_cverdict_name(hl_cverdict v);

/* One measured quantity: its median and interval (stats.h semantics). */
typedef struct hl_measured {
    bool ok;           /* false: could not be measured here; why says so */
    char why[480];
    double value, lo, hi;
    size_t n;          /* values behind the median (rounds or repetitions) */
    size_t groups;     /* cell pairs combined by their geometric mean */
    bool paired;       /* round-by-round ratios within one run */
} hl_measured;

/* Fills out for m; original asks for the original programs' cells instead
 * of heaplab's (class_rank on a benchmark heaplab has no workload for).
 * Returns 0; the callback reports trouble through out->ok and out->why. */
typedef int (*hl_measure_fn)(void *ctx, const hl_claims_measure *m, bool original,
                             hl_measured *out);

typedef struct hl_judged_item {
    char label[240];
    hl_cverdict v;
    double published;            /* NAN: none */
    double measured, lo, hi;     /* NAN when not measured */
    double holds_lo, holds_hi;   /* what "holds" requires (infinite: open) */
    char why[720];
} hl_judged_item;

typedef struct hl_judgement {
    hl_cverdict v;
    char summary[900];
    size_t n_items, cap;
    hl_judged_item *items;
    size_t n_holds, n_differs, n_nc;
} hl_judgement;

/* Judges rule (of a claim in set) with measurements from fn.  original:
 * class_rank rules measure the original programs instead of heaplab's
 * workloads.  0, or -1 when out of memory. */
int hl_judge(const hl_claims *set, const hl_claims_rule *rule, hl_measure_fn fn, void *ctx,
             bool original, hl_judgement *out);
void hl_judgement_free(hl_judgement *j);

/* The class of published ratios over machines (class_rank), NULL-free:
 * "large", "slower", "parity" or "varies". */
const char *hl_verdict_class(const hl_claims_envelope *e, const double *v, size_t n);

#endif
