/* test_commands.c - command cells end to end: `heaplab run --command` with
 * the real heaplab-cell-command, the probe and the Debian allocators, on
 * tests/cmd_prog.c (a program this project builds).  What is checked:
 *   - the program runs under every process allocator of the build and the
 *     probe proves each one (malloc, free, calloc, realloc all in the
 *     preloaded file); the throughput figure is the number it printed;
 *   - the proof fails when the preload is withheld, when the program drops
 *     LD_PRELOAD and re-execs, and when it leaves through _exit;
 *   - crashing, hanging (with a child), memory-hungry and wrongly exiting
 *     programs are recorded with their own status, the hang's processes
 *     gone, and the run goes on;
 *   - bad input (missing, static or setuid program, bad preload path,
 *     unparseable pattern, unknown placeholder, a backend that cannot run
 *     a command) is one line and exit 2, writing nothing;
 *   - --resume refuses a program whose content changed;
 *   - the CPython configurations on the Debian python3 are what they say:
 *     sys._debugmallocstats() prints pymalloc's arenas only under pymalloc,
 *     the preloaded library is malloc, and -I (which ignores PYTHONMALLOC)
 *     fails the proof.
 */
#include "hl_proc.h"
#include "hl_test.h"
#include "json.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HEAPLAB_EXE
#error "HEAPLAB_EXE, CELL_EXE, PROG and PROG_STATIC come from tests/CMakeLists.txt"
#endif

static char tmpdir[256], out_path[300], err_path[300];

static void real_cells_env(void)
{
    unsetenv("HEAPLAB_TEST_CELL_CMD");
}

static pid_t spawn(char *const *argv)
{
    return hl_proc_spawn(argv, tmpdir, out_path, err_path, real_cells_env);
}


