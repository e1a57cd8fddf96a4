/* gil.c - the runtime lock (see gil.h).
 *
 * A plain pthread mutex.  Contention is detected with a trylock first: a
 * failed trylock means another thread held the lock at that moment, so this
 * acquisition had to wait.  The counters are updated while holding the lock,
 * so they need no atomics of their own; readers use relaxed loads.
 */
#include "gil.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>

_Thread_local bool hl_gil_held;

static pthread_mutex_t gil_mutex = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t gil_acquisitions;
static _Atomic uint64_t gil_contended;

void hl_gil_acquire(void)
{
    assert(!hl_gil_held && "the GIL is not recursive");
    bool waited = false;
    if (pthread_mutex_trylock(&gil_mutex) != 0) {
        waited = true;
        pthread_mutex_lock(&gil_mutex);
    }
    /* Under the lock: no other writer, so load+store is race free. */
    atomic_store_explicit(&gil_acquisitions,
                          atomic_load_explicit(&gil_acquisitions, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (waited)
        atomic_store_explicit(&gil_contended,
                              atomic_load_explicit(&gil_contended, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    hl_gil_held = true;
}

void hl_gil_release(void)
{
    assert(hl_gil_held && "releasing a GIL this thread does not hold");
    hl_gil_held = false;
    pthread_mutex_unlock(&gil_mutex);
}

void hl_gil_get_stats(hl_gil_stats *out)
{
    out->acquisitions = atomic_load_explicit(&gil_acquisitions, memory_order_relaxed);
    out->contended = atomic_load_explicit(&gil_contended, memory_order_relaxed);
}

void hl_gil_reset_stats(void)
{
    atomic_store(&gil_acquisitions, 0);
    atomic_store(&gil_contended, 0);
}
