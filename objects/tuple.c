/* tuple.c - fixed-size containers with the items inline.
 *
 * How it works
 * ------------
 * CPython's PyTupleObject: header, size, then the item pointers, behind a GC
 * header: 16 + 24 + 8n bytes (getsizeof(()) == 40 since 3.8).  Items start
 * NULL and are filled at construction with hl_tuple_set; traverse skips NULL
 * slots so a collection may run while a tuple is half built.  The empty tuple
 * is an untracked singleton (immortal from 3.12), as CPython's.  Tuples are
 * tracked at creation; with hl_rt_config.untrack_tuples the collector
 * untracks those whose items are all set and cannot be tracked
 * (_PyTuple_MaybeUntrack, gc.c), and hl_tuple_set tracks such a tuple again
 * when it stores a container in it (CPython's tuples are immutable once
 * shared; heaplab's may be filled late).
 *
 * Tuples of 1..20 items come from and go to their size's free list
 * (freelist.c; Objects/tupleobject.c PyTuple_New / maybe_freelist_pop and
 * tupledealloc / maybe_freelist_push).  A dying tuple releases its items
 * from the last to the first, as tupledealloc does.
 */
#include "internal.h"

#include <stdarg.h>
#include <stddef.h>

/* Invariant: items[0..size) are NULL or owned references. */
typedef struct hl_tuple {
    hl_obj ob;
    int64_t size;
    hl_obj *items[];
} hl_tuple;

static size_t tuple_size(const hl_obj *o)
{
    return sizeof(hl_gc_head) + offsetof(hl_tuple, items) +
           8 * (size_t)((const hl_tuple *)o)->size;
}

static int tuple_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_tuple *t = (hl_tuple *)o;
    for (int64_t i = 0; i < t->size; i++) {
        if (t->items[i] != NULL) {
            int r = visit(t->items[i], arg);
            if (r)
                return r;
        }
    }
    return 0;
}

/* tupletraverse: `for (i = Py_SIZE(o); --i >= 0; ) Py_VISIT(o->ob_item[i])` */
static int tuple_gc_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_tuple *t = (hl_tuple *)o;
    for (int64_t i = t->size - 1; i >= 0; i--) {
        if (t->items[i] != NULL) {
            int r = visit(t->items[i], arg);
            if (r)
                return r;
        }
    }
    return 0;
}

bool hl__tuple_refspan(hl_obj *o, hl_refspan *span)
{
    hl_tuple *t = (hl_tuple *)o;
    span->first = t->items;
    span->n = (size_t)t->size;
    span->stride = 1;
    return true;
}

static void tuple_clear(hl_rt *rt, hl_obj *o)
{
    hl_tuple *t = (hl_tuple *)o;
    for (int64_t i = 0; i < t->size; i++) {
        hl_obj *item = t->items[i];
        t->items[i] = NULL;
        hl_obj_decref(rt, item);
    }
}

/* tupledealloc: `i = size; while (--i >= 0) Py_XDECREF(item[i])`, then the
 * block to the free list or tp_free. */
static void tuple_dealloc(hl_rt *rt, hl_obj *o)
{
    hl_tuple *t = (hl_tuple *)o;
    if (hl__items_backwards(rt)) {
        for (int64_t i = t->size - 1; i >= 0; i--) {
            hl_obj *item = t->items[i];
            t->items[i] = NULL;
            hl_obj_decref(rt, item);
        }
    } else {
        tuple_clear(rt, o);
    }
    if (!hl__freelist_push(rt, o, HL_FL_TUPLE, (size_t)t->size - 1))
        hl__obj_free(rt, o);
}

const hl_type hl__tuple_type = {"tuple", HL_KIND_TUPLE, true, tuple_dealloc, tuple_traverse,
                                tuple_clear, tuple_size, tuple_gc_traverse};

static hl_obj *tuple_alloc(hl_rt *rt, size_t n)
{
    hl_tuple *t = NULL;
    if (n > 0)
        t = (hl_tuple *)hl__freelist_pop(rt, HL_FL_TUPLE, n - 1, &hl__tuple_type);
    if (t == NULL)
        t = (hl_tuple *)hl__obj_alloc(rt, &hl__tuple_type,
                                      sizeof(hl_gc_head) + offsetof(hl_tuple, items) + 8 * n);
    if (t == NULL)
        return NULL;
    t->size = (int64_t)n;
    for (size_t i = 0; i < n; i++)
        t->items[i] = NULL;
    return &t->ob;
}

int hl__tuple_init_empty(hl_rt *rt)
{
    rt->empty_tuple = tuple_alloc(rt, 0);
    if (rt->empty_tuple == NULL)
        return -1;
    hl__make_singleton(rt, rt->empty_tuple);
    return 0;
}

hl_obj *hl_tuple_new(hl_rt *rt, size_t n)
{
    if (n == 0)
        return rt->empty_tuple;
    if (n > ((size_t)1 << 40))
        return NULL;
    hl_obj *t = tuple_alloc(rt, n);
    if (t != NULL) {
        hl__gc_track(rt, t);
        hl__gc_eval_breaker(rt);
    }
    return t;
}

hl_obj *hl_tuple_pack(hl_rt *rt, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    hl_obj *t = hl_tuple_new(rt, n);
    for (size_t i = 0; i < n; i++) {
        hl_obj *item = va_arg(ap, hl_obj *);
        if (t != NULL)
            hl_tuple_set(rt, t, i, item);
        else
            hl_obj_decref(rt, item);
    }
    va_end(ap);
    return t;
}

size_t hl_tuple_len(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_TUPLE, o, "hl_tuple_len on a non-tuple");
    return (size_t)((const hl_tuple *)o)->size;
}

hl_obj *hl_tuple_get(const hl_obj *o, size_t i)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_TUPLE, o, "hl_tuple_get on a non-tuple");
    const hl_tuple *t = (const hl_tuple *)o;
    return i < (size_t)t->size ? t->items[i] : NULL;
}

void hl_tuple_set(hl_rt *rt, hl_obj *o, size_t i, hl_obj *item)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_TUPLE, o, "hl_tuple_set on a non-tuple");
    hl_tuple *t = (hl_tuple *)o;
    if (i >= (size_t)t->size) {
        hl_obj_decref(rt, item);
        return;
    }
    HL_OBJ_ASSERT(item == NULL || item->refcnt > 0, item, "hl_tuple_set: dead item");
    hl_obj *old = t->items[i];
    t->items[i] = item;
    if (item != NULL && item->type->is_gc && HL_AS_GC(o)->next == 0 && o != rt->empty_tuple)
        hl__gc_track(rt, o); /* the collector had untracked it */
    hl_obj_decref(rt, old);
}
