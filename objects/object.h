/* object.h - heaplab's objects: header, types, constructors and accessors.
 *
 * How it works
 * ------------
 * Every object starts with an hl_obj header, a reference count and a type
 * pointer (16 bytes, CPython's PyObject).  Container types (tuple, list, dict,
 * instance) have a 16-byte GC header of two links in front of the object
 * (CPython 3.8+ PyGC_Head, bpo-33597), so the block a backend sees per object
 * has the modelled CPython's size on 64-bit Linux (runtime.h's profiles;
 * measured by scripts/cpython_sizes.py, tests/data/cpython):
 *
 *     type      block (GC header included)           hl_obj_sizeof (sys.getsizeof)
 *     None      16                                     16
 *     int       32 below 2^30, else 24 + 4 * digits    24 + 4 * max(1, digits)
 *     float     24                                     24
 *     str       49 + len (3.11), 41 + len (3.12+)      same
 *     tuple     40 + 8 * n (16 GC + 24 + items)        same
 *     list      56 (16 GC + 40); items separately      56 + 8 * allocated
 *     dict      64 (16 GC + 48); table separately      64 + table (if not empty)
 *     instance  56 (3.11) / 48 (3.12) + values array;  56 / 48 / 48
 *               3.13: one block, 48 + inline values
 *
 * List item arrays and instance values arrays come from item_mem; dict key
 * tables (header, index array, entry array in one block, as dictobject.c
 * lays them out) from obj_mem, or item_mem in 3.13.  Floats, tuples of up to
 * 20 items, lists, dicts and 8-slot str-key tables are reused from free
 * lists as in CPython (freelist.c).

 * Reference ownership (read this before using the API):
 *   - constructors and hl_list_pop return a NEW reference;
 *   - getters (hl_list_get, hl_tuple_get, hl_dict_get*, hl_inst_getattr)
 *     return a BORROWED reference, or NULL when absent;
 *   - every function that stores an object (hl_tuple_set, hl_list_append,
 *     hl_list_set, hl_dict_set*, hl_inst_setattr) STEALS the reference passed
 *     in (keys included), also when it fails.  To keep your own reference,
 *     incref first.  (CPython mixes borrowing and stealing; one rule is easier
 *     to get right in C workloads.)
 *
 * Small ints -5..256, None, '' and one-character ASCII strings and the empty
 * tuple are singletons: immortal from 3.12 (PEP 683: incref/decref never
 * write to them), mortal with huge counts in 3.11.  C-string dict keys and
 * attribute names are interned strs made once (intern.c).
 *
 * Usage:
 *
 *     hl_obj *l = hl_list_new(rt);
 *     hl_list_append(rt, l, hl_int_new(rt, 42));        // l owns the int
 *     hl_obj *d = hl_dict_new(rt);
 *     hl_dict_set_str(rt, d, "items", l);               // d owns l now
 *     hl_obj *t = hl_tuple_new(rt, 2);
 *     hl_tuple_set(rt, t, 0, hl_str_new(rt, "x", 1));
 *     hl_tuple_set(rt, t, 1, hl_float_new(rt, 1.5));
 *     hl_class *node = hl_class_new(rt, "Node", NULL, NULL);
 *     hl_obj *n = hl_inst_new(rt, node);
 *     hl_inst_setattr(rt, n, "payload", t);             // n owns t
 *     hl_inst_setattr(rt, n, "next", hl_obj_newref(rt, n)); // a cycle
 *     int64_t v = hl_int_value(hl_list_get(l, 0));      // borrowed
 *     hl_obj_decref(rt, d);                             // frees d, l, the int
 *     hl_obj_decref(rt, n);                             // cycle: left to the GC
 *     hl_gc_collect(rt, 2);                             // frees n and t
 */
#ifndef HL_OBJECTS_OBJECT_H
#define HL_OBJECTS_OBJECT_H

#include "runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- header and types ---------------------------------------------------- */

