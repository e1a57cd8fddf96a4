/* steadiness.c - see steadiness.h.
 *
 * How it works
 * ------------
 * Each kernel is first calibrated: its step count is doubled until one
 * sample takes HL_STEADY_SAMPLE_MS, after a first untimed pass that faults
 * the memory kernel's pages in and warms both up.  Then the kernels
 * alternate, compute then memory, until the budget is spent, and each
 * sample's wall time (CLOCK_MONOTONIC) is kept.  The memory kernel walks a
 * single random cycle through its array (Sattolo's algorithm: S. Sattolo,
 * "An algorithm to generate a random cyclic permutation", Information
 * Processing Letters 22, 1986), so every load depends on the previous one
 * and the hardware prefetcher cannot guess the next line.
 */
#include "steadiness.h"

#include "stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014). */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t *make_cycle(size_t n)
{
    uint32_t *next = malloc(n * sizeof *next);
    if (!next)
        return NULL;
    for (size_t i = 0; i < n; i++)
        next[i] = (uint32_t)i;
    uint64_t s = 42;
    for (size_t i = n - 1; i > 0; i--) { /* Sattolo: j < i, never j == i */
        size_t j = (size_t)(splitmix(&s) % i);
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    return next;
}

/* The kernels return their result so the compiler keeps the work. */
static uint64_t compute_kernel(uint64_t steps)
{
    uint64_t x = 1;
    for (uint64_t i = 0; i < steps; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

static uint64_t memory_kernel(const uint32_t *next, uint64_t steps)
{
    uint32_t at = 0;
    for (uint64_t i = 0; i < steps; i++)
        at = next[at];
    return at;
}

typedef struct kernel {
    const uint32_t *next; /* NULL: the compute kernel */
    uint64_t steps;
    double *ms;
    size_t n;
} kernel;

static volatile uint64_t sink;

static double run_once(const kernel *k, uint64_t steps)
{
    double t0 = now_ms();
    sink += k->next ? memory_kernel(k->next, steps) : compute_kernel(steps);
    return now_ms() - t0;
}

static void calibrate(kernel *k)
{
    k->steps = 1024;
    run_once(k, HL_STEADY_MEMORY_BYTES / sizeof(uint32_t)); /* fault in, warm up */
    while (k->steps < (UINT64_C(1) << 40) && run_once(k, k->steps) < HL_STEADY_SAMPLE_MS)
        k->steps *= 2;
}

static void summarize(const kernel *k, hl_steady_kernel *out)
{
    out->samples = k->n;
    out->min_ms = hl_stats_min(k->ms, k->n);
    out->median_ms = hl_stats_median(k->ms, k->n);
    double *change = malloc((k->n ? k->n : 1) * sizeof *change);
    size_t m = 0;
    for (size_t i = 0; change && i + 1 < k->n; i++)
        if (k->ms[i] > 0)
            change[m++] = fabs(k->ms[i + 1] / k->ms[i] - 1);
    out->median_change = m ? hl_stats_median(change, m) : NAN;
    out->p90_change = m ? hl_stats_percentile(change, m, 90) : NAN;
    free(change);
}

int hl_steady_measure(unsigned budget_ms, hl_steadiness *out)
{
    size_t cap = budget_ms / HL_STEADY_SAMPLE_MS / 2 + 1;
    if (cap < 3)
        return -1;
    uint32_t *next = make_cycle(HL_STEADY_MEMORY_BYTES / sizeof(uint32_t));
    kernel k[2] = {{NULL, 0, malloc(cap * sizeof(double)), 0},
                   {next, 0, malloc(cap * sizeof(double)), 0}};
    int rc = -1;
    if (next && k[0].ms && k[1].ms) {
        double start = now_ms();
        calibrate(&k[0]);
        calibrate(&k[1]);
        while (k[1].n < cap && (k[1].n < 3 || now_ms() - start < budget_ms))
            for (int i = 0; i < 2; i++)
                k[i].ms[k[i].n++] = run_once(&k[i], k[i].steps);
        summarize(&k[0], &out->compute);
        summarize(&k[1], &out->memory);
        rc = 0;
    }
    free(next);
    free(k[0].ms);
    free(k[1].ms);
    return rc;
}
