/* list.c - growable arrays of references.
 *
 * How it works
 * ------------
 * CPython's PyListObject: header, size, pointer to a separately allocated
 * item array, allocated count, behind a GC header (56 bytes).  The item
 * array comes from item_mem (PyMem_*).  list_resize over-allocates as
 * listobject.c does since 3.9 (bpo-38373): when the new size does not fit or
 * is below half the allocation,
 *     new_allocated = (newsize + (newsize >> 3) + 6) & ~3
 * (growth pattern 0, 4, 8, 16, 24, 32, 40, 52, 64, 76, ...), except that a
 * jump larger than the over-allocation gets (newsize + 3) & ~3.  A list
 * shrunk to nothing keeps a minimal array: list_resize asks
 * PyMem_Realloc(items, 0), which the raw domain turns into realloc(p, 1)
 * (Objects/obmalloc.c _PyMem_RawRealloc), so heaplab reallocates to 1 byte.
 *
 * List objects come from and go to the list free list (freelist.c;
 * Objects/listobject.c PyList_New, list_dealloc); the item array is always
 * freed.  A dying list releases its items from the end ("Do it backwards,
 * for Christian Tismer", list_dealloc and _list_clear).
 */
#include "internal.h"

#include <stdarg.h>
#include <string.h>

/* Invariants: 0 <= size <= allocated; items == NULL implies allocated == 0
 * (allocated == 0 with items != NULL: the 1-byte array of a list shrunk to
 * nothing); items[0..size) are owned references (never NULL). */
typedef struct hl_list {
    hl_obj ob;
    int64_t size;
    hl_obj **items;
    int64_t allocated;
} hl_list;

#define LIST_CHECK(l)                                                                  \
    HL_OBJ_ASSERT((l)->size >= 0 && (l)->size <= (l)->allocated &&                     \
                      ((l)->items != NULL || (l)->allocated == 0),                     \
                  &(l)->ob, "list invariant")

/* Bytes of the item array as last requested. */
static inline size_t items_bytes(const hl_list *l)
{
    return l->items == NULL ? 0 : l->allocated ? (size_t)l->allocated * sizeof(hl_obj *) : 1;
}

static size_t list_size(const hl_obj *o) { return sizeof(hl_gc_head) + sizeof(hl_list); }

static int list_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_list *l = (hl_list *)o;
    for (int64_t i = 0; i < l->size; i++) {
        int r = visit(l->items[i], arg);
        if (r)
            return r;
    }
    return 0;
}

/* list_traverse: from the last item to the first */
static int list_gc_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_list *l = (hl_list *)o;
    for (int64_t i = l->size - 1; i >= 0; i--) {
        int r = visit(l->items[i], arg);
        if (r)
            return r;
    }
    return 0;
}

bool hl__list_refspan(hl_obj *o, hl_refspan *span)
{
    hl_list *l = (hl_list *)o;
    span->first = l->items;
    span->n = (size_t)l->size;
    span->stride = 1;
    return true;
}

/* Drops every item and the array (tp_clear, _list_clear): the list is
 * emptied first, then the items released, last first. */
static void list_clear(hl_rt *rt, hl_obj *o)
{
    hl_list *l = (hl_list *)o;
    hl_obj **items = l->items;
    int64_t n = l->size;
    size_t bytes = items_bytes(l);
    l->items = NULL;
    l->size = 0;
    l->allocated = 0;
    if (hl__items_backwards(rt)) {
        for (int64_t i = n - 1; i >= 0; i--)
            hl_obj_decref(rt, items[i]);
    } else {
        for (int64_t i = 0; i < n; i++)
            hl_obj_decref(rt, items[i]);
    }
    hl__mem_free(rt, rt->item_mem, items, bytes);
}

static void list_dealloc(hl_rt *rt, hl_obj *o)
{
    list_clear(rt, o);
    if (!hl__freelist_push(rt, o, HL_FL_LIST, 0))
        hl__obj_free(rt, o);
}

const hl_type hl__list_type = {"list", HL_KIND_LIST, true, list_dealloc, list_traverse,
                               list_clear, list_size, list_gc_traverse};

static int list_resize(hl_rt *rt, hl_list *l, int64_t newsize)
{
    if (l->allocated >= newsize && newsize >= (l->allocated >> 1)) {
        l->size = newsize;
        return 0;
    }
    int64_t new_allocated = (newsize + (newsize >> 3) + 6) & ~(int64_t)3;
    if (newsize - l->size > new_allocated - newsize)
        new_allocated = (newsize + 3) & ~(int64_t)3;
    if (newsize == 0)
        new_allocated = 0;
    /* PyMem_Realloc(items, 0) is realloc(items, 1) in the raw domain */
    size_t new_bytes = new_allocated ? (size_t)new_allocated * sizeof(hl_obj *) : 1;
    hl_obj **items = hl__mem_realloc(rt, rt->item_mem, l->items, items_bytes(l), new_bytes);
    if (items == NULL)
        return -1;
    l->items = items;
    l->allocated = new_allocated;
    l->size = newsize;
    return 0;
}

hl_obj *hl_list_new(hl_rt *rt)
{
    hl_list *l = (hl_list *)hl__freelist_pop(rt, HL_FL_LIST, 0, &hl__list_type);
    if (l == NULL)
        l = (hl_list *)hl__obj_alloc(rt, &hl__list_type, list_size(NULL));
    if (l == NULL)
        return NULL;
    l->size = 0;
    l->items = NULL;
    l->allocated = 0;
    hl__gc_track(rt, &l->ob);
    hl__gc_eval_breaker(rt);
    return &l->ob;
}

