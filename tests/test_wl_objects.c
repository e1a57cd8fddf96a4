/* test_wl_objects.c - the object-layer workloads (workloads/registry.c)
 * on every backend the system variant hosts.
 *
 * What is checked:
 *   - parameter tables are consistent (min <= quick, def <= max) and every
 *     object workload is found by name and says what one operation is;
 *   - every metric a workload reports is one it declares, with that unit;
 *   - every object workload sets up, runs, verifies, reports metrics and
 *     tears down at small sizes on system, pool and guard (not `faulty`),
 *     leaving the runtime with no more objects than before (fork_cow's
 *     immortal mode excepted: immortal objects live until hl_rt_free), and
 *     run() reports at least n operations;
 *   - determinism: the same seed gives the same checksum metric, another seed
 *     another one;
 *   - a backend that corrupts live blocks (faulty:corrupt_every=N) makes
 *     churn, binary_trees, dict_churn (and the others, reported) fail: each
 *     case runs in a forked child, so a crash counts as "not passing" too,
 *     and the same case with corrupt_every=0 must pass (the failure is the
 *     corruption's, not the wrapper's);
 *   - every parameter at its minimum, and variants the quick values do not
 *     reach (instance nodes, explicit collections, GC-off workers, ...);
 *   - fragmentation reports its RSS / live-bytes metrics with sane values;
 *   - fork_cow: all four modes run, every child reports and is reaped, the
 *     metrics are there; on a 20k-object heap the immortal heap's children
 *     copy less than half of what the plain heap's copy with a collection,
 *     and when workers read a tenth of the heap, GC off / frozen / immortal
 *     all copy less than half of plain (Instagram's finding).  The ratios
 *     hold with margin under ASan too (measured 0.03-0.25).
 */
#include "hl_test.h"
#include "registry.h"
#include "workload.h"

#include "../objects/gc.h"
#include "../objects/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PARAMS 16
#define MAX_METRICS 64

/* ---- runtimes on the hosted backends ------------------------------------ */

/* Two allocator handles per backend (object memory, item memory), opened
 * once: a process may hold only HL_MAX_ALLOCATORS. */
typedef struct backend_slot {
    const char *name;
    hl_allocator om, im;
    bool open;
} backend_slot;

static backend_slot backends[8];
static size_t n_backends;

static void open_backends(void)
{
    /* Two handles each, and one left for the faulty runs in children. */
    const size_t room = (HL_MAX_ALLOCATORS - 1) / 2;
    printf("variant %s, backends tested:", hl_registry_variant());
    for (size_t i = 0; i < hl_registry_count(); i++) {
        const hl_backend *b = hl_registry_at(i);
        if (strcmp(b->name, "faulty") == 0)
            continue;
        if (n_backends == room) {
            printf(" (not %s: no allocator slots left)", b->name);
            continue;
        }
        backend_slot *s = &backends[n_backends];
        char err[256];
        s->name = b->name;
        if (hl_allocator_open(&s->om, b->name, err, sizeof err) != 0 ||
            hl_allocator_open(&s->im, b->name, err, sizeof err) != 0) {
            printf("  cannot open backend %s: %s\n", b->name, err);
            continue;
        }
        s->open = true;
        n_backends++;
        printf(" %s", b->name);
    }
    printf("\n");
}

static backend_slot *find_backend(const char *name)
{
    for (size_t i = 0; i < n_backends; i++)
        if (strcmp(backends[i].name, name) == 0)
            return &backends[i];
    return NULL;
}

static hl_rt *new_rt(hl_allocator *om, hl_allocator *im)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    char err[256];
    hl_rt *rt = hl_rt_new(om, im, &cfg, err, sizeof err);
    if (rt == NULL)
        printf("  hl_rt_new: %s\n", err);
    return rt;
}

/* ---- running one workload ------------------------------------------------ */

static bool is_obj(const hl_workload *w)
{
    return w->layer == HL_LAYER_OBJECTS;
}

/* The quick values, shrunk where a test running everything on every backend
 * (twice, under ASan) wants less. */
