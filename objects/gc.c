/* gc.c - the cycle collector, CPython's generational GC.
 *
 * How it works
 * ------------
 * Sources: Modules/gcmodule.c gc_collect_main (3.11, 3.12; Python/gc.c in
 * 3.13, gh-113688), InternalDocs/garbage_collector.md, PEP 442 (finalizers),
 * bpo-38379 (resurrection, 3.9).  Reference counting frees everything that
 * is not in a cycle; this collector finds the cycles.
 *
 * Every tracked container is on one of three generation lists (or the
 * permanent one after a freeze).  New containers go to generation 0.
 * Scheduling (collect_generations / gc_select_generation): each container
 * allocation adds one to gen 0's count and each container deallocation takes
 * one away -- except that free-list pops and pushes do neither (freelist.c);
 * when the count exceeds threshold 0 (the profile's: 700, or 2000 in 3.13)
 * the oldest generation whose count exceeds its threshold is collected,
 * except that a full (gen 2) collection waits until the objects that
 * survived gen-1 collections since the last full one (long_lived_pending)
 * exceed 25% of those that survived the last full one (long_lived_total),
 * which keeps the total cost linear (issue #4074).  Collecting generation g
 * also counts one collection of g + 1 and resets the counts of 0..g.  3.11
 * collects inside the allocation (_PyObject_GC_Link); 3.12 and 3.13 only
 * schedule it there (_Py_ScheduleGC) and collect at the next eval-breaker
 * check, which heaplab places at the end of the container constructor
 * that crossed the threshold (hl__gc_eval_breaker).
 *
 * One collection of generation g, as gc_collect_main makes it
 * (gc_passes=cpython, the default), one walk per line:
 *
 *   heap  1 update_refs: gc_refs = refcount, in the GC header's prev word
 *           (young is singly linked meanwhile); 3.12+ moves immortal
 *           objects to the permanent generation (PEP 683)
 *         2 subtract_refs: tp_traverse of each object, visit_decref takes
 *           one off the gc_refs of every referent in young: what is left
 *           counts references from outside young
 *         3 move_unreachable: an object with gc_refs > 0 is reachable, so
 *           is everything it references (gc_refs = 1, moved back from the
 *           tentatively unreachable list if needed); gc_refs == 0 moves to
 *           "unreachable" tentatively
 *         4 untrack_tuples: tuples whose items can never be tracked
 *           (_PyTuple_MaybeUntrack)
 *         5 full collections: untrack_dicts (_PyDict_MaybeUntrack; issue
 *           #14775), then gc_list_size for long_lived_total; gen 1:
 *           gc_list_size for long_lived_pending; then survivors merged
 *           into generation g + 1
 *   garbage
 *         1 move_legacy_finalizers: clears the unreachable marks (heaplab
 *           has no tp_del, so nothing moves)
 *         2 handle_weakrefs: each object's weakref list (heaplab has no
 *           weak references: the list is read, never walked)
 *         3 finalize_garbage: tp_finalize once per object (PEP 442)
 *         4-8 handle_resurrected_objects: gc_list_clear_collecting, then
 *           update_refs, subtract_refs and move_unreachable again on the
 *           garbage, clear_unreachable_mask; what a finalizer made
 *           reachable goes to the old generation
 *         9 gc_list_size: the count collected
 *        10 delete_garbage: tp_clear on each; refcounting frees the set
 *   full collections then empty the free lists (clear_freelists).
 *
 * On a heap bigger than the caches each walk costs about a cache miss per
 * object, and each traverse an indirect call per container and per
 * referent, which is what CPython pays; so heaplab's collection costs what
 * CPython's does on the same heap (scripts/gc_vs_cpython.py).
 *
 * gc_passes=fused keeps heaplab's older, faster collection for what-if
 * studies: a full collection with nothing frozen does update_refs and
 * subtract_refs in one walk (update_and_subtract_refs), tuples are
 * untracked inside move_unreachable, survivors are counted on the way
 * instead of by gc_list_size, there is no untrack_dicts walk (dicts stay
 * tracked once tracked), the garbage walks 1-8 are skipped when no
 * finalizer is due (nothing can be resurrected) and the walk after
 * move_unreachable counts finalizers while clearing the marks; immortal
 * containers stay where they are; referents are visited from inlined
 * spans with software prefetch (below).  Each collection's pause is
 * recorded per generation.
 */
#include "internal.h"

#include <inttypes.h>
#include <string.h>

/* ---- list primitives (valid doubly linked state) ------------------------------ */

static inline void list_init(hl_gc_head *h) { h->next = h->prev = (uintptr_t)h; }
static inline bool list_empty(const hl_gc_head *h) { return h->next == (uintptr_t)h; }

static inline void list_append(hl_gc_head *g, hl_gc_head *h)
{
    hl_gc_head *last = HL_GC_PREV(h);
    last->next = (uintptr_t)g;
    hl__gc_set_prev(g, last);
    g->next = (uintptr_t)h;
    h->prev = (uintptr_t)g;
}

static inline void list_unlink(hl_gc_head *g)
{
    hl_gc_head *prev = HL_GC_PREV(g), *next = HL_GC_NEXT(g);
    prev->next = (uintptr_t)next;
    hl__gc_set_prev(next, prev);
}

static inline void list_move(hl_gc_head *g, hl_gc_head *to)
{
    list_unlink(g);
    list_append(g, to);
}

/* Appends every object of `from` to `to`; from becomes empty. */
static void list_merge(hl_gc_head *from, hl_gc_head *to)
{
    if (list_empty(from))
        return;
    hl_gc_head *to_tail = HL_GC_PREV(to);
    hl_gc_head *first = HL_GC_NEXT(from), *last = HL_GC_PREV(from);
    to_tail->next = (uintptr_t)first;
    hl__gc_set_prev(first, to_tail);
    last->next = (uintptr_t)to;
    to->prev = (uintptr_t)last;
    list_init(from);
}

