/* plot_model.h - the result set as the chart modules see it (internal to
 * hl_plot: plot.c loads it; plot_bars.c, plot_reps.c, plot_lines.c,
 * plot_files.c and plot_cow.c each draw one family of charts from it).
 *
 * Vocabulary:
 *   configuration  a workload at one point of its parameters and threads:
 *                  the cells that differ only by backend (one ranking
 *                  group of ranking.h, one cluster of bars)
 *   panel          a family of configurations drawn together: the object
 *                  layer, raw single-threaded workloads, raw threaded
 *                  workloads at one thread count
 *   backend        a backend spec; its colour comes from palette.h, never
 *                  from its position, so index order is only layout
 */
#ifndef HL_PLOT_MODEL_H
#define HL_PLOT_MODEL_H

#include "catalog.h"
#include "plot.h"
#include "plot_run.h"
#include "ranking.h"
#include "report_html.h"
#include "results.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
    double primary;       /* ns/op, or instructions/op in instructions mode */
    double ops_per_s;     /* throughput, all threads together */
    double peak_rss;      /* bytes */
    double rss_base;      /* bytes resident when the cell started (NAN: unknown) */
    double peak_live;     /* bytes */
    size_t n_metrics;
    pl_metric *metrics;
} pl_rep;

/* Invariant: config < set->n_configs and backend < set->n_backends; the
 * pair (config, backend) is unique over the set's cells. */
typedef struct pl_cell {
    size_t plan_index;    /* into set->rs.plan.cells */
    char backend_name[320];
    char workload[64];
    char params[256];     /* "k=v,k=v" with enumeration labels; "" when none */
    unsigned threads;
    bool threaded;
    size_t config;
    size_t backend;
    size_t n_reps;
    pl_rep *reps;
} pl_cell;

typedef struct pl_config {
    char workload[64];
    char params[256];
    unsigned threads;
    bool threaded;
    char label[400];      /* workload[ params][ (N threads)] */
    char slug[200];       /* file-name part: workload[-params][-tN] */
    size_t panel;         /* into set->panels */
    long group;           /* into set->groups (ranking), -1 when none */
} pl_config;

typedef struct pl_panel {
    char title[80];       /* "object layer", "raw allocator, 2 threads" */
    char slug[32];        /* "objects", "raw", "raw-t2" */
    unsigned rank;        /* sort key: objects, raw, threaded by count */
} pl_panel;

#define PL_MAX_PANELS 24

typedef struct pl_set {
    char dir[PATH_MAX];
    char plots[PATH_MAX];       /* DIR/plots */
    char data[PATH_MAX];        /* DIR/plots/data */
    char subtitle[600];         /* suite | machine | date */
    bool instr;                 /* instructions mode: the primary metric is instr/op */
    hl_resultset rs;            /* the one results model, kept for ranking */
    bool have_rs;
    const char *reference;      /* named reference backend, or NULL (per-group fastest) */
    hl_group *groups;           /* hl_rank_groups(rs, reference) */
    size_t n_groups;
    size_t n_cells;
    pl_cell *cells;
    size_t n_configs;
    pl_config *configs;
    size_t n_backends;
    char (*backends)[320];
    size_t n_panels;
    pl_panel panels[PL_MAX_PANELS];
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
    size_t n_charts, cap_charts;
    hl_html_chart *charts;      /* drawn, in drawing order (for report.html) */
    size_t n_skips, cap_skips;
    char (*skips)[600];         /* "chart: why", in order */
} pl_ctx;

/* ---- helpers (plot.c) ---------------------------------------------------- */

/* One line "heaplab plot: skipped CHART: WHY" on stderr, remembered for
 * the report. */
void pl_skip(pl_ctx *c, const char *chart, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* DIR/plots/data/<chart>.dat */
void pl_data_path(const pl_ctx *c, const char *chart, char *out, size_t outlen);

/* Opens a chart's data file and writes its first comment lines: what it
 * holds and the command that redraws the chart by hand.  NULL after
 * pl_skip. */
FILE *pl_data_open(pl_ctx *c, const char *chart, const char *script, const char *what,
                   char *path, size_t pathlen);
/* Closes it; false after pl_skip. */
bool pl_data_close(pl_ctx *c, const char *chart, FILE *f, const char *path);

/* A double-quoted data-file field (quotes and control characters
 * replaced). */
void pl_token(const char *in, char *out, size_t outlen);
/* " %.6g", or " ?" for a missing value. */
void pl_put_num(FILE *f, double v);
/* File-name-safe copy (letters, digits, . - _ = kept). */
void pl_slugify(const char *in, char *out, size_t outlen);

const pl_cell *pl_find_cell(const pl_set *s, size_t config, size_t backend);
/* The ranking row of (config, backend), or NULL. */
const hl_rank_row *pl_rank_row(const pl_set *s, size_t config, size_t backend);
/* The reference backend's index of a configuration, or SIZE_MAX. */
size_t pl_group_reference(const pl_set *s, size_t config);

/* Value of a workload metric whose dotted name ends with component name. */
double pl_rep_metric(const pl_rep *r, const char *name);

typedef double (*pl_rep_value)(const pl_rep *r);
/* Finite values > 0 of value() over the cell's ok repetitions, into out
 * (room for cell->n_reps); returns how many. */
size_t pl_cell_values(const pl_cell *cell, pl_rep_value value, double *out);
/* Median and interval (stats.h) of those values; n == 0 gives NANs. */
hl_interval pl_cell_interval(const pl_cell *cell, pl_rep_value value, double *median);

/* Starts a chart's gnuplot variables: data, plus backends / colours /
 * points for every backend of the set (palette.h), in set order. */
void pl_args_begin(pl_ctx *c, const char *data_path);

/* Draws chart from script with the variables in c->args (plus title, out,
 * term, subtitle) and records it for the report with its note (how to read
 * it; the report prints it under the chart).  Returns the images written. */
unsigned pl_draw(pl_ctx *c, const char *chart, const char *script, const char *kind,
                 const char *title, const char *note);

/* ---- the chart families -------------------------------------------------- */

void pl_chart_relative(pl_ctx *c);   /* plot_bars.c: reltime / relinstr */
void pl_chart_peak_rss(pl_ctx *c);   /* plot_bars.c */
void pl_chart_overhead(pl_ctx *c);   /* plot_bars.c */
void pl_chart_reps(pl_ctx *c);       /* plot_reps.c */
void pl_chart_scaling(pl_ctx *c);    /* plot_lines.c */
void pl_chart_sweeps(pl_ctx *c);     /* plot_lines.c */
void pl_chart_timelines(pl_ctx *c);  /* plot_files.c */
void pl_chart_gc_pauses(pl_ctx *c);  /* plot_files.c */
void pl_chart_cow(pl_ctx *c);        /* plot_cow.c */

/* The bars of the panels layout (plots/panels.gp), plot_bars.c: one index
 * block per panel, each opened by its first bar with the header row,
 * blocks separated by two blank lines.  lo/hi NAN: no interval (written
 * as lo = hi = value). */
typedef struct pl_bar_writer {
    FILE *f;
    long block;           /* the panel whose block is open, -1 none */
} pl_bar_writer;
void pl_bar_row(pl_bar_writer *w, size_t panel, size_t cluster, size_t backend,
                const char *bname, double v, double lo, double hi, bool tic, const char *name,
                const char *params, const char *ref, const char *group);

/* Canvas sizes shared by the bar charts (plot_bars.c). */
double pl_bars_width(const pl_set *s, size_t clusters);
double pl_bars_height(double width);

#endif
