/* freelist.c - CPython's free lists: dead objects' blocks kept for reuse.
 *
 * How it works
 * ------------
 * CPython keeps the blocks of some dead objects instead of freeing them and
 * hands them out again before asking its allocator (3.11 sources cited; the
 * same sizes in 3.12 and 3.13, where they moved to pycore_freelist.h):
 *
 *     floats          100   Objects/floatobject.c PyFloat_FromDouble,
 *                           _PyFloat_ExactDealloc (PyFloat_MAXFREELIST)
 *     tuples of n     2000  per size n = 1..20: Objects/tupleobject.c
 *                           maybe_freelist_push (PyTuple_MAXSAVESIZE 20,
 *                           PyTuple_MAXFREELIST 2000); maybe_freelist_pop
 *                           serves n < 20 in 3.11 and 3.12.1, n <= 20 in 3.13
 *                           (hl_profile.tuple_pop_max), so in 3.11 20-tuples
 *                           pile up unused until a full collection
 *     lists           80    Objects/listobject.c PyList_New, list_dealloc
 *                           (the item array is always freed)
 *     dicts           80    Objects/dictobject.c new_dict, dict_dealloc
 *     dict key tables 80    8-slot str-keyed tables only: new_keys_object,
 *                           free_keys_object and dictresize
 *
 * A pop does not go through _PyObject_GC_Link and a push replaces
 * PyObject_GC_Del, so neither moves the gen-0 count (and a pop never runs
 * a collection).  Every full collection empties all of them
 * (Modules/gcmodule.c gc_collect_main: clear_freelists when generation ==
 * NUM_GENERATIONS-1; 3.13 Python/gc.c _PyGC_ClearAllFreeLists), freeing
 * the blocks as their types' tp_free would: containers through
 * PyObject_GC_Del (which lowers a positive gen-0 count), the rest through
 * PyObject_Free.
 *
 * A block on a free list is not an object: it is uncounted from the live
 * objects and the dealloc hook has run for it, but its memory stays
 * allocated.  Object blocks are linked LIFO through their type word (refcnt
 * 0), as CPython links floats through ob_type; lists, dicts and key tables
 * sit in fixed arrays, as CPython's do.  The what-if option freelists=off
 * makes every push fail and every pop miss.
 */
#include "internal.h"

#include <string.h>

/* The block's first two words while it waits: refcnt 0, then the link. */
typedef struct fl_block {
    uint64_t refcnt;
    struct fl_block *next;
} fl_block;

static inline bool enabled(const hl_rt *rt) { return rt->cfg.freelists; }

/* Block size and GC-ness of a free-listed object of this list. */
static size_t block_size(hl_fl_kind kind, size_t index)
{
    switch (kind) {
    case HL_FL_FLOAT: return 24;
    case HL_FL_TUPLE: return sizeof(hl_gc_head) + 24 + 8 * (index + 1);
    case HL_FL_LIST: return sizeof(hl_gc_head) + 40;
    default: return sizeof(hl_gc_head) + 48;
    }
}

hl_obj *hl__freelist_pop(hl_rt *rt, hl_fl_kind kind, size_t index, const hl_type *type)
{
    hl_freelists *fl = &rt->fl;
    hl_obj *o = NULL;
    if (!enabled(rt))
        return NULL;
    switch (kind) {
    case HL_FL_FLOAT:
        if (fl->floats != NULL) {
            fl_block *b = fl->floats;
            fl->floats = b->next;
            fl->nfloats--;
            o = (hl_obj *)b;
        }
        break;
    case HL_FL_TUPLE:
        if (index < HL_FL_TUPLE_SIZES && index + 1 <= rt->prof->tuple_pop_max &&
            fl->tuples[index] != NULL) {
            fl_block *b = fl->tuples[index];
            fl->tuples[index] = b->next;
            fl->ntuples[index]--;
            o = (hl_obj *)b;
        }
        break;
    case HL_FL_LIST:
        if (fl->nlists > 0)
            o = fl->lists[--fl->nlists];
        break;
    case HL_FL_DICT:
        if (fl->ndicts > 0)
            o = fl->dicts[--fl->ndicts];
        break;
    }
    if (o == NULL)
        return NULL;
    o->refcnt = 1;
    o->type = type;
    rt->live[type->kind]++;
    if (type->is_gc) {
        hl_gc_head *g = HL_AS_GC(o);
        g->next = 0;
        g->prev = 0;
        rt->gc_untracked++;
    }
    return o;
}

