/* plot_lines.c - line charts against a swept quantity: threads
 * (scaling-<w>) and a workload parameter (sweep-<w>-<p>).
 *
 * How it works
 * ------------
 * A line chart needs the configurations that differ in one quantity only.
 * Scaling: the configurations of one threaded workload with the same
 * parameters at several thread counts; y is the throughput of all threads
 * together (time mode) or instructions per operation.  Sweeps: for each
 * parameter P of a workload, the configurations whose other parameters and
 * thread count are equal, at two or more values of P; y is the time (or
 * instructions) per operation.  A parameter the run did not set
 * explicitly has the suite's value (quick or default, from the workload
 * descriptor the run recorded), which is how the point `size=64` of
 * `--param size=16,64,256` is found: the plan leaves a parameter equal to
 * its suite value out of the cell.  Every point is a median with the
 * interval of the median (stats.h), per backend one line.  Enumerations
 * (fork_cow's mode) are categories; numbers spanning 8x or more get a
 * logarithmic axis.
 */
#include "plot_model.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL_MAX_POINTS 64

typedef struct pl_point {
    size_t config;
    double x;
    char label[48];
} pl_point;

static int cmp_point(const void *a, const void *b)
{
    const pl_point *x = a, *y = b;
    return (x->x > y->x) - (x->x < y->x);
}

static double v_primary(const pl_rep *r) { return r->primary; }
static double v_mops(const pl_rep *r) { return r->ops_per_s / 1e6; }

/* Writes one block per backend (index b), each with a header; returns the
 * points written. */
static size_t write_lines(const pl_set *s, FILE *f, const pl_point *pts, size_t n,
                          pl_rep_value value)
{
    size_t points = 0;
    for (size_t b = 0; b < s->n_backends; b++) {
        fprintf(f, "%sbackend x y lo hi label\n", b ? "\n\n" : "");
        char tb[340];
        pl_token(s->backends[b], tb, sizeof tb);
        for (size_t i = 0; i < n; i++) {
            double med;
            hl_interval iv = pl_cell_interval(pl_find_cell(s, pts[i].config, b), value, &med);
            if (!isfinite(med))
                continue;
            char tl[64];
            pl_token(pts[i].label, tl, sizeof tl);
            fprintf(f, "%s", tb);
            pl_put_num(f, pts[i].x);
            pl_put_num(f, med);
            pl_put_num(f, iv.n >= 2 ? iv.lo : med);
            pl_put_num(f, iv.n >= 2 ? iv.hi : med);
            fprintf(f, " %s\n", tl);
            points++;
        }
    }
    return points;
}

static void draw_lines(pl_ctx *c, const char *chart, const char *script, const char *kind,
                       const pl_point *pts, size_t n, pl_rep_value value, bool categorical,
                       const char *xlab, const char *ylab, bool higher_better, const char *title,
                       const char *note)
{
    char path[PATH_MAX + 300];
    FILE *f = pl_data_open(c, chart, script,
                           "one block per backend of `backends` (index b-1), one row per point: "
                           "the median and the interval of the median",
                           path, sizeof path);
    if (!f)
        return;
    size_t points = write_lines(c->set, f, pts, n, value);
    if (!pl_data_close(c, chart, f, path))
        return;
    if (points == 0) {
        pl_skip(c, chart, "no cell of it has a successful repetition");
        return;
    }
    bool logx = !categorical && pts[0].x > 0 && pts[n - 1].x / pts[0].x >= 8.0;
    pl_args_begin(c, path);
    hl_plot_args_str(c->args, "xlab", xlab);
    hl_plot_args_str(c->args, "ylab", ylab);
    hl_plot_args_str(c->args, "better", higher_better ? "higher" : "lower");
    hl_plot_args_num(c->args, "categorical", categorical ? 1 : 0);
    hl_plot_args_num(c->args, "logx", logx ? 1 : 0);
    pl_draw(c, chart, script, kind, title, note);
}

/* ---- against threads ----------------------------------------------------- */

