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

/* The ratio r = b / a of two positive quantities with standard deviations,
 * and its standard deviation by uncorrelated error propagation:
 * r * sqrt((sa/a)^2 + (sb/b)^2) (hyperfine's relative_speed.rs). */
double hl_stats_ratio_sigma(double a, double sa, double b, double sb);

#endif
