/* test_shim.c - the C API over Google Benchmark (harness/bench.h).
 *
 * Each test registers its own benchmarks, runs them with an explicit filter
 * and explicit flag values (Google Benchmark's flags are process-wide and
 * persist from one run to the next), and checks both the C result table and
 * the JSON file Google Benchmark wrote.  Nothing here asserts a duration
 * except the pause test, whose bounds are a sleep (a floor the OS guarantees)
 * and half of it.
 *
 *     test_shim TMPDIR
 */
#include "bench.h"
#include "hl_test.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>

static char tmpdir[512];
static char json_path[600];

static void make_json_path(const char *test)
{
    snprintf(json_path, sizeof json_path, "%s/%s.json", tmpdir, test);
}

/* Runs the benchmarks whose name matches `filter` (a regex), JSON to
 * json_path.  Returns what hl_bench_run returns. */
static int run_filter(const char *filter)
{
    char f[256];
    snprintf(f, sizeof f, "--benchmark_filter=%s", filter);
    char *argv[] = {"test_shim",
                    f,
                    "--benchmark_repetitions=1",
                    "--benchmark_min_warmup_time=0",
                    "--benchmark_min_time=0.01",
                    "--benchmark_report_aggregates_only=false",
                    "--benchmark_enable_random_interleaving=false",
                    NULL};
    char err[256];
    hl_bench_set_json_out(json_path);
    hl_bench_set_quiet(true);
    int n = hl_bench_run(7, argv, err, sizeof err);
    if (n < 0)
        printf("  hl_bench_run: %s\n", err);
    return n;
}

/* The JSON entry of run `name` with repetition index rep (-1: any), or
 * aggregate agg (NULL: an iteration run). */
static const hl_json *find_run(const hl_json *doc, const char *name, int rep, const char *agg)
{
    const hl_json *runs = hl_json_get(doc, "benchmarks");
    for (size_t i = 0; i < hl_json_len(runs); i++) {
        const hl_json *r = hl_json_at(runs, i);
        if (strcmp(hl_json_get_str(r, "run_name", ""), name) != 0)
            continue;
        const char *type = hl_json_get_str(r, "run_type", "");
        if (agg == NULL && strcmp(type, "iteration") == 0 &&
            (rep < 0 || hl_json_get_num(r, "repetition_index", -1) == rep))
            return r;
        if (agg != NULL && strcmp(type, "aggregate") == 0 &&
            strcmp(hl_json_get_str(r, "aggregate_name", ""), agg) == 0)
            return r;
    }
    return NULL;
}

static const hl_bench_result *find_result(const char *family, int rep, const char *agg)
{
    for (size_t i = 0; i < hl_bench_result_count(); i++) {
        const hl_bench_result *r = hl_bench_result_at(i);
        if (strcmp(r->family, family) != 0)
            continue;
        if (agg == NULL && !r->aggregate && (rep < 0 || r->repetition_index == rep))
            return r;
        if (agg != NULL && r->aggregate && strcmp(r->aggregate_name, agg) == 0)
            return r;
    }
    return NULL;
}

static bool close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

/* ---- the loop runs exactly what Google Benchmark asks for ---------------- */

typedef struct loop_log {
    uint64_t calls;
    uint64_t asked[64];   /* hl_bench_iterations per call */
    uint64_t granted[64]; /* what hl_bench_next_batch returned first */
    uint64_t ran[64];     /* body executions per call */
    uint64_t extra_batches;
} loop_log;

static void bm_counting(hl_bench_state *st, void *arg)
{
    loop_log *log = arg;
    uint64_t c = log->calls < 64 ? log->calls : 63;
    log->asked[c] = hl_bench_iterations(st);
    uint64_t n, batches = 0, ran = 0;
    volatile uint64_t x = 0;
    while ((n = hl_bench_next_batch(st)) != 0) {
        if (batches++ == 0)
            log->granted[c] = n;
        for (uint64_t i = 0; i < n; i++) {
            x = x + 1;
            ran++;
        }
    }
    if (batches != 1)
        log->extra_batches++;
    log->ran[c] = ran;
    log->calls++;
}

