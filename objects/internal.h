/* internal.h - what the object layer's files share: the runtime struct, the
 * GC header and its tag bits, allocation helpers.  Not for workloads.
 */
#ifndef HL_OBJECTS_INTERNAL_H
#define HL_OBJECTS_INTERNAL_H

#include "gc.h"
#include "object.h"
#include "runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef HL_DEBUG
#define HL_OBJ_ASSERT(cond, o, what)                                                   \
    do {                                                                               \
        if (!(cond))                                                                   \
            hl__obj_fatal(__FILE__, __LINE__, (o), (what));                            \
    } while (0)
#else
#define HL_OBJ_ASSERT(cond, o, what) ((void)0)
#endif
_Noreturn void hl__obj_fatal(const char *file, int line, const hl_obj *o, const char *what);

/* Refcount invariant for a live object (debug builds): a positive count that
 * is either immortal or far below it, and a type with a known kind. */
#define HL_OBJ_CHECK(o)                                                                \
    HL_OBJ_ASSERT((o)->refcnt > 0 && (o)->type != NULL &&                              \
                      (unsigned)(o)->type->kind < HL_KIND_COUNT,                       \
                  (o), "refcount invariant (dead or corrupt object)")

/* ---- GC header ------------------------------------------------------------ *
 * Sits right before every container object (CPython's PyGC_Head since 3.8,
 * bpo-33597).  Outside a collection both words are pointers of a circular
 * doubly linked generation list, with tag bits in the low bits:
 *   prev bit 0 FINALIZED   PEP 442: the finalizer ran (kept forever)
 *   prev bit 1 COLLECTING  in the generation being collected
 *   next bit 0 UNREACHABLE in the tentatively-unreachable list (collection only)
 * During a collection prev holds gc_refs << 2 instead of a pointer for the
 * objects being examined, so the young list is singly linked then.
 * Untracked: next == 0 (prev keeps FINALIZED; while waiting on the deferred
 * dealloc stack, prev's pointer bits link that stack). */
typedef struct hl_gc_head {
    uintptr_t next;
    uintptr_t prev;
} hl_gc_head;

#define HL_GC_FINALIZED ((uintptr_t)1)
#define HL_GC_COLLECTING ((uintptr_t)2)
#define HL_GC_PREV_FLAGS ((uintptr_t)3)
#define HL_GC_REFS_SHIFT 2
#define HL_GC_UNREACHABLE ((uintptr_t)1)

#define HL_AS_GC(o) ((hl_gc_head *)(o) - 1)
#define HL_FROM_GC(g) ((hl_obj *)((hl_gc_head *)(g) + 1))
#define HL_GC_PREV(g) ((hl_gc_head *)((g)->prev & ~HL_GC_PREV_FLAGS))
#define HL_GC_NEXT(g) ((hl_gc_head *)((g)->next & ~HL_GC_UNREACHABLE))

static inline void hl__gc_set_prev(hl_gc_head *g, hl_gc_head *p)
{
    g->prev = (g->prev & HL_GC_PREV_FLAGS) | (uintptr_t)p;
}

typedef struct hl_u64vec {
    uint64_t *v;
    size_t n, cap;
} hl_u64vec;

typedef struct hl_objvec {
    hl_obj **v;
    size_t n, cap;
} hl_objvec;
int hl__objvec_push(hl_objvec *vec, hl_obj *o); /* plain malloc; 0 or -1 */

/* One generation: a list head, CPython's threshold and count. */
typedef struct hl_gen {
    hl_gc_head head;
    uint32_t threshold;
    uint64_t count;
} hl_gen;

/* How instances of a class are laid out (instance.c). */
typedef enum hl_inst_kind {
    HL_INSTK_DICT,     /* what-if instances=dict: 48 bytes + an attribute dict */
    HL_INSTK_V311,     /* 3.11: object (dict and values pointers) + values array */
    HL_INSTK_V312,     /* 3.12: object (one dict-or-values word) + values array */
    HL_INSTK_INLINE    /* 3.13: values inline after the object */
} hl_inst_kind;

/* A user class: an hl_type (first, so an instance's type pointer is the
 * class) plus the finalizer, live counters, the instance layout and, for
 * the profiles' layouts, the shared keys (ht_cached_keys).  Invariant:
 * shared != NULL iff layout != HL_INSTK_DICT. */
