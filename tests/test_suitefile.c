/* test_suitefile.c - suite files (harness/suitefile.h): a file with every
 * key, CRLF, comments and blanks; quick against full; placeholders; every
 * error with its line; the file checks of hl_suitefile_load; the program
 * checks; and workloads/suites/mimalloc-bench.suite itself, whose
 * throughput patterns are tried on output the programs printed
 * (tests/data/mimalloc-bench-output/, see its README). */
#include "fsutil.h"
#include "hl_test.h"
#include "suitefile.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SUITE_FILE
#error "SUITE_FILE (workloads/suites/mimalloc-bench.suite) must be defined"
#endif
#ifndef DATA_DIR
#error "DATA_DIR must be defined"
#endif
#ifndef TMP_DIR
#error "TMP_DIR must be defined"
#endif

static const hl_command_vars vars = {
    .nproc = 4, .bench_dir = "/b", .bench_src = "/s", .suite_dir = "/q"};

static int parse(const char *text, bool quick, hl_command **c, size_t *n, char *err,
                 size_t errlen)
{
    hl_suitefile_opts o = {.quick = quick, .vars = vars};
    err[0] = '\0';
    return hl_suitefile_parse(text, strlen(text), "t.suite", &o, c, n, err, errlen);
}

static const hl_command *find(const hl_command *c, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return &c[i];
    return NULL;
}

static const char full_text[] =
    "# a suite with every key\n"
    "\n"
    "   # an indented comment\n"
    "[larsonN]   \n"
    "description = larson server benchmark, 5 s  \n"
    "argv = {bench}/larson 5 8 1000 5000 100 4141 {nproc}\n"
    "quick = {bench}/larson 1 8 1000 5000 100 4141 {nproc/2}\n"
    "\tenv = MIMALLOC_VERBOSE=0\n"
    "env=A_B={nproc*2}\n"
    "cwd = {bench}\n"
    "stdin = {bench-src}/in\n"
    "quick_stdin = {suite}/quick.in\n"
    "throughput = Throughput = *([0-9.]+) operations per second\n"
    "throughput_scale = 2.5\n"
    "expect_exit = 3\n"
    "timeout = 60\n"
    "[ tiny ]\n"
    "argv = '/usr/bin/my prog' \"a b\" c\\ d #not-a-comment\n"
    "quick_skip = too slow\n";

static void check_full(const hl_command *c, size_t n)
{
    CHECK_EQ_U64(n, 2);
    if (n != 2)
        return;
    CHECK_STR(c[0].name, "larsonN");
    CHECK_STR(c[0].description, "larson server benchmark, 5 s");
    CHECK_EQ_U64(c[0].argc, 8);
    CHECK_STR(c[0].argv[0], "/b/larson");
    CHECK_STR(c[0].argv[7], "4");
    CHECK(c[0].argv[8] == NULL);
    CHECK_EQ_U64(c[0].n_env, 2);
    CHECK_STR(c[0].env[0], "MIMALLOC_VERBOSE=0");
    CHECK_STR(c[0].env[1], "A_B=8");
    CHECK_STR(c[0].cwd, "/b");
    CHECK_STR(c[0].stdin_path, "/s/in");
    CHECK_STR(c[0].throughput, "Throughput = *([0-9.]+) operations per second");
    CHECK(c[0].throughput_scale == 2.5);
    CHECK(c[0].expect_exit == 3);
    CHECK(c[0].timeout_s == 60);
    CHECK(!c[0].python);
    CHECK_STR(c[1].name, "tiny");
    CHECK_EQ_U64(c[1].argc, 4);
    CHECK_STR(c[1].argv[0], "/usr/bin/my prog");
    CHECK_STR(c[1].argv[1], "a b");
    CHECK_STR(c[1].argv[2], "c d");
    CHECK_STR(c[1].argv[3], "#not-a-comment");
    CHECK(c[1].description == NULL && c[1].cwd == NULL && c[1].stdin_path == NULL);
    CHECK(c[1].throughput == NULL && c[1].throughput_scale == 1 && c[1].expect_exit == 0);
    char err[300];
    for (size_t i = 0; i < n; i++)
        CHECK(hl_command_check(&c[i], err, sizeof err) == 0);
}

TEST(a_suite_with_every_key)
{
    hl_command *c;
    size_t n;
    char err[400];
    CHECK_MSG(parse(full_text, false, &c, &n, err, sizeof err) == 0, "%s", err);
    check_full(c, n);
    hl_suitefile_free(c, n);
}

