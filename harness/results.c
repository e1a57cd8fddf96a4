/* results.c - record, save, load and report a result set; see results.h.
 *
 * How it works
 * ------------
 * The set lives in memory as the plan plus one hl_rep per (cell, rep).
 * After each job, hl_results_save() serialises all of it (results.json),
 * the per-cell aggregates (results.csv) and the human summary (summary.md),
 * each through a temporary file and rename(2).  Rewriting whole files is
 * O(jobs) per job, i.e. O(jobs^2) per run; for the few hundred jobs of a
 * suite that is milliseconds each, and it buys the property that every file
 * on disk is always complete.
 *
 * Cell metrics: cell.json is flattened to "a.b.c" -> number.  Each canonical
 * metric (hl_metric_names) is looked up by its documented path first (the
 * cell section of docs/results-format.md) and then, to survive additions,
 * by any path whose last component is the canonical name.  Every other
 * number is kept under "extra" so backend and workload statistics reach
 * results.json without the driver knowing their names.
 */
#include "results.h"

#include "fsutil.h"
#include "metadata.h"
#include "stats.h"
#include "table.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

const char *const hl_metric_names[HL_M_COUNT] = {
    [HL_M_NS_PER_OP] = "ns_per_op",
    [HL_M_OPS_PER_S] = "ops_per_s",
    [HL_M_INSTR_PER_OP] = "instructions_per_op",
    [HL_M_ITERATIONS] = "iterations",
    [HL_M_OPERATIONS] = "operations",
    [HL_M_PEAK_RSS_KIB] = "peak_rss_kib",
    [HL_M_RSS_END_KIB] = "rss_end_kib",
    [HL_M_PEAK_LIVE_BYTES] = "peak_live_bytes",
    [HL_M_OVERHEAD] = "overhead",
    [HL_M_MINFLT] = "minflt",
    [HL_M_MAJFLT] = "majflt",
    [HL_M_NVCSW] = "nvcsw",
    [HL_M_NIVCSW] = "nivcsw",
    [HL_M_USER_S] = "user_s",
    [HL_M_SYS_S] = "sys_s",
    [HL_M_WALL_S] = "wall_s",
    [HL_M_GC_COLLECTIONS] = "gc_collections",
    [HL_M_GC_COLLECTED] = "gc_collected",
    [HL_M_GC_PAUSE_TOTAL_MS] = "gc_pause_total_ms",
    [HL_M_GC_PAUSE_MAX_MS] = "gc_pause_max_ms",
    [HL_M_GC_PAUSE_P99_MS] = "gc_pause_p99_ms",
    [HL_M_GIL_ACQUISITIONS] = "gil_acquisitions",
    [HL_M_GIL_CONTENDED] = "gil_contended",
};

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
 * Set-up and access
 * ==================================================================== */

static void rep_clear(hl_rep *r)
{
    for (size_t i = 0; i < r->n_extra; i++)
        free(r->extra[i].name);
    free(r->extra);
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    for (int m = 0; m < HL_M_COUNT; m++)
        r->m[m] = NAN;
}

int hl_results_init(hl_resultset *rs, const char *dir, hl_plan *plan, hl_json *metadata,
                    char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    snprintf(rs->dir, sizeof rs->dir, "%s", dir);
    rs->plan = *plan;
    memset(plan, 0, sizeof *plan);
    rs->metadata_doc = metadata;
    rs->metadata = metadata;
    size_t n = rs->plan.n_cells * rs->plan.repetitions;
    rs->reps = calloc(n ? n : 1, sizeof *rs->reps);
    if (!rs->reps) {
        snprintf(err, errlen, "out of memory for %zu results", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        rep_clear(&rs->reps[i]);
    hl_metadata_now_iso(rs->started, sizeof rs->started);
    rs->load_avg_end[0] = rs->load_avg_end[1] = rs->load_avg_end[2] = NAN;
    return 0;
}

void hl_results_free(hl_resultset *rs)
{
    if (rs->reps)
        for (size_t i = 0; i < rs->plan.n_cells * rs->plan.repetitions; i++)
            rep_clear(&rs->reps[i]);
    free(rs->reps);
    hl_plan_free(&rs->plan);
    hl_json_free(rs->metadata_doc);
    memset(rs, 0, sizeof *rs);
}

hl_rep *hl_results_rep(hl_resultset *rs, size_t cell, unsigned rep)
{
    return &rs->reps[cell * rs->plan.repetitions + rep];
}

const hl_rep *hl_results_rep_c(const hl_resultset *rs, size_t cell, unsigned rep)
{
    return &rs->reps[cell * rs->plan.repetitions + rep];
}

void hl_results_rep_dir(const hl_resultset *rs, size_t cell, unsigned rep, char *out,
                        size_t outlen)
{
    snprintf(out, outlen, "cells/%s/rep-%u", rs->plan.cells[cell].id, rep);
}

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
    if (doc->type != HL_JOBJ) {
        snprintf(err, errlen, "%s: not a JSON object", path);
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

/* Instructions counted by callgrind: the "summary:" (or "totals:") line of
 * a callgrind.out file holds the Ir total.  NAN when absent. */
static double callgrind_instructions(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    char line[1024];
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "summary:", 8) == 0 || (isnan(v) && strncmp(line, "totals:", 7) == 0))
            v = strtod(strchr(line, ':') + 1, NULL);
    }
    fclose(f);
    return v;
}

