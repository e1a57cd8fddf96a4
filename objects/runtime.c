/* runtime.c - the runtime: creation and teardown, allocation, deallocation
 * in CPython's order, roots, the eval breaker.
 *
 * How it works
 * ------------
 * Reference counting itself is refcount.c (plain, atomic, biased).  In the
 * 3.11 profile nothing is immortal: None, the small ints and the other
 * singletons start with a count no program can bring to zero, and every
 * incref and decref writes them, as in 3.11; from 3.12 they are immortal
 * (PEP 683).
 *
 * Deallocation (a count reached zero) follows CPython: a container is
 * untracked, then its type's dealloc releases what it holds -- which frees
 * the children first, recursively -- and then its own block (tupledealloc
 * and list_dealloc release their items from the end, dict_dealloc and
 * subtype_dealloc their entries in order).  Recursion is bounded by
 * CPython's trashcan (Include/cpython/object.h Py_TRASHCAN_BEGIN,
 * Objects/object.c _PyTrash_begin / _PyTrash_end /
 * _PyTrash_thread_destroy_chain): a container dealloc nested deeper than the
 * profile's trash_depth (50 in 3.11 and 3.12) is not run but deposited on a
 * chain threaded through its GC header; when the nesting falls back below
 * trash_resume the chain is destroyed, last deposited first.  So the C stack
 * stays bounded whatever the shape of the garbage, and the order of frees --
 * which decides which addresses the next allocations get -- is CPython's.
 * Atomic objects (int, float, str) own no references and are freed on the
 * spot.  The what-if option dealloc=deferred keeps heaplab's older order: a
 * dying container goes on a LIFO stack, the outermost decref drains it, and
 * a container is freed before the containers it held.
 *
 * A finalizer (instances of a class with one) runs first, at most once per
 * object (PEP 442): the object is given a count of 1 while it runs and, if
 * the count is still above zero afterwards, it was resurrected and is
 * tracked again instead of being freed (CPython's subtype_dealloc and
 * PyObject_CallFinalizerFromDealloc).
 *
 * Teardown (hl_rt_free) releases the roots, then pins every tracked object,
 * clears them all (dropping every reference between them, which frees the
 * atomic objects they held), and frees the cleared containers directly, so
 * cycles and immortal containers go too; then the free lists, the interned
 * strs and the classes.  Finalizers do not run at teardown.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

_Noreturn void hl__obj_fatal(const char *file, int line, const hl_obj *o, const char *what)
{
    fprintf(stderr, "%s:%d: heaplab object layer: %s (object %p", file, line, what,
            (const void *)o);
    if (o != NULL)
        fprintf(stderr, ", refcnt %" PRIu64, o->refcnt);
    fprintf(stderr, ")\n");
    abort();
}

int hl__objvec_push(hl_objvec *vec, hl_obj *o)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 16;
        hl_obj **v = realloc(vec->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = o;
    return 0;
}

/* ---- creation and teardown -------------------------------------------------- */