/* The same file with CRLF line ends (and no newline at the end, and a
 * UTF-8 byte order mark) reads the same. */
TEST(crlf_and_a_byte_order_mark_read_the_same)
{
    char crlf[sizeof full_text * 2 + 4] = "\xEF\xBB\xBF";
    size_t k = 3;
    for (const char *p = full_text; *p; p++) {
        if (*p == '\n')
            crlf[k++] = '\r';
        crlf[k++] = *p;
    }
    crlf[k - 2] = '\0'; /* drop the last CRLF */
    hl_command *c;
    size_t n;
    char err[400];
    CHECK_MSG(parse(crlf, false, &c, &n, err, sizeof err) == 0, "%s", err);
    check_full(c, n);
    hl_suitefile_free(c, n);
}

TEST(quick_takes_the_quick_lines_and_leaves_out_quick_skip)
{
    hl_command *c;
    size_t n;
    char err[400];
    CHECK_MSG(parse(full_text, true, &c, &n, err, sizeof err) == 0, "%s", err);
    CHECK_EQ_U64(n, 1);
    if (n == 1) {
        CHECK_STR(c[0].name, "larsonN");
        CHECK_STR(c[0].argv[1], "1");
        CHECK_STR(c[0].argv[7], "2"); /* {nproc/2} */
        CHECK_STR(c[0].stdin_path, "/q/quick.in");
        CHECK_STR(c[0].cwd, "/b");
    }
    hl_suitefile_free(c, n);
    /* without quick lines the quick suite runs the full ones */
    CHECK(parse("[a]\nargv = p 1\nstdin = /in\n", true, &c, &n, err, sizeof err) == 0);
    CHECK(n == 1 && c[0].argc == 2 && strcmp(c[0].argv[1], "1") == 0);
    CHECK(n == 1 && c[0].stdin_path && strcmp(c[0].stdin_path, "/in") == 0);
    hl_suitefile_free(c, n);
    /* a quick suite with nothing left */
    CHECK(parse("[a]\nargv = p\nquick_skip = slow\n", true, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:1: no benchmark for the quick suite"), "%s", err);
    CHECK(c == NULL && n == 0);
}

TEST(placeholders)
{
    hl_command *c;
    size_t n;
    char err[400];
    /* {python} as the program marks the command */
    CHECK(parse("[py]\nargv = {python} {bench-src}/bm.py -n {nproc*3}\n", false, &c, &n, err,
                sizeof err) == 0);
    CHECK(n == 1 && c[0].python && c[0].argc == 3);
    if (n == 1) {
        CHECK_STR(c[0].argv[0], "/s/bm.py");
        CHECK_STR(c[0].argv[2], "12");
        CHECK(hl_suitefile_program_exists(&c[0]));
    }
    hl_suitefile_free(c, n);
    /* a value the chosen suite uses needs its placeholder's value... */
    hl_suitefile_opts none = {.quick = false, .vars = {.nproc = 2}};
    const char *t = "[a]\n# c\nargv = {bench}/p\n";
    CHECK(hl_suitefile_parse(t, strlen(t), "t.suite", &none, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:3: {bench} needs") && strstr(err, "--bench-dir"), "%s", err);
    /* ...the one it does not use only a known name */
    t = "[a]\nargv = /p\nquick_stdin = {bench-src}/x\nquick = {bench}/p\n";
    CHECK(hl_suitefile_parse(t, strlen(t), "t.suite", &none, &c, &n, err, sizeof err) == 0);
    hl_suitefile_free(c, n);
    none.quick = true;
    CHECK(hl_suitefile_parse(t, strlen(t), "t.suite", &none, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:3: {bench-src} needs") && strstr(err, "--bench-src"), "%s",
              err);
    /* a typo in the quick line fails the full suite too */
    CHECK(parse("[a]\nargv = /p\nquick = /p {nprco}\n", false, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:3: unknown placeholder {nprco}"), "%s", err);
    /* throughput patterns keep their braces */
    CHECK(parse("[a]\nargv = /p\nthroughput = ([0-9]{1,3}) ops\n", false, &c, &n, err,
                sizeof err) == 0);
    CHECK(n == 1 && strcmp(c[0].throughput, "([0-9]{1,3}) ops") == 0);
    hl_suitefile_free(c, n);
}

/* Every error: its line number and what it says. */
TEST(every_error_names_its_line)
{
    static const struct {
        const char *text;
        const char *want; /* the start of the message, "t.suite:LINE: ..." */
        const char *also; /* a second part that must be there, or NULL */
    } cases[] = {
        {"", "t.suite:1: no benchmark", "[name]"},
        {"# only\n\n   \n", "t.suite:1: no benchmark", NULL},
        {"[a]\nagrv = p\n", "t.suite:2: unknown key 'agrv'; did you mean 'argv'?", NULL},
        {"[a]\nArgv = p\n", "t.suite:2: unknown key 'Argv'; did you mean 'argv'?", NULL},
        {"[a]\nthroughput_scal = 2\n", "t.suite:2: unknown key", "'throughput_scale'"},
        {"[a]\nbanana = p\n", "t.suite:2: unknown key 'banana'; the keys are", "timeout"},
        {"[a]\nargv = p\nargv = q\n", "t.suite:3: argv is given twice (first on line 2)",
         "keep one"},
        {"[a]\nargv = p\n\n[b]\nargv = q\n[a]\nargv = r\n",
         "t.suite:6: benchmark 'a' is already defined on line 1", NULL},
        {"\n\nargv = p\n[a]\n", "t.suite:3: argv before any section", "[name]"},
        {"[a]\ndescription = x\n", "t.suite:1: benchmark 'a' has no argv", "argv ="},
        {"[a]\nargv = p\n[b]\ncwd = /\n", "t.suite:3: benchmark 'b' has no argv", NULL},
        {"[a b]\nargv = p\n", "t.suite:1: benchmark name 'a b' must be", "rename"},
        {"[-a]\nargv = p\n", "t.suite:1: benchmark name '-a' must be", NULL},
        {"[]\nargv = p\n", "t.suite:1: empty section name", NULL},
        {"[a\nargv = p\n", "t.suite:1: section header without ']'", NULL},
        {"[a] # x\nargv = p\n", "t.suite:1: text after ']'", "own line"},
        {"[a]\nargv = p\ntimeout = soon\n", "t.suite:3: timeout 'soon' is not a number", NULL},
        {"[a]\nargv = p\ntimeout = -1\n", "t.suite:3: timeout '-1'", NULL},
        {"[a]\nargv = p\ntimeout = inf\n", "t.suite:3: timeout 'inf'", NULL},
        {"[a]\nargv = p\nexpect_exit = 256\n", "t.suite:3: expect_exit '256' is not an exit",
         "0-255"},
        {"[a]\nargv = p\nexpect_exit = 1.5\n", "t.suite:3: expect_exit '1.5'", NULL},
        {"[a]\nargv = p\nthroughput = (x)\nthroughput_scale = 0\n",
         "t.suite:4: throughput_scale '0' is not a positive number", NULL},
        {"[a]\nargv = p\nthroughput_scale = 2\n", "t.suite:3: throughput_scale scales",
         "throughput = REGEX"},
        {"[a]\nargv = p\nthroughput = Throughput = ([0-9]+\n",
         "t.suite:3: command a: throughput pattern", "not a POSIX extended"},
        {"[a]\nargv = p\nthroughput = [0-9]+ ops\n", "t.suite:3: command a: throughput",
         "has no group"},
        {"[a]\nargv = p\nthroughput = (a{32767}){32767}\n", "t.suite:3: command a:",
         "repeats too much"},
        {"[a]\nargv = p 'open\n", "t.suite:2: unterminated ' quote", NULL},
        {"[a]\nquick = p \"open\nargv = p\n", "t.suite:2: unterminated \" quote", NULL},
        {"[a]\nargv = p ''\n", "t.suite:2: command a: word 2 is empty", NULL},
        {"[a]\nargv = p {nprco}\n", "t.suite:2: unknown placeholder {nprco}", NULL},
        {"[a]\nargv = p\ncwd = {benc}\n", "t.suite:3: unknown placeholder {benc}", NULL},
        {"[a]\nargv = p {python}\n", "t.suite:2: {python} can only be the program", NULL},
        {"[a]\nargv = p\nenv = 1X=2\n", "t.suite:3: environment entry '1X=2'", NULL},
        {"[a]\nargv = p\nenv = NOVALUE\n", "t.suite:3: environment entry", NULL},
        {"[a]\nargv = p\nenv = X={nproc+1}\n", "t.suite:3: {nproc+1}", NULL},
        {"[a]\nargv =\n", "t.suite:2: argv has no value", "remove the line"},
        {"[a]\nargv = p\ndescription =   \n", "t.suite:3: description has no value", NULL},
        {"[a]\nargv p\n", "t.suite:2: 'argv p' is neither", "# comment"},
        {"[a]\n= p\n", "t.suite:2: the line starts with '='", NULL},
        {"[a]\nargv = p\nquick = q\nquick_skip = slow\n",
         "t.suite:4: quick_skip and quick (line 3) contradict", NULL},
        {"[a]\nargv = p\nquick_skip = slow\nquick_stdin = /x\n",
         "t.suite:4: quick_stdin and quick_skip (line 3) contradict", NULL},
        {"[a]\nargv = p\nstdin = x\nstdin = y\n", "t.suite:4: stdin is given twice", NULL},
        {"[a]\nargv = p\x01\n", "t.suite:2: control character 0x01 in column 9", NULL},
        {"[a]\nargv = p\rq\n", "t.suite:2: carriage return inside the line", NULL},
        {"[a]\nargv = p\n\x7f\n", "t.suite:3: control character 0x7F", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hl_command *c = (hl_command *)1;
        size_t n = 99;
        char err[600];
        int rc = parse(cases[i].text, false, &c, &n, err, sizeof err);
        CHECK_MSG(rc != 0 && c == NULL && n == 0, "case %zu parsed", i);
        CHECK_MSG(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0, "case %zu: '%s'", i,
                  err);
        CHECK_MSG(!cases[i].also || strstr(err, cases[i].also), "case %zu: '%s'", i, err);
        CHECK_MSG(!strchr(err, '\n'), "case %zu: two lines", i);
        if (rc == 0)
            hl_suitefile_free(c, n);
    }
}

/* The bounds: NUL bytes, long lines, too many sections, env entries. */
TEST(bounds)
{
    hl_command *c;
    size_t n;
    char err[600];
    hl_suitefile_opts o = {.vars = vars};
    static const char nul[] = "[a]\nargv = p\0q\n";
    CHECK(hl_suitefile_parse(nul, sizeof nul - 1, "t.suite", &o, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:2: NUL byte in column 9"), "%s", err);

    static char big[HL_SUITE_MAX_LINE + 64];
    snprintf(big, sizeof big, "[a]\nargv = p ");
    size_t k = strlen(big);
    memset(big + k, 'x', HL_SUITE_MAX_LINE);
    big[k + HL_SUITE_MAX_LINE] = '\0';
    CHECK(parse(big, false, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:2: line longer than"), "%s", err);

    /* HL_SUITE_MAX_BENCH sections parse; one more does not */
    size_t cap = (HL_SUITE_MAX_BENCH + 1) * 32;
    char *many = malloc(cap);
    size_t len = 0;
    for (int i = 0; i < HL_SUITE_MAX_BENCH; i++)
        len += (size_t)snprintf(many + len, cap - len, "[b%d]\nargv = p %d\n", i, i);
    CHECK(parse(many, false, &c, &n, err, sizeof err) == 0 && n == HL_SUITE_MAX_BENCH);
    if (n == HL_SUITE_MAX_BENCH)
        CHECK_STR(c[n - 1].argv[1], "255");
    hl_suitefile_free(c, n);
    snprintf(many + len, cap - len, "[extra]\nargv = p\n");
    CHECK(parse(many, false, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, ":513: more than 256 benchmarks"), "%s", err);
    free(many);

    char env[2048] = "[a]\nargv = p\n";
    for (int i = 0; i <= HL_CMD_MAX_ENV; i++)
        snprintf(env + strlen(env), sizeof env - strlen(env), "env = E%d=1\n", i);
    CHECK(parse(env, false, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:19: more than 16 env entries"), "%s", err);

    /* text longer than the file limit is refused by the parser too */
    size_t huge = HL_SUITE_MAX_BYTES + 1;
    char *h = malloc(huge);
    memset(h, '\n', huge);
    CHECK(hl_suitefile_parse(h, huge, "t.suite", &o, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "t.suite:1: larger than 1 MiB"), "%s", err);
    free(h);
}

static int write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(text, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

TEST(load_refuses_what_is_not_a_suite_file_and_fills_its_folders)
{
    char dir[4096], path[4200], build[4200], src[4200], cache[4400], err[600];
    snprintf(dir, sizeof dir, "%s/suitefile", TMP_DIR);
    mkdir(TMP_DIR, 0755);
    mkdir(dir, 0755);
    hl_command *c;
    size_t n;
    hl_suitefile_opts o = {.vars = {.nproc = 2}};

    snprintf(path, sizeof path, "%s/missing.suite", dir);
    unlink(path);
    CHECK(hl_suitefile_load(path, &o, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "missing.suite: cannot open") && !strchr(err, '\n'), "%s", err);

    CHECK(hl_suitefile_load(dir, &o, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "not a regular file (a directory)"), "%s", err);

    snprintf(path, sizeof path, "%s/fifo.suite", dir);
    unlink(path);
    if (mkfifo(path, 0600) == 0) {
        CHECK(hl_suitefile_load(path, &o, &c, &n, err, sizeof err) != 0);
        CHECK_MSG(strstr(err, "fifo.suite: not a regular file"), "%s", err);
        unlink(path);
    }

    snprintf(path, sizeof path, "%s/big.suite", dir);
    char *big = malloc(HL_SUITE_MAX_BYTES + 1);
    memset(big, '#', HL_SUITE_MAX_BYTES + 1);
    CHECK(write_file(path, big, HL_SUITE_MAX_BYTES + 1) == 0);
    free(big);
    CHECK(hl_suitefile_load(path, &o, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "big.suite: 1048577 bytes, larger than 1 MiB"), "%s", err);

    snprintf(path, sizeof path, "%s/nul.suite", dir);
    CHECK(write_file(path, "[a]\nargv = p\n\0\n", 15) == 0);
    CHECK(hl_suitefile_load(path, &o, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "nul.suite:3: NUL byte"), "%s", err);

    /* {suite} is the file's folder; {bench-src} comes from CMakeCache.txt */
    snprintf(build, sizeof build, "%s/build", dir);
    snprintf(src, sizeof src, "%s/src", dir);
    mkdir(build, 0755);
    mkdir(src, 0755);
    snprintf(cache, sizeof cache, "%s/CMakeCache.txt", build);
    char cache_text[4400];
    int cl = snprintf(cache_text, sizeof cache_text,
                      "# This is the CMakeCache file.\nCMAKE_BUILD_TYPE:STRING=Release\n"
                      "CMAKE_HOME_DIRECTORY:INTERNAL=%s\r\nX:INTERNAL=1\n", src);
    CHECK(write_file(cache, cache_text, (size_t)cl) == 0);
    snprintf(path, sizeof path, "%s/good.suite", dir);
    static const char good[] = "[a]\nargv = {bench}/p {bench-src}/in\nstdin = {suite}/x\n";
    CHECK(write_file(path, good, sizeof good - 1) == 0);
    o.vars.bench_dir = build;
    CHECK_MSG(hl_suitefile_load(path, &o, &c, &n, err, sizeof err) == 0, "%s", err);
    char want[4400];
    char real_dir[4096];
    CHECK(realpath(dir, real_dir) != NULL);
    if (n == 1) {
        snprintf(want, sizeof want, "%s/in", src);
        CHECK_STR(c[0].argv[1], want);
        snprintf(want, sizeof want, "%s/x", real_dir);
        CHECK_STR(c[0].stdin_path, want);
    }
    hl_suitefile_free(c, n);
    /* the caller's values win */
    o.vars.bench_src = "/mine";
    o.vars.suite_dir = "/here";
    CHECK(hl_suitefile_load(path, &o, &c, &n, err, sizeof err) == 0);
    if (n == 1) {
        CHECK_STR(c[0].argv[1], "/mine/in");
        CHECK_STR(c[0].stdin_path, "/here/x");
    }
    hl_suitefile_free(c, n);
    /* no CMakeCache.txt: {bench-src} names its flag */
    o.vars.bench_src = NULL;
    o.vars.bench_dir = src;
    CHECK(hl_suitefile_load(path, &o, &c, &n, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "good.suite:2: {bench-src} needs"), "%s", err);
    char out[4096];
    CHECK(hl_suitefile_bench_src(build, out, sizeof out) == 0);
    CHECK_STR(out, src);
    CHECK(hl_suitefile_bench_src(src, out, sizeof out) != 0);
}

TEST(programs_and_paths)
{
    char err[600], why[600], exe[4200], plain[4200];
    hl_command *c;
    size_t n;
    snprintf(exe, sizeof exe, "%s/suitefile/prog.sh", TMP_DIR);
    snprintf(plain, sizeof plain, "%s/suitefile/plain.txt", TMP_DIR);
    CHECK(write_file(exe, "#!/bin/sh\n", 10) == 0 && chmod(exe, 0755) == 0);
    CHECK(write_file(plain, "x\n", 2) == 0 && chmod(plain, 0644) == 0);
    char text[32768];
    snprintf(text, sizeof text,
             "[abs]\nargv = %s\n[path]\nargv = sh -c true\n[missing]\nargv = /no/such/prog\n"
             "[notexec]\nargv = %s\n[nopath]\nargv = no-such-program-in-path-hl\n"
             "[dir]\nargv = /tmp\n[stdin]\nargv = %s\nstdin = /no/such/input\n"
             "[stdindir]\nargv = %s\nstdin = /tmp\n[cwd]\nargv = %s\ncwd = /no/such/dir\n"
             "[ok]\nargv = %s\nstdin = %s\ncwd = /tmp\n",
             exe, plain, exe, exe, exe, exe, plain);
    CHECK_MSG(parse(text, false, &c, &n, err, sizeof err) == 0, "%s", err);
    static const struct {
        const char *name;
        bool exists, runnable;
        const char *why;
    } want[] = {
        {"abs", true, true, NULL},
        {"path", true, true, NULL},
        {"missing", false, false, "/no/such/prog: no such executable file"},
        {"notexec", false, false, "no such executable file"},
        {"nopath", false, false, "no-such-program-in-path-hl: not found in PATH"},
        {"dir", false, false, "/tmp: no such executable file"},
        {"stdin", true, false, "/no/such/input: no such readable file (its stdin)"},
        {"stdindir", true, false, "/tmp: no such readable file"},
        {"cwd", true, false, "/no/such/dir: no such directory (its cwd)"},
        {"ok", true, true, NULL},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const hl_command *k = find(c, n, want[i].name);
        CHECK(k != NULL);
        if (!k)
            continue;
        why[0] = '\0';
        CHECK_MSG(hl_suitefile_program_exists(k) == want[i].exists, "%s", want[i].name);
        CHECK_MSG(hl_suitefile_runnable(k, why, sizeof why) == want[i].runnable, "%s",
                  want[i].name);
        CHECK_MSG(!want[i].why || strstr(why, want[i].why), "%s: '%s'", want[i].name, why);
    }
    hl_suitefile_free(c, n);
}

/* ---- the mimalloc-bench suite ------------------------------------------------- */

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static const char *const mb_names[] = {
    "cfrac",          "espresso",       "barnes",        "larsonN",       "larsonN-sized",
    "mstressN",       "rptestN",        "xmalloc-testN", "cache-scratch1", "cache-scratchN",
    "cache-thrash1",  "cache-thrashN",  "glibc-simple",  "glibc-thread",  "alloc-test1",
    "alloc-testN",    "malloc-large",   "mleak10",       "mleak100",
};
#define MB_N (sizeof mb_names / sizeof mb_names[0])

TEST(the_mimalloc_bench_suite)
{
    char err[600];
    hl_command *full, *quick;
    size_t nf, nq;
    hl_suitefile_opts o = {.vars = {.nproc = 2, .bench_dir = "/B", .bench_src = "/S"}};
    CHECK_MSG(hl_suitefile_load(SUITE_FILE, &o, &full, &nf, err, sizeof err) == 0, "%s", err);
    o.quick = true;
    CHECK_MSG(hl_suitefile_load(SUITE_FILE, &o, &quick, &nq, err, sizeof err) == 0, "%s", err);
    CHECK_EQ_U64(nf, MB_N);
    for (size_t i = 0; i < MB_N; i++) {
        const hl_command *c = find(full, nf, mb_names[i]);
        CHECK_MSG(c != NULL, "%s missing", mb_names[i]);
        if (!c)
            continue;
        /* every program is one mimalloc-bench built, named as its target */
        CHECK_MSG(strncmp(c->argv[0], "/B/", 3) == 0 && !strchr(c->argv[0] + 3, '/'), "%s",
                  c->argv[0]);
        CHECK_MSG(c->description != NULL, "%s has no description", mb_names[i]);
    }
    /* bench.sh's command lines, with procs = nproc = 2 */
    static const char *const lines[][2] = {
        {"larsonN", "/B/larson 5 8 1000 5000 100 4141 2"},
        {"xmalloc-testN", "/B/xmalloc-test -w 2 -t 5 -s 64"},
        {"rptestN", "/B/rptest 2 0 1 2 500 1000 100 8 16000"},
        {"cache-scratchN", "/B/cache-scratch 2 1000 1 2000000 2"},
        {"alloc-testN", "/B/alloc-test 2"},
        {"espresso", "/B/espresso /S/espresso/largest.espresso"},
        {"mleak100", "/B/mleak 50"},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        const hl_command *c = find(full, nf, lines[i][0]);
        char joined[600] = "";
        for (size_t a = 0; c && a < c->argc; a++)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s",
                     a ? " " : "", c->argv[a]);
        CHECK_MSG(strcmp(joined, lines[i][1]) == 0, "%s: '%s'", lines[i][0], joined);
    }
    const hl_command *b = find(full, nf, "barnes");
    CHECK(b && b->stdin_path && strcmp(b->stdin_path, "/S/barnes/input") == 0);
    /* the quick suite: the skipped ones gone, the inputs shipped next to the file */
    for (size_t i = 0; i < nq; i++)
        CHECK_MSG(find(full, nf, quick[i].name) != NULL, "%s", quick[i].name);
    CHECK(find(quick, nq, "rptestN") == NULL && find(quick, nq, "alloc-test1") == NULL);
    CHECK(find(quick, nq, "larsonN") != NULL);
    b = find(quick, nq, "barnes");
    CHECK(b && b->stdin_path && strstr(b->stdin_path, "/mimalloc-bench/barnes-quick.input"));
    if (b && b->stdin_path)
        CHECK_MSG(hl_is_regular_file(b->stdin_path), "%s", b->stdin_path);
    const hl_command *e = find(quick, nq, "espresso");
    CHECK(e && e->argc == 2 && strstr(e->argv[1], "/mimalloc-bench/mul4x5.pla"));
    if (e && e->argc == 2)
        CHECK_MSG(hl_is_regular_file(e->argv[1]), "%s", e->argv[1]);

    /* The throughput patterns on the programs' own output: the expected
     * figure is the number in the sample times the scale. */
    static const struct {
        const char *name, *sample;
        double ops;
    } tp[] = {
        {"larsonN", "larson.out", 3854108},
        {"larsonN-sized", "larson-sized.out", 1928607},
        {"xmalloc-testN", "xmalloc-test.out", 6.704e6},
        {"rptestN", "rptest.out", 676875},
        {"glibc-thread", "glibc-thread.out", 10633013 / 2.0},
    };
    size_t with_throughput = 0;
    for (size_t i = 0; i < nf; i++)
        with_throughput += full[i].throughput != NULL;
    CHECK_EQ_U64(with_throughput, sizeof tp / sizeof tp[0]);
    for (size_t i = 0; i < sizeof tp / sizeof tp[0]; i++) {
        const hl_command *c = find(full, nf, tp[i].name);
        char path[4096];
        snprintf(path, sizeof path, "%s/mimalloc-bench-output/%s", DATA_DIR, tp[i].sample);
        const char *text = read_all(path);
        CHECK_MSG(text != NULL, "%s", path);
        double v = 0;
        CHECK_MSG(c && text && hl_command_throughput(c, text, &v, err, sizeof err) == 0 &&
                      v > tp[i].ops * (1 - 1e-9) && v < tp[i].ops * (1 + 1e-9),
                  "%s: %g (%s)", tp[i].name, v, err);
        /* and not on another program's output */
        snprintf(path, sizeof path, "%s/mimalloc-bench-output/%s", DATA_DIR,
                 tp[(i + 2) % (sizeof tp / sizeof tp[0])].sample);
        text = read_all(path);
        CHECK_MSG(c && text && hl_command_throughput(c, text, &v, err, sizeof err) != 0, "%s",
                  tp[i].name);
    }
    hl_suitefile_free(full, nf);
    hl_suitefile_free(quick, nq);
}

int main(void)
{
    RUN(a_suite_with_every_key);
    RUN(crlf_and_a_byte_order_mark_read_the_same);
    RUN(quick_takes_the_quick_lines_and_leaves_out_quick_skip);
    RUN(placeholders);
    RUN(every_error_names_its_line);
    RUN(bounds);
    RUN(load_refuses_what_is_not_a_suite_file_and_fills_its_folders);
    RUN(programs_and_paths);
    RUN(the_mimalloc_bench_suite);
    return hl_test_summary();
}
