/* plot_bars.c - the bar charts: relative time (or instructions) in panels,
 * peak RSS net of start-up as small multiples, and memory overhead.
 *
 * How it works
 * ------------
 * Relative time follows mimalloc's published charts: one bar per backend
 * in a cluster per workload, the reference at 1.0, a linear axis from 0
 * that is clipped (plots/reltime.gp, 2.5x by default) so that the 1.0-1.3x
 * differences that matter stay readable; a bar beyond the clip is cut and
 * carries its true value.  The ratio of each bar and its error bar are the
 * ranking's (ranking.h): the median of the per-round ratios to the
 * reference and the interval of those ratios, the numbers summary.md
 * prints.  Panels are families of workloads (plot_model.h): the object
 * layer, raw single-threaded, raw threaded at each thread count.
 *
 * Memory is drawn net of the start-up RSS every cell process has before
 * its workload allocates (memory.rss_baseline_kib: program, libraries,
 * Google Benchmark), which at quick sizes is most of the peak; each
 * configuration gets its own small panel and linear axis, because
 * workloads differ by orders of magnitude while the comparison that
 * matters is between backends of one workload.  The overhead chart is
 * drawn only where the workload's peak live set is at least
 * PL_OVERHEAD_MIN_LIVE: below that the ratio measures the process, not the
 * allocator (a 64-byte live set gives ratios of 10^5), and the chart says
 * which configurations it left out.
 */
#include "plot_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL_OVERHEAD_MIN_LIVE (1024.0 * 1024.0)

double pl_bars_width(const pl_set *s, size_t clusters)
{
    double w = 180.0 + (double)clusters * (22.0 * (double)s->n_backends + 36.0);
    return w < 900 ? 900 : (w > 2000 ? 2000 : w);
}

double pl_bars_height(double width)
{
    return width <= 1000 ? 600 : 600 + (width - 1000) * 0.3;
}

/* Panel titles (compacted: only panels that got a cluster) as words. */
static void add_titles(pl_ctx *c, const char *var, const char *const *titles, size_t n)
{
    char buf[4000];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char t[200];
        pl_token(titles[i], t, sizeof t);
        int w = snprintf(buf + used, sizeof buf - used, "%s%s", i ? " " : "", t);
        if (w < 0 || (size_t)w >= sizeof buf - used) {
            c->args->overflow = true;
            return;
        }
        used += (size_t)w;
    }
    hl_plot_args_str(c->args, var, buf);
}

static const char bars_header[] =
    "panel cluster backend value lo hi tic name params ref bname group\n";

void pl_bar_row(pl_bar_writer *w, size_t panel, size_t cluster, size_t backend,
                const char *bname, double v, double lo, double hi, bool tic, const char *name,
                const char *params, const char *ref, const char *group)
{
    if (w->block != (long)panel) {
        fprintf(w->f, "%s%s", w->block >= 0 ? "\n\n" : "", bars_header);
        w->block = (long)panel;
    }
    char tn[200], tp[420], tr[340], tb[340], tg[620];
    pl_token(bname, tb, sizeof tb);
    pl_token(group, tg, sizeof tg);
    pl_token(name, tn, sizeof tn);
    pl_token(params, tp, sizeof tp);
    pl_token(ref, tr, sizeof tr);
    /* lo = hi = value: no interval (one repetition or round) */
    if (!isfinite(lo) || !isfinite(hi))
        lo = hi = v;
    fprintf(w->f, "%zu %zu %zu", panel, cluster, backend + 1);
    pl_put_num(w->f, v);
    pl_put_num(w->f, lo);
    pl_put_num(w->f, hi);
    fprintf(w->f, " %d %s %s %s %s %s\n", tic ? 1 : 0, tn, tp, tr, tb, tg);
}

/* A list of configuration labels, cut to fit a one-line footnote. */
static void footnote_list(const char *lead, const char *list, char *out, size_t outlen)
{
    if (!list[0]) {
        out[0] = '\0';
        return;
    }
    if (strlen(list) > 160)
        snprintf(out, outlen, "%s%.150s...", lead, list);
    else
        snprintf(out, outlen, "%s%s", lead, list);
}

/* ---- relative time / instructions --------------------------------------- */

