/* test_driver_stats.c - the driver's statistics (harness/stats.h) against
 * known values, and the exact U distribution against brute-force
 * enumeration (a reference model that shares no code with stats.c).
 *
 * Reference values: scipy.stats.mannwhitneyu's documentation example
 * (x = [19, 22, 16, 29, 24], y = [20, 11, 17, 12]: U = 17, exact p =
 * 0.1111..., asymptotic p = 0.11134688653314041) and, for the tied and large
 * samples, the tie-corrected normal approximation with continuity
 * correction computed independently in Python (math.erfc).
 */
#include "hl_test.h"
#include "stats.h"
#include "steadiness.h"

#include <math.h>

static int close_to(double a, double b, double tol)
{
    return fabs(a - b) <= tol * (fabs(b) > 1 ? fabs(b) : 1);
}

/* The probe's figures are the machine's, so only their consistency is
 * checked: enough samples, ordered summaries, changes that are fractions. */
TEST(steadiness_probe_reports_consistent_figures)
{
    hl_steadiness s;
    CHECK(hl_steady_measure(20, &s) == -1); /* too short for 3 samples of each */
    REQUIRE(hl_steady_measure(150, &s) == 0);
    const hl_steady_kernel *k[2] = {&s.compute, &s.memory};
    for (int i = 0; i < 2; i++) {
        CHECK(k[i]->samples >= 3);
        CHECK(k[i]->min_ms > 0 && k[i]->min_ms <= k[i]->median_ms);
        CHECK(k[i]->median_ms >= HL_STEADY_SAMPLE_MS * 0.2); /* calibrated, not 1024 steps */
        CHECK(k[i]->median_change >= 0 && k[i]->median_change <= k[i]->p90_change);
        CHECK(isfinite(k[i]->p90_change));
    }
}

TEST(descriptive_known_values)
{
    const double x[] = {1, 2, 3, 4, 100};
    CHECK(hl_stats_median(x, 5) == 3);
    CHECK(hl_stats_mad(x, 5) == 1);
    CHECK(hl_stats_mean(x, 5) == 22);
    CHECK(close_to(hl_stats_stddev(x, 5), 43.617656975128774, 1e-12));
    CHECK(close_to(hl_stats_cv(x, 5), 1.9826207715967625, 1e-12));
    CHECK(hl_stats_min(x, 5) == 1);
    CHECK(hl_stats_max(x, 5) == 100);
    CHECK(hl_stats_percentile(x, 5, 25) == 2);
    CHECK(close_to(hl_stats_percentile(x, 5, 90), 61.6, 1e-12));
    CHECK(hl_stats_percentile(x, 5, 0) == 1);
    CHECK(hl_stats_percentile(x, 5, 100) == 100);
    const double even[] = {4, 1, 3, 2};
    CHECK(hl_stats_median(even, 4) == 2.5);
    const double g[] = {1, 2, 4, 8};
    CHECK(close_to(hl_stats_geomean(g, 4), 2.8284271247461903, 1e-12));
}

TEST(descriptive_edge_cases)
{
    const double one[] = {7};
    CHECK(isnan(hl_stats_median(one, 0)));
    CHECK(isnan(hl_stats_mean(one, 0)));
    CHECK(hl_stats_median(one, 1) == 7);
    CHECK(hl_stats_mad(one, 1) == 0);
    CHECK(isnan(hl_stats_stddev(one, 1)));
    CHECK(isnan(hl_stats_cv(one, 1)));
    const double zero_mean[] = {-1, 1};
    CHECK(isnan(hl_stats_cv(zero_mean, 2)));
    const double nonpos[] = {1, 0, 2};
    CHECK(isnan(hl_stats_geomean(nonpos, 3)));
    CHECK(isnan(hl_stats_geomean(nonpos, 0)));
    /* ratio sigma: hyperfine's propagation */
    double s = hl_stats_ratio_sigma(10, 1, 20, 2);
    CHECK(close_to(s, 2 * sqrt(0.01 + 0.01), 1e-12));
    CHECK(isnan(hl_stats_ratio_sigma(0, 1, 2, 1)));
}

