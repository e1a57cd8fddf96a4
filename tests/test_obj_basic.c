/* test_obj_basic.c - the object types: sizes against CPython 3.12's
 * sys.getsizeof table (measured with sys.getsizeof on CPython 3.12; every
 * profile against tests/data/cpython in test_obj_profiles.c), API edge
 * cases, reference ownership, list growth, dict stress against a model,
 * immortal objects (memory never written), atomic mode, teardown.
 *
 * Run: test_obj_basic [--backend system|pool]  (or HL_OBJ_BACKEND=pool)
 */
#include "test_obj_common.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

int hl__dict_validate(const hl_obj *d); /* objects/dict.c, for tests */

/* Bytes obj_mem + item_mem handed out while creating one object. */
#define BYTES_OF(rt, expr, out)                                                        \
    do {                                                                               \
        int64_t before_ = tobj_live_bytes();                                           \
        expr;                                                                          \
        out = tobj_live_bytes() - before_;                                             \
    } while (0)

TEST(sizes_match_cpython_312)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    cfg.profile = HL_PY_312;
    hl_rt *rt = tobj_rt(&cfg);
    hl_obj *o;
    int64_t b;
    /* int: getsizeof 28 below 2^30, +4 per 30-bit digit; the block of a
     * one-digit int is _PyLong_FromMedium's 32 */
    BYTES_OF(rt, o = hl_int_new(rt, 1000), b);
    CHECK_EQ_U64(b, 32);
    CHECK_EQ_U64(hl_obj_sizeof(o), 28);
    hl_obj_decref(rt, o);
    CHECK_EQ_U64(hl_obj_sizeof(hl_int_new(rt, 0)), 28);
    CHECK_EQ_U64(hl_obj_sizeof(hl_int_new(rt, 1)), 28);
    int64_t vals[] = {(1 << 30) - 1, 1 << 30, (int64_t)1 << 60, -((int64_t)1 << 60), INT64_MAX,
                      INT64_MIN, -1000};
    uint64_t sizes[] = {28, 32, 36, 36, 36, 36, 28};
    for (int i = 0; i < 7; i++) {
        o = hl_int_new(rt, vals[i]);
        CHECK_EQ_U64(hl_obj_sizeof(o), sizes[i]);
        CHECK(hl_int_value(o) == vals[i]);
        hl_obj_decref(rt, o);
    }
    BYTES_OF(rt, o = hl_float_new(rt, 2.5), b);
    CHECK_EQ_U64(b, 24);
    CHECK_EQ_U64(hl_obj_sizeof(o), 24);
    CHECK(hl_float_value(o) == 2.5);
    hl_obj_decref(rt, o);
    /* str: 41 + len (3.12 compact ASCII) */
    CHECK_EQ_U64(hl_obj_sizeof(hl_str_new(rt, "", 0)), 41);
    CHECK_EQ_U64(hl_obj_sizeof(hl_str_new(rt, "a", 1)), 42);
    BYTES_OF(rt, o = hl_str_from(rt, "hello world"), b);
    CHECK_EQ_U64(b, 52);
    CHECK_EQ_U64(hl_obj_sizeof(o), 52);
    hl_obj_decref(rt, o);
    /* tuples 40 / 48 / 64 */
    CHECK_EQ_U64(hl_obj_sizeof(hl_tuple_new(rt, 0)), 40);
    BYTES_OF(rt, o = hl_tuple_new(rt, 1), b);
    CHECK_EQ_U64(b, 48);
    CHECK_EQ_U64(hl_obj_sizeof(o), 48);
    hl_obj_decref(rt, o);
    o = hl_tuple_new(rt, 3);
    CHECK_EQ_U64(hl_obj_sizeof(o), 64);
    hl_obj_decref(rt, o);
    /* list: 56 + 8 * allocated; [] then append -> 88 as in CPython */
    BYTES_OF(rt, o = hl_list_new(rt), b);
    CHECK_EQ_U64(b, 56);
    CHECK_EQ_U64(hl_obj_sizeof(o), 56);
    hl_list_append(rt, o, hl_int_new(rt, 1));
    CHECK_EQ_U64(hl_obj_sizeof(o), 88);
    hl_obj_decref(rt, o);
    /* dict: {} 64, {"a": 1} 184, {1: 1} 224, 6 str keys 272 */
    BYTES_OF(rt, o = hl_dict_new(rt), b);
    CHECK_EQ_U64(b, 64);
    CHECK_EQ_U64(hl_obj_sizeof(o), 64);
    hl_dict_set_str(rt, o, "a", hl_int_new(rt, 1));
    CHECK_EQ_U64(hl_obj_sizeof(o), 184);
    hl_obj_decref(rt, o);
    o = hl_dict_new(rt);
    hl_dict_set_int(rt, o, 1, hl_int_new(rt, 1));
    CHECK_EQ_U64(hl_obj_sizeof(o), 224);
    hl_obj_decref(rt, o);
    o = hl_dict_new(rt);
    const char *keys[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"};
    for (int i = 0; i < 6; i++)
        hl_dict_set_str(rt, o, keys[i], hl_int_new(rt, i));
    CHECK_EQ_U64(hl_obj_sizeof(o), 272);
    hl_obj_decref(rt, o);
    /* instance 48 (its attribute values are a separate block: for the first
     * instance of a new class 264 bytes, room for 29 values) */
    hl_class *c = hl_class_new(rt, "C", NULL, NULL);
    BYTES_OF(rt, o = hl_inst_new(rt, c), b);
    CHECK_EQ_U64(b, 48 + 264);
    CHECK_EQ_U64(hl_obj_sizeof(o), 48);
    hl_obj_decref(rt, o);
    CHECK_EQ_U64(hl_obj_sizeof(hl_none(rt)), 16);
    tobj_rt_free(rt);
}

