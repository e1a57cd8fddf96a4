/* plot.h - comparison charts for a heaplab result set, drawn by gnuplot.
 *
 * hl_plot_results(DIR, ...) reads DIR/results.json and the per-cell files
 * under DIR/cells/, writes one data file per chart under DIR/plots/data/
 * and runs gnuplot on the matching script of plots/<kind>.gp to draw
 * DIR/plots/<chart>.png and/or .svg.  The C side only writes data files and
 * starts `gnuplot -e "var='value'" ... plots/<kind>.gp` with fork/execvp
 * (never a shell); every line of gnuplot lives in the .gp files.
 *
 * Charts (file names under DIR/plots/; docs/cli.md, "plot", shows each):
 *   reltime        time per operation relative to the reference backend, one
 *                  panel per family of workloads, linear axis clipped at 2.5x
 *                  (relinstr instead in instructions mode)
 *   reps-<panel>   every repetition as a dot, the median marked, one small
 *                  panel per workload configuration
 *   peak_rss       peak RSS net of the process's start-up RSS, one small
 *                  panel per configuration
 *   overhead       (peak RSS - start-up RSS) / peak live bytes, where the
 *                  live set is at least 1 MiB
 *   scaling-<w>    throughput against threads, per threaded workload
 *                  (instructions per operation in instructions mode)
 *   sweep-<w>-<p>  time per operation against a swept parameter p
 *   timeline-<w>   RSS net of start-up over time, per configuration
 *   gc_pauses-<w>  CDF of GC pause times per generation, per configuration
 *   cow            fork_cow: Private_Dirty per forked child, per mode
 * and DIR/report.html (report_html.h) listing them.  A backend has the
 * same colour in every chart of every run (palette.h).
 *
 * A chart that has no data, or that gnuplot fails to draw, is skipped with
 * one line on stderr ("heaplab plot: skipped <chart>: <why>"); the others
 * are still drawn.
 *
 * Where the scripts are: $HEAPLAB_PLOTS_DIR, else the source tree's plots/
 * the build recorded (build_info.h), else <dir of the executable>/../plots
 * or <dir of the executable>/plots.  Which gnuplot: $HEAPLAB_GNUPLOT, else
 * `gnuplot` looked up in PATH.
 */
#ifndef HL_PLOT_H
#define HL_PLOT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hl_plot_options {
    const char *baseline; /* backend the time chart is normalised to; NULL: fastest per workload */
    bool png;             /* draw DIR/plots/<chart>.png (pngcairo) */
    bool svg;             /* draw DIR/plots/<chart>.svg */
    bool quiet;           /* no "wrote ..." lines on stdout (skips still go to stderr) */
    bool no_report;       /* do not write DIR/report.html */
} hl_plot_options;

/* What one call drew. */
typedef struct hl_plot_report {
    unsigned charts_drawn;   /* charts with at least one image written */
    unsigned charts_skipped; /* charts skipped (each named on stderr) */
    unsigned images;         /* image files written */
} hl_plot_report;

/* hl_plot_results: not a readable result set, or a --baseline it lacks:
 * bad input, nothing was (re)drawn. */
#define HL_PLOT_BAD_INPUT (-2)

/* Draws every chart of the result set in dir, both PNG and SVG, and
 * writes DIR/report.html.  baseline may be NULL: the run's --reference,
 * else the fastest non-debug backend of each group (ranking.h).  Returns 0 when at
 * least one chart was drawn; HL_PLOT_BAD_INPUT with one line in err when
 * dir is not a result set or lacks the baseline (earlier charts are kept);
 * -1 with one line in err when nothing could be drawn (no data for any
 * chart) or gnuplot is missing. */
int hl_plot_results(const char *dir, const char *baseline, char *err, size_t errlen);

/* The same with options; report may be NULL. */
int hl_plot_results_opts(const char *dir, const hl_plot_options *opt, hl_plot_report *report,
                         char *err, size_t errlen);

/* The directory holding the .gp scripts (see above), or -1 with one line in
 * err naming the places searched. */
int hl_plot_scripts_dir(char *out, size_t outlen, char *err, size_t errlen);

/* The `heaplab plot DIR [--baseline B] [--format png|svg|both] [--quiet]`
 * command (harness/cli_plot.c): argv[0] is the command name ("plot").
 * Returns the exit status: 0 drawn, 1 nothing drawn, 2 bad command line,
 * a directory that is not a result set, or an unknown --baseline. */
int hl_cli_plot(int argc, char **argv);

/* Writes value to out as the body of a gnuplot single-quoted string: a
 * quote is doubled, control characters become spaces.  Returns 0, or -1
 * when out is too small. */
int hl_plot_quote(const char *value, char *out, size_t outlen);

#endif
