/* mimalloc.c - mimalloc through its mi_ API.
 *
 * How it works: direct mi_* calls, which reach mimalloc even when malloc is
 * the sanitizer's.  mimalloc can answer "is this mine" safely for any
 * pointer (mi_is_in_heap_region consults its segment map), so it has a
 * sound owns() -- with one limit found by test_ownership: the segment map
 * only covers the address range mimalloc places its segments in through
 * mmap hints (2 TiB and up on x86-64).  Under ASan those hints are not
 * honoured, segments land near 0x7f..., and mi_is_in_heap_region answers
 * false for mimalloc's own blocks.  owns() then asks mi_check_owned, which
 * walks the calling thread's heap pages instead ("safe for any pointer",
 * mimalloc.h; slow, but owns is only for tests): a block another thread
 * allocated is still missed there, so the probe asks from the allocating
 * thread.  Statistics are mi_process_info's: mimalloc's detailed counters
 * are compiled out of release builds (MI_STAT=0), but the process figures
 * are always available.
 */
#include "backends.h"

#include <mimalloc.h>
#include <pthread.h>
#include <stdio.h>

static char version_text[16];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void format_version(void)
{
    /* mi_version() encodes major*100 + minor*10 + patch: 209 is 2.0.9 (the
     * header's MI_MALLOC_VERSION uses the same encoding). */
    int v = mi_version();
    snprintf(version_text, sizeof version_text, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
}

static const char *mimalloc_version(void *ctx)
{
    pthread_once(&version_once, format_version);
    return version_text;
}

static void *mimalloc_malloc(void *ctx, size_t size)
{
    return mi_malloc(size);
}

static void *mimalloc_calloc(void *ctx, size_t count, size_t size)
{
    return mi_calloc(count, size);
}

static void *mimalloc_realloc(void *ctx, void *ptr, size_t size)
{
    return mi_realloc(ptr, size);
}

static void mimalloc_free(void *ctx, void *ptr)
{
    mi_free(ptr);
}

static void mimalloc_free_sized(void *ctx, void *ptr, size_t size)
{
    mi_free_size(ptr, size);
}

static size_t mimalloc_usable_size(void *ctx, const void *ptr)
{
    return mi_usable_size(ptr);
}

static bool mimalloc_owns(void *ctx, const void *ptr)
{
    return mi_is_in_heap_region(ptr) || mi_check_owned(ptr);
}

static size_t mimalloc_native_stats(void *ctx, hl_stat *out, size_t max)
{
    size_t elapsed = 0, user = 0, sys = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0,
           faults = 0;
    mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    /* current_rss is left out: on Linux mimalloc 2.0.9 has no cheap RSS
     * query and reports its committed bytes there (checked: current_rss ==
     * current_commit, above peak_rss from getrusage).  RSS is the harness's
     * job (/proc); commit is mimalloc's own figure. */
    (void)rss;
    const hl_stat all[] = {
        {"process.elapsed_msecs", elapsed},   {"process.user_msecs", user},
        {"process.system_msecs", sys},        {"process.peak_rss", peak_rss},
        {"process.current_commit", commit},   {"process.peak_commit", peak_commit},
        {"process.page_faults", faults},
    };
    size_t n = 0;
    for (; n < max && n < sizeof all / sizeof all[0]; n++)
        out[n] = all[n];
    return n;
}

static void mimalloc_trim(void *ctx)
{
    mi_collect(true);
}

/* This file defines its variant (backend.h). */
const hl_backend hl_native_backend = {
    .name = "mimalloc",
    .thread_safe = true,
    .version = mimalloc_version,
    .malloc = mimalloc_malloc,
    .calloc = mimalloc_calloc,
    .realloc = mimalloc_realloc,
    .free = mimalloc_free,
    .free_sized = mimalloc_free_sized,
    .usable_size = mimalloc_usable_size,
    .owns = mimalloc_owns,
    .native_stats = mimalloc_native_stats,
    .trim = mimalloc_trim,
};
