// bench_shim.cc - the C++ side of bench.h: C benchmarks on Google Benchmark.
//
// How it works
// ------------
// Registration wraps each C function in a lambda taking benchmark::State&;
// the State's address is handed to C as the opaque hl_bench_state*.  The loop
// is the batch form of the State API: hl_bench_next_batch() calls
// KeepRunningBatch(max_iterations), which starts the timer and grants the
// whole run at once, and the second call finds the budget spent, stops the
// timer and returns 0 (see State::KeepRunningInternal in benchmark.h).  The
// per-iteration work is therefore the C caller's own loop, exactly as tight
// as a C++ `for (auto _ : state)` loop.
//
// Reporting goes through a "tee" display reporter: it copies every run into
// the C result table, then forwards to the reporter Google Benchmark would
// have used (CreateDefaultDisplayReporter honours --benchmark_format), unless
// quiet.  The file (--benchmark_out, which the shim adds in front of the
// caller's flags for hl_bench_set_json_out) is written by Google Benchmark's
// own reporter for the requested format, wrapped so that it sees the same
// corrected runs as the table.
//
// The memory manager adapter forwards Start/Stop to the C hooks.  In 1.7.1
// the runner calls the deprecated Stop(Result*) (benchmark_runner.cc), so
// that is the overload implemented; it also keeps a copy of every Result,
// because 1.7.1's own copies dangle (see "memory results" below).

#include "bench.h"

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#ifndef HL_GBENCH_VERSION
#define HL_GBENCH_VERSION "unknown"
#endif

