/* measure.c - measures over result sets (measure.h).
 *
 * How it works
 * ------------
 * For each side of a measure: walk every result set the selector may read
 * (original or heaplab's, the variant it names) and keep the cells that
 * match.  Pair num and den cells that agree on what the selectors leave
 * open, compute each pair's median and interval (round by round within a
 * set, from the two medians across sets), check that threaded cells really
 * ran their threads at once, and combine the pairs (geometric mean for
 * ratios, arithmetic mean for savings, slopes and values).  Whatever goes
 * wrong becomes out->ok = false with a sentence, never a silent default.
 */
#include "measure.h"

#include "stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 256

/* snprintf through a va_list: the sentences are cut, never overflow. */
static void say(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, outlen, fmt, ap);
    va_end(ap);
}

static const hl_kv *extra_of(const hl_rep *r, const char *name)
{
    for (size_t i = 0; i < r->n_extra; i++)
        if (strcmp(r->extra[i].name, name) == 0)
            return &r->extra[i];
    return NULL;
}

static bool rep_ok(const hl_rep *r)
{
    return r->done && strcmp(r->status, "ok") == 0;
}

double hl_measure_rep_value(const hl_resultset *rs, size_t cell, unsigned rep,
                            const char *metric)
{
    const hl_rep *r = hl_results_rep_c(rs, cell, rep);
    if (!rep_ok(r))
        return NAN;
    if (strcmp(metric, "time") == 0)
        return r->m[hl_results_primary_metric(rs)];
    if (strcmp(metric, "cpu_time") == 0) {
        const hl_kv *kv = extra_of(r, "time.cpu_ns_per_op");
        return kv ? kv->value : NAN;
    }
    if (strcmp(metric, "peak_rss") == 0)
        return r->m[HL_M_PEAK_RSS_KIB];
    if (strncmp(metric, "extra:", 6) == 0) {
        const hl_kv *kv = extra_of(r, metric + 6);
        return kv ? kv->value : NAN;
    }
    for (int i = 0; i < HL_M_COUNT; i++)
        if (strcmp(metric, hl_metric_names[i]) == 0)
            return r->m[i];
    return NAN;
}

double hl_measure_parallelism(const hl_resultset *rs, size_t cell)
{
    double v[1024];
    size_t n = 0;
    bool command = hl_plan_cell_is_command(&rs->plan.cells[cell]);
    for (unsigned k = 0; k < rs->plan.repetitions && n < 1024; k++) {
        const hl_rep *r = hl_results_rep_c(rs, cell, k);
        if (!rep_ok(r))
            continue;
        double p = NAN;
        if (command) {
            if (r->m[HL_M_WALL_S] > 0)
                p = (r->m[HL_M_USER_S] + r->m[HL_M_SYS_S]) / r->m[HL_M_WALL_S];
        } else {
            const hl_kv *cpu = extra_of(r, "time.cpu_ns_per_op");
            if (cpu && r->m[HL_M_NS_PER_OP] > 0)
                p = cpu->value / r->m[HL_M_NS_PER_OP];
        }
        if (isfinite(p))
            v[n++] = p;
    }
    return n ? hl_stats_median(v, n) : NAN;
}

/* A cell's resolved value of a parameter: explicit override, else what the
 * cell reported (params.NAME). */
static bool cell_param(const hl_resultset *rs, size_t cell, const char *name, int64_t *out)
{
    const hl_plan_cell *c = &rs->plan.cells[cell];
    for (size_t i = 0; i < c->n_params; i++)
        if (strcmp(c->params[i].name, name) == 0) {
            *out = c->params[i].value;
            return true;
        }
    char key[80];
    snprintf(key, sizeof key, "params.%s", name);
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        const hl_kv *kv = extra_of(hl_results_rep_c(rs, cell, k), key);
        if (kv) {
            *out = (int64_t)kv->value;
            return true;
        }
    }
    return false;
}

/* The parameter names a cell has (explicit and reported), up to max. */
static size_t cell_param_names(const hl_resultset *rs, size_t cell, const char **out,
                               size_t max)
{
    size_t n = 0;
    const hl_plan_cell *c = &rs->plan.cells[cell];
    for (size_t i = 0; i < c->n_params && n < max; i++)
        out[n++] = c->params[i].name;
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        const hl_rep *r = hl_results_rep_c(rs, cell, k);
        if (!r->n_extra)
            continue;
        for (size_t i = 0; i < r->n_extra && n < max; i++) {
            if (strncmp(r->extra[i].name, "params.", 7) != 0)
                continue;
            const char *nm = r->extra[i].name + 7;
            bool seen = false;
            for (size_t j = 0; j < n; j++)
                seen |= strcmp(out[j], nm) == 0;
            if (!seen)
                out[n++] = nm;
        }
        break;
    }
    return n;
}

