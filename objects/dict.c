/* dict.c - compact, insertion-ordered hash tables with str and int keys,
 * split tables over instance values, and classes' shared keys.
 *
 * How it works
 * ------------
 * The design published in CPython's Objects/dictobject.c (compact dict,
 * Raymond Hettinger's proposal, 3.6; key-kind split of 3.11): a dict object
 * (48 bytes + GC header, PyDictObject) points to a "keys" block that holds,
 * one after the other,
 *     a 32-byte header | an index array of 2^k slots | an entry array
 * The index array holds, per hash slot, EMPTY (-1), DUMMY (-2, a deleted
 * entry) or the position of an entry; its width is 1, 2, 4 or 8 bytes
 * depending on the table size.  Entries are appended in insertion order:
 * {key, value} when every key is a str (the hash is cached in the str,
 * "unicode" kind) or {hash, key, value} otherwise ("general" kind), so
 * getsizeof({"a": 1}) == 184 and getsizeof({1: 1}) == 224.  Only 2/3 of the
 * slots may be used (USABLE_FRACTION); when the usable entries run out the
 * table is rebuilt for used * 3 (GROWTH_RATE since 3.11), which also drops
 * deleted entries; a str table that gets a non-str key is rebuilt the same
 * way as a general one (insertdict: insertion_resize(mp, 0)).  Lookup probes
 *     i = hash & mask;  then  perturb >>= 5; i = (i * 5 + perturb + 1) & mask
 * so every slot is reached and all hash bits take part.  An empty dict has
 * no table (CPython shares the immortal Py_EMPTY_KEYS: 64 bytes).  Key
 * tables come from obj_mem in 3.11 and 3.12 (PyObject_Malloc) and item_mem
 * in 3.13 (PyMem_Malloc).
 *
 * Free lists (freelist.c): dict objects come from and go to the dict free
 * list (new_dict, dict_dealloc); 8-slot str-keyed tables from and to the
 * keys free list (new_keys_object, free_keys_object, and dictresize for the
 * table it replaces).
 *
 * Tracking (3.11 MAINTAIN_TRACKING, _PyDict_MaybeUntrack): a new dict is not
 * tracked; an insert whose key or value may be tracked (a container that is
 * not an untracked tuple) tracks it; only full collections untrack a dict
 * again (gc.c untrack_dicts).  dict_tracking=eager tracks every dict from
 * creation.
 *
 * Split tables.  A class keeps one "shared keys" table (64 slots, str
 * entries without values, _PyDict_NewKeysForClass) naming its instances'
 * attributes, and each instance keeps only a values array indexed like it
 * (instance.c).  When an instance's __dict__ is needed, a dict is made over
 * that values array and the shared keys (make_dict_from_instance_attributes)
 * -- a split table: lookups go through the shared keys, values live in the
 * array.  A new key is added to the shared keys while they have room;
 * otherwise, or for a non-str key, the dict is rebuilt as an ordinary
 * ("combined") table and the values array freed (dictresize).
 *
 * Keys given as C strings (hl_dict_set_str) stand for literals in the
 * program: they are interned strs made once (intern.c), unless
 * interning=off, which makes a new key str per insertion (heaplab's older
 * model).
 */
#include "internal.h"

#include <string.h>

enum { DK_EMPTY = -1, DK_DUMMY = -2 };
enum { DK_STR = 0, DK_GENERAL = 1, DK_SPLIT = 2 };
#define DK_MIN_LOG2 3 /* PyDict_MINSIZE 8 */
/* NEXT_LOG2_SHARED_KEYS_MAX_SIZE 6, SHARED_KEYS_MAX_SIZE 30 (pycore_dict.h) */
#define DK_SHARED_LOG2 6
#define DK_SHARED_MAX 30

typedef struct dk_str_entry {
    hl_obj *key;
    hl_obj *value; /* always NULL in shared keys: values live in the arrays */
} dk_str_entry;

typedef struct dk_gen_entry {
    int64_t hash;
    hl_obj *key;
    hl_obj *value;
} dk_gen_entry;

/* Invariants: 0 <= nentries <= usable_max(size); combined tables: usable =
 * usable_max - nentries, every live entry (value != NULL) has exactly one
 * index slot pointing at it, deleted entries have key == value == NULL.
 * Shared keys (kind DK_SPLIT): usable <= DK_SHARED_MAX - nentries (each
 * instance made takes one unit down to 1), every entry has a key and one
 * index slot, entries are never deleted. */
typedef struct dk_keys {
    uint8_t log2_size;
    uint8_t log2_index_bytes;
    uint8_t kind;
    uint8_t pad[5];
    int64_t usable;
    int64_t nentries;
    size_t block_size; /* bytes of this block, for the sized free */
    uint8_t indices[];
} dk_keys;

