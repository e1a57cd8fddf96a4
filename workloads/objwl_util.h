/* objwl_util.h - helpers shared by the object-layer workloads.
 *
 * Random choices come from rng.h (splitmix64).  Here: a string hash for
 * checksums (FNV-1a, Fowler/Noll/Vo), a failure recorder that keeps the first
 * problem a run found for verify(), and readers of the /proc figures the memory
 * workloads report (RSS from /proc/self/statm, Private_Dirty from
 * /proc/<pid>/smaps_rollup with a fallback to summing /proc/<pid>/smaps).
 */
#ifndef HL_OBJWL_UTIL_H
#define HL_OBJWL_UTIL_H

#include "rng.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct hl_rt; /* objects/runtime.h */

/* FNV-1a (Fowler/Noll/Vo) folded over 8-byte native-endian words, then
 * the tail bytes, into a running checksum: the byte-wise original costs a
 * multiply per byte, which would dominate a workload's own time on long
 * strs. */
static inline uint64_t hl_objwl_fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (h == 0)
        h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* Order-sensitive mix of one 64-bit value into a checksum. */
static inline uint64_t hl_objwl_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

/* Fills buf (len bytes, no terminator added) with printable characters
 * derived from value: the same value always gives the same text. */
void hl_objwl_fill_text(char *buf, size_t len, uint64_t value);

/* Resident set size of this process in bytes (/proc/self/statm), or -1. */
int64_t hl_objwl_rss_bytes(void);

/* Private_Dirty of process pid (0 = self) in KiB, from smaps_rollup or,
 * on kernels before 4.14, the sum over smaps.  -1 when unreadable. */
int64_t hl_objwl_private_dirty_kib(pid_t pid);

/* snprintf into err when err is non-NULL; always returns -1 for
 * `return hl_objwl_fail(err, errlen, ...)`. */
int hl_objwl_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- content hashes ------------------------------------------------------
 * A workload computes the hash of what it is about to store from its own C
 * values (hl_objwl_h_*), and later hashes the object it reads back
 * (hl_objwl_content_hash): a backend that corrupted the object's memory
 * makes the two differ.  The formulas must match one to one. */
enum {
    HL_OBJWL_H_INT = 0x11,
    HL_OBJWL_H_FLOAT = 0x22,
    HL_OBJWL_H_STR = 0x33,
    HL_OBJWL_H_NONE = 0x44,
    HL_OBJWL_H_TUPLE = 0x55,
    HL_OBJWL_H_LIST = 0x66,
    HL_OBJWL_H_DICT = 0x77,
    HL_OBJWL_H_INST = 0x88
};

static inline uint64_t hl_objwl_h_int(int64_t v)
{
    return hl_objwl_mix(HL_OBJWL_H_INT, (uint64_t)v);
}

static inline uint64_t hl_objwl_h_float(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return hl_objwl_mix(HL_OBJWL_H_FLOAT, bits);
}

static inline uint64_t hl_objwl_h_str(const char *s, size_t len)
{
    return hl_objwl_mix(HL_OBJWL_H_STR, hl_objwl_fnv(0, s, len) ^ len);
}

/* Sequences (tuple, list) and dicts: start, then fold each item's hash
 * (for dicts: key hash then value hash, in iteration order). */
static inline uint64_t hl_objwl_h_seq_start(int kind_tag, size_t n)
{
    return hl_objwl_mix((uint64_t)kind_tag, n);
}

struct hl_obj;
/* The hash of o's contents by the formulas above, descending at most
 * max_depth levels into containers (deeper containers and instances hash
 * as their kind and length only, so cycles terminate). */
uint64_t hl_objwl_content_hash(const struct hl_obj *o, unsigned max_depth);

/* Problems found while running (a value read back that differs from what
 * was stored, a wrong length): run() cannot fail, so it records them here
 * and verify() reports the first.  Invariant: first[0] != 0 iff count > 0. */
typedef struct hl_objwl_check {
    uint64_t count;
    char first[192];
} hl_objwl_check;

void hl_objwl_check_fail(hl_objwl_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 0 when nothing was recorded, else -1 with "<workload>: <first problem>
 * (and N more)" in err. */
int hl_objwl_check_report(const hl_objwl_check *c, const char *workload, char *err,
                          size_t errlen);

/* A checksum as a metric value: the top 53 bits, exactly representable. */
static inline double hl_objwl_checksum_metric(uint64_t h)
{
    return (double)(h >> 11);
}

/* Objects the collector has freed so far, over all generations: what the
 * workloads compare before and after to check that only cycles died by
 * collection. */
uint64_t hl_objwl_gc_collected(const struct hl_rt *rt);

/* Bytes live in the runtime's allocators as requested by callers: object
 * memory plus item arrays (counted once when both are the same handle). */
int64_t hl_objwl_live_bytes(struct hl_rt *rt);

#endif
