/* test_obj_deep.c - freeing deep structures must not recurse without bound.
 *
 * A naive recursive dealloc would need one C stack frame per level: with an
 * 8 MiB stack, a million levels overflow it.  These tests build chains of
 * 10 million tuples (1 million under sanitizers, still far beyond a naive
 * recursion) and a million nested lists and instance.next links, drop the
 * head, and check everything was freed.  The last test makes the chain a
 * cycle so that the collector, not refcounting, frees it.
 */
#include "test_obj_common.h"

#ifdef HL_SANITIZE
#define LONG_CHAIN 1000000
#define CHAIN 400000
#else
#define LONG_CHAIN 10000000
#define CHAIN 1000000
#endif

static hl_rt *quiet_rt_with(const hl_rt_config *cfg)
{
    hl_rt *rt = tobj_rt(cfg);
    hl_gc_set_validate_each(rt, false); /* O(heap) per collection: too slow here */
    return rt;
}

static hl_rt *quiet_rt(void)
{
    hl_rt *rt = tobj_rt(NULL);
    hl_gc_set_validate_each(rt, false); /* O(heap) per collection: too slow here */
    return rt;
}

TEST(ten_million_nested_tuples)
{
    int64_t base = tobj_live_bytes();
    hl_rt *rt = quiet_rt();
    hl_gc_disable(rt); /* building 10M containers: keep it quick */
    hl_obj *cur = hl_tuple_new(rt, 0);
    for (long i = 0; i < LONG_CHAIN; i++) {
        hl_obj *t = hl_tuple_new(rt, 1);
        REQUIRE(t != NULL);
        hl_tuple_set(rt, t, 0, cur);
        cur = t;
    }
    CHECK_EQ_U64(hl_gc_tracked_count(rt), LONG_CHAIN);
    hl_obj_decref(rt, cur);
    CHECK_EQ_U64(hl_gc_tracked_count(rt), 0);
    CHECK(tobj_valid(rt));
    tobj_rt_free(rt);
    CHECK(tobj_live_bytes() == base);
}

TEST(nested_lists_and_dicts)
{
    hl_rt *rt = quiet_rt();
    hl_obj *cur = hl_list_new(rt);
    for (long i = 0; i < CHAIN; i++) {
        hl_obj *n = (i & 1) ? hl_list_new(rt) : hl_dict_new(rt);
        if (i & 1)
            hl_list_append(rt, n, cur);
        else
            hl_dict_set_int(rt, n, i, cur);
        cur = n;
    }
    uint64_t live = hl_rt_live_objects(rt);
    hl_obj_decref(rt, cur);
    /* lists and dicts, and the dicts' int keys except the cached 0, 2, ..., 256 */
    CHECK_EQ_U64(live - hl_rt_live_objects(rt), CHAIN + 1 + CHAIN / 2 - 129);
    CHECK_EQ_U64(hl_gc_tracked_count(rt), 0);
    tobj_rt_free(rt);
}

/* Instances have an attribute dict each with instances=dict, none in the
 * profiles' layouts (values arrays). */
static void instance_next_chain_with(const hl_rt_config *cfg, bool dict_layout, long chain)
{
    hl_rt *rt = quiet_rt_with(cfg);
    hl_class *node = hl_class_new(rt, "Node", NULL, NULL);
    hl_obj *head = hl_none(rt);
    for (long i = 0; i < chain; i++) {
        hl_obj *n = hl_inst_new(rt, node);
        hl_inst_setattr(rt, n, "next", head);
        head = n;
    }
    /* instance + its dict: the dict of a dict layout holds an instance, so
     * it is tracked even with lazy tracking */
    CHECK_EQ_U64(hl_gc_tracked_count(rt), (dict_layout ? 2 : 1) * (uint64_t)chain - dict_layout);
    hl_obj_decref(rt, head);
    CHECK_EQ_U64(hl_gc_tracked_count(rt), 0);
    tobj_rt_free(rt);
}

TEST(instance_next_chain)
{
    hl_rt_config cfg;
    static const hl_py_profile profiles[] = {HL_PY_311, HL_PY_312, HL_PY_313};
    for (int p = 0; p < 3; p++) {
        hl_rt_config_default(&cfg);
        cfg.profile = profiles[p];
        instance_next_chain_with(&cfg, false, p == 0 ? CHAIN : CHAIN / 4);
    }
    hl_rt_config_default(&cfg);
    cfg.instances = HL_INST_DICT;
    instance_next_chain_with(&cfg, true, CHAIN / 4);
}

static int finalized;
static void count_fin(hl_rt *rt, hl_obj *self, void *ctx) { finalized++; }

static void deep_cycle_with(const hl_rt_config *cfg, bool dict_layout, long chain)
{
    hl_rt *rt = quiet_rt_with(cfg);
    hl_class *node = hl_class_new(rt, "FinNode", count_fin, NULL);
    hl_obj *first = hl_list_new(rt);
    hl_obj *cur = hl_obj_newref(rt, first);
    for (long i = 0; i < chain; i++) {
        hl_obj *n = (i % 100 == 0) ? hl_inst_new(rt, node) : hl_list_new(rt);
        if (hl_obj_kind(n) == HL_KIND_INST)
            hl_inst_setattr(rt, n, "next", cur);
        else
            hl_list_append(rt, n, cur);
        cur = n;
    }
    hl_list_append(rt, first, cur); /* close the cycle: first -> last -> ... -> first */
    hl_obj_decref(rt, first);
    finalized = 0;
    size_t n = hl_gc_collect(rt, 2);
    /* lists, instances, their dicts (instances=dict) */
    CHECK_EQ_U64(n, chain + 1 + (dict_layout ? chain / 100 : 0));
    CHECK_EQ_U64(finalized, chain / 100);
    CHECK_EQ_U64(hl_gc_tracked_count(rt), 0);
    CHECK(tobj_valid(rt));
    tobj_rt_free(rt);
}

TEST(deep_cycle_freed_by_the_collector)
{
    hl_rt_config cfg;
    static const hl_py_profile profiles[] = {HL_PY_311, HL_PY_312, HL_PY_313};
    for (int p = 0; p < 3; p++) {
        hl_rt_config_default(&cfg);
        cfg.profile = profiles[p];
        deep_cycle_with(&cfg, false, p == 0 ? CHAIN : CHAIN / 4);
    }
    hl_rt_config_default(&cfg);
    cfg.instances = HL_INST_DICT;
    cfg.gc_passes = HL_GC_PASSES_FUSED;
    cfg.dealloc = HL_DEALLOC_DEFERRED;
    deep_cycle_with(&cfg, true, CHAIN / 4);
}

int main(int argc, char **argv)
{
    tobj_init(argc, argv);
    RUN(ten_million_nested_tuples);
    RUN(nested_lists_and_dicts);
    RUN(instance_next_chain);
    RUN(deep_cycle_freed_by_the_collector);
    return hl_test_summary();
}