/* PyDictObject: used, version tag, keys, values (split tables only).
 * Invariant: values != NULL iff keys is shared keys (kind DK_SPLIT); then
 * used == the non-NULL slots of values. */
typedef struct hl_dict {
    hl_obj ob;
    int64_t used;
    uint64_t version; /* bumped on every change (PEP 509's ma_version_tag) */
    dk_keys *keys;    /* NULL while empty and never filled */
    hl_vals *values;
} hl_dict;

static inline int64_t usable_max(unsigned log2_size) { return ((int64_t)2 << log2_size) / 3; }
static inline size_t dk_nslots(const dk_keys *k) { return (size_t)1 << k->log2_size; }
static inline size_t entry_size(int kind)
{
    return kind == DK_GENERAL ? sizeof(dk_gen_entry) : sizeof(dk_str_entry);
}
static inline void *dk_entries(dk_keys *k) { return k->indices + ((size_t)1 << k->log2_index_bytes); }
static inline bool is_split(const hl_dict *d) { return d->values != NULL; }

static inline int64_t get_index(const dk_keys *k, size_t i)
{
    switch (k->log2_index_bytes - k->log2_size) {
    case 0: return ((const int8_t *)k->indices)[i];
    case 1: return ((const int16_t *)k->indices)[i];
    case 2: return ((const int32_t *)k->indices)[i];
    default: return ((const int64_t *)k->indices)[i];
    }
}

static inline void set_index(dk_keys *k, size_t i, int64_t ix)
{
    switch (k->log2_index_bytes - k->log2_size) {
    case 0: ((int8_t *)k->indices)[i] = (int8_t)ix; break;
    case 1: ((int16_t *)k->indices)[i] = (int16_t)ix; break;
    case 2: ((int32_t *)k->indices)[i] = (int32_t)ix; break;
    default: ((int64_t *)k->indices)[i] = ix; break;
    }
}

static inline hl_obj **entry_key(dk_keys *k, int64_t ix)
{
    if (k->kind != DK_GENERAL)
        return &((dk_str_entry *)dk_entries(k))[ix].key;
    return &((dk_gen_entry *)dk_entries(k))[ix].key;
}
static inline hl_obj **entry_value(dk_keys *k, int64_t ix)
{
    if (k->kind != DK_GENERAL)
        return &((dk_str_entry *)dk_entries(k))[ix].value;
    return &((dk_gen_entry *)dk_entries(k))[ix].value;
}
static inline int64_t entry_hash(dk_keys *k, int64_t ix)
{
    if (k->kind != DK_GENERAL)
        return hl_str_hash(((dk_str_entry *)dk_entries(k))[ix].key);
    return ((dk_gen_entry *)dk_entries(k))[ix].hash;
}

/* Where entry ix's value of dict d lives. */
static inline hl_obj **value_slot(const hl_dict *d, int64_t ix)
{
    return is_split(d) ? &hl__vals_slots(d->values)[ix] : entry_value(d->keys, ix);
}

/* new_keys_object: log2_bytes from the table size, usable entries of the
 * kind's entry size. */
static unsigned index_width_log2(unsigned log2_size)
{
    return log2_size < 8 ? 0 : log2_size < 16 ? 1 : log2_size < 32 ? 2 : 3;
}

static size_t keys_block_size(unsigned log2_size, int kind)
{
    return sizeof(dk_keys) + ((size_t)1 << (log2_size + index_width_log2(log2_size))) +
           (size_t)usable_max(log2_size) * entry_size(kind);
}

static dk_keys *keys_new(hl_rt *rt, unsigned log2_size, int kind)
{
    size_t bytes = keys_block_size(log2_size, kind);
    dk_keys *k = NULL;
    if (log2_size == DK_MIN_LOG2 && kind == DK_STR)
        k = hl__keys_pop(rt);
    if (k == NULL)
        k = hl__mem_malloc(rt, hl__keys_mem(rt), bytes);
    if (k == NULL)
        return NULL;
    k->log2_size = (uint8_t)log2_size;
    k->log2_index_bytes = (uint8_t)(log2_size + index_width_log2(log2_size));
    k->kind = (uint8_t)kind;
    memset(k->pad, 0, sizeof k->pad);
    k->usable = usable_max(log2_size);
    k->nentries = 0;
    k->block_size = bytes;
    memset(k->indices, 0xff, (size_t)1 << k->log2_index_bytes); /* all DK_EMPTY */
    memset(dk_entries(k), 0, (size_t)k->usable * entry_size(kind));
    return k;
}

