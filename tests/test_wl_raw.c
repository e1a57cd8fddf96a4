/* test_wl_raw.c - the raw-allocator workloads on every backend of this
 * process variant (one executable per variant, test_wl_raw_<variant>).
 *
 *   test_wl_raw_<V>                 the test suite
 *   test_wl_raw_<V> --replay FILE   replays FILE on the native backend in
 *                                   both modes and checks the counts
 *
 * What is checked: every raw workload runs and verifies at small sizes on
 * every hosted backend (but `faulty`); a backend that corrupts live blocks
 * (faulty:corrupt_every=N) makes the pattern-checking workloads fail
 * verification; single- and multi-threaded workloads give the same checksum
 * for the same seed; parameter tables are consistent and every minimum
 * value is usable; bad parameters and bad traces are refused with a message.
 */
#include "hl_test.h"
#include "registry.h"
#include "trace_format.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char trace_path[64]; /* a synthetic trace for `replay` */

static bool is_raw(const hl_workload *w)
{
    return w->layer == HL_LAYER_RAW;
}

/* Small values: the quick ones, shrunk where quick is still too big for a
 * test that runs every workload on every backend (twice under ASan). */
static void small_params(const hl_workload *w, int64_t *out)
{
    for (size_t i = 0; i < w->n_params; i++) {
        const hl_param *p = &w->params[i];
        int64_t v = p->quick;
        if (strcmp(p->name, "chunks") == 0 || strcmp(p->name, "batch") == 0 ||
            strcmp(p->name, "live") == 0 || strcmp(p->name, "slots") == 0)
            v = v > 256 ? 256 : v;
        if (strcmp(p->name, "repetitions") == 0)
            v = 2000;
        if (strcmp(p->name, "scale") == 0)
            v = 2;
        if (strcmp(p->name, "rounds") == 0)
            v = 2;
        if (strcmp(p->name, "iters") == 0) /* glibc_simple's whole-program sweep */
            v = p->min;
        out[i] = v < p->min ? p->min : v > p->max ? p->max : v;
    }
}

typedef struct outcome {
    bool setup_ok, verify_ok;
    uint64_t ops;
    double checksum;
    bool have_checksum;
    char err[256];
} outcome;

static outcome run_workload(const hl_workload *w, hl_allocator *a, const int64_t *params,
                            unsigned threads, uint64_t seed, uint64_t n, const char *data)
{
    outcome o = {0};
    hl_wl_env env = {.raw = a, .threads = threads, .seed = seed, .params = params,
                     .data_path = data};
    /* The lock policy, as the cell applies it (harness/cell_main.c). */
    bool hold = w->lock == HL_LOCK_WHOLE_RUN && a->needs_gil;
    if (hold)
        hl_gil_acquire();
    void *ctx = w->setup(&env, o.err, sizeof o.err);
    if (ctx == NULL) {
        if (hold)
            hl_gil_release();
        return o;
    }
    o.setup_ok = true;
    o.ops = w->run(ctx, n);
    o.ops += w->run(ctx, n);
    o.verify_ok = w->verify(ctx, o.err, sizeof o.err) == 0;
    if (w->metrics) {
        hl_metric m[16];
        size_t k = w->metrics(ctx, m, 16);
        for (size_t i = 0; i < k; i++) {
            if (strcmp(m[i].name, "checksum") == 0) {
                o.checksum = m[i].value;
                o.have_checksum = true;
            }
            const hl_metric_desc *d = hl_workload_metric_desc(w, m[i].name);
            if (d == NULL || strcmp(d->unit, m[i].unit) != 0) {
                snprintf(o.err, sizeof o.err, "%.40s reports %.48s (%.16s), which it does not declare",
                         w->name, m[i].name, m[i].unit);
                o.verify_ok = false;
            }
        }
    }
    w->teardown(ctx);
    if (hold)
        hl_gil_release();
    return o;
}

static const char *data_for(const hl_workload *w)
{
    return w->data == HL_DATA_TRACE ? trace_path : NULL;
}