struct hl_class {
    hl_type type;
    hl_finalize_fn finalize;
    void *finalize_ctx;
    uint64_t live;
    uint64_t growth_peak; /* hl_growth's peak */
    struct hl_class *next;
    hl_inst_kind layout;
    struct dk_keys *shared;
    /* What subtype_traverse's Py_VISIT(type) visits for a heap type: a
     * stand-in header (not an object of the runtime, never counted), so the
     * collector makes that visit too; the class is not a container here,
     * so the visit stops at it. */
    hl_obj type_obj;
    char name[];
};

#define HL_SMALL_INT_MIN (-5)
#define HL_SMALL_INT_MAX 256
#define HL_N_SMALL_INTS (HL_SMALL_INT_MAX - HL_SMALL_INT_MIN + 1)

/* ---- profiles (profile.c) ------------------------------------------------- *
 * What differs between the CPython versions modelled, one row per version,
 * each field cited where it is used. */

typedef struct hl_profile {
    hl_py_profile id;
    const char *name;          /* "3.11" */
    uint32_t threshold[3];     /* _PyInterpreterState_INIT's gc generations */
    unsigned str_data_offset;  /* sizeof(PyASCIIObject): 48 with wstr (3.11), 40 */
    unsigned tuple_pop_max;    /* largest tuple size maybe_freelist_pop serves */
    bool immortal;             /* PEP 683: singletons immortal, update_refs moves
                                  immortal containers to the permanent generation */
    bool interned_immortal;    /* interned identifiers immortal (3.12, 3.13) */
    bool constants_immortal;   /* interned literal constants immortal (3.12 only) */
    bool gc_deferred;          /* collections at the next eval-breaker check */
    bool keys_in_item_mem;     /* dict key tables from PyMem (3.13) */
    size_t inst_basic;         /* instance block before any values (GC header included) */
    hl_inst_kind inst;         /* the profile's instance layout */
    unsigned trash_depth;      /* dealloc nesting before the trashcan defers */
    unsigned trash_resume;     /* nesting below which the deferred chain is freed */
} hl_profile;

const hl_profile *hl__profile_get(hl_py_profile id); /* NULL when unknown */

/* ---- instance values (CPython's PyDictValues) --------------------------------- *
 * The attribute values of an instance of a class with shared keys: one slot
 * per entry of the class's shared keys, indexed like them, plus the order
 * in which this instance set them.  Sizes are CPython's:
 *   3.11/3.12, a separate block (Objects/dictobject.c new_values):
 *       round_up(capacity + 2, 8) prefix bytes + 8 * capacity
 *   3.13, inline after the object or a separate copy (_PyInlineValuesSize,
 *       values_size_from_count): 8 + 8 * capacity + round_up(capacity, 8)
 * heaplab's layout inside those bytes: cap_flags, count, count order bytes,
 * then (at hl__vals_hdr) the slots.  capacity <= 30 (SHARED_KEYS_MAX_SIZE)
 * fits the low six bits. */
typedef struct hl_vals {
    uint8_t cap_flags;
    uint8_t count;   /* entries of order[] */
    uint8_t order[]; /* slot indices in insertion order */
} hl_vals;
#define HL_VALS_CAP_MASK 0x3f
#define HL_VALS_EMBEDDED 0x40   /* inside its instance (3.13 inline values) */
#define HL_VALS_INLINE_FMT 0x80 /* 3.13 sizes */

static inline unsigned hl__vals_cap(const hl_vals *v) { return v->cap_flags & HL_VALS_CAP_MASK; }
static inline size_t hl__round8(size_t n) { return (n + 7) & ~(size_t)7; }
static inline size_t hl__vals_hdr(bool inline_fmt, unsigned cap)
{
    return inline_fmt ? 8 + hl__round8(cap) : hl__round8((size_t)cap + 2);
}
static inline size_t hl__vals_bytes(bool inline_fmt, unsigned cap)
{
    return hl__vals_hdr(inline_fmt, cap) + 8 * (size_t)cap;
}
static inline hl_obj **hl__vals_slots(const hl_vals *v)
{
    return (hl_obj **)((char *)v + hl__vals_hdr(v->cap_flags & HL_VALS_INLINE_FMT, hl__vals_cap(v)));
}
/* _PyDictValues_AddToInsertionOrder / delete_index_from_values */
static inline void hl__vals_order_add(hl_vals *v, unsigned ix) { v->order[v->count++] = (uint8_t)ix; }
static inline void hl__vals_order_del(hl_vals *v, unsigned ix)
{
    unsigned i = 0;
    while (i < v->count && v->order[i] != ix)
        i++;
    for (; i + 1 < v->count; i++)
        v->order[i] = v->order[i + 1];
    if (v->count > 0)
        v->count--;
}
/* A separate values block of `cap` NULL slots from item_mem (PyMem_Malloc),
 * in the profile's format; NULL when out of memory. */