/* The block of a table whose entries were released or moved: to the keys
 * free list when it is an 8-slot str table and there is room, else freed
 * (free_keys_object, dictresize). */
static void keys_release(hl_rt *rt, dk_keys *k)
{
    if (k->log2_size == DK_MIN_LOG2 && k->kind == DK_STR && hl__keys_push(rt, k))
        return;
    hl__mem_free(rt, hl__keys_mem(rt), k, k->block_size);
}

/* A key to look for: an object, or a C string / C integer. */
typedef struct probe {
    const hl_obj *obj;
    const char *s;
    size_t len;
    int64_t ival;
    int is; /* 0 obj, 1 C string, 2 C int */
    int64_t hash;
} probe;

static bool probe_matches(const probe *p, const hl_obj *key, int64_t key_hash)
{
    if (p->is == 0 && key == p->obj)
        return true;
    if (key_hash != p->hash)
        return false;
    switch (p->is) {
    case 0: return hl_obj_equal(key, p->obj);
    case 1:
        return key->type->kind == HL_KIND_STR && hl_str_len(key) == p->len &&
               memcmp(hl_str_data(key), p->s, p->len) == 0;
    default: return key->type->kind == HL_KIND_INT && hl_int_value(key) == p->ival;
    }
}

static bool probe_is_str(const probe *p)
{
    return p->is == 1 || (p->is == 0 && p->obj->type->kind == HL_KIND_STR);
}

