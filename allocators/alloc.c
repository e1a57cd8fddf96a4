/* alloc.c - allocator handles, per-thread accounting and its aggregation.
 * See alloc.h for how the accounting works and what it guarantees. */
#include "alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Thread_local hl_alloc_counts hl_tl_counts[HL_MAX_ALLOCATORS];
_Thread_local bool hl_tl_attached[HL_MAX_ALLOCATORS] HL__TLS_LE;
static _Thread_local bool hl_tl_registered;

/* Every live thread's counter array is on this list; an exiting thread folds
 * its counters into `retired` and leaves.  Protected by threads_lock. */
typedef struct thread_entry {
    struct thread_entry *next;
    hl_alloc_counts *counts; /* that thread's hl_tl_counts */
} thread_entry;

typedef struct retired_counts {
    int64_t live;
    uint64_t allocs, frees, reallocs, requested;
} retired_counts;

static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static thread_entry *threads;
static retired_counts retired[HL_MAX_ALLOCATORS];
/* Per slot: the largest peak of the threads that have exited, and the peak
 * of the summed live bytes seen by hl_allocator_sample(). */
static int64_t retired_single_peak[HL_MAX_ALLOCATORS];
static _Atomic int64_t sampled_peak[HL_MAX_ALLOCATORS];

static int n_open;
/* The instance behind each slot, for the thread hooks (set once, when the
 * slot's handle is made; read by the threads that use it afterwards). */
static const hl_backend *slot_backend[HL_MAX_ALLOCATORS];
static void *slot_ctx[HL_MAX_ALLOCATORS];

/* Calls a thread hook of slot i's instance, unless an earlier slot of this
 * thread's attached ones has the same instance (each instance gets one
 * attach and one detach per thread). */
static void call_thread_hook(int i, bool attach)
{
    const hl_backend *b = slot_backend[i];
    void (*hook)(void *) = attach ? b->thread_attach : b->thread_detach;
    if (hook == NULL)
        return;
    for (int k = 0; k < HL_MAX_ALLOCATORS; k++)
        if (k != i && hl_tl_attached[k] && slot_backend[k] == b && slot_ctx[k] == slot_ctx[i] &&
            (attach || k < i))
            return;
    bool take_gil = !b->thread_safe && !hl_gil_held;
    if (take_gil)
        hl_gil_acquire();
    hook(slot_ctx[i]);
    if (take_gil)
        hl_gil_release();
}