/* Runs exe with the NULL-terminated arguments; its exit status. */
static int run_prog(const char *exe, const char *first, va_list ap)
{
    char *argv[80];
    int n = 0;
    argv[n++] = (char *)exe;
    for (const char *a = first; a && n < 79; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    argv[n] = NULL;
    return hl_proc_wait(spawn(argv));
}

static int heaplab(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = run_prog(HEAPLAB_EXE, first, ap);
    va_end(ap);
    return rc;
}

static int cell(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = run_prog(CELL_EXE, first, ap);
    va_end(ap);
    return rc;
}


static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static hl_json *load(const char *rel)
{
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    return hl_json_parse_file(path, err, sizeof err);
}

static const hl_json *cells_of(const hl_json *results)
{
    return hl_json_get(results, "cells");
}

static const char *status_of(const hl_json *cellobj, size_t rep)
{
    return hl_json_get_str(hl_json_at(hl_json_get(cellobj, "reps"), rep), "status", "(none)");
}

static const hl_json *cell_by_prefix(const hl_json *results, const char *prefix)
{
    const hl_json *cs = cells_of(results);
    for (size_t i = 0; i < hl_json_len(cs); i++)
        if (strncmp(hl_json_get_str(hl_json_at(cs, i), "id", ""), prefix, strlen(prefix)) == 0)
            return hl_json_at(cs, i);
    return NULL;
}

/* The command backend record of the plan for spec. */
static const hl_json *backend_record(const hl_json *results, const char *spec)
{
    const hl_json *bs = hl_json_get(hl_json_get(results, "plan"), "command_backends");
    for (size_t i = 0; i < hl_json_len(bs); i++)
        if (strcmp(hl_json_get_str(hl_json_at(bs, i), "spec", ""), spec) == 0)
            return hl_json_at(bs, i);
    return NULL;
}

/* A bad command line: exit 2, one line on stderr containing needle. */
#define BAD(needle, ...)                                                                \
    do {                                                                                \
        int rc_ = heaplab(__VA_ARGS__, NULL);                                           \
        char *e_ = hl_proc_slurp(err_path);                                                     \
        CHECK_MSG(rc_ == 2, "status %d for %s: %s", rc_, #__VA_ARGS__, e_);             \
        CHECK_MSG(lines(e_) == 1, "not one line for %s: %s", #__VA_ARGS__, e_);         \
        CHECK_MSG(strstr(e_, needle) != NULL, "'%s' not in: %s", needle, e_);           \
        free(e_);                                                                       \
    } while (0)

/* ---- tests ---------------------------------------------------------------------- */

TEST(every_process_allocator_is_preloaded_and_proven)
{
    int rc = heaplab("run", "--command-name", "pairs-prog=" PROG " ok 20000", "--throughput",
                     "Throughput = ([0-9.]+) operations", "--repetitions", "1", "--out", "all",
                     NULL);
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 0, "status %d: %s", rc, e);
    free(e);
    hl_json *res = load("all/results.json");
    REQUIRE(res != NULL);
    const hl_json *cs = cells_of(res);
    CHECK(hl_json_len(cs) >= 2); /* system and at least one preloaded allocator */
    bool have_system = false;
    for (size_t i = 0; i < hl_json_len(cs); i++) {
        const hl_json *c = hl_json_at(cs, i);
        const char *id = hl_json_get_str(c, "id", ""), *spec = hl_json_get_str(c, "backend", "");
        CHECK_MSG(strcmp(status_of(c, 0), "ok") == 0, "%s: %s", id, status_of(c, 0));
        have_system |= strcmp(spec, "system") == 0;
        const hl_json *b = backend_record(res, spec);
        REQUIRE(b != NULL);
        char path[700];
        snprintf(path, sizeof path, "all/cells/%s/rep-0/cell.json", id);
        hl_json *cj = load(path);
        REQUIRE(cj != NULL);
        const hl_json *proof = hl_json_get(cj, "proof");
        CHECK(hl_json_bool(hl_json_get(proof, "ok"), false));
        CHECK_STR(hl_json_get_str(proof, "malloc", "?"), hl_json_get_str(b, "expect_malloc", ""));
        if (strcmp(spec, "system") != 0) {
            CHECK(strstr(hl_json_get_str(proof, "malloc", ""), "libc.so") == NULL);
            CHECK(hl_json_get_num(proof, "mapped_at_exit", 0) == 1);
        }
        /* the figure is the program's own throughput */
        snprintf(path, sizeof path, "%s/all/cells/%s/rep-0/program.stdout", tmpdir, id);
        char *out = hl_proc_slurp(path);
        double printed = 0;
        CHECK(sscanf(out, "Throughput = %lf", &printed) == 1 && printed > 0);
        double ops = hl_json_get_num(hl_json_get(cj, "time"), "ops_per_s", 0);
        CHECK_MSG(ops == printed, "%s: %.17g vs %.17g", id, ops, printed);
        free(out);
        hl_json_free(cj);
    }
    CHECK(have_system);
    hl_json_free(res);
    /* show, compare and the charts read a command run like any other */
    CHECK(heaplab("show", "all", NULL) == 0);
    char *o = hl_proc_slurp(out_path);
    CHECK_MSG(strstr(o, "pairs-prog") != NULL, "%s", o);
    free(o);
    CHECK(heaplab("compare", "all", "--reference", "system", NULL) == 0);
}

TEST(a_withheld_or_lost_preload_fails_the_proof)
{
    hl_json *res = load("all/results.json");
    REQUIRE(res != NULL);
    const char *lib = NULL;
    const hl_json *bs = hl_json_get(hl_json_get(res, "plan"), "command_backends");
    for (size_t i = 0; i < hl_json_len(bs) && !lib; i++)
        if (hl_json_get_str(hl_json_at(bs, i), "library", NULL))
            lib = hl_json_get_str(hl_json_at(bs, i), "library", NULL);
    if (!lib) {
        hl_json_free(res);
        SKIP("no preloadable allocator in this build");
    }
    char proto[16];
    snprintf(proto, sizeof proto, "%d", HL_PROTOCOL_VERSION);
    /* with the preload: proven */
    int rc = cell("--protocol", proto, "--name", "p", "--backend", "x", "--out", tmpdir,
                  "--exec", PROG, "--arg", "ok", "--arg", "1000", "--preload", lib,
                  "--expect-malloc", lib, NULL);
    CHECK(rc == 0);
    /* the same expectation without it: the probe sees libc */
    rc = cell("--protocol", proto, "--name", "p", "--backend", "x", "--out", tmpdir,
              "--exec", PROG, "--arg", "ok", "--arg", "1000", "--expect-malloc", lib, NULL);
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 8 && strstr(e, "malloc resolves to") && lines(e) == 1, "%d %s", rc, e);
    free(e);
    hl_json_free(res);
    /* a program that drops the preload and re-execs is recorded as not
     * preloaded; one that skips its exit handlers (as shells do) is still
     * proven: the cell saw its exit and the library mapped there */
    rc = heaplab("run", "--command-name", "reexec=" PROG " reexec", "--command-name",
                 "quick=" PROG " quick-exit", "--backends", "system", "--repetitions", "1",
                 "--out", "lost", NULL);
    CHECK(rc == 1);
    res = load("lost/results.json");
    REQUIRE(res != NULL);
    CHECK_STR(status_of(cell_by_prefix(res, "reexec--"), 0), "not-preloaded");
    CHECK_STR(status_of(cell_by_prefix(res, "quick--"), 0), "ok");
    const char *why = hl_json_get_str(hl_json_at(hl_json_get(cell_by_prefix(res, "reexec--"),
                                                             "reps"), 0), "reason", "");
    CHECK_MSG(strstr(why, "replaced itself with exec, and 1 of its 2 images ran without"), "%s",
              why);
    hl_json_free(res);
}

/* Dead (or a zombie waiting for init) within 2 s: SIGKILL to a process
 * group is delivered asynchronously. */
static bool gone(int pid)
{
    for (int i = 0; i < 200; i++) {
        char path[64], stat[256] = "";
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            return true;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        const char *close = strrchr(stat, ')');
        if (close && close[1] == ' ' && close[2] == 'Z')
            return true;
        usleep(10000);
    }
    return false;
}

TEST(failing_programs_are_recorded_and_the_run_goes_on)
{
    char pidfile[600], hang[700];
    snprintf(pidfile, sizeof pidfile, "%s/hang.pids", tmpdir);
    snprintf(hang, sizeof hang, "hang=%s hang %s", PROG, pidfile);
    int rc = heaplab("run", "--command-name", "crash=" PROG " crash", "--command-name", hang,
                     "--command-name", "hog=" PROG " hog 300", "--command-name",
                     "three=" PROG " exit 3", "--command-name", "fine=" PROG " ok 1000",
                     "--backends", "system", "--repetitions", "1", "--timeout", "2",
                     "--memory-limit", "100", "--warmup-runs", "0", "--out", "fail", NULL);
    CHECK(rc == 1);
    hl_json *res = load("fail/results.json");
    REQUIRE(res != NULL);
    CHECK_STR(status_of(cell_by_prefix(res, "crash--"), 0), "crashed");
    CHECK_STR(status_of(cell_by_prefix(res, "hang--"), 0), "timeout");
    CHECK_STR(status_of(cell_by_prefix(res, "hog--"), 0), "memory-limit");
    CHECK_STR(status_of(cell_by_prefix(res, "three--"), 0), "verify-failed");
    CHECK_STR(status_of(cell_by_prefix(res, "fine--"), 0), "ok");
    const char *why = hl_json_get_str(hl_json_at(hl_json_get(cell_by_prefix(res, "three--"),
                                                             "reps"), 0), "reason", "");
    CHECK_MSG(strstr(why, "exit status 3, expected 0") != NULL, "%s", why);
    hl_json_free(res);
    /* the hanging program and its child are gone */
    int a = 0, b = 0;
    FILE *f = fopen(pidfile, "r");
    CHECK(f && fscanf(f, "%d %d", &a, &b) == 2);
    if (f)
        fclose(f);
    CHECK(a > 0 && b > 0 && gone(a) && gone(b));
}

TEST(bad_input_is_one_line_and_writes_nothing)
{
    BAD("not in PATH", "run", "--command", "no-such-program-xyz", "--out", "bad1");
    BAD("statically linked", "run", "--command", PROG_STATIC " ok", "--out", "bad1");
    BAD("preload:/nonexistent/libx.so", "run", "--command", PROG " ok", "--backends",
        "preload:/nonexistent/libx.so", "--out", "bad1");
    BAD("is not an ELF file", "run", "--command", PROG " ok", "--backends",
        "preload:" SRC_DIR "/README.md", "--out", "bad1");
    BAD("not a shared library", "run", "--command", PROG " ok", "--backends",
        "preload:" PROG, "--out", "bad1");
    BAD("not a POSIX extended regular expression", "run", "--command", PROG " ok",
        "--throughput", "Throughput = ([0-9]+", "--out", "bad1");
    BAD("unknown placeholder {nprco}", "run", "--command", PROG " ok {nprco}", "--out", "bad1");
    BAD("{bench} needs", "run", "--command", "{bench}/x", "--out", "bad1");
    BAD("none of --backends can run it", "run", "--command", PROG " ok", "--backends", "pool",
        "--out", "bad1");
    BAD("unterminated", "run", "--command", PROG " 'ok", "--out", "bad1");
    BAD("apply to external programs", "run", "--workloads", "pairs", "--throughput", "x(1)",
        "--out", "bad1");
    BAD("--python /nonexistent/python", "run", "--python", "/nonexistent/python", "--command",
        "-c pass", "--out", "bad1");
    BAD("is a heaplab workload", "run", "--command-name", "pairs=" PROG " ok", "--out", "bad1");
    /* a setuid copy: the dynamic linker would ignore LD_PRELOAD */
    char suid[300], cmdline[1400];
    snprintf(suid, sizeof suid, "%s/suid-prog", tmpdir);
    snprintf(cmdline, sizeof cmdline, "cp '%s' '%s' && chmod u+s '%s'", PROG, suid, suid);
    if (system(cmdline) == 0) {
        snprintf(cmdline, sizeof cmdline, "%s ok", suid);
        BAD("setuid", "run", "--command", cmdline, "--out", "bad1");
    }
    char probe[600];
    snprintf(probe, sizeof probe, "%s/bad1/results.json", tmpdir);
    CHECK(access(probe, F_OK) != 0);
}

TEST(resume_refuses_a_changed_program)
{
    char copy[300], cmdline[1400];
    snprintf(copy, sizeof copy, "%s/prog-copy", tmpdir);
    snprintf(cmdline, sizeof cmdline, "cp '%s' '%s'", PROG, copy);
    REQUIRE(system(cmdline) == 0);
    snprintf(cmdline, sizeof cmdline, "%s ok 1000", copy);
    int rc = heaplab("run", "--command", cmdline, "--backends", "system", "--repetitions", "2",
                     "--out", "rs", NULL);
    CHECK(rc == 0);
    /* resume from plan.json alone, which is what a run killed before its
     * first save leaves, after the program changed */
    char path[700];
    snprintf(path, sizeof path, "%s/rs/results.json", tmpdir);
    unlink(path);
    FILE *f = fopen(copy, "ab");
    REQUIRE(f != NULL);
    fputc('x', f);
    fclose(f);
    BAD("changed since it was planned", "run", "--resume", "rs");
}

/* A suite file names programs; a missing one is skipped with one line,
 * --workloads picks entries by name, and a bad file is refused with its
 * line. */
TEST(suite_files_run_their_programs)
{
    char suite[600];
    snprintf(suite, sizeof suite, "%s/mine.suite", tmpdir);
    FILE *f = fopen(suite, "w");
    REQUIRE(f != NULL);
    fprintf(f, "# two benchmarks, one of them not built\n"
               "[present]\ndescription = the test program\nargv = %s ok 2000\n"
               "quick = %s ok 1000\nthroughput = Throughput = ([0-9.]+) operations\n\n"
               "[absent]\nargv = {bench}/no-such-program 1\n\n"
               "[other]\nargv = %s exit 0\n", PROG, PROG, PROG);
    fclose(f);
    int rc = heaplab("run", "--suite", suite, "--bench-dir", tmpdir, "--backends", "system",
                     "--repetitions", "1", "--out", "suite", NULL);
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 0, "%d: %s", rc, e);
    CHECK_MSG(strstr(e, "absent skipped: ") != NULL, "%s", e);
    free(e);
    hl_json *res = load("suite/results.json");
    REQUIRE(res != NULL);
    CHECK_EQ_U64(hl_json_len(cells_of(res)), 2);
    CHECK(cell_by_prefix(res, "present--system") && cell_by_prefix(res, "other--system"));
    /* the quick suite (the default) ran the quick line */
    const hl_json *cmds = hl_json_get(hl_json_get(res, "plan"), "commands");
    CHECK_STR(hl_json_str(hl_json_at(hl_json_get(hl_json_at(cmds, 0), "argv"), 2), ""), "1000");
    hl_json_free(res);
    rc = heaplab("run", "--suite", suite, "--bench-dir", tmpdir, "--workloads", "other",
                 "--backends", "system", "--repetitions", "1", "--out", "suite2", NULL);
    CHECK(rc == 0);
    res = load("suite2/results.json");
    REQUIRE(res != NULL);
    CHECK_EQ_U64(hl_json_len(cells_of(res)), 1);
    hl_json_free(res);
    f = fopen(suite, "a");
    REQUIRE(f != NULL);
    fprintf(f, "frobnicate = 1\n");
    fclose(f);
    BAD("mine.suite:13:", "run", "--suite", suite, "--bench-dir", tmpdir, "--out", "suite3");
}

