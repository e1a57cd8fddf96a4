/* test_driver_plan.c - the driver's modules below the command line:
 * routing (route.h), the run order and plan invariants (plan.h), the cell
 * result reader (results.h) on a real cell.json, the table printer and the
 * atomic file replacement.  Properties are checked against simple models:
 * the order is a permutation of all (cell, rep) pairs per round, determined
 * by the seed; hl_plan_check catches every corruption we inject.
 */
#include "hl_test.h"
#include "fsutil.h"
#include "plan.h"
#include "progress.h"
#include "results.h"
#include "route.h"
#include "table.h"

#include <math.h>
#include <unistd.h>

#ifndef DATA_DIR
#error "DATA_DIR must be defined by tests/harness.cmake"
#endif

TEST(route_table)
{
    char err[256];
    CHECK_STR(hl_route_variant("system", err, sizeof err), "system");
    CHECK_STR(hl_route_variant("pool", err, sizeof err), "system");
    CHECK_STR(hl_route_variant("guard", err, sizeof err), "system");
    CHECK_STR(hl_route_variant("faulty:fail_every=10", err, sizeof err), "system");
    CHECK_STR(hl_route_variant("jemalloc", err, sizeof err), "jemalloc");
    CHECK_STR(hl_route_variant("mimalloc", err, sizeof err), "mimalloc");
    CHECK_STR(hl_route_variant("tcmalloc", err, sizeof err), "tcmalloc");
    CHECK_STR(hl_route_variant("cpython", err, sizeof err), "cpython");
    CHECK_STR(hl_route_variant("pool:raw=jemalloc", err, sizeof err), "jemalloc");
    CHECK_STR(hl_route_variant("guard:quarantine=64,raw=mimalloc", err, sizeof err), "mimalloc");
    CHECK_STR(hl_route_variant("faulty:raw=tcmalloc,fail_every=3", err, sizeof err), "tcmalloc");
    CHECK(hl_route_variant("pool:raw=cpython", err, sizeof err) == NULL);
    CHECK(strstr(err, "not a process allocator") != NULL);
    CHECK(hl_route_variant("pool:raw=", err, sizeof err) == NULL);
    CHECK(hl_route_variant("jemalloc:raw=system", err, sizeof err) == NULL);
    /* options are checked against the table before anything is planned */
    CHECK(hl_route_variant("pool:bogus=1", err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "backend 'pool' has no option 'bogus'") != NULL, "%s", err);
    CHECK(hl_route_variant("guard:raw=mimalloc,fill=1", err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "has no option 'fill'") != NULL, "%s", err);
    CHECK(hl_route_variant("pool:align=sideways", err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "give align=none|arena|unaligned") != NULL, "%s", err);
    CHECK(hl_route_variant("pool:keep_free=x", err, sizeof err) == NULL);
    CHECK(hl_route_variant("faulty:fail_every=-1", err, sizeof err) == NULL);
    CHECK_STR(hl_route_variant("pool:align=arena,keep_free=2", err, sizeof err), "system");
    CHECK_STR(hl_route_variant("jemalloc:conf=narenas:1,tcache:false", err, sizeof err),
              "jemalloc");
    CHECK(hl_route_variant("jemalloc:conf=", err, sizeof err) != NULL); /* MALLOC_CONF= */
    CHECK(hl_route_variant("mimalloc:env=FOO=1", err, sizeof err) == NULL);
    CHECK(hl_route_variant("system:nope=1", err, sizeof err) == NULL);
    CHECK(hl_route_variant("cpython:x=1", err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "takes no options") != NULL, "%s", err);
    CHECK(hl_route_variant("nosuch", err, sizeof err) == NULL);
    CHECK(strstr(err, "unknown backend 'nosuch'") != NULL);
    CHECK(hl_route_variant("", err, sizeof err) == NULL);
    char name[32];
    hl_route_backend_name("pool:raw=jemalloc", name, sizeof name);
    CHECK_STR(name, "pool");
    CHECK(hl_route_takes_raw("guard") && !hl_route_takes_raw("system"));
    CHECK(hl_route_in_default_suites("pool") && !hl_route_in_default_suites("faulty"));
    /* Every row of the table routes: to its own variant, or (wrappers) to
     * the table's variant and, with raw=X, to X's. */
    CHECK_EQ_U64(hl_route_backend_count(), HL_BACKEND_ROWS);
    size_t variants = 0;
    for (size_t i = 0; i < hl_route_backend_count(); i++) {
        const char *b = hl_route_backend_at(i);
        const hl_backend_row *r = hl_backend_row_find(b);
        REQUIRE(r != NULL);
        CHECK_STR(hl_route_variant(b, err, sizeof err), r->variant);
        variants += hl_backend_row_is_variant(r);
        CHECK(hl_route_takes_raw(b) == (r->kind == HL_KIND_WRAPPER || r->kind == HL_KIND_DEBUG ||
                                        r->kind == HL_KIND_FAULT));
        if (r->kind != HL_KIND_PROCESS)
            continue;
        CHECK(strcmp(hl_route_package_hint(r->variant), "the library") != 0);
        char spec[96];
        snprintf(spec, sizeof spec, "pool:raw=%s", b);
        CHECK_STR(hl_route_variant(spec, err, sizeof err), r->variant);
    }
    CHECK_EQ_U64(variants, HL_ROUTE_NVARIANTS);
    CHECK(hl_route_backend_at(hl_route_backend_count()) == NULL);
}

