/* verdict.c - rules applied to measured values (verdict.h).
 *
 * How it works
 * ------------
 * hl_judge walks the rule tree.  Each leaf asks the measurement callback
 * for its value, compares median and interval with what the published
 * claim predicts and appends one item; class_rank expands into one item
 * per (benchmark, allocator), per ordered pair it checks and per RSS sign.
 * Combinators fold their parts' verdicts.  The thresholds come from the
 * claims file, never from here: this file only decides how a median and
 * an interval meet a bound.
 *
 * Why the interval matters (direction, class_rank): on a shared machine a
 * median alone can land on either side of a bound by chance.  A verdict
 * of "holds" or "differs" therefore needs the interval on one side where
 * the claim is a direction, and "not comparable here: too noisy" is the
 * honest answer when it straddles the bound.  Bands (magnitudes with wide
 * tolerances already) use the median.
 */
#include "verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hl_cverdict_name(hl_cverdict v)
{
    switch (v) {
    case HL_CV_HOLDS: return "holds";
    case HL_CV_DIFFERS: return "differs";
    case HL_CV_NOT_COMPARABLE: return "not comparable here";
    }
    return "?";
}

typedef struct jctx {
    const hl_claims *set;
    hl_measure_fn fn;
    void *ctx;
    bool original;
    hl_judgement *out;
    bool oom;
} jctx;

static hl_judged_item *add_item(jctx *j, hl_cverdict v, const char *label)
{
    hl_judgement *o = j->out;
    if (o->n_items == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        hl_judged_item *n = realloc(o->items, cap * sizeof *n);
        if (!n) {
            j->oom = true;
            return NULL;
        }
        o->items = n;
        o->cap = cap;
    }
    hl_judged_item *it = &o->items[o->n_items++];
    memset(it, 0, sizeof *it);
    snprintf(it->label, sizeof it->label, "%s", label);
    it->v = v;
    it->published = it->measured = it->lo = it->hi = NAN;
    it->holds_lo = -INFINITY;
    it->holds_hi = INFINITY;
    if (v == HL_CV_HOLDS)
        o->n_holds++;
    else if (v == HL_CV_DIFFERS)
        o->n_differs++;
    else
        o->n_nc++;
    return it;
}

/* The verdict of an item can be settled after it was added. */
static void set_verdict(jctx *j, hl_judged_item *it, hl_cverdict v)
{
    hl_judgement *o = j->out;
    size_t *from = it->v == HL_CV_HOLDS ? &o->n_holds : it->v == HL_CV_DIFFERS ? &o->n_differs
                                                                               : &o->n_nc;
    size_t *to = v == HL_CV_HOLDS ? &o->n_holds : v == HL_CV_DIFFERS ? &o->n_differs : &o->n_nc;
    (*from)--;
    (*to)++;
    it->v = v;
}

static void whyf(hl_judged_item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void whyf(hl_judged_item *it, const char *fmt, ...)
{
    if (!it)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->why, sizeof it->why, fmt, ap);
    va_end(ap);
}

/* "1.23 [1.10, 1.40]" */
static void fmt_measured(const hl_measured *m, char *out, size_t outlen)
{
    if (m->lo == m->hi || !isfinite(m->lo) || !isfinite(m->hi))
        snprintf(out, outlen, "%.3g", m->value);
    else
        snprintf(out, outlen, "%.3g [%.3g, %.3g]", m->value, m->lo, m->hi);
}

