/* binary_trees.c - GCBench / the benchmarks game's binary-trees.
 *
 * How it works
 * ------------
 * After Hans Boehm's GCBench (Ellis, Kovac, Boehm) and the Computer Language
 * Benchmarks Game's binary-trees: one long-lived tree of depth long_depth is
 * built at set-up and kept for the whole run (the heap an interpreter keeps:
 * it is what the GC has to scan again and again); then many short-lived
 * trees of depth `depth` are built bottom-up, walked and dropped.
 *
 * A node is, as in the Python programs, either a tuple (left, right, item)
 * (node=0; a leaf is (None, None, item)) or an instance of a class Node with
 * attributes left, right and item in its __dict__ (node=1).  Items follow
 * the older benchmarks-game rule: the root has item i and a node with item
 * k has children 2k-1 and 2k, so most items are ints beyond the small-int
 * cache and each tree allocates ints too.
 *
 * Verification: every short tree is walked after it is built and must have
 * exactly 2^(depth+1)-1 nodes and the item sum S(i, depth), where
 * S(i, 0) = i and S(i, d) = i + S(2i-1, d-1) + S(2i, d-1).  S is linear in
 * i, S(i, d) = a_d * i + b_d with a_0 = 1, b_0 = 0, a_d = 1 + 4 a_{d-1},
 * b_d = 2 b_{d-1} - a_{d-1} (mod 2^64), so the reference costs nothing and
 * does not come from the object layer.  verify() walks the long-lived tree
 * the same way, checks the runtime holds exactly the set-up's objects (the
 * short trees all died) and that the collector freed nothing (trees have no
 * cycles).
 *
 * One operation = one tree node built (and walked and freed).
 */
#include "../objects/gc.h"
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <inttypes.h>
#include <stdlib.h>

enum { P_DEPTH, P_LONG_DEPTH, P_NODE, P_COUNT };

static const hl_param bt_params[P_COUNT] = {
    [P_DEPTH] = {"depth", "depth of each short-lived tree (2^(depth+1)-1 nodes)", 12, 8, 1, 22},
    [P_LONG_DEPTH] = {"long_depth", "depth of the long-lived tree built at set-up", 16, 12, 0, 22},
    [P_NODE] = {"node", "node representation: 0 = tuple (left, right, item), 1 = instance", 0, 0,
                0, 1},
};

#define BT_MAX_DEPTH 22

typedef struct bt_ctx {
    hl_rt *rt;
    unsigned depth, long_depth;
    bool instances;
    hl_class *node_class; /* node=1 */
    hl_obj *long_tree;    /* one reference, owned */
    uint64_t long_root_item;
    uint64_t next_item; /* root item of the next short tree */
    uint64_t sum_a[BT_MAX_DEPTH + 1], sum_b[BT_MAX_DEPTH + 1];
    uint64_t live_baseline;
    uint64_t collected_baseline;
    uint64_t trees, nodes;
    uint64_t checksum; /* over the walk results of every tree */
    hl_objwl_check check;
} bt_ctx;

typedef struct bt_walk {
    uint64_t nodes;
    uint64_t item_sum;
    bool malformed;
} bt_walk;

/* Builds a node from its children (stolen; NULL for a leaf) and its item.
 * NULL when out of memory (children released). */
static hl_obj *make_node(bt_ctx *c, hl_obj *left, hl_obj *right, int64_t item)
{
    hl_rt *rt = c->rt;
    hl_obj *it = hl_int_new(rt, item);
    if (left == NULL)
        left = hl_none(rt);
    if (right == NULL)
        right = hl_none(rt);
    if (!c->instances) {
        if (it == NULL) {
            hl_obj_decref(rt, left);
            hl_obj_decref(rt, right);
            return NULL;
        }
        return hl_tuple_pack(rt, 3, left, right, it); /* steals all three */
    }
    hl_obj *n = hl_inst_new(rt, c->node_class);
    if (n == NULL || it == NULL) {
        hl_obj_decref(rt, n);
        hl_obj_decref(rt, it);
        hl_obj_decref(rt, left);
        hl_obj_decref(rt, right);
        return NULL;
    }
    if (hl_inst_setattr(rt, n, "left", left) != 0 || hl_inst_setattr(rt, n, "right", right) != 0 ||
        hl_inst_setattr(rt, n, "item", it) != 0) {
        hl_obj_decref(rt, n);
        return NULL; /* setattr released what it was given */
    }
    return n;
}

