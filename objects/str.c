/* str.c - immutable byte strings with the characters inline.
 *
 * How it works
 * ------------
 * The layout follows CPython's compact ASCII string (PyASCIIObject,
 * Objects/unicodeobject.c PyUnicode_New): header 16, length 8, cached hash
 * 8, state 4 + 4 padding, in 3.11 the wstr pointer 8 (removed by PEP 623 in
 * 3.12), then the characters and a NUL, so a string takes 49 + len bytes
 * in the 3.11 profile and 41 + len in 3.12 and 3.13 (measured:
 * tests/data/cpython).  Where the characters start is kept in the str, so
 * that its accessors need no runtime.  heaplab does not decode text: bytes
 * are stored as given and the size is always the compact-ASCII one.  The hash is computed on first use and
 * cached (-1 = not yet computed), as unicode_hash does; heaplab uses
 * FNV-1a with a final avalanche step instead of CPython's SipHash-1-3
 * (PEP 456): no randomisation is needed for a benchmark.  '' and the 128
 * one-character ASCII strings are immortal singletons, as CPython
 * preallocates them.
 */
#include "internal.h"

#include <stddef.h>
#include <string.h>

/* Invariants: the characters start data_off bytes into the object (40, or
 * 48 where a wstr slot precedes them); chars()[length] == 0; hash == -1 or
 * the hash of the characters. */
typedef struct hl_str {
    hl_obj ob;
    int64_t length;
    int64_t hash;
    uint16_t ascii; /* all bytes < 0x80 (CPython's state.ascii) */
    uint16_t data_off;
    uint32_t pad;
    /* 3.11: uint64_t wstr (always NULL), then the characters */
} hl_str;

_Static_assert(sizeof(hl_str) == 40, "PyASCIIObject without wstr is 40 bytes");

static inline char *chars(const hl_str *v) { return (char *)v + v->data_off; }

static size_t str_size(const hl_obj *o)
{
    const hl_str *v = (const hl_str *)o;
    return v->data_off + (size_t)v->length + 1;
}

static void str_dealloc(hl_rt *rt, hl_obj *o) { hl__obj_free(rt, o); }

const hl_type hl__str_type = {"str", HL_KIND_STR, false, str_dealloc, hl__atomic_traverse,
                              hl__atomic_clear, str_size, NULL};

int64_t hl_str_hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 0x100000001b3ull;
    }
    /* murmur3 fmix64: spreads FNV's weak low bits over the table index */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    int64_t r = (int64_t)h;
    return r == -1 ? -2 : r;
}

static hl_obj *str_alloc(hl_rt *rt, const char *s, size_t len)
{
    unsigned off = rt->prof->str_data_offset;
    hl_str *v = (hl_str *)hl__obj_alloc(rt, &hl__str_type, off + len + 1);
    if (v == NULL)
        return NULL;
    v->length = (int64_t)len;
    v->hash = -1;
    v->data_off = (uint16_t)off;
    v->pad = 0;
    if (off > sizeof(hl_str))
        memset((char *)v + sizeof(hl_str), 0, off - sizeof(hl_str)); /* wstr = NULL */
    uint16_t ascii = 1;
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)s[i] >= 0x80)
            ascii = 0;
    v->ascii = ascii;
    memcpy(chars(v), s, len);
    chars(v)[len] = 0;
    return &v->ob;
}

int hl__str_init_cache(hl_rt *rt)
{
    rt->empty_str = str_alloc(rt, "", 0);
    if (rt->empty_str == NULL)
        return -1;
    ((hl_str *)rt->empty_str)->hash = hl_str_hash_bytes("", 0);
    hl__make_singleton(rt, rt->empty_str);
    for (int c = 0; c < 128; c++) {
        char ch = (char)c;
        hl_obj *o = str_alloc(rt, &ch, 1);
        if (o == NULL)
            return -1;
        ((hl_str *)o)->hash = hl_str_hash_bytes(&ch, 1); /* never written later */
        hl__make_singleton(rt, o);
        rt->char_strs[c] = o;
    }
    return 0;
}

hl_obj *hl_str_new(hl_rt *rt, const char *s, size_t len)
{
    if (len == 0)
        return rt->empty_str;
    if (len == 1 && (uint8_t)s[0] < 128)
        return rt->char_strs[(uint8_t)s[0]];
    return str_alloc(rt, s, len);
}

hl_obj *hl_str_from(hl_rt *rt, const char *cstr) { return hl_str_new(rt, cstr, strlen(cstr)); }

const char *hl_str_data(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_STR, o, "hl_str_data on a non-str");
    return chars((const hl_str *)o);
}

size_t hl_str_len(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_STR, o, "hl_str_len on a non-str");
    return (size_t)((const hl_str *)o)->length;
}

int64_t hl_str_hash(hl_obj *o)
{
    hl_str *v = (hl_str *)o;
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_STR, o, "hl_str_hash on a non-str");
    /* Immortal singletons are never written after creation: compute. */
    if (v->hash == -1) {
        int64_t h = hl_str_hash_bytes(chars(v), (size_t)v->length);
        if (hl_obj_is_immortal(o))
            return h;
        v->hash = h;
    }
    return v->hash;
}
