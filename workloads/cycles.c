/* cycles.c - reference cycles that only the cycle collector can free.
 *
 * How it works
 * ------------
 * Reference counting frees everything except cycles; in Python programs the
 * common ones are parents and children that point at each other (trees with
 * parent links, DOM nodes, ORM sessions and their objects) and doubly linked
 * structures (OrderedDict's old ring, deques of nodes, graph adjacency).
 * Each iteration builds one structure from instances of a class Node, checks
 * it, and drops the last outside reference, leaving garbage that only
 * hl_gc (CPython's generational collector, objects/gc.c) can free:
 *
 *   family:  parent.children = [child_1 .. child_k], child_i.parent = parent,
 *            every node has an int value;
 *   ring:    `ring` nodes with next/prev links in a circle and a value.
 *
 * Families and rings alternate at random (seeded).  Collections are the
 * automatic ones the allocations trigger (gen 0 every 700 containers, 2000
 * in 3.13), plus an explicit gen-0 collection every collect_every
 * structures if asked.  Set-up makes one throw-away node that sets all
 * five attribute names, as the Python twin does (workloads/python/cycles.py
 * declare_attributes): a class's shared keys take a new name only while
 * they have room, and that room shrinks with every instance made, so
 * without it whether a name first set late fits would depend on the order
 * of rings and families.  Each loop over a structure's nodes goes through a
 * list iterator over a list of ids made at set-up, as the twin's `for`
 * loops do (CPython allocates a 48-byte list iterator per loop over a list:
 * two per family, four per ring).
 *
 * Verification: before a structure is dropped its links are walked (every
 * child's parent is the parent, next/prev are inverse, the ring closes after
 * `ring` steps) and its values summed against the values stored.  The
 * workload counts the tracked containers it turned into garbage (each node
 * and its __dict__, a family's children list: asked of hl_gc_is_tracked when
 * the structure is dropped: a node's __dict__ only exists with
 * instances=dict); verify() runs a full collection and then the
 * collector must have freed exactly that many objects since set-up (its
 * per-generation `collected` statistics, gc.get_stats()) and the runtime
 * must be back to its set-up object count.
 *
 * One operation = one node (instance) made and later collected.
 */
#include "../objects/gc.h"
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_RING, P_CHILDREN, P_COLLECT_EVERY, P_COUNT };

static const hl_param cy_params[P_COUNT] = {
    [P_RING] = {"ring", "nodes in a doubly linked ring", 16, 8, 2, 1 << 16},
    [P_CHILDREN] = {"children", "children per parent in a family", 4, 4, 1, 1 << 16},
    [P_COLLECT_EVERY] = {"collect_every",
                         "structures between explicit gen-0 collections (0 = automatic only)", 0,
                         0, 0, 1 << 30},
};

typedef struct cy_ctx {
    hl_rt *rt;
    size_t ring, children;
    uint64_t collect_every;
    uint64_t rng;
    hl_class *node_class;
    hl_obj **scratch; /* max(ring, children) borrowed node pointers */
    hl_obj *child_ids, *ring_ids; /* [0 .. children), [0 .. ring): the loops' lists */
    uint64_t structures, nodes;
    uint64_t garbage_tracked; /* containers made garbage: what the GC must free */
    uint64_t live_baseline;
    uint64_t collected_baseline;
    uint64_t checksum;
    hl_objwl_check check;
} cy_ctx;

static int64_t draw_value(cy_ctx *c)
{
    return 1000 + (int64_t)(hl_sm64(&c->rng) >> 24);
}

/* Tracked containers a node accounts for: itself and its __dict__. */
static uint64_t node_tracked(const hl_obj *n)
{
    const hl_obj *d = hl_inst_dict(n);
    return (uint64_t)hl_gc_is_tracked(n) + (d != NULL && hl_gc_is_tracked(d));
}

static bool value_of(const hl_obj *n, int64_t *out)
{
    hl_obj *v = hl_inst_getattr(n, "value");
    if (v == NULL || hl_obj_kind(v) != HL_KIND_INT)
        return false;
    *out = hl_int_value(v);
    return true;
}

/* A new node with its value set; NULL when out of memory. */
static hl_obj *new_node(cy_ctx *c, int64_t value)
{
    hl_obj *n = hl_inst_new(c->rt, c->node_class);
    if (n == NULL)
        return NULL;
    if (hl_inst_setattr(c->rt, n, "value", hl_int_new(c->rt, value)) != 0) {
        hl_obj_decref(c->rt, n);
        return NULL;
    }
    return n;
}

/* `for i in ids:` -- a list iterator (NULL when out of memory, which ends
 * the loop early; the structure checks then report it). */
