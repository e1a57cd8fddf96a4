/* cell.c - heaplab-cell-<variant>: one measured cell per process.
 *
 * How it works
 * ------------
 * A cell is (backend, workload, parameters, threads, seed).  The driver runs
 * each in a fresh process of the variant whose malloc the backend is
 * (allocators/backend.h), so nothing of one cell's heap leaks into another's
 * numbers.  In this process:
 *
 *   1. check that the process malloc is the variant's (else exit 2);
 *   2. parse and validate everything (one line and exit 2 on bad input);
 *   3. open the allocator: one handle for raw workloads; for object-layer
 *      workloads two handles on the same spec (object memory and item
 *      arrays, CPython's OBJ and MEM domains) and a runtime on them;
 *   4. the workload's setup (not measured);
 *   5. measure, in one of two modes:
 *      time          Google Benchmark drives workload->run(ctx, n) through
 *                    the C shim (bench.h): repetitions, warm-up
 *                    (MinWarmUpTime), min time; items processed = the
 *                    operations run() reports.  A memory manager hook
 *                    counts the backend's allocations per operation.
 *      instructions  a fixed iteration count under callgrind: one warm-up
 *                    run(ctx, N), then the measured run(ctx, N) with
 *                    collection toggled on around it only, dumped with
 *                    CALLGRIND_DUMP_STATS_AT and read back (the totals of
 *                    the dump / operations = instructions per operation);
 *   6. verify (failure: exit 3, recorded in cell.json), collect metrics,
 *      tear down, and write DIR/cell.json atomically next to gbench.json,
 *      timeline.csv and gc_pauses.csv (format: docs/results-format.md).
 *
 * The process readings (getrusage, /proc/self/status) bracket the measured
 * part: every Google Benchmark run in it, including its iteration-count
 * estimation runs, warm-up and the memory manager's extra runs.
 */
#include "cell.h"

#include "json.h"
#include "procstat.h"

#ifdef HL_CELL_HAVE_OBJECTS
#include "gc.h"
#include "runtime.h"
#include "timeline.h"
#endif

#include <valgrind/callgrind.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_SEED 1
#define DEFAULT_MIN_TIME 0.5
#define DEFAULT_OBJECT_TIMELINE_MS 10
#define DEFAULT_INSTR_OPERATIONS 20000

static const char *prog = "heaplab-cell";

/* One line on stderr, prefixed with the program name. */
static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void now_iso(char *out, size_t outlen)
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
 * Command line
 * ===================================================================== */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: %s --describe [--json]\n"
        "       %s --backend SPEC --workload NAME [options] [--benchmark_* ...]\n"
        "\n"
        "Runs one measured cell (one backend x one workload) in this process and writes\n"
        "DIR/cell.json (format: docs/results-format.md).  The driver `heaplab` runs cells;\n"
        "run one by hand to debug.\n"
        "\n"
        "  --describe            this variant's backends and every workload with its\n"
        "                        parameters; --json for the machine-readable form\n"
        "  --backend SPEC        allocator under test, e.g. pool, pool:raw=system, system\n"
        "  --workload NAME       workload to run (see --describe)\n"
        "  --param K=V           workload parameter (repeatable); others take their default\n"
        "  --suite-size quick|full  defaults from the quick or the full size (default full)\n"
        "  --threads N           threads, for threaded workloads (default 1)\n"
        "  --seed S              random seed (default %d)\n"
        "  --repetitions R       Google Benchmark repetitions (default 1)\n"
        "  --min-time SEC        minimum measured time per repetition (default %.1f)\n"
        "  --warmup-time SEC     warm-up before measuring (default 0)\n"
        "  --out DIR             where cell.json, gbench.json, ... go (default .)\n"
        "  --timeline-ms N       sample RSS and live bytes every N ms into timeline.csv\n"
        "                        (default %d for object-layer and threaded workloads, 0 = off\n"
        "                        otherwise)\n"
        "  --trace FILE          trace file, for trace-replay workloads (env->data_dir)\n"
        "  --gc-threshold A,B,C  object layer: gc.set_threshold(A, B, C) (default 700,10,10)\n"
        "  --measure time|instructions  (default time)\n"
        "  --iterations N        instructions mode: iterations measured (default: enough\n"
        "                        for %d operations, from a one-iteration probe)\n"
        "  --callgrind-out-file FILE  instructions mode: the file given to valgrind\n"
        "  --quiet               no Google Benchmark console output\n"
        "  --benchmark_*         passed to Google Benchmark as is\n"
        "\n"
        "Instructions mode must run under callgrind, with collection off at start:\n"
        "  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=F \\\n"
        "    %s ... --measure instructions --iterations N --callgrind-out-file F\n"
        "\n"
        "Exit status: 0 ok, 2 bad input (or a set-up the workload refused), 3 verification\n"
        "failed, 1 results not written; anything else is a crash.\n",
        prog, prog, DEFAULT_SEED, DEFAULT_MIN_TIME, DEFAULT_OBJECT_TIMELINE_MS,
        DEFAULT_INSTR_OPERATIONS, prog);
}

