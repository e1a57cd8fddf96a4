/* backend.h - the one interface every allocator backend implements.
 *
 * How it fits together
 * --------------------
 * A backend is a table of function pointers (hl_backend) living in its own
 * file (system.c, pool.c, jemalloc.c, ...).  Upper layers never call a
 * backend directly: they go through an hl_allocator (alloc.h), which adds
 * byte accounting and, for backends that are not thread safe, the runtime
 * lock (gil.h).
 *
 * Process variants.  Debian's jemalloc, mimalloc and tcmalloc all export
 * malloc/free, so linking one of them replaces malloc for the whole process.
 * heaplab therefore builds one executable per "process allocator" (variant):
 *
 *     variant    process malloc   backends it hosts
 *     system     glibc            system, pool, guard
 *     jemalloc   libjemalloc      jemalloc, pool, guard
 *     mimalloc   libmimalloc      mimalloc, pool, guard
 *     tcmalloc   libtcmalloc      tcmalloc, pool, guard
 *     cpython    glibc            cpython (libpython's obmalloc)
 *
 * A measured cell for backend X runs in the variant whose process malloc is
 * X (or, for pool and guard, whose malloc is their raw allocator), so RSS,
 * faults and allocator state all belong to X.  hl_registry_check_process()
 * proves at start-up that the malloc this process resolved is the one the
 * variant was built for, and refuses to run otherwise.
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

typedef struct hl_backend {
    const char *name;    /* registry key: "pool", "jemalloc", ... */
    const char *summary; /* one line for `heaplab list backends` */

    /* false: every call must be made with the runtime lock (gil.h) held,
     * as pymalloc requires the GIL.  hl_allocator takes it when needed. */
    bool thread_safe;

    /* Optional.  options is the text after ':' in a backend spec
     * ("raw=system"), or "" when none.  Returns 0, or -1 with a one-line
     * message in err.  Called once per process before any allocation. */
    int (*init)(const char *options, char *err, size_t errlen);

    /* Version of the code actually linked, e.g. "5.3.0-0-g54eaed1" for
     * jemalloc (mallctl "version"), "2.0.9" for mimalloc. */
    const char *(*version)(void);

    /* Standard C semantics, including malloc(0) returning a unique pointer
     * or NULL, calloc overflow returning NULL, realloc(NULL, n) == malloc. */
    void *(*malloc)(size_t size);
    void *(*calloc)(size_t count, size_t size);
    void *(*realloc)(void *ptr, size_t size);
    void (*free)(void *ptr);

    /* Sized free (jemalloc sdallocx, mimalloc mi_free_size, tcmalloc
     * tc_free_sized), or NULL when the backend has none.  size is the size
     * last requested for ptr. */
    void (*free_sized)(void *ptr, size_t size);

    /* Bytes usable at ptr (>= the requested size). */
    size_t (*usable_size)(const void *ptr);

    /* Optional: does this backend own ptr?  Used by the ownership tests. */
    bool (*owns)(const void *ptr);

    /* Optional: the allocator's own counters, at most max entries written to
     * out; returns how many. */
    size_t (*native_stats)(hl_stat *out, size_t max);

    /* Optional: give cached memory back to the OS where the backend can
     * (malloc_trim, mi_collect, arena.<i>.purge).  Not used while measuring. */
    void (*trim)(void);
} hl_backend;

/* ---- registry (registry.c, compiled once per variant) ------------------ */

/* Name of this process's variant ("system", "jemalloc", ...). */
const char *hl_registry_variant(void);

/* Backends hosted by this process, in registry order. */
size_t hl_registry_count(void);
const hl_backend *hl_registry_at(size_t i);

/* Backend by name, or NULL. */
const hl_backend *hl_registry_find(const char *name);

/* The backend that is this process's malloc (system, jemalloc, ...). */
const hl_backend *hl_registry_native(void);

/* Every backend name heaplab knows, whether or not this build has it, and
 * the variant that hosts it (NULL when not built).  Used for error messages
 * that tell "unknown" from "not built here". */
bool hl_registry_known(const char *name);

/* Checks that the malloc this process resolved belongs to the variant's
 * library (dladdr of malloc).  Returns 0, or -1 with a message in err. */
int hl_registry_check_process(char *err, size_t errlen);

#endif
