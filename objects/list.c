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
 * jump larger than the over-allocation gets (newsize + 3) & ~3, and an empty
 * list frees its array.
 */
#include "internal.h"

#include <string.h>

/* Invariants: 0 <= size <= allocated; items == NULL iff allocated == 0;
 * items[0..size) are owned references (never NULL). */
typedef struct hl_list {
    hl_obj ob;
    int64_t size;
    hl_obj **items;
    int64_t allocated;
} hl_list;

#define LIST_CHECK(l)                                                                  \
    HL_OBJ_ASSERT((l)->size >= 0 && (l)->size <= (l)->allocated &&                     \
                      ((l)->items == NULL) == ((l)->allocated == 0),                   \
                  &(l)->ob, "list invariant")

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

bool hl__list_refspan(hl_obj *o, hl_refspan *span)
{
    hl_list *l = (hl_list *)o;
    span->first = l->items;
    span->n = (size_t)l->size;
    span->stride = 1;
    return true;
}

/* Drops every item and the array (tp_clear). */
static void list_clear(hl_rt *rt, hl_obj *o)
{
    hl_list *l = (hl_list *)o;
    hl_obj **items = l->items;
    int64_t n = l->size, allocated = l->allocated;
    l->items = NULL;
    l->size = 0;
    l->allocated = 0;
    for (int64_t i = 0; i < n; i++)
        hl_obj_decref(rt, items[i]);
    hl__mem_free(rt, rt->item_mem, items, (size_t)allocated * sizeof(hl_obj *));
}

static void list_dealloc(hl_rt *rt, hl_obj *o)
{
    list_clear(rt, o);
    hl__obj_free(rt, o);
}

const hl_type hl__list_type = {"list", HL_KIND_LIST, true, list_dealloc, list_traverse,
                               list_clear, list_size};

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
    size_t old_bytes = (size_t)l->allocated * sizeof(hl_obj *);
    if (new_allocated == 0) {
        hl__mem_free(rt, rt->item_mem, l->items, old_bytes);
        l->items = NULL;
    } else {
        hl_obj **items = hl__mem_realloc(rt, rt->item_mem, l->items, old_bytes,
                                    (size_t)new_allocated * sizeof(hl_obj *));
        if (items == NULL)
            return -1;
        l->items = items;
    }
    l->allocated = new_allocated;
    l->size = newsize;
    return 0;
}

hl_obj *hl_list_new(hl_rt *rt)
{
    hl_list *l = (hl_list *)hl__obj_alloc(rt, &hl__list_type, list_size(NULL));
    if (l == NULL)
        return NULL;
    l->size = 0;
    l->items = NULL;
    l->allocated = 0;
    hl__gc_track(rt, &l->ob);
    return &l->ob;
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
