/* cell_main.c - heaplab-cell-<variant>: one measured cell per process.
 *
 * How it works
 * ------------
 * A cell is (backend, workload, parameters, threads, seed).  The driver runs
 * each in a fresh process of the variant whose malloc the backend is
 * (allocators/backend.h), so nothing of one cell's heap leaks into another's
 * numbers.  In this process:
 *
 *   1. parse everything (cell_args.c; one line and exit 2 on bad input) and
 *      check that the process malloc is the variant's (else exit 2);
 *   2. open the allocator: one handle; for object-layer workloads a runtime
 *      on it (object memory and item arrays, CPython's OBJ and MEM domains);
 *   3. take the runtime lock as the workload's lock policy says (the cell
 *      is the lock's one owner), then the workload's set-up (not measured;
 *      failure: exit 4);
 *   4. measure: in time mode first the fixed-work pass (cell_fixed.c), which
 *      gives the memory, GC and timeline figures at the same work for every
 *      backend, then Google Benchmark (cell_time.c); or instructions mode
 *      (cell_instr.c);
 *   5. collect the allocator, GC and timeline figures, verify (failure:
 *      exit 3, recorded in cell.json), collect the workload's metrics, tear
 *      down and release the lock;
 *   6. write gc_pauses.csv, timeline.csv and last cell.json, each
 *      atomically (cell_report.c): the driver takes a cell.json as the sign
 *      that the rest is complete.
 */
#include "cell.h"

#include "fsutil.h"
#include "registry.h"
#include "gc.h"
#include "runtime.h"
#include "timeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "heaplab-cell";

void hl_cell_complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void hl_cell_now_iso(char *out, size_t outlen)
{
    struct timespec ts;
    struct tm tm;
    char base[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000) % 1000u;
    snprintf(out, outlen, "%.20s.%03uZ", base, ms);
}

/* {=====================================================================
 * Before the workload: validation, allocator, runtime
 * ===================================================================== */

static int find_workload(hl_cell *c)
{
    c->wl = hl_workload_find(c->opt.workload);
    if (c->wl == NULL) {
        char list[1024] = "";
        for (size_t i = 0; i < hl_workload_count(); i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     hl_workload_at(i)->name);
        hl_cell_complain("unknown workload '%s' (workloads: %s)", c->opt.workload, list);
        return -1;
    }
    if (hl_cell_resolve_params(c) != 0)
        return -1;
    if (c->wl->forks && c->opt.measure == HL_MEASURE_INSTRUCTIONS) {
        hl_cell_complain("workload %s runs its operations in forked children, which "
                         "--measure instructions does not count: measure it in time mode",
                         c->wl->name);
        return -1;
    }
    if (c->opt.threads != 1 && !c->wl->threaded) {
        hl_cell_complain("workload %s is single-threaded: --threads must be 1", c->wl->name);
        return -1;
    }
    if ((c->opt.have_gc_threshold || c->opt.python_model != NULL ||
         c->opt.n_model_options > 0 || c->opt.call_histogram != NULL) &&
        c->wl->layer != HL_LAYER_OBJECTS) {
        hl_cell_complain("--gc-threshold, --python-model, --model-option and --call-histogram "
                         "apply to object-layer workloads only (%s is raw)",
                         c->wl->name);
        return -1;
    }
    if (c->opt.trace != NULL && c->wl->data == HL_DATA_NONE) {
        hl_cell_complain("--trace: workload %s reads no data file", c->wl->name);
        return -1;
    }
    /* A data file that is not there is bad input; what the workload then
     * refuses in its contents is a set-up failure (exit 4). */
    struct stat st;
    if (c->opt.trace != NULL && (stat(c->opt.trace, &st) != 0 || !S_ISREG(st.st_mode) ||
                                 access(c->opt.trace, R_OK) != 0)) {
        hl_cell_complain("--trace %s: not a readable file (record one with "
                         "scripts/record-trace.sh)", c->opt.trace);
        return -1;
    }
    return 0;
}

/* The sampler is on by default where it is needed: object-layer cells (the
 * memory timeline chart) and threaded cells, whose peak of live bytes can
 * only be sampled (allocators/alloc.h).  Never in instructions mode: its
 * thread would add instructions of its own. */
static void resolve_timeline(hl_cell *c)
{
    bool wanted = c->wl->layer == HL_LAYER_OBJECTS || c->wl->threaded;
    c->timeline_ms = c->opt.timeline_ms >= 0 ? c->opt.timeline_ms
                     : wanted                ? HL_CELL_DEFAULT_TIMELINE_MS
                                             : 0;
    if (c->opt.measure == HL_MEASURE_INSTRUCTIONS)
        c->timeline_ms = 0;
}

