/* backend.h - the one interface every allocator backend implements.
 *
 * How it fits together
 * --------------------
 * A backend is a table of function pointers (hl_backend) living in its own
 * file (system.c, pool.c, jemalloc.c, ...) and described by one row of the
 * table of backends (backends.def: kind, variant, library, probe, options,
 * summary).  Upper layers never call a backend directly: they go through an
 * hl_allocator (alloc.h), which adds byte accounting and, for backends that
 * are not thread safe, the runtime lock (gil.h).  The registry (registry.h)
 * turns a spec such as "pool:raw=jemalloc" into an open backend instance.
 *
 * Process variants.  Debian's jemalloc, mimalloc, tcmalloc and tbbmalloc's
 * proxy all export malloc/free, so linking one of them replaces malloc for
 * the whole process.  heaplab therefore builds one executable per "process
 * allocator" (variant): the PROCESS and REFERENCE rows of backends.def.  A
 * variant hosts its own backend, and a PROCESS variant also every WRAPPER
 * and FAULT backend (pool, guard, faulty) on top of it:
 *
 *     variant    process malloc   backends it hosts
 *     system     glibc            system, pool, guard, faulty
 *     jemalloc   libjemalloc      jemalloc, pool, guard, faulty
 *     ...
 *     cpython    glibc            cpython (libpython's obmalloc)
 *
 * A measured cell for backend X runs in the variant whose process malloc is
 * X (or, for a wrapper, whose malloc is its raw allocator), so RSS, faults
 * and allocator state all belong to X.  hl_registry_check_process() proves
 * at start-up that the malloc this process resolved is the one the variant
 * was built for, and refuses to run otherwise.
 *
 * Linking.  The backend of a PROCESS or REFERENCE row exports its vtable as
 * hl_native_backend: an executable links exactly one (two would be a
 * duplicate symbol, which is the point).  A WRAPPER, DEBUG or FAULT backend
 * exports hl_<name>_backend (backends.h), shared by every variant.
 */
#ifndef HL_BACKEND_H
#define HL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One statistic reported by an allocator about itself, e.g.
 * {"stats.resident", 1234567}.  Names are static strings. */
typedef struct hl_stat {
    const char *name;
    uint64_t value;
} hl_stat;

#define HL_MAX_NATIVE_STATS 24

typedef struct hl_backend hl_backend;

/* The raw allocator a wrapping backend runs on: an open backend instance,
 * given to the wrapper's open by whoever resolved the spec (the registry
 * for "raw=NAME"; a test may pass any instance). */
typedef struct hl_raw {
    const hl_backend *backend;
    void *ctx;
} hl_raw;

/* Every call gets the instance its open returned (ctx) as first argument;
 * a backend whose state is global ignores it.  The hot calls (malloc ...
 * usable_size) cost one argument register more than a plain C call. */
struct hl_backend {
    const char *name; /* its row's name in backends.def */

    /* false: every call must be made with the runtime lock (gil.h) held,
     * as pymalloc requires the GIL.  hl_allocator takes it when needed. */
    bool thread_safe;

    /* Optional (NULL: nothing to set up, the instance is NULL).  Creates an
     * instance from options, the text after ':' in a spec without its raw=
     * ("keep_free=2"; "" when none).  raw: the raw allocator for a WRAPPER
     * or FAULT backend, NULL for the others.  Returns 0 and the instance in
     * *ctx, or -1 with a one-line message in err.  A backend whose state is
     * global (every one today) returns the same static instance each time,
     * and a second open reconfigures it.  The registry opens each backend
     * once per process; a non-thread-safe backend is opened with the GIL. */
    int (*open)(const char *options, const hl_raw *raw, void **ctx, char *err, size_t errlen);

    /* Optional: the instance is no longer used (no block of it is live) and
     * gives back what it holds; another open may follow.  The registry
     * never closes (its instances live as long as the process); tests do. */
    void (*close)(void *ctx);

    /* Optional, for allocators that need a per-thread set-up and tear-down
     * (rpmalloc_thread_initialize/_finalize, for instance).  hl_allocator
     * calls thread_attach in a thread before that thread's first call
     * through a handle on the instance, and thread_detach when the thread
     * exits (not for the main thread, which never does).  An instance that
     * is also some wrapper's raw allocator may see them twice in a thread,
     * once through the wrapper: they must tolerate that. */
    void (*thread_attach)(void *ctx);
    void (*thread_detach)(void *ctx);

    /* Version of the code actually linked, e.g. "5.3.0-0-g54eaed1" for
     * jemalloc (mallctl "version"), "2.0.9" for mimalloc.  ctx may be NULL:
     * --describe lists versions without opening anything. */
    const char *(*version)(void *ctx);

    /* Standard C semantics, including malloc(0) returning a unique pointer
     * or NULL, calloc overflow returning NULL, realloc(NULL, n) == malloc. */
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t count, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);

    /* Sized free (jemalloc sdallocx, mimalloc mi_free_size), or NULL when
     * the backend has none.  size is the size last requested for ptr. */
    void (*free_sized)(void *ctx, void *ptr, size_t size);

    /* Bytes usable at ptr (>= the requested size). */
    size_t (*usable_size)(void *ctx, const void *ptr);

    /* Optional: does this backend own ptr?  Used by the ownership probes
     * (backends.def), never on a measured path. */
    bool (*owns)(void *ctx, const void *ptr);

    /* Optional: the allocator's own counters, at most max entries written to
     * out; returns how many. */
    size_t (*native_stats)(void *ctx, hl_stat *out, size_t max);

    /* Optional: give cached memory back to the OS where the backend can
     * (malloc_trim, mi_collect, arena.<i>.purge).  Not used while measuring. */
    void (*trim)(void *ctx);
};

#endif
