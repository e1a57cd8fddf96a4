/* plot.c - turns a result set into gnuplot data files and charts.
 *
 * How it works
 * ------------
 * 1. Load: DIR/results.json gives every cell (backend, workload, threads,
 *    parameters) and every repetition's figures (time per operation,
 *    throughput, peak RSS, peak live bytes, workload metrics).  The files
 *    the cell program wrote next to each repetition (timeline.csv,
 *    gc_pauses.csv) are read when a chart needs them.  Formats:
 *    docs/results-format.md.
 * 2. Group: a "configuration" is a workload with its parameter values and
 *    thread count; it is one cluster of bars, one timeline chart, one GC
 *    pause chart.  Backends keep the order in which results.json first
 *    names them, so each backend has the same colour in every chart.
 * 3. For each chart: summarise the repetitions (median, and min..max for
 *    the error bars, as pyperf and hyperfine report them), write
 *    DIR/plots/data/<chart>.dat in the layout the chart's script documents,
 *    and run gnuplot on plots/<kind>.gp once per image format.
 * A chart without data is skipped with one line on stderr; so is a chart
 * gnuplot fails to draw.  Nothing else stops the other charts.
 */
#include "plot.h"

#include "catalog.h"
#include "fsutil.h"
#include "json.h"
#include "plot_run.h"
#include "protocol.h"
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

/* ---- the loaded result set -------------------------------------------- */

typedef struct pl_metric {
    char name[48];
    double value;
} pl_metric;

/* One repetition of one cell.  Figures the result set lacks are NAN; ok is
 * false for a repetition that failed (its figures are not used). */
typedef struct pl_rep {
    unsigned k;           /* repetition number, as in rep-<k> */
    bool ok;
    char dir[400];        /* "cells/<id>/rep-<k>", relative to the set */
    double ns_per_op;     /* wall-clock time per operation */
    double ops_per_s;     /* throughput, all threads together */
    double peak_rss;      /* bytes */
    double peak_live;     /* bytes */
    size_t n_metrics;
    pl_metric *metrics;
} pl_rep;

/* Invariant: config < set->n_configs and backend < set->n_backends; the
 * pair (config, backend) is unique over the set's cells. */
typedef struct pl_cell {
    char id[256];
    char backend_name[320];
    char workload[64];
    char params[256];     /* "k=v,k=v" sorted as given; "" when none */
    char op_unit[48];
    unsigned threads;
    bool threaded;
    size_t config;        /* index into pl_set.configs */
    size_t backend;       /* index into pl_set.backends */
    size_t n_reps;
    pl_rep *reps;
} pl_cell;

typedef struct pl_config {
    char workload[64];
    char params[256];
    unsigned threads;
    bool threaded;
    char label[400];      /* x tic label: workload[ params][ tN] */
    char slug[200];       /* file-name part: workload[-params][-tN] */
} pl_config;

typedef struct pl_set {
    char dir[PATH_MAX];
    char plots[PATH_MAX];       /* DIR/plots */
    char data[PATH_MAX];        /* DIR/plots/data */
    char subtitle[600];         /* suite | machine | date */
    size_t n_cells;
    pl_cell *cells;
    size_t n_configs;
    pl_config *configs;
    size_t n_backends;
    char (*backends)[320];
    hl_catalog workloads;       /* descriptors the run recorded; may be empty */
} pl_set;

/* What one hl_plot_results_opts call is doing. */
typedef struct pl_ctx {
    const hl_plot_options *opt;
    pl_set *set;
    char scripts[PATH_MAX];
    char gnuplot[PATH_MAX];
    hl_plot_args *args;         /* heap: 100 KB */
    hl_plot_report rep;
} pl_ctx;

/* ---- small helpers ------------------------------------------------------ */