static hl_obj *loop(cy_ctx *c, hl_obj *ids) { return hl_list_iter(c->rt, ids); }

/* The loop's next id, or -1 at its end. */
static int64_t loop_next(cy_ctx *c, hl_obj *it)
{
    hl_obj *i = it != NULL ? hl_iter_next(c->rt, it) : NULL;
    return i != NULL ? hl_int_value(i) : -1;
}

/* parent <-> children.  Returns the parent (the one outside reference) and
 * the expected value sum, or NULL. */
static hl_obj *make_family(cy_ctx *c, uint64_t *value_sum)
{
    hl_rt *rt = c->rt;
    int64_t pv = draw_value(c);
    hl_obj *parent = new_node(c, pv);
    hl_obj *kids = hl_list_new(rt);
    if (parent == NULL || kids == NULL) {
        hl_obj_decref(rt, parent);
        hl_obj_decref(rt, kids);
        return NULL;
    }
    *value_sum = (uint64_t)pv;
    if (hl_inst_setattr(rt, parent, "children", kids) != 0) {
        hl_obj_decref(rt, parent);
        return NULL;
    }
    hl_obj *it = loop(c, c->child_ids);
    while (loop_next(c, it) >= 0) {
        int64_t v = draw_value(c);
        hl_obj *child = new_node(c, v);
        if (child == NULL ||
            hl_inst_setattr(rt, child, "parent", hl_obj_newref(rt, parent)) != 0 ||
            hl_list_append(rt, kids, child) != 0) {
            /* child (if any) was released by whichever call failed, or is
             * owned by kids; the family is already a cycle: hand it over. */
            break;
        }
        *value_sum += (uint64_t)v;
    }
    hl_obj_decref(rt, it);
    return parent;
}

/* Checks a family and counts its tracked containers; false when broken. */
static bool check_family(cy_ctx *c, hl_obj *parent, uint64_t want_sum, uint64_t *tracked)
{
    int64_t v;
    hl_obj *kids = hl_inst_getattr(parent, "children");
    if (!value_of(parent, &v) || kids == NULL || hl_obj_kind(kids) != HL_KIND_LIST ||
        hl_list_len(kids) != c->children) {
        hl_objwl_check_fail(&c->check, "family %" PRIu64 ": the parent lost its value or children",
                            c->structures);
        return false;
    }
    uint64_t sum = (uint64_t)v;
    *tracked = node_tracked(parent) + hl_gc_is_tracked(kids);
    hl_obj *it = hl_list_iter(c->rt, kids); /* for child in kids */
    size_t i = 0;
    for (hl_obj *child; (child = it ? hl_iter_next(c->rt, it) : NULL) != NULL; i++) {
        if (hl_obj_kind(child) != HL_KIND_INST || hl_inst_getattr(child, "parent") != parent ||
            !value_of(child, &v)) {
            hl_objwl_check_fail(&c->check, "family %" PRIu64 ": child %zu is not linked back",
                                c->structures, i);
            hl_obj_decref(c->rt, it);
            return false;
        }
        sum += (uint64_t)v;
        *tracked += node_tracked(child);
    }
    hl_obj_decref(c->rt, it);
    if (i != c->children) {
        hl_objwl_check_fail(&c->check, "family %" PRIu64 ": %zu children, expected %zu",
                            c->structures, i, c->children);
        return false;
    }
    if (sum != want_sum) {
        hl_objwl_check_fail(&c->check,
                            "family %" PRIu64 ": values add up to %" PRIu64 ", stored %" PRIu64,
                            c->structures, sum, want_sum);
        return false;
    }
    c->checksum = hl_objwl_mix(c->checksum, sum);
    return true;
}

/* A ring of c->ring nodes; returns node 0 (the one outside reference). */
static hl_obj *make_ring(cy_ctx *c, uint64_t *value_sum)
{
    hl_rt *rt = c->rt;
    *value_sum = 0;
    hl_obj *it = loop(c, c->ring_ids);
    size_t made = 0;
    for (int64_t i; (i = loop_next(c, it)) >= 0; made++) {
        int64_t v = draw_value(c);
        c->scratch[i] = new_node(c, v);
        if (c->scratch[i] == NULL)
            break;
        *value_sum += (uint64_t)v;
    }
    hl_obj_decref(rt, it);
    if (made != c->ring) {
        for (size_t j = 0; j < made; j++)
            hl_obj_decref(rt, c->scratch[j]);
        return NULL;
    }
    /* Link: node i owns references to i+1 and i-1.  Our own references are
     * then given up, except node 0's, which the caller drops. */
    it = loop(c, c->ring_ids);
    for (int64_t i; (i = loop_next(c, it)) >= 0;) {
        hl_obj *next = c->scratch[((size_t)i + 1) % c->ring];
        hl_obj *prev = c->scratch[((size_t)i + c->ring - 1) % c->ring];
        hl_inst_setattr(rt, c->scratch[i], "next", hl_obj_newref(rt, next));
        hl_inst_setattr(rt, c->scratch[i], "prev", hl_obj_newref(rt, prev));
    }
    hl_obj_decref(rt, it);
    it = loop(c, c->ring_ids);
    for (int64_t i; (i = loop_next(c, it)) >= 0;)
        if (i != 0)
            hl_obj_decref(rt, c->scratch[i]);
    hl_obj_decref(rt, it);
    return c->scratch[0];
}