hl_rt *hl_rt_new(hl_allocator *obj_mem, hl_allocator *item_mem, const hl_rt_config *cfg,
                 char *err, size_t errlen)
{
    hl_rt_config defaults;
    if (cfg == NULL) {
        hl_rt_config_default(&defaults);
        cfg = &defaults;
    }
    if (obj_mem == NULL || item_mem == NULL) {
        snprintf(err, errlen, "hl_rt_new: both obj_mem and item_mem must be open allocators");
        return NULL;
    }
    if (cfg->refcount != HL_RC_PLAIN && cfg->refcount != HL_RC_ATOMIC &&
        cfg->refcount != HL_RC_BIASED) {
        snprintf(err, errlen, "hl_rt_new: refcount mode %d is not plain, atomic or biased",
                 (int)cfg->refcount);
        return NULL;
    }
    const hl_profile *prof = hl__profile_get(cfg->profile);
    if (prof == NULL) {
        snprintf(err, errlen, "hl_rt_new: unknown CPython profile %d (use HL_PY_311, HL_PY_312 "
                 "or HL_PY_313)", (int)cfg->profile);
        return NULL;
    }
    if ((unsigned)cfg->instances > HL_INST_DICT || (unsigned)cfg->gc_passes > HL_GC_PASSES_FUSED ||
        (unsigned)cfg->dealloc > HL_DEALLOC_DEFERRED) {
        snprintf(err, errlen, "hl_rt_new: an option of the configuration is out of range");
        return NULL;
    }
    for (int i = 0; i < HL_GC_GENERATIONS; i++) {
        if (cfg->threshold[i] > 1000000000u && cfg->threshold[i] != HL_GC_THRESHOLD_PROFILE) {
            snprintf(err, errlen,
                     "hl_rt_new: GC threshold %d = %u is too large (use at most 1000000000)", i,
                     cfg->threshold[i]);
            return NULL;
        }
    }
    hl_rt *rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        snprintf(err, errlen, "hl_rt_new: out of memory");
        return NULL;
    }
    rt->obj_mem = obj_mem;
    rt->item_mem = item_mem;
    rt->rc = cfg->refcount;
    pthread_mutex_init(&rt->brc_lock, NULL);
    rt->prof = prof;
    rt->cfg = *cfg;
    for (int i = 0; i < HL_GC_GENERATIONS; i++)
        if (rt->cfg.threshold[i] == HL_GC_THRESHOLD_PROFILE)
            rt->cfg.threshold[i] = prof->threshold[i];
    hl__gc_init(rt, &rt->cfg);
    /* No collection may run while the caches are built. */
    rt->collecting = true;
    rt->none = hl__obj_alloc(rt, &hl__none_type, sizeof(hl_obj));
    int ok = rt->none != NULL && hl__int_init_cache(rt) == 0 && hl__str_init_cache(rt) == 0 &&
             hl__tuple_init_empty(rt) == 0;
    rt->collecting = false;
    rt->gens[0].count = 0; /* CPython's singletons are static, not allocations */
    if (!ok) {
        snprintf(err, errlen, "hl_rt_new: out of memory while creating the singletons");
        hl_rt_free(rt);
        return NULL;
    }
    hl__make_singleton(rt, rt->none);
    return rt;
}

void hl__make_singleton(hl_rt *rt, hl_obj *o)
{
    /* 3.12+: immortal (PEP 683).  3.11: static objects with counts in the
     * billions (measured: sys.getrefcount(100) == 1000000015 on 3.11.2),
     * written by every incref and decref. */
    o->refcnt = rt->prof->immortal ? HL_IMMORTAL_REFCNT : HL_SINGLETON_REFCNT;
}

void hl__obj_teardown_free(hl_rt *rt, hl_obj *o)
{
    if (o->type->kind == HL_KIND_INST)
        hl__inst_free_storage(rt, o);
    hl__obj_free_forced(rt, o);
}

static void free_if(hl_rt *rt, hl_obj *o)
{
    if (o != NULL)
        hl__obj_free_forced(rt, o);
}

