/* test_cell.c - the cell program, run as the driver runs it: a child process
 * with a command line, an exit status, stderr and a result directory.
 *
 *     test_cell CELL_EXECUTABLE TMPDIR [VALGRIND]
 *
 * The test links the same registry as the cell (system variant) so that it
 * can check --describe against the workloads really built, and pick small
 * workloads by their declared parameters.
 */
#include "cell.h"
#include "hl_test.h"
#include "json.h"
#include "protocol.h"
#include "registry.h"
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *cell_exe;
static const char *valgrind_exe;
static char tmpdir[1024];

typedef struct proc_result {
    int status;         /* exit status, or 128 + signal */
    char out[4200];     /* stdout file */
    char errf[4200];    /* stderr file */
} proc_result;

/* Runs cell_exe with args (NULL-terminated, without argv[0]); optionally
 * under `wrap` (e.g. valgrind) with wrap_args before the cell. */
static void run_cell(proc_result *r, const char *tag, const char *const *wrap,
                     const char *const *args)
{
    char *argv[96];
    int n = 0;
    for (size_t i = 0; wrap && wrap[i]; i++)
        argv[n++] = (char *)wrap[i];
    argv[n++] = (char *)cell_exe;
    for (size_t i = 0; args[i] && n < 94; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    snprintf(r->out, sizeof r->out, "%s/%s.stdout", tmpdir, tag);
    snprintf(r->errf, sizeof r->errf, "%s/%s.stderr", tmpdir, tag);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, r->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, r->errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        printf("  cannot start %s: %s\n", argv[0], strerror(rc));
        r->status = -1;
        return;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* stderr is exactly one non-empty line. */
static bool one_line(const char *path, char *line, size_t cap)
{
    char *s = slurp(path);
    if (!s)
        return false;
    size_t len = strlen(s);
    bool ok = len > 1 && s[len - 1] == '\n' && memchr(s, '\n', len - 1) == NULL;
    snprintf(line, cap, "%s", s);
    free(s);
    return ok;
}

/* The first workload of a layer (and threadedness) in the registry. */
static const hl_workload *pick(hl_layer layer, int threaded)
{
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (w->layer == layer && (threaded < 0 || w->threaded == (threaded != 0)))
            return w;
    }
    return NULL;
}

static double num_at(const hl_json *doc, const char *a, const char *b)
{
    return hl_json_get_num(hl_json_get(doc, a), b, NAN);
}

/* ---- --describe ------------------------------------------------------------ */

TEST(describe_json_lists_every_workload)
{
    proc_result r;
    const char *args[] = {"--describe", "--json", NULL};
    run_cell(&r, "describe", NULL, args);
    REQUIRE(r.status == 0);
    char err[256];
    hl_json *doc = hl_json_parse_file(r.out, err, sizeof err);
    REQUIRE(doc != NULL);
    CHECK_STR(hl_json_get_str(doc, "variant", NULL), hl_registry_variant());
    CHECK_STR(hl_json_get_str(doc, "format", NULL), HL_DESCRIBE_FORMAT);
    CHECK(hl_json_get_num(doc, "format_version", 0) == HL_DESCRIBE_VERSION);
    CHECK(hl_json_get_num(doc, "protocol", 0) == HL_PROTOCOL_VERSION);
    CHECK(hl_json_bool(hl_json_get(hl_json_get(doc, "process_check"), "ok"), false));
    const hl_json *bs = hl_json_get(doc, "backends");
    CHECK_EQ_U64(hl_json_len(bs), hl_registry_count());
    for (size_t i = 0; i < hl_json_len(bs); i++) {
        const hl_json *b = hl_json_at(bs, i);
        CHECK_STR(hl_json_get_str(b, "name", NULL), hl_registry_at(i)->name);
        CHECK(hl_json_get_str(b, "version", NULL) != NULL);
        CHECK(hl_json_get_str(b, "summary", NULL) != NULL);
    }
    const hl_json *ws = hl_json_get(doc, "workloads");
    REQUIRE(hl_json_len(ws) == hl_workload_count());
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        const hl_json *j = hl_json_at(ws, i);
        CHECK_STR(hl_json_get_str(j, "name", NULL), w->name);
        CHECK_STR(hl_json_get_str(j, "layer", NULL),
                  w->layer == HL_LAYER_OBJECTS ? "objects" : "raw");
        CHECK_STR(hl_json_get_str(j, "op_unit", NULL), w->op_unit);
        CHECK(hl_json_bool(hl_json_get(j, "threaded"), !w->threaded) == w->threaded);
        const hl_json *ps = hl_json_get(j, "params");
        REQUIRE(hl_json_len(ps) == w->n_params);
        for (size_t k = 0; k < w->n_params; k++) {
            const hl_json *p = hl_json_at(ps, k);
            CHECK_STR(hl_json_get_str(p, "name", NULL), w->params[k].name);
            CHECK_STR(hl_json_get_str(p, "help", NULL), w->params[k].help);
            CHECK(hl_json_get_num(p, "default", NAN) == (double)w->params[k].def);
            CHECK(hl_json_get_num(p, "quick", NAN) == (double)w->params[k].quick);
            CHECK(hl_json_get_num(p, "min", NAN) == (double)w->params[k].min);
            CHECK(hl_json_get_num(p, "max", NAN) == (double)w->params[k].max);
            const hl_json *labels = hl_json_get(p, "labels");
            CHECK(w->params[k].labels == NULL ? labels == NULL
                                              : hl_json_len(labels) == (size_t)(w->params[k].max -
                                                                                w->params[k].min + 1));
        }
        CHECK_STR(hl_json_get_str(j, "lock", NULL),
                  w->lock == HL_LOCK_PER_CALL ? "per-call" : "whole-run");
        CHECK(w->data == HL_DATA_TRACE ? strcmp(hl_json_get_str(j, "data", ""), "trace") == 0
                                       : hl_json_get(j, "data")->type == HL_JNULL);
        const hl_json *ms = hl_json_get(j, "metrics");
        REQUIRE(hl_json_len(ms) == w->n_metric_descs);
        for (size_t k = 0; k < w->n_metric_descs; k++) {
            const hl_json *m = hl_json_at(ms, k);
            CHECK_STR(hl_json_get_str(m, "name", NULL), w->metric_descs[k].name);
            CHECK_STR(hl_json_get_str(m, "unit", NULL), w->metric_descs[k].unit);
        }
    }
    hl_json_free(doc);

    /* the text form names every workload too */
    const char *targs[] = {"--describe", NULL};
    run_cell(&r, "describe_text", NULL, targs);
    CHECK(r.status == 0);
    char *text = slurp(r.out);
    REQUIRE(text != NULL);
    for (size_t i = 0; i < hl_workload_count(); i++)
        CHECK(strstr(text, hl_workload_at(i)->name) != NULL);
    free(text);
}