static size_t list_size(const hl_gc_head *h)
{
    size_t n = 0;
    for (const hl_gc_head *g = HL_GC_NEXT(h); g != h; g = HL_GC_NEXT(g))
        n++;
    return n;
}

/* ---- gc_refs while collecting ----------------------------------------------- */

static inline uint64_t gc_refs(const hl_gc_head *g) { return g->prev >> HL_GC_REFS_SHIFT; }
static inline void gc_set_refs(hl_gc_head *g, uint64_t refs)
{
    g->prev = (g->prev & HL_GC_PREV_FLAGS) | ((uintptr_t)refs << HL_GC_REFS_SHIFT);
}

/* ---- prefetching and inlined traversal ------------------------------------------
 * On a heap larger than the caches a collection waits on memory: each walk
 * over a generation list is a chain of dependent loads, and each visit
 * reaches into a referent's header elsewhere in the heap.  Two software
 * prefetches overlap some of those misses; neither changes what is computed
 * (a prefetch never faults and has no visible effect).
 *
 *  - Walk prefetch: while at node g, prefetch the line WALK_PREFETCH_BYTES
 *    above g.  A heap built in one go is laid out about in list order (new
 *    containers are appended to generation 0 as they are allocated, and the
 *    survivors keep their order), so the nodes the walk will reach soon are
 *    mostly at nearby higher addresses: gcbench's heap after a collection
 *    has 99% of next links within 4 KiB on glibc, 59% on the pool backend.
 *    Prefetching by address instead of by chasing next pointers breaks the
 *    dependence of one miss on the previous one (the "prefetch the next
 *    lines" idea of next-line/stride prefetchers, Jouppi, ISCA 1990, done
 *    in software; Lee et al., "When Prefetching Works, When It Doesn't, and
 *    Why", ACM TACO 2012, for software prefetch distance).  A wrong guess
 *    costs one useless line fetch.
 *  - Span prefetch: the referents of a container are visited from its
 *    referent span (internal.h, hl_refspan) with the referent SPAN_PREFETCH
 *    slots ahead prefetched while the current one is visited, so the
 *    referents of a long list or a dict overlap their misses.
 * Measured and not kept (slower or no gain on gcbench, 2-core KVM Xeon, see
 * the gcopt report): a cursor chasing next pointers 4-8 nodes ahead, and a
 * FIFO of parked visits in the style of OCaml's mark prefetch buffer
 * (ocaml/ocaml PR 10195) and CPython 3.14's free-threaded mark-alive pass
 * (gh-129201). */
#if defined(__GNUC__) || defined(__clang__)
#define GC_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)
#define GC_PREFETCH_R(p) __builtin_prefetch((p), 0, 3)
#else
#define GC_PREFETCH_W(p) ((void)(p))
#define GC_PREFETCH_R(p) ((void)(p))
#endif

enum { WALK_PREFETCH_BYTES = 1024, SPAN_PREFETCH = 4 };

/* Integer arithmetic: the address may lie outside any object. */
#define GC_WALK_PREFETCH(g) GC_PREFETCH_W((const void *)((uintptr_t)(g) + WALK_PREFETCH_BYTES))

/* GC_TRAVERSE(o, fn, arg) visits what o->type->traverse(o, fn, arg) would,
 * in the same order, but for the builtin containers it loops over the
 * referent span itself and calls fn directly, where the compiler inlines
 * it: no indirect call per container and per referent. */
static inline bool container_refspan(hl_obj *o, hl_refspan *span)
{
    switch (o->type->kind) {
    case HL_KIND_TUPLE: return hl__tuple_refspan(o, span);
    case HL_KIND_LIST: return hl__list_refspan(o, span);
    case HL_KIND_DICT: return hl__dict_refspan(o, span);
    case HL_KIND_INST: return hl__inst_refspan(o, span);
    default: return false;
    }
}

/* The GC header (written by the visit) and the object header's type word
 * (read first); they share a line unless the block starts in a line's last
 * 16 bytes. */
static inline void prefetch_referent(const hl_obj *r)
{
    if (r != NULL) {
        GC_PREFETCH_W(HL_AS_GC(r));
        GC_PREFETCH_R(&r->type);
    }
}

#define GC_TRAVERSE(o, fn, arg)                                                        \
    do {                                                                               \
        hl_refspan span_;                                                              \
        if (container_refspan((o), &span_)) {                                          \
            hl_obj **p_ = span_.first;                                                 \
            size_t n_ = span_.n, st_ = span_.stride;                                   \
            if (n_ > 1) {                                                              \
                size_t lead_ = n_ < SPAN_PREFETCH ? n_ : SPAN_PREFETCH;                \
                for (size_t i_ = 0; i_ < lead_; i_++)                                  \
                    prefetch_referent(p_[i_ * st_]);                                   \
            }                                                                          \
            for (size_t i_ = 0; i_ < n_; i_++, p_ += st_) {                            \
                if (i_ + SPAN_PREFETCH < n_)                                           \
                    prefetch_referent(p_[SPAN_PREFETCH * st_]);                        \
                if (*p_ != NULL)                                                       \
                    (void)fn(*p_, (arg));                                              \
            }                                                                          \
        } else {                                                                       \
            (void)(o)->type->traverse((o), fn, (arg));                                 \
        }                                                                              \
    } while (0)

/* ---- tracking ------------------------------------------------------------ */

void hl__gc_track(hl_rt *rt, hl_obj *o)
{
    hl_gc_head *g = HL_AS_GC(o);
    HL_OBJ_ASSERT(g->next == 0, o, "tracking an object that is already tracked");
    list_append(g, &rt->gens[0].head);
    rt->tracked++;
    rt->gc_untracked--;
}

