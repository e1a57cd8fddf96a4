/* test_obj_introspect.c - introspection on graphs with known answers:
 * getrefcount, referents, referrers, type counts and growth, back-reference
 * chains, leaking objects and the exact DOT text of show_refs/show_backrefs.
 * (The memory timeline sampler is the harness's: tests/test_timeline.c.)
 *
 * The graph:   L = [D, I, 1000, "hello"]     D = {"k": I}
 *              I = Node(), I.name = "n1"     (I's attributes: dict Id)
 *
 * The graph is built on a runtime with an attribute dict per instance and
 * every dict tracked (instances=dict, dict_tracking=eager, the 3.12
 * profile for its immortal small ints): the answers below are those of
 * that model.  The profiles' own layout (attributes in a values array, no
 * dict) is checked by instance_values_are_referents.
 */
#include "test_obj_common.h"

#include <stdio.h>
#include <time.h>

typedef struct graph {
    hl_obj *L, *D, *I, *Id, *n1, *i1000, *hello;
} graph;

static hl_rt *dict_model_rt(void)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    cfg.profile = HL_PY_312;
    cfg.instances = HL_INST_DICT;
    cfg.lazy_dict_tracking = false;
    return tobj_rt(&cfg);
}

static graph build(hl_rt *rt)
{
    graph g;
    hl_class *node = hl_class_new(rt, "Node", NULL, NULL);
    g.L = hl_list_new(rt);
    g.D = hl_dict_new(rt);
    g.I = hl_inst_new(rt, node);
    g.n1 = hl_str_from(rt, "n1");
    hl_inst_setattr(rt, g.I, "name", g.n1);
    g.Id = hl_inst_dict(g.I);
    hl_dict_set_str(rt, g.D, "k", hl_obj_newref(rt, g.I));
    g.i1000 = hl_int_new(rt, 1000);
    g.hello = hl_str_from(rt, "hello");
    hl_list_append(rt, g.L, g.D);
    hl_list_append(rt, g.L, g.I);
    hl_list_append(rt, g.L, g.i1000);
    hl_list_append(rt, g.L, g.hello);
    return g; /* the test holds only L */
}

/* Reads what a callback wrote to a FILE* into a malloc'd string. */
#define CAPTURE(buf, stmt)                                                             \
    do {                                                                               \
        size_t len_;                                                                   \
        FILE *f_ = open_memstream(&(buf), &len_);                                      \
        stmt;                                                                          \
        fclose(f_);                                                                    \
    } while (0)

TEST(refcounts_referents_referrers)
{
    hl_rt *rt = dict_model_rt();
    graph g = build(rt);
    CHECK_EQ_U64(hl_getrefcount(g.L), 1);
    CHECK_EQ_U64(hl_getrefcount(g.I), 2); /* L and D */
    CHECK_EQ_U64(hl_getrefcount(g.n1), 1);
    CHECK_EQ_U64(hl_getrefcount(hl_int_new(rt, 5)), HL_IMMORTAL_REFCNT);
    hl_obj *out[8];
    CHECK_EQ_U64(hl_get_referents(g.L, out, 8), 4);
    CHECK(out[0] == g.D && out[1] == g.I && out[2] == g.i1000 && out[3] == g.hello);
    CHECK_EQ_U64(hl_get_referents(g.L, out, 2), 4); /* total even when truncated */
    CHECK_EQ_U64(hl_get_referents(g.D, out, 8), 1); /* str keys are not visited */
    CHECK(out[0] == g.I);
    CHECK_EQ_U64(hl_get_referents(g.I, out, 8), 1);
    CHECK(out[0] == g.Id);
    CHECK_EQ_U64(hl_get_referents(g.hello, out, 8), 0);
    CHECK_EQ_U64(hl_get_referrers(rt, g.I, out, 8), 2);
    CHECK(out[0] == g.L && out[1] == g.D);
    CHECK_EQ_U64(hl_get_referrers(rt, g.n1, out, 8), 1);
    CHECK(out[0] == g.Id);
    CHECK_EQ_U64(hl_get_referrers(rt, g.L, out, 8), 0);
    /* a list referring to I twice is listed once */
    hl_obj *twice = hl_list_new(rt);
    hl_list_append(rt, twice, hl_obj_newref(rt, g.I));
    hl_list_append(rt, twice, hl_obj_newref(rt, g.I));
    CHECK_EQ_U64(hl_get_referrers(rt, g.I, out, 8), 3);
    hl_obj_decref(rt, twice);
    /* int-keyed dicts visit their keys */
    hl_obj *d = hl_dict_new(rt);
    hl_dict_set_int(rt, d, 4000, hl_obj_newref(rt, g.hello));
    CHECK_EQ_U64(hl_get_referents(d, out, 8), 2);
    CHECK(hl_obj_kind(out[0]) == HL_KIND_INT && hl_int_value(out[0]) == 4000 && out[1] == g.hello);
    hl_obj_decref(rt, d);
    hl_obj_decref(rt, g.L);
    tobj_rt_free(rt);
}

