/* tcmalloc.c - gperftools tcmalloc (libtcmalloc_minimal) through tc_* calls.
 *
 * How it works: the tc_ entry points reach tcmalloc even when malloc belongs
 * to a sanitizer.  No sized free: gperftools' tc_free_sized trusts the size
 * to name the block's size class, but tc_realloc keeps a block that shrinks
 * to half its size or more in its old, larger class, so a later sized free
 * with the new size files the block under the wrong class and corrupts the
 * central free list (seen as crashes replaying a Python trace).  Plain tc_free
 * looks the class up in the page map, which is always right.  Ownership is decidable:
 * MallocExtension_GetOwnership looks the page up in tcmalloc's page map,
 * which is safe for any address.  Statistics are MallocExtension numeric
 * properties (gperftools docs, "tcmalloc.html", Memory Introspection).
 */
#include "backends.h"

#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>

static const char *tcmalloc_version(void *ctx)
{
    int major = 0, minor = 0;
    const char *patch = NULL;
    const char *v = tc_version(&major, &minor, &patch);
    return v ? v : "gperftools (unknown version)";
}

static void *tcmalloc_malloc(void *ctx, size_t size)
{
    return tc_malloc(size);
}

static void *tcmalloc_calloc(void *ctx, size_t count, size_t size)
{
    return tc_calloc(count, size);
}

static void *tcmalloc_realloc(void *ctx, void *ptr, size_t size)
{
    return tc_realloc(ptr, size);
}

static void tcmalloc_free(void *ctx, void *ptr)
{
    tc_free(ptr);
}

static size_t tcmalloc_usable_size(void *ctx, const void *ptr)
{
    return tc_malloc_size((void *)ptr);
}

static bool tcmalloc_owns(void *ctx, const void *ptr)
{
    return MallocExtension_GetOwnership(ptr) == MallocExtension_kOwned;
}

static size_t tcmalloc_native_stats(void *ctx, hl_stat *out, size_t max)
{
    static const char *const names[] = {
        "generic.current_allocated_bytes",
        "generic.heap_size",
        "generic.total_physical_bytes",
        "tcmalloc.pageheap_free_bytes",
        "tcmalloc.pageheap_unmapped_bytes",
        "tcmalloc.central_cache_free_bytes",
        "tcmalloc.transfer_cache_free_bytes",
        "tcmalloc.thread_cache_free_bytes",
        "tcmalloc.current_total_thread_cache_bytes",
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < max; i++) {
        size_t value = 0;
        if (MallocExtension_GetNumericProperty(names[i], &value))
            out[n++] = (hl_stat){names[i], value};
    }
    return n;
}

static void tcmalloc_trim(void *ctx)
{
    MallocExtension_ReleaseFreeMemory();
}

#ifdef HL_SANITIZE
/* LeakSanitizer hook (sanitizer/lsan_interface.h): gperftools registers its
 * MallocExtension singleton with operator new at start-up and never frees
 * it by design; that one block is not heaplab's leak. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:MallocExtension::Register\n";
}
#endif

/* This file defines its variant (backend.h). */
const hl_backend hl_native_backend = {
    .name = "tcmalloc",
    .thread_safe = true,
    .version = tcmalloc_version,
    .malloc = tcmalloc_malloc,
    .calloc = tcmalloc_calloc,
    .realloc = tcmalloc_realloc,
    .free = tcmalloc_free,
    .free_sized = NULL, /* see the top comment */
    .usable_size = tcmalloc_usable_size,
    .owns = tcmalloc_owns,
    .native_stats = tcmalloc_native_stats,
    .trim = tcmalloc_trim,
};
