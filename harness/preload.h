/* preload.h - the allocator a command cell runs a program under, and the
 * checks that make "under" true.
 *
 * A command cell's backend spec is one of
 *
 *   NAME[:OPTIONS]      a PROCESS backend of backends.def: the library
 *                       that is its variant's malloc (the catalog learns
 *                       its path from that variant's cell, so it is the
 *                       very file heaplab was built against) is preloaded;
 *                       `system` preloads nothing.  OPTIONS are the row's
 *                       environment options only ("jemalloc:conf=...").
 *   preload:PATH[,env=NAME=VALUE...]
 *                       any shared object: a user's own allocator.  Its
 *                       size and SHA-256 are recorded, and --resume
 *                       refuses a library that changed.
 *   CONFIG@INTERP       a CPython configuration (pyconfig.h).
 *
 * The program is refused before anything runs when the preload could not
 * work: a statically linked program (no dynamic linker to honour
 * LD_PRELOAD), a setuid or setgid one (the dynamic linker's secure mode
 * ignores LD_PRELOAD paths; ld.so(8)), a file that is not an executable,
 * or a preload that is not an ELF shared object of this machine.  What is
 * left (a program that drops LD_PRELOAD, a library that fails to load) is
 * caught by the probe inside the process (probe.h).
 */
#ifndef HL_PRELOAD_H
#define HL_PRELOAD_H

#include "backend_table.h"
#include "catalog.h"
#include "pyconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_PRELOAD_MAX_ENV (HL_BACKEND_MAX_ENV + 1)

/* A resolved command backend, as plan.json records it. */
typedef struct hl_preload {
    char spec[320];
    char library[4096];       /* the file preloaded; "" for none (system, pymalloc, ...) */
    char expect_malloc[4096]; /* the file that must define malloc in the program */
    char version[96];
    uint64_t size;            /* of library, 0 without one */
    char sha256[65];
    size_t n_env;
    char env[HL_PRELOAD_MAX_ENV][256]; /* MALLOC_CONF=..., PYTHONMALLOC=... */
    char interp[HL_PY_NAME_MAX];       /* CPython configurations: the interpreter */
    char python_expect[16];   /* and the object-domain verdict the probe must give */
    char python_also[16];     /* (or this one) */
} hl_preload;

/* Does spec name a command backend (the forms above)?  Does not check it. */
bool hl_preload_is_command_spec(const char *spec);

/* Resolves spec; interps are the run's --python interpreters.  0, or -1
 * with one line in err naming what is wrong and the fix. */
int hl_preload_resolve(const hl_catalog *cat, const hl_pyinterp *interps, size_t n_interps,
                       const char *spec, hl_preload *out, char *err, size_t errlen);

/* The file must be an ELF shared object (ET_DYN) for this machine's ABI.
 * 0, or -1 with one line in err. */
int hl_preload_check_library(const char *path, char *err, size_t errlen);

/* The program (argv[0], searched in PATH when it has no '/') must exist,
 * be executable, dynamically linked and not setuid/setgid; a "#!" script is
 * judged by its interpreter.  Its resolved path into resolved.  0, or -1
 * with one line in err. */
int hl_preload_check_program(const char *argv0, char *resolved, size_t resolvedlen, char *err,
                             size_t errlen);

/* The cell-id part of a spec: filesystem-safe, and for preload:PATH the
 * file's base name instead of the whole path. */
void hl_preload_id_part(const char *spec, char *out, size_t outlen);

#endif
