/* test_driver.c - the `heaplab` driver end to end, run as a program.
 *
 * Cells are played by tests/fake_cell.c through the driver's test hook
 * (HEAPLAB_TEST_CELL_CMD; variants "system" only, so jemalloc & co are
 * "not in this build").  Every test runs heaplab in a private temporary
 * directory.  What is checked:
 *   - every flag: good values accepted, bad ones exit 2 with ONE line;
 *   - plan expansion (matrix, sweeps, threads) through --dry-run;
 *   - a run with crashing, hanging, failing and memory-hogging cells records
 *     each reason and goes on; the hang's forked child dies with it;
 *   - SIGKILL mid-run leaves parseable results with the finished jobs, and
 *     --resume runs exactly the missing ones;
 *   - SIGINT stops the run with status 130 and resume finishes it;
 *   - with --soak KILLS [SEED] (ctest's driver_soak, label "long") only the
 *     soak test: a suite SIGKILLed at KILLS seeded random moments and
 *     resumed each time; after every kill results.json parses and `heaplab
 *     show` reads it, no recorded repetition changes, no cell outlives its
 *     driver, and at most one finished job (the one in flight) is not
 *     recorded; in the end every (cell, rep) is recorded once and its cell
 *     ran once plus once per kill that caught it finished but unrecorded;
 *   - compare and show on fixed result sets (tests/data/compare_[ab]) give
 *     the exact ratios, p-values and geometric mean.
 */
#include "../workloads/trace_format.h"
#include "hl_proc.h"
#include "hl_test.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef HEAPLAB_EXE
#error "HEAPLAB_EXE must be defined by tests/harness.cmake"
#endif

static char tmpdir[256];
static char out_path[512], err_path[512], log_path[512];

/* ---- running heaplab ---------------------------------------------------- */

/* The environment of every heaplab this test runs: the fake cell. */
static void fake_cell_env(void)
{
    setenv("HEAPLAB_TEST_CELL_CMD", FAKE_CELL, 1);
    setenv("HEAPLAB_TEST_CELL_VARIANTS", "system", 1);
    setenv("HEAPLAB_FAKE_LOG", log_path, 1);
}

static pid_t spawn_heaplab(char *const *args)
{
    char *argv[64];
    int n = 0;
    argv[n++] = HEAPLAB_EXE;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    return hl_proc_spawn(argv, tmpdir, out_path, err_path, fake_cell_env);
}


/* Runs heaplab with a NULL-terminated list of arguments; returns its status. */
static int heaplab(const char *first, ...)
{
    char *args[64];
    int n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
        args[n++] = (char *)a;
    va_end(ap);
    args[n] = NULL;
    return hl_proc_wait(spawn_heaplab(args));
}