static void fmt_bound(double v, char *out, size_t outlen)
{
    if (isinf(v))
        snprintf(out, outlen, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(out, outlen, "%.3g", v);
}

/* ", 0.64x the published 4.4" when there is a published value. */
static void vs_published(double measured, double published, char *out, size_t outlen)
{
    if (isfinite(published) && published != 0 && isfinite(measured))
        snprintf(out, outlen, "; %.2fx the published %.3g", measured / published, published);
    else
        out[0] = '\0';
}

static hl_judged_item *measured_item(jctx *j, const char *label, const hl_measured *m,
                                     double published)
{
    hl_judged_item *it = add_item(j, HL_CV_NOT_COMPARABLE, label);
    if (!it)
        return NULL;
    it->published = published;
    if (m->ok) {
        it->measured = m->value;
        it->lo = m->lo;
        it->hi = m->hi;
    } else {
        whyf(it, "%s", m->why);
    }
    return it;
}

static const char *label_or(const hl_claims_rule *r, const char *dflt)
{
    return r->label && r->label[0] ? r->label : dflt;
}

static hl_cverdict leaf_band(jctx *j, const hl_claims_rule *r)
{
    hl_measured m;
    memset(&m, 0, sizeof m);
    j->fn(j->ctx, &r->m, false, &m);
    hl_judged_item *it = measured_item(j, label_or(r, hl_measure_kind_name(r->m.kind)), &m,
                                       r->published);
    if (!it || !m.ok)
        return HL_CV_NOT_COMPARABLE;
    it->holds_lo = r->lo;
    it->holds_hi = r->hi;
    char mv[96], lo[32], hi[32], vp[96];
    fmt_measured(&m, mv, sizeof mv);
    fmt_bound(r->lo, lo, sizeof lo);
    fmt_bound(r->hi, hi, sizeof hi);
    vs_published(m.value, r->published, vp, sizeof vp);
    if (m.value >= r->lo && m.value <= r->hi) {
        set_verdict(j, it, HL_CV_HOLDS);
        whyf(it, "%s lies in [%s, %s]%s", mv, lo, hi, vp);
        return HL_CV_HOLDS;
    }
    set_verdict(j, it, HL_CV_DIFFERS);
    whyf(it, "%s is %s [%s, %s]%s", mv, m.value < r->lo ? "below" : "above", lo, hi, vp);
    return HL_CV_DIFFERS;
}

/* Median and interval against a one-sided claim: expected above (below)
 * pivot by at least threshold.  Shared by direction and class_rank. */
static hl_cverdict one_sided(jctx *j, hl_judged_item *it, const hl_measured *m, bool above,
                             double pivot, double threshold, bool significant)
{
    char mv[96], vp[96];
    fmt_measured(m, mv, sizeof mv);
    vs_published(m->value, it->published, vp, sizeof vp);
    if (above) {
        it->holds_lo = threshold;
        it->holds_hi = INFINITY;
    } else {
        it->holds_lo = -INFINITY;
        it->holds_hi = threshold;
    }
    bool reaches = above ? m->value >= threshold : m->value <= threshold;
    bool clear = !significant || (above ? m->lo > pivot : m->hi < pivot);
    bool short_all = above ? m->hi < threshold : m->lo > threshold;
    const char *op = above ? ">=" : "<=";
    if (reaches && clear) {
        set_verdict(j, it, HL_CV_HOLDS);
        if (threshold != pivot && significant)
            whyf(it, "%s reaches %s %.3g with the interval clear of %.3g%s", mv, op, threshold,
                 pivot, vp);
        else if (threshold != pivot)
            whyf(it, "%s reaches %s %.3g%s", mv, op, threshold, vp);
        else
            whyf(it, "%s is %s %.3g%s%s", mv, above ? "above" : "below", pivot,
                 significant ? ", the whole interval" : "", vp);
        return HL_CV_HOLDS;
    }
    if (short_all || (!significant && !reaches)) {
        set_verdict(j, it, HL_CV_DIFFERS);
        bool wrong_side = above ? m->value < pivot : m->value > pivot;
        if (wrong_side)
            whyf(it, "%s is on the wrong side of %.3g (expected %s)%s", mv, pivot,
                 above ? "above" : "below", vp);
        else
            whyf(it, "%s falls short of %s %.3g%s", mv, op, threshold, vp);
        return HL_CV_DIFFERS;
    }
    whyf(it, "too noisy to tell: %s neither clears %.3g nor rules out %s %.3g (%zu values)", mv,
         pivot, op, threshold, m->n);
    return HL_CV_NOT_COMPARABLE;
}

static hl_cverdict leaf_direction(jctx *j, const hl_claims_rule *r)
{
    hl_measured m;
    memset(&m, 0, sizeof m);
    j->fn(j->ctx, &r->m, false, &m);
    hl_judged_item *it = measured_item(j, label_or(r, hl_measure_kind_name(r->m.kind)), &m,
                                       r->published);
    if (!it || !m.ok)
        return HL_CV_NOT_COMPARABLE;
    return one_sided(j, it, &m, r->above, r->pivot, r->threshold, r->significant);
}

/* ---- class_rank --------------------------------------------------------------------- */

const char *hl_verdict_class(const hl_claims_envelope *e, const double *v, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
            k++;
        }
    if (k == 0)
        return "varies";
    if (lo > e->large_min)
        return "large";
    if (lo > e->slower_min)
        return "slower";
    if (hi <= e->parity_max)
        return "parity";
    return "varies";
}