/* Tuning comes from the spec, never from the user's environment: the
 * driver clears MALLOC_CONF & co and sets what the spec says, and an
 * in-process cell refuses a spec whose variable did not arrive. */
TEST(allocator_options_are_the_only_tuning_a_cell_sees)
{
    setenv("MALLOC_CONF", "junk_from_the_shell", 1);
    setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
    int rc = heaplab("run", "--command-name", "show=sh -c 'echo \"[$MALLOC_CONF]\"'",
                     "--backends", "jemalloc:conf=narenas:1,tcache:false,system",
                     "--repetitions", "1", "--out", "env", NULL);
    unsetenv("MALLOC_CONF");
    unsetenv("GLIBC_TUNABLES");
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 0, "%d: %s", rc, e);
    CHECK_MSG(strstr(e, "MALLOC_CONF=junk_from_the_shell is set in your environment"), "%s", e);
    free(e);
    char path[700];
    snprintf(path, sizeof path, "%s/env/cells/show--jemalloc_conf=narenas_1+tcache_false--t1/"
                                "rep-0/program.stdout", tmpdir);
    char *o = hl_proc_slurp(path);
    CHECK_MSG(strcmp(o, "[narenas:1,tcache:false]\n") == 0, "%s", o);
    free(o);
    snprintf(path, sizeof path, "%s/env/cells/show--system--t1/rep-0/program.stdout", tmpdir);
    o = hl_proc_slurp(path);
    CHECK_MSG(strcmp(o, "[]\n") == 0, "%s", o);
    free(o);
    /* in-process cells: the real system and jemalloc cells accept their
     * options only because the variables arrived */
    rc = heaplab("run", "--backends",
                 "system:tunables=glibc.malloc.tcache_count=0,jemalloc:conf=narenas:1",
                 "--workloads", "pairs", "--min-time", "0.01", "--warmup-time", "0",
                 "--fixed-ops", "0", "--repetitions", "1", "--out", "env2", NULL);
    e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 0, "%d: %s", rc, e);
    free(e);
    BAD("write env=MIMALLOC_NAME=VALUE", "run", "--backends", "mimalloc:env=FOO=1",
        "--workloads", "pairs", "--out", "bad2");
    BAD("has no option 'narenas' (it takes conf=$MALLOC_CONF", "run", "--backends",
        "jemalloc:narenas=1", "--workloads", "pairs", "--out", "bad2");
    /* jemalloc's api= is the backend's own: checked against the table
     * before anything runs, and no business of a preloaded program */
    BAD("api=bogus: give api=malloc|sdallocx|mallocx", "run", "--backends", "jemalloc:api=bogus",
        "--workloads", "pairs", "--out", "bad2");
    BAD("a command takes only jemalloc's environment options", "run", "--backends",
        "jemalloc:api=mallocx", "--command", "/bin/true", "--out", "bad2");
}