/* bottomUpTree(item, depth).  NULL when out of memory. */
static hl_obj *build(bt_ctx *c, int64_t item, unsigned depth)
{
    if (depth == 0)
        return make_node(c, NULL, NULL, item);
    hl_obj *left = build(c, 2 * item - 1, depth - 1);
    if (left == NULL)
        return NULL;
    hl_obj *right = build(c, 2 * item, depth - 1);
    if (right == NULL) {
        hl_obj_decref(c->rt, left);
        return NULL;
    }
    return make_node(c, left, right, item);
}

static void node_parts(const bt_ctx *c, const hl_obj *n, hl_obj **left, hl_obj **right,
                       hl_obj **item)
{
    if (!c->instances) {
        if (hl_obj_kind(n) != HL_KIND_TUPLE || hl_tuple_len(n) != 3) {
            *left = *right = *item = NULL;
            return;
        }
        *left = hl_tuple_get(n, 0);
        *right = hl_tuple_get(n, 1);
        *item = hl_tuple_get(n, 2);
        return;
    }
    if (hl_obj_kind(n) != HL_KIND_INST) {
        *left = *right = *item = NULL;
        return;
    }
    *left = hl_inst_getattr(n, "left");
    *right = hl_inst_getattr(n, "right");
    *item = hl_inst_getattr(n, "item");
}

/* itemCheck plus a node count; marks the walk malformed on any node whose
 * shape is wrong (missing parts, wrong kinds, one child only). */
static void walk(const bt_ctx *c, const hl_obj *n, unsigned depth_left, bt_walk *w)
{
    hl_obj *left, *right, *item;
    node_parts(c, n, &left, &right, &item);
    if (item == NULL || hl_obj_kind(item) != HL_KIND_INT || left == NULL || right == NULL) {
        w->malformed = true;
        return;
    }
    w->nodes++;
    w->item_sum += (uint64_t)hl_int_value(item);
    bool left_leaf = hl_obj_kind(left) == HL_KIND_NONE;
    bool right_leaf = hl_obj_kind(right) == HL_KIND_NONE;
    if (left_leaf != right_leaf || (left_leaf && depth_left != 0) ||
        (!left_leaf && depth_left == 0)) {
        w->malformed = true;
        return;
    }
    if (!left_leaf) {
        walk(c, left, depth_left - 1, w);
        walk(c, right, depth_left - 1, w);
    }
}

/* Walks a tree built from root item `item` and checks it against the
 * reference; returns false (recording why) when it differs. */
static bool check_tree(bt_ctx *c, const hl_obj *tree, uint64_t item, unsigned depth,
                       const char *which)
{
    bt_walk w = {0, 0, false};
    walk(c, tree, depth, &w);
    uint64_t want_nodes = (2ull << depth) - 1;
    uint64_t want_sum = c->sum_a[depth] * item + c->sum_b[depth];
    c->checksum = hl_objwl_mix(hl_objwl_mix(c->checksum, w.nodes), w.item_sum);
    if (w.malformed || w.nodes != want_nodes || w.item_sum != want_sum) {
        hl_objwl_check_fail(&c->check,
                            "%s tree of depth %u (root item %" PRIu64 ")%s: %" PRIu64
                            " nodes, item sum %" PRIu64 "; expected %" PRIu64 " and %" PRIu64,
                            which, depth, item, w.malformed ? " is malformed" : "", w.nodes,
                            w.item_sum, want_nodes, want_sum);
        return false;
    }
    return true;
}