static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static size_t count_str(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void rm_rf(const char *path)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        printf("  (could not remove %s)\n", path);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* results.json of a directory under tmpdir, parsed (NULL when unreadable). */
static hl_json *load_results(const char *dir)
{
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/%s/results.json", tmpdir, dir);
    return hl_json_parse_file(path, err, sizeof err);
}

static const hl_json *find_cell(const hl_json *doc, const char *id)
{
    const hl_json *cells = hl_json_get(doc, "cells");
    for (size_t i = 0; i < hl_json_len(cells); i++)
        if (strcmp(hl_json_get_str(hl_json_at(cells, i), "id", ""), id) == 0)
            return hl_json_at(cells, i);
    return NULL;
}

static const char *rep_status(const hl_json *doc, const char *id, size_t k)
{
    return hl_json_get_str(hl_json_at(hl_json_get(find_cell(doc, id), "reps"), k), "status",
                           "(none)");
}

static size_t jobs_done(const hl_json *doc)
{
    size_t n = 0;
    const hl_json *cells = hl_json_get(doc, "cells");
    for (size_t i = 0; i < hl_json_len(cells); i++)
        n += hl_json_len(hl_json_get(hl_json_at(cells, i), "reps"));
    return n;
}

/* ---- flag parsing --------------------------------------------------------- */

/* A bad command line: status 2, exactly one line on stderr mentioning
 * `needle`, nothing on stdout. */
#define BAD(needle, ...)                                                              \
    do {                                                                              \
        int rc_ = heaplab(__VA_ARGS__, NULL);                                         \
        char *e_ = hl_proc_slurp(err_path), *o_ = hl_proc_slurp(out_path);                           \
        CHECK_MSG(rc_ == 2, "status %d for %s", rc_, #__VA_ARGS__);                   \
        CHECK_MSG(count_char(e_, '\n') == 1, "stderr not one line for %s: %s",        \
                  #__VA_ARGS__, e_);                                                  \
        CHECK_MSG(strstr(e_, needle) != NULL, "'%s' not in: %s", needle, e_);         \
        CHECK_MSG(o_[0] == '\0', "stdout not empty for %s: %s", #__VA_ARGS__, o_);    \
        free(e_);                                                                     \
        free(o_);                                                                     \
    } while (0)

TEST(bad_top_level)
{
    BAD("no command", NULL);
}

TEST(bad_commands)
{
    BAD("unknown command 'frob'", "frob");
    BAD("unknown section 'frob'", "list", "frob");
    BAD("unknown option '--jsn'", "list", "--jsn");
    BAD("--json takes no value", "list", "--json=1");
    BAD("one section at a time", "list", "backends", "workloads");
}

TEST(bad_run_flags)
{
    BAD("--repetitions 0: out of range", "run", "--repetitions", "0");
    BAD("--repetitions 'x': not a whole number", "run", "--repetitions", "x");
    BAD("--repetitions needs a value", "run", "--repetitions");
    BAD("--repetitions has an empty value", "run", "--repetitions=");
    BAD("--min-time -1: out of range", "run", "--min-time", "-1");
    BAD("--min-time 'abc': not a number", "run", "--min-time=abc");
    BAD("--warmup-time 'x'", "run", "--warmup-time", "x");
    BAD("--threads 0: out of range", "run", "--threads", "0");
    BAD("--threads has an empty item", "run", "--threads", "1,,2");
    BAD("--threads lists 2 twice", "run", "--threads", "2,2");
    BAD("--param 'size': write --param NAME=VALUE", "run", "--param", "size");
    BAD("--param size 'abc': not an integer", "run", "--param", "size=abc");
    BAD("--param size lists 1 twice", "run", "--param", "size=1,1");
    BAD("--param size is given twice", "run", "--param", "size=1", "--param", "size=2");
    BAD("no selected workload has a parameter 'nosuch'", "run", "--param", "nosuch=1");
    BAD("--param size=0: out of range for workload pairs", "run", "--param", "size=0");
    BAD("unknown backend 'nosuch'", "run", "--backends", "nosuch");
    BAD("raw=cpython is not a process allocator", "run", "--backends", "pool:raw=cpython");
    BAD("takes no raw= option", "run", "--backends", "jemalloc:raw=system");
    BAD("an option without a backend", "run", "--backends", "raw=system");
    BAD("backend 'tcmalloc' is not in this build: install libgoogle-perftools-dev and rebuild",
        "run", "--backends", "system,tcmalloc");
    BAD("unknown workload 'nosuch'", "run", "--workloads", "pairs,nosuch");
    BAD("--measure 'cycles': use time or instructions", "run", "--measure", "cycles");
    BAD("--seed '-1'", "run", "--seed", "-1");
    BAD("--timeout 0: out of range", "run", "--timeout", "0");
    BAD("--memory-limit 0: out of range", "run", "--memory-limit", "0");
    BAD("unknown option '--bogus'", "run", "--bogus");
    BAD("unknown suite 'fast'", "run", "fast");
    BAD("unexpected argument 'full'", "run", "quick", "full");
    BAD("--resume takes the suite and matrix", "run", "--resume", "x", "--backends", "system");
    BAD("--resume writes into x: drop --out", "run", "--resume", "x", "--out", "y");
    BAD("--dry-run plans a new run", "run", "--resume", "x", "--dry-run");
    BAD("--resume /nonexistent", "run", "--resume", "/nonexistent");
    BAD("--plot takes no value", "run", "--plot=1");
    BAD("--workloads replay replays a recorded trace: pass --trace FILE", "run", "--workloads",
        "replay");
    BAD("--trace /nonexistent: No such file", "run", "--trace", "/nonexistent");
    {
        /* A file that is not a trace: refused before any cell runs. */
        char bogus[] = "/tmp/heaplab-test-bogus-XXXXXX";
        int fd = mkstemp(bogus);
        REQUIRE(fd >= 0);
        REQUIRE(write(fd, "not a heaplab trace at all", 26) == 26);
        close(fd);
        BAD("record a new one with scripts/record-trace.sh", "run", "--workloads", "replay",
            "--trace", bogus);
        unlink(bogus);
    }
    BAD("--iterations applies to --measure instructions only", "run", "--iterations", "5");
    BAD("--iterations 0: out of range", "run", "--measure", "instructions", "--iterations", "0");
    BAD("--workloads hog runs its operations in forked children, which --measure instructions "
        "does not count", "run", "--workloads", "hog", "--measure", "instructions");
    BAD("--python-model 3.9: unknown CPython model '3.9': use 3.11, 3.12 or 3.13", "run",
        "--python-model", "3.9");
    BAD("--model-option bogus=1: unknown model option 'bogus'", "run", "--model-option",
        "bogus=1");
    BAD("apply to object-layer workloads, and none is selected", "run", "--workloads", "pairs",
        "--python-model", "3.12");
    BAD("--param shape 'tall': not an integer nor one of its labels (wide, deep)", "run",
        "--workloads", "tree", "--param", "shape=tall");
    BAD("--param shape lists 1 twice", "run", "--workloads", "tree", "--param", "shape=deep,1");
    BAD("--param size 'big': not an integer", "run", "--workloads", "pairs", "--param",
        "size=big");
}

/* The fixed-work pass: the run's count, a workload's own shorter one (the
 * fake tree declares 50 at full sizes: 5 quick), --fixed-ops for all. */
static uint64_t planned_fixed_ops(const char *dir, const char *id)
{
    char path[700], err[256];
    snprintf(path, sizeof path, "%s/%s/plan.json", tmpdir, dir);
    hl_json *doc = hl_json_parse_file(path, err, sizeof err);
    const hl_json *cells = hl_json_get(doc, "cells");
    double v = -1;
    for (size_t i = 0; i < hl_json_len(cells); i++)
        if (strcmp(hl_json_get_str(hl_json_at(cells, i), "id", ""), id) == 0)
            v = hl_json_get_num(hl_json_at(cells, i), "fixed_ops", -1);
    hl_json_free(doc);
    return (uint64_t)v;
}

TEST(param_labels_name_enumeration_values)
{
    /* --param shape=deep,wide is shape 1 and 0: one cell with the default
     * (no suffix) and one named by the value */
    int rc = heaplab("run", "--backends", "system", "--workloads", "tree", "--param",
                     "shape=deep,wide", "--dry-run", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK_MSG(rc == 0 && strstr(o, "2 cells") && strstr(o, "tree--system--t2--shape=1"), "%s", o);
    free(o);
}

TEST(fixed_work_pass_per_workload)
{
    CHECK(heaplab("run", "--backends", "system", "--workloads", "pairs,tree", "--repetitions",
                  "1", "--out", "fx-quick", NULL) == 0);
    CHECK_EQ_U64(planned_fixed_ops("fx-quick", "pairs--system--t1"), 100000);
    CHECK_EQ_U64(planned_fixed_ops("fx-quick", "tree--system--t2"), 5);
    CHECK(heaplab("run", "full", "--backends", "system", "--workloads", "tree", "--threads", "1",
                  "--repetitions", "1", "--out", "fx-full", NULL) == 0);
    CHECK_EQ_U64(planned_fixed_ops("fx-full", "tree--system--t1"), 50);
    CHECK(heaplab("run", "--backends", "system", "--workloads", "pairs,tree", "--repetitions",
                  "1", "--fixed-ops", "7", "--out", "fx-given", NULL) == 0);
    CHECK_EQ_U64(planned_fixed_ops("fx-given", "pairs--system--t1"), 7);
    CHECK_EQ_U64(planned_fixed_ops("fx-given", "tree--system--t2"), 7);
}

TEST(model_settings_reach_object_layer_cells_only)
{
    int rc = heaplab("run", "--backends", "system", "--workloads", "pairs,tree", "--python-model",
                     "3.12", "--model-option", "refcount=atomic", "--repetitions", "1", "--out",
                     "model", NULL);
    /* the fake cell refuses model flags for a raw workload and doubles the
     * object-layer workload's time under refcount=atomic */
    CHECK(rc == 0);
    hl_json *doc = load_results("model");
    REQUIRE(doc != NULL);
    CHECK_STR(rep_status(doc, "pairs--system--t1", 0), "ok");
    CHECK_STR(rep_status(doc, "tree--system--t2", 0), "ok");
    const hl_json *plan = hl_json_get(doc, "plan");
    CHECK_STR(hl_json_get_str(plan, "python_model", ""), "3.12");
    CHECK_STR(hl_json_str(hl_json_at(hl_json_get(plan, "model_options"), 0), ""),
              "refcount=atomic");
    CHECK_STR(hl_json_get_str(hl_json_get(hl_json_get(doc, "metadata"), "fingerprint"),
                              "python_model", ""), "3.12");
    hl_json_free(doc);
    char path[700];
    snprintf(path, sizeof path, "%s/model/summary.md", tmpdir);
    char *md = hl_proc_slurp(path);
    CHECK(strstr(md, "- object layer: the CPython 3.12 model; what-if options refcount=atomic"));
    free(md);
}

TEST(bad_show_compare_flags)
{
    BAD("which result set?", "show");
    BAD("no results.json there", "show", "/nonexistent");
    BAD("--format 'xml': use text, md or csv", "show", DATA_DIR "/compare_a", "--format", "xml");
    BAD("one result directory at a time", "show", "a", "b");
    BAD("needs two result directories", "compare", DATA_DIR "/compare_a");
    BAD("too many result sets", "compare", "a", "b", "c", "d", "e", "f", "g", "h", "i");
    BAD("--reference compares the backends of one set", "compare", "a", "b", "--reference",
        "system");
    BAD("--format 'x'", "compare", "a", "b", "--format=x");
    BAD("A: ", "compare", "/nonexistent", DATA_DIR "/compare_b");
}

TEST(bad_validate_flags)
{
    BAD("unknown option '--bogus'", "validate", "--bogus");
    BAD("did you mean '--quick'", "validate", "--quik");
    BAD("unexpected argument 'all'", "validate", "all");
    BAD("--repetitions 2: out of range", "validate", "--repetitions", "2");
    BAD("--workloads: 'pairs' has no Python twin", "validate", "--workloads", "churn,pairs");
    BAD("--workloads lists churn twice", "validate", "--workloads", "churn,churn");
    BAD("--workloads has an empty item", "validate", "--workloads", "churn,");
    BAD("--quick takes no value", "validate", "--quick=1");
    BAD("--resume takes the options stored in x", "validate", "--resume", "x", "--quick");
    BAD("--resume /nonexistent: not a directory", "validate", "--resume", "/nonexistent");
    BAD("--python /nonexistent/python3: no such file", "validate", "--python",
        "/nonexistent/python3", "--out", "/nonexistent-out");
    BAD("did not answer", "validate", "--python", "/bin/true", "--out", "/nonexistent-out");
    /* a directory with something in it is not a new --out */
    BAD("exists and is not empty", "validate", "--out", DATA_DIR);
    /* nothing was made by the refusals */
    CHECK(access("/nonexistent-out", F_OK) != 0);
}

TEST(help_for_every_command)
{
    const char *cmds[] = {"list", "run", "show", "compare", "validate"};
    for (size_t i = 0; i < 5; i++) {
        int rc = heaplab(cmds[i], "--help", NULL);
        char *o = hl_proc_slurp(out_path);
        CHECK(rc == 0);
        CHECK_MSG(strstr(o, "usage: heaplab") != NULL, "%s --help: %s", cmds[i], o);
        free(o);
    }
    CHECK(heaplab("--help", NULL) == 0);
}

/* ---- list and planning ------------------------------------------------ */

TEST(list_reports_backends_and_missing)
{
    REQUIRE(heaplab("list", "--json", NULL) == 0);
    char *o = hl_proc_slurp(out_path), err[256];
    hl_json *doc = hl_json_parse(o, strlen(o), err, sizeof err);
    REQUIRE(doc != NULL);
    const hl_json *bs = hl_json_get(doc, "backends");
    bool saw_pool = false, saw_je_missing = false;
    for (size_t i = 0; i < hl_json_len(bs); i++) {
        const hl_json *b = hl_json_at(bs, i);
        const char *name = hl_json_get_str(b, "name", "");
        if (strcmp(name, "pool") == 0)
            saw_pool = hl_json_bool(hl_json_get(b, "available"), false) &&
                       strcmp(hl_json_get_str(b, "version", ""), "1.0") == 0;
        if (strcmp(name, "jemalloc") == 0)
            saw_je_missing = !hl_json_bool(hl_json_get(b, "available"), true) &&
                             strstr(hl_json_get_str(b, "missing", ""), "libjemalloc-dev");
    }
    CHECK(saw_pool);
    CHECK(saw_je_missing);
    CHECK(hl_json_len(hl_json_get(doc, "workloads")) == 9);
    const hl_json *pairs = hl_json_at(hl_json_get(doc, "workloads"), 0);
    const hl_json *size = hl_json_at(hl_json_get(pairs, "params"), 0);
    CHECK(hl_json_get_num(size, "default", 0) == 64);
    CHECK(hl_json_get_num(size, "quick", 0) == 32);
    hl_json_free(doc);
    free(o);

    REQUIRE(heaplab("list", "workloads", NULL) == 0);
    o = hl_proc_slurp(out_path);
    CHECK(strstr(o, "pairs") && strstr(o, "default 64, quick 32"));
    free(o);
    REQUIRE(heaplab("list", "backends", NULL) == 0);
    o = hl_proc_slurp(out_path);
    CHECK(strstr(o, "tcmalloc") && strstr(o, "libgoogle-perftools-dev"));
    free(o);
}

TEST(dry_run_expands_matrix)
{
    int rc = heaplab("run", "--backends", "system,pool", "--workloads", "pairs,tree", "--threads",
                     "1,2", "--param", "size=8,16", "--seed", "5", "--dry-run", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    /* pairs: 2 sizes x 2 backends (not threaded); tree: 2 threads x 2 backends */
    CHECK_MSG(strstr(o, "8 cells x 5 repetitions = 40 processes") != NULL, "%s", o);
    CHECK(strstr(o, "pairs--pool--t1--size=16 rep-4") != NULL);
    CHECK(strstr(o, "tree--system--t2 rep-0") != NULL);
    CHECK(strstr(o, "tree--system--t1--size") == NULL);
    /* the same seed gives the same order; another seed another one */
    char *first = strdup(o);
    heaplab("run", "--backends", "system,pool", "--workloads", "pairs,tree", "--threads", "1,2",
            "--param", "size=8,16", "--seed", "5", "--dry-run", NULL);
    free(o);
    o = hl_proc_slurp(out_path);
    CHECK(strcmp(first, o) == 0);
    heaplab("run", "--backends", "system,pool", "--workloads", "pairs,tree", "--threads", "1,2",
            "--param", "size=8,16", "--seed", "6", "--dry-run", NULL);
    free(o);
    o = hl_proc_slurp(out_path);
    CHECK(strcmp(first, o) != 0);
    free(first);
    free(o);
    /* options continue the previous spec; faulty is not in the default suite */
    rc = heaplab("run", "--backends", "guard:raw=system,quarantine=64,pool", "--workloads", "pairs",
                 "--repetitions", "1", "--dry-run", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "pairs--guard_raw=system+quarantine=64--t1") != NULL, "%s", o);
    CHECK(strstr(o, "2 cells x 1 repetitions") != NULL);
    free(o);
    rc = heaplab("run", "quick", "--dry-run", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "24 cells x 5 repetitions") != NULL, "%s", o); /* 3 backends x 8 */
    CHECK(strstr(o, "faulty") == NULL);
    free(o);
    /* instructions mode leaves out a workload that forks, and says so */
    rc = heaplab("run", "quick", "--measure", "instructions", "--dry-run", NULL);
    o = hl_proc_slurp(out_path);
    char *e = hl_proc_slurp(err_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "21 cells x 1 repetitions") != NULL, "%s", o);
    CHECK(strstr(o, "hog--") == NULL);
    /* min time and warm-up do not apply to a count */
    CHECK_MSG(strstr(o, "each cell's own fixed count") && !strstr(o, "min time"), "%s", o);
    CHECK_MSG(strstr(e, "instructions mode leaves out hog") != NULL, "%s", e);
    free(e);
    free(o);
}

/* ---- running ---------------------------------------------------------- */

static bool pid_gone(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    bool zombie = false;
    if (fgets(buf, sizeof buf, f)) {
        char *close_paren = strrchr(buf, ')');
        zombie = close_paren && close_paren[2] == 'Z';
    }
    fclose(f);
    return zombie;
}

TEST(failing_cells_are_recorded_and_survived)
{
    unlink(log_path);
    int rc = heaplab("run", "--backends", "system,pool", "--workloads",
                     "pairs,crash,hang,verify,nojson", "--repetitions", "1", "--timeout", "1",
                     "--seed", "3", "--out", "fail", NULL);
    CHECK_MSG(rc == 1, "status %d", rc);
    hl_json *doc = load_results("fail");
    REQUIRE(doc != NULL);
    CHECK_STR(rep_status(doc, "pairs--system--t1", 0), "ok");
    CHECK_STR(rep_status(doc, "pairs--pool--t1", 0), "ok");
    CHECK_STR(rep_status(doc, "crash--system--t1", 0), "crashed");
    CHECK_STR(rep_status(doc, "hang--pool--t1", 0), "timeout");
    CHECK_STR(rep_status(doc, "verify--system--t1", 0), "verify-failed");
    CHECK_STR(rep_status(doc, "nojson--pool--t1", 0), "failed");
    const hl_json *crash = hl_json_at(hl_json_get(find_cell(doc, "crash--system--t1"), "reps"), 0);
#ifdef HL_SANITIZE
    /* the fake cell is sanitized too: ASan turns the SEGV into exit 1 + report */
    CHECK(strstr(hl_json_get_str(crash, "reason", ""), "SUMMARY: AddressSanitizer: SEGV") != NULL);
#else
    CHECK(hl_json_get_num(crash, "signal", 0) == SIGSEGV);
    CHECK(strstr(hl_json_get_str(crash, "reason", ""), "about to crash") != NULL);
#endif
    const hl_json *verify =
        hl_json_at(hl_json_get(find_cell(doc, "verify--pool--t1"), "reps"), 0);
    CHECK_STR(hl_json_get_str(verify, "reason", ""), "verify: checksum mismatch");
    /* metrics of an ok cell: fake system = 100 ns/op at the quick size 32? no:
     * the driver passes no --param, so the fake uses its base value */
    const hl_json *ok = hl_json_at(hl_json_get(find_cell(doc, "pairs--system--t1"), "reps"), 0);
    CHECK(hl_json_get_num(hl_json_get(ok, "metrics"), "ns_per_op", 0) == 100);
    CHECK(hl_json_get_num(hl_json_get(ok, "metrics"), "peak_rss_kib", 0) == 3100);
    CHECK(hl_json_get_num(hl_json_get(ok, "metrics"), "minflt", 0) == 120);
    CHECK(hl_json_get_num(hl_json_get(ok, "extra"), "backend_stats.fake.arenas", 0) == 4);
    const hl_json *run = hl_json_get(doc, "run");
    CHECK(hl_json_bool(hl_json_get(run, "complete"), false));
    const hl_json *meta = hl_json_get(doc, "metadata");
    static const char *const keys[] = {"glibc_version", "kernel", "cpu_model", "cpu_count",
                                       "compiler", "c_flags", "build_type", "git_commit",
                                       "load_avg_start", "date", "backends", "variants"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        CHECK_MSG(hl_json_get(meta, keys[i]) != NULL, "metadata lacks %s", keys[i]);
    CHECK(strstr(hl_json_get_str(meta, "command_line", ""), "run --backends system,pool") != NULL);
    CHECK_STR(hl_json_get_str(hl_json_get(hl_json_get(meta, "backends"), "pool"), "version", ""),
              "1.0");
    CHECK(hl_json_len(hl_json_get(hl_json_get(doc, "run"), "load_avg_end")) == 3);
    CHECK(hl_json_get(hl_json_get(doc, "metadata"), "test_cell_cmd") != NULL);
    hl_json_free(doc);

    /* the hanging cell's forked child was killed with its process group */
    for (int i = 0; i < 2; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/fail/cells/hang--%s--t1/rep-0/child.pid", tmpdir,
                 i ? "pool" : "system");
        char *s = hl_proc_slurp(path);
        pid_t child = (pid_t)atoi(s);
        free(s);
        CHECK(child > 0);
        bool gone = false;
        for (int t = 0; t < 100 && !gone; t++) {
            gone = pid_gone(child);
            if (!gone)
                sleep_ms(10);
        }
        CHECK_MSG(gone, "hang child %d still alive", (int)child);
    }

    /* csv: header + one row per cell; summary and warnings */
    char path[600];
    snprintf(path, sizeof path, "%s/fail/results.csv", tmpdir);
    char *csv = hl_proc_slurp(path);
    CHECK(count_char(csv, '\n') == 11);
    CHECK(strncmp(csv, "suite,label,host,cell_id,workload,backend,variant,threads,params,reps,",
                  70) == 0);
    CHECK(strstr(csv, "pairs--pool--t1,pairs,pool,system,1,,1,1,ok,50,0,50,50,") != NULL);
    free(csv);
    char *o = hl_proc_slurp(out_path);
    CHECK_MSG(strstr(o, "'pool' ran 2.00x faster than 'system' (the slowest)") != NULL,
              "%s", o);
    CHECK(strstr(o, "crash--system--t1: failed: crashed") != NULL);
    CHECK(strstr(o, "1 repetition per cell") != NULL);
    free(o);
    char *e = hl_proc_slurp(err_path);
    CHECK(strstr(e, "[1/10]") != NULL); /* plain progress lines: stderr is not a tty */
    CHECK(strstr(e, "test hook") != NULL);
    free(e);
    snprintf(path, sizeof path, "%s/fail/summary.md", tmpdir);
    char *md = hl_proc_slurp(path);
    CHECK(strstr(md, "# heaplab results") != NULL && strstr(md, "| pool") != NULL);
    free(md);
}

TEST(memory_limit_kills_cell)
{
    int rc = heaplab("run", "--backends", "system", "--workloads", "hog,pairs", "--repetitions",
                     "1", "--memory-limit", "64", "--out", "mem", NULL);
    CHECK(rc == 1);
    hl_json *doc = load_results("mem");
    REQUIRE(doc != NULL);
    CHECK_STR(rep_status(doc, "hog--system--t1", 0), "memory-limit");
    CHECK_STR(rep_status(doc, "pairs--system--t1", 0), "ok");
    hl_json_free(doc);
}

/* Counts of log lines per rep dir. */
static size_t log_count(const char *log, const char *suffix)
{
    return count_str(log, suffix);
}

TEST(sigkill_then_resume_runs_exactly_the_missing_jobs)
{
    unlink(log_path);
    char *args[] = {"run", "--backends", "system,pool", "--workloads", "slow", "--repetitions",
                    "3", "--seed", "11", "--out", "killed", NULL};
    setenv("HEAPLAB_FAKE_SLOW_MS", "150", 1);
    pid_t pid = spawn_heaplab(args);
    hl_json *doc = NULL;
    size_t done = 0;
    for (int t = 0; t < 600 && done < 2; t++) { /* up to 30 s on a loaded machine */
        sleep_ms(50);
        hl_json_free(doc);
        doc = load_results("killed");
        done = doc ? jobs_done(doc) : 0;
    }
    kill(pid, SIGKILL);
    hl_proc_wait(pid);
    hl_json_free(doc);
    doc = load_results("killed");
    REQUIRE(doc != NULL); /* parseable right after the kill */
    size_t before = jobs_done(doc);
    CHECK(before >= 2);
    CHECK(before < 6);
    CHECK(!hl_json_bool(hl_json_get(hl_json_get(doc, "run"), "complete"), true));
    /* remember when each finished job started */
    char started[6][40];
    const char *ids[2] = {"slow--system--t1", "slow--pool--t1"};
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 3; k++) {
            const hl_json *reps = hl_json_get(find_cell(doc, ids[c]), "reps");
            started[c * 3 + k][0] = '\0';
            for (size_t i = 0; i < hl_json_len(reps); i++)
                if (hl_json_get_num(hl_json_at(reps, i), "rep", -1) == k)
                    snprintf(started[c * 3 + k], 40, "%s",
                             hl_json_get_str(hl_json_at(reps, i), "started", ""));
        }
    hl_json_free(doc);
    sleep_ms(200); /* let the orphaned in-flight cell finish */

    int rc = heaplab("run", "--resume", "killed", NULL);
    CHECK_MSG(rc == 0, "resume status %d", rc);
    doc = load_results("killed");
    REQUIRE(doc != NULL);
    CHECK(jobs_done(doc) == 6);
    CHECK(hl_json_bool(hl_json_get(hl_json_get(doc, "run"), "complete"), false));
    char *log = hl_proc_slurp(log_path);
    size_t extra = 0;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 3; k++) {
            const hl_json *reps = hl_json_get(find_cell(doc, ids[c]), "reps");
            const char *now = "";
            for (size_t i = 0; i < hl_json_len(reps); i++)
                if (hl_json_get_num(hl_json_at(reps, i), "rep", -1) == k)
                    now = hl_json_get_str(hl_json_at(reps, i), "started", "");
            char suffix[80];
            snprintf(suffix, sizeof suffix, "/%s/rep-%d\n", ids[c], k);
            size_t runs = log_count(log, suffix);
            if (started[c * 3 + k][0]) {
                /* finished before the kill: kept, not rerun */
                CHECK_STR(now, started[c * 3 + k]);
                CHECK_MSG(runs == 1, "%s ran %zu times", suffix, runs);
            } else {
                CHECK(runs == 1 || runs == 2); /* 2: it was the one in flight */
                extra += runs - 1;
            }
        }
    CHECK(extra <= 1);
    CHECK(count_str(log, "/slow--") == 6 + extra);
    free(log);
    hl_json_free(doc);
    /* a complete set cannot be resumed again */
    rc = heaplab("run", "--resume", "killed", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(o, "already complete") != NULL);
    free(o);
    unsetenv("HEAPLAB_FAKE_SLOW_MS");
}

TEST(sigint_stops_and_resume_finishes)
{
    char *args[] = {"run", "--backends", "system", "--workloads", "slow,pairs", "--repetitions",
                    "3", "--out", "intr", NULL};
    setenv("HEAPLAB_FAKE_SLOW_MS", "300", 1);
    pid_t pid = spawn_heaplab(args);
    hl_json *doc = NULL;
    size_t done = 0;
    for (int t = 0; t < 600 && done < 1; t++) {
        sleep_ms(50);
        hl_json_free(doc);
        doc = load_results("intr");
        done = doc ? jobs_done(doc) : 0;
    }
    hl_json_free(doc);
    /* a second writer on the same directory is refused while this one runs */
    {
        /* its own output files: the running heaplab still writes to ours */
        char saved_out[512], saved_err[512];
        memcpy(saved_out, out_path, sizeof saved_out);
        memcpy(saved_err, err_path, sizeof saved_err);
        snprintf(out_path, sizeof out_path, "%s/.stdout2", tmpdir);
        snprintf(err_path, sizeof err_path, "%s/.stderr2", tmpdir);
        int rc2 = heaplab("run", "--resume", "intr", NULL);
        char *e0 = hl_proc_slurp(err_path);
        memcpy(out_path, saved_out, sizeof saved_out);
        memcpy(err_path, saved_err, sizeof saved_err);
        CHECK_MSG(rc2 == 2 && strstr(e0, "another heaplab is writing intr") != NULL, "%d %s",
                  rc2, e0);
        free(e0);
    }
    kill(pid, SIGINT);
    int rc = hl_proc_wait(pid);
    CHECK_MSG(rc == 130, "status %d", rc);
    doc = load_results("intr");
    REQUIRE(doc != NULL);
    CHECK(hl_json_bool(hl_json_get(hl_json_get(doc, "run"), "interrupted"), false));
    CHECK(jobs_done(doc) < 6);
    hl_json_free(doc);
    char *e = hl_proc_slurp(err_path);
    CHECK(strstr(e, "--resume intr") != NULL);
    free(e);
    CHECK(heaplab("run", "--resume", "intr", NULL) == 0);
    doc = load_results("intr");
    REQUIRE(doc != NULL);
    CHECK(jobs_done(doc) == 6);
    hl_json_free(doc);
    unsetenv("HEAPLAB_FAKE_SLOW_MS");
}

TEST(trace_reaches_replay_only_when_given)
{
    /* A small valid trace (the driver checks it; the fake cells ignore it). */
    char trace[600];
    snprintf(trace, sizeof trace, "%s/synthetic.hlt", tmpdir);
    size_t len = 0;
    uint8_t *img = hl_trace_synthesize(7, 200, 2, &len);
    REQUIRE(img != NULL);
    FILE *tf = fopen(trace, "wb");
    REQUIRE(tf != NULL);
    CHECK(fwrite(img, 1, len, tf) == len);
    fclose(tf);
    free(img);
    int rc = heaplab("run", "--backends", "system", "--workloads", "replay,pairs", "--trace",
                     trace, "--repetitions", "1", "--out", "trace", NULL);
    CHECK(rc == 0);
    hl_json *doc = load_results("trace");
    REQUIRE(doc != NULL);
    CHECK_STR(rep_status(doc, "replay--system--t1", 0), "ok");
    CHECK(strstr(hl_json_get_str(hl_json_get(doc, "plan"), "trace", ""), "synthetic.hlt") != NULL);
    hl_json_free(doc);
    /* without a trace the default suite leaves replay out (8 of 9 workloads x 3 backends) */
    rc = heaplab("run", "--dry-run", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(o, "24 cells") != NULL && strstr(o, "replay") == NULL);
    free(o);
}

TEST(a_trace_with_nothing_to_replay_is_refused_at_plan_time)
{
    /* Well formed, but nothing to replay: the plan-time check refuses it by
     * the rule the replay workload applies in the cell (hl_trace_load), so
     * no result directory is made for cells that would all fail set-up. */
    char trace[600];
    snprintf(trace, sizeof trace, "%s/empty.hlt", tmpdir);
    size_t len = 0;
    uint8_t *img = hl_trace_synthesize(7, 0, 1, &len);
    REQUIRE(img != NULL);
    FILE *tf = fopen(trace, "wb");
    REQUIRE(tf != NULL);
    CHECK(fwrite(img, 1, len, tf) == len);
    fclose(tf);
    free(img);
    BAD("nothing to replay", "run", "--backends", "system", "--workloads", "replay", "--trace",
        trace, "--out", "empty-trace");
    char dir[700];
    snprintf(dir, sizeof dir, "%s/empty-trace", tmpdir);
    struct stat st;
    CHECK(stat(dir, &st) != 0);
}

TEST(resume_from_plan_only)
{
    /* killed after plan.json but before the first results.json */
    REQUIRE(heaplab("run", "--backends", "system,pool", "--workloads", "pairs", "--repetitions",
                    "2", "--out", "planonly", NULL) == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/planonly/results.json", tmpdir);
    REQUIRE(unlink(path) == 0);
    CHECK(heaplab("run", "--resume", "planonly", NULL) == 0);
    hl_json *doc = load_results("planonly");
    REQUIRE(doc != NULL);
    CHECK(jobs_done(doc) == 4);
    CHECK(hl_json_bool(hl_json_get(hl_json_get(doc, "run"), "complete"), false));
    hl_json_free(doc);
}

TEST(out_dir_is_not_overwritten)
{
    BAD("--out fail already holds a result set", "run", "--backends", "system", "--workloads",
        "pairs", "--out", "fail");
}

TEST(default_out_dir_and_show)
{
    int rc = heaplab("run", "--backends", "system,pool", "--workloads", "pairs", "--repetitions",
                     "2", "--param", "size=1000", NULL);
    CHECK(rc == 0);
    char *o = hl_proc_slurp(out_path);
    char *at = strstr(o, "results: results/");
    REQUIRE(at != NULL);
    char dir[128];
    CHECK(sscanf(at, "results: %127[^/]/%*[^/]", dir) == 1);
    const char *p = at + strlen("results: ");
    size_t len = strcspn(p, "/ \n");
    p += len + 1;
    len = strcspn(p, "/ \n");
    char sub[200];
    snprintf(sub, sizeof sub, "results/%.*s", (int)len, p);
    CHECK(strstr(sub, "-quick") != NULL);
    free(o);
    /* the --param was passed: fake ns = base * (1 + 1000/1000) */
    hl_json *doc = load_results(sub);
    REQUIRE(doc != NULL);
    const hl_json *c = find_cell(doc, "pairs--system--t1--size=1000");
    REQUIRE(c != NULL);
    CHECK(hl_json_get_num(hl_json_get(hl_json_get(c, "summary"), "ns_per_op"), "median", 0) == 200);
    hl_json_free(doc);

    /* the gc section and the extras of a cell.json reach results.json */
    rc = heaplab("run", "--backends", "pool", "--workloads", "tree", "--threads", "2",
                 "--repetitions", "1", "--param", "depth=3", "--out", "gc", NULL);
    CHECK(rc == 0);
    hl_json *gdoc = load_results("gc");
    REQUIRE(gdoc != NULL);
    const hl_json *g = hl_json_at(hl_json_get(find_cell(gdoc, "tree--pool--t2--depth=3"), "reps"), 0);
    const hl_json *gm = hl_json_get(g, "metrics");
    CHECK(hl_json_get_num(gm, "gc_collections", 0) == 7);
    CHECK(hl_json_get_num(gm, "gc_pause_total_ms", 0) == 1.5);
    CHECK(hl_json_get_num(gm, "gc_pause_p99_ms", 0) == 0.4);
    CHECK(hl_json_get_num(gm, "ns_per_op", 0) == 75); /* 50 * 3 / 2 threads */
    CHECK(hl_json_get_num(hl_json_get(g, "extra"), "gc.generations.0.collections", 0) == 7);
    hl_json_free(gdoc);

    rc = heaplab("show", sub, NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "200 ns") != NULL && strstr(o, "2.00 [2.00, 2.00]") != NULL, "%s", o);
    free(o);
    rc = heaplab("show", sub, "--format", "csv", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0 && count_char(o, '\n') == 3);
    free(o);
    rc = heaplab("show", sub, "--format=md", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(o, "| pairs") != NULL && strstr(o, "| ---") != NULL);
    free(o);
}

/* guard (kind debug) and faulty (kind fault) are listed with the others but
 * never named fastest or slowest: their cost is a feature, not a ranking. */
TEST(debug_backends_are_never_ranked)
{
    int rc = heaplab("run", "--backends", "system,guard,pool", "--workloads", "pairs",
                     "--repetitions", "3", "--out", "ranked", NULL);
    CHECK(rc == 0);
    rc = heaplab("show", "ranked", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "guard (debug)") != NULL, "%s", o);
    CHECK_MSG(strstr(o, "'pool' ran 2.00 [2.00, 2.00]x faster than 'system' (the slowest)"),
              "%s", o);
    free(o);
    rc = heaplab("compare", "ranked", "--reference", "system", "--format", "json", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "\"backend\": \"guard\"") && strstr(o, "\"debug_backend\": true"),
              "%s", o);
    free(o);
}

