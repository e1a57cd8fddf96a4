/* test_inspect.c - heaplab inspect against the object layer's own API.
 *
 * A workload written here with a heap whose answers are known:
 *
 *     L = [A, Leaf, Leaf, ...]    a list the workload holds (top-level)
 *     A = Node(), B = Node()      A.next = B, B.next = A: a cycle
 *                                 (each Node's attributes in its values,
 *                                 as CPython 3.11+ keeps them: no dict)
 *     each iteration appends one Leaf to L and drops a garbage 2-cycle of
 *     Junk instances, so collections happen
 *
 * The inspection of it is compared with the same workload stepped by hand
 * on a fresh runtime to the same iteration (it is deterministic) and asked
 * directly: hl_type_counts, hl_getrefcount, hl_find_backref_chain.  The
 * cycle's chain from B is list [0] -> Node .next -> Node.
 * Then heaplab-inspect-system and `heaplab inspect` run end to end on a
 * real workload: --format json parses and says what the text says, and
 * bad input (an unknown type, a point outside the run, a raw-allocator
 * workload) gives one line and exit 2.
 */
#include "inspect.h"

#include "../objects/introspect.h"
#include "../objects/object.h"
#include "../allocators/registry.h"
#include "../objects/runtime.h"
#include "json.h"

#include "hl_test.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HL_INSPECT_EXE
#error "HL_INSPECT_EXE must name heaplab-inspect-system"
#endif
#ifndef HL_HEAPLAB_EXE
#error "HL_HEAPLAB_EXE must name heaplab"
#endif

/* ---- the known workload ---------------------------------------------------- */

typedef struct ring_ctx {
    hl_rt *rt;
    hl_class *node, *leaf, *junk;
    hl_obj *L, *A, *B;
    uint64_t iterations;
} ring_ctx;

static void *ring_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    ring_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->rt = env->rt;
    c->node = hl_class_new(c->rt, "Node", NULL, NULL);
    c->leaf = hl_class_new(c->rt, "Leaf", NULL, NULL);
    c->junk = hl_class_new(c->rt, "Junk", NULL, NULL);
    c->L = hl_list_new(c->rt);
    c->A = hl_inst_new(c->rt, c->node);
    c->B = hl_inst_new(c->rt, c->node);
    hl_inst_setattr(c->rt, c->A, "next", hl_obj_newref(c->rt, c->B));
    hl_inst_setattr(c->rt, c->B, "next", hl_obj_newref(c->rt, c->A));
    hl_list_append(c->rt, c->L, c->A); /* L owns A; B is owned by A only */
    hl_obj_decref(c->rt, c->B);
    return c;
}

static uint64_t ring_run(void *ctx, uint64_t n)
{
    ring_ctx *c = ctx;
    for (uint64_t i = 0; i < n; i++) {
        hl_obj *leaf = hl_inst_new(c->rt, c->leaf);
        hl_inst_setattr(c->rt, leaf, "i", hl_int_new(c->rt, (int64_t)(c->iterations + 1000)));
        hl_list_append(c->rt, c->L, leaf);
        hl_obj *x = hl_inst_new(c->rt, c->junk), *y = hl_inst_new(c->rt, c->junk);
        hl_inst_setattr(c->rt, x, "other", y); /* x owns y, y refers back: garbage */
        hl_inst_setattr(c->rt, y, "other", hl_obj_newref(c->rt, x));
        hl_obj_decref(c->rt, x);
        c->iterations++;
    }
    return n;
}

static int ring_verify(void *ctx, char *err, size_t errlen)
{
    ring_ctx *c = ctx;
    if (hl_list_len(c->L) != 1 + c->iterations) {
        snprintf(err, errlen, "L has %zu items after %" PRIu64 " iterations", hl_list_len(c->L),
                 c->iterations);
        return -1;
    }
    return 0;
}

static void ring_teardown(void *ctx)
{
    ring_ctx *c = ctx;
    hl_obj_decref(c->rt, c->L);
    hl_gc_collect(c->rt, 2);
    free(c);
}

static const hl_workload ring = {
    .name = "ring",
    .description = "a list holding a 2-cycle of Nodes, growing by one Leaf per iteration",
    .layer = HL_LAYER_OBJECTS,
    .op_unit = "leaf",
    .setup = ring_setup,
    .run = ring_run,
    .verify = ring_verify,
    .teardown = ring_teardown,
};

