/* plot_cow.c - the copy-on-write chart: what each forked child dirtied,
 * per mode of protecting the parent's objects, from a per-child series a
 * workload declares for the chart "cow" (fork_cow's private_dirty_kib_childN).
 *
 * How it works
 * ------------
 * The workload descriptors the run recorded (metadata.workloads) say which
 * metric is a per-child series meant for this chart, so the chart needs no
 * knowledge of fork_cow.  A repetition gives one value per child; a bar is
 * the median over repetitions of the children's mean, with the interval of
 * that median; clusters are the configurations in the order the plan
 * swept them (fork_cow's mode: plain, GC off, frozen, immortal).
 */
#include "plot_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL_MAX_CHILDREN 64

/* The per-item series a workload declares for the cow chart (its
 * hl_metric_desc with chart "cow"), or NULL. */
static const char *cow_series(const pl_set *s, const char *workload)
{
    const hl_cat_workload *w = hl_catalog_workload(&s->workloads, workload);
    for (size_t i = 0; w && i < w->n_metrics; i++)
        if (w->metrics[i].series && strcmp(w->metrics[i].chart, "cow") == 0)
            return w->metrics[i].name;
    return NULL;
}

/* The values of series `prefix` (prefix0, prefix1, ...) in one
 * repetition; returns how many. */
static size_t rep_children(const pl_rep *r, const char *prefix, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < PL_MAX_CHILDREN; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s%zu", prefix, i);
        double v = pl_rep_metric(r, name);
        if (!isfinite(v))
            break;
        out[n++] = v;
    }
    return n;
}

/* The children's mean of one repetition, NAN without children; the
 * series name travels in a static (pl_rep_value takes one argument). */
static const char *cur_series;
static size_t cur_children;

static double v_children_mean(const pl_rep *r)
{
    double kids[PL_MAX_CHILDREN];
    size_t k = rep_children(r, cur_series, kids);
    if (k == 0)
        return NAN;
    if (k > cur_children)
        cur_children = k;
    double sum = 0;
    for (size_t j = 0; j < k; j++)
        sum += kids[j];
    return sum / (double)k;
}

void pl_chart_cow(pl_ctx *c)
{
    pl_set *s = c->set;
    const char *chart = "cow";
    if (s->instr) {
        pl_skip(c, chart, "instructions mode: Private_Dirty under callgrind is valgrind's");
        return;
    }
    size_t declared = 0;
    for (size_t g = 0; g < s->n_configs; g++)
        declared += cow_series(s, s->configs[g].workload) != NULL;
    if (declared == 0) {
        pl_skip(c, chart, "no workload in this result set declares a per-child series for it "
                          "(run --workloads fork_cow)");
        return;
    }
    char path[PATH_MAX + 300];
    FILE *f = pl_data_open(c, chart, "cow.gp",
                           "one row per bar: median over repetitions of the mean Private_Dirty "
                           "(KiB) of the forked children, with the interval of the median",
                           path, sizeof path);
    if (!f)
        return;
    pl_bar_writer bw = {f, -1};
    size_t clusters = 0, bars = 0;
    cur_children = 0;
    for (size_t g = 0; g < s->n_configs; g++) {
        const pl_config *cf = &s->configs[g];
        cur_series = cow_series(s, cf->workload);
        if (!cur_series)
            continue;
        bool tic = true;
        for (size_t b = 0; b < s->n_backends; b++) {
            double med;
            hl_interval iv = pl_cell_interval(pl_find_cell(s, g, b), v_children_mean, &med);
            if (!isfinite(med))
                continue;
            pl_bar_row(&bw, 0, clusters, b, s->backends[b], med, iv.n >= 2 ? iv.lo : NAN,
                       iv.n >= 2 ? iv.hi : NAN, tic, cf->params[0] ? cf->params : cf->label, "",
                       "", cf->label);
            tic = false;
            bars++;
        }
        clusters += !tic;
    }
    if (!pl_data_close(c, chart, f, path))
        return;
    if (bars == 0) {
        pl_skip(c, chart, "the cells of the workloads that declare a per-child series for this "
                          "chart report none");
        return;
    }
    pl_args_begin(c, path);
    hl_plot_args_str(c->args, "panels", "\"fork_cow, one cluster per mode\"");
    hl_plot_args_num(c->args, "children", (double)cur_children);
    double width = pl_bars_width(s, clusters);
    hl_plot_args_num(c->args, "width", width);
    hl_plot_args_num(c->args, "height", pl_bars_height(width));
    pl_draw(c, chart, "cow.gp", "cow", "Copy-on-write: memory dirtied by each forked child",
            "Private_Dirty of each forked reader (smaps_rollup) for plain refcounts, GC "
            "disabled, gc.freeze() and immortal objects (PEP 683); bars: median over "
            "repetitions of the children's mean, error bars: the interval of that median.");
}