void hl_results_record(hl_resultset *rs, size_t cell, unsigned rep, const hl_run_result *run,
                       const char *started_iso)
{
    hl_rep *r = hl_results_rep(rs, cell, rep);
    rep_clear(r);
    r->done = true;
    snprintf(r->started, sizeof r->started, "%s", started_iso);
    hl_metadata_now_iso(r->finished, sizeof r->finished);
    r->wall_s = run->wall_s;
    r->user_s = run->user_s;
    r->sys_s = run->sys_s;
    r->maxrss_kib = run->maxrss_kib;

    char rel[600], path[4096 + 700], line[240];
    hl_results_rep_dir(rs, cell, rep, rel, sizeof rel);
    snprintf(path, sizeof path, "%s/%s/cell.stderr", rs->dir, rel);
    last_line(path, line, sizeof line);

    switch (run->outcome) {
    case HL_RUN_SIGNALED:
        snprintf(r->status, sizeof r->status, "crashed");
        r->signo = run->signo;
        snprintf(r->reason, sizeof r->reason, "killed by signal %d (%s)%s%s", run->signo,
                 strsignal(run->signo), line[0] ? ": " : "", line);
        return;
    case HL_RUN_TIMEOUT:
        snprintf(r->status, sizeof r->status, "timeout");
        snprintf(r->reason, sizeof r->reason,
                 "still running after %g s: killed (raise --timeout if it is just slow)",
                 rs->plan.timeout_s);
        return;
    case HL_RUN_MEMORY:
        snprintf(r->status, sizeof r->status, "memory-limit");
        snprintf(r->reason, sizeof r->reason,
                 "RSS reached %" PRIu64 " KiB, over the %" PRIu64 " MiB limit: killed",
                 run->polled_rss_kib > run->maxrss_kib ? run->polled_rss_kib : run->maxrss_kib,
                 rs->plan.memory_limit_mb);
        return;
    case HL_RUN_SPAWN_FAILED:
        snprintf(r->status, sizeof r->status, "failed");
        snprintf(r->reason, sizeof r->reason, "%s", run->err);
        return;
    case HL_RUN_INTERRUPTED:
        /* not a result: the caller does not record interrupted jobs */
        rep_clear(r);
        return;
    case HL_RUN_EXITED:
        break;
    }
    r->exit_code = run->exit_code;
    if (run->exit_code == 2 || run->exit_code == 3) {
        snprintf(r->status, sizeof r->status, run->exit_code == 2 ? "bad-input" : "verify-failed");
        snprintf(r->reason, sizeof r->reason, "%s", line[0] ? line : "(no message on stderr)");
        return;
    }
    if (run->exit_code == 4) {
        snprintf(r->status, sizeof r->status, "setup-failed");
        snprintf(r->reason, sizeof r->reason, "%s", line[0] ? line : "(no message on stderr)");
        return;
    }
    char summary[240];
    if (run->exit_code != 0 && sanitizer_summary(path, summary, sizeof summary)) {
        snprintf(r->status, sizeof r->status, "crashed");
        snprintf(r->reason, sizeof r->reason, "exit status %d after a sanitizer report: %s",
                 run->exit_code, summary);
        return;
    }
    if (run->exit_code != 0) {
        snprintf(r->status, sizeof r->status, "failed");
        snprintf(r->reason, sizeof r->reason, "exit status %d%s%s", run->exit_code,
                 line[0] ? ": " : "", line);
        return;
    }
    char err[256];
    snprintf(path, sizeof path, "%s/%s/cell.json", rs->dir, rel);
    if (hl_results_parse_cell_json(path, r, err, sizeof err) != 0) {
        snprintf(r->status, sizeof r->status, "failed");
        snprintf(r->reason, sizeof r->reason, "exit 0 but no usable cell.json: %s", err);
        return;
    }
    if (strcmp(rs->plan.measure, "instructions") == 0) {
        snprintf(path, sizeof path, "%s/%s/callgrind.out", rs->dir, rel);
        double ir = callgrind_instructions(path);
        if (isnan(r->m[HL_M_INSTR_PER_OP]) && !isnan(ir) && r->m[HL_M_OPERATIONS] > 0)
            r->m[HL_M_INSTR_PER_OP] = ir / r->m[HL_M_OPERATIONS];
        if (isnan(r->m[HL_M_INSTR_PER_OP])) {
            snprintf(r->status, sizeof r->status, "failed");
            snprintf(r->reason, sizeof r->reason,
                     "--measure instructions: no instruction count (callgrind.out summary and "
                     "operations) for this cell");
            return;
        }
    } else if (isnan(r->m[HL_M_NS_PER_OP])) {
        snprintf(r->status, sizeof r->status, "failed");
        snprintf(r->reason, sizeof r->reason, "cell.json has no ns_per_op");
        return;
    }
    snprintf(r->status, sizeof r->status, "ok");
}

/* {====================================================================
 * Aggregation
 * ==================================================================== */

size_t hl_results_values(const hl_resultset *rs, size_t cell, hl_metric_id m, double *out)
{
    size_t n = 0;
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        const hl_rep *r = hl_results_rep_c(rs, cell, k);
        if (r->done && strcmp(r->status, "ok") == 0 && !isnan(r->m[m]))
            out[n++] = r->m[m];
    }
    return n;
}

double hl_results_median(const hl_resultset *rs, size_t cell, hl_metric_id m)
{
    double v[rs->plan.repetitions + 1];
    size_t n = hl_results_values(rs, cell, m, v);
    return n ? hl_stats_median(v, n) : NAN;
}

size_t hl_results_reps_ok(const hl_resultset *rs, size_t cell)
{
    size_t n = 0;
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        const hl_rep *r = hl_results_rep_c(rs, cell, k);
        n += r->done && strcmp(r->status, "ok") == 0;
    }
    return n;
}

size_t hl_results_reps_done(const hl_resultset *rs, size_t cell)
{
    size_t n = 0;
    for (unsigned k = 0; k < rs->plan.repetitions; k++)
        n += hl_results_rep_c(rs, cell, k)->done;
    return n;
}

const char *hl_results_cell_status(const hl_resultset *rs, size_t cell, const hl_rep **why)
{
    size_t ok = 0, done = 0;
    const hl_rep *first_bad = NULL;
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        const hl_rep *r = hl_results_rep_c(rs, cell, k);
        if (!r->done)
            continue;
        done++;
        if (strcmp(r->status, "ok") == 0)
            ok++;
        else if (!first_bad)
            first_bad = r;
    }
    if (why)
        *why = first_bad;
    if (done == 0)
        return "pending";
    if (ok == rs->plan.repetitions)
        return "ok";
    if (ok == 0 && done == rs->plan.repetitions)
        return "failed";
    return "partial";
}