/* ---- a runtime on the system backend --------------------------------------- */

typedef struct env {
    hl_allocator alloc;
    hl_rt *rt;
    hl_wl_env wl;
} env;

static bool env_open(env *e)
{
    char err[256];
    memset(e, 0, sizeof *e);
    if (hl_allocator_open(&e->alloc, "system", err, sizeof err) != 0)
        return false;
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    e->rt = hl_rt_new(&e->alloc, &e->alloc, &cfg, err, sizeof err);
    if (!e->rt)
        return false;
    hl_rt_enter(e->rt);
    e->wl.rt = e->rt;
    e->wl.threads = 1;
    e->wl.seed = 1;
    return true;
}

static void env_close(env *e)
{
    hl_rt_leave(e->rt);
    hl_rt_free(e->rt);
}

static uint64_t count_of(const hl_inspect_point *p, const char *type)
{
    for (size_t i = 0; i < p->n_common; i++)
        if (strcmp(p->common[i].name, type) == 0)
            return p->common[i].count;
    return 0;
}

static const hl_inspect_hist *hist_of(const hl_inspect_point *p, const char *type)
{
    for (size_t i = 0; i < p->n_hist; i++)
        if (strcmp(p->hist[i].name, type) == 0)
            return &p->hist[i];
    return NULL;
}

/* ---- tests: against the object layer's own answers ------------------------- */

