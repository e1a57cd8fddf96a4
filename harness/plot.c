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

#include "json.h"
#include "plot_run.h"

#include <errno.h>
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
    char backend_name[96];
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
    char (*backends)[96];
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

static int mkdir_one(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return -1;
}

/* ---- loading ------------------------------------------------------------ */

static size_t backend_index(pl_set *s, const char *name)
{
    for (size_t i = 0; i < s->n_backends; i++)
        if (strcmp(s->backends[i], name) == 0)
            return i;
    char(*nb)[96] = realloc(s->backends, (s->n_backends + 1) * sizeof *nb);
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

static const pl_cell *find_cell(const pl_set *s, size_t config, size_t backend)
{
    for (size_t i = 0; i < s->n_cells; i++)
        if (s->cells[i].config == config && s->cells[i].backend == backend)
            return &s->cells[i];
    return NULL;
}

/* Copies a JSON string member into a fixed buffer ("" when absent). */
static void get_str(const hl_json *obj, const char *key, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", hl_json_get_str(obj, key, ""));
}

static int load_rep(const hl_json *jr, pl_rep *r, const char *cell_id)
{
    memset(r, 0, sizeof *r);
    double k = hl_json_get_num(jr, "rep", -1);
    r->k = (k >= 0 && k < 1e6) ? (unsigned)k : 0;
    const char *dir = hl_json_get_str(jr, "dir", NULL);
    if (dir && dir[0] && dir[0] != '/' && !strstr(dir, ".."))
        snprintf(r->dir, sizeof r->dir, "%s", dir);
    else
        snprintf(r->dir, sizeof r->dir, "cells/%s/rep-%u", cell_id, r->k);
    r->ok = strcmp(hl_json_get_str(jr, "status", ""), "ok") == 0;
    const hl_json *m = hl_json_get(jr, "metrics");
    r->ns_per_op = hl_json_get_num(m, "ns_per_op", NAN);
    r->ops_per_s = hl_json_get_num(m, "ops_per_s", NAN);
    if (!isfinite(r->ops_per_s) && r->ns_per_op > 0)
        r->ops_per_s = 1e9 / r->ns_per_op;
    r->peak_rss = hl_json_get_num(m, "peak_rss_kib", NAN) * 1024.0;
    r->peak_live = hl_json_get_num(m, "peak_live_bytes", NAN);
    /* A negative figure is no measurement: treat it as missing. */
    double *figs[] = {&r->ns_per_op, &r->ops_per_s, &r->peak_rss, &r->peak_live};
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++)
        if (*figs[i] < 0)
            *figs[i] = NAN;
    /* Workload figures (fork_cow's Private_Dirty, parameter echoes) are
     * kept by their last name component: "workload.metrics.x" -> "x". */
    const hl_json *ex = hl_json_get(jr, "extra");
    size_t n = (ex && ex->type == HL_JOBJ) ? ex->len : 0;
    if (n) {
        r->metrics = calloc(n, sizeof *r->metrics);
        if (!r->metrics)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (ex->items[i].type != HL_JNUM)
                continue;
            const char *name = ex->keys[i];
            pl_metric *pm = &r->metrics[r->n_metrics++];
            snprintf(pm->name, sizeof pm->name, "%s", name);
            pm->value = ex->items[i].num;
        }
    }
    return 0;
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