static bool check_ring(cy_ctx *c, hl_obj *head, uint64_t want_sum, uint64_t *tracked)
{
    uint64_t sum = 0;
    *tracked = 0;
    hl_obj *n = head;
    hl_obj *it = loop(c, c->ring_ids);
    size_t steps = 0;
    for (int64_t i; (i = loop_next(c, it)) >= 0; steps++) {
        int64_t v;
        hl_obj *next = hl_inst_getattr(n, "next");
        if (!value_of(n, &v) || next == NULL || hl_obj_kind(next) != HL_KIND_INST ||
            hl_inst_getattr(next, "prev") != n) {
            hl_objwl_check_fail(&c->check, "ring %" PRIu64 ": node %" PRId64 " is badly linked",
                                c->structures, i);
            hl_obj_decref(c->rt, it);
            return false;
        }
        sum += (uint64_t)v;
        *tracked += node_tracked(n);
        n = next;
    }
    hl_obj_decref(c->rt, it);
    if (steps != c->ring) {
        hl_objwl_check_fail(&c->check, "ring %" PRIu64 ": walked %zu nodes, expected %zu",
                            c->structures, steps, c->ring);
        return false;
    }
    if (n != head || sum != want_sum) {
        hl_objwl_check_fail(&c->check,
                            "ring %" PRIu64 ": %s; values add up to %" PRIu64 ", stored %" PRIu64,
                            c->structures, n != head ? "does not close" : "closes", sum, want_sum);
        return false;
    }
    c->checksum = hl_objwl_mix(c->checksum, sum);
    return true;
}

static void *cy_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    cy_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "cycles: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->ring = (size_t)env->params[P_RING];
    c->children = (size_t)env->params[P_CHILDREN];
    c->collect_every = (uint64_t)env->params[P_COLLECT_EVERY];
    c->rng = env->seed;
    c->scratch = calloc(c->ring, sizeof *c->scratch);
    if (c->scratch == NULL) {
        free(c);
        hl_objwl_fail(err, errlen, "cycles: out of memory for a ring of %zu",
                      (size_t)env->params[P_RING]);
        return NULL;
    }
    c->node_class = hl_class_new(c->rt, "Node", NULL, NULL);
    if (c->node_class == NULL) {
        free(c->scratch);
        free(c);
        hl_objwl_fail(err, errlen, "cycles: could not create class Node");
        return NULL;
    }
    /* the ids the structure loops iterate over (list(range(n))) */
    c->child_ids = hl_list_new(c->rt);
    c->ring_ids = hl_list_new(c->rt);
    bool ids_ok = c->child_ids != NULL && c->ring_ids != NULL;
    for (size_t i = 0; ids_ok && i < c->children; i++)
        ids_ok = hl_list_append(c->rt, c->child_ids, hl_int_new(c->rt, (int64_t)i)) == 0;
    for (size_t i = 0; ids_ok && i < c->ring; i++)
        ids_ok = hl_list_append(c->rt, c->ring_ids, hl_int_new(c->rt, (int64_t)i)) == 0;
    if (!ids_ok) {
        hl_obj_decref(c->rt, c->child_ids);
        hl_obj_decref(c->rt, c->ring_ids);
        free(c->scratch);
        free(c);
        hl_objwl_fail(err, errlen, "cycles: out of memory for the id lists");
        return NULL;
    }
    /* declare_attributes: every name in the class's shared keys */
    hl_obj *decl = hl_inst_new(c->rt, c->node_class);
    static const char *const names[] = {"value", "children", "parent", "next", "prev"};
    for (size_t i = 0; decl != NULL && i < sizeof names / sizeof names[0]; i++)
        if (hl_inst_setattr(c->rt, decl, names[i], hl_none(c->rt)) != 0)
            break;
    if (decl == NULL) {
        hl_obj_decref(c->rt, c->child_ids);
        hl_obj_decref(c->rt, c->ring_ids);
        free(c->scratch);
        free(c);
        hl_objwl_fail(err, errlen, "cycles: out of memory declaring the attributes");
        return NULL;
    }
    hl_obj_decref(c->rt, decl);
    /* Start from a clean collector: garbage left by an earlier user of the
     * runtime must not count as ours. */
    hl_gc_collect(c->rt, 2);
    c->live_baseline = hl_rt_live_objects(c->rt);
    c->collected_baseline = hl_objwl_gc_collected(c->rt);
    return c;
}

