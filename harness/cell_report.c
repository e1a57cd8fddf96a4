/* cell_report.c - the cell's result files: cell.json (written atomically)
 * and gc_pauses.csv.  The schema is documented field by field in
 * docs/results-format.md ("Cell result"); keep the two in step.
 *
 * Summary statistics over repetitions are harness/stats.h's (median and
 * percentiles by linear interpolation, Hyndman & Fan type 7; stddev with
 * n - 1; cv = stddev / mean as a fraction), the same module the driver
 * reports with.
 */
#include "cell.h"

#include "build_info.h"
#include "fsutil.h"
#include "json.h"
#include "stats.h"
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Sorted copy of the pauses of the given generations in ms (every
 * generation when gen < 0); *n gets the count.  NULL when there are none. */
static double *pauses_ms(const hl_cell *c, int gen, size_t *n)
{
    size_t total = 0;
    for (int g = 0; g < 3; g++)
        if (gen < 0 || g == gen)
            total += c->gc[g].n_pauses;
    *n = 0;
    double *ms = total ? malloc(total * sizeof *ms) : NULL;
    if (ms == NULL)
        return NULL;
    for (int g = 0; g < 3; g++)
        if (gen < 0 || g == gen)
            for (size_t k = 0; k < c->gc[g].n_pauses; k++)
                ms[(*n)++] = (double)c->gc[g].pauses_ns[k] / 1e6;
    return ms;
}

/* n, mean, median, stddev, cv, min, max of the finite values of x. */
static void write_summary(hl_jw *w, const char *key, const double *x, size_t n)
{
    hl_stats_summary s;
    hl_stats_summarize(x, n, &s);
    hl_jw_obj_begin(w, key);
    hl_jw_int(w, "n", (int64_t)s.n);
    hl_jw_num(w, "mean", s.mean);
    hl_jw_num(w, "median", s.median);
    hl_jw_num(w, "stddev", s.stddev);
    hl_jw_num(w, "cv", s.cv);
    hl_jw_num(w, "min", s.min);
    hl_jw_num(w, "max", s.max);
    hl_jw_obj_end(w);
}

static double median_of(const double *x, size_t n)
{
    hl_stats_summary s;
    hl_stats_summarize(x, n, &s);
    return s.median;
}

static uint64_t total_operations(const hl_cell *c)
{
    uint64_t ops = 0;
    for (size_t i = 0; i < c->n_reps; i++)
        ops += c->reps[i].operations;
    return ops;
}

