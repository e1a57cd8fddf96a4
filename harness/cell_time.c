/* cell_time.c - time mode: Google Benchmark drives workload->run(ctx, n)
 * through the C shim (bench.h).
 *
 * How it works
 * ------------
 * The cell registers one benchmark whose body hands the shim's whole
 * iteration batch to run() (nothing crosses the language boundary per
 * iteration) and reports the operations run() performed as items
 * processed, so Google Benchmark's figures become time per operation.
 * Repetitions, warm-up (MinWarmUpTime) and the min-time loop are Google
 * Benchmark's.  A memory manager hook reads the backend's own accounting
 * (alloc.h) between Google Benchmark's start and stop of its memory run,
 * which gives allocations per operation without interposing malloc.
 * The process readings bracket the whole measurement: every run in it,
 * including the iteration-count estimation runs, the warm-up and the
 * memory manager's extra run.
 *
 * Samples (--samples K).  On a shared machine a process's single window
 * of min-time mixes quiet and disturbed stretches (a neighbour's burst of
 * memory traffic slows a 10 ms stretch by 5-12%, `heaplab check`'s
 * timing_steadiness).  With K > 1 the window is cut into K samples of
 * equal work and the process reports their median, which a burst in fewer
 * than half of them does not move.  Sample 1 is Google Benchmark's own
 * run at min-time / K (warm-up, iteration-count estimation, memory run,
 * gbench.json); samples 2..K rerun exactly its iteration count
 * (->Iterations), without estimation, warm-up or memory run, so that
 * every sample is the same work and the split costs no extra time.
 * Where one iteration is longer than a sample (glibc_simple, replay: one
 * iteration of 50-110 ms), samples as long as the first would multiply
 * the process's time, so only as many follow as fit in min-time.
 * Threaded workloads always measure one window: their figure depends on
 * the window's length (thread caches fill and drain, GIL convoys form),
 * so a shorter sample measures something else.  Measured 2026-12-02, two
 * runs of 18 workloads x 6 backends, 5 processes per cell: with 5 samples
 * the run-to-run change of single-threaded ratios fell from 2.7% to 1.3%
 * (median) and from 13% to 9% (p90), with the ratios themselves unchanged
 * (geometric mean 1.003); cut into 10 ms samples, cache_scratch/tcmalloc
 * went from 0.99x to 3.7x system, which is why threaded cells do not.
 */
#include "cell.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void cell_benchmark(hl_bench_state *st, void *arg)
{
    hl_cell *c = arg;
    uint64_t n, iterations = 0, ops = 0;
    while ((n = hl_bench_next_batch(st)) != 0) {
        ops += c->wl->run(c->ctx, n);
        iterations += n;
    }
    for (size_t i = 0; i < c->n_alloc; i++)
        hl_allocator_sample(&c->alloc[i]);
    if (ops < iterations) {
        char msg[200];
        snprintf(msg, sizeof msg, "workload %s performed %" PRIu64 " operations in %" PRIu64
                 " iterations (run() must return >= n)", c->wl->name, ops, iterations);
        hl_bench_skip_with_error(st, msg);
        return;
    }
    hl_bench_set_items_processed(st, (int64_t)ops);
    hl_bench_set_counter(st, "operations", (double)ops, 0);
}

/* Memory manager: the backend's own accounting between start and stop
 * (summed over the cell's handles). */
typedef struct mem_snapshot {
    uint64_t allocs, requested;
    int64_t live;
} mem_snapshot;

static mem_snapshot mem_at_start;

static void sum_stats(hl_cell *c, mem_snapshot *s, uint64_t *peak)
{
    memset(s, 0, sizeof *s);
    if (peak)
        *peak = 0;
    for (size_t i = 0; i < c->n_alloc; i++) {
        hl_alloc_stats st;
        hl_allocator_stats(&c->alloc[i], &st);
        s->allocs += st.allocs;
        s->requested += st.requested_bytes;
        s->live += st.live_bytes;
        if (peak) {
            *peak += st.peak_live_bytes;
            if (st.peak_live_bytes > c->peak_live_seen[i])
                c->peak_live_seen[i] = st.peak_live_bytes;
        }
    }
}

static void mem_start(void *arg)
{
    hl_cell *c = arg;
    uint64_t ignored;
    sum_stats(c, &mem_at_start, &ignored); /* saves the peaks so far */
    for (size_t i = 0; i < c->n_alloc; i++)
        hl_allocator_reset_peak(&c->alloc[i]);
}

static void mem_stop(void *arg, hl_bench_mem_result *out)
{
    hl_cell *c = arg;
    mem_snapshot now;
    uint64_t peak;
    sum_stats(c, &now, &peak);
    out->num_allocs = (int64_t)(now.allocs - mem_at_start.allocs);
    out->max_bytes_used = (int64_t)peak;
    out->total_allocated_bytes = (int64_t)(now.requested - mem_at_start.requested);
    out->net_heap_growth = now.live - mem_at_start.live;
}