static void skip(pl_ctx *c, const char *chart, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void skip(pl_ctx *c, const char *chart, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fflush(stdout); /* keep "wrote" and "skipped" lines in order */
    fprintf(stderr, "heaplab plot: skipped %s: %s\n", chart, why);
    c->rep.charts_skipped++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Summary of a sample: median (Hyndman & Fan type 7, as harness/stats.c),
 * min, max; n == 0 gives NANs.  Sorts x in place. */
typedef struct pl_summary {
    size_t n;
    double median, min, max;
} pl_summary;

static pl_summary summarize(double *x, size_t n)
{
    pl_summary s = {n, NAN, NAN, NAN};
    if (n == 0)
        return s;
    qsort(x, n, sizeof *x, cmp_double);
    s.min = x[0];
    s.max = x[n - 1];
    double pos = 0.5 * (double)(n - 1);
    size_t lo = (size_t)pos;
    double frac = pos - (double)lo;
    s.median = (lo + 1 < n) ? x[lo] + frac * (x[lo + 1] - x[lo]) : x[lo];
    return s;
}

/* File-name-safe copy: letters, digits, '.', '-', '_' and '=' are kept,
 * everything else becomes '_'. */
static void slugify(const char *in, char *out, size_t outlen)
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

/* A string field of a gnuplot data file: double-quoted (so spaces stay),
 * with any double quote or control character replaced. */
static void token(const char *in, char *out, size_t outlen)
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

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.6g", v);
    else
        fputs(" ?", f);
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
        slugify(raw, g->slug, sizeof g->slug);
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
    memset(s, 0, sizeof *s);
}

static bool has_backend(const pl_set *s, const char *name)
{
    for (size_t b = 0; b < s->n_backends; b++)
        if (strcmp(s->backends[b], name) == 0)
            return true;
    return false;
}

static const pl_cell *find_cell(const pl_set *s, size_t config, size_t backend)
{
    for (size_t i = 0; i < s->n_cells; i++)
        if (s->cells[i].config == config && s->cells[i].backend == backend)
            return &s->cells[i];
    return NULL;
}

/* Value of an extra metric whose dotted name ends with component name. */
static double rep_metric(const pl_rep *r, const char *name)
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

/* One repetition's figures from the results model. */
static int load_rep(const hl_resultset *rs, size_t cell, unsigned k, pl_rep *r)
{
    const hl_rep *h = hl_results_rep_c(rs, cell, k);
    memset(r, 0, sizeof *r);
    r->k = k;
    hl_results_rep_dir(rs, cell, k, r->dir, sizeof r->dir);
    r->ok = strcmp(h->status, HL_JOB_OK) == 0;
    r->ns_per_op = h->m[HL_M_NS_PER_OP];
    r->ops_per_s = h->m[HL_M_OPS_PER_S];
    if (!isfinite(r->ops_per_s) && r->ns_per_op > 0)
        r->ops_per_s = 1e9 / r->ns_per_op;
    r->peak_rss = h->m[HL_M_PEAK_RSS_KIB] * 1024.0;
    r->peak_live = h->m[HL_M_PEAK_LIVE_BYTES];
    /* Workload figures (per-child series, parameter echoes) keep their
     * dotted names; rep_metric matches them by their last component. */
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
        PL_ASSERT(strcmp(s->backends[a->backend], a->backend_name) == 0);
        PL_ASSERT(strcmp(s->configs[a->config].workload, a->workload) == 0);
        for (size_t j = i + 1; j < s->n_cells; j++)
            PL_ASSERT(!(s->cells[j].config == a->config && s->cells[j].backend == a->backend));
        for (size_t r = 0; r < a->n_reps; r++) {
            const pl_rep *rep = &a->reps[r];
            PL_ASSERT(!(rep->ns_per_op < 0) && !(rep->peak_rss < 0));
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

static int load_cell(pl_set *s, const hl_resultset *rs, size_t c, size_t *reps_ok)
{
    const hl_plan_cell *pc = &rs->plan.cells[c];
    pl_cell *cell = &s->cells[s->n_cells];
    snprintf(cell->id, sizeof cell->id, "%s", pc->id);
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
        if (load_rep(rs, c, k, &cell->reps[cell->n_reps]) != 0)
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
static void subtitle(pl_set *s, const hl_resultset *rs)
{
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
    snprintf(s->subtitle, sizeof s->subtitle, "suite %s | %s | %s", rs->plan.suite, machine,
             date);
}

/* The workload descriptors the run recorded in its metadata (catalog.h). */
static void load_workloads(pl_set *s, const hl_resultset *rs)
{
    const hl_json *ws = hl_json_get(rs->metadata, "workloads");
    for (size_t i = 0; i < hl_json_len(ws) && s->workloads.n_workloads < HL_CAT_MAX_WORKLOADS;
         i++)
        hl_catalog_parse_workload(&s->workloads.workloads[s->workloads.n_workloads++],
                                  hl_json_at(ws, i));
}

static int load_set(const char *dir, pl_set *s, char *err, size_t errlen)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    if (!hl_is_dir(dir)) {
        snprintf(err, errlen, "%s is not a result directory (give the --out DIR of heaplab run)",
                 dir);
        return -1;
    }
    hl_resultset rs;
    if (hl_results_load(&rs, dir, err, errlen) != 0)
        return -1;
    snprintf(s->plots, sizeof s->plots, "%s/plots", dir);
    snprintf(s->data, sizeof s->data, "%s/plots/data", dir);
    subtitle(s, &rs);
    load_workloads(s, &rs);
    s->cells = calloc(rs.plan.n_cells ? rs.plan.n_cells : 1, sizeof *s->cells);
    size_t reps_ok = 0;
    int rc = s->cells ? 0 : -1;
    for (size_t c = 0; rc == 0 && c < rs.plan.n_cells; c++)
        rc = load_cell(s, &rs, c, &reps_ok);
    hl_results_free(&rs);
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
    label_configs(s);
    validate_set(s);
    return 0;
}

/* ---- chart helpers ------------------------------------------------------ */

typedef double (*pl_rep_value)(const pl_rep *r);

static double v_ns_per_op(const pl_rep *r) { return r->ns_per_op; }
static double v_ops_per_s(const pl_rep *r) { return r->ops_per_s; }
static double v_peak_rss_mib(const pl_rep *r) { return r->peak_rss / (1024.0 * 1024.0); }
static double v_overhead(const pl_rep *r)
{
    return (r->peak_live > 0) ? r->peak_rss / r->peak_live : NAN;
}

/* Summary of value over the cell's successful repetitions (finite, > 0). */
static pl_summary cell_summary(const pl_cell *cell, pl_rep_value value)
{
    pl_summary none = {0, NAN, NAN, NAN};
    if (!cell || cell->n_reps == 0)
        return none;
    double *x = malloc(cell->n_reps * sizeof *x);
    if (!x)
        return none;
    size_t n = 0;
    for (size_t r = 0; r < cell->n_reps; r++) {
        if (!cell->reps[r].ok)
            continue;
        double v = value(&cell->reps[r]);
        if (isfinite(v) && v > 0)
            x[n++] = v;
    }
    pl_summary s = summarize(x, n);
    free(x);
    return s;
}

static void data_path(const pl_ctx *c, const char *chart, char *out, size_t outlen)
{
    int w = snprintf(out, outlen, "%s/%s.dat", c->set->data, chart);
    if (w < 0 || (size_t)w >= outlen)
        out[0] = '\0'; /* fopen("") fails and the chart is skipped */
}

/* Draws chart from script with the variables already in c->args (plus
 * out, term, subtitle).  Returns the number of images written. */
static unsigned draw(pl_ctx *c, const char *chart, const char *script_name)
{
    char script[PATH_MAX + 64];
    snprintf(script, sizeof script, "%s/%s", c->scripts, script_name);
    unsigned written = 0;
    size_t base_n = c->args->n;
    char first_err[PATH_MAX + 700] = "";
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
        if (!c->opt->quiet)
            printf("wrote %s\n", out);
    }
    if (first_err[0] && written == 0) {
        skip(c, chart, "%s (script %s)", first_err, script);
    } else if (first_err[0]) {
        fflush(stdout);
        fprintf(stderr, "heaplab plot: %s: one format failed: %s (script %s)\n", chart, first_err,
                script);
    }
    if (written) {
        c->rep.charts_drawn++;
        c->rep.images += written;
    }
    return written;
}

/* ---- clustered bar charts: reltime, peak_rss, overhead ------------------ */

/* Backends drawn in one chart (the catalog allows 32). */
#define PL_MAX_BACKENDS 64

/* Writes one bars.gp data file: one row per configuration that has at
 * least one value, three columns per backend.  Values are the summary of
 * value() divided by norm[config] (1 when norm is NULL).  Returns the rows
 * written, the smallest/largest finite error-bar ends in *lo and *hi, and
 * the ratio of the largest to the smallest bar (median) in *span. */
static size_t write_bars(pl_ctx *c, FILE *f, pl_rep_value value, const double *norm, double *lo,
                         double *hi, double *span)
{
    pl_set *s = c->set;
    size_t nb = s->n_backends < PL_MAX_BACKENDS ? s->n_backends : PL_MAX_BACKENDS;
    fputs("workload", f);
    for (size_t b = 0; b < nb; b++) {
        char t[96];
        token(s->backends[b], t, sizeof t);
        fprintf(f, " %s lo hi", t);
    }
    fputc('\n', f);
    size_t rows = 0;
    double vmin = INFINITY, vmax = -INFINITY;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t g = 0; g < s->n_configs; g++) {
        if (norm && !(isfinite(norm[g]) && norm[g] > 0))
            continue;
        double scale = norm ? norm[g] : 1.0;
        pl_summary sum[PL_MAX_BACKENDS];
        bool any = false;
        for (size_t b = 0; b < nb; b++) {
            sum[b] = cell_summary(find_cell(s, g, b), value);
            any |= sum[b].n > 0;
        }
        if (!any)
            continue;
        char t[400];
        token(s->configs[g].label, t, sizeof t);
        fputs(t, f);
        for (size_t b = 0; b < nb; b++) {
            put_num(f, sum[b].median / scale);
            put_num(f, sum[b].min / scale);
            put_num(f, sum[b].max / scale);
            if (sum[b].n > 0) {
                *lo = fmin(*lo, sum[b].min / scale);
                *hi = fmax(*hi, sum[b].max / scale);
                vmin = fmin(vmin, sum[b].median / scale);
                vmax = fmax(vmax, sum[b].median / scale);
            }
        }
        fputc('\n', f);
        rows++;
    }
    *span = (rows && vmin > 0) ? vmax / vmin : 1;
    return rows;
}

/* Canvas width for a bar chart: room for every bar, within limits. */
static double bars_width(const pl_set *s, size_t rows)
{
    double w = 160.0 + (double)rows * (28.0 * (double)s->n_backends + 40.0);
    return w < 900 ? 900 : (w > 2000 ? 2000 : w);
}

/* Canvas height that keeps a wide chart from becoming a strip. */
static double bars_height(double width)
{
    return width <= 1000 ? 600 : 600 + (width - 1000) * 0.3;
}

static void bar_chart(pl_ctx *c, const char *chart, const char *script, pl_rep_value value,
                      const double *norm, const char *what)
{
    char path[PATH_MAX + 300];
    data_path(c, chart, path, sizeof path);
    FILE *f = fopen(path, "w");
    if (!f) {
        skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    double lo, hi, span;
    size_t rows = write_bars(c, f, value, norm, &lo, &hi, &span);
    if (fclose(f) != 0) {
        skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    if (rows == 0) {
        skip(c, chart, "no cell has %s", what);
        return;
    }
    hl_plot_args_init(c->args);
    hl_plot_args_str(c->args, "data", path);
    /* Logarithmic when the bars themselves span more than 10x (noisy
     * error bars alone do not make a log axis). */
    bool logy = lo > 0 && span > 10.0;
    double width = bars_width(c->set, rows);
    hl_plot_args_num(c->args, "logy", logy ? 1 : 0);
    if (logy) {
        hl_plot_args_num(c->args, "ymin", lo / 1.25);
        /* gnuplot's autoscale would round up to the next decade, leaving up
         * to 10x of empty axis; the key and value labels need about 3x. */
        hl_plot_args_num(c->args, "ymax", hi * 3.0);
    }
    hl_plot_args_num(c->args, "width", width);
    hl_plot_args_num(c->args, "height", bars_height(width));
    if (strcmp(chart, "reltime") == 0) {
        char b[200];
        if (c->opt->baseline)
            snprintf(b, sizeof b, "%s", c->opt->baseline);
        else
            snprintf(b, sizeof b, "the fastest backend");
        hl_plot_args_str(c->args, "baseline", b);
    }
    draw(c, chart, script);
}

static void chart_reltime(pl_ctx *c)
{
    pl_set *s = c->set;
    double *norm = malloc((s->n_configs + 1) * sizeof *norm);
    if (!norm) {
        skip(c, "reltime", "out of memory");
        return;
    }
    size_t base_b = SIZE_MAX;
    if (c->opt->baseline) {
        for (size_t b = 0; b < s->n_backends; b++)
            if (strcmp(s->backends[b], c->opt->baseline) == 0)
                base_b = b;
        if (base_b == SIZE_MAX) {
            char list[1024] = "";
            for (size_t b = 0; b < s->n_backends; b++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", b ? ", " : "",
                         s->backends[b]);
            skip(c, "reltime", "baseline backend '%s' is not in this result set (it has: %s)",
                 c->opt->baseline, list);
            free(norm);
            return;
        }
    }
    for (size_t g = 0; g < s->n_configs; g++) {
        norm[g] = NAN;
        if (base_b != SIZE_MAX) {
            norm[g] = cell_summary(find_cell(s, g, base_b), v_ns_per_op).median;
        } else {
            for (size_t b = 0; b < s->n_backends; b++) {
                double m = cell_summary(find_cell(s, g, b), v_ns_per_op).median;
                if (isfinite(m) && (!isfinite(norm[g]) || m < norm[g]))
                    norm[g] = m;
            }
        }
    }
    if (base_b != SIZE_MAX) {
        for (size_t g = 0; g < s->n_configs; g++) {
            bool others = false;
            for (size_t b = 0; b < s->n_backends; b++)
                others |= cell_summary(find_cell(s, g, b), v_ns_per_op).n > 0;
            if (others && !isfinite(norm[g])) {
                fflush(stdout);
                fprintf(stderr,
                        "heaplab plot: reltime: left out %s: the baseline %s has no successful "
                        "repetition there\n",
                        s->configs[g].label, c->opt->baseline);
            }
        }
    }
    bar_chart(c, "reltime", "reltime.gp", v_ns_per_op, norm,
              base_b != SIZE_MAX ? "a time per operation next to the baseline's"
                                 : "a time per operation");
    free(norm);
}

/* ---- thread scaling ----------------------------------------------------- */

static void chart_scaling(pl_ctx *c)
{
    pl_set *s = c->set;
    bool any_threaded = false, drew = false;
    bool *done = calloc(s->n_configs + 1, sizeof *done);
    if (!done) {
        skip(c, "scaling", "out of memory");
        return;
    }
    for (size_t g0 = 0; g0 < s->n_configs; g0++) {
        const pl_config *g = &s->configs[g0];
        if (!g->threaded || done[g0])
            continue;
        any_threaded = true;
        /* Every configuration of this workload+params, by thread count. */
        size_t idx[64];
        size_t n = 0;
        for (size_t h = g0; h < s->n_configs && n < 64; h++) {
            const pl_config *o = &s->configs[h];
            if (o->threaded && strcmp(o->workload, g->workload) == 0 &&
                strcmp(o->params, g->params) == 0) {
                idx[n++] = h;
                done[h] = true;
            }
        }
        if (n < 2)
            continue; /* one thread count: nothing to scale; reported below */
        /* ascending thread counts (insertion sort; n is small) */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && s->configs[idx[j]].threads < s->configs[idx[j - 1]].threads;
                 j--) {
                size_t t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        char chart[300], raw[400];
        snprintf(raw, sizeof raw, "scaling-%s%s%s", g->workload, g->params[0] ? "-" : "",
                 g->params);
        slugify(raw, chart, sizeof chart);
        char path[PATH_MAX + 300];
        data_path(c, chart, path, sizeof path);
        FILE *f = fopen(path, "w");
        if (!f) {
            skip(c, chart, "cannot write %s: %s", path, strerror(errno));
            continue;
        }
        fputs("threads", f);
        for (size_t b = 0; b < s->n_backends; b++) {
            char t[96];
            token(s->backends[b], t, sizeof t);
            fprintf(f, " %s lo hi", t);
        }
        fputc('\n', f);
        double lo = INFINITY, hi = -INFINITY;
        size_t points = 0;
        const char *op_unit = "operations";
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%u", s->configs[idx[i]].threads);
            for (size_t b = 0; b < s->n_backends; b++) {
                const pl_cell *cell = find_cell(s, idx[i], b);
                if (cell && cell->op_unit[0])
                    op_unit = cell->op_unit;
                pl_summary sum = cell_summary(cell, v_ops_per_s);
                put_num(f, sum.median);
                put_num(f, sum.min);
                put_num(f, sum.max);
                if (sum.n) {
                    points++;
                    lo = fmin(lo, sum.median);
                    hi = fmax(hi, sum.median);
                }
            }
            fputc('\n', f);
        }
        fclose(f);
        if (points == 0) {
            skip(c, chart, "no cell of %s has a throughput (ops/s)", g->workload);
            continue;
        }
        char title[400];
        snprintf(title, sizeof title, "Thread scaling: %s%s%s", g->workload,
                 g->params[0] ? " " : "", g->params);
        hl_plot_args_init(c->args);
        hl_plot_args_str(c->args, "data", path);
        hl_plot_args_str(c->args, "workload", g->workload);
        hl_plot_args_str(c->args, "title", title);
        hl_plot_args_str(c->args, "op_unit", op_unit);
        hl_plot_args_num(c->args, "logy", (lo > 0 && hi / lo > 10.0) ? 1 : 0);
        if (draw(c, chart, "scaling.gp"))
            drew = true;
    }
    free(done);
    if (!drew && any_threaded)
        skip(c, "scaling", "every threaded workload ran at one thread count only "
                           "(run with e.g. --threads 1,2,4 to get a scaling chart)");
    else if (!any_threaded)
        skip(c, "scaling", "no threaded workload in this result set");
}

/* ---- charts from the per-repetition files ------------------------------- */

/* Numeric rows of a small CSV file (header and malformed lines skipped). */
typedef struct pl_rows {
    size_t n, cap, ncols;
    double *v; /* n * ncols */
} pl_rows;

/* Reads the first ncols numeric columns of every row of path.  Returns 0
 * (rows may be empty), or -1 when the file cannot be opened. */
static int read_csv(const char *path, size_t ncols, pl_rows *out)
{
    memset(out, 0, sizeof *out);
    out->ncols = ncols;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        double row[8];
        char *p = line;
        size_t k = 0;
        for (; k < ncols; k++) {
            char *end;
            errno = 0;
            row[k] = strtod(p, &end);
            if (end == p || errno == ERANGE)
                break;
            p = end;
            while (*p == ' ' || *p == '\t')
                p++;
            if (k + 1 < ncols) {
                if (*p != ',')
                    break;
                p++;
            }
        }
        if (k < ncols)
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 256;
            double *nv = realloc(out->v, cap * ncols * sizeof *nv);
            if (!nv)
                break;
            out->v = nv;
            out->cap = cap;
        }
        memcpy(out->v + out->n * ncols, row, ncols * sizeof *row);
        out->n++;
    }
    fclose(f);
    return 0;
}

