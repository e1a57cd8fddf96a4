/* test_validate.c - the agreement computation of `heaplab validate`
 * (harness/validate.h) on constructed inputs whose answers are derived by
 * hand in the comments, and the CPython configuration -> heaplab backend
 * mapping.  Nothing here runs a process or times anything.
 */
#include "hl_test.h"
#include "validate.h"

#include <math.h>
#include <string.h>

static void series(hl_val_series *s, const char *config, const char *backend, const double *cpy,
                   const double *hl, size_t n)
{
    memset(s, 0, sizeof *s);
    snprintf(s->config, sizeof s->config, "%s", config);
    snprintf(s->backend, sizeof s->backend, "%s", backend);
    for (size_t k = 0; k < HL_VAL_MAX_ROUNDS; k++)
        s->cpython[k] = s->heaplab[k] = NAN;
    for (size_t k = 0; k < n; k++) {
        s->cpython[k] = cpy[k];
        s->heaplab[k] = hl[k];
    }
}

static const hl_val_pair *pair(const hl_val_block *b, size_t x, size_t y)
{
    for (size_t i = 0; i < b->n_pairs; i++)
        if (b->pairs[i].a == x && b->pairs[i].b == y)
            return &b->pairs[i];
    return NULL;
}

TEST(counterparts)
{
    char out[64], err[256];
    static const char *const cases[][2] = {
        {"pymalloc", "pool"},          {"pymalloc+jemalloc", "pool:raw=jemalloc"},
        {"malloc", "system"},          {"malloc+jemalloc", "jemalloc"},
        {"malloc+mimalloc", "mimalloc"}, {"mimalloc", "mimalloc"},
        {"malloc+tcmalloc", "tcmalloc"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(hl_validate_counterpart(cases[i][0], out, sizeof out, err, sizeof err) == 0);
        CHECK_STR(out, cases[i][1]);
    }
    CHECK(hl_validate_counterpart("pool", out, sizeof out, err, sizeof err) == -1);
    CHECK(strstr(err, "CPython configuration 'pool'") != NULL);
    CHECK(hl_validate_counterpart("mimalloc+jemalloc", out, sizeof out, err, sizeof err) == -1);
}

/* Five configurations, three rounds (values are "ns per operation").
 *
 *   #  config           heaplab    CPython rounds     heaplab rounds
 *   0  pymalloc         pool       100 102  98         50 50 50
 *   1  malloc           system     120 118 125         60 61 59
 *   2  malloc+jemalloc  jemalloc   101  99 103         70 70 70
 *   3  malloc+mimalloc  mimalloc    80  81  79         45 46 44
 *   4  mimalloc         mimalloc    60  61   -         45 46 44
 *
 * CPython's per-round ratios b/a and their range (3 rounds: [min, max]):
 *   (0,1) 1.200 1.157 1.276   excludes 1, above; heaplab 1.2 1.22 1.18 above  agree
 *   (0,2) 1.010 0.971 1.051   contains 1                                       noise
 *   (0,3) 0.800 0.794 0.806   below; heaplab 0.90 0.92 0.88 below              agree
 *   (0,4) 0.600 0.598 (2 rounds) below; heaplab below                          agree
 *   (1,2) 0.842 0.839 0.824   below; heaplab 70/60 = 1.17 above                disagree
 *   (1,3) 0.667 0.686 0.632   below; heaplab 0.75 below                        agree
 *   (1,4) 0.500 0.517         below; heaplab below                             agree
 *   (2,3) 0.792 0.818 0.767   below; heaplab 0.64 below                        agree
 *   (2,4) 0.594 0.616         below; heaplab below                             agree
 *   (3,4) both heaplab's mimalloc                                              same-model
 * agree 7, disagree 1: score 7/8 = 0.875; 1 noise, 1 same-model. */
TEST(five_configurations_by_hand)
{
    hl_val_series s[5];
    series(&s[0], "pymalloc", "pool", (double[]){100, 102, 98}, (double[]){50, 50, 50}, 3);
    series(&s[1], "malloc", "system", (double[]){120, 118, 125}, (double[]){60, 61, 59}, 3);
    series(&s[2], "malloc+jemalloc", "jemalloc", (double[]){101, 99, 103}, (double[]){70, 70, 70},
           3);
    series(&s[3], "malloc+mimalloc", "mimalloc", (double[]){80, 81, 79}, (double[]){45, 46, 44},
           3);
    series(&s[4], "mimalloc", "mimalloc", (double[]){60, 61, NAN}, (double[]){45, 46, 44}, 3);
    hl_val_block b;
    hl_validate_block(s, 5, 3, &b);
    CHECK(b.n_series == 5);
    CHECK(b.n_pairs == 10);
    CHECK(pair(&b, 0, 1)->cls == HL_VAL_AGREE);
    CHECK(pair(&b, 0, 2)->cls == HL_VAL_NOISE);
    CHECK(pair(&b, 0, 3)->cls == HL_VAL_AGREE);
    CHECK(pair(&b, 0, 4)->cls == HL_VAL_AGREE);
    CHECK(pair(&b, 1, 2)->cls == HL_VAL_DISAGREE);
    CHECK(pair(&b, 1, 3)->cls == HL_VAL_AGREE);
    CHECK(pair(&b, 1, 4)->cls == HL_VAL_AGREE);
    CHECK(pair(&b, 2, 3)->cls == HL_VAL_AGREE);
    CHECK(pair(&b, 2, 4)->cls == HL_VAL_AGREE);
    CHECK(pair(&b, 3, 4)->cls == HL_VAL_SAME_MODEL);
    CHECK(b.agree == 7 && b.counted == 8);
    /* the pair's figures: (0,1) median of 1.2, 1.157, 1.276 is 1.2, range as above */
    const hl_val_pair *p = pair(&b, 0, 1);
    CHECK(p->cpython.n == 3 && fabs(p->cpython.median - 1.2) < 1e-12);
    CHECK(fabs(p->cpython.iv.lo - 118.0 / 102) < 1e-12 && fabs(p->cpython.iv.hi - 125.0 / 98) < 1e-12);
    CHECK(p->cpython.iv.is_range);
    CHECK(pair(&b, 0, 4)->cpython.n == 2);
    /* relative to series 0: malloc's CPython ratio 1.2, jemalloc's heaplab ratio 70/50 */
    CHECK(fabs(b.cpython_rel[1].median - 1.2) < 1e-12);
    CHECK(fabs(b.heaplab_rel[2].median - 1.4) < 1e-12);
    CHECK(fabs(b.cpython_rel[0].median - 1.0) < 1e-12);
    hl_val_score sc = {0};
    hl_validate_score_add(&sc, &b);
    CHECK(sc.agree == 7 && sc.counted == 8 && sc.noise == 1 && sc.same_model == 1 &&
          sc.no_estimate == 0);
    CHECK(fabs(hl_validate_score(&sc) - 0.875) < 1e-12);
}

/* A heaplab tie is a miss, one round is no estimate, and blocks add up:
 *   tie: CPython 10 vs 20 in every round (ratio 2, excludes 1), heaplab 5 vs 5
 *        (ratio exactly 1): disagree;
 *   one: CPython has both values in one round only: no-estimate.
 * With the block above: agree 7, counted 9, score 7/9. */
TEST(ties_single_rounds_and_sums)
{
    hl_val_series s[5];
    series(&s[0], "pymalloc", "pool", (double[]){10, 10, 10}, (double[]){5, 5, 5}, 3);
    series(&s[1], "malloc", "system", (double[]){20, 20, 20}, (double[]){5, 5, 5}, 3);
    hl_val_block tie;
    hl_validate_block(s, 2, 3, &tie);
    CHECK(tie.n_pairs == 1 && tie.pairs[0].cls == HL_VAL_DISAGREE);
    CHECK(tie.agree == 0 && tie.counted == 1);

    series(&s[0], "pymalloc", "pool", (double[]){10, NAN, 0}, (double[]){5, 5, 5}, 3);
    series(&s[1], "malloc", "system", (double[]){20, 21, 22}, (double[]){9, 9, 9}, 3);
    hl_val_block one;
    hl_validate_block(s, 2, 3, &one);
    CHECK(one.pairs[0].cls == HL_VAL_NO_ESTIMATE && one.pairs[0].cpython.n == 1);
    CHECK(one.counted == 0);

    series(&s[0], "pymalloc", "pool", (double[]){100, 102, 98}, (double[]){50, 50, 50}, 3);
    series(&s[1], "malloc", "system", (double[]){120, 118, 125}, (double[]){60, 61, 59}, 3);
    series(&s[2], "malloc+jemalloc", "jemalloc", (double[]){101, 99, 103}, (double[]){70, 70, 70},
           3);
    series(&s[3], "malloc+mimalloc", "mimalloc", (double[]){80, 81, 79}, (double[]){45, 46, 44},
           3);
    series(&s[4], "mimalloc", "mimalloc", (double[]){60, 61, NAN}, (double[]){45, 46, 44}, 3);
    hl_val_block five;
    hl_validate_block(s, 5, 3, &five);
    hl_val_score sc = {0};
    hl_validate_score_add(&sc, &five);
    hl_validate_score_add(&sc, &tie);
    hl_validate_score_add(&sc, &one);
    CHECK(sc.agree == 7 && sc.counted == 9 && sc.noise == 1 && sc.same_model == 1 &&
          sc.no_estimate == 1);
    CHECK(fabs(hl_validate_score(&sc) - 7.0 / 9) < 1e-12);
    hl_val_score none = {0};
    CHECK(isnan(hl_validate_score(&none)));
}

/* From 6 rounds the interval is the median's 95% interval, not the range
 * (stats.h): at 9 rounds it is [x(2), x(8)].  Ratios 1.1 in eight rounds
 * and 0.9 in one: the range [0.9, 1.1] contains 1, the interval [1.1, 1.1]
 * does not, so the pair counts (and heaplab, above 1, agrees).  At 5
 * rounds with one 0.9 the range rules: noise. */
TEST(interval_not_range_from_six_rounds)
{
    double a[9], b[9], ha[9], hb[9];
    for (int k = 0; k < 9; k++) {
        a[k] = 100;
        b[k] = k == 4 ? 90 : 110;
        ha[k] = 10;
        hb[k] = 12;
    }
    hl_val_series s[2];
    series(&s[0], "pymalloc", "pool", a, ha, 9);
    series(&s[1], "malloc", "system", b, hb, 9);
    hl_val_block blk;
    hl_validate_block(s, 2, 9, &blk);
    CHECK(!blk.pairs[0].cpython.iv.is_range);
    CHECK(fabs(blk.pairs[0].cpython.iv.lo - 1.1) < 1e-12);
    CHECK(blk.pairs[0].cls == HL_VAL_AGREE);
    hl_validate_block(s, 2, 5, &blk);
    CHECK(blk.pairs[0].cpython.iv.is_range);
    CHECK(blk.pairs[0].cls == HL_VAL_NOISE);
}

int main(void)
{
    RUN(counterparts);
    RUN(five_configurations_by_hand);
    RUN(ties_single_rounds_and_sums);
    RUN(interval_not_range_from_six_rounds);
    return hl_test_summary();
}