TEST(utest_scipy_doc_example)
{
    const double x[] = {19, 22, 16, 29, 24}, y[] = {20, 11, 17, 12};
    hl_utest u = hl_stats_mann_whitney(x, 5, y, 4);
    CHECK(u.u == 17);
    CHECK(u.exact);
    CHECK(close_to(u.p, 0.1111111111111111, 1e-12));
    /* symmetric: swapping the samples gives U' = n1 n2 - U, same p */
    hl_utest v = hl_stats_mann_whitney(y, 4, x, 5);
    CHECK(v.u == 3);
    CHECK(close_to(v.p, u.p, 1e-12));
}

TEST(utest_ties_use_corrected_normal)
{
    const double a[] = {1, 2, 2, 3, 4}, b[] = {2, 3, 3, 5, 6, 7};
    hl_utest u = hl_stats_mann_whitney(a, 5, b, 6);
    CHECK(u.u == 6);
    CHECK(!u.exact);
    CHECK(close_to(u.p, 0.11390314458853065, 1e-9));
}

TEST(utest_large_sample_normal)
{
    double a[20], b[18];
    for (int i = 0; i < 20; i++)
        a[i] = i * 3 + 0.5;
    for (int i = 0; i < 18; i++)
        b[i] = i * 2 + 1;
    hl_utest u = hl_stats_mann_whitney(a, 20, b, 18);
    CHECK(u.u == 246);
    CHECK(!u.exact);
    CHECK(close_to(u.p, 0.055503981172345736, 1e-9));
}

TEST(utest_edge_cases)
{
    const double a[] = {1, 2, 3}, same[] = {5, 5, 5};
    CHECK(isnan(hl_stats_mann_whitney(a, 0, a, 3).p));
    CHECK(isnan(hl_stats_mann_whitney(a, 3, a, 0).p));
    hl_utest all_tied = hl_stats_mann_whitney(same, 3, same, 3);
    CHECK(all_tied.p == 1);
    const double hi[] = {100, 102, 98}, lo[] = {90, 91, 89};
    hl_utest sep = hl_stats_mann_whitney(hi, 3, lo, 3);
    CHECK(sep.u == 9);
    CHECK(close_to(sep.p, 0.1, 1e-12)); /* 2 / C(6,3) */
    hl_utest single = hl_stats_mann_whitney(hi, 1, lo, 1);
    CHECK(single.p == 1); /* 2 * 1/2 */
}

/* Reference model: enumerate every split of the pooled sample. */
static double brute_p(const double *a, size_t na, const double *b, size_t nb)
{
    double pool[32];
    size_t n = na + nb;
    for (size_t i = 0; i < na; i++)
        pool[i] = a[i];
    for (size_t i = 0; i < nb; i++)
        pool[na + i] = b[i];
    double u0 = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            u0 += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
    double le = 0, ge = 0, total = 0;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        if ((size_t)__builtin_popcount(mask) != na)
            continue;
        double u = 0;
        for (size_t i = 0; i < n; i++) {
            if (!(mask >> i & 1))
                continue;
            for (size_t j = 0; j < n; j++)
                if (!(mask >> j & 1))
                    u += pool[i] > pool[j] ? 1 : pool[i] == pool[j] ? 0.5 : 0;
        }
        total++;
        le += u <= u0;
        ge += u >= u0;
    }
    double p = 2 * (le < ge ? le : ge) / total;
    return p > 1 ? 1 : p;
}