/* dir/cell.json, parsed; NULL (after printing why) when it is missing or
 * not JSON. */
static hl_json *read_cell_json(const char *dir)
{
    char path[1200], err[256];
    snprintf(path, sizeof path, "%s/cell.json", dir);
    hl_json *doc = hl_json_parse_file(path, err, sizeof err);
    if (doc == NULL)
        printf("  %s\n", err);
    return doc;
}

/* ---- a measured raw cell ------------------------------------------------------ */

/* Checks what every successful time-mode cell.json must hold. */
static hl_json *check_time_cell(const char *dir, const hl_workload *w, int reps)
{
    char path[1200], err[256];
    snprintf(path, sizeof path, "%s/cell.json", dir);
    hl_json *doc = hl_json_parse_file(path, err, sizeof err);
    if (doc == NULL) {
        printf("  %s\n", err);
        hl_test_cur_failed++;
        return NULL;
    }
    CHECK_STR(hl_json_get_str(doc, "format", NULL), HL_CELL_FORMAT);
    CHECK(hl_json_get_num(doc, "protocol", 0) == HL_PROTOCOL_VERSION);
    CHECK_STR(hl_json_get_str(doc, "status", NULL), "ok");
    CHECK(hl_json_get(doc, "message")->type == HL_JNULL);
    CHECK_STR(hl_json_get_str(doc, "variant", NULL), hl_registry_variant());
    CHECK_STR(hl_json_get_str(hl_json_get(doc, "workload"), "name", NULL), w->name);
    CHECK(hl_json_get_str(hl_json_get(doc, "backend"), "version", NULL) != NULL);
    const hl_json *params = hl_json_get(doc, "params");
    CHECK_EQ_U64(hl_json_len(params), w->n_params);
    const hl_json *time = hl_json_get(doc, "time");
    double ns = hl_json_get_num(time, "ns_per_op", NAN);
    CHECK_MSG(ns > 0, "ns_per_op %g", ns);
    CHECK(hl_json_get_num(time, "cpu_ns_per_op", NAN) > 0);
    CHECK(fabs(hl_json_get_num(time, "ops_per_s", NAN) * ns / 1e9 - 1) < 1e-9);
    CHECK(hl_json_get_num(time, "operations", 0) > 0);
    CHECK(hl_json_get_num(time, "operations", 0) >= hl_json_get_num(time, "iterations", 0));
    const hl_json *rs = hl_json_get(time, "repetitions");
    CHECK_EQ_U64(hl_json_len(rs), (uint64_t)reps);
    for (size_t i = 0; i < hl_json_len(rs); i++) {
        const hl_json *r = hl_json_at(rs, i);
        CHECK(hl_json_get_num(r, "ns_per_op", 0) > 0);
        CHECK(hl_json_get_num(r, "operations", 0) >= hl_json_get_num(r, "iterations", 1));
        CHECK(hl_json_get_num(hl_json_get(r, "memory_run"), "num_allocs", -1) >= 0);
    }
    CHECK(num_at(doc, "memory", "peak_rss_kib") > 0);
    CHECK(num_at(doc, "memory", "rss_end_kib") > 0);
    CHECK(num_at(doc, "memory", "peak_live_bytes") > 0);
    CHECK(num_at(doc, "memory", "overhead") > 0);
    CHECK(num_at(doc, "rusage", "wall_s") > 0);
    CHECK(num_at(doc, "rusage", "user_s") >= 0);
    CHECK(num_at(doc, "rusage", "minflt") >= 0);
    CHECK(num_at(doc, "rusage", "maxrss_kib") > 0);
    CHECK(hl_json_get(doc, "gil") != NULL);
    const hl_json *cmd = hl_json_get(doc, "command_line");
    CHECK(hl_json_len(cmd) > 4);
    CHECK_STR(hl_json_str(hl_json_at(cmd, 0), NULL), cell_exe);
    /* Google Benchmark's own file, one run per repetition plus aggregates */
    snprintf(path, sizeof path, "%s/gbench.json", dir);
    hl_json *gb = hl_json_parse_file(path, err, sizeof err);
    CHECK(gb != NULL);
    size_t iteration_runs = 0;
    const hl_json *runs = hl_json_get(gb, "benchmarks");
    for (size_t i = 0; i < hl_json_len(runs); i++)
        if (strcmp(hl_json_get_str(hl_json_at(runs, i), "run_type", ""), "iteration") == 0)
            iteration_runs++;
    CHECK_EQ_U64(iteration_runs, (uint64_t)reps);
    hl_json_free(gb);
    return doc;
}

