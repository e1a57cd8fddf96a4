/* instance.c - user classes and their instances, laid out as each CPython
 * version lays out an instance of a plain class (no __slots__).
 *
 * How it works
 * ------------
 * A class is an hl_type extended with a name, an optional finalizer
 * (tp_finalize / __del__, PEP 442), live counters and -- like a heap type's
 * ht_cached_keys -- one shared keys table that names its instances'
 * attributes (Objects/dictobject.c _PyDict_NewKeysForClass; 768 bytes,
 * made with the class).  Classes belong to the runtime (CPython's heap
 * types live as long as they are referenced; here, until hl_rt_free).
 *
 * An instance keeps its attribute values in an array indexed like the
 * shared keys, and has no dict until one is asked for (the issue-11
 * measurements in tests/data/cpython; blocks with the GC header):
 *
 *     3.11  56-byte object: GC 16 + pre-header 16 (dict, values pointers,
 *           Py_TPFLAGS_MANAGED_DICT) + 16 + weaklist 8; values array from
 *           item_mem (PyMem_Malloc, new_values)
 *     3.12  48-byte object: GC 16 + pre-header 16 (dict-or-values word,
 *           weakref; Py_TPFLAGS_PREHEADER) + 16; values array as 3.11
 *     3.13  one block: 48 + the values inline after the object
 *           (Py_TPFLAGS_INLINE_VALUES, _PyInlineValuesSize)
 *
 * Making an instance takes one unit of the shared keys' room, down to 1
 * (3.11/3.12 init_inline_values, 3.13 _PyObject_InitInlineValues); the
 * values array has room for nentries + usable slots, taken after the
 * decrement in 3.11/3.12 and before it for the 3.13 block's size.  So a new
 * class's first instances get big arrays, and then k attributes cost
 * round_up(k + 3, 8) + 8(k + 1) bytes (3.11/3.12) or 8(k + 2) + round_up(k
 * + 1, 8) inline (3.13).  Storing an attribute (_PyObject_StoreInstanceAttribute)
 * finds its name in the shared keys or adds it while they have room (the
 * name is an interned str, intern.c); when there is none the instance gets
 * a real dict (make_dict_from_instance_attributes) that is rebuilt as a
 * combined table.  hl_inst_get_dict (reading __dict__,
 * PyObject_GenericGetDict) makes a dict over the values: it takes the
 * array in 3.11/3.12, and points into the object in 3.13 (embedded).
 *
 * Traversal (subtype_traverse) visits the values (3.13: all capacity
 * slots while they are the instance's) or the dict.  Clearing
 * (subtype_clear) drops the values and the dict.  Dealloc (subtype_dealloc)
 * decrefs the dict or the values in slot order, frees the values array,
 * then the object; a 3.13 instance whose dict points into it first copies
 * the values out for the dict (_PyDict_DetachFromObject), as 3.13 does.
 *
 * The what-if option instances=dict keeps heaplab's older layout: 48 bytes
 * (GC 16 + header 16 + dict + weakref word) and an ordinary dict made on the
 * first attribute store, with no shared keys.
 *
 * Every layout keeps the weakref word, which heaplab (no weak references)
 * lends to the program as a tag.
 */
#include "internal.h"

#include <string.h>

/* The words after the object header, by layout:
 *   DICT    w[0] dict         w[1] tag
 *   V311    w[0] dict         w[1] values       w[2] tag
 *   V312    w[0] dict, or values | 1            w[1] tag
 *   INLINE  w[0] dict         w[1] tag          then the inline values
 * Invariants: a V311/V312 instance has a values array or a dict, never both
 * (after a failed allocation, neither); an INLINE instance's inline values
 * are valid (its own) unless it has a dict that no longer points into them. */
typedef struct hl_inst {
    hl_obj ob;
    uintptr_t w[3];
} hl_inst;

static inline const hl_class *cls_of(const hl_obj *o) { return (const hl_class *)o->type; }

static inline hl_vals *inline_vals(const hl_inst *v) { return (hl_vals *)&v->w[2]; }

static inline hl_obj *get_dict(const hl_inst *v)
{
    if (cls_of(&v->ob)->layout == HL_INSTK_V312)
        return (v->w[0] & 1) ? NULL : (hl_obj *)v->w[0];
    return (hl_obj *)v->w[0];
}