TEST(cpython_configurations_are_what_they_claim)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        SKIP("no /usr/bin/python3");
    int rc = heaplab("run", "--python", "/usr/bin/python3", "--command-name",
                     "stats=-c \"import sys; sys._debugmallocstats()\"", "--backends",
                     "pymalloc,malloc,pymalloc+jemalloc,malloc+jemalloc", "--repetitions", "1",
                     "--out", "py", NULL);
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 0, "%d: %s", rc, e);
    free(e);
    hl_json *res = load("py/results.json");
    REQUIRE(res != NULL);
    const hl_json *cs = cells_of(res);
    CHECK_EQ_U64(hl_json_len(cs), 4);
    for (size_t i = 0; i < hl_json_len(cs); i++) {
        const hl_json *c = hl_json_at(cs, i);
        const char *id = hl_json_get_str(c, "id", ""), *spec = hl_json_get_str(c, "backend", "");
        CHECK_MSG(strcmp(status_of(c, 0), "ok") == 0, "%s: %s", id, status_of(c, 0));
        char path[700];
        snprintf(path, sizeof path, "%s/py/cells/%s/rep-0/program.stderr", tmpdir, id);
        char *err = hl_proc_slurp(path);
        bool pymalloc = strncmp(spec, "pymalloc", 8) == 0;
        /* obmalloc's statistics exist only when obmalloc is the allocator */
        CHECK_MSG((strstr(err, "Small block threshold") != NULL) == pymalloc, "%s: %.200s", id,
                  err);
        free(err);
        snprintf(path, sizeof path, "py/cells/%s/rep-0/cell.json", id);
        hl_json *cj = load(path);
        REQUIRE(cj != NULL);
        const char *m = hl_json_get_str(hl_json_get(cj, "proof"), "malloc", "");
        CHECK_MSG((strstr(m, "libjemalloc") != NULL) == (strstr(spec, "jemalloc") != NULL),
                  "%s: malloc is %s", id, m);
        hl_json_free(cj);
    }
    hl_json_free(res);
    /* -I makes the interpreter ignore PYTHONMALLOC: caught, not measured */
    rc = heaplab("run", "--python", "/usr/bin/python3", "--command-name", "iso=-I -c pass",
                 "--backends", "malloc", "--repetitions", "1", "--out", "py-iso", NULL);
    CHECK(rc == 1);
    res = load("py-iso/results.json");
    REQUIRE(res != NULL);
    CHECK_STR(status_of(cell_by_prefix(res, "iso--"), 0), "not-preloaded");
    hl_json_free(res);
}