TEST(fixed_iterations_run_exactly)
{
    static loop_log log;
    memset(&log, 0, sizeof log);
    char err[256];
    hl_bench_clear();
    hl_bench_options o = {.iterations = 37};
    REQUIRE(hl_bench_register("fixed37", bm_counting, &log, &o, err, sizeof err) == 0);
    make_json_path("fixed");
    CHECK(run_filter("^fixed37(/|$)") == 1);
    CHECK_EQ_U64(log.calls, 1);
    CHECK_EQ_U64(log.asked[0], 37);
    CHECK_EQ_U64(log.granted[0], 37);
    CHECK_EQ_U64(log.ran[0], 37);
    CHECK_EQ_U64(log.extra_batches, 0);
    const hl_bench_result *r = find_result("fixed37", 0, NULL);
    REQUIRE(r != NULL);
    CHECK_EQ_U64(r->iterations, 37);
    CHECK(!r->error);
    CHECK(r->real_ns > 0 && r->cpu_ns >= 0);
}

TEST(time_based_runs_match_reported_iterations)
{
    static loop_log log;
    memset(&log, 0, sizeof log);
    char err[256];
    hl_bench_clear();
    hl_bench_options o = {.min_time = 0.005};
    REQUIRE(hl_bench_register("timed", bm_counting, &log, &o, err, sizeof err) == 0);
    make_json_path("timed");
    CHECK(run_filter("^timed(/|$)") == 1);
    REQUIRE(log.calls >= 1 && log.calls < 64);
    for (uint64_t i = 0; i < log.calls; i++) {
        CHECK_EQ_U64(log.granted[i], log.asked[i]);
        CHECK_EQ_U64(log.ran[i], log.asked[i]);
    }
    CHECK_EQ_U64(log.extra_batches, 0);
    /* The reported run is the last one Google Benchmark made. */
    const hl_bench_result *r = find_result("timed", 0, NULL);
    REQUIRE(r != NULL);
    CHECK_EQ_U64(r->iterations, log.asked[log.calls - 1]);
    char err2[256];
    hl_json *doc = hl_json_parse_file(json_path, err2, sizeof err2);
    REQUIRE(doc != NULL);
    const hl_json *j = find_run(doc, "timed/min_time:0.005", 0, NULL);
    CHECK(j != NULL);
    CHECK_EQ_U64((uint64_t)hl_json_get_num(j, "iterations", 0), r->iterations);
    hl_json_free(doc);
}

/* ---- items processed, counters, label in the JSON ------------------------ */

static void bm_counters(hl_bench_state *st, void *arg)
{
    uint64_t n, total = 0;
    while ((n = hl_bench_next_batch(st)) != 0)
        for (uint64_t i = 0; i < n; i++) {
            uint64_t v = i;
            HL_BENCH_DO_NOT_OPTIMIZE(v);
            total++;
        }
    hl_bench_set_items_processed(st, (int64_t)(3 * total));
    hl_bench_set_counter(st, "plain", 42.5, 0);
    hl_bench_set_counter(st, "per_iter", 5.0 * (double)total, HL_BENCH_COUNTER_AVG_ITERATIONS);
    hl_bench_set_counter(st, "twice", 1, 0);
    hl_bench_set_counter(st, "twice", 2, 0);
    hl_bench_set_counter(st, "inv_per_iter", (double)total / 4.0,
                         HL_BENCH_COUNTER_AVG_ITERATIONS | HL_BENCH_COUNTER_INVERT);
    hl_bench_set_counter(st, "rate", 1000, HL_BENCH_COUNTER_RATE);
    hl_bench_set_label(st, "hello label");
}