void hl_rt_free(hl_rt *rt)
{
    if (rt == NULL)
        return;
    /* the thread tearing down acts as the objects' owner (biased counts) */
    hl_rt *owner_before = hl__brc_owner;
    hl__brc_owner = rt;
    hl__brc_merge_queued(rt);
    rt->collecting = true; /* no automatic collection during teardown */

    for (size_t i = 0; i < rt->roots.n; i++)
        hl_obj_decref(rt, rt->roots.v[i]);
    rt->roots.n = 0;

    /* Every tracked object on one list. */
    hl_gc_head all;
    all.next = all.prev = (uintptr_t)&all;
    hl_gc_head *lists[HL_GC_GENERATIONS + 1] = {&rt->gens[0].head, &rt->gens[1].head,
                                                &rt->gens[2].head, &rt->permanent};
    for (int i = 0; i < HL_GC_GENERATIONS + 1; i++) {
        hl_gc_head *h = lists[i];
        if (h->next == (uintptr_t)h)
            continue;
        hl_gc_head *first = HL_GC_NEXT(h), *last = HL_GC_PREV(h);
        hl_gc_head *tail = HL_GC_PREV(&all);
        tail->next = (uintptr_t)first;
        hl__gc_set_prev(first, tail);
        last->next = (uintptr_t)&all;
        all.prev = (uintptr_t)last;
        h->next = h->prev = (uintptr_t)h;
    }
    /* Pin, then clear: references between tracked objects disappear, the
     * atomic objects they held are freed, no container can reach zero. */
    for (hl_gc_head *g = HL_GC_NEXT(&all); g != &all; g = HL_GC_NEXT(g)) {
        hl_obj *o = HL_FROM_GC(g);
        if (!hl_obj_is_immortal(o))
            o->refcnt++;
    }
    for (hl_gc_head *g = HL_GC_NEXT(&all); g != &all; g = HL_GC_NEXT(g)) {
        hl_obj *o = HL_FROM_GC(g);
        if (o->type->clear)
            o->type->clear(rt, o);
    }
    /* Immortal containers that are not tracked (a lazily tracked dict of
     * atomic values, an untracked tuple) hold only atomic or untracked
     * objects: clear them too. */
    for (size_t i = 0; i < rt->immortals.n; i++) {
        hl_obj *o = rt->immortals.v[i];
        if (o->type->is_gc && HL_AS_GC(o)->next == 0)
            o->type->clear(rt, o);
    }
    /* Immortal objects that are not tracked: nothing refers to them any
     * more.  (Tracked ones go with the rest below.) */
    for (size_t i = 0; i < rt->immortals.n; i++) {
        hl_obj *o = rt->immortals.v[i];
        if (!o->type->is_gc || HL_AS_GC(o)->next == 0)
            hl__obj_teardown_free(rt, o);
    }
    while (all.next != (uintptr_t)&all) {
        hl_gc_head *g = HL_GC_NEXT(&all);
        hl_gc_head *next = HL_GC_NEXT(g);
        all.next = (uintptr_t)next;
        hl__gc_set_prev(next, &all);
        g->next = 0;
        rt->tracked--;
        hl__obj_teardown_free(rt, HL_FROM_GC(g));
    }
    /* the classes' shared keys and the intern table hold strs, which may be
     * the one-character singletons */
    for (hl_class *c = rt->classes, *next; c != NULL; c = next) {
        next = c->next;
        hl__class_free(rt, c);
    }
    hl__intern_fini(rt);
    for (int i = 0; i < HL_N_SMALL_INTS; i++)
        free_if(rt, rt->small_ints[i]);
    for (int i = 0; i < 128; i++)
        free_if(rt, rt->char_strs[i]);
    free_if(rt, rt->empty_str);
    free_if(rt, rt->empty_tuple);
    free_if(rt, rt->none);
    hl__freelists_clear(rt);

    hl__brc_owner = owner_before == rt ? NULL : owner_before;
    hl__gc_fini(rt);
    pthread_mutex_destroy(&rt->brc_lock);
    free(rt->brc_queue.v);
    free(rt->roots.v);
    free(rt->immortals.v);
    free(rt);
}

void hl_rt_enter(hl_rt *rt)
{
    HL_OBJ_ASSERT(!rt->entered, NULL, "hl_rt_enter: runtime already entered");
    hl_gil_acquire();
    rt->entered = true;
    hl__brc_owner = rt;
}

void hl_rt_leave(hl_rt *rt)
{
    HL_OBJ_ASSERT(rt->entered, NULL, "hl_rt_leave without hl_rt_enter");
    if (rt->rc == HL_RC_BIASED)
        hl__brc_merge_queued(rt);
    if (hl__brc_owner == rt)
        hl__brc_owner = NULL;
    rt->entered = false;
    hl_gil_release();
}

hl_allocator *hl_rt_obj_mem(hl_rt *rt) { return rt->obj_mem; }
hl_allocator *hl_rt_item_mem(hl_rt *rt) { return rt->item_mem; }
hl_rc_mode hl_rt_refcount_mode(const hl_rt *rt) { return rt->rc; }
hl_py_profile hl_rt_profile(const hl_rt *rt) { return rt->prof->id; }

void hl_rt_get_config(const hl_rt *rt, hl_rt_config *out)
{
    *out = rt->cfg;
    hl_gc_get_threshold(rt, out->threshold);
    out->gc_enabled = rt->gc_enabled;
}

void hl__eval_breaker_slow(hl_rt *rt)
{
    int req = __atomic_load_n(&rt->eval_breaker, __ATOMIC_ACQUIRE);
    if (req & HL_EVAL_MERGE_REFCOUNTS)
        hl__brc_merge_queued(rt);
    if (req & HL_EVAL_GC)
        hl__gc_run_pending(rt);
}

void hl_rt_check_eval_breaker(hl_rt *rt) { hl__gc_eval_breaker(rt); }

void hl_rt_set_dealloc_hook(hl_rt *rt, hl_dealloc_hook fn, void *ctx)
{
    rt->dealloc_hook = fn;
    rt->dealloc_hook_ctx = ctx;
}