/* --samples: recorded in the plan, refused where it cannot apply, and
 * named by compare when two sets measured differently. */
static double planned_samples(const char *dir)
{
    char path[700], err[256];
    snprintf(path, sizeof path, "%s/%s/plan.json", tmpdir, dir);
    hl_json *doc = hl_json_parse_file(path, err, sizeof err);
    double v = hl_json_get_num(doc, "samples", -1);
    hl_json_free(doc);
    return v;
}

TEST(samples_are_planned_and_compared)
{
    int rc = heaplab("run", "--backends", "system,pool", "--workloads", "pairs", "--repetitions",
                     "2", "--out", "samples5", NULL);
    CHECK(rc == 0);
    CHECK(planned_samples("samples5") == 5);
    rc = heaplab("run", "--backends", "system,pool", "--workloads", "pairs", "--repetitions",
                 "2", "--samples", "1", "--out", "samples1", NULL);
    CHECK(rc == 0);
    CHECK(planned_samples("samples1") == 1);
    rc = heaplab("compare", "samples5", "samples1", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "measurement: A min time 0.05 s in 5 samples, warm-up 0.05 s; B 0.05 s "
                        "in 1 samples") != NULL, "%s", o);
    CHECK(strstr(o, "same machine, build and inputs") == NULL);
    free(o);
    rc = heaplab("run", "--workloads", "pairs", "--samples", "0", "--out", "samples0", NULL);
    CHECK(rc == 2);
    rc = heaplab("run", "--workloads", "pairs", "--samples", "3", "--measure", "instructions",
                 "--out", "samples_instr", NULL);
    o = hl_proc_slurp(err_path);
    CHECK(rc == 2);
    CHECK_MSG(strstr(o, "--samples applies to --measure time") != NULL, "%s", o);
    free(o);
}