TEST(items_counters_label_in_json)
{
    char err[256];
    hl_bench_clear();
    hl_bench_options o = {.iterations = 1000};
    REQUIRE(hl_bench_register("counters", bm_counters, NULL, &o, err, sizeof err) == 0);
    make_json_path("counters");
    REQUIRE(run_filter("^counters(/|$)") == 1);
    const hl_bench_result *r = find_result("counters", 0, NULL);
    REQUIRE(r != NULL);
    CHECK_EQ_U64(r->iterations, 1000);
    CHECK_STR(r->label, "hello label");
    CHECK(hl_bench_result_counter(r, "plain", -1) == 42.5);
    CHECK(hl_bench_result_counter(r, "per_iter", -1) == 5.0);
    CHECK(hl_bench_result_counter(r, "twice", -1) == 2);
    CHECK(hl_bench_result_counter(r, "inv_per_iter", -1) == 4.0);
    CHECK(hl_bench_result_counter(r, "missing", -7) == -7);
    /* Rates divide by the run's CPU time (no UseRealTime): seconds =
     * cpu_ns * iterations / 1e9. */
    double seconds = r->cpu_ns * (double)r->iterations / 1e9;
    double items = hl_bench_result_counter(r, "items_per_second", -1);
    CHECK_MSG(seconds > 0 && close_rel(items, 3000.0 / seconds, 1e-9), "items %g vs %g", items,
              3000.0 / seconds);
    CHECK(close_rel(hl_bench_result_counter(r, "rate", -1), 1000.0 / seconds, 1e-9));

    hl_json *doc = hl_json_parse_file(json_path, err, sizeof err);
    REQUIRE(doc != NULL);
    const hl_json *j = find_run(doc, "counters/iterations:1000", 0, NULL);
    REQUIRE(j != NULL);
    CHECK_EQ_U64((uint64_t)hl_json_get_num(j, "iterations", 0), 1000);
    CHECK(hl_json_get_num(j, "plain", -1) == 42.5);
    CHECK(hl_json_get_num(j, "per_iter", -1) == 5.0);
    CHECK(hl_json_get_num(j, "twice", -1) == 2);
    CHECK(hl_json_get_num(j, "inv_per_iter", -1) == 4.0);
    /* The JSON prints 17 significant digits: the same double. */
    CHECK(hl_json_get_num(j, "items_per_second", -1) == items);
    CHECK_STR(hl_json_get_str(j, "label", NULL), "hello label");
    CHECK(hl_json_get_num(j, "cpu_time", -1) == r->cpu_ns); /* time_unit ns */
    CHECK_STR(hl_json_get_str(j, "time_unit", NULL), "ns");
    hl_json_free(doc);
}

/* ---- repetitions give aggregates ----------------------------------------- */

static void bm_reps(hl_bench_state *st, void *arg)
{
    uint64_t n;
    while ((n = hl_bench_next_batch(st)) != 0)
        for (uint64_t i = 0; i < n; i++)
            hl_bench_clobber_memory();
    hl_bench_set_counter(st, "k", 7, 0);
}

TEST(repetitions_produce_aggregates)
{
    char err[256];
    hl_bench_clear();
    hl_bench_options o = {.iterations = 50, .repetitions = 3};
    REQUIRE(hl_bench_register("reps", bm_reps, NULL, &o, err, sizeof err) == 0);
    hl_bench_options a = {.iterations = 50, .repetitions = 4, .report_aggregates_only = true};
    REQUIRE(hl_bench_register("repsagg", bm_reps, NULL, &a, err, sizeof err) == 0);
    make_json_path("reps");
    REQUIRE(run_filter("^reps") == 2);

    size_t iter_runs = 0, agg_runs = 0;
    for (size_t i = 0; i < hl_bench_result_count(); i++) {
        const hl_bench_result *r = hl_bench_result_at(i);
        if (strcmp(r->family, "reps") != 0)
            continue;
        if (r->aggregate) {
            agg_runs++;
            CHECK(r->repetition_index == -1);
        } else {
            CHECK(r->repetition_index == (int64_t)iter_runs);
            iter_runs++;
        }
        CHECK(r->repetitions == 3);
    }
    CHECK_EQ_U64(iter_runs, 3);
    CHECK_EQ_U64(agg_runs, 4); /* mean, median, stddev, cv */
    const hl_bench_result *mean = find_result("reps", -1, "mean");
    const hl_bench_result *cv = find_result("reps", -1, "cv");
    REQUIRE(mean != NULL && cv != NULL);
    CHECK(find_result("reps", -1, "median") != NULL);
    CHECK(find_result("reps", -1, "stddev") != NULL);
    CHECK(!mean->percentage && cv->percentage);
    double sum = 0;
    for (int k = 0; k < 3; k++)
        sum += find_result("reps", k, NULL)->real_ns;
    CHECK(close_rel(mean->real_ns, sum / 3, 1e-9));
    CHECK(hl_bench_result_counter(mean, "k", -1) == 7);

    /* report_aggregates_only: no iteration run reaches the reporters. */
    size_t agg_only_iters = 0, agg_only_aggs = 0;
    for (size_t i = 0; i < hl_bench_result_count(); i++) {
        const hl_bench_result *r = hl_bench_result_at(i);
        if (strcmp(r->family, "repsagg") == 0)
            r->aggregate ? agg_only_aggs++ : agg_only_iters++;
    }
    CHECK_EQ_U64(agg_only_iters, 0);
    CHECK_EQ_U64(agg_only_aggs, 4);

    hl_json *doc = hl_json_parse_file(json_path, err, sizeof err);
    REQUIRE(doc != NULL);
    const char *name = "reps/iterations:50/repeats:3";
    for (int k = 0; k < 3; k++) {
        const hl_json *j = find_run(doc, name, k, NULL);
        CHECK(j != NULL);
        CHECK(hl_json_get_num(j, "repetitions", 0) == 3);
    }
    const hl_json *jm = find_run(doc, name, -1, "mean");
    const hl_json *jc = find_run(doc, name, -1, "cv");
    REQUIRE(jm != NULL && jc != NULL);
    CHECK(hl_json_get_num(jm, "real_time", -1) == mean->real_ns);
    CHECK_STR(hl_json_get_str(jc, "aggregate_unit", NULL), "percentage");
    CHECK(find_run(doc, name, -1, "median") != NULL);
    CHECK(find_run(doc, name, -1, "stddev") != NULL);
    hl_json_free(doc);
}

