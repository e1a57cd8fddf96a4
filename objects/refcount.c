/* refcount.c - reference counting: plain, atomic, and biased (PEP 703).
 *
 * How it works
 * ------------
 * plain (the default): Py_INCREF / Py_DECREF of a GIL build, an add or a
 * subtract on the header's count, and nothing at all for immortal objects
 * (PEP 683, 3.12+: the check comes first so that an immortal object's
 * memory is never written, which keeps its page shared after fork()).
 *
 * atomic: every incref and decref a lock-prefixed read-modify-write on the
 * one count.  That is naive thread-safe reference counting, an upper bound
 * on what making refcounts thread safe costs -- not what free-threaded
 * CPython pays: PEP 703 rejects this design ("Reference counting") in
 * favour of biased reference counting.
 *
 * biased (PEP 703 "Biased Reference Counting"; 3.13t Include/object.h
 * Py_INCREF / Py_DECREF, Objects/object.c _Py_DecRefShared,
 * _Py_MergeZeroLocalRefcount, _Py_ExplicitMergeRefcount, Python/brc.c).
 * Each object has an owning thread (ob_tid), a local count only the owner
 * touches, with plain loads and stores (ob_ref_local), and a shared count
 * other threads change atomically (ob_ref_shared), shifted left by two for
 * two state bits: 0 default, 1 may have weakrefs, 2 queued, 3 merged.  The
 * true count is local + shared.  heaplab keeps both counts in the header's
 * one 64-bit word -- local in the low half, shared (an int32) in the high
 * half, each accessed on its own -- so objects keep their sizes; the
 * immortal encoding stays PEP 683's (local == UINT32_MAX).  Objects are
 * made only by the thread that entered the runtime (runtime.h), so every
 * object's ob_tid is that thread until its counts are merged, when ob_tid
 * becomes 0: heaplab keeps the owner once per runtime and reads "ob_tid ==
 * 0" from the merged state.
 *
 *   incref:  owner: local + 1 (plain); others: atomic add 1 << 2 to shared.
 *   decref:  owner: local - 1; at 0 the counts merge: shared 0 (count and
 *            flags) frees at once, else shared is marked merged (CAS) and
 *            freed if its count is 0.  Others: a CAS loop on shared; a
 *            shared field that is 0 or "may have weakrefs" would go
 *            negative while the owner still holds local references, so it
 *            is not decremented but marked queued, and the object pushed
 *            on the owner's queue, which holds that reference; otherwise
 *            1 << 2 is subtracted (it may go negative), and a result of
 *            exactly "merged, count 0" frees the object.
 *   merge:   the owner drains its queue at its eval-breaker check
 *            (hl_rt_check_eval_breaker, container constructors) and before
 *            every collection: local is set to 0 and the object's shared
 *            count becomes (shared >> 2) + local - 1 (the queue's
 *            reference), merged; a count of 0 frees it.
 *
 * The collector reads the true count, local + shared (hl__refcnt), after
 * merging the queue; other threads must not change counts while it runs
 * (free-threaded CPython stops the world for it).
 */
#include "internal.h"

#include <string.h>

_Thread_local hl_rt *hl__brc_owner;

enum { BRC_SHIFT = 2, BRC_MAYBE_WEAKREF = 1, BRC_QUEUED = 2, BRC_MERGED = 3, BRC_FLAGS = 3 };

/* Little-endian halves of the header's count word. */
static inline uint32_t *brc_local(hl_obj *o) { return (uint32_t *)&o->refcnt; }
static inline int32_t *brc_shared(hl_obj *o) { return (int32_t *)&o->refcnt + 1; }

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "biased counts: local in the low half of the count word");

/* _Py_IsOwnedByCurrentThread: ob_tid == this thread.  ob_tid is the
 * runtime's owner until the counts are merged (ob_tid 0). */
static inline bool brc_owned(const hl_rt *rt, hl_obj *o)
{
    return hl__brc_owner == rt &&
           (__atomic_load_n(brc_shared(o), __ATOMIC_RELAXED) & BRC_FLAGS) != BRC_MERGED;
}

/* _Py_ExplicitMergeRefcount: the true count + extra, now all in shared
 * with the merged state. */
