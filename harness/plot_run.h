/* plot_run.h - running gnuplot for harness/plot.c (and Graphviz for
 * heaplab-inspect, inspect_render.c).
 *
 * hl_plot_args collects the -e assignments of one gnuplot run; strings are
 * always passed as gnuplot single-quoted strings (hl_plot_quote in plot.h),
 * numbers as numbers.  hl_plot_run_gnuplot starts gnuplot with fork/execvp
 * (no shell) and returns 0 when it exited with status 0.
 */
#ifndef HL_PLOT_RUN_H
#define HL_PLOT_RUN_H

#include "plot.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_PLOT_MAX_VARS 24

typedef struct hl_plot_args {
    size_t n;
    bool overflow; /* a value did not fit: the run is refused */
    char expr[HL_PLOT_MAX_VARS][4200];
} hl_plot_args;

void hl_plot_args_init(hl_plot_args *a);
void hl_plot_args_str(hl_plot_args *a, const char *name, const char *value);
void hl_plot_args_num(hl_plot_args *a, const char *name, double value);

/* Path of the gnuplot to run ($HEAPLAB_GNUPLOT or PATH lookup), or -1 with
 * one line in err saying how to get one. */
int hl_plot_find_gnuplot(char *out, size_t outlen, char *err, size_t errlen);

/* Runs gnuplot on script with the assignments in a.  0 on exit status 0;
 * else -1 with one line in err (gnuplot's last stderr line). */
int hl_plot_run_gnuplot(const char *gnuplot, const char *script, const hl_plot_args *a,
                        char *err, size_t errlen);

/* Runs argv[0] (a path, or a name looked up in PATH) with argv, no shell,
 * stdin and stdout on /dev/null, stderr collected, killed after 60 s.  0
 * on exit status 0; else -1 with one line in err (its last stderr line). */
int hl_plot_run_program(char *const argv[], char *err, size_t errlen);

/* An executable called name in PATH (or name itself when it has a '/'):
 * 0 and its path in out, or -1. */
int hl_plot_find_program(const char *name, char *out, size_t outlen);

#endif