/* Returns the entry index of the key, or -1; *slot gets the index slot. */
static int64_t lookup(dk_keys *k, const probe *p, size_t *slot)
{
    size_t mask = dk_nslots(k) - 1;
    size_t i = (size_t)p->hash & mask;
    uint64_t perturb = (uint64_t)p->hash;
    for (;;) {
        int64_t ix = get_index(k, i);
        if (ix == DK_EMPTY) {
            *slot = i;
            return -1;
        }
        if (ix >= 0 && probe_matches(p, *entry_key(k, ix), entry_hash(k, ix))) {
            *slot = i;
            return ix;
        }
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
}

/* First EMPTY or DUMMY slot on the key's probe path (find_empty_slot). */
static size_t find_free_slot(dk_keys *k, int64_t hash)
{
    size_t mask = dk_nslots(k) - 1;
    size_t i = (size_t)hash & mask;
    uint64_t perturb = (uint64_t)hash;
    while (get_index(k, i) >= 0) {
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
    return i;
}

/* log2 of the smallest table of at least minsize slots
 * (calculate_log2_keysize). */
static unsigned log2_for(int64_t minsize)
{
    unsigned log2 = DK_MIN_LOG2;
    while (((int64_t)1 << log2) < minsize)
        log2++;
    return log2;
}

/* Appends entry n of a fresh combined table nk. */
static void put_entry(dk_keys *nk, int64_t n, hl_obj *key, int64_t hash, hl_obj *value)
{
    *entry_key(nk, n) = key;
    *entry_value(nk, n) = value;
    if (nk->kind == DK_GENERAL)
        ((dk_gen_entry *)dk_entries(nk))[n].hash = hash;
    set_index(nk, find_free_slot(nk, hash), n);
}

/* Rebuilds d's table as a combined one of 2^log2 slots of `kind` (DK_STR
 * or DK_GENERAL), compacting the entries in insertion order (dictresize).
 * A split dict's keys are increfed into the new table and its values moved;
 * its values array is freed (embedded values: left empty for their
 * instance). */
static int dict_resize(hl_rt *rt, hl_dict *d, unsigned log2, int kind)
{
    dk_keys *nk = keys_new(rt, log2, kind);
    if (nk == NULL)
        return -1;
    dk_keys *ok = d->keys;
    int64_t n = 0;
    if (is_split(d)) {
        hl_vals *v = d->values;
        hl_obj **slots = hl__vals_slots(v);
        for (unsigned i = 0; i < v->count; i++) {
            int64_t ix = v->order[i];
            hl_obj *key = *entry_key(ok, ix);
            hl_obj_incref(rt, key);
            put_entry(nk, n++, key, hl_str_hash(key), slots[ix]);
            slots[ix] = NULL;
        }
        v->count = 0;
        d->values = NULL;
        if (!(v->cap_flags & HL_VALS_EMBEDDED))
            hl__vals_free(rt, v);
    } else if (ok != NULL) {
        for (int64_t ix = 0; ix < ok->nentries; ix++) {
            hl_obj *value = *entry_value(ok, ix);
            if (value == NULL)
                continue;
            put_entry(nk, n++, *entry_key(ok, ix), entry_hash(ok, ix), value);
        }
        keys_release(rt, ok);
    }
    nk->nentries = n;
    nk->usable -= n;
    d->keys = nk;
    return 0;
}

static void dict_check(const hl_dict *d)
{
#ifdef HL_DEBUG
    HL_OBJ_ASSERT(d->used >= 0, &d->ob, "dict: negative used");
    if (d->keys == NULL) {
        HL_OBJ_ASSERT(d->used == 0 && d->values == NULL, &d->ob, "dict: entries without a table");
        return;
    }
    if (is_split(d)) {
        HL_OBJ_ASSERT(d->keys->kind == DK_SPLIT && d->values->count == d->used &&
                          d->keys->nentries <= (int64_t)hl__vals_cap(d->values),
                      &d->ob, "dict: split table counters");
        return;
    }
    HL_OBJ_ASSERT(d->keys->kind != DK_SPLIT && d->keys->nentries >= d->used &&
                      d->keys->usable == usable_max(d->keys->log2_size) - d->keys->nentries,
                  &d->ob, "dict: table counters");
#else
    (void)d;
#endif
}

/* Full validation (tests): every live entry found by lookup at its index. */
int hl__dict_validate(const hl_obj *o)
{
    hl_dict *d = (hl_dict *)o;
    dk_keys *k = d->keys;
    if (k == NULL)
        return d->used == 0 && d->values == NULL ? 0 : -1;
    if (is_split(d)) {
        if (k->kind != DK_SPLIT || (int64_t)hl__vals_cap(d->values) < k->nentries)
            return -1;
        int64_t live = 0;
        hl_obj **slots = hl__vals_slots(d->values);
        for (int64_t ix = 0; ix < k->nentries; ix++)
            live += slots[ix] != NULL;
        for (unsigned i = 0; i < d->values->count; i++)
            if (d->values->order[i] >= k->nentries || slots[d->values->order[i]] == NULL)
                return -1;
        return live == d->used && d->values->count == live ? 0 : -1;
    }
    int64_t live = 0;
    for (int64_t ix = 0; ix < k->nentries; ix++) {
        hl_obj *key = *entry_key(k, ix), *value = *entry_value(k, ix);
        if ((key == NULL) != (value == NULL))
            return -1;
        if (value == NULL)
            continue;
        live++;
        probe p = {.obj = key, .is = 0, .hash = entry_hash(k, ix)};
        size_t slot;
        if (lookup(k, &p, &slot) != ix)
            return -1;
    }
    size_t pointing = 0;
    for (size_t i = 0; i < dk_nslots(k); i++)
        if (get_index(k, i) >= 0)
            pointing++;
    if (live != d->used || pointing != (size_t)live)
        return -1;
    return k->usable == usable_max(k->log2_size) - k->nentries ? 0 : -1;
}

bool hl__dict_traverses_keys(const hl_obj *o)
{
    const hl_dict *d = (const hl_dict *)o;
    return d->keys != NULL && d->keys->kind == DK_GENERAL;
}

static size_t dict_size(const hl_obj *o) { return sizeof(hl_gc_head) + sizeof(hl_dict); }

/* _PyDict_SizeOf's table part: a split dict counts its value slots, not the
 * shared keys. */
size_t hl__dict_table_bytes(const hl_obj *o)
{
    const hl_dict *d = (const hl_dict *)o;
    if (is_split(d))
        return 8 * (size_t)hl__shared_keys_usable_size(d->keys);
    return d->keys != NULL ? d->keys->block_size : 0;
}

hl_vals *hl__dict_values(const hl_obj *o) { return ((const hl_dict *)o)->values; }

void hl__dict_values_changed(hl_obj *o)
{
    hl_dict *d = (hl_dict *)o;
    d->used = d->values->count;
    d->version++;
    dict_check(d);
}

/* As dict_traverse: a str-keyed or split table visits its values only (str
 * keys can not be part of a cycle), a general one keys and values, a split
 * table embedded in a 3.13 instance nothing.  The table kind is tested
 * once, not per entry. */
static int dict_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_dict *d = (hl_dict *)o;
    dk_keys *k = d->keys;
    if (k == NULL)
        return 0;
    int64_t n = k->nentries;
    int r;
    if (is_split(d)) {
        if (d->values->cap_flags & HL_VALS_EMBEDDED)
            return 0; /* 3.13: the instance visits its inline values */
        hl_obj **slots = hl__vals_slots(d->values);
        for (int64_t ix = 0; ix < n; ix++)
            if (slots[ix] != NULL && (r = visit(slots[ix], arg)) != 0)
                return r;
        return 0;
    }
    if (k->kind == DK_STR) {
        dk_str_entry *e = dk_entries(k);
        for (int64_t ix = 0; ix < n; ix++)
            if (e[ix].value != NULL && (r = visit(e[ix].value, arg)) != 0)
                return r;
        return 0;
    }
    dk_gen_entry *e = dk_entries(k);
    for (int64_t ix = 0; ix < n; ix++) {
        if (e[ix].value == NULL)
            continue;
        if ((r = visit(e[ix].key, arg)) != 0 || (r = visit(e[ix].value, arg)) != 0)
            return r;
    }
    return 0;
}

/* A str-keyed table's values are every other word of its entries; a split
 * table's are its value slots. */
_Static_assert(sizeof(dk_str_entry) % sizeof(hl_obj *) == 0, "entries are whole words");
bool hl__dict_refspan(hl_obj *o, hl_refspan *span)
{
    hl_dict *d = (hl_dict *)o;
    dk_keys *k = d->keys;
    if (k == NULL) {
        span->first = NULL;
        span->n = 0;
        span->stride = 1;
        return true;
    }
    if (is_split(d)) {
        span->first = hl__vals_slots(d->values);
        span->n = d->values->cap_flags & HL_VALS_EMBEDDED ? 0 : (size_t)k->nentries;
        span->stride = 1;
        return true;
    }
    if (k->kind != DK_STR)
        return false;
    dk_str_entry *e = dk_entries(k);
    span->first = &e[0].value;
    span->n = (size_t)k->nentries;
    span->stride = sizeof(dk_str_entry) / sizeof(hl_obj *);
    return true;
}

/* _PyDict_MaybeUntrack's test: no value (nor, for general tables, key)
 * may be tracked. */
bool hl__dict_untrackable(const hl_obj *o)
{
    hl_dict *d = (hl_dict *)o;
    dk_keys *k = d->keys;
    if (k == NULL)
        return true;
    if (is_split(d)) {
        hl_obj **slots = hl__vals_slots(d->values);
        for (int64_t ix = 0; ix < k->nentries; ix++)
            if (slots[ix] != NULL && hl__may_be_tracked(slots[ix]))
                return false;
        return true;
    }
    for (int64_t ix = 0; ix < k->nentries; ix++) {
        hl_obj *v = *entry_value(k, ix);
        if (v == NULL)
            continue;
        if (hl__may_be_tracked(v) || (k->kind == DK_GENERAL && hl__may_be_tracked(*entry_key(k, ix))))
            return false;
    }
    return true;
}

/* Releases every entry and the table, leaving d empty (PyDict_Clear and
 * dict_dealloc): combined tables key then value, entry by entry in order
 * (free_keys_object), then the block; split tables the values in slot
 * order, then the values array unless it is embedded in its instance. */
static void dict_clear(hl_rt *rt, hl_obj *o)
{
    hl_dict *d = (hl_dict *)o;
    dk_keys *k = d->keys;
    hl_vals *v = d->values;
    d->keys = NULL;
    d->values = NULL;
    d->used = 0;
    d->version++;
    if (k == NULL)
        return;
    if (v != NULL) {
        hl_obj **slots = hl__vals_slots(v);
        for (int64_t ix = 0; ix < k->nentries; ix++) {
            hl_obj *x = slots[ix];
            slots[ix] = NULL;
            hl_obj_decref(rt, x);
        }
        v->count = 0;
        if (!(v->cap_flags & HL_VALS_EMBEDDED))
            hl__vals_free(rt, v);
        return; /* the shared keys are the class's */
    }
    for (int64_t ix = 0; ix < k->nentries; ix++) {
        hl_obj_decref(rt, *entry_key(k, ix));
        hl_obj_decref(rt, *entry_value(k, ix));
    }
    keys_release(rt, k);
}

static void dict_dealloc(hl_rt *rt, hl_obj *o)
{
    dict_clear(rt, o);
    if (!hl__freelist_push(rt, o, HL_FL_DICT, 0))
        hl__obj_free(rt, o);
}

const hl_type hl__dict_type = {"dict", HL_KIND_DICT, true, dict_dealloc, dict_traverse,
                               dict_clear, dict_size, dict_traverse};

/* new_dict: from the free list or a new block; not tracked (the lazy rule)
 * unless dict_tracking=eager. */
static hl_dict *dict_alloc(hl_rt *rt)
{
    hl_dict *d = (hl_dict *)hl__freelist_pop(rt, HL_FL_DICT, 0, &hl__dict_type);
    if (d == NULL)
        d = (hl_dict *)hl__obj_alloc(rt, &hl__dict_type, dict_size(NULL));
    if (d == NULL)
        return NULL;
    d->used = 0;
    d->version = 0;
    d->keys = NULL;
    d->values = NULL;
    return d;
}

hl_obj *hl_dict_new(hl_rt *rt)
{
    hl_dict *d = dict_alloc(rt);
    if (d == NULL)
        return NULL;
    if (!rt->cfg.lazy_dict_tracking)
        hl__gc_track(rt, &d->ob);
    hl__gc_eval_breaker(rt);
    return &d->ob;
}

size_t hl_dict_len(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "hl_dict_len on a non-dict");
    return (size_t)((const hl_dict *)o)->used;
}