TEST(type_counts_and_growth_text)
{
    hl_rt *rt = dict_model_rt();
    graph g = build(rt);
    char *text = NULL;
    CAPTURE(text, hl_show_most_common_types(rt, f_, 3));
    /* 262 cached ints + 1000; 129 cached strs + "n1", "name", "hello" */
    CHECK_STR(text, "int  263\nstr  132\ndict 2\n");
    free(text);
    hl_type_count tc[16];
    size_t n = hl_type_counts(rt, tc, 16);
    CHECK_EQ_U64(n, 7);
    CHECK_STR(tc[3].name, "Node"); /* ties by name: Node, NoneType, list, tuple */
    CHECK_STR(tc[4].name, "NoneType");
    CHECK_STR(tc[5].name, "list");
    CHECK_STR(tc[6].name, "tuple");
    /* first growth call reports everything (peaks start at 0) */
    n = hl_growth(rt, tc, 16);
    CHECK_EQ_U64(n, 7);
    CHECK(tc[0].delta == 263 && strcmp(tc[0].name, "int") == 0);
    /* nothing new: nothing reported */
    CAPTURE(text, hl_show_growth(rt, f_, 10));
    CHECK_STR(text, "");
    free(text);
    /* three more lists (one garbage cycle the growth collection frees) */
    hl_obj *keep = hl_list_new(rt);
    hl_list_append(rt, keep, hl_list_new(rt));
    hl_list_append(rt, keep, hl_list_new(rt));
    hl_obj *cyc = hl_list_new(rt);
    hl_list_append(rt, cyc, hl_obj_newref(rt, cyc));
    hl_obj_decref(rt, cyc);
    CAPTURE(text, hl_show_growth(rt, f_, 10));
    CHECK_STR(text, "list        4        +3\n");
    free(text);
    /* peak semantics: dropping and re-adding up to the peak reports nothing */
    hl_obj_decref(rt, hl_list_pop(rt, keep, 0));
    hl_list_append(rt, keep, hl_list_new(rt));
    CAPTURE(text, hl_show_growth(rt, f_, 10));
    CHECK_STR(text, "");
    free(text);
    hl_obj_decref(rt, keep);
    hl_obj_decref(rt, g.L);
    tobj_rt_free(rt);
}

static bool is_D(hl_rt *rt, const hl_obj *o, void *ctx) { return o == ctx; }

TEST(backref_chains_and_leaks)
{
    hl_rt *rt = dict_model_rt();
    graph g = build(rt);
    hl_obj *chain[16];
    size_t n = hl_find_backref_chain(rt, g.n1, NULL, NULL, 20, chain, 16);
    CHECK_EQ_U64(n, 4);
    CHECK(chain[0] == g.L && chain[1] == g.I && chain[2] == g.Id && chain[3] == g.n1);
    n = hl_find_backref_chain(rt, g.n1, is_D, g.D, 20, chain, 16);
    CHECK_EQ_U64(n, 4);
    CHECK(chain[0] == g.D && chain[1] == g.I);
    /* too shallow: [obj] */
    n = hl_find_backref_chain(rt, g.n1, NULL, NULL, 2, chain, 16);
    CHECK(n == 1 && chain[0] == g.n1);
    CHECK(hl_find_backref_chain(rt, g.n1, NULL, NULL, 20, chain, 0) == 0);
    /* a registered root ends the search where it is met: I, before L */
    hl_rt_add_root(rt, g.I);
    n = hl_find_backref_chain(rt, g.n1, NULL, NULL, 20, chain, 16);
    CHECK(n == 3 && chain[0] == g.I && chain[1] == g.Id);
    CHECK(hl_is_root(rt, g.I) && hl_is_root(rt, g.L) && !hl_is_root(rt, g.D));
    hl_rt_remove_root(rt, g.I);
    CHECK(hl_rt_remove_root(rt, g.I) == -1);
    /* leaking: tracked, unreferenced, not roots */
    hl_obj *lost = hl_dict_new(rt);
    hl_obj *out[8];
    n = hl_get_leaking_objects(rt, out, 8);
    CHECK_EQ_U64(n, 2);
    CHECK(out[0] == g.L && out[1] == lost);
    hl_rt_add_root(rt, g.L);
    n = hl_get_leaking_objects(rt, out, 8);
    CHECK(n == 1 && out[0] == lost);
    hl_rt_remove_root(rt, g.L);
    hl_obj_decref(rt, lost);
    hl_obj_decref(rt, g.L);
    tobj_rt_free(rt);
}