TEST(raw_cell_writes_sane_result)
{
    const hl_workload *w = pick(HL_LAYER_RAW, 0);
    if (w == NULL)
        SKIP("no single-threaded raw workload in this build");
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/raw/nested", tmpdir);
    const char *args[] = {"--backend", "system", "--workload", w->name, "--suite-size", "quick",
                          "--min-time", "0.01", "--repetitions", "2", "--seed", "7",
                          "--quiet", "--out", dir, NULL};
    proc_result r;
    run_cell(&r, "raw", NULL, args);
    REQUIRE(r.status == 0);
    hl_json *doc = check_time_cell(dir, w, 2);
    REQUIRE(doc != NULL);
    const hl_json *raw = hl_json_get(hl_json_get(doc, "allocators"), "raw");
    CHECK(hl_json_get_num(raw, "allocs", 0) > 0);
    CHECK(hl_json_get_num(hl_json_get(doc, "config"), "seed", 0) == 7);
    CHECK(hl_json_get_num(hl_json_get(doc, "config"), "repetitions", 0) == 2);
    CHECK(hl_json_get(doc, "gc") == NULL);
    /* quick sizes were used */
    for (size_t k = 0; k < w->n_params; k++)
        CHECK(hl_json_get_num(hl_json_get(doc, "params"), w->params[k].name, NAN) ==
              (double)w->params[k].quick);
    hl_json_free(doc);
}

TEST(threaded_raw_cell)
{
    const hl_workload *w = pick(HL_LAYER_RAW, 1);
    if (w == NULL)
        SKIP("no threaded raw workload in this build");
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/threaded", tmpdir);
    const char *args[] = {"--backend", "system", "--workload", w->name, "--suite-size", "quick",
                          "--threads", "2", "--min-time", "0.01", "--quiet", "--out", dir, NULL};
    proc_result r;
    run_cell(&r, "threaded", NULL, args);
    REQUIRE(r.status == 0);
    hl_json *doc = check_time_cell(dir, w, 1);
    REQUIRE(doc != NULL);
    CHECK(hl_json_get_num(hl_json_get(doc, "config"), "threads", 0) == 2);
    hl_json_free(doc);
}

/* --samples K: the process's window cut into K samples of equal work
 * (cell_time.c); the figure is their median. */
static hl_json *run_samples(const char *tag, const char *workload, const char *threads,
                            const char *samples, const char *min_time)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, tag);
    const char *args[] = {"--backend", "system", "--workload", workload, "--suite-size", "quick",
                          "--threads", threads, "--samples", samples, "--min-time", min_time,
                          "--quiet", "--out", dir, NULL};
    proc_result r;
    run_cell(&r, tag, NULL, args);
    CHECK_MSG(r.status == 0, "%s: exit %d", tag, r.status);
    hl_json *doc = r.status == 0 ? read_cell_json(dir) : NULL;
    CHECK(doc != NULL);
    return doc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

