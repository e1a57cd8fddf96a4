/* introspect.h - sys.getrefcount, gc.get_referents/get_referrers and objgraph
 * style heap inspection for the object layer.
 *
 * Only tracked containers are scanned for referrers (as gc.get_referrers),
 * so an int that nothing tracked refers to has no referrers.  Type counts
 * come from per-type live counters, so unlike objgraph (which sees only
 * gc.get_objects()) they include ints, floats and strs.
 *
 * Usage:
 *
 *     uint64_t rc = hl_getrefcount(o);                 // no +1 (see below)
 *     hl_obj *kids[16]; size_t n = hl_get_referents(o, kids, 16);
 *     hl_show_most_common_types(rt, stdout, 10);       // "list   1200"
 *     hl_show_growth(rt, stdout, 10);                  // "dict  120  +20"
 *     hl_obj *chain[32];
 *     size_t len = hl_find_backref_chain(rt, leak, NULL, NULL, 20, chain, 32);
 *     hl_show_refs(rt, &root, 1, 3, f);                // Graphviz DOT
 */
#ifndef HL_OBJECTS_INTROSPECT_H
#define HL_OBJECTS_INTROSPECT_H

#include "object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The object's reference count.  Unlike sys.getrefcount there is no +1: a C
 * caller passes a pointer, not a new reference.  Immortal objects report
 * HL_IMMORTAL_REFCNT (4294967295, as 3.12 does). */
uint64_t hl_getrefcount(const hl_obj *o);

/* gc.get_referents(o): what o's traverse visits, in traverse order (a
 * referent appears once per reference).  Writes at most max, returns the
 * total. */
size_t hl_get_referents(hl_obj *o, hl_obj **out, size_t max);

/* gc.get_referrers(o): every tracked object (all generations and the
 * permanent one) whose traverse visits o, each listed once, in list order.
 * O(heap).  Writes at most max, returns the total. */
size_t hl_get_referrers(hl_rt *rt, const hl_obj *o, hl_obj **out, size_t max);

/* objgraph.typestats / most_common_types: live objects per type name
 * (instances counted per class name), sorted by count descending then
 * name.  Writes at most max, returns the number of types with live objects. */
typedef struct hl_type_count {
    const char *name;
    uint64_t count;
    int64_t delta; /* hl_growth: increase over the previous peak */
} hl_type_count;
size_t hl_type_counts(const hl_rt *rt, hl_type_count *out, size_t max);
/* Prints up to limit lines "name count" (objgraph show_most_common_types). */
void hl_show_most_common_types(const hl_rt *rt, FILE *f, size_t limit);

/* objgraph.growth / show_growth: runs a full collection first (as objgraph
 * does), then reports the types whose count exceeds their peak so far,
 * raising the peaks; sorted by delta descending then name.  The first call
 * reports every type (peaks start at 0). */
size_t hl_growth(hl_rt *rt, hl_type_count *out, size_t max);
void hl_show_growth(hl_rt *rt, FILE *f, size_t limit);

/* A root for hl_find_backref_chain: predicate(NULL) means "is a root", i.e.
 * registered with hl_rt_add_root or has no tracked referrers. */
typedef bool (*hl_obj_pred)(hl_rt *rt, const hl_obj *o, void *ctx);
bool hl_is_root(hl_rt *rt, const hl_obj *o);

/* objgraph.find_backref_chain(obj, predicate, max_depth): breadth-first over
 * referrers from obj to the nearest object satisfying the predicate.  Writes
 * the chain [found, ..., obj] (each element refers to the next) and returns
 * its length; when nothing is found within max_depth, writes [obj] and
 * returns 1.  Returns 0 when out of memory or max == 0.  Builds a reverse
 * edge index of the tracked heap once per call: O(heap). */
size_t hl_find_backref_chain(hl_rt *rt, hl_obj *obj, hl_obj_pred predicate, void *ctx,
                             unsigned max_depth, hl_obj **out, size_t max);

/* objgraph.get_leaking_objects: tracked objects that no tracked object refers
 * to and that are not registered roots.  Writes at most max, returns the
 * total. */
size_t hl_get_leaking_objects(hl_rt *rt, hl_obj **out, size_t max);

/* objgraph.show_refs / show_backrefs: a Graphviz DOT digraph of the objects
 * reachable from (or reaching) objs within max_depth edges, written to f.
 * Nodes are numbered in breadth-first discovery order (o0, o1, ...), so the
 * text is deterministic.  Returns 0, or -1 when out of memory / write error. */
int hl_show_refs(hl_rt *rt, hl_obj *const *objs, size_t n, unsigned max_depth, FILE *f);
int hl_show_backrefs(hl_rt *rt, hl_obj *const *objs, size_t n, unsigned max_depth, FILE *f);

#endif