hl_vals *hl__vals_new(hl_rt *rt, unsigned cap, bool inline_fmt);
void hl__vals_free(hl_rt *rt, hl_vals *v); /* a separate block only */

/* ---- shared keys (dict.c): a class's split key table ------------------------- *
 * Objects/dictobject.c _PyDict_NewKeysForClass: 64 slots, str entries, room
 * (usable) 30, one fewer per instance made, one fewer per name added. */
struct dk_keys;
struct dk_keys *hl__shared_keys_new(hl_rt *rt);
void hl__shared_keys_free(hl_rt *rt, struct dk_keys *k);
void hl__shared_keys_instance_made(struct dk_keys *k);  /* if usable > 1: usable-- */
unsigned hl__shared_keys_usable_size(const struct dk_keys *k); /* nentries + usable */
int64_t hl__shared_keys_nentries(const struct dk_keys *k);
int64_t hl__shared_keys_find(const struct dk_keys *k, const char *name, size_t len);
/* The interned str naming entry ix (0 <= ix < nentries); borrowed. */
hl_obj *hl__shared_keys_name(const struct dk_keys *k, int64_t ix);
/* insert_into_dictkeys: the name's index, added (the keys take an interned
 * str) while there is room; -1 when there is none, -2 out of memory. */
int64_t hl__shared_keys_add(hl_rt *rt, struct dk_keys *k, const char *name, size_t len);

/* A dict over an instance's values (make_dict_from_instance_attributes): it
 * takes the values (separate, or embedded in the instance: 3.13) and refers
 * to the shared keys; tracked when a value may be tracked.  NULL when out of
 * memory. */
hl_obj *hl__dict_new_split(hl_rt *rt, struct dk_keys *shared, hl_vals *values);
hl_vals *hl__dict_values(const hl_obj *d); /* NULL for a combined table */
/* Its values were stored into directly (3.13's inline values). */
void hl__dict_values_changed(hl_obj *d);
/* 3.13 _PyDict_DetachFromObject: the dict's embedded values copied to a
 * separate block, the inline ones left empty.  0, or -1 out of memory. */
int hl__dict_detach_values(hl_rt *rt, hl_obj *d);

/* _PyObject_GC_MAY_BE_TRACKED: a container, except a tuple not tracked. */
static inline bool hl__may_be_tracked(const hl_obj *o)
{
    if (!o->type->is_gc)
        return false;
    return o->type->kind != HL_KIND_TUPLE || HL_AS_GC(o)->next != 0;
}

/* ---- the allocator call stream (callstats.c) --------------------------------- */
typedef enum hl_call_kind { HL_CALL_MALLOC, HL_CALL_CALLOC, HL_CALL_REALLOC, HL_CALL_FREE } hl_call_kind;
void hl__calls_count(hl_callstats *s, hl_call_kind kind, size_t n);

/* ---- free lists (freelist.c) ------------------------------------------------ */
typedef enum hl_fl_kind { HL_FL_FLOAT, HL_FL_TUPLE, HL_FL_LIST, HL_FL_DICT } hl_fl_kind;
#define HL_FL_FLOATS 100      /* PyFloat_MAXFREELIST */
#define HL_FL_TUPLE_SIZES 20  /* PyTuple_NFREELISTS / PyTuple_MAXSAVESIZE */
#define HL_FL_TUPLES 2000     /* PyTuple_MAXFREELIST */
#define HL_FL_LISTS 80        /* PyList_MAXFREELIST */
#define HL_FL_DICTS 80        /* PyDict_MAXFREELIST */
#define HL_FL_KEYS 80         /* keys_free_list of PyDict_MAXFREELIST */
/* An 8-slot str-keyed table: 32-byte header + 8 index bytes + 5 x 16. */
#define HL_DICT_MIN_STR_KEYS_BYTES 120

