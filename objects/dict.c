/* dict.c - compact, insertion-ordered hash tables with str and int keys.
 *
 * How it works
 * ------------
 * The design published in CPython's Objects/dictobject.c (compact dict,
 * Raymond Hettinger's proposal, 3.6; key-kind split of 3.11): a dict object
 * (48 bytes + GC header, 3.12's PyDictObject) points to a "keys" block from
 * item_mem that holds, one after the other,
 *     a 32-byte header | an index array of 2^k slots | an entry array
 * The index array holds, per hash slot, EMPTY (-1), DUMMY (-2, a deleted
 * entry) or the position of an entry; its width is 1, 2, 4 or 8 bytes
 * depending on the table size.  Entries are appended in insertion order:
 * {key, value} when every key is a str (the hash is cached in the str,
 * "unicode" kind) or {hash, key, value} otherwise ("general" kind), so
 * getsizeof({"a": 1}) == 184 and getsizeof({1: 1}) == 224 as in 3.12.
 * Only 2/3 of the slots may be used (USABLE_FRACTION); when the usable
 * entries run out the table is rebuilt for used * 3 (GROWTH_RATE since
 * 3.11), which also drops deleted entries.  Lookup probes
 *     i = hash & mask;  then  perturb >>= 5; i = (i * 5 + perturb + 1) & mask
 * so every slot is reached and all hash bits take part.  An empty dict has
 * no table (CPython shares an immortal empty keys object, not counted by
 * getsizeof: 64 bytes).
 */
#include "internal.h"

#include <string.h>

enum { DK_EMPTY = -1, DK_DUMMY = -2 };
enum { DK_STR = 0, DK_GENERAL = 1 };
#define DK_MIN_LOG2 3 /* PyDict_MINSIZE 8 */

typedef struct dk_str_entry {
    hl_obj *key;
    hl_obj *value;
} dk_str_entry;

typedef struct dk_gen_entry {
    int64_t hash;
    hl_obj *key;
    hl_obj *value;
} dk_gen_entry;

/* Invariants: 0 <= nentries <= usable_max(size); usable = usable_max -
 * nentries; every live entry (value != NULL) has exactly one index slot
 * pointing at it; deleted entries have key == value == NULL. */
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

/* 3.12's PyDictObject: used, version tag, keys, values. */
typedef struct hl_dict {
    hl_obj ob;
    int64_t used;
    uint64_t version; /* bumped on every change (PEP 509's ma_version_tag) */
    dk_keys *keys;    /* NULL while empty and never filled */
    void *values;     /* CPython's split-table values: unused, always NULL,
                         kept so the block has CPython's 48 + 16 bytes */
} hl_dict;

static inline int64_t usable_max(unsigned log2_size) { return ((int64_t)2 << log2_size) / 3; }
static inline size_t dk_nslots(const dk_keys *k) { return (size_t)1 << k->log2_size; }
static inline size_t entry_size(int kind)
{
    return kind == DK_STR ? sizeof(dk_str_entry) : sizeof(dk_gen_entry);
}
static inline void *dk_entries(dk_keys *k) { return k->indices + ((size_t)1 << k->log2_index_bytes); }

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
    if (k->kind == DK_STR)
        return &((dk_str_entry *)dk_entries(k))[ix].key;
    return &((dk_gen_entry *)dk_entries(k))[ix].key;
}
static inline hl_obj **entry_value(dk_keys *k, int64_t ix)
{
    if (k->kind == DK_STR)
        return &((dk_str_entry *)dk_entries(k))[ix].value;
    return &((dk_gen_entry *)dk_entries(k))[ix].value;
}
static inline int64_t entry_hash(dk_keys *k, int64_t ix)
{
    if (k->kind == DK_STR)
        return hl_str_hash(((dk_str_entry *)dk_entries(k))[ix].key);
    return ((dk_gen_entry *)dk_entries(k))[ix].hash;
}