hl_metric_id hl_results_primary_metric(const hl_resultset *rs)
{
    return strcmp(rs->plan.measure, "instructions") == 0 ? HL_M_INSTR_PER_OP : HL_M_NS_PER_OP;
}

/* {====================================================================
 * Formatting helpers
 * ==================================================================== */

void hl_fmt_time_ns(double ns, char *out, size_t outlen)
{
    if (isnan(ns))
        snprintf(out, outlen, "-");
    else if (ns < 1e3)
        snprintf(out, outlen, "%.3g ns", ns);
    else if (ns < 1e6)
        snprintf(out, outlen, "%.3g us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(out, outlen, "%.3g ms", ns / 1e6);
    else
        snprintf(out, outlen, "%.3g s", ns / 1e9);
}

void hl_fmt_kib(double kib, char *out, size_t outlen)
{
    if (isnan(kib))
        snprintf(out, outlen, "-");
    else if (kib < 1024)
        snprintf(out, outlen, "%.0f KiB", kib);
    else if (kib < 1024 * 1024)
        snprintf(out, outlen, "%.1f MiB", kib / 1024);
    else
        snprintf(out, outlen, "%.2f GiB", kib / (1024 * 1024));
}

/* A number for CSV: shortest round-trip-ish form, empty for NAN. */
static void fmt_num(double v, char *out, size_t outlen)
{
    if (isnan(v))
        out[0] = '\0';
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, outlen, "%.0f", v);
    else
        snprintf(out, outlen, "%.6g", v);
}

/* "1.23 ± 0.04 ns/op"-style spread of the primary metric. */
static void fmt_primary(const hl_resultset *rs, double v, char *out, size_t outlen)
{
    if (hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP)
        snprintf(out, outlen, isnan(v) ? "-" : "%.1f", v);
    else
        hl_fmt_time_ns(v, out, outlen);
}

void hl_results_group_key(const hl_plan_cell *c, char *out, size_t outlen)
{
    char params[512];
    hl_plan_params_str(c, params, sizeof params);
    if (c->threaded)
        snprintf(out, outlen, "%s [threads %u]%s%s", c->workload, c->threads,
                 params[0] ? " " : "", params);
    else
        snprintf(out, outlen, "%s%s%s", c->workload, params[0] ? " " : "", params);
}

int hl_format_parse(const char *s, hl_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = HL_FMT_TEXT;
    else if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
        *out = HL_FMT_MD;
    else if (strcmp(s, "csv") == 0)
        *out = HL_FMT_CSV;
    else
        return -1;
    return 0;
}

/* {====================================================================
 * results.csv
 * ==================================================================== */

/* Columns after the identifying ones: median of each metric over ok reps. */
static const hl_metric_id csv_medians[] = {
    HL_M_OPS_PER_S,        HL_M_INSTR_PER_OP,      HL_M_PEAK_RSS_KIB,    HL_M_RSS_END_KIB,
    HL_M_PEAK_LIVE_BYTES,  HL_M_OVERHEAD,          HL_M_MINFLT,          HL_M_MAJFLT,
    HL_M_NVCSW,            HL_M_NIVCSW,            HL_M_USER_S,          HL_M_SYS_S,
    HL_M_WALL_S,           HL_M_ITERATIONS,        HL_M_GC_COLLECTIONS,  HL_M_GC_COLLECTED,
    HL_M_GC_PAUSE_TOTAL_MS, HL_M_GC_PAUSE_MAX_MS,  HL_M_GC_PAUSE_P99_MS,
    HL_M_GIL_ACQUISITIONS,  HL_M_GIL_CONTENDED,
};
#define N_CSV_MEDIANS (sizeof csv_medians / sizeof csv_medians[0])

static void write_csv(const hl_resultset *rs, FILE *out)
{
    static const char *const head[] = {
        "suite", "cell_id", "workload", "backend", "variant", "threads", "params", "reps",
        "reps_planned", "status", "ns_per_op_median", "ns_per_op_mad", "ns_per_op_min",
        "ns_per_op_max", "cv_pct",
    };
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        fprintf(out, "%s%s", i ? "," : "", head[i]);
    for (size_t i = 0; i < N_CSV_MEDIANS; i++)
        fprintf(out, ",%s", hl_metric_names[csv_medians[i]]);
    fprintf(out, ",reason\n");

    size_t R = rs->plan.repetitions;
    double v[R + 1];
    char num[64];
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_plan_cell *pc = &rs->plan.cells[c];
        char params[512];
        hl_plan_params_str(pc, params, sizeof params);
        const hl_rep *why = NULL;
        const char *status = hl_results_cell_status(rs, c, &why);
        hl_csv_field(out, rs->plan.suite);
        fputc(',', out);
        hl_csv_field(out, pc->id);
        fputc(',', out);
        hl_csv_field(out, pc->workload);
        fputc(',', out);
        hl_csv_field(out, pc->backend);
        fputc(',', out);
        hl_csv_field(out, pc->variant);
        fprintf(out, ",%u,", pc->threads);
        hl_csv_field(out, params);
        fprintf(out, ",%zu,%zu,%s", hl_results_reps_ok(rs, c), R, status);
        size_t n = hl_results_values(rs, c, HL_M_NS_PER_OP, v);
        double stats[5] = {NAN, NAN, NAN, NAN, NAN};
        if (n) {
            stats[0] = hl_stats_median(v, n);
            stats[1] = hl_stats_mad(v, n);
            stats[2] = hl_stats_min(v, n);
            stats[3] = hl_stats_max(v, n);
            stats[4] = hl_stats_cv(v, n) * 100;
        }
        for (int i = 0; i < 5; i++) {
            fmt_num(stats[i], num, sizeof num);
            fprintf(out, ",%s", num);
        }
        for (size_t i = 0; i < N_CSV_MEDIANS; i++) {
            fmt_num(hl_results_median(rs, c, csv_medians[i]), num, sizeof num);
            fprintf(out, ",%s", num);
        }
        fputc(',', out);
        if (why) {
            char reason[400];
            snprintf(reason, sizeof reason, "%s: %s", why->status, why->reason);
            hl_csv_field(out, reason);
        }
        fputc('\n', out);
    }
}