static hl_allocator handles[HL_MAX_ALLOCATORS];
static const char *handle_names[HL_MAX_ALLOCATORS];
static int n_handles;

static hl_allocator *open_backend(const char *spec)
{
    for (int i = 0; i < n_handles; i++)
        if (strcmp(handle_names[i], spec) == 0)
            return &handles[i];
    if (n_handles == HL_MAX_ALLOCATORS)
        return NULL;
    char err[256];
    if (hl_allocator_open(&handles[n_handles], spec, err, sizeof err) != 0) {
        printf("  cannot open %s: %s\n", spec, err);
        return NULL;
    }
    handle_names[n_handles] = spec;
    return &handles[n_handles++];
}

/* ---- tests --------------------------------------------------------------------- */

TEST(parameter_tables_are_consistent)
{
    size_t raw = 0;
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_raw(w))
            continue;
        raw++;
        CHECK(w->name && w->description && w->op_unit);
        CHECK(w->setup && w->run && w->verify && w->teardown);
        CHECK(hl_workload_find(w->name) == w);
        for (size_t k = 0; k < w->n_params; k++) {
            const hl_param *p = &w->params[k];
            CHECK_MSG(p->min <= p->quick && p->quick <= p->max, "%s.%s quick", w->name, p->name);
            CHECK_MSG(p->min <= p->def && p->def <= p->max, "%s.%s def", w->name, p->name);
            CHECK(hl_workload_param_index(w, p->name) == (int)k);
            CHECK(p->help && p->help[0]);
        }
    }
    CHECK(raw >= 1);
}

TEST(every_workload_verifies_on_every_backend)
{
    for (size_t b = 0; b < hl_registry_count(); b++) {
        const hl_backend *be = hl_registry_at(b);
        if (strcmp(be->name, "faulty") == 0)
            continue;
        hl_allocator *a = open_backend(be->name);
        CHECK_MSG(a != NULL, "backend %s", be->name);
        if (a == NULL)
            continue;
        for (size_t i = 0; i < hl_workload_count(); i++) {
            const hl_workload *w = hl_workload_at(i);
            if (!is_raw(w))
                continue;
            int64_t params[16];
            small_params(w, params);
            outcome o = run_workload(w, a, params, 2, 42, 3, data_for(w));
            CHECK_MSG(o.setup_ok, "%s on %s: setup: %s", w->name, be->name, o.err);
            CHECK_MSG(!o.setup_ok || o.verify_ok, "%s on %s: verify: %s", w->name, be->name, o.err);
            CHECK_MSG(!o.setup_ok || o.ops >= 6, "%s on %s: %llu ops", w->name, be->name,
                      (unsigned long long)o.ops);
        }
        hl_alloc_stats st;
        hl_allocator_stats(a, &st);
        CHECK_MSG(st.live_bytes == 0, "%s: %lld bytes still live after the workloads", be->name,
                  (long long)st.live_bytes);
    }
}

/* Sets a named parameter. */
static void set_param(const hl_workload *w, int64_t *params, const char *name, int64_t v)
{
    int k = hl_workload_param_index(w, name);
    if (k >= 0)
        params[k] = v;
}

TEST(corrupting_backend_fails_verification)
{
    if (hl_registry_find("faulty") == NULL)
        SKIP("this variant does not host the faulty backend");
    hl_allocator *a = open_backend("faulty:corrupt_every=5");
    REQUIRE(a != NULL);
    /* Not xmalloc: its batch records live in the allocator under test, as
     * in the original, so a flipped pointer byte there is a wild free. */
    const char *names[] = {"pairs", "larson", "sizes", "mstress", "replay", "glibc_thread",
                           "glibc_simple"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const hl_workload *w = hl_workload_find(names[i]);
        REQUIRE(w != NULL);
        int64_t params[16];
        small_params(w, params);
        /* Block sizes whose every byte the stamps cover, so each flipped
         * byte is seen (the faulty backend flips one byte per corruption). */
        set_param(w, params, "order", 1);
        set_param(w, params, "size", 1);
        set_param(w, params, "min_size", 8);
        set_param(w, params, "max_size", 16);
        set_param(w, params, "window", 64);
        /* pairs, sizes and glibc_thread count single calls as iterations:
         * give them many. */
        bool per_call = strcmp(w->name, "pairs") == 0 || strcmp(w->name, "sizes") == 0 ||
                        strcmp(w->name, "glibc_thread") == 0;
        outcome o = run_workload(w, a, params, 2, 7, per_call ? 3000 : 20, data_for(w));
        CHECK_MSG(o.setup_ok, "%s: setup: %s", w->name, o.err);
        CHECK_MSG(o.setup_ok && !o.verify_ok, "%s verified on a corrupting backend", w->name);
        if (o.setup_ok && !o.verify_ok)
            printf("  %s: %s\n", w->name, o.err);
    }
}