static bool backend_matches(const char *cell_backend, const char *want)
{
    if (!want[0] || strcmp(cell_backend, want) == 0)
        return true;
    size_t n = strlen(want);
    return strncmp(cell_backend, want, n) == 0 && cell_backend[n] == '@';
}

typedef struct mcell {
    const hl_mset *set;
    size_t cell;
} mcell;

static bool sel_matches(const hl_mctx *mc, const hl_claims_sel *s, const hl_resultset *rs,
                        size_t ci)
{
    const hl_plan_cell *c = &rs->plan.cells[ci];
    if (s->workload[0] && strcmp(c->workload, s->workload) != 0)
        return false;
    if (!backend_matches(c->backend, s->backend))
        return false;
    if (s->threads != HL_CLAIMS_THREADS_ANY) {
        unsigned want = s->threads == HL_CLAIMS_THREADS_NPROC ? mc->nproc : (unsigned)s->threads;
        if (c->threaded && c->threads != want)
            return false;
    }
    for (size_t i = 0; i < s->n_params; i++) {
        int64_t v;
        if (!cell_param(rs, ci, s->params[i].name, &v))
            return false;
        bool any = false;
        for (size_t k = 0; k < s->params[i].n; k++)
            any |= s->params[i].v[k] == v;
        if (!any)
            return false;
    }
    return true;
}

static void sel_describe(const hl_claims_sel *s, char *out, size_t outlen)
{
    int w = snprintf(out, outlen, "%s%s%s%s", s->workload[0] ? s->workload : "any workload",
                     s->backend[0] ? " on " : "", s->backend, s->original ? " (original)" : "");
    for (size_t i = 0; i < s->n_params && w > 0 && (size_t)w < outlen; i++)
        w += snprintf(out + w, outlen - (size_t)w, " %s=%lld%s", s->params[i].name,
                      (long long)s->params[i].v[0], s->params[i].n > 1 ? ",..." : "");
    if (s->variant[0] && w > 0 && (size_t)w < outlen)
        snprintf(out + w, outlen - (size_t)w, " [%s]", s->variant);
}

/* The cells s selects; *why_missing gets a reason when a set it could read
 * did not run. */
static size_t collect(const hl_mctx *mc, const hl_claims_sel *s, bool original, mcell *out,
                      size_t max, const char **why_missing)
{
    size_t n = 0;
    *why_missing = NULL;
    for (size_t i = 0; i < mc->n; i++) {
        const hl_mset *set = &mc->sets[i];
        if (set->original != (original || s->original))
            continue;
        if (s->variant[0] ? strcmp(set->variant, s->variant) != 0 : !set->first_variant)
            continue;
        if (!set->rs) {
            if (!*why_missing)
                *why_missing = set->why;
            continue;
        }
        for (size_t c = 0; c < set->rs->plan.n_cells && n < max; c++)
            if (sel_matches(mc, s, set->rs, c))
                out[n++] = (mcell){set, c};
    }
    return n;
}

