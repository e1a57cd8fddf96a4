/* procfs.h - the harness's one reader of what the kernel says about
 * processes and the machine: getrusage(2) and the /proc and /sys files of
 * proc(5).  Every other harness file asks here instead of opening /proc.
 *
 * Peak RSS comes from two sources that should agree: VmHWM in
 * /proc/<pid>/status ("peak resident set size", KiB) and ru_maxrss (KiB on
 * Linux).  Both cover the whole process life.
 *
 * Readers are best-effort: a file that cannot be read gives -1, 0 or false
 * as documented, never an error message, because /proc may be restricted
 * (containers, hidepid) and a missing figure must not stop a measurement.
 */
#ifndef HL_PROCFS_H
#define HL_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct hl_procstat {
    double wall_s;        /* CLOCK_MONOTONIC */
    double user_s, sys_s; /* RUSAGE_SELF: every thread, living or joined */
    uint64_t minflt, majflt;
    uint64_t nvcsw, nivcsw;
    uint64_t maxrss_kib;  /* ru_maxrss */
    int64_t hwm_kib;      /* VmHWM, -1 when /proc is unreadable */
    int64_t rss_kib;      /* VmRSS, -1 when /proc is unreadable */
} hl_procstat;

/* This process, now. */
void hl_procstat_read(hl_procstat *out);

/* after - before for the counters and times; the peaks and RSS of `after`. */
void hl_procstat_delta(const hl_procstat *before, const hl_procstat *after, hl_procstat *out);

/* A "Name:   1234 kB" field of /proc/<pid>/status in KiB (pid 0: this
 * process), or -1. */
int64_t hl_proc_status_kib(pid_t pid, const char *field);

/* This process's resident set in bytes from /proc/self/statm (one read(2),
 * cheap enough for a sampler thread), or 0 when unreadable. */
uint64_t hl_proc_rss_bytes(void);

/* The value after "key<blanks>:" in a "key : value" file (/proc/cpuinfo,
 * /proc/meminfo), first match, into out; false when absent. */
bool hl_proc_field(const char *path, const char *key, char *out, size_t outlen);

/* The first line of a (/proc or /sys) file without its newline; false when
 * unreadable. */
bool hl_proc_first_line(const char *path, char *out, size_t outlen);

/* The directory of this process's executable (/proc/self/exe), so that the
 * driver finds its cells and the build's files wherever the build tree is;
 * 0, or -1 when it cannot be read or does not fit. */
int hl_proc_exe_dir(char *out, size_t outlen);

#endif