/* A plan of n cells (system/pool alternately) without a catalog. */
static void make_plan(hl_plan *p, size_t n, unsigned reps, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->n_cells = n;
    p->repetitions = reps;
    p->samples = 5;
    p->seed = seed;
    snprintf(p->suite, sizeof p->suite, "quick");
    snprintf(p->suite_size, sizeof p->suite_size, "quick");
    snprintf(p->measure, sizeof p->measure, "time");
    p->cells = calloc(n, sizeof *p->cells);
    for (size_t i = 0; i < n; i++) {
        snprintf(p->cells[i].backend, sizeof p->cells[i].backend, "%s", i % 2 ? "pool" : "system");
        snprintf(p->cells[i].variant, sizeof p->cells[i].variant, "system");
        snprintf(p->cells[i].workload, sizeof p->cells[i].workload, "w%zu", i);
        snprintf(p->cells[i].id, sizeof p->cells[i].id, "w%zu--%s--t1", i, i % 2 ? "pool" : "system");
        p->cells[i].threads = 1;
    }
    hl_plan_order(p);
}

TEST(order_is_a_permutation_per_round)
{
    uint64_t seed = 99;
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + hl_test_rand(&seed) % 40;
        unsigned reps = 1 + (unsigned)(hl_test_rand(&seed) % 5);
        hl_plan p;
        make_plan(&p, n, reps, hl_test_rand(&seed));
        char err[256];
        CHECK(hl_plan_check(&p, err, sizeof err) == 0);
        /* round k holds exactly the jobs of repetition k: reps never run ahead */
        for (size_t i = 0; i < p.n_jobs; i++)
            CHECK(p.jobs[i].rep == i / n);
        hl_plan again;
        make_plan(&again, n, reps, p.seed);
        CHECK(memcmp(p.jobs, again.jobs, p.n_jobs * sizeof *p.jobs) == 0);
        hl_plan_free(&again);
        hl_plan_free(&p);
    }
}

TEST(order_is_shuffled)
{
    /* 20 cells: identity order in every round would be a 1-in-20! accident */
    hl_plan p;
    make_plan(&p, 20, 3, 12345);
    size_t in_place = 0, differs_between_rounds = 0;
    for (size_t i = 0; i < 20; i++) {
        in_place += p.jobs[i].cell == i;
        differs_between_rounds += p.jobs[i].cell != p.jobs[20 + i].cell;
    }
    CHECK(in_place < 20);
    CHECK(differs_between_rounds > 0);
    hl_plan_free(&p);
}