TEST(points_match_the_object_layer)
{
    static const uint64_t at[] = {0, 1, 300, 1000};
    env e;
    REQUIRE(env_open(&e));
    hl_inspect_opts o;
    hl_inspect_opts_default(&o);
    o.iterations = 1000;
    o.n_points = 4;
    memcpy(o.points, at, sizeof at);
    o.type = "Node";
    o.top = 50;
    hl_inspection *x = calloc(1, sizeof *x);
    char err[300];
    REQUIRE(x);
    int rc = hl_inspect_run(&ring, &e.wl, &e.alloc, &o, x, err, sizeof err);
    env_close(&e);
    CHECK_MSG(rc == 0, "%s", err);
    REQUIRE(rc == 0);
    CHECK(x->verified);
    CHECK_EQ_U64(x->n_points, 4);
    CHECK_EQ_U64(x->iterations, 1000);
    CHECK_EQ_U64(x->operations, 1000);
    CHECK(x->type_found);

    for (size_t k = 0; k < x->n_points; k++) {
        const hl_inspect_point *p = &x->points[k];
        CHECK_EQ_U64(p->iteration, at[k]);
        /* The same workload stepped by hand to the same iteration, asked
         * with the object layer's own functions. */
        env h;
        REQUIRE(env_open(&h));
        ring_ctx *c = ring_setup(&h.wl, err, sizeof err);
        REQUIRE(c);
        for (uint64_t i = 0; i < at[k]; i++)
            ring_run(c, 1);
        hl_type_count tc[64];
        size_t nt = hl_type_counts(h.rt, tc, 64);
        /* counts of the types the workload made (the garbage Junk depends on
         * when collections ran, which the inspection's own change) */
        static const char *const stable[] = {"Node", "Leaf", "list"};
        for (size_t s = 0; s < 3; s++) {
            uint64_t want = 0;
            for (size_t i = 0; i < nt; i++)
                if (strcmp(tc[i].name, stable[s]) == 0)
                    want = tc[i].count;
            CHECK_MSG(count_of(p, stable[s]) == want, "point %zu %s: %" PRIu64 " vs %" PRIu64, k,
                      stable[s], count_of(p, stable[s]), want);
        }
        CHECK_EQ_U64(count_of(p, "Leaf"), at[k]);
        CHECK_EQ_U64(count_of(p, "Node"), 2);
        /* the refcount histogram of Node: A is held by L and by B, B by A */
        const hl_inspect_hist *hn = hist_of(p, "Node");
        REQUIRE(hn);
        CHECK_EQ_U64(hn->n[hl_inspect_bucket(hl_getrefcount(c->A))], 1);
        CHECK_EQ_U64(hn->n[hl_inspect_bucket(hl_getrefcount(c->B))], 1);
        CHECK_EQ_U64(hl_getrefcount(c->A), 2);
        CHECK_EQ_U64(hl_getrefcount(c->B), 1);
        const hl_inspect_hist *hl = hist_of(p, "Leaf");
        CHECK(at[k] == 0 ? hl == NULL : (hl && hl->n[0] == at[k])); /* each held by L only */
        /* the known cycle's chain: from B, the Node farthest from L */
        CHECK_STR(p->target_type, "Node");
        CHECK_EQ_U64(p->target_depth, 2);
        hl_obj *chain[16];
        size_t n = hl_find_backref_chain(h.rt, c->B, NULL, NULL, 64, chain, 16);
        CHECK_EQ_U64(n, 3);
        CHECK_EQ_U64(p->chain_len, n);
        static const char *const types[] = {"list", "Node", "Node"};
        static const char *const vias[] = {"[0]", ".next", ""};
        for (size_t i = 0; i < 3 && i < p->chain_len && i < n; i++) {
            CHECK_STR(p->chain[i].type, types[i]);
            CHECK_STR(p->chain[i].type, hl_obj_type_name(chain[i]));
            CHECK_STR(p->chain[i].via, vias[i]);
            CHECK_EQ_U64(p->chain[i].refcnt, hl_getrefcount(chain[i]));
        }
        CHECK(chain[0] == c->L && chain[1] == c->A && chain[2] == c->B);
        /* the walk's path is the same three objects */
        CHECK_EQ_U64(p->path_len, 3);
        for (size_t i = 0; i < 3 && i < p->path_len; i++)
            CHECK_STR(p->path[i].type, types[i]);
        /* the graph around B, as the object layer draws it */
        char *dot = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&dot, &len);
        hl_obj *b = c->B;
        hl_show_backrefs(h.rt, &b, 1, p->backrefs_depth, f);
        fclose(f);
        CHECK_STR(p->backrefs_dot, dot);
        free(dot);
        ring_teardown(c);
        env_close(&h);
        /* show_growth: at point 0 every type from zero; later, Leaf grew
         * by the iterations since the previous point */
        if (k > 0) {
            bool leaf = false;
            for (size_t i = 0; i < p->n_growth; i++)
                if (strcmp(p->growth[i].name, "Leaf") == 0) {
                    leaf = true;
                    CHECK_EQ_U64(p->growth[i].delta, at[k] - at[k - 1]);
                }
            CHECK(leaf);
        }
    }
    /* The collector: one full collection per point is the inspection's;
     * the workload's events during the run add up to its counts. */
    CHECK_EQ_U64(x->inspect_collections, x->n_points);
    uint64_t ev[HL_GC_GENERATIONS] = {0}, insp = 0;
    for (size_t i = 0; i < x->n_events; i++) {
        if (x->events[i].by_inspect)
            insp++;
        else
            ev[x->events[i].generation]++;
        if (i)
            CHECK(x->events[i].t_s >= x->events[i - 1].t_s);
    }
    CHECK_EQ_U64(insp, x->n_points);
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        CHECK_EQ_U64(ev[g], x->gc_end[g].collections - x->points[0].gc[g].collections);
    CHECK(ev[0] > 0); /* 4 containers per iteration: a gen-0 collection every ~175 */
    /* gc.get_count() samples and memory samples in time order */
    for (size_t i = 1; i < x->n_counts; i++)
        CHECK(x->counts[i].t_s >= x->counts[i - 1].t_s);
    CHECK(x->n_mem >= 2);
    CHECK(x->t_setup <= x->t_run && x->t_run <= x->t_verify && x->t_verify <= x->t_end);
    hl_inspection_free(x);
    free(x);
}

