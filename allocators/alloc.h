/* alloc.h - the allocator handle upper layers use: a backend plus accounting.
 *
 * How it works
 * ------------
 * A handle is a backend instance plus accounting: hl_allocator_open
 * ("pool:raw=system", registry.h) has the registry open the instance, then
 * hl_allocator_init gives it a handle.  The object layer of a cell runs both
 * of its domains (object memory and item arrays, CPython's OBJ and MEM) on
 * one handle, for the exact combined peak; workloads on the raw layer open
 * one.  Up to HL_MAX_ALLOCATORS may be open.
 *
 * Every call is sized: callers pass the size they asked for when they free or
 * reallocate, as they always know it in heaplab.  That gives exact "bytes live
 * as requested by callers" without headers or usable-size guesses, and lets
 * backends with a sized free use it.
 *
 * Accounting is per thread so that counting never adds a shared cache line to
 * a multi-threaded benchmark: each thread has its own counters per allocator,
 * written with relaxed atomics (plain adds on x86-64) and summed by readers.
 * A thread's counters are folded into a retired total when it exits.
 *
 * Peak live bytes: exact when only one thread ever used the allocator (the
 * object layer, single-threaded workloads); otherwise it is the maximum of the
 * samples taken by hl_allocator_sample() (the harness samples every few ms),
 * and hl_alloc_stats.peak_exact is false.
 *
 * Backends that are not thread safe (pool) get the GIL taken around each call
 * unless the calling thread already holds it.
 *
 * Threads and backends: before a thread's first call through a handle, the
 * handle's backend instance gets thread_attach (backend.h), once per thread
 * and instance; when the thread exits, thread_detach.  The test for "first
 * call" is the one the accounting needs anyway (is this thread's counter
 * array registered?), asked per handle instead of per thread, so the hot
 * path pays nothing for it.
 */
#ifndef HL_ALLOC_H
#define HL_ALLOC_H

#include "backend.h"
#include "gil.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_MAX_ALLOCATORS 8

typedef struct hl_allocator {
    const hl_backend *backend;
    void *ctx;             /* the backend instance (hl_backend.open) */
    int slot;              /* index of this allocator's per-thread counters */
    bool needs_gil;        /* backend is not thread safe */
    bool use_sized_free;   /* call backend->free_sized when it exists */
    char spec[64];         /* the spec it was opened with */
} hl_allocator;

/* Per-thread, per-allocator counters.  Invariant: live == requested - released
 * over this thread's calls (can be negative when a thread frees blocks that
 * another allocated); peak >= live at all times. */
typedef struct hl_alloc_counts {
    _Atomic int64_t live;
    _Atomic int64_t peak;
    _Atomic uint64_t allocs;   /* malloc + calloc calls that succeeded */
    _Atomic uint64_t frees;    /* free calls with non-NULL pointers */
    _Atomic uint64_t reallocs;
    _Atomic uint64_t requested; /* total bytes requested (malloc+calloc+growth) */
} hl_alloc_counts;

typedef struct hl_alloc_stats {
    uint64_t allocs, frees, reallocs;
    int64_t live_bytes;        /* requested bytes not yet freed */
    uint64_t peak_live_bytes;
    bool peak_exact;           /* see "Peak live bytes" above */
    uint64_t requested_bytes;  /* total requested over the handle's life */
    unsigned threads;          /* threads that ever used the handle */
    size_t n_native;
    hl_stat native[HL_MAX_NATIVE_STATS];
} hl_alloc_stats;

/* Makes a handle on an open backend instance (b, ctx): a slot of per-thread
 * counters, the GIL when b is not thread safe, its sized free when it has
 * one.  spec is what the handle reports it was opened with.  Returns 0, or
 * -1 with one line in err (too many allocators).  hl_allocator_open
 * (registry.h) resolves a spec and calls this; the handle itself knows
 * nothing of the registry. */
int hl_allocator_init(hl_allocator *a, const hl_backend *b, void *ctx, const char *spec,
                      char *err, size_t errlen);

/* Whether to use the backend's sized free (default: yes when it has one). */
void hl_allocator_set_sized_free(hl_allocator *a, bool on);

void hl_allocator_stats(const hl_allocator *a, hl_alloc_stats *out);

/* Sum live bytes now and raise the sampled peak; safe from any thread. */
int64_t hl_allocator_sample(hl_allocator *a);

/* Restart peak tracking at the current live value (after a workload's set-up,
 * for instance). */
void hl_allocator_reset_peak(hl_allocator *a);

/* ---- the hot path -------------------------------------------------------- */