static int parse_u64(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
        complain("%s wants an integer in [%" PRIu64 ", %" PRIu64 "], got '%s'", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_seconds(const char *flag, const char *s, double lo, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= 3600)) {
        complain("%s wants seconds in [%g, 3600], got '%s'", flag, lo, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_gc_threshold(const char *s, uint32_t out[3])
{
    char *end;
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (errno != 0 || end == p || *p == '-' || v > UINT32_MAX ||
            (i < 2 ? *end != ',' : *end != '\0')) {
            complain("--gc-threshold wants three integers A,B,C (e.g. 700,10,10), got '%s'", s);
            return -1;
        }
        out[i] = (uint32_t)v;
        p = end + 1;
    }
    return 0;
}

/* flag_value's answer for a flag given without its value (after complaining). */
#define MISSING ((const char *)-1)

/* Splits "--flag=value" or "--flag value": the value, NULL when argv[*i] is
 * another flag, or MISSING. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag)
{
    size_t n = strlen(flag);
    if (strncmp(argv[*i], flag, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        complain("%s needs a value (try --help)", flag);
        return MISSING;
    }
    return argv[++*i];
}

/* Returns 0, 1 for --help (done), or -1 after complaining. */
static int parse_args(hl_cell_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->seed = DEFAULT_SEED;
    o->repetitions = 1;
    o->min_time_s = DEFAULT_MIN_TIME;
    o->out_dir = ".";
    o->timeline_ms = -1;
    o->measure = HL_MEASURE_TIME;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        uint64_t u;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--describe") == 0) {
            o->describe = true;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--quiet") == 0) {
            o->quiet = true;
        } else if (strncmp(a, "--benchmark_", 12) == 0) {
            if (o->n_gb_args == HL_CELL_MAX_GB_ARGS) {
                complain("too many --benchmark_* flags (at most %d)", HL_CELL_MAX_GB_ARGS);
                return -1;
            }
            o->gb_args[o->n_gb_args++] = argv[i];
        } else if ((v = flag_value(argc, argv, &i, "--backend")) != NULL) {
            if (v == MISSING)
                return -1;
            o->backend = v;
        } else if ((v = flag_value(argc, argv, &i, "--workload")) != NULL) {
            if (v == MISSING)
                return -1;
            o->workload = v;
        } else if ((v = flag_value(argc, argv, &i, "--param")) != NULL) {
            if (v == MISSING)
                return -1;
            if (o->n_param_args == HL_CELL_MAX_PARAMS) {
                complain("too many --param flags (at most %d)", HL_CELL_MAX_PARAMS);
                return -1;
            }
            o->param_args[o->n_param_args++] = v;
        } else if ((v = flag_value(argc, argv, &i, "--threads")) != NULL) {
            if (v == MISSING || parse_u64("--threads", v, 1, 1024, &u) != 0)
                return -1;
            o->threads = (unsigned)u;
        } else if ((v = flag_value(argc, argv, &i, "--seed")) != NULL) {
            if (v == MISSING || parse_u64("--seed", v, 0, UINT64_MAX, &o->seed) != 0)
                return -1;
        } else if ((v = flag_value(argc, argv, &i, "--repetitions")) != NULL) {
            if (v == MISSING || parse_u64("--repetitions", v, 1, HL_CELL_MAX_REPS, &u) != 0)
                return -1;
            o->repetitions = (int)u;
        } else if ((v = flag_value(argc, argv, &i, "--min-time")) != NULL) {
            if (v == MISSING || parse_seconds("--min-time", v, 1e-6, &o->min_time_s) != 0)
                return -1;
        } else if ((v = flag_value(argc, argv, &i, "--warmup-time")) != NULL) {
            if (v == MISSING || parse_seconds("--warmup-time", v, 0, &o->warmup_time_s) != 0)
                return -1;
        } else if ((v = flag_value(argc, argv, &i, "--suite-size")) != NULL) {
            if (v == MISSING)
                return -1;
            if (strcmp(v, "quick") != 0 && strcmp(v, "full") != 0) {
                complain("--suite-size wants quick or full, got '%s'", v);
                return -1;
            }
            o->quick = strcmp(v, "quick") == 0;
        } else if ((v = flag_value(argc, argv, &i, "--out")) != NULL) {
            if (v == MISSING)
                return -1;
            o->out_dir = v;
        } else if ((v = flag_value(argc, argv, &i, "--timeline-ms")) != NULL) {
            if (v == MISSING || parse_u64("--timeline-ms", v, 0, 60000, &u) != 0)
                return -1;
            o->timeline_ms = (long)u;
        } else if ((v = flag_value(argc, argv, &i, "--trace")) != NULL) {
            if (v == MISSING)
                return -1;
            o->trace = v;
        } else if ((v = flag_value(argc, argv, &i, "--measure")) != NULL) {
            if (v == MISSING)
                return -1;
            if (strcmp(v, "time") == 0)
                o->measure = HL_MEASURE_TIME;
            else if (strcmp(v, "instructions") == 0)
                o->measure = HL_MEASURE_INSTRUCTIONS;
            else {
                complain("--measure wants time or instructions, got '%s'", v);
                return -1;
            }
        } else if ((v = flag_value(argc, argv, &i, "--iterations")) != NULL) {
            if (v == MISSING || parse_u64("--iterations", v, 1, UINT64_C(1) << 40, &o->iterations) != 0)
                return -1;
        } else if ((v = flag_value(argc, argv, &i, "--callgrind-out-file")) != NULL) {
            if (v == MISSING)
                return -1;
            o->callgrind_out = v;
        } else if ((v = flag_value(argc, argv, &i, "--gc-threshold")) != NULL) {
            if (v == MISSING || parse_gc_threshold(v, o->gc_threshold) != 0)
                return -1;
            o->have_gc_threshold = true;
        } else {
            complain("unknown argument '%s' (try --help)", a);
            return -1;
        }
    }
    if (o->describe)
        return 0;
    if (o->backend == NULL || o->workload == NULL) {
        complain("--backend SPEC and --workload NAME are required (or --describe; try --help)");
        return -1;
    }
    if (o->measure == HL_MEASURE_INSTRUCTIONS && o->callgrind_out == NULL) {
        complain("--measure instructions needs --callgrind-out-file FILE, the file given to "
                 "valgrind --callgrind-out-file");
        return -1;
    }
    if (o->measure == HL_MEASURE_TIME && (o->iterations != 0 || o->callgrind_out != NULL)) {
        complain("--iterations and --callgrind-out-file belong to --measure instructions");
        return -1;
    }
    return 0;
}

