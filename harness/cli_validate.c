/* cli_validate.c - `heaplab validate`: heaplab's object layer against real
 * CPython, twin by twin, allocator configuration by configuration.
 *
 * How it works
 * ------------
 *   1. Each --python interpreter (default: python3 on PATH) is asked what
 *      it is (pyconfig.h); the object layer must model its major.minor
 *      (objects/runtime.h's profiles) and it must have pymalloc, the base every
 *      ratio is relative to.
 *   2. Per interpreter, ONE child `heaplab run` (this very executable,
 *      /proc/self/exe) holds both sides, so that they are interleaved and
 *      repeated together by the one runner: the Python twins
 *      (workloads/python/NAME.py) as command cells under every CPython
 *      configuration of hl_pyconfig_defaults the interpreter supports and
 *      this build can preload, their figure the twin's own loop rate
 *      (--throughput 'ops_per_s=...': the measured loop only, not start-up
 *      and set-up); and heaplab's workloads of the same names on the
 *      backends that model those configurations (validate.h), with
 *      --python-model set to the interpreter's version.  Both at the
 *      workloads' quick parameters (the twins' --quick), which is where
 *      the calls table below is taken too.
 *   3. The calls table (issue 11, item 2): scripts/fidelity_calls.py of
 *      the source tree is run for the interpreter, and its JSON embedded.
 *      It is the committed computation (heaplab's --call-histogram against
 *      libheaplab-trace.so traces of the twins, read by trace_stats.py),
 *      run as is rather than ported, so that there is one implementation.
 *   4. Every child result set is loaded, and per twin and metric (time per
 *      operation, peak RSS) the per-round values become validate.h's
 *      series; the pairs and scores are written to DIR/validate.json,
 *      DIR/validate.md and DIR/validate.svg (validate_out.c).
 *
 * DIR/validate-plan.json keeps the options and the seed: --resume DIR
 * keeps complete runs, resumes incomplete ones (`heaplab run --resume`),
 * runs missing ones, and reuses a calls table that was written.
 */
#include "cli.h"
#include "cli_validate.h"
#include "fsutil.h"
#include "json.h"
#include "jread.h"
#include "measure.h"
#include "plot_run.h"
#include "pyconfig.h"
#include "runner.h"
#include "runtime.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "validate"

static const char *const usage_text =
    "usage: heaplab validate [--quick] [--python [NAME=]PATH]... [--workloads A,B]\n"
    "                        [--repetitions N] [--seed S] [--out DIR] [--no-calls]\n"
    "       heaplab validate --resume DIR\n"
    "\n"
    "Runs the Python twins of heaplab's object workloads (workloads/python/) under a\n"
    "real CPython in every allocator configuration it offers (pymalloc, malloc,\n"
    "malloc+jemalloc, malloc+mimalloc, pymalloc+jemalloc; mimalloc on 3.13), and\n"
    "heaplab's own workloads on the backends that model them (pool, system,\n"
    "jemalloc, mimalloc, pool:raw=jemalloc) with the interpreter's CPython model, in\n"
    "one interleaved run.  Reports per workload the ratios to pymalloc / pool side by\n"
    "side, and the agreement score for time and for peak RSS: the fraction of\n"
    "configuration pairs heaplab orders as CPython does, among the pairs whose\n"
    "CPython ratio's interval excludes 1.  Also the calls-per-operation table\n"
    "(scripts/fidelity_calls.py).\n"
    "\n"
    "  --quick             3 repetitions, short twin loops, no warm-up runs (~5 min)\n"
    "  --python [NAME=]PATH  a CPython 3.11-3.13 interpreter (repeatable; default:\n"
    "                      python3 on PATH); one run per interpreter\n"
    "  --workloads A,B     twins to run (default: all: churn, binary_trees,\n"
    "                      list_grow, dict_churn, cycles, gen_mix, fragmentation,\n"
    "                      fork_cow)\n"
    "  --repetitions N     rounds (default 3 with --quick, else 7; at least 3)\n"
    "  --seed S            seed of the runs (default: random, recorded)\n"
    "  --out DIR           default results/<YYYY-MM-DD>-validate[-quick][-N]\n"
    "  --no-calls          leave out the calls table\n"
    "  --resume DIR        finish a killed or interrupted validate\n"
    "\n"
    "Writes DIR/validate.json, DIR/validate.md, DIR/validate.svg, DIR/calls-NAME.json\n"
    "and one result set per interpreter (DIR/NAME/, see heaplab show).\n"
    "Exit status: 0 done (whether or not the targets are met), 1 a run, cell or the\n"
    "calls table failed (reported), 2 bad command line, 130 interrupted (finish with\n"
    "--resume DIR).\n";