static void rep_file(const pl_set *s, const pl_rep *r, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s/%s", s->dir, r->dir, name);
}

/* The repetition to show for a cell in a one-run chart: among the successful
 * repetitions that have file `name`, the one whose time is closest to the
 * median (a typical run, not the luckiest one). */
static const pl_rep *typical_rep(const pl_set *s, const pl_cell *cell, const char *name)
{
    double med = cell_summary(cell, v_ns_per_op).median;
    const pl_rep *best = NULL;
    double best_d = INFINITY;
    for (size_t r = 0; r < cell->n_reps; r++) {
        const pl_rep *rep = &cell->reps[r];
        if (!rep->ok)
            continue;
        char path[PATH_MAX + 600];
        rep_file(s, rep, name, path, sizeof path);
        if (access(path, R_OK) != 0)
            continue;
        double d = isfinite(med) && isfinite(rep->ns_per_op) ? fabs(rep->ns_per_op - med) : 0;
        if (!best || d < best_d) {
            best = rep;
            best_d = d;
        }
    }
    return best;
}

#define PL_MAX_TIMELINE_POINTS 1500

static void chart_timelines(pl_ctx *c)
{
    pl_set *s = c->set;
    size_t found_files = 0, with_samples = 0;
    for (size_t g = 0; g < s->n_configs; g++) {
        const pl_config *cf = &s->configs[g];
        char chart[300];
        snprintf(chart, sizeof chart, "timeline-%s", cf->slug);
        char path[PATH_MAX + 300];
        data_path(c, chart, path, sizeof path);
        FILE *f = NULL;
        size_t blocks = 0;
        for (size_t b = 0; b < s->n_backends; b++) {
            const pl_cell *cell = find_cell(s, g, b);
            if (!cell)
                continue;
            const pl_rep *rep = typical_rep(s, cell, "timeline.csv");
            if (!rep)
                continue;
            found_files++;
            char csv[PATH_MAX + 600];
            rep_file(s, rep, "timeline.csv", csv, sizeof csv);
            pl_rows rows;
            if (read_csv(csv, 3, &rows) != 0 || rows.n == 0) {
                free(rows.v);
                continue;
            }
            if (!f) {
                f = fopen(path, "w");
                if (!f) {
                    free(rows.v);
                    skip(c, chart, "cannot write %s: %s", path, strerror(errno));
                    blocks = 0;
                    with_samples++; /* the skip above is the message */
                    break;
                }
            }
            char t[96];
            token(s->backends[b], t, sizeof t);
            fprintf(f, "%st_s %s live\n", blocks ? "\n\n" : "", t);
            /* Long runs: one point per bucket of samples, keeping the
             * bucket's largest RSS and live bytes so that peaks stay. */
            size_t per = (rows.n + PL_MAX_TIMELINE_POINTS - 1) / PL_MAX_TIMELINE_POINTS;
            for (size_t i = 0; i < rows.n; i += per) {
                double rss = 0, live = -1;
                for (size_t j = i; j < i + per && j < rows.n; j++) {
                    rss = fmax(rss, rows.v[j * 3 + 1]);
                    if (rows.v[j * 3 + 2] >= 0)
                        live = fmax(live, rows.v[j * 3 + 2]);
                }
                fprintf(f, "%.6f", rows.v[i * 3]);
                put_num(f, rss / (1024.0 * 1024.0));
                put_num(f, live >= 0 ? live / (1024.0 * 1024.0) : NAN);
                fputc('\n', f);
            }
            free(rows.v);
            blocks++;
        }
        if (f && fclose(f) != 0) {
            skip(c, chart, "cannot write %s: %s", path, strerror(errno));
            continue;
        }
        if (blocks == 0)
            continue; /* no backend of this configuration sampled memory */
        with_samples++;
        char title[500];
        snprintf(title, sizeof title, "Memory over time: %s", cf->label);
        hl_plot_args_init(c->args);
        hl_plot_args_str(c->args, "data", path);
        hl_plot_args_str(c->args, "workload", cf->label);
        hl_plot_args_str(c->args, "title", title);
        draw(c, chart, "timeline.gp");
    }
    if (found_files == 0)
        skip(c, "timeline",
             "no cells/*/rep-*/timeline.csv in %s (cells ran without memory sampling?)", s->dir);
    else if (with_samples == 0)
        skip(c, "timeline", "every timeline.csv in %s is empty (no samples)", s->dir);
}