/* {=====================================================================
 * --describe
 * ===================================================================== */

static const char *layer_name(hl_layer l)
{
    return l == HL_LAYER_OBJECTS ? "objects" : "raw";
}

static int describe(bool json)
{
    char err[256];
    int check = hl_registry_check_process(err, sizeof err);
    const hl_backend *native = hl_registry_native();
    if (json) {
        hl_jw w;
        hl_jw_init(&w, stdout, true);
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "format", "heaplab-describe");
        hl_jw_int(&w, "format_version", 1);
        hl_jw_str(&w, "variant", hl_registry_variant());
        hl_jw_obj_begin(&w, "process_check");
        hl_jw_bool(&w, "ok", check == 0);
        hl_jw_str(&w, "message", check == 0 ? NULL : err);
        hl_jw_obj_end(&w);
        hl_jw_str(&w, "google_benchmark", hl_bench_library_version());
        hl_jw_arr_begin(&w, "backends");
        for (size_t i = 0; i < hl_registry_count(); i++) {
            const hl_backend *b = hl_registry_at(i);
            hl_jw_obj_begin(&w, NULL);
            hl_jw_str(&w, "name", b->name);
            hl_jw_str(&w, "summary", hl_registry_row(b)->summary);
            hl_jw_str(&w, "kind", hl_backend_kind_name(hl_registry_row(b)->kind));
            hl_jw_str(&w, "version", b->version ? b->version(NULL) : NULL);
            hl_jw_bool(&w, "thread_safe", b->thread_safe);
            hl_jw_bool(&w, "native", b == native);
            hl_jw_obj_end(&w);
        }
        hl_jw_arr_end(&w);
        hl_jw_arr_begin(&w, "workloads");
        for (size_t i = 0; i < hl_workload_count(); i++) {
            const hl_workload *wl = hl_workload_at(i);
            hl_jw_obj_begin(&w, NULL);
            hl_jw_str(&w, "name", wl->name);
            hl_jw_str(&w, "description", wl->description);
            hl_jw_str(&w, "layer", layer_name(wl->layer));
            hl_jw_bool(&w, "threaded", wl->threaded);
            hl_jw_str(&w, "op_unit", wl->op_unit);
            hl_jw_arr_begin(&w, "params");
            for (size_t k = 0; k < wl->n_params; k++) {
                const hl_param *p = &wl->params[k];
                hl_jw_obj_begin(&w, NULL);
                hl_jw_str(&w, "name", p->name);
                hl_jw_str(&w, "help", p->help);
                hl_jw_int(&w, "default", p->def);
                hl_jw_int(&w, "quick", p->quick);
                hl_jw_int(&w, "min", p->min);
                hl_jw_int(&w, "max", p->max);
                hl_jw_obj_end(&w);
            }
            hl_jw_arr_end(&w);
            hl_jw_obj_end(&w);
        }
        hl_jw_arr_end(&w);
        hl_jw_obj_end(&w);
        fputc('\n', stdout);
        if (hl_jw_finish(&w) != 0) {
            complain("could not write the description to stdout");
            return HL_CELL_EXIT_INTERNAL;
        }
        return HL_CELL_EXIT_OK;
    }
    printf("variant %s (process malloc: %s)\n", hl_registry_variant(),
           check == 0 ? "verified" : err);
    printf("\nbackends:\n");
    for (size_t i = 0; i < hl_registry_count(); i++) {
        const hl_backend *b = hl_registry_at(i);
        printf("  %-10s %-24s %s%s\n", b->name, b->version ? b->version(NULL) : "-",
               hl_registry_row(b)->summary,
               b->thread_safe ? "" : " [needs the GIL]");
    }
    printf("\nworkloads:\n");
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *wl = hl_workload_at(i);
        printf("  %s (%s layer%s; one operation = %s)\n    %s\n", wl->name, layer_name(wl->layer),
               wl->threaded ? ", threaded" : "", wl->op_unit, wl->description);
        for (size_t k = 0; k < wl->n_params; k++) {
            const hl_param *p = &wl->params[k];
            printf("      %-14s default %" PRId64 ", quick %" PRId64 ", [%" PRId64 ", %" PRId64
                   "]  %s\n",
                   p->name, p->def, p->quick, p->min, p->max, p->help);
        }
    }
    return HL_CELL_EXIT_OK;
}

