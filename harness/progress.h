/* progress.h - what the user sees while a suite runs.
 *
 * On a terminal (stderr is a tty and TERM is not "dumb"): one line redrawn
 * in place with a bar, done/total, the ETA and the cell in flight; failed
 * cells leave a permanent line above it.  Otherwise (CI logs, pipes): one
 * plain line per finished job, nothing redrawn.
 */
#ifndef HL_PROGRESS_H
#define HL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct hl_progress {
    FILE *out;
    bool tty;
    size_t total;        /* jobs in the plan */
    size_t done;         /* finished, including those a resume skipped */
    size_t run_here;     /* finished in this process (for the ETA) */
    double busy_s;       /* wall time of the jobs finished here */
    double est_job_s;    /* estimate before the first job finishes */
    char current[200];
} hl_progress;

void hl_progress_init(hl_progress *p, FILE *out, size_t total, size_t already_done,
                      double est_job_s, int force_tty /* -1 auto, 0 no, 1 yes */);
/* A job starts: label = "workload--backend--tN rep k". */
void hl_progress_begin(hl_progress *p, const char *label);
/* A job ended; status "ok" or a failure; detail e.g. "52.1 ns/op" or the reason. */
void hl_progress_end(hl_progress *p, const char *status, const char *detail, double wall_s);
/* Clears the bar (terminal) before the summary is printed. */
void hl_progress_close(hl_progress *p);

/* "1h02m", "3m20s", "12s" */
void hl_progress_format_duration(double s, char *out, size_t outlen);

#endif