static hl_claims_measure ratio_measure(const char *workload, const char *num,
                                       const char *den, const char *metric)
{
    hl_claims_measure m;
    memset(&m, 0, sizeof m);
    m.kind = HL_MEASURE_RATIO;
    m.metric = m.den_metric = metric;
    m.num.workload = m.den.workload = workload;
    m.num.backend = num;
    m.den.backend = den;
    m.num.variant = m.den.variant = "";
    m.num.threads = m.den.threads = HL_CLAIMS_THREADS_ANY;
    m.scale = m.per = m.unit = 1;
    return m;
}

static void class_item(jctx *j, const hl_claims_envelope *e, const hl_claims_env_bench *b,
                       size_t ai, int machine, bool original)
{
    const char *x = b->allocs[ai].backend;
    const double *v = b->allocs[ai].v;
    const char *cls = hl_verdict_class(e, v, e->n_machines);
    double lo = INFINITY, hi = -INFINITY;
    size_t nm = 0, above = 0, below = 0;
    for (size_t i = 0; i < e->n_machines; i++)
        if (isfinite(v[i])) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
            nm++;
            above += v[i] > 1;
            below += v[i] < 1;
        }
    const char *wl = original ? b->original : b->workload;
    char label[240];
    snprintf(label, sizeof label, "%s%s: %s/%s (%s: %.3g..%.3g on %zu machines)",
             original ? "original " : "", original ? b->original : b->name, x, e->reference,
             cls, lo, hi, nm);
    hl_claims_measure m = ratio_measure(wl, x, e->reference, "time");
    hl_measured r;
    memset(&r, 0, sizeof r);
    j->fn(j->ctx, &m, original, &r);
    hl_judged_item *it = measured_item(j, label, &r, machine >= 0 ? v[machine] : NAN);
    if (!it || !r.ok)
        return;
    char mv[96], vp[96];
    fmt_measured(&r, mv, sizeof mv);
    vs_published(r.value, it->published, vp, sizeof vp);
    if (strcmp(cls, "large") == 0) {
        one_sided(j, it, &r, true, 1, e->large_holds, false);
    } else if (strcmp(cls, "slower") == 0) {
        /* slower than the reference by more than slower_min, the interval above 1 */
        one_sided(j, it, &r, true, 1, e->slower_min, true);
    } else if (strcmp(cls, "parity") == 0) {
        it->holds_lo = 1 / e->parity_holds;
        it->holds_hi = e->parity_holds;
        if (r.value >= it->holds_lo && r.value <= it->holds_hi) {
            set_verdict(j, it, HL_CV_HOLDS);
            whyf(it, "%s is within parity [%.3g, %.3g]%s", mv, it->holds_lo, it->holds_hi, vp);
        } else {
            set_verdict(j, it, HL_CV_DIFFERS);
            whyf(it, "%s is outside parity [%.3g, %.3g]%s", mv, it->holds_lo, it->holds_hi,
                 vp);
        }
    } else if (above == nm || below == nm) {
        /* varies in magnitude, agrees in direction: only the side is judged */
        one_sided(j, it, &r, above == nm, 1, 1, true);
        char tail[sizeof it->why];
        memcpy(tail, it->why, sizeof tail);
        whyf(it, "%.600s (direction only: the published magnitudes vary)", tail);
    } else {
        whyf(it, "%s; not judged: the published machines disagree on the direction (%zu above "
                 "1, %zu below)", mv, above, below);
    }
}

/* Pairs of non-reference allocators whose published order is clear on most
 * machines must keep it where the measured difference is significant. */
