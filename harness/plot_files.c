/* plot_files.c - the charts drawn from the files a cell wrote next to its
 * cell.json: the memory timeline (timeline.csv, timeline-<config>) and the
 * GC pause distribution (gc_pauses.csv, gc_pauses-<config>).
 *
 * How it works
 * ------------
 * Both files describe the fixed-work pass (harness/cell_fixed.c): the same
 * operations for every backend, so the curves compare.  A timeline shows
 * one typical repetition per backend - the one whose time is closest to
 * the cell's median, not the luckiest - with its RSS net of the RSS the
 * process had when it started, next to the bytes the workload had live.
 * Long timelines are thinned to PL_MAX_TIMELINE_POINTS per backend keeping
 * each bucket's largest values, so peaks stay.  GC pauses pool every
 * successful repetition into one cumulative distribution per generation.
 * Both data files hold one index block per backend of the set (empty for
 * a backend without the file), so block b is backend b + 1 of `backends`
 * and its colour.
 */
#include "plot_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    double *x = malloc((cell->n_reps + 1) * sizeof *x);
    size_t n = 0;
    for (size_t r = 0; x && r < cell->n_reps; r++)
        if (cell->reps[r].ok && isfinite(cell->reps[r].primary))
            x[n++] = cell->reps[r].primary;
    double med = n ? hl_stats_median(x, n) : NAN;
    free(x);
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
        double d = isfinite(med) && isfinite(rep->primary) ? fabs(rep->primary - med) : 0;
        if (!best || d < best_d) {
            best = rep;
            best_d = d;
        }
    }
    return best;
}

#define PL_MAX_TIMELINE_POINTS 1500
#define MIB (1024.0 * 1024.0)

/* One backend's block of a timeline; returns whether it had samples. */
static bool timeline_block(const pl_set *s, FILE *f, size_t b, const pl_cell *cell, bool net,
                           size_t *found_files)
{
    char t[340];
    pl_token(s->backends[b], t, sizeof t);
    fprintf(f, "%st_s %s live\n", b ? "\n\n" : "", t);
    const pl_rep *rep = cell ? typical_rep(s, cell, "timeline.csv") : NULL;
    if (!rep)
        return false;
    (*found_files)++;
    char csv[PATH_MAX + 600];
    rep_file(s, rep, "timeline.csv", csv, sizeof csv);
    pl_rows rows;
    if (read_csv(csv, 3, &rows) != 0 || rows.n == 0) {
        free(rows.v);
        return false;
    }
    double base = net ? rep->rss_base : 0;
    /* Long runs: one point per bucket of samples, keeping the bucket's
     * largest RSS and live bytes so that peaks stay. */
    size_t per = (rows.n + PL_MAX_TIMELINE_POINTS - 1) / PL_MAX_TIMELINE_POINTS;
    for (size_t i = 0; i < rows.n; i += per) {
        double rss = 0, live = -1;
        for (size_t j = i; j < i + per && j < rows.n; j++) {
            rss = fmax(rss, rows.v[j * 3 + 1]);
            if (rows.v[j * 3 + 2] >= 0)
                live = fmax(live, rows.v[j * 3 + 2]);
        }
        fprintf(f, "%.6f", rows.v[i * 3]);
        pl_put_num(f, (rss - base) / MIB);
        pl_put_num(f, live >= 0 ? live / MIB : NAN);
        fputc('\n', f);
    }
    free(rows.v);
    return true;
}

