/* results.c - the results model: one hl_rep per (cell, repetition),
 * saved as results.json and loaded back; see results.h.
 *
 * How it works
 * ------------
 * The set lives in memory as the plan plus one hl_rep per (cell, rep).
 * After each job, hl_results_save() serialises all of it (results.json),
 * the per-cell aggregates (results.csv, report.c) and the human summary
 * (summary.md, report.c), each through a temporary file and rename(2).
 * Rewriting whole files is O(jobs) per job, i.e. O(jobs^2) per run, and it
 * buys the property that every file on disk is always complete; what keeps
 * it cheap is that a finished repetition's record is rendered once and
 * copied after that (write_rep_cached): a 720-job run's last save takes
 * milliseconds, not 0.1 s.
 *
 * Loading checks the whole document against its schema (jread.h): a field
 * of the wrong type, out of range, a repetition recorded twice or a cell id
 * seen twice ends the load with one line naming the field.  Nothing is
 * defaulted in silence, because `--resume` writes back what it loaded.
 * Ingesting a finished job's files is record.c's.
 */
#include "results.h"

#include "fsutil.h"
#include "jread.h"
#include "metadata.h"
#include "protocol.h"
#include "stats.h"

#include <assert.h>
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

/* {====================================================================
 * Set-up and access
 * ==================================================================== */

void hl_results_rep_clear(hl_rep *r)
{
    for (size_t i = 0; i < r->n_extra; i++)
        free(r->extra[i].name);
    free(r->extra);
    free(r->json);
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
        hl_results_rep_clear(&rs->reps[i]);
    hl_metadata_now_iso(rs->started, sizeof rs->started);
    rs->load_avg_end[0] = rs->load_avg_end[1] = rs->load_avg_end[2] = NAN;
    return 0;
}

void hl_results_free(hl_resultset *rs)
{
    if (rs->reps)
        for (size_t i = 0; i < rs->plan.n_cells * rs->plan.repetitions; i++)
            hl_results_rep_clear(&rs->reps[i]);
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
 * Aggregation
 * ==================================================================== */

size_t hl_results_values(const hl_resultset *rs, size_t cell, hl_metric_id m, double *out)
{
    size_t n = 0;
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        const hl_rep *r = hl_results_rep_c(rs, cell, k);
        if (r->done && strcmp(r->status, HL_JOB_OK) == 0 && !isnan(r->m[m]))
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
        n += r->done && strcmp(r->status, HL_JOB_OK) == 0;
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
        if (strcmp(r->status, HL_JOB_OK) == 0)
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
 * results.json
 * ==================================================================== */

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

/* One repetition's record, as the element of its cell's "reps" array. */
static void write_rep(hl_jw *w, const hl_resultset *rs, size_t c, unsigned k)
{
    const hl_rep *r = hl_results_rep_c(rs, c, k);
    char rel[600];
    hl_results_rep_dir(rs, c, k, rel, sizeof rel);
    hl_jw_obj_begin(w, NULL);
    hl_jw_uint(w, "rep", k);
    hl_jw_str(w, "status", r->status);
    hl_jw_str(w, "reason", r->reason);
    if (r->exit_code >= 0)
        hl_jw_int(w, "exit_code", r->exit_code);
    else
        hl_jw_null(w, "exit_code");
    hl_jw_int(w, "signal", r->signo);
    hl_jw_str(w, "started", r->started);
    hl_jw_str(w, "finished", r->finished);
    hl_jw_str(w, "dir", rel);
    hl_jw_obj_begin(w, "process");
    hl_jw_num(w, "wall_s", r->wall_s);
    hl_jw_num(w, "user_s", r->user_s);
    hl_jw_num(w, "sys_s", r->sys_s);
    hl_jw_uint(w, "maxrss_kib", r->maxrss_kib);
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "metrics");
    for (int m = 0; m < HL_M_COUNT; m++)
        if (!isnan(r->m[m]))
            hl_jw_num(w, hl_metric_names[m], r->m[m]);
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "extra");
    for (size_t e = 0; e < r->n_extra; e++)
        hl_jw_num(w, r->extra[e].name, r->extra[e].value);
    hl_jw_obj_end(w);
    hl_jw_obj_end(w);
}

/* A finished record never changes until hl_results_rep_clear, so its text is
 * rendered once: without the cache every save re-formatted every record,
 * O(jobs) number conversions per job (about 0.1 s per save at the end of a
 * 720-job quick run, a sixth of the run's wall time).  Debug builds check
 * the cached text against a fresh rendering. */
