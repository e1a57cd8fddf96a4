/* plot.c - turns a result set into gnuplot data files, charts and
 * report.html.
 *
 * How it works
 * ------------
 * 1. Load: DIR/results.json through the one results model (results.h),
 *    which stays loaded: the relative charts take their ratios and
 *    intervals from the rankings (ranking.h), the same numbers summary.md
 *    prints.  Every repetition's figures are copied into a small model
 *    (plot_model.h); the files the cell program wrote next to a repetition
 *    (timeline.csv, gc_pauses.csv) are read when a chart needs them.
 * 2. Group: a configuration (workload + parameters + threads) is one
 *    cluster of bars and one ranking group; configurations fall into
 *    panels by layer and thread count, from the workload descriptors the
 *    run recorded (metadata.workloads).
 * 3. Each chart family (plot_bars.c, plot_reps.c, plot_lines.c,
 *    plot_files.c, plot_cow.c) writes a tidy data file
 *    DIR/plots/data/<chart>.dat - one row per observation, named columns,
 *    a comment saying how to redraw it by hand - and runs its script
 *    plots/<kind>.gp once per image format.  All arithmetic happens here;
 *    the scripts only draw, so restyling a chart means editing one script.
 *    Every backend's colour and point shape come from palette.h by name and
 *    reach gnuplot as the variables backends / colours / points.
 * 4. report.html (report_html.c) gets the list of what was drawn and what
 *    was skipped.
 * A chart without data is skipped with one line on stderr; so is a chart
 * gnuplot fails to draw.  Nothing else stops the other charts.
 */
#include "plot.h"

#include "fsutil.h"
#include "json.h"
#include "palette.h"
#include "plot_model.h"
#include "plot_run.h"
#include "protocol.h"
#include "report_html.h"
#include "results.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HL_DEBUG
#include <assert.h>
#define PL_ASSERT(x) assert(x)
#else
#define PL_ASSERT(x) ((void)0)
#endif

/* ---- small helpers ------------------------------------------------------ */

void pl_skip(pl_ctx *c, const char *chart, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fflush(stdout); /* keep "wrote" and "skipped" lines in order */
    fprintf(stderr, "heaplab plot: skipped %s: %s\n", chart, why);
    c->rep.charts_skipped++;
    if (c->n_skips == c->cap_skips) {
        size_t cap = c->cap_skips ? c->cap_skips * 2 : 16;
        char(*ns)[600] = realloc(c->skips, cap * sizeof *ns);
        if (!ns)
            return;
        c->skips = ns;
        c->cap_skips = cap;
    }
    /* the report's copy may be cut; stderr had the whole line */
    snprintf(c->skips[c->n_skips++], sizeof c->skips[0], "%.100s: %.480s", chart, why);
}

void pl_slugify(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < outlen; p++) {
        char ch = *p;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == '=';
        out[o++] = keep ? ch : '_';
    }
    out[o] = '\0';
}

void pl_token(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 3) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[o++] = '"';
    for (const char *p = in; *p && o + 2 < outlen; p++)
        out[o++] = (*p == '"') ? '\'' : ((unsigned char)*p < 0x20 ? ' ' : *p);
    out[o++] = '"';
    out[o] = '\0';
}

void pl_put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.6g", v);
    else
        fputs(" ?", f);
}

void pl_data_path(const pl_ctx *c, const char *chart, char *out, size_t outlen)
{
    int w = snprintf(out, outlen, "%s/%s.dat", c->set->data, chart);
    if (w < 0 || (size_t)w >= outlen)
        out[0] = '\0'; /* fopen("") fails and the chart is skipped */
}

FILE *pl_data_open(pl_ctx *c, const char *chart, const char *script, const char *what,
                   char *path, size_t pathlen)
{
    pl_data_path(c, chart, path, pathlen);
    FILE *f = fopen(path, "w");
    if (!f) {
        pl_skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        return NULL;
    }
    fprintf(f, "# %s.dat - %s\n# written by heaplab plot from %s/results.json; redraw by hand "
               "with the variables listed in plots/%s\n",
            chart, what, c->set->dir, script);
    return f;
}