static int load_set(const char *dir, pl_set *s, char *err, size_t errlen)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a result directory (give the --out DIR of heaplab run)",
                 dir);
        return -1;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (access(path, F_OK) != 0) {
        snprintf(err, errlen, "%s has no results.json: nothing to plot (run heaplab run --out %s)",
                 dir, dir);
        return -1;
    }
    char perr[512];
    hl_json *doc = hl_json_parse_file(path, perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    if (strcmp(hl_json_get_str(doc, "format", ""), "heaplab-results") != 0) {
        snprintf(err, errlen, "%s is not a heaplab result set (no \"format\": \"heaplab-results\")",
                 path);
        hl_json_free(doc);
        return -1;
    }
    snprintf(s->plots, sizeof s->plots, "%s/plots", dir);
    snprintf(s->data, sizeof s->data, "%s/plots/data", dir);

    const hl_json *meta = hl_json_get(doc, "metadata");
    const hl_json *plan = hl_json_get(doc, "plan");
    const char *cpu = hl_json_get_str(meta, "cpu_model", NULL);
    const char *host = hl_json_get_str(meta, "hostname", NULL);
    char machine[300];
    if (cpu && host)
        snprintf(machine, sizeof machine, "%s (%s)", cpu, host);
    else
        snprintf(machine, sizeof machine, "%s", cpu ? cpu : host ? host : "unknown machine");
    char date[64];
    short_date(hl_json_get_str(meta, "date", "unknown date"), date, sizeof date);
    snprintf(s->subtitle, sizeof s->subtitle, "suite %s | %s | %s",
             hl_json_get_str(plan, "suite", "?"), machine, date);

    const hl_json *cells = hl_json_get(doc, "cells");
    size_t n = hl_json_len(cells);
    s->cells = calloc(n ? n : 1, sizeof *s->cells);
    if (!s->cells) {
        snprintf(err, errlen, "out of memory");
        hl_json_free(doc);
        return -1;
    }
    size_t reps_ok = 0;
    for (size_t i = 0; i < n; i++) {
        const hl_json *jc = hl_json_at(cells, i);
        pl_cell *cell = &s->cells[s->n_cells];
        get_str(jc, "id", cell->id, sizeof cell->id);
        get_str(jc, "backend", cell->backend_name, sizeof cell->backend_name);
        get_str(jc, "workload", cell->workload, sizeof cell->workload);
        if (!cell->id[0] || !cell->backend_name[0] || !cell->workload[0] ||
            strchr(cell->id, '/') || strstr(cell->id, "..")) {
            fprintf(stderr,
                    "heaplab plot: left out cell %zu of %s: it needs an id (without '/' or "
                    "'..'), a backend and a workload\n",
                    i, path);
            memset(cell, 0, sizeof *cell);
            continue;
        }
        double t = hl_json_get_num(jc, "threads", 1);
        cell->threads = (t >= 1 && t < 1e6) ? (unsigned)t : 1;
        cell->threaded = hl_json_bool(hl_json_get(jc, "threaded"), false);
        get_str(jc, "op_unit", cell->op_unit, sizeof cell->op_unit);
        const hl_json *params = hl_json_get(jc, "params");
        for (size_t k = 0; k < hl_json_len(params) && params->type == HL_JOBJ; k++) {
            size_t used = strlen(cell->params);
            snprintf(cell->params + used, sizeof cell->params - used, "%s%s=%.15g",
                     used ? "," : "", params->keys[k], hl_json_num(&params->items[k], 0));
        }
        const hl_json *reps = hl_json_get(jc, "reps");
        size_t nr = hl_json_len(reps);
        cell->reps = calloc(nr ? nr : 1, sizeof *cell->reps);
        if (!cell->reps) {
            snprintf(err, errlen, "out of memory");
            hl_json_free(doc);
            return -1;
        }
        for (size_t r = 0; r < nr; r++) {
            if (load_rep(hl_json_at(reps, r), &cell->reps[cell->n_reps], cell->id) != 0) {
                snprintf(err, errlen, "out of memory");
                hl_json_free(doc);
                return -1;
            }
            reps_ok += cell->reps[cell->n_reps].ok;
            cell->n_reps++;
        }
        cell->backend = backend_index(s, cell->backend_name);
        cell->config = config_index(s, cell);
        if (cell->backend == SIZE_MAX || cell->config == SIZE_MAX) {
            snprintf(err, errlen, "out of memory");
            hl_json_free(doc);
            return -1;
        }
        if (find_cell(s, cell->config, cell->backend) != NULL) {
            fprintf(stderr, "heaplab plot: %s lists cell %s twice; the first one is used\n",
                    path, cell->id);
            for (size_t r = 0; r < cell->n_reps; r++)
                free(cell->reps[r].metrics);
            free(cell->reps);
            memset(cell, 0, sizeof *cell);
            continue;
        }
        s->n_cells++;
    }
    hl_json_free(doc);
    if (s->n_cells == 0) {
        snprintf(err, errlen, "%s lists no cells: nothing to plot", path);
        return -1;
    }
    if (reps_ok == 0) {
        snprintf(err, errlen,
                 "%s has no successful repetition yet (every job failed or none finished): "
                 "nothing to plot",
                 path);
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

/* ---- copy-on-write: fork_cow's Private_Dirty per child ------------------ */

/* fork_cow's `mode` parameter: how the parent's objects are protected from
 * refcount and GC writes before forking (workloads/fork_cow.c). */
static const char *const cow_mode_names[] = {"plain", "GC disabled", "frozen (gc.freeze)",
                                              "immortal (PEP 683)"};

#define PL_MAX_CHILDREN 64

/* Private_Dirty (KiB) of each forked child of one repetition, from the
 * metrics private_dirty_kib_child<i>; returns how many. */
static size_t rep_children(const pl_rep *r, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < PL_MAX_CHILDREN; i++) {
        char name[48];
        snprintf(name, sizeof name, "private_dirty_kib_child%zu", i);
        double v = rep_metric(r, name);
        if (!isfinite(v))
            break;
        out[n++] = v;
    }
    return n;
}

/* The mode of a cell: its explicit parameter, else the value the cell
 * echoed in its result, else -1. */
static double cell_mode(const pl_cell *cell)
{
    const char *p = strstr(cell->params, "mode=");
    if (p && (p == cell->params || p[-1] == ','))
        return strtod(p + 5, NULL);
    for (size_t r = 0; r < cell->n_reps; r++) {
        double v = rep_metric(&cell->reps[r], "params.mode");
        if (isfinite(v))
            return v;
    }
    return -1;
}

static void chart_cow(pl_ctx *c)
{
    pl_set *s = c->set;
    const char *chart = "cow";
    /* Clusters: configurations with per-child figures, ordered by mode. */
    size_t *order = malloc((s->n_configs + 1) * sizeof *order);
    double *mode = malloc((s->n_configs + 1) * sizeof *mode);
    if (!order || !mode) {
        free(order);
        free(mode);
        skip(c, chart, "out of memory");
        return;
    }
    size_t n = 0, fork_cells = 0;
    for (size_t g = 0; g < s->n_configs; g++) {
        bool has = false;
        mode[g] = -1;
        for (size_t i = 0; i < s->n_cells; i++) {
            const pl_cell *cell = &s->cells[i];
            if (cell->config != g)
                continue;
            if (strcmp(cell->workload, "fork_cow") == 0)
                fork_cells++;
            for (size_t r = 0; r < cell->n_reps; r++) {
                double kids[PL_MAX_CHILDREN];
                if (cell->reps[r].ok && rep_children(&cell->reps[r], kids) > 0) {
                    has = true;
                    mode[g] = cell_mode(cell);
                }
            }
        }
        if (!has)
            continue;
        size_t j = n++;
        while (j > 0 && mode[order[j - 1]] > mode[g]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = g;
    }
    if (n == 0) {
        if (fork_cells)
            skip(c, chart, "the fork_cow cells report no private_dirty_kib_child<i> metric");
        else
            skip(c, chart, "no fork_cow cell in this result set (run --workloads fork_cow)");
        free(order);
        free(mode);
        return;
    }
    char path[PATH_MAX + 300];
    data_path(c, chart, path, sizeof path);
    FILE *f = fopen(path, "w");
    if (!f) {
        skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        free(order);
        free(mode);
        return;
    }
    fputs("mode", f);
    for (size_t b = 0; b < s->n_backends; b++) {
        char t[96];
        token(s->backends[b], t, sizeof t);
        fprintf(f, " %s lo hi", t);
    }
    fputc('\n', f);
    double lo = INFINITY, hi = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
    size_t max_children = 0;
    for (size_t i = 0; i < n; i++) {
        const pl_config *cf = &s->configs[order[i]];
        char label[400], other[256] = "";
        /* Parameters other than mode stay in the label. */
        char params[256];
        snprintf(params, sizeof params, "%s", cf->params);
        for (char *tok = strtok(params, ","); tok; tok = strtok(NULL, ",")) {
            if (strncmp(tok, "mode=", 5) == 0)
                continue;
            size_t u = strlen(other);
            snprintf(other + u, sizeof other - u, "%s%s", u ? "," : "", tok);
        }
        double m = mode[order[i]];
        if (m >= 0 && m < 4 && m == floor(m))
            snprintf(label, sizeof label, "%s%s%s", cow_mode_names[(int)m], other[0] ? " " : "",
                     other);
        else if (m >= 0)
            snprintf(label, sizeof label, "mode=%g%s%s", m, other[0] ? " " : "", other);
        else
            snprintf(label, sizeof label, "%s", cf->label);
        char t[400];
        token(label, t, sizeof t);
        fputs(t, f);
        for (size_t b = 0; b < s->n_backends; b++) {
            const pl_cell *cell = find_cell(s, order[i], b);
            /* bar: median over repetitions of the mean child; error bar:
             * smallest..largest child of any repetition */
            double means[256], all_lo = INFINITY, all_hi = -INFINITY;
            size_t nm = 0;
            for (size_t r = 0; cell && r < cell->n_reps && nm < 256; r++) {
                double kids[PL_MAX_CHILDREN];
                size_t k = cell->reps[r].ok ? rep_children(&cell->reps[r], kids) : 0;
                if (k == 0)
                    continue;
                if (k > max_children)
                    max_children = k;
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
                lo = fmin(lo, all_lo);
                hi = fmax(hi, all_hi);
                vmin = fmin(vmin, sm.median);
                vmax = fmax(vmax, sm.median);
            }
        }
        fputc('\n', f);
    }
    free(order);
    free(mode);
    if (fclose(f) != 0) {
        skip(c, chart, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    hl_plot_args_init(c->args);
    hl_plot_args_str(c->args, "data", path);
    bool logy = lo > 0 && vmin > 0 && vmax / vmin > 10.0;
    double width = bars_width(s, n);
    hl_plot_args_num(c->args, "logy", logy ? 1 : 0);
    if (logy)
        hl_plot_args_num(c->args, "ymin", lo / 1.25);
    hl_plot_args_num(c->args, "children", (double)max_children);
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
    pl_set set;
    memset(&set, 0, sizeof set);
    if (load_set(dir, &set, err, errlen) != 0) {
        free_set(&set);
        return -1;
    }
    c.set = &set;
    if (mkdir_one(set.plots, err, errlen) != 0 || mkdir_one(set.data, err, errlen) != 0) {
        free_set(&set);
        return -1;
    }
    c.args = malloc(sizeof *c.args);
    if (!c.args) {
        snprintf(err, errlen, "out of memory");
        free_set(&set);
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
    free_set(&set);
    return rc;
}

int hl_plot_results(const char *dir, const char *baseline, char *err, size_t errlen)
{
    hl_plot_options opt = {.baseline = baseline, .png = true, .svg = true, .quiet = false};
    return hl_plot_results_opts(dir, &opt, NULL, err, errlen);
}