static void small_params(const hl_workload *w, int64_t *out)
{
    for (size_t i = 0; i < w->n_params; i++) {
        const hl_param *p = &w->params[i];
        int64_t v = p->quick;
        if (strcmp(p->name, "objects") == 0)
            v = v > 20000 ? 20000 : v;
        if (strcmp(p->name, "long_depth") == 0)
            v = 10;
        if (strcmp(p->name, "medium") == 0)
            v = 500;
        out[i] = v < p->min ? p->min : v > p->max ? p->max : v;
    }
}

static void set_param(const hl_workload *w, int64_t *params, const char *name, int64_t v)
{
    int i = hl_workload_param_index(w, name);
    if (i >= 0)
        params[i] = v;
}

/* A modest n per workload: a few ms each. */
static uint64_t small_n(const hl_workload *w)
{
    static const struct {
        const char *name;
        uint64_t n;
    } table[] = {{"churn", 20000},        {"binary_trees", 10}, {"list_grow", 4},
                 {"dict_churn", 20000},   {"cycles", 400},      {"gen_mix", 20000},
                 {"fragmentation", 5000}, {"fork_cow", 1}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, w->name) == 0)
            return table[i].n;
    return 100;
}

typedef struct outcome {
    bool setup_ok, verify_ok;
    uint64_t ops;
    size_t n_metrics;
    hl_metric metrics[MAX_METRICS];
    uint64_t live_before, live_after; /* runtime objects around setup..teardown, less
                                         the interned strs the runtime keeps */
    char err[256];
} outcome;

static outcome run_workload(const hl_workload *w, hl_rt *rt, const int64_t *params, uint64_t seed,
                            uint64_t n)
{
    outcome o;
    memset(&o, 0, sizeof o);
    hl_wl_env env = {NULL, rt, 1, seed, params, NULL};
    o.live_before = hl_rt_live_objects(rt) - hl_rt_interned_objects(rt);
    hl_rt_enter(rt); /* as the cell does: it owns the runtime lock */
    void *ctx = w->setup(&env, o.err, sizeof o.err);
    if (ctx == NULL) {
        hl_rt_leave(rt);
        return o;
    }
    o.setup_ok = true;
    o.ops = w->run(ctx, n / 2 + 1);
    o.ops += w->run(ctx, n - n / 2); /* run is called repeatedly by the harness */
    o.verify_ok = w->verify(ctx, o.err, sizeof o.err) == 0;
    if (w->metrics)
        o.n_metrics = w->metrics(ctx, o.metrics, MAX_METRICS);
    w->teardown(ctx);
    hl_rt_leave(rt);
    o.live_after = hl_rt_live_objects(rt) - hl_rt_interned_objects(rt);
    return o;
}

static const hl_metric *find_metric(const outcome *o, const char *name)
{
    for (size_t i = 0; i < o->n_metrics; i++)
        if (strcmp(o->metrics[i].name, name) == 0)
            return &o->metrics[i];
    return NULL;
}

/* ---- tests ------------------------------------------------------------------ */

TEST(param_tables)
{
    size_t n_obj = 0;
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_obj(w))
            continue;
        n_obj++;
        CHECK(w->name != NULL && w->name[0] != '\0');
        CHECK(w->description != NULL && w->description[0] != '\0');
        CHECK(w->op_unit != NULL && w->op_unit[0] != '\0');
        CHECK(!w->threaded);
        CHECK(w->setup && w->run && w->verify && w->teardown);
        CHECK(hl_workload_find(w->name) == w);
        CHECK(w->n_params <= MAX_PARAMS);
        for (size_t k = 0; k < w->n_params; k++) {
            const hl_param *p = &w->params[k];
            CHECK_MSG(p->min <= p->quick && p->quick <= p->max, "%s.%s", w->name, p->name);
            CHECK_MSG(p->min <= p->def && p->def <= p->max, "%s.%s", w->name, p->name);
            CHECK_MSG(p->help != NULL && p->help[0] != '\0', "%s.%s", w->name, p->name);
            CHECK(hl_workload_param_index(w, p->name) == (int)k);
        }
    }
    CHECK(n_obj >= 1);
    CHECK(hl_workload_at(hl_workload_count()) == NULL);
    for (size_t i = 0; i < hl_workload_count(); i++)
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(hl_workload_at(i)->name, hl_workload_at(j)->name) != 0);
}