TEST(points_outside_the_run_are_refused)
{
    env e;
    REQUIRE(env_open(&e));
    hl_inspect_opts o;
    hl_inspect_opts_default(&o);
    o.iterations = 10;
    o.n_points = 2;
    o.points[0] = 5;
    o.points[1] = 11;
    hl_inspection *x = calloc(1, sizeof *x);
    char err[300];
    int rc = hl_inspect_run(&ring, &e.wl, &e.alloc, &o, x, err, sizeof err);
    CHECK(rc == HL_INSPECT_BAD_POINT);
    CHECK_MSG(strstr(err, "point 11 is outside the run") != NULL, "%s", err);
    CHECK(strchr(err, '\n') == NULL);
    hl_inspection_free(x);
    /* the length from --operations is known after the first iteration */
    o.iterations = 0;
    o.operations = 20; /* ring: one operation per iteration */
    o.points[1] = 21;
    rc = hl_inspect_run(&ring, &e.wl, &e.alloc, &o, x, err, sizeof err);
    CHECK(rc == HL_INSPECT_BAD_POINT);
    CHECK_MSG(strstr(err, "which has 20 iterations") != NULL, "%s", err);
    hl_inspection_free(x);
    /* evenly spread points: 0 and the end included */
    o.n_points = 0;
    o.even_points = 3;
    rc = hl_inspect_run(&ring, &e.wl, &e.alloc, &o, x, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK_EQ_U64(x->n_points, 3);
    CHECK(x->points[0].iteration == 0 && x->points[1].iteration == 10 &&
          x->points[2].iteration == 20);
    hl_inspection_free(x);
    /* a raw-allocator workload */
    hl_workload raw = ring;
    raw.layer = HL_LAYER_RAW;
    rc = hl_inspect_run(&raw, &e.wl, &e.alloc, &o, x, err, sizeof err);
    CHECK(rc != 0 && strstr(err, "raw-allocator workload") != NULL);
    hl_inspection_free(x);
    free(x);
    env_close(&e);
}

/* ---- tests: the programs ----------------------------------------------------- */

typedef struct ran {
    int status;
    char *out, *err;
} ran;

static char *slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    ssize_t r;
    while (b && (r = read(fd, b + n, cap - n)) > 0) {
        n += (size_t)r;
        if (n == cap) {
            char *nb = realloc(b, 2 * cap + 1);
            if (!nb)
                break;
            b = nb;
            cap *= 2;
        }
    }
    if (b)
        b[n] = '\0';
    return b;
}

/* Runs argv with stdout and stderr captured (through files: no deadlock). */
static ran run(char *const argv[])
{
    ran r = {-1, NULL, NULL};
    char o[] = "/tmp/hl-insp-out-XXXXXX", e[] = "/tmp/hl-insp-err-XXXXXX";
    int fo = mkstemp(o), fe = mkstemp(e);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    lseek(fo, 0, SEEK_SET);
    lseek(fe, 0, SEEK_SET);
    r.out = slurp_fd(fo);
    r.err = slurp_fd(fe);
    close(fo);
    close(fe);
    unlink(o);
    unlink(e);
    return r;
}

static void ran_free(ran *r)
{
    free(r->out);
    free(r->err);
}

static int lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static char out_dir[512];

TEST(inspect_program_json_and_files)
{
    char *argv[] = {(char *)HL_INSPECT_EXE, (char *)"binary_trees", (char *)"--param",
                    (char *)"node=1", (char *)"--type", (char *)"Node",
                    (char *)"--points", (char *)"0,10,40", (char *)"--iterations", (char *)"40",
                    (char *)"--format", (char *)"json", (char *)"--out", out_dir, NULL};
    /* no Graphviz: one line, the DOT files are still written */
    setenv("HEAPLAB_DOT", "/nonexistent/dot", 1);
    ran r = run(argv);
    unsetenv("HEAPLAB_DOT");
    CHECK_MSG(r.status == 0, "exit %d: %s", r.status, r.err);
    char perr[200];
    hl_json *j = hl_json_parse(r.out, strlen(r.out), perr, sizeof perr);
    CHECK_MSG(j != NULL, "stdout is not JSON: %s", perr);
    if (j) {
        CHECK_STR(hl_json_get_str(j, "format", ""), "heaplab-inspect");
        CHECK_STR(hl_json_get_str(j, "workload", ""), "binary_trees");
        CHECK(hl_json_bool(hl_json_get(j, "verified"), false));
        const hl_json *pts = hl_json_get(j, "points");
        CHECK_EQ_U64(hl_json_len(pts), 3);
        const hl_json *last = hl_json_at(pts, 2);
        CHECK(hl_json_get_num(last, "iteration", -1) == 40);
        const hl_json *chain = hl_json_get(last, "chain");
        CHECK_STR(hl_json_get_str(chain, "type", ""), "Node");
        /* the long-lived tree of depth 12 (quick): a leaf Node is 12 edges
         * from the root Node, attribute to attribute (no dicts, 3.11+) */
        const hl_json *links = hl_json_get(chain, "links");
        CHECK(hl_json_len(links) == 13);
        CHECK_STR(hl_json_get_str(hl_json_at(links, 1), "via", ""), ".left");
        hl_json_free(j);
    }
    CHECK(strstr(r.err, "Graphviz is not installed") != NULL);
    CHECK(strstr(r.err, "apt-get install graphviz") != NULL);
    static const char *const files[] = {"inspect.json", "timeline.csv", "gc_events.csv",
                                        "gc_count.csv", "points.csv",   "graph-p3.dot",
                                        "refs-p3.dot",  "path-p3.dot"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", out_dir, files[i]);
        struct stat st;
        CHECK_MSG(stat(p, &st) == 0 && st.st_size > 0, "missing %s", p);
    }
    ran_free(&r);
}