#define PL_MAX_GEN 8
#define PL_MAX_CDF_POINTS 1000

/* Pauses of one cell (all successful repetitions pooled), per generation,
 * in microseconds.  Returns how many repetitions had a gc_pauses.csv. */
static size_t cell_pauses(const pl_set *s, const pl_cell *cell, pl_rows *per_gen)
{
    size_t files = 0;
    for (size_t gi = 0; gi < PL_MAX_GEN; gi++)
        memset(&per_gen[gi], 0, sizeof per_gen[gi]);
    for (size_t r = 0; r < cell->n_reps; r++) {
        const pl_rep *rep = &cell->reps[r];
        if (!rep->ok)
            continue;
        char csv[PATH_MAX + 600];
        rep_file(s, rep, "gc_pauses.csv", csv, sizeof csv);
        pl_rows rows;
        if (read_csv(csv, 2, &rows) != 0)
            continue;
        files++;
        for (size_t i = 0; i < rows.n; i++) {
            double gen = rows.v[i * 2], ns = rows.v[i * 2 + 1];
            if (!(gen >= 0 && gen < PL_MAX_GEN) || !(ns > 0))
                continue;
            pl_rows *pg = &per_gen[(size_t)gen];
            if (pg->n == pg->cap) {
                size_t cap = pg->cap ? pg->cap * 2 : 256;
                double *nv = realloc(pg->v, cap * sizeof *nv);
                if (!nv)
                    break;
                pg->v = nv;
                pg->cap = cap;
            }
            pg->v[pg->n++] = ns / 1000.0;
        }
        free(rows.v);
    }
    return files;
}