/* Invariants: n* counts the blocks of each list (chains for floats and
 * tuples, arrays for the rest), never above the list's size; every block
 * is the block of a dead object of the list's kind (and, for tuples, of
 * index + 1 items), untracked, refcnt 0, not counted live. */
typedef struct hl_freelists {
    struct fl_block *floats;
    unsigned nfloats;
    struct fl_block *tuples[HL_FL_TUPLE_SIZES];
    unsigned ntuples[HL_FL_TUPLE_SIZES];
    hl_obj *lists[HL_FL_LISTS];
    unsigned nlists;
    hl_obj *dicts[HL_FL_DICTS];
    unsigned ndicts;
    void *keys[HL_FL_KEYS];
    unsigned nkeys;
} hl_freelists;

/* The intern table's index (intern.c).  Invariant: n < cap / 2 (cap a power
 * of two or 0); every non-NULL slot holds an interned str the runtime owns. */
typedef struct hl_intern {
    hl_obj **slot;
    size_t cap, n;
} hl_intern;

/* Invariants: tracked == objects on gens[0..2] + permanent lists;
 * outside a collection and the dealloc drain, tracked + gc_untracked == live
 * containers;
 * live[k] counts allocated objects of builtin kind k (instances: sum over the
 * classes' live counters), blocks on free lists excluded. */
struct hl_rt {
    hl_allocator *obj_mem, *item_mem;
    hl_rc_mode rc;
    const hl_profile *prof;
    hl_rt_config cfg;          /* as given, thresholds resolved */
    hl_callstats *calls;       /* non-NULL while counting (hl_rt_callstats_start) */
    hl_callstats calls_store;

    /* cycle GC (gc.c) */
    hl_gen gens[HL_GC_GENERATIONS];
    hl_gc_head permanent;
    bool gc_enabled;
    bool collecting;
    /* the eval breaker's requests (HL_EVAL_*), set by allocations (3.12+
     * collections) and by other threads (biased refcount merges) */
    int eval_breaker;
    /* biased reference counting (refcount.c): objects other threads queued
     * for the owner to merge, under brc_lock */
    pthread_mutex_t brc_lock;
    hl_objvec brc_queue;
    bool validate_each;
    bool untrack_tuples;
    uint64_t long_lived_total, long_lived_pending;
    size_t tracked;
    size_t gc_untracked; /* live containers not tracked (new, untracked by rule) */
    hl_gc_stats stats[HL_GC_GENERATIONS];
    hl_u64vec pauses[HL_GC_GENERATIONS];

    /* deallocation (runtime.c): the trashcan's nesting and deferred chain
     * (CPython's trash_delete_nesting / trash_delete_later), or, for
     * dealloc=deferred, the stack of containers whose count reached zero */
    unsigned trash_nesting;
    hl_gc_head *trash_later;
    hl_gc_head *dealloc_stack;
    bool draining;

    hl_freelists fl;
    hl_intern interned;

    /* singletons */
    hl_obj *none;
    hl_obj *small_ints[HL_N_SMALL_INTS];
    hl_obj *empty_str;
    hl_obj *char_strs[128];
    hl_obj *empty_tuple;

    uint64_t live[HL_KIND_COUNT];
    uint64_t growth_peak[HL_KIND_COUNT];
    hl_class *classes;

    hl_objvec roots;
    hl_objvec immortals; /* made immortal by hl_obj_immortalize */

    hl_dealloc_hook dealloc_hook;
    void *dealloc_hook_ctx;
    bool entered;
};

/* ---- allocator calls ---------------------------------------------------------
 * Every call of the object layer to obj_mem or item_mem goes through these,
 * so that the call stream can be counted. */
static inline void *hl__mem_malloc(hl_rt *rt, hl_allocator *a, size_t n)
{
    void *p = hl_malloc(a, n);
    if (__builtin_expect(rt->calls != NULL, 0) && p != NULL)
        hl__calls_count(rt->calls, HL_CALL_MALLOC, n);
    return p;
}

