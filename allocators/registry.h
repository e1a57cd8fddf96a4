/* registry.h - the backends this process hosts, and specs turned into open
 * instances and handles.
 *
 * Which backends a process hosts follows from its variant (backend.h): the
 * backend that defines the variant (hl_native_backend), then, for a PROCESS
 * variant, every WRAPPER, DEBUG and FAULT row of backends.def.  A spec is
 * NAME[:OPTIONS]; for a backend that takes raw=NAME the registry resolves
 * the raw allocator among the hosted PROCESS backends (default: this
 * variant's), opens it and injects it into the wrapper's open, so no
 * backend ever looks anything up here.  Each backend is opened once per
 * process: a later spec for it may repeat the first one's options or give
 * none, and then shares the instance.
 */
#ifndef HL_REGISTRY_H
#define HL_REGISTRY_H

#include "alloc.h"
#include "backend.h"
#include "backend_table.h"

#include <stdbool.h>
#include <stddef.h>

/* Name of this process's variant ("system", "jemalloc", ...). */
const char *hl_registry_variant(void);

/* Backends hosted by this process, in registry order (native first). */
size_t hl_registry_count(void);
const hl_backend *hl_registry_at(size_t i);

/* Backend by name among the hosted ones, or NULL. */
const hl_backend *hl_registry_find(const char *name);

/* The backend that defines this process's variant (system, jemalloc, ...,
 * or cpython for the cpython variant). */
const hl_backend *hl_registry_native(void);

/* The backends.def row of a hosted backend (never NULL for one of ours). */
const hl_backend_row *hl_registry_row(const hl_backend *b);

/* Is name a row of backends.def, whether or not this process hosts it? */
bool hl_registry_known(const char *name);

/* Checks that the malloc this process resolved belongs to the variant's
 * library (dladdr of malloc) and that no other variant's library is loaded.
 * Returns 0, or -1 with a message in err. */
int hl_registry_check_process(char *err, size_t errlen);

/* The file of the library that is (or, under the sanitizers, would be)
 * this variant's process malloc: the loaded object whose name starts with
 * the row's malloc_so, as an absolute path with symbolic links resolved
 * ("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2").  What a command cell
 * preloads to run a program under this backend.  0, or -1 when none is
 * loaded. */
int hl_registry_malloc_library(char *out, size_t outlen);

/* For a backend that takes raw=NAME: finds raw= in options, opens that raw
 * allocator (default: this variant's native backend) into *raw and copies
 * the other options to rest.  Returns 0, or -1 with one line in err. */
int hl_registry_resolve_raw(const hl_backend *b, const char *options, hl_raw *raw, char *rest,
                            size_t restlen, char *err, size_t errlen);

/* Opens the backend of spec, or finds it already open with the same
 * options (or the spec has none).  Returns 0 with the backend and its
 * instance, or -1 with one line in err naming what was wrong (unknown
 * backend, backend not in this process, bad option). */
int hl_registry_open(const char *spec, const hl_backend **backend, void **ctx, char *err,
                     size_t errlen);

/* hl_registry_open, then a handle on the instance (hl_allocator_init):
 * "pool:raw=jemalloc".  Returns 0, or -1 with one line in err. */
int hl_allocator_open(hl_allocator *a, const char *spec, char *err, size_t errlen);

#endif