TEST(plan_check_catches_corruption)
{
    char err[256];
    hl_plan p;
    make_plan(&p, 5, 2, 1);
    p.jobs[3] = p.jobs[4]; /* duplicate job, one missing */
    CHECK(hl_plan_check(&p, err, sizeof err) != 0);
    CHECK(strstr(err, "appears twice") != NULL);
    hl_plan_order(&p);
    CHECK(hl_plan_check(&p, err, sizeof err) == 0);
    p.jobs[0].rep = 7;
    CHECK(hl_plan_check(&p, err, sizeof err) != 0);
    hl_plan_order(&p);
    snprintf(p.cells[2].id, sizeof p.cells[2].id, "%s", p.cells[1].id);
    CHECK(hl_plan_check(&p, err, sizeof err) != 0);
    snprintf(p.cells[2].id, sizeof p.cells[2].id, "unique");
    snprintf(p.cells[2].variant, sizeof p.cells[2].variant, "jemalloc");
    CHECK(hl_plan_check(&p, err, sizeof err) != 0);
    hl_plan_free(&p);
}

TEST(plan_json_round_trip)
{
    char dir[] = "/tmp/heaplab-test-plan-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/plan.json", dir);
    hl_plan p;
    make_plan(&p, 7, 3, 77);
    p.cells[1].n_params = 1;
    snprintf(p.cells[1].params[0].name, sizeof p.cells[1].params[0].name, "size");
    p.cells[1].params[0].value = -5;
    snprintf(p.measure, sizeof p.measure, "time");
    REQUIRE(hl_plan_save(&p, path, err, sizeof err) == 0);
    hl_plan q;
    REQUIRE(hl_plan_load(&q, path, err, sizeof err) == 0);
    CHECK(q.n_cells == 7 && q.repetitions == 3 && q.seed == 77 && q.samples == 5);
    CHECK(memcmp(p.jobs, q.jobs, p.n_jobs * sizeof *p.jobs) == 0);
    CHECK_STR(q.cells[1].params[0].name, "size");
    CHECK(q.cells[1].params[0].value == -5);
    CHECK_STR(q.cells[6].id, p.cells[6].id);
    hl_plan_free(&q);
    /* A plan.json that breaks the schema or the invariants is refused with
     * one line naming what is wrong; nothing is defaulted in silence. */
    static const struct {
        const char *settings, *cell, *order, *needle;
    } bad[] = {
        {"\"repetitions\":1", "", "[[0,0],[0,0]]", "2 jobs for 1 cells"},
        {"\"repetitions\":2", "", "[[0,0],[0,0]]", "appears twice"},
        {"\"repetitions\":\"2\"", "", "[[0,0]]", "repetitions: a string where an integer"},
        {"\"repetitions\":1", ",\"threads\":\"two\"", "[[0,0]]", "threads: a string"},
        {"\"repetitions\":1", ",\"threads\":-1", "[[0,0]]", "threads: -1 is not an integer"},
        {"\"repetitions\":1", ",\"threads\":1e30", "[[0,0]]", "is not an integer from 1 to 1024"},
        {"\"repetitions\":1", "", "[[0,0.5]]", "order[0]: [0, 0.5] is out of range"},
        {"\"repetitions\":2.5", "", "[[0,0]]", "repetitions: 2.5 is not an integer"},
        {"\"repetitions\":1,\"suite_size\":\"huge\"", "", "[[0,0]]", "neither quick nor full"},
        /* a quoted control character keeps the message on one line */
        {"\"repetitions\":1,\"suite_size\":\"hu\\nge\"", "", "[[0,0]]",
         "'hu?ge' is neither quick nor full"},
        /* a trace's hash without the trace (saving would drop it) */
        {"\"repetitions\":1,\"inputs\":{\"trace\":{\"path\":\"/t.hlt\",\"sha256\":\"ab\"}}", "",
         "[[0,0]]", "the identity of trace '/t.hlt', but the plan's trace is ''"},
        {"\"repetitions\":1,\"trace\":\"/u.hlt\",\"inputs\":{\"trace\":{\"path\":\"/t.hlt\"}}", "",
         "[[0,0]]", "but the plan's trace is '/u.hlt'"},
        /* the same for a command's program and a command backend's library */
        {"\"repetitions\":1,\"warmup_runs\":0,\"commands\":[{\"name\":\"c\",\"argv\":[\"true\"],"
         "\"env\":[],\"throughput_scale\":1,\"expect_exit\":0,\"timeout_s\":0,\"python\":false,"
         "\"sha256\":\"ab\"}]",
         "", "[[0,0]]", "commands[0]: a sha256 but no program"},
        {"\"repetitions\":1,\"warmup_runs\":0,\"commands\":[],\"command_backends\":[{\"spec\":"
         "\"system\",\"expect_malloc\":\"x\",\"env\":[],\"sha256\":\"ab\"}]",
         "", "[[0,0]]", "command_backends[0]: a sha256 but no library"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        REQUIRE(f != NULL);
        fprintf(f, "{\"format\":\"heaplab-plan\",\"format_version\":1,\"suite\":\"quick\","
                   "\"suite_size\":\"quick\",\"seed\":1,\"measure\":\"time\",%s,"
                   "\"cells\":[{\"id\":\"a\",\"backend\":\"system\",\"variant\":\"system\","
                   "\"workload\":\"w\",\"threads\":1%s}],\"order\":%s}",
                bad[i].settings, bad[i].cell, bad[i].order);
        fclose(f);
        CHECK(hl_plan_load(&q, path, err, sizeof err) != 0);
        CHECK_MSG(strstr(err, bad[i].needle) != NULL, "want '%s' in: %s", bad[i].needle, err);
        CHECK_MSG(strchr(err, '\n') == NULL, "not one line: %s", err);
    }
    hl_plan_free(&p);
    unlink(path);
    rmdir(dir);
}