static void write_time(hl_jw *w, const hl_cell *c)
{
    double ns[HL_CELL_MAX_REPS], cpu[HL_CELL_MAX_REPS], ops_s[HL_CELL_MAX_REPS];
    uint64_t iterations = 0, operations = 0;
    for (size_t i = 0; i < c->n_reps; i++) {
        const hl_cell_rep *r = &c->reps[i];
        ns[i] = r->ns_per_op > 0 ? r->ns_per_op : NAN;
        cpu[i] = r->cpu_ns_per_op > 0 ? r->cpu_ns_per_op : NAN;
        ops_s[i] = r->ns_per_op > 0 ? 1e9 / r->ns_per_op : NAN;
        iterations += r->iterations;
        operations += r->operations;
    }
    double med = median_of(ns, c->n_reps);
    hl_jw_obj_begin(w, "time");
    hl_jw_num(w, "ns_per_op", med);
    hl_jw_num(w, "cpu_ns_per_op", median_of(cpu, c->n_reps));
    hl_jw_num(w, "ops_per_s", med > 0 ? 1e9 / med : NAN);
    hl_jw_uint(w, "iterations", iterations);
    hl_jw_uint(w, "operations", operations);
    hl_jw_num(w, "wall_s", c->measured.wall_s);
    hl_jw_int(w, "samples_wanted", (int64_t)hl_cell_samples_wanted(c));
    write_summary(w, "ns_per_op_stats", ns, c->n_reps);
    write_summary(w, "cpu_ns_per_op_stats", cpu, c->n_reps);
    write_summary(w, "ops_per_s_stats", ops_s, c->n_reps);
    hl_jw_arr_begin(w, "repetitions");
    for (size_t i = 0; i < c->n_reps; i++) {
        const hl_cell_rep *r = &c->reps[i];
        hl_jw_obj_begin(w, NULL);
        hl_jw_int(w, "index", (int64_t)i);
        hl_jw_uint(w, "iterations", r->iterations);
        hl_jw_uint(w, "operations", r->operations);
        hl_jw_num(w, "real_ns_per_iter", r->real_ns_per_iter);
        hl_jw_num(w, "cpu_ns_per_iter", r->cpu_ns_per_iter);
        hl_jw_num(w, "ns_per_op", r->ns_per_op);
        hl_jw_num(w, "cpu_ns_per_op", r->cpu_ns_per_op);
        hl_jw_num(w, "ops_per_s", r->ns_per_op > 0 ? 1e9 / r->ns_per_op : NAN);
        if (r->has_memory) {
            hl_jw_obj_begin(w, "memory_run");
            hl_jw_num(w, "allocs_per_op", r->allocs_per_op);
            hl_jw_int(w, "num_allocs", r->memory.num_allocs);
            hl_jw_int(w, "max_bytes_used", r->memory.max_bytes_used);
            hl_jw_int(w, "total_allocated_bytes", r->memory.total_allocated_bytes);
            hl_jw_int(w, "net_heap_growth", r->memory.net_heap_growth);
            hl_jw_obj_end(w);
        }
        hl_jw_bool(w, "error", r->error);
        hl_jw_str(w, "error_message", r->error ? r->error_message : NULL);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
}

static void write_allocator(hl_jw *w, const hl_cell *c, size_t i)
{
    const hl_alloc_stats *s = &c->stats_end[i];
    hl_jw_obj_begin(w, c->alloc_role[i]);
    hl_jw_str(w, "spec", c->alloc[i].spec);
    hl_jw_uint(w, "allocs", s->allocs);
    hl_jw_uint(w, "frees", s->frees);
    hl_jw_uint(w, "reallocs", s->reallocs);
    hl_jw_uint(w, "requested_bytes", s->requested_bytes);
    hl_jw_int(w, "live_bytes", s->live_bytes);
    hl_jw_uint(w, "peak_live_bytes", s->peak_live_bytes);
    hl_jw_bool(w, "peak_exact", s->peak_exact);
    hl_jw_uint(w, "threads", s->threads);
    hl_jw_int(w, "live_bytes_after_teardown", c->live_after_teardown[i]);
    hl_jw_obj_begin(w, "native");
    for (size_t k = 0; k < s->n_native; k++)
        hl_jw_uint(w, s->native[k].name, s->native[k].value);
    hl_jw_obj_end(w);
    hl_jw_obj_end(w);
}

/* Collections, collected, pauses: over every generation (gen < 0) or one. */
static void write_gc_figures(hl_jw *w, const hl_cell *c, int gen)
{
    uint64_t collections = 0, collected = 0, uncollectable = 0;
    for (int g = 0; g < 3; g++)
        if (gen < 0 || g == gen) {
            collections += c->gc[g].collections;
            collected += c->gc[g].collected;
            uncollectable += c->gc[g].uncollectable;
        }
    size_t m;
    double *ms = pauses_ms(c, gen, &m);
    double total = 0;
    for (size_t k = 0; k < m; k++)
        total += ms[k];
    hl_jw_uint(w, "collections", collections);
    hl_jw_uint(w, "collected", collected);
    hl_jw_uint(w, "uncollectable", uncollectable);
    hl_jw_uint(w, "pause_count", m);
    hl_jw_num(w, "pause_total_ms", total);
    hl_jw_num(w, "pause_max_ms", m ? hl_stats_max(ms, m) : 0);
    hl_jw_num(w, "pause_p50_ms", m ? hl_stats_percentile(ms, m, 50) : 0);
    hl_jw_num(w, "pause_p99_ms", m ? hl_stats_percentile(ms, m, 99) : 0);
    free(ms);
}

static void write_gc(hl_jw *w, const hl_cell *c)
{
    hl_jw_obj_begin(w, "gc");
    hl_jw_str(w, "pass", c->fixed_done ? "fixed-work" : "measured");
    write_gc_figures(w, c, -1);
    hl_jw_arr_begin(w, "generations");
    for (int g = 0; g < 3; g++) {
        hl_jw_obj_begin(w, NULL);
        hl_jw_int(w, "generation", g);
        write_gc_figures(w, c, g);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
}

/* ---- cell.json, section by section (docs/results-format.md) ------------- */

static void write_identity(hl_jw *w, const hl_cell *c)
{
    const hl_backend *b = c->alloc[0].backend;
    hl_jw_str(w, "format", HL_CELL_FORMAT);
    hl_jw_int(w, "format_version", HL_CELL_VERSION);
    hl_jw_int(w, "protocol", HL_PROTOCOL_VERSION);
    hl_jw_str(w, "status", c->status);
    hl_jw_str(w, "message", strcmp(c->status, HL_CELL_STATUS_OK) == 0 ? NULL : c->message);
    hl_jw_str(w, "variant", c->variant);

    hl_jw_obj_begin(w, "backend");
    hl_jw_str(w, "spec", c->opt.backend);
    hl_jw_str(w, "name", b->name);
    hl_jw_str(w, "version", b->version ? b->version(c->alloc[0].ctx) : NULL);
    hl_jw_bool(w, "thread_safe", b->thread_safe);
    hl_jw_obj_end(w);

    hl_jw_obj_begin(w, "workload");
    hl_jw_str(w, "name", c->wl->name);
    hl_jw_str(w, "layer", c->wl->layer == HL_LAYER_OBJECTS ? "objects" : "raw");
    hl_jw_bool(w, "threaded", c->wl->threaded);
    hl_jw_str(w, "op_unit", c->wl->op_unit);
    hl_jw_obj_end(w);

    hl_jw_obj_begin(w, "params");
    for (size_t k = 0; k < c->wl->n_params; k++)
        hl_jw_int(w, c->wl->params[k].name, c->params[k]);
    hl_jw_obj_end(w);
}

/* What the cell was asked to do, and the command line that asked it. */
static void write_config(hl_jw *w, const hl_cell *c)
{
    hl_jw_obj_begin(w, "config");
    hl_jw_uint(w, "threads", c->opt.threads);
    hl_jw_uint(w, "seed", c->opt.seed);
    hl_jw_str(w, "suite_size", c->opt.quick ? "quick" : "full");
    hl_jw_str(w, "measure", c->opt.measure == HL_MEASURE_TIME ? "time" : "instructions");
    hl_jw_int(w, "repetitions", c->opt.repetitions);
    hl_jw_int(w, "samples", (int64_t)c->opt.samples);
    hl_jw_num(w, "min_time_s", c->opt.min_time_s);
    hl_jw_num(w, "warmup_time_s", c->opt.warmup_time_s);
    hl_jw_uint(w, "fixed_ops", c->opt.fixed_ops);
    hl_jw_int(w, "timeline_ms", c->timeline_ms);
    hl_jw_str(w, "trace", c->opt.trace);
    if (c->have_gc) {
        hl_jw_arr_begin(w, "gc_threshold");
        for (int i = 0; i < 3; i++)
            hl_jw_uint(w, NULL, c->gc_threshold_used[i]);
        hl_jw_arr_end(w);
        hl_jw_str(w, "python_model", c->python_model);
        hl_jw_str(w, "model_options", c->model_options);
    }
    hl_jw_obj_end(w);

    hl_jw_arr_begin(w, "command_line");
    for (int i = 0; i < c->argc; i++)
        hl_jw_str(w, NULL, c->argv[i]);
    hl_jw_arr_end(w);
}

static void write_run(hl_jw *w, const hl_cell *c)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    hl_jw_obj_begin(w, "run");
    hl_jw_str(w, "started", c->started);
    hl_jw_str(w, "finished", c->finished);
    hl_jw_str(w, "host", host);
    hl_jw_int(w, "pid", (int64_t)getpid());
    hl_jw_str(w, "git_commit", hl_build_info.git_commit);
    hl_jw_bool(w, "git_dirty", hl_build_info.git_dirty);
    hl_jw_str(w, "build_type", hl_build_info.build_type);
    hl_jw_str(w, "google_benchmark", hl_bench_library_version());
    hl_jw_obj_end(w);
}

static void write_instructions(hl_jw *w, const hl_cell *c)
{
    hl_jw_obj_begin(w, "instructions");
    hl_jw_uint(w, "total", c->instructions);
    hl_jw_num(w, "per_op", c->instr_operations
                               ? (double)c->instructions / (double)c->instr_operations
                               : NAN);
    hl_jw_uint(w, "iterations", c->instr_iterations);
    hl_jw_uint(w, "operations", c->instr_operations);
    hl_jw_str(w, "callgrind_dump", c->callgrind_dump);
    hl_jw_obj_end(w);
}

static void write_rusage(hl_jw *w, const hl_procstat *m)
{
    hl_jw_obj_begin(w, "rusage");
    hl_jw_num(w, "wall_s", m->wall_s);
    hl_jw_num(w, "user_s", m->user_s);
    hl_jw_num(w, "sys_s", m->sys_s);
    hl_jw_uint(w, "minflt", m->minflt);
    hl_jw_uint(w, "majflt", m->majflt);
    hl_jw_uint(w, "nvcsw", m->nvcsw);
    hl_jw_uint(w, "nivcsw", m->nivcsw);
    hl_jw_uint(w, "maxrss_kib", m->maxrss_kib);
    hl_jw_obj_end(w);
}

static void write_memory(hl_jw *w, const hl_cell *c)
{
    const hl_procstat *m = &c->measured;
    uint64_t peak_live = 0;
    int64_t live_end = 0;
    for (size_t i = 0; i < c->n_alloc; i++) {
        peak_live += c->stats_end[i].peak_live_bytes;
        live_end += c->stats_end[i].live_bytes;
    }
    /* Memory figures describe the fixed-work pass when there was one
     * (cell_fixed.c): the same work for every backend. */
    if (c->fixed_done)
        m = &c->fixed;
    double peak_rss_bytes = (double)(m->hwm_kib > 0 ? m->hwm_kib : (int64_t)m->maxrss_kib) * 1024;
    hl_jw_obj_begin(w, "memory");
    hl_jw_str(w, "pass", c->fixed_done ? "fixed-work" : "measured");
    hl_jw_uint(w, "pass_operations", c->fixed_done ? c->fixed_operations
                                     : c->opt.measure == HL_MEASURE_TIME ? total_operations(c)
                                                                         : c->instr_operations);
    hl_jw_uint(w, "pass_iterations", c->fixed_done ? c->fixed_iterations : 0);
    hl_jw_int(w, "peak_rss_kib", m->hwm_kib > 0 ? m->hwm_kib : (int64_t)m->maxrss_kib);
    hl_jw_int(w, "rss_end_kib", m->rss_kib);
    hl_jw_int(w, "rss_baseline_kib", c->rss_baseline_kib);
    hl_jw_int(w, "rss_after_setup_kib", c->rss_after_setup_kib);
    hl_jw_uint(w, "peak_live_bytes", peak_live);
    hl_jw_int(w, "live_bytes_end", live_end);
    hl_jw_num(w, "overhead", peak_live ? peak_rss_bytes / (double)peak_live : NAN);
    hl_jw_num(w, "overhead_net",
              peak_live && c->rss_baseline_kib > 0
                  ? (peak_rss_bytes - (double)c->rss_baseline_kib * 1024) / (double)peak_live
                  : NAN);
    hl_jw_obj_end(w);
}

static void write_workload_metrics(hl_jw *w, const hl_cell *c)
{
    hl_jw_obj_begin(w, "workload_metrics");
    for (size_t i = 0; i < c->n_metrics; i++)
        hl_jw_num(w, c->metrics[i].name, c->metrics[i].value);
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "workload_metric_units");
    for (size_t i = 0; i < c->n_metrics; i++)
        hl_jw_str(w, c->metrics[i].name, c->metrics[i].unit ? c->metrics[i].unit : "");
    hl_jw_obj_end(w);
}