void pl_chart_scaling(pl_ctx *c)
{
    pl_set *s = c->set;
    bool any_threaded = false, drew = false;
    bool *done = calloc(s->n_configs + 1, sizeof *done);
    if (!done) {
        pl_skip(c, "scaling", "out of memory");
        return;
    }
    for (size_t g0 = 0; g0 < s->n_configs; g0++) {
        const pl_config *g = &s->configs[g0];
        if (!g->threaded || done[g0])
            continue;
        any_threaded = true;
        pl_point pts[PL_MAX_POINTS];
        size_t n = 0;
        for (size_t h = g0; h < s->n_configs && n < PL_MAX_POINTS; h++) {
            const pl_config *o = &s->configs[h];
            if (o->threaded && strcmp(o->workload, g->workload) == 0 &&
                strcmp(o->params, g->params) == 0) {
                pts[n].config = h;
                pts[n].x = o->threads;
                snprintf(pts[n].label, sizeof pts[n].label, "%u", o->threads);
                n++;
                done[h] = true;
            }
        }
        if (n < 2)
            continue; /* one thread count: nothing to scale; reported below */
        qsort(pts, n, sizeof *pts, cmp_point);
        char chart[300], raw[400];
        snprintf(raw, sizeof raw, "scaling-%s%s%s", g->workload, g->params[0] ? "-" : "",
                 g->params);
        pl_slugify(raw, chart, sizeof chart);
        const hl_cat_workload *w = hl_catalog_workload(&s->workloads, g->workload);
        char ylab[200], title[400];
        if (s->instr)
            snprintf(ylab, sizeof ylab, "instructions per %s",
                     w && w->op_unit[0] ? w->op_unit : "operation");
        else
            snprintf(ylab, sizeof ylab, "million %s / s, all threads",
                     w && w->op_unit[0] ? w->op_unit : "operations");
        snprintf(title, sizeof title, "Thread scaling: %s%s%s", g->workload,
                 g->params[0] ? " " : "", g->params);
        size_t before = c->rep.charts_drawn;
        draw_lines(c, chart, "scaling.gp", "scaling", pts, n, s->instr ? v_primary : v_mops,
                   false, "threads", ylab, !s->instr, title,
                   s->instr ? "Instructions per operation against the thread count; points: "
                              "median over repetitions with the interval of the median."
                            : "Throughput of all threads together against the thread count; "
                              "points: median over repetitions with the interval of the "
                              "median.");
        drew |= c->rep.charts_drawn > before;
    }
    free(done);
    if (!drew && any_threaded)
        pl_skip(c, "scaling", "every threaded workload ran at one thread count only "
                              "(run with e.g. --threads 1,2,4 to get a scaling chart)");
    else if (!any_threaded)
        pl_skip(c, "scaling", "no threaded workload in this result set");
}

/* ---- against a parameter -------------------------------------------------- */

/* The value of parameter `name` in a configuration's cells: explicit, else
 * the suite's (descriptor); false when unknown. */
static bool param_value(const pl_set *s, size_t config, const char *name, int64_t *out)
{
    const pl_cell *cell = NULL;
    for (size_t i = 0; i < s->n_cells && !cell; i++)
        if (s->cells[i].config == config)
            cell = &s->cells[i];
    if (!cell)
        return false;
    const hl_plan_cell *pc = &s->rs.plan.cells[cell->plan_index];
    for (size_t k = 0; k < pc->n_params; k++)
        if (strcmp(pc->params[k].name, name) == 0) {
            *out = pc->params[k].value;
            return true;
        }
    const hl_cat_workload *w = hl_catalog_workload(&s->workloads, pc->workload);
    const hl_cat_param *p = w ? hl_catalog_param(w, name) : NULL;
    if (!p)
        return false;
    *out = strcmp(s->rs.plan.suite_size, "full") == 0 ? p->def : p->quick;
    return true;
}

/* Do configurations a and b agree on everything but parameter skip? */
static bool same_but(const pl_set *s, const hl_cat_workload *w, size_t a, size_t b,
                     const char *skip)
{
    const pl_config *x = &s->configs[a], *y = &s->configs[b];
    if (strcmp(x->workload, y->workload) != 0 || x->threads != y->threads)
        return false;
    for (size_t k = 0; k < w->n_params; k++) {
        if (strcmp(w->params[k].name, skip) == 0)
            continue;
        int64_t va, vb;
        bool ha = param_value(s, a, w->params[k].name, &va),
             hb = param_value(s, b, w->params[k].name, &vb);
        if (ha != hb || (ha && va != vb))
            return false;
    }
    return true;
}

/* The other parameters that make this group differ from the other groups
 * of the same sweep, for its file name and title ("order=1"). */