void pl_chart_timelines(pl_ctx *c)
{
    pl_set *s = c->set;
    if (s->instr) {
        pl_skip(c, "timeline", "instructions mode: cells sample no timeline under callgrind "
                               "(its thread would add instructions)");
        return;
    }
    size_t found_files = 0, with_samples = 0;
    for (size_t g = 0; g < s->n_configs; g++) {
        const pl_config *cf = &s->configs[g];
        char chart[300];
        snprintf(chart, sizeof chart, "timeline-%s", cf->slug);
        /* Net of start-up only when every backend's start-up RSS is known. */
        bool net = true, any = false;
        for (size_t b = 0; b < s->n_backends; b++) {
            const pl_cell *cell = pl_find_cell(s, g, b);
            const pl_rep *rep = cell ? typical_rep(s, cell, "timeline.csv") : NULL;
            if (rep) {
                any = true;
                net &= isfinite(rep->rss_base);
            }
        }
        if (!any)
            continue;
        char path[PATH_MAX + 300];
        FILE *f = pl_data_open(c, chart, "timeline.gp",
                               "one block per backend of `backends`: seconds since the pass "
                               "started, RSS (MiB, net of start-up RSS when net=1), live bytes "
                               "(MiB)",
                               path, sizeof path);
        if (!f) {
            with_samples++; /* the skip is the message */
            continue;
        }
        size_t blocks = 0;
        for (size_t b = 0; b < s->n_backends; b++)
            blocks += timeline_block(s, f, b, pl_find_cell(s, g, b), net, &found_files);
        if (!pl_data_close(c, chart, f, path))
            continue;
        if (blocks == 0)
            continue; /* no backend of this configuration sampled memory */
        with_samples++;
        char title[500];
        snprintf(title, sizeof title, "Memory over time: %s", cf->label);
        pl_args_begin(c, path);
        hl_plot_args_num(c->args, "net", net ? 1 : 0);
        pl_draw(c, chart, "timeline.gp", "timeline", title,
                net ? "Resident memory over the fixed-work pass (the same operations for every "
                      "backend), net of the RSS the process had when it started, for the "
                      "repetition closest to the median; dashed: bytes the workload had live."
                    : "Resident memory over the fixed-work pass for the repetition closest to "
                      "the median; dashed: bytes the workload had live.");
    }
    if (found_files == 0)
        pl_skip(c, "timeline",
                "no cells/*/rep-*/timeline.csv in %s (cells ran without memory sampling?)",
                s->dir);
    else if (with_samples == 0)
        pl_skip(c, "timeline", "every timeline.csv in %s is empty (no samples)", s->dir);
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Block gi * n_backends + b: generation gi of backend b; a CDF that starts
 * at 0 below the shortest pause, then steps up at each pause (or, for long
 * runs, at evenly spaced order statistics). */
static void write_cdfs(const pl_set *s, FILE *f, pl_rows (*pauses)[PL_MAX_GEN], size_t ngen)
{
    for (size_t gi = 0; gi < ngen; gi++) {
        for (size_t b = 0; b < s->n_backends; b++) {
            pl_rows *pg = &pauses[b][gi];
            char name[360], t[370];
            snprintf(name, sizeof name, "%s (n=%zu)", s->backends[b], pg->n);
            pl_token(name, t, sizeof t);
            fprintf(f, "%spause_us %s\n", (gi || b) ? "\n\n" : "", t);
            if (pg->n == 0) {
                fputs("? ?\n", f);
                continue;
            }
            qsort(pg->v, pg->n, sizeof *pg->v, cmp_double);
            fprintf(f, "%.6g 0\n", pg->v[0]);
            size_t step = (pg->n + PL_MAX_CDF_POINTS - 1) / PL_MAX_CDF_POINTS;
            for (size_t i = 0; i < pg->n; i += step)
                fprintf(f, "%.6g %.6g\n", pg->v[i], (double)(i + 1) / (double)pg->n);
            if ((pg->n - 1) % step != 0)
                fprintf(f, "%.6g 1\n", pg->v[pg->n - 1]);
        }
    }
}

void pl_chart_gc_pauses(pl_ctx *c)
{
    pl_set *s = c->set;
    if (s->instr) {
        pl_skip(c, "gc_pauses", "instructions mode: pause times under callgrind are not the "
                                "collector's");
        return;
    }
    size_t files = 0, with_pauses = 0;
    pl_rows(*pauses)[PL_MAX_GEN] = calloc(s->n_backends + 1, sizeof *pauses);
    if (!pauses) {
        pl_skip(c, "gc_pauses", "out of memory");
        return;
    }
    for (size_t g = 0; g < s->n_configs; g++) {
        const pl_config *cf = &s->configs[g];
        size_t ngen = 0, total = 0;
        for (size_t b = 0; b < s->n_backends; b++) {
            const pl_cell *cell = pl_find_cell(s, g, b);
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
            char chart[300], path[PATH_MAX + 300];
            snprintf(chart, sizeof chart, "gc_pauses-%s", cf->slug);
            FILE *f = pl_data_open(c, chart, "gc_pauses.gp",
                                   "block g * nbackends + b: generation g of backend b, pause "
                                   "times (us) in ascending order with their cumulative "
                                   "fraction",
                                   path, sizeof path);
            if (f) {
                write_cdfs(s, f, pauses, ngen);
                if (pl_data_close(c, chart, f, path)) {
                    char title[500];
                    snprintf(title, sizeof title, "GC pause times: %s", cf->label);
                    pl_args_begin(c, path);
                    hl_plot_args_num(c->args, "ngen", (double)ngen);
                    pl_draw(c, chart, "gc_pauses.gp", "gc_pauses", title,
                            "Cumulative distribution of the collector's pauses in the "
                            "fixed-work pass, every repetition pooled, one panel per "
                            "generation; further left is shorter.");
                }
            }
        }
        for (size_t b = 0; b < s->n_backends; b++)
            for (size_t gi = 0; gi < PL_MAX_GEN; gi++)
                free(pauses[b][gi].v);
    }
    free(pauses);
    if (files == 0)
        pl_skip(c, "gc_pauses",
                "no cells/*/rep-*/gc_pauses.csv in %s (no workload on the object layer ran?)",
                s->dir);
    else if (with_pauses == 0)
        pl_skip(c, "gc_pauses", "the gc_pauses.csv files in %s record no collection", s->dir);
}