TEST(singletons_are_immortal_and_cached)
{
    /* PEP 683: 3.12 and later */
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    cfg.profile = HL_PY_312;
    hl_rt *rt = tobj_rt(&cfg);
    CHECK(hl_int_new(rt, -5) == hl_int_new(rt, -5));
    CHECK(hl_int_new(rt, 256) == hl_int_new(rt, 256));
    hl_obj *a = hl_int_new(rt, 257), *b = hl_int_new(rt, 257);
    CHECK(a != b);
    CHECK(!hl_obj_is_immortal(a));
    hl_obj_decref(rt, a);
    hl_obj_decref(rt, b);
    CHECK(hl_obj_is_immortal(hl_int_new(rt, 7)));
    CHECK(hl_str_new(rt, "x", 1) == hl_str_new(rt, "x", 1));
    CHECK(hl_obj_is_immortal(hl_str_new(rt, "", 0)));
    CHECK(hl_tuple_new(rt, 0) == hl_tuple_new(rt, 0));
    CHECK(hl_obj_is_immortal(hl_none(rt)));
    CHECK(hl_getrefcount(hl_none(rt)) == 4294967295u);
    for (int i = 0; i < 10; i++)
        hl_obj_decref(rt, hl_int_new(rt, 3)); /* decref of an immortal: harmless */
    CHECK(hl_int_value(hl_int_new(rt, 3)) == 3);
    tobj_rt_free(rt);

    /* 3.11: the same cached objects, mortal with counts in the billions,
     * written by every incref and decref */
    cfg.profile = HL_PY_311;
    rt = tobj_rt(&cfg);
    hl_obj *seven = hl_int_new(rt, 7);
    CHECK(seven == hl_int_new(rt, 7) && !hl_obj_is_immortal(seven));
    CHECK(!hl_obj_is_immortal(hl_none(rt)) && !hl_obj_is_immortal(hl_tuple_new(rt, 0)));
    uint64_t before = hl_getrefcount(seven);
    CHECK(before > 1000000 && before < HL_IMMORTAL_REFCNT);
    hl_obj_incref(rt, seven);
    CHECK_EQ_U64(hl_getrefcount(seven), before + 1);
    hl_obj_decref(rt, seven);
    CHECK_EQ_U64(hl_getrefcount(seven), before);
    tobj_rt_free(rt);
}