/* The twins and their measured-loop sizes: --quick's keep each loop near
 * 10-100 ms and a process under ~4 s on a 2-core machine (set-up, which
 * plans every value in Python, dominates); the full ones are 2-3x longer
 * loops.  The parameters are the quick ones on both sides. */
static const struct twin {
    const char *name;
    unsigned quick, full;
} twins[] = {
    {"churn", 20000, 50000},       {"binary_trees", 100, 300}, {"list_grow", 50, 150},
    {"dict_churn", 50000, 150000}, {"cycles", 10000, 30000},   {"gen_mix", 20000, 50000},
    {"fragmentation", 10000, 20000}, {"fork_cow", 1, 3},
};
#define N_TWINS (sizeof twins / sizeof twins[0])

typedef struct val_opts {
    bool quick, no_calls, have_seed, have_reps;
    uint64_t seed;
    unsigned repetitions;
    const char *out, *resume;
    size_t n_pythons;
    const char *pythons[HL_VAL_MAX_INTERPS];
    size_t n_workloads;
    const char *workloads[N_TWINS];
    char wl_buf[1024];
} val_opts;

/* ---- options ---------------------------------------------------------------------- */

static int parse(int argc, char **argv, val_opts *o, bool from_plan)
{
    static const char *const flags[] = {"--quick", "--python",   "--workloads", "--repetitions",
                                        "--seed",  "--out",      "--resume",    "--no-calls",
                                        "--help"};
    for (int i = from_plan ? 0 : 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int m;
#define OPT(name) ((m = hl_cli_opt(CMD, argc, argv, &i, name, &v)) != 0)
#define FLAG(name) ((m = hl_cli_opt(CMD, argc, argv, &i, name, NULL)) != 0)
        if (!from_plan && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (FLAG("--quick")) {
            if (m < 0)
                return -1;
            o->quick = true;
        } else if (FLAG("--no-calls")) {
            if (m < 0)
                return -1;
            o->no_calls = true;
        } else if (OPT("--python")) {
            if (m < 0)
                return -1;
            if (o->n_pythons == HL_VAL_MAX_INTERPS)
                return hl_cli_usage_error(CMD, "--python: at most %d interpreters",
                                          HL_VAL_MAX_INTERPS), -1;
            o->pythons[o->n_pythons++] = v;
        } else if (OPT("--workloads")) {
            if (m < 0)
                return -1;
            snprintf(o->wl_buf, sizeof o->wl_buf, "%s", v);
            int n = hl_cli_split(CMD, "--workloads", o->wl_buf, o->workloads, N_TWINS);
            if (n < 0)
                return -1;
            o->n_workloads = (size_t)n;
            for (size_t k = 0; k < o->n_workloads; k++) {
                bool known = false;
                for (size_t t = 0; t < N_TWINS; t++)
                    known |= strcmp(o->workloads[k], twins[t].name) == 0;
                for (size_t j = 0; j < k; j++)
                    if (strcmp(o->workloads[j], o->workloads[k]) == 0)
                        return hl_cli_usage_error(CMD, "--workloads lists %s twice",
                                                  o->workloads[k]), -1;
                if (!known)
                    return hl_cli_usage_error(CMD, "--workloads: '%s' has no Python twin (twins: "
                                                   "churn, binary_trees, list_grow, dict_churn, "
                                                   "cycles, gen_mix, fragmentation, fork_cow)",
                                              o->workloads[k]), -1;
            }
        } else if (OPT("--repetitions")) {
            uint64_t n;
            if (m < 0 || hl_cli_u64(CMD, "--repetitions", v, 3, HL_VAL_MAX_ROUNDS, &n) != 0)
                return -1;
            o->repetitions = (unsigned)n;
            o->have_reps = true;
        } else if (OPT("--seed")) {
            if (m < 0 || hl_cli_u64(CMD, "--seed", v, 0, UINT64_MAX, &o->seed) != 0)
                return -1;
            o->have_seed = true;
        } else if (OPT("--out")) {
            if (m < 0)
                return -1;
            o->out = v;
        } else if (!from_plan && OPT("--resume")) {
            if (m < 0)
                return -1;
            o->resume = v;
        } else if (a[0] == '-') {
            const char *near = hl_cli_suggest(a, flags, sizeof flags / sizeof flags[0]);
            if (near)
                return hl_cli_usage_error(CMD, "unknown option '%s': did you mean '%s'? "
                                               "(heaplab validate --help)", a, near), -1;
            return hl_cli_usage_error(CMD, "unknown option '%s' (heaplab validate --help)", a),
                   -1;
        } else {
            return hl_cli_usage_error(CMD, "unexpected argument '%s' (heaplab validate --help)",
                                      a), -1;
        }
#undef OPT
#undef FLAG
    }
    if (from_plan)
        return 0;
    if (o->resume && (o->quick || o->no_calls || o->n_pythons || o->n_workloads ||
                      o->have_reps || o->have_seed || o->out))
        return hl_cli_usage_error(CMD, "--resume takes the options stored in %s: give "
                                       "--resume DIR alone", o->resume), -1;
    if (o->resume && !hl_is_dir(o->resume))
        return hl_cli_usage_error(CMD, "--resume %s: not a directory: give the DIR of an "
                                       "earlier heaplab validate", o->resume), -1;
    return 0;
}

/* ---- planning --------------------------------------------------------------------- */

static void add_arg(hl_val_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_arg(hl_val_run *run, const char *fmt, ...)
{
    if (run->argc + 1 >= sizeof run->argv / sizeof run->argv[0])
        return;
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    run->argv[run->argc++] = strdup(buf);
    run->argv[run->argc] = NULL;
}

/* "NAME=PATH" or "PATH". */
static const char *split_named(const char *v, char *name, size_t len)
{
    const char *eq = strchr(v, '=');
    size_t n = eq ? (size_t)(eq - v) : 0;
    if (!eq || n == 0 || n >= len || strcspn(v, "/") < n)
        return NULL;
    snprintf(name, len, "%.*s", (int)n, v);
    return eq + 1;
}

/* The interpreter, its model and its configurations; 0 or HL_EXIT_USAGE. */
static int plan_interp(hl_validate *vr, const hl_catalog *cat, const char *given)
{
    char name[HL_PY_NAME_MAX] = "", err[1200], why[300];
    const char *path = split_named(given, name, sizeof name);
    if (!path)
        path = given;
    hl_val_run *run = &vr->runs[vr->n_runs];
    memset(run, 0, sizeof *run);
    if (hl_pyconfig_query(path, name[0] ? name : NULL, &run->py, err, sizeof err) != 0)
        return hl_cli_usage_error(CMD, "%s", err);
    /* A wrapper (pyenv's shim, a shell script) would be measured with the
     * interpreter, preloads and all, and cannot be traced for the calls
     * table: run the binary it starts. */
    char real[PATH_MAX];
    if (run->py.executable[0] && realpath(run->py.executable, real) &&
        strcmp(real, run->py.path) != 0) {
        if (hl_pyconfig_query(real, name[0] ? name : NULL, &run->py, err, sizeof err) != 0)
            return hl_cli_usage_error(CMD, "%s (the interpreter %s starts)", err, path);
    }
    for (size_t i = 0; i < vr->n_runs; i++)
        if (strcmp(vr->runs[i].py.name, run->py.name) == 0)
            return hl_cli_usage_error(CMD, "--python %s and %s are both named '%s': name them, "
                                           "e.g. --python NAME=PATH", vr->runs[i].py.path,
                                      run->py.path, run->py.name);
    hl_cli_bprintf(run->model, sizeof run->model, "%u.%u", run->py.major, run->py.minor);
    /* the object layer's own parser (objects/profile.c), as heaplab run's
     * --python-model checks it */
    hl_py_profile profile;
    if (hl_py_profile_parse(run->model, &profile, why, sizeof why) != 0)
        return hl_cli_usage_error(CMD, "--python %s is CPython %s: heaplab has no model of "
                                       "it (%s)", run->py.path, run->py.version, why);
    hl_pyconfig base;
    hl_pyconfig_parse("pymalloc", &base, err, sizeof err);
    if (!hl_pyconfig_supported(&run->py, &base, why, sizeof why))
        return hl_cli_usage_error(CMD, "--python %s: %s, and validate compares every "
                                       "configuration with pymalloc", run->py.path, why);
    for (size_t i = 0; i < hl_pyconfig_n_defaults; i++) {
        const char *c = hl_pyconfig_defaults[i];
        hl_pyconfig cfg;
        if (hl_pyconfig_parse(c, &cfg, err, sizeof err) != 0 ||
            !hl_pyconfig_supported(&run->py, &cfg, why, sizeof why))
            continue;
        /* both sides need the allocator: preloaded for CPython, a cell for heaplab
         * (3.13's bundled mimalloc is modelled by heaplab's) */
        const char *needs = cfg.preload[0]                      ? cfg.preload
                            : strcmp(cfg.obj, "mimalloc") == 0 ? "mimalloc"
                                                               : NULL;
        if (needs) {
            const hl_cat_backend *b = hl_catalog_backend(cat, needs);
            if (!b || !b->malloc_library[0]) {
                fprintf(stderr, "heaplab validate: note: %s left out: this build has no %s\n",
                        c, needs);
                continue;
            }
        }
        hl_val_config *vc = &run->configs[run->n_configs++];
        snprintf(vc->config, sizeof vc->config, "%s", c);
        hl_validate_counterpart(c, vc->backend, sizeof vc->backend, err, sizeof err);
    }
    hl_cli_bprintf(run->dir, sizeof run->dir, "%s/%s", vr->dir, run->py.name);
    vr->n_runs++;
    return HL_EXIT_OK;
}

static void plan_run_argv(hl_validate *vr, hl_val_run *run)
{
    char list[2048] = "", line[8192], q[4200];
    add_arg(run, "/proc/self/exe");
    add_arg(run, "run");
    add_arg(run, "quick");
    for (size_t w = 0; w < vr->n_workloads; w++)
        hl_cli_bprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", w ? "," : "",
                 vr->workloads[w]);
    add_arg(run, "--workloads");
    add_arg(run, "%s", list);
    /* heaplab's backends first (distinct), then the CPython configurations */
    list[0] = '\0';
    for (size_t i = 0; i < run->n_configs; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= strcmp(run->configs[j].backend, run->configs[i].backend) == 0;
        if (!seen)
            hl_cli_bprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     list[0] ? "," : "", run->configs[i].backend);
    }
    /* A configuration spelled like one of those backends ("mimalloc", 3.13's
     * bundled one) is already planned by it: heaplab run gives a {python}
     * command every --backends entry that is a configuration. */
    for (size_t i = 0; i < run->n_configs; i++) {
        bool planned = false;
        for (size_t j = 0; j < run->n_configs; j++)
            planned |= strcmp(run->configs[j].backend, run->configs[i].config) == 0;
        if (!planned)
            hl_cli_bprintf(list + strlen(list), sizeof list - strlen(list), ",%s@%s",
                     run->configs[i].config, run->py.name);
    }
    add_arg(run, "--backends");
    add_arg(run, "%s", list);
    add_arg(run, "--python");
    add_arg(run, "%s=%s", run->py.name, run->py.path);
    for (size_t w = 0; w < vr->n_workloads; w++) {
        const struct twin *t = NULL;
        for (size_t k = 0; k < N_TWINS; k++)
            if (strcmp(twins[k].name, vr->workloads[w]) == 0)
                t = &twins[k];
        char prog[4200];
        hl_cli_bprintf(prog, sizeof prog, "%s/workloads/python/%s.py", vr->src_dir, t->name);
        hl_cli_quote_word(prog, q, sizeof q);
        hl_cli_bprintf(line, sizeof line, "%s.py=%s --quick --iterations %u", t->name, q,
                 vr->quick ? t->quick : t->full);
        add_arg(run, "--command-name");
        add_arg(run, "%s", line);
    }
    add_arg(run, "--throughput");
    add_arg(run, "ops_per_s=([0-9.]+)");
    add_arg(run, "--python-model");
    add_arg(run, "%s", run->model);
    add_arg(run, "--repetitions");
    add_arg(run, "%u", vr->repetitions);
    if (vr->quick) {
        /* the interpreter and the libraries are in the page cache after the
         * first job already; a warm-up run per cell would cost a fifth */
        add_arg(run, "--warmup-runs");
        add_arg(run, "0");
    } else {
        add_arg(run, "--min-time");
        add_arg(run, "0.2");
    }
    add_arg(run, "--seed");
    add_arg(run, "%" PRIu64, vr->seed);
    add_arg(run, "--out");
    add_arg(run, "%s", run->dir);
}