static void chart_gc_pauses(pl_ctx *c)
{
    pl_set *s = c->set;
    size_t files = 0, with_pauses = 0;
    pl_rows(*pauses)[PL_MAX_GEN] = calloc(s->n_backends + 1, sizeof *pauses);
    if (!pauses) {
        skip(c, "gc_pauses", "out of memory");
        return;
    }
    for (size_t g = 0; g < s->n_configs; g++) {
        const pl_config *cf = &s->configs[g];
        size_t ngen = 0, total = 0;
        for (size_t b = 0; b < s->n_backends; b++) {
            const pl_cell *cell = find_cell(s, g, b);
            for (size_t gi = 0; gi < PL_MAX_GEN; gi++)
                memset(&pauses[b][gi], 0, sizeof pauses[b][gi]);
            if (!cell)
                continue;
            files += cell_pauses(s, cell, pauses[b]);
            for (size_t gi = 0; gi < PL_MAX_GEN; gi++) {
                if (pauses[b][gi].n) {
                    total += pauses[b][gi].n;
                    if (gi + 1 > ngen)
                        ngen = gi + 1;
                }
            }
        }
        if (total > 0) {
            with_pauses++;
            char chart[300];
            snprintf(chart, sizeof chart, "gc_pauses-%s", cf->slug);
            char path[PATH_MAX + 300];
            data_path(c, chart, path, sizeof path);
            FILE *f = fopen(path, "w");
            if (!f) {
                skip(c, chart, "cannot write %s: %s", path, strerror(errno));
            } else {
                /* Block gi * n_backends + b: generation gi of backend b. */
                for (size_t gi = 0; gi < ngen; gi++) {
                    for (size_t b = 0; b < s->n_backends; b++) {
                        pl_rows *pg = &pauses[b][gi];
                        char name[160], t[170];
                        snprintf(name, sizeof name, "%s (n=%zu)", s->backends[b], pg->n);
                        token(name, t, sizeof t);
                        fprintf(f, "%spause_us %s\n", (gi || b) ? "\n\n" : "", t);
                        if (pg->n == 0) {
                            fputs("? ?\n", f);
                            continue;
                        }
                        qsort(pg->v, pg->n, sizeof *pg->v, cmp_double);
                        /* The CDF starts at 0 below the shortest pause, then
                         * steps up at each (or, for long runs, at evenly
                         * spaced order statistics). */
                        fprintf(f, "%.6g 0\n", pg->v[0]);
                        size_t step = (pg->n + PL_MAX_CDF_POINTS - 1) / PL_MAX_CDF_POINTS;
                        for (size_t i = 0; i < pg->n; i += step)
                            fprintf(f, "%.6g %.6g\n", pg->v[i], (double)(i + 1) / (double)pg->n);
                        if ((pg->n - 1) % step != 0)
                            fprintf(f, "%.6g 1\n", pg->v[pg->n - 1]);
                    }
                }
                if (fclose(f) != 0) {
                    skip(c, chart, "cannot write %s: %s", path, strerror(errno));
                } else {
                    char title[500];
                    snprintf(title, sizeof title, "GC pause times: %s", cf->label);
                    hl_plot_args_init(c->args);
                    hl_plot_args_str(c->args, "data", path);
                    hl_plot_args_str(c->args, "workload", cf->label);
                    hl_plot_args_str(c->args, "title", title);
                    hl_plot_args_num(c->args, "ngen", (double)ngen);
                    hl_plot_args_num(c->args, "nbackends", (double)s->n_backends);
                    draw(c, chart, "gc_pauses.gp");
                }
            }
        }
        for (size_t b = 0; b < s->n_backends; b++)
            for (size_t gi = 0; gi < PL_MAX_GEN; gi++)
                free(pauses[b][gi].v);
    }
    free(pauses);
    if (files == 0)
        skip(c, "gc_pauses",
             "no cells/*/rep-*/gc_pauses.csv in %s (no workload on the object layer ran?)",
             s->dir);
    else if (with_pauses == 0)
        skip(c, "gc_pauses", "the gc_pauses.csv files in %s record no collection", s->dir);
}