TEST(utest_exact_matches_enumeration)
{
    uint64_t seed = 42;
    for (int round = 0; round < 200; round++) {
        size_t na = 1 + hl_test_rand(&seed) % 8, nb = 1 + hl_test_rand(&seed) % 8;
        double a[8], b[8];
        /* distinct values: a permutation of 0..n-1 with a random offset */
        double vals[16];
        size_t n = na + nb;
        for (size_t i = 0; i < n; i++)
            vals[i] = (double)i;
        for (size_t i = n; i > 1; i--) {
            size_t j = hl_test_rand(&seed) % i;
            double t = vals[i - 1];
            vals[i - 1] = vals[j];
            vals[j] = t;
        }
        for (size_t i = 0; i < na; i++)
            a[i] = vals[i];
        for (size_t i = 0; i < nb; i++)
            b[i] = vals[na + i];
        hl_utest u = hl_stats_mann_whitney(a, na, b, nb);
        double ref = brute_p(a, na, b, nb);
        CHECK(u.exact);
        CHECK_MSG(close_to(u.p, ref, 1e-12), "na=%zu nb=%zu p=%.17g ref=%.17g", na, nb, u.p, ref);
    }
}

TEST(percentile_monotone_property)
{
    uint64_t seed = 7;
    for (int round = 0; round < 100; round++) {
        size_t n = 1 + hl_test_rand(&seed) % 40;
        double x[40];
        for (size_t i = 0; i < n; i++)
            x[i] = (double)(hl_test_rand(&seed) % 1000) / 7.0;
        double prev = -INFINITY;
        for (int p = 0; p <= 100; p += 5) {
            double v = hl_stats_percentile(x, n, p);
            CHECK(v >= prev);
            prev = v;
        }
        CHECK(hl_stats_percentile(x, n, 0) == hl_stats_min(x, n));
        CHECK(hl_stats_percentile(x, n, 100) == hl_stats_max(x, n));
        CHECK(hl_stats_mad(x, n) >= 0);
    }
}


/* The exact coverage of [x(k), x(n+1-k)] by counting, for a reference
 * model: the fraction of the 2^n sign patterns around the median for which
 * fewer than k values fall below it or fewer than k above it is excluded. */
static double coverage_by_counting(size_t n, size_t k)
{
    double miss = 0, total = 0;
    for (uint64_t mask = 0; mask < (UINT64_C(1) << n); mask++) {
        size_t below = (size_t)__builtin_popcountll(mask);
        total += 1;
        if (below < k || n - below < k)
            miss += 1;
    }
    return 1 - miss / total;
}

TEST(median_interval_known_values)
{
    /* n <= 5: the range, with its coverage 1 - 2/2^n */
    const double three[] = {8.237, 8.17, 8.171};
    hl_interval r = hl_stats_median_interval(three, 3);
    CHECK(r.is_range && r.lo == 8.17 && r.hi == 8.237 && r.n == 3);
    CHECK(close_to(r.coverage, 0.75, 1e-12));
    const double skew[] = {11.0, 11.3, 20.7};
    r = hl_stats_median_interval(skew, 3);
    CHECK(r.lo == 11.0 && r.hi == 20.7);
    /* n = 9: [x(2), x(8)], coverage 1 - 2*(1+9)/512 */
    const double nine[] = {9, 1, 8, 2, 7, 3, 6, 4, 5};
    r = hl_stats_median_interval(nine, 9);
    CHECK(!r.is_range && r.lo == 2 && r.hi == 8);
    CHECK(close_to(r.coverage, 1 - 2.0 * 10 / 512, 1e-12));
    /* NAN values are left out */
    const double gaps[] = {NAN, 3, INFINITY, 1};
    r = hl_stats_median_interval(gaps, 4);
    CHECK(r.n == 2 && r.lo == 1 && r.hi == 3);
    r = hl_stats_median_interval(gaps, 0);
    CHECK(r.n == 0 && isnan(r.lo));
}

