/* timeline.h - a memory timeline sampler (in the spirit of memory_profiler's
 * `mprof run`): a thread samples the process RSS (/proc/self/statm) and the
 * live bytes of some hl_allocators every period_ms while a cell measures.
 * It is the cell's instrument, so it lives in the harness, not in the
 * object layer it often watches.
 *
 * Usage:
 *
 *     hl_allocator *as[2] = { &obj_mem, &item_mem };
 *     hl_timeline *tl = hl_timeline_start(as, 2, 10, err, sizeof err);
 *     ... run the workload ...
 *     hl_timeline_stop(tl);                 // joins the thread, takes a last sample
 *     hl_timeline_write_csv(tl, f);         // t_seconds,rss_bytes,live_bytes
 *     hl_timeline_free(tl);
 */
#ifndef HL_TIMELINE_H
#define HL_TIMELINE_H

#include "../allocators/alloc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hl_timeline hl_timeline;

typedef struct hl_timeline_sample {
    double t_seconds;     /* since hl_timeline_start */
    uint64_t rss_bytes;   /* resident pages * page size */
    int64_t live_bytes;   /* sum of hl_allocator_sample over the allocators */
} hl_timeline_sample;

/* n may be 0 (RSS only; live_bytes is then 0).  period_ms 0 means the
 * default, 10 ms.  Takes a first sample before returning.  NULL with one line
 * in err (too many allocators, /proc unreadable, thread creation failed). */
hl_timeline *hl_timeline_start(hl_allocator *const *allocs, size_t n, unsigned period_ms,
                               char *err, size_t errlen);
/* Stops and joins the sampler (idempotent) after one last sample. */
void hl_timeline_stop(hl_timeline *tl);
/* Header line then one line per sample.  0, or -1 on a write error. */
int hl_timeline_write_csv(const hl_timeline *tl, FILE *f);
size_t hl_timeline_count(const hl_timeline *tl);
const hl_timeline_sample *hl_timeline_at(const hl_timeline *tl, size_t i);
void hl_timeline_free(hl_timeline *tl);

#endif