TEST(samples_split_the_window)
{
    if (hl_workload_find("pairs") == NULL)
        SKIP("needs the pairs workload");
    hl_json *doc = run_samples("samples", "pairs", "1", "4", "0.02");
    REQUIRE(doc != NULL);
    const hl_json *time = hl_json_get(doc, "time");
    const hl_json *rs = hl_json_get(time, "repetitions");
    CHECK(hl_json_get_num(hl_json_get(doc, "config"), "samples", 0) == 4);
    CHECK(hl_json_get_num(time, "samples_wanted", 0) == 4);
    REQUIRE(hl_json_len(rs) == 4);
    double ns[4];
    for (size_t i = 0; i < 4; i++) {
        const hl_json *r = hl_json_at(rs, i);
        ns[i] = hl_json_get_num(r, "ns_per_op", NAN);
        CHECK(ns[i] > 0);
        /* equal work: every sample reruns the first one's iteration count */
        CHECK(hl_json_get_num(r, "iterations", -1) ==
              hl_json_get_num(hl_json_at(rs, 0), "iterations", -2));
        /* Google Benchmark's memory run belongs to the first sample only */
        CHECK((hl_json_get(r, "memory_run") != NULL) == (i == 0));
    }
    qsort(ns, 4, sizeof ns[0], cmp_double);
    double median = (ns[1] + ns[2]) / 2, got = hl_json_get_num(time, "ns_per_op", NAN);
    CHECK_MSG(fabs(got / median - 1) < 1e-12, "ns_per_op %g, median of samples %g", got, median);
    CHECK(hl_json_get_num(hl_json_get(time, "ns_per_op_stats"), "n", 0) == 4);
    hl_json_free(doc);

    /* An iteration longer than a sample: only as many samples as fit in
     * min-time follow the first (here one iteration far exceeds 1e-5 s). */
    const hl_workload *obj = pick(HL_LAYER_OBJECTS, 0);
    if (obj != NULL) {
        doc = run_samples("samples_coarse", obj->name, "1", "5", "0.00001");
        REQUIRE(doc != NULL);
        rs = hl_json_get(hl_json_get(doc, "time"), "repetitions");
        const hl_json *first = hl_json_at(rs, 0);
        double first_s = hl_json_get_num(first, "real_ns_per_iter", NAN) *
                         hl_json_get_num(first, "iterations", NAN) / 1e9;
        size_t n = hl_json_len(rs);
        CHECK(n >= 1);
        /* the first sample always stands; more only as far as min-time allows */
        CHECK_MSG(n == 5 || n == 1 || (double)n * first_s <= 1e-5 + first_s / 2,
                  "%zu samples of %g s for a min time of 1e-5 s", n, first_s);
        /* one iteration over twice its share cuts the samples; a sample of
         * several iterations is never cut (its overshoot is the machine's) */
        double its = hl_json_get_num(first, "iterations", NAN);
        if (its == 1 && first_s > 2 * 1e-5 / 5)
            CHECK(n < 5);
        if (its > 1)
            CHECK_MSG(n == 5, "%zu samples of %g iterations", n, its);
        hl_json_free(doc);
    }

    /* A threaded workload measures one window whatever --samples says. */
    const hl_workload *thr = pick(HL_LAYER_RAW, 1);
    if (thr != NULL) {
        doc = run_samples("samples_threaded", thr->name, "2", "4", "0.01");
        REQUIRE(doc != NULL);
        CHECK(hl_json_get_num(hl_json_get(doc, "time"), "samples_wanted", 0) == 1);
        CHECK(hl_json_len(hl_json_get(hl_json_get(doc, "time"), "repetitions")) == 1);
        hl_json_free(doc);
    }
}

/* ---- an object-layer cell ---------------------------------------------------------- */

