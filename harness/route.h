/* route.h - which cell executable runs a backend spec.
 *
 * A backend spec is NAME[:OPTIONS] ("pool", "pool:raw=jemalloc",
 * "guard:raw=mimalloc,quarantine=64").  The variant is the process malloc the cell
 * needs, read from the table of backends (allocators/backends.def):
 *
 *     a PROCESS or REFERENCE backend      -> its own variant
 *     a WRAPPER, DEBUG or FAULT backend          -> the table's variant (system)
 *       with raw=X, X a PROCESS backend   -> X's variant
 *
 * The cell executables live next to the driver: <dir of /proc/self/exe>/
 * heaplab-cell-<variant>.  A variant whose executable is missing is "not in
 * this build", which is a different error from an unknown backend.
 *
 * Test hook: when HEAPLAB_TEST_CELL_CMD is set to an absolute path of an
 * executable, every variant listed in HEAPLAB_TEST_CELL_VARIANTS (default
 * "system") is run by that program instead, with argv[0] set to
 * "heaplab-cell-<variant>" so the program knows which variant it plays.  The
 * driver prints a warning and records the hook in the result metadata.  Used
 * by tests/fake_cell.c; see docs/cli.md.
 */
#ifndef HL_ROUTE_H
#define HL_ROUTE_H

#include "backend_table.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_ROUTE_NVARIANTS HL_BACKEND_VARIANTS
#define HL_ROUTE_PATH_MAX 4096

/* Every variant heaplab knows, in table order. */
extern const char *const hl_route_variants[HL_ROUTE_NVARIANTS];

/* Variant for a backend spec, or NULL with one line in err (unknown backend,
 * bad raw= option). */
const char *hl_route_variant(const char *spec, char *err, size_t errlen);

/* Executable for a variant in this build: 0 and the path in path (and argv0,
 * the argv[0] to pass), or -1 with "backend 'x' is not in this build: install
 * ... and rebuild" (backend may be NULL: the message then names the variant). */
int hl_route_cell_exe(const char *variant, const char *backend, char *path, size_t pathlen,
                      char *argv0, size_t argv0len, char *err, size_t errlen);

/* Does this build have variant's cell executable? */
bool hl_route_have_variant(const char *variant);

/* The backend name part of a spec ("pool" for "pool:raw=x"), into out. */
void hl_route_backend_name(const char *spec, char *out, size_t outlen);

/* The test hook's program when active, else NULL. */
const char *hl_route_test_hook(void);

/* Every backend name heaplab knows, whether or not this build has it. */
size_t hl_route_backend_count(void);
const char *hl_route_backend_at(size_t i);
/* Does the backend accept raw=X (the WRAPPER, DEBUG and FAULT rows)? */
bool hl_route_takes_raw(const char *name);
/* Does a default suite run the backend (every backend but FAULT rows)? */
bool hl_route_in_default_suites(const char *name);

/* Debian packages that provide a variant's library (for error messages). */
const char *hl_route_package_hint(const char *variant);

#endif