TEST(ownership_rules)
{
    hl_rt *rt = tobj_rt(NULL);
    tobj_tracker *t = calloc(1, sizeof *t);
    hl_rt_set_dealloc_hook(rt, tobj_hook, t);
    hl_obj *l = hl_list_new(rt);
    hl_obj *s = hl_str_from(rt, "payload");
    size_t sid = tobj_track(t, s);
    hl_obj_incref(rt, s);
    CHECK(hl_list_append(rt, l, s) == 0); /* steals one */
    CHECK_EQ_U64(hl_getrefcount(s), 2);
    CHECK(hl_list_get(l, 0) == s);         /* borrowed */
    CHECK_EQ_U64(hl_getrefcount(s), 2);
    hl_obj *p = hl_list_pop(rt, l, 0);     /* new reference */
    CHECK(p == s);
    CHECK_EQ_U64(hl_getrefcount(s), 2);
    CHECK_EQ_U64(hl_list_len(l), 0);
    hl_obj_decref(rt, p);
    CHECK(!t->freed[sid]);
    hl_list_append(rt, l, s);              /* l owns our last reference */
    size_t lid = tobj_track(t, l);
    hl_obj_decref(rt, l);
    CHECK(t->freed[lid] && t->freed[sid]);
    CHECK(hl_list_pop(rt, hl_list_new(rt), 0) == NULL); /* leaks nothing: list freed below */
    /* dict replaces: old value released, key reused */
    hl_obj *d = hl_dict_new(rt);
    hl_obj *v1 = hl_float_new(rt, 1.0);
    size_t v1id = tobj_track(t, v1);
    hl_dict_set_str(rt, d, "k", v1);
    hl_dict_set_str(rt, d, "k", hl_float_new(rt, 2.0));
    CHECK(t->freed[v1id]);
    CHECK(hl_float_value(hl_dict_get_str(d, "k")) == 2.0);
    CHECK_EQ_U64(hl_dict_len(d), 1);
    /* unhashable key: both references released, error returned */
    hl_obj *badkey = hl_list_new(rt);
    size_t bid = tobj_track(t, badkey);
    CHECK(hl_dict_set(rt, d, badkey, hl_int_new(rt, 1)) == -1);
    CHECK(t->freed[bid]);
    CHECK(hl_dict_del_str(rt, d, "absent") == -1);
    CHECK(hl_list_set(rt, hl_list_new(rt), 3, hl_int_new(rt, 9)) == -1);
    hl_obj_decref(rt, d);
    hl_rt_set_dealloc_hook(rt, NULL, NULL);
    free(t);
    hl_gc_collect(rt, 2);
    tobj_rt_free(rt);
}

TEST(list_growth_pattern_and_model)
{
    hl_rt *rt = tobj_rt(NULL);
    hl_obj *l = hl_list_new(rt);
    /* CPython 3.9+: 0, 4, 8, 16, 24, 32, 40, 52, 64, 76 */
    size_t expect[] = {4, 8, 16, 24, 32, 40, 52, 64, 76};
    size_t k = 0, last = 0;
    for (int i = 0; i < 70; i++) {
        hl_list_append(rt, l, hl_int_new(rt, i));
        if (hl_list_allocated(l) != last) {
            last = hl_list_allocated(l);
            CHECK(k < 9 && last == expect[k]);
            k++;
        }
    }
    CHECK_EQ_U64(k, 9);
    /* shrinking below half the allocation reallocates */
    while (hl_list_len(l) > 20)
        hl_obj_decref(rt, hl_list_pop(rt, l, hl_list_len(l) - 1));
    CHECK(hl_list_allocated(l) < 76);
    CHECK(hl_list_allocated(l) >= 20);
    hl_obj_decref(rt, l);

    /* random operations against an array model */
    uint64_t seed = 42;
    int64_t model[512];
    size_t n = 0;
    l = hl_list_new(rt);
    for (int step = 0; step < 20000; step++) {
        uint64_t r = hl_test_rand(&seed);
        int op = (int)(r % 4);
        if (op <= 1 && n < 512) {
            int64_t v = (int64_t)(r >> 8) % 100000;
            model[n++] = v;
            CHECK(hl_list_append(rt, l, hl_int_new(rt, v)) == 0);
        } else if (op == 2 && n > 0) {
            size_t i = (r >> 8) % n;
            hl_obj *p = hl_list_pop(rt, l, i);
            CHECK(p && hl_int_value(p) == model[i]);
            hl_obj_decref(rt, p);
            memmove(&model[i], &model[i + 1], (n - i - 1) * sizeof model[0]);
            n--;
        } else if (op == 3 && n > 0) {
            size_t i = (r >> 8) % n;
            model[i] = -(int64_t)step;
            CHECK(hl_list_set(rt, l, i, hl_int_new(rt, model[i])) == 0);
        }
        CHECK_EQ_U64(hl_list_len(l), n);
        if (step % 997 == 0)
            for (size_t i = 0; i < n; i++)
                CHECK(hl_int_value(hl_list_get(l, i)) == model[i]);
    }
    for (size_t i = 0; i < n; i++)
        CHECK(hl_int_value(hl_list_get(l, i)) == model[i]);
    CHECK(hl_list_get(l, n) == NULL);
    hl_obj_decref(rt, l);
    CHECK(tobj_valid(rt));
    tobj_rt_free(rt);
}