static void *bt_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    bt_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "binary_trees: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->depth = (unsigned)env->params[P_DEPTH];
    c->long_depth = (unsigned)env->params[P_LONG_DEPTH];
    c->instances = env->params[P_NODE] == 1;
    c->sum_a[0] = 1;
    c->sum_b[0] = 0;
    for (unsigned d = 1; d <= BT_MAX_DEPTH; d++) {
        c->sum_a[d] = 1 + 4 * c->sum_a[d - 1];
        c->sum_b[d] = 2 * c->sum_b[d - 1] - c->sum_a[d - 1];
    }
    /* Root items from the seed, kept below 2^40 so 2^depth * item fits. */
    uint64_t rng = env->seed;
    c->long_root_item = 1 + hl_rand_below(&rng, 1ull << 20);
    c->next_item = 1 + hl_rand_below(&rng, 1ull << 30);

    if (c->instances) {
        c->node_class = hl_class_new(c->rt, "Node", NULL, NULL);
        if (c->node_class == NULL) {
            free(c);
            hl_objwl_fail(err, errlen, "binary_trees: could not create class Node");
            return NULL;
        }
    }
    c->long_tree = build(c, (int64_t)c->long_root_item, c->long_depth);
    if (c->long_tree == NULL) {
        hl_objwl_fail(err, errlen,
                      "binary_trees: out of memory building the long-lived tree of depth %u",
                      c->long_depth);
        free(c);
        return NULL;
    }
    c->live_baseline = hl_rt_live_objects(c->rt);
    c->collected_baseline = hl_objwl_gc_collected(c->rt);
    return c;
}

static uint64_t bt_run(void *vctx, uint64_t n)
{
    bt_ctx *c = vctx;
    uint64_t nodes = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t item = c->next_item++;
        hl_obj *tree = build(c, (int64_t)item, c->depth);
        if (tree == NULL) {
            hl_objwl_check_fail(&c->check, "out of memory building tree %" PRIu64, c->trees);
            continue;
        }
        check_tree(c, tree, item, c->depth, "short-lived");
        hl_obj_decref(c->rt, tree);
        c->trees++;
        nodes += (2ull << c->depth) - 1;
    }
    c->nodes += nodes;
    return nodes > n ? nodes : n;
}

static int bt_verify(void *vctx, char *err, size_t errlen)
{
    bt_ctx *c = vctx;
    uint64_t saved = c->checksum; /* verify must not change the run checksum */
    check_tree(c, c->long_tree, c->long_root_item, c->long_depth, "long-lived");
    c->checksum = saved;
    if (hl_objwl_check_report(&c->check, "binary_trees", err, errlen) != 0)
        return -1;
    uint64_t live = hl_rt_live_objects(c->rt);
    if (live != c->live_baseline)
        return hl_objwl_fail(err, errlen,
                             "binary_trees: %" PRIu64 " objects alive after the short-lived "
                             "trees died, expected %" PRIu64 " (the long-lived tree)",
                             live, c->live_baseline);
    uint64_t collected = hl_objwl_gc_collected(c->rt) - c->collected_baseline;
    if (collected != 0)
        return hl_objwl_fail(err, errlen,
                             "binary_trees: the collector freed %" PRIu64
                             " objects, but trees have no cycles",
                             collected);
    return 0;
}

static size_t bt_metrics(void *vctx, hl_metric *out, size_t max)
{
    bt_ctx *c = vctx;
    size_t k = 0;
    if (k < max)
        out[k++] = (hl_metric){"checksum", hl_objwl_checksum_metric(c->checksum), ""};
    if (k < max)
        out[k++] = (hl_metric){"trees", (double)c->trees, "trees"};
    if (k < max)
        out[k++] = (hl_metric){"long_lived_nodes", (double)((2ull << c->long_depth) - 1), "nodes"};
    return k;
}

static void bt_teardown(void *vctx)
{
    bt_ctx *c = vctx;
    hl_obj_decref(c->rt, c->long_tree);
    free(c);
}

static const hl_metric_desc bt_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"trees", "trees", "short-lived trees built and dropped", false, NULL},
    {"long_lived_nodes", "nodes", "nodes of the long-lived tree", false, NULL},
};

const hl_workload hl_wl_binary_trees = {
    .name = "binary_trees",
    .description = "GCBench/binary-trees: a long-lived tree plus many short-lived trees",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .op_unit = "tree node",
    .params = bt_params,
    .n_params = P_COUNT,
    .setup = bt_setup,
    .run = bt_run,
    .verify = bt_verify,
    .metrics = bt_metrics,
    .metric_descs = bt_metric_descs,
    .n_metric_descs = sizeof bt_metric_descs / sizeof bt_metric_descs[0],
    .teardown = bt_teardown,
};