/* MAINTAIN_TRACKING (key NULL: the key already in the table, a str or an
 * int, never tracked) */
static inline void maintain_tracking(hl_rt *rt, hl_dict *d, const hl_obj *key,
                                     const hl_obj *value)
{
    if (HL_AS_GC(&d->ob)->next == 0 &&
        (hl__may_be_tracked(value) || (key != NULL && hl__may_be_tracked(key))))
        hl__gc_track(rt, &d->ob);
}

/* The entry index of the key when present (value set), else -1. */
static int64_t dict_lookup(const hl_dict *d, const probe *p, size_t *slot)
{
    if (d->keys == NULL)
        return -1;
    int64_t ix = lookup(d->keys, p, slot);
    if (ix >= 0 && is_split(d) && hl__vals_slots(d->values)[ix] == NULL)
        return -1;
    return ix;
}

/* Stores value under the key p describes (insertdict / insert_to_emptydict);
 * key_obj (an owned reference) becomes the key when the key is new, else it
 * is released; it may be NULL when the key is known to be present.  Steals
 * value. */
static int dict_insert(hl_rt *rt, hl_dict *d, const probe *p, hl_obj *key_obj, hl_obj *value)
{
    bool str_key = probe_is_str(p);
    /* a str table, or a split one, gets a non-str key: insertion_resize(mp, 0) */
    if (d->keys != NULL && !str_key && d->keys->kind != DK_GENERAL &&
        dict_resize(rt, d, log2_for(d->used * 3), DK_GENERAL) != 0)
        goto fail;
    size_t slot;
    int64_t ix = d->keys != NULL ? lookup(d->keys, p, &slot) : -1;
    maintain_tracking(rt, d, key_obj, value);
    if (ix >= 0) {
        hl_obj **vp = value_slot(d, ix);
        hl_obj *old = *vp;
        *vp = value;
        if (old == NULL) { /* split: the key was in the shared keys only */
            hl__vals_order_add(d->values, (unsigned)ix);
            d->used++;
        }
        d->version++;
        hl_obj_decref(rt, key_obj);
        hl_obj_decref(rt, old);
        dict_check(d);
        return 0;
    }
    if (d->keys == NULL) {
        if (dict_resize(rt, d, DK_MIN_LOG2, str_key ? DK_STR : DK_GENERAL) != 0)
            goto fail;
    } else if (d->keys->usable <= 0) {
        /* GROWTH_RATE: used * 3 (3.11+); deleted entries are dropped on the
         * way; a split table becomes combined */
        int kind = d->keys->kind == DK_GENERAL ? DK_GENERAL : DK_STR;
        if (dict_resize(rt, d, log2_for(d->used * 3), kind) != 0)
            goto fail;
    }
    dk_keys *k = d->keys;
    ix = k->nentries;
    set_index(k, find_free_slot(k, p->hash), ix);
    *entry_key(k, ix) = key_obj; /* a split table's shared keys take the key */
    if (is_split(d)) {
        HL_OBJ_ASSERT(ix < (int64_t)hl__vals_cap(d->values), &d->ob,
                      "dict: split table outgrew its values");
        hl__vals_slots(d->values)[ix] = value;
        hl__vals_order_add(d->values, (unsigned)ix);
    } else {
        *entry_value(k, ix) = value;
        if (k->kind == DK_GENERAL)
            ((dk_gen_entry *)dk_entries(k))[ix].hash = p->hash;
    }
    k->nentries++;
    k->usable--;
    d->used++;
    d->version++;
    dict_check(d);
    return 0;
fail:
    hl_obj_decref(rt, key_obj);
    hl_obj_decref(rt, value);
    return -1;
}

