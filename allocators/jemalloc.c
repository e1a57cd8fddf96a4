/* jemalloc.c - jemalloc, through malloc/free by default or its *x API.
 *
 * How it works
 * ------------
 * Three ways in, chosen by the spec's api= option:
 *
 *   api=malloc   (default) jemalloc's own malloc, calloc, realloc and free:
 *                what a program calls, and what the programs heaplab follows
 *                call -- CPython's PyMem_RawMalloc is malloc, and the
 *                mimalloc-bench programs call malloc/free or new/delete
 *                (daanx/mimalloc-bench, bench/).  The other process
 *                backends are measured the same way: mi_malloc, tc_malloc,
 *                scalable_malloc are those libraries' malloc.
 *   api=sdallocx jemalloc's malloc, and sdallocx(p, size, 0) for every free
 *                whose size heaplab knows (all of them): jemalloc's sized
 *                free, which takes the size class from the size instead of
 *                looking the pointer up.
 *   api=mallocx  the non-standard API throughout: mallocx, rallocx,
 *                sdallocx/dallocx (heaplab's only way in before 2026-12).
 *
 * Why malloc is the default: with jemalloc 5.3 mallocx has no inlined fast
 * path (malloc has: imalloc_fastpath), so mallocx/sdallocx costs more
 * instructions per malloc+free than malloc/free, and a jemalloc measured
 * that way is not the jemalloc a program gets.  Instructions per operation
 * (heaplab run --measure instructions, seed 1, jemalloc 5.3):
 *
 *                          api=malloc  api=sdallocx  api=mallocx
 *   pairs 16 B LIFO           154.1       152.1        220.1
 *   pairs 64 B random         186.5       185.5        253.5
 *   glibc_simple 16 B         195.9       193.9        261.9
 *   glibc_thread (2 thr)      276.5       271.7        340.5
 *
 * Reaching jemalloc's malloc, not "malloc".  In the jemalloc variant malloc
 * is jemalloc's (the registry checks it), but under ASan it is the
 * sanitizer's.  open() therefore looks the four functions up in the very
 * object that defines mallocx (dladdr, then dlsym on that object's handle)
 * and checks that each one is defined there; the hot calls go through those
 * pointers, which costs what a call through the PLT costs.
 *
 * jemalloc leaves size 0 undefined for mallocx/rallocx: 0 is served as 1
 * (what jemalloc's own malloc(0) does), and realloc(p, 0) frees p and
 * returns NULL (glibc's behaviour) whatever the API.  Statistics come from
 * mallctl after bumping "epoch", which is how jemalloc refreshes its cached
 * stats (jemalloc(3), "epoch").
 */
#include "backends.h"

#include <jemalloc/jemalloc.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

/* The zero value is api=mallocx, which needs no look-up: a vtable call
 * before open() (tests calling it directly) still reaches jemalloc.
 * Invariant: for the other two, the four pointers are jemalloc's own. */
typedef enum { API_MALLOCX = 0, API_MALLOC, API_SDALLOCX } je_api_mode;

typedef struct je_api {
    je_api_mode mode;
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
} je_api;

static je_api api; /* one jemalloc per process: the instance is global */

static void *jemalloc_malloc(void *ctx, size_t size)
{
    if (api.mode == API_MALLOCX)
        return mallocx(size ? size : 1, 0);
    return api.malloc(size);
}

static void *jemalloc_calloc(void *ctx, size_t count, size_t size)
{
    if (api.mode != API_MALLOCX)
        return api.calloc(count, size);
    size_t total;
    if (__builtin_mul_overflow(count, size, &total))
        return NULL;
    return mallocx(total ? total : 1, MALLOCX_ZERO);
}

static void jemalloc_free(void *ctx, void *ptr)
{
    if (ptr == NULL)
        return;
    if (api.mode == API_MALLOCX)
        dallocx(ptr, 0);
    else
        api.free(ptr);
}

static void *jemalloc_realloc(void *ctx, void *ptr, size_t size)
{
    if (ptr == NULL)
        return jemalloc_malloc(ctx, size);
    if (size == 0) {
        jemalloc_free(ctx, ptr);
        return NULL;
    }
    if (api.mode == API_MALLOCX)
        return rallocx(ptr, size, 0);
    return api.realloc(ptr, size);
}

static void jemalloc_free_sized(void *ctx, void *ptr, size_t size)
{
    if (ptr == NULL)
        return;
    if (api.mode == API_MALLOC)
        api.free(ptr);
    else
        sdallocx(ptr, size ? size : 1, 0);
}

/* The object that defines mallocx, and `name` looked up in it; NULL unless
 * the symbol found is defined by that very object. */
static void *own_symbol(void *handle, const char *lib, const char *name)
{
    void *f = dlsym(handle, name);
    Dl_info info;
    if (f == NULL || dladdr(f, &info) == 0 || info.dli_fname == NULL ||
        strcmp(info.dli_fname, lib) != 0)
        return NULL;
    return f;
}

static int jemalloc_open(const char *options, const hl_raw *raw, void **ctx, char *err,
                         size_t errlen)
{
    je_api_mode mode = API_MALLOC;
    for (const char *s = options ? options : ""; *s;) {
        size_t len = strcspn(s, ",");
        if (len == 10 && memcmp(s, "api=malloc", 10) == 0)
            mode = API_MALLOC;
        else if (len == 12 && memcmp(s, "api=sdallocx", 12) == 0)
            mode = API_SDALLOCX;
        else if (len == 11 && memcmp(s, "api=mallocx", 11) == 0)
            mode = API_MALLOCX;
        else {
            snprintf(err, errlen, "jemalloc: unknown option '%.*s' (expected "
                     "api=malloc|sdallocx|mallocx)", (int)len, s);
            return -1;
        }
        s += len;
        if (*s == ',')
            s++;
    }
    je_api want = {.mode = mode};
    if (mode != API_MALLOCX) {
        Dl_info info;
        void *h = NULL;
        if (dladdr((void *)mallocx, &info) != 0 && info.dli_fname != NULL)
            h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
        if (h == NULL) {
            snprintf(err, errlen, "jemalloc: cannot find the library that defines mallocx");
            return -1;
        }
        want.malloc = (void *(*)(size_t))own_symbol(h, info.dli_fname, "malloc");
        want.calloc = (void *(*)(size_t, size_t))own_symbol(h, info.dli_fname, "calloc");
        want.realloc = (void *(*)(void *, size_t))own_symbol(h, info.dli_fname, "realloc");
        want.free = (void (*)(void *))own_symbol(h, info.dli_fname, "free");
        dlclose(h); /* RTLD_NOLOAD took a reference; the library stays loaded */
        if (!want.malloc || !want.calloc || !want.realloc || !want.free) {
            snprintf(err, errlen, "jemalloc: %s does not define malloc, calloc, realloc and "
                     "free itself (a prefixed build?); use api=mallocx", info.dli_fname);
            return -1;
        }
    }
    api = want;
    *ctx = &api;
    return 0;
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
    .open = jemalloc_open,
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
