/* progress.c - progress bar or plain lines; see progress.h.
 *
 * The ETA is (remaining jobs) x (mean wall time of the jobs finished in this
 * process), falling back to the plan's estimate before the first one ends.
 * Jobs of one suite are similar in length by construction (same min time),
 * so the mean is a fair predictor; it is rendered coarsely on purpose.
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 24

void hl_progress_format_duration(double s, char *out, size_t outlen)
{
    if (s < 0)
        s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, outlen, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
    else if (t >= 60)
        snprintf(out, outlen, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, outlen, "%lds", t);
}

void hl_progress_init(hl_progress *p, FILE *out, size_t total, size_t already_done,
                      double est_job_s, int force_tty)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->total = total;
    p->done = already_done;
    p->est_job_s = est_job_s;
    if (force_tty >= 0) {
        p->tty = force_tty != 0;
    } else {
        const char *term = getenv("TERM");
        p->tty = isatty(fileno(out)) && term && strcmp(term, "dumb") != 0;
    }
}

static double eta_s(const hl_progress *p)
{
    double per = p->run_here ? p->busy_s / (double)p->run_here : p->est_job_s;
    return per * (double)(p->total - p->done);
}

static void draw(hl_progress *p)
{
    size_t filled = p->total ? p->done * BAR_WIDTH / p->total : BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    for (size_t i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    char eta[32];
    hl_progress_format_duration(eta_s(p), eta, sizeof eta);
    fprintf(p->out, "\r\033[K[%s] %zu/%zu  ETA %s  %s", bar, p->done, p->total, eta, p->current);
    fflush(p->out);
}

void hl_progress_begin(hl_progress *p, const char *label)
{
    snprintf(p->current, sizeof p->current, "%s", label);
    if (p->tty)
        draw(p);
}

void hl_progress_end(hl_progress *p, const char *status, const char *detail, double wall_s)
{
    p->done++;
    p->run_here++;
    p->busy_s += wall_s;
    bool ok = strcmp(status, "ok") == 0;
    if (p->tty) {
        if (!ok)
            fprintf(p->out, "\r\033[K%s: %s%s%s\n", p->current, status, detail[0] ? ": " : "",
                    detail);
        draw(p);
    } else {
        fprintf(p->out, "[%zu/%zu] %s: %s%s%s (%.2f s)\n", p->done, p->total, p->current, status,
                detail[0] ? ", " : "", detail, wall_s);
        fflush(p->out);
    }
}

void hl_progress_close(hl_progress *p)
{
    if (p->tty) {
        fprintf(p->out, "\r\033[K");
        fflush(p->out);
    }
}