static int make_probe(const hl_obj *key, probe *p)
{
    int64_t h = hl_obj_hash(key);
    if (h == -1)
        return -1;
    *p = (probe){.obj = key, .is = 0, .hash = h};
    return 0;
}

int hl_dict_set(hl_rt *rt, hl_obj *o, hl_obj *key, hl_obj *value)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "hl_dict_set on a non-dict");
    probe p;
    if (key == NULL || value == NULL || make_probe(key, &p) != 0) {
        hl_obj_decref(rt, key);
        hl_obj_decref(rt, value);
        return -1;
    }
    return dict_insert(rt, (hl_dict *)o, &p, key, value);
}

static hl_obj *dict_find(const hl_obj *o, const probe *p)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "dict lookup on a non-dict");
    const hl_dict *d = (const hl_dict *)o;
    size_t slot;
    int64_t ix = dict_lookup(d, p, &slot);
    return ix >= 0 ? *value_slot(d, ix) : NULL;
}

/* delitem_common: combined tables drop key and value and leave a DUMMY;
 * split tables only clear the value slot (the key stays shared). */
static int dict_remove(hl_rt *rt, hl_obj *o, const probe *p)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "dict delete on a non-dict");
    hl_dict *d = (hl_dict *)o;
    size_t slot;
    int64_t ix = dict_lookup(d, p, &slot);
    if (ix < 0)
        return -1;
    hl_obj *key = NULL, *value;
    if (is_split(d)) {
        hl_obj **vp = &hl__vals_slots(d->values)[ix];
        value = *vp;
        *vp = NULL;
        hl__vals_order_del(d->values, (unsigned)ix);
    } else {
        set_index(d->keys, slot, DK_DUMMY);
        hl_obj **kp = entry_key(d->keys, ix), **vp = entry_value(d->keys, ix);
        key = *kp;
        value = *vp;
        *kp = NULL;
        *vp = NULL;
    }
    d->used--;
    d->version++;
    dict_check(d);
    hl_obj_decref(rt, key);
    hl_obj_decref(rt, value);
    return 0;
}