static char *render_rep(const hl_resultset *rs, size_t c, unsigned k, int depth)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return NULL;
    hl_jw w;
    hl_jw_init_element(&w, m, true, depth);
    write_rep(&w, rs, c, k);
    bool bad = w.error;
    if (fclose(m) != 0 || bad) {
        free(text);
        return NULL;
    }
    return text;
}

static void write_rep_cached(hl_jw *w, const hl_resultset *rs, size_t c, unsigned k)
{
    /* the cache is not part of the record's value: filling it from a const
     * set changes nothing a reader sees */
    hl_rep *r = (hl_rep *)hl_results_rep_c(rs, c, k);
    if (!r->json)
        r->json = render_rep(rs, c, k, w->depth);
#ifndef NDEBUG
    char *fresh = render_rep(rs, c, k, w->depth);
    assert(!r->json || !fresh || strcmp(fresh, r->json) == 0);
    free(fresh);
#endif
    if (r->json)
        hl_jw_raw_element(w, r->json);
    else
        write_rep(w, rs, c, k); /* out of memory: the slow way */
}

static void write_json(const hl_resultset *rs, FILE *out)
{
    const hl_plan *p = &rs->plan;
    hl_jw w;
    hl_jw_init(&w, out, true);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", HL_RESULTS_FORMAT);
    hl_jw_int(&w, "format_version", HL_RESULTS_VERSION);
    if (rs->metadata)
        hl_jw_value(&w, "metadata", rs->metadata);
    else
        hl_jw_null(&w, "metadata");
    hl_jw_obj_begin(&w, "plan");
    hl_plan_write_settings(&w, p);
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
        hl_plan_write_cell(&w, pc);

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
            write_rep_cached(&w, rs, c, k);
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
        save_one(rs, "results.csv", hl_results_write_csv, sync, err, errlen) != 0 ||
        save_one(rs, "summary.md", write_summary_md, sync, err, errlen) != 0)
        return -1;
    return 0;
}

/* {====================================================================
 * Loading: the schema of docs/results-format.md, checked field by field
 * ==================================================================== */

static int load_plan(hl_jread *r, const hl_json *doc, hl_plan *p, size_t *n_cells_declared)
{
    const hl_json *plan = hl_jread_obj(r, doc, "", "plan", true);
    uint64_t cells = 0;
    if (r->failed || hl_plan_read_settings(r, plan, "plan", p) != 0)
        return -1;
    hl_jread_uint(r, plan, "plan", "cells", false, 1u << 24, &cells);
    *n_cells_declared = (size_t)cells;
    return r->failed ? -1 : 0;
}

static void load_run(hl_jread *r, const hl_json *doc, hl_resultset *rs)
{
    const hl_json *run = hl_jread_obj(r, doc, "", "run", false);
    hl_jread_str(r, run, "run", "started", false, false, rs->started, sizeof rs->started);
    hl_jread_str(r, run, "run", "finished", false, true, rs->finished, sizeof rs->finished);
    hl_jread_bool(r, run, "run", "complete", false, &rs->complete);
    hl_jread_bool(r, run, "run", "interrupted", false, &rs->interrupted);
    rs->load_avg_end[0] = rs->load_avg_end[1] = rs->load_avg_end[2] = NAN;
    const hl_json *la = hl_jread_arr(r, run, "run", "load_avg_end", false);
    for (size_t i = 0; i < 3 && i < hl_json_len(la); i++)
        rs->load_avg_end[i] = hl_json_num(hl_json_at(la, i), NAN);
}

/* Every member of obj must be a number (or null when nullable); into kv. */
static int load_numbers(hl_jread *r, const hl_json *obj, const char *path, bool nullable,
                        double lo, hl_kv **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t len = hl_json_len(obj);
    if (len == 0)
        return 0;
    *out = calloc(len, sizeof **out);
    if (*out == NULL)
        return hl_jread_fail(r, path, "out of memory"), -1;
    for (size_t i = 0; i < len; i++) {
        double v;
        if (!hl_jread_num(r, obj, path, obj->keys[i], true, nullable, lo, INFINITY, &v))
            return -1;
        (*out)[*n].name = strdup(obj->keys[i]);
        (*out)[*n].value = v;
        if ((*out)[*n].name == NULL)
            return hl_jread_fail(r, path, "out of memory"), -1;
        (*n)++;
    }
    return 0;
}