/* {====================================================================
 * results.json
 * ==================================================================== */

static void write_value(hl_jw *w, const char *key, const hl_json *j)
{
    switch (j->type) {
    case HL_JNULL: hl_jw_null(w, key); break;
    case HL_JBOOL: hl_jw_bool(w, key, j->boolean); break;
    case HL_JNUM: hl_jw_num(w, key, j->num); break;
    case HL_JSTR: hl_jw_str(w, key, j->str); break;
    case HL_JARR:
        hl_jw_arr_begin(w, key);
        for (size_t i = 0; i < j->len; i++)
            write_value(w, NULL, &j->items[i]);
        hl_jw_arr_end(w);
        break;
    case HL_JOBJ:
        hl_jw_obj_begin(w, key);
        for (size_t i = 0; i < j->len; i++)
            write_value(w, j->keys[i], &j->items[i]);
        hl_jw_obj_end(w);
        break;
    }
}

static void write_stats_obj(hl_jw *w, const char *key, const double *v, size_t n)
{
    hl_jw_obj_begin(w, key);
    hl_jw_uint(w, "n", n);
    hl_jw_num(w, "median", hl_stats_median(v, n));
    hl_jw_num(w, "mad", hl_stats_mad(v, n));
    hl_jw_num(w, "mean", hl_stats_mean(v, n));
    hl_jw_num(w, "stddev", hl_stats_stddev(v, n));
    hl_jw_num(w, "cv", hl_stats_cv(v, n));
    hl_jw_num(w, "min", hl_stats_min(v, n));
    hl_jw_num(w, "max", hl_stats_max(v, n));
    hl_jw_obj_end(w);
}

static void write_json(const hl_resultset *rs, FILE *out)
{
    const hl_plan *p = &rs->plan;
    hl_jw w;
    hl_jw_init(&w, out, true);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", "heaplab-results");
    hl_jw_int(&w, "format_version", 1);
    if (rs->metadata)
        write_value(&w, "metadata", rs->metadata);
    else
        hl_jw_null(&w, "metadata");
    hl_jw_obj_begin(&w, "plan");
    hl_jw_str(&w, "suite", p->suite);
    hl_jw_str(&w, "suite_size", p->suite_size);
    hl_jw_uint(&w, "seed", p->seed);
    hl_jw_uint(&w, "repetitions", p->repetitions);
    hl_jw_num(&w, "min_time_s", p->min_time);
    hl_jw_num(&w, "warmup_time_s", p->warmup_time);
    hl_jw_num(&w, "timeout_s", p->timeout_s);
    hl_jw_uint(&w, "memory_limit_mb", p->memory_limit_mb);
    hl_jw_str(&w, "measure", p->measure);
    hl_jw_uint(&w, "iterations", p->iterations);
    hl_jw_str(&w, "trace", p->trace[0] ? p->trace : NULL);
    hl_jw_uint(&w, "cells", p->n_cells);
    hl_jw_uint(&w, "jobs", p->n_jobs);
    hl_jw_obj_end(&w);

    size_t done = 0;
    for (size_t i = 0; i < p->n_cells * p->repetitions; i++)
        done += rs->reps[i].done;
    hl_jw_obj_begin(&w, "run");
    hl_jw_str(&w, "started", rs->started);
    hl_jw_str(&w, "finished", rs->finished[0] ? rs->finished : NULL);
    hl_jw_bool(&w, "complete", rs->complete);
    hl_jw_bool(&w, "interrupted", rs->interrupted);
    hl_jw_uint(&w, "jobs_done", done);
    hl_jw_arr_begin(&w, "load_avg_end");
    for (int i = 0; i < 3; i++)
        hl_jw_num(&w, NULL, rs->load_avg_end[i]);
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);

    hl_jw_arr_begin(&w, "cells");
    double v[p->repetitions + 1];
    for (size_t c = 0; c < p->n_cells; c++) {
        const hl_plan_cell *pc = &p->cells[c];
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "id", pc->id);
        hl_jw_str(&w, "backend", pc->backend);
        hl_jw_str(&w, "variant", pc->variant);
        hl_jw_str(&w, "workload", pc->workload);
        hl_jw_uint(&w, "threads", pc->threads);
        hl_jw_bool(&w, "threaded", pc->threaded);
        hl_jw_obj_begin(&w, "params");
        for (size_t k = 0; k < pc->n_params; k++)
            hl_jw_int(&w, pc->params[k].name, pc->params[k].value);
        hl_jw_obj_end(&w);

        hl_jw_obj_begin(&w, "summary");
        hl_jw_str(&w, "status", hl_results_cell_status(rs, c, NULL));
        hl_jw_uint(&w, "reps_ok", hl_results_reps_ok(rs, c));
        hl_jw_uint(&w, "reps_done", hl_results_reps_done(rs, c));
        size_t n = hl_results_values(rs, c, HL_M_NS_PER_OP, v);
        write_stats_obj(&w, "ns_per_op", v, n);
        n = hl_results_values(rs, c, HL_M_INSTR_PER_OP, v);
        if (n)
            write_stats_obj(&w, "instructions_per_op", v, n);
        hl_jw_obj_begin(&w, "median");
        for (int m = 0; m < HL_M_COUNT; m++)
            hl_jw_num(&w, hl_metric_names[m], hl_results_median(rs, c, (hl_metric_id)m));
        hl_jw_obj_end(&w);
        hl_jw_obj_end(&w);

        hl_jw_arr_begin(&w, "reps");
        for (unsigned k = 0; k < p->repetitions; k++) {
            const hl_rep *r = hl_results_rep_c(rs, c, k);
            if (!r->done)
                continue;
            char rel[600];
            hl_results_rep_dir(rs, c, k, rel, sizeof rel);
            hl_jw_obj_begin(&w, NULL);
            hl_jw_uint(&w, "rep", k);
            hl_jw_str(&w, "status", r->status);
            hl_jw_str(&w, "reason", r->reason);
            if (r->exit_code >= 0)
                hl_jw_int(&w, "exit_code", r->exit_code);
            else
                hl_jw_null(&w, "exit_code");
            hl_jw_int(&w, "signal", r->signo);
            hl_jw_str(&w, "started", r->started);
            hl_jw_str(&w, "finished", r->finished);
            hl_jw_str(&w, "dir", rel);
            hl_jw_obj_begin(&w, "process");
            hl_jw_num(&w, "wall_s", r->wall_s);
            hl_jw_num(&w, "user_s", r->user_s);
            hl_jw_num(&w, "sys_s", r->sys_s);
            hl_jw_uint(&w, "maxrss_kib", r->maxrss_kib);
            hl_jw_obj_end(&w);
            hl_jw_obj_begin(&w, "metrics");
            for (int m = 0; m < HL_M_COUNT; m++)
                if (!isnan(r->m[m]))
                    hl_jw_num(&w, hl_metric_names[m], r->m[m]);
            hl_jw_obj_end(&w);
            hl_jw_obj_begin(&w, "extra");
            for (size_t e = 0; e < r->n_extra; e++)
                hl_jw_num(&w, r->extra[e].name, r->extra[e].value);
            hl_jw_obj_end(&w);
            hl_jw_obj_end(&w);
        }
        hl_jw_arr_end(&w);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    hl_jw_finish(&w);
}