static inline void *hl__mem_calloc(hl_rt *rt, hl_allocator *a, size_t count, size_t n)
{
    void *p = hl_calloc(a, count, n);
    if (__builtin_expect(rt->calls != NULL, 0) && p != NULL)
        hl__calls_count(rt->calls, HL_CALL_CALLOC, count * n);
    return p;
}

static inline void *hl__mem_realloc(hl_rt *rt, hl_allocator *a, void *p, size_t old_size,
                                    size_t n)
{
    void *q = hl_realloc(a, p, old_size, n);
    if (__builtin_expect(rt->calls != NULL, 0) && (q != NULL || n == 0))
        hl__calls_count(rt->calls, HL_CALL_REALLOC, n);
    return q;
}

static inline void hl__mem_free(hl_rt *rt, hl_allocator *a, void *p, size_t size)
{
    if (p == NULL)
        return;
    hl_free(a, p, size);
    if (__builtin_expect(rt->calls != NULL, 0))
        hl__calls_count(rt->calls, HL_CALL_FREE, size);
}

/* ---- referent spans, for the collector's inlined traversal (gc.c) ---------- *
 * A collection visits every referent of every container twice; going through
 * tp_traverse costs an indirect call per container and another per referent.
 * Instead gc.c asks a container for its referent slots as a span: n slots,
 * `stride` pointers apart from `first`, NULL slots skipped, which is exactly
 * what (and the order in which) the type's traverse visits.  Each returns
 * false when the referents are not one such span (a dict with general keys
 * visits key, value pairs): the caller then uses traverse. */
typedef struct hl_refspan {
    hl_obj **first;
    size_t n, stride;
} hl_refspan;
bool hl__tuple_refspan(hl_obj *o, hl_refspan *span);
bool hl__list_refspan(hl_obj *o, hl_refspan *span);
bool hl__dict_refspan(hl_obj *o, hl_refspan *span);
bool hl__inst_refspan(hl_obj *o, hl_refspan *span);

/* Builtin types (their own files). */
extern const hl_type hl__none_type, hl__int_type, hl__float_type, hl__str_type,
    hl__tuple_type, hl__list_type, hl__dict_type, hl__listiter_type;
void hl__inst_type_init(hl_type *t, const char *name);
int hl__atomic_traverse(hl_obj *o, hl_visit_fn visit, void *arg); /* visits nothing */
void hl__atomic_clear(hl_rt *rt, hl_obj *o);                       /* nothing to drop */

/* Allocation of an object block of `size` bytes (GC header included for
 * containers) from obj_mem; sets refcnt 1 and type; counts it live.
 * Containers: counted in gen 0 (may run a collection first, as
 * _PyObject_GC_Link does, before the block is allocated) but not tracked:
 * call hl__gc_track once the object is initialised, before anything else
 * can allocate.  NULL when out of memory. */
hl_obj *hl__obj_alloc(hl_rt *rt, const hl_type *type, size_t size);
/* Returns the block of a dying object to obj_mem (calls the dealloc hook,
 * uncounts it, for containers lowers the gen-0 count). */
void hl__obj_free(hl_rt *rt, hl_obj *o);

/* Free lists.  pop: a block of that list made an object of `type` (refcnt
 * 1, counted live, untracked, gen-0 count untouched), or NULL when the list
 * is empty, the size is not served or free lists are off.  push: the dying
 * object's block kept (dealloc hook called, uncounted), or false when the
 * list is full: then the caller frees it.  index: tuple size - 1. */
hl_obj *hl__freelist_pop(hl_rt *rt, hl_fl_kind kind, size_t index, const hl_type *type);
bool hl__freelist_push(hl_rt *rt, hl_obj *o, hl_fl_kind kind, size_t index);
void *hl__keys_pop(hl_rt *rt);
bool hl__keys_push(hl_rt *rt, void *block);
/* Frees every block (full collections, teardown). */
void hl__freelists_clear(hl_rt *rt);

/* PyObject_Malloc in 3.11 and 3.12, PyMem_Malloc in 3.13
 * (Objects/dictobject.c new_keys_object). */
static inline hl_allocator *hl__keys_mem(hl_rt *rt)
{
    return rt->prof->keys_in_item_mem ? rt->item_mem : rt->obj_mem;
}