void pl_chart_relative(pl_ctx *c)
{
    pl_set *s = c->set;
    const char *chart = s->instr ? "relinstr" : "reltime";
    const char *metric = s->instr ? "instructions per operation" : "time per operation";
    char path[PATH_MAX + 300];
    FILE *f = pl_data_open(c, chart, "reltime.gp",
                           "one row per bar: the median of a backend's per-round ratios to the "
                           "reference, with their interval (ranking.h)",
                           path, sizeof path);
    if (!f)
        return;
    pl_bar_writer bw = {f, -1};
    const char *titles[PL_MAX_PANELS];
    size_t np = 0, max_clusters = 0, bars = 0;
    char left_out[600] = "";
    bool fixed_ref = s->reference != NULL;
    for (size_t p = 0; p < s->n_panels; p++) {
        size_t clusters = 0;
        for (size_t g = 0; g < s->n_configs; g++) {
            if (s->configs[g].panel != p)
                continue;
            size_t ref = pl_group_reference(s, g);
            if (ref == SIZE_MAX) {
                if (strlen(left_out) + strlen(s->configs[g].label) + 4 < sizeof left_out)
                    snprintf(left_out + strlen(left_out), sizeof left_out - strlen(left_out),
                             "%s%s", left_out[0] ? ", " : "", s->configs[g].label);
                continue;
            }
            const pl_config *cf = &s->configs[g];
            bool tic = true;
            for (size_t b = 0; b < s->n_backends; b++) {
                const hl_rank_row *row = pl_rank_row(s, g, b);
                if (!row || !isfinite(row->ratio))
                    continue;
                bool iv = row->ratio_iv.n >= 2;
                pl_bar_row(&bw, np, clusters, b, s->backends[b], row->ratio, iv ? row->ratio_iv.lo : NAN,
                           iv ? row->ratio_iv.hi : NAN, tic, cf->workload, cf->params,
                           s->backends[ref], s->groups[cf->group].key);
                tic = false;
                bars++;
            }
            clusters++;
        }
        if (clusters) {
            titles[np++] = s->panels[p].title;
            if (clusters > max_clusters)
                max_clusters = clusters;
        }
    }
    if (!pl_data_close(c, chart, f, path))
        return;
    if (bars == 0) {
        pl_skip(c, chart, "no group has a reference backend with a successful repetition%s%s",
                s->reference ? " of " : "", s->reference ? s->reference : "");
        return;
    }
    if (left_out[0]) {
        fflush(stdout);
        fprintf(stderr, "heaplab plot: %s: left out %s: the reference %s has no successful "
                        "repetition there\n",
                chart, left_out, s->reference ? s->reference : "(fastest)");
    }
    pl_args_begin(c, path);
    add_titles(c, "panels", titles, np);
    char foot[300];
    footnote_list("left out, no repetition of the reference: ", left_out, foot, sizeof foot);
    if (foot[0])
        hl_plot_args_str(c->args, "footnote", foot);
    hl_plot_args_str(c->args, "metric", metric);
    hl_plot_args_str(c->args, "reference", fixed_ref ? s->reference : "");
    double width = pl_bars_width(s, max_clusters);
    hl_plot_args_num(c->args, "width", width);
    hl_plot_args_num(c->args, "height", 170 + 340 * (double)np);
    char title[300], note[1200];
    if (fixed_ref)
        snprintf(title, sizeof title, "%s%s relative to %s", s->instr ? "Instructions" : "Time",
                 s->instr ? " per operation" : " per operation", s->reference);
    else
        snprintf(title, sizeof title, "%s per operation relative to the fastest backend of each "
                                      "workload",
                 s->instr ? "Instructions" : "Time");
    snprintf(note, sizeof note,
             "Linear axis from 0, clipped: a bar cut at the top carries its true value. Bars: "
             "the median over rounds of the backend's %s divided by the reference's in the "
             "same round; error bars: the interval of those ratios (up to 5 rounds their "
             "range, from 6 the 95%% confidence interval of the median). %s%s%s",
             s->instr ? "instruction count" : "time",
             fixed_ref ? "" : "The reference (named under each workload) is the fastest backend "
                              "that is not a debug one. ",
             left_out[0] ? "Left out (no reference): " : "", left_out);
    /* left_out is at most 600 bytes; the note has room for it */
    pl_draw(c, chart, "reltime.gp", chart, title, note);
}