hl_obj *hl_dict_get(const hl_obj *o, const hl_obj *key)
{
    probe p;
    if (key == NULL || make_probe(key, &p) != 0)
        return NULL;
    return dict_find(o, &p);
}

int hl_dict_del(hl_rt *rt, hl_obj *o, const hl_obj *key)
{
    probe p;
    if (key == NULL || make_probe(key, &p) != 0)
        return -1;
    return dict_remove(rt, o, &p);
}

static probe str_probe(const char *s, size_t len)
{
    return (probe){.s = s, .len = len, .is = 1, .hash = hl_str_hash_bytes(s, len)};
}

static probe int_probe(int64_t v)
{
    const int64_t modulus = ((int64_t)1 << 61) - 1;
    int64_t h = v % modulus;
    return (probe){.ival = v, .is = 2, .hash = h == -1 ? -2 : h};
}

int hl__dict_set_str_n(hl_rt *rt, hl_obj *o, const char *key, size_t len, hl_obj *value)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "hl_dict_set_str on a non-dict");
    if (value == NULL)
        return -1;
    hl_dict *d = (hl_dict *)o;
    probe p = str_probe(key, len);
    hl_obj *k;
    size_t slot;
    if (rt->cfg.interning) {
        /* the literal: interned (or a constant) made once, shared */
        k = hl__intern(rt, key, len, false);
        hl_obj_incref(rt, k);
    } else if (dict_lookup(d, &p, &slot) >= 0) {
        return dict_insert(rt, d, &p, NULL, value); /* replaces the value only */
    } else {
        /* heaplab's older model: a new key str per insertion of an absent key */
        k = hl_str_new(rt, key, len);
    }
    if (k == NULL) {
        hl_obj_decref(rt, value);
        return -1;
    }
    return dict_insert(rt, d, &p, k, value);
}

int hl_dict_set_str(hl_rt *rt, hl_obj *o, const char *key, hl_obj *value)
{
    return hl__dict_set_str_n(rt, o, key, strlen(key), value);
}

hl_obj *hl_dict_get_str(const hl_obj *o, const char *key)
{
    probe p = str_probe(key, strlen(key));
    return dict_find(o, &p);
}

int hl_dict_del_str(hl_rt *rt, hl_obj *o, const char *key)
{
    probe p = str_probe(key, strlen(key));
    return dict_remove(rt, o, &p);
}

int hl_dict_set_int(hl_rt *rt, hl_obj *o, int64_t key, hl_obj *value)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "hl_dict_set_int on a non-dict");
    if (value == NULL)
        return -1;
    probe p = int_probe(key);
    if (dict_find(o, &p) != NULL)
        return dict_insert(rt, (hl_dict *)o, &p, NULL, value); /* the key stays */
    hl_obj *k = hl_int_new(rt, key);
    if (k == NULL) {
        hl_obj_decref(rt, value);
        return -1;
    }
    return dict_insert(rt, (hl_dict *)o, &p, k, value);
}

hl_obj *hl_dict_get_int(const hl_obj *o, int64_t key)
{
    probe p = int_probe(key);
    return dict_find(o, &p);
}