static inline void set_dict(hl_inst *v, hl_obj *d)
{
    v->w[0] = (uintptr_t)d;
    if (cls_of(&v->ob)->layout == HL_INSTK_V311)
        v->w[1] = 0; /* the dict has the values now */
}

/* The values this instance itself reads and writes: NULL once it has a
 * dict (3.13: once its dict stopped pointing into it is the same). */
static inline hl_vals *get_vals(const hl_inst *v)
{
    switch (cls_of(&v->ob)->layout) {
    case HL_INSTK_V311: return (hl_vals *)v->w[1];
    case HL_INSTK_V312: return (v->w[0] & 1) ? (hl_vals *)(v->w[0] & ~(uintptr_t)1) : NULL;
    case HL_INSTK_INLINE: return v->w[0] == 0 ? inline_vals(v) : NULL;
    default: return NULL;
    }
}

static inline void set_vals(hl_inst *v, hl_vals *vals)
{
    if (cls_of(&v->ob)->layout == HL_INSTK_V311)
        v->w[1] = (uintptr_t)vals;
    else if (cls_of(&v->ob)->layout == HL_INSTK_V312)
        v->w[0] = vals ? (uintptr_t)vals | 1 : 0;
}

static inline uintptr_t *tag_slot(hl_inst *v)
{
    return &v->w[cls_of(&v->ob)->layout == HL_INSTK_V311 ? 2 : 1];
}

/* The 3.13 inline region: its capacity, and (its last header byte) the
 * capacity the block was sized for, which may be one more. */
static inline unsigned inline_alloc_cap(const hl_vals *iv)
{
    return ((const uint8_t *)iv)[hl__vals_hdr(true, hl__vals_cap(iv)) - 1];
}

static size_t inst_size(const hl_obj *o)
{
    const hl_class *c = cls_of(o);
    if (c->layout == HL_INSTK_INLINE)
        return 48 + hl__vals_bytes(true, inline_alloc_cap(inline_vals((const hl_inst *)o)));
    return c->layout == HL_INSTK_V311 ? 56 : 48;
}

/* ---- values arrays --------------------------------------------------------------- */

static void vals_init(hl_vals *v, unsigned cap, bool inline_fmt, bool embedded)
{
    v->cap_flags = (uint8_t)(cap | (inline_fmt ? HL_VALS_INLINE_FMT : 0) |
                             (embedded ? HL_VALS_EMBEDDED : 0));
    v->count = 0;
    memset(hl__vals_slots(v), 0, 8 * (size_t)cap);
}

hl_vals *hl__vals_new(hl_rt *rt, unsigned cap, bool inline_fmt)
{
    hl_vals *v = hl__mem_malloc(rt, rt->item_mem, hl__vals_bytes(inline_fmt, cap));
    if (v != NULL)
        vals_init(v, cap, inline_fmt, false);
    return v;
}

void hl__vals_free(hl_rt *rt, hl_vals *v)
{
    bool inline_fmt = v->cap_flags & HL_VALS_INLINE_FMT;
    hl__mem_free(rt, rt->item_mem, v, hl__vals_bytes(inline_fmt, hl__vals_cap(v)));
}

/* The values the instance itself visits: its array (3.11/3.12, exclusive
 * with a dict), or its inline values while they are valid -- no dict, or a
 * dict that points into them (3.13 PyObject_VisitManagedDict; such a dict
 * visits nothing itself, dict_traverse). */
static inline hl_vals *visited_vals(const hl_inst *v)
{
    if (cls_of(&v->ob)->layout != HL_INSTK_INLINE)
        return get_vals(v);
    hl_obj *d = get_dict(v);
    return d == NULL || hl__dict_values(d) == inline_vals(v) ? inline_vals(v) : NULL;
}

/* Slots a traversal or clear goes over: the shared keys' entries (3.11 /
 * 3.12 _PyObject_VisitInstanceAttributes) or the whole capacity (3.13
 * PyObject_VisitManagedDict). */
static size_t vals_span(const hl_inst *v, const hl_vals *vals)
{
    if (cls_of(&v->ob)->layout == HL_INSTK_INLINE)
        return hl__vals_cap(vals);
    return (size_t)hl__shared_keys_nentries(cls_of(&v->ob)->shared);
}

