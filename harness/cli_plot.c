/* cli_plot.c - the `heaplab plot` command: parses its options and calls
 * hl_plot_results_opts (plot.h).  The driver dispatches to hl_cli_plot with
 * argv[0] = "plot" and the rest of the command line after it.
 *
 * DIR/report.html is written too (report_html.h) unless --no-report.
 * Exit status: 0 when at least one chart was drawn (skipped charts are
 * listed on stderr), 1 when none could be (no results, no gnuplot), 2 for a
 * bad command line.
 */
#include "plot.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: heaplab plot DIR [--reference BACKEND] [--format png|svg|both] [--no-report]\n"
          "                   [--quiet]\n"
          "\n"
          "Draws comparison charts of the result set in DIR (written by heaplab run --out DIR)\n"
          "into DIR/plots/, with gnuplot and the scripts of heaplab's plots/ directory, and\n"
          "writes DIR/report.html, a page with the run's metadata, warnings, rankings and\n"
          "every chart.  A backend has the same colour in every chart of every run.\n"
          "  reltime        time per operation relative to the reference, one panel per family\n"
          "                 of workloads, linear axis clipped at 2.5x (relinstr: instructions)\n"
          "  reps-F         every repetition as a dot, per workload of family F\n"
          "  peak_rss       peak RSS net of the process's start-up RSS\n"
          "  overhead       resident bytes per live byte, where the live set is >= 1 MiB\n"
          "  scaling-W      throughput against threads (workloads run at several thread counts)\n"
          "  sweep-W-P      time per operation against parameter P (--param P=a,b,c)\n"
          "  timeline-W     RSS over time per workload\n"
          "  gc_pauses-W    GC pause time distribution per generation\n"
          "  cow            fork_cow: Private_Dirty per forked child for each mode\n"
          "The data behind each chart goes to DIR/plots/data/*.dat (one row per observation).\n"
          "\n"
          "options:\n"
          "  --reference BACKEND  ratios to this backend (default: the run's --reference, else\n"
          "                       the fastest non-debug backend of each workload)\n"
          "  --format FMT         png (pngcairo), svg, or both (default)\n"
          "  --no-report          do not write DIR/report.html\n"
          "  --quiet              do not list the files written\n"
          "\n"
          "environment: HEAPLAB_GNUPLOT (gnuplot to run), HEAPLAB_PLOTS_DIR (scripts)\n",
          out);
}

int hl_cli_plot(int argc, char **argv)
{
    const char *dir = NULL;
    hl_plot_options opt = {.baseline = NULL, .png = true, .svg = true, .quiet = false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            opt.quiet = true;
            continue;
        }
        if (strcmp(a, "--no-report") == 0) {
            opt.no_report = true;
            continue;
        }
        /* --reference is the name every command uses; --baseline the old one */
        bool is_baseline = (strncmp(a, "--baseline", 10) == 0 && (a[10] == '\0' || a[10] == '=')) ||
                           (strncmp(a, "--reference", 11) == 0 && (a[11] == '\0' || a[11] == '='));
        bool is_format = strncmp(a, "--format", 8) == 0 && (a[8] == '\0' || a[8] == '=');
        if (is_baseline || is_format) {
            const char *eq = strchr(a, '=');
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                fprintf(stderr, "heaplab plot: %s needs a value (see heaplab plot --help)\n", a);
                return 2;
            }
            if (is_baseline) {
                if (!val[0]) {
                    fprintf(stderr, "heaplab plot: --reference needs a backend name\n");
                    return 2;
                }
                opt.baseline = val;
            } else if (strcmp(val, "png") == 0) {
                opt.png = true;
                opt.svg = false;
            } else if (strcmp(val, "svg") == 0) {
                opt.png = false;
                opt.svg = true;
            } else if (strcmp(val, "both") == 0) {
                opt.png = opt.svg = true;
            } else {
                fprintf(stderr, "heaplab plot: --format must be png, svg or both, not '%s'\n",
                        val);
                return 2;
            }
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "heaplab plot: unknown option '%s' (see heaplab plot --help)\n", a);
            return 2;
        }
        if (dir) {
            fprintf(stderr,
                    "heaplab plot: one result directory at a time ('%s' and '%s' given)\n", dir,
                    a);
            return 2;
        }
        dir = a;
    }
    if (!dir) {
        fprintf(stderr, "heaplab plot: give the result directory: heaplab plot DIR\n");
        return 2;
    }
    char err[1024];
    hl_plot_report rep;
    int rc = hl_plot_results_opts(dir, &opt, &rep, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "heaplab plot: %s\n", err);
        return rc == HL_PLOT_BAD_INPUT ? 2 : 1;
    }
    if (!opt.quiet)
        printf("%u chart%s drawn (%u image%s) in %s/plots, %u skipped\n", rep.charts_drawn,
               rep.charts_drawn == 1 ? "" : "s", rep.images, rep.images == 1 ? "" : "s", dir,
               rep.charts_skipped);
    return 0;
}
