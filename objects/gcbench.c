/* gcbench.c - hl-gcbench: the cost of a full collection per tracked object
 * and object churn throughput, on a heap shape that scripts/gc_vs_cpython.py
 * builds identically in CPython:
 *
 *     class Rec: pass
 *     root = []; prev = None
 *     for i in range(groups):           # 5 tracked objects per group
 *         r = Rec(); r.__dict__         # instance + its (materialised) dict
 *         t = (i, root)                 # a tuple that stays tracked
 *         meta = {"id": i, "pair": t}   # dict (literal keys)
 *         kids = [t, meta]              # list (a list display)
 *         r.kids = kids; r.meta = meta; r.prev = prev
 *         root.append(r); prev = r
 *
 * Everything is one big cycle through root, so after building, repeated full
 * collections examine the whole heap and free nothing (the timed part:
 * median of --reps), and dropping root leaves the whole heap to the
 * collector (the "destroy" figure).
 *
 * The runtime models the CPython version --python-model names (default:
 * the build's, runtime.h) with its rules, and --model-option applies a
 * what-if option (gc_passes=fused, ...), so the collection costs what that
 * version's does on the same heap.
 *
 * Usage: hl-gcbench [--backend NAME] [--groups N] [--reps N]
 *                   [--python-model 3.11|3.12|3.13] [--model-option K=V]...
 * Prints "key value" lines.  Exit status 2 on bad options.
 */
#include "gc.h"
#include "registry.h"
#include "object.h"
#include "runtime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long parse_count(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || v < lo || v > hi) {
        fprintf(stderr, "hl-gcbench: %s '%s' is not an integer in [%ld, %ld]\n", opt, s, lo, hi);
        exit(2);
    }
    return v;
}

static hl_obj *build(hl_rt *rt, hl_class *rec, long groups)
{
    hl_obj *root = hl_list_new(rt);
    hl_obj *prev = hl_none(rt);
    for (long i = 0; i < groups; i++) {
        hl_obj *iobj = hl_int_new(rt, i); /* range()'s i, one object shared below */
        hl_obj *r = hl_inst_new(rt, rec);
        (void)hl_inst_get_dict(rt, r); /* r.__dict__ */
        hl_obj *t = hl_tuple_pack(rt, 2, hl_obj_newref(rt, iobj), hl_obj_newref(rt, root));
        hl_obj *meta = hl_dict_new(rt);
        hl_dict_set_str(rt, meta, "id", iobj);
        hl_dict_set_str(rt, meta, "pair", hl_obj_newref(rt, t));
        hl_obj *kids = hl_list_pack(rt, 2, t, hl_obj_newref(rt, meta));
        hl_inst_setattr(rt, r, "kids", kids);
        hl_inst_setattr(rt, r, "meta", meta);
        hl_inst_setattr(rt, r, "prev", prev); /* r owns the reference to prev */
        hl_list_append(rt, root, hl_obj_newref(rt, r));
        prev = r;
    }
    hl_obj_decref(rt, prev); /* the last r: root holds it */
    return root;
}

int main(int argc, char **argv)
{
    const char *backend = "system";
    long groups = 200000, reps = 5;
    char err[256];
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
            backend = argv[++i];
        else if (strcmp(argv[i], "--python-model") == 0 && i + 1 < argc) {
            if (hl_py_profile_parse(argv[++i], &cfg.profile, err, sizeof err) != 0) {
                fprintf(stderr, "hl-gcbench: %s\n", err);
                return 2;
            }
        } else if (strcmp(argv[i], "--model-option") == 0 && i + 1 < argc) {
            if (hl_rt_config_set(&cfg, argv[++i], err, sizeof err) != 0) {
                fprintf(stderr, "hl-gcbench: %s\n", err);
                return 2;
            }
        }
        else if (strcmp(argv[i], "--groups") == 0 && i + 1 < argc)
            groups = parse_count("--groups", argv[++i], 1, 100000000);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = parse_count("--reps", argv[++i], 1, 1000);
        else {
            fprintf(stderr, "hl-gcbench: unknown option '%s' (use --backend NAME, --groups N, "
                            "--reps N, --python-model V, --model-option K=V)\n", argv[i]);
            return 2;
        }
    }
    hl_allocator om, im;
    hl_gil_acquire(); /* backends that are not thread safe expect it in init */
    int rc = hl_allocator_open(&om, backend, err, sizeof err);
    if (rc == 0)
        rc = hl_allocator_open(&im, backend, err, sizeof err);
    hl_gil_release();
    if (rc != 0) {
        fprintf(stderr, "hl-gcbench: %s\n", err);
        return 2;
    }
    hl_rt *rt = hl_rt_new(&om, &im, &cfg, err, sizeof err);
    if (rt == NULL) {
        fprintf(stderr, "hl-gcbench: %s\n", err);
        return 1;
    }
    hl_rt_enter(rt);
    hl_class *rec = hl_class_new(rt, "Rec", NULL, NULL);

    uint64_t t0 = now_ns();
    hl_obj *root = build(rt, rec, groups);
    uint64_t t_build = now_ns() - t0;
    hl_gc_collect(rt, 2); /* everything into the oldest generation */
    size_t tracked = hl_gc_tracked_count(rt);

    uint64_t *ns = malloc((size_t)reps * sizeof *ns);
    for (long r = 0; r < reps; r++) {
        uint64_t s = now_ns();
        size_t freed = hl_gc_collect(rt, 2);
        ns[r] = now_ns() - s;
        if (freed != 0) {
            fprintf(stderr, "hl-gcbench: a collection freed %zu live objects\n", freed);
            return 1;
        }
    }
    qsort(ns, (size_t)reps, sizeof *ns, cmp_u64);
    uint64_t median = ns[reps / 2];

    hl_alloc_stats so, si;
    hl_allocator_stats(&om, &so);
    hl_allocator_stats(&im, &si);

    t0 = now_ns();
    hl_obj_decref(rt, root);
    (void)hl_gc_collect(rt, 2);
    uint64_t t_destroy = now_ns() - t0;
    /* Everything goes: by the collector, or (3.13's dicts that point into
     * their instances, which visit nothing) by refcounting on the way. */
    if (hl_gc_tracked_count(rt) != 0) {
        fprintf(stderr, "hl-gcbench: dropping root left %zu of %zu objects tracked\n",
                hl_gc_tracked_count(rt), tracked);
        return 1;
    }

    char options[256];
    hl_rt_config_describe(&cfg, options, sizeof options);
    printf("backend %s\n", backend);
    printf("python_model %s\n", hl_py_profile_name(cfg.profile));
    printf("model_options %s\n", options[0] ? options : "-");
    printf("groups %ld\n", groups);
    printf("tracked_objects %zu\n", tracked);
    printf("heap_bytes %" PRId64 "\n", so.live_bytes + si.live_bytes);
    printf("full_collect_median_ns %" PRIu64 "\n", median);
    printf("full_collect_min_ns %" PRIu64 "\n", ns[0]);
    printf("full_collect_ns_per_object %.2f\n", (double)median / (double)tracked);
    printf("build_ns_per_object %.2f\n", (double)t_build / (double)tracked);
    printf("destroy_ns_per_object %.2f\n", (double)t_destroy / (double)tracked);
    printf("churn_objects_per_second %.0f\n",
           (double)tracked / ((double)(t_build + t_destroy) * 1e-9));
    free(ns);
    hl_rt_leave(rt);
    hl_rt_free(rt);
    return 0;
}