static uint64_t cy_run(void *vctx, uint64_t n)
{
    cy_ctx *c = vctx;
    uint64_t nodes = 0;
    for (uint64_t i = 0; i < n; i++) {
        bool family = hl_rand_below(&c->rng, 2) == 0;
        uint64_t want = 0, tracked = 0;
        hl_obj *s = family ? make_family(c, &want) : make_ring(c, &want);
        if (s == NULL) {
            hl_objwl_check_fail(&c->check, "out of memory making structure %" PRIu64,
                                c->structures);
            continue;
        }
        bool ok = family ? check_family(c, s, want, &tracked) : check_ring(c, s, want, &tracked);
        if (ok)
            c->garbage_tracked += tracked;
        hl_obj_decref(c->rt, s); /* now only the collector can free it */
        c->structures++;
        nodes += family ? 1 + c->children : c->ring;
        if (c->collect_every != 0 && c->structures % c->collect_every == 0)
            hl_gc_collect(c->rt, 0);
    }
    c->nodes += nodes;
    return nodes > n ? nodes : n;
}

static int cy_verify(void *vctx, char *err, size_t errlen)
{
    cy_ctx *c = vctx;
    if (hl_objwl_check_report(&c->check, "cycles", err, errlen) != 0)
        return -1;
    hl_gc_collect(c->rt, 2);
    uint64_t collected = hl_objwl_gc_collected(c->rt) - c->collected_baseline;
    if (collected != c->garbage_tracked)
        return hl_objwl_fail(err, errlen,
                             "cycles: the collector freed %" PRIu64 " objects, but %" PRIu64
                             " containers were made garbage",
                             collected, c->garbage_tracked);
    uint64_t live = hl_rt_live_objects(c->rt);
    if (live != c->live_baseline)
        return hl_objwl_fail(err, errlen,
                             "cycles: %" PRIu64 " objects alive after a full collection, %" PRIu64
                             " at set-up: cycle garbage was not freed",
                             live, c->live_baseline);
    return 0;
}

static size_t cy_metrics(void *vctx, hl_metric *out, size_t max)
{
    cy_ctx *c = vctx;
    hl_gc_stats s[HL_GC_GENERATIONS];
    hl_gc_get_stats(c->rt, s);
    size_t k = 0;
    if (k < max)
        out[k++] = (hl_metric){"checksum", hl_objwl_checksum_metric(c->checksum), ""};
    if (k < max)
        out[k++] = (hl_metric){"garbage_containers", (double)c->garbage_tracked, "objects"};
    if (k < max)
        out[k++] = (hl_metric){"gc_collected", (double)(hl_objwl_gc_collected(c->rt) -
                                                        c->collected_baseline),
                               "objects"};
    for (int g = 0; g < HL_GC_GENERATIONS && k < max; g++) {
        hl_metric m = {"", (double)s[g].collections, "collections"};
        snprintf(m.name, sizeof m.name, "gc_gen%d_collections", g);
        out[k++] = m;
    }
    return k;
}

static void cy_teardown(void *vctx)
{
    cy_ctx *c = vctx;
    hl_obj_decref(c->rt, c->child_ids);
    hl_obj_decref(c->rt, c->ring_ids);
    hl_gc_collect(c->rt, 2);
    free(c->scratch);
    free(c);
}

static const hl_metric_desc cy_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"garbage_containers", "objects", "tracked containers made garbage in cycles", false, NULL},
    {"gc_collected", "objects", "objects the collector freed during the run", false, NULL},
    {"gc_gen0_collections", "collections", "generation-0 collections", false, NULL},
    {"gc_gen1_collections", "collections", "generation-1 collections", false, NULL},
    {"gc_gen2_collections", "collections", "generation-2 (full) collections", false, NULL},
};

const hl_workload hl_wl_cycles = {
    .name = "cycles",
    .description = "parent/child families and doubly linked rings freed only by the collector",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .op_unit = "node made garbage and collected",
    .params = cy_params,
    .n_params = P_COUNT,
    .setup = cy_setup,
    .run = cy_run,
    .verify = cy_verify,
    .metrics = cy_metrics,
    .metric_descs = cy_metric_descs,
    .n_metric_descs = sizeof cy_metric_descs / sizeof cy_metric_descs[0],
    .teardown = cy_teardown,
};
