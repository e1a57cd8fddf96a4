/* cell_args.c - the cell's command line and its workload's parameters.
 *
 * How it works
 * ------------
 * Every option is one row of `options`: its flag, the kind of value it
 * takes, where in hl_cell_opts the value goes and its bounds.  One loop
 * matches argv against the table ("--flag value" and "--flag=value" alike),
 * so a new option is one row, and every bad value gets the same kind of
 * one-line message naming the flag, the value and what it should be.
 * Cross-option rules (a backend and a workload are required, instructions
 * mode needs a callgrind file, ...) are checked once at the end.
 */
#include "cell.h"

#include "runtime.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(const char *prog)
{
    printf(
        "usage: %s --describe [--json]\n"
        "       %s --backend SPEC --workload NAME [options] [--benchmark_* ...]\n"
        "\n"
        "Runs one measured cell (one backend x one workload) in this process and writes\n"
        "DIR/cell.json (format: docs/results-format.md).  The driver `heaplab` runs cells;\n"
        "run one by hand to debug.\n"
        "\n"
        "  --describe            this variant's backends and every workload with its\n"
        "                        parameters; --json for the machine-readable form\n"
        "  --protocol N          the driver's protocol version (harness/protocol.h); a cell\n"
        "                        of another version refuses to run\n"
        "  --backend SPEC        allocator under test, e.g. pool, pool:raw=system, system\n"
        "  --workload NAME       workload to run (see --describe)\n"
        "  --param K=V           workload parameter (repeatable); others take their default\n"
        "  --suite-size quick|full  defaults from the quick or the full size (default full)\n"
        "  --threads N           threads, for threaded workloads (default 1)\n"
        "  --seed S              random seed (default %d)\n"
        "  --repetitions R       Google Benchmark repetitions (default 1)\n"
        "  --min-time SEC        minimum measured time per repetition (default %.1f)\n"
        "  --samples K           split the one repetition's --min-time into K samples of\n"
        "                        equal work and report their median (default 1; a threaded\n"
        "                        workload always measures one window)\n"
        "  --warmup-time SEC     warm-up before measuring (default 0)\n"
        "  --out DIR             where cell.json, gbench.json, ... go (default .)\n"
        "  --timeline-ms N       sample RSS and live bytes every N ms into timeline.csv\n"
        "                        (default %d for object-layer and threaded workloads, 0 = off\n"
        "                        otherwise)\n"
        "  --trace FILE          the data file of a workload that reads one (replay)\n"
        "  --gc-threshold A,B,C  object layer: gc.set_threshold(A, B, C) (default: the\n"
        "                        model's, 700,10,10 for 3.11 and 3.12, 2000,10,10 for 3.13)\n"
        "  --python-model V      object layer: the CPython version modelled, 3.11, 3.12 or\n"
        "                        3.13 (default %s, the build machine's python3)\n"
        "  --model-option K=V    object layer: a what-if option of objects/runtime.h, e.g.\n"
        "                        freelists=off, gc_passes=fused, instances=dict (repeatable)\n"
        "  --call-histogram FILE object layer: before measuring, count the allocator calls\n"
        "                        of one run of --iterations N (default: %d operations'\n"
        "                        worth) and write them to FILE in trace_stats.py's JSON\n"
        "  --measure time|instructions  (default time)\n"
        "  --fixed-ops N         time mode: before timing, run about N operations (the same\n"
        "                        iterations for every backend) and take peak RSS, live\n"
        "                        bytes, GC figures and the timeline from that pass (0 = off)\n"
        "  --iterations N        instructions mode: iterations measured (default: enough\n"
        "                        for %d operations, from a one-iteration probe); also the\n"
        "                        run --call-histogram counts\n"
        "  --callgrind-out-file FILE  instructions mode: the file given to valgrind\n"
        "  --quiet               no Google Benchmark console output\n"
        "  --benchmark_*         passed to Google Benchmark as is\n"
        "\n"
        "Instructions mode must run under callgrind, with collection off at start:\n"
        "  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=F \\\n"
        "    %s ... --measure instructions --iterations N --callgrind-out-file F\n"
        "\n"
        "Exit status: 0 ok, 2 bad input, 3 verification failed, 4 set-up failed,\n"
        "1 results not written; anything else is a crash (harness/protocol.h).\n",
        prog, prog, HL_CELL_DEFAULT_SEED, HL_CELL_DEFAULT_MIN_TIME, HL_CELL_DEFAULT_TIMELINE_MS,
        hl_py_profile_name(hl_py_default_profile()), HL_CELL_DEFAULT_INSTR_OPERATIONS,
        HL_CELL_DEFAULT_INSTR_OPERATIONS, prog);
}