TEST(object_cell_has_gc_and_timeline)
{
    /* cycles: garbage only the collector frees, so collections must happen */
    const hl_workload *w = hl_workload_find("cycles");
    bool must_collect = w != NULL;
    if (w == NULL)
        w = pick(HL_LAYER_OBJECTS, 0);
    if (w == NULL)
        SKIP("no object-layer workload in this build");
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/objects", tmpdir);
    const char *args[] = {"--backend", "pool", "--workload", w->name, "--suite-size", "quick",
                          "--min-time", "0.01", "--repetitions", "2", "--timeline-ms", "1",
                          "--gc-threshold", "100,5,5", "--quiet", "--out", dir, NULL};
    proc_result r;
    run_cell(&r, "objects", NULL, args);
    char line[512] = "";
    one_line(r.errf, line, sizeof line);
    REQUIRE(r.status == 0 || (printf("  stderr: %s\n", line), 0));
    hl_json *doc = check_time_cell(dir, w, 2);
    REQUIRE(doc != NULL);
    const hl_json *al = hl_json_get(doc, "allocators");
    CHECK(hl_json_get(al, "obj_mem+item_mem") != NULL);
    CHECK(hl_json_get(al, "raw") == NULL);
    const hl_json *gc = hl_json_get(doc, "gc");
    REQUIRE(gc != NULL);
    CHECK_EQ_U64(hl_json_len(hl_json_get(gc, "generations")), 3);
    double collections = hl_json_get_num(gc, "collections", -1);
    CHECK(collections >= 0);
    if (must_collect) {
        CHECK(collections > 0);
        CHECK(hl_json_get_num(gc, "collected", 0) > 0);
    }
    CHECK(hl_json_get_num(gc, "pause_count", -1) == collections);
    double per_gen = 0;
    for (size_t g = 0; g < 3; g++)
        per_gen += hl_json_get_num(hl_json_at(hl_json_get(gc, "generations"), g), "collections", 0);
    CHECK(per_gen == collections);
    CHECK(hl_json_get_num(gc, "pause_max_ms", -1) >= hl_json_get_num(gc, "pause_p50_ms", 0));
    const hl_json *th = hl_json_get(hl_json_get(doc, "config"), "gc_threshold");
    CHECK(hl_json_num(hl_json_at(th, 0), 0) == 100);
    hl_json_free(doc);

    char path[1200];
    snprintf(path, sizeof path, "%s/gc_pauses.csv", dir);
    char *csv = slurp(path);
    REQUIRE(csv != NULL);
    CHECK(strncmp(csv, "generation,pause_ns\n", 20) == 0);
    size_t rows = 0;
    for (char *p = csv; *p; p++)
        rows += *p == '\n';
    CHECK_EQ_U64(rows, (uint64_t)collections + 1);
    free(csv);
    snprintf(path, sizeof path, "%s/timeline.csv", dir);
    csv = slurp(path);
    REQUIRE(csv != NULL);
    size_t lines = 0;
    for (char *p = csv; *p; p++)
        lines += *p == '\n';
    CHECK(lines >= 3); /* header, first and last sample */
    free(csv);
}

/* ---- bad input: exit 2, one line ----------------------------------------------------- */

static void expect_bad(const char *tag, const char *const *args, const char *needle)
{
    proc_result r;
    run_cell(&r, tag, NULL, args);
    char line[1024] = "";
    bool one = one_line(r.errf, line, sizeof line);
    CHECK_MSG(r.status == 2, "%s: exit %d", tag, r.status);
    CHECK_MSG(one, "%s: stderr is not one line: %s", tag, line);
    CHECK_MSG(strstr(line, needle) != NULL, "%s: '%s' not in: %s", tag, needle, line);
}

TEST(bad_input_exits_2_with_one_line)
{
    const hl_workload *w = pick(HL_LAYER_RAW, 0);
    if (w == NULL || w->n_params == 0)
        SKIP("needs a raw workload with a parameter");
    const hl_param *p = &w->params[0];
    char too_big[96], bad_name[] = "no_such_param=1", dir[1100];
    snprintf(too_big, sizeof too_big, "%s=%lld", p->name, (long long)p->max + 1);
    snprintf(dir, sizeof dir, "%s/bad", tmpdir);
    const char *unknown_flag[] = {"--frobnicate", NULL};
    const char *no_workload[] = {"--backend", "system", NULL};
    const char *bad_workload[] = {"--backend", "system", "--workload", "nope", NULL};
    const char *bad_backend[] = {"--backend", "nosuchalloc", "--workload", w->name, "--out", dir,
                                 NULL};
    const char *param_range[] = {"--backend", "system", "--workload", w->name, "--param",
                                 too_big, NULL};
    const char *param_name[] = {"--backend", "system", "--workload", w->name, "--param",
                                bad_name, NULL};
    const char *param_value[] = {"--backend", "system", "--workload", w->name, "--param",
                                 "x", NULL};
    const char *threads[] = {"--backend", "system", "--workload", w->name, "--threads", "0",
                             NULL};
    const char *threads_st[] = {"--backend", "system", "--workload", w->name, "--threads", "2",
                                NULL};
    const char *size[] = {"--backend", "system", "--workload", w->name, "--suite-size", "medium",
                          NULL};
    const char *missing[] = {"--backend", "system", "--workload", w->name, "--min-time", NULL};
    const char *gcthr[] = {"--backend", "system", "--workload", w->name, "--gc-threshold",
                           "1,2,3", NULL};
    const char *gcthr_fmt[] = {"--backend", "system", "--workload", w->name, "--gc-threshold",
                               "1,2", NULL};
    const char *measure[] = {"--backend", "system", "--workload", w->name, "--measure", "cycles",
                             NULL};
    const char *instr[] = {"--backend", "system", "--workload", w->name, "--measure",
                           "instructions", NULL};
    const char *instr_nvg[] = {"--backend", "system", "--workload", w->name, "--measure",
                               "instructions", "--callgrind-out-file", "x", "--out", dir, NULL};
    const char *gbflag[] = {"--backend", "system", "--workload", w->name, "--out", dir,
                            "--benchmark_repetitions=many", "--quiet", NULL};
    expect_bad("bad_flag", unknown_flag, "--frobnicate");
    expect_bad("no_workload", no_workload, "--workload");
    expect_bad("bad_workload", bad_workload, "nope");
    expect_bad("bad_backend", bad_backend, "nosuchalloc");
    expect_bad("param_range", param_range, p->name);
    expect_bad("param_name", param_name, "no_such_param");
    expect_bad("param_value", param_value, "NAME=VALUE");
    expect_bad("threads", threads, "--threads");
    if (!w->threaded)
        expect_bad("threads_st", threads_st, "single-threaded");
    expect_bad("suite_size", size, "medium");
    expect_bad("missing_value", missing, "--min-time");
    expect_bad("gc_threshold_raw", gcthr, "--gc-threshold");
    expect_bad("gc_threshold_fmt", gcthr_fmt, "1,2");
    expect_bad("measure", measure, "cycles");
    expect_bad("instr_no_file", instr, "--callgrind-out-file");
    expect_bad("instr_no_valgrind", instr_nvg, "valgrind");
    expect_bad("gb_flag", gbflag, "many");
    const char *samples_reps[] = {"--backend", "system", "--workload", w->name, "--samples", "3",
                                  "--repetitions", "2", NULL};
    const char *samples_zero[] = {"--backend", "system", "--workload", w->name, "--samples", "0",
                                  NULL};
    const char *samples_instr[] = {"--backend", "system", "--workload", w->name, "--samples",
                                   "3", "--measure", "instructions", "--callgrind-out-file", "x",
                                   NULL};
    expect_bad("samples_reps", samples_reps, "--repetitions");
    expect_bad("samples_zero", samples_zero, "--samples");
    expect_bad("samples_instr", samples_instr, "--measure time");

    /* a data file that is not there is bad input */
    if (hl_workload_find("replay") != NULL) {
        const char *replay[] = {"--backend", "system", "--workload", "replay", "--trace",
                                "/nonexistent/trace.hltrace", "--out", dir, NULL};
        expect_bad("replay_no_trace", replay, "/nonexistent/trace.hltrace");
    }

    /* --help is not an error */
    const char *help[] = {"--help", NULL};
    proc_result r;
    run_cell(&r, "help", NULL, help);
    CHECK(r.status == 0);
    char *text = slurp(r.out);
    CHECK(text != NULL && strstr(text, "--measure") != NULL);
    free(text);
}