/* ---- pause / resume -------------------------------------------------------- */

#define PAUSE_SLEEP_NS 30000000L /* 30 ms per iteration */

static void sleep_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void bm_sleep(hl_bench_state *st, void *arg)
{
    bool paused = arg != NULL;
    uint64_t n;
    while ((n = hl_bench_next_batch(st)) != 0)
        for (uint64_t i = 0; i < n; i++) {
            if (paused)
                hl_bench_pause(st);
            sleep_ns(PAUSE_SLEEP_NS);
            if (paused)
                hl_bench_resume(st);
        }
}

TEST(pause_resume_excludes_time)
{
    char err[256];
    static int yes = 1;
    hl_bench_clear();
    hl_bench_options o = {.iterations = 3, .use_real_time = true};
    REQUIRE(hl_bench_register("sleep_timed", bm_sleep, NULL, &o, err, sizeof err) == 0);
    REQUIRE(hl_bench_register("sleep_paused", bm_sleep, &yes, &o, err, sizeof err) == 0);
    make_json_path("pause");
    REQUIRE(run_filter("^sleep_") == 2);
    const hl_bench_result *timed = find_result("sleep_timed", 0, NULL);
    const hl_bench_result *paused = find_result("sleep_paused", 0, NULL);
    REQUIRE(timed != NULL && paused != NULL);
    /* A sleep lasts at least what was asked; the paused run must not see it. */
    CHECK_MSG(timed->real_ns >= PAUSE_SLEEP_NS, "timed %.0f ns", timed->real_ns);
    CHECK_MSG(paused->real_ns < PAUSE_SLEEP_NS / 2, "paused %.0f ns", paused->real_ns);
}

/* ---- errors ---------------------------------------------------------------- */

static uint64_t error_bodies;

static void bm_error_before(hl_bench_state *st, void *arg)
{
    hl_bench_skip_with_error(st, "setup said no");
    CHECK(hl_bench_error_occurred(st));
    hl_bench_pause(st); /* no-op after an error: must not abort */
    uint64_t n;
    while ((n = hl_bench_next_batch(st)) != 0)
        error_bodies += n;
}

static void bm_error_inside(hl_bench_state *st, void *arg)
{
    uint64_t n;
    while ((n = hl_bench_next_batch(st)) != 0) {
        for (uint64_t i = 0; i < n; i++)
            error_bodies++;
        hl_bench_skip_with_error(st, "verification failed: checksum 12 != 13");
        hl_bench_skip_with_error(st, "second message is ignored");
    }
}

TEST(errors_are_reported)
{
    char err[256];
    hl_bench_clear();
    hl_bench_options o = {.iterations = 10};
    REQUIRE(hl_bench_register("err_before", bm_error_before, NULL, &o, err, sizeof err) == 0);
    REQUIRE(hl_bench_register("err_inside", bm_error_inside, NULL, &o, err, sizeof err) == 0);
    error_bodies = 0;
    make_json_path("errors");
    REQUIRE(run_filter("^err_") == 2);
    CHECK_EQ_U64(error_bodies, 10); /* only err_inside ran its one batch */
    const hl_bench_result *b = find_result("err_before", 0, NULL);
    const hl_bench_result *in = find_result("err_inside", 0, NULL);
    REQUIRE(b != NULL && in != NULL);
    CHECK(b->error && in->error);
    CHECK_STR(b->error_message, "setup said no");
    CHECK_STR(in->error_message, "verification failed: checksum 12 != 13");

    hl_json *doc = hl_json_parse_file(json_path, err, sizeof err);
    REQUIRE(doc != NULL);
    const hl_json *j = find_run(doc, "err_inside/iterations:10", -1, NULL);
    REQUIRE(j != NULL);
    CHECK(hl_json_bool(hl_json_get(j, "error_occurred"), false));
    CHECK_STR(hl_json_get_str(j, "error_message", NULL), "verification failed: checksum 12 != 13");
    hl_json_free(doc);
}