/* ---- compare on fixtures ---------------------------------------------- */

TEST(compare_fixture_exact_values)
{
    int rc = heaplab("compare", DATA_DIR "/compare_a", DATA_DIR "/compare_b", "--format", "csv",
                     NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    /* 3 vs 3 can never reach p < 0.05: inconclusive, not "same" */
    CHECK_MSG(strstr(o, "pairs,system,1,size=64,100,90,0.9,-10,,3 vs 3,inconclusive,4000,5000,"
                        "1.25\n"),
              "%s", o);
    CHECK(strstr(o, "pairs,pool,1,size=64,50,60,1.2,20,,3 vs 3,inconclusive,3000,3000,1\n"));
    /* geometric mean of 0.9 and 1.2 = sqrt(1.08); of the RSS ratios sqrt(1.25) */
    CHECK_MSG(strstr(o, "OVERALL_GEOMEAN,,,,,,1.03923,3.92305,,2 cells,,,,1.11803\n"), "%s", o);
    /* tree is only in A; crashy has no data */
    CHECK(strstr(o, "tree") == NULL);
    CHECK(strstr(o, "crashy") == NULL);
    free(o);

    rc = heaplab("compare", DATA_DIR "/compare_a", DATA_DIR "/compare_b", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK(strstr(o, "only in A: tree--system--t2") != NULL);
    CHECK(strstr(o, "only in B: list--system--t1") != NULL);
    CHECK(strstr(o, "inconclusive: too few repetitions") != NULL);
    CHECK(strstr(o, "same machine, build and inputs") != NULL);
    /* B's check found the host unsteady: said before any number */
    CHECK_MSG(strstr(o, "unsteady host: A (not recorded); B back-to-back 10 ms samples differ "
                        "by: compute 0.6% (p90 2.1%), memory 29.7%") != NULL, "%s", o);
    CHECK(strstr(o, "0.900") != NULL && strstr(o, "+20.0%") != NULL);
    free(o);
    /* no common cell */
    rc = heaplab("compare", DATA_DIR "/compare_a", DATA_DIR "/compare_a", "--format", "md", NULL);
    CHECK(rc == 0);
}

TEST(compare_fixture_significant)
{
    /* 9 vs 9, fully separated: exact two-sided p = 2 / C(18, 9) */
    int rc = heaplab("compare", DATA_DIR "/compare9_a", DATA_DIR "/compare9_b", "--format", "csv",
                     NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "pairs,system,1,,104,82,0.788462,-21.1538,4.11353e-05,9 vs 9,faster,") !=
                  NULL, "%s", o);
    free(o);
    rc = heaplab("compare", DATA_DIR "/compare9_b", DATA_DIR "/compare9_a", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(o, "slower") != NULL && strstr(o, "unreliable") == NULL);
    free(o);
}

/* Ratios of single-threaded instruction counts are exact: a threshold
 * verdict, with one round or many; threaded cells keep the test. */
TEST(compare_instruction_ratios_are_exact)
{
    int rc = heaplab("compare", DATA_DIR "/plots-instr", DATA_DIR "/plots-instr", "--normalize",
                     "system", "--format", "csv", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "pairs,pool,1,,0.673176,0.673176,1,0,,2 vs 2,same,") != NULL, "%s", o);
    CHECK_MSG(strstr(o, "larson,pool,2,,1.36843,1.36843,1,0,,2 vs 2,inconclusive,") != NULL,
              "%s", o);
    free(o);
    rc = heaplab("compare", DATA_DIR "/plots-instr", "--reference", "system", "--format", "csv",
                 NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK_MSG(strstr(o, "pairs,pool,0.673,\"[0.673, 0.673]\",2,faster") != NULL, "%s", o);
    CHECK_MSG(strstr(o, "larson [threads 2],pool,1.368,\"[1.361, 1.376]\",2,inconclusive") != NULL, "%s", o);
    free(o);
}

/* The ranking follows the paired per-round ratios, not the medians, when
 * the two disagree (tests/data/rank_rounds/FIXTURE.md). */
TEST(ranking_follows_the_rounds)
{
    int rc = heaplab("show", DATA_DIR "/rank_rounds", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    const char *rank = strstr(o, "x ref (system)");
    REQUIRE(rank != NULL);
    const char *pool = strstr(rank, "pool "), *je = strstr(rank, "jemalloc ");
    CHECK_MSG(pool && je && pool < je, "%s", rank);
    CHECK_MSG(strstr(o, "'system' ran 3.33 [1.17, 3.50]x faster than 'jemalloc' (the slowest)"),
              "%s", o);
    free(o);
}

TEST(show_fixture_reports_failures)
{
    int rc = heaplab("show", DATA_DIR "/compare_a", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK(strstr(o, "crashy") != NULL && strstr(o, "failed (crashed") != NULL);
    CHECK(strstr(o, "100 ns") != NULL);
    free(o);
}


/* ---- issue 15: damaged or changed inputs never cost a result ------------------ */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Replaces the first `from` after the first `anchor` (NULL: from the start)
 * in DIR/results.json by `to`. */
static bool edit_after(const char *dir, const char *anchor, const char *from, const char *to)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s/results.json", tmpdir, dir);
    char *text = hl_proc_slurp(path);
    char *start = anchor ? strstr(text, anchor) : text;
    char *at = start ? strstr(start, from) : NULL;
    if (!at) {
        free(text);
        return false;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        free(text);
        return false;
    }
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    fclose(f);
    free(text);
    return true;
}

static bool edit_results(const char *dir, const char *from, const char *to)
{
    return edit_after(dir, NULL, from, to);
}

TEST(damaged_results_are_refused_and_kept)
{
    int rc = heaplab("run", "--backends", "system", "--workloads", "pairs", "--repetitions", "2",
                     "--seed", "3", "--out", "dmg", NULL);
    REQUIRE(rc == 0);
    char path[700], good[700];
    snprintf(path, sizeof path, "%s/dmg/results.json", tmpdir);
    snprintf(good, sizeof good, "%s/dmg/results.good", tmpdir);
    char *orig = hl_proc_slurp(path);
    write_text(good, orig);
    /* Each damage alone, on an incomplete set (so that --resume would write). */
    static const struct {
        const char *anchor, *from, *to, *needle;
    } damage[] = {
        {NULL, "\"rep\": 1,", "\"rep\": 0,", "recorded twice"},
        {NULL, "\"rep\": 1,", "\"rep\": 0.5,", "rep: 0.5 is not an integer"},
        {NULL, "\"repetitions\": 2,", "\"repetitions\": \"2\",", "plan.repetitions: a string"},
        {NULL, "\"threads\": 1,", "\"threads\": \"two\",", "threads: a string"},
        {NULL, "\"threads\": 1,", "\"threads\": -1,", "threads: -1 is not an integer"},
        {NULL, "\"threads\": 1,", "\"threads\": 1e30,", "is not an integer from 1 to 1024"},
        {NULL, "\"reps\": [", "\"reps\": {}, \"reps_was\": [", "reps: an object where an array"},
        {"\"metrics\": {", "\"ns_per_op\": ", "\"ns_per_op\": -", "ns_per_op: -"},
    };
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        write_text(path, orig);
        REQUIRE(edit_results("dmg", "\"complete\": true", "\"complete\": false"));
        REQUIRE(edit_after("dmg", damage[i].anchor, damage[i].from, damage[i].to));
        char *before = hl_proc_slurp(path);
        BAD(damage[i].needle, "run", "--resume", "dmg");
        BAD(damage[i].needle, "show", "dmg");
        BAD(damage[i].needle, "compare", "dmg", "dmg");
        char *after = hl_proc_slurp(path);
        CHECK_MSG(strcmp(before, after) == 0, "damage %zu: results.json was rewritten", i);
        free(before);
        free(after);
    }
    write_text(path, orig);
    free(orig);
}

TEST(resume_checks_what_it_resumes_with)
{
    char trace[600], saved[600];
    snprintf(trace, sizeof trace, "%s/resume.hlt", tmpdir);
    snprintf(saved, sizeof saved, "%s/resume.hlt.saved", tmpdir);
    size_t len = 0;
    uint8_t *img = hl_trace_synthesize(9, 200, 2, &len);
    REQUIRE(img != NULL);
    FILE *tf = fopen(trace, "wb");
    REQUIRE(tf != NULL);
    CHECK(fwrite(img, 1, len, tf) == len);
    fclose(tf);
    /* An incomplete run: plan it, then mark it incomplete by hand (what a
     * killed driver leaves, without the timing of a real kill). */
    int rc = heaplab("run", "--backends", "system", "--workloads", "pairs,replay", "--trace",
                     trace, "--repetitions", "2", "--seed", "4", "--out", "rsm", NULL);
    REQUIRE(rc == 0);
    REQUIRE(edit_results("rsm", "\"complete\": true", "\"complete\": false"));
    hl_json *doc = load_results("rsm");
    size_t done = doc ? jobs_done(doc) : 0;
    hl_json_free(doc);

    /* the trace gone: refused, nothing recorded */
    REQUIRE(rename(trace, saved) == 0);
    BAD("trace is gone", "run", "--resume", "rsm");
    /* the trace replaced by another one */
    uint8_t *other = hl_trace_synthesize(10, 200, 2, &len);
    tf = fopen(trace, "wb");
    REQUIRE(tf != NULL && other != NULL);
    CHECK(fwrite(other, 1, len, tf) == len);
    fclose(tf);
    free(other);
    BAD("changed since it was planned", "run", "--resume", "rsm");
    REQUIRE(rename(saved, trace) == 0);
    /* another build */
    REQUIRE(edit_after("rsm", "\"build\": {", "\"git_commit\": \"", "\"git_commit\": \"0ther"));
    BAD("resume with the build that started it", "run", "--resume", "rsm");
    REQUIRE(edit_results("rsm", "\"git_commit\": \"0ther", "\"git_commit\": \""));
    /* a cell executable missing: refused, not recorded as failed jobs */
    setenv("HEAPLAB_TEST_CELL_VARIANTS", "jemalloc", 1);
    char *args[] = {"run", "--resume", "rsm", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        /* spawn_heaplab sets the variants itself: run it by hand */
        if (chdir(tmpdir) != 0)
            _exit(126);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fe, 2);
        setenv("HEAPLAB_TEST_CELL_CMD", FAKE_CELL, 1);
        execv(HEAPLAB_EXE, (char *[]){HEAPLAB_EXE, args[0], args[1], args[2], NULL});
        _exit(127);
    }
    rc = hl_proc_wait(pid);
    unsetenv("HEAPLAB_TEST_CELL_VARIANTS");
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 2 && strstr(e, "not in this build") != NULL, "status %d: %s", rc, e);
    free(e);
    doc = load_results("rsm");
    CHECK(doc != NULL && jobs_done(doc) == done);
    hl_json_free(doc);
    /* everything back: the resume goes through */
    REQUIRE(edit_results("rsm", "\"complete\": false", "\"complete\": true"));
    rc = heaplab("run", "--resume", "rsm", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK_MSG(rc == 0 && strstr(o, "already complete"), "status %d: %s", rc, o);
    free(o);
    free(img);
}