TEST(dict_stress_against_model)
{
    hl_rt *rt = tobj_rt(NULL);
    enum { NKEYS = 300 };
    int64_t model[NKEYS];
    bool present[NKEYS] = {0};
    size_t count = 0;
    uint64_t seed = 7;
    hl_obj *dint = hl_dict_new(rt), *dstr = hl_dict_new(rt);
    int64_t model_s[NKEYS];
    bool present_s[NKEYS] = {0};
    size_t count_s = 0;
    char key[32];
    for (int step = 0; step < 30000; step++) {
        uint64_t r = hl_test_rand(&seed);
        size_t k = (r >> 8) % NKEYS;
        int64_t kv = (int64_t)k * 7919 - 1000; /* negative and positive, some small */
        int op = (int)(r % 5);
        if (op <= 2) {
            int64_t v = step;
            CHECK(hl_dict_set_int(rt, dint, kv, hl_int_new(rt, v)) == 0);
            count += !present[k];
            present[k] = true;
            model[k] = v;
            snprintf(key, sizeof key, "key-%zu", k);
            CHECK(hl_dict_set_str(rt, dstr, key, hl_int_new(rt, v)) == 0);
            count_s += !present_s[k];
            present_s[k] = true;
            model_s[k] = v;
        } else {
            CHECK((hl_dict_del_int(rt, dint, kv) == 0) == present[k]);
            count -= present[k];
            present[k] = false;
            snprintf(key, sizeof key, "key-%zu", k);
            CHECK((hl_dict_del_str(rt, dstr, key) == 0) == present_s[k]);
            count_s -= present_s[k];
            present_s[k] = false;
        }
        CHECK_EQ_U64(hl_dict_len(dint), count);
        CHECK_EQ_U64(hl_dict_len(dstr), count_s);
        if (step % 1009 == 0) {
            CHECK(hl__dict_validate(dint) == 0);
            CHECK(hl__dict_validate(dstr) == 0);
            for (size_t i = 0; i < NKEYS; i++) {
                hl_obj *v = hl_dict_get_int(dint, (int64_t)i * 7919 - 1000);
                CHECK(present[i] ? (v && hl_int_value(v) == model[i]) : v == NULL);
                snprintf(key, sizeof key, "key-%zu", i);
                v = hl_dict_get_str(dstr, key);
                CHECK(present_s[i] ? (v && hl_int_value(v) == model_s[i]) : v == NULL);
            }
        }
    }
    /* the table stays bounded by the live entries despite churn */
    CHECK(hl_obj_sizeof(dint) < 64 + 32 + 8 * 1024 + 24 * 700);
    /* lookups with objects equal but not identical */
    hl_obj *probe = hl_int_new(rt, 0 * 7919 - 1000);
    CHECK((hl_dict_get(dint, probe) != NULL) == present[0]);
    hl_obj_decref(rt, probe);
    /* insertion order kept by iteration, deletions skipped */
    hl_obj *d = hl_dict_new(rt);
    for (int i = 0; i < 50; i++)
        hl_dict_set_int(rt, d, i * 3, hl_int_new(rt, i));
    for (int i = 0; i < 50; i += 2)
        hl_dict_del_int(rt, d, i * 3);
    size_t pos = 0, seen = 0;
    hl_obj *kk, *vv;
    int expect = 1;
    while (hl_dict_next(d, &pos, &kk, &vv)) {
        CHECK(hl_int_value(vv) == expect && hl_int_value(kk) == expect * 3);
        expect += 2;
        seen++;
    }
    CHECK_EQ_U64(seen, 25);
    /* a str-keyed table switches to the general layout on an int key */
    hl_obj *mixed = hl_dict_new(rt);
    hl_dict_set_str(rt, mixed, "a", hl_int_new(rt, 1));
    hl_dict_set_int(rt, mixed, 5, hl_int_new(rt, 2));
    hl_dict_set(rt, mixed, hl_str_from(rt, "bb"), hl_int_new(rt, 3));
    CHECK(hl_int_value(hl_dict_get_str(mixed, "a")) == 1);
    CHECK(hl_int_value(hl_dict_get_int(mixed, 5)) == 2);
    CHECK(hl_int_value(hl_dict_get_str(mixed, "bb")) == 3);
    CHECK(hl__dict_validate(mixed) == 0);
    CHECK_EQ_U64(hl_obj_sizeof(mixed), 224);
    hl_obj_decref(rt, mixed);
    hl_obj_decref(rt, d);
    hl_obj_decref(rt, dint);
    hl_obj_decref(rt, dstr);
    tobj_rt_free(rt);
}

