/* intern.c - strs made once: interned identifiers and literal constants.
 *
 * How it works
 * ------------
 * A Python program does not make a new str each time it names an attribute
 * or writes a literal key: the compiler interns every identifier (co_names,
 * co_localsplusnames) and every str constant made of name characters
 * [a-zA-Z0-9_] (Objects/codeobject.c intern_strings and
 * intern_string_constants, all_name_chars), and any other literal is one
 * constant of its code object.  So `obj.left = x` and `d["id"] = x`
 * allocate no key; measured in 3.11-3.13 by scripts/cpython_sizes.py
 * ("interning", tests/data/cpython).
 *
 * heaplab's C-string keys stand for such names and literals: the attribute
 * names of hl_inst_setattr and the keys of hl_dict_set_str are looked up in
 * this table and made once, the first time they are used.  The runtime
 * holds one reference to each (the code object's), so they live until
 * hl_rt_free, and they are immortal where the profile says so: every
 * interned str in 3.12 (Objects/unicodeobject.c _PyUnicode_InternInPlace,
 * _Py_SetImmortal), identifiers only in 3.13 (intern_common: constants are
 * interned mortal), none in 3.11.  A literal that is not made of name
 * characters is never interned nor immortal, but it is still made once.
 *
 * The index is a plain-malloc open-addressing table: bookkeeping, like the
 * rest of the runtime struct (CPython's interned dict is a real dict, but
 * it is filled at compile time, before any measured loop).  The strs are
 * ordinary strs from obj_mem.  With interning=off, hl_dict_set_str makes a
 * new key str per insertion instead (heaplab's older model) and shared keys
 * own plain strs.
 */
#include "internal.h"

#include <string.h>

/* Invariant: n < cap / 2 (cap a power of two); every slot is NULL or an
 * interned str owned (one reference, or immortal) by the table. */

static bool all_name_chars(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static size_t slot_of(const hl_intern *t, int64_t hash)
{
    return (size_t)((uint64_t)hash * 0x9E3779B97F4A7C15ull >> 7) & (t->cap - 1);
}

static bool same(const hl_obj *str, const char *s, size_t len)
{
    return hl_str_len(str) == len && memcmp(hl_str_data(str), s, len) == 0;
}

static int grow(hl_intern *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    hl_obj **slot = calloc(cap, sizeof *slot);
    if (slot == NULL)
        return -1;
    hl_intern bigger = {slot, cap, t->n};
    for (size_t i = 0; i < t->cap; i++) {
        hl_obj *o = t->slot[i];
        if (o == NULL)
            continue;
        size_t j = slot_of(&bigger, hl_str_hash(o));
        while (slot[j] != NULL)
            j = (j + 1) & (cap - 1);
        slot[j] = o;
    }
    free(t->slot);
    *t = bigger;
    return 0;
}

hl_obj *hl__intern(hl_rt *rt, const char *s, size_t len, bool identifier)
{
    if (len <= 1)
        return hl_str_new(rt, s, len); /* '' and the 1-char strs are singletons */
    hl_intern *t = &rt->interned;
    int64_t hash = hl_str_hash_bytes(s, len);
    if (t->cap != 0) {
        for (size_t i = slot_of(t, hash);; i = (i + 1) & (t->cap - 1)) {
            hl_obj *o = t->slot[i];
            if (o == NULL)
                break;
            if (hl_str_hash(o) == hash && same(o, s, len)) {
                if (identifier && rt->prof->interned_immortal && !hl_obj_is_immortal(o))
                    o->refcnt = HL_IMMORTAL_REFCNT; /* a name too: intern_common */
                return o;
            }
        }
    }
    if ((t->n + 1) * 2 > t->cap && grow(t) != 0)
        return NULL;
    hl_obj *o = hl_str_new(rt, s, len);
    if (o == NULL)
        return NULL;
    (void)hl_str_hash(o); /* cached before it may become immortal */
    bool name_like = all_name_chars(s, len);
    if (name_like && (identifier ? rt->prof->interned_immortal : rt->prof->constants_immortal))
        o->refcnt = HL_IMMORTAL_REFCNT;
    size_t i = slot_of(t, hash);
    while (t->slot[i] != NULL)
        i = (i + 1) & (t->cap - 1);
    t->slot[i] = o;
    t->n++;
    return o;
}

hl_obj *hl_str_intern(hl_rt *rt, const char *s, size_t len)
{
    hl_obj *o = hl__intern(rt, s, len, true);
    hl_obj_incref(rt, o);
    return o;
}

uint64_t hl_rt_interned_objects(const hl_rt *rt) { return rt->interned.n; }

void hl__intern_fini(hl_rt *rt)
{
    hl_intern *t = &rt->interned;
    for (size_t i = 0; i < t->cap; i++) {
        hl_obj *o = t->slot[i];
        if (o == NULL)
            continue;
        if (hl_obj_is_immortal(o))
            hl__obj_free_forced(rt, o);
        else
            hl_obj_decref(rt, o); /* the table's reference; nothing else is left */
    }
    free(t->slot);
    memset(t, 0, sizeof *t);
}
