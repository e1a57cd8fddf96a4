/* procstat.c - getrusage(2) and /proc/self/status readings; see procstat.h. */
#include "procstat.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int64_t hl_proc_status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    size_t flen = strlen(field);
    int64_t v = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        long long kib;
        if (strncmp(line, field, flen) == 0 && line[flen] == ':' &&
            sscanf(line + flen + 1, "%lld", &kib) == 1) {
            v = kib;
            break;
        }
    }
    fclose(f);
    return v;
}

static double tv_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void hl_procstat_read(hl_procstat *out)
{
    struct timespec ts;
    struct rusage ru;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    getrusage(RUSAGE_SELF, &ru);
    out->wall_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    out->user_s = tv_seconds(ru.ru_utime);
    out->sys_s = tv_seconds(ru.ru_stime);
    out->minflt = (uint64_t)ru.ru_minflt;
    out->majflt = (uint64_t)ru.ru_majflt;
    out->nvcsw = (uint64_t)ru.ru_nvcsw;
    out->nivcsw = (uint64_t)ru.ru_nivcsw;
    out->maxrss_kib = (uint64_t)ru.ru_maxrss;
    out->hwm_kib = hl_proc_status_kib("VmHWM");
    out->rss_kib = hl_proc_status_kib("VmRSS");
}

void hl_procstat_delta(const hl_procstat *before, const hl_procstat *after, hl_procstat *out)
{
    out->wall_s = after->wall_s - before->wall_s;
    out->user_s = after->user_s - before->user_s;
    out->sys_s = after->sys_s - before->sys_s;
    out->minflt = after->minflt - before->minflt;
    out->majflt = after->majflt - before->majflt;
    out->nvcsw = after->nvcsw - before->nvcsw;
    out->nivcsw = after->nivcsw - before->nivcsw;
    out->maxrss_kib = after->maxrss_kib;
    out->hwm_kib = after->hwm_kib;
    out->rss_kib = after->rss_kib;
}