/* ---- set-up failures and protocol: exit 4 and 2 (harness/protocol.h) ----------------- */

TEST(setup_failure_exits_4_protocol_mismatch_2)
{
    char dir[1100], bogus[1200];
    snprintf(dir, sizeof dir, "%s/setup", tmpdir);
    snprintf(bogus, sizeof bogus, "%s/not-a-trace.hlt", tmpdir);
    FILE *f = fopen(bogus, "w");
    REQUIRE(f != NULL);
    fputs("this is not a heaplab trace\n", f);
    fclose(f);
    proc_result r;
    if (hl_workload_find("replay") != NULL) {
        /* the file is there, the workload refuses its contents */
        const char *args[] = {"--backend", "system", "--workload", "replay", "--trace", bogus,
                              "--out", dir, NULL};
        run_cell(&r, "setup_failed", NULL, args);
        char line[1024] = "";
        CHECK_MSG(r.status == HL_CELL_EXIT_SETUP_FAILED, "exit %d", r.status);
        CHECK_MSG(one_line(r.errf, line, sizeof line), "%s", line);
        CHECK_MSG(strstr(line, "set-up of workload replay failed") != NULL, "%s", line);
    }
    char other[16];
    snprintf(other, sizeof other, "%d", HL_PROTOCOL_VERSION + 1);
    const hl_workload *w = pick(HL_LAYER_RAW, 0);
    REQUIRE(w != NULL);
    const char *mismatch[] = {"--protocol", other, "--backend", "system", "--workload", w->name,
                              "--out", dir, NULL};
    expect_bad("protocol", mismatch, "protocol");
}


/* ---- the fixed-work pass: the same work for every backend ----------------------------- */