static void rank_items(jctx *j, const hl_claims_envelope *e, const hl_claims_env_bench *b,
                       bool original)
{
    const char *wl = original ? b->original : b->workload;
    for (size_t x = 0; x < b->n_allocs; x++)
        for (size_t y = x + 1; y < b->n_allocs; y++) {
            size_t n = 0, xs = 0, ys = 0;
            for (size_t i = 0; i < e->n_machines; i++) {
                double a = b->allocs[x].v[i], c = b->allocs[y].v[i];
                if (!isfinite(a) || !isfinite(c))
                    continue;
                n++;
                xs += a / c >= e->rank_gap;
                ys += c / a >= e->rank_gap;
            }
            if (n == 0 || (2 * xs <= n && 2 * ys <= n))
                continue;
            bool x_slower = 2 * xs > n;
            const char *slow = b->allocs[x_slower ? x : y].backend;
            const char *fast = b->allocs[x_slower ? y : x].backend;
            char label[240];
            snprintf(label, sizeof label, "%s%s: %s slower than %s (%zu of %zu machines by >= "
                                          "%.0f%%)",
                     original ? "original " : "", original ? b->original : b->name, slow, fast,
                     x_slower ? xs : ys, n, (e->rank_gap - 1) * 100);
            hl_claims_measure m = ratio_measure(wl, slow, fast, "time");
            hl_measured r;
            memset(&r, 0, sizeof r);
            j->fn(j->ctx, &m, original, &r);
            hl_judged_item *it = measured_item(j, label, &r, NAN);
            if (!it || !r.ok)
                continue;
            char mv[96];
            fmt_measured(&r, mv, sizeof mv);
            it->holds_lo = 1;
            if (r.lo > 1) {
                set_verdict(j, it, HL_CV_HOLDS);
                whyf(it, "%s/%s %s: the order holds", slow, fast, mv);
            } else if (r.hi < 1) {
                set_verdict(j, it, HL_CV_DIFFERS);
                whyf(it, "%s/%s %s: the pair is flipped here", slow, fast, mv);
            } else {
                whyf(it, "%s/%s %s: no significant difference here (the interval includes 1)",
                     slow, fast, mv);
            }
        }
}

static void rss_items(jctx *j, const hl_claims_rule *r, const hl_claims_envelope *e,
                      bool original)
{
    for (size_t i = 0; i < r->n_rss; i++) {
        const hl_claims_env_bench *b = hl_claims_env_bench_find(e, r->rss[i].benchmark);
        const char *wl = original ? b->original : b->workload;
        if (!wl[0])
            continue;
        for (size_t k = 0; k < r->rss[i].n; k++) {
            double p = r->rss[i].ratio[k];
            if (p >= r->rss_lo && p <= r->rss_hi)
                continue; /* too close to 1 to have a sign worth judging */
            char label[240];
            snprintf(label, sizeof label, "%s%s: peak RSS %s/%s %s 1", original ? "original " : "",
                     original ? b->original : b->name, r->rss[i].backend[k], e->reference,
                     p > 1 ? "above" : "below");
            hl_claims_measure m = ratio_measure(wl, r->rss[i].backend[k], e->reference,
                                                "peak_rss");
            hl_measured mr;
            memset(&mr, 0, sizeof mr);
            j->fn(j->ctx, &m, original, &mr);
            hl_judged_item *it = measured_item(j, label, &mr, p);
            if (it && mr.ok)
                one_sided(j, it, &mr, p > 1, 1, 1, true);
        }
    }
}

static hl_cverdict fold(const hl_judgement *o, size_t first, bool any)
{
    size_t h = 0, d = 0, n = 0;
    for (size_t i = first; i < o->n_items; i++) {
        n++;
        h += o->items[i].v == HL_CV_HOLDS;
        d += o->items[i].v == HL_CV_DIFFERS;
    }
    if (any)
        return h ? HL_CV_HOLDS : d ? HL_CV_DIFFERS : HL_CV_NOT_COMPARABLE;
    return d ? HL_CV_DIFFERS : h ? HL_CV_HOLDS : HL_CV_NOT_COMPARABLE;
}