/* The canonical metrics of a repetition: known names only, none negative;
 * the primary one positive when the repetition is ok. */
static int load_metrics(hl_jread *r, const hl_json *mo, const char *path, hl_rep *rep)
{
    for (size_t i = 0; i < hl_json_len(mo); i++) {
        int m = 0;
        while (m < HL_M_COUNT && strcmp(hl_metric_names[m], mo->keys[i]) != 0)
            m++;
        if (m == HL_M_COUNT)
            return hl_jread_fail(r, path, "'%s' is not a metric heaplab records (see "
                                          "docs/results-format.md)", mo->keys[i]), -1;
        if (!hl_jread_num(r, mo, path, mo->keys[i], true, true, 0, INFINITY, &rep->m[m]))
            return -1;
    }
    return 0;
}

static int load_rep(hl_jread *r, const hl_json *ro, const char *path, hl_resultset *rs,
                    size_t cell)
{
    int64_t idx = -1, exit_code = -1, signo = 0;
    if (!hl_jread_int(r, ro, path, "rep", true, 0, (int64_t)rs->plan.repetitions - 1, &idx))
        return -1;
    hl_rep *rep = hl_results_rep(rs, cell, (unsigned)idx);
    if (rep->done)
        return hl_jread_fail(r, path, "repetition %lld of this cell is recorded twice",
                             (long long)idx), -1;
    rep->done = true;
    hl_jread_str(r, ro, path, "status", true, false, rep->status, sizeof rep->status);
    if (!r->failed && !hl_protocol_job_status_valid(rep->status))
        return hl_jread_fail(r, path, "status '%s' is not a job status (harness/protocol.h)",
                             rep->status), -1;
    hl_jread_str(r, ro, path, "reason", false, true, rep->reason, sizeof rep->reason);
    const hl_json *ec = hl_json_get(ro, "exit_code");
    if (ec && ec->type != HL_JNULL)
        hl_jread_int(r, ro, path, "exit_code", false, 0, 255, &exit_code);
    hl_jread_int(r, ro, path, "signal", false, 0, 128, &signo);
    rep->exit_code = (int)exit_code;
    rep->signo = (int)signo;
    hl_jread_str(r, ro, path, "started", false, true, rep->started, sizeof rep->started);
    hl_jread_str(r, ro, path, "finished", false, true, rep->finished, sizeof rep->finished);
    char sub[600];
    hl_jread_path(sub, sizeof sub, path, "process", -1);
    const hl_json *proc = hl_jread_obj(r, ro, path, "process", false);
    uint64_t maxrss = 0;
    hl_jread_num(r, proc, sub, "wall_s", false, true, 0, INFINITY, &rep->wall_s);
    hl_jread_num(r, proc, sub, "user_s", false, true, 0, INFINITY, &rep->user_s);
    hl_jread_num(r, proc, sub, "sys_s", false, true, 0, INFINITY, &rep->sys_s);
    hl_jread_uint(r, proc, sub, "maxrss_kib", false, UINT64_MAX, &maxrss);
    rep->maxrss_kib = maxrss;
    hl_jread_path(sub, sizeof sub, path, "metrics", -1);
    if (r->failed || load_metrics(r, hl_jread_obj(r, ro, path, "metrics", false), sub, rep) != 0)
        return -1;
    hl_jread_path(sub, sizeof sub, path, "extra", -1);
    const hl_json *ex = hl_jread_obj(r, ro, path, "extra", false);
    if (r->failed || load_numbers(r, ex, sub, true, -INFINITY, &rep->extra, &rep->n_extra) != 0)
        return -1;
    hl_metric_id pm = hl_results_primary_metric(rs);
    if (strcmp(rep->status, HL_JOB_OK) == 0 && !(rep->m[pm] > 0))
        return hl_jread_fail(r, path, "an ok repetition without a positive %s",
                             hl_metric_names[pm]), -1;
    return 0;
}

