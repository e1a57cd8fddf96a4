/* cli_run.c - `heaplab run`: plan, run every job in a fresh process, record.
 *
 * How it works
 * ------------
 *   1. Parse the command line into an hl_plan_request (or, with --resume,
 *      take the plan stored in DIR).
 *   2. Ask the cells what they host (catalog.c) and expand the plan.
 *   3. Create DIR, write plan.json and an empty result set, so DIR is a
 *      valid result set from the first instant.
 *   4. For each job in the interleaved order that is not done yet: make
 *      DIR/cells/<id>/rep-<k>/, run the cell there (runner.c) with the time
 *      and memory limits, record the outcome and rewrite the result files.
 *   5. Print the summary; optionally draw the plots.
 *
 * A job interrupted by SIGINT/SIGTERM is not recorded (its process is
 * killed), so --resume reruns it; everything finished before stays.
 */
#include "catalog.h"
#include "cli.h"
#include "cli_run_cmd.h"
#include "allocenv.h"
#include "fsutil.h"
#include "job.h"
#include "json.h"
#include "metadata.h"
#include "plan.h"
#include "progress.h"
#include "results.h"
#include "route.h"
#include "runner.h"

#include "plot.h"
#include "protocol.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const run_usage =
    "usage: heaplab run [quick|full] [options]\n"
    "\n"
    "Runs every cell (backend x workload x parameters x threads) in a fresh process,\n"
    "R times, in an interleaved seeded-shuffled order, and writes DIR/results.json,\n"
    "DIR/results.csv, DIR/summary.md and DIR/cells/<cell>/rep-<k>/.\n"
    "\n"
    "suites:\n"
    "  quick (default)  every backend x every workload at quick sizes; minutes\n"
    "  full             default sizes, 9 repetitions; much longer\n"
    "\n"
    "matrix (narrows or changes the suite):\n"
    "  --backends A,B          backend specs, e.g. system,pool,pool:raw=jemalloc\n"
    "  --workloads X,Y         workload names (heaplab list workloads)\n"
    "  --threads 1,2,4         thread counts for threaded workloads (others run once)\n"
    "  --param NAME=V1[,V2..]  set or sweep a workload parameter; repeatable; several\n"
    "                          sweeps take the cross product\n"
    "measurement:\n"
    "  --repetitions N         processes per cell (quick 5, full 9, instructions 1;\n"
    "                          9+ for timing comparisons)\n"
    "  --min-time SEC          Google Benchmark min time per process (quick 0.05, full 0.2)\n"
    "  --samples K             cut each process's min time into K samples of equal work\n"
    "                          and take their median (default 5; threaded workloads: 1)\n"
    "  --warmup-time SEC       untimed warm-up per process (quick 0.05, full 0.1)\n"
    "  --seed S                workload and shuffle seed (default: random, recorded)\n"
    "  --measure time|instructions\n"
    "                          instructions: run cells under valgrind callgrind and\n"
    "                          report instructions per operation (slow, repeatable)\n"
    "  --iterations N          instructions mode: iterations counted (default: the cell's)\n"
    "  --fixed-ops N           time mode: peak RSS, live bytes, GC and timelines come from\n"
    "                          a pass of about N operations, the same for every backend,\n"
    "                          before the timed one (quick 100000, full 1000000; 0 = off)\n"
    "  --trace FILE            malloc trace for the replay workload (left out without one\n"
    "                          unless HEAPLAB_TRACE is set)\n"
    "  --label TEXT            a name for this run, in every output file (compare prints it)\n"
    "  --python-model V        object-layer workloads model CPython V: 3.11, 3.12 or 3.13\n"
    "                          (default: the build machine's python3; list backends says)\n"
    "  --model-option K=V      a what-if option of the object layer, e.g. freelists=off,\n"
    "                          refcount=biased (docs/cli.md); repeatable\n"
    "  --reference BACKEND     the backend rankings divide by (default: the fastest that\n"
    "                          is not a debug backend)\n"
    "external programs (command cells; README \"Benchmark your own program or allocator\"):\n"
    "  --command CMD           run CMD (words split like a shell, no shell) under every\n"
    "                          process allocator; repeatable\n"
    "  --command-name NAME=CMD the same, with NAME in the cell ids\n"
    "  --suite FILE            the programs a suite file names (docs/suite-files.md)\n"
    "  --bench-dir DIR         where a suite's programs were built ({bench})\n"
    "  --bench-src DIR         their source folder ({bench-src}; default: read from\n"
    "                          DIR/CMakeCache.txt)\n"
    "  --python [NAME=]PATH    a CPython interpreter: commands become its arguments and\n"
    "                          run under its allocator configurations; repeatable\n"
    "  --env NAME=VALUE        extra environment for the --command programs; repeatable\n"
    "  --cwd DIR, --stdin FILE their working directory and standard input\n"
    "  --throughput REGEX      their figure is the number REGEX's group captures in\n"
    "                          stdout (operations per second), not the elapsed time\n"
    "  --throughput-scale X    operations per second = X times that number\n"
    "  --expect-exit N         the exit status a good run ends with (default 0)\n"
    "  --warmup-runs N         unmeasured runs before each cell's first repetition (1)\n"
    "limits:\n"
    "  --timeout SEC           per process (quick 120, full 600); the cell is killed\n"
    "  --memory-limit MB       per process RSS; the cell is killed above it\n"
    "output:\n"
    "  --out DIR               default results/<YYYY-MM-DD>-<suite>[-N]\n"
    "  --resume DIR            finish a killed or interrupted run (same plan and seed)\n"
    "  --plot                  draw the charts into DIR/plots/ when done\n"
    "  --dry-run               print the plan and exit\n"
    "\n"
    "Exit status: 0 every cell ok, 1 some cell failed (recorded; the suite went on),\n"
    "2 bad command line, 130 interrupted (resume with --resume DIR).\n";