/* ---- values ---------------------------------------------------------------- */

static int parse_u64(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
        hl_cell_complain("%s wants an integer in [%" PRIu64 ", %" PRIu64 "], got '%s'", flag, lo,
                         hi, s);
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
        hl_cell_complain("%s wants seconds in [%g, 3600], got '%s'", flag, lo, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int set_suite_size(hl_cell_opts *o, const char *v)
{
    if (strcmp(v, "quick") != 0 && strcmp(v, "full") != 0) {
        hl_cell_complain("--suite-size wants quick or full, got '%s'", v);
        return -1;
    }
    o->quick = strcmp(v, "quick") == 0;
    return 0;
}

static int set_measure(hl_cell_opts *o, const char *v)
{
    if (strcmp(v, "time") == 0)
        o->measure = HL_MEASURE_TIME;
    else if (strcmp(v, "instructions") == 0)
        o->measure = HL_MEASURE_INSTRUCTIONS;
    else {
        hl_cell_complain("--measure wants time or instructions, got '%s'", v);
        return -1;
    }
    return 0;
}

static int set_gc_threshold(hl_cell_opts *o, const char *s)
{
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (errno != 0 || end == p || *p == '-' || v > UINT32_MAX ||
            (i < 2 ? *end != ',' : *end != '\0')) {
            hl_cell_complain("--gc-threshold wants three integers A,B,C (e.g. 700,10,10), got "
                             "'%s'", s);
            return -1;
        }
        o->gc_threshold[i] = (uint32_t)v;
        p = end + 1;
    }
    o->have_gc_threshold = true;
    return 0;
}

static int set_python_model(hl_cell_opts *o, const char *v)
{
    char err[128];
    hl_py_profile p;
    if (hl_py_profile_parse(v, &p, err, sizeof err) != 0) {
        hl_cell_complain("--python-model: %s", err);
        return -1;
    }
    o->python_model = v;
    return 0;
}

static int add_model_option(hl_cell_opts *o, const char *v)
{
    char err[256];
    hl_rt_config scratch;
    hl_rt_config_default(&scratch);
    if (hl_rt_config_set(&scratch, v, err, sizeof err) != 0) {
        hl_cell_complain("--model-option: %s", err);
        return -1;
    }
    if (o->n_model_options == HL_CELL_MAX_MODEL_OPTIONS) {
        hl_cell_complain("too many --model-option flags (at most %d)", HL_CELL_MAX_MODEL_OPTIONS);
        return -1;
    }
    o->model_options[o->n_model_options++] = v;
    return 0;
}

static int set_timeline(hl_cell_opts *o, const char *v)
{
    uint64_t u;
    if (parse_u64("--timeline-ms", v, 0, 60000, &u) != 0)
        return -1;
    o->timeline_ms = (int64_t)u;
    return 0;
}

static int set_protocol(hl_cell_opts *o, const char *v)
{
    uint64_t u;
    if (parse_u64("--protocol", v, 1, 1000000, &u) != 0)
        return -1;
    o->protocol = (long)u;
    return 0;
}

static int add_param(hl_cell_opts *o, const char *v)
{
    if (o->n_param_args == HL_CELL_MAX_PARAMS) {
        hl_cell_complain("too many --param flags (at most %d)", HL_CELL_MAX_PARAMS);
        return -1;
    }
    o->param_args[o->n_param_args++] = v;
    return 0;
}

/* ---- the option table ------------------------------------------------------ */

typedef enum opt_kind { K_FLAG, K_STR, K_U64, K_SECONDS, K_CALL } opt_kind;

typedef struct opt_row {
    const char *flag;
    opt_kind kind;
    size_t offset;           /* of the field in hl_cell_opts (K_FLAG, K_STR, K_U64, K_SECONDS) */
    uint64_t lo, hi;         /* K_U64 bounds */
    double dlo;              /* K_SECONDS lower bound */
    int (*call)(hl_cell_opts *o, const char *value); /* K_CALL */
} opt_row;

#define F(field) offsetof(hl_cell_opts, field)

static const opt_row options[] = {
    {"--describe", K_FLAG, F(describe), 0, 0, 0, NULL},
    {"--json", K_FLAG, F(json), 0, 0, 0, NULL},
    {"--quiet", K_FLAG, F(quiet), 0, 0, 0, NULL},
    {"--protocol", K_CALL, 0, 0, 0, 0, set_protocol},
    {"--backend", K_STR, F(backend), 0, 0, 0, NULL},
    {"--workload", K_STR, F(workload), 0, 0, 0, NULL},
    {"--param", K_CALL, 0, 0, 0, 0, add_param},
    {"--threads", K_U64, F(threads), 1, 1024, 0, NULL},
    {"--seed", K_U64, F(seed), 0, UINT64_MAX, 0, NULL},
    {"--repetitions", K_U64, F(repetitions), 1, HL_CELL_MAX_REPS, 0, NULL},
    {"--samples", K_U64, F(samples), 1, HL_MAX_SAMPLES, 0, NULL},
    {"--min-time", K_SECONDS, F(min_time_s), 0, 0, 1e-6, NULL},
    {"--warmup-time", K_SECONDS, F(warmup_time_s), 0, 0, 0, NULL},
    {"--suite-size", K_CALL, 0, 0, 0, 0, set_suite_size},
    {"--out", K_STR, F(out_dir), 0, 0, 0, NULL},
    {"--timeline-ms", K_CALL, 0, 0, 0, 0, set_timeline},
    {"--trace", K_STR, F(trace), 0, 0, 0, NULL},
    {"--measure", K_CALL, 0, 0, 0, 0, set_measure},
    {"--iterations", K_U64, F(iterations), 1, UINT64_C(1) << 40, 0, NULL},
    {"--fixed-ops", K_U64, F(fixed_ops), 0, UINT64_C(1) << 40, 0, NULL},
    {"--callgrind-out-file", K_STR, F(callgrind_out), 0, 0, 0, NULL},
    {"--gc-threshold", K_CALL, 0, 0, 0, 0, set_gc_threshold},
    {"--python-model", K_CALL, 0, 0, 0, 0, set_python_model},
    {"--model-option", K_CALL, 0, 0, 0, 0, add_model_option},
    {"--call-histogram", K_STR, F(call_histogram), 0, 0, 0, NULL},
};

#undef F

/* The row argv[*i] names ("--flag" or "--flag=value"), and its value. */
static const opt_row *match(int argc, char **argv, int *i, const char **value, bool *missing)
{
    *missing = false;
    for (size_t r = 0; r < sizeof options / sizeof options[0]; r++) {
        const opt_row *row = &options[r];
        size_t n = strlen(row->flag);
        const char *a = argv[*i];
        if (strncmp(a, row->flag, n) != 0 || (a[n] != '\0' && a[n] != '='))
            continue;
        if (row->kind == K_FLAG) {
            *value = a[n] == '=' ? a + n + 1 : NULL;
            return row;
        }
        if (a[n] == '=')
            *value = a + n + 1;
        else if (*i + 1 < argc)
            *value = argv[++*i];
        else
            *missing = true;
        return row;
    }
    return NULL;
}

static int apply(hl_cell_opts *o, const opt_row *row, const char *value)
{
    char *field = (char *)o + row->offset;
    switch (row->kind) {
    case K_FLAG:
        if (value != NULL) {
            hl_cell_complain("%s takes no value, got '%s'", row->flag, value);
            return -1;
        }
        *(bool *)field = true;
        return 0;
    case K_STR:
        *(const char **)field = value;
        return 0;
    case K_U64:
        return parse_u64(row->flag, value, row->lo, row->hi, (uint64_t *)field);
    case K_SECONDS:
        return parse_seconds(row->flag, value, row->dlo, (double *)field);
    case K_CALL:
        return row->call(o, value);
    }
    return -1;
}

/* Rules between options, once everything is read. */
static int check_combination(const hl_cell_opts *o)
{
    if (o->describe)
        return 0;
    if (o->protocol >= 0 && o->protocol != HL_PROTOCOL_VERSION) {
        hl_cell_complain("the driver speaks protocol %ld and this cell %d: rebuild heaplab and "
                         "its cells together (cmake --build <build dir>)",
                         o->protocol, HL_PROTOCOL_VERSION);
        return -1;
    }
    if (o->backend == NULL || o->workload == NULL) {
        hl_cell_complain("--backend SPEC and --workload NAME are required (or --describe; try "
                         "--help)");
        return -1;
    }
    if (o->measure == HL_MEASURE_INSTRUCTIONS && o->callgrind_out == NULL) {
        hl_cell_complain("--measure instructions needs --callgrind-out-file FILE, the file given "
                         "to valgrind --callgrind-out-file");
        return -1;
    }
    if (o->measure == HL_MEASURE_INSTRUCTIONS && o->fixed_ops != 0) {
        hl_cell_complain("--fixed-ops belongs to --measure time (instructions mode runs a fixed "
                         "count already)");
        return -1;
    }
    if (o->samples > 1 && o->repetitions > 1) {
        hl_cell_complain("--samples %" PRIu64 " splits one repetition: drop --repetitions, or "
                         "use --samples 1", o->samples);
        return -1;
    }
    if (o->samples > 1 && o->measure == HL_MEASURE_INSTRUCTIONS) {
        hl_cell_complain("--samples belongs to --measure time (an instruction count is exact)");
        return -1;
    }
    if (o->measure == HL_MEASURE_TIME && o->callgrind_out != NULL) {
        hl_cell_complain("--callgrind-out-file belongs to --measure instructions");
        return -1;
    }
    if (o->measure == HL_MEASURE_TIME && o->iterations != 0 && o->call_histogram == NULL) {
        hl_cell_complain("--iterations belongs to --measure instructions or --call-histogram");
        return -1;
    }
    return 0;
}

int hl_cell_parse_args(hl_cell_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->protocol = -1;
    o->threads = 1;
    o->seed = HL_CELL_DEFAULT_SEED;
    o->repetitions = 1;
    o->samples = 1;
    o->min_time_s = HL_CELL_DEFAULT_MIN_TIME;
    o->out_dir = ".";
    o->timeline_ms = -1;
    o->measure = HL_MEASURE_TIME;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *value = NULL;
        bool missing;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            const char *slash = strrchr(argv[0], '/');
            usage(slash ? slash + 1 : argv[0]);
            return 1;
        }
        if (strncmp(a, "--benchmark_", 12) == 0) {
            if (o->n_gb_args == HL_CELL_MAX_GB_ARGS) {
                hl_cell_complain("too many --benchmark_* flags (at most %d)",
                                 HL_CELL_MAX_GB_ARGS);
                return -1;
            }
            o->gb_args[o->n_gb_args++] = argv[i];
            continue;
        }
        const opt_row *row = match(argc, argv, &i, &value, &missing);
        if (row == NULL) {
            hl_cell_complain("unknown argument '%s' (try --help)", a);
            return -1;
        }
        if (missing) {
            hl_cell_complain("%s needs a value (try --help)", row->flag);
            return -1;
        }
        if (apply(o, row, value) != 0)
            return -1;
    }
    return check_combination(o);
}