static bool alive(pid_t pid)
{
    char path[64], state = '?';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    int got = fscanf(f, "%*d %*s %c", &state);
    fclose(f);
    return got == 1 && state != 'Z' && state != 'X';
}

TEST(killed_driver_takes_its_cells_along)
{
    char *args[] = {"run", "--backends", "system", "--workloads", "hang", "--repetitions", "1",
                    "--timeout", "60", "--out", "orphan", NULL};
    pid_t pid = spawn_heaplab(args);
    char pidfile[700];
    snprintf(pidfile, sizeof pidfile, "%s/orphan/cells/hang--system--t1/rep-0/child.pid",
             tmpdir);
    long child = 0;
    for (int t = 0; t < 400 && child <= 0; t++) {
        sleep_ms(50);
        char *text = hl_proc_slurp(pidfile);
        child = atol(text);
        free(text);
    }
    REQUIRE(child > 0);
    CHECK(alive((pid_t)child));
    kill(pid, SIGKILL);
    hl_proc_wait(pid);
    bool gone = false;
    for (int t = 0; t < 100 && !gone; t++) {
        sleep_ms(50);
        gone = !alive((pid_t)child);
    }
    CHECK_MSG(gone, "the hung cell's child %ld outlived its driver", child);
    /* Nothing holds the directory's lock any more: an immediate --resume
     * starts (it times the hang out again; a 1 s limit keeps it short). */
    REQUIRE(edit_results("orphan", "\"timeout_s\": 60", "\"timeout_s\": 1"));
    int rc = heaplab("run", "--resume", "orphan", NULL);
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 1 && strstr(e, "another heaplab") == NULL, "status %d: %s", rc, e);
    free(e);
}