static void write_document(hl_jw *w, const hl_cell *c)
{
    hl_jw_obj_begin(w, NULL);
    write_identity(w, c);
    write_config(w, c);
    write_run(w, c);
    if (c->opt.measure == HL_MEASURE_TIME)
        write_time(w, c);
    else
        write_instructions(w, c);
    write_rusage(w, &c->measured);
    write_memory(w, c);

    hl_jw_obj_begin(w, "allocators");
    for (size_t i = 0; i < c->n_alloc; i++)
        write_allocator(w, c, i);
    hl_jw_obj_end(w);

    hl_jw_obj_begin(w, "gil");
    hl_jw_uint(w, "acquisitions", c->gil.acquisitions);
    hl_jw_uint(w, "contended", c->gil.contended);
    hl_jw_obj_end(w);

    if (c->have_gc)
        write_gc(w, c);
    write_workload_metrics(w, c);

    hl_jw_obj_begin(w, "files");
    hl_jw_str(w, "gbench", c->opt.measure == HL_MEASURE_TIME ? HL_CELL_FILE_GBENCH : NULL);
    hl_jw_str(w, "timeline", c->wrote_timeline ? HL_CELL_FILE_TIMELINE : NULL);
    hl_jw_str(w, "gc_pauses", c->wrote_gc_pauses ? HL_CELL_FILE_GC_PAUSES : NULL);
    hl_jw_obj_end(w);

    hl_jw_obj_end(w);
}

