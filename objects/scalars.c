/* scalars.c - the atomic types None, int and float.
 *
 * How it works
 * ------------
 * None is a 16-byte header.  An int stores its magnitude in 30-bit digits
 * after a signed digit count (CPython's longobject.c layout since 3.1:
 * ob_size holds the sign and the digit count).  sys.getsizeof says
 * 24 + 4 * digits bytes: 28 below 2^30, 32 below 2^60, 36 for the rest of
 * int64; zero keeps one digit, as getsizeof(0) == 28 in 3.11+.  The block
 * really allocated differs for one digit: PyLong_FromLongLong gives every
 * int below 2^30 to _PyLong_FromMedium, which allocates
 * sizeof(PyLongObject) = 32 bytes (Objects/longobject.c, 3.11-3.13;
 * measured: tests/data/cpython), while _PyLong_New allocates 24 + 4n for
 * n >= 2 digits.  The ints
 * -5..256 are preallocated immortal singletons (_PY_NSMALLNEGINTS /
 * _PY_NSMALLPOSINTS; immortal since 3.12, PEP 683).  A float is a header and
 * a double (24 bytes); up to 100 dead floats wait on the float free list
 * for reuse (freelist.c; Objects/floatobject.c PyFloat_FromDouble,
 * _PyFloat_ExactDealloc).  None of these own references, so they have no
 * traverse or clear and are freed as soon as their count reaches zero.
 */
#include "internal.h"

#include <stddef.h>
#include <string.h>

#define HL_INT_SHIFT 30
#define HL_INT_MASK ((1u << HL_INT_SHIFT) - 1)

/* Invariant: |size| = number of significant digits (0 for zero, which still
 * has one digit allocated); sign(size) = sign(value). */
typedef struct hl_int {
    hl_obj ob;
    int64_t size;
    uint32_t digit[];
} hl_int;

typedef struct hl_float {
    hl_obj ob;
    double value;
} hl_float;

/* The block: _PyLong_FromMedium's sizeof(PyLongObject) for one digit,
 * _PyLong_New's offsetof(PyLongObject, ob_digit) + 4n otherwise. */
static size_t int_block_size(int64_t size)
{
    int64_t n = size < 0 ? -size : size;
    return n <= 1 ? 32 : offsetof(hl_int, digit) + 4 * (size_t)n;
}

size_t hl__int_getsizeof(const hl_obj *o)
{
    return offsetof(hl_int, digit) + 4 * (size_t)hl_int_ndigits(o);
}

static size_t none_size(const hl_obj *o) { return sizeof(hl_obj); }
static size_t int_size(const hl_obj *o) { return int_block_size(((const hl_int *)o)->size); }
static size_t float_size(const hl_obj *o) { return sizeof(hl_float); }

/* Atomic types own no references: traverse visits nothing, clear does
 * nothing, dealloc just frees.  (The GC never calls them: these types have no
 * GC header and are never tracked.) */
static void atomic_dealloc(hl_rt *rt, hl_obj *o) { hl__obj_free(rt, o); }
int hl__atomic_traverse(hl_obj *o, hl_visit_fn visit, void *arg) { return 0; }
void hl__atomic_clear(hl_rt *rt, hl_obj *o) {}

static void float_dealloc(hl_rt *rt, hl_obj *o)
{
    if (!hl__freelist_push(rt, o, HL_FL_FLOAT, 0))
        hl__obj_free(rt, o);
}

const hl_type hl__none_type = {"NoneType", HL_KIND_NONE, false, atomic_dealloc,
                               hl__atomic_traverse, hl__atomic_clear, none_size, NULL};
const hl_type hl__int_type = {"int", HL_KIND_INT, false, atomic_dealloc, hl__atomic_traverse,
                              hl__atomic_clear, int_size, NULL};
const hl_type hl__float_type = {"float", HL_KIND_FLOAT, false, float_dealloc,
                                hl__atomic_traverse, hl__atomic_clear, float_size, NULL};

hl_obj *hl_none(hl_rt *rt) { return rt->none; }

static hl_obj *int_alloc(hl_rt *rt, int64_t value)
{
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    int64_t ndigits = 0;
    for (uint64_t m = mag; m != 0; m >>= HL_INT_SHIFT)
        ndigits++;
    int64_t size = value < 0 ? -ndigits : ndigits;
    hl_int *v = (hl_int *)hl__obj_alloc(rt, &hl__int_type, int_block_size(size));
    if (v == NULL)
        return NULL;
    v->size = size;
    v->digit[0] = 0;
    for (int64_t i = 0; i < ndigits; i++, mag >>= HL_INT_SHIFT)
        v->digit[i] = (uint32_t)(mag & HL_INT_MASK);
    return &v->ob;
}

int hl__int_init_cache(hl_rt *rt)
{
    for (int i = 0; i < HL_N_SMALL_INTS; i++) {
        hl_obj *o = int_alloc(rt, i + HL_SMALL_INT_MIN);
        if (o == NULL)
            return -1;
        hl__make_singleton(rt, o);
        rt->small_ints[i] = o;
    }
    return 0;
}

hl_obj *hl_int_new(hl_rt *rt, int64_t value)
{
    if (value >= HL_SMALL_INT_MIN && value <= HL_SMALL_INT_MAX)
        return rt->small_ints[value - HL_SMALL_INT_MIN];
    return int_alloc(rt, value);
}

int64_t hl_int_value(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INT, o, "hl_int_value on a non-int");
    const hl_int *v = (const hl_int *)o;
    int64_t n = v->size < 0 ? -v->size : v->size;
    uint64_t mag = 0;
    for (int64_t i = n - 1; i >= 0; i--)
        mag = (mag << HL_INT_SHIFT) | v->digit[i];
    return v->size < 0 ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
}

unsigned hl_int_ndigits(const hl_obj *o)
{
    const hl_int *v = (const hl_int *)o;
    int64_t n = v->size < 0 ? -v->size : v->size;
    return n > 0 ? (unsigned)n : 1u;
}

hl_obj *hl_float_new(hl_rt *rt, double value)
{
    hl_float *f = (hl_float *)hl__freelist_pop(rt, HL_FL_FLOAT, 0, &hl__float_type);
    if (f == NULL)
        f = (hl_float *)hl__obj_alloc(rt, &hl__float_type, sizeof(hl_float));
    if (f == NULL)
        return NULL;
    f->value = value;
    return &f->ob;
}

double hl_float_value(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_FLOAT, o, "hl_float_value on a non-float");
    return ((const hl_float *)o)->value;
}