TEST(every_workload_every_backend)
{
    REQUIRE(n_backends >= 1);
    for (size_t b = 0; b < n_backends; b++) {
        hl_rt *rt = new_rt(&backends[b].om, &backends[b].im);
        REQUIRE(rt != NULL);
        for (size_t i = 0; i < hl_workload_count(); i++) {
            const hl_workload *w = hl_workload_at(i);
            if (!is_obj(w))
                continue;
            int64_t params[MAX_PARAMS];
            small_params(w, params);
            uint64_t n = small_n(w);
            outcome o = run_workload(w, rt, params, 42, n);
            CHECK_MSG(o.setup_ok, "%s on %s: setup: %s", w->name, backends[b].name, o.err);
            CHECK_MSG(o.verify_ok, "%s on %s: %s", w->name, backends[b].name, o.err);
            CHECK_MSG(o.ops >= n, "%s on %s: run reported %llu ops for n=%llu", w->name,
                      backends[b].name, (unsigned long long)o.ops, (unsigned long long)n);
            CHECK_MSG(o.n_metrics > 0, "%s on %s reports no metrics", w->name, backends[b].name);
            for (size_t m = 0; m < o.n_metrics; m++) {
                const hl_metric_desc *d = hl_workload_metric_desc(w, o.metrics[m].name);
                CHECK_MSG(d != NULL, "%s reports %s, which it does not declare", w->name,
                          o.metrics[m].name);
                CHECK(d == NULL || strcmp(d->unit, o.metrics[m].unit) == 0);
            }
            CHECK_MSG(o.live_after == o.live_before,
                      "%s on %s: %llu objects before set-up, %llu after tear-down", w->name,
                      backends[b].name, (unsigned long long)o.live_before,
                      (unsigned long long)o.live_after);
        }
        char err[256];
        CHECK_MSG(hl_gc_validate(rt, err, sizeof err) == 0, "%s: %s", backends[b].name, err);
        hl_rt_free(rt);
    }
}

/* Every object workload on every CPython profile, and on heaplab's older
 * model (heaplab=on: no free lists, no interning, instance dicts, fused
 * collections, deferred deallocation): the same operations and checksum,
 * verified, nothing leaked. */
TEST(every_workload_every_profile)
{
    backend_slot *s = find_backend("system");
    REQUIRE(s != NULL);
    static const char *const models[][2] = {
        {"profile=3.11", NULL}, {"profile=3.12", NULL}, {"profile=3.13", NULL},
        {"profile=3.11", "heaplab=on"}, {"profile=3.13", "refcount=biased"}};
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_obj(w))
            continue;
        int64_t params[MAX_PARAMS];
        small_params(w, params);
        uint64_t n = (small_n(w) + 3) / 4; /* five models: a quarter of the usual run each */
        double checksum0 = 0;
        uint64_t ops0 = 0;
        for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
            hl_rt_config cfg;
            hl_rt_config_default(&cfg);
            char err[256];
            for (int k = 0; k < 2; k++)
                if (models[m][k] != NULL)
                    REQUIRE(hl_rt_config_set(&cfg, models[m][k], err, sizeof err) == 0);
            hl_rt *rt = hl_rt_new(&s->om, &s->im, &cfg, err, sizeof err);
            REQUIRE(rt != NULL);
            outcome o = run_workload(w, rt, params, 42, n);
            const char *label = models[m][1] ? models[m][1] : models[m][0];
            CHECK_MSG(o.setup_ok && o.verify_ok, "%s on %s: %s", w->name, label, o.err);
            CHECK_MSG(o.live_after == o.live_before, "%s on %s: %llu objects before set-up, "
                      "%llu after tear-down", w->name, label, (unsigned long long)o.live_before,
                      (unsigned long long)o.live_after);
            const hl_metric *c = find_metric(&o, "checksum");
            if (m == 0) {
                checksum0 = c ? c->value : 0;
                ops0 = o.ops;
            } else {
                CHECK_MSG(c != NULL && c->value == checksum0, "%s on %s: another checksum",
                          w->name, label);
                CHECK_MSG(o.ops == ops0, "%s on %s: %llu operations, %llu on 3.11", w->name,
                          label, (unsigned long long)o.ops, (unsigned long long)ops0);
            }
            char verr[256];
            CHECK_MSG(hl_gc_validate(rt, verr, sizeof verr) == 0, "%s on %s: %s", w->name, label,
                      verr);
            hl_rt_free(rt);
        }
    }
}

