/* backends.h - what the backend files and the registry share.
 *
 * Each backend lives in its own file and exports exactly one hl_backend:
 * hl_native_backend for the backend that defines its variant (a PROCESS or
 * REFERENCE row of backends.def), hl_<name>_backend for a WRAPPER, DEBUG or FAULT
 * row.  Code outside allocators/ finds them through the registry
 * (registry.h), never by name here.  Tests include this header to call a
 * vtable directly.
 */
#ifndef HL_BACKENDS_H
#define HL_BACKENDS_H

#include "backend.h"
#include "gil.h"

/* The backend that defines this executable's variant (system.c, jemalloc.c,
 * ...: exactly one is linked, see backend.h). */
extern const hl_backend hl_native_backend;

/* Every WRAPPER, DEBUG and FAULT backend of the table, e.g. hl_pool_backend. */
#define HL_BACKEND(name, kind, ...) HL_BACKENDS_EXTERN_##kind(name)
#define HL_BACKENDS_EXTERN_PROCESS(name)
#define HL_BACKENDS_EXTERN_REFERENCE(name)
#define HL_BACKENDS_EXTERN_WRAPPER(name) extern const hl_backend hl_##name##_backend;
#define HL_BACKENDS_EXTERN_DEBUG(name) extern const hl_backend hl_##name##_backend;
#define HL_BACKENDS_EXTERN_FAULT(name) extern const hl_backend hl_##name##_backend;
#include "backends.def"
#undef HL_BACKEND

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

/* A wrapper's thread hooks forward to its raw allocator's (backend.h): the
 * raw instance needs its per-thread set-up in every thread that reaches it
 * through the wrapper. */
static inline void hl_raw_thread_hook(const hl_raw *raw, bool attach)
{
    const hl_backend *b = raw->backend;
    void (*hook)(void *) = b == NULL ? NULL : attach ? b->thread_attach : b->thread_detach;
    if (hook != NULL)
        HL_RAW_CALL(b, hook(raw->ctx));
}

/* Splits "key=value,key=value" options (options.c).  Calls fn for each
 * pair; returns 0, or -1 when fn does or a pair has no '='; err names the
 * culprit. */
int hl_backends_parse_options(const char *owner, const char *options,
                              int (*fn)(const char *key, const char *value, void *arg, char *err,
                                        size_t errlen),
                              void *arg, char *err, size_t errlen);

#endif