/* DIR/validate-plan.json: the options as given and the seed. */
static int save_plan(const hl_validate *vr, int argc, char **argv, char *err, size_t errlen)
{
    char path[4200];
    hl_cli_bprintf(path, sizeof path, "%s/validate-plan.json", vr->dir);
    hl_atomic_file af;
    hl_jw w;
    if (hl_jw_file_begin(&af, &w, path, err, errlen) != 0)
        return -1;
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", HL_VAL_PLAN_FORMAT);
    hl_jw_int(&w, "format_version", HL_VAL_PLAN_VERSION);
    hl_jw_uint(&w, "seed", vr->seed);
    hl_jw_str(&w, "command", vr->command);
    hl_jw_arr_begin(&w, "args");
    for (int i = 1; i < argc; i++)
        hl_jw_str(&w, NULL, argv[i]);
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    return hl_jw_file_commit(&af, &w, false, err, errlen);
}

/* Reads the plan back into o (its args parsed again) and the seed. */
static int load_plan(const char *dir, val_opts *o, hl_json **doc, char *command,
                     size_t command_len, char *err, size_t errlen)
{
    char path[4200], perr[600];
    hl_cli_bprintf(path, sizeof path, "%s/validate-plan.json", dir);
    *doc = hl_json_parse_file(path, perr, sizeof perr);
    if (!*doc) {
        hl_cli_bprintf(err, errlen, "%s", perr);
        return -1;
    }
    hl_jread r;
    hl_jread_init(&r, path, err, errlen);
    hl_jread_header(&r, *doc, HL_VAL_PLAN_FORMAT, HL_VAL_PLAN_VERSION, "a heaplab validate plan",
                    false);
    uint64_t seed = 0;
    hl_jread_uint(&r, *doc, "", "seed", true, UINT64_MAX, &seed);
    hl_jread_str(&r, *doc, "", "command", true, false, command, command_len);
    const hl_json *args = hl_jread_arr(&r, *doc, "", "args", true);
    if (r.failed)
        return -1;
    char *av[64];
    size_t n = 0;
    for (size_t i = 0; i < hl_json_len(args) && n < 63; i++) {
        const char *s = hl_json_str(hl_json_at(args, i), NULL);
        if (!s) {
            hl_cli_bprintf(err, errlen, "%s: args[%zu] is not a string", path, i);
            return -1;
        }
        av[n++] = (char *)s;
    }
    av[n] = NULL;
    const char *resume = o->resume;
    memset(o, 0, sizeof *o);
    o->resume = resume;
    if (parse((int)n, av, o, true) != 0) {
        hl_cli_bprintf(err, errlen, "%s: its options no longer parse", path);
        return -1;
    }
    o->seed = seed;
    o->have_seed = true;
    o->out = NULL;
    return 0;
}