typedef enum hl_kind {
    HL_KIND_NONE,
    HL_KIND_INT,
    HL_KIND_FLOAT,
    HL_KIND_STR,
    HL_KIND_TUPLE,
    HL_KIND_LIST,
    HL_KIND_DICT,
    HL_KIND_INST,
    HL_KIND_LISTITER,
    HL_KIND_COUNT
} hl_kind;

typedef struct hl_type hl_type;
typedef struct hl_class hl_class;

/* The object header.  Invariants: 0 < refcnt < HL_IMMORTAL_REFCNT while a
 * mortal object is alive; refcnt == HL_IMMORTAL_REFCNT exactly for an
 * immortal one (never written again; debug builds check both); type never
 * changes. */
struct hl_obj {
    uint64_t refcnt;
    const hl_type *type;
};

/* PEP 683, 3.12 encoding on 64-bit: an immortal object's refcount is
 * UINT32_MAX and incref/decref leave it alone.  (The 3.11 profile has no
 * immortal singletons, but hl_obj_immortalize works in every profile, as a
 * what-if for 3.11.) */
#define HL_IMMORTAL_REFCNT ((uint64_t)UINT32_MAX)

/* visit returns 0 to continue; a non-zero value stops the traversal and is
 * returned by traverse (CPython's visitproc protocol). */
typedef int (*hl_visit_fn)(hl_obj *referent, void *arg);

/* Per type behaviour, CPython's PyTypeObject slots that matter here.
 * dealloc: release referents (hl_obj_decref) and free the memory; called with
 *          refcnt == 0 and the object already untracked.
 * traverse: call visit on every referenced object (NULL slots skipped);
 *          atomic types visit nothing.
 * clear:   drop references that may form cycles (tp_clear); a no-op for
 *          atomic types.
 * size:    bytes of the object block as allocated from obj_mem.
 * gc_traverse: the same referents in CPython's tp_traverse order, which the
 *          collector uses (tupletraverse and list_traverse go from the last
 *          item to the first); NULL: traverse's order. */
struct hl_type {
    const char *name;
    hl_kind kind;
    bool is_gc; /* has a GC header in front (container) */
    void (*dealloc)(hl_rt *rt, hl_obj *o);
    int (*traverse)(hl_obj *o, hl_visit_fn visit, void *arg);
    void (*clear)(hl_rt *rt, hl_obj *o);
    size_t (*size)(const hl_obj *o);
    int (*gc_traverse)(hl_obj *o, hl_visit_fn visit, void *arg);
};

static inline hl_kind hl_obj_kind(const hl_obj *o) { return o->type->kind; }
static inline const char *hl_obj_type_name(const hl_obj *o) { return o->type->name; }
static inline bool hl_obj_is_gc(const hl_obj *o) { return o->type->is_gc; }

/* ---- reference counting ---------------------------------------------------- */

/* NULL is accepted and ignored by incref/decref (Py_XINCREF/Py_XDECREF). */
void hl_obj_incref(hl_rt *rt, hl_obj *o);
void hl_obj_decref(hl_rt *rt, hl_obj *o);
/* incref and return o (Py_NewRef). */
hl_obj *hl_obj_newref(hl_rt *rt, hl_obj *o);

/* Makes o immortal (PEP 683): refcount ops stop writing to it and it is
 * never freed before hl_rt_free.  A container stays tracked (so what it
 * refers to stays alive).  Returns 0, or -1 when out of memory. */
int hl_obj_immortalize(hl_rt *rt, hl_obj *o);
/* PEP 683's encoding in every refcount mode: the low 32 bits all ones (a
 * biased count keeps its shared half above them). */
static inline bool hl_obj_is_immortal(const hl_obj *o) { return (uint32_t)o->refcnt == UINT32_MAX; }

/* sys.getsizeof-like size: the block from obj_mem plus owned item storage
 * (list item array, non-empty dict table), GC header included. */
size_t hl_obj_sizeof(const hl_obj *o);

/* Hash of a str or int (the dict's hash); -1 for unhashable types. */
int64_t hl_obj_hash(const hl_obj *o);
/* Equality as the dict uses it: identity, or same-kind equal value for int,
 * float and str. */
