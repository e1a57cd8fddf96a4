/* system.c - glibc malloc as a backend (the "system" variant's malloc).
 *
 * How it works: straight calls into the process malloc, which in the system
 * variant is glibc's ptmalloc2 (registry.c checks that at start-up).  glibc
 * 2.36 has no sized free, and no way to ask whether it owns a pointer
 * without undefined behaviour on foreign pointers, so those stay NULL.
 * Statistics are mallinfo2()'s fields (glibc >= 2.33: size_t, no overflow).
 *
 * Under the sanitizers the process malloc is the sanitizer runtime's
 * allocator, which this backend then measures.  That allocator can answer
 * both questions glibc cannot, through its public interface (compiler-rt's
 * sanitizer/allocator_interface.h): __sanitizer_get_ownership is owns(),
 * and __sanitizer_get_current_allocated_bytes is reported as
 * sanitizer.allocated_bytes, so the ownership probe (backends.def) proves
 * something in those builds too.
 */
#include "backends.h"

#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdlib.h>

#ifdef HL_SANITIZE
/* The sanitizer allocator's public interface (compiler-rt,
 * include/sanitizer/allocator_interface.h), exported by libasan; gcc ships
 * no header for it. */
int __sanitizer_get_ownership(const volatile void *p);
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static const char *system_version(void *ctx)
{
    return gnu_get_libc_version();
}

static void *system_malloc(void *ctx, size_t size)
{
    return malloc(size);
}

static void *system_calloc(void *ctx, size_t count, size_t size)
{
    /* glibc returns NULL on overflow by itself; checking here keeps that
     * contract when malloc is a sanitizer's, which aborts instead. */
    size_t total;
    if (__builtin_mul_overflow(count, size, &total))
        return NULL;
    return calloc(count, size);
}

static void *system_realloc(void *ctx, void *ptr, size_t size)
{
    return realloc(ptr, size);
}

static void system_free(void *ctx, void *ptr)
{
    free(ptr);
}

static size_t system_usable_size(void *ctx, const void *ptr)
{
    return malloc_usable_size((void *)ptr);
}

static size_t system_native_stats(void *ctx, hl_stat *out, size_t max)
{
    struct mallinfo2 mi = mallinfo2();
    const hl_stat all[] = {
        {"mallinfo.arena", mi.arena},       /* bytes from sbrk (main arena) + other arenas */
        {"mallinfo.ordblks", mi.ordblks},   /* free chunks */
        {"mallinfo.hblks", mi.hblks},       /* mmapped chunks */
        {"mallinfo.hblkhd", mi.hblkhd},     /* bytes in mmapped chunks */
        {"mallinfo.uordblks", mi.uordblks}, /* bytes in use (non-mmapped) */
        {"mallinfo.fordblks", mi.fordblks}, /* bytes free */
        {"mallinfo.keepcost", mi.keepcost}, /* trimmable top */
#ifdef HL_SANITIZE
        {"sanitizer.allocated_bytes", __sanitizer_get_current_allocated_bytes()},
#endif
    };
    size_t n = 0;
    for (; n < max && n < sizeof all / sizeof all[0]; n++)
        out[n] = all[n];
    return n;
}

#ifdef HL_SANITIZE
static bool system_owns(void *ctx, const void *ptr)
{
    return __sanitizer_get_ownership(ptr) != 0;
}
#endif

static void system_trim(void *ctx)
{
    malloc_trim(0);
}

/* This file defines its variant (backend.h). */
const hl_backend hl_native_backend = {
    .name = "system",
    .thread_safe = true,
    .version = system_version,
    .malloc = system_malloc,
    .calloc = system_calloc,
    .realloc = system_realloc,
    .free = system_free,
    .free_sized = NULL,
    .usable_size = system_usable_size,
#ifdef HL_SANITIZE
    .owns = system_owns,
#else
    .owns = NULL, /* glibc cannot tell (see the top of this file) */
#endif
    .native_stats = system_native_stats,
    .trim = system_trim,
};