TEST(dot_output_exact)
{
    hl_rt *rt = dict_model_rt();
    graph g = build(rt);
    char *text = NULL;
    CAPTURE(text, CHECK(hl_show_refs(rt, &g.L, 1, 2, f_) == 0));
    CHECK_STR(text, "digraph ObjectGraph {\n"
                    "  node[shape=box, style=filled, fillcolor=white];\n"
                    "  o0 [label=\"list\\n4 items\", fillcolor=yellow];\n"
                    "  o1 [label=\"dict\\n1 items\"];\n"
                    "  o2 [label=\"Node instance\"];\n"
                    "  o3 [label=\"int\\n1000\"];\n"
                    "  o4 [label=\"str\\n'hello'\"];\n"
                    "  o5 [label=\"dict\\n1 items\"];\n"
                    "  o0 -> o1 [label=\"[0]\"];\n"
                    "  o0 -> o2 [label=\"[1]\"];\n"
                    "  o0 -> o3 [label=\"[2]\"];\n"
                    "  o0 -> o4 [label=\"[3]\"];\n"
                    "  o1 -> o2 [label=\"k\"];\n"
                    "  o2 -> o5 [label=\"__dict__\"];\n"
                    "}\n");
    free(text);
    CAPTURE(text, CHECK(hl_show_backrefs(rt, &g.I, 1, 2, f_) == 0));
    CHECK_STR(text, "digraph ObjectGraph {\n"
                    "  node[shape=box, style=filled, fillcolor=white];\n"
                    "  o0 [label=\"Node instance\", fillcolor=yellow];\n"
                    "  o1 [label=\"list\\n4 items\"];\n"
                    "  o2 [label=\"dict\\n1 items\"];\n"
                    "  o1 -> o0 [label=\"[1]\"];\n"
                    "  o2 -> o0 [label=\"k\"];\n"
                    "  o1 -> o2 [label=\"[0]\"];\n"
                    "}\n");
    free(text);
    /* depth 0: just the node; quotes in strings are escaped */
    hl_obj *q = hl_str_from(rt, "a\"b");
    CAPTURE(text, hl_show_refs(rt, &q, 1, 0, f_));
    CHECK_STR(text, "digraph ObjectGraph {\n"
                    "  node[shape=box, style=filled, fillcolor=white];\n"
                    "  o0 [label=\"str\\n'a\\\"b'\", fillcolor=yellow];\n"
                    "}\n");
    free(text);
    hl_obj_decref(rt, q);
    hl_obj_decref(rt, g.L);
    tobj_rt_free(rt);
}

/* The profiles' layout: an instance refers to its attribute values
 * directly (subtype_traverse over the values array or the inline values),
 * and has a dict only once __dict__ is read. */
TEST(instance_values_are_referents)
{
    static const hl_py_profile profiles[] = {HL_PY_311, HL_PY_312, HL_PY_313};
    for (int p = 0; p < 3; p++) {
        hl_rt_config cfg;
        hl_rt_config_default(&cfg);
        cfg.profile = profiles[p];
        hl_rt *rt = tobj_rt(&cfg);
        hl_class *node = hl_class_new(rt, "Node", NULL, NULL);
        hl_obj *i = hl_inst_new(rt, node);
        hl_obj *l = hl_list_new(rt);
        hl_inst_setattr(rt, i, "name", hl_str_from(rt, "n1"));
        hl_inst_setattr(rt, i, "items", hl_obj_newref(rt, l));
        hl_obj *out[8];
        CHECK_EQ_U64(hl_get_referents(i, out, 8), 2);
        CHECK(hl_obj_kind(out[0]) == HL_KIND_STR && out[1] == l);
        CHECK(hl_inst_dict(i) == NULL);
        CHECK_EQ_U64(hl_get_referrers(rt, l, out, 8), 1);
        CHECK(out[0] == i);
        /* reading __dict__ makes a dict over the values, tracked as it holds
         * a list; 3.11/3.12: the instance now refers to the dict, 3.13: to
         * its inline values still (the dict points into the object) */
        hl_obj *d = hl_inst_get_dict(rt, i);
        CHECK(d != NULL && hl_inst_dict(i) == d && hl_dict_len(d) == 2);
        CHECK(hl_gc_is_tracked(d));
        CHECK(hl_dict_get_str(d, "items") == l);
        size_t n = hl_get_referents(i, out, 8);
        if (profiles[p] == HL_PY_313)
            CHECK(n == 2 && out[1] == l);
        else
            CHECK(n == 1 && out[0] == d);
        /* a store through the dict is seen by the instance */
        hl_dict_set_str(rt, d, "name", hl_str_from(rt, "n2"));
        CHECK(memcmp(hl_str_data(hl_inst_getattr(i, "name")), "n2", 2) == 0);
        hl_obj_decref(rt, l);
        hl_obj_decref(rt, i);
        CHECK_EQ_U64(hl_gc_tracked_count(rt), 0);
        tobj_rt_free(rt);
    }
}

int main(int argc, char **argv)
{
    tobj_init(argc, argv);
    RUN(refcounts_referents_referrers);
    RUN(instance_values_are_referents);
    RUN(type_counts_and_growth_text);
    RUN(backref_chains_and_leaks);
    RUN(dot_output_exact);
    return hl_test_summary();
}