static void thread_exit(void *arg)
{
    thread_entry *e = arg;
    /* Runs in the exiting thread (a pthread key destructor), whose
     * thread-locals are still there. */
    for (int i = 0; i < HL_MAX_ALLOCATORS; i++)
        if (hl_tl_attached[i])
            call_thread_hook(i, false);
    pthread_mutex_lock(&threads_lock);
    for (thread_entry **pp = &threads; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    for (int i = 0; i < HL_MAX_ALLOCATORS; i++) {
        hl_alloc_counts *c = &e->counts[i];
        retired[i].live += atomic_load(&c->live);
        retired[i].allocs += atomic_load(&c->allocs);
        retired[i].frees += atomic_load(&c->frees);
        retired[i].reallocs += atomic_load(&c->reallocs);
        retired[i].requested += atomic_load(&c->requested);
        if (atomic_load(&c->peak) > retired_single_peak[i])
            retired_single_peak[i] = atomic_load(&c->peak);
    }
    pthread_mutex_unlock(&threads_lock);
    /* The entry is not freed through an hl_allocator on purpose: it is
     * bookkeeping, allocated with the process malloc. */
    free(e);
}

static void make_key(void)
{
    pthread_key_create(&thread_key, thread_exit);
}

static void register_thread(void)
{
    pthread_once(&key_once, make_key);
    thread_entry *e = malloc(sizeof *e);
    if (e == NULL) {
        fputs("heaplab: out of memory registering a thread\n", stderr);
        abort();
    }
    e->counts = hl_tl_counts;
    pthread_mutex_lock(&threads_lock);
    e->next = threads;
    threads = e;
    pthread_mutex_unlock(&threads_lock);
    pthread_setspecific(thread_key, e);
    hl_tl_registered = true;
}

void hl_alloc_attach_thread(const hl_allocator *a)
{
    if (!hl_tl_registered)
        register_thread();
    call_thread_hook(a->slot, true);
    hl_tl_attached[a->slot] = true;
}

int hl_allocator_init(hl_allocator *a, const hl_backend *b, void *ctx, const char *spec,
                      char *err, size_t errlen)
{
    pthread_mutex_lock(&threads_lock);
    if (n_open >= HL_MAX_ALLOCATORS) {
        pthread_mutex_unlock(&threads_lock);
        snprintf(err, errlen, "too many allocators open (at most %d)", HL_MAX_ALLOCATORS);
        return -1;
    }
    a->backend = b;
    a->ctx = ctx;
    a->slot = n_open++;
    slot_backend[a->slot] = b;
    slot_ctx[a->slot] = ctx;
    a->needs_gil = !b->thread_safe;
    a->use_sized_free = b->free_sized != NULL;
    snprintf(a->spec, sizeof a->spec, "%s", spec);
    pthread_mutex_unlock(&threads_lock);
    return 0;
}

void hl_allocator_set_sized_free(hl_allocator *a, bool on)
{
    a->use_sized_free = on && a->backend->free_sized != NULL;
}

void hl_allocator_stats(const hl_allocator *a, hl_alloc_stats *out)
{
    memset(out, 0, sizeof *out);
    int i = a->slot;
    pthread_mutex_lock(&threads_lock);
    int64_t live = retired[i].live;
    uint64_t allocs = retired[i].allocs, frees = retired[i].frees;
    uint64_t reallocs = retired[i].reallocs, requested = retired[i].requested;
    int64_t single_peak = retired_single_peak[i];
    unsigned users = 0;
    for (thread_entry *e = threads; e; e = e->next) {
        hl_alloc_counts *c = &e->counts[i];
        uint64_t n = atomic_load_explicit(&c->allocs, memory_order_relaxed) +
                     atomic_load_explicit(&c->reallocs, memory_order_relaxed) +
                     atomic_load_explicit(&c->frees, memory_order_relaxed);
        if (n)
            users++;
        live += atomic_load_explicit(&c->live, memory_order_relaxed);
        allocs += atomic_load_explicit(&c->allocs, memory_order_relaxed);
        frees += atomic_load_explicit(&c->frees, memory_order_relaxed);
        reallocs += atomic_load_explicit(&c->reallocs, memory_order_relaxed);
        requested += atomic_load_explicit(&c->requested, memory_order_relaxed);
        int64_t pk = atomic_load_explicit(&c->peak, memory_order_relaxed);
        if (pk > single_peak)
            single_peak = pk;
    }
    pthread_mutex_unlock(&threads_lock);

    out->allocs = allocs;
    out->frees = frees;
    out->reallocs = reallocs;
    out->live_bytes = live;
    out->requested_bytes = requested;
    out->threads = users;
    /* With one user thread and nothing retired, that thread's peak is the
     * exact global peak.  Otherwise take the sampled peak (and never report
     * less than what is live now). */
    bool exact = users <= 1 && retired[i].allocs == 0;
    int64_t peak = exact ? single_peak : atomic_load(&sampled_peak[i]);
    if (peak < live)
        peak = live;
    out->peak_live_bytes = peak > 0 ? (uint64_t)peak : 0;
    out->peak_exact = exact;
    if (a->backend->native_stats) {
        if (a->needs_gil && !hl_gil_held) {
            hl_gil_acquire();
            out->n_native = a->backend->native_stats(a->ctx, out->native, HL_MAX_NATIVE_STATS);
            hl_gil_release();
        } else {
            out->n_native = a->backend->native_stats(a->ctx, out->native, HL_MAX_NATIVE_STATS);
        }
    }
}

int64_t hl_allocator_sample(hl_allocator *a)
{
    int i = a->slot;
    pthread_mutex_lock(&threads_lock);
    int64_t live = retired[i].live;
    for (thread_entry *e = threads; e; e = e->next)
        live += atomic_load_explicit(&e->counts[i].live, memory_order_relaxed);
    pthread_mutex_unlock(&threads_lock);
    int64_t prev = atomic_load(&sampled_peak[i]);
    while (live > prev && !atomic_compare_exchange_weak(&sampled_peak[i], &prev, live))
        ;
    return live;
}

void hl_allocator_reset_peak(hl_allocator *a)
{
    int i = a->slot;
    pthread_mutex_lock(&threads_lock);
    int64_t live = retired[i].live;
    for (thread_entry *e = threads; e; e = e->next)
        live += atomic_load_explicit(&e->counts[i].live, memory_order_relaxed);
    for (thread_entry *e = threads; e; e = e->next)
        atomic_store(&e->counts[i].peak, atomic_load(&e->counts[i].live));
    retired_single_peak[i] = 0;
    atomic_store(&sampled_peak[i], live);
    pthread_mutex_unlock(&threads_lock);
}
