/* record.c - turning a finished job into its hl_rep: the runner's outcome,
 * the cell's exit status (protocol.h) and the files the cell wrote.
 *
 * How it works
 * ------------
 * A job that exited 0 is ok only if its cell.json is a cell document of
 * this protocol with the primary figure in it.  cell.json is flattened to
 * "a.b.c" -> number.  Each canonical metric (hl_metric_names) is looked up
 * by its documented path first (the cell section of
 * docs/results-format.md) and then, to survive additions, by any path whose
 * last component is the canonical name.  Every other number is kept under
 * "extra", so backend and workload statistics reach results.json without
 * the driver knowing their names.  Failures get their reason from the
 * cell's one stderr line (valgrind's trailer skipped) or from a sanitizer
 * report.
 */
#include "results.h"

#include "fsutil.h"
#include "metadata.h"
#include "protocol.h"

#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Documented cell.json paths of each canonical metric (first match wins);
 * kept in step with the cell section of docs/results-format.md. */
static const char *const metric_paths[HL_M_COUNT][4] = {
    [HL_M_NS_PER_OP] = {"time.ns_per_op", "ns_per_op"},
    [HL_M_OPS_PER_S] = {"time.ops_per_s", "ops_per_s"},
    [HL_M_INSTR_PER_OP] = {"instructions.per_op", "instructions_per_op"},
    [HL_M_ITERATIONS] = {"time.iterations", "iterations"},
    [HL_M_OPERATIONS] = {"time.operations", "operations"},
    [HL_M_PEAK_RSS_KIB] = {"memory.peak_rss_kib", "rusage.maxrss_kib"},
    [HL_M_RSS_END_KIB] = {"memory.rss_end_kib"},
    [HL_M_PEAK_LIVE_BYTES] = {"memory.peak_live_bytes"},
    [HL_M_OVERHEAD] = {"memory.overhead"},
    [HL_M_MINFLT] = {"rusage.minflt"},
    [HL_M_MAJFLT] = {"rusage.majflt"},
    [HL_M_NVCSW] = {"rusage.nvcsw"},
    [HL_M_NIVCSW] = {"rusage.nivcsw"},
    [HL_M_USER_S] = {"rusage.user_s"},
    [HL_M_SYS_S] = {"rusage.sys_s"},
    [HL_M_WALL_S] = {"rusage.wall_s", "time.wall_s"},
    [HL_M_GC_COLLECTIONS] = {"gc.collections"},
    [HL_M_GC_COLLECTED] = {"gc.collected"},
    [HL_M_GC_PAUSE_TOTAL_MS] = {"gc.pause_total_ms"},
    [HL_M_GC_PAUSE_MAX_MS] = {"gc.pause_max_ms"},
    [HL_M_GC_PAUSE_P99_MS] = {"gc.pause_p99_ms"},
    [HL_M_GIL_ACQUISITIONS] = {"gil.acquisitions"},
    [HL_M_GIL_CONTENDED] = {"gil.contended"},
};

/* {====================================================================
 * Ingesting a cell's output
 * ==================================================================== */

typedef struct flat {
    size_t n, cap;
    hl_kv *kv;
} flat;

static void flat_add(flat *f, const char *name, double v)
{
    if (f->n == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 32;
        hl_kv *nk = realloc(f->kv, ncap * sizeof *nk);
        if (!nk)
            return;
        f->kv = nk;
        f->cap = ncap;
    }
    char *s = strdup(name);
    if (!s)
        return;
    f->kv[f->n].name = s;
    f->kv[f->n].value = v;
    f->n++;
}

/* Numbers (and booleans as 0/1) of j under prefix; arrays are indexed
 * "a.0.b", but long arrays (samples, histograms) are skipped: they belong in
 * the cell's own files, not in a summary. */
static void flatten(flat *f, const hl_json *j, char *prefix, size_t plen, size_t cap)
{
    if (!j)
        return;
    switch (j->type) {
    case HL_JNUM:
        flat_add(f, prefix, j->num);
        break;
    case HL_JBOOL:
        flat_add(f, prefix, j->boolean ? 1 : 0);
        break;
    case HL_JOBJ:
    case HL_JARR:
        if (j->type == HL_JARR && j->len > 16)
            break;
        for (size_t i = 0; i < j->len; i++) {
            int n;
            if (j->type == HL_JOBJ)
                n = snprintf(prefix + plen, cap - plen, "%s%s", plen ? "." : "", j->keys[i]);
            else
                n = snprintf(prefix + plen, cap - plen, "%s%zu", plen ? "." : "", i);
            if (n > 0 && plen + (size_t)n < cap)
                flatten(f, &j->items[i], prefix, plen + (size_t)n, cap);
            prefix[plen] = '\0';
        }
        break;
    default:
        break;
    }
}