TEST(bad_input_is_one_line_and_exit_2)
{
    static const struct {
        const char *args[8];
        const char *needle;
    } cases[] = {
        {{"cycles", "--type", "Nod", "--iterations", "20", NULL}, "unknown type 'Nod'"},
        {{"cycles", "--points", "0,5,50", "--iterations", "20", NULL},
         "point 50 is outside the run"},
        {{"pairs", NULL}, "raw-allocator workload"},
        {{"nosuch", NULL}, "unknown workload 'nosuch'"},
        {{"cycles", "--param", "ring=1", NULL}, "out of range"},
        {{"cycles", "--points", "3,2", NULL}, "ascending order"},
        {{"cycles", "--backend", "nosuch", NULL}, "nosuch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[16];
        size_t n = 0;
        argv[n++] = (char *)HL_INSPECT_EXE;
        for (size_t k = 0; cases[i].args[k]; k++)
            argv[n++] = (char *)cases[i].args[k];
        argv[n++] = (char *)"--out";
        argv[n++] = out_dir;
        argv[n] = NULL;
        ran r = run(argv);
        CHECK_MSG(r.status == 2, "case %zu: exit %d", i, r.status);
        CHECK_MSG(strstr(r.err, cases[i].needle) != NULL, "case %zu: want '%s' in: %s", i,
                  cases[i].needle, r.err);
        CHECK_MSG(lines(r.err) == 1, "case %zu: not one line: %s", i, r.err);
        ran_free(&r);
    }
}

TEST(heaplab_inspect_execs_the_variant)
{
    char *argv[] = {(char *)HL_HEAPLAB_EXE, (char *)"inspect", (char *)"churn",
                    (char *)"--backend", (char *)"system", (char *)"--iterations",
                    (char *)"200", (char *)"--points", (char *)"2", (char *)"--no-pictures",
                    (char *)"--out", out_dir, NULL};
    ran r = run(argv);
    CHECK_MSG(r.status == 0, "exit %d: %s", r.status, r.err);
    CHECK(strstr(r.out, "heaplab inspect: churn on system, 200 iterations") != NULL);
    CHECK(strstr(r.out, "objgraph.show_most_common_types()") != NULL);
    CHECK(strstr(r.out, "sys.getrefcount() by type") != NULL);
    ran_free(&r);
    /* routing errors are the driver's: one line, exit 2 */
    char *bad[] = {(char *)HL_HEAPLAB_EXE, (char *)"inspect", (char *)"churn",
                   (char *)"--backend", (char *)"pool:raw=cpython", NULL};
    r = run(bad);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1 && strstr(r.err, "not a process allocator") != NULL);
    ran_free(&r);
}

int main(void)
{
    snprintf(out_dir, sizeof out_dir, "%s/hl-test-inspect-%ld",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    RUN(points_match_the_object_layer);
    RUN(points_outside_the_run_are_refused);
    RUN(inspect_program_json_and_files);
    RUN(bad_input_is_one_line_and_exit_2);
    RUN(heaplab_inspect_execs_the_variant);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out_dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", out_dir);
    return hl_test_summary();
}