bool hl_obj_equal(const hl_obj *a, const hl_obj *b);

/* ---- None ---------------------------------------------------------------- */
hl_obj *hl_none(hl_rt *rt); /* immortal; borrowed (decref is harmless) */

/* ---- int: 30-bit digits like CPython's longobject ------------------------- */
hl_obj *hl_int_new(hl_rt *rt, int64_t value); /* -5..256 -> cached immortal */
int64_t hl_int_value(const hl_obj *o);
unsigned hl_int_ndigits(const hl_obj *o); /* >= 1 */

/* ---- float ----------------------------------------------------------------- */
hl_obj *hl_float_new(hl_rt *rt, double value);
double hl_float_value(const hl_obj *o);

/* ---- str: bytes inline after the header, NUL terminated, hash cached ------- */
hl_obj *hl_str_new(hl_rt *rt, const char *s, size_t len);
hl_obj *hl_str_from(hl_rt *rt, const char *cstr);
/* sys.intern: the one str with these bytes the runtime keeps (made on the
 * first call; immortal where the profile makes interned strs immortal).
 * Returns a new reference.  NULL when out of memory. */
hl_obj *hl_str_intern(hl_rt *rt, const char *s, size_t len);
const char *hl_str_data(const hl_obj *o);
size_t hl_str_len(const hl_obj *o);
int64_t hl_str_hash(hl_obj *o);
/* The hash hl_str_hash gives a str with these bytes (for lookups by C string). */
int64_t hl_str_hash_bytes(const char *s, size_t len);

/* ---- tuple: fixed size, items inline --------------------------------------- */
/* Items start NULL; fill them with hl_tuple_set before sharing the tuple. */
hl_obj *hl_tuple_new(hl_rt *rt, size_t n);
/* hl_tuple_pack(rt, 2, a, b): steals each item. */
hl_obj *hl_tuple_pack(hl_rt *rt, size_t n, ...);
size_t hl_tuple_len(const hl_obj *t);
hl_obj *hl_tuple_get(const hl_obj *t, size_t i);                /* borrowed */
void hl_tuple_set(hl_rt *rt, hl_obj *t, size_t i, hl_obj *item); /* steals; releases old */

/* ---- list: separately allocated item array, over-allocated ---------------- */
hl_obj *hl_list_new(hl_rt *rt);
/* The list display [a, b, ...]: an exact n-slot array (calloc), items
 * stolen.  NULL when out of memory (items released). */
hl_obj *hl_list_pack(hl_rt *rt, size_t n, ...);
size_t hl_list_len(const hl_obj *l);
size_t hl_list_allocated(const hl_obj *l);
/* 0, or -1 when out of memory (item released). */
int hl_list_append(hl_rt *rt, hl_obj *l, hl_obj *item);
hl_obj *hl_list_get(const hl_obj *l, size_t i);                  /* borrowed; NULL if out of range */
int hl_list_set(hl_rt *rt, hl_obj *l, size_t i, hl_obj *item);   /* steals; -1 if out of range */
/* `for x in l`: a list iterator (CPython's listiterobject, 48 bytes, a
 * tracked container holding a reference to the list), as every Python
 * loop over a list allocates one.  hl_iter_next returns the next item
 * (borrowed) or NULL at the end, where the iterator drops the list
 * (listiter_next).  Decref the iterator when the loop ends.  NULL when out
 * of memory. */
hl_obj *hl_list_iter(hl_rt *rt, hl_obj *l);
hl_obj *hl_iter_next(hl_rt *rt, hl_obj *it);
/* Removes and returns item i (a new reference; NULL when out of range).
 * hl_list_pop(rt, l, hl_list_len(l) - 1) is list.pop(). */
hl_obj *hl_list_pop(hl_rt *rt, hl_obj *l, size_t i);