uint64_t hl_rt_live_objects(const hl_rt *rt)
{
    uint64_t n = 0;
    for (int k = 0; k < HL_KIND_COUNT; k++)
        n += rt->live[k];
    return n;
}

/* ---- roots ---------------------------------------------------------------- */

int hl_rt_add_root(hl_rt *rt, hl_obj *obj)
{
    if (hl__objvec_push(&rt->roots, obj) != 0)
        return -1;
    hl_obj_incref(rt, obj);
    return 0;
}

int hl_rt_remove_root(hl_rt *rt, hl_obj *obj)
{
    for (size_t i = 0; i < rt->roots.n; i++) {
        if (rt->roots.v[i] == obj) {
            memmove(&rt->roots.v[i], &rt->roots.v[i + 1],
                    (rt->roots.n - i - 1) * sizeof rt->roots.v[0]);
            rt->roots.n--;
            hl_obj_decref(rt, obj);
            return 0;
        }
    }
    return -1;
}

bool hl_rt_is_root(const hl_rt *rt, const hl_obj *obj)
{
    for (size_t i = 0; i < rt->roots.n; i++)
        if (rt->roots.v[i] == obj)
            return true;
    return false;
}

/* ---- allocation ------------------------------------------------------------- */

hl_obj *hl__obj_alloc(hl_rt *rt, const hl_type *type, size_t size)
{
    /* Count the container (and maybe collect) before the block exists, so a
     * collection never sees a live container that is not tracked yet. */
    if (type->is_gc)
        hl__gc_on_alloc(rt);
    void *block = hl__mem_malloc(rt, rt->obj_mem, size);
    if (block == NULL) {
        if (type->is_gc && rt->gens[0].count > 0)
            rt->gens[0].count--;
        return NULL;
    }
    hl_obj *o;
    if (type->is_gc) {
        hl_gc_head *g = block;
        g->next = 0;
        g->prev = 0;
        o = HL_FROM_GC(g);
        rt->gc_untracked++;
    } else {
        o = block;
    }
    o->refcnt = 1;
    o->type = type;
    if (type->kind == HL_KIND_INST)
        ((hl_class *)type)->live++;
    rt->live[type->kind]++;
    return o;
}

void hl__obj_free_forced(hl_rt *rt, hl_obj *o)
{
    const hl_type *type = o->type;
    size_t size = type->size(o);
    if (rt->dealloc_hook)
        rt->dealloc_hook(rt->dealloc_hook_ctx, o);
    if (type->kind == HL_KIND_INST)
        ((hl_class *)type)->live--;
    rt->live[type->kind]--;
    void *block = type->is_gc ? (void *)HL_AS_GC(o) : (void *)o;
#ifdef HL_DEBUG
    o->refcnt = 0; /* a later use trips HL_OBJ_CHECK if the block is not reused */
#endif
    hl__mem_free(rt, rt->obj_mem, block, size);
}

void hl__obj_free(hl_rt *rt, hl_obj *o)
{
    if (o->type->is_gc) {
        if (rt->gens[0].count > 0)
            rt->gens[0].count--; /* PyObject_GC_Del */
        rt->gc_untracked--;
    }
    hl__obj_free_forced(rt, o);
}

/* A container's dealloc proper: its finalizer once (it may resurrect the
 * object: subtype_dealloc's PyObject_CallFinalizerFromDealloc), then its
 * type's dealloc.  Called with the object untracked. */
static void dealloc_container(hl_rt *rt, hl_obj *o)
{
    hl_gc_head *g = HL_AS_GC(o);
    if (o->type->kind == HL_KIND_INST) {
        const hl_class *cls = (const hl_class *)o->type;
        if (cls->finalize != NULL && !(g->prev & HL_GC_FINALIZED)) {
            g->prev |= HL_GC_FINALIZED;
            o->refcnt = 1; /* temporarily alive while the finalizer runs */
            cls->finalize(rt, o, cls->finalize_ctx);
            if (--o->refcnt != 0) {
                hl__gc_track(rt, o); /* resurrected */
                return;
            }
        }
    }
    o->type->dealloc(rt, o);
}

/* _PyTrash_thread_destroy_chain: the deposited containers, last first, with
 * the nesting raised so that their own children nest below it. */
