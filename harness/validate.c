/* validate.c - see validate.h.
 *
 * How it works
 * ------------
 * Everything here is arithmetic on per-round values the caller collected
 * from a result set (cli_validate.c): no files, no processes, so that the
 * agreement score is checked on constructed inputs (tests/test_validate.c).
 * A pair's class is decided from CPython's side first (can the measurement
 * tell the two apart at all?), and only then is heaplab's prediction read:
 * the score never depends on how noisy heaplab's own cells were, only on
 * whether heaplab puts the two configurations in the order real CPython
 * showed beyond its noise.
 */
#include "validate.h"

#include "pyconfig.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int hl_validate_counterpart(const char *config, char *out, size_t outlen, char *err,
                            size_t errlen)
{
    hl_pyconfig cfg;
    if (hl_pyconfig_parse(config, &cfg, err, errlen) != 0)
        return -1;
    if (strcmp(cfg.obj, "pymalloc") == 0)
        snprintf(out, outlen, cfg.preload[0] ? "pool:raw=%s" : "pool", cfg.preload);
    else if (strcmp(cfg.obj, "malloc") == 0)
        snprintf(out, outlen, "%s", cfg.preload[0] ? cfg.preload : "system");
    else
        snprintf(out, outlen, "mimalloc"); /* PYTHONMALLOC=mimalloc: every domain on it */
    return 0;
}

const char *hl_val_class_name(hl_val_class c)
{
    switch (c) {
    case HL_VAL_AGREE:
        return "agree";
    case HL_VAL_DISAGREE:
        return "disagree";
    case HL_VAL_NOISE:
        return "noise";
    case HL_VAL_SAME_MODEL:
        return "same-model";
    case HL_VAL_NO_ESTIMATE:
        return "no-estimate";
    }
    return "?";
}

static bool usable(double v)
{
    return isfinite(v) && v > 0;
}

hl_val_ratio hl_validate_ratio(const double *x, const double *y, size_t rounds)
{
    double r[HL_VAL_MAX_ROUNDS];
    size_t n = 0;
    for (size_t k = 0; k < rounds && k < HL_VAL_MAX_ROUNDS; k++)
        if (usable(x[k]) && usable(y[k]))
            r[n++] = y[k] / x[k];
    hl_val_ratio out = {.median = n ? hl_stats_median(r, n) : NAN, .n = n};
    out.iv = hl_stats_median_interval(r, n);
    return out;
}

/* Which side of 1 a ratio is on: -1, 0 (exactly 1) or 1; 0 for NAN too. */
static int side(double ratio)
{
    return isfinite(ratio) ? (ratio > 1) - (ratio < 1) : 0;
}

static hl_val_class classify(const hl_val_series *sa, const hl_val_series *sb,
                             const hl_val_pair *p)
{
    if (p->cpython.n < 2)
        return HL_VAL_NO_ESTIMATE;
    if (strcmp(sa->backend, sb->backend) == 0)
        return HL_VAL_SAME_MODEL;
    if (p->cpython.iv.lo <= 1 && p->cpython.iv.hi >= 1)
        return HL_VAL_NOISE;
    int want = side(p->cpython.median), got = side(p->heaplab.median);
    return got != 0 && got == want ? HL_VAL_AGREE : HL_VAL_DISAGREE;
}

void hl_validate_block(const hl_val_series *s, size_t n, size_t rounds, hl_val_block *out)
{
    memset(out, 0, sizeof *out);
    if (n > HL_VAL_MAX_SERIES)
        n = HL_VAL_MAX_SERIES;
    if (rounds > HL_VAL_MAX_ROUNDS)
        rounds = HL_VAL_MAX_ROUNDS;
    out->n_series = n;
    for (size_t i = 0; i < n; i++) {
        out->cpython_rel[i] = hl_validate_ratio(s[0].cpython, s[i].cpython, rounds);
        out->heaplab_rel[i] = hl_validate_ratio(s[0].heaplab, s[i].heaplab, rounds);
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            hl_val_pair *p = &out->pairs[out->n_pairs++];
            p->a = a;
            p->b = b;
            p->cpython = hl_validate_ratio(s[a].cpython, s[b].cpython, rounds);
            p->heaplab = hl_validate_ratio(s[a].heaplab, s[b].heaplab, rounds);
            p->cls = classify(&s[a], &s[b], p);
            out->agree += p->cls == HL_VAL_AGREE;
            out->counted += p->cls == HL_VAL_AGREE || p->cls == HL_VAL_DISAGREE;
        }
}

void hl_validate_score_add(hl_val_score *sc, const hl_val_block *b)
{
    for (size_t i = 0; i < b->n_pairs; i++) {
        hl_val_class c = b->pairs[i].cls;
        sc->agree += c == HL_VAL_AGREE;
        sc->counted += c == HL_VAL_AGREE || c == HL_VAL_DISAGREE;
        sc->noise += c == HL_VAL_NOISE;
        sc->same_model += c == HL_VAL_SAME_MODEL;
        sc->no_estimate += c == HL_VAL_NO_ESTIMATE;
    }
}

double hl_validate_score(const hl_val_score *sc)
{
    return sc->counted ? (double)sc->agree / (double)sc->counted : NAN;
}