/* Every layout: the profiles' values arrays and instances=dict. */
static void instances_and_attributes_with(const hl_rt_config *cfg, bool dict_layout)
{
    hl_rt *rt = tobj_rt(cfg);
    hl_class *pt = hl_class_new(rt, "Point", NULL, NULL);
    hl_obj *p = hl_inst_new(rt, pt);
    CHECK(hl_inst_dict(p) == NULL);
    CHECK(hl_inst_getattr(p, "x") == NULL);
    CHECK(hl_inst_delattr(rt, p, "x") == -1);
    CHECK(hl_inst_setattr(rt, p, "x", hl_int_new(rt, 3)) == 0);
    CHECK(hl_inst_setattr(rt, p, "y", hl_float_new(rt, 4.5)) == 0);
    CHECK(hl_int_value(hl_inst_getattr(p, "x")) == 3);
    CHECK(hl_float_value(hl_inst_getattr(p, "y")) == 4.5);
    CHECK(hl_inst_delattr(rt, p, "x") == 0);
    CHECK(hl_inst_getattr(p, "x") == NULL);
    CHECK_STR(hl_class_name(hl_inst_class(p)), "Point");
    CHECK_STR(hl_obj_type_name(p), "Point");
    hl_inst_set_tag(p, 77);
    CHECK_EQ_U64(hl_inst_tag(p), 77);
    if (dict_layout) {
        /* eager tracking keeps the dict tracked, as heaplab's older model */
        CHECK(hl_gc_is_tracked(p) && hl_inst_dict(p) != NULL);
        CHECK(hl_gc_is_tracked(hl_inst_dict(p)) == !cfg->lazy_dict_tracking);
    } else {
        CHECK(hl_gc_is_tracked(p) && hl_inst_dict(p) == NULL && hl_inst_has_values(p));
    }
    CHECK(!hl_gc_is_tracked(hl_inst_getattr(p, "y")));
    hl_obj_decref(rt, p);
    CHECK_EQ_U64(hl_gc_tracked_count(rt), 0);
    tobj_rt_free(rt);
}

TEST(instances_and_attributes)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    cfg.instances = HL_INST_DICT;
    cfg.lazy_dict_tracking = false;
    instances_and_attributes_with(&cfg, true);
    cfg.lazy_dict_tracking = true;
    instances_and_attributes_with(&cfg, true);
    hl_py_profile profiles[] = {HL_PY_311, HL_PY_312, HL_PY_313};
    for (int i = 0; i < 3; i++) {
        hl_rt_config_default(&cfg);
        cfg.profile = profiles[i];
        instances_and_attributes_with(&cfg, false);
    }
}