static void destroy_trash_chain(hl_rt *rt)
{
    rt->trash_nesting++;
    while (rt->trash_later != NULL) {
        hl_gc_head *g = rt->trash_later;
        rt->trash_later = HL_GC_PREV(g);
        g->prev &= HL_GC_FINALIZED;
        dealloc_container(rt, HL_FROM_GC(g));
    }
    rt->trash_nesting--;
}

/* CPython's order: Py_TRASHCAN_BEGIN / END around the type's dealloc. */
static void dealloc_cpython(hl_rt *rt, hl_obj *o)
{
    if (rt->trash_nesting >= rt->prof->trash_depth) {
        /* _PyTrash_thread_deposit_object: through the GC header's prev */
        hl_gc_head *g = HL_AS_GC(o);
        g->prev = (g->prev & HL_GC_FINALIZED) | (uintptr_t)rt->trash_later;
        rt->trash_later = g;
        return;
    }
    rt->trash_nesting++;
    dealloc_container(rt, o);
    rt->trash_nesting--;
    if (rt->trash_later != NULL && rt->trash_nesting < rt->prof->trash_resume)
        destroy_trash_chain(rt);
}

/* dealloc=deferred: a LIFO stack threaded through the GC headers, drained
 * by the outermost call. */
static void dealloc_deferred(hl_rt *rt, hl_obj *o)
{
    hl_gc_head *g = HL_AS_GC(o);
    g->prev = (g->prev & HL_GC_FINALIZED) | (uintptr_t)rt->dealloc_stack;
    rt->dealloc_stack = g;
    if (rt->draining)
        return;
    rt->draining = true;
    while (rt->dealloc_stack != NULL) {
        hl_gc_head *top = rt->dealloc_stack;
        rt->dealloc_stack = HL_GC_PREV(top);
        top->prev &= HL_GC_FINALIZED;
        dealloc_container(rt, HL_FROM_GC(top));
    }
    rt->draining = false;
}

void hl__dealloc(hl_rt *rt, hl_obj *o)
{
    if (!o->type->is_gc) {
        o->type->dealloc(rt, o);
        return;
    }
    /* PyObject_GC_UnTrack, first thing in every container's dealloc */
    if (HL_AS_GC(o)->next != 0)
        hl__gc_untrack(rt, o);
    if (rt->cfg.dealloc == HL_DEALLOC_DEFERRED)
        dealloc_deferred(rt, o);
    else
        dealloc_cpython(rt, o);
}

/* ---- generic object functions ---------------------------------------------- */

size_t hl_obj_sizeof(const hl_obj *o)
{
    switch (o->type->kind) {
    case HL_KIND_INT:
        return hl__int_getsizeof(o);
    case HL_KIND_LIST:
        return o->type->size(o) + 8 * hl_list_allocated(o);
    case HL_KIND_DICT:
        return o->type->size(o) + hl__dict_table_bytes(o);
    case HL_KIND_INST:
        /* object.__sizeof__: the basic size, values excluded */
        return ((const hl_class *)o->type)->layout == HL_INSTK_V311 ? 56 : 48;
    default:
        return o->type->size(o);
    }
}

int64_t hl_obj_hash(const hl_obj *o)
{
    switch (o->type->kind) {
    case HL_KIND_STR:
        return hl_str_hash((hl_obj *)o);
    case HL_KIND_INT: {
        /* CPython's numeric hash: value modulo 2^61 - 1 with the sign kept
         * (Python/pyhash.c, _PyHASH_MODULUS); -1 is reserved for errors and
         * becomes -2. */
        const int64_t modulus = ((int64_t)1 << 61) - 1;
        int64_t v = hl_int_value(o);
        int64_t h = v % modulus;
        return h == -1 ? -2 : h;
    }
    default:
        return -1;
    }
}

bool hl_obj_equal(const hl_obj *a, const hl_obj *b)
{
    if (a == b)
        return true;
    if (a->type->kind != b->type->kind)
        return false;
    switch (a->type->kind) {
    case HL_KIND_INT:
        return hl_int_value(a) == hl_int_value(b);
    case HL_KIND_FLOAT:
        return hl_float_value(a) == hl_float_value(b);
    case HL_KIND_STR:
        return hl_str_len(a) == hl_str_len(b) &&
               memcmp(hl_str_data(a), hl_str_data(b), hl_str_len(a)) == 0;
    default:
        return false;
    }
}