void hl__gc_untrack(hl_rt *rt, hl_obj *o)
{
    hl_gc_head *g = HL_AS_GC(o);
    HL_OBJ_ASSERT(g->next != 0 && !(g->next & HL_GC_UNREACHABLE), o,
                  "untracking an object that is not tracked");
    list_unlink(g);
    g->next = 0;
    g->prev &= HL_GC_FINALIZED;
    rt->tracked--;
    rt->gc_untracked++;
}

bool hl_gc_is_tracked(const hl_obj *o) { return o->type->is_gc && HL_AS_GC(o)->next != 0; }

bool hl_gc_is_finalized(const hl_obj *o)
{
    return o->type->is_gc && (HL_AS_GC(o)->prev & HL_GC_FINALIZED) != 0;
}

/* ---- gc_passes=fused: heaplab's two-walk collection ---------------------------
 * update_refs, subtract_refs (or both in one walk), move_unreachable with
 * tuple untracking: see the header comment. */

/* Returns the number of objects in young. */
static size_t update_refs(hl_gc_head *young)
{
    size_t n = 0;
    for (hl_gc_head *g = HL_GC_NEXT(young); g != young; g = HL_GC_NEXT(g)) {
        GC_WALK_PREFETCH(g);
        hl_obj *o = HL_FROM_GC(g);
        HL_OBJ_ASSERT(o->refcnt > 0, o, "tracked object with refcount 0");
        g->prev = (g->prev & HL_GC_FINALIZED) | HL_GC_COLLECTING |
                  ((uintptr_t)hl__refcnt(o) << HL_GC_REFS_SHIFT);
        n++;
    }
    return n;
}

static int visit_decref(hl_obj *o, void *arg)
{
    if (o->type->is_gc) {
        hl_gc_head *g = HL_AS_GC(o);
        if (g->prev & HL_GC_COLLECTING) {
            HL_OBJ_ASSERT(gc_refs(g) > 0, o, "gc_refs below zero: refcount too small");
            g->prev -= (uintptr_t)1 << HL_GC_REFS_SHIFT;
        }
    }
    return 0;
}

static void subtract_refs(hl_gc_head *young)
{
    for (hl_gc_head *g = HL_GC_NEXT(young); g != young; g = HL_GC_NEXT(g)) {
        GC_WALK_PREFETCH(g);
        hl_obj *o = HL_FROM_GC(g);
        GC_TRAVERSE(o, visit_decref, NULL);
    }
}

/* Steps 2 and 3 in one pass, for a full collection with nothing frozen
 * (heaplab's own shortcut, not in CPython).  Then every tracked container is
 * in young, so "is it in young?" is "is it tracked?" and a referent met
 * before the walk reached it can have its gc_refs initialised on the spot
 * (refcount - 1: this reference); the walk skips the initialisation for it
 * later.  Saves one of the three walks over the heap, which cost a cache
 * miss per object each on a heap larger than the caches. */
static int visit_decref_whole_heap(hl_obj *o, void *arg)
{
    if (!o->type->is_gc)
        return 0;
    hl_gc_head *g = HL_AS_GC(o);
    if (g->prev & HL_GC_COLLECTING) {
        HL_OBJ_ASSERT(gc_refs(g) > 0, o, "gc_refs below zero: refcount too small");
        g->prev -= (uintptr_t)1 << HL_GC_REFS_SHIFT;
    } else if (g->next != 0) {
        HL_OBJ_ASSERT(o->refcnt > 0, o, "tracked object with refcount 0");
        g->prev = (g->prev & HL_GC_FINALIZED) | HL_GC_COLLECTING |
                  ((uintptr_t)(hl__refcnt(o) - 1) << HL_GC_REFS_SHIFT);
    }
    return 0;
}

static size_t update_and_subtract_refs(hl_gc_head *young)
{
    size_t n = 0;
    for (hl_gc_head *g = HL_GC_NEXT(young); g != young; g = HL_GC_NEXT(g)) {
        GC_WALK_PREFETCH(g);
        hl_obj *o = HL_FROM_GC(g);
        if (!(g->prev & HL_GC_COLLECTING)) {
            HL_OBJ_ASSERT(o->refcnt > 0, o, "tracked object with refcount 0");
            g->prev = (g->prev & HL_GC_FINALIZED) | HL_GC_COLLECTING |
                      ((uintptr_t)hl__refcnt(o) << HL_GC_REFS_SHIFT);
        }
        GC_TRAVERSE(o, visit_decref_whole_heap, NULL);
        n++;
    }
    return n;
}

/* A referent of a reachable object is reachable. */
static int visit_reachable(hl_obj *o, void *arg)
{
    if (!o->type->is_gc)
        return 0;
    hl_gc_head *g = HL_AS_GC(o);
    if (!(g->prev & HL_GC_COLLECTING))
        return 0; /* not in the generation being collected */
    hl_gc_head *young = arg;
    if (g->next & HL_GC_UNREACHABLE) {
        /* Moved to the unreachable list earlier: unlink it by hand (the flag
         * is on every next word of that list, its head's included) and put it
         * back at the end of young, where the scan will reach it again. */
        hl_gc_head *prev = HL_GC_PREV(g), *next = HL_GC_NEXT(g);
        prev->next = g->next; /* keeps the flag */
        hl__gc_set_prev(next, prev);
        hl_gc_head *last = (hl_gc_head *)young->prev;
        last->next = (uintptr_t)g;
        g->next = (uintptr_t)young;
        young->prev = (uintptr_t)g;
        gc_set_refs(g, 1);
    } else if (gc_refs(g) == 0) {
        gc_set_refs(g, 1); /* not scanned yet: it will be, as reachable */
    }
    return 0;
}