TEST(median_interval_matches_counting_model)
{
    /* For every n from 6 to 20 the chosen k is the largest whose counted
     * coverage is >= 95%, and the reported coverage is the counted one. */
    for (size_t n = 6; n <= 20; n++) {
        double x[20];
        for (size_t i = 0; i < n; i++)
            x[i] = (double)(n - i); /* sorted descending: the order must not matter */
        hl_interval r = hl_stats_median_interval(x, n);
        size_t k = (size_t)r.lo; /* x(k) == k for these values */
        CHECK_MSG(r.hi == (double)(n + 1 - k), "n=%zu", n);
        double cov = coverage_by_counting(n, k);
        CHECK_MSG(close_to(r.coverage, cov, 1e-9), "n=%zu: %g vs %g", n, r.coverage, cov);
        CHECK_MSG(cov >= 0.95, "n=%zu", n);
        CHECK_MSG(k + 1 > n / 2 || coverage_by_counting(n, k + 1) < 0.95, "n=%zu: k=%zu", n, k);
    }
}

TEST(utest_min_p_and_verdicts)
{
    CHECK(close_to(hl_stats_utest_min_p(2, 2), 2.0 / 6, 1e-12));
    CHECK(close_to(hl_stats_utest_min_p(3, 3), 0.1, 1e-12));
    CHECK(close_to(hl_stats_utest_min_p(4, 4), 2.0 / 70, 1e-12));
    CHECK(close_to(hl_stats_utest_min_p(9, 9), 2.0 / 48620, 1e-12));
    /* the minimum is what the exact test gives for separated samples */
    const double lo[] = {1, 2, 3, 4}, hi[] = {5, 6, 7, 8};
    hl_utest u = hl_stats_mann_whitney(lo, 4, hi, 4);
    CHECK(close_to(u.p, hl_stats_utest_min_p(4, 4), 1e-12));
    double p;
    /* 2 vs 2 and 3 vs 3 can never reach 0.05: inconclusive, whatever the data */
    const double a3[] = {8.6, 8.7, 8.65}, b3[] = {17.0, 17.1, 17.2};
    CHECK(hl_stats_verdict_sampled(a3, 2, b3, 2, 0.05, &p) == HL_VERDICT_INCONCLUSIVE);
    CHECK(isnan(p));
    CHECK(hl_stats_verdict_sampled(a3, 3, b3, 3, 0.05, &p) == HL_VERDICT_INCONCLUSIVE);
    /* 4 vs 4 separated: slower; identical: same */
    CHECK(hl_stats_verdict_sampled(lo, 4, hi, 4, 0.05, &p) == HL_VERDICT_SLOWER);
    CHECK(hl_stats_verdict_sampled(hi, 4, lo, 4, 0.05, &p) == HL_VERDICT_FASTER);
    CHECK(hl_stats_verdict_sampled(lo, 4, lo, 4, 0.05, &p) == HL_VERDICT_SAME && p == 1);
    CHECK(hl_stats_verdict_sampled(lo, 0, lo, 4, 0.05, &p) == HL_VERDICT_NO_DATA);
    /* exact counts: thresholds */
    CHECK(hl_stats_verdict_exact(138.0034, 138.0034, 0.001) == HL_VERDICT_SAME);
    CHECK(hl_stats_verdict_exact(138.0, 138.1, 0.001) == HL_VERDICT_SAME);
    CHECK(hl_stats_verdict_exact(138.0, 139.0, 0.001) == HL_VERDICT_SLOWER);
    CHECK(hl_stats_verdict_exact(138.0, 137.0, 0.001) == HL_VERDICT_FASTER);
    CHECK(hl_stats_verdict_exact(0, 137.0, 0.001) == HL_VERDICT_NO_DATA);
    CHECK_STR(hl_verdict_name(HL_VERDICT_INCONCLUSIVE), "inconclusive");
}

int main(void)
{
    RUN(steadiness_probe_reports_consistent_figures);
    RUN(descriptive_known_values);
    RUN(descriptive_edge_cases);
    RUN(utest_scipy_doc_example);
    RUN(utest_ties_use_corrected_normal);
    RUN(utest_large_sample_normal);
    RUN(utest_edge_cases);
    RUN(utest_exact_matches_enumeration);
    RUN(percentile_monotone_property);
    RUN(median_interval_known_values);
    RUN(median_interval_matches_counting_model);
    RUN(utest_min_p_and_verdicts);
    return hl_test_summary();
}