/* ---- type slots ------------------------------------------------------------------ */

static int inst_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_inst *v = (hl_inst *)o;
    hl_vals *vals = visited_vals(v);
    if (vals != NULL) {
        hl_obj **slots = hl__vals_slots(vals);
        size_t n = vals_span(v, vals);
        for (size_t i = 0; i < n; i++) {
            if (slots[i] != NULL) {
                int r = visit(slots[i], arg);
                if (r)
                    return r;
            }
        }
        return 0;
    }
    hl_obj *d = get_dict(v);
    return d != NULL ? visit(d, arg) : 0;
}

/* subtype_traverse for the collector: the values or the dict, then the
 * heap type ("the instances count as references to the type"). */
static const hl_type class_type = {"type", HL_KIND_NONE, false, NULL, hl__atomic_traverse,
                                   hl__atomic_clear, NULL, NULL};

static int inst_gc_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    int r = inst_traverse(o, visit, arg);
    if (r)
        return r;
    return visit(&((hl_class *)o->type)->type_obj, arg);
}

bool hl__inst_refspan(hl_obj *o, hl_refspan *span)
{
    hl_inst *v = (hl_inst *)o;
    hl_vals *vals = visited_vals(v);
    if (vals != NULL) {
        span->first = hl__vals_slots(vals);
        span->n = vals_span(v, vals);
    } else {
        span->first = (hl_obj **)&v->w[0]; /* the dict word, NULL or a dict */
        span->n = 1;
    }
    span->stride = 1;
    return true;
}

/* 3.13: a dict that points into the instance gets its own copy first. */
static int detach_dict(hl_rt *rt, hl_inst *v)
{
    hl_obj *d = get_dict(v);
    if (d == NULL || cls_of(&v->ob)->layout != HL_INSTK_INLINE)
        return 0;
    if (hl__dict_values(d) != inline_vals(v))
        return 0;
    return hl__dict_detach_values(rt, d);
}

/* Drops the values in slot order (the array stays) and the dict. */
static void inst_clear(hl_rt *rt, hl_obj *o)
{
    hl_inst *v = (hl_inst *)o;
    hl_vals *vals = get_vals(v);
    if (vals != NULL) {
        hl_obj **slots = hl__vals_slots(vals);
        size_t n = vals_span(v, vals);
        for (size_t i = 0; i < n; i++) {
            hl_obj *x = slots[i];
            slots[i] = NULL;
            hl_obj_decref(rt, x);
        }
        vals->count = 0;
    }
    hl_obj *d = get_dict(v);
    if (d != NULL) {
        (void)detach_dict(rt, v); /* out of memory: the dict keeps pointing in */
        v->w[0] = 0;
        if (cls_of(o)->layout == HL_INSTK_INLINE)
            vals_init(inline_vals(v), hl__vals_cap(inline_vals(v)), true, true);
        hl_obj_decref(rt, d);
    }
}

void hl__inst_free_storage(hl_rt *rt, hl_obj *o)
{
    hl_inst *v = (hl_inst *)o;
    hl_vals *vals = get_vals(v);
    if (vals != NULL && cls_of(o)->layout != HL_INSTK_INLINE) {
        set_vals(v, NULL);
        hl__vals_free(rt, vals);
    }
}

/* subtype_dealloc: the dict or the values (slot order), the values array,
 * then the object. */
static void inst_dealloc(hl_rt *rt, hl_obj *o)
{
    inst_clear(rt, o);
    hl__inst_free_storage(rt, o);
    hl__obj_free(rt, o);
}

void hl__inst_type_init(hl_type *t, const char *name)
{
    t->name = name;
    t->kind = HL_KIND_INST;
    t->is_gc = true;
    t->dealloc = inst_dealloc;
    t->traverse = inst_traverse;
    t->clear = inst_clear;
    t->size = inst_size;
    t->gc_traverse = inst_gc_traverse;
}

/* ---- classes ---------------------------------------------------------------------- */

