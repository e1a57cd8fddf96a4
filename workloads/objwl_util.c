/* objwl_util.c - /proc readers and small helpers for the object workloads.
 *
 * /proc/self/statm: "size resident shared text lib data dt" in pages
 * (proc(5)).  /proc/<pid>/smaps_rollup (Linux 4.14+) holds the per-mapping
 * smaps fields summed over the process, one "Name:   value kB" per line;
 * older kernels only have smaps, where we add up every Private_Dirty line.
 * Both are read with plain read(2) into a stack buffer: a workload calls
 * these in forked children, where stdio's buffers would be one more thing
 * to dirty and to leave unflushed at _exit.
 */
#include "objwl_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hl_objwl_fill_text(char *buf, size_t len, uint64_t value)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
    uint64_t x = value;
    for (size_t i = 0; i < len; i++) {
        if (i % 10 == 0)
            x = hl_objwl_mix(value, i + 1) * 0x9E3779B97F4A7C15ull;
        buf[i] = alphabet[x & 63];
        x >>= 6;
    }
}

int hl_objwl_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int64_t hl_objwl_rss_bytes(void)
{
    char buf[256];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0)
        return -1;
    buf[got] = '\0';
    unsigned long long size_pages, resident_pages;
    if (sscanf(buf, "%llu %llu", &size_pages, &resident_pages) != 2)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    return (int64_t)resident_pages * (page > 0 ? page : 4096);
}

/* Sums the values of every line starting with "Private_Dirty:" in the file
 * at path, reading it in chunks; a line split across chunks is carried over. */
static int64_t sum_private_dirty(const char *path)
{
    static const char key[] = "Private_Dirty:";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[8192];
    size_t have = 0;
    int64_t total = 0;
    int found = 0;
    for (;;) {
        ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        have += (size_t)got;
        buf[have] = '\0';
        char *line = buf;
        char *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            if (strncmp(line, key, sizeof key - 1) == 0) {
                total += strtoll(line + sizeof key - 1, NULL, 10);
                found = 1;
            }
            line = nl + 1;
        }
        size_t rest = have - (size_t)(line - buf);
        if (rest == sizeof buf - 1)
            rest = 0; /* a line longer than the buffer: not a field line */
        memmove(buf, line, rest);
        have = rest;
    }
    close(fd);
    return found ? total : -1;
}

int64_t hl_objwl_private_dirty_kib(pid_t pid)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    else
        snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    int64_t kib = sum_private_dirty(path);
    if (kib >= 0)
        return kib;
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/smaps");
    else
        snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    return sum_private_dirty(path);
}
