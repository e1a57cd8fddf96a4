/* stats.h - the summary statistics the driver reports.
 *
 * All functions take a sample as (values, n) and never modify it; those that
 * need an order copy and sort internally.  An empty sample gives NAN (or, for
 * counts, 0).  Conventions, chosen to match the tools people compare with:
 *
 *   median / percentiles  linear interpolation between order statistics
 *                         (Hyndman & Fan type 7, numpy's default)
 *   MAD                   median absolute deviation from the median, NOT
 *                         scaled by 1.4826 (pyperf's "Median +- MAD")
 *   stddev                sample standard deviation (n - 1 denominator)
 *   CV                    stddev / mean, as a fraction (0.05 = 5 %)
 *   Mann-Whitney U        two-sided p-value (Google Benchmark compare.py's
 *                         U test; scipy.stats.mannwhitneyu semantics)
 */
#ifndef HL_STATS_H
#define HL_STATS_H

#include <stdbool.h>
#include <stddef.h>

double hl_stats_mean(const double *x, size_t n);
double hl_stats_stddev(const double *x, size_t n);   /* NAN when n < 2 */
double hl_stats_cv(const double *x, size_t n);       /* NAN when n < 2 or mean == 0 */
double hl_stats_min(const double *x, size_t n);
double hl_stats_max(const double *x, size_t n);
double hl_stats_median(const double *x, size_t n);
double hl_stats_mad(const double *x, size_t n);
/* p in [0, 100]. */
double hl_stats_percentile(const double *x, size_t n, double p);
/* NAN unless every value is > 0. */
double hl_stats_geomean(const double *x, size_t n);

/* Everything a report prints about one sample, over its finite values only
 * (NAN and infinities are left out and not counted in n). */
typedef struct hl_stats_summary {
    size_t n;
    double mean, stddev, cv, min, max, median, mad;
} hl_stats_summary;

void hl_stats_summarize(const double *x, size_t n, hl_stats_summary *out);

/* Result of a two-sided Mann-Whitney U test of samples a and b. */
typedef struct hl_utest {
    double u;       /* U statistic of sample a: pairs (a_i, b_j) with a_i > b_j, ties 1/2 */
    double p;       /* two-sided p-value; NAN when either sample has < 1 value */
    bool exact;     /* true: exact null distribution; false: normal approximation */
} hl_utest;

/* Exact distribution (Mann & Whitney 1947 recurrence, via the Gaussian
 * binomial coefficients) when there are no ties and na + nb <= 30; otherwise
 * the normal approximation with tie correction and continuity correction
 * (e.g. Siegel & Castellan, "Nonparametric Statistics", 2nd ed., 6.4). */
hl_utest hl_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb);

/* How sure a reported median is, with one meaning wherever heaplab prints
 * "[lo, hi]" (docs/results-format.md, "Intervals"):
 *   n <= 5  the range [min, max]: every repetition lies inside it, and no
 *           distribution-free interval of the median reaches 95% coverage
 *           with so few values (at n = 5, [min, max] covers 93.75%);
 *   n >= 6  the exact distribution-free confidence interval of the median
 *           from order statistics, [x(k), x(n+1-k)] with the largest k whose
 *           coverage 1 - 2 P(Bin(n, 1/2) < k) is at least 95% (e.g. Conover,
 *           "Practical Nonparametric Statistics", 3rd ed., section 3.6).
 * coverage is the interval's exact coverage of the median (NAN for ranges
 * of n < 2, where there is no spread to speak of). */
typedef struct hl_interval {
    double lo, hi;
    double coverage;
    bool is_range;   /* [min, max] rather than a 95% interval */
    size_t n;        /* finite values used */
} hl_interval;

hl_interval hl_stats_median_interval(const double *x, size_t n);

/* The smallest two-sided p-value a Mann-Whitney U test of na against nb
 * values can give (all of one sample below all of the other, no ties):
 * 2 / C(na + nb, na).  When it exceeds alpha no outcome can be significant,
 * and the honest verdict is "inconclusive", not "same" (3 vs 3: 0.1). */
double hl_stats_utest_min_p(size_t na, size_t nb);

typedef enum hl_verdict {
    HL_VERDICT_SAME,         /* no significant difference (the test could have found one) */
    HL_VERDICT_FASTER,       /* b is smaller (faster, fewer instructions) */
    HL_VERDICT_SLOWER,
    HL_VERDICT_INCONCLUSIVE, /* too few values for the test to reach alpha */
    HL_VERDICT_NO_DATA
} hl_verdict;

const char *hl_verdict_name(hl_verdict v);

/* Sampled values (timings): the U test at alpha, or inconclusive when
 * hl_stats_utest_min_p(na, nb) > alpha; *p gets the p-value (NAN when not
 * tested). */
hl_verdict hl_stats_verdict_sampled(const double *a, size_t na, const double *b, size_t nb,
                                    double alpha, double *p);

/* Paired values (ratios of two backends round by round): the two-sided
 * exact sign test of the ratios against 1 (ties dropped; e.g. Conover,
 * 3.4), or inconclusive when even all-one-way (p = 2 / 2^n) cannot reach
 * alpha (fewer than 6 rounds at 0.05).  *p gets the p-value. */
hl_verdict hl_stats_verdict_paired(const double *ratios, size_t n, double alpha, double *p);

/* Exact counts (instructions of a single-threaded cell, which repeat to the
 * instruction): a threshold, not a test.  Faster or slower when the medians
 * differ by more than `threshold` (relative, e.g. 0.001), else same. */
hl_verdict hl_stats_verdict_exact(double a, double b, double threshold);

/* The ratio r = b / a of two positive quantities with standard deviations,
 * and its standard deviation by uncorrelated error propagation:
 * r * sqrt((sa/a)^2 + (sb/b)^2) (hyperfine's relative_speed.rs). */
double hl_stats_ratio_sigma(double a, double sa, double b, double sb);

#endif
