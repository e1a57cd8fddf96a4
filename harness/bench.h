/* bench.h - a C API over Google Benchmark (C++ shim in bench_shim.cc).
 *
 * How it works
 * ------------
 * Google Benchmark has no C API (google/benchmark#592): a benchmark is a C++
 * function looping over a benchmark::State.  The shim registers, for each C
 * benchmark, a C++ lambda that calls the C function with the State passed as
 * an opaque hl_bench_state.
 *
 * The per-iteration cost must be that of plain Google Benchmark, so the C code
 * never crosses into C++ per iteration.  It asks for the whole run at once and
 * runs its own tight loop (the batch design: the shim calls
 * State::KeepRunningBatch(state.max_iterations), i.e. exactly the iteration
 * count Google Benchmark chose for this run):
 *
 *     static void bm_push(hl_bench_state *st, void *arg)
 *     {
 *         uint64_t n;
 *         while ((n = hl_bench_next_batch(st)) != 0)   // starts the timer
 *             for (uint64_t i = 0; i < n; i++)
 *                 body(arg);
 *         // the second call stopped the timer and returned 0
 *         hl_bench_set_items_processed(st, ops);
 *     }
 *
 *     hl_bench_options o = {.repetitions = 5, .min_time = 0.2};
 *     hl_bench_register("push", bm_push, NULL, &o, err, sizeof err);
 *     hl_bench_set_json_out("out/gbench.json");
 *     int n = hl_bench_run(argc, argv, err, sizeof err);  // --benchmark_* flags
 *     for (size_t i = 0; i < hl_bench_result_count(); i++) ... hl_bench_result_at(i)
 *
 * Every run Google Benchmark reports (one per repetition, then the
 * mean/median/stddev/cv aggregates) is also kept in a C table
 * (hl_bench_result_at) so that C callers need not parse the JSON file.
 *
 * Threading: a benchmark registered with threads > 1 runs its function in
 * that many threads at once (Google Benchmark's ->Threads(n)); each thread
 * calls hl_bench_next_batch on its own state.  Registration, running and the
 * result table are for one thread only.
 */
#ifndef HL_BENCH_H
#define HL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A benchmark::State seen from C. */
typedef struct hl_bench_state hl_bench_state;

typedef void (*hl_bench_fn)(hl_bench_state *st, void *arg);

/* Per-benchmark options; zero means "use the --benchmark_* flag". */
typedef struct hl_bench_options {
    int repetitions;               /* ->Repetitions(n) */
    double min_time;               /* seconds, ->MinTime(t); excludes iterations */
    double min_warmup_time;        /* seconds, ->MinWarmUpTime(t); excludes iterations */
    uint64_t iterations;           /* ->Iterations(n): a fixed count, no time estimate */
    int threads;                   /* ->Threads(n); 0 means 1 */
    bool use_real_time;            /* ->UseRealTime(): wall clock drives and is reported */
    bool measure_process_cpu_time; /* ->MeasureProcessCPUTime(): CPU of every thread */
    bool report_aggregates_only;   /* ->ReportAggregatesOnly(): every reporter */
} hl_bench_options;

/* Registers a benchmark.  name must be non-empty and not registered yet
 * (since the last hl_bench_clear); opt may be NULL.  Returns 0, or -1 with
 * one line in err (bad name, inconsistent options). */
int hl_bench_register(const char *name, hl_bench_fn fn, void *arg,
                      const hl_bench_options *opt, char *err, size_t errlen);

/* Forgets every registered benchmark (benchmark::ClearRegisteredBenchmarks). */
void hl_bench_clear(void);

/* ---- inside a benchmark function ---------------------------------------- */

/* The loop.  The first call starts the timer and returns the number of
 * iterations Google Benchmark asks for (>= 1); the next call stops the timer
 * and returns 0.  Returns 0 at once after hl_bench_skip_with_error.  The
 * caller must call it until it returns 0. */
uint64_t hl_bench_next_batch(hl_bench_state *st);

/* The iteration count of this run (what hl_bench_next_batch returns). */
uint64_t hl_bench_iterations(const hl_bench_state *st);

/* Stop / restart the timer inside the loop (heavyweight: a clock read each).
 * Both are no-ops once an error was reported. */
void hl_bench_pause(hl_bench_state *st);
void hl_bench_resume(hl_bench_state *st);

/* After the loop: items processed by this run; reported as the rate
 * "items_per_second" (Google Benchmark's SetItemsProcessed). */
void hl_bench_set_items_processed(hl_bench_state *st, int64_t items);

/* Counter flags (Google Benchmark's benchmark::Counter::Flags, by meaning). */
enum {
    HL_BENCH_COUNTER_RATE = 1 << 0,           /* divided by the run's time */
    HL_BENCH_COUNTER_AVG_THREADS = 1 << 1,    /* divided by the thread count */
    HL_BENCH_COUNTER_ITER_INVARIANT = 1 << 2, /* multiplied by the iterations */
    HL_BENCH_COUNTER_AVG_ITERATIONS = 1 << 3, /* divided by the iterations */
    HL_BENCH_COUNTER_INVERT = 1 << 4,         /* 1/x, applied last */
    HL_BENCH_COUNTER_KIBI = 1 << 5            /* displayed with 1024 per k */
};

/* After the loop: a user counter; it appears under its name in the JSON and
 * in hl_bench_result.counters.  Setting a name twice keeps the last value. */
void hl_bench_set_counter(hl_bench_state *st, const char *name, double value, unsigned flags);

void hl_bench_set_label(hl_bench_state *st, const char *label);

