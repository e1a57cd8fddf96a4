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

#include "../allocators/alloc.h"
#include "../objects/gc.h"
#include "../objects/runtime.h"
#include "../objects/object.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hl_objwl_fill_text(char *buf, size_t len, uint64_t value)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
    for (size_t i = 0; i < len; i += 8) {
        uint64_t x = hl_mix64(value + i * 0x9E3779B97F4A7C15ull);
        size_t k = len - i < 8 ? len - i : 8;
        for (size_t j = 0; j < k; j++)
            buf[i + j] = alphabet[(x >> (8 * j)) & 63];
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

void hl_objwl_check_fail(hl_objwl_check *c, const char *fmt, ...)
{
    if (c->count++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->first, sizeof c->first, fmt, ap);
        va_end(ap);
        if (c->first[0] == '\0')
            snprintf(c->first, sizeof c->first, "check failed");
    }
}

int hl_objwl_check_report(const hl_objwl_check *c, const char *workload, char *err,
                          size_t errlen)
{
    if (c->count == 0)
        return 0;
    if (c->count == 1)
        return hl_objwl_fail(err, errlen, "%s: %s", workload, c->first);
    return hl_objwl_fail(err, errlen, "%s: %s (and %llu more)", workload, c->first,
                         (unsigned long long)(c->count - 1));
}

uint64_t hl_objwl_content_hash(const hl_obj *o, unsigned max_depth)
{
    if (o == NULL)
        return 0;
    switch (hl_obj_kind(o)) {
    case HL_KIND_NONE:
        return HL_OBJWL_H_NONE;
    case HL_KIND_INT:
        return hl_objwl_h_int(hl_int_value(o));
    case HL_KIND_FLOAT:
        return hl_objwl_h_float(hl_float_value(o));
    case HL_KIND_STR:
        return hl_objwl_h_str(hl_str_data(o), hl_str_len(o));
    case HL_KIND_TUPLE: {
        size_t n = hl_tuple_len(o);
        uint64_t h = hl_objwl_h_seq_start(HL_OBJWL_H_TUPLE, n);
        if (max_depth > 0)
            for (size_t i = 0; i < n; i++)
                h = hl_objwl_mix(h, hl_objwl_content_hash(hl_tuple_get(o, i), max_depth - 1));
        return h;
    }
    case HL_KIND_LIST: {
        size_t n = hl_list_len(o);
        uint64_t h = hl_objwl_h_seq_start(HL_OBJWL_H_LIST, n);
        if (max_depth > 0)
            for (size_t i = 0; i < n; i++)
                h = hl_objwl_mix(h, hl_objwl_content_hash(hl_list_get(o, i), max_depth - 1));
        return h;
    }
    case HL_KIND_DICT: {
        uint64_t h = hl_objwl_h_seq_start(HL_OBJWL_H_DICT, hl_dict_len(o));
        if (max_depth > 0) {
            size_t pos = 0;
            hl_obj *k, *v;
            while (hl_dict_next(o, &pos, &k, &v)) {
                h = hl_objwl_mix(h, hl_objwl_content_hash(k, max_depth - 1));
                h = hl_objwl_mix(h, hl_objwl_content_hash(v, max_depth - 1));
            }
        }
        return h;
    }
    case HL_KIND_INST:
    case HL_KIND_LISTITER:
    case HL_KIND_COUNT:
        break;
    }
    return hl_objwl_mix(HL_OBJWL_H_INST, 0);
}

uint64_t hl_objwl_gc_collected(const hl_rt *rt)
{
    hl_gc_stats s[HL_GC_GENERATIONS];
    hl_gc_get_stats(rt, s);
    uint64_t total = 0;
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        total += s[g].collected;
    return total;
}

int64_t hl_objwl_live_bytes(struct hl_rt *rt)
{
    hl_alloc_stats s;
    hl_allocator *om = hl_rt_obj_mem(rt), *im = hl_rt_item_mem(rt);
    hl_allocator_stats(om, &s);
    int64_t live = s.live_bytes;
    if (im != om) {
        hl_allocator_stats(im, &s);
        live += s.live_bytes;
    }
    return live;
}