typedef void (*writer_fn)(const hl_resultset *rs, FILE *out);

static void write_summary_md(const hl_resultset *rs, FILE *out)
{
    hl_results_print_summary(rs, out, true);
}

static int save_one(const hl_resultset *rs, const char *name, writer_fn fn, bool sync,
                    char *err, size_t errlen)
{
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/%s", rs->dir, name);
    hl_atomic_file af;
    if (hl_atomic_begin(&af, path, err, errlen) != 0)
        return -1;
    fn(rs, af.f);
    return hl_atomic_commit(&af, sync, err, errlen);
}

int hl_results_save(const hl_resultset *rs, char *err, size_t errlen)
{
    /* fsync only when the run ends: per-job saves need atomicity against a
     * killed driver (rename gives it), not against a power cut */
    bool sync = rs->finished[0] != '\0';
    if (save_one(rs, "results.json", write_json, sync, err, errlen) != 0 ||
        save_one(rs, "results.csv", write_csv, sync, err, errlen) != 0 ||
        save_one(rs, "summary.md", write_summary_md, sync, err, errlen) != 0)
        return -1;
    return 0;
}

/* {====================================================================
 * Loading
 * ==================================================================== */

static void copy_s(char *dst, size_t dstlen, const char *src)
{
    snprintf(dst, dstlen, "%s", src ? src : "");
}