/* Marks this run as failed; the run is reported with error_occurred and
 * message, and hl_bench_next_batch returns 0 from now on. */
void hl_bench_skip_with_error(hl_bench_state *st, const char *message);
bool hl_bench_error_occurred(const hl_bench_state *st);

int hl_bench_thread_index(const hl_bench_state *st);
int hl_bench_threads(const hl_bench_state *st);

/* Keep the compiler from deleting computations (after Google Benchmark's
 * DoNotOptimize/ClobberMemory, docs/user_guide.md "Preventing optimization"):
 *   HL_BENCH_DO_NOT_OPTIMIZE(x)  x (an lvalue of scalar or pointer type) is
 *                                read and may have been modified;
 *   hl_bench_escape(p)           the object at p may be read or written;
 *   hl_bench_clobber_memory()    every object in memory may have been read
 *                                or written.
 * They emit no instruction. */
#if defined(__clang__)
#define HL_BENCH_DO_NOT_OPTIMIZE(x) __asm__ volatile("" : "+r,m"(x) : : "memory")
#else /* gcc: "+r,m" is rejected at -O2 and "+m,r" corrupts a double; "+rm" is right */
#define HL_BENCH_DO_NOT_OPTIMIZE(x) __asm__ volatile("" : "+rm"(x) : : "memory")
#endif

static inline void hl_bench_escape(const void *p)
{
    __asm__ volatile("" : : "g"(p) : "memory");
}

static inline void hl_bench_clobber_memory(void)
{
    __asm__ volatile("" : : : "memory");
}

/* ---- memory manager ----------------------------------------------------- */

/* Value of a memory figure that was not measured (Google Benchmark's
 * MemoryManager::TombstoneValue: the field is left out of the JSON). */
#define HL_BENCH_MEM_UNREPORTED INT64_MIN

typedef struct hl_bench_mem_result {
    int64_t num_allocs;            /* allocations between start and stop */
    int64_t max_bytes_used;        /* peak bytes in use */
    int64_t total_allocated_bytes; /* or HL_BENCH_MEM_UNREPORTED */
    int64_t net_heap_growth;       /* or HL_BENCH_MEM_UNREPORTED */
} hl_bench_mem_result;

/* Google Benchmark 1.7.1 runs, after each repetition, one more single-threaded
 * run of min(16, iterations) iterations between start and stop, and reports
 * allocs_per_iter = num_allocs / those iterations plus the fields above.
 * stop receives a result with num_allocs = max_bytes_used = 0 and the other
 * two unreported.  hooks == NULL (or both functions NULL) removes them. */
typedef struct hl_bench_mem_hooks {
    void (*start)(void *arg);
    void (*stop)(void *arg, hl_bench_mem_result *out);
    void *arg;
} hl_bench_mem_hooks;

void hl_bench_set_memory_hooks(const hl_bench_mem_hooks *hooks);

/* ---- running ------------------------------------------------------------ */

/* Write Google Benchmark's JSON to path (as --benchmark_out=path
 * --benchmark_out_format=json would); NULL stops.  A --benchmark_out flag
 * given to hl_bench_run wins. */
void hl_bench_set_json_out(const char *path);

/* Google Benchmark's console output (its report, and the context block and
 * warnings it would print on stderr) goes to stdout, so that the caller's
 * stderr carries only the caller's errors.  quiet: none of it at all. */
void hl_bench_set_quiet(bool quiet);

/* A key/value pair for the "context" block of the report. */
void hl_bench_add_context(const char *key, const char *value);

/* Runs the registered benchmarks.  argv[0] is the program name; the other
 * arguments must all be --benchmark_* flags (every Google Benchmark flag
 * works).  The result table is emptied first.  Returns the number of
 * benchmarks that matched the filter, or -1 with one line in err (an
 * unrecognised argument, an output file that cannot be written). */
int hl_bench_run(int argc, char **argv, char *err, size_t errlen);

/* ---- results ------------------------------------------------------------ */

#define HL_BENCH_MAX_COUNTERS 32

typedef struct hl_bench_counter {
    char name[48];
    double value; /* as reported: rates already divided by time */
} hl_bench_counter;

typedef struct hl_bench_result {
    char name[160];           /* Google Benchmark's run name, e.g. "x/repeats:3" */
    char family[96];          /* the name given to hl_bench_register */
    bool aggregate;           /* false: one repetition */
    char aggregate_name[16];  /* "mean", "median", "stddev", "cv" ... */
    bool percentage;          /* the times below are a fraction (cv), not ns */
    int64_t repetition_index; /* -1 for aggregates */
    int64_t repetitions;
    int64_t threads;
    uint64_t iterations;
    double real_ns;           /* per iteration */
    double cpu_ns;            /* per iteration */
    bool error;
    char error_message[256];
    char label[128];
    size_t n_counters;        /* extra counters beyond the limit are dropped */
    hl_bench_counter counters[HL_BENCH_MAX_COUNTERS];
    bool has_memory;          /* a memory manager ran for this repetition */
    double allocs_per_iter;
    hl_bench_mem_result memory;
} hl_bench_result;

size_t hl_bench_result_count(void);
const hl_bench_result *hl_bench_result_at(size_t i);

/* Value of a counter of r, or dflt when absent. */
double hl_bench_result_counter(const hl_bench_result *r, const char *name, double dflt);

/* Version of the Google Benchmark the shim was built against ("1.7.1"). */
const char *hl_bench_library_version(void);

#ifdef __cplusplus
}
#endif

#endif