TEST(tuple_api)
{
    hl_rt *rt = tobj_rt(NULL);
    hl_obj *t = hl_tuple_pack(rt, 3, hl_int_new(rt, 1), hl_str_from(rt, "two"),
                              hl_float_new(rt, 3.0));
    CHECK_EQ_U64(hl_tuple_len(t), 3);
    CHECK(hl_int_value(hl_tuple_get(t, 0)) == 1);
    CHECK(hl_str_len(hl_tuple_get(t, 1)) == 3 && memcmp(hl_str_data(hl_tuple_get(t, 1)), "two", 3) == 0);
    CHECK(hl_tuple_get(t, 3) == NULL);
    hl_obj *half = hl_tuple_new(rt, 4); /* NULL slots are fine for traverse/collect */
    hl_tuple_set(rt, half, 1, hl_obj_newref(rt, t));
    hl_gc_collect(rt, 2);
    CHECK(hl_tuple_get(half, 0) == NULL && hl_tuple_get(half, 1) == t);
    hl_obj_decref(rt, half);
    CHECK_EQ_U64(hl_getrefcount(t), 1);
    hl_obj_decref(rt, t);
    tobj_rt_free(rt);
}

/* ---- immortality: a backend that gives every block its own pages --------- */

static void *page_malloc(void *ctx, size_t n)
{
    size_t len = (n + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, len ? len : 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static void *page_calloc(void *ctx, size_t c, size_t n) { return page_malloc(ctx, c * n); }
static void *page_realloc(void *ctx, void *p, size_t n) { (void)p; (void)n; return NULL; }
static void page_free(void *ctx, void *p) { (void)p; } /* size unknown: freed sized */
static void page_free_sized(void *ctx, void *p, size_t n)
{
    munmap(p, ((n + 4095) & ~(size_t)4095) ?: 4096);
}
static size_t page_usable(void *ctx, const void *p) { (void)p; return 0; }

static const hl_backend page_backend = {
    .name = "pages", .thread_safe = true, /* test: one mapping per block */
    .malloc = page_malloc, .calloc = page_calloc, .realloc = page_realloc,
    .free = page_free, .free_sized = page_free_sized, .usable_size = page_usable};

TEST(immortal_memory_is_never_written)
{
    char err[256];
    hl_allocator om;
    REQUIRE(hl_allocator_init(&om, &page_backend, NULL, "pages", err, sizeof err) == 0);
    om.use_sized_free = true;
    for (int mode = 0; mode < 2; mode++) {
        hl_rt_config cfg;
        hl_rt_config_default(&cfg);
        cfg.refcount = mode ? HL_RC_ATOMIC : HL_RC_PLAIN;
        hl_rt *rt = hl_rt_new(&om, &tobj_im, &cfg, err, sizeof err);
        REQUIRE(rt != NULL);
        hl_obj *objs[3] = {hl_int_new(rt, 123456), hl_str_from(rt, "immortal string"),
                           hl_list_new(rt)};
        for (int i = 0; i < 3; i++) {
            CHECK(hl_obj_immortalize(rt, objs[i]) == 0);
            CHECK(hl_obj_is_immortal(objs[i]));
        }
        hl_gc_collect(rt, 2); /* before protecting: the list is tracked */
        for (int i = 0; i < 2; i++) {
            void *page = (void *)((uintptr_t)objs[i] & ~(uintptr_t)4095);
            REQUIRE(mprotect(page, 4096, PROT_READ) == 0);
            /* any write would fault (SIGSEGV ends the test binary) */
            for (int k = 0; k < 1000; k++)
                hl_obj_incref(rt, objs[i]);
            for (int k = 0; k < 3000; k++)
                hl_obj_decref(rt, objs[i]);
            (void)hl_obj_hash(objs[i]); /* str hash of an immortal is not cached */
            CHECK(hl_getrefcount(objs[i]) == HL_IMMORTAL_REFCNT);
            REQUIRE(mprotect(page, 4096, PROT_READ | PROT_WRITE) == 0);
        }
        hl_obj_decref(rt, objs[2]);
        CHECK(hl_gc_is_tracked(objs[2]));
        hl_rt_free(rt); /* frees the immortals too */
        hl_alloc_stats st;
        hl_allocator_stats(&om, &st);
        CHECK(st.live_bytes == 0);
    }
}

static void *hammer(void *arg)
{
    void **a = arg;
    hl_rt *rt = a[0];
    hl_obj *o = a[1];
    for (int i = 0; i < 200000; i++) {
        hl_obj_incref(rt, o);
        hl_obj_decref(rt, o);
    }
    return NULL;
}

TEST(atomic_refcounts_from_threads)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    cfg.refcount = HL_RC_ATOMIC;
    hl_rt *rt = tobj_rt(&cfg);
    CHECK(hl_rt_refcount_mode(rt) == HL_RC_ATOMIC);
    hl_obj *o = hl_float_new(rt, 1.0);
    void *arg[2] = {rt, o};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, arg);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ_U64(hl_getrefcount(o), 1);
    hl_obj_decref(rt, o);
    /* the rest of the API works the same in atomic mode */
    hl_obj *l = hl_list_new(rt);
    for (int i = 0; i < 1000; i++)
        hl_list_append(rt, l, hl_list_new(rt));
    hl_list_append(rt, l, hl_obj_newref(rt, l));
    hl_obj_decref(rt, l);
    CHECK(hl_gc_collect(rt, 2) == 1001);
    tobj_rt_free(rt);
}

