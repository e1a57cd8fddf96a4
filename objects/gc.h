/* gc.h - the cycle collector's public interface (CPython's gc module).
 *
 * The algorithm is CPython's generational collector as published in
 * Modules/gcmodule.c (3.8-3.12; Python/gc.c from 3.13) and
 * InternalDocs/garbage_collector.md: three generations with thresholds
 * (700, 10, 10), gen-0 count = container allocations - deallocations, full
 * collections held back until long_lived_pending > long_lived_total / 4,
 * refcount copy + subtract internal references + move_unreachable, PEP 442
 * finalizers run once, 3.9+ resurrection handling (bpo-38379), tp_clear.
 * See gc.c for how it works.
 *
 * Usage:
 *
 *     hl_gc_disable(rt);                 // gc.disable()
 *     ... build a big long-lived heap ...
 *     hl_gc_freeze(rt);                  // gc.freeze(): hide it from collections
 *     hl_gc_enable(rt);
 *     size_t n = hl_gc_collect(rt, 2);   // gc.collect(): n unreachable objects freed
 *     const uint64_t *p; size_t np;
 *     hl_gc_pauses(rt, 0, &p, &np);      // every gen-0 pause in ns
 *     hl_gc_stats s[3]; hl_gc_get_stats(rt, s);
 */
#ifndef HL_OBJECTS_GC_H
#define HL_OBJECTS_GC_H

#include "object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_GC_GENERATIONS 3

/* Runs a collection of `generation` (0, 1 or 2; younger ones are merged in)
 * even when the GC is disabled, as gc.collect() does.  Returns the number of
 * unreachable objects freed, or 0 when a collection is already running or
 * generation is out of range. */
size_t hl_gc_collect(hl_rt *rt, int generation);

void hl_gc_enable(hl_rt *rt);
void hl_gc_disable(hl_rt *rt);
bool hl_gc_is_enabled(const hl_rt *rt);

/* gc.set_threshold / get_threshold.  threshold[0] == 0 turns automatic
 * collection off. */
void hl_gc_set_threshold(hl_rt *rt, uint32_t t0, uint32_t t1, uint32_t t2);
void hl_gc_get_threshold(const hl_rt *rt, uint32_t out[3]);

/* gc.get_count(): gen0 = container allocations - deallocations since the last
 * collection, gen1 = gen-0 collections since the last gen-1 one, gen2 =
 * gen-1 collections since the last full one. */
void hl_gc_get_count(const hl_rt *rt, uint64_t out[3]);

/* gc.freeze(): every tracked object moves to the permanent generation, which
 * no collection looks at.  unfreeze moves them back into the oldest
 * generation. */
void hl_gc_freeze(hl_rt *rt);
void hl_gc_unfreeze(hl_rt *rt);
size_t hl_gc_get_freeze_count(const hl_rt *rt);

/* gc.get_stats(), one entry per generation. */
typedef struct hl_gc_stats {
    uint64_t collections;
    uint64_t collected;     /* unreachable objects freed */
    uint64_t uncollectable; /* always 0: heaplab has no legacy tp_del */
} hl_gc_stats;
void hl_gc_get_stats(const hl_rt *rt, hl_gc_stats out[HL_GC_GENERATIONS]);

/* Every collection's pause (wall time from start to end, ns), in order, for
 * the generation collected.  The array is owned by the runtime (plain
 * malloc: bookkeeping, not measured) and valid until the next collection or
 * hl_gc_reset_pauses. */
void hl_gc_pauses(const hl_rt *rt, int generation, const uint64_t **out, size_t *n);
void hl_gc_reset_pauses(hl_rt *rt);

/* Scheduler state (tests, reports): CPython's long_lived_total /
 * long_lived_pending. */
void hl_gc_long_lived(const hl_rt *rt, uint64_t *total, uint64_t *pending);

/* gc.is_tracked / gc.is_finalized. */
bool hl_gc_is_tracked(const hl_obj *o);
bool hl_gc_is_finalized(const hl_obj *o);

/* Number of tracked objects in all generations plus the permanent one. */
size_t hl_gc_tracked_count(const hl_rt *rt);
/* Objects currently in one generation (0..2), or in the permanent one (3).
 * Walks the list: O(n). */
size_t hl_gc_generation_size(const hl_rt *rt, int generation);

/* Walks every generation list (and the permanent one): links consistent both
 * ways, only containers, no collection flags left behind, refcounts > 0,
 * every object on exactly one list, list sizes add up to the tracked count
 * and to the live containers.  Returns 0, or -1 with the first problem. */
int hl_gc_validate(hl_rt *rt, char *err, size_t errlen);

/* Tests: run hl_gc_validate after every collection (automatic ones too) and
 * abort with its message when it fails. */
void hl_gc_set_validate_each(hl_rt *rt, bool on);

#endif