TEST(same_seed_same_checksum)
{
    backend_slot *s = find_backend("system");
    REQUIRE(s != NULL);
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_obj(w))
            continue;
        int64_t params[MAX_PARAMS];
        small_params(w, params);
        uint64_t n = small_n(w);
        outcome r[3];
        uint64_t seeds[3] = {7, 7, 8};
        for (int k = 0; k < 3; k++) {
            hl_rt *rt = new_rt(&s->om, &s->im);
            REQUIRE(rt != NULL);
            r[k] = run_workload(w, rt, params, seeds[k], n);
            hl_rt_free(rt);
            CHECK_MSG(r[k].verify_ok, "%s: %s", w->name, r[k].err);
        }
        const hl_metric *a = find_metric(&r[0], "checksum");
        const hl_metric *b = find_metric(&r[1], "checksum");
        const hl_metric *c = find_metric(&r[2], "checksum");
        CHECK_MSG(a != NULL && b != NULL && c != NULL, "%s has no checksum metric", w->name);
        if (a && b && c) {
            CHECK_MSG(a->value == b->value, "%s: seed 7 gave %.0f then %.0f", w->name, a->value,
                      b->value);
            CHECK_MSG(a->value != c->value, "%s: seeds 7 and 8 gave the same checksum", w->name);
        }
        CHECK_EQ_U64(r[0].ops, r[1].ops);
    }
}

TEST(params_at_min_and_variants)
{
    backend_slot *s = find_backend("system");
    REQUIRE(s != NULL);
    hl_rt *rt = new_rt(&s->om, &s->im);
    REQUIRE(rt != NULL);
    /* Every parameter at its minimum. */
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_obj(w))
            continue;
        int64_t params[MAX_PARAMS];
        for (size_t k = 0; k < w->n_params; k++)
            params[k] = w->params[k].min;
        outcome o = run_workload(w, rt, params, 5, 50);
        CHECK_MSG(o.setup_ok && o.verify_ok, "%s with every parameter at its minimum: %s",
                  w->name, o.err);
        CHECK_MSG(o.live_after == o.live_before, "%s at minimum sizes leaked objects", w->name);
    }
    /* Variants the quick values do not cover. */
    static const struct {
        const char *wl, *param;
        int64_t value;
        uint64_t n;
    } variants[] = {
        {"binary_trees", "node", 1, 6},       {"cycles", "collect_every", 1, 200},
        {"cycles", "ring", 2, 200},           {"dict_churn", "replace_every", 0, 5000},
        {"dict_churn", "keys", 4, 5000},      {"fork_cow", "collect", 0, 1},
        {"gen_mix", "survive_pct", 100, 3000}, {"gen_mix", "mutate_pct", 100, 3000},
        {"fragmentation", "keep_pct", 99, 2000}, {"list_grow", "length", 64, 4},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        const hl_workload *w = hl_workload_find(variants[i].wl);
        REQUIRE(w != NULL);
        int64_t params[MAX_PARAMS];
        small_params(w, params);
        REQUIRE(hl_workload_param_index(w, variants[i].param) >= 0);
        set_param(w, params, variants[i].param, variants[i].value);
        outcome o = run_workload(w, rt, params, 9, variants[i].n);
        CHECK_MSG(o.setup_ok && o.verify_ok, "%s %s=%lld: %s", w->name, variants[i].param,
                  (long long)variants[i].value, o.err);
        CHECK_MSG(o.live_after == o.live_before, "%s %s=%lld leaked objects", w->name,
                  variants[i].param, (long long)variants[i].value);
    }
    char err[256];
    CHECK_MSG(hl_gc_validate(rt, err, sizeof err) == 0, "%s", err);
    hl_rt_free(rt);
}