static bool ends_with_component(const char *path, const char *name)
{
    size_t lp = strlen(path), ln = strlen(name);
    if (lp < ln || strcmp(path + lp - ln, name) != 0)
        return false;
    return lp == ln || path[lp - ln - 1] == '.';
}

int hl_results_parse_cell_json(const char *path, hl_rep *rep, char *err, size_t errlen)
{
    char perr[256];
    hl_json *doc = hl_json_parse_file(path, perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    if (doc->type != HL_JOBJ ||
        strcmp(hl_json_get_str(doc, "format", ""), HL_CELL_FORMAT) != 0 ||
        hl_json_get_num(doc, "format_version", -1) != HL_CELL_VERSION) {
        snprintf(err, errlen, "%s is not a %s document of version %d: rebuild heaplab and its "
                              "cells together", path, HL_CELL_FORMAT, HL_CELL_VERSION);
        hl_json_free(doc);
        return -1;
    }
    flat f = {0};
    char prefix[512] = "";
    flatten(&f, doc, prefix, 0, sizeof prefix);
    hl_json_free(doc);

    bool *used = calloc(f.n ? f.n : 1, sizeof *used);
    if (!used) {
        snprintf(err, errlen, "out of memory reading %s", path);
        for (size_t i = 0; i < f.n; i++)
            free(f.kv[i].name);
        free(f.kv);
        return -1;
    }
    for (int m = 0; m < HL_M_COUNT; m++) {
        long hit = -1;
        for (int c = 0; c < 4 && metric_paths[m][c] && hit < 0; c++)
            for (size_t i = 0; i < f.n; i++)
                if (strcmp(f.kv[i].name, metric_paths[m][c]) == 0) {
                    hit = (long)i;
                    break;
                }
        for (size_t i = 0; i < f.n && hit < 0; i++)
            if (ends_with_component(f.kv[i].name, hl_metric_names[m]))
                hit = (long)i;
        if (hit >= 0) {
            rep->m[m] = f.kv[hit].value;
            used[hit] = true;
        }
    }
    /* ops/s and ns/op imply each other */
    if (isnan(rep->m[HL_M_OPS_PER_S]) && rep->m[HL_M_NS_PER_OP] > 0)
        rep->m[HL_M_OPS_PER_S] = 1e9 / rep->m[HL_M_NS_PER_OP];
    if (isnan(rep->m[HL_M_NS_PER_OP]) && rep->m[HL_M_OPS_PER_S] > 0)
        rep->m[HL_M_NS_PER_OP] = 1e9 / rep->m[HL_M_OPS_PER_S];
    size_t keep = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (used[i]) {
            free(f.kv[i].name);
            continue;
        }
        f.kv[keep++] = f.kv[i];
    }
    free(used);
    rep->extra = f.kv;
    rep->n_extra = keep;
    return 0;
}

/* Is this line valgrind's own ("==123== ..." or "--123-- ...")? */
static bool valgrind_line(const char *s)
{
    if (!((s[0] == '=' && s[1] == '=') || (s[0] == '-' && s[1] == '-')))
        return false;
    const char *p = s + 2;
    while (*p >= '0' && *p <= '9')
        p++;
    return p > s + 2 && p[0] == s[0] && p[1] == s[0];
}

/* Last meaningful line of a cell's stderr, for reasons: not empty, not
 * valgrind's trailer (--measure instructions runs the cell under it). */
static void last_line(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    char *text = hl_read_file(path, NULL);
    if (!text)
        return;
    char *end = text + strlen(text);
    while (end > text) {
        while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
            *--end = '\0';
        char *start = end;
        while (start > text && start[-1] != '\n')
            start--;
        if (*start && !valgrind_line(start)) {
            snprintf(out, outlen, "%s", start);
            break;
        }
        end = start;
    }
    free(text);
}

/* A sanitizer's report in a cell's stderr ("SUMMARY: AddressSanitizer: SEGV
 * ..."): a sanitized cell that crashes exits with status 1 instead of dying
 * by the signal, and this is how we still call it a crash. */