/* ---- peak RSS net of start-up: small multiples -------------------------- */

static double v_net_rss_mib(const pl_rep *r)
{
    return (r->peak_rss - r->rss_base) / (1024.0 * 1024.0);
}

static double v_gross_rss_mib(const pl_rep *r) { return r->peak_rss / (1024.0 * 1024.0); }

/* Is the start-up RSS known for every ok repetition that has a peak? */
static bool baselines_known(const pl_set *s)
{
    for (size_t i = 0; i < s->n_cells; i++)
        for (size_t r = 0; r < s->cells[i].n_reps; r++) {
            const pl_rep *rep = &s->cells[i].reps[r];
            if (rep->ok && isfinite(rep->peak_rss) && !isfinite(rep->rss_base))
                return false;
        }
    return true;
}

void pl_chart_peak_rss(pl_ctx *c)
{
    pl_set *s = c->set;
    const char *chart = "peak_rss";
    if (s->instr) {
        pl_skip(c, chart, "instructions mode: the RSS is valgrind's, not the allocator's (run "
                          "in time mode for memory charts)");
        return;
    }
    bool net = baselines_known(s);
    pl_rep_value value = net ? v_net_rss_mib : v_gross_rss_mib;
    char path[PATH_MAX + 300];
    FILE *f = pl_data_open(c, chart, "peak_rss.gp",
                           net ? "one row per bar: median over repetitions of peak RSS minus "
                                 "the RSS at the process's start (MiB), with its interval"
                               : "one row per bar: median peak RSS over repetitions (MiB), "
                                 "with its interval",
                           path, sizeof path);
    if (!f)
        return;
    const char **titles = calloc(s->n_configs + 1, sizeof *titles);
    size_t np = 0;
    for (size_t p = 0; titles && p < s->n_panels; p++) {
        for (size_t g = 0; g < s->n_configs; g++) {
            if (s->configs[g].panel != p)
                continue;
            bool any = false;
            for (size_t b = 0; b < s->n_backends; b++) {
                double med;
                hl_interval iv = pl_cell_interval(pl_find_cell(s, g, b), value, &med);
                if (!isfinite(med))
                    continue;
                if (!any) /* the panel's block, opened by its first bar */
                    fprintf(f, "%spanel backend value lo hi name bname\n", np ? "\n\n" : "");
                fprintf(f, "%zu %zu", np, b + 1);
                pl_put_num(f, med);
                pl_put_num(f, iv.n >= 2 ? iv.lo : med);
                pl_put_num(f, iv.n >= 2 ? iv.hi : med);
                char tn[420], tb[340];
                pl_token(s->configs[g].label, tn, sizeof tn);
                pl_token(s->backends[b], tb, sizeof tb);
                fprintf(f, " %s %s\n", tn, tb);
                any = true;
            }
            if (any)
                titles[np++] = s->configs[g].label;
        }
    }
    if (!pl_data_close(c, chart, f, path) || !titles) {
        free(titles);
        return;
    }
    if (np == 0) {
        pl_skip(c, chart, "no cell has a peak RSS%s", net ? " and a start-up RSS" : "");
        free(titles);
        return;
    }
    unsigned cols = (unsigned)ceil(sqrt((double)np * 1.8));
    if (cols > np)
        cols = (unsigned)np;
    unsigned rows = (unsigned)((np + cols - 1) / cols);
    pl_args_begin(c, path);
    add_titles(c, "panels", titles, np);
    free(titles);
    hl_plot_args_num(c->args, "cols", cols);
    hl_plot_args_num(c->args, "net", net ? 1 : 0);
    hl_plot_args_num(c->args, "width", 120 + 230.0 * cols);
    hl_plot_args_num(c->args, "height", 170 + 210.0 * rows);
    pl_draw(c, chart, "peak_rss.gp", "peak_rss",
            net ? "Peak RSS net of start-up RSS" : "Peak resident set size",
            net ? "Each panel is one workload configuration with its own linear axis. Bars: "
                  "median over repetitions of the process's peak RSS minus its RSS when the "
                  "cell started (program, libraries, Google Benchmark), measured in the "
                  "fixed-work pass, the same operations for every backend; error bars: the "
                  "interval of the median."
                : "This result set does not record the start-up RSS, so the bars include it.");
}

