/* inspect_render.c - the pictures of an inspection: each point's reference
 * graphs drawn by Graphviz (graph-p<K>, refs-p<K>, path-p<K> .svg/.png), and
 * the memory timeline with the collections, the points and the phases
 * drawn by gnuplot (timeline.svg/.png, plots/inspect.gp).
 *
 * How it works
 * ------------
 * Both tools run as programs (plot_run.h: fork/exec, no shell, a time
 * limit), on files already written, so a missing tool costs its pictures
 * only: one line on stderr says how to install it, and the DOT and CSV
 * files stay for whoever wants to draw them otherwise.  $HEAPLAB_DOT and
 * $HEAPLAB_GNUPLOT choose the programs.
 */
#include "inspect.h"

#include "plot_run.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool nonempty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

static unsigned render_graphs(const hl_inspection *x, const char *dir, bool quiet)
{
    const char *env = getenv("HEAPLAB_DOT");
    char dot[PATH_MAX];
    if (hl_plot_find_program(env && *env ? env : "dot", dot, sizeof dot) != 0) {
        fflush(stdout);
        fprintf(stderr, "heaplab inspect: Graphviz is not installed, so the reference graphs "
                        "stay as DOT in %s/graph-p*.dot; install it (Debian: apt-get install "
                        "graphviz) to get SVG and PNG\n",
                dir);
        return 0;
    }
    unsigned images = 0;
    for (size_t k = 0; k < x->n_points; k++) {
        if (!x->points[k].backrefs_dot)
            continue;
        static const char *const stems[3] = {"graph", "refs", "path"};
        for (int s = 0; s < 3; s++) {
            for (int fmt = 0; fmt < 2; fmt++) {
                char in[PATH_MAX + 64], out[PATH_MAX + 64], tflag[16], err[600];
                snprintf(in, sizeof in, "%s/%s-p%zu.dot", dir, stems[s], k + 1);
                snprintf(out, sizeof out, "%s/%s-p%zu.%s", dir, stems[s], k + 1,
                         fmt ? "png" : "svg");
                snprintf(tflag, sizeof tflag, "-T%s", fmt ? "png" : "svg");
                char *argv[] = {dot, tflag, (char *)"-o", out, in, NULL};
                if (hl_plot_run_program(argv, err, sizeof err) != 0 || !nonempty(out)) {
                    fflush(stdout);
                    fprintf(stderr, "heaplab inspect: %s not drawn: %s\n", out, err);
                    continue;
                }
                images++;
                if (!quiet)
                    printf("wrote %s\n", out);
            }
        }
    }
    return images;
}

static unsigned render_timeline(const hl_inspection *x, const char *dir, bool quiet)
{
    if (x->n_mem == 0)
        return 0;
    char gnuplot[PATH_MAX], scripts[PATH_MAX], err[600];
    if (hl_plot_find_gnuplot(gnuplot, sizeof gnuplot, err, sizeof err) != 0 ||
        hl_plot_scripts_dir(scripts, sizeof scripts, err, sizeof err) != 0) {
        fflush(stdout);
        fprintf(stderr, "heaplab inspect: no timeline picture (%s); the data is in "
                        "%s/timeline.csv\n",
                err, dir);
        return 0;
    }
    hl_plot_args *a = malloc(sizeof *a);
    if (!a)
        return 0;
    char script[PATH_MAX + 32], f[PATH_MAX + 64], title[300];
    snprintf(script, sizeof script, "%s/inspect.gp", scripts);
    unsigned images = 0;
    for (int fmt = 0; fmt < 2; fmt++) {
        hl_plot_args_init(a);
        static const char *const files[][2] = {{"timeline", "timeline.csv"},
                                               {"events", "gc_events.csv"},
                                               {"counts", "gc_count.csv"},
                                               {"points", "points.csv"}};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(f, sizeof f, "%s/%s", dir, files[i][1]);
            hl_plot_args_str(a, files[i][0], f);
        }
        char out[PATH_MAX + 64];
        snprintf(out, sizeof out, "%s/timeline.%s", dir, fmt ? "png" : "svg");
        hl_plot_args_str(a, "out", out);
        hl_plot_args_str(a, "term", fmt ? "pngcairo" : "svg");
        snprintf(title, sizeof title, "heaplab inspect: %s, memory and collections over the run",
                 x->workload);
        hl_plot_args_str(a, "title", title);
        hl_plot_args_num(a, "rss_base", (double)x->rss_start_bytes);
        hl_plot_args_num(a, "setup_end", x->t_setup);
        hl_plot_args_num(a, "run_end", x->t_run);
        hl_plot_args_num(a, "verify_end", x->t_verify);
        hl_plot_args_num(a, "end", x->t_end);
        hl_plot_args_num(a, "peak_t", x->peak_t_s);
        hl_plot_args_num(a, "peak", (double)x->peak_rss_bytes);
        hl_plot_args_num(a, "threshold0",
                         x->n_points ? (double)x->points[0].threshold[0] : 0.0);
        if (hl_plot_run_gnuplot(gnuplot, script, a, err, sizeof err) != 0 || !nonempty(out)) {
            fflush(stdout);
            fprintf(stderr, "heaplab inspect: %s not drawn: %s\n", out, err);
            continue;
        }
        images++;
        if (!quiet)
            printf("wrote %s\n", out);
    }
    free(a);
    return images;
}

unsigned hl_inspect_render(const hl_inspection *x, const char *dir, bool quiet)
{
    return render_graphs(x, dir, quiet) + render_timeline(x, dir, quiet);
}