/* Whether a dying container releases its items from the end (CPython's
 * tupledealloc and list_dealloc) or in order (dealloc=deferred). */
static inline bool hl__items_backwards(const hl_rt *rt)
{
    return rt->cfg.dealloc == HL_DEALLOC_CPYTHON;
}

void hl__gc_track(hl_rt *rt, hl_obj *o);
void hl__gc_untrack(hl_rt *rt, hl_obj *o);
/* Called on allocation of a container (gen-0 count, automatic collection). */
void hl__gc_on_alloc(hl_rt *rt);
void hl__gc_run_pending(hl_rt *rt);

/* The eval breaker (Python/ceval_gil.c _Py_HandlePending): requests an
 * interpreter serves at its next check, which heaplab makes at the end of
 * every container constructor and in hl_rt_check_eval_breaker. */
#define HL_EVAL_GC 1                 /* 3.12+: _Py_ScheduleGC */
#define HL_EVAL_MERGE_REFCOUNTS 2    /* biased refcounts: _PY_EVAL_EXPLICIT_MERGE_BIT */
extern _Thread_local hl_rt *hl__brc_owner; /* the runtime this thread entered */
void hl__brc_merge_queued(hl_rt *rt);
void hl__eval_breaker_slow(hl_rt *rt);
static inline void hl__gc_eval_breaker(hl_rt *rt)
{
    if (__builtin_expect(__atomic_load_n(&rt->eval_breaker, __ATOMIC_RELAXED) != 0, 0))
        hl__eval_breaker_slow(rt);
}

/* The true reference count in every mode: plain and atomic counts stay
 * below 2^32 in the low half, biased ones add local (low half) and shared
 * (high half, shifted by its two state bits). */
static inline uint64_t hl__refcnt(const hl_obj *o)
{
    uint64_t w = o->refcnt;
    uint32_t local = (uint32_t)w;
    int32_t shared = (int32_t)(uint32_t)(w >> 32);
    return local == UINT32_MAX ? (uint64_t)UINT32_MAX : (uint64_t)((int64_t)local + (shared >> 2));
}
void hl__gc_init(hl_rt *rt, const hl_rt_config *cfg);
void hl__gc_fini(hl_rt *rt);

/* The count reached zero: free now or defer (runtime.c). */
void hl__dealloc(hl_rt *rt, hl_obj *o);

/* 3.11's singleton count: far from zero and from HL_IMMORTAL_REFCNT. */
#define HL_SINGLETON_REFCNT ((uint64_t)1 << 30)
/* Makes o a singleton: immortal in 3.12+, a huge count in 3.11. */
void hl__make_singleton(hl_rt *rt, hl_obj *o);
/* Teardown: frees a cleared container and what it still owns. */
void hl__obj_teardown_free(hl_rt *rt, hl_obj *o);
void hl__inst_free_storage(hl_rt *rt, hl_obj *o); /* a cleared instance's values array */
void hl__class_free(hl_rt *rt, hl_class *c);

size_t hl__int_getsizeof(const hl_obj *o); /* sys.getsizeof: 24 + 4 * digits */

/* Singletons, created by hl_rt_new and released by hl_rt_free. */
int hl__int_init_cache(hl_rt *rt);
int hl__str_init_cache(hl_rt *rt);
int hl__tuple_init_empty(hl_rt *rt);
/* Frees an object block regardless of its refcount (teardown only). */
void hl__obj_free_forced(hl_rt *rt, hl_obj *o);

/* the intern table (intern.c): the str for a name (identifier) or a literal
 * key, made once and held by the runtime; borrowed; NULL out of memory */
hl_obj *hl__intern(hl_rt *rt, const char *s, size_t len, bool identifier);
void hl__intern_fini(hl_rt *rt);

/* dict internals shared with instance.c, gc.c and introspect.c */
bool hl__dict_untrackable(const hl_obj *d); /* _PyDict_MaybeUntrack's test */
int hl__dict_set_str_n(hl_rt *rt, hl_obj *d, const char *key, size_t len, hl_obj *value);
size_t hl__dict_table_bytes(const hl_obj *d);
bool hl__dict_traverses_keys(const hl_obj *d); /* general (non-str) key table */
int hl__dict_validate(const hl_obj *d);        /* 0 when the table is consistent */

static inline uint64_t hl__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