extern _Thread_local hl_alloc_counts hl_tl_counts[HL_MAX_ALLOCATORS];
/* hl_tl_attached[slot]: this thread has used the handle in slot: it is
 * registered (its counters are summed) and the backend's thread_attach ran
 * for the handle's instance.  The local-exec TLS model: heaplab's libraries
 * are linked into executables only, and the default model of -fPIC code
 * (general dynamic, relaxed by the linker to two instructions that compute
 * the thread pointer plus an offset) would make this per-call test longer
 * than the per-thread one it replaced.  A shared object linking this would
 * fail to link, loudly. */
#define HL__TLS_LE __attribute__((tls_model("local-exec")))
extern _Thread_local bool hl_tl_attached[HL_MAX_ALLOCATORS] HL__TLS_LE;
void hl_alloc_attach_thread(const hl_allocator *a);

/* Called before the backend is: an allocator with thread set-up must have
 * it before this thread's first call. */
static inline void hl__attach(const hl_allocator *a)
{
    if (__builtin_expect(!hl_tl_attached[a->slot], 0))
        hl_alloc_attach_thread(a);
}

/* This thread's counters for a, taken after the backend call: keeping the
 * address across the call would cost a callee-saved register or a spill. */
static inline hl_alloc_counts *hl__counts(const hl_allocator *a)
{
    return &hl_tl_counts[a->slot];
}

/* Relaxed single-writer add: the owning thread is the only writer. */
#define HL__ADD(field, v)                                                              \
    atomic_store_explicit(&(field), atomic_load_explicit(&(field), memory_order_relaxed) + (v), \
                          memory_order_relaxed)

static inline void hl__account_alloc(hl_alloc_counts *c, size_t n)
{
    int64_t live = atomic_load_explicit(&c->live, memory_order_relaxed) + (int64_t)n;
    atomic_store_explicit(&c->live, live, memory_order_relaxed);
    if (live > atomic_load_explicit(&c->peak, memory_order_relaxed))
        atomic_store_explicit(&c->peak, live, memory_order_relaxed);
    HL__ADD(c->allocs, 1);
    HL__ADD(c->requested, n);
}

#define HL__CALL(a, expr)                                   \
    do {                                                    \
        if ((a)->needs_gil && !hl_gil_held) {               \
            hl_gil_acquire();                               \
            expr;                                           \
            hl_gil_release();                               \
        } else {                                            \
            expr;                                           \
        }                                                   \
    } while (0)

static inline void *hl_malloc(const hl_allocator *a, size_t n)
{
    hl__attach(a);
    void *p;
    HL__CALL(a, p = a->backend->malloc(a->ctx, n));
    if (__builtin_expect(p != NULL, 1))
        hl__account_alloc(hl__counts(a), n);
    return p;
}

static inline void *hl_calloc(const hl_allocator *a, size_t count, size_t n)
{
    hl__attach(a);
    void *p;
    HL__CALL(a, p = a->backend->calloc(a->ctx, count, n));
    if (__builtin_expect(p != NULL, 1))
        hl__account_alloc(hl__counts(a), count * n); /* no overflow: it succeeded */
    return p;
}

/* old_size: the size last requested for p (0 when p is NULL). */
static inline void *hl_realloc(const hl_allocator *a, void *p, size_t old_size, size_t n)
{
    hl__attach(a);
    void *q;
    HL__CALL(a, q = a->backend->realloc(a->ctx, p, n));
    if (q == NULL && n != 0)
        return NULL; /* p is untouched */
    hl_alloc_counts *c = hl__counts(a);
    if (p == NULL) {
        hl__account_alloc(c, n);
        return q;
    }
    int64_t delta = (int64_t)n - (int64_t)old_size;
    int64_t live = atomic_load_explicit(&c->live, memory_order_relaxed) + delta;
    atomic_store_explicit(&c->live, live, memory_order_relaxed);
    if (live > atomic_load_explicit(&c->peak, memory_order_relaxed))
        atomic_store_explicit(&c->peak, live, memory_order_relaxed);
    if (delta > 0)
        HL__ADD(c->requested, (uint64_t)delta);
    HL__ADD(c->reallocs, 1);
    return q;
}

/* size: the size last requested for p. */
static inline void hl_free(const hl_allocator *a, void *p, size_t size)
{
    if (p == NULL)
        return;
    hl__attach(a);
    if (a->use_sized_free)
        HL__CALL(a, a->backend->free_sized(a->ctx, p, size));
    else
        HL__CALL(a, a->backend->free(a->ctx, p));
    hl_alloc_counts *c = hl__counts(a);
    HL__ADD(c->live, -(int64_t)size);
    HL__ADD(c->frees, 1);
}

static inline size_t hl_usable_size(const hl_allocator *a, const void *p)
{
    hl__attach(a);
    size_t n;
    HL__CALL(a, n = a->backend->usable_size(a->ctx, p));
    return n;
}

#endif
