/* tbbmalloc.c - oneTBB's scalable allocator (libtbbmalloc) through its
 * scalable_* API.
 *
 * How it works: direct scalable_malloc/calloc/realloc/free/msize calls
 * (oneTBB documentation, "Memory Allocation", C interface to the scalable
 * allocator; oneapi/tbb/scalable_allocator.h), which reach tbbmalloc even
 * when malloc is the sanitizer's.  As a process variant, malloc itself is
 * tbbmalloc's too: libtbbmalloc_proxy exports malloc, free, ..., forwarding
 * them to libtbbmalloc, and sits ahead of libc in DT_NEEDED (registry.c
 * checks it).  That is the library mimalloc-bench preloads for "tbb"
 * (daanx/mimalloc-bench, bench.sh: libtbbmalloc_proxy.so under LD_PRELOAD).
 *
 * tbbmalloc has no sized free, and size 0 and calloc overflow are handled
 * by the library (a minimal block; NULL with ENOMEM).  Per-thread caches
 * are set up lazily on a thread's first call and returned by tbbmalloc's
 * own thread-exit handler, so no thread hooks are needed.  trim is
 * scalable_allocation_command(TBBMALLOC_CLEAN_ALL_BUFFERS), which in oneTBB
 * 2021.8 dereferences tbbmalloc's default pool before the first allocation
 * has set it up (found by test_ownership under ASan, where malloc is not
 * tbbmalloc's and nothing has allocated from it yet): open() therefore
 * makes one allocation, which initialises the library.
 *
 * Ownership: tbbmalloc keeps no counters it exports, but it can tell its
 * own blocks: __TBB_malloc_safer_msize(p, NULL) returns p's size when
 * tbbmalloc recognises p and 0 otherwise (oneTBB src/tbbmalloc/frontend.cpp:
 * isRecognized first bounds p by the address range tbbmalloc got from the
 * OS, then checks the block's back reference).  It is what the proxy itself
 * calls for malloc_usable_size of any pointer, exported by libtbbmalloc.so.2
 * though no header declares it, so it is declared here.
 *
 * Version: libtbbmalloc has no version query (its version string is only
 * printed under TBB_VERSION=1), and oneTBB's version header is C++ only;
 * the file name of the library actually loaded (libtbbmalloc.so.2.8 for
 * oneTBB 2021.8) is reported instead.
 */
#include "backends.h"

#include <oneapi/tbb/scalable_allocator.h>

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libtbbmalloc.so.2 (see the top of this file). */
size_t __TBB_malloc_safer_msize(void *object, size_t (*original_msize)(void *));

static char version_text[64];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void find_version(void)
{
    Dl_info info;
    char path[PATH_MAX];
    snprintf(version_text, sizeof version_text, "libtbbmalloc (unknown version)");
    if (dladdr((void *)scalable_malloc, &info) == 0 || info.dli_fname == NULL ||
        realpath(info.dli_fname, path) == NULL)
        return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strlen(base) < sizeof version_text)
        memcpy(version_text, base, strlen(base) + 1);
}

/* tbbmalloc is one per process: the instance is NULL. */
static int tbbmalloc_open(const char *options, const hl_raw *raw, void **ctx, char *err,
                          size_t errlen)
{
    void *p = scalable_malloc(1);
    if (p == NULL) {
        snprintf(err, errlen, "tbbmalloc: scalable_malloc(1) failed at start-up");
        return -1;
    }
    scalable_free(p);
    *ctx = NULL;
    return 0;
}

static const char *tbbmalloc_version(void *ctx)
{
    pthread_once(&version_once, find_version);
    return version_text;
}

static void *tbbmalloc_malloc(void *ctx, size_t size)
{
    return scalable_malloc(size);
}

static void *tbbmalloc_calloc(void *ctx, size_t count, size_t size)
{
    return scalable_calloc(count, size);
}

static void *tbbmalloc_realloc(void *ctx, void *ptr, size_t size)
{
    return scalable_realloc(ptr, size);
}

static void tbbmalloc_free(void *ctx, void *ptr)
{
    scalable_free(ptr);
}

static size_t tbbmalloc_usable_size(void *ctx, const void *ptr)
{
    return ptr ? scalable_msize((void *)ptr) : 0;
}

static bool tbbmalloc_owns(void *ctx, const void *ptr)
{
    return ptr != NULL && __TBB_malloc_safer_msize((void *)ptr, NULL) != 0;
}

static void tbbmalloc_trim(void *ctx)
{
    scalable_allocation_command(TBBMALLOC_CLEAN_ALL_BUFFERS, NULL);
}

/* This file defines its variant (backend.h). */
const hl_backend hl_native_backend = {
    .name = "tbbmalloc",
    .thread_safe = true,
    .open = tbbmalloc_open,
    .version = tbbmalloc_version,
    .malloc = tbbmalloc_malloc,
    .calloc = tbbmalloc_calloc,
    .realloc = tbbmalloc_realloc,
    .free = tbbmalloc_free,
    .free_sized = NULL, /* tbbmalloc has none */
    .usable_size = tbbmalloc_usable_size,
    .owns = tbbmalloc_owns,
    .native_stats = NULL, /* none exported: the probe uses owns() */
    .trim = tbbmalloc_trim,
};