/* The rows of the last hl_bench_run, appended to c->reps. */
static void collect_runs(hl_cell *c)
{
    for (size_t i = 0; i < hl_bench_result_count() && c->n_reps < HL_CELL_MAX_REPS; i++) {
        const hl_bench_result *r = hl_bench_result_at(i);
        if (r->aggregate || strcmp(r->family, c->wl->name) != 0)
            continue;
        hl_cell_rep *rep = &c->reps[c->n_reps++];
        memset(rep, 0, sizeof *rep);
        rep->iterations = r->iterations;
        rep->operations = (uint64_t)hl_bench_result_counter(r, "operations", 0);
        rep->real_ns_per_iter = r->real_ns;
        rep->cpu_ns_per_iter = r->cpu_ns;
        if (rep->operations > 0) {
            double scale = (double)rep->iterations / (double)rep->operations;
            rep->ns_per_op = r->real_ns * scale;
            rep->cpu_ns_per_op = r->cpu_ns * scale;
        }
        rep->has_memory = r->has_memory;
        rep->memory = r->memory;
        /* allocs_per_iter is per Google Benchmark iteration; per operation
         * assumes the memory run's operations per iteration match the rep's. */
        rep->allocs_per_op = r->has_memory && rep->iterations > 0 && rep->operations > 0
                                 ? r->allocs_per_iter * (double)rep->iterations /
                                       (double)rep->operations
                                 : NAN;
        rep->error = r->error;
        snprintf(rep->error_message, sizeof rep->error_message, "%s", r->error_message);
        if (r->error && strcmp(c->status, HL_CELL_STATUS_OK) == 0) {
            c->status = HL_CELL_STATUS_BENCH_ERROR;
            snprintf(c->message, sizeof c->message, "%s", r->error_message);
        }
    }
}

/* One hl_bench_run of the cell's benchmark with options o; the memory
 * hooks and gbench.json only when `first`. */
static int run_phase(hl_cell *c, const hl_bench_options *o, bool first)
{
    char err[512], path[4200];
    hl_bench_clear();
    if (hl_bench_register(c->wl->name, cell_benchmark, c, o, err, sizeof err) != 0) {
        hl_cell_complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    hl_bench_mem_hooks hooks = {mem_start, mem_stop, c};
    hl_bench_set_memory_hooks(first ? &hooks : NULL);
    snprintf(path, sizeof path, "%s/" HL_CELL_FILE_GBENCH, c->opt.out_dir);
    hl_bench_set_json_out(first ? path : NULL);
    hl_bench_set_quiet(c->opt.quiet);

    char *gb_argv[HL_CELL_MAX_GB_ARGS + 2];
    int gb_argc = 0;
    gb_argv[gb_argc++] = c->argv[0];
    for (int i = 0; i < c->opt.n_gb_args; i++)
        gb_argv[gb_argc++] = c->opt.gb_args[i];
    gb_argv[gb_argc] = NULL;
    int matched = hl_bench_run(gb_argc, gb_argv, err, sizeof err);
    hl_bench_set_memory_hooks(NULL);
    if (matched < 0) {
        hl_cell_complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    if (matched == 0) {
        hl_cell_complain("a --benchmark_filter excluded the cell's benchmark '%s'", c->wl->name);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    collect_runs(c);
    return HL_CELL_EXIT_OK;
}

uint64_t hl_cell_samples_wanted(const hl_cell *c)
{
    return c->wl->threaded ? 1 : c->opt.samples;
}

/* How many samples follow the first one (of `iterations` iterations in
 * real time first_s, for a sample budget of min_time / wanted): all,
 * unless one iteration is so long that the first sample, a single
 * iteration, overshot its budget twice; then what fits in min_time.  A
 * sample of many iterations that overshot was slowed by the machine, not
 * coarse: on a loaded machine (tests under ctest -j2 beside other jobs)
 * pairs' 5 ms samples took over 10 ms and lost their followers. */
static uint64_t samples_to_follow(const hl_cell *c, uint64_t wanted, uint64_t iterations,
                                  double first_s)
{
    double budget = c->opt.min_time_s / (double)wanted;
    if (wanted <= 1 || !(first_s > 0))
        return 0;
    if (iterations > 1 || first_s <= 2 * budget)
        return wanted - 1;
    double fit = floor(c->opt.min_time_s / first_s + 0.5);
    return fit > 1 ? (uint64_t)fit - 1 : 0;
}

int hl_cell_measure_time(hl_cell *c)
{
    uint64_t wanted = hl_cell_samples_wanted(c);
    hl_bench_options o = {
        .repetitions = c->opt.repetitions,
        .min_time = c->opt.min_time_s / (double)wanted,
        /* the fixed-work pass already warmed the process up */
        .min_warmup_time = c->opt.warmup_time_s > c->fixed.wall_s
                               ? c->opt.warmup_time_s - c->fixed.wall_s
                               : 0,
        .use_real_time = c->wl->threaded,
        .measure_process_cpu_time = true,
    };
    hl_bench_add_context("heaplab_variant", c->variant);
    hl_bench_add_context("heaplab_backend", c->opt.backend);
    hl_bench_add_context("heaplab_workload", c->wl->name);

    hl_procstat_read(&c->before_measure);
    int rc = run_phase(c, &o, true);
    if (rc == HL_CELL_EXIT_OK && c->n_reps == 1 && !c->reps[0].error) {
        const hl_cell_rep *first = &c->reps[0];
        uint64_t more = samples_to_follow(c, wanted, first->iterations,
                                          first->real_ns_per_iter * (double)first->iterations / 1e9);
        if (more > 0) {
            hl_bench_options rest = {
                .repetitions = (int)more,
                .iterations = first->iterations,
                .use_real_time = o.use_real_time,
                .measure_process_cpu_time = true,
            };
            rc = run_phase(c, &rest, false);
        }
    }
    hl_procstat_read(&c->after_measure);
    return rc;
}