typedef struct run_opts {
    hl_plan_request req;
    const char *out_dir;
    const char *resume_dir;
    const char *label;
    bool plot;
    bool dry_run;
    bool matrix_given; /* a flag that --resume forbids */
    hl_run_commands cmds;
    char *owned[HL_PLAN_MAX_LIST];
    size_t n_owned;
} run_opts;

/* Copies a string the parser splits in place; freed at the end. */
static char *own(run_opts *o, const char *s)
{
    char *d = strdup(s);
    if (d && o->n_owned < HL_PLAN_MAX_LIST)
        o->owned[o->n_owned++] = d;
    return d;
}

/* Does a --backends item start a new spec: a backend name, alone or with
 * ':' options ("jemalloc:conf=narenas:1"), preload:PATH, or a CPython
 * configuration ("pymalloc", "malloc+jemalloc@3.11")? */
static bool starts_spec(const char *item)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(item, ":"), item);
    return hl_backend_row_find(name) || strcmp(name, "preload") == 0 ||
           hl_plan_spec_is_command_only(item);
}

/* --backends: a comma splits backends, except that an item that does not
 * start a spec continues the options of the spec before it: "guard:raw=x,
 * quarantine=64" is one spec, and so is "jemalloc:conf=narenas:1,tcache:false"
 * (MALLOC_CONF is itself a comma list). */
static int parse_backends(run_opts *o, const char *flag, const char *value)
{
    char *s = own(o, value);
    const char *items[HL_PLAN_MAX_LIST];
    int n = hl_cli_split("run", flag, s, items, HL_PLAN_MAX_LIST);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!starts_spec(items[i]) && o->req.n_backends > 0 &&
            strchr(o->req.backends[o->req.n_backends - 1], ':')) {
            char joined[640];
            snprintf(joined, sizeof joined, "%s,%s", o->req.backends[o->req.n_backends - 1],
                     items[i]);
            o->req.backends[o->req.n_backends - 1] = own(o, joined);
            continue;
        }
        const char *eq = strchr(items[i], '='), *colon = strchr(items[i], ':');
        if (eq && (!colon || eq < colon)) {
            hl_cli_usage_error("run", "%s: '%s' is an option without a backend: write "
                                      "NAME:%s", flag, items[i], items[i]);
            return -1;
        }
        if (o->req.n_backends == HL_PLAN_MAX_LIST) {
            hl_cli_usage_error("run", "%s: more than %d backends", flag, HL_PLAN_MAX_LIST);
            return -1;
        }
        o->req.backends[o->req.n_backends++] = items[i];
    }
    for (size_t i = 0; i < o->req.n_backends; i++) {
        char err[300];
        /* command backends are checked when the commands are planned */
        if (hl_plan_spec_is_command_only(o->req.backends[i]))
            continue;
        if (!hl_route_variant(o->req.backends[i], err, sizeof err)) {
            hl_cli_usage_error("run", "%s: %s", flag, err);
            return -1;
        }
    }
    return 0;
}