/* ---- dict: compact ordered hash table, str and int keys ------------------- */
hl_obj *hl_dict_new(hl_rt *rt);
size_t hl_dict_len(const hl_obj *d);
/* key must be a str or an int.  0, or -1 (unhashable key / out of memory). */
int hl_dict_set(hl_rt *rt, hl_obj *d, hl_obj *key, hl_obj *value); /* steals key and value */
hl_obj *hl_dict_get(const hl_obj *d, const hl_obj *key);           /* borrowed */
int hl_dict_del(hl_rt *rt, hl_obj *d, const hl_obj *key);          /* 0, or -1 when absent */
/* Same with a C string / C integer key (no temporary object for lookups).
 * A C-string key stands for a literal in the program, d["id"] = v: it is
 * the interned str made once per runtime (intern.c), held by the runtime
 * until hl_rt_free; with interning=off a new key str per insertion.  Keys
 * the program computes belong in hl_dict_set with a str of the program's. */
int hl_dict_set_str(hl_rt *rt, hl_obj *d, const char *key, hl_obj *value); /* steals value */
hl_obj *hl_dict_get_str(const hl_obj *d, const char *key);
int hl_dict_del_str(hl_rt *rt, hl_obj *d, const char *key);
int hl_dict_set_int(hl_rt *rt, hl_obj *d, int64_t key, hl_obj *value);     /* steals value */
hl_obj *hl_dict_get_int(const hl_obj *d, int64_t key);
int hl_dict_del_int(hl_rt *rt, hl_obj *d, int64_t key);
/* Iteration in insertion order (PyDict_Next): start with *pos = 0; returns
 * false at the end.  Borrowed key and value. */
bool hl_dict_next(const hl_obj *d, size_t *pos, hl_obj **key, hl_obj **value);

/* ---- user classes and their instances ------------------------------------ */
/* A finalizer (tp_finalize / __del__, PEP 442): called at most once per
 * object, either when its refcount reaches zero or when the GC finds it in
 * unreachable garbage.  It may resurrect self (store a new reference to it). */
typedef void (*hl_finalize_fn)(hl_rt *rt, hl_obj *self, void *ctx);

/* Classes belong to the runtime (freed by hl_rt_free); name is copied. */
hl_class *hl_class_new(hl_rt *rt, const char *name, hl_finalize_fn finalize, void *ctx);
const char *hl_class_name(const hl_class *c);
hl_class *hl_inst_class(const hl_obj *inst);

hl_obj *hl_inst_new(hl_rt *rt, hl_class *cls);
/* Attributes live in the instance's values (the profile's layouts) or in its
 * dict (instances=dict, or once the class's shared keys have no room for a
 * name); names are interned strs (see instance.c). */
int hl_inst_setattr(hl_rt *rt, hl_obj *inst, const char *name, hl_obj *value); /* steals */
hl_obj *hl_inst_getattr(const hl_obj *inst, const char *name);                 /* borrowed */
int hl_inst_delattr(hl_rt *rt, hl_obj *inst, const char *name);
/* The instance's dict if it has one (borrowed), else NULL; never makes one. */
hl_obj *hl_inst_dict(const hl_obj *inst);
/* inst.__dict__: the dict, made over the values if there is none yet
 * (PyObject_GenericGetDict).  Borrowed; NULL when out of memory. */
hl_obj *hl_inst_get_dict(hl_rt *rt, hl_obj *inst);
/* Whether the attributes are in a values array (no dict yet). */
bool hl_inst_has_values(const hl_obj *inst);
/* The attributes held in the values array, in slot order, for introspection
 * (gc.get_referents of an instance without a dict visits these):
 * start with *pos = 0; returns false when done or when the instance has no
 * values (then its attributes are in hl_inst_dict).  Borrowed name and value. */
bool hl_inst_next_value(const hl_obj *inst, size_t *pos, hl_obj **name, hl_obj **value);
/* 8 bytes per instance free for the program (where CPython 3.12 keeps the
 * weakref list pointer; heaplab has no weakrefs).  Tests store ids here. */
uint64_t hl_inst_tag(const hl_obj *inst);
void hl_inst_set_tag(hl_obj *inst, uint64_t tag);

#endif