/* Does o still have a finalizer to run? */
static inline bool needs_finalizer(const hl_obj *o, const hl_gc_head *g)
{
    return o->type->kind == HL_KIND_INST && ((const hl_class *)o->type)->finalize != NULL &&
           !(g->prev & HL_GC_FINALIZED);
}

/* _PyTuple_MaybeUntrack: a tuple whose items are all set and none of which
 * may be tracked (_PyObject_GC_MAY_BE_TRACKED: any container but an
 * untracked tuple) can never be part of a cycle (tuples are immutable), so
 * the collector stops looking at it.  hl_tuple_set tracks it again if a
 * container is stored later. */
static bool tuple_untrackable(hl_obj *t)
{
    hl_refspan items;
    hl__tuple_refspan(t, &items);
    for (size_t i = 0; i < items.n; i++) {
        const hl_obj *item = items.first[i];
        if (item == NULL || hl__may_be_tracked(item))
            return false;
    }
    return true;
}

/* Step 4.  On return young holds the reachable objects, doubly linked again
 * with COLLECTING cleared, and unreachable the rest (COLLECTING kept,
 * UNREACHABLE cleared).  *to_finalize counts the unreachable objects with a
 * finalizer still to run (found while clearing the flags).  With rt given,
 * reachable tuples of untracked items are untracked on the way (CPython's
 * untrack_tuples, done during this walk instead of one more). */
static size_t move_unreachable(hl_rt *rt, hl_gc_head *young, hl_gc_head *unreachable,
                               size_t *to_finalize)
{
    size_t reachable = 0;
    hl_gc_head *prev = young;
    hl_gc_head *g = HL_GC_NEXT(young);
    while (g != young) {
        GC_WALK_PREFETCH(g);
        if (gc_refs(g) > 0) {
            hl_obj *o = HL_FROM_GC(g);
            GC_TRAVERSE(o, visit_reachable, young);
            if (rt != NULL && o->type->kind == HL_KIND_TUPLE && tuple_untrackable(o)) {
                prev->next = g->next;
                if (young->prev == (uintptr_t)g)
                    young->prev = (uintptr_t)prev;
                g->next = 0;
                g->prev &= HL_GC_FINALIZED;
                rt->tracked--;
                rt->gc_untracked++;
            } else {
                g->prev = (g->prev & HL_GC_FINALIZED) | (uintptr_t)prev;
                prev = g;
                reachable++;
            }
        } else {
            prev->next = g->next;
            hl_gc_head *last = HL_GC_PREV(unreachable);
            last->next = (uintptr_t)g | HL_GC_UNREACHABLE;
            hl__gc_set_prev(g, last);
            g->next = (uintptr_t)unreachable | HL_GC_UNREACHABLE;
            unreachable->prev = (uintptr_t)g;
        }
        g = (hl_gc_head *)prev->next;
    }
    young->prev = (uintptr_t)prev;
    unreachable->next &= ~HL_GC_UNREACHABLE;
    size_t fin = 0;
    for (hl_gc_head *u = HL_GC_NEXT(unreachable); u != unreachable; u = HL_GC_NEXT(u)) {
        u->next &= ~HL_GC_UNREACHABLE;
        fin += needs_finalizer(HL_FROM_GC(u), u);
    }
    *to_finalize = fin;
    return reachable;
}

/* Steps 2-4 (deduce_unreachable, bpo-38379).  whole_heap: base holds every
 * tracked object (see update_and_subtract_refs).  Returns how many stayed
 * in base (reachable); *total gets how many base held. */
static size_t deduce_unreachable(hl_rt *rt, hl_gc_head *base, hl_gc_head *unreachable,
                                 bool whole_heap, size_t *total, size_t *to_finalize)
{
    if (whole_heap) {
        *total = update_and_subtract_refs(base);
    } else {
        *total = update_refs(base);
        subtract_refs(base);
    }
    list_init(unreachable);
    return move_unreachable(rt, base, unreachable, to_finalize);
}

static void finalize_garbage(hl_rt *rt, hl_gc_head *collectable)
{
    hl_gc_head seen;
    list_init(&seen);
    /* Each object moves to `seen` before its finalizer runs, so a finalizer
     * that frees other members of the set (they leave the list) is safe. */
    while (!list_empty(collectable)) {
        hl_gc_head *g = HL_GC_NEXT(collectable);
        list_move(g, &seen);
        hl_obj *o = HL_FROM_GC(g);
        if (o->type->kind != HL_KIND_INST || (g->prev & HL_GC_FINALIZED))
            continue;
        const hl_class *cls = (const hl_class *)o->type;
        if (cls->finalize == NULL)
            continue;
        g->prev |= HL_GC_FINALIZED;
        hl_obj_incref(rt, o);
        cls->finalize(rt, o, cls->finalize_ctx);
        hl_obj_decref(rt, o);
    }
    list_merge(&seen, collectable);
}

static void clear_collecting(hl_gc_head *h)
{
    for (hl_gc_head *g = HL_GC_NEXT(h); g != h; g = HL_GC_NEXT(g))
        g->prev &= ~HL_GC_COLLECTING;
}

/* Step 7: what a finalizer made reachable again survives, into `old`.
 * Returns the size of still_unreachable. */
static size_t handle_resurrected(hl_gc_head *unreachable, hl_gc_head *still_unreachable,
                                 hl_gc_head *old)
{
    size_t total, fin;
    clear_collecting(unreachable);
    size_t resurrected =
        deduce_unreachable(NULL, unreachable, still_unreachable, false, &total, &fin);
    list_merge(unreachable, old);
    return total - resurrected;
}

