/* pyconfig.h - CPython interpreters and the allocator configurations a
 * command cell runs them in.
 *
 * CPython allocates through three domains (PEP 445): raw, mem and object.
 * PYTHONMALLOC picks their allocator at start-up (bpo-26516, Python 3.6;
 * "mimalloc" since 3.13, PEP 703 / gh-90815), and LD_PRELOAD picks what
 * "malloc" itself is.  A configuration names both:
 *
 *   pymalloc           PYTHONMALLOC=pymalloc: obmalloc for small objects,
 *                      glibc malloc for the rest (a default build's own)
 *   malloc             PYTHONMALLOC=malloc: every domain on glibc malloc
 *   malloc+BACKEND     PYTHONMALLOC=malloc, BACKEND preloaded as malloc
 *   pymalloc+BACKEND   obmalloc, with BACKEND as malloc under it (large
 *                      objects and the raw domain)
 *   mimalloc           PYTHONMALLOC=mimalloc: CPython's bundled mimalloc
 *                      (3.13+, builds WITH_MIMALLOC)
 *
 * BACKEND is a process allocator of backends.def (jemalloc, mimalloc,
 * tcmalloc, tbbmalloc).  The default set is the six configurations of
 * hl_pyconfig_defaults that the interpreter supports.  A cell's backend
 * spec is CONFIG@INTERP ("malloc+jemalloc@3.11"), INTERP the interpreter's
 * name: its version and ABI flags ("3.13t" free-threaded, "3.12d" debug)
 * unless --python NAME=PATH named it.
 *
 * The command cell proves the configuration from inside the process
 * (probe.h): malloc resolves to the preloaded library, and the object
 * domain at exit is what the configuration makes it (hl_pyconfig_expect).
 */
#ifndef HL_PYCONFIG_H
#define HL_PYCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_PY_NAME_MAX 32

/* What the interpreter said about itself (hl_pyconfig_query). */
typedef struct hl_pyinterp {
    char name[HL_PY_NAME_MAX];  /* "3.11", or the --python NAME */
    char path[4096];            /* absolute, symbolic links resolved */
    char version[24];           /* "3.11.2" */
    unsigned major, minor;
    char build[200];            /* sys.version's first line: build date and compiler */
    char executable[4096];      /* sys.executable: the binary behind a wrapper (pyenv's
                                 * shims are shell scripts); not recorded in plans */
    bool debug;                 /* Py_DEBUG */
    bool free_threaded;         /* Py_GIL_DISABLED */
    bool with_pymalloc;         /* WITH_PYMALLOC */
    bool with_mimalloc;         /* WITH_MIMALLOC (3.13+) */
    uint64_t size;
    char sha256[65];
} hl_pyinterp;

/* A configuration, parsed. */
typedef struct hl_pyconfig {
    char obj[16];       /* "pymalloc", "malloc" or "mimalloc": PYTHONMALLOC */
    char preload[32];   /* the backend preloaded as malloc, or "" */
} hl_pyconfig;

/* Runs path -I -c '<query>' (isolated: no PYTHON* variables, no user
 * site) and fills *out (name from the version unless name is given).
 * 0, or -1 with one line in err (not found, not CPython 3.6+, no answer). */
int hl_pyconfig_query(const char *path, const char *name, hl_pyinterp *out, char *err,
                      size_t errlen);

/* Parses "pymalloc", "malloc+jemalloc"...; 0 or -1 with err naming the forms. */
int hl_pyconfig_parse(const char *config, hl_pyconfig *out, char *err, size_t errlen);

/* Can the interpreter run the configuration?  false with the reason. */
bool hl_pyconfig_supported(const hl_pyinterp *py, const hl_pyconfig *cfg, char *why,
                           size_t whylen);

/* The default configurations, in this order. */
extern const char *const hl_pyconfig_defaults[];
extern const size_t hl_pyconfig_n_defaults;

/* Splits "CONFIG@INTERP" into its parts; false when spec has no '@'. */
bool hl_pyconfig_split_spec(const char *spec, char *config, size_t clen, char *interp,
                            size_t ilen);

/* The object-domain verdict the probe must report for this configuration
 * on this interpreter (HL_PROBE_PY_* of probe.h), and an alternative that
 * is also right ("" when there is none). */
void hl_pyconfig_expect(const hl_pyinterp *py, const hl_pyconfig *cfg, const char **expect,
                        const char **also);

#endif
