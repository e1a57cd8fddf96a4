/* registry.c - which backends this process hosts, and proof that its malloc
 * is the one the variant was built for.
 *
 * How it works
 * ------------
 * This file is compiled once per process variant (allocators/backends.cmake)
 * with HL_VARIANT_<name>=1 and HL_VARIANT_NAME="<name>".  The variant decides
 * the table below: its native backend first (the allocator that *is* the
 * process malloc), then the backends that run on top of it (pool, guard,
 * faulty).  The cpython variant hosts libpython's obmalloc alone: the pool is
 * heaplab's own pymalloc and comparing the two in one process would mix two
 * allocators' state in one RSS figure.
 *
 * hl_registry_check_process() asks the dynamic linker (dladdr) which object
 * the symbol `malloc` resolved to.  Debian's jemalloc, mimalloc and tcmalloc
 * export malloc, so when the variant's library comes before libc in the
 * executable's DT_NEEDED list it wins symbol resolution for the whole
 * process; if the link order or an LD_PRELOAD broke that, the check fails
 * and the cell refuses to run instead of measuring the wrong allocator.
 * Under sanitizers malloc belongs to the sanitizer runtime by design; the
 * check then verifies the native backend's *prefixed* entry point (mallocx,
 * mi_malloc, tc_malloc) instead, which is what the backend calls.
 */
#include "backends.h"

#include "backend_table.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#ifndef HL_VARIANT_NAME
#error "registry.c must be compiled with HL_VARIANT_NAME (see allocators/backends.cmake)"
#endif

/* Registry order: native first (hl_registry_native relies on it). */
static const hl_backend *const hosted[] = {
#if defined(HL_VARIANT_system)
    &hl_system_backend,
#elif defined(HL_VARIANT_jemalloc)
    &hl_jemalloc_backend,
#elif defined(HL_VARIANT_mimalloc)
    &hl_mimalloc_backend,
#elif defined(HL_VARIANT_tcmalloc)
    &hl_tcmalloc_backend,
#elif defined(HL_VARIANT_cpython)
    &hl_cpython_backend,
#else
#error "unknown process variant"
#endif
#if !defined(HL_VARIANT_cpython)
    &hl_pool_backend,
    &hl_guard_backend,
    &hl_faulty_backend,
#endif
};

#define N_HOSTED (sizeof hosted / sizeof hosted[0])

const char *hl_registry_variant(void)
{
    return HL_VARIANT_NAME;
}

size_t hl_registry_count(void)
{
    return N_HOSTED;
}

const hl_backend *hl_registry_at(size_t i)
{
    return i < N_HOSTED ? hosted[i] : NULL;
}

const hl_backend *hl_registry_find(const char *name)
{
    for (size_t i = 0; i < N_HOSTED; i++)
        if (strcmp(hosted[i]->name, name) == 0)
            return hosted[i];
    return NULL;
}

const hl_backend *hl_registry_native(void)
{
    /* For cpython this is the obmalloc backend: the allocator the variant
     * exists to measure (its raw domain is glibc underneath). */
    return hosted[0];
}

bool hl_registry_known(const char *name)
{
    return hl_backend_row_find(name) != NULL;
}

const hl_backend *hl_backends_resolve_raw(const char *owner, const char *raw_name, char *err,
                                          size_t errlen)
{
    if (raw_name == NULL || raw_name[0] == '\0')
        return hl_registry_native();
    if (strcmp(raw_name, owner) == 0) {
        snprintf(err, errlen, "%s: raw=%s would make the backend its own raw allocator; "
                 "use raw=%s (this variant's malloc)", owner, raw_name, hl_registry_native()->name);
        return NULL;
    }
    const hl_backend *b = hl_registry_find(raw_name);
    if (b == NULL) {
        snprintf(err, errlen, "%s: raw=%s is not %s in the '%s' process variant; use raw=%s",
                 owner, raw_name, hl_registry_known(raw_name) ? "hosted" : "a backend",
                 HL_VARIANT_NAME, hl_registry_native()->name);
        return NULL;
    }
    return b;
}

/* ---- process check ------------------------------------------------------ */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Which shared object holds the definition `symbol` resolves to for the
 * whole process (RTLD_DEFAULT = global lookup order). */
static const char *object_of_symbol(const char *symbol)
{
    void *addr = dlsym(RTLD_DEFAULT, symbol);
    Dl_info info;
    if (addr == NULL || dladdr(addr, &info) == 0 || info.dli_fname == NULL)
        return NULL;
    return info.dli_fname;
}

/* Does the shared object `name` (a basename) belong to row r: its malloc or
 * its entry point's library?  glibc belongs to every variant. */
static bool object_of_row(const char *name, const hl_backend_row *r)
{
    return (r->malloc_so[0] && has_prefix(name, r->malloc_so)) ||
           (r->entry_so[0] && has_prefix(name, r->entry_so));
}