TEST(cell_json_metrics)
{
    hl_rep rep;
    memset(&rep, 0, sizeof rep);
    for (int m = 0; m < HL_M_COUNT; m++)
        rep.m[m] = NAN;
    char err[256];
    REQUIRE(hl_results_parse_cell_json(DATA_DIR "/cell/cycles-pool.json", &rep, err,
                                       sizeof err) == 0);
    CHECK(fabs(rep.m[HL_M_NS_PER_OP] - 1673.4665781282574) < 1e-9);
    CHECK(rep.m[HL_M_PEAK_RSS_KIB] == 4604);
    CHECK(rep.m[HL_M_MINFLT] == 63);
    CHECK(rep.m[HL_M_OPERATIONS] == 24849);
    CHECK(fabs(rep.m[HL_M_GC_PAUSE_P99_MS] - 4.2547277800000005) < 1e-12);
    CHECK(rep.m[HL_M_GC_COLLECTIONS] == 183);
    CHECK(isnan(rep.m[HL_M_INSTR_PER_OP]));
    bool native = false;
    for (size_t i = 0; i < rep.n_extra; i++)
        if (strcmp(rep.extra[i].name, "allocators.obj_mem.native.pool.arenas_highwater") == 0)
            native = true;
    CHECK(native);
    for (size_t i = 0; i < rep.n_extra; i++)
        free(rep.extra[i].name);
    free(rep.extra);
    CHECK(hl_results_parse_cell_json(DATA_DIR "/nonexistent.json", &rep, err, sizeof err) != 0);
}