static int parse_param(run_opts *o, const char *value)
{
    const char *eq = strchr(value, '=');
    if (!eq || eq == value || eq[1] == '\0') {
        hl_cli_usage_error("run", "--param '%s': write --param NAME=VALUE[,VALUE...], e.g. "
                                  "--param size=64,256", value);
        return -1;
    }
    if (o->req.n_sweeps == HL_PLAN_MAX_SWEEPS) {
        hl_cli_usage_error("run", "--param: at most %d parameters can be swept at once",
                           HL_PLAN_MAX_SWEEPS);
        return -1;
    }
    hl_plan_sweep *sw = &o->req.sweeps[o->req.n_sweeps];
    memset(sw, 0, sizeof *sw);
    size_t nlen = (size_t)(eq - value);
    if (nlen >= sizeof sw->name) {
        hl_cli_usage_error("run", "--param: parameter name '%.*s' is too long", (int)nlen, value);
        return -1;
    }
    memcpy(sw->name, value, nlen);
    for (size_t i = 0; i < o->req.n_sweeps; i++)
        if (strcmp(o->req.sweeps[i].name, sw->name) == 0) {
            hl_cli_usage_error("run", "--param %s is given twice: list every value once, e.g. "
                                      "--param %s=1,2", sw->name, sw->name);
            return -1;
        }
    char *vals = own(o, eq + 1);
    const char *items[HL_PLAN_MAX_SWEEP_VALUES];
    int n = hl_cli_split("run", "--param", vals, items, HL_PLAN_MAX_SWEEP_VALUES);
    if (n < 0)
        return -1;
    char flag[80];
    snprintf(flag, sizeof flag, "--param %s", sw->name);
    for (int i = 0; i < n; i++) {
        /* a word is an enumeration's label, resolved when planning */
        char *end;
        errno = 0;
        long long v = strtoll(items[i], &end, 10);
        bool word = items[i][0] && (isalpha((unsigned char)items[i][0]) || items[i][0] == '_');
        sw->label[i] = word ? items[i] : NULL;
        if (word)
            continue;
        if (errno || *end != '\0' || end == items[i]) {
            hl_cli_i64("run", flag, items[i], &sw->values[i]); /* its one-line complaint */
            return -1;
        }
        sw->values[i] = v;
        for (int j = 0; j < i; j++)
            if (!sw->label[j] && sw->values[j] == sw->values[i]) {
                hl_cli_usage_error("run", "%s lists %s twice: give each value once", flag,
                                   items[i]);
                return -1;
            }
    }
    sw->n = (size_t)n;
    o->req.n_sweeps++;
    return 0;
}

/* A result directory must leave room for the cells' directories below it
 * (cells/<id>/rep-<k>/callgrind.out), which must never be cut short. */
#define HL_RUN_MAX_DIR 3000

static int check_dir_arg(const char *flag, const char *v)
{
    if (strlen(v) > HL_RUN_MAX_DIR) {
        hl_cli_usage_error("run", "%s: a path of %zu bytes is too long (at most %d, to leave "
                                  "room for the cells' directories below it)",
                           flag, strlen(v), HL_RUN_MAX_DIR);
        return -1;
    }
    return 0;
}

/* ---- the options: one row each ------------------------------------------- */

/* Each setter reads one option's value into o: 0, or -1 after its one-line
 * complaint. */
static int set_backends(run_opts *o, const char *v)
{
    return parse_backends(o, "--backends", v) != 0 ? -1 : 0;
}

static int set_workloads(run_opts *o, const char *v)
{
    int n = hl_cli_split("run", "--workloads", own(o, v), o->req.workloads + o->req.n_workloads,
                         HL_PLAN_MAX_LIST - o->req.n_workloads);
    if (n < 0)
        return -1;
    o->req.n_workloads += (size_t)n;
    return 0;
}

static int set_threads(run_opts *o, const char *v)
{
    const char *items[HL_PLAN_MAX_THREADS];
    int n = hl_cli_split("run", "--threads", own(o, v), items, HL_PLAN_MAX_THREADS);
    if (n < 0)
        return -1;
    o->req.n_threads = 0;
    for (int k = 0; k < n; k++) {
        uint64_t t;
        if (hl_cli_u64("run", "--threads", items[k], 1, 1024, &t) != 0)
            return -1;
        for (size_t j = 0; j < o->req.n_threads; j++)
            if (o->req.threads[j] == t)
                return hl_cli_usage_error("run", "--threads lists %s twice: give each count "
                                                 "once", items[k]), -1;
        o->req.threads[o->req.n_threads++] = (unsigned)t;
    }
    return 0;
}

