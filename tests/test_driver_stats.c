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

#include <math.h>

static int close_to(double a, double b, double tol)
{
    return fabs(a - b) <= tol * (fabs(b) > 1 ? fabs(b) : 1);
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

int main(void)
{
    RUN(descriptive_known_values);
    RUN(descriptive_edge_cases);
    RUN(utest_scipy_doc_example);
    RUN(utest_ties_use_corrected_normal);
    RUN(utest_large_sample_normal);
    RUN(utest_edge_cases);
    RUN(utest_exact_matches_enumeration);
    RUN(percentile_monotone_property);
    return hl_test_summary();
}
