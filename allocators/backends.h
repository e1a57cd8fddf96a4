/* backends.h - the backend objects registry.c puts into each process variant.
 *
 * Each backend lives in its own file and exports exactly one hl_backend.
 * Which of them a process holds depends on its variant (backend.h); code
 * outside allocators/ finds them through the registry, never by name here.
 * Tests include this header to call a vtable directly.
 */
#ifndef HL_BACKENDS_H
#define HL_BACKENDS_H

#include "backend.h"

extern const hl_backend hl_system_backend;   /* system.c: glibc malloc */
extern const hl_backend hl_jemalloc_backend; /* jemalloc.c */
extern const hl_backend hl_mimalloc_backend; /* mimalloc.c */
extern const hl_backend hl_tcmalloc_backend; /* tcmalloc.c: gperftools minimal */
extern const hl_backend hl_cpython_backend;  /* cpython.c: libpython's obmalloc */
extern const hl_backend hl_guard_backend;    /* guard.c: debug pads and fills */
extern const hl_backend hl_faulty_backend;   /* faulty.c: fault injection */
extern const hl_backend hl_pool_backend;     /* pool.c (hl_alloc_core) */

/* For the wrapping backends (guard, faulty): resolves the NAME of a
 * "raw=NAME" option in this process's registry ("" or NULL: the native
 * backend).  `owner` may not be its own raw.  Returns the raw backend, or
 * NULL with one line in err. */
const hl_backend *hl_backends_resolve_raw(const char *owner, const char *raw_name, char *err,
                                          size_t errlen);

#include "gil.h"

/* Calls into a raw backend from a wrapping backend (guard, faulty): takes
 * the GIL around the call when the raw backend needs it and the caller does
 * not already hold it, so the wrapper is thread safe whatever its raw is. */
#define HL_RAW_CALL(raw, expr)                                \
    do {                                                      \
        if (!(raw)->thread_safe && !hl_gil_held) {            \
            hl_gil_acquire();                                 \
            expr;                                             \
            hl_gil_release();                                 \
        } else {                                              \
            expr;                                             \
        }                                                     \
    } while (0)

/* Splits "key=value,key=value" options.  Calls fn for each pair; returns
 * 0, or -1 when fn does or a pair has no '='; err names the culprit. */
int hl_backends_parse_options(const char *owner, const char *options,
                              int (*fn)(const char *key, const char *value, void *arg, char *err,
                                        size_t errlen),
                              void *arg, char *err, size_t errlen);

#endif