hl_class *hl_class_new(hl_rt *rt, const char *name, hl_finalize_fn finalize, void *ctx)
{
    size_t len = strlen(name);
    hl_class *c = calloc(1, sizeof *c + len + 1);
    if (c == NULL)
        return NULL;
    memcpy(c->name, name, len + 1);
    hl__inst_type_init(&c->type, c->name);
    c->finalize = finalize;
    c->finalize_ctx = ctx;
    c->type_obj.refcnt = HL_IMMORTAL_REFCNT;
    c->type_obj.type = &class_type;
    c->layout = rt->cfg.instances == HL_INST_DICT ? HL_INSTK_DICT : rt->prof->inst;
    if (c->layout != HL_INSTK_DICT) {
        c->shared = hl__shared_keys_new(rt);
        if (c->shared == NULL) {
            free(c);
            return NULL;
        }
    }
    c->next = rt->classes;
    rt->classes = c;
    return c;
}

void hl__class_free(hl_rt *rt, hl_class *c)
{
    if (c->shared != NULL)
        hl__shared_keys_free(rt, c->shared);
    free(c);
}

const char *hl_class_name(const hl_class *c) { return c->name; }

hl_class *hl_inst_class(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_class on a non-instance");
    return (hl_class *)o->type;
}

/* ---- instances --------------------------------------------------------------------- */

hl_obj *hl_inst_new(hl_rt *rt, hl_class *cls)
{
    hl_inst *v;
    if (cls->layout == HL_INSTK_INLINE) {
        /* _PyType_AllocNoTrack sizes the block with the room before
         * _PyObject_InitInlineValues takes one unit of it */
        unsigned alloc_cap = hl__shared_keys_usable_size(cls->shared);
        v = (hl_inst *)hl__obj_alloc(rt, &cls->type, 48 + hl__vals_bytes(true, alloc_cap));
        if (v == NULL)
            return NULL;
        hl__shared_keys_instance_made(cls->shared);
        unsigned cap = hl__shared_keys_usable_size(cls->shared);
        v->w[0] = 0;
        v->w[1] = 0;
        hl_vals *iv = inline_vals(v);
        vals_init(iv, cap, true, true);
        ((uint8_t *)iv)[hl__vals_hdr(true, cap) - 1] = (uint8_t)alloc_cap;
        hl__gc_track(rt, &v->ob);
        hl__gc_eval_breaker(rt);
        return &v->ob;
    }
    v = (hl_inst *)hl__obj_alloc(rt, &cls->type, cls->layout == HL_INSTK_V311 ? 56 : 48);
    if (v == NULL)
        return NULL;
    v->w[0] = v->w[1] = 0;
    if (cls->layout == HL_INSTK_V311)
        v->w[2] = 0;
    /* object_new: PyType_GenericAlloc tracks, then _PyObject_InitializeDict
     * (init_inline_values) allocates the values */
    hl__gc_track(rt, &v->ob);
    if (cls->layout != HL_INSTK_DICT) {
        hl__shared_keys_instance_made(cls->shared);
        hl_vals *vals = hl__vals_new(rt, hl__shared_keys_usable_size(cls->shared), false);
        if (vals == NULL) {
            hl_obj_decref(rt, &v->ob);
            return NULL;
        }
        set_vals(v, vals);
    }
    hl__gc_eval_breaker(rt);
    return &v->ob;
}

/* A dict over the instance's values (make_dict_from_instance_attributes),
 * which takes them; 0 or -1. */
static int materialise(hl_rt *rt, hl_inst *v)
{
    hl_vals *vals = get_vals(v);
    const hl_class *c = cls_of(&v->ob);
    hl_obj *d = vals != NULL ? hl__dict_new_split(rt, c->shared, vals) : hl_dict_new(rt);
    if (d == NULL)
        return -1;
    if (c->layout == HL_INSTK_V312)
        v->w[0] = 0;
    set_dict(v, d);
    return 0;
}

hl_obj *hl_inst_get_dict(hl_rt *rt, hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_get_dict on a non-instance");
    hl_inst *v = (hl_inst *)o;
    if (get_dict(v) == NULL && materialise(rt, v) != 0)
        return NULL;
    return get_dict(v);
}

