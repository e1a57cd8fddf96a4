/* test_command.c - the command model (harness/command.h): word splitting
 * against the POSIX shell's rules (Shell Command Language, 2.2 Quoting),
 * placeholders, names, checks and the throughput pattern. */
#include "command.h"
#include "hl_test.h"

static hl_command split(const char *line, int *rc)
{
    hl_command c;
    hl_command_init(&c);
    char err[200] = "";
    *rc = hl_command_split(&c, line, err, sizeof err);
    return c;
}

TEST(words_split_like_a_shell)
{
    int rc;
    hl_command c = split("  prog  a\t'b c' \"d \\\"e\\\" $x\" f\\ g 'h'\"i\"j ''", &rc);
    CHECK(rc == 0);
    CHECK_EQ_U64(c.argc, 7);
    CHECK_STR(c.argv[0], "prog");
    CHECK_STR(c.argv[1], "a");
    CHECK_STR(c.argv[2], "b c");
    CHECK_STR(c.argv[3], "d \"e\" $x");
    CHECK_STR(c.argv[4], "f g");
    CHECK_STR(c.argv[5], "hij");
    CHECK_STR(c.argv[6], "");
    CHECK(c.argv[7] == NULL);
    /* the empty word makes the command invalid */
    snprintf(c.name, sizeof c.name, "x");
    char err[200];
    CHECK(hl_command_check(&c, err, sizeof err) != 0 && strstr(err, "word 7 is empty"));
    hl_command_free(&c);
    /* inside single quotes a backslash is literal */
    c = split("echo 'a\\b'", &rc);
    CHECK(rc == 0 && c.argc == 2);
    CHECK_STR(c.argv[1], "a\\b");
    hl_command_free(&c);
}

TEST(unterminated_quotes_and_too_many_words_are_refused)
{
    int rc;
    hl_command c = split("prog 'open", &rc);
    CHECK(rc != 0);
    hl_command_free(&c);
    c = split("prog \"open", &rc);
    CHECK(rc != 0);
    hl_command_free(&c);
    char line[1024] = "p";
    for (int i = 0; i < HL_CMD_MAX_ARGS; i++)
        strcat(line, " x");
    c = split(line, &rc);
    CHECK(rc != 0);
    hl_command_free(&c);
}