/* Step 8. */
static void delete_garbage(hl_rt *rt, hl_gc_head *collectable, hl_gc_head *old)
{
    while (!list_empty(collectable)) {
        hl_gc_head *g = HL_GC_NEXT(collectable);
        hl_obj *o = HL_FROM_GC(g);
        hl_obj_incref(rt, o);
        o->type->clear(rt, o);
        if (HL_GC_NEXT(collectable) == g) {
            /* Still alive (something outside kept it): it may die later. */
            g->prev &= ~HL_GC_COLLECTING;
            list_move(g, old);
        }
        hl_obj_decref(rt, o);
    }
}

/* ---- gc_passes=cpython: the walks gc_collect_main makes ----------------------
 * Each function is its CPython namesake (Modules/gcmodule.c in 3.11 and
 * 3.12, Python/gc.c in 3.13), traversing through tp_traverse with visitor
 * callbacks, with no prefetching. */

/* update_refs; 3.12+: immortal objects move to the permanent generation
 * ("the reference count is not accurately reflecting the actual number of
 * live references to this object"). */
static void cp_update_refs(hl_rt *rt, hl_gc_head *containers)
{
    bool immortal_rule = rt->prof->immortal;
    hl_gc_head *g = HL_GC_NEXT(containers);
    while (g != containers) {
        hl_gc_head *next = HL_GC_NEXT(g);
        hl_obj *o = HL_FROM_GC(g);
        if (immortal_rule && hl_obj_is_immortal(o)) {
            list_move(g, &rt->permanent);
            g = next;
            continue;
        }
        HL_OBJ_ASSERT(o->refcnt > 0, o, "tracked object with refcount 0");
        g->prev = (g->prev & HL_GC_FINALIZED) | HL_GC_COLLECTING |
                  ((uintptr_t)hl__refcnt(o) << HL_GC_REFS_SHIFT);
        g = next;
    }
}

static void cp_subtract_refs(hl_gc_head *containers)
{
    for (hl_gc_head *g = HL_GC_NEXT(containers); g != containers; g = HL_GC_NEXT(g)) {
        hl_obj *o = HL_FROM_GC(g);
        (void)o->type->gc_traverse(o, visit_decref, o);
    }
}

/* move_unreachable.  Leaves NEXT_MASK_UNREACHABLE on the unreachable
 * list's next words (move_legacy_finalizers clears them). */
static void cp_move_unreachable(hl_gc_head *young, hl_gc_head *unreachable)
{
    hl_gc_head *prev = young;
    hl_gc_head *g = HL_GC_NEXT(young);
    while (g != young) {
        if (gc_refs(g) > 0) {
            hl_obj *o = HL_FROM_GC(g);
            (void)o->type->gc_traverse(o, visit_reachable, young);
            g->prev = (g->prev & HL_GC_FINALIZED) | (uintptr_t)prev;
            prev = g;
        } else {
            prev->next = g->next;
            hl_gc_head *last = HL_GC_PREV(unreachable);
            last->next = (uintptr_t)g | HL_GC_UNREACHABLE;
            hl__gc_set_prev(g, last);
            g->next = (uintptr_t)unreachable | HL_GC_UNREACHABLE;
            unreachable->prev = (uintptr_t)g;
        }
        g = (hl_gc_head *)prev->next;
    }
    young->prev = (uintptr_t)prev;
    unreachable->next &= ~HL_GC_UNREACHABLE;
}

static void cp_deduce_unreachable(hl_rt *rt, hl_gc_head *base, hl_gc_head *unreachable)
{
    cp_update_refs(rt, base);
    cp_subtract_refs(base);
    list_init(unreachable);
    cp_move_unreachable(base, unreachable);
}

static void cp_untrack_tuples(hl_rt *rt, hl_gc_head *head)
{
    hl_gc_head *g = HL_GC_NEXT(head);
    while (g != head) {
        hl_gc_head *next = HL_GC_NEXT(g);
        hl_obj *o = HL_FROM_GC(g);
        if (o->type->kind == HL_KIND_TUPLE && tuple_untrackable(o))
            hl__gc_untrack(rt, o);
        g = next;
    }
}

static void cp_untrack_dicts(hl_rt *rt, hl_gc_head *head)
{
    hl_gc_head *g = HL_GC_NEXT(head);
    while (g != head) {
        hl_gc_head *next = HL_GC_NEXT(g);
        hl_obj *o = HL_FROM_GC(g);
        if (o->type->kind == HL_KIND_DICT && hl__dict_untrackable(o))
            hl__gc_untrack(rt, o);
        g = next;
    }
}

/* Where a legacy finalizer (tp_del) would be: heaplab's types have none,
 * but the walk reads each object's type, as has_legacy_finalizer does. */
static inline bool has_legacy_finalizer(const hl_obj *o) { return o->type->kind >= HL_KIND_COUNT; }

static void cp_move_legacy_finalizers(hl_gc_head *unreachable, hl_gc_head *finalizers)
{
    hl_gc_head *next;
    for (hl_gc_head *g = HL_GC_NEXT(unreachable); g != unreachable; g = next) {
        g->next &= ~HL_GC_UNREACHABLE;
        next = (hl_gc_head *)g->next;
        if (has_legacy_finalizer(HL_FROM_GC(g))) {
            g->prev &= ~HL_GC_COLLECTING;
            list_move(g, finalizers);
        }
    }
}

/* handle_weakrefs' first loop: for a type that supports weak references
 * (instances), the weakref list head.  heaplab has no weak references (it
 * lends that word to programs as a tag), so nothing is cleared; the loads
 * are what the walk costs. */
static size_t cp_handle_weakrefs(hl_gc_head *unreachable)
{
    uintptr_t seen = 0;
    for (hl_gc_head *g = HL_GC_NEXT(unreachable); g != unreachable; g = HL_GC_NEXT(g)) {
        hl_obj *o = HL_FROM_GC(g);
        if (o->type->kind == HL_KIND_INST)
            seen ^= (uintptr_t)hl_inst_tag(o);
    }
    __asm__ volatile("" : : "r"(seen)); /* keep the loads */
    return 0;
}