bool hl__freelist_push(hl_rt *rt, hl_obj *o, hl_fl_kind kind, size_t index)
{
    hl_freelists *fl = &rt->fl;
    if (!enabled(rt))
        return false;
    bool room;
    switch (kind) {
    case HL_FL_FLOAT: room = fl->nfloats < HL_FL_FLOATS; break;
    case HL_FL_TUPLE: room = index < HL_FL_TUPLE_SIZES && fl->ntuples[index] < HL_FL_TUPLES; break;
    case HL_FL_LIST: room = fl->nlists < HL_FL_LISTS; break;
    default: room = fl->ndicts < HL_FL_DICTS; break;
    }
    if (!room)
        return false;
    const hl_type *type = o->type;
    if (rt->dealloc_hook)
        rt->dealloc_hook(rt->dealloc_hook_ctx, o);
    rt->live[type->kind]--;
    if (type->is_gc)
        rt->gc_untracked--;
    fl_block *b = (fl_block *)o;
    b->refcnt = 0;
    switch (kind) {
    case HL_FL_FLOAT:
        b->next = fl->floats;
        fl->floats = b;
        fl->nfloats++;
        break;
    case HL_FL_TUPLE:
        b->next = fl->tuples[index];
        fl->tuples[index] = b;
        fl->ntuples[index]++;
        break;
    case HL_FL_LIST:
        b->next = NULL;
        fl->lists[fl->nlists++] = o;
        break;
    default:
        b->next = NULL;
        fl->dicts[fl->ndicts++] = o;
        break;
    }
    return true;
}

void *hl__keys_pop(hl_rt *rt)
{
    if (!enabled(rt) || rt->fl.nkeys == 0)
        return NULL;
    return rt->fl.keys[--rt->fl.nkeys];
}

bool hl__keys_push(hl_rt *rt, void *block)
{
    if (!enabled(rt) || rt->fl.nkeys >= HL_FL_KEYS)
        return false;
    rt->fl.keys[rt->fl.nkeys++] = block;
    return true;
}

/* PyObject_GC_Del's count decrement for the containers' blocks. */
static void free_block(hl_rt *rt, void *obj, hl_fl_kind kind, size_t index)
{
    bool gc = kind != HL_FL_FLOAT;
    if (gc && rt->gens[0].count > 0)
        rt->gens[0].count--;
    void *block = gc ? (void *)HL_AS_GC((hl_obj *)obj) : obj;
    hl__mem_free(rt, rt->obj_mem, block, block_size(kind, index));
}

void hl__freelists_clear(hl_rt *rt)
{
    hl_freelists *fl = &rt->fl;
    while (fl->floats != NULL) {
        fl_block *b = fl->floats;
        fl->floats = b->next;
        free_block(rt, b, HL_FL_FLOAT, 0);
    }
    fl->nfloats = 0;
    for (size_t i = 0; i < HL_FL_TUPLE_SIZES; i++) {
        while (fl->tuples[i] != NULL) {
            fl_block *b = fl->tuples[i];
            fl->tuples[i] = b->next;
            free_block(rt, b, HL_FL_TUPLE, i);
        }
        fl->ntuples[i] = 0;
    }
    while (fl->nlists > 0)
        free_block(rt, fl->lists[--fl->nlists], HL_FL_LIST, 0);
    while (fl->ndicts > 0)
        free_block(rt, fl->dicts[--fl->ndicts], HL_FL_DICT, 0);
    while (fl->nkeys > 0)
        hl__mem_free(rt, hl__keys_mem(rt), fl->keys[--fl->nkeys], HL_DICT_MIN_STR_KEYS_BYTES);
}