/* ---- running ---------------------------------------------------------------------- */

/* Runs (or resumes) one child; false when interrupted. */
static bool execute(hl_validate *vr, hl_val_run *run)
{
    char results[4200];
    hl_cli_bprintf(results, sizeof results, "%s/results.json", run->dir);
    bool resume = false;
    if (hl_path_exists(results)) {
        char err[1024];
        if (hl_results_load(&run->rs, run->dir, err, sizeof err) == 0) {
            if (run->rs.complete) {
                run->loaded = true;
                printf("%s: complete already, kept\n", run->py.name);
                return true;
            }
            hl_results_free(&run->rs);
        }
        resume = true;
    }
    char *rargv[] = {"/proc/self/exe", "run", "--resume", run->dir, NULL};
    char out[4200], errp[4200], err[600];
    hl_cli_bprintf(out, sizeof out, "%s/logs/%s.out", vr->dir, run->py.name);
    hl_cli_bprintf(errp, sizeof errp, "%s/logs/%s.err", vr->dir, run->py.name);
    printf("%s (%s, model %s): %s %zu configurations x %zu twins (log: %s)\n", run->py.name,
           run->py.path, run->model, resume ? "resuming" : "running", run->n_configs,
           vr->n_workloads, out);
    fflush(stdout);
    hl_run_opts ro = {.path = "/proc/self/exe", .argv = resume ? rargv : run->argv,
                      .stdout_path = out, .stderr_path = errp};
    hl_run_result res;
    double t0 = hl_cli_now_s();
    hl_runner_run(&ro, &res);
    run->seconds = hl_cli_now_s() - t0;
    if (res.outcome == HL_RUN_INTERRUPTED ||
        (res.outcome == HL_RUN_EXITED && res.exit_code == HL_EXIT_INTERRUPTED))
        return false;
    if (res.outcome != HL_RUN_EXITED || (res.exit_code != 0 && res.exit_code != HL_EXIT_FAIL)) {
        char line[600];
        hl_cli_last_line(errp, line, sizeof line);
        hl_cli_bprintf(run->why, sizeof run->why, "heaplab run %s %d: %s",
                 res.outcome == HL_RUN_EXITED ? "exited with" : "died of signal",
                 res.outcome == HL_RUN_EXITED ? res.exit_code : res.signo, line);
        printf("  failed: %s\n", run->why);
        return true;
    }
    if (hl_results_load(&run->rs, run->dir, err, sizeof err) != 0) {
        hl_cli_bprintf(run->why, sizeof run->why, "%s", err);
        printf("  failed: %s\n", run->why);
        return true;
    }
    run->loaded = true;
    if (res.exit_code != 0)
        hl_cli_bprintf(run->why, sizeof run->why, "some cells failed (heaplab show %s)", run->dir);
    printf("  %s in %.0f s\n", res.exit_code == 0 ? "done" : "done, some cells failed",
           run->seconds);
    return true;
}

