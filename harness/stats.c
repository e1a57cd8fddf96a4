/* stats.c - descriptive statistics and the Mann-Whitney U test.
 *
 * How it works
 * ------------
 * Order statistics sort a private copy (n is a handful of repetitions, so
 * O(n log n) per call is irrelevant).  The U test counts, for every pair
 * (a_i, b_j), 1 when a_i > b_j and 1/2 when they tie (Mann & Whitney 1947).
 * Under the null hypothesis every interleaving of the two samples is equally
 * likely, and the number of interleavings of m a's and n b's with statistic u
 * is the coefficient of q^u in the Gaussian binomial [m+n choose m]_q
 * (Andrews, "The Theory of Partitions", 3.4).  We expand it as
 *
 *     prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)
 *
 * one factor at a time; every intermediate is again a Gaussian binomial, so
 * the division by (1 - q^i) is exact.  With m + n <= 30 all counts are below
 * 2^53 and doubles hold them exactly.  Larger or tied samples use the normal
 * approximation with the tie-corrected variance and a 0.5 continuity
 * correction, which is what scipy.stats.mannwhitneyu(method="asymptotic")
 * computes.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest na + nb for the exact distribution: C(30, 15) < 2^53. */
#define HL_UTEST_EXACT_MAX 30

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Sorted copy of x, or NULL (n == 0 or out of memory). */
static double *sorted_copy(const double *x, size_t n)
{
    if (n == 0)
        return NULL;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NULL;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    return s;
}

/* Type 7 quantile of an already sorted sample, q in [0, 1]. */
static double sorted_quantile(const double *s, size_t n, double q)
{
    if (q <= 0)
        return s[0];
    if (q >= 1)
        return s[n - 1];
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return s[lo] + (h - (double)lo) * (s[hi] - s[lo]);
}

double hl_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return sum / (double)n;
}

double hl_stats_stddev(const double *x, size_t n)
{
    if (n < 2)
        return NAN;
    double mean = hl_stats_mean(x, n), ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

double hl_stats_cv(const double *x, size_t n)
{
    double mean = hl_stats_mean(x, n);
    if (n < 2 || mean == 0)
        return NAN;
    return hl_stats_stddev(x, n) / fabs(mean);
}

double hl_stats_min(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double m = x[0];
    for (size_t i = 1; i < n; i++)
        if (x[i] < m)
            m = x[i];
    return m;
}

double hl_stats_max(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double m = x[0];
    for (size_t i = 1; i < n; i++)
        if (x[i] > m)
            m = x[i];
    return m;
}

double hl_stats_percentile(const double *x, size_t n, double p)
{
    double *s = sorted_copy(x, n);
    if (!s)
        return NAN;
    double v = sorted_quantile(s, n, p / 100.0);
    free(s);
    return v;
}

double hl_stats_median(const double *x, size_t n)
{
    return hl_stats_percentile(x, n, 50);
}

double hl_stats_mad(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double med = hl_stats_median(x, n);
    double *dev = malloc(n * sizeof *dev);
    if (!dev)
        return NAN;
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(x[i] - med);
    double mad = hl_stats_median(dev, n);
    free(dev);
    return mad;
}

double hl_stats_geomean(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double logsum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0))
            return NAN;
        logsum += log(x[i]);
    }
    return exp(logsum / (double)n);
}

void hl_stats_summarize(const double *x, size_t n, hl_stats_summary *out)
{
    double *finite = malloc((n ? n : 1) * sizeof *finite);
    size_t m = 0;
    for (size_t i = 0; finite && i < n; i++)
        if (isfinite(x[i]))
            finite[m++] = x[i];
    out->n = m;
    out->mean = hl_stats_mean(finite, m);
    out->stddev = hl_stats_stddev(finite, m);
    out->cv = hl_stats_cv(finite, m);
    out->min = hl_stats_min(finite, m);
    out->max = hl_stats_max(finite, m);
    out->median = hl_stats_median(finite, m);
    out->mad = hl_stats_mad(finite, m);
    free(finite);
}

double hl_stats_ratio_sigma(double a, double sa, double b, double sb)
{
    if (a == 0 || b == 0)
        return NAN;
    double r = b / a;
    return fabs(r) * sqrt((sa / a) * (sa / a) + (sb / b) * (sb / b));
}

/* Two-sided exact p-value for U = u with sample sizes m, n (no ties). */
static double utest_exact_p(double u, size_t m, size_t n)
{
    size_t umax = m * n;
    /* the product's degree peaks at m*n + m before the last division */
    double *c = calloc(umax + m + 1, sizeof *c);
    if (!c)
        return NAN;
    c[0] = 1; /* [n choose 0]_q = 1 */
    size_t deg = 0;
    for (size_t i = 1; i <= m; i++) {
        /* multiply by (1 - q^(n+i)): degree grows by n + i */
        size_t shift = n + i;
        size_t newdeg = deg + shift;
        for (size_t k = newdeg + 1; k-- > shift;)
            c[k] -= c[k - shift];
        /* divide by (1 - q^i): b[k] = a[k] + b[k - i]; degree shrinks by i */
        for (size_t k = i; k <= newdeg; k++)
            c[k] += c[k - i];
        deg = newdeg - i;
    }
    double total = 0, le = 0, ge = 0;
    for (size_t k = 0; k <= umax; k++) {
        total += c[k];
        if ((double)k <= u)
            le += c[k];
        if ((double)k >= u)
            ge += c[k];
    }
    free(c);
    double p = 2 * fmin(le, ge) / total;
    return p > 1 ? 1 : p;
}