/* 0; HL_CELL_EXIT_BAD_INPUT for a spec the backend refuses;
 * HL_CELL_EXIT_SETUP_FAILED when the runtime cannot be made. */
static int open_allocator(hl_cell *c)
{
    char err[256];
    c->n_alloc = 1;
    c->alloc_role[0] = c->wl->layer == HL_LAYER_OBJECTS ? "obj_mem+item_mem" : "raw";
    if (hl_allocator_open(&c->alloc[0], c->opt.backend, err, sizeof err) != 0) {
        hl_cell_complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    if (c->wl->layer != HL_LAYER_OBJECTS)
        return 0;
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    if (c->opt.python_model != NULL &&
        hl_py_profile_parse(c->opt.python_model, &cfg.profile, err, sizeof err) != 0) {
        hl_cell_complain("--python-model: %s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    for (size_t i = 0; i < c->opt.n_model_options; i++) {
        if (hl_rt_config_set(&cfg, c->opt.model_options[i], err, sizeof err) != 0) {
            hl_cell_complain("--model-option: %s", err);
            return HL_CELL_EXIT_BAD_INPUT;
        }
    }
    if (c->opt.have_gc_threshold)
        memcpy(cfg.threshold, c->opt.gc_threshold, sizeof cfg.threshold);
    c->rt = hl_rt_new(&c->alloc[0], &c->alloc[0], &cfg, err, sizeof err);
    if (c->rt == NULL) {
        hl_cell_complain("cannot create the object runtime: %s", err);
        return HL_CELL_EXIT_SETUP_FAILED;
    }
    c->have_gc = true;
    hl_rt_config used;
    hl_rt_get_config(c->rt, &used);
    snprintf(c->python_model, sizeof c->python_model, "%s", hl_py_profile_name(used.profile));
    hl_rt_config_describe(&used, c->model_options, sizeof c->model_options);
    memcpy(c->gc_threshold_used, used.threshold, sizeof c->gc_threshold_used);
    return 0;
}

/* --call-histogram: one run of --iterations N (default: as instructions
 * mode's probe decides) right after set-up, with the object layer counting
 * its allocator calls, written as scripts/trace_stats.py's JSON.  This run
 * comes before the measurement, as a warm-up would.  0, or the exit
 * status. */
static int count_calls(hl_cell *c)
{
    uint64_t n = c->opt.iterations, probe;
    if (n == 0)
        n = hl_cell_default_iterations(c, &probe);
    hl_rt_callstats_start(c->rt);
    uint64_t ops = c->wl->run(c->ctx, n);
    hl_callstats st;
    hl_rt_callstats_stop(c->rt, &st);
    char region[640];
    snprintf(region, sizeof region,
             "heaplab %s run(%llu) after set-up, backend %s, CPython model %s%s%s", c->wl->name,
             (unsigned long long)n, c->opt.backend, c->python_model,
             c->model_options[0] ? ", " : "", c->model_options);
    FILE *f = fopen(c->opt.call_histogram, "w");
    if (f == NULL || hl_callstats_write_json(&st, ops, region, f) != 0 || fclose(f) != 0) {
        hl_cell_complain("--call-histogram %s: cannot write it", c->opt.call_histogram);
        return HL_CELL_EXIT_INTERNAL;
    }
    return 0;
}

/* The lock policy (workload.h), applied by its one owner.  The object layer
 * enters its runtime, which takes the lock; a single-threaded raw workload
 * on a backend that needs the lock holds it across the run, as an
 * interpreter holds the GIL; per-call workloads hold nothing here. */
static void take_lock(hl_cell *c)
{
    if (c->rt != NULL) {
        hl_rt_enter(c->rt);
        c->lock_held = true;
    } else if (c->wl->lock == HL_LOCK_WHOLE_RUN && c->alloc[0].needs_gil) {
        hl_gil_acquire();
        c->lock_held = true;
    }
}

static void release_lock(hl_cell *c)
{
    if (!c->lock_held)
        return;
    if (c->rt != NULL)
        hl_rt_leave(c->rt);
    else
        hl_gil_release();
    c->lock_held = false;
}

/* {=====================================================================
 * Around the measurement: GC counts and the timeline
 * ===================================================================== */

/* The set-up's GC counts, subtracted later (pauses are reset instead). */
static void gc_mark_setup(hl_cell *c)
{
    if (!c->have_gc)
        return;
    hl_gc_stats s[HL_GC_GENERATIONS];
    hl_gc_get_stats(c->rt, s);
    for (int g = 0; g < 3 && g < HL_GC_GENERATIONS; g++) {
        c->gc[g].collections = s[g].collections;
        c->gc[g].collected = s[g].collected;
        c->gc[g].uncollectable = s[g].uncollectable;
    }
    hl_gc_reset_pauses(c->rt);
}

/* Counts over the measured part, and a copy of every pause. */
static void gc_collect(hl_cell *c)
{
    if (!c->have_gc)
        return;
    hl_gc_stats s[HL_GC_GENERATIONS];
    hl_gc_get_stats(c->rt, s);
    for (int g = 0; g < 3 && g < HL_GC_GENERATIONS; g++) {
        hl_cell_gc_gen *gen = &c->gc[g];
        gen->collections = s[g].collections - gen->collections;
        gen->collected = s[g].collected - gen->collected;
        gen->uncollectable = s[g].uncollectable - gen->uncollectable;
        const uint64_t *p;
        size_t n;
        hl_gc_pauses(c->rt, g, &p, &n);
        gen->pauses_ns = n ? malloc(n * sizeof *p) : NULL;
        if (gen->pauses_ns != NULL) {
            memcpy(gen->pauses_ns, p, n * sizeof *p);
            gen->n_pauses = n;
        }
    }
}

static int start_timeline(hl_cell *c)
{
    if (c->timeline_ms <= 0)
        return 0;
    char err[256];
    hl_allocator *as[1] = {&c->alloc[0]};
    c->timeline = hl_timeline_start(as, c->n_alloc, (unsigned)c->timeline_ms, err, sizeof err);
    if (c->timeline == NULL) {
        hl_cell_complain("cannot start the memory timeline: %s", err);
        return -1;
    }
    return 0;
}

/* Allocator figures at the end of the measured part (the memory manager
 * reset the tracked peak; the highest one seen is kept). */
static void collect_allocator(hl_cell *c)
{
    for (size_t i = 0; i < c->n_alloc; i++) {
        hl_allocator_sample(&c->alloc[i]);
        hl_allocator_stats(&c->alloc[i], &c->stats_end[i]);
        if (c->stats_end[i].peak_live_bytes < c->peak_live_seen[i])
            c->stats_end[i].peak_live_bytes = c->peak_live_seen[i];
    }
}

/* {=====================================================================
 * The cell, in order
 * ===================================================================== */

/* Set-up: returns 0, or the exit status. */
static int set_up(hl_cell *c)
{
    char err[512];
    int rc = open_allocator(c);
    if (rc != 0)
        return rc;
    hl_wl_env env = {
        .raw = c->wl->layer == HL_LAYER_RAW ? &c->alloc[0] : NULL,
        .rt = c->rt,
        .threads = (unsigned)c->opt.threads,
        .seed = c->opt.seed,
        .params = c->params,
        .data_path = c->opt.trace,
    };
    take_lock(c);
    c->ctx = c->wl->setup(&env, err, sizeof err);
    if (c->ctx == NULL) {
        hl_cell_complain("set-up of workload %s failed: %s", c->wl->name, err);
        return HL_CELL_EXIT_SETUP_FAILED;
    }
    if (c->opt.call_histogram != NULL && (rc = count_calls(c)) != 0)
        return rc;
    hl_procstat_read(&c->after_setup);
    c->rss_after_setup_kib = c->after_setup.rss_kib;
    hl_gil_reset_stats();
    gc_mark_setup(c);
    return start_timeline(c) == 0 ? 0 : HL_CELL_EXIT_INTERNAL;
}

/* The memory, GC and timeline figures of the pass they describe: the
 * fixed-work pass when there was one, else the measured part. */
static void take_memory_figures(hl_cell *c)
{
    gc_collect(c);
    collect_allocator(c);
    if (c->timeline != NULL)
        hl_timeline_stop(c->timeline);
}

/* The fixed-work pass, then the timed or counted one. */
static int measure(hl_cell *c)
{
    if (c->opt.measure == HL_MEASURE_INSTRUCTIONS)
        return hl_cell_measure_instructions(c);
    int rc = hl_cell_fixed_pass(c);
    if (rc != HL_CELL_EXIT_OK)
        return rc;
    if (c->fixed_done)
        take_memory_figures(c);
    return hl_cell_measure_time(c);
}

/* A fault-injection backend (kind FAULT) that injected no fault measured a
 * sound allocator: true, with why, when the cell must not count. */
static bool injected_nothing(const hl_cell *c, char *why, size_t whylen)
{
    for (size_t i = 0; i < c->n_alloc; i++) {
        const hl_backend_row *row = hl_registry_row(c->alloc[i].backend);
        if (!row || row->kind != HL_KIND_FAULT)
            continue;
        char stat[64];
        snprintf(stat, sizeof stat, "%s.injected", row->name);
        const hl_alloc_stats *s = &c->stats_end[i];
        for (size_t k = 0; k < s->n_native; k++)
            if (strcmp(s->native[k].name, stat) == 0 && s->native[k].value == 0) {
                snprintf(why, whylen, "%s injected no fault in this cell: the workload keeps "
                                      "no block live across allocator calls at these "
                                      "parameters, so there was nothing to corrupt; not a "
                                      "measurement (give fail_every=N, or a workload or "
                                      "parameters that keep blocks live)", row->name);
                return true;
            }
    }
    return false;
}

/* After measuring: figures, verification, metrics, tear-down. */
static void finish(hl_cell *c)
{
    char err[512];
    hl_gil_get_stats(&c->gil);
    if (!c->fixed_done)
        take_memory_figures(c);
    if (c->wl->verify(c->ctx, err, sizeof err) != 0) {
        c->status = HL_CELL_STATUS_VERIFY_FAILED;
        snprintf(c->message, sizeof c->message, "%s", err);
    } else if (injected_nothing(c, err, sizeof err)) {
        c->status = HL_CELL_STATUS_BENCH_ERROR;
        snprintf(c->message, sizeof c->message, "%s", err);
    }
    if (c->wl->metrics != NULL)
        c->n_metrics = c->wl->metrics(c->ctx, c->metrics, HL_CELL_MAX_METRICS);
    hl_procstat_delta(&c->before_measure, &c->after_measure, &c->measured);
    c->wl->teardown(c->ctx);
    c->ctx = NULL;
    release_lock(c);
    if (c->rt != NULL) {
        hl_rt_free(c->rt);
        c->rt = NULL;
    }
    for (size_t i = 0; i < c->n_alloc; i++) {
        hl_alloc_stats st;
        hl_allocator_stats(&c->alloc[i], &st);
        c->live_after_teardown[i] = st.live_bytes;
    }
    hl_cell_now_iso(c->finished, sizeof c->finished);
}

/* The result files, cell.json last; returns the exit status. */
static int report(hl_cell *c)
{
    char err[512];
    if ((c->have_gc && hl_cell_write_gc_pauses(c, err, sizeof err) != 0) ||
        hl_cell_write_timeline(c, err, sizeof err) != 0 ||
        hl_cell_write_json(c, err, sizeof err) != 0) {
        hl_cell_complain("%s", err);
        return HL_CELL_EXIT_INTERNAL;
    }
    if (strcmp(c->status, HL_CELL_STATUS_OK) == 0)
        return HL_CELL_EXIT_OK;
    if (strcmp(c->status, HL_CELL_STATUS_VERIFY_FAILED) == 0)
        hl_cell_complain("verification of %s on %s failed: %s", c->wl->name, c->opt.backend,
                         c->message);
    else
        hl_cell_complain("%s on %s: %s", c->wl->name, c->opt.backend, c->message);
    return HL_CELL_EXIT_VERIFY;
}

static hl_cell cell; /* large (repetitions): static, not on the stack */

int main(int argc, char **argv)
{
    char err[512];
    const char *slash = strrchr(argv[0], '/');
    prog = slash ? slash + 1 : argv[0];

    hl_cell *c = &cell;
    c->argc = argc;
    c->argv = argv;
    c->status = HL_CELL_STATUS_OK;
    hl_cell_now_iso(c->started, sizeof c->started);
    hl_procstat_read(&c->at_start);
    c->rss_baseline_kib = c->at_start.rss_kib;

    int rc = hl_cell_parse_args(&c->opt, argc, argv);
    if (rc != 0)
        return rc > 0 ? HL_CELL_EXIT_OK : HL_CELL_EXIT_BAD_INPUT;
    if (c->opt.describe)
        return hl_cell_describe(c->opt.json);

    c->variant = hl_registry_variant();
    if (hl_registry_check_process(err, sizeof err) != 0) {
        hl_cell_complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    if (find_workload(c) != 0)
        return HL_CELL_EXIT_BAD_INPUT;
    resolve_timeline(c);
    if (hl_mkdir_p(c->opt.out_dir, err, sizeof err) != 0) {
        hl_cell_complain("--out: %s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    rc = set_up(c);
    if (rc != 0)
        return rc;
    rc = measure(c);
    if (rc != HL_CELL_EXIT_OK)
        return rc;
    finish(c);
    rc = report(c);
    for (int g = 0; g < 3; g++)
        free(c->gc[g].pauses_ns);
    hl_timeline_free(c->timeline);
    return rc;
}