static void clear_unreachable_mask(hl_gc_head *unreachable)
{
    hl_gc_head *next;
    for (hl_gc_head *g = HL_GC_NEXT(unreachable); g != unreachable; g = next) {
        g->next &= ~HL_GC_UNREACHABLE;
        next = (hl_gc_head *)g->next;
    }
}

/* handle_resurrected_objects */
static void cp_handle_resurrected(hl_rt *rt, hl_gc_head *unreachable,
                                  hl_gc_head *still_unreachable, hl_gc_head *old)
{
    clear_collecting(unreachable);
    cp_deduce_unreachable(rt, unreachable, still_unreachable);
    clear_unreachable_mask(still_unreachable);
    list_merge(unreachable, old);
}

/* gc_collect_main from deduce_unreachable on; returns m, the objects
 * collected. */
static size_t collect_cpython(hl_rt *rt, int generation, hl_gc_head *young, hl_gc_head *old)
{
    hl_gc_head unreachable, finalizers, final_unreachable;
    cp_deduce_unreachable(rt, young, &unreachable);
    if (rt->untrack_tuples)
        cp_untrack_tuples(rt, young);
    if (young != old) {
        if (generation == HL_GC_GENERATIONS - 2)
            rt->long_lived_pending += list_size(young);
        list_merge(young, old);
    } else {
        if (rt->cfg.lazy_dict_tracking)
            cp_untrack_dicts(rt, young);
        rt->long_lived_pending = 0;
        rt->long_lived_total = list_size(young);
    }
    list_init(&finalizers);
    cp_move_legacy_finalizers(&unreachable, &finalizers);
    size_t m = cp_handle_weakrefs(&unreachable);
    finalize_garbage(rt, &unreachable);
    cp_handle_resurrected(rt, &unreachable, &final_unreachable, old);
    m += list_size(&final_unreachable);
    delete_garbage(rt, &final_unreachable, old);
    list_merge(&finalizers, old); /* handle_legacy_finalizers: always empty */
    return m;
}

/* gc_passes=fused: from deduce_unreachable on. */
static size_t collect_fused(hl_rt *rt, int generation, hl_gc_head *young, hl_gc_head *old)
{
    /* The permanent generation (gc.freeze) is the only place a tracked
     * object can be outside a full collection's young. */
    bool whole_heap = young == old && list_empty(&rt->permanent);
    hl_gc_head unreachable;
    size_t total, to_finalize;
    size_t untracked_before = rt->gc_untracked;
    size_t survivors = deduce_unreachable(rt->untrack_tuples ? rt : NULL, young, &unreachable,
                                          whole_heap, &total, &to_finalize);
    /* tuples untracked on the way were reachable: not garbage */
    total -= rt->gc_untracked - untracked_before;

    if (young != old) {
        if (generation == HL_GC_GENERATIONS - 2)
            rt->long_lived_pending += survivors;
        list_merge(young, old);
    } else {
        rt->long_lived_pending = 0;
        rt->long_lived_total = survivors;
    }

    /* As CPython's m, `collected` counts the set about to be cleared.  When
     * no finalizer is due, no user code runs before delete_garbage, so the
     * refcounts cannot have changed and re-deducing would find the same
     * set: both steps are skipped. */
    size_t collected = total - survivors;
    if (to_finalize > 0) {
        finalize_garbage(rt, &unreachable);
        hl_gc_head still;
        collected = handle_resurrected(&unreachable, &still, old);
        delete_garbage(rt, &still, old);
    } else {
        delete_garbage(rt, &unreachable, old);
    }
    return collected;
}

static void record_pause(hl_rt *rt, int generation, uint64_t ns)
{
    hl_u64vec *v = &rt->pauses[generation];
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        uint64_t *p = realloc(v->v, cap * sizeof *p);
        if (p == NULL)
            return; /* bookkeeping only: drop the sample rather than fail */
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = ns;
}

static size_t collect(hl_rt *rt, int generation)
{
    uint64_t t0 = hl__now_ns();
    /* free-threaded CPython merges every queued refcount during a
     * collection (Python/brc.c): the counts read below are then true */
    if (rt->rc == HL_RC_BIASED)
        hl__brc_merge_queued(rt);
    rt->collecting = true;
    __atomic_fetch_and(&rt->eval_breaker, ~HL_EVAL_GC, __ATOMIC_RELAXED);

    if (generation + 1 < HL_GC_GENERATIONS)
        rt->gens[generation + 1].count++;
    for (int i = 0; i <= generation; i++)
        rt->gens[i].count = 0;
    for (int i = 0; i < generation; i++)
        list_merge(&rt->gens[i].head, &rt->gens[generation].head);

    hl_gc_head *young = &rt->gens[generation].head;
    hl_gc_head *old = generation + 1 < HL_GC_GENERATIONS ? &rt->gens[generation + 1].head : young;
    size_t collected = rt->cfg.gc_passes == HL_GC_PASSES_FUSED
                           ? collect_fused(rt, generation, young, old)
                           : collect_cpython(rt, generation, young, old);

    /* clear_freelists: only in collections of the oldest generation */
    if (generation == HL_GC_GENERATIONS - 1)
        hl__freelists_clear(rt);

    rt->stats[generation].collections++;
    rt->stats[generation].collected += collected;
    rt->collecting = false;
    record_pause(rt, generation, hl__now_ns() - t0);

    if (rt->validate_each) {
        char err[256];
        if (hl_gc_validate(rt, err, sizeof err) != 0) {
            fprintf(stderr, "heaplab gc: validation after a gen-%d collection failed: %s\n",
                    generation, err);
            abort();
        }
    }
    return collected;
}