static bool named_param(const hl_claims_sel *a, const hl_claims_sel *b, const char *name)
{
    for (size_t i = 0; i < a->n_params; i++)
        if (strcmp(a->params[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < b->n_params; i++)
        if (strcmp(b->params[i].name, name) == 0)
            return true;
    return false;
}

/* Do two cells agree on everything the selectors leave open? */
static bool pairs_with(const hl_claims_measure *m, const mcell *x, const mcell *y)
{
    const hl_plan_cell *a = &x->set->rs->plan.cells[x->cell];
    const hl_plan_cell *b = &y->set->rs->plan.cells[y->cell];
    if (!m->num.workload[0] && !m->den.workload[0] && strcmp(a->workload, b->workload) != 0)
        return false;
    if (!m->num.backend[0] && !m->den.backend[0] && strcmp(a->backend, b->backend) != 0)
        return false;
    if (m->num.threads == HL_CLAIMS_THREADS_ANY && m->den.threads == HL_CLAIMS_THREADS_ANY &&
        a->threads != b->threads)
        return false;
    const char *names[64];
    size_t nn = cell_param_names(x->set->rs, x->cell, names, 64);
    for (size_t i = 0; i < nn; i++) {
        if (named_param(&m->num, &m->den, names[i]))
            continue;
        int64_t va, vb;
        if (cell_param(x->set->rs, x->cell, names[i], &va) &&
            cell_param(y->set->rs, y->cell, names[i], &vb) && va != vb)
            return false;
    }
    return true;
}

/* The threads of a threaded cell ran at once?  false with why. */
static bool parallel_ok(const hl_mctx *mc, const mcell *c, char *why, size_t whylen)
{
    (void)mc;
    const hl_plan_cell *pc = &c->set->rs->plan.cells[c->cell];
    if (!isfinite(c->set->parallel_min) || !pc->threaded || pc->threads < 2)
        return true;
    double p = hl_measure_parallelism(c->set->rs, c->cell);
    double need = c->set->parallel_min * pc->threads;
    if (!isfinite(p) || p >= need)
        return true;
    say(why, whylen, "threads were not running in parallel in %s: CPU time / wall time "
                          "%.2f with %u threads (needs >= %.2f); the machine was busy, run "
                          "again when it is quiet",
             pc->id, p, pc->threads, need);
    return false;
}

static double combine(hl_measure_kind k, double acc, double v)
{
    return k == HL_MEASURE_RATIO ? acc + log(v) : acc + v;
}

static double finish(hl_measure_kind k, double acc, size_t n)
{
    return k == HL_MEASURE_RATIO ? exp(acc / (double)n) : acc / (double)n;
}

static double apply(const hl_claims_measure *m, double vn, double vd)
{
    switch (m->kind) {
    case HL_MEASURE_RATIO:
        return vd > 0 ? vn / vd : NAN;
    case HL_MEASURE_SAVING:
        return vd > 0 ? 1 - vn / vd : NAN;
    case HL_MEASURE_SLOPE:
        return ((vn - vd) * m->scale / m->per - m->offset) / m->unit;
    case HL_MEASURE_VALUE:
        return vn;
    }
    return NAN;
}

/* Median and interval of a cell's values of metric. */
static size_t cell_values(const mcell *c, const char *metric, double *v, size_t max)
{
    size_t n = 0;
    for (unsigned k = 0; k < c->set->rs->plan.repetitions && n < max; k++) {
        double x = hl_measure_rep_value(c->set->rs, c->cell, k, metric);
        if (isfinite(x))
            v[n++] = x;
    }
    return n;
}

/* One pair: median, lo, hi into r; false with why. */
static bool pair_value(const hl_claims_measure *m, const mcell *n, const mcell *d,
                       double r[3], size_t *count, bool *paired, char *why, size_t whylen)
{
    const hl_plan_cell *pn = &n->set->rs->plan.cells[n->cell];
    const hl_plan_cell *pd = &d->set->rs->plan.cells[d->cell];
    double v[1024];
    if (n->set == d->set) {
        size_t k = 0;
        for (unsigned rep = 0; rep < n->set->rs->plan.repetitions && k < 1024; rep++) {
            double vn = hl_measure_rep_value(n->set->rs, n->cell, rep, m->metric);
            double vd = hl_measure_rep_value(d->set->rs, d->cell, rep, m->den_metric);
            double x = apply(m, vn, vd);
            if (isfinite(x))
                v[k++] = x;
        }
        if (k == 0) {
            say(why, whylen, "no round where both %s (%s) and %s (%s) have a value",
                     pn->id, m->metric, pd->id, m->den_metric);
            return false;
        }
        hl_interval iv = hl_stats_median_interval(v, k);
        r[0] = hl_stats_median(v, k);
        r[1] = iv.lo;
        r[2] = iv.hi;
        *count = k;
        *paired = true;
        return true;
    }
    double w[1024];
    size_t a = cell_values(n, m->metric, v, 1024), b = cell_values(d, m->den_metric, w, 1024);
    if (a == 0 || b == 0) {
        say(why, whylen, "%s has no value of %s", a == 0 ? pn->id : pd->id,
                 a == 0 ? m->metric : m->den_metric);
        return false;
    }
    hl_interval ia = hl_stats_median_interval(v, a), ib = hl_stats_median_interval(w, b);
    double ma = hl_stats_median(v, a), mb = hl_stats_median(w, b);
    r[0] = apply(m, ma, mb);
    switch (m->kind) {
    case HL_MEASURE_RATIO:
        r[1] = apply(m, ia.lo, ib.hi);
        r[2] = apply(m, ia.hi, ib.lo);
        break;
    case HL_MEASURE_SAVING:
        r[1] = apply(m, ia.hi, ib.lo);
        r[2] = apply(m, ia.lo, ib.hi);
        break;
    default: {
        double x = apply(m, ia.lo, ib.hi), y = apply(m, ia.hi, ib.lo);
        r[1] = fmin(x, y);
        r[2] = fmax(x, y);
    }
    }
    *count = a < b ? a : b;
    *paired = false;
    return isfinite(r[0]);
}

int hl_measure_eval(void *ctx, const hl_claims_measure *m, bool original, hl_measured *out)
{
    const hl_mctx *mc = ctx;
    memset(out, 0, sizeof *out);
    out->value = out->lo = out->hi = NAN;
    mcell nc[MAX_CELLS], dc[MAX_CELLS];
    const char *miss_n = NULL, *miss_d = NULL;
    size_t nn = collect(mc, &m->num, original, nc, MAX_CELLS, &miss_n);
    size_t nd = m->kind == HL_MEASURE_VALUE ? 0 : collect(mc, &m->den, original, dc, MAX_CELLS,
                                                          &miss_d);
    char desc[300];
    if (nn == 0 || (m->kind != HL_MEASURE_VALUE && nd == 0)) {
        const char *miss = nn == 0 ? miss_n : miss_d;
        sel_describe(nn == 0 ? &m->num : &m->den, desc, sizeof desc);
        if (miss)
            say(out->why, sizeof out->why, "%s", miss);
        else
            say(out->why, sizeof out->why, "no measured cell is %s", desc);
        return 0;
    }
    double acc[3] = {0, 0, 0};
    size_t groups = 0, count = SIZE_MAX;
    bool all_paired = true;
    for (size_t i = 0; i < nn; i++) {
        if (!parallel_ok(mc, &nc[i], out->why, sizeof out->why))
            return 0;
        if (m->kind == HL_MEASURE_VALUE) {
            double v[1024];
            size_t k = cell_values(&nc[i], m->metric, v, 1024);
            if (k == 0) {
                say(out->why, sizeof out->why, "%s has no value of %s",
                         nc[i].set->rs->plan.cells[nc[i].cell].id, m->metric);
                return 0;
            }
            hl_interval iv = hl_stats_median_interval(v, k);
            double med = hl_stats_median(v, k);
            acc[0] += med;
            acc[1] += iv.lo;
            acc[2] += iv.hi;
            groups++;
            count = k < count ? k : count;
            all_paired = false;
            continue;
        }
        for (size_t j = 0; j < nd; j++) {
            if (!pairs_with(m, &nc[i], &dc[j]))
                continue;
            if (!parallel_ok(mc, &dc[j], out->why, sizeof out->why))
                return 0;
            double r[3];
            size_t k = 0;
            bool paired = false;
            if (!pair_value(m, &nc[i], &dc[j], r, &k, &paired, out->why, sizeof out->why))
                return 0;
            if (m->kind == HL_MEASURE_RATIO && !(r[0] > 0 && r[1] > 0 && r[2] > 0)) {
                say(out->why, sizeof out->why, "a ratio of %s over %s is not positive",
                         nc[i].set->rs->plan.cells[nc[i].cell].id,
                         dc[j].set->rs->plan.cells[dc[j].cell].id);
                return 0;
            }
            for (int q = 0; q < 3; q++)
                acc[q] = combine(m->kind, acc[q], r[q]);
            groups++;
            count = k < count ? k : count;
            all_paired &= paired;
        }
    }
    if (groups == 0) {
        char dn[300];
        sel_describe(&m->num, desc, sizeof desc);
        sel_describe(&m->den, dn, sizeof dn);
        say(out->why, sizeof out->why, "no cell of %s pairs with a cell of %s", desc, dn);
        return 0;
    }
    hl_measure_kind fk = m->kind == HL_MEASURE_VALUE ? HL_MEASURE_SLOPE : m->kind;
    out->value = finish(fk, acc[0], groups);
    out->lo = finish(fk, acc[1], groups);
    out->hi = finish(fk, acc[2], groups);
    out->n = count;
    out->groups = groups;
    out->paired = all_paired;
    out->ok = isfinite(out->value);
    if (!out->ok)
        say(out->why, sizeof out->why, "the measured value is not a number");
    return 0;
}