TEST(placeholders_expand_or_name_the_fix)
{
    hl_command c;
    hl_command_init(&c);
    char err[200];
    CHECK(hl_command_split(&c, "{bench}/larson {nproc} {nproc*3} {nproc/4} x{nproc}y "
                               "{nproc<=4} {nproc<=16}", err, sizeof err) == 0);
    CHECK(hl_command_add_env(&c, "THREADS={nproc*2}", err, sizeof err) == 0);
    hl_command_vars v = {.nproc = 6, .bench_dir = "/b"};
    CHECK(hl_command_expand(&c, &v, err, sizeof err) == 0);
    CHECK_STR(c.argv[0], "/b/larson");
    CHECK_STR(c.argv[1], "6");
    CHECK_STR(c.argv[2], "18");
    CHECK_STR(c.argv[3], "1"); /* 6/4 = 1, and never below 1 */
    CHECK_STR(c.argv[4], "x6y");
    CHECK_STR(c.argv[5], "4");
    CHECK_STR(c.argv[6], "6");
    CHECK_STR(c.env[0], "THREADS=12");
    CHECK(!c.python);
    hl_command_free(&c);

    static const char *const bad[][2] = {
        {"prog {nprco}", "unknown placeholder {nprco}"},
        {"prog {nproc*0}", "{nproc*0}"},
        {"prog {nproc+1}", "{nproc+1}"},
        {"prog {nproc<16}", "{nproc<16}"},
        {"prog {nproc<=-2}", "{nproc<=-2}"},
        {"prog {nproc*+2}", "{nproc*+2}"},
        {"{bench}/x", "--bench-dir"},
        {"prog {python}", "first word"},
        {"prog {nproc", "without a matching"},
        {"{bench-src}/in", "--bench-src"},
        {"prog {suite}/in", "only inside a suite file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hl_command_init(&c);
        CHECK(hl_command_split(&c, bad[i][0], err, sizeof err) == 0);
        hl_command_vars none = {.nproc = 2};
        CHECK_MSG(hl_command_expand(&c, &none, err, sizeof err) != 0 && strstr(err, bad[i][1]),
                  "%s -> %s", bad[i][0], err);
        hl_command_free(&c);
    }
    /* the source folder and the suite file's folder, in every field */
    hl_command_init(&c);
    CHECK(hl_command_split(&c, "{bench}/espresso {bench-src}/espresso/in.pla", err,
                           sizeof err) == 0);
    c.stdin_path = strdup("{suite}/barnes.in");
    c.cwd = strdup("{bench-src}");
    hl_command_vars all = {.nproc = 2, .bench_dir = "/b", .bench_src = "/s", .suite_dir = "/q"};
    CHECK(hl_command_expand(&c, &all, err, sizeof err) == 0);
    CHECK_STR(c.argv[0], "/b/espresso");
    CHECK_STR(c.argv[1], "/s/espresso/in.pla");
    CHECK_STR(c.stdin_path, "/q/barnes.in");
    CHECK_STR(c.cwd, "/s");
    hl_command_free(&c);
    /* {python} as the program marks the command and leaves the arguments */
    hl_command_init(&c);
    CHECK(hl_command_split(&c, "{python} -c pass", err, sizeof err) == 0);
    CHECK(hl_command_expand(&c, NULL, err, sizeof err) == 0);
    CHECK(c.python && c.argc == 2);
    CHECK_STR(c.argv[0], "-c");
    hl_command_free(&c);
}

TEST(names)
{
    char n[HL_CMD_NAME_MAX];
    hl_command_default_name("/usr/bin/python3 app.py --n 10", n, sizeof n);
    CHECK_STR(n, "python3-app.py-n-10");
    hl_command_default_name("  ./larson 5 8", n, sizeof n);
    CHECK_STR(n, "larson-5-8");
    hl_command_default_name("'''", n, sizeof n);
    CHECK_STR(n, "command");
    char longline[300];
    memset(longline, 'a', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    hl_command_default_name(longline, n, sizeof n);
    CHECK(strlen(n) == HL_CMD_NAME_MAX - 1 && hl_command_name_ok(n));
    CHECK(hl_command_name_ok("larsonN-sized"));
    CHECK(hl_command_name_ok("a+b_c.d"));
    CHECK(!hl_command_name_ok(""));
    CHECK(!hl_command_name_ok("-x"));
    CHECK(!hl_command_name_ok(".x"));
    CHECK(!hl_command_name_ok("a/b"));
    CHECK(!hl_command_name_ok("a b"));
}

TEST(env_entries)
{
    hl_command c;
    hl_command_init(&c);
    char err[200];
    CHECK(hl_command_add_env(&c, "A_1=x=y", err, sizeof err) == 0);
    CHECK(hl_command_add_env(&c, "=x", err, sizeof err) != 0);
    CHECK(hl_command_add_env(&c, "1A=x", err, sizeof err) != 0);
    CHECK(hl_command_add_env(&c, "A-B=x", err, sizeof err) != 0);
    CHECK(hl_command_add_env(&c, "NOEQ", err, sizeof err) != 0);
    for (int i = 1; i < HL_CMD_MAX_ENV; i++)
        CHECK(hl_command_add_env(&c, "X=1", err, sizeof err) == 0);
    CHECK(hl_command_add_env(&c, "X=1", err, sizeof err) != 0);
    hl_command copy;
    CHECK(hl_command_copy(&copy, &c) == 0);
    CHECK(copy.n_env == HL_CMD_MAX_ENV && copy.env[0] != c.env[0]);
    CHECK_STR(copy.env[0], "A_1=x=y");
    hl_command_free(&copy);
    hl_command_free(&c);
}

TEST(throughput_pattern)
{
    hl_command c;
    hl_command_init(&c);
    char err[200];
    snprintf(c.name, sizeof c.name, "larson");
    CHECK(hl_command_split(&c, "larson", err, sizeof err) == 0);
    c.throughput = strdup("Throughput = *([0-9.]+) operations");
    CHECK(hl_command_check(&c, err, sizeof err) == 0);
    double v = 0;
    const char *out = "warming up\nThroughput =  1000 operations per second\n"
                      "Throughput =   9598866 operations per second, relative time: 1.0s.\n"
                      "Done sleeping...\n";
    CHECK(hl_command_throughput(&c, out, &v, err, sizeof err) == 0 && v == 9598866);
    c.throughput_scale = 0.5;
    CHECK(hl_command_throughput(&c, out, &v, err, sizeof err) == 0 && v == 4799433);
    CHECK(hl_command_throughput(&c, "nothing here\n", &v, err, sizeof err) != 0 &&
          strstr(err, "no line matching"));
    free(c.throughput);
    c.throughput = strdup("([a-z]+) per second");
    CHECK(hl_command_throughput(&c, out, &v, err, sizeof err) != 0 &&
          strstr(err, "not a positive number"));
    free(c.throughput);
    c.throughput = strdup("Throughput = ([0-9]+");
    CHECK(hl_command_check(&c, err, sizeof err) != 0 && strstr(err, "not a POSIX extended"));
    free(c.throughput);
    c.throughput = strdup("Throughput = [0-9]+");
    CHECK(hl_command_check(&c, err, sizeof err) != 0 && strstr(err, "has no group"));
    c.throughput_scale = 0;
    free(c.throughput);
    c.throughput = NULL;
    CHECK(hl_command_check(&c, err, sizeof err) != 0 && strstr(err, "scale"));
    hl_command_free(&c);
}

/* glibc's regcomp expands bounded repetitions: a short pattern can ask for
 * gigabytes, so the check sizes the pattern before compiling it. */
TEST(throughput_patterns_are_sized_before_compiling)
{
    static const char *const good[] = {
        "Throughput = *([0-9.]+) operations per second",
        "([0-9]{1,3}(,[0-9]{3})*) ops",
        "(a{100}){50}x([0-9]+)",        /* 5000 positions */
        "[)(]{2}([0-9]+)",              /* parentheses in a bracket are characters */
        "[\\1]([0-9]+)",              /* and so is a backslash */
        "[[:digit:]]{3}([[:digit:].]+)",
    };
    static const char *const bad[][2] = {
        {"(a{32767}){32767}([0-9]+)", "repeats too much"},
        {"((a{100}){100}){100}([0-9]+)", "repeats too much"},
        {"(a{200}){200}(x)", "repeats too much"},
        {"(a)\\1([0-9]+)", "back-reference"},
        /* found by fuzz_suitefile: minutes in glibc's regcomp */
        {"throughputt = *+++++++++++([0-9]{1,9}) operations per second", "repeats a repetition"},
        {"x*?([0-9]+)", "repeats a repetition"},
        {"([0-9]+){2}{3}", "repeats a repetition"},
    };
    hl_command c;
    hl_command_init(&c);
    char err[400];
    snprintf(c.name, sizeof c.name, "p");
    CHECK(hl_command_split(&c, "p", err, sizeof err) == 0);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        c.throughput = strdup(good[i]);
        CHECK_MSG(hl_command_check(&c, err, sizeof err) == 0, "%s -> %s", good[i], err);
        free(c.throughput);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c.throughput = strdup(bad[i][0]);
        CHECK_MSG(hl_command_check(&c, err, sizeof err) != 0 && strstr(err, bad[i][1]),
                  "%s -> %s", bad[i][0], err);
        double v;
        CHECK(hl_command_throughput(&c, "aa 12\n", &v, err, sizeof err) != 0);
        free(c.throughput);
    }
    char longpat[600];
    memset(longpat, 'a', sizeof longpat - 1);
    longpat[sizeof longpat - 1] = '\0';
    memcpy(longpat, "([0-9]+)", 8);
    c.throughput = strdup(longpat);
    CHECK(hl_command_check(&c, err, sizeof err) != 0 && strstr(err, "longer than"));
    free(c.throughput);
    c.throughput = NULL;
    hl_command_free(&c);
}

int main(void)
{
    RUN(words_split_like_a_shell);
    RUN(unterminated_quotes_and_too_many_words_are_refused);
    RUN(placeholders_expand_or_name_the_fix);
    RUN(names);
    RUN(env_entries);
    RUN(throughput_pattern);
    RUN(throughput_patterns_are_sized_before_compiling);
    return hl_test_summary();
}