static int set_unsigned(const char *flag, const char *v, uint64_t lo, uint64_t hi, unsigned *out)
{
    uint64_t n;
    if (hl_cli_u64("run", flag, v, lo, hi, &n) != 0)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static int set_repetitions(run_opts *o, const char *v)
{
    return set_unsigned("--repetitions", v, 1, 1000, &o->req.repetitions);
}

static int set_samples(run_opts *o, const char *v)
{
    return set_unsigned("--samples", v, 1, HL_MAX_SAMPLES, &o->req.samples);
}

static int set_min_time(run_opts *o, const char *v)
{
    return hl_cli_double("run", "--min-time", v, 0.001, 3600, &o->req.min_time);
}

static int set_warmup_time(run_opts *o, const char *v)
{
    return hl_cli_double("run", "--warmup-time", v, 0, 3600, &o->req.warmup_time);
}

static int set_seed(run_opts *o, const char *v)
{
    o->req.have_seed = true;
    return hl_cli_u64("run", "--seed", v, 0, UINT64_MAX, &o->req.seed);
}

static int set_timeout(run_opts *o, const char *v)
{
    return hl_cli_double("run", "--timeout", v, 0.1, 7 * 24 * 3600.0, &o->req.timeout_s);
}

static int set_memory_limit(run_opts *o, const char *v)
{
    return hl_cli_u64("run", "--memory-limit", v, 1, UINT64_MAX / (1024 * 1024),
                      &o->req.memory_limit_mb);
}

static int set_measure(run_opts *o, const char *v)
{
    if (strcmp(v, "time") != 0 && strcmp(v, "instructions") != 0)
        return hl_cli_usage_error("run", "--measure '%s': use time or instructions", v), -1;
    o->req.measure = v;
    return 0;
}

static int set_iterations(run_opts *o, const char *v)
{
    return hl_cli_u64("run", "--iterations", v, 1, UINT64_C(1) << 40, &o->req.iterations);
}

static int set_fixed_ops(run_opts *o, const char *v)
{
    o->req.have_fixed_ops = true;
    return hl_cli_u64("run", "--fixed-ops", v, 0, UINT64_C(1) << 40, &o->req.fixed_ops);
}

static int set_trace(run_opts *o, const char *v)
{
    o->req.trace = v;
    return 0;
}

static int set_label(run_opts *o, const char *v)
{
    o->label = v;
    return 0;
}

static int set_reference(run_opts *o, const char *v)
{
    o->req.reference = v;
    return 0;
}

static int set_python_model(run_opts *o, const char *v)
{
    o->req.python_model = v;
    return 0;
}

static int set_model_option(run_opts *o, const char *v)
{
    if (o->req.n_model_options == HL_PLAN_MAX_MODEL_OPTIONS)
        return hl_cli_usage_error("run", "too many --model-option flags (at most %d)",
                                  HL_PLAN_MAX_MODEL_OPTIONS), -1;
    o->req.model_options[o->req.n_model_options++] = v;
    return 0;
}

static int set_out(run_opts *o, const char *v)
{
    o->out_dir = v;
    return check_dir_arg("--out", v);
}

static int set_resume(run_opts *o, const char *v)
{
    o->resume_dir = v;
    return check_dir_arg("--resume", v);
}

static int set_plot(run_opts *o, const char *v)
{
    (void)v;
    o->plot = true;
    return 0;
}

static int set_dry_run(run_opts *o, const char *v)
{
    (void)v;
    o->dry_run = true;
    return 0;
}

/* Invariant: `matrix` options are what plan.json stores, so --resume,
 * which reads them from there, refuses them; the rest say where and how
 * this invocation runs. */
typedef struct run_option {
    const char *name;
    bool takes_value;
    bool matrix;
    int (*set)(run_opts *o, const char *value);
} run_option;

static const run_option run_options[] = {
    {"--backends", true, true, set_backends},
    {"--workloads", true, true, set_workloads},
    {"--threads", true, true, set_threads},
    {"--param", true, true, parse_param},
    {"--repetitions", true, true, set_repetitions},
    {"--samples", true, true, set_samples},
    {"--min-time", true, true, set_min_time},
    {"--warmup-time", true, true, set_warmup_time},
    {"--seed", true, true, set_seed},
    {"--timeout", true, true, set_timeout},
    {"--memory-limit", true, true, set_memory_limit},
    {"--measure", true, true, set_measure},
    {"--iterations", true, true, set_iterations},
    {"--fixed-ops", true, true, set_fixed_ops},
    {"--trace", true, true, set_trace},
    {"--label", true, true, set_label},
    {"--reference", true, true, set_reference},
    {"--python-model", true, true, set_python_model},
    {"--model-option", true, true, set_model_option},
    {"--out", true, false, set_out},
    {"--resume", true, false, set_resume},
    {"--plot", false, false, set_plot},
    {"--dry-run", false, false, set_dry_run},
};
#define N_RUN_OPTIONS (sizeof run_options / sizeof run_options[0])

/* argv[*i] as one of run_options: 1 when it was one (and set), 0 when it
 * is none, -1 after a complaint. */
static int take_option(run_opts *o, int argc, char **argv, int *i)
{
    for (size_t k = 0; k < N_RUN_OPTIONS; k++) {
        const run_option *opt = &run_options[k];
        const char *v = NULL;
        int r = hl_cli_opt("run", argc, argv, i, opt->name, opt->takes_value ? &v : NULL);
        if (r == 0)
            continue;
        if (r < 0 || opt->set(o, v) != 0)
            return -1;
        o->matrix_given |= opt->matrix;
        return 1;
    }
    return 0;
}

static int unknown_option(const char *a)
{
    const char *all[N_RUN_OPTIONS + 16];
    size_t n_all = 0;
    for (size_t k = 0; k < N_RUN_OPTIONS; k++)
        all[n_all++] = run_options[k].name;
    for (size_t k = 0; k < hl_run_commands_n_flags && n_all < sizeof all / sizeof all[0]; k++)
        all[n_all++] = hl_run_commands_flags[k];
    char flag[64];
    snprintf(flag, sizeof flag, "%.*s", (int)strcspn(a, "="), a);
    const char *near = hl_cli_suggest(flag, all, n_all);
    if (near)
        return hl_cli_usage_error("run", "unknown option '%s': did you mean %s? (see heaplab "
                                         "run --help)", a, near);
    return hl_cli_usage_error("run", "unknown option '%s' (see heaplab run --help)", a);
}

/* Returns HL_EXIT_OK to go on, or an exit status (help, usage error). */
static int parse_args(run_opts *o, int argc, char **argv, bool *help)
{
    hl_plan_request_init(&o->req);
    *help = false;
    bool have_suite = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = true;
            return HL_EXIT_OK;
        }
        int r = hl_run_commands_option(&o->cmds, argc, argv, &i);
        if (r > 0)
            o->matrix_given = true;
        if (r == 0)
            r = take_option(o, argc, argv, &i);
        if (r < 0)
            return HL_EXIT_USAGE;
        if (r > 0)
            continue;
        if (a[0] == '-')
            return unknown_option(a);
        if (have_suite)
            return hl_cli_usage_error("run", "unexpected argument '%s': give at most one suite",
                                      a);
        if (!hl_plan_is_suite(a))
            return hl_cli_usage_error("run", "unknown suite '%s': use quick or full, or an "
                                             "explicit matrix (--backends, --workloads)", a);
        o->req.suite = a;
        have_suite = true;
        o->matrix_given = true;
    }
    if (o->resume_dir && o->matrix_given)
        return hl_cli_usage_error("run", "--resume takes the suite and matrix stored in %s: drop "
                                         "the other run options", o->resume_dir);
    if (o->resume_dir && o->dry_run)
        return hl_cli_usage_error("run", "--dry-run plans a new run: drop it, or drop --resume");
    if (o->resume_dir && o->out_dir)
        return hl_cli_usage_error("run", "--resume writes into %s: drop --out", o->resume_dir);
    return HL_EXIT_OK;
}