/* The calls table for one interpreter: scripts/fidelity_calls.py, its JSON
 * kept as DIR/calls-NAME.json.  False when interrupted. */
static bool calls_table(hl_validate *vr, hl_val_run *run)
{
    char json[4200], out[4200], errp[4200], script[4200], build[PATH_MAX], py3[PATH_MAX];
    hl_cli_bprintf(json, sizeof json, "%s/calls-%s.json", vr->dir, run->py.name);
    hl_cli_bprintf(run->calls_path, sizeof run->calls_path, "calls-%s.json", run->py.name);
    if (hl_is_regular_file(json)) {
        printf("%s: calls table written already, kept\n", run->py.name);
        run->have_calls = true;
        return true;
    }
    hl_cli_bprintf(script, sizeof script, "%s/scripts/fidelity_calls.py", vr->src_dir);
    ssize_t n = readlink("/proc/self/exe", build, sizeof build - 1);
    build[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(build, '/');
    if (slash)
        *slash = '\0';
    if (!hl_is_regular_file(script) || hl_plot_find_program("python3", py3, sizeof py3) != 0) {
        hl_cli_bprintf(run->calls_why, sizeof run->calls_why, "%s",
                 hl_is_regular_file(script) ? "no python3 on PATH to run "
                                              "scripts/fidelity_calls.py"
                                            : "the source tree's scripts/fidelity_calls.py is "
                                              "not there");
        return true;
    }
    char cdir[4200], model[4200];
    hl_cli_bprintf(cdir, sizeof cdir, "%s/calls/%s", vr->dir, run->py.name);
    hl_cli_bprintf(model, sizeof model, "%s=%s", run->model, run->py.path);
    char *argv[] = {py3, script, "--build", build, "--out", cdir, "--model", model,
                    "--json", json, NULL};
    hl_cli_bprintf(out, sizeof out, "%s/logs/calls-%s.out", vr->dir, run->py.name);
    hl_cli_bprintf(errp, sizeof errp, "%s/logs/calls-%s.err", vr->dir, run->py.name);
    printf("%s: calls table (scripts/fidelity_calls.py, log: %s)\n", run->py.name, out);
    fflush(stdout);
    hl_run_opts ro = {.path = py3, .argv = argv, .stdout_path = out, .stderr_path = errp,
                      .timeout_s = 3600};
    hl_run_result res;
    double t0 = hl_cli_now_s();
    hl_runner_run(&ro, &res);
    if (res.outcome == HL_RUN_INTERRUPTED)
        return false;
    if (res.outcome != HL_RUN_EXITED || res.exit_code != 0 || !hl_is_regular_file(json)) {
        char line[600];
        hl_cli_last_line(errp, line, sizeof line);
        hl_cli_bprintf(run->calls_why, sizeof run->calls_why, "fidelity_calls.py failed: %s",
                 line[0] ? line : "no output");
        unlink(json);
        printf("  failed: %s\n", run->calls_why);
        return true;
    }
    run->have_calls = true;
    printf("  done in %.0f s\n", hl_cli_now_s() - t0);
    return true;
}

/* ---- collecting ------------------------------------------------------------------- */

static long find_cell(const hl_resultset *rs, const char *workload, const char *backend)
{
    for (size_t c = 0; c < rs->plan.n_cells; c++)
        if (strcmp(rs->plan.cells[c].workload, workload) == 0 &&
            strcmp(rs->plan.cells[c].backend, backend) == 0)
            return (long)c;
    return -1;
}

static void fill(const hl_resultset *rs, long cell, const char *metric, double *out)
{
    for (unsigned k = 0; k < HL_VAL_MAX_ROUNDS; k++)
        out[k] = cell >= 0 && k < rs->plan.repetitions
                     ? hl_measure_rep_value(rs, (size_t)cell, k, metric)
                     : NAN;
}

/* One block per loaded run x twin x metric. */
static void collect(hl_validate *vr)
{
    static const char *const metrics[HL_VAL_N_METRICS] = {"time", "peak_rss"};
    for (size_t r = 0; r < vr->n_runs; r++) {
        hl_val_run *run = &vr->runs[r];
        if (!run->loaded)
            continue;
        for (size_t w = 0; w < vr->n_workloads; w++)
            for (size_t m = 0; m < HL_VAL_N_METRICS; m++) {
                if (vr->n_blocks == HL_VAL_MAX_BLOCKS)
                    return;
                hl_val_out_block *ob = &vr->blocks[vr->n_blocks++];
                memset(ob, 0, sizeof *ob);
                ob->run = r;
                ob->workload = vr->workloads[w];
                ob->metric = m;
                char cmd[80];
                hl_cli_bprintf(cmd, sizeof cmd, "%s.py", vr->workloads[w]);
                for (size_t i = 0; i < run->n_configs; i++) {
                    hl_val_series *s = &ob->series[i];
                    snprintf(s->config, sizeof s->config, "%s", run->configs[i].config);
                    snprintf(s->backend, sizeof s->backend, "%s", run->configs[i].backend);
                    char spec[128];
                    hl_cli_bprintf(spec, sizeof spec, "%s@%s", s->config, run->py.name);
                    long cc = find_cell(&run->rs, cmd, spec);
                    long hc = find_cell(&run->rs, vr->workloads[w], s->backend);
                    fill(&run->rs, cc, metrics[m], s->cpython);
                    fill(&run->rs, hc, metrics[m], s->heaplab);
                    double v[HL_VAL_MAX_ROUNDS], u[HL_VAL_MAX_ROUNDS];
                    size_t nv = 0, nu = 0;
                    for (unsigned k = 0; k < run->rs.plan.repetitions && k < HL_VAL_MAX_ROUNDS;
                         k++) {
                        if (isfinite(s->cpython[k]))
                            v[nv++] = s->cpython[k];
                        if (isfinite(s->heaplab[k]))
                            u[nu++] = s->heaplab[k];
                    }
                    ob->cpython_median[i] = nv ? hl_stats_median(v, nv) : NAN;
                    ob->heaplab_median[i] = nu ? hl_stats_median(u, nu) : NAN;
                }
                ob->n_series = run->n_configs;
                hl_validate_block(ob->series, ob->n_series, run->rs.plan.repetitions,
                                  &ob->block);
                hl_validate_score_add(&vr->scores[m], &ob->block);
            }
    }
}

/* ---- the command ------------------------------------------------------------------ */

static void free_validate(hl_validate *vr)
{
    for (size_t r = 0; r < vr->n_runs; r++) {
        for (size_t k = 0; k < vr->runs[r].argc; k++)
            free(vr->runs[r].argv[k]);
        if (vr->runs[r].loaded)
            hl_results_free(&vr->runs[r].rs);
    }
}

static void make_command(hl_validate *vr, int argc, char **argv)
{
    int w = snprintf(vr->command, sizeof vr->command, "heaplab validate");
    for (int i = 1; i < argc && w > 0 && (size_t)w < sizeof vr->command; i++) {
        char q[4200];
        hl_cli_quote_word(argv[i], q, sizeof q);
        w += snprintf(vr->command + w, sizeof vr->command - (size_t)w, " %s", q);
    }
}

/* Where this validation writes: the resumed directory (its plan read into
 * *o and *plan_doc), --out (new or empty), or the next free default.
 * HL_EXIT_OK, or the exit status after one line. */
static int choose_dir(hl_validate *vr, val_opts *o, hl_json **plan_doc)
{
    char err[2048];
    if (o->resume) {
        if (load_plan(o->resume, o, plan_doc, vr->command, sizeof vr->command, err,
                      sizeof err) != 0)
            return hl_cli_usage_error(CMD, "--resume %s: %s", o->resume, err);
        hl_cli_bprintf(vr->dir, sizeof vr->dir, "%s", o->resume);
    } else if (o->out) {
        if (hl_path_exists(o->out) && !(hl_is_dir(o->out) && hl_cli_dir_empty(o->out)))
            return hl_cli_usage_error(CMD, "--out %s exists and is not empty: give a new "
                                           "directory, or --resume %s", o->out, o->out);
        hl_cli_bprintf(vr->dir, sizeof vr->dir, "%s", o->out);
    } else if (hl_cli_default_out("validate", o->quick, vr->dir, sizeof vr->dir) != 0) {
        return hl_cli_usage_error(CMD, "no free results/<date>-validate directory: give --out");
    }
    return HL_EXIT_OK;
}

/* The options, the seed, and the twins selected (each must be in the
 * source tree).  HL_EXIT_OK, or the exit status after one line. */
static int take_settings(hl_validate *vr, const val_opts *o)
{
    hl_cli_source_dir(vr->src_dir, sizeof vr->src_dir);
    vr->quick = o->quick;
    vr->no_calls = o->no_calls;
    vr->repetitions = o->have_reps ? o->repetitions : o->quick ? 3 : 7;
    if (o->have_seed) {
        vr->seed = o->seed;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        vr->seed = ((uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^
                    ((uint64_t)getpid() << 20)) % 1000000000u;
    }
    for (size_t t = 0; t < N_TWINS; t++) {
        bool sel = o->n_workloads == 0;
        for (size_t k = 0; k < o->n_workloads; k++)
            sel |= strcmp(o->workloads[k], twins[t].name) == 0;
        if (sel)
            vr->workloads[vr->n_workloads++] = twins[t].name;
    }
    for (size_t t = 0; t < vr->n_workloads; t++) {
        char prog[4200];
        hl_cli_bprintf(prog, sizeof prog, "%s/workloads/python/%s.py", vr->src_dir,
                       vr->workloads[t]);
        if (!hl_is_regular_file(prog))
            return hl_cli_usage_error(CMD, "the twin %s is not there: validate runs from the "
                                           "build of a source tree", prog);
    }
    return HL_EXIT_OK;
}

/* One heaplab run per interpreter (python3 on PATH when none was given),
 * each with its command line.  HL_EXIT_OK, or the exit status. */
static int plan_interps(hl_validate *vr, val_opts *o, const hl_catalog *cat)
{
    static char py3[PATH_MAX];
    if (o->n_pythons == 0) {
        if (hl_plot_find_program("python3", py3, sizeof py3) != 0)
            return hl_cli_usage_error(CMD, "no python3 on PATH: give --python PATH");
        o->pythons[o->n_pythons++] = py3;
    }
    for (size_t i = 0; i < o->n_pythons; i++) {
        int rc = plan_interp(vr, cat, o->pythons[i]);
        if (rc != HL_EXIT_OK)
            return rc;
    }
    for (size_t t = 0; t < vr->n_workloads; t++)
        if (!hl_catalog_workload(cat, vr->workloads[t]))
            return hl_cli_usage_error(CMD, "this build's cells have no workload %s",
                                      vr->workloads[t]);
    for (size_t r = 0; r < vr->n_runs; r++)
        plan_run_argv(vr, &vr->runs[r]);
    return HL_EXIT_OK;
}

/* The logs directory, and a new validation's plan. */
static int prepare_dir(const hl_validate *vr, const val_opts *o, int argc, char **argv)
{
    char err[2048], logs[4200];
    hl_cli_bprintf(logs, sizeof logs, "%s/logs", vr->dir);
    if (hl_mkdir_p(logs, err, sizeof err) != 0 ||
        (!o->resume && save_plan(vr, argc, argv, err, sizeof err) != 0))
        return hl_cli_usage_error(CMD, "%s", err);
    return HL_EXIT_OK;
}

/* Every interpreter's run and calls table, in order, then the report.  Its
 * exit status. */
static int run_and_report(hl_validate *vr)
{
    char err[2048];
    hl_runner_install_signal_handlers();
    double t0 = hl_cli_now_s();
    printf("heaplab validate: %s (seed %" PRIu64 ")\n", vr->dir, vr->seed);
    bool go = true;
    for (size_t r = 0; r < vr->n_runs && go; r++) {
        go = execute(vr, &vr->runs[r]);
        if (go && !vr->no_calls)
            go = calls_table(vr, &vr->runs[r]);
    }
    if (!go || hl_runner_interrupted()) {
        fprintf(stderr, "heaplab validate: interrupted: finish with heaplab validate --resume "
                        "%s\n", vr->dir);
        return HL_EXIT_INTERRUPTED;
    }
    vr->seconds = hl_cli_now_s() - t0;
    collect(vr);
    int status = HL_EXIT_OK;
    if (hl_validate_write(vr, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab validate: %s\n", err);
        status = HL_EXIT_FAIL;
    }
    for (size_t r = 0; r < vr->n_runs; r++)
        if (vr->runs[r].why[0] || (!vr->no_calls && !vr->runs[r].have_calls))
            status = HL_EXIT_FAIL;
    hl_validate_print(vr, stdout);
    return status;
}

int hl_cli_validate(int argc, char **argv)
{
    static val_opts o;
    memset(&o, 0, sizeof o);
    int pr = parse(argc, argv, &o, false);
    if (pr != 0)
        return pr > 0 ? HL_EXIT_OK : HL_EXIT_USAGE;
    static hl_validate vr;
    memset(&vr, 0, sizeof vr);
    static hl_catalog cat;
    hl_json *plan_doc = NULL;
    char err[2048];
    int status = choose_dir(&vr, &o, &plan_doc);
    if (status == HL_EXIT_OK)
        status = take_settings(&vr, &o);
    if (status == HL_EXIT_OK && hl_catalog_load(&cat, err, sizeof err) != 0)
        status = hl_cli_usage_error(CMD, "%s", err);
    if (status == HL_EXIT_OK)
        status = plan_interps(&vr, &o, &cat);
    if (status == HL_EXIT_OK && !o.resume)
        make_command(&vr, argc, argv);
    hl_json_free(plan_doc); /* o's strings point into it; the runs hold copies */
    if (status == HL_EXIT_OK)
        status = prepare_dir(&vr, &o, argc, argv);
    if (status == HL_EXIT_OK)
        status = run_and_report(&vr);
    free_validate(&vr);
    return status;
}