TEST(fragmentation_metrics)
{
    backend_slot *s = find_backend("system");
    const hl_workload *w = hl_workload_find("fragmentation");
    REQUIRE(s != NULL && w != NULL);
    int64_t params[MAX_PARAMS];
    small_params(w, params);
    set_param(w, params, "objects", 10000);
    set_param(w, params, "keep_pct", 10);
    hl_rt *rt = new_rt(&s->om, &s->im);
    REQUIRE(rt != NULL);
    outcome o = run_workload(w, rt, params, 11, 3000);
    hl_rt_free(rt);
    CHECK_MSG(o.verify_ok, "%s", o.err);
    static const char *const names[] = {"rss_bytes",          "live_bytes",
                                        "rss_over_live",      "rss_baseline_bytes",
                                        "rss_peak_bytes",     "rss_after_free_bytes",
                                        "population_live_bytes", "survivors"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_MSG(find_metric(&o, names[i]) != NULL, "no metric %s", names[i]);
    const hl_metric *rss = find_metric(&o, "rss_bytes");
    const hl_metric *live = find_metric(&o, "live_bytes");
    const hl_metric *pop = find_metric(&o, "population_live_bytes");
    const hl_metric *surv = find_metric(&o, "survivors");
    REQUIRE(rss && live && pop && surv);
    CHECK(rss->value > 0 && live->value > 0 && pop->value > 0);
    /* keep_pct=10 of 10000, drawn at random: about 1000. */
    CHECK_MSG(surv->value > 800 && surv->value < 1200, "%.0f survivors", surv->value);
    /* Live bytes account at least for what is known to be alive: the 3000
     * new strs of 300 bytes and the ring's item array (~9000 slots); the
     * population for its 10000 objects of >= 24 bytes and its item array. */
    CHECK_MSG(live->value >= 3000.0 * 300 + 8800.0 * 8, "live %.0f", live->value);
    CHECK_MSG(pop->value >= 10000.0 * (24 + 8), "population live %.0f", pop->value);
}

/* ---- corruption: in a forked child ----------------------------------------- */

enum { CHILD_PASSED = 0, CHILD_VERIFY_FAILED = 10, CHILD_SETUP_FAILED = 11, CHILD_NO_RT = 12 };

/* Runs w on faulty:corrupt_every=every in a child.  Returns the child's
 * wait status; why gets the child's message and *calls the allocation calls
 * it made (when it got as far as verify). */
static int run_on_faulty(const hl_workload *w, uint64_t every, uint64_t n, char *why,
                         size_t whylen, uint64_t *calls)
{
    int fds[2];
    *calls = 0;
    why[0] = '\0';
    /* The child's stderr (a sanitizer or object-layer report) goes to a
     * file, so that the test output stays readable; its first line is
     * quoted in the outcome. */
    FILE *errs = tmpfile();
    if (errs == NULL)
        return -1;
    if (pipe(fds) != 0) {
        fclose(errs);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        fclose(errs);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fileno(errs), 2);
        alarm(30); /* a corrupted structure could make a loop endless */
        char spec[64], err[256] = "", msg[300];
        snprintf(spec, sizeof spec, "faulty:corrupt_every=%llu", (unsigned long long)every);
        hl_allocator a;
        if (hl_allocator_open(&a, spec, err, sizeof err) != 0) {
            (void)!write(fds[1], err, strlen(err));
            _exit(CHILD_NO_RT);
        }
        hl_rt *rt = new_rt(&a, &a);
        if (rt == NULL)
            _exit(CHILD_NO_RT);
        int64_t params[MAX_PARAMS];
        small_params(w, params);
        hl_wl_env env = {NULL, rt, 1, 42, params, NULL};
        hl_rt_enter(rt);
        void *ctx = w->setup(&env, err, sizeof err);
        if (ctx == NULL) {
            (void)!write(fds[1], err, strlen(err));
            _exit(CHILD_SETUP_FAILED);
        }
        w->run(ctx, n);
        int rc = w->verify(ctx, err, sizeof err);
        hl_alloc_stats st;
        hl_allocator_stats(&a, &st);
        int len = snprintf(msg, sizeof msg, "%llu %s",
                           (unsigned long long)(st.allocs + st.reallocs), err);
        (void)!write(fds[1], msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1);
        _exit(rc == 0 ? CHILD_PASSED : CHILD_VERIFY_FAILED);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < whylen && (r = read(fds[0], why + got, whylen - 1 - got)) > 0)
        got += (size_t)r;
    why[got] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) &&
        (WEXITSTATUS(status) == CHILD_PASSED || WEXITSTATUS(status) == CHILD_VERIFY_FAILED)) {
        char *end;
        *calls = strtoull(why, &end, 10);
        memmove(why, end + (*end == ' '), strlen(end + (*end == ' ')) + 1);
    } else if (why[0] == '\0') {
        /* Crashed: quote the first report line. */
        char line[256];
        rewind(errs);
        while (fgets(line, sizeof line, errs) != NULL) {
            if (strstr(line, "ERROR") || strstr(line, "runtime error") ||
                strstr(line, "heaplab object layer")) {
                line[strcspn(line, "\n")] = '\0';
                snprintf(why, whylen, "%s", line);
                break;
            }
        }
    }
    fclose(errs);
    return status;
}