hl_utest hl_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb)
{
    hl_utest r = {NAN, NAN, false};
    if (na == 0 || nb == 0)
        return r;

    double u = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            u += a[i] > b[j] ? 1.0 : a[i] == b[j] ? 0.5 : 0.0;
    r.u = u;

    /* Tie groups over the pooled sample: sum of (t^3 - t). */
    size_t n = na + nb;
    double *pool = malloc(n * sizeof *pool);
    if (!pool)
        return r;
    memcpy(pool, a, na * sizeof *pool);
    memcpy(pool + na, b, nb * sizeof *pool);
    qsort(pool, n, sizeof *pool, cmp_double);
    double tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && pool[j] == pool[i])
            j++;
        double t = (double)(j - i);
        tie_term += t * t * t - t;
        i = j;
    }
    free(pool);

    if (tie_term == 0 && n <= HL_UTEST_EXACT_MAX) {
        r.p = utest_exact_p(u, na, nb);
        r.exact = true;
        return r;
    }

    double m1 = (double)na, m2 = (double)nb, nn = (double)n;
    double mu = m1 * m2 / 2;
    double var = m1 * m2 / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
    if (!(var > 0)) { /* every value identical: no evidence of a difference */
        r.p = 1;
        return r;
    }
    double z = (fabs(u - mu) - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    r.p = erfc(z / sqrt(2.0));
    if (r.p > 1)
        r.p = 1;
    return r;
}

/* P(Bin(n, 1/2) < k) for small n, exactly enough in doubles (n <= 1000). */
static double binom_half_cdf_below(size_t n, size_t k)
{
    /* C(n, i) / 2^n accumulated in logs to stay finite for large n */
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
                   (double)n * log(2.0));
    return sum;
}

hl_interval hl_stats_median_interval(const double *x, size_t n)
{
    hl_interval r = {NAN, NAN, NAN, true, 0};
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return r;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            s[m++] = x[i];
    r.n = m;
    if (m == 0) {
        free(s);
        return r;
    }
    qsort(s, m, sizeof *s, cmp_double);
    if (m <= 5) {
        r.lo = s[0];
        r.hi = s[m - 1];
        /* [min, max] covers the median with 1 - 2 / 2^n */
        r.coverage = m >= 2 ? 1.0 - 2.0 / (double)(1u << m) : NAN;
        free(s);
        return r;
    }
    /* the largest k (1-based) with coverage >= 0.95 */
    size_t best = 1;
    for (size_t k = 1; k <= m / 2; k++) {
        if (1.0 - 2.0 * binom_half_cdf_below(m, k) >= 0.95)
            best = k;
        else
            break;
    }
    r.lo = s[best - 1];
    r.hi = s[m - best];
    r.coverage = 1.0 - 2.0 * binom_half_cdf_below(m, best);
    r.is_range = best == 1;
    free(s);
    return r;
}

double hl_stats_utest_min_p(size_t na, size_t nb)
{
    if (na == 0 || nb == 0)
        return 1;
    /* C(na + nb, na), in logs */
    double lc = lgamma((double)(na + nb) + 1) - lgamma((double)na + 1) - lgamma((double)nb + 1);
    double p = 2.0 * exp(-lc);
    return p > 1 ? 1 : p;
}

const char *hl_verdict_name(hl_verdict v)
{
    switch (v) {
    case HL_VERDICT_SAME: return "same";
    case HL_VERDICT_FASTER: return "faster";
    case HL_VERDICT_SLOWER: return "slower";
    case HL_VERDICT_INCONCLUSIVE: return "inconclusive";
    case HL_VERDICT_NO_DATA: return "no data";
    }
    return "?";
}

hl_verdict hl_stats_verdict_sampled(const double *a, size_t na, const double *b, size_t nb,
                                    double alpha, double *p)
{
    *p = NAN;
    if (na == 0 || nb == 0)
        return HL_VERDICT_NO_DATA;
    if (hl_stats_utest_min_p(na, nb) > alpha)
        return HL_VERDICT_INCONCLUSIVE;
    hl_utest u = hl_stats_mann_whitney(a, na, b, nb);
    *p = u.p;
    if (!(u.p < alpha))
        return HL_VERDICT_SAME;
    return hl_stats_median(b, nb) < hl_stats_median(a, na) ? HL_VERDICT_FASTER
                                                           : HL_VERDICT_SLOWER;
}

hl_verdict hl_stats_verdict_exact(double a, double b, double threshold)
{
    if (!(a > 0) || !(b > 0))
        return HL_VERDICT_NO_DATA;
    double change = (b - a) / a;
    if (fabs(change) <= threshold)
        return HL_VERDICT_SAME;
    return change < 0 ? HL_VERDICT_FASTER : HL_VERDICT_SLOWER;
}

hl_verdict hl_stats_verdict_paired(const double *ratios, size_t n, double alpha, double *p)
{
    *p = NAN;
    size_t below = 0, above = 0;
    for (size_t i = 0; i < n; i++) {
        below += ratios[i] < 1;
        above += ratios[i] > 1;
    }
    size_t m = below + above;
    if (n == 0)
        return HL_VERDICT_NO_DATA;
    if (m == 0) {
        *p = 1;
        return HL_VERDICT_SAME;
    }
    if (2.0 / pow(2.0, (double)m) > alpha)
        return HL_VERDICT_INCONCLUSIVE;
    size_t k = below < above ? below : above;
    double tail = binom_half_cdf_below(m, k + 1); /* P(X <= k) */
    *p = fmin(1.0, 2.0 * tail);
    if (!(*p < alpha))
        return HL_VERDICT_SAME;
    return below > above ? HL_VERDICT_FASTER : HL_VERDICT_SLOWER;
}
