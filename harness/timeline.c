/* timeline.c - memory timeline sampler (see timeline.h).
 *
 * How it works
 * ------------
 * A thread wakes every period (clock_nanosleep on an absolute CLOCK_MONOTONIC
 * deadline, so the period does not drift with the sampling cost), reads the
 * second field of /proc/self/statm (resident pages) and sums
 * hl_allocator_sample() over the given allocators (safe from any thread,
 * alloc.h), and appends the sample to a malloc'd array under a mutex.  stop
 * flips a flag the thread checks after each sleep and joins it.  Samples are
 * kept in memory and written as CSV only afterwards, so no I/O happens while
 * the workload runs (memory_profiler's mprof writes as it goes).
 */
#include "timeline.h"

#include "procfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HL_TIMELINE_MAX_ALLOCS 8

struct hl_timeline {
    hl_allocator *allocs[HL_TIMELINE_MAX_ALLOCS];
    size_t nallocs;
    unsigned period_ms;
    struct timespec t0;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    pthread_mutex_t lock;
    hl_timeline_sample *samples; /* guarded by lock while running */
    size_t n, cap;
};

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void take_sample(hl_timeline *tl)
{
    hl_timeline_sample s;
    s.t_seconds = since(&tl->t0);
    s.rss_bytes = hl_proc_rss_bytes();
    s.live_bytes = 0;
    for (size_t i = 0; i < tl->nallocs; i++)
        s.live_bytes += hl_allocator_sample(tl->allocs[i]);
    pthread_mutex_lock(&tl->lock);
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 1024;
        hl_timeline_sample *p = realloc(tl->samples, cap * sizeof *p);
        if (p != NULL) {
            tl->samples = p;
            tl->cap = cap;
        }
    }
    if (tl->n < tl->cap)
        tl->samples[tl->n++] = s;
    pthread_mutex_unlock(&tl->lock);
}

static void *sampler(void *arg)
{
    hl_timeline *tl = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&tl->stop)) {
        next.tv_nsec += (long)tl->period_ms * 1000000L;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
        if (atomic_load(&tl->stop))
            break;
        take_sample(tl);
    }
    return NULL;
}

hl_timeline *hl_timeline_start(hl_allocator *const *allocs, size_t n, unsigned period_ms,
                               char *err, size_t errlen)
{
    if (n > HL_TIMELINE_MAX_ALLOCS) {
        snprintf(err, errlen, "hl_timeline_start: %zu allocators given, at most %d", n,
                 HL_TIMELINE_MAX_ALLOCS);
        return NULL;
    }
    if (period_ms > 60000) {
        snprintf(err, errlen, "hl_timeline_start: period %u ms is too long (at most 60000)",
                 period_ms);
        return NULL;
    }
    if (hl_proc_rss_bytes() == 0) {
        snprintf(err, errlen, "hl_timeline_start: cannot read /proc/self/statm");
        return NULL;
    }
    hl_timeline *tl = calloc(1, sizeof *tl);
    if (tl == NULL) {
        snprintf(err, errlen, "hl_timeline_start: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        tl->allocs[i] = allocs[i];
    tl->nallocs = n;
    tl->period_ms = period_ms ? period_ms : 10;
    pthread_mutex_init(&tl->lock, NULL);
    atomic_init(&tl->stop, false);
    clock_gettime(CLOCK_MONOTONIC, &tl->t0);
    take_sample(tl);
    int rc = pthread_create(&tl->thread, NULL, sampler, tl);
    if (rc != 0) {
        snprintf(err, errlen, "hl_timeline_start: pthread_create failed: %s", strerror(rc));
        pthread_mutex_destroy(&tl->lock);
        free(tl->samples);
        free(tl);
        return NULL;
    }
    tl->running = true;
    return tl;
}

void hl_timeline_stop(hl_timeline *tl)
{
    if (!tl->running)
        return;
    atomic_store(&tl->stop, true);
    pthread_join(tl->thread, NULL);
    tl->running = false;
    take_sample(tl);
}

int hl_timeline_write_csv(const hl_timeline *tl, FILE *f)
{
    hl_timeline *m = (hl_timeline *)tl;
    pthread_mutex_lock(&m->lock);
    int rc = fprintf(f, "t_seconds,rss_bytes,live_bytes\n") < 0 ? -1 : 0;
    for (size_t i = 0; i < tl->n && rc == 0; i++) {
        const hl_timeline_sample *s = &tl->samples[i];
        if (fprintf(f, "%.6f,%llu,%lld\n", s->t_seconds, (unsigned long long)s->rss_bytes,
                    (long long)s->live_bytes) < 0)
            rc = -1;
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == 0 && fflush(f) != 0)
        rc = -1;
    return rc;
}

size_t hl_timeline_count(const hl_timeline *tl)
{
    hl_timeline *m = (hl_timeline *)tl;
    pthread_mutex_lock(&m->lock);
    size_t n = tl->n;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const hl_timeline_sample *hl_timeline_at(const hl_timeline *tl, size_t i)
{
    return i < tl->n ? &tl->samples[i] : NULL;
}

void hl_timeline_free(hl_timeline *tl)
{
    if (tl == NULL)
        return;
    hl_timeline_stop(tl);
    pthread_mutex_destroy(&tl->lock);
    free(tl->samples);
    free(tl);
}