TEST(fixed_work_pass_is_the_same_for_every_backend)
{
    const hl_workload *w = hl_workload_find("gen_mix");
    if (w == NULL)
        SKIP("needs the gen_mix workload");
    const char *backends[] = {"system", "pool"};
    double ops[2] = {0, 0}, iters[2] = {0, 0}, collections[2] = {0, 0};
    for (int b = 0; b < 2; b++) {
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/fixed-%s", tmpdir, backends[b]);
        const char *args[] = {"--backend", backends[b], "--workload", "gen_mix", "--suite-size",
                              "quick", "--fixed-ops", "30000", "--min-time", "0.02", "--quiet",
                              "--out", dir, NULL};
        proc_result r;
        run_cell(&r, "fixed", NULL, args);
        REQUIRE(r.status == 0);
        hl_json *doc = read_cell_json(dir);
        REQUIRE(doc != NULL);
        const hl_json *mem = hl_json_get(doc, "memory"), *gc = hl_json_get(doc, "gc");
        CHECK_STR(hl_json_get_str(mem, "pass", NULL), "fixed-work");
        CHECK_STR(hl_json_get_str(gc, "pass", NULL), "fixed-work");
        ops[b] = hl_json_get_num(mem, "pass_operations", 0);
        iters[b] = hl_json_get_num(mem, "pass_iterations", 0);
        collections[b] = hl_json_get_num(gc, "collections", -1);
        CHECK(ops[b] >= 30000);
        CHECK(hl_json_get_num(mem, "peak_live_bytes", 0) > 0);
        CHECK(hl_json_get_num(hl_json_get(doc, "config"), "fixed_ops", 0) == 30000);
        hl_json_free(doc);
    }
    /* deterministic workload: the same iterations, operations and
     * collections on both backends, whatever their speed */
    CHECK(ops[0] == ops[1] && iters[0] == iters[1] && iters[0] >= 1);
    CHECK_MSG(collections[0] == collections[1] && collections[0] > 0, "%g vs %g", collections[0],
              collections[1]);
}

/* ---- a faulty backend fails verification -------------------------------------------- */

TEST(faulty_backend_fails_verification)
{
    const hl_workload *w = hl_workload_find("pairs");
    if (w == NULL || hl_registry_find("faulty") == NULL)
        SKIP("needs the pairs workload and the faulty backend");
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/faulty", tmpdir);
    /* random-order pairs of 1-byte blocks: every corrupted byte is one the
     * workload checks */
    const char *args[] = {"--backend", "faulty:corrupt_every=7", "--workload", "pairs",
                          "--param", "size=1", "--param", "order=1", "--min-time", "0.01",
                          "--out", dir, NULL};
    proc_result r;
    run_cell(&r, "faulty", NULL, args);
    CHECK_MSG(r.status == 3, "exit %d", r.status);
    /* not --quiet: Google Benchmark's report and context go to stdout, and
     * stderr still holds the one line */
    char line[1024] = "";
    CHECK_MSG(one_line(r.errf, line, sizeof line), "%s", line);
    char *out = slurp(r.out);
    CHECK(out != NULL && strstr(out, "Benchmark") != NULL && strstr(out, "pairs") != NULL);
    free(out);
    CHECK(strstr(line, "verification") != NULL);
    char path[1200], err[256];
    snprintf(path, sizeof path, "%s/cell.json", dir);
    hl_json *doc = hl_json_parse_file(path, err, sizeof err);
    REQUIRE(doc != NULL);
    CHECK_STR(hl_json_get_str(doc, "status", NULL), "verification_failed");
    CHECK(strlen(hl_json_get_str(doc, "message", "")) > 0);
    hl_json_free(doc);

    /* the same cell on a sound backend passes: the failure is the backend's */
    snprintf(dir, sizeof dir, "%s/sound", tmpdir);
    const char *ok[] = {"--backend", "system", "--workload", "pairs", "--param", "size=1",
                        "--param", "order=1", "--min-time", "0.01", "--quiet", "--out", dir,
                        NULL};
    run_cell(&r, "sound", NULL, ok);
    CHECK(r.status == 0);

    /* pairs at its defaults frees every block before the next allocation:
     * faulty finds nothing to corrupt, and that is an error, not a result */
    snprintf(dir, sizeof dir, "%s/faulty-idle", tmpdir);
    const char *idle[] = {"--backend", "faulty", "--workload", "pairs", "--min-time", "0.01",
                          "--quiet", "--out", dir, NULL};
    run_cell(&r, "faulty-idle", NULL, idle);
    CHECK_MSG(r.status == 3, "exit %d", r.status);
    CHECK(one_line(r.errf, line, sizeof line) && strstr(line, "injected no fault") != NULL);
    snprintf(path, sizeof path, "%s/cell.json", dir);
    doc = hl_json_parse_file(path, err, sizeof err);
    REQUIRE(doc != NULL);
    CHECK_STR(hl_json_get_str(doc, "status", NULL), "benchmark_error");
    hl_json_free(doc);
}

/* ---- instructions mode under callgrind ----------------------------------------------- */

/* The cell run as the driver runs it in instructions mode (valgrind
 * --tool=callgrind --instr-atstart=no, one out file named to both) into
 * tmpdir/tag, with `args` (NULL-terminated) before its own; its cell.json,
 * or NULL after a failed check. */
