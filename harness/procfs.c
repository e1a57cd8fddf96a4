/* procfs.c - getrusage(2) and /proc readings; see procfs.h. */
#include "procfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int64_t hl_proc_status_kib(pid_t pid, const char *field)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/status");
    else
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
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

uint64_t hl_proc_rss_bytes(void)
{
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[128];
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    unsigned long long size_pages = 0, resident_pages = 0;
    if (sscanf(buf, "%llu %llu", &size_pages, &resident_pages) != 2)
        return 0;
    return (uint64_t)resident_pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

bool hl_proc_field(const char *path, const char *key, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    size_t klen = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *p = line + klen;
        p += strspn(p, " \t");
        if (*p != ':')
            continue;
        p++;
        p += strspn(p, " \t");
        p[strcspn(p, "\n")] = '\0';
        snprintf(out, outlen, "%s", p);
        found = true;
    }
    fclose(f);
    return found;
}

bool hl_proc_first_line(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(out, (int)outlen, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok;
}

int hl_proc_exe_dir(char *out, size_t outlen)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if (strlen(self) + 1 > outlen)
        return -1;
    memcpy(out, self, strlen(self) + 1);
    return 0;
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
    out->hwm_kib = hl_proc_status_kib(0, "VmHWM");
    out->rss_kib = hl_proc_status_kib(0, "VmRSS");
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