static void group_suffix(const pl_set *s, const hl_cat_workload *w, size_t g, const char *skip,
                         char *out, size_t outlen)
{
    out[0] = '\0';
    const pl_config *cf = &s->configs[g];
    for (size_t k = 0; k < w->n_params; k++) {
        const char *name = w->params[k].name;
        if (strcmp(name, skip) == 0)
            continue;
        int64_t v;
        if (!param_value(s, g, name, &v))
            continue;
        bool varies = false;
        for (size_t h = 0; h < s->n_configs && !varies; h++) {
            int64_t vh;
            if (strcmp(s->configs[h].workload, cf->workload) == 0 &&
                param_value(s, h, name, &vh) && vh != v)
                varies = true;
        }
        if (!varies)
            continue;
        const char *label = hl_catalog_param_label(&w->params[k], v);
        size_t used = strlen(out);
        if (label)
            snprintf(out + used, outlen - used, "%s%s=%s", used ? "," : "", name, label);
        else
            snprintf(out + used, outlen - used, "%s%s=%" PRId64, used ? "," : "", name, v);
    }
}

void pl_chart_sweeps(pl_ctx *c)
{
    pl_set *s = c->set;
    bool *done = calloc(s->n_configs + 1, sizeof *done);
    if (!done) {
        pl_skip(c, "sweep", "out of memory");
        return;
    }
    size_t drawn = 0;
    for (size_t wi = 0; wi < s->workloads.n_workloads; wi++) {
        const hl_cat_workload *w = &s->workloads.workloads[wi];
        for (size_t k = 0; k < w->n_params; k++) {
            const hl_cat_param *P = &w->params[k];
            memset(done, 0, (s->n_configs + 1) * sizeof *done);
            for (size_t g0 = 0; g0 < s->n_configs; g0++) {
                int64_t v0;
                if (done[g0] || strcmp(s->configs[g0].workload, w->name) != 0 ||
                    !param_value(s, g0, P->name, &v0))
                    continue;
                pl_point pts[PL_MAX_POINTS];
                size_t n = 0;
                for (size_t h = g0; h < s->n_configs && n < PL_MAX_POINTS; h++) {
                    int64_t v;
                    if (done[h] || !same_but(s, w, g0, h, P->name) ||
                        !param_value(s, h, P->name, &v))
                        continue;
                    done[h] = true;
                    pts[n].config = h;
                    pts[n].x = (double)v;
                    const char *label = hl_catalog_param_label(P, v);
                    if (label)
                        snprintf(pts[n].label, sizeof pts[n].label, "%s", label);
                    else
                        snprintf(pts[n].label, sizeof pts[n].label, "%" PRId64, v);
                    n++;
                }
                if (n < 2)
                    continue;
                qsort(pts, n, sizeof *pts, cmp_point);
                char suffix[200], raw[400], chart[300], title[500], xlab[300], ylab[200];
                group_suffix(s, w, g0, P->name, suffix, sizeof suffix);
                const pl_config *cf = &s->configs[g0];
                char tpart[32] = "";
                if (cf->threaded)
                    snprintf(tpart, sizeof tpart, "-t%u", cf->threads);
                snprintf(raw, sizeof raw, "sweep-%s-%s%s%s%s", w->name, P->name,
                         suffix[0] ? "-" : "", suffix, tpart);
                pl_slugify(raw, chart, sizeof chart);
                snprintf(title, sizeof title, "%s against %s: %s%s%s%s",
                         s->instr ? "Instructions per operation" : "Time per operation",
                         P->name, w->name, suffix[0] ? " " : "", suffix,
                         cf->threaded ? (cf->threads == 1 ? " (1 thread)" : "") : "");
                if (cf->threaded && cf->threads > 1)
                    snprintf(title + strlen(title), sizeof title - strlen(title),
                             " (%u threads)", cf->threads);
                if (P->n_labels)
                    snprintf(xlab, sizeof xlab, "%s", P->name);
                else
                    snprintf(xlab, sizeof xlab, "%s: %s", P->name, P->help);
                snprintf(ylab, sizeof ylab, "%s per %s",
                         s->instr ? "instructions" : "ns",
                         w->op_unit[0] ? w->op_unit : "operation");
                size_t before = c->rep.charts_drawn;
                draw_lines(c, chart, "sweep.gp", "sweep", pts, n, v_primary, P->n_labels > 0,
                           xlab, ylab, false, title,
                           "Points: median over repetitions with the interval of the median; "
                           "the other parameters and the thread count are the same for every "
                           "point.");
                drawn += c->rep.charts_drawn > before;
            }
        }
    }
    free(done);
    if (drawn == 0)
        pl_skip(c, "sweep", "no workload ran at two or more values of one parameter (run with "
                            "e.g. --param size=16,64,256)");
}
