/* jemalloc.c - jemalloc through its non-standard API.
 *
 * How it works: the *x API (mallocx, rallocx, sdallocx, sallocx) instead of
 * malloc/free, for two reasons.  It adds what the standard API lacks (sized
 * free: sdallocx skips the size-class lookup on free), and it reaches
 * jemalloc even when malloc belongs to someone else (ASan builds), so the
 * backend always measures jemalloc.  jemalloc leaves size 0 undefined for
 * mallocx/rallocx: 0 is served as 1 (what jemalloc's own malloc(0) does), and
 * realloc(p, 0) frees p and returns NULL (glibc's behaviour).
 * Statistics come from mallctl after bumping "epoch", which is how jemalloc
 * refreshes its cached stats (jemalloc(3), "epoch").
 */
#include "backends.h"

#include <jemalloc/jemalloc.h>
#include <stdint.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const char *jemalloc_version(void *ctx)
{
    const char *v = NULL;
    size_t len = sizeof v;
    if (mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL)
        return JEMALLOC_VERSION; /* header of the library we compiled against */
    return v;
}

static void *jemalloc_malloc(void *ctx, size_t size)
{
    return mallocx(size ? size : 1, 0);
}

static void *jemalloc_calloc(void *ctx, size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total))
        return NULL;
    return mallocx(total ? total : 1, MALLOCX_ZERO);
}

static void *jemalloc_realloc(void *ctx, void *ptr, size_t size)
{
    if (ptr == NULL)
        return jemalloc_malloc(ctx, size);
    if (size == 0) {
        dallocx(ptr, 0);
        return NULL;
    }
    return rallocx(ptr, size, 0);
}

static void jemalloc_free(void *ctx, void *ptr)
{
    if (ptr != NULL)
        dallocx(ptr, 0);
}

static void jemalloc_free_sized(void *ctx, void *ptr, size_t size)
{
    if (ptr != NULL)
        sdallocx(ptr, size ? size : 1, 0);
}

static size_t jemalloc_usable_size(void *ctx, const void *ptr)
{
    return ptr ? sallocx(ptr, 0) : 0;
}

static size_t jemalloc_native_stats(void *ctx, hl_stat *out, size_t max)
{
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    /* Writing "epoch" makes the stats.* values current. */
    if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
        return 0;
    static const char *const names[] = {
        "stats.allocated", "stats.active",   "stats.resident",
        "stats.mapped",    "stats.retained", "stats.metadata",
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < max; i++) {
        size_t value = 0;
        len = sizeof value;
        if (mallctl(names[i], &value, &len, NULL, 0) == 0)
            out[n++] = (hl_stat){names[i], value};
    }
    unsigned narenas = 0;
    len = sizeof narenas;
    if (n < max && mallctl("arenas.narenas", &narenas, &len, NULL, 0) == 0)
        out[n++] = (hl_stat){"arenas.narenas", narenas};
    return n;
}

static void jemalloc_trim(void *ctx)
{
    /* This thread's cache first (its blocks are counted as allocated until
     * flushed), then every arena's unused dirty pages. */
    mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
    mallctl("arena." STRINGIFY(MALLCTL_ARENAS_ALL) ".purge", NULL, NULL, NULL, 0);
}

/* This file defines its variant (backend.h). */
const hl_backend hl_native_backend = {
    .name = "jemalloc",
    .thread_safe = true,
    .version = jemalloc_version,
    .malloc = jemalloc_malloc,
    .calloc = jemalloc_calloc,
    .realloc = jemalloc_realloc,
    .free = jemalloc_free,
    .free_sized = jemalloc_free_sized,
    .usable_size = jemalloc_usable_size,
    .owns = NULL, /* jemalloc has no public, safe ownership query for foreign pointers */
    .native_stats = jemalloc_native_stats,
    .trim = jemalloc_trim,
};