/* ---- memory manager ----------------------------------------------------------- */

typedef struct mem_probe {
    bool recording;
    uint64_t starts, stops;
    int64_t allocs;
} mem_probe;

static mem_probe probe;

static void mem_start(void *arg)
{
    mem_probe *p = arg;
    p->starts++;
    p->recording = true;
    p->allocs = 0;
}

static void mem_stop(void *arg, hl_bench_mem_result *out)
{
    mem_probe *p = arg;
    p->stops++;
    p->recording = false;
    CHECK(out->num_allocs == 0 && out->total_allocated_bytes == HL_BENCH_MEM_UNREPORTED);
    out->num_allocs = p->allocs;
    out->max_bytes_used = 1234;
    out->total_allocated_bytes = 5678;
}

static void bm_mem(hl_bench_state *st, void *arg)
{
    uint64_t n;
    while ((n = hl_bench_next_batch(st)) != 0)
        for (uint64_t i = 0; i < n; i++)
            if (probe.recording)
                probe.allocs += 2; /* "two allocations per iteration" */
}

TEST(memory_hooks_reach_json)
{
    char err[256];
    memset(&probe, 0, sizeof probe);
    hl_bench_clear();
    hl_bench_options o = {.iterations = 100, .repetitions = 2};
    REQUIRE(hl_bench_register("mem", bm_mem, NULL, &o, err, sizeof err) == 0);
    hl_bench_mem_hooks hooks = {mem_start, mem_stop, &probe};
    hl_bench_set_memory_hooks(&hooks);
    make_json_path("mem");
    int n = run_filter("^mem(/|$)");
    hl_bench_set_memory_hooks(NULL);
    REQUIRE(n == 1);
    CHECK_EQ_U64(probe.starts, 2); /* one extra run per repetition */
    CHECK_EQ_U64(probe.stops, 2);
    /* Both repetitions: Google Benchmark 1.7.1 itself loses all but the last
     * (bench_shim.cc "memory results"). */
    hl_json *doc = hl_json_parse_file(json_path, err, sizeof err);
    REQUIRE(doc != NULL);
    for (int rep = 0; rep < 2; rep++) {
        const hl_bench_result *r = find_result("mem", rep, NULL);
        REQUIRE(r != NULL);
        CHECK(r->has_memory);
        CHECK(r->allocs_per_iter == 2.0); /* 32 allocations over min(16, 100) iterations */
        CHECK(r->memory.num_allocs == 32);
        CHECK(r->memory.max_bytes_used == 1234);
        CHECK(r->memory.total_allocated_bytes == 5678);
        CHECK_MSG(r->memory.net_heap_growth == HL_BENCH_MEM_UNREPORTED, "%" PRId64,
                  r->memory.net_heap_growth);
        const hl_json *j = find_run(doc, "mem/iterations:100/repeats:2", rep, NULL);
        REQUIRE(j != NULL);
        CHECK(hl_json_get_num(j, "allocs_per_iter", -1) == 2.0);
        CHECK(hl_json_get_num(j, "max_bytes_used", -1) == 1234);
        CHECK(hl_json_get_num(j, "total_allocated_bytes", -1) == 5678);
        CHECK(hl_json_get(j, "net_heap_growth") == NULL);
    }
    hl_json_free(doc);

    /* Removed hooks: no memory figures any more. */
    memset(&probe, 0, sizeof probe);
    REQUIRE(run_filter("^mem(/|$)") == 1);
    CHECK_EQ_U64(probe.starts, 0);
    const hl_bench_result *r = find_result("mem", 0, NULL);
    REQUIRE(r != NULL);
    CHECK(!r->has_memory);
}

/* ---- threads ------------------------------------------------------------------ */

static _Atomic uint64_t thread_bodies;
static _Atomic unsigned thread_seen_mask;

static void bm_threads(hl_bench_state *st, void *arg)
{
    uint64_t n, mine = 0;
    CHECK(hl_bench_threads(st) == 3);
    thread_seen_mask |= 1u << hl_bench_thread_index(st);
    while ((n = hl_bench_next_batch(st)) != 0)
        for (uint64_t i = 0; i < n; i++)
            mine++;
    thread_bodies += mine;
}