/* {=====================================================================
 * Validation and set-up
 * ===================================================================== */

static int resolve_params(hl_cell *c)
{
    const hl_workload *wl = c->wl;
    if (wl->n_params > HL_CELL_MAX_PARAMS) {
        complain("workload %s has %zu parameters; the cell handles %d", wl->name, wl->n_params,
                 HL_CELL_MAX_PARAMS);
        return -1;
    }
    for (size_t k = 0; k < wl->n_params; k++)
        c->params[k] = c->opt.quick ? wl->params[k].quick : wl->params[k].def;
    for (size_t i = 0; i < c->opt.n_param_args; i++) {
        const char *kv = c->opt.param_args[i];
        const char *eq = strchr(kv, '=');
        char name[64];
        if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof name) {
            complain("--param wants NAME=VALUE, got '%s'", kv);
            return -1;
        }
        memcpy(name, kv, (size_t)(eq - kv));
        name[eq - kv] = '\0';
        int idx = hl_workload_param_index(wl, name);
        if (idx < 0) {
            char list[512] = "";
            for (size_t k = 0; k < wl->n_params; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                         wl->params[k].name);
            complain("workload %s has no parameter '%s' (it has: %s)", wl->name, name,
                     wl->n_params ? list : "none");
            return -1;
        }
        const hl_param *p = &wl->params[idx];
        char *end;
        errno = 0;
        long long v = strtoll(eq + 1, &end, 10);
        if (errno != 0 || end == eq + 1 || *end != '\0') {
            complain("parameter %s of workload %s wants an integer, got '%s'", name, wl->name,
                     eq + 1);
            return -1;
        }
        if (v < p->min || v > p->max) {
            complain("parameter %s=%lld of workload %s is out of range [%" PRId64 ", %" PRId64
                     "]",
                     name, v, wl->name, p->min, p->max);
            return -1;
        }
        c->params[idx] = v;
    }
    return 0;
}