static const char *describe(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "crashed (signal %d)", WTERMSIG(status));
    else if (WEXITSTATUS(status) == CHILD_PASSED)
        snprintf(buf, len, "passed");
    else if (WEXITSTATUS(status) == CHILD_VERIFY_FAILED)
        snprintf(buf, len, "verification failed");
    else
        snprintf(buf, len, "exited %d", WEXITSTATUS(status));
    return buf;
}

static bool child_passed(int status)
{
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == CHILD_PASSED;
}

TEST(corruption_is_detected)
{
    if (hl_registry_find("faulty") == NULL)
        SKIP("this variant has no faulty backend");
    /* The workloads that must catch it; the others are reported. */
    static const char *const must[] = {"churn", "binary_trees", "dict_churn"};
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_obj(w) || strcmp(w->name, "fork_cow") == 0)
            continue;
        bool required = false;
        for (size_t k = 0; k < sizeof must / sizeof must[0]; k++)
            required |= strcmp(must[k], w->name) == 0;
        char why[300], desc[64];
        uint64_t n = small_n(w), calls = 0, calls_bad = 0;
        /* The wrapper alone changes nothing. */
        int clean = run_on_faulty(w, 0, n, why, sizeof why, &calls);
        CHECK_MSG(child_passed(clean), "%s on faulty without corruption: %s %s", w->name,
                  describe(clean, desc, sizeof desc), why);
        /* Many corruptions: the j-th flips byte j of a recent live block, so
         * headers (refcount, type) are hit first and a crash is likely. */
        int heavy = run_on_faulty(w, 997, n, why, sizeof why, &calls_bad);
        printf("  %-14s corrupt_every=997 (%3llu flips): %s%s%.150s\n", w->name,
               (unsigned long long)(calls / 997), describe(heavy, desc, sizeof desc),
               why[0] ? ": " : "", why);
        if (required)
            CHECK_MSG(!child_passed(heavy), "%s passed verification on a corrupting backend",
                      w->name);
        /* Three corruptions over the whole run: bytes 1..3 of the reference
         * counts of three live objects, so they leak instead of crashing,
         * and verification has to notice. */
        if (calls >= 6) {
            uint64_t every = calls / 3;
            int light = run_on_faulty(w, every, n, why, sizeof why, &calls_bad);
            printf("  %-14s corrupt_every=%llu (3 flips): %s%s%.150s\n", w->name,
                   (unsigned long long)every, describe(light, desc, sizeof desc),
                   why[0] ? ": " : "", why);
            if (required)
                CHECK_MSG(!child_passed(light), "%s passed verification with 3 corruptions",
                          w->name);
        }
    }
}