/* ---- copy-on-write: a per-child series, one bar per forked child ------- */

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
        double v = rep_metric(r, name);
        if (!isfinite(v))
            break;
        out[n++] = v;
    }
    return n;
}

/* Clusters: the configurations whose workload declares a cow series and
 * whose cells reported it, in the order the plan swept them. */
static size_t cow_clusters(const pl_set *s, size_t *order, size_t *declared)
{
    size_t n = 0;
    *declared = 0;
    for (size_t g = 0; g < s->n_configs; g++) {
        const char *series = cow_series(s, s->configs[g].workload);
        if (series == NULL)
            continue;
        (*declared)++;
        bool has = false;
        for (size_t i = 0; i < s->n_cells && !has; i++) {
            const pl_cell *cell = &s->cells[i];
            for (size_t r = 0; cell->config == g && r < cell->n_reps && !has; r++) {
                double kids[PL_MAX_CHILDREN];
                has = cell->reps[r].ok && rep_children(&cell->reps[r], series, kids) > 0;
            }
        }
        if (has)
            order[n++] = g;
    }
    return n;
}

typedef struct cow_range {
    double lo, hi, vmin, vmax;
    size_t max_children;
} cow_range;

/* One bar: median over repetitions of the mean child; error bar: smallest..
 * largest child of any repetition. */