int hl_results_load(hl_resultset *rs, const char *path, char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    char file[4096 + 32];
    if (hl_is_dir(path)) {
        copy_s(rs->dir, sizeof rs->dir, path);
        snprintf(file, sizeof file, "%s/results.json", path);
    } else {
        copy_s(file, sizeof file, path);
        copy_s(rs->dir, sizeof rs->dir, path);
        char *slash = strrchr(rs->dir, '/');
        if (slash)
            *slash = '\0';
        else
            copy_s(rs->dir, sizeof rs->dir, ".");
    }
    if (!hl_path_exists(file)) {
        snprintf(err, errlen, "%s: no results.json there: give a directory written by "
                              "'heaplab run'", path);
        return -1;
    }
    char perr[300];
    hl_json *doc = hl_json_parse_file(file, perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    const hl_json *plan = hl_json_get(doc, "plan");
    const hl_json *cells = hl_json_get(doc, "cells");
    if (strcmp(hl_json_get_str(doc, "format", ""), "heaplab-results") != 0 ||
        hl_json_get_num(doc, "format_version", 0) != 1 || !plan || !cells ||
        cells->type != HL_JARR) {
        snprintf(err, errlen, "%s is not a heaplab result set (format heaplab-results, version 1)",
                 file);
        hl_json_free(doc);
        return -1;
    }
    hl_plan *p = &rs->plan;
    copy_s(p->suite, sizeof p->suite, hl_json_get_str(plan, "suite", ""));
    copy_s(p->suite_size, sizeof p->suite_size, hl_json_get_str(plan, "suite_size", ""));
    p->seed = (uint64_t)hl_json_get_num(plan, "seed", 0);
    p->repetitions = (unsigned)hl_json_get_num(plan, "repetitions", 1);
    p->min_time = hl_json_get_num(plan, "min_time_s", NAN);
    p->warmup_time = hl_json_get_num(plan, "warmup_time_s", NAN);
    p->timeout_s = hl_json_get_num(plan, "timeout_s", NAN);
    p->memory_limit_mb = (uint64_t)hl_json_get_num(plan, "memory_limit_mb", 0);
    copy_s(p->measure, sizeof p->measure, hl_json_get_str(plan, "measure", "time"));
    p->iterations = (uint64_t)hl_json_get_num(plan, "iterations", 0);
    copy_s(p->trace, sizeof p->trace, hl_json_get_str(plan, "trace", ""));
    if (p->repetitions < 1 || p->repetitions > 1000) {
        snprintf(err, errlen, "%s: plan.repetitions is out of range", file);
        hl_json_free(doc);
        return -1;
    }
    p->n_cells = hl_json_len(cells);
    p->cells = calloc(p->n_cells ? p->n_cells : 1, sizeof *p->cells);
    rs->reps = calloc(p->n_cells * p->repetitions + 1, sizeof *rs->reps);
    if (!p->cells || !rs->reps) {
        snprintf(err, errlen, "out of memory loading %s", file);
        hl_json_free(doc);
        hl_results_free(rs);
        return -1;
    }
    for (size_t i = 0; i < p->n_cells * p->repetitions; i++)
        rep_clear(&rs->reps[i]);
    for (size_t c = 0; c < p->n_cells; c++) {
        const hl_json *o = hl_json_at(cells, c);
        hl_plan_cell *pc = &p->cells[c];
        copy_s(pc->id, sizeof pc->id, hl_json_get_str(o, "id", ""));
        copy_s(pc->backend, sizeof pc->backend, hl_json_get_str(o, "backend", ""));
        copy_s(pc->variant, sizeof pc->variant, hl_json_get_str(o, "variant", ""));
        copy_s(pc->workload, sizeof pc->workload, hl_json_get_str(o, "workload", ""));
        pc->threads = (unsigned)hl_json_get_num(o, "threads", 1);
        pc->threaded = hl_json_bool(hl_json_get(o, "threaded"), false);
        const hl_json *ps = hl_json_get(o, "params");
        for (size_t k = 0; k < hl_json_len(ps) && k < HL_CAT_MAX_PARAMS; k++) {
            copy_s(pc->params[k].name, sizeof pc->params[k].name, ps->keys[k]);
            pc->params[k].value = (int64_t)hl_json_num(&ps->items[k], 0);
            pc->n_params = k + 1;
        }
        if (!pc->id[0]) {
            snprintf(err, errlen, "%s: cell %zu has no id", file, c);
            hl_json_free(doc);
            hl_results_free(rs);
            return -1;
        }
        const hl_json *reps = hl_json_get(o, "reps");
        for (size_t k = 0; k < hl_json_len(reps); k++) {
            const hl_json *ro = hl_json_at(reps, k);
            double idx = hl_json_get_num(ro, "rep", -1);
            if (idx < 0 || idx >= p->repetitions)
                continue;
            hl_rep *r = hl_results_rep(rs, c, (unsigned)idx);
            r->done = true;
            copy_s(r->status, sizeof r->status, hl_json_get_str(ro, "status", "failed"));
            copy_s(r->reason, sizeof r->reason, hl_json_get_str(ro, "reason", ""));
            r->exit_code = (int)hl_json_get_num(ro, "exit_code", -1);
            r->signo = (int)hl_json_get_num(ro, "signal", 0);
            copy_s(r->started, sizeof r->started, hl_json_get_str(ro, "started", ""));
            copy_s(r->finished, sizeof r->finished, hl_json_get_str(ro, "finished", ""));
            const hl_json *proc = hl_json_get(ro, "process");
            r->wall_s = hl_json_get_num(proc, "wall_s", NAN);
            r->user_s = hl_json_get_num(proc, "user_s", NAN);
            r->sys_s = hl_json_get_num(proc, "sys_s", NAN);
            r->maxrss_kib = (uint64_t)hl_json_get_num(proc, "maxrss_kib", 0);
            const hl_json *mo = hl_json_get(ro, "metrics");
            for (int m = 0; m < HL_M_COUNT; m++)
                r->m[m] = hl_json_get_num(mo, hl_metric_names[m], NAN);
            const hl_json *ex = hl_json_get(ro, "extra");
            size_t ne = hl_json_len(ex);
            if (ne && ex->type == HL_JOBJ) {
                r->extra = calloc(ne, sizeof *r->extra);
                for (size_t e = 0; r->extra && e < ne; e++) {
                    r->extra[r->n_extra].name = strdup(ex->keys[e]);
                    r->extra[r->n_extra].value = hl_json_num(&ex->items[e], NAN);
                    if (r->extra[r->n_extra].name)
                        r->n_extra++;
                }
            }
        }
    }
    const hl_json *run = hl_json_get(doc, "run");
    copy_s(rs->started, sizeof rs->started, hl_json_get_str(run, "started", ""));
    copy_s(rs->finished, sizeof rs->finished, hl_json_get_str(run, "finished", ""));
    rs->complete = hl_json_bool(hl_json_get(run, "complete"), false);
    rs->interrupted = hl_json_bool(hl_json_get(run, "interrupted"), false);
    const hl_json *la = hl_json_get(run, "load_avg_end");
    for (size_t i = 0; i < 3; i++)
        rs->load_avg_end[i] = hl_json_num(hl_json_at(la, i), NAN);

    /* The run order: plan.json when present (exactly what was planned). */
    char plan_path[4096 + 32];
    snprintf(plan_path, sizeof plan_path, "%s/plan.json", rs->dir);
    hl_plan saved;
    char perr2[300];
    bool have_order = false;
    if (hl_path_exists(plan_path) && hl_plan_load(&saved, plan_path, perr2, sizeof perr2) == 0) {
        bool same = saved.n_cells == p->n_cells && saved.repetitions == p->repetitions;
        for (size_t c = 0; same && c < p->n_cells; c++)
            same = strcmp(saved.cells[c].id, p->cells[c].id) == 0;
        if (same) {
            p->jobs = saved.jobs;
            p->n_jobs = saved.n_jobs;
            saved.jobs = NULL;
            have_order = true;
        }
        hl_plan_free(&saved);
    }
    if (!have_order)
        hl_plan_order(p);

    rs->metadata_doc = doc;
    rs->metadata = hl_json_get(doc, "metadata");
    return 0;
}

/* {====================================================================
 * Reports
 * ==================================================================== */

void hl_results_print_table(const hl_resultset *rs, FILE *out, hl_format fmt)
{
    if (fmt == HL_FMT_CSV) {
        write_csv(rs, out);
        return;
    }
    bool instr = hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP;
    const char *head[] = {"workload", "backend", ">threads", "params", ">reps",
                          instr ? ">instr/op (median)" : ">time/op (median)", ">± MAD",
                          ">CV", ">ops/s", ">peak RSS", "status"};
    hl_table t;
    if (hl_table_init(&t, 11, head) != 0)
        return;
    hl_metric_id pm = hl_results_primary_metric(rs);
    double v[rs->plan.repetitions + 1];
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_plan_cell *pc = &rs->plan.cells[c];
        char threads[16], params[256], reps[32], med[32], mad[32], cv[32], ops[32], rss[32];
        char status[400];
        snprintf(threads, sizeof threads, "%u", pc->threads);
        hl_plan_params_str(pc, params, sizeof params);
        size_t n = hl_results_values(rs, c, pm, v);
        snprintf(reps, sizeof reps, "%zu/%u", n, rs->plan.repetitions);
        fmt_primary(rs, n ? hl_stats_median(v, n) : NAN, med, sizeof med);
        fmt_primary(rs, n ? hl_stats_mad(v, n) : NAN, mad, sizeof mad);
        double cvv = hl_stats_cv(v, n);
        snprintf(cv, sizeof cv, isnan(cvv) ? "-" : "%.1f%%", cvv * 100);
        double opsv = instr ? NAN : hl_results_median(rs, c, HL_M_OPS_PER_S);
        if (isnan(opsv))
            snprintf(ops, sizeof ops, "-");
        else if (opsv >= 1e6)
            snprintf(ops, sizeof ops, "%.2fM", opsv / 1e6);
        else if (opsv >= 1e3)
            snprintf(ops, sizeof ops, "%.2fk", opsv / 1e3);
        else
            snprintf(ops, sizeof ops, "%.3g", opsv);
        hl_fmt_kib(hl_results_median(rs, c, HL_M_PEAK_RSS_KIB), rss, sizeof rss);
        const hl_rep *why = NULL;
        const char *st = hl_results_cell_status(rs, c, &why);
        if (why)
            snprintf(status, sizeof status, "%s (%s: %.120s)", st, why->status, why->reason);
        else
            snprintf(status, sizeof status, "%s", st);
        const char *row[] = {pc->workload, pc->backend, threads, params, reps, med, mad,
                             cv,           ops,         rss,     status};
        hl_table_add(&t, row);
    }
    hl_table_print(&t, out, fmt == HL_FMT_MD ? HL_TABLE_MD : HL_TABLE_TEXT, NULL);
    hl_table_free(&t);
}

