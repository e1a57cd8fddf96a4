/* noise.h - is this machine quiet enough to time allocators on?  In the
 * spirit of pyperf's `system show` / `check` (pyperf docs, "Tune the system
 * for benchmarks"): the CPU frequency governor and boost, transparent huge
 * pages, ASLR, the load average, other processes using the CPUs right now,
 * the CPU count, a CPU quota of the process's cgroup, whether this is a
 * virtual machine, and the measured steadiness of the same work's time
 * (steadiness.h).  `heaplab check` prints the findings; every run records
 * them in its metadata, and its summary warns about those that threaten
 * its numbers.
 */
#ifndef HL_NOISE_H
#define HL_NOISE_H

#include "json.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_NOISE_MAX 24

typedef struct hl_noise_finding {
    char key[32];
    char value[160];
    bool warn;          /* threatens time measurements */
    char advice[240];   /* what to do about it ("" when nothing is needed) */
} hl_noise_finding;

typedef struct hl_noise {
    size_t n;
    hl_noise_finding f[HL_NOISE_MAX];
} hl_noise;

/* Looks at the machine now; sample_ms: how long to watch other processes'
 * CPU use while the steadiness probe runs (0: skip both). */
void hl_noise_check(hl_noise *out, unsigned sample_ms);

/* As a JSON array of {key, value, warn, advice}. */
void hl_noise_write(hl_jw *w, const char *key, const hl_noise *n);

/* How many findings warn. */
size_t hl_noise_warnings(const hl_noise *n);

#endif