namespace {

benchmark::State &S(hl_bench_state *st)
{
    return *reinterpret_cast<benchmark::State *>(st);
}

const benchmark::State &S(const hl_bench_state *st)
{
    return *reinterpret_cast<const benchmark::State *>(st);
}

void copy_str(char *dst, size_t cap, const std::string &src)
{
    size_t n = src.size() < cap - 1 ? src.size() : cap - 1;
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

// ---- memory results ----------------------------------------------------------
//
// Google Benchmark 1.7.1 keeps each repetition's MemoryManager::Result in a
// std::vector and points the run report at its last element
// (benchmark_runner.cc, DoOneRepetition); the next repetition's push_back may
// reallocate, so by the time the reports are printed every repetition but the
// last points at freed memory (garbage in the JSON).  The shim therefore keeps
// its own copy of each Result, indexed by benchmark name and repetition, and
// hands reporters a copy of each run pointing at it.

std::map<std::string, std::vector<benchmark::MemoryManager::Result>> g_memory;
std::string g_current_family; // written by thread 0 of the running benchmark

// run with memory_result redirected to the shim's copy (when there is one).
benchmark::BenchmarkReporter::Run patched(const benchmark::BenchmarkReporter::Run &run)
{
    benchmark::BenchmarkReporter::Run copy = run;
    if (run.memory_result == nullptr)
        return copy;
    copy.memory_result = nullptr; // never dereference GB's pointer
    if (run.run_type != benchmark::BenchmarkReporter::Run::RT_Iteration)
        return copy;
    auto it = g_memory.find(run.run_name.function_name);
    int64_t rep = run.repetition_index < 0 ? 0 : run.repetition_index;
    if (it != g_memory.end() && rep < static_cast<int64_t>(it->second.size()))
        copy.memory_result = &it->second[static_cast<size_t>(rep)];
    return copy;
}

std::vector<benchmark::BenchmarkReporter::Run>
patched(const std::vector<benchmark::BenchmarkReporter::Run> &runs)
{
    std::vector<benchmark::BenchmarkReporter::Run> out;
    out.reserve(runs.size());
    for (const auto &run : runs)
        out.push_back(patched(run));
    return out;
}

// ---- results ---------------------------------------------------------------

// MemoryManager::TombstoneValue is INT64_MAX in 1.7.1 (benchmark.cc) but not
// exported from the shared library, so the value is spelled out here.
int64_t from_tombstone(int64_t v)
{
    return v == std::numeric_limits<int64_t>::max() ? HL_BENCH_MEM_UNREPORTED : v;
}

std::vector<hl_bench_result> g_results;

void collect(const benchmark::BenchmarkReporter::Run &run)
{
    hl_bench_result r;
    std::memset(&r, 0, sizeof r);
    copy_str(r.name, sizeof r.name, run.benchmark_name());
    copy_str(r.family, sizeof r.family, run.run_name.function_name);
    r.aggregate = run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate;
    if (r.aggregate)
        copy_str(r.aggregate_name, sizeof r.aggregate_name, run.aggregate_name);
    r.percentage = r.aggregate && run.aggregate_unit == benchmark::kPercentage;
    r.repetition_index = r.aggregate ? -1 : run.repetition_index;
    r.repetitions = run.repetitions;
    r.threads = run.threads;
    r.iterations = run.iterations > 0 ? static_cast<uint64_t>(run.iterations) : 0;
    // Accumulated times are in seconds over all iterations; the JSON reporter
    // prints them per iteration (GetAdjustedRealTime), percentages raw.
    if (r.percentage) {
        r.real_ns = run.real_accumulated_time;
        r.cpu_ns = run.cpu_accumulated_time;
    } else if (run.iterations > 0) {
        r.real_ns = run.real_accumulated_time * 1e9 / static_cast<double>(run.iterations);
        r.cpu_ns = run.cpu_accumulated_time * 1e9 / static_cast<double>(run.iterations);
    }
    r.error = run.error_occurred;
    copy_str(r.error_message, sizeof r.error_message, run.error_message);
    copy_str(r.label, sizeof r.label, run.report_label);
    for (const auto &kv : run.counters) {
        if (r.n_counters == HL_BENCH_MAX_COUNTERS)
            break;
        hl_bench_counter &c = r.counters[r.n_counters++];
        copy_str(c.name, sizeof c.name, kv.first);
        c.value = kv.second.value;
    }
    if (run.memory_result != nullptr) { // already patched
        r.has_memory = true;
        r.allocs_per_iter = run.allocs_per_iter;
        r.memory.num_allocs = run.memory_result->num_allocs;
        r.memory.max_bytes_used = run.memory_result->max_bytes_used;
        r.memory.total_allocated_bytes = from_tombstone(run.memory_result->total_allocated_bytes);
        r.memory.net_heap_growth = from_tombstone(run.memory_result->net_heap_growth);
    }
    g_results.push_back(r);
}

// Copies each run into g_results, then shows it the usual way.
class TeeReporter : public benchmark::BenchmarkReporter {
public:
    explicit TeeReporter(benchmark::BenchmarkReporter *display) : display_(display) {}

    bool ReportContext(const Context &context) override
    {
        return display_ == nullptr || display_->ReportContext(context);
    }

    void ReportRuns(const std::vector<Run> &runs) override
    {
        std::vector<Run> fixed = patched(runs);
        for (const Run &run : fixed)
            collect(run);
        if (display_ != nullptr)
            display_->ReportRuns(fixed);
    }

    void Finalize() override
    {
        if (display_ != nullptr)
            display_->Finalize();
    }

private:
    benchmark::BenchmarkReporter *display_;
};

// The --benchmark_out reporter, fed patched runs.  Google Benchmark sets the
// file stream on this wrapper; it is passed on before the first report.
class FileReporter : public benchmark::BenchmarkReporter {
public:
    explicit FileReporter(std::unique_ptr<benchmark::BenchmarkReporter> inner)
        : inner_(std::move(inner)) {}

    bool ReportContext(const Context &context) override
    {
        inner_->SetOutputStream(&GetOutputStream());
        inner_->SetErrorStream(&GetErrorStream());
        return inner_->ReportContext(context);
    }

    void ReportRuns(const std::vector<Run> &runs) override { inner_->ReportRuns(patched(runs)); }

    void Finalize() override { inner_->Finalize(); }

private:
    std::unique_ptr<benchmark::BenchmarkReporter> inner_;
};

// ---- memory manager ----------------------------------------------------------

class HookMemoryManager : public benchmark::MemoryManager {
public:
    hl_bench_mem_hooks hooks{};

    using benchmark::MemoryManager::Stop;

    void Start() override
    {
        if (hooks.start != nullptr)
            hooks.start(hooks.arg);
    }

    void Stop(Result *result) override
    {
        hl_bench_mem_result m = {0, 0, HL_BENCH_MEM_UNREPORTED, HL_BENCH_MEM_UNREPORTED};
        if (hooks.stop != nullptr)
            hooks.stop(hooks.arg, &m);
        result->num_allocs = m.num_allocs;
        result->max_bytes_used = m.max_bytes_used;
        // Result() starts both at TombstoneValue (which libbenchmark 1.7.1
        // does not export): leave them alone when the hook did not measure.
        if (m.total_allocated_bytes != HL_BENCH_MEM_UNREPORTED)
            result->total_allocated_bytes = m.total_allocated_bytes;
        if (m.net_heap_growth != HL_BENCH_MEM_UNREPORTED)
            result->net_heap_growth = m.net_heap_growth;
        // Repetitions of one benchmark run in order, also when interleaved.
        g_memory[g_current_family].push_back(*result);
    }
};

HookMemoryManager g_memory_manager;
std::string g_json_out;
bool g_json_out_was_set; // a previous run set --benchmark_out: reset it when unset now
bool g_quiet;
std::set<std::string> g_names; // registered through hl_bench_register

} // namespace

// ---- C API -------------------------------------------------------------------

extern "C" {

int hl_bench_register(const char *name, hl_bench_fn fn, void *arg, const hl_bench_options *opt,
                      char *err, size_t errlen)
{
    hl_bench_options o{};
    if (opt != nullptr)
        o = *opt;
    if (name == nullptr || name[0] == '\0' || fn == nullptr) {
        snprintf(err, errlen, "benchmark needs a non-empty name and a function");
        return -1;
    }
    if (o.repetitions < 0 || o.threads < 0 || o.min_time < 0 || o.min_warmup_time < 0) {
        snprintf(err, errlen, "benchmark '%s': repetitions, threads, min_time and "
                 "min_warmup_time must not be negative", name);
        return -1;
    }
    if (o.iterations > 0 && (o.min_time > 0 || o.min_warmup_time > 0)) {
        snprintf(err, errlen, "benchmark '%s': a fixed iteration count excludes min_time "
                 "and min_warmup_time (Google Benchmark runs exactly that many)", name);
        return -1;
    }
    // Names key the shim's memory results (g_memory), so they must be unique.
    if (g_names.count(name) != 0) {
        snprintf(err, errlen, "benchmark '%s' is already registered", name);
        return -1;
    }
    if (o.iterations > static_cast<uint64_t>(INT64_MAX)) {
        snprintf(err, errlen, "benchmark '%s': iterations must be below 2^63", name);
        return -1;
    }
    benchmark::internal::Benchmark *b;
    try {
        std::string family(name);
        b = benchmark::RegisterBenchmark(name, [fn, arg, family](benchmark::State &st) {
            if (st.thread_index() == 0)
                g_current_family = family;
            fn(reinterpret_cast<hl_bench_state *>(&st), arg);
        });
    } catch (const std::bad_alloc &) {
        snprintf(err, errlen, "benchmark '%s': out of memory", name);
        return -1;
    }
    g_names.insert(name);
    if (o.repetitions > 0)
        b->Repetitions(o.repetitions);
    if (o.min_time > 0)
        b->MinTime(o.min_time);
    if (o.min_warmup_time > 0)
        b->MinWarmUpTime(o.min_warmup_time);
    if (o.iterations > 0)
        b->Iterations(static_cast<benchmark::IterationCount>(o.iterations));
    if (o.threads > 1)
        b->Threads(o.threads);
    if (o.use_real_time)
        b->UseRealTime();
    if (o.measure_process_cpu_time)
        b->MeasureProcessCPUTime();
    if (o.report_aggregates_only)
        b->ReportAggregatesOnly(true);
    return 0;
}

void hl_bench_clear(void)
{
    benchmark::ClearRegisteredBenchmarks();
    g_names.clear();
}

uint64_t hl_bench_next_batch(hl_bench_state *st)
{
    benchmark::State &s = S(st);
    benchmark::IterationCount n = s.max_iterations;
    return s.KeepRunningBatch(n) ? static_cast<uint64_t>(n) : 0;
}

uint64_t hl_bench_iterations(const hl_bench_state *st)
{
    return static_cast<uint64_t>(S(st).max_iterations);
}

void hl_bench_pause(hl_bench_state *st)
{
    if (!S(st).error_occurred())
        S(st).PauseTiming();
}

void hl_bench_resume(hl_bench_state *st)
{
    if (!S(st).error_occurred())
        S(st).ResumeTiming();
}

void hl_bench_set_items_processed(hl_bench_state *st, int64_t items)
{
    S(st).SetItemsProcessed(items);
}

void hl_bench_set_counter(hl_bench_state *st, const char *name, double value, unsigned flags)
{
    using benchmark::Counter;
    int f = Counter::kDefaults;
    if (flags & HL_BENCH_COUNTER_RATE)
        f |= Counter::kIsRate;
    if (flags & HL_BENCH_COUNTER_AVG_THREADS)
        f |= Counter::kAvgThreads;
    if (flags & HL_BENCH_COUNTER_ITER_INVARIANT)
        f |= Counter::kIsIterationInvariant;
    if (flags & HL_BENCH_COUNTER_AVG_ITERATIONS)
        f |= Counter::kAvgIterations;
    if (flags & HL_BENCH_COUNTER_INVERT)
        f |= Counter::kInvert;
    Counter::OneK k = (flags & HL_BENCH_COUNTER_KIBI) ? Counter::kIs1024 : Counter::kIs1000;
    S(st).counters[name] = Counter(value, static_cast<Counter::Flags>(f), k);
}

void hl_bench_set_label(hl_bench_state *st, const char *label)
{
    S(st).SetLabel(label);
}

void hl_bench_skip_with_error(hl_bench_state *st, const char *message)
{
    if (!S(st).error_occurred())
        S(st).SkipWithError(message);
}

bool hl_bench_error_occurred(const hl_bench_state *st)
{
    return S(st).error_occurred();
}

int hl_bench_thread_index(const hl_bench_state *st)
{
    return S(st).thread_index();
}

int hl_bench_threads(const hl_bench_state *st)
{
    return S(st).threads();
}

void hl_bench_set_memory_hooks(const hl_bench_mem_hooks *hooks)
{
    if (hooks == nullptr || (hooks->start == nullptr && hooks->stop == nullptr)) {
        g_memory_manager.hooks = hl_bench_mem_hooks{};
        benchmark::RegisterMemoryManager(nullptr);
        return;
    }
    g_memory_manager.hooks = *hooks;
    benchmark::RegisterMemoryManager(&g_memory_manager);
}

void hl_bench_set_json_out(const char *path)
{
    g_json_out = path != nullptr ? path : "";
}

void hl_bench_set_quiet(bool quiet)
{
    g_quiet = quiet;
}

void hl_bench_add_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

int hl_bench_run(int argc, char **argv, char *err, size_t errlen)
{
    try {
        // Our output flags go first so that the caller's own flags win.
        std::vector<std::string> extra;
        if (!g_json_out.empty()) {
            extra.push_back("--benchmark_out=" + g_json_out);
            extra.push_back("--benchmark_out_format=json");
            g_json_out_was_set = true;
        } else if (g_json_out_was_set) {
            extra.push_back("--benchmark_out=");
            g_json_out_was_set = false;
        }
        std::vector<char *> args;
        static char default_name[] = "heaplab";
        args.push_back(argc > 0 && argv[0] != nullptr ? argv[0] : default_name);
        for (std::string &e : extra)
            args.push_back(&e[0]);
        for (int i = 1; i < argc; i++)
            args.push_back(argv[i]);
        args.push_back(nullptr);
        // The output file and format the flags ask for (the last one wins,
        // as in Google Benchmark's own parsing), read before Initialize
        // removes the flags it recognised from args.
        std::string out_path, out_format = "json";
        if (const char *env = std::getenv("BENCHMARK_OUT_FORMAT"))
            out_format = env;
        for (size_t i = 1; i + 1 < args.size(); i++) {
            if (std::strncmp(args[i], "--benchmark_out=", 16) == 0)
                out_path = args[i] + 16;
            else if (std::strncmp(args[i], "--benchmark_out_format=", 23) == 0)
                out_format = args[i] + 23;
        }
        // Google Benchmark's flag parser writes its own complaint about a
        // malformed value to std::cerr and leaves the flag in argv; muted, so
        // that the caller prints the one line below.
        int n = static_cast<int>(args.size()) - 1;
        std::streambuf *saved = std::cerr.rdbuf(nullptr);
        benchmark::Initialize(&n, args.data());
        std::cerr.rdbuf(saved);
        if (n > 1) {
            snprintf(err, errlen, "unrecognised or malformed argument '%s' (only valid "
                     "--benchmark_* flags are passed to Google Benchmark)", args[1]);
            return -1;
        }
        // Google Benchmark exits the process when it cannot open the file;
        // check first so that the caller gets one line and a choice.
        std::unique_ptr<FileReporter> file;
        if (!out_path.empty()) {
            FILE *f = std::fopen(out_path.c_str(), "w");
            if (f == nullptr) {
                snprintf(err, errlen, "cannot write benchmark output '%s': %s",
                         out_path.c_str(), std::strerror(errno));
                return -1;
            }
            std::fclose(f);
            std::unique_ptr<benchmark::BenchmarkReporter> inner;
            if (out_format == "json")
                inner.reset(new benchmark::JSONReporter);
            else if (out_format == "csv") {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
                inner.reset(new benchmark::CSVReporter); // deprecated, still a flag value
#pragma GCC diagnostic pop
            } else
                inner.reset(new benchmark::ConsoleReporter(benchmark::ConsoleReporter::OO_None));
            file.reset(new FileReporter(std::move(inner)));
        }
        g_results.clear();
        g_memory.clear();
        // Everything Google Benchmark says goes to stdout, including the
        // context block and warnings it would print on stderr, so that a
        // caller's stderr carries its own errors only (one line each).
        benchmark::BenchmarkReporter *display =
            g_quiet ? nullptr : benchmark::CreateDefaultDisplayReporter();
        if (display != nullptr)
            display->SetErrorStream(&std::cout);
        TeeReporter tee(display);
        tee.SetErrorStream(&std::cout);
        size_t matched = benchmark::RunSpecifiedBenchmarks(&tee, file.get());
        std::fflush(stdout);
        return static_cast<int>(matched);
    } catch (const std::exception &e) {
        snprintf(err, errlen, "Google Benchmark failed: %s", e.what());
        return -1;
    }
}

size_t hl_bench_result_count(void)
{
    return g_results.size();
}

const hl_bench_result *hl_bench_result_at(size_t i)
{
    return i < g_results.size() ? &g_results[i] : nullptr;
}

double hl_bench_result_counter(const hl_bench_result *r, const char *name, double dflt)
{
    for (size_t i = 0; i < r->n_counters; i++)
        if (std::strcmp(r->counters[i].name, name) == 0)
            return r->counters[i].value;
    return dflt;
}

const char *hl_bench_library_version(void)
{
    return HL_GBENCH_VERSION;
}

} // extern "C"