TEST(inputs_that_are_not_files_are_refused)
{
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/fifo-set", tmpdir);
    REQUIRE(mkdir(fifo, 0777) == 0 || errno == EEXIST);
    snprintf(fifo, sizeof fifo, "%s/fifo-set/results.json", tmpdir);
    unlink(fifo);
    REQUIRE(mkfifo(fifo, 0644) == 0);
    BAD("not a regular file", "show", "fifo-set");
    char tfifo[600];
    snprintf(tfifo, sizeof tfifo, "%s/trace.fifo", tmpdir);
    unlink(tfifo);
    REQUIRE(mkfifo(tfifo, 0644) == 0);
    BAD("not a regular file", "run", "--workloads", "replay", "--trace", tfifo, "--dry-run");
    char longdir[3200];
    memset(longdir, 'd', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    BAD("too long", "run", "--out", longdir);
    char created[600];
    snprintf(created, sizeof created, "%s/ddd", tmpdir);
    longdir[3] = '\0';
    struct stat st;
    CHECK(stat(created, &st) != 0); /* nothing was created */
    char file[600];
    snprintf(file, sizeof file, "%s/plain-file", tmpdir);
    write_text(file, "x\n");
    BAD("not a directory", "run", "--resume", file);
    BAD("not a result directory", "plot", "/nonexistent/heaplab-set");
}


/* ---- exports and the noise check ---------------------------------------------- */

TEST(exports_for_other_tools)
{
    int rc = heaplab("run", "--backends", "system,pool", "--workloads", "pairs", "--repetitions",
                     "3", "--seed", "8", "--out", "exp", NULL);
    REQUIRE(rc == 0);
    /* Google Benchmark JSON: one iteration run per repetition, aggregates,
     * names BACKEND/WORKLOAD/PARAM:V/threads:N without min_time */
    rc = heaplab("export", "exp", "--format", "gbench", NULL);
    CHECK(rc == 0);
    char err[256];
    hl_json *gb = hl_json_parse_file(out_path, err, sizeof err);
    REQUIRE(gb != NULL);
    CHECK(hl_json_get_num(hl_json_get(gb, "context"), "json_schema_version", 0) == 1);
    const hl_json *bs = hl_json_get(gb, "benchmarks");
    size_t iter = 0, aggr = 0;
    for (size_t i = 0; i < hl_json_len(bs); i++) {
        const hl_json *b = hl_json_at(bs, i);
        const char *name = hl_json_get_str(b, "name", "");
        CHECK(strstr(name, "min_time") == NULL);
        CHECK(strncmp(name, "system/pairs/", 13) == 0 || strncmp(name, "pool/pairs/", 11) == 0);
        CHECK(strstr(hl_json_get_str(b, "run_name", ""), "/threads:1") != NULL);
        CHECK_STR(hl_json_get_str(b, "time_unit", NULL), "ns");
        if (strcmp(hl_json_get_str(b, "run_type", ""), "iteration") == 0) {
            iter++;
            CHECK(hl_json_get_num(b, "real_time", 0) > 0);
            CHECK(hl_json_get_num(b, "repetition_index", -1) >= 0);
        } else {
            aggr++;
        }
    }
    CHECK_EQ_U64(iter, 6);
    CHECK_EQ_U64(aggr, 8); /* mean, median, stddev, cv per cell */
    hl_json_free(gb);
    /* mimalloc-bench's benchres.csv: header and one line per repetition */
    rc = heaplab("export", "exp", "--format", "benchres", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK(strncmp(o, "# benchmark allocator elapsed rss user sys page-faults page-reclaims\n",
                  68) == 0);
    CHECK_EQ_U64(count_char(o, '\n'), 7);
    CHECK(strstr(o, "\npairs system ") != NULL && strstr(o, "\npairs pool ") != NULL);
    free(o);
    /* one CSV row per repetition */
    rc = heaplab("export", "exp", "--format", "csv", NULL);
    o = hl_proc_slurp(out_path);
    CHECK(rc == 0 && count_char(o, '\n') == 7 && strncmp(o, "cell_id,workload,", 17) == 0);
    free(o);
    BAD("--format 'xml': use gbench, benchres or csv", "export", "exp", "--format", "xml");
    BAD("write heaplab export DIR", "export", "exp");
}

TEST(noise_check)
{
    int rc = heaplab("check", "--json", NULL);
    CHECK(rc == 0 || rc == 1);
    char err[256];
    hl_json *doc = hl_json_parse_file(out_path, err, sizeof err);
    REQUIRE(doc != NULL);
    const hl_json *f = hl_json_get(doc, "findings");
    CHECK(hl_json_len(f) >= 5);
    size_t warns = 0;
    for (size_t i = 0; i < hl_json_len(f); i++)
        warns += hl_json_bool(hl_json_get(hl_json_at(f, i), "warn"), false);
    CHECK(hl_json_get_num(doc, "warnings", -1) == (double)warns);
    CHECK(rc == (warns ? 1 : 0));
    bool steadiness = false;
    for (size_t i = 0; i < hl_json_len(f); i++) {
        const hl_json *x = hl_json_at(f, i);
        if (strcmp(hl_json_get_str(x, "key", ""), "timing_steadiness") == 0)
            steadiness = strncmp(hl_json_get_str(x, "value", ""), "back-to-back 10 ms", 18) == 0;
    }
    CHECK(steadiness);
    hl_json_free(doc);
    /* every run records the findings */
    hl_json *res = load_results("exp");
    REQUIRE(res != NULL);
    CHECK(hl_json_len(hl_json_get(hl_json_get(res, "metadata"), "noise")) >= 5);
    CHECK(hl_json_get(hl_json_get(res, "metadata"), "fingerprint") != NULL);
    hl_json_free(res);
    BAD("unknown argument", "check", "--loud");
}

TEST(driver_links_no_allocator)
{
    /* the driver must run on glibc malloc: no allocator library in its
     * dependencies (the cells are the ones that link them) */
    FILE *p = popen("ldd " HEAPLAB_EXE " 2>&1", "r");
    REQUIRE(p != NULL);
    char line[512];
    size_t lines = 0;
    while (fgets(line, sizeof line, p)) {
        lines++;
        CHECK_MSG(!strstr(line, "jemalloc") && !strstr(line, "mimalloc") &&
                      !strstr(line, "tcmalloc") && !strstr(line, "python"),
                  "heaplab links %s", line);
    }
    int st = pclose(p);
    if (st != 0 && lines == 0)
        SKIP("ldd is not available");
    CHECK(lines > 0);
}

/* ---- the soak test (ctest label "long": test_driver --soak KILLS [SEED]) ---- */

/* Is a cell of this test's soak run still running?  (A process whose
 * command line names soak-run/cells/ and that runs in this test's
 * directory, or names it.) */
static bool soak_cells_alive(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[8192], cwd[600];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        buf[n] = '\0';
        if (strstr(buf, "soak-run/cells/") == NULL)
            continue;
        snprintf(path, sizeof path, "/proc/%s/cwd", e->d_name);
        ssize_t k = readlink(path, cwd, sizeof cwd - 1);
        cwd[k > 0 ? k : 0] = '\0';
        found = (strcmp(cwd, tmpdir) == 0 || strstr(buf, tmpdir) != NULL) &&
                alive((pid_t)atoi(e->d_name));
    }
    closedir(d);
    return found;
}

/* What the soak test knows of one (cell, rep).  Invariant after every
 * kill: runs (the fake cell's log) == recorded + in_flight. */
typedef struct soak_job {
    char key[200];     /* "/cells/<id>/rep-<k>\n", as the fake cell's log line ends */
    char started[40];  /* its start in results.json once recorded; never changes after */
    bool recorded;
    int in_flight;     /* runs that finished but whose driver was killed before recording */
} soak_job;

typedef struct soak_state {
    soak_job jobs[512];
    size_t n;
} soak_state;

static soak_job *soak_job_of(soak_state *st, const char *key)
{
    for (size_t j = 0; j < st->n; j++)
        if (strcmp(st->jobs[j].key, key) == 0)
            return &st->jobs[j];
    if (st->n == sizeof st->jobs / sizeof st->jobs[0])
        return NULL;
    soak_job *j = &st->jobs[st->n++];
    memset(j, 0, sizeof *j);
    snprintf(j->key, sizeof j->key, "%s", key);
    return j;
}

/* Takes in results.json: new records are remembered, known ones must keep
 * their start (a finished repetition is never redone).  Returns how many
 * (cell, rep) are recorded, -1 when one was redone or is recorded twice. */
static long soak_scan_results(soak_state *st, const hl_json *doc)
{
    long recorded = 0;
    const hl_json *cells = hl_json_get(doc, "cells");
    for (size_t c = 0; c < hl_json_len(cells); c++) {
        const hl_json *cell = hl_json_at(cells, c);
        const hl_json *reps = hl_json_get(cell, "reps");
        for (size_t i = 0; i < hl_json_len(reps); i++) {
            const hl_json *r = hl_json_at(reps, i);
            char key[200];
            snprintf(key, sizeof key, "/cells/%s/rep-%d\n", hl_json_get_str(cell, "id", "?"),
                     (int)hl_json_get_num(r, "rep", -1));
            const char *started = hl_json_get_str(r, "started", "");
            soak_job *j = soak_job_of(st, key);
            if (j == NULL)
                return -1;
            if (!j->recorded) {
                j->recorded = true;
                snprintf(j->started, sizeof j->started, "%s", started);
            } else if (strcmp(j->started, started) != 0) {
                printf("  %.*s was redone (started %s, now %s), or is recorded twice\n",
                       (int)strlen(key) - 1, key, j->started, started);
                return -1;
            }
            recorded++;
        }
    }
    return recorded;
}

/* Takes in the fake cell's log: the runs that neither a record nor an
 * earlier kill explains were in flight at this kill.  Returns how many. */
static int soak_scan_log(soak_state *st, const char *log)
{
    int unexplained = 0;
    /* every key in the log gets a job */
    for (const char *p = log; *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        const char *cells = strstr(p, "/cells/");
        if (cells && cells < nl) {
            char key[200];
            snprintf(key, sizeof key, "%.*s", (int)(nl - cells + 1), cells);
            soak_job_of(st, key);
        }
        p = nl + 1;
    }
    for (size_t j = 0; j < st->n; j++) {
        soak_job *job = &st->jobs[j];
        long extra = (long)count_str(log, job->key) - (job->recorded ? 1 : 0) - job->in_flight;
        if (extra < 0) {
            printf("  %.*s is recorded but its cell never ran\n", (int)strlen(job->key) - 1,
                   job->key);
            return 99;
        }
        job->in_flight += (int)extra;
        unexplained += (int)extra;
    }
    return unexplained;
}

static void soak(int kills, uint64_t seed)
{
    /* 3 backends x (slow, pairs) x 50 repetitions = 300 jobs.  A slow job
     * takes 150 ms, so a driver killed within 0.4 s of its start records a
     * few jobs at most and the run outlives the kills; the last resume
     * finishes it. */
    enum { N_JOBS = 3 * 2 * 50, MAX_DELAY_MS = 400 };
    printf("soak: %d kills at moments drawn from seed %" PRIu64
           " (test_driver --soak %d %" PRIu64 " repeats the schedule)\n",
           kills, seed, kills, seed);
    char *args[] = {"run", "--backends", "system,pool,guard", "--workloads", "slow,pairs",
                    "--repetitions", "50", "--seed", "7", "--out", "soak-run", NULL};
    char *resume[] = {"run", "--resume", "soak-run", NULL};
    char dir[600], plan_path[700], results_path[700];
    snprintf(dir, sizeof dir, "%s/soak-run", tmpdir);
    snprintf(plan_path, sizeof plan_path, "%s/plan.json", dir);
    snprintf(results_path, sizeof results_path, "%s/results.json", dir);
    unlink(log_path);
    rm_rf(dir);
    setenv("HEAPLAB_FAKE_SLOW_MS", "150", 1);
    static soak_state st;
    st.n = 0;
    uint64_t rng = seed;
    int done = 0, resumes = 0, fresh = 0, in_flight = 0, ended_alone = 0, dying = 0;
    while (done < kills && hl_test_cur_failed == 0) {
        struct stat sb;
        bool planned = stat(plan_path, &sb) == 0;
        if (!planned) {
            /* killed before it wrote plan.json: no cell ran, nothing to resume */
            rm_rf(dir);
            fresh++;
        } else {
            resumes++;
        }
        long delay = (long)(hl_test_rand(&rng) % (MAX_DELAY_MS + 1));
        pid_t pid = spawn_heaplab(planned ? resume : args);
        sleep_ms(delay);
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            ended_alone++; /* it finished the whole run before its kill */
            CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a driver ended with %d",
                      status);
            break;
        }
        kill(pid, SIGKILL);
        hl_proc_wait(pid);
        done++;
        /* the cell in flight dies with its driver (PR_SET_PDEATHSIG) */
        bool gone = false;
        for (int t = 0; t < 200 && !gone; t++) {
            gone = !soak_cells_alive();
            if (!gone)
                sleep_ms(10);
            dying += !gone && t == 0;
        }
        CHECK_MSG(gone, "kill %d (at %ld ms): a cell outlived its driver by 2 s", done, delay);
        if (stat(results_path, &sb) != 0)
            continue; /* killed before the first results.json */
        hl_json *doc = load_results("soak-run");
        CHECK_MSG(doc != NULL, "kill %d (at %ld ms): results.json does not parse", done, delay);
        if (doc == NULL)
            break;
        CHECK(!hl_json_bool(hl_json_get(hl_json_get(doc, "run"), "complete"), true));
        CHECK_MSG(soak_scan_results(&st, doc) >= 0, "kill %d (at %ld ms)", done, delay);
        hl_json_free(doc);
        char *log = hl_proc_slurp(log_path);
        int unexplained = soak_scan_log(&st, log);
        free(log);
        /* at most the one job in flight finished without being recorded */
        CHECK_MSG(unexplained <= 1, "kill %d (at %ld ms): %d runs not recorded", done, delay,
                  unexplained);
        in_flight += unexplained;
        int show = heaplab("show", "soak-run", NULL);
        CHECK_MSG(show == 0, "kill %d (at %ld ms): heaplab show exits %d", done, delay, show);
    }
    CHECK_MSG(done == kills, "the run was complete after %d of %d kills", done, kills);
    size_t before_last = 0;
    for (size_t j = 0; j < st.n; j++)
        before_last += st.jobs[j].recorded;
    if (!ended_alone) {
        int rc = heaplab("run", "--resume", "soak-run", NULL);
        resumes++;
        CHECK_MSG(rc == 0, "the last resume exits %d", rc);
    }
    hl_json *doc = load_results("soak-run");
    REQUIRE(doc != NULL);
    CHECK(hl_json_bool(hl_json_get(hl_json_get(doc, "run"), "complete"), false));
    long recorded = soak_scan_results(&st, doc);
    hl_json_free(doc);
    CHECK_MSG(recorded == N_JOBS, "%ld repetitions recorded, %d planned", recorded, N_JOBS);
    /* Exactly once: each job's cell ran once for its record, plus once for
     * each kill that caught it finished but not yet recorded. */
    char *log = hl_proc_slurp(log_path);
    int unexplained = soak_scan_log(&st, log);
    size_t runs = count_str(log, "/cells/");
    free(log);
    size_t lost = 0;
    for (size_t j = 0; j < st.n; j++)
        lost += !st.jobs[j].recorded;
    CHECK_EQ_U64(st.n, N_JOBS);
    CHECK_EQ_U64(lost, 0);
    CHECK_MSG(unexplained == 0, "%d cell runs beyond one per job and one per kill", unexplained);
    CHECK_EQ_U64(runs, (size_t)N_JOBS + (size_t)in_flight);
    CHECK(in_flight <= done);
    printf("soak: %d kills, %d resumes (and %d fresh start(s) after a kill before planning); "
           "%zu repetitions recorded across the kills, the rest by the last resume; %ld of %d "
           "recorded in the end, none redone; %zu cell runs = %d + %d that had finished, in "
           "flight, when their driver was killed; %zu lost, %d unexplained runs; %d kills found "
           "their cell still dying, none outlived its driver\n",
           done, resumes, fresh > 0 ? fresh - 1 : 0, before_last, recorded, N_JOBS, runs, N_JOBS,
           in_flight, lost, unexplained, dying);
    unsetenv("HEAPLAB_FAKE_SLOW_MS");
}

