/* gil.h - the runtime-wide lock that non-thread-safe backends rely on.
 *
 * pymalloc takes no lock of its own: CPython guarantees that its caller holds
 * the GIL.  heaplab reproduces that contract.  The object layer holds the
 * lock across a whole run of operations, as an interpreter does; a
 * multi-threaded raw-allocator workload on the pool has it taken around each
 * call by hl_allocator (alloc.h), which is what pymalloc would cost such a
 * program.  Every acquisition that found the lock taken is counted, so the
 * harness can report how often a thread had to wait.
 */
#ifndef HL_GIL_H
#define HL_GIL_H

#include <stdbool.h>
#include <stdint.h>

/* True while the calling thread holds the lock. */
extern _Thread_local bool hl_gil_held;

void hl_gil_acquire(void);
void hl_gil_release(void);

typedef struct hl_gil_stats {
    uint64_t acquisitions; /* successful acquisitions */
    uint64_t contended;    /* acquisitions that had to wait */
} hl_gil_stats;

void hl_gil_get_stats(hl_gil_stats *out);
void hl_gil_reset_stats(void);

#endif
