/* cell_report.c - the cell's result files: cell.json (written atomically)
 * and gc_pauses.csv.  The schema is documented field by field in
 * docs/results-format.md ("Cell result"); keep the two in step.
 *
 * Summary statistics over repetitions follow harness/stats.h's conventions
 * (median and percentiles by linear interpolation, Hyndman & Fan type 7;
 * stddev with n - 1; cv = stddev / mean as a fraction).
 */
#include "cell.h"

#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef HL_GIT_COMMIT
#define HL_GIT_COMMIT "unknown"
#endif
#ifndef HL_BUILD_TYPE
#define HL_BUILD_TYPE "unknown"
#endif

double hl_cell_percentile_sorted(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * p / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* mean, median, stddev, cv, min, max of x[0..n) into an object `key`. */
static void write_summary(hl_jw *w, const char *key, const double *x, size_t n)
{
    double sorted[HL_CELL_MAX_REPS];
    double sum = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            sorted[m++] = x[i];
    qsort(sorted, m, sizeof sorted[0], cmp_double);
    for (size_t i = 0; i < m; i++)
        sum += sorted[i];
    double mean = m ? sum / (double)m : NAN, ss = 0;
    for (size_t i = 0; i < m; i++)
        ss += (sorted[i] - mean) * (sorted[i] - mean);
    double sd = m > 1 ? sqrt(ss / (double)(m - 1)) : NAN;
    hl_jw_obj_begin(w, key);
    hl_jw_int(w, "n", (int64_t)m);
    hl_jw_num(w, "mean", mean);
    hl_jw_num(w, "median", hl_cell_percentile_sorted(sorted, m, 50));
    hl_jw_num(w, "stddev", sd);
    hl_jw_num(w, "cv", m > 1 && mean != 0 ? sd / mean : NAN);
    hl_jw_num(w, "min", m ? sorted[0] : NAN);
    hl_jw_num(w, "max", m ? sorted[m - 1] : NAN);
    hl_jw_obj_end(w);
}

static double median_of(const double *x, size_t n)
{
    double sorted[HL_CELL_MAX_REPS];
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            sorted[m++] = x[i];
    qsort(sorted, m, sizeof sorted[0], cmp_double);
    return hl_cell_percentile_sorted(sorted, m, 50);
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

static void write_gc(hl_jw *w, const hl_cell *c)
{
    uint64_t collections = 0, collected = 0, uncollectable = 0;
    size_t n_all = 0;
    for (int g = 0; g < 3; g++) {
        collections += c->gc[g].collections;
        collected += c->gc[g].collected;
        uncollectable += c->gc[g].uncollectable;
        n_all += c->gc[g].n_pauses;
    }
    double *all = n_all ? malloc(n_all * sizeof *all) : NULL;
    size_t m = 0;
    double total = 0;
    if (all != NULL)
        for (int g = 0; g < 3; g++)
            for (size_t k = 0; k < c->gc[g].n_pauses; k++) {
                all[m++] = (double)c->gc[g].pauses_ns[k] / 1e6;
                total += (double)c->gc[g].pauses_ns[k] / 1e6;
            }
    if (m)
        qsort(all, m, sizeof *all, cmp_double);
    hl_jw_obj_begin(w, "gc");
    hl_jw_uint(w, "collections", collections);
    hl_jw_uint(w, "collected", collected);
    hl_jw_uint(w, "uncollectable", uncollectable);
    hl_jw_uint(w, "pause_count", m);
    hl_jw_num(w, "pause_total_ms", total);
    hl_jw_num(w, "pause_max_ms", m ? all[m - 1] : 0);
    hl_jw_num(w, "pause_p50_ms", m ? hl_cell_percentile_sorted(all, m, 50) : 0);
    hl_jw_num(w, "pause_p99_ms", m ? hl_cell_percentile_sorted(all, m, 99) : 0);
    free(all);
    hl_jw_arr_begin(w, "generations");
    for (int g = 0; g < 3; g++) {
        const hl_cell_gc_gen *gen = &c->gc[g];
        double gtotal = 0;
        for (size_t k = 0; k < gen->n_pauses; k++)
            gtotal += (double)gen->pauses_ns[k] / 1e6;
        double *ms = gen->n_pauses ? malloc(gen->n_pauses * sizeof *ms) : NULL;
        size_t gm = 0;
        if (ms != NULL)
            for (size_t k = 0; k < gen->n_pauses; k++)
                ms[gm++] = (double)gen->pauses_ns[k] / 1e6;
        if (gm)
            qsort(ms, gm, sizeof *ms, cmp_double);
        hl_jw_obj_begin(w, NULL);
        hl_jw_int(w, "generation", g);
        hl_jw_uint(w, "collections", gen->collections);
        hl_jw_uint(w, "collected", gen->collected);
        hl_jw_uint(w, "uncollectable", gen->uncollectable);
        hl_jw_uint(w, "pause_count", gm);
        hl_jw_num(w, "pause_total_ms", gtotal);
        hl_jw_num(w, "pause_max_ms", gm ? ms[gm - 1] : 0);
        hl_jw_num(w, "pause_p50_ms", gm ? hl_cell_percentile_sorted(ms, gm, 50) : 0);
        hl_jw_num(w, "pause_p99_ms", gm ? hl_cell_percentile_sorted(ms, gm, 99) : 0);
        hl_jw_obj_end(w);
        free(ms);
    }
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
}

static void write_document(hl_jw *w, const hl_cell *c)
{
    const hl_backend *b = c->alloc[0].backend;
    char host[256] = "";
    gethostname(host, sizeof host - 1);

    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "format", "heaplab-cell");
    hl_jw_int(w, "format_version", 1);
    hl_jw_str(w, "status", c->status);
    hl_jw_str(w, "message", strcmp(c->status, "ok") == 0 ? NULL : c->message);
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

    hl_jw_obj_begin(w, "config");
    hl_jw_uint(w, "threads", c->opt.threads);
    hl_jw_uint(w, "seed", c->opt.seed);
    hl_jw_str(w, "suite_size", c->opt.quick ? "quick" : "full");
    hl_jw_str(w, "measure", c->opt.measure == HL_MEASURE_TIME ? "time" : "instructions");
    hl_jw_int(w, "repetitions", c->opt.repetitions);
    hl_jw_num(w, "min_time_s", c->opt.min_time_s);
    hl_jw_num(w, "warmup_time_s", c->opt.warmup_time_s);
    hl_jw_int(w, "timeline_ms", c->timeline_ms);
    hl_jw_str(w, "trace", c->opt.trace);
    if (c->have_gc) {
        hl_jw_arr_begin(w, "gc_threshold");
        for (int i = 0; i < 3; i++)
            hl_jw_uint(w, NULL, c->opt.have_gc_threshold ? c->opt.gc_threshold[i]
                                : i == 0 ? 700 : 10);
        hl_jw_arr_end(w);
    }
    hl_jw_obj_end(w);

    hl_jw_arr_begin(w, "command_line");
    for (int i = 0; i < c->argc; i++)
        hl_jw_str(w, NULL, c->argv[i]);
    hl_jw_arr_end(w);

    hl_jw_obj_begin(w, "run");
    hl_jw_str(w, "started", c->started);
    hl_jw_str(w, "finished", c->finished);
    hl_jw_str(w, "host", host);
    hl_jw_int(w, "pid", (int64_t)getpid());
    hl_jw_str(w, "git_commit", HL_GIT_COMMIT);
    hl_jw_str(w, "build_type", HL_BUILD_TYPE);
    hl_jw_str(w, "google_benchmark", hl_bench_library_version());
    hl_jw_obj_end(w);

    if (c->opt.measure == HL_MEASURE_TIME) {
        write_time(w, c);
    } else {
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

    const hl_procstat *m = &c->measured;
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

    uint64_t peak_live = 0;
    int64_t live_end = 0;
    for (size_t i = 0; i < c->n_alloc; i++) {
        peak_live += c->stats_end[i].peak_live_bytes;
        live_end += c->stats_end[i].live_bytes;
    }
    double peak_rss_bytes = (double)(m->hwm_kib > 0 ? m->hwm_kib : (int64_t)m->maxrss_kib) * 1024;
    hl_jw_obj_begin(w, "memory");
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

    hl_jw_obj_begin(w, "workload_metrics");
    for (size_t i = 0; i < c->n_metrics; i++)
        hl_jw_num(w, c->metrics[i].name, c->metrics[i].value);
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "workload_metric_units");
    for (size_t i = 0; i < c->n_metrics; i++)
        hl_jw_str(w, c->metrics[i].name, c->metrics[i].unit ? c->metrics[i].unit : "");
    hl_jw_obj_end(w);

    hl_jw_obj_begin(w, "files");
    hl_jw_str(w, "gbench", c->opt.measure == HL_MEASURE_TIME ? "gbench.json" : NULL);
    hl_jw_str(w, "timeline", c->wrote_timeline ? "timeline.csv" : NULL);
    hl_jw_str(w, "gc_pauses", c->wrote_gc_pauses ? "gc_pauses.csv" : NULL);
    hl_jw_obj_end(w);

    hl_jw_obj_end(w);
}

/* Writes path through path.tmp: fflush, fsync, rename. */
static int atomic_write(const char *path, void (*body)(FILE *, const void *), const void *arg,
                        char *err, size_t errlen)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    body(f, arg);
    int bad = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    if (fclose(f) != 0)
        bad = 1;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
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
    char path[4200];
    snprintf(path, sizeof path, "%s/cell.json", c->opt.out_dir);
    json_ok = false;
    if (atomic_write(path, json_body, c, err, errlen) != 0)
        return -1;
    if (!json_ok) {
        snprintf(err, errlen, "internal error: %s is not well-formed JSON", path);
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
    char path[4200];
    snprintf(path, sizeof path, "%s/gc_pauses.csv", c->opt.out_dir);
    if (atomic_write(path, pauses_body, c, err, errlen) != 0)
        return -1;
    c->wrote_gc_pauses = true;
    return 0;
}