TEST(threads_each_run_the_loop)
{
    char err[256];
    hl_bench_clear();
    hl_bench_options o = {.iterations = 20, .threads = 3};
    REQUIRE(hl_bench_register("thr", bm_threads, NULL, &o, err, sizeof err) == 0);
    thread_bodies = 0;
    thread_seen_mask = 0;
    make_json_path("threads");
    REQUIRE(run_filter("^thr(/|$)") == 1);
    CHECK_EQ_U64(thread_bodies, 60);
    CHECK(thread_seen_mask == 7u);
    const hl_bench_result *r = find_result("thr", 0, NULL);
    REQUIRE(r != NULL);
    CHECK(r->threads == 3);
}

/* ---- bad input ------------------------------------------------------------------ */

static void bm_nothing(hl_bench_state *st, void *arg)
{
    while (hl_bench_next_batch(st) != 0) {
    }
}

TEST(bad_options_and_flags)
{
    char err[256] = "";
    hl_bench_clear();
    hl_bench_options both = {.iterations = 5, .min_time = 0.1};
    CHECK(hl_bench_register("both", bm_nothing, NULL, &both, err, sizeof err) == -1);
    CHECK(strstr(err, "both") != NULL && strchr(err, '\n') == NULL);
    hl_bench_options neg = {.repetitions = -1};
    CHECK(hl_bench_register("neg", bm_nothing, NULL, &neg, err, sizeof err) == -1);
    CHECK(hl_bench_register("", bm_nothing, NULL, NULL, err, sizeof err) == -1);
    CHECK(hl_bench_register("x", NULL, NULL, NULL, err, sizeof err) == -1);

    REQUIRE(hl_bench_register("nothing", bm_nothing, NULL, NULL, err, sizeof err) == 0);
    CHECK(hl_bench_register("nothing", bm_nothing, NULL, NULL, err, sizeof err) == -1);
    CHECK(strstr(err, "already registered") != NULL);
    char *bad[] = {"test_shim", "--benchmark_filter=^nothing$", "--bogus", NULL};
    hl_bench_set_json_out(NULL);
    CHECK(hl_bench_run(3, bad, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "--bogus") != NULL, "%s", err);
    char *badval[] = {"test_shim", "--benchmark_filter=^nothing$",
                      "--benchmark_repetitions=lots", NULL};
    CHECK(hl_bench_run(3, badval, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "lots") != NULL, "%s", err);

    hl_bench_set_json_out("/nonexistent-dir/x/gbench.json");
    char *ok[] = {"test_shim", "--benchmark_filter=^nothing$", "--benchmark_min_time=0.001",
                  NULL};
    CHECK(hl_bench_run(3, ok, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "/nonexistent-dir/x/gbench.json") != NULL, "%s", err);

    /* A filter matching nothing runs nothing. */
    make_json_path("nomatch");
    CHECK(run_filter("^no_such_benchmark$") == 0);
    CHECK_EQ_U64(hl_bench_result_count(), 0);
}

TEST(do_not_optimize_keeps_values)
{
    int i = 41;
    double d = 2.5;
    char *p = tmpdir;
    struct {
        int a[8];
    } s = {{1, 2, 3, 4, 5, 6, 7, 8}};
    HL_BENCH_DO_NOT_OPTIMIZE(i);
    HL_BENCH_DO_NOT_OPTIMIZE(d);
    HL_BENCH_DO_NOT_OPTIMIZE(p);
    hl_bench_escape(&s);
    hl_bench_clobber_memory();
    CHECK(i + 1 == 42 && d == 2.5 && p == tmpdir && s.a[7] == 8);
    CHECK(strcmp(hl_bench_library_version(), "unknown") != 0);
}

int main(int argc, char **argv)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", argc > 1 ? argv[1] : "shim-tmp");
    if (mkdir(tmpdir, 0777) != 0 && errno != EEXIST) {
        printf("cannot create %s: %s\n", tmpdir, strerror(errno));
        return 1;
    }
    RUN(fixed_iterations_run_exactly);
    RUN(time_based_runs_match_reported_iterations);
    RUN(items_counters_label_in_json);
    RUN(repetitions_produce_aggregates);
    RUN(pause_resume_excludes_time);
    RUN(errors_are_reported);
    RUN(memory_hooks_reach_json);
    RUN(threads_each_run_the_loop);
    RUN(bad_options_and_flags);
    RUN(do_not_optimize_keeps_values);
    return hl_test_summary();
}