/* collect_generations: the oldest generation over its threshold, with the
 * 25% rule for the full collection. */
static void collect_generations(hl_rt *rt)
{
    for (int i = HL_GC_GENERATIONS - 1; i >= 0; i--) {
        if (rt->gens[i].count > rt->gens[i].threshold) {
            if (i == HL_GC_GENERATIONS - 1 && rt->long_lived_pending < rt->long_lived_total / 4)
                continue;
            collect(rt, i);
            break;
        }
    }
}

static inline bool may_collect(const hl_rt *rt)
{
    const hl_gen *g0 = &rt->gens[0];
    return g0->count > g0->threshold && g0->threshold != 0 && rt->gc_enabled && !rt->collecting;
}

/* _PyObject_GC_Link: count the allocation; 3.11 collects here, 3.12+ only
 * schedule a collection for the next eval-breaker check. */
void hl__gc_on_alloc(hl_rt *rt)
{
    rt->gens[0].count++;
    if (!may_collect(rt))
        return;
    if (rt->prof->gc_deferred)
        __atomic_fetch_or(&rt->eval_breaker, HL_EVAL_GC, __ATOMIC_RELAXED);
    else
        collect_generations(rt);
}

/* _Py_RunGC at the eval breaker: the scheduled collection, if still due
 * (gc_select_generation may find none). */
void hl__gc_run_pending(hl_rt *rt)
{
    __atomic_fetch_and(&rt->eval_breaker, ~HL_EVAL_GC, __ATOMIC_RELAXED);
    if (may_collect(rt))
        collect_generations(rt);
}

/* ---- public API ------------------------------------------------------------- */

void hl__gc_init(hl_rt *rt, const hl_rt_config *cfg)
{
    for (int i = 0; i < HL_GC_GENERATIONS; i++) {
        list_init(&rt->gens[i].head);
        rt->gens[i].threshold = cfg->threshold[i];
        rt->gens[i].count = 0;
    }
    list_init(&rt->permanent);
    rt->gc_enabled = cfg->gc_enabled;
    rt->untrack_tuples = cfg->untrack_tuples;
}

void hl__gc_fini(hl_rt *rt)
{
    for (int i = 0; i < HL_GC_GENERATIONS; i++)
        free(rt->pauses[i].v);
}

size_t hl_gc_collect(hl_rt *rt, int generation)
{
    if (generation < 0 || generation >= HL_GC_GENERATIONS || rt->collecting)
        return 0;
    return collect(rt, generation);
}

void hl_gc_enable(hl_rt *rt) { rt->gc_enabled = true; }
void hl_gc_disable(hl_rt *rt) { rt->gc_enabled = false; }
bool hl_gc_is_enabled(const hl_rt *rt) { return rt->gc_enabled; }
void hl_gc_set_validate_each(hl_rt *rt, bool on) { rt->validate_each = on; }

void hl_gc_set_threshold(hl_rt *rt, uint32_t t0, uint32_t t1, uint32_t t2)
{
    rt->gens[0].threshold = t0;
    rt->gens[1].threshold = t1;
    rt->gens[2].threshold = t2;
}

void hl_gc_get_threshold(const hl_rt *rt, uint32_t out[3])
{
    for (int i = 0; i < HL_GC_GENERATIONS; i++)
        out[i] = rt->gens[i].threshold;
}

void hl_gc_get_count(const hl_rt *rt, uint64_t out[3])
{
    for (int i = 0; i < HL_GC_GENERATIONS; i++)
        out[i] = rt->gens[i].count;
}

/* gc.freeze (bpo-31558): all generations into the permanent one. */
void hl_gc_freeze(hl_rt *rt)
{
    for (int i = 0; i < HL_GC_GENERATIONS; i++)
        list_merge(&rt->gens[i].head, &rt->permanent);
    rt->gens[0].count = 0;
}

void hl_gc_unfreeze(hl_rt *rt)
{
    list_merge(&rt->permanent, &rt->gens[HL_GC_GENERATIONS - 1].head);
}

size_t hl_gc_get_freeze_count(const hl_rt *rt) { return list_size(&rt->permanent); }

void hl_gc_get_stats(const hl_rt *rt, hl_gc_stats out[HL_GC_GENERATIONS])
{
    memcpy(out, rt->stats, sizeof rt->stats);
}

void hl_gc_pauses(const hl_rt *rt, int generation, const uint64_t **out, size_t *n)
{
    if (generation < 0 || generation >= HL_GC_GENERATIONS) {
        *out = NULL;
        *n = 0;
        return;
    }
    *out = rt->pauses[generation].v;
    *n = rt->pauses[generation].n;
}

void hl_gc_reset_pauses(hl_rt *rt)
{
    for (int i = 0; i < HL_GC_GENERATIONS; i++)
        rt->pauses[i].n = 0;
}

void hl_gc_long_lived(const hl_rt *rt, uint64_t *total, uint64_t *pending)
{
    *total = rt->long_lived_total;
    *pending = rt->long_lived_pending;
}

size_t hl_gc_tracked_count(const hl_rt *rt) { return rt->tracked; }

size_t hl_gc_generation_size(const hl_rt *rt, int generation)
{
    if (generation == HL_GC_GENERATIONS)
        return list_size(&rt->permanent);
    if (generation < 0 || generation > HL_GC_GENERATIONS)
        return 0;
    return list_size(&rt->gens[generation].head);
}

/* ---- validator ----------------------------------------------------------------- */

/* Pointer set for "every object on exactly one list": open addressing. */
typedef struct ptrset {
    uintptr_t *slot;
    size_t mask;
} ptrset;