/* ---- memory overhead where the live set is meaningful ------------------- */

static double v_overhead_net(const pl_rep *r)
{
    return r->peak_live > 0 && isfinite(r->rss_base) ? (r->peak_rss - r->rss_base) / r->peak_live
                                                     : NAN;
}

static double v_peak_live(const pl_rep *r) { return r->peak_live; }

void pl_chart_overhead(pl_ctx *c)
{
    pl_set *s = c->set;
    const char *chart = "overhead";
    if (s->instr) {
        pl_skip(c, chart, "instructions mode: the RSS is valgrind's, not the allocator's");
        return;
    }
    char path[PATH_MAX + 300];
    FILE *f = pl_data_open(c, chart, "overhead.gp",
                           "one row per bar: median over repetitions of (peak RSS - start-up "
                           "RSS) / peak live bytes, with its interval",
                           path, sizeof path);
    if (!f)
        return;
    pl_bar_writer bw = {f, -1};
    const char *titles[PL_MAX_PANELS];
    size_t np = 0, bars = 0, max_clusters = 0;
    char small[700] = "";
    size_t n_small = 0;
    for (size_t p = 0; p < s->n_panels; p++) {
        size_t clusters = 0;
        for (size_t g = 0; g < s->n_configs; g++) {
            if (s->configs[g].panel != p)
                continue;
            /* the live set of the configuration: the largest median over
             * its backends (they run the same operations) */
            double live = NAN;
            for (size_t b = 0; b < s->n_backends; b++) {
                double m;
                pl_cell_interval(pl_find_cell(s, g, b), v_peak_live, &m);
                if (isfinite(m) && !(m <= live))
                    live = m;
            }
            if (!isfinite(live))
                continue;
            if (live < PL_OVERHEAD_MIN_LIVE) {
                n_small++;
                if (strlen(small) + strlen(s->configs[g].label) + 8 < sizeof small)
                    snprintf(small + strlen(small), sizeof small - strlen(small), "%s%s",
                             small[0] ? ", " : "", s->configs[g].label);
                continue;
            }
            const pl_config *cf = &s->configs[g];
            bool tic = true, any = false;
            for (size_t b = 0; b < s->n_backends; b++) {
                double med;
                hl_interval iv = pl_cell_interval(pl_find_cell(s, g, b), v_overhead_net, &med);
                if (!isfinite(med))
                    continue;
                pl_bar_row(&bw, np, clusters, b, s->backends[b], med, iv.n >= 2 ? iv.lo : NAN,
                           iv.n >= 2 ? iv.hi : NAN, tic, cf->workload, cf->params, "",
                           cf->label);
                tic = false;
                any = true;
                bars++;
            }
            clusters += any;
        }
        if (clusters) {
            titles[np++] = s->panels[p].title;
            if (clusters > max_clusters)
                max_clusters = clusters;
        }
    }
    if (!pl_data_close(c, chart, f, path))
        return;
    if (bars == 0) {
        if (n_small)
            pl_skip(c, chart, "every configuration's peak live set is below 1 MiB (%s), where "
                              "peak RSS / live bytes measures the process, not the allocator",
                    small);
        else
            pl_skip(c, chart, "no cell has a peak RSS, a start-up RSS and a peak live byte count");
        return;
    }
    pl_args_begin(c, path);
    add_titles(c, "panels", titles, np);
    char foot[300];
    footnote_list("left out, peak live set below 1 MiB: ", small, foot, sizeof foot);
    if (foot[0])
        hl_plot_args_str(c->args, "footnote", foot);
    hl_plot_args_str(c->args, "reference", "");
    double width = pl_bars_width(s, max_clusters);
    hl_plot_args_num(c->args, "width", width);
    hl_plot_args_num(c->args, "height", 190 + 340 * (double)np);
    char note[1200];
    snprintf(note, sizeof note,
             "Resident memory the allocator needed per byte the workload had live: (peak RSS - "
             "RSS at start-up) / peak live bytes, median over repetitions, error bars the "
             "interval of the median; 1.0 would mean no overhead.%s%s%s",
             n_small ? " Left out, peak live set below 1 MiB: " : "", small,
             n_small ? "." : "");
    pl_draw(c, chart, "overhead.gp", "overhead",
            "Memory overhead: resident bytes per live byte, net of start-up RSS", note);
}
