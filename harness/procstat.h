/* procstat.h - what the kernel says about this process: getrusage(2) and
 * /proc/self/status, read before and after a measured region.
 *
 * Peak RSS comes from two sources that should agree: VmHWM in
 * /proc/self/status (proc(5): "peak resident set size", KiB) and ru_maxrss
 * (KiB on Linux).  Both cover the whole process life.
 */
#ifndef HL_PROCSTAT_H
#define HL_PROCSTAT_H

#include <stdint.h>

typedef struct hl_procstat {
    double wall_s;        /* CLOCK_MONOTONIC */
    double user_s, sys_s; /* RUSAGE_SELF: every thread, living or joined */
    uint64_t minflt, majflt;
    uint64_t nvcsw, nivcsw;
    uint64_t maxrss_kib;  /* ru_maxrss */
    int64_t hwm_kib;      /* VmHWM, -1 when /proc is unreadable */
    int64_t rss_kib;      /* VmRSS, -1 when /proc is unreadable */
} hl_procstat;

void hl_procstat_read(hl_procstat *out);

/* after - before for the counters and times; the peaks and RSS of `after`. */
void hl_procstat_delta(const hl_procstat *before, const hl_procstat *after, hl_procstat *out);

/* A "Name:   1234 kB" field of /proc/self/status in KiB, or -1. */
int64_t hl_proc_status_kib(const char *field);

#endif