/* ---- fork_cow ------------------------------------------------------------------ */

/* Runs fork_cow once on the system backend; returns the mean KiB the
 * touching copied per child, or -1 (after failing a check). */
static double fork_cow_touch(int mode, int touch_pct, bool print)
{
    backend_slot *s = find_backend("system");
    const hl_workload *w = hl_workload_find("fork_cow");
    if (s == NULL || w == NULL) {
        CHECK(s != NULL && w != NULL);
        return -1;
    }
    int64_t params[MAX_PARAMS];
    small_params(w, params);
    set_param(w, params, "objects", 20000);
    set_param(w, params, "children", 3);
    set_param(w, params, "collect", 1);
    set_param(w, params, "mode", mode);
    set_param(w, params, "touch_pct", touch_pct);
    hl_rt *rt = new_rt(&s->om, &s->im);
    if (rt == NULL) {
        CHECK(rt != NULL);
        return -1;
    }
    outcome o = run_workload(w, rt, params, 3, 1);
    hl_rt_free(rt);
    /* Every child was reaped: none is left, not even a zombie. */
    CHECK_MSG(waitpid(-1, NULL, WNOHANG) < 0, "mode %d left a child behind", mode);
    CHECK_MSG(o.setup_ok && o.verify_ok, "mode %d: %s", mode, o.err);
    const hl_metric *mean = find_metric(&o, "private_dirty_kib_mean");
    const hl_metric *t = find_metric(&o, "touch_dirty_kib_mean");
    const hl_metric *heap = find_metric(&o, "heap_kib");
    CHECK(mean != NULL && t != NULL && heap != NULL);
    for (int k = 0; k < 3; k++) {
        char name[48];
        snprintf(name, sizeof name, "private_dirty_kib_child%d", k);
        const hl_metric *m = find_metric(&o, name);
        CHECK_MSG(m != NULL && m->value > 0, "mode %d: %s missing or zero", mode, name);
    }
    CHECK(find_metric(&o, "private_dirty_kib_child3") == NULL);
    if (mean == NULL || t == NULL || heap == NULL)
        return -1;
    if (print)
        printf("  mode %d, touch %3d%%: heap %.0f KiB, private dirty mean %.0f KiB, copied by "
               "touching %.0f KiB\n",
               mode, touch_pct, heap->value, mean->value, t->value);
    return t->value;
}

TEST(fork_cow_modes)
{
    double all[4], part[4];
    for (int mode = 0; mode < 4; mode++)
        all[mode] = fork_cow_touch(mode, 100, true);
    for (int mode = 0; mode < 4; mode++)
        part[mode] = fork_cow_touch(mode, 10, true);
    /* Reading every object with plain refcounts copies about the whole heap
     * whatever the GC does; an immortal, frozen heap is not written at all. */
    CHECK_MSG(all[3] < 0.5 * all[0], "immortal heap copied %.0f KiB, plain %.0f KiB", all[3],
              all[0]);
    /* Reading a tenth of it: the full collection still writes every tracked
     * object's header in plain mode, not with the GC off or the heap frozen
     * (Instagram's two fixes). */
    CHECK_MSG(part[1] < 0.5 * part[0], "GC off copied %.0f KiB, plain %.0f KiB", part[1],
              part[0]);
    CHECK_MSG(part[2] < 0.5 * part[0], "frozen heap copied %.0f KiB, plain %.0f KiB", part[2],
              part[0]);
    CHECK_MSG(part[3] < 0.5 * part[0], "immortal heap copied %.0f KiB, plain %.0f KiB", part[3],
              part[0]);
}

int main(void)
{
    open_backends();
    RUN(param_tables);
    /* First, while the process heap is young: how many pages a tenth of the
     * records spans depends on how scattered earlier frees left it. */
    RUN(fork_cow_modes);
    RUN(every_workload_every_backend);
    RUN(every_workload_every_profile);
    RUN(same_seed_same_checksum);
    RUN(params_at_min_and_variants);
    RUN(fragmentation_metrics);
    RUN(corruption_is_detected);
    return hl_test_summary();
}