typedef struct ranked {
    size_t cell;
    double median, sd, rss;
    size_t n;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    return (a->median > b->median) - (a->median < b->median);
}

static void print_warnings(const hl_resultset *rs, FILE *out, bool md)
{
    const char *bullet = md ? "- " : "  ";
    size_t nwarn = 0;
    hl_metric_id pm = hl_results_primary_metric(rs);
    double v[rs->plan.repetitions + 1];
    const char *build = rs->metadata ? hl_json_get_str(rs->metadata, "build_type", "") : "";
    const char *hook = rs->metadata ? hl_json_get_str(rs->metadata, "test_cell_cmd", NULL) : NULL;

#define WARN_HEADER()                                                                     \
    do {                                                                                  \
        if (nwarn++ == 0)                                                                 \
            fprintf(out, md ? "\n## Warnings\n\n" : "\nWarning: the results may be unstable or incomplete:\n"); \
    } while (0)

    if (hook) {
        WARN_HEADER();
        fprintf(out, "%scells were run by the test hook %s (HEAPLAB_TEST_CELL_CMD): these are "
                     "not measurements\n", bullet, hook);
    }
    if (strcmp(build, "Debug") == 0) {
        WARN_HEADER();
        fprintf(out, "%sheaplab was built as Debug: timings include debug checks; rebuild with "
                     "-DCMAKE_BUILD_TYPE=Release to measure\n", bullet);
    }
    if (pm == HL_M_INSTR_PER_OP) {
        /* deterministic counts: repetitions only confirm the determinism */
    } else if (rs->plan.repetitions < 2) {
        WARN_HEADER();
        fprintf(out, "%s1 repetition per cell: no spread and no U test is possible; use "
                     "--repetitions 9 or more to compare backends\n", bullet);
    } else if (rs->plan.repetitions < 9) {
        WARN_HEADER();
        fprintf(out, "%s%u repetitions per cell: enough for a U test, but its p-values are "
                     "unreliable below 9 (Google Benchmark compare.py); use --repetitions 9 "
                     "or more before trusting a comparison\n", bullet, rs->plan.repetitions);
    }
    /* A busy machine (pyperf checks load_avg_1min too) explains most noise. */
    const hl_json *la = rs->metadata ? hl_json_get(rs->metadata, "load_avg_start") : NULL;
    double load = hl_json_num(hl_json_at(la, 0), 0);
    double ncpu = rs->metadata ? hl_json_get_num(rs->metadata, "cpu_count", 0) : 0;
    if (ncpu > 0 && load > ncpu && pm != HL_M_INSTR_PER_OP) {
        WARN_HEADER();
        fprintf(out, "%sthe machine was busy: load average %.1f on %.0f CPUs at the start; "
                     "timings are noisy (prefer --measure instructions there)\n",
                bullet, load, ncpu);
    }
    /* Unstable cells, worst first; a long list is cut (results.csv has all). */
    enum { MAX_LISTED = 10 };
    ranked *unstable = calloc(rs->plan.n_cells + 1, sizeof *unstable);
    size_t nu = 0;
    for (size_t c = 0; unstable && c < rs->plan.n_cells; c++) {
        size_t n = hl_results_values(rs, c, pm, v);
        double cv = hl_stats_cv(v, n);
        if (n >= 2 && cv > 0.05) {
            unstable[nu].cell = c;
            unstable[nu].median = -cv; /* cmp_ranked sorts ascending */
            unstable[nu].n = n;
            nu++;
        }
    }
    if (nu)
        qsort(unstable, nu, sizeof *unstable, cmp_ranked);
    for (size_t i = 0; i < nu && i < MAX_LISTED; i++) {
        WARN_HEADER();
        fprintf(out, "%s%s: CV %.1f%% over %zu repetitions (> 5%%): rerun on a quiet "
                     "machine or with more repetitions\n",
                bullet, rs->plan.cells[unstable[i].cell].id, -unstable[i].median * 100,
                unstable[i].n);
    }
    if (nu > MAX_LISTED)
        fprintf(out, "%s... and %zu more cells with CV > 5%% (column cv_pct of results.csv)\n",
                bullet, nu - MAX_LISTED);
    free(unstable);
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_rep *why = NULL;
        const char *st = hl_results_cell_status(rs, c, &why);
        if (why) {
            WARN_HEADER();
            fprintf(out, "%s%s: %s: %s: %s\n", bullet, rs->plan.cells[c].id, st, why->status,
                    why->reason);
        }
    }
#undef WARN_HEADER
}