TEST(table_formats)
{
    const char *head[] = {"name", ">value"};
    hl_table t;
    REQUIRE(hl_table_init(&t, 2, head) == 0);
    const char *r1[] = {"a,b", "1"};
    const char *r2[] = {"say \"hi\"", "22"};
    hl_table_add(&t, r1);
    hl_table_add(&t, r2);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hl_table_print(&t, f, HL_TABLE_CSV, NULL);
    fclose(f);
    CHECK_STR(buf, "name,value\n\"a,b\",1\n\"say \"\"hi\"\"\",22\n");
    free(buf);
    f = open_memstream(&buf, &len);
    hl_table_print(&t, f, HL_TABLE_TEXT, NULL);
    fclose(f);
    CHECK_STR(buf, "name      value\na,b           1\nsay \"hi\"     22\n");
    free(buf);
    f = open_memstream(&buf, &len);
    hl_table_print(&t, f, HL_TABLE_MD, NULL);
    fclose(f);
    CHECK_STR(buf, "| name     | value |\n| -------- | ----: |\n| a,b      |     1 |\n"
                   "| say \"hi\" |    22 |\n");
    free(buf);
    hl_table_free(&t);
}

TEST(atomic_replace)
{
    char dir[] = "/tmp/heaplab-test-atomic-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/f.txt", dir);
    hl_atomic_file af;
    REQUIRE(hl_atomic_begin(&af, path, err, sizeof err) == 0);
    fputs("one", af.f);
    REQUIRE(hl_atomic_commit(&af, true, err, sizeof err) == 0);
    REQUIRE(hl_atomic_begin(&af, path, err, sizeof err) == 0);
    fputs("two", af.f);
    /* before the commit, readers still see the old content */
    char *s = hl_read_file(path, NULL);
    CHECK_STR(s, "one");
    free(s);
    REQUIRE(hl_atomic_commit(&af, false, err, sizeof err) == 0);
    s = hl_read_file(path, NULL);
    CHECK_STR(s, "two");
    free(s);
    REQUIRE(hl_atomic_begin(&af, path, err, sizeof err) == 0);
    hl_atomic_abort(&af);
    CHECK(!hl_path_exists(af.tmp));
    char sub[160];
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    CHECK(hl_mkdir_p(sub, err, sizeof err) == 0 && hl_is_dir(sub));
    CHECK(hl_mkdir_p(path, err, sizeof err) != 0); /* a file is in the way */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(progress_modes)
{
    char d[32];
    hl_progress_format_duration(5.4, d, sizeof d);
    CHECK_STR(d, "5s");
    hl_progress_format_duration(200, d, sizeof d);
    CHECK_STR(d, "3m20s");
    hl_progress_format_duration(3720, d, sizeof d);
    CHECK_STR(d, "1h02m");
    hl_progress_format_duration(-1, d, sizeof d);
    CHECK_STR(d, "0s");

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hl_progress p;
    hl_progress_init(&p, f, 4, 1, 2.0, 1); /* terminal: redrawn bar */
    hl_progress_begin(&p, "pairs--pool--t1 rep-0");
    hl_progress_end(&p, "crashed", "killed by signal 11", 1.0);
    hl_progress_close(&p);
    fclose(f);
    CHECK(strstr(buf, "\r\033[K[") != NULL);
    CHECK(strstr(buf, "1/4  ETA 6s  pairs--pool--t1 rep-0") != NULL); /* 3 left x 2 s */
    CHECK(strstr(buf, "pairs--pool--t1 rep-0: crashed: killed by signal 11\n") != NULL);
    CHECK(strstr(buf, "2/4  ETA 2s") != NULL); /* now 2 left x the 1 s measured */
    free(buf);

    f = open_memstream(&buf, &len);
    hl_progress_init(&p, f, 2, 0, 1.0, 0); /* log: one plain line per job */
    hl_progress_begin(&p, "a rep-0");
    hl_progress_end(&p, "ok", "52 ns", 0.25);
    hl_progress_close(&p);
    fclose(f);
    CHECK_STR(buf, "[1/2] a rep-0: ok, 52 ns (0.25 s)\n");
    free(buf);
}

int main(void)
{
    RUN(route_table);
    RUN(order_is_a_permutation_per_round);
    RUN(order_is_shuffled);
    RUN(plan_check_catches_corruption);
    RUN(plan_json_round_trip);
    RUN(cell_json_metrics);
    RUN(table_formats);
    RUN(atomic_replace);
    RUN(progress_modes);
    return hl_test_summary();
}
