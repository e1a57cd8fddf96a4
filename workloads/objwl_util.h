/* objwl_util.h - helpers shared by the object-layer workloads.
 *
 * A deterministic generator (splitmix64, Steele, Lea & Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014), a string hash
 * for checksums (FNV-1a), and readers of the /proc figures the memory
 * workloads report (RSS from /proc/self/statm, Private_Dirty from
 * /proc/<pid>/smaps_rollup with a fallback to summing /proc/<pid>/smaps).
 */
#ifndef HL_OBJWL_UTIL_H
#define HL_OBJWL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct hl_objwl_rng {
    uint64_t state;
} hl_objwl_rng;

static inline void hl_objwl_rng_seed(hl_objwl_rng *r, uint64_t seed, uint64_t stream)
{
    /* Different streams of one seed must not overlap trivially: mix the
     * stream id in with an odd multiplier. */
    r->state = seed ^ (stream * 0xD1B54A32D192ED03ull);
}

static inline uint64_t hl_objwl_next(hl_objwl_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound) for bound >= 1 (Lemire's multiply-shift; the tiny
 * bias is irrelevant for workload shapes and keeps it deterministic). */
static inline uint64_t hl_objwl_below(hl_objwl_rng *r, uint64_t bound)
{
    return (uint64_t)(((unsigned __int128)hl_objwl_next(r) * bound) >> 64);
}

/* FNV-1a over bytes, folded into a running checksum. */
static inline uint64_t hl_objwl_fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (h == 0)
        h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
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

#endif