void hl_results_print_summary(const hl_resultset *rs, FILE *out, bool md)
{
    const hl_plan *p = &rs->plan;
    hl_metric_id pm = hl_results_primary_metric(rs);
    bool instr = pm == HL_M_INSTR_PER_OP;
    size_t done = 0;
    for (size_t i = 0; i < p->n_cells * p->repetitions; i++)
        done += rs->reps[i].done;
    if (md) {
        fprintf(out, "# heaplab results: suite %s\n\n", p->suite);
        const char *cpu = rs->metadata ? hl_json_get_str(rs->metadata, "cpu_model", "?") : "?";
        const char *commit =
            rs->metadata ? hl_json_get_str(rs->metadata, "git_commit", "?") : "?";
        const char *btype =
            rs->metadata ? hl_json_get_str(rs->metadata, "build_type", "?") : "?";
        fprintf(out, "- started %s%s%s; %zu of %zu jobs done%s\n", rs->started,
                rs->finished[0] ? ", finished " : "", rs->finished, done, p->n_jobs,
                rs->complete ? "" : rs->interrupted ? " (interrupted)" : " (incomplete)");
        fprintf(out, "- %zu cells x %u repetitions, %s sizes, min time %.3g s, seed %" PRIu64
                     ", measure %s\n",
                p->n_cells, p->repetitions, p->suite_size, p->min_time, p->seed, p->measure);
        fprintf(out, "- CPU: %s; build %s, commit %s\n", cpu, btype, commit);
    }

    /* Groups in first-appearance order. */
    enum { KEYLEN = 600 };
    bool *seen = calloc(p->n_cells + 1, sizeof *seen);
    ranked *rk = calloc(p->n_cells + 1, sizeof *rk);
    double *v = calloc(p->repetitions + 1, sizeof *v);
    char *keys = calloc(p->n_cells + 1, KEYLEN); /* group key of each cell, computed once */
    if (!seen || !rk || !v || !keys) {
        free(seen);
        free(rk);
        free(v);
        free(keys);
        return;
    }
    for (size_t c = 0; c < p->n_cells; c++)
        hl_results_group_key(&p->cells[c], keys + c * KEYLEN, KEYLEN);
    for (size_t g = 0; g < p->n_cells; g++) {
        if (seen[g])
            continue;
        const char *key = keys + g * KEYLEN;
        size_t nr = 0, nfail = 0;
        for (size_t c = g; c < p->n_cells; c++) {
            if (strcmp(key, keys + c * KEYLEN) != 0)
                continue;
            seen[c] = true;
            size_t n = hl_results_values(rs, c, pm, v);
            if (n == 0) {
                nfail += hl_results_reps_done(rs, c) > 0;
                continue;
            }
            rk[nr].cell = c;
            rk[nr].n = n;
            rk[nr].median = hl_stats_median(v, n);
            /* robust sigma: 1.4826 MAD estimates the standard deviation of
             * normal data without letting one disturbed repetition dominate */
            rk[nr].sd = n >= 2 ? 1.4826 * hl_stats_mad(v, n) : NAN;
            rk[nr].rss = hl_results_median(rs, c, HL_M_PEAK_RSS_KIB);
            nr++;
        }
        if (nr == 0 && nfail == 0)
            continue;
        qsort(rk, nr, sizeof *rk, cmp_ranked);
        fprintf(out, md ? "\n## %s\n\n" : "\n%s\n", key);
        const char *head[] = {"backend", instr ? ">instr/op" : ">time/op", ">± σ (MAD)",
                              ">x fastest", ">peak RSS"};
        hl_table t;
        if (hl_table_init(&t, 5, head) != 0)
            break;
        for (size_t i = 0; i < nr; i++) {
            char med[32], sd[32], rel[64], rss[32];
            fmt_primary(rs, rk[i].median, med, sizeof med);
            fmt_primary(rs, rk[i].sd, sd, sizeof sd);
            if (i == 0) {
                snprintf(rel, sizeof rel, "1.00");
            } else {
                double r = rk[i].median / rk[0].median;
                double s = hl_stats_ratio_sigma(rk[0].median, rk[0].sd, rk[i].median, rk[i].sd);
                if (isnan(s))
                    snprintf(rel, sizeof rel, "%.2f", r);
                else
                    snprintf(rel, sizeof rel, "%.2f ± %.2f", r, s);
            }
            hl_fmt_kib(rk[i].rss, rss, sizeof rss);
            const char *row[] = {p->cells[rk[i].cell].backend, med, sd, rel, rss};
            hl_table_add(&t, row);
        }
        for (size_t c = g; c < p->n_cells; c++) {
            if (strcmp(key, keys + c * KEYLEN) != 0 || hl_results_values(rs, c, pm, v) != 0 ||
                hl_results_reps_done(rs, c) == 0)
                continue;
            const hl_rep *why = NULL;
            hl_results_cell_status(rs, c, &why);
            const char *row[] = {p->cells[c].backend, "-", "-", why ? why->status : "failed",
                                 "-"};
            hl_table_add(&t, row);
        }
        hl_table_print(&t, out, md ? HL_TABLE_MD : HL_TABLE_TEXT, md ? NULL : "  ");
        hl_table_free(&t);
        if (nr >= 2) {
            double r = rk[nr - 1].median / rk[0].median;
            double sg = hl_stats_ratio_sigma(rk[0].median, rk[0].sd, rk[nr - 1].median,
                                             rk[nr - 1].sd);
            char spread[32] = "";
            if (!isnan(sg))
                snprintf(spread, sizeof spread, " ± %.2f", sg);
            fprintf(out,
                    instr ? "%s'%s' needed %.2f%s times fewer instructions than '%s' (the most)\n"
                          : "%s'%s' ran %.2f%s times faster than '%s' (the slowest)\n",
                    md ? "\n" : "  ", p->cells[rk[0].cell].backend, r, spread,
                    p->cells[rk[nr - 1].cell].backend);
        }
    }
    free(seen);
    free(rk);
    free(v);
    free(keys);
    if (md)
        fprintf(out, "\ntime/op: median over repetitions; σ (MAD): 1.4826 x median absolute "
                     "deviation, a robust standard deviation; x fastest: ratio of medians to the "
                     "fastest backend's, ± by error propagation (as hyperfine).\n");
    print_warnings(rs, out, md);
}