static hl_json *run_callgrind(const char *tag, const char *const *args)
{
    char dir[1100], cg[1200], cgflag[1300];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, tag);
    mkdir(dir, 0777);
    snprintf(cg, sizeof cg, "%s/callgrind.out", dir);
    snprintf(cgflag, sizeof cgflag, "--callgrind-out-file=%s", cg);
    const char *wrap[] = {valgrind_exe, "--tool=callgrind", "--instr-atstart=no", cgflag, NULL};
    const char *argv[32];
    size_t n = 0;
    while (args[n] && n < 24) {
        argv[n] = args[n];
        n++;
    }
    const char *own[] = {"--measure", "instructions", "--callgrind-out-file", cg, "--out", dir};
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
        argv[n++] = own[k];
    argv[n] = NULL;
    proc_result r;
    run_cell(&r, tag, wrap, argv);
    CHECK_MSG(r.status == 0, "%s: exit %d", tag, r.status);
    return r.status == 0 ? read_cell_json(dir) : NULL;
}

TEST(callgrind_counts_are_reproducible)
{
#ifdef HL_SANITIZE
    SKIP("valgrind cannot run sanitizer builds");
#endif
    if (valgrind_exe == NULL || access(valgrind_exe, X_OK) != 0)
        SKIP("valgrind not found");
    const hl_workload *w = hl_workload_find("pairs");
    if (w == NULL)
        SKIP("needs the pairs workload");
    uint64_t total[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        /* run 0 with an explicit N, run 1 with the default (a probe picks the
         * N giving >= 20000 operations; pairs does one per iteration) */
        const char *args[] = {"--backend", "system", "--workload", "pairs", "--param",
                              "order=1", k ? NULL : "--iterations", "20000", NULL};
        hl_json *doc = run_callgrind(k ? "callgrind1" : "callgrind0", args);
        REQUIRE(doc != NULL);
        const hl_json *in = hl_json_get(doc, "instructions");
        total[k] = (uint64_t)hl_json_get_num(in, "total", 0);
        CHECK(hl_json_get_num(in, "iterations", 0) == 20000);
        CHECK(hl_json_get_num(in, "operations", 0) >= 20000);
        double per_op = hl_json_get_num(in, "per_op", 0);
        CHECK(per_op > 1 && per_op == (double)total[k] / hl_json_get_num(in, "operations", 1));
        CHECK(hl_json_get(doc, "time") == NULL);
        hl_json_free(doc);
    }
    CHECK_MSG(total[0] == total[1], "%" PRIu64 " vs %" PRIu64, total[0], total[1]);
}

/* A workload whose one operation is long declares a shorter fixed-work pass;
 * instructions mode's default count shrinks in proportion (cell_instr.c). */
TEST(callgrind_default_count_follows_the_workload_scale)
{
#ifdef HL_SANITIZE
    SKIP("valgrind cannot run sanitizer builds");
#endif
    if (valgrind_exe == NULL || access(valgrind_exe, X_OK) != 0)
        SKIP("valgrind not found");
    const hl_workload *w = hl_workload_find("cache_thrash");
    if (w == NULL || w->fixed_ops == 0)
        SKIP("needs cache_thrash with its own fixed_ops");
    const char *args[] = {"--backend", "system", "--workload", "cache_thrash", "--threads", "1",
                          NULL};
    hl_json *doc = run_callgrind("callgrind_scaled", args);
    REQUIRE(doc != NULL);
    const hl_json *in = hl_json_get(doc, "instructions");
    double ops = hl_json_get_num(in, "operations", 0);
    double its = hl_json_get_num(in, "iterations", 0);
    double want = (double)HL_CELL_DEFAULT_INSTR_OPERATIONS * (double)w->fixed_ops /
                  HL_WL_FIXED_OPS_DEFAULT;
    CHECK_MSG(ops >= want && ops < want + ops / its, "%.0f operations in %.0f iterations, "
              "want about %.0f", ops, its, want);
    hl_json_free(doc);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        printf("usage: test_cell CELL_EXECUTABLE TMPDIR [VALGRIND]\n");
        return 2;
    }
    cell_exe = argv[1];
    snprintf(tmpdir, sizeof tmpdir, "%s", argv[2]);
    valgrind_exe = argc > 3 && argv[3][0] ? argv[3] : NULL;
    if (mkdir(tmpdir, 0777) != 0 && errno != EEXIST) {
        printf("cannot create %s: %s\n", tmpdir, strerror(errno));
        return 1;
    }
    RUN(describe_json_lists_every_workload);
    RUN(raw_cell_writes_sane_result);
    RUN(threaded_raw_cell);
    RUN(samples_split_the_window);
    RUN(object_cell_has_gc_and_timeline);
    RUN(bad_input_exits_2_with_one_line);
    RUN(setup_failure_exits_4_protocol_mismatch_2);
    RUN(fixed_work_pass_is_the_same_for_every_backend);
    RUN(faulty_backend_fails_verification);
    RUN(callgrind_counts_are_reproducible);
    RUN(callgrind_default_count_follows_the_workload_scale);
    return hl_test_summary();
}