static void print_plan(const hl_plan *plan, FILE *out)
{
    char how[160];
    hl_plan_describe_measurement(plan, how, sizeof how);
    fprintf(out, "suite %s: %zu cells x %u repetitions = %zu processes (%s sizes, %s, seed "
                 "%" PRIu64 ", measure %s)\n",
            plan->suite, plan->n_cells, plan->repetitions, plan->n_jobs, plan->suite_size, how,
            plan->seed, plan->measure);
}

/* Builds the metadata object as a DOM (written into every results.json). */
static hl_json *collect_metadata(const hl_catalog *cat, const hl_plan *plan, const char *label,
                                 int argc, char **argv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return NULL;
    hl_jw w;
    hl_jw_init(&w, mem, false);
    hl_jw_obj_begin(&w, NULL);
    hl_metadata_write(&w, cat, plan, label, argc, argv);
    hl_jw_obj_end(&w);
    hl_jw_finish(&w);
    fclose(mem);
    char err[256];
    hl_json *doc = hl_json_parse(text, len, err, sizeof err);
    free(text);
    return doc;
}

static void free_opts(run_opts *o)
{
    hl_run_commands_free(&o->cmds);
    for (size_t i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
}

/* The result set being written, and where. */
typedef struct run_state {
    hl_resultset rs;
    bool have_rs;
    int lock_fd;          /* DIR/.heaplab.lock, held for the run and by every cell */
    char dir[4096];
    char absdir[4096];
} run_state;

/* Every variant the plan's cells run in has its executable. */
static int check_executables(const hl_plan *plan, char *err, size_t errlen)
{
    for (size_t c = 0; c < plan->n_cells; c++) {
        char exe[HL_ROUTE_PATH_MAX], argv0[HL_ROUTE_PATH_MAX];
        if (hl_route_cell_exe(plan->cells[c].variant, plan->cells[c].backend, exe, sizeof exe,
                              argv0, sizeof argv0, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* --resume DIR: the stored plan and every finished job.  Returns
 * HL_EXIT_OK to go on, or the exit status (including "already complete"). */
static int open_resume(run_state *st, const hl_catalog *cat, const char *resume_dir, int argc,
                       char **argv, bool *done)
{
    char err[600];
    snprintf(st->dir, sizeof st->dir, "%s", resume_dir);
    /* One writer per result directory: a second `run --resume` of the same
     * DIR while the first still runs would record jobs twice. */
    if (!hl_is_dir(st->dir))
        return hl_cli_usage_error("run", "--resume %s: not a directory: give the --out DIR of "
                                         "an earlier run", st->dir);
    if ((st->lock_fd = hl_dir_lock(st->dir, err, sizeof err)) < 0)
        return hl_cli_usage_error("run", "%s", err);
    char probe[4200], plan_path[4200];
    snprintf(probe, sizeof probe, "%s/results.json", st->dir);
    snprintf(plan_path, sizeof plan_path, "%s/plan.json", st->dir);
    if (!hl_path_exists(probe) && hl_path_exists(plan_path)) {
        /* killed between writing plan.json and the first results.json */
        hl_plan plan;
        if (hl_plan_load(&plan, plan_path, err, sizeof err) != 0)
            return hl_cli_usage_error("run", "--resume %s: %s", st->dir, err);
        hl_json *meta = collect_metadata(cat, &plan, NULL, argc + 1, argv - 1);
        if (hl_results_init(&st->rs, st->dir, &plan, meta, err, sizeof err) != 0) {
            hl_plan_free(&plan);
            hl_json_free(meta);
            fprintf(stderr, "heaplab run: %s\n", err);
            return HL_EXIT_FAIL;
        }
    } else if (hl_results_load(&st->rs, st->dir, err, sizeof err) != 0) {
        return hl_cli_usage_error("run", "--resume %s: %s", st->dir, err);
    }
    st->have_rs = true;
    if (hl_plan_check(&st->rs.plan, err, sizeof err) != 0)
        return hl_cli_usage_error("run", "--resume %s: the stored plan is inconsistent: %s",
                                  st->dir, err);
    if (st->rs.complete) {
        printf("%s is already complete: nothing to resume (heaplab show %s)\n", st->dir,
               st->dir);
        *done = true;
        return HL_EXIT_OK;
    }
    /* What a fresh run checks at plan time, checked again: a cell
     * executable or trace missing now is a problem to fix and resume, not
     * a failed job recorded for good. */
    if (hl_plan_check_identity(&st->rs.plan, err, sizeof err) != 0)
        return hl_cli_usage_error("run", "--resume %s: %s", st->dir, err);
    if (check_executables(&st->rs.plan, err, sizeof err) != 0)
        return hl_cli_usage_error("run", "--resume %s: %s; then resume again", st->dir, err);
    st->rs.interrupted = false;
    st->rs.finished[0] = '\0';
    return HL_EXIT_OK;
}

/* --out DIR, or the default results/<date>-<suite>[-N]: created, locked and
 * known to hold no result set yet. */
static int create_out_dir(run_state *st, const char *out_dir, const char *suite)
{
    char err[600];
    if (out_dir) {
        snprintf(st->dir, sizeof st->dir, "%s", out_dir);
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/results.json", st->dir);
        if (hl_mkdir_p(st->dir, err, sizeof err) != 0)
            return hl_cli_usage_error("run", "--out %s", err);
        if ((st->lock_fd = hl_dir_lock(st->dir, err, sizeof err)) < 0)
            return hl_cli_usage_error("run", "%s", err);
        if (hl_path_exists(probe))
            return hl_cli_usage_error("run", "--out %s already holds a result set: choose "
                                             "another directory, or finish it with --resume %s",
                                      st->dir, st->dir);
        return HL_EXIT_OK;
    }
    if (hl_cli_default_out(suite, false, st->dir, sizeof st->dir) != 0) {
        fprintf(stderr, "heaplab run: no free results/<date>-%s-N directory: give --out DIR\n",
                suite);
        return HL_EXIT_FAIL;
    }
    if (hl_mkdir_p(st->dir, err, sizeof err) != 0 ||
        (st->lock_fd = hl_dir_lock(st->dir, err, sizeof err)) < 0) {
        fprintf(stderr, "heaplab run: %s\n", err);
        return HL_EXIT_FAIL;
    }
    return HL_EXIT_OK;
}

/* --threads where no selected workload is threaded does nothing: say so;
 * more threads than CPUs measure sharing, not scaling: say that too. */
static void warn_threads(const hl_plan_request *req, const hl_plan *plan)
{
    bool threaded = false;
    unsigned most = 0;
    for (size_t c = 0; c < plan->n_cells; c++)
        if (plan->cells[c].threaded) {
            threaded = true;
            most = plan->cells[c].threads > most ? plan->cells[c].threads : most;
        }
    if (req->n_threads && !threaded)
        fprintf(stderr, "heaplab run: note: --threads applies to threaded workloads, and none "
                        "of the selected ones is (heaplab list workloads)\n");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (threaded && ncpu > 0 && most > (unsigned)ncpu)
        fprintf(stderr, "heaplab run: warning: %u threads on %ld CPUs: the threads will share "
                        "CPUs, so those cells measure contention, not scaling\n", most, ncpu);
}

/* The default selection in instructions mode leaves out the workloads
 * whose work runs in forked children (plan.c): name them. */
static void note_left_out(const hl_catalog *cat, const hl_plan_request *req,
                          const hl_plan *plan)
{
    if (req->n_workloads || req->n_commands)
        return;
    for (size_t i = 0; i < cat->n_workloads; i++)
        if (hl_plan_uncountable(plan, &cat->workloads[i]))
            fprintf(stderr, "heaplab run: note: instructions mode leaves out %s: its "
                            "operations run in forked children, which callgrind's count of "
                            "the cell does not hold (measure it in time mode)\n",
                    cat->workloads[i].name);
}

/* A new run: plan, directory, plan.json, an empty result set. */
static int open_new(run_state *st, const hl_catalog *cat, run_opts *o, int argc, char **argv,
                    bool *done)
{
    char err[600];
    hl_plan plan;
    if (hl_plan_build(cat, &o->req, &plan, err, sizeof err) != 0)
        return hl_cli_usage_error("run", "%s", err);
    warn_threads(&o->req, &plan);
    note_left_out(cat, &o->req, &plan);
    if (o->dry_run) {
        print_plan(&plan, stdout);
        for (size_t i = 0; i < plan.n_jobs; i++)
            printf("  %4zu  %s rep-%u\n", i + 1, plan.cells[plan.jobs[i].cell].id,
                   plan.jobs[i].rep);
        hl_plan_free(&plan);
        *done = true;
        return HL_EXIT_OK;
    }
    int rc = create_out_dir(st, o->out_dir, plan.suite);
    char plan_path[4200];
    snprintf(plan_path, sizeof plan_path, "%s/plan.json", st->dir);
    if (rc == HL_EXIT_OK && hl_plan_save(&plan, plan_path, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab run: %s\n", err);
        rc = HL_EXIT_FAIL;
    }
    if (rc != HL_EXIT_OK) {
        hl_plan_free(&plan);
        return rc;
    }
    /* argv is main's argv + 1 (see heaplab.c): record the whole command */
    hl_json *meta = collect_metadata(cat, &plan, o->label, argc + 1, argv - 1);
    if (hl_results_init(&st->rs, st->dir, &plan, meta, err, sizeof err) != 0) {
        hl_plan_free(&plan);
        hl_json_free(meta);
        fprintf(stderr, "heaplab run: %s\n", err);
        return HL_EXIT_FAIL;
    }
    st->have_rs = true;
    return HL_EXIT_OK;
}

/* Allocator tuning the user's environment sets is not passed to cells
 * (allocenv.h): say so once, so that nobody believes it measured. */
static void warn_allocator_env(void)
{
    const char *set[32];
    size_t n = hl_allocenv_set(set, 32);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "heaplab run: warning: %s is set in your environment; cells start "
                        "without it (allocator tuning belongs in the backend spec, see "
                        "docs/cli.md), and the run records it in its fingerprint\n",
                set[i]);
}

/* Every job not done yet, in the plan's order; the result files are
 * rewritten after each.  0, or -1 when they could not be written. */
static int run_jobs(run_state *st, bool resuming)
{
    char err[600];
    const hl_plan *plan = &st->rs.plan;
    size_t already = 0;
    for (size_t i = 0; i < plan->n_jobs; i++)
        already += hl_results_rep(&st->rs, plan->jobs[i].cell, plan->jobs[i].rep)->done;
    double est = hl_plan_job_estimate_s(plan);
    char eta[32];
    hl_progress_format_duration(est * (double)(plan->n_jobs - already), eta, sizeof eta);
    print_plan(plan, stderr);
    fprintf(stderr, "%s %s (%zu of %zu processes to run, about %s)\n",
            resuming ? "resuming into" : "writing to", st->dir, plan->n_jobs - already,
            plan->n_jobs, eta);
    warn_allocator_env();
    hl_runner_install_signal_handlers();
    hl_progress prog;
    hl_progress_init(&prog, stderr, plan->n_jobs, already, est, -1);
    for (size_t j = 0; j < plan->n_jobs && !hl_runner_interrupted(); j++) {
        const hl_plan_job *job = &plan->jobs[j];
        if (hl_results_rep(&st->rs, job->cell, job->rep)->done)
            continue;
        const hl_plan_cell *c = &plan->cells[job->cell];
        char rel[600], repdir[4096 + 700], label[400], started[40];
        hl_results_rep_dir(&st->rs, job->cell, job->rep, rel, sizeof rel);
        snprintf(repdir, sizeof repdir, "%s/%s", st->absdir, rel);
        snprintf(label, sizeof label, "%s rep-%u", c->id, job->rep);
        hl_progress_begin(&prog, label);
        hl_metadata_now_iso(started, sizeof started);
        hl_run_result run;
        hl_job_run(plan, c, job->rep, repdir, st->lock_fd, &run);
        if (run.outcome == HL_RUN_INTERRUPTED)
            break;
        hl_results_record(&st->rs, job->cell, job->rep, &run, started);
        const hl_rep *r = hl_results_rep_c(&st->rs, job->cell, job->rep);
        char detail[400] = "";
        if (strcmp(r->status, HL_JOB_OK) != 0)
            snprintf(detail, sizeof detail, "%s", r->reason);
        else if (hl_results_primary_metric(&st->rs) == HL_M_INSTR_PER_OP)
            snprintf(detail, sizeof detail, "%.1f instr/op", r->m[HL_M_INSTR_PER_OP]);
        else
            hl_fmt_time_ns(r->m[HL_M_NS_PER_OP], detail, sizeof detail);
        hl_progress_end(&prog, r->status, detail, run.wall_s);
        if (hl_results_save(&st->rs, err, sizeof err) != 0) {
            hl_progress_close(&prog);
            fprintf(stderr, "heaplab run: %s; the results up to the previous job are intact: "
                            "fix that and finish with heaplab run --resume %s\n",
                    err, st->dir);
            return -1;
        }
    }
    hl_progress_close(&prog);
    return 0;
}

/* The last save, the summary, the exit status. */
static int finish_run(run_state *st, bool plot)
{
    char err[600];
    const hl_plan *plan = &st->rs.plan;
    size_t done = 0;
    for (size_t i = 0; i < plan->n_jobs; i++)
        done += hl_results_rep(&st->rs, plan->jobs[i].cell, plan->jobs[i].rep)->done;
    st->rs.interrupted = hl_runner_interrupted() != 0;
    st->rs.complete = done == plan->n_jobs;
    hl_metadata_now_iso(st->rs.finished, sizeof st->rs.finished);
    hl_metadata_loadavg(st->rs.load_avg_end);
    if (hl_results_save(&st->rs, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab run: %s\n", err);
        return HL_EXIT_FAIL;
    }
    hl_results_print_summary(&st->rs, stdout, false);
    printf("\nresults: %s/ (results.json, results.csv, summary.md)\n", st->dir);
    if (st->rs.interrupted) {
        fprintf(stderr, "heaplab run: interrupted after %zu of %zu processes: finish with "
                        "heaplab run --resume %s\n", done, plan->n_jobs, st->dir);
        return HL_EXIT_INTERRUPTED;
    }
    int rc = HL_EXIT_OK;
    for (size_t c = 0; c < plan->n_cells; c++)
        if (strcmp(hl_results_cell_status(&st->rs, c, NULL), "ok") != 0)
            rc = HL_EXIT_FAIL;
    if (plot) {
        char perr[400];
        if (hl_plot_results(st->dir, NULL, perr, sizeof perr) != 0) {
            fprintf(stderr, "heaplab run: --plot: %s\n", perr);
            rc = HL_EXIT_FAIL;
        }
    }
    return rc;
}

int hl_cli_run(int argc, char **argv)
{
    run_opts o;
    memset(&o, 0, sizeof o);
    bool help, done = false;
    int rc = parse_args(&o, argc, argv, &help);
    if (rc != HL_EXIT_OK || help) {
        if (help)
            fputs(run_usage, stdout);
        free_opts(&o);
        return rc;
    }
    char err[600];
    hl_catalog *cat = calloc(1, sizeof *cat);
    run_state *st = calloc(1, sizeof *st);
    if (!cat || !st) {
        fprintf(stderr, "heaplab run: out of memory\n");
        rc = HL_EXIT_FAIL;
    } else if (hl_catalog_load(cat, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab run: %s\n", err);
        rc = HL_EXIT_FAIL;
    } else if (!o.resume_dir && (rc = hl_run_commands_build(&o.cmds, &o.req)) != HL_EXIT_OK) {
        /* the one line is printed */
    } else {
        rc = o.resume_dir ? open_resume(st, cat, o.resume_dir, argc, argv, &done)
                          : open_new(st, cat, &o, argc, argv, &done);
    }
    if (rc == HL_EXIT_OK && !done) {
        /* Absolute result directory: the cells get absolute --out paths. */
        if (!realpath(st->dir, st->absdir)) {
            fprintf(stderr, "heaplab run: cannot resolve %s: %s\n", st->dir, strerror(errno));
            rc = HL_EXIT_FAIL;
        } else if (hl_results_save(&st->rs, err, sizeof err) != 0) {
            fprintf(stderr, "heaplab run: %s\n", err);
            rc = HL_EXIT_FAIL;
        } else {
            if (hl_route_test_hook())
                fprintf(stderr, "heaplab run: warning: HEAPLAB_TEST_CELL_CMD is set: cells are "
                                "run by %s (a test hook; the results are not measurements)\n",
                        hl_route_test_hook());
            rc = run_jobs(st, o.resume_dir != NULL) != 0 ? HL_EXIT_FAIL
                                                         : finish_run(st, o.plot);
        }
    }
    if (st && st->have_rs)
        hl_results_free(&st->rs);
    free(st);
    free(cat);
    free_opts(&o);
    return rc;
}