TEST(same_seed_same_checksum)
{
    hl_allocator *a = open_backend(hl_registry_native()->name);
    REQUIRE(a != NULL);
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_raw(w))
            continue;
        int64_t params[16];
        small_params(w, params);
        /* Both LIFO and random for pairs. */
        for (int variant = 0; variant < 2; variant++) {
            set_param(w, params, "order", variant);
            outcome x = run_workload(w, a, params, 2, 1234, 4, data_for(w));
            outcome y = run_workload(w, a, params, 2, 1234, 4, data_for(w));
            CHECK_MSG(x.verify_ok && y.verify_ok, "%s: %s %s", w->name, x.err, y.err);
            CHECK_MSG(x.have_checksum, "%s reports no checksum metric", w->name);
            CHECK_MSG(x.checksum == y.checksum, "%s: checksum %.0f then %.0f for the same seed",
                      w->name, x.checksum, y.checksum);
            CHECK_EQ_U64(x.ops, y.ops);
        }
    }
    /* A different seed changes what the randomised workloads do. */
    const char *randomised[] = {"larson", "sizes", "mstress", "glibc_thread", "xmalloc"};
    for (size_t i = 0; i < sizeof randomised / sizeof randomised[0]; i++) {
        const hl_workload *w = hl_workload_find(randomised[i]);
        int64_t params[16];
        small_params(w, params);
        set_param(w, params, "size", 0); /* xmalloc: random sizes */
        outcome x = run_workload(w, a, params, 2, 1, 4, NULL);
        outcome y = run_workload(w, a, params, 2, 2, 4, NULL);
        CHECK_MSG(x.checksum != y.checksum, "%s: seeds 1 and 2 gave the same checksum", w->name);
    }
}

TEST(minimum_parameters_work)
{
    hl_allocator *a = open_backend(hl_registry_native()->name);
    REQUIRE(a != NULL);
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (!is_raw(w))
            continue;
        for (size_t k = 0; k < w->n_params; k++) {
            int64_t params[16];
            small_params(w, params);
            params[k] = w->params[k].min;
            if (strcmp(w->params[k].name, "max_size") == 0) /* keep min <= max */
                set_param(w, params, "min_size", w->params[hl_workload_param_index(w, "min_size")].min);
            outcome o = run_workload(w, a, params, 1, 5, 2, data_for(w));
            CHECK_MSG(o.setup_ok && o.verify_ok, "%s with %s=%lld: %s", w->name, w->params[k].name,
                      (long long)w->params[k].min, o.err);
        }
        /* and one thread more than usual, with n = 1 */
        int64_t params[16];
        small_params(w, params);
        outcome o = run_workload(w, a, params, 3, 5, 1, data_for(w));
        CHECK_MSG(o.setup_ok && o.verify_ok, "%s with 3 threads: %s", w->name, o.err);
    }
}