typedef struct foreign_scan {
    const hl_backend_row *own;
    char found[256];
} foreign_scan;

/* dl_iterate_phdr callback: stops at the first object that belongs to
 * another variant's row and not to this one (glibc is everyone's). */
static int find_foreign_allocator(struct dl_phdr_info *info, size_t size, void *arg)
{
    foreign_scan *scan = arg;
    const char *name = base_name(info->dlpi_name ? info->dlpi_name : "");
    if (name[0] == '\0' || has_prefix(name, "libc.so") || object_of_row(name, scan->own))
        return 0;
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++) {
        const hl_backend_row *r = &hl_backend_rows[i];
        if (hl_backend_row_is_variant(r) && r != scan->own && object_of_row(name, r)) {
            snprintf(scan->found, sizeof scan->found, "%s", info->dlpi_name);
            return 1;
        }
    }
    return 0;
}

int hl_registry_check_process(char *err, size_t errlen)
{
    const hl_backend_row *v = hl_backend_row_of_variant(HL_VARIANT_NAME);
    if (v == NULL) {
        snprintf(err, errlen, "variant '%s' has no row in allocators/backends.def",
                 HL_VARIANT_NAME);
        return -1;
    }

    /* Another variant's allocator library in this process would mean two
     * allocators' state (and possibly a different malloc) in one cell. */
    foreign_scan scan = {.own = v, .found = ""};
    dl_iterate_phdr(find_foreign_allocator, &scan);
    if (scan.found[0] != '\0') {
        snprintf(err, errlen,
                 "the '%s' variant has another allocator library loaded (%s): check "
                 "LD_PRELOAD and how the executable was linked (hl_link_variant)",
                 HL_VARIANT_NAME, scan.found);
        return -1;
    }

    const char *malloc_obj = object_of_symbol("malloc");
    if (malloc_obj == NULL) {
        snprintf(err, errlen, "cannot tell which object defines malloc (dlsym/dladdr failed)");
        return -1;
    }
    if (errlen > 0)
        err[0] = '\0';
#if defined(HL_SANITIZE)
    /* The sanitizer runtime owns malloc (libasan.so, or the executable when
     * the runtime is linked statically).  The native backend calls its
     * prefixed API, so that is what must resolve into the right library. */
    if (!has_prefix(base_name(malloc_obj), "libasan.so") && strstr(malloc_obj, ".so") != NULL) {
        snprintf(err, errlen, "sanitizer build: malloc resolves to %s, expected the sanitizer runtime",
                 malloc_obj);
        return -1;
    }
#else
    if (!has_prefix(base_name(malloc_obj), v->malloc_so)) {
        snprintf(err, errlen,
                 "the '%s' variant's malloc resolves to %s, expected %s*: the allocator library "
                 "must come before libc in DT_NEEDED (link with hl_link_variant) and nothing may "
                 "be LD_PRELOADed",
                 HL_VARIANT_NAME, malloc_obj, v->malloc_so);
        return -1;
    }
#endif
    /* The native backend's own entry point must come from its library too
     * (for cpython: obmalloc from libpython, not some other PyObject_Malloc). */
    const char *entry_obj = object_of_symbol(v->entry);
    if (entry_obj == NULL || !has_prefix(base_name(entry_obj), v->entry_so)) {
        snprintf(err, errlen, "the '%s' variant's %s resolves to %s, expected %s*", HL_VARIANT_NAME,
                 v->entry, entry_obj ? entry_obj : "nothing", v->entry_so);
        return -1;
    }
#if defined(HL_SANITIZE)
    /* Success, but say what was actually checked. */
    snprintf(err, errlen,
             "sanitizer build: malloc is %s (the sanitizer's), not %s*; checked that %s comes "
             "from %s instead",
             base_name(malloc_obj), v->malloc_so, v->entry, base_name(entry_obj));
#endif
    return 0;
}

/* ---- options shared by the wrapping backends ---------------------------- */

int hl_backends_parse_options(const char *owner, const char *options,
                              int (*fn)(const char *key, const char *value, void *arg, char *err,
                                        size_t errlen),
                              void *arg, char *err, size_t errlen)
{
    const char *p = options;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        char pair[128];
        if (len >= sizeof pair) {
            snprintf(err, errlen, "%s: option '%.*s...' is too long", owner, 40, p);
            return -1;
        }
        memcpy(pair, p, len);
        pair[len] = '\0';
        char *eq = strchr(pair, '=');
        if (eq == NULL || eq == pair) {
            snprintf(err, errlen, "%s: option '%s' is not KEY=VALUE (e.g. raw=%s)", owner, pair,
                     hl_registry_native()->name);
            return -1;
        }
        *eq = '\0';
        if (fn(pair, eq + 1, arg, err, errlen) != 0)
            return -1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}