static bool ptrset_add(ptrset *s, uintptr_t p)
{
    size_t i = (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull) & s->mask;
    while (s->slot[i] != 0) {
        if (s->slot[i] == p)
            return false;
        i = (i + 1) & s->mask;
    }
    s->slot[i] = p;
    return true;
}

/* The referent span gc.c visits must be exactly what traverse visits, in the
 * same order (see GC_TRAVERSE): walk both side by side. */
typedef struct span_check {
    hl_refspan span;
    size_t i;
    bool ok;
} span_check;

static hl_obj *span_next(span_check *c)
{
    while (c->i < c->span.n) {
        hl_obj *r = c->span.first[c->i++ * c->span.stride];
        if (r != NULL)
            return r;
    }
    return NULL;
}

static int visit_span_check(hl_obj *o, void *arg)
{
    span_check *c = arg;
    if (span_next(c) != o)
        c->ok = false;
    return 0;
}

/* gc_traverse must visit what traverse visits (in its own order), plus at
 * most the non-container stand-in of an instance's class: compared as
 * counts and sums of the container referents' addresses. */
typedef struct visit_sum {
    size_t n;
    uintptr_t sum;
} visit_sum;

static int visit_sum_gc(hl_obj *o, void *arg)
{
    visit_sum *s = arg;
    if (o->type->is_gc || o->type->kind != HL_KIND_NONE || o->type->dealloc != NULL) {
        s->n++;
        s->sum += (uintptr_t)o;
    }
    return 0;
}

static bool gc_traverse_matches(hl_obj *o)
{
    visit_sum a = {0, 0}, b = {0, 0};
    o->type->traverse(o, visit_sum_gc, &a);
    o->type->gc_traverse(o, visit_sum_gc, &b);
    return a.n == b.n && a.sum == b.sum;
}

static bool refspan_matches_traverse(hl_obj *o)
{
    span_check c = {.i = 0, .ok = true};
    if (!container_refspan(o, &c.span))
        return true; /* GC_TRAVERSE uses traverse itself */
    o->type->traverse(o, visit_span_check, &c);
    return c.ok && span_next(&c) == NULL;
}

int hl_gc_validate(hl_rt *rt, char *err, size_t errlen)
{
    size_t cap = 16;
    while (cap < 2 * rt->tracked + 16)
        cap *= 2;
    ptrset set = {calloc(cap, sizeof(uintptr_t)), cap - 1};
    if (set.slot == NULL) {
        snprintf(err, errlen, "hl_gc_validate: out of memory");
        return -1;
    }
    int rc = 0;
    size_t total = 0;
    hl_gc_head *lists[HL_GC_GENERATIONS + 1] = {&rt->gens[0].head, &rt->gens[1].head,
                                                &rt->gens[2].head, &rt->permanent};
    for (int l = 0; l < HL_GC_GENERATIONS + 1 && rc == 0; l++) {
        hl_gc_head *h = lists[l];
        if ((h->next & HL_GC_UNREACHABLE) || (h->prev & HL_GC_PREV_FLAGS)) {
            snprintf(err, errlen, "list %d: head carries tag bits", l);
            rc = -1;
            break;
        }
        hl_gc_head *prev = h;
        for (hl_gc_head *g = HL_GC_NEXT(h); g != h; prev = g, g = HL_GC_NEXT(g)) {
            hl_obj *o = HL_FROM_GC(g);
            if (HL_GC_PREV(g) != prev) {
                snprintf(err, errlen, "list %d, object #%zu: prev link does not match", l,
                         total);
                rc = -1;
            } else if ((g->next & HL_GC_UNREACHABLE) || (g->prev & HL_GC_COLLECTING)) {
                snprintf(err, errlen, "list %d, object #%zu: collection flags left set", l,
                         total);
                rc = -1;
            } else if (o->refcnt == 0 || o->type == NULL || !o->type->is_gc) {
                snprintf(err, errlen,
                         "list %d, object #%zu: dead object or non-container on a list", l,
                         total);
                rc = -1;
            } else if (o->type->gc_traverse == NULL || !gc_traverse_matches(o)) {
                snprintf(err, errlen,
                         "list %d, object #%zu (%s): gc_traverse differs from traverse", l,
                         total, o->type->name);
                rc = -1;
            } else if (!refspan_matches_traverse(o)) {
                snprintf(err, errlen,
                         "list %d, object #%zu (%s): referent span differs from traverse", l,
                         total, o->type->name);
                rc = -1;
            } else if (!ptrset_add(&set, (uintptr_t)g)) {
                snprintf(err, errlen, "list %d: object %p is on the lists twice", l, (void *)o);
                rc = -1;
            } else if (++total > rt->tracked) {
                snprintf(err, errlen, "lists hold more objects than the %zu tracked",
                         rt->tracked);
                rc = -1;
            }
            if (rc)
                break;
        }
        if (rc == 0 && HL_GC_PREV(h) != prev) {
            snprintf(err, errlen, "list %d: head's prev is not the last object", l);
            rc = -1;
        }
    }
    free(set.slot);
    if (rc)
        return rc;
    if (total != rt->tracked) {
        snprintf(err, errlen, "lists hold %zu objects, tracked count says %zu", total,
                 rt->tracked);
        return -1;
    }
    if (!rt->collecting && !rt->draining && rt->trash_nesting == 0) {
        uint64_t containers = rt->live[HL_KIND_TUPLE] + rt->live[HL_KIND_LIST] +
                              rt->live[HL_KIND_DICT] + rt->live[HL_KIND_INST] +
                              rt->live[HL_KIND_LISTITER];
        if (containers != total + rt->gc_untracked) {
            snprintf(err, errlen,
                     "%" PRIu64 " live containers but %zu tracked and %zu untracked", containers,
                     total, rt->gc_untracked);
            return -1;
        }
    }
    return 0;
}