bool pl_data_close(pl_ctx *c, const char *chart, FILE *f, const char *path)
{
    if (fclose(f) != 0) {
        pl_skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

const pl_cell *pl_find_cell(const pl_set *s, size_t config, size_t backend)
{
    for (size_t i = 0; i < s->n_cells; i++)
        if (s->cells[i].config == config && s->cells[i].backend == backend)
            return &s->cells[i];
    return NULL;
}

const hl_rank_row *pl_rank_row(const pl_set *s, size_t config, size_t backend)
{
    const pl_cell *cell = pl_find_cell(s, config, backend);
    long g = s->configs[config].group;
    if (!cell || g < 0)
        return NULL;
    const hl_group *gr = &s->groups[g];
    for (size_t i = 0; i < gr->n_rows; i++)
        if (gr->rows[i].cell == cell->plan_index)
            return &gr->rows[i];
    return NULL;
}

size_t pl_group_reference(const pl_set *s, size_t config)
{
    long g = s->configs[config].group;
    if (g < 0 || s->groups[g].ref < 0)
        return SIZE_MAX;
    size_t plan_cell = s->groups[g].rows[s->groups[g].ref].cell;
    for (size_t i = 0; i < s->n_cells; i++)
        if (s->cells[i].plan_index == plan_cell)
            return s->cells[i].backend;
    return SIZE_MAX;
}

double pl_rep_metric(const pl_rep *r, const char *name)
{
    size_t ln = strlen(name);
    for (size_t i = 0; i < r->n_metrics; i++) {
        const char *full = r->metrics[i].name;
        size_t lf = strlen(full);
        if (lf >= ln && strcmp(full + lf - ln, name) == 0 &&
            (lf == ln || full[lf - ln - 1] == '.'))
            return r->metrics[i].value;
    }
    return NAN;
}

size_t pl_cell_values(const pl_cell *cell, pl_rep_value value, double *out)
{
    size_t n = 0;
    for (size_t r = 0; cell && r < cell->n_reps; r++) {
        if (!cell->reps[r].ok)
            continue;
        double v = value(&cell->reps[r]);
        if (isfinite(v) && v > 0)
            out[n++] = v;
    }
    return n;
}

hl_interval pl_cell_interval(const pl_cell *cell, pl_rep_value value, double *median)
{
    double *x = malloc(((cell ? cell->n_reps : 0) + 1) * sizeof *x);
    size_t n = x ? pl_cell_values(cell, value, x) : 0;
    *median = n ? hl_stats_median(x, n) : NAN;
    hl_interval iv = hl_stats_median_interval(x, n);
    free(x);
    return iv;
}

/* "a" "b" words for gnuplot's word(): double quotes keep spaces. */
static void add_words(hl_plot_args *a, const char *name, const char *const *items, size_t n)
{
    char buf[4000];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof buf; i++) {
        char t[340];
        pl_token(items[i], t, sizeof t);
        int w = snprintf(buf + used, sizeof buf - used, "%s%s", i ? " " : "", t);
        if (w < 0 || (size_t)w >= sizeof buf - used) {
            a->overflow = true;
            return;
        }
        used += (size_t)w;
    }
    hl_plot_args_str(a, name, buf);
}

void pl_args_begin(pl_ctx *c, const char *data_path)
{
    pl_set *s = c->set;
    hl_plot_args_init(c->args);
    hl_plot_args_str(c->args, "data", data_path);
    const char **names = calloc(s->n_backends + 1, sizeof *names);
    char(*cols)[8] = calloc(s->n_backends + 1, sizeof *cols);
    char(*pts)[8] = calloc(s->n_backends + 1, sizeof *pts);
    const char **colp = calloc(s->n_backends + 1, sizeof *colp);
    const char **ptp = calloc(s->n_backends + 1, sizeof *ptp);
    if (!names || !cols || !pts || !colp || !ptp) {
        c->args->overflow = true;
    } else {
        for (size_t b = 0; b < s->n_backends; b++) {
            hl_palette_entry e = hl_palette_for(s->backends[b]);
            names[b] = s->backends[b];
            snprintf(cols[b], sizeof cols[b], "%s", e.colour);
            snprintf(pts[b], sizeof pts[b], "%d", e.point);
            colp[b] = cols[b];
            ptp[b] = pts[b];
        }
        add_words(c->args, "backends", names, s->n_backends);
        add_words(c->args, "colours", colp, s->n_backends);
        add_words(c->args, "points", ptp, s->n_backends);
    }
    free(names);
    free(cols);
    free(pts);
    free(colp);
    free(ptp);
}

static void remember_chart(pl_ctx *c, const char *chart, const char *kind, const char *title,
                           const char *note, bool png, bool svg)
{
    if (c->n_charts == c->cap_charts) {
        size_t cap = c->cap_charts ? c->cap_charts * 2 : 16;
        hl_html_chart *nc = realloc(c->charts, cap * sizeof *nc);
        if (!nc)
            return;
        c->charts = nc;
        c->cap_charts = cap;
    }
    hl_html_chart *h = &c->charts[c->n_charts++];
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", chart);
    snprintf(h->kind, sizeof h->kind, "%s", kind);
    snprintf(h->title, sizeof h->title, "%s", title ? title : chart);
    snprintf(h->note, sizeof h->note, "%s", note ? note : "");
    h->png = png;
    h->svg = svg;
}

unsigned pl_draw(pl_ctx *c, const char *chart, const char *script_name, const char *kind,
                 const char *title, const char *note)
{
    char script[PATH_MAX + 64];
    snprintf(script, sizeof script, "%s/%s", c->scripts, script_name);
    unsigned written = 0;
    bool wrote[2] = {false, false};
    char first_err[PATH_MAX + 700] = "";
    if (title)
        hl_plot_args_str(c->args, "title", title);
    size_t base_n = c->args->n;
    for (int fmt = 0; fmt < 2; fmt++) {
        bool want = fmt == 0 ? c->opt->png : c->opt->svg;
        if (!want)
            continue;
        const char *ext = fmt == 0 ? "png" : "svg";
        char out[PATH_MAX + 300], tmp[PATH_MAX + 340];
        snprintf(out, sizeof out, "%s/%s.%s", c->set->plots, chart, ext);
        /* gnuplot draws into a temporary file that replaces the chart only
         * once it is complete: a failed redraw keeps the previous chart. */
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld.%s", c->set->plots, chart, (long)getpid(), ext);
        c->args->n = base_n;
        hl_plot_args_str(c->args, "out", tmp);
        hl_plot_args_str(c->args, "term", fmt == 0 ? "pngcairo" : "svg");
        hl_plot_args_str(c->args, "subtitle", c->set->subtitle);
        char err[600];
        if (hl_plot_run_gnuplot(c->gnuplot, script, c->args, err, sizeof err) != 0) {
            unlink(tmp);
            if (!first_err[0])
                snprintf(first_err, sizeof first_err, "%s", err);
            continue;
        }
        struct stat st;
        if (stat(tmp, &st) != 0 || st.st_size == 0 || rename(tmp, out) != 0) {
            unlink(tmp);
            if (!first_err[0])
                snprintf(first_err, sizeof first_err, "gnuplot wrote no %s", out);
            continue;
        }
        written++;
        wrote[fmt] = true;
        if (!c->opt->quiet)
            printf("wrote %s\n", out);
    }
    if (first_err[0] && written == 0) {
        pl_skip(c, chart, "%s (script %s)", first_err, script);
    } else if (first_err[0]) {
        fflush(stdout);
        fprintf(stderr, "heaplab plot: %s: one format failed: %s (script %s)\n", chart, first_err,
                script);
    }
    if (written) {
        c->rep.charts_drawn++;
        c->rep.images += written;
        remember_chart(c, chart, kind, title, note, wrote[0], wrote[1]);
    }
    return written;
}

/* ---- loading ------------------------------------------------------------ */

static size_t backend_index(pl_set *s, const char *name)
{
    for (size_t i = 0; i < s->n_backends; i++)
        if (strcmp(s->backends[i], name) == 0)
            return i;
    char(*nb)[320] = realloc(s->backends, (s->n_backends + 1) * sizeof *nb);
    if (!nb)
        return SIZE_MAX;
    s->backends = nb;
    snprintf(s->backends[s->n_backends], sizeof s->backends[0], "%s", name);
    return s->n_backends++;
}

static size_t config_index(pl_set *s, const pl_cell *cell)
{
    for (size_t i = 0; i < s->n_configs; i++) {
        const pl_config *g = &s->configs[i];
        if (strcmp(g->workload, cell->workload) == 0 && strcmp(g->params, cell->params) == 0 &&
            g->threads == cell->threads)
            return i;
    }
    pl_config *ng = realloc(s->configs, (s->n_configs + 1) * sizeof *ng);
    if (!ng)
        return SIZE_MAX;
    s->configs = ng;
    pl_config *g = &s->configs[s->n_configs];
    memset(g, 0, sizeof *g);
    snprintf(g->workload, sizeof g->workload, "%s", cell->workload);
    snprintf(g->params, sizeof g->params, "%s", cell->params);
    g->threads = cell->threads;
    g->threaded = cell->threaded;
    g->group = -1;
    return s->n_configs++;
}

/* Labels need the whole set: a thread count is shown only for threaded
 * workloads, so that "pairs" stays "pairs". */
static void label_configs(pl_set *s)
{
    for (size_t i = 0; i < s->n_configs; i++) {
        pl_config *g = &s->configs[i];
        char threads[32] = "", tslug[16] = "";
        if (g->threaded) {
            snprintf(threads, sizeof threads, " (%u thread%s)", g->threads,
                     g->threads == 1 ? "" : "s");
            snprintf(tslug, sizeof tslug, "-t%u", g->threads);
        }
        snprintf(g->label, sizeof g->label, "%s%s%s%s", g->workload, g->params[0] ? " " : "",
                 g->params, threads);
        char raw[sizeof g->label];
        snprintf(raw, sizeof raw, "%s%s%s%s", g->workload, g->params[0] ? "-" : "", g->params,
                 tslug);
        pl_slugify(raw, g->slug, sizeof g->slug);
    }
}

/* The panel of a configuration: its layer (from the recorded descriptor),
 * and for threaded workloads its thread count. */
static size_t panel_of(pl_set *s, const pl_config *g)
{
    const hl_cat_workload *w = hl_catalog_workload(&s->workloads, g->workload);
    const char *layer = w ? w->layer : "";
    bool objects = strcmp(layer, "objects") == 0, raw = strcmp(layer, "raw") == 0;
    pl_panel p;
    memset(&p, 0, sizeof p);
    const char *base = objects ? "object layer" : raw ? "raw allocator" : "other workloads";
    const char *bslug = objects ? "objects" : raw ? "raw" : "other";
    p.rank = objects ? 0 : raw ? 1 : 2;
    if (g->threaded) {
        snprintf(p.title, sizeof p.title, "%s, %u thread%s", base, g->threads,
                 g->threads == 1 ? "" : "s");
        snprintf(p.slug, sizeof p.slug, "%s-t%u", bslug, g->threads);
        p.rank = 100 + p.rank * 1000 + g->threads;
    } else {
        snprintf(p.title, sizeof p.title, "%s%s", base, raw ? ", single-threaded" : "");
        snprintf(p.slug, sizeof p.slug, "%s", bslug);
    }
    for (size_t i = 0; i < s->n_panels; i++)
        if (strcmp(s->panels[i].title, p.title) == 0)
            return i;
    if (s->n_panels == PL_MAX_PANELS)
        return s->n_panels - 1; /* more families than a page holds: share the last */
    s->panels[s->n_panels] = p;
    return s->n_panels++;
}

static int cmp_panel_rank(const void *a, const void *b)
{
    const pl_panel *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return strcmp(x->title, y->title);
}

/* Panels in reading order: objects, raw, others, then threaded ones by
 * thread count; configurations point at their panel. */
static void assign_panels(pl_set *s)
{
    for (size_t i = 0; i < s->n_configs; i++)
        s->configs[i].panel = panel_of(s, &s->configs[i]);
    pl_panel unsorted[PL_MAX_PANELS];
    memcpy(unsorted, s->panels, sizeof unsorted);
    qsort(s->panels, s->n_panels, sizeof s->panels[0], cmp_panel_rank);
    for (size_t i = 0; i < s->n_configs; i++) {
        const char *t = unsorted[s->configs[i].panel].title;
        for (size_t p = 0; p < s->n_panels; p++)
            if (strcmp(s->panels[p].title, t) == 0)
                s->configs[i].panel = p;
    }
}

/* Each configuration's ranking group: the one whose key its cells have. */
static void assign_groups(pl_set *s)
{
    for (size_t i = 0; i < s->n_cells; i++) {
        pl_config *g = &s->configs[s->cells[i].config];
        if (g->group >= 0)
            continue;
        char key[600];
        hl_results_group_key(&s->rs.plan.cells[s->cells[i].plan_index], key, sizeof key);
        for (size_t k = 0; k < s->n_groups; k++)
            if (strcmp(s->groups[k].key, key) == 0)
                g->group = (long)k;
    }
}

static void free_set(pl_set *s)
{
    for (size_t i = 0; i < s->n_cells; i++) {
        for (size_t r = 0; r < s->cells[i].n_reps; r++)
            free(s->cells[i].reps[r].metrics);
        free(s->cells[i].reps);
    }
    free(s->cells);
    free(s->configs);
    free(s->backends);
    hl_rank_free(s->groups, s->n_groups);
    if (s->have_rs)
        hl_results_free(&s->rs);
    memset(s, 0, sizeof *s);
}

static bool has_backend(const pl_set *s, const char *name)
{
    for (size_t b = 0; b < s->n_backends; b++)
        if (strcmp(s->backends[b], name) == 0)
            return true;
    return false;
}

static double extra_value(const hl_rep *h, const char *name)
{
    for (size_t i = 0; i < h->n_extra; i++)
        if (strcmp(h->extra[i].name, name) == 0)
            return h->extra[i].value;
    return NAN;
}

/* One repetition's figures from the results model. */
static int load_rep(const pl_set *s, size_t cell, unsigned k, pl_rep *r)
{
    const hl_resultset *rs = &s->rs;
    const hl_rep *h = hl_results_rep_c(rs, cell, k);
    memset(r, 0, sizeof *r);
    r->k = k;
    hl_results_rep_dir(rs, cell, k, r->dir, sizeof r->dir);
    r->ok = strcmp(h->status, HL_JOB_OK) == 0;
    r->primary = s->instr ? h->m[HL_M_INSTR_PER_OP] : h->m[HL_M_NS_PER_OP];
    r->ops_per_s = h->m[HL_M_OPS_PER_S];
    if (!s->instr && !isfinite(r->ops_per_s) && h->m[HL_M_NS_PER_OP] > 0)
        r->ops_per_s = 1e9 / h->m[HL_M_NS_PER_OP];
    r->peak_rss = h->m[HL_M_PEAK_RSS_KIB] * 1024.0;
    r->rss_base = extra_value(h, "memory.rss_baseline_kib") * 1024.0;
    r->peak_live = h->m[HL_M_PEAK_LIVE_BYTES];
    /* Workload figures (per-child series, parameter echoes) keep their
     * dotted names; pl_rep_metric matches them by their last component. */
    if (h->n_extra) {
        r->metrics = calloc(h->n_extra, sizeof *r->metrics);
        if (!r->metrics)
            return -1;
        for (size_t i = 0; i < h->n_extra; i++) {
            snprintf(r->metrics[i].name, sizeof r->metrics[i].name, "%s", h->extra[i].name);
            r->metrics[i].value = h->extra[i].value;
        }
        r->n_metrics = h->n_extra;
    }
    return 0;
}

/* "2026-11-24T02:13:49.123Z" -> "2026-11-24 02:13 UTC". */
static void short_date(const char *iso, char *out, size_t outlen)
{
    if (strlen(iso) >= 16 && iso[10] == 'T')
        snprintf(out, outlen, "%.10s %.5s UTC", iso, iso + 11);
    else
        snprintf(out, outlen, "%s", iso);
}

/* Debug builds: walks the loaded set and checks the invariants written
 * above pl_cell (indices in range, one cell per configuration and backend,
 * repetitions' figures either NAN or non-negative). */
static void validate_set(const pl_set *s)
{
#ifdef HL_DEBUG
    for (size_t i = 0; i < s->n_cells; i++) {
        const pl_cell *a = &s->cells[i];
        PL_ASSERT(a->config < s->n_configs);
        PL_ASSERT(a->backend < s->n_backends);
        PL_ASSERT(a->plan_index < s->rs.plan.n_cells);
        PL_ASSERT(strcmp(s->backends[a->backend], a->backend_name) == 0);
        PL_ASSERT(strcmp(s->configs[a->config].workload, a->workload) == 0);
        PL_ASSERT(s->configs[a->config].panel < s->n_panels);
        for (size_t j = i + 1; j < s->n_cells; j++)
            PL_ASSERT(!(s->cells[j].config == a->config && s->cells[j].backend == a->backend));
        for (size_t r = 0; r < a->n_reps; r++) {
            const pl_rep *rep = &a->reps[r];
            PL_ASSERT(!(rep->primary < 0) && !(rep->peak_rss < 0));
            PL_ASSERT(rep->n_metrics == 0 || rep->metrics != NULL);
        }
    }
#else
    (void)s;
#endif
}

/* "size=64,mode=frozen": the cell's parameters, enumerations by label
 * (the workload descriptors the run recorded). */
static void cell_params(const pl_set *s, const hl_plan_cell *pc, char *out, size_t outlen)
{
    const hl_cat_workload *w = hl_catalog_workload(&s->workloads, pc->workload);
    size_t used = 0;
    out[0] = '\0';
    for (size_t k = 0; k < pc->n_params && used < outlen; k++) {
        const hl_cat_param *p = w ? hl_catalog_param(w, pc->params[k].name) : NULL;
        const char *label = p ? hl_catalog_param_label(p, pc->params[k].value) : NULL;
        int n = label ? snprintf(out + used, outlen - used, "%s%s=%s", used ? "," : "",
                                 pc->params[k].name, label)
                      : snprintf(out + used, outlen - used, "%s%s=%" PRId64, used ? "," : "",
                                 pc->params[k].name, pc->params[k].value);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int load_cell(pl_set *s, size_t c, size_t *reps_ok)
{
    const hl_resultset *rs = &s->rs;
    const hl_plan_cell *pc = &rs->plan.cells[c];
    pl_cell *cell = &s->cells[s->n_cells];
    cell->plan_index = c;
    snprintf(cell->backend_name, sizeof cell->backend_name, "%s", pc->backend);
    snprintf(cell->workload, sizeof cell->workload, "%s", pc->workload);
    cell->threads = pc->threads;
    cell->threaded = pc->threaded;
    cell_params(s, pc, cell->params, sizeof cell->params);
    cell->reps = calloc(rs->plan.repetitions, sizeof *cell->reps);
    if (!cell->reps)
        return -1;
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        if (!hl_results_rep_c(rs, c, k)->done)
            continue;
        if (load_rep(s, c, k, &cell->reps[cell->n_reps]) != 0)
            return -1;
        *reps_ok += cell->reps[cell->n_reps].ok;
        cell->n_reps++;
    }
    cell->backend = backend_index(s, cell->backend_name);
    cell->config = config_index(s, cell);
    if (cell->backend == SIZE_MAX || cell->config == SIZE_MAX)
        return -1;
    s->n_cells++;
    return 0;
}

/* The subtitle: suite | machine | date. */
static void subtitle(pl_set *s)
{
    const hl_resultset *rs = &s->rs;
    const char *cpu = hl_json_get_str(rs->metadata, "cpu_model", NULL);
    const char *host = hl_json_get_str(rs->metadata, "hostname", NULL);
    char machine[300], date[64];
    if (cpu && host)
        snprintf(machine, sizeof machine, "%s (%s)", cpu, host);
    else
        snprintf(machine, sizeof machine, "%s", cpu ? cpu : host ? host : "unknown machine");
    short_date(hl_json_get_str(rs->metadata, "date", rs->started[0] ? rs->started
                                                                     : "unknown date"),
               date, sizeof date);
    snprintf(s->subtitle, sizeof s->subtitle, "suite %s | %s | %s%s", rs->plan.suite, machine,
             date, s->instr ? " | instructions (callgrind)" : "");
}

/* The workload descriptors the run recorded in its metadata (catalog.h). */
static void load_workloads(pl_set *s)
{
    const hl_json *ws = hl_json_get(s->rs.metadata, "workloads");
    for (size_t i = 0; i < hl_json_len(ws) && s->workloads.n_workloads < HL_CAT_MAX_WORKLOADS;
         i++)
        hl_catalog_parse_workload(&s->workloads.workloads[s->workloads.n_workloads++],
                                  hl_json_at(ws, i));
}

static int load_set(const char *dir, const char *reference, pl_set *s, char *err, size_t errlen)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    if (!hl_is_dir(dir)) {
        snprintf(err, errlen, "%s is not a result directory (give the --out DIR of heaplab run)",
                 dir);
        return -1;
    }
    if (hl_results_load(&s->rs, dir, err, errlen) != 0)
        return -1;
    s->have_rs = true;
    s->instr = hl_results_primary_metric(&s->rs) == HL_M_INSTR_PER_OP;
    snprintf(s->plots, sizeof s->plots, "%s/plots", dir);
    snprintf(s->data, sizeof s->data, "%s/plots/data", dir);
    subtitle(s);
    load_workloads(s);
    s->cells = calloc(s->rs.plan.n_cells ? s->rs.plan.n_cells : 1, sizeof *s->cells);
    size_t reps_ok = 0;
    int rc = s->cells ? 0 : -1;
    for (size_t c = 0; rc == 0 && c < s->rs.plan.n_cells; c++)
        rc = load_cell(s, c, &reps_ok);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (s->n_cells == 0) {
        snprintf(err, errlen, "%s/results.json lists no cells: nothing to plot", dir);
        return -1;
    }
    if (reps_ok == 0) {
        snprintf(err, errlen,
                 "%s/results.json has no successful repetition yet (every job failed or none "
                 "finished): nothing to plot",
                 dir);
        return -1;
    }
    s->reference = reference ? reference
                   : s->rs.plan.reference[0] ? s->rs.plan.reference
                                            : NULL;
    if (hl_rank_groups(&s->rs, s->reference, &s->groups, &s->n_groups) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    label_configs(s);
    assign_panels(s);
    assign_groups(s);
    validate_set(s);
    return 0;
}

/* ---- entry points ------------------------------------------------------- */

static void write_report(pl_ctx *c, const char *dir)
{
    char err[600], path[PATH_MAX + 16];
    if (hl_report_html_write(dir, &c->set->rs, c->set->reference, c->charts, c->n_charts,
                             (const char(*)[600])c->skips, c->n_skips, err, sizeof err) != 0) {
        fflush(stdout);
        fprintf(stderr, "heaplab plot: report.html not written: %s\n", err);
        return;
    }
    snprintf(path, sizeof path, "%s/report.html", dir);
    if (!c->opt->quiet)
        printf("wrote %s\n", path);
}

int hl_plot_results_opts(const char *dir, const hl_plot_options *opt, hl_plot_report *report,
                         char *err, size_t errlen)
{
    hl_plot_report none = {0, 0, 0};
    if (report)
        *report = none;
    if (!opt->png && !opt->svg) {
        snprintf(err, errlen, "no image format chosen: use --format png, svg or both");
        return -1;
    }
    pl_ctx c = {.opt = opt};
    if (hl_plot_find_gnuplot(c.gnuplot, sizeof c.gnuplot, err, errlen) != 0)
        return -1;
    if (hl_plot_scripts_dir(c.scripts, sizeof c.scripts, err, errlen) != 0)
        return -1;
    pl_set *set = calloc(1, sizeof *set); /* a catalog and a result set: too big for the stack */
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (load_set(dir, opt->baseline, set, err, errlen) != 0) {
        free_set(set);
        free(set);
        return HL_PLOT_BAD_INPUT;
    }
    c.set = set;
    if (opt->baseline && !has_backend(set, opt->baseline)) {
        char list[600] = "";
        for (size_t b = 0; b < set->n_backends; b++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", b ? ", " : "",
                     set->backends[b]);
        snprintf(err, errlen, "--reference %s: no such backend in %s (it has: %s); nothing "
                              "was redrawn",
                 opt->baseline, dir, list);
        free_set(set);
        free(set);
        return HL_PLOT_BAD_INPUT;
    }
    if (hl_mkdir_p(set->data, err, errlen) != 0) {
        free_set(set);
        free(set);
        return -1;
    }
    c.args = malloc(sizeof *c.args);
    if (!c.args) {
        snprintf(err, errlen, "out of memory");
        free_set(set);
        free(set);
        return -1;
    }

    pl_chart_relative(&c);
    pl_chart_reps(&c);
    pl_chart_peak_rss(&c);
    pl_chart_overhead(&c);
    pl_chart_scaling(&c);
    pl_chart_sweeps(&c);
    pl_chart_timelines(&c);
    pl_chart_gc_pauses(&c);
    pl_chart_cow(&c);
    if (!opt->no_report)
        write_report(&c, dir);

    free(c.args);
    free(c.charts);
    free(c.skips);
    if (report)
        *report = c.rep;
    int rc = 0;
    if (c.rep.charts_drawn == 0) {
        snprintf(err, errlen, "no chart could be drawn from %s (see the skipped charts above)",
                 dir);
        rc = -1;
    }
    free_set(set);
    free(set);
    return rc;
}

int hl_plot_results(const char *dir, const char *baseline, char *err, size_t errlen)
{
    hl_plot_options opt = {.baseline = baseline, .png = true, .svg = true, .quiet = false};
    return hl_plot_results_opts(dir, &opt, NULL, err, errlen);
}