static int make_dir(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        complain("--out path is too long");
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                complain("cannot create directory '%s': %s (check --out)", buf, strerror(errno));
                return -1;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        complain("--out '%s' is not a directory", path);
        return -1;
    }
    return 0;
}

/* Opens the allocator(s) and, for the object layer, the runtime. */
static int open_allocators(hl_cell *c)
{
    char err[256];
    /* One handle, even for the object layer's two domains (object memory
     * and item arrays): both are on the backend under test, and one handle
     * gives the exact combined peak of live bytes, which the memory
     * overhead (peak RSS / peak live) is computed from.  Two handles would
     * only give the sum of two separate peaks. */
    c->n_alloc = 1;
    c->alloc_role[0] = c->wl->layer == HL_LAYER_OBJECTS ? "obj_mem+item_mem" : "raw";
    for (size_t i = 0; i < c->n_alloc; i++) {
        if (hl_allocator_open(&c->alloc[i], c->opt.backend, err, sizeof err) != 0) {
            complain("%s", err);
            return -1;
        }
    }
    if (c->wl->layer != HL_LAYER_OBJECTS)
        return 0;
#ifdef HL_CELL_HAVE_OBJECTS
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    if (c->opt.have_gc_threshold)
        memcpy(cfg.threshold, c->opt.gc_threshold, sizeof cfg.threshold);
    c->rt = hl_rt_new(&c->alloc[0], &c->alloc[0], &cfg, err, sizeof err);
    if (c->rt == NULL) {
        complain("cannot create the object runtime: %s", err);
        return -1;
    }
    c->have_gc = true;
    return 0;
#else
    complain("workload %s needs the object layer, which this build lacks", c->wl->name);
    return -1;
#endif
}

/* {=====================================================================
 * Time mode: Google Benchmark
 * ===================================================================== */

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