TEST(bad_input_is_refused_with_a_message)
{
    hl_allocator *a = open_backend(hl_registry_native()->name);
    REQUIRE(a != NULL);
    const hl_workload *w = hl_workload_find("larson");
    int64_t params[16];
    small_params(w, params);
    set_param(w, params, "min_size", 100);
    set_param(w, params, "max_size", 10);
    outcome o = run_workload(w, a, params, 1, 1, 1, NULL);
    CHECK(!o.setup_ok);
    CHECK(strstr(o.err, "max_size 10 is below min_size 100") != NULL);

    w = hl_workload_find("replay");
    small_params(w, params);
    o = run_workload(w, a, params, 1, 1, 1, "/nonexistent/trace.hlt");
    CHECK(!o.setup_ok);
    CHECK_MSG(strstr(o.err, "cannot open") != NULL, "%s", o.err);

    /* A truncated trace file. */
    char path[] = "/tmp/heaplab-wlraw-bad-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    size_t len;
    uint8_t *img = hl_trace_synthesize(3, 100, 2, &len);
    CHECK(write(fd, img, len / 2) == (ssize_t)(len / 2));
    close(fd);
    free(img);
    o = run_workload(w, a, params, 1, 1, 1, path);
    CHECK(!o.setup_ok);
    CHECK_MSG(strstr(o.err, "truncated") != NULL, "%s", o.err);
    unlink(path);

    /* No trace at all. */
    unsetenv("HEAPLAB_TRACE");
    o = run_workload(w, a, params, 1, 1, 1, NULL);
    CHECK(!o.setup_ok);
    CHECK(strstr(o.err, "no trace given") != NULL);
}

/* ---- --replay FILE --------------------------------------------------------------- */

static int replay_file(const char *path)
{
    hl_allocator *a = open_backend(hl_registry_native()->name);
    if (a == NULL)
        return 2;
    const hl_workload *w = hl_workload_find("replay");
    int status = 0;
    for (int64_t mode = 0; mode <= 1; mode++) {
        hl_wl_env env = {.raw = a, .threads = 1, .seed = 1, .params = &mode, .data_path = path};
        char err[512];
        void *ctx = w->setup(&env, err, sizeof err);
        if (ctx == NULL) {
            fprintf(stderr, "replay: %s\n", err);
            return 2;
        }
        uint64_t ops = w->run(ctx, 2);
        int rc = w->verify(ctx, err, sizeof err);
        hl_metric m[16];
        size_t k = w->metrics(ctx, m, 16);
        printf("mode %lld: %llu ops in 2 passes, verify %s", (long long)mode,
               (unsigned long long)ops, rc == 0 ? "ok" : err);
        for (size_t i = 1; i < k; i++)
            printf(", %s=%.0f", m[i].name, m[i].value);
        printf("\n");
        w->teardown(ctx);
        hl_alloc_stats st;
        hl_allocator_stats(a, &st);
        if (rc != 0 || ops < 2 || st.live_bytes != 0) {
            printf("FAIL: verify=%d ops=%llu live_bytes=%lld\n", rc, (unsigned long long)ops,
                   (long long)st.live_bytes);
            status = 1;
        }
    }
    printf("%d passed, %d failed, 0 skipped\n", status ? 0 : 1, status ? 1 : 0);
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--replay") == 0)
        return replay_file(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--replay TRACE]\n", argv[0]);
        return 2;
    }
    /* In the working directory (the build tree under ctest), so that a
     * crashed run leaves nothing in /tmp. */
    snprintf(trace_path, sizeof trace_path, "test_wl_raw-%d.hlt", (int)getpid());
    size_t len;
    uint8_t *img = hl_trace_synthesize(11, 3000, 3, &len);
    FILE *f = fopen(trace_path, "wb");
    if (!img || !f || fwrite(img, 1, len, f) != len) {
        fprintf(stderr, "cannot write %s\n", trace_path);
        return 2;
    }
    fclose(f);
    free(img);
    printf("variant %s, backends:", hl_registry_variant());
    for (size_t i = 0; i < hl_registry_count(); i++)
        printf(" %s", hl_registry_at(i)->name);
    printf("\n");
    RUN(parameter_tables_are_consistent);
    RUN(every_workload_verifies_on_every_backend);
    RUN(corrupting_backend_fails_verification);
    RUN(same_seed_same_checksum);
    RUN(minimum_parameters_work);
    RUN(bad_input_is_refused_with_a_message);
    unlink(trace_path);
    return hl_test_summary();
}