/* PEP 703's biased counts: the owner's operations on the local half, the
 * other threads' atomic ones on the shared half, merged by the owner. */
static void *drop_one(void *arg)
{
    void **a = arg;
    hl_obj_decref(a[0], a[1]);
    return NULL;
}

TEST(biased_refcounts_from_threads)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    cfg.refcount = HL_RC_BIASED;
    hl_rt *rt = tobj_rt(&cfg);
    CHECK(hl_rt_refcount_mode(rt) == HL_RC_BIASED);
    /* other threads: shared +1 / -1, never negative: no merge needed */
    hl_obj *o = hl_float_new(rt, 1.0);
    uint64_t word0 = o->refcnt;
    void *arg[2] = {rt, o};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, arg);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ_U64(hl_getrefcount(o), 1);
    CHECK_EQ_U64(o->refcnt, word0); /* local 1, shared 0: nothing merged */
    /* the owner's own operations touch only the local half */
    hl_obj_incref(rt, o);
    CHECK_EQ_U64(o->refcnt, word0 + 1);
    hl_obj_decref(rt, o);
    /* a reference the owner took, dropped by another thread: the shared
     * count would go negative, so the object is queued to the owner, which
     * merges at its next eval-breaker check */
    hl_obj_incref(rt, o);
    hl_obj_incref(rt, o); /* local 3 */
    tobj_tracker *t = calloc(1, sizeof *t);
    hl_rt_set_dealloc_hook(rt, tobj_hook, t);
    size_t id = tobj_track(t, o);
    for (int i = 0; i < 2; i++) {
        pthread_t one;
        pthread_create(&one, NULL, drop_one, arg);
        pthread_join(one, NULL);
    }
    CHECK_EQ_U64(hl_getrefcount(o), 2); /* 3 local, shared -1 (queued) */
    hl_rt_check_eval_breaker(rt);       /* merge: (-1) + 3 - 1 (the queue's) + 1 */
    CHECK_EQ_U64(hl_getrefcount(o), 1);
    CHECK(!t->freed[id]);
    CHECK((uint32_t)o->refcnt == 0); /* merged: local 0, all in shared */
    hl_obj_decref(rt, o);            /* merged objects count on shared: 0 frees */
    CHECK(t->freed[id]);
    hl_rt_set_dealloc_hook(rt, NULL, NULL);
    free(t);
    /* immortal objects are never written, the collector sees true counts */
    hl_obj *l = hl_list_new(rt);
    for (int i = 0; i < 1000; i++)
        hl_list_append(rt, l, hl_list_new(rt));
    hl_list_append(rt, l, hl_obj_newref(rt, l));
    hl_obj_decref(rt, l);
    CHECK(hl_gc_collect(rt, 2) == 1001);
    CHECK(hl_obj_is_immortal(hl_none(rt)) == (cfg.profile >= HL_PY_312));
    tobj_rt_free(rt);
}