int hl_inst_setattr(hl_rt *rt, hl_obj *o, const char *name, hl_obj *value)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_setattr on a non-instance");
    hl_inst *v = (hl_inst *)o;
    if (value == NULL)
        return -1;
    size_t len = strlen(name);
    /* 3.13 stores into valid inline values even when a dict points into them
     * (store_instance_attr_lock_held); 3.13.0 does not MAINTAIN_TRACKING that
     * dict there (measured; gh-125608 added the dict watcher and tracking
     * code to this path in 3.13.1) */
    hl_vals *vals = visited_vals(v);
    if (vals != NULL) {
        int64_t ix = hl__shared_keys_add(rt, cls_of(o)->shared, name, len);
        if (ix == -2) {
            hl_obj_decref(rt, value);
            return -1;
        }
        if (ix >= 0) {
            hl_obj **slot = &hl__vals_slots(vals)[ix];
            hl_obj *old = *slot;
            *slot = value;
            if (old == NULL)
                hl__vals_order_add(vals, (unsigned)ix);
            if (get_dict(v) != NULL)
                hl__dict_values_changed(get_dict(v));
            hl_obj_decref(rt, old);
            return 0;
        }
        /* no room for the name: the instance gets a dict (if it has none
         * yet), which a new key then rebuilds as a combined table */
        if (get_dict(v) == NULL && materialise(rt, v) != 0) {
            hl_obj_decref(rt, value);
            return -1;
        }
    } else if (get_dict(v) == NULL) {
        /* instances=dict: the dict is made on the first store */
        if (materialise(rt, v) != 0) {
            hl_obj_decref(rt, value);
            return -1;
        }
    }
    if (rt->cfg.interning) {
        hl_obj *key = hl__intern(rt, name, len, true);
        if (key == NULL) {
            hl_obj_decref(rt, value);
            return -1;
        }
        hl_obj_incref(rt, key);
        return hl_dict_set(rt, get_dict(v), key, value);
    }
    return hl__dict_set_str_n(rt, get_dict(v), name, len, value);
}

hl_obj *hl_inst_getattr(const hl_obj *o, const char *name)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_getattr on a non-instance");
    const hl_inst *v = (const hl_inst *)o;
    hl_vals *vals = get_vals(v);
    if (vals != NULL) {
        int64_t ix = hl__shared_keys_find(cls_of(o)->shared, name, strlen(name));
        return ix >= 0 ? hl__vals_slots(vals)[ix] : NULL;
    }
    hl_obj *d = get_dict(v);
    return d != NULL ? hl_dict_get_str(d, name) : NULL;
}

int hl_inst_delattr(hl_rt *rt, hl_obj *o, const char *name)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_delattr on a non-instance");
    hl_inst *v = (hl_inst *)o;
    hl_vals *vals = get_vals(v);
    if (vals != NULL) {
        int64_t ix = hl__shared_keys_find(cls_of(o)->shared, name, strlen(name));
        if (ix < 0 || hl__vals_slots(vals)[ix] == NULL)
            return -1;
        hl_obj *old = hl__vals_slots(vals)[ix];
        hl__vals_slots(vals)[ix] = NULL;
        hl__vals_order_del(vals, (unsigned)ix);
        hl_obj_decref(rt, old);
        return 0;
    }
    hl_obj *d = get_dict(v);
    return d != NULL ? hl_dict_del_str(rt, d, name) : -1;
}

hl_obj *hl_inst_dict(const hl_obj *o) { return get_dict((const hl_inst *)o); }
uint64_t hl_inst_tag(const hl_obj *o) { return *tag_slot((hl_inst *)o); }
void hl_inst_set_tag(hl_obj *o, uint64_t tag) { *tag_slot((hl_inst *)o) = tag; }

bool hl_inst_has_values(const hl_obj *o) { return get_vals((const hl_inst *)o) != NULL; }

bool hl_inst_next_value(const hl_obj *o, size_t *pos, hl_obj **name, hl_obj **value)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_next_value on a non-instance");
    const hl_inst *v = (const hl_inst *)o;
    hl_vals *vals = get_vals(v);
    if (vals == NULL)
        return false;
    const struct dk_keys *keys = cls_of(o)->shared;
    size_t n = (size_t)hl__shared_keys_nentries(keys);
    hl_obj **slots = hl__vals_slots(vals);
    for (; *pos < n; (*pos)++) {
        if (slots[*pos] != NULL) {
            *name = hl__shared_keys_name(keys, (int64_t)*pos);
            *value = slots[(*pos)++];
            return true;
        }
    }
    return false;
}