/* Writes DIR/name through a temporary file: fflush, fsync, rename
 * (fsutil.h), so the driver reads a whole file or none. */
static int atomic_write(const hl_cell *c, const char *name, void (*body)(FILE *, const void *),
                        const void *arg, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", c->opt.out_dir, name);
    hl_atomic_file af;
    if (hl_atomic_begin(&af, path, err, errlen) != 0)
        return -1;
    body(af.f, arg);
    return hl_atomic_commit(&af, true, err, errlen);
}

static bool json_ok;

static void json_body(FILE *f, const void *arg)
{
    hl_jw w;
    hl_jw_init(&w, f, true);
    write_document(&w, arg);
    json_ok = hl_jw_finish(&w) == 0;
    fputc('\n', f);
}

int hl_cell_write_json(const hl_cell *c, char *err, size_t errlen)
{
    json_ok = false;
    if (atomic_write(c, HL_CELL_FILE_JSON, json_body, c, err, errlen) != 0)
        return -1;
    if (!json_ok) {
        snprintf(err, errlen, "internal error: %s/%s is not well-formed JSON", c->opt.out_dir,
                 HL_CELL_FILE_JSON);
        return -1;
    }
    return 0;
}

static void pauses_body(FILE *f, const void *arg)
{
    const hl_cell *c = arg;
    fprintf(f, "generation,pause_ns\n");
    for (int g = 0; g < 3; g++)
        for (size_t k = 0; k < c->gc[g].n_pauses; k++)
            fprintf(f, "%d,%" PRIu64 "\n", g, c->gc[g].pauses_ns[k]);
}

int hl_cell_write_gc_pauses(hl_cell *c, char *err, size_t errlen)
{
    if (atomic_write(c, HL_CELL_FILE_GC_PAUSES, pauses_body, c, err, errlen) != 0)
        return -1;
    c->wrote_gc_pauses = true;
    return 0;
}

static void timeline_body(FILE *f, const void *arg)
{
    const hl_cell *c = arg;
    hl_timeline_write_csv(c->timeline, f);
}

int hl_cell_write_timeline(hl_cell *c, char *err, size_t errlen)
{
    if (c->timeline == NULL)
        return 0;
    if (atomic_write(c, HL_CELL_FILE_TIMELINE, timeline_body, c, err, errlen) != 0)
        return -1;
    c->wrote_timeline = true;
    return 0;
}