static int load_cell(hl_jread *r, const hl_json *o, size_t c, hl_resultset *rs)
{
    char path[64], sub[600];
    hl_jread_path(path, sizeof path, "", "cells", (long)c);
    hl_plan_cell *pc = &rs->plan.cells[c];
    if (hl_plan_read_cell(r, o, path, pc) != 0)
        return -1;
    for (size_t j = 0; j < c; j++)
        if (strcmp(rs->plan.cells[j].id, pc->id) == 0)
            return hl_jread_fail(r, path, "cell %s appears twice (first as cells[%zu])", pc->id,
                                 j), -1;
    const hl_json *reps = hl_jread_arr(r, o, path, "reps", true);
    for (size_t k = 0; !r->failed && k < hl_json_len(reps); k++) {
        hl_jread_path(sub, sizeof sub, path, "reps", (long)k);
        const hl_json *ro = hl_json_at(reps, k);
        if (ro->type != HL_JOBJ)
            return hl_jread_fail(r, sub, "not an object"), -1;
        if (load_rep(r, ro, sub, rs, c) != 0)
            return -1;
    }
    return r->failed ? -1 : 0;
}

/* DIR, or DIR/results.json: the file to read and the set's directory. */
static int locate(const char *path, hl_resultset *rs, char *file, size_t filelen, char *err,
                  size_t errlen)
{
    if (hl_is_dir(path)) {
        snprintf(rs->dir, sizeof rs->dir, "%s", path);
        snprintf(file, filelen, "%s/results.json", path);
    } else {
        snprintf(file, filelen, "%s", path);
        snprintf(rs->dir, sizeof rs->dir, "%s", path);
        char *slash = strrchr(rs->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(rs->dir, sizeof rs->dir, ".");
    }
    if (!hl_path_exists(file)) {
        snprintf(err, errlen, "%s: no results.json there: give a directory written by "
                              "'heaplab run'", path);
        return -1;
    }
    if (!hl_is_regular_file(file)) {
        snprintf(err, errlen, "%s is not a regular file: give a directory written by "
                              "'heaplab run'", file);
        return -1;
    }
    return 0;
}

/* The run order: plan.json when present and about the same cells (exactly
 * what was planned), else the order the plan's seed gives. */
static void load_order(hl_resultset *rs)
{
    hl_plan *p = &rs->plan;
    char plan_path[4096 + 32], perr[300];
    snprintf(plan_path, sizeof plan_path, "%s/plan.json", rs->dir);
    hl_plan saved;
    if (hl_path_exists(plan_path) && hl_plan_load(&saved, plan_path, perr, sizeof perr) == 0) {
        bool same = saved.n_cells == p->n_cells && saved.repetitions == p->repetitions;
        for (size_t c = 0; same && c < p->n_cells; c++)
            same = strcmp(saved.cells[c].id, p->cells[c].id) == 0;
        if (same) {
            p->jobs = saved.jobs;
            p->n_jobs = saved.n_jobs;
            saved.jobs = NULL;
        }
        hl_plan_free(&saved);
    }
    if (!p->jobs)
        hl_plan_order(p);
}

int hl_results_load(hl_resultset *rs, const char *path, char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    char file[4096 + 32], perr[300];
    if (locate(path, rs, file, sizeof file, err, errlen) != 0)
        return -1;
    hl_json *doc = hl_json_parse_file(file, perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    hl_jread r;
    hl_jread_init(&r, file, err, errlen);
    size_t declared = 0;
    hl_jread_header(&r, doc, HL_RESULTS_FORMAT, HL_RESULTS_VERSION, "a heaplab result set",
                    false);
    const hl_json *cells = r.failed ? NULL : hl_jread_arr(&r, doc, "", "cells", true);
    if (!r.failed && load_plan(&r, doc, &rs->plan, &declared) == 0) {
        hl_plan *p = &rs->plan;
        p->n_cells = hl_json_len(cells);
        p->cells = calloc(p->n_cells ? p->n_cells : 1, sizeof *p->cells);
        rs->reps = calloc(p->n_cells * p->repetitions + 1, sizeof *rs->reps);
        if (!p->cells || !rs->reps)
            hl_jread_fail(&r, "", "out of memory");
        for (size_t i = 0; !r.failed && i < p->n_cells * p->repetitions; i++)
            hl_results_rep_clear(&rs->reps[i]);
        if (!r.failed && declared && declared != p->n_cells)
            hl_jread_fail(&r, "plan.cells", "says %zu cells, the file has %zu", declared,
                          p->n_cells);
        for (size_t c = 0; !r.failed && c < p->n_cells; c++)
            load_cell(&r, hl_json_at(cells, c), c, rs);
        load_run(&r, doc, rs);
    }
    if (r.failed) {
        hl_json_free(doc);
        hl_results_free(rs);
        return -1;
    }
    load_order(rs);
    rs->metadata_doc = doc;
    rs->metadata = hl_json_get(doc, "metadata");
    return 0;
}