static int64_t brc_explicit_merge(hl_obj *o, int32_t extra)
{
    int32_t local = (int32_t)__atomic_load_n(brc_local(o), __ATOMIC_RELAXED);
    __atomic_store_n(brc_local(o), 0, __ATOMIC_RELAXED);
    int32_t shared = __atomic_load_n(brc_shared(o), __ATOMIC_RELAXED), merged;
    int64_t refcnt;
    do {
        refcnt = (int64_t)(shared >> BRC_SHIFT) + local + extra;
        merged = (int32_t)(((uint32_t)refcnt << BRC_SHIFT) | BRC_MERGED);
    } while (!__atomic_compare_exchange_n(brc_shared(o), &shared, merged, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return refcnt;
}

/* _Py_brc_queue_object: the owner merges it later; the queue holds the
 * reference the caller dropped. */
static void brc_queue(hl_rt *rt, hl_obj *o)
{
    pthread_mutex_lock(&rt->brc_lock);
    int rc = hl__objvec_push(&rt->brc_queue, o);
    if (rc == 0)
        __atomic_fetch_or(&rt->eval_breaker, HL_EVAL_MERGE_REFCOUNTS, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&rt->brc_lock);
    if (rc != 0) {
        /* no memory for the queue: merge now, as _Py_brc_queue_object falls
         * back to stopping the world */
        if (brc_explicit_merge(o, -1) == 0)
            hl__dealloc(rt, o);
    }
}

/* _Py_MergeZeroLocalRefcount */
static void brc_merge_zero_local(hl_rt *rt, hl_obj *o)
{
    int32_t shared = __atomic_load_n(brc_shared(o), __ATOMIC_ACQUIRE);
    if (shared == 0) {
        hl__dealloc(rt, o); /* the fast path: no other thread ever counted it */
        return;
    }
    int32_t merged;
    do {
        merged = (shared & ~BRC_FLAGS) | BRC_MERGED;
    } while (!__atomic_compare_exchange_n(brc_shared(o), &shared, merged, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    if (merged == BRC_MERGED)
        hl__dealloc(rt, o);
}

/* _Py_DecRefShared */
static void brc_decref_shared(hl_rt *rt, hl_obj *o)
{
    int32_t shared = __atomic_load_n(brc_shared(o), __ATOMIC_RELAXED), next;
    bool queue;
    do {
        queue = shared == 0 || shared == BRC_MAYBE_WEAKREF;
        next = queue ? BRC_QUEUED : shared - (1 << BRC_SHIFT);
    } while (!__atomic_compare_exchange_n(brc_shared(o), &shared, next, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    if (queue)
        brc_queue(rt, o);
    else if (next == BRC_MERGED)
        hl__dealloc(rt, o);
}

void hl__brc_merge_queued(hl_rt *rt)
{
    __atomic_fetch_and(&rt->eval_breaker, ~HL_EVAL_MERGE_REFCOUNTS, __ATOMIC_ACQUIRE);
    pthread_mutex_lock(&rt->brc_lock);
    hl_objvec local = rt->brc_queue;
    memset(&rt->brc_queue, 0, sizeof rt->brc_queue);
    pthread_mutex_unlock(&rt->brc_lock);
    /* merge_queued_objects: each with the queue's reference given back */
    for (size_t i = 0; i < local.n; i++)
        if (brc_explicit_merge(local.v[i], -1) == 0)
            hl__dealloc(rt, local.v[i]);
    free(local.v);
}

/* ---- the three modes ------------------------------------------------------------ */

void hl_obj_incref(hl_rt *rt, hl_obj *o)
{
    if (o == NULL)
        return;
    if (rt->rc == HL_RC_BIASED) {
        uint32_t local = __atomic_load_n(brc_local(o), __ATOMIC_RELAXED);
        if (local == UINT32_MAX)
            return; /* immortal */
        HL_OBJ_CHECK(o);
        if (brc_owned(rt, o))
            __atomic_store_n(brc_local(o), local + 1, __ATOMIC_RELAXED);
        else
            __atomic_fetch_add(brc_shared(o), 1 << BRC_SHIFT, __ATOMIC_RELAXED);
        return;
    }
    if (rt->rc == HL_RC_ATOMIC) {
        uint64_t c = __atomic_load_n(&o->refcnt, __ATOMIC_RELAXED);
        if (c >= HL_IMMORTAL_REFCNT) {
            HL_OBJ_ASSERT(c == HL_IMMORTAL_REFCNT, o, "refcount invariant (freed memory?)");
            return;
        }
        HL_OBJ_CHECK(o);
        __atomic_fetch_add(&o->refcnt, 1, __ATOMIC_RELAXED);
        return;
    }
    if (o->refcnt >= HL_IMMORTAL_REFCNT) {
        HL_OBJ_ASSERT(o->refcnt == HL_IMMORTAL_REFCNT, o, "refcount invariant (freed memory?)");
        return;
    }
    HL_OBJ_CHECK(o);
    o->refcnt++;
}

void hl_obj_decref(hl_rt *rt, hl_obj *o)
{
    if (o == NULL)
        return;
    if (rt->rc == HL_RC_BIASED) {
        uint32_t local = __atomic_load_n(brc_local(o), __ATOMIC_RELAXED);
        if (local == UINT32_MAX)
            return; /* immortal */
        HL_OBJ_CHECK(o);
        if (brc_owned(rt, o)) {
            __atomic_store_n(brc_local(o), local - 1, __ATOMIC_RELAXED);
            if (local == 1)
                brc_merge_zero_local(rt, o);
        } else {
            brc_decref_shared(rt, o);
        }
        return;
    }
    if (rt->rc == HL_RC_ATOMIC) {
        uint64_t c = __atomic_load_n(&o->refcnt, __ATOMIC_RELAXED);
        if (c >= HL_IMMORTAL_REFCNT) {
            HL_OBJ_ASSERT(c == HL_IMMORTAL_REFCNT, o, "refcount invariant (freed memory?)");
            return;
        }
        HL_OBJ_CHECK(o);
        if (__atomic_sub_fetch(&o->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
            hl__dealloc(rt, o);
        return;
    }
    if (o->refcnt >= HL_IMMORTAL_REFCNT) {
        HL_OBJ_ASSERT(o->refcnt == HL_IMMORTAL_REFCNT, o, "refcount invariant (freed memory?)");
        return;
    }
    HL_OBJ_CHECK(o);
    if (--o->refcnt == 0)
        hl__dealloc(rt, o);
}

hl_obj *hl_obj_newref(hl_rt *rt, hl_obj *o)
{
    hl_obj_incref(rt, o);
    return o;
}

int hl_obj_immortalize(hl_rt *rt, hl_obj *o)
{
    if (hl_obj_is_immortal(o))
        return 0;
    HL_OBJ_CHECK(o);
    if (hl__objvec_push(&rt->immortals, o) != 0)
        return -1;
    o->refcnt = HL_IMMORTAL_REFCNT; /* local UINT32_MAX, shared 0: immortal in every mode */
    return 0;
}

uint64_t hl_getrefcount(const hl_obj *o) { return hl__refcnt(o); }