static int run_time_mode(hl_cell *c)
{
    char err[512], path[4200];
    hl_bench_options o = {
        .repetitions = c->opt.repetitions,
        .min_time = c->opt.min_time_s,
        .min_warmup_time = c->opt.warmup_time_s,
        .use_real_time = c->wl->threaded,
        .measure_process_cpu_time = true,
    };
    if (hl_bench_register(c->wl->name, cell_benchmark, c, &o, err, sizeof err) != 0) {
        complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    hl_bench_mem_hooks hooks = {mem_start, mem_stop, c};
    hl_bench_set_memory_hooks(&hooks);
    snprintf(path, sizeof path, "%s/gbench.json", c->opt.out_dir);
    hl_bench_set_json_out(path);
    hl_bench_set_quiet(c->opt.quiet);
    hl_bench_add_context("heaplab_variant", c->variant);
    hl_bench_add_context("heaplab_backend", c->opt.backend);
    hl_bench_add_context("heaplab_workload", c->wl->name);

    char *gb_argv[HL_CELL_MAX_GB_ARGS + 2];
    int gb_argc = 0;
    gb_argv[gb_argc++] = c->argv[0];
    for (int i = 0; i < c->opt.n_gb_args; i++)
        gb_argv[gb_argc++] = c->opt.gb_args[i];
    gb_argv[gb_argc] = NULL;

    hl_procstat_read(&c->before_measure);
    int matched = hl_bench_run(gb_argc, gb_argv, err, sizeof err);
    hl_procstat_read(&c->after_measure);
    hl_bench_set_memory_hooks(NULL);
    if (matched < 0) {
        complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    if (matched == 0) {
        complain("a --benchmark_filter excluded the cell's benchmark '%s'", c->wl->name);
        return HL_CELL_EXIT_BAD_INPUT;
    }
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
        if (r->error && strcmp(c->status, "ok") == 0) {
            c->status = "benchmark_error";
            snprintf(c->message, sizeof c->message, "%s", r->error_message);
        }
    }
    return HL_CELL_EXIT_OK;
}

/* {=====================================================================
 * Instructions mode: callgrind
 * ===================================================================== */

/* The totals of the dump named `trigger`: callgrind writes each
 * CALLGRIND_DUMP_STATS_AT dump to FILE.1, FILE.2, ... and the final one to
 * FILE; each has a "desc: Trigger: Client Request: <name>" line and a
 * "totals:" (and "summary:") line with the event counts, Ir first. */
static int read_callgrind_dump(hl_cell *c, const char *trigger, uint64_t *ir)
{
    char want[160];
    snprintf(want, sizeof want, "desc: Trigger: Client Request: %s", trigger);
    for (int part = 1; part <= 64; part++) {
        snprintf(c->callgrind_dump, sizeof c->callgrind_dump, "%s.%d", c->opt.callgrind_out,
                 part);
        FILE *f = fopen(c->callgrind_dump, "r");
        if (f == NULL)
            break;
        char line[1024];
        bool ours = false, have = false;
        uint64_t summary = 0, totals = 0;
        while (fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            if (strcmp(line, want) == 0)
                ours = true;
            else if (strncmp(line, "summary:", 8) == 0) {
                summary = strtoull(line + 8, NULL, 10);
                have = true;
            } else if (strncmp(line, "totals:", 7) == 0) {
                totals = strtoull(line + 7, NULL, 10);
                have = true;
            }
        }
        fclose(f);
        if (ours && have) {
            /* "totals:" is this dump's cost; "summary:" is zeroed by
             * CALLGRIND_ZERO_STATS in some valgrind versions, so it is only
             * the fallback. */
            *ir = totals ? totals : summary;
            return 0;
        }
    }
    complain("found no callgrind dump '%s' as %s.N: run under valgrind --tool=callgrind "
             "--callgrind-out-file=%s (without %%p) and pass the same path",
             trigger, c->opt.callgrind_out, c->opt.callgrind_out);
    return -1;
}

static int run_instructions_mode(hl_cell *c)
{
    if (!RUNNING_ON_VALGRIND) {
        complain("--measure instructions must run under valgrind --tool=callgrind "
                 "--instr-atstart=no --callgrind-out-file=FILE");
        return HL_CELL_EXIT_BAD_INPUT;
    }
    hl_procstat_read(&c->before_measure);
    /* Default N: enough iterations for DEFAULT_INSTR_OPERATIONS operations,
     * from the operations one iteration performs (a deterministic probe, so
     * the same command always measures the same N). */
    uint64_t n = c->opt.iterations;
    uint64_t probe = 0;
    if (n == 0) {
        probe = c->wl->run(c->ctx, 1);
        n = probe ? (DEFAULT_INSTR_OPERATIONS + probe - 1) / probe : 1;
    }
    c->instr_iterations = n;
    /* Warm-up, not collected: caches, pools and arenas reach their steady
     * state, as Google Benchmark's estimation runs do in time mode. */
    uint64_t warm = c->wl->run(c->ctx, n);
    /* Instrumentation, unlike callgrind's collection state, is global: the
     * collection state is kept per thread, so toggling it here would miss
     * every instruction a threaded workload's workers execute.  valgrind
     * runs with --instr-atstart=no, so nothing before this point (start-up,
     * set-up, probe, warm-up) is counted, and every thread is counted from
     * here to STOP. */
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
    uint64_t ops = c->wl->run(c->ctx, n);
    CALLGRIND_STOP_INSTRUMENTATION;
    CALLGRIND_DUMP_STATS_AT("heaplab-measured");
    hl_procstat_read(&c->after_measure);
    c->instr_operations = ops;
    if (ops < n || warm < n || (c->opt.iterations == 0 && probe == 0)) {
        c->status = "benchmark_error";
        snprintf(c->message, sizeof c->message,
                 "workload %s performed fewer operations than iterations", c->wl->name);
        return HL_CELL_EXIT_OK;
    }
    if (read_callgrind_dump(c, "heaplab-measured", &c->instructions) != 0)
        return HL_CELL_EXIT_BAD_INPUT;
    if (c->instructions < ops) {
        complain("callgrind counted %" PRIu64 " instructions for %" PRIu64 " operations: run "
                 "valgrind with --instr-atstart=no (the cell switches instrumentation on itself)",
                 c->instructions, ops);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    return HL_CELL_EXIT_OK;
}

/* {=====================================================================
 * Collecting the rest
 * ===================================================================== */

static void collect_gc(hl_cell *c)
{
#ifdef HL_CELL_HAVE_OBJECTS
    if (!c->have_gc)
        return;
    hl_gc_stats s[HL_GC_GENERATIONS];
    hl_gc_get_stats(c->rt, s);
    for (int g = 0; g < 3 && g < HL_GC_GENERATIONS; g++) {
        hl_cell_gc_gen *gen = &c->gc[g];
        /* counts over the measured part: minus what set-up did */
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
#else
    (void)c;
#endif
}

/* The set-up's GC counts, subtracted later (pauses are reset instead). */
static void gc_mark_setup(hl_cell *c)
{
#ifdef HL_CELL_HAVE_OBJECTS
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
#else
    (void)c;
#endif
}

static int start_timeline(hl_cell *c)
{
    if (c->timeline_ms <= 0)
        return 0;
#ifdef HL_CELL_HAVE_OBJECTS
    char err[256];
    hl_allocator *as[2] = {&c->alloc[0], &c->alloc[1]};
    c->timeline = hl_timeline_start(as, c->n_alloc, (unsigned)c->timeline_ms, err, sizeof err);
    if (c->timeline == NULL) {
        complain("cannot start the memory timeline: %s", err);
        return -1;
    }
    return 0;
#else
    complain("--timeline-ms needs the object layer's sampler, which this build lacks");
    return -1;
#endif
}

static int finish_timeline(hl_cell *c)
{
#ifdef HL_CELL_HAVE_OBJECTS
    if (c->timeline == NULL)
        return 0;
    hl_timeline_stop(c->timeline);
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/timeline.csv", c->opt.out_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = f ? hl_timeline_write_csv(c->timeline, f) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        complain("cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    c->wrote_timeline = true;
#else
    (void)c;
#endif
    return 0;
}

/* {=====================================================================
 * main
 * ===================================================================== */

static hl_cell cell; /* large (repetitions): static, not on the stack */

int main(int argc, char **argv)
{
    char err[512];
    const char *slash = strrchr(argv[0], '/');
    prog = slash ? slash + 1 : argv[0];

    hl_cell *c = &cell;
    c->argc = argc;
    c->argv = argv;
    c->status = "ok";
    now_iso(c->started, sizeof c->started);
    hl_procstat_read(&c->at_start);
    c->rss_baseline_kib = c->at_start.rss_kib;

    int rc = parse_args(&c->opt, argc, argv);
    if (rc != 0)
        return rc > 0 ? HL_CELL_EXIT_OK : HL_CELL_EXIT_BAD_INPUT;
    if (c->opt.describe)
        return describe(c->opt.json);

    c->variant = hl_registry_variant();
    if (hl_registry_check_process(err, sizeof err) != 0) {
        complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    c->wl = hl_workload_find(c->opt.workload);
    if (c->wl == NULL) {
        char list[1024] = "";
        for (size_t i = 0; i < hl_workload_count(); i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     hl_workload_at(i)->name);
        complain("unknown workload '%s' (workloads: %s)", c->opt.workload, list);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    if (resolve_params(c) != 0)
        return HL_CELL_EXIT_BAD_INPUT;
    if (c->opt.threads != 1 && !c->wl->threaded) {
        complain("workload %s is single-threaded: --threads must be 1", c->wl->name);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    if (c->opt.have_gc_threshold && c->wl->layer != HL_LAYER_OBJECTS) {
        complain("--gc-threshold applies to object-layer workloads only (%s is raw)",
                 c->wl->name);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    /* The sampler is on by default where it is needed: object-layer cells
     * (the memory timeline chart) and threaded cells, whose peak of live
     * bytes can only be sampled (allocators/alloc.h). */
    c->timeline_ms = c->opt.timeline_ms >= 0 ? c->opt.timeline_ms
                     : (c->wl->layer == HL_LAYER_OBJECTS || c->wl->threaded)
                         ? DEFAULT_OBJECT_TIMELINE_MS
                         : 0;
    if (c->opt.measure == HL_MEASURE_INSTRUCTIONS)
        c->timeline_ms = 0; /* a sampler thread would add its own instructions */
    if (make_dir(c->opt.out_dir) != 0)
        return HL_CELL_EXIT_BAD_INPUT;
    if (open_allocators(c) != 0)
        return HL_CELL_EXIT_BAD_INPUT;

    hl_wl_env env = {
        .raw = c->wl->layer == HL_LAYER_RAW ? &c->alloc[0] : NULL,
        .rt = c->rt,
        .threads = c->opt.threads,
        .seed = c->opt.seed,
        .params = c->params,
        .data_dir = c->opt.trace,
    };
    /* A backend that relies on the GIL (pool, cpython) runs a single-threaded
     * raw workload with the lock held from set-up to tear-down, as an
     * interpreter holds it across its whole run; the object layer does the
     * same through hl_rt_enter.  Threaded raw workloads instead get it
     * around each call (alloc.h), which is what pymalloc would cost them,
     * and the contention counters say how often a thread had to wait. */
    bool hold_gil = c->wl->layer == HL_LAYER_RAW && !c->wl->threaded && c->alloc[0].needs_gil;
    if (hold_gil)
        hl_gil_acquire();
    c->ctx = c->wl->setup(&env, err, sizeof err);
    if (c->ctx == NULL) {
        complain("set-up of workload %s failed: %s", c->wl->name, err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    hl_procstat_read(&c->after_setup);
    c->rss_after_setup_kib = c->after_setup.rss_kib;
    hl_gil_reset_stats();
    gc_mark_setup(c);
    if (start_timeline(c) != 0)
        return HL_CELL_EXIT_INTERNAL;

    rc = c->opt.measure == HL_MEASURE_TIME ? run_time_mode(c) : run_instructions_mode(c);
    if (rc != HL_CELL_EXIT_OK)
        return rc;

    hl_gil_get_stats(&c->gil);
    collect_gc(c);
    for (size_t i = 0; i < c->n_alloc; i++) {
        hl_allocator_sample(&c->alloc[i]);
        hl_allocator_stats(&c->alloc[i], &c->stats_end[i]);
        if (c->stats_end[i].peak_live_bytes < c->peak_live_seen[i])
            c->stats_end[i].peak_live_bytes = c->peak_live_seen[i];
    }
    if (finish_timeline(c) != 0)
        return HL_CELL_EXIT_INTERNAL;

    if (c->wl->verify(c->ctx, err, sizeof err) != 0) {
        c->status = "verification_failed";
        snprintf(c->message, sizeof c->message, "%s", err);
    }
    if (c->wl->metrics != NULL)
        c->n_metrics = c->wl->metrics(c->ctx, c->metrics, HL_CELL_MAX_METRICS);
    hl_procstat_delta(&c->before_measure, &c->after_measure, &c->measured);

    c->wl->teardown(c->ctx);
    c->ctx = NULL;
    if (hold_gil)
        hl_gil_release();
#ifdef HL_CELL_HAVE_OBJECTS
    if (c->rt != NULL) {
        hl_rt_free(c->rt);
        c->rt = NULL;
    }
#endif
    for (size_t i = 0; i < c->n_alloc; i++) {
        hl_alloc_stats st;
        hl_allocator_stats(&c->alloc[i], &st);
        c->live_after_teardown[i] = st.live_bytes;
    }
    now_iso(c->finished, sizeof c->finished);

    if (c->have_gc && hl_cell_write_gc_pauses(c, err, sizeof err) != 0) {
        complain("%s", err);
        return HL_CELL_EXIT_INTERNAL;
    }
    if (hl_cell_write_json(c, err, sizeof err) != 0) {
        complain("%s", err);
        return HL_CELL_EXIT_INTERNAL;
    }
    for (int g = 0; g < 3; g++)
        free(c->gc[g].pauses_ns);

    if (strcmp(c->status, "verification_failed") == 0) {
        complain("verification of %s on %s failed: %s", c->wl->name, c->opt.backend, c->message);
        return HL_CELL_EXIT_VERIFY;
    }
    if (strcmp(c->status, "ok") != 0) {
        complain("%s on %s: %s", c->wl->name, c->opt.backend, c->message);
        return HL_CELL_EXIT_VERIFY;
    }
    return HL_CELL_EXIT_OK;
}
