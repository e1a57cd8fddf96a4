/* steadiness.h - how much does the same work's time change from one moment
 * to the next on this machine?
 *
 * The machine checks of noise.h read what the kernel exposes (governor, load,
 * busy processes).  On a shared virtual machine the largest noise is often
 * invisible there: other guests on the host contend for the shared caches and
 * memory bandwidth, no steal time is reported, and the load average is 0.
 * This probe measures that noise directly: it times two fixed pieces of work
 * back to back, again and again, and reports how much one sample's time
 * differs from the next one's.  Two cells of a run are measured the same way,
 * a fraction of a second apart, so a run's ratios between backends cannot
 * repeat more closely than this (a round's ratio is one such pair; its median
 * over R rounds narrows it by about sqrt(R)).
 *
 *   compute: a chain of dependent integer multiply-adds (registers only)
 *   memory:  a pointer chase over a random cycle of HL_STEADY_MEMORY_BYTES,
 *            larger than a core's private caches, as allocator workloads'
 *            heaps are, so it feels other tenants' use of the shared ones.
 */
#ifndef HL_STEADINESS_H
#define HL_STEADINESS_H

#include <stddef.h>

#define HL_STEADY_MEMORY_BYTES (4u << 20)
#define HL_STEADY_SAMPLE_MS 10 /* per kernel and sample */

/* Change between consecutive samples: |t[i+1] / t[i] - 1|. */
typedef struct hl_steady_kernel {
    size_t samples;
    double median_change, p90_change; /* fractions */
    double min_ms, median_ms;         /* the sample times */
} hl_steady_kernel;

typedef struct hl_steadiness {
    hl_steady_kernel compute, memory;
} hl_steadiness;

/* Alternates the two kernels for about budget_ms (at least 3 samples of
 * each); 0 on success, -1 when out of memory or budget_ms is too short. */
int hl_steady_measure(unsigned budget_ms, hl_steadiness *out);

#endif