int hl_dict_del_int(hl_rt *rt, hl_obj *o, int64_t key)
{
    probe p = int_probe(key);
    return dict_remove(rt, o, &p);
}

bool hl_dict_next(const hl_obj *o, size_t *pos, hl_obj **key, hl_obj **value)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "hl_dict_next on a non-dict");
    const hl_dict *d = (const hl_dict *)o;
    dk_keys *k = d->keys;
    if (k == NULL)
        return false;
    if (is_split(d)) { /* in this dict's insertion order */
        if (*pos >= d->values->count)
            return false;
        int64_t ix = d->values->order[(*pos)++];
        if (key)
            *key = *entry_key(k, ix);
        if (value)
            *value = hl__vals_slots(d->values)[ix];
        return true;
    }
    for (size_t ix = *pos; ix < (size_t)k->nentries; ix++) {
        hl_obj *v = *entry_value(k, (int64_t)ix);
        if (v != NULL) {
            *pos = ix + 1;
            if (key)
                *key = *entry_key(k, (int64_t)ix);
            if (value)
                *value = v;
            return true;
        }
    }
    *pos = (size_t)k->nentries;
    return false;
}

/* ---- shared keys and split dicts --------------------------------------------- */

dk_keys *hl__shared_keys_new(hl_rt *rt)
{
    dk_keys *k = keys_new(rt, DK_SHARED_LOG2, DK_SPLIT);
    if (k != NULL)
        k->usable = DK_SHARED_MAX; /* "max size + 1: shrinks by one before each object" */
    return k;
}

void hl__shared_keys_free(hl_rt *rt, dk_keys *k)
{
    for (int64_t ix = 0; ix < k->nentries; ix++)
        hl_obj_decref(rt, *entry_key(k, ix));
    hl__mem_free(rt, hl__keys_mem(rt), k, k->block_size);
}

void hl__shared_keys_instance_made(dk_keys *k)
{
    if (k->usable > 1)
        k->usable--;
}

unsigned hl__shared_keys_usable_size(const dk_keys *k) { return (unsigned)(k->nentries + k->usable); }
int64_t hl__shared_keys_nentries(const dk_keys *k) { return k->nentries; }

hl_obj *hl__shared_keys_name(const dk_keys *k, int64_t ix)
{
    return *entry_key((dk_keys *)k, ix);
}

int64_t hl__shared_keys_find(const dk_keys *k, const char *name, size_t len)
{
    probe p = str_probe(name, len);
    size_t slot;
    return lookup((dk_keys *)k, &p, &slot);
}

int64_t hl__shared_keys_add(hl_rt *rt, dk_keys *k, const char *name, size_t len)
{
    probe p = str_probe(name, len);
    size_t slot;
    int64_t ix = lookup(k, &p, &slot);
    if (ix >= 0)
        return ix;
    if (k->usable <= 0)
        return -1;
    hl_obj *key = rt->cfg.interning ? hl__intern(rt, name, len, true) : hl_str_new(rt, name, len);
    if (key == NULL)
        return -2;
    if (rt->cfg.interning)
        hl_obj_incref(rt, key);
    ix = k->nentries;
    set_index(k, find_free_slot(k, p.hash), ix);
    *entry_key(k, ix) = key;
    k->usable--;
    k->nentries++;
    return ix;
}

hl_obj *hl__dict_new_split(hl_rt *rt, dk_keys *shared, hl_vals *values)
{
    hl_dict *d = dict_alloc(rt);
    if (d == NULL)
        return NULL;
    d->keys = shared;
    d->values = values;
    d->used = values->count;
    bool track = !rt->cfg.lazy_dict_tracking;
    hl_obj **slots = hl__vals_slots(values);
    for (int64_t ix = 0; ix < shared->nentries && !track; ix++)
        track = slots[ix] != NULL && hl__may_be_tracked(slots[ix]);
    if (track)
        hl__gc_track(rt, &d->ob);
    dict_check(d);
    return &d->ob;
}

int hl__dict_detach_values(hl_rt *rt, hl_obj *o)
{
    hl_dict *d = (hl_dict *)o;
    hl_vals *v = d->values;
    if (v == NULL || !(v->cap_flags & HL_VALS_EMBEDDED))
        return 0;
    unsigned cap = hl__vals_cap(v);
    hl_vals *copy = hl__vals_new(rt, cap, true);
    if (copy == NULL)
        return -1;
    copy->count = v->count;
    memcpy(copy->order, v->order, v->count);
    memcpy(hl__vals_slots(copy), hl__vals_slots(v), 8 * (size_t)cap);
    memset(hl__vals_slots(v), 0, 8 * (size_t)cap);
    v->count = 0;
    d->values = copy;
    return 0;
}