int main(int argc, char **argv)
{
    /* The build records a default trace (<build>/traces/python.hlt) that
     * `heaplab run` would pick up; these tests are about runs without one. */
    setenv("HEAPLAB_TRACE", "", 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/heaplab-test-driver-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(out_path, sizeof out_path, "%s/.stdout", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/.stderr", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/.fakelog", tmpdir);
    if (argc > 1 && strcmp(argv[1], "--soak") == 0) {
        int kills = argc > 2 ? atoi(argv[2]) : 50;
        uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 20251201;
        hl_test_cur_failed = 0;
        soak(kills, seed);
        if (hl_test_cur_failed)
            hl_test_failed++;
        else
            hl_test_passed++;
        int rc = hl_test_summary();
        if (rc == 0)
            rm_rf(tmpdir);
        else
            printf("kept %s for inspection\n", tmpdir);
        return rc;
    }
    RUN(driver_links_no_allocator);
    RUN(bad_top_level);
    RUN(bad_commands);
    RUN(bad_run_flags);
    RUN(model_settings_reach_object_layer_cells_only);
    RUN(fixed_work_pass_per_workload);
    RUN(param_labels_name_enumeration_values);
    RUN(bad_show_compare_flags);
    RUN(bad_validate_flags);
    RUN(help_for_every_command);
    RUN(list_reports_backends_and_missing);
    RUN(dry_run_expands_matrix);
    RUN(failing_cells_are_recorded_and_survived);
    RUN(memory_limit_kills_cell);
    RUN(sigkill_then_resume_runs_exactly_the_missing_jobs);
    RUN(sigint_stops_and_resume_finishes);
    RUN(trace_reaches_replay_only_when_given);
    RUN(a_trace_with_nothing_to_replay_is_refused_at_plan_time);
    RUN(resume_from_plan_only);
    RUN(out_dir_is_not_overwritten);
    RUN(default_out_dir_and_show);
    RUN(debug_backends_are_never_ranked);
    RUN(samples_are_planned_and_compared);
    RUN(compare_fixture_exact_values);
    RUN(compare_instruction_ratios_are_exact);
    RUN(ranking_follows_the_rounds);
    RUN(compare_fixture_significant);
    RUN(show_fixture_reports_failures);
    RUN(damaged_results_are_refused_and_kept);
    RUN(resume_checks_what_it_resumes_with);
    RUN(killed_driver_takes_its_cells_along);
    RUN(inputs_that_are_not_files_are_refused);
    RUN(exports_for_other_tools);
    RUN(noise_check);
    int rc = hl_test_summary();
    if (rc == 0)
        rm_rf(tmpdir);
    else
        printf("kept %s for inspection\n", tmpdir);
    return rc;
}