/* heaplab validate end to end on one small twin (about 15 s): one child run
 * with both sides, the heaplab cells at the interpreter's model, a report
 * whose pairs add up, and a --resume that keeps the finished run. */
TEST(validate_end_to_end)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        SKIP("no /usr/bin/python3");
    int rc = heaplab("validate", "--python", "/usr/bin/python3", "--workloads", "list_grow",
                     "--quick", "--no-calls", "--seed", "3", "--out", "val", NULL);
    char *e = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 0, "%d: %s", rc, e);
    free(e);
    hl_json *v = load("val/validate.json");
    REQUIRE(v != NULL);
    CHECK_STR(hl_json_get_str(v, "format", ""), "heaplab-validate");
    const hl_json *blocks = hl_json_get(v, "blocks");
    CHECK_EQ_U64(hl_json_len(blocks), 2); /* list_grow x (time, peak RSS) */
    size_t pairs = 0;
    for (size_t b = 0; b < hl_json_len(blocks); b++) {
        const hl_json *blk = hl_json_at(blocks, b);
        const hl_json *cfgs = hl_json_get(blk, "configurations");
        size_t n = hl_json_len(cfgs);
        CHECK(n >= 2);
        CHECK_STR(hl_json_get_str(hl_json_at(cfgs, 0), "cpython", ""), "pymalloc");
        CHECK_STR(hl_json_get_str(hl_json_at(cfgs, 0), "heaplab", ""), "pool");
        CHECK_EQ_U64(hl_json_len(hl_json_get(blk, "pairs")), n * (n - 1) / 2);
        for (size_t i = 0; i < n; i++) {
            const hl_json *c = hl_json_at(cfgs, i);
            CHECK_MSG(hl_json_get_num(c, "cpython_median", -1) > 0 &&
                          hl_json_get_num(c, "heaplab_median", -1) > 0,
                      "%s: no median", hl_json_get_str(c, "cpython", ""));
        }
        pairs += n * (n - 1) / 2;
    }
    /* every pair is in exactly one class */
    size_t classes = 0;
    const hl_json *scores = hl_json_get(v, "scores");
    for (size_t m = 0; m < 2; m++) {
        const hl_json *s = hl_json_get(scores, m ? "peak_rss" : "time");
        classes += (size_t)(hl_json_get_num(s, "counted", 0) + hl_json_get_num(s, "noise", 0) +
                            hl_json_get_num(s, "same_model", 0) +
                            hl_json_get_num(s, "no_estimate", 0));
    }
    CHECK_EQ_U64(classes, pairs);
    hl_json_free(v);
    /* the heaplab side modelled the interpreter's version */
    hl_json *res = load("val/3.11/results.json");
    if (res) {
        CHECK_STR(hl_json_get_str(hl_json_get(res, "plan"), "python_model", ""), "3.11");
        CHECK(cell_by_prefix(res, "list_grow--pool--") != NULL);
        CHECK(cell_by_prefix(res, "list_grow.py--pymalloc@3.11--") != NULL);
        hl_json_free(res);
    } else {
        printf("  (/usr/bin/python3 is not a 3.11: results not checked by name)\n");
    }
    char path[400];
    snprintf(path, sizeof path, "%s/val/validate.md", tmpdir);
    char *md = hl_proc_slurp(path);
    CHECK(strstr(md, "## Agreement") != NULL && strstr(md, "### list_grow") != NULL);
    free(md);
    rc = heaplab("validate", "--resume", "val", NULL);
    char *o = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(o, "complete already, kept") != NULL);
    free(o);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/heaplab-test-commands-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(out_path, sizeof out_path, "%s/stdout", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/stderr", tmpdir);
    RUN(every_process_allocator_is_preloaded_and_proven);
    RUN(a_withheld_or_lost_preload_fails_the_proof);
    RUN(failing_programs_are_recorded_and_the_run_goes_on);
    RUN(bad_input_is_one_line_and_writes_nothing);
    RUN(resume_refuses_a_changed_program);
    RUN(suite_files_run_their_programs);
    RUN(allocator_options_are_the_only_tuning_a_cell_sees);
    RUN(cpython_configurations_are_what_they_claim);
    RUN(validate_end_to_end);
    int rc = hl_test_summary();
    if (rc == 0) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            printf("(could not remove %s)\n", tmpdir);
    } else {
        printf("kept %s for inspection\n", tmpdir);
    }
    return rc;
}