static size_t keys_block_size(unsigned log2_size, int kind)
{
    unsigned width_log2 = log2_size <= 7 ? 0 : log2_size <= 15 ? 1 : log2_size <= 31 ? 2 : 3;
    return sizeof(dk_keys) + ((size_t)1 << (log2_size + width_log2)) +
           (size_t)usable_max(log2_size) * entry_size(kind);
}

/* PyObject_Malloc in 3.11 and 3.12, PyMem_Malloc in 3.13
 * (Objects/dictobject.c new_keys_object). */
static inline hl_allocator *keys_mem(hl_rt *rt)
{
    return rt->prof->keys_in_item_mem ? rt->item_mem : rt->obj_mem;
}

static dk_keys *keys_new(hl_rt *rt, unsigned log2_size, int kind)
{
    unsigned width_log2 = log2_size <= 7 ? 0 : log2_size <= 15 ? 1 : log2_size <= 31 ? 2 : 3;
    size_t bytes = keys_block_size(log2_size, kind);
    dk_keys *k = hl__mem_malloc(rt, keys_mem(rt), bytes);
    if (k == NULL)
        return NULL;
    k->log2_size = (uint8_t)log2_size;
    k->log2_index_bytes = (uint8_t)(log2_size + width_log2);
    k->kind = (uint8_t)kind;
    memset(k->pad, 0, sizeof k->pad);
    k->usable = usable_max(log2_size);
    k->nentries = 0;
    k->block_size = bytes;
    memset(k->indices, 0xff, (size_t)1 << k->log2_index_bytes); /* all DK_EMPTY */
    return k;
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

/* Rebuilds d's table with 2^log2 slots of `kind`, compacting the entries in
 * insertion order (dictresize). */
static int dict_resize(hl_rt *rt, hl_dict *d, unsigned log2, int kind)
{
    dk_keys *nk = keys_new(rt, log2, kind);
    if (nk == NULL)
        return -1;
    dk_keys *ok = d->keys;
    int64_t n = 0;
    if (ok != NULL) {
        for (int64_t ix = 0; ix < ok->nentries; ix++) {
            hl_obj *value = *entry_value(ok, ix);
            if (value == NULL)
                continue;
            hl_obj *key = *entry_key(ok, ix);
            int64_t hash = entry_hash(ok, ix);
            *entry_key(nk, n) = key;
            *entry_value(nk, n) = value;
            if (kind == DK_GENERAL)
                ((dk_gen_entry *)dk_entries(nk))[n].hash = hash;
            set_index(nk, find_free_slot(nk, hash), n);
            n++;
        }
        hl__mem_free(rt, keys_mem(rt), ok, ok->block_size);
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
        HL_OBJ_ASSERT(d->used == 0, &d->ob, "dict: entries without a table");
        return;
    }
    HL_OBJ_ASSERT(d->keys->nentries >= d->used &&
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
        return d->used == 0 ? 0 : -1;
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

size_t hl__dict_table_bytes(const hl_obj *o)
{
    const hl_dict *d = (const hl_dict *)o;
    return d->keys != NULL ? d->keys->block_size : 0;
}

/* As dict_traverse: a str-keyed table visits its values only (str keys can
 * not be part of a cycle), a general one keys and values.  The table kind is
 * tested once, not per entry (the collector calls this for every dict). */
static int dict_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_dict *d = (hl_dict *)o;
    dk_keys *k = d->keys;
    if (k == NULL)
        return 0;
    int64_t n = k->nentries;
    int r;
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

/* A str-keyed table's values are every other word of its entries. */
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
    if (k->kind != DK_STR)
        return false;
    dk_str_entry *e = dk_entries(k);
    span->first = &e[0].value;
    span->n = (size_t)k->nentries;
    span->stride = sizeof(dk_str_entry) / sizeof(hl_obj *);
    return true;
}

static void dict_clear(hl_rt *rt, hl_obj *o)
{
    hl_dict *d = (hl_dict *)o;
    dk_keys *k = d->keys;
    d->keys = NULL;
    d->used = 0;
    d->version++;
    if (k == NULL)
        return;
    for (int64_t ix = 0; ix < k->nentries; ix++) {
        hl_obj_decref(rt, *entry_key(k, ix));
        hl_obj_decref(rt, *entry_value(k, ix));
    }
    hl__mem_free(rt, keys_mem(rt), k, k->block_size);
}

static void dict_dealloc(hl_rt *rt, hl_obj *o)
{
    dict_clear(rt, o);
    hl__obj_free(rt, o);
}

const hl_type hl__dict_type = {"dict", HL_KIND_DICT, true, dict_dealloc, dict_traverse,
                               dict_clear, dict_size};

hl_obj *hl_dict_new(hl_rt *rt)
{
    hl_dict *d = (hl_dict *)hl__obj_alloc(rt, &hl__dict_type, dict_size(NULL));
    if (d == NULL)
        return NULL;
    d->used = 0;
    d->version = 0;
    d->keys = NULL;
    d->values = NULL;
    hl__gc_track(rt, &d->ob);
    return &d->ob;
}

size_t hl_dict_len(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "hl_dict_len on a non-dict");
    return (size_t)((const hl_dict *)o)->used;
}

/* Stores value under the key described by p; key_obj (owned, may be NULL)
 * is used as the key when the key is new, else released.  Steals value. */
static int dict_insert(hl_rt *rt, hl_dict *d, const probe *p, hl_obj *key_obj, hl_obj *value)
{
    size_t slot;
    if (d->keys != NULL) {
        int64_t ix = lookup(d->keys, p, &slot);
        if (ix >= 0) {
            hl_obj **vp = entry_value(d->keys, ix);
            hl_obj *old = *vp;
            *vp = value;
            d->version++;
            hl_obj_decref(rt, key_obj);
            hl_obj_decref(rt, old);
            return 0;
        }
    }
    int want_kind = probe_is_str(p) ? DK_STR : DK_GENERAL;
    if (d->keys == NULL) {
        if (dict_resize(rt, d, DK_MIN_LOG2, want_kind) != 0)
            goto fail;
    } else if (d->keys->kind == DK_STR && want_kind == DK_GENERAL) {
        if (dict_resize(rt, d, d->keys->log2_size, DK_GENERAL) != 0)
            goto fail;
    }
    /* GROWTH_RATE: used * 3 (3.11+); deleted entries are dropped on the way */
    if (d->keys->usable <= 0 && dict_resize(rt, d, log2_for(d->used * 3), d->keys->kind) != 0)
        goto fail;
    dk_keys *k = d->keys;
    int64_t ix = k->nentries;
    set_index(k, find_free_slot(k, p->hash), ix);
    *entry_key(k, ix) = key_obj;
    *entry_value(k, ix) = value;
    if (k->kind == DK_GENERAL)
        ((dk_gen_entry *)dk_entries(k))[ix].hash = p->hash;
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
    if (d->keys == NULL)
        return NULL;
    size_t slot;
    int64_t ix = lookup(d->keys, p, &slot);
    return ix >= 0 ? *entry_value(d->keys, ix) : NULL;
}

static int dict_remove(hl_rt *rt, hl_obj *o, const probe *p)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_DICT, o, "dict delete on a non-dict");
    hl_dict *d = (hl_dict *)o;
    if (d->keys == NULL)
        return -1;
    size_t slot;
    int64_t ix = lookup(d->keys, p, &slot);
    if (ix < 0)
        return -1;
    set_index(d->keys, slot, DK_DUMMY);
    hl_obj **kp = entry_key(d->keys, ix), **vp = entry_value(d->keys, ix);
    hl_obj *key = *kp, *value = *vp;
    *kp = NULL;
    *vp = NULL;
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
    hl_obj *existing = dict_find(o, &p);
    if (existing != NULL)
        return dict_insert(rt, d, &p, NULL, value); /* replaces the value only */
    hl_obj *k = hl_str_new(rt, key, len);
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
        return dict_insert(rt, (hl_dict *)o, &p, NULL, value);
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