TEST(config_errors_and_teardown)
{
    char err[256];
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    /* the thresholds are the profile's */
    uint32_t th[3];
    cfg.profile = HL_PY_311;
    hl_rt *prt = tobj_rt(&cfg);
    hl_gc_get_threshold(prt, th);
    CHECK(th[0] == 700 && th[1] == 10 && th[2] == 10);
    tobj_rt_free(prt);
    cfg.profile = HL_PY_313;
    prt = tobj_rt(&cfg);
    hl_gc_get_threshold(prt, th);
    CHECK(th[0] == 2000 && th[1] == 10 && th[2] == 10);
    tobj_rt_free(prt);
    cfg.threshold[1] = 2000000000u;
    CHECK(hl_rt_new(&tobj_om, &tobj_im, &cfg, err, sizeof err) == NULL);
    CHECK(strstr(err, "threshold 1") != NULL);
    CHECK(hl_rt_new(NULL, &tobj_im, NULL, err, sizeof err) == NULL);
    hl_rc_mode m;
    CHECK(hl_rc_mode_parse("atomic", &m, err, sizeof err) == 0 && m == HL_RC_ATOMIC);
    CHECK(hl_rc_mode_parse("plain", &m, err, sizeof err) == 0 && m == HL_RC_PLAIN);
    CHECK(hl_rc_mode_parse("biased", &m, err, sizeof err) == 0 && m == HL_RC_BIASED);
    CHECK(hl_rc_mode_parse("fast", &m, err, sizeof err) == -1);
    CHECK(strstr(err, "'fast'") != NULL);

    /* teardown frees everything the runtime can reach: cycles, frozen
     * objects, roots, immortals, caches */
    int64_t base = tobj_live_bytes();
    hl_rt *rt = tobj_rt(NULL);
    CHECK(hl_gil_held);
    hl_obj *cyc = hl_list_new(rt);
    hl_list_append(rt, cyc, hl_obj_newref(rt, cyc));
    hl_list_append(rt, cyc, hl_str_from(rt, "held by a cycle"));
    hl_obj_decref(rt, cyc);
    hl_obj *frozen = hl_dict_new(rt);
    hl_dict_set_str(rt, frozen, "self", hl_obj_newref(rt, frozen));
    hl_obj_decref(rt, frozen);
    hl_gc_freeze(rt);
    hl_obj *root = hl_list_new(rt);
    hl_list_append(rt, root, hl_float_new(rt, 9.0));
    CHECK(hl_rt_add_root(rt, root) == 0);
    hl_obj_decref(rt, root);
    hl_obj *imm = hl_dict_new(rt);
    hl_dict_set_int(rt, imm, 1000, hl_str_from(rt, "value"));
    hl_obj_immortalize(rt, imm);
    CHECK(hl_rt_live_objects(rt) > 0);
    tobj_rt_free(rt);
    CHECK(!hl_gil_held);
    CHECK(tobj_live_bytes() == base);
}

#include <signal.h>
#include <sys/wait.h>

/* Debug builds check the refcount invariant on every incref/decref: a decref
 * of an object that was already freed must stop the program, not corrupt
 * the heap.  (Under ASan the sanitizer stops it first.) */
TEST(refcount_invariant_violation_aborts)
{
#ifndef HL_DEBUG
    SKIP("needs a Debug build (HL_DEBUG)");
#else
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        hl_rt *rt = hl_rt_new(&tobj_om, &tobj_im, NULL, NULL, 0);
        hl_obj *l = hl_list_new(rt);
        hl_obj_decref(rt, l);
        hl_obj_decref(rt, l); /* the bug */
        _exit(0);
    }
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
          (WIFEXITED(status) && WEXITSTATUS(status) != 0));
#endif
}

int main(int argc, char **argv)
{
    tobj_init(argc, argv);
    RUN(sizes_match_cpython_312);
    RUN(singletons_are_immortal_and_cached);
    RUN(ownership_rules);
    RUN(list_growth_pattern_and_model);
    RUN(dict_stress_against_model);
    RUN(instances_and_attributes);
    RUN(tuple_api);
    RUN(immortal_memory_is_never_written);
    RUN(atomic_refcounts_from_threads);
    RUN(biased_refcounts_from_threads);
    RUN(config_errors_and_teardown);
    RUN(refcount_invariant_violation_aborts);
    return hl_test_summary();
}