static bool sanitizer_summary(const char *path, char *out, size_t outlen)
{
    char *text = hl_read_file(path, NULL);
    if (!text)
        return false;
    bool found = false;
    static const char *const tools[] = {"AddressSanitizer", "LeakSanitizer",
                                        "UndefinedBehaviorSanitizer", "ThreadSanitizer",
                                        "MemorySanitizer"};
    const char *s = strstr(text, "SUMMARY: ");
    for (; s && !found; s = strstr(s + 1, "SUMMARY: "))
        for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
            if (strncmp(s + 9, tools[i], strlen(tools[i])) == 0) {
                snprintf(out, outlen, "%.*s", (int)strcspn(s, "\n"), s);
                found = true;
                break;
            }
    free(text);
    return found;
}

void hl_results_record(hl_resultset *rs, size_t cell, unsigned rep, const hl_run_result *run,
                       const char *started_iso)
{
    hl_rep *r = hl_results_rep(rs, cell, rep);
    hl_results_rep_clear(r);
    r->done = true;
    snprintf(r->started, sizeof r->started, "%s", started_iso);
    hl_metadata_now_iso(r->finished, sizeof r->finished);
    r->wall_s = run->wall_s;
    r->user_s = run->user_s;
    r->sys_s = run->sys_s;
    r->maxrss_kib = run->maxrss_kib;

    char rel[600], path[4096 + 700], line[240];
    hl_results_rep_dir(rs, cell, rep, rel, sizeof rel);
    snprintf(path, sizeof path, "%s/%s/" HL_CELL_FILE_STDERR, rs->dir, rel);
    last_line(path, line, sizeof line);

    switch (run->outcome) {
    case HL_RUN_SIGNALED:
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_CRASHED);
        r->signo = run->signo;
        snprintf(r->reason, sizeof r->reason, "killed by signal %d (%s)%s%s", run->signo,
                 strsignal(run->signo), line[0] ? ": " : "", line);
        return;
    case HL_RUN_TIMEOUT:
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_TIMEOUT);
        snprintf(r->reason, sizeof r->reason,
                 "still running after %g s: killed (raise --timeout if it is just slow)",
                 rs->plan.timeout_s);
        return;
    case HL_RUN_MEMORY:
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_MEMORY);
        snprintf(r->reason, sizeof r->reason,
                 "RSS reached %" PRIu64 " KiB, over the %" PRIu64 " MiB limit: killed",
                 run->polled_rss_kib > run->maxrss_kib ? run->polled_rss_kib : run->maxrss_kib,
                 rs->plan.memory_limit_mb);
        return;
    case HL_RUN_SPAWN_FAILED:
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_FAILED);
        snprintf(r->reason, sizeof r->reason, "%s", run->err);
        return;
    case HL_RUN_INTERRUPTED:
        /* not a result: the caller does not record interrupted jobs */
        hl_results_rep_clear(r);
        return;
    case HL_RUN_EXITED:
        break;
    }
    r->exit_code = run->exit_code;
    const char *by_exit = hl_protocol_job_status(run->exit_code);
    if (by_exit) {
        snprintf(r->status, sizeof r->status, "%s", by_exit);
        snprintf(r->reason, sizeof r->reason, "%s", line[0] ? line : "(no message on stderr)");
        return;
    }
    char summary[240];
    if (run->exit_code != 0 && sanitizer_summary(path, summary, sizeof summary)) {
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_CRASHED);
        snprintf(r->reason, sizeof r->reason, "exit status %d after a sanitizer report: %s",
                 run->exit_code, summary);
        return;
    }
    if (run->exit_code != 0) {
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_FAILED);
        snprintf(r->reason, sizeof r->reason, "exit status %d%s%s", run->exit_code,
                 line[0] ? ": " : "", line);
        return;
    }
    char err[256];
    snprintf(path, sizeof path, "%s/%s/" HL_CELL_FILE_JSON, rs->dir, rel);
    if (hl_results_parse_cell_json(path, r, err, sizeof err) != 0) {
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_FAILED);
        snprintf(r->reason, sizeof r->reason, "exit 0 but no usable cell.json: %s", err);
        return;
    }
    if (strcmp(rs->plan.measure, "instructions") == 0 && isnan(r->m[HL_M_INSTR_PER_OP])) {
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_FAILED);
        snprintf(r->reason, sizeof r->reason,
                 "--measure instructions: cell.json has no instructions.per_op");
        return;
    }
    if (strcmp(rs->plan.measure, "instructions") != 0 && isnan(r->m[HL_M_NS_PER_OP])) {
        snprintf(r->status, sizeof r->status, "%s", HL_JOB_FAILED);
        snprintf(r->reason, sizeof r->reason, "cell.json has no ns_per_op");
        return;
    }
    snprintf(r->status, sizeof r->status, "%s", HL_JOB_OK);
}