/* ---- list iterators (Objects/listobject.c list_iter, listiter_next) ----------
 * Invariant: seq is NULL (exhausted) or an owned reference to a list. */
typedef struct hl_listiter {
    hl_obj ob;
    int64_t index;
    hl_obj *seq;
} hl_listiter;

static size_t listiter_size(const hl_obj *o) { return sizeof(hl_gc_head) + sizeof(hl_listiter); }

static int listiter_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_listiter *it = (hl_listiter *)o;
    return it->seq != NULL ? visit(it->seq, arg) : 0;
}

static void listiter_clear(hl_rt *rt, hl_obj *o)
{
    hl_listiter *it = (hl_listiter *)o;
    hl_obj *seq = it->seq;
    it->seq = NULL;
    hl_obj_decref(rt, seq);
}

static void listiter_dealloc(hl_rt *rt, hl_obj *o)
{
    listiter_clear(rt, o);
    hl__obj_free(rt, o);
}

const hl_type hl__listiter_type = {"list_iterator", HL_KIND_LISTITER, true, listiter_dealloc,
                                   listiter_traverse, listiter_clear, listiter_size, listiter_traverse};

hl_obj *hl_list_iter(hl_rt *rt, hl_obj *l)
{
    HL_OBJ_ASSERT(l->type->kind == HL_KIND_LIST, l, "hl_list_iter on a non-list");
    hl_listiter *it = (hl_listiter *)hl__obj_alloc(rt, &hl__listiter_type, listiter_size(NULL));
    if (it == NULL)
        return NULL;
    it->index = 0;
    it->seq = hl_obj_newref(rt, l);
    hl__gc_track(rt, &it->ob);
    hl__gc_eval_breaker(rt);
    return &it->ob;
}

hl_obj *hl_iter_next(hl_rt *rt, hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_LISTITER, o, "hl_iter_next on a non-iterator");
    hl_listiter *it = (hl_listiter *)o;
    if (it->seq == NULL)
        return NULL;
    hl_list *l = (hl_list *)it->seq;
    if (it->index < l->size)
        return l->items[it->index++];
    listiter_clear(rt, o);
    return NULL;
}

/* A list display [a, b, ...]: PyList_New(n) (BUILD_LIST, 3.12+
 * _PyList_FromArraySteal) gives an exact array from PyMem_Calloc(n, 8),
 * then the items are stored. */
hl_obj *hl_list_pack(hl_rt *rt, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    hl_obj *o = hl_list_new(rt);
    hl_list *l = (hl_list *)o;
    if (l != NULL && n > 0) {
        l->items = hl__mem_calloc(rt, rt->item_mem, n, sizeof(hl_obj *));
        if (l->items == NULL) {
            hl_obj_decref(rt, o);
            o = NULL;
            l = NULL;
        } else {
            l->allocated = (int64_t)n;
        }
    }
    for (size_t i = 0; i < n; i++) {
        hl_obj *item = va_arg(ap, hl_obj *);
        if (l == NULL || item == NULL) {
            hl_obj_decref(rt, item);
            continue;
        }
        l->items[l->size++] = item;
    }
    va_end(ap);
    if (l != NULL && l->size != (int64_t)n) { /* an item was NULL (out of memory) */
        hl_obj_decref(rt, o);
        return NULL;
    }
    return o;
}

size_t hl_list_len(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_LIST, o, "hl_list_len on a non-list");
    return (size_t)((const hl_list *)o)->size;
}

size_t hl_list_allocated(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_LIST, o, "hl_list_allocated on a non-list");
    return (size_t)((const hl_list *)o)->allocated;
}

int hl_list_append(hl_rt *rt, hl_obj *o, hl_obj *item)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_LIST, o, "hl_list_append on a non-list");
    hl_list *l = (hl_list *)o;
    if (item == NULL)
        return -1;
    HL_OBJ_CHECK(item);
    int64_t n = l->size;
    if (n < l->allocated) {
        l->items[n] = item;
        l->size = n + 1;
        return 0;
    }
    if (list_resize(rt, l, n + 1) != 0) {
        hl_obj_decref(rt, item);
        return -1;
    }
    l->items[n] = item;
    LIST_CHECK(l);
    return 0;
}

hl_obj *hl_list_get(const hl_obj *o, size_t i)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_LIST, o, "hl_list_get on a non-list");
    const hl_list *l = (const hl_list *)o;
    return i < (size_t)l->size ? l->items[i] : NULL;
}

int hl_list_set(hl_rt *rt, hl_obj *o, size_t i, hl_obj *item)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_LIST, o, "hl_list_set on a non-list");
    hl_list *l = (hl_list *)o;
    if (i >= (size_t)l->size || item == NULL) {
        hl_obj_decref(rt, item);
        return -1;
    }
    HL_OBJ_CHECK(item);
    hl_obj *old = l->items[i];
    l->items[i] = item;
    hl_obj_decref(rt, old);
    return 0;
}

hl_obj *hl_list_pop(hl_rt *rt, hl_obj *o, size_t i)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_LIST, o, "hl_list_pop on a non-list");
    hl_list *l = (hl_list *)o;
    if (i >= (size_t)l->size)
        return NULL;
    hl_obj *item = l->items[i];
    memmove(&l->items[i], &l->items[i + 1], ((size_t)l->size - i - 1) * sizeof(hl_obj *));
    /* Shrinking never fails: on a failed realloc the old array stays. */
    if (list_resize(rt, l, l->size - 1) != 0)
        l->size--;
    LIST_CHECK(l);
    return item;
}