/* ---- the workload's parameters -------------------------------------------- */

static int set_param(hl_cell *c, const char *kv)
{
    const hl_workload *wl = c->wl;
    const char *eq = strchr(kv, '=');
    char name[64];
    if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof name) {
        hl_cell_complain("--param wants NAME=VALUE, got '%s'", kv);
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
        hl_cell_complain("workload %s has no parameter '%s' (it has: %s)", wl->name, name,
                         wl->n_params ? list : "none");
        return -1;
    }
    const hl_param *p = &wl->params[idx];
    char *end;
    errno = 0;
    long long v = strtoll(eq + 1, &end, 10);
    if (errno != 0 || end == eq + 1 || *end != '\0') {
        hl_cell_complain("parameter %s of workload %s wants an integer, got '%s'", name,
                         wl->name, eq + 1);
        return -1;
    }
    if (v < p->min || v > p->max) {
        hl_cell_complain("parameter %s=%lld of workload %s is out of range [%" PRId64
                         ", %" PRId64 "]",
                         name, v, wl->name, p->min, p->max);
        return -1;
    }
    c->params[idx] = v;
    return 0;
}

int hl_cell_resolve_params(hl_cell *c)
{
    const hl_workload *wl = c->wl;
    if (wl->n_params > HL_CELL_MAX_PARAMS) {
        hl_cell_complain("workload %s has %zu parameters; the cell handles %d", wl->name,
                         wl->n_params, HL_CELL_MAX_PARAMS);
        return -1;
    }
    for (size_t k = 0; k < wl->n_params; k++)
        c->params[k] = c->opt.quick ? wl->params[k].quick : wl->params[k].def;
    for (size_t i = 0; i < c->opt.n_param_args; i++)
        if (set_param(c, c->opt.param_args[i]) != 0)
            return -1;
    return 0;
}