static void cow_bar(FILE *f, const pl_cell *cell, const char *series, cow_range *rg)
{
    double means[256], all_lo = INFINITY, all_hi = -INFINITY;
    size_t nm = 0;
    for (size_t r = 0; cell && r < cell->n_reps && nm < 256; r++) {
        double kids[PL_MAX_CHILDREN];
        size_t k = cell->reps[r].ok ? rep_children(&cell->reps[r], series, kids) : 0;
        if (k == 0)
            continue;
        if (k > rg->max_children)
            rg->max_children = k;
        double sum = 0;
        for (size_t j = 0; j < k; j++) {
            sum += kids[j];
            all_lo = fmin(all_lo, kids[j]);
            all_hi = fmax(all_hi, kids[j]);
        }
        means[nm++] = sum / (double)k;
    }
    pl_summary sm = summarize(means, nm);
    put_num(f, sm.median);
    put_num(f, nm ? all_lo : NAN);
    put_num(f, nm ? all_hi : NAN);
    if (nm) {
        rg->lo = fmin(rg->lo, all_lo);
        rg->hi = fmax(rg->hi, all_hi);
        rg->vmin = fmin(rg->vmin, sm.median);
        rg->vmax = fmax(rg->vmax, sm.median);
    }
}

static void chart_cow(pl_ctx *c)
{
    pl_set *s = c->set;
    const char *chart = "cow";
    size_t *order = malloc((s->n_configs + 1) * sizeof *order), declared;
    if (!order) {
        skip(c, chart, "out of memory");
        return;
    }
    size_t n = cow_clusters(s, order, &declared);
    if (n == 0) {
        if (declared)
            skip(c, chart, "the cells of the workloads that declare a per-child series for "
                           "this chart report none");
        else
            skip(c, chart, "no workload in this result set declares a per-child series for it "
                           "(run --workloads fork_cow)");
        free(order);
        return;
    }
    char path[PATH_MAX + 300];
    data_path(c, chart, path, sizeof path);
    FILE *f = fopen(path, "w");
    if (!f) {
        skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        free(order);
        return;
    }
    fputs("config", f);
    for (size_t b = 0; b < s->n_backends; b++) {
        char t[96];
        token(s->backends[b], t, sizeof t);
        fprintf(f, " %s lo hi", t);
    }
    fputc('\n', f);
    cow_range rg = {INFINITY, -INFINITY, INFINITY, -INFINITY, 0};
    for (size_t i = 0; i < n; i++) {
        const pl_config *cf = &s->configs[order[i]];
        const char *series = cow_series(s, cf->workload);
        char t[400];
        token(cf->params[0] ? cf->params : cf->label, t, sizeof t);
        fputs(t, f);
        for (size_t b = 0; b < s->n_backends; b++)
            cow_bar(f, find_cell(s, order[i], b), series, &rg);
        fputc('\n', f);
    }
    free(order);
    if (fclose(f) != 0) {
        skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    hl_plot_args_init(c->args);
    hl_plot_args_str(c->args, "data", path);
    bool logy = rg.lo > 0 && rg.vmin > 0 && rg.vmax / rg.vmin > 10.0;
    double width = bars_width(s, n);
    hl_plot_args_num(c->args, "logy", logy ? 1 : 0);
    if (logy)
        hl_plot_args_num(c->args, "ymin", rg.lo / 1.25);
    hl_plot_args_num(c->args, "children", (double)rg.max_children);
    hl_plot_args_num(c->args, "width", width);
    hl_plot_args_num(c->args, "height", bars_height(width));
    draw(c, chart, "cow.gp");
}

/* ---- entry points ------------------------------------------------------- */

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
    pl_set *set = calloc(1, sizeof *set); /* a catalog: too big for the stack */
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (load_set(dir, set, err, errlen) != 0) {
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

    chart_reltime(&c);
    bar_chart(&c, "peak_rss", "peak_rss.gp", v_peak_rss_mib, NULL, "a peak RSS");
    bar_chart(&c, "overhead", "overhead.gp", v_overhead, NULL,
              "both a peak RSS and a peak live byte count");
    chart_scaling(&c);
    chart_timelines(&c);
    chart_gc_pauses(&c);
    chart_cow(&c);

    free(c.args);
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