static hl_cverdict leaf_class_rank(jctx *j, const hl_claims_rule *r)
{
    const hl_claims_envelope *e = hl_claims_envelope_find(j->set, r->envelope);
    int machine = hl_claims_env_machine(e, r->machine);
    size_t first = j->out->n_items;
    for (size_t i = 0; i < r->n_benchmarks; i++) {
        const hl_claims_env_bench *b = hl_claims_env_bench_find(e, r->benchmarks[i]);
        /* heaplab's workload where it has one; the original where it has none
         * (judged on the original when --bench-dir ran it) */
        bool orig = j->original || !b->workload[0];
        if (orig && !b->original[0])
            continue;
        if (!isfinite(b->allocs[0].v[machine]) && machine >= 0) {
            bool any = false;
            for (size_t a = 0; a < b->n_allocs; a++)
                any |= isfinite(b->allocs[a].v[machine]);
            if (!any)
                continue; /* this claim's machine has no figure for the benchmark */
        }
        for (size_t a = 0; a < b->n_allocs; a++)
            if (isfinite(b->allocs[a].v[machine]))
                class_item(j, e, b, a, machine, orig);
        rank_items(j, e, b, orig);
    }
    rss_items(j, r, e, j->original);
    return fold(j->out, first, false);
}

static hl_cverdict judge_rule(jctx *j, const hl_claims_rule *r)
{
    switch (r->kind) {
    case HL_RULE_BAND:
        return leaf_band(j, r);
    case HL_RULE_DIRECTION:
        return leaf_direction(j, r);
    case HL_RULE_CLASS_RANK:
        return leaf_class_rank(j, r);
    case HL_RULE_NOT_MEASURED: {
        hl_judged_item *it = add_item(j, HL_CV_NOT_COMPARABLE, label_or(r, "not measured"));
        whyf(it, "%s", r->reason);
        return HL_CV_NOT_COMPARABLE;
    }
    case HL_RULE_ALL:
    case HL_RULE_ANY: {
        size_t h = 0, d = 0;
        for (size_t i = 0; i < r->n_parts; i++) {
            hl_cverdict v = judge_rule(j, &r->parts[i]);
            h += v == HL_CV_HOLDS;
            d += v == HL_CV_DIFFERS;
        }
        if (r->kind == HL_RULE_ANY)
            return h ? HL_CV_HOLDS : d ? HL_CV_DIFFERS : HL_CV_NOT_COMPARABLE;
        return d ? HL_CV_DIFFERS : h ? HL_CV_HOLDS : HL_CV_NOT_COMPARABLE;
    }
    }
    return HL_CV_NOT_COMPARABLE;
}

int hl_judge(const hl_claims *set, const hl_claims_rule *rule, hl_measure_fn fn, void *ctx,
             bool original, hl_judgement *out)
{
    memset(out, 0, sizeof *out);
    jctx j = {set, fn, ctx, original, out, false};
    out->v = judge_rule(&j, rule);
    if (j.oom)
        return -1;
    /* The summary: what decided the verdict. */
    const hl_judged_item *first = NULL;
    for (size_t i = 0; i < out->n_items && !first; i++)
        if (out->items[i].v == out->v)
            first = &out->items[i];
    if (out->v == HL_CV_HOLDS) {
        size_t judged = out->n_holds + out->n_differs;
        int len = snprintf(out->summary, sizeof out->summary, "%zu of %zu judged part%s hold%s",
                           out->n_holds, judged, judged == 1 ? "" : "s",
                           out->n_holds == 1 ? "s" : "");
        if (out->n_differs && len > 0 && (size_t)len < sizeof out->summary)
            len += snprintf(out->summary + len, sizeof out->summary - (size_t)len,
                            " (one of the alternatives is enough)");
        if (out->n_nc && len > 0 && (size_t)len < sizeof out->summary)
            snprintf(out->summary + len, sizeof out->summary - (size_t)len,
                     "; %zu not comparable here", out->n_nc);
    } else if (first) {
        size_t same = out->v == HL_CV_DIFFERS ? out->n_differs : out->n_nc;
        snprintf(out->summary, sizeof out->summary, "%.200s: %.600s%s", first->label,
                 first->why, same > 1 ? " (and more, below)" : "");
    } else {
        snprintf(out->summary, sizeof out->summary, "nothing to judge");
    }
    return 0;
}

void hl_judgement_free(hl_judgement *j)
{
    free(j->items);
    memset(j, 0, sizeof *j);
}
