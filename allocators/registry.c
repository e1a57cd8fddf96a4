/* registry.c - which backends this process hosts, specs turned into open
 * instances, and proof that the process malloc is the variant's.
 *
 * How it works
 * ------------
 * Compiled once.  The variant is whichever backend defines it in this
 * executable: hl_native_backend, exported by the one PROCESS or REFERENCE
 * backend file linked (backend.h).  Its row of backends.def names the
 * variant and its libraries; the hosted list is that backend first, then,
 * for a PROCESS variant, every WRAPPER, DEBUG and FAULT row (pool, guard, faulty).
 * The cpython variant hosts libpython's obmalloc alone: the pool is
 * heaplab's own pymalloc and comparing the two in one process would mix two
 * allocators' state in one RSS figure.
 *
 * Opening (hl_registry_open) keeps one instance per backend per process:
 * the first spec opens it, later specs with the same options or none share
 * it, other options are refused (they would change the backend under the
 * handles already open).  For a backend that takes raw=NAME, raw= is the
 * registry's option: it opens the named PROCESS backend first and injects
 * it (hl_raw) into the wrapper's open, which gets the other options.
 *
 * hl_registry_check_process() asks the dynamic linker (dladdr) which object
 * the symbol `malloc` resolved to.  Debian's jemalloc, mimalloc, tcmalloc
 * and tbbmalloc's proxy export malloc, so when the variant's library comes
 * before libc in the executable's DT_NEEDED list it wins symbol resolution
 * for the whole process; if the link order or an LD_PRELOAD broke that, the
 * check fails and the cell refuses to run instead of measuring the wrong
 * allocator.  Under sanitizers malloc belongs to the sanitizer runtime by
 * design; the check then verifies the native backend's *prefixed* entry
 * point (the table's entry column: mallocx, mi_malloc, tc_malloc, ...)
 * instead, which is what the backend calls.
 */
#include "registry.h"

#include "backends.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every WRAPPER, DEBUG and FAULT backend, in table order: hosted by every PROCESS
 * variant, after the native backend. */
static const hl_backend *const wrappers[] = {
#define HL_BACKEND(name, kind, ...) HL_REGISTRY_WRAPPER_##kind(name)
#define HL_REGISTRY_WRAPPER_PROCESS(name)
#define HL_REGISTRY_WRAPPER_REFERENCE(name)
#define HL_REGISTRY_WRAPPER_WRAPPER(name) &hl_##name##_backend,
#define HL_REGISTRY_WRAPPER_DEBUG(name) &hl_##name##_backend,
#define HL_REGISTRY_WRAPPER_FAULT(name) &hl_##name##_backend,
#include "backends.def"
#undef HL_BACKEND
};

#define N_WRAPPERS (sizeof wrappers / sizeof wrappers[0])

/* The native backend's row.  A linked backend without a row, or a wrapper
 * exported as hl_native_backend, is a build error that cannot be measured
 * around: say so and stop. */
static const hl_backend_row *native_row(void)
{
    static const hl_backend_row *row;
    if (row == NULL) {
        const hl_backend_row *r = hl_backend_row_find(hl_native_backend.name);
        if (r == NULL || !hl_backend_row_is_variant(r)) {
            fprintf(stderr, "heaplab: the linked native backend '%s' is not a PROCESS or "
                            "REFERENCE row of allocators/backends.def\n",
                    hl_native_backend.name);
            abort();
        }
        row = r;
    }
    return row;
}

const char *hl_registry_variant(void)
{
    return native_row()->variant;
}

size_t hl_registry_count(void)
{
    return 1 + (native_row()->kind == HL_KIND_PROCESS ? N_WRAPPERS : 0);
}

const hl_backend *hl_registry_at(size_t i)
{
    if (i >= hl_registry_count())
        return NULL;
    return i == 0 ? &hl_native_backend : wrappers[i - 1];
}

const hl_backend *hl_registry_find(const char *name)
{
    for (size_t i = 0; i < hl_registry_count(); i++)
        if (strcmp(hl_registry_at(i)->name, name) == 0)
            return hl_registry_at(i);
    return NULL;
}

const hl_backend *hl_registry_native(void)
{
    /* For cpython this is the obmalloc backend: the allocator the variant
     * exists to measure (its raw domain is glibc underneath). */
    return &hl_native_backend;
}

const hl_backend_row *hl_registry_row(const hl_backend *b)
{
    return hl_backend_row_find(b->name);
}

bool hl_registry_known(const char *name)
{
    return hl_backend_row_find(name) != NULL;
}

/* ---- opening ---------------------------------------------------------- */

/* The open instances.  Invariant: at most one entry per backend; options
 * is what its open was given (raw= included), so that a later spec can be
 * compared with it.  Protected by open_lock. */
static struct {
    const hl_backend *backend;
    void *ctx;
    char options[256];
} opened[16];
static size_t n_opened;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static int open_locked(const char *spec, const hl_backend **out, void **ctx, char *err,
                       size_t errlen);

/* The environment options of a spec are applied by whoever starts the
 * process (they must be there before main); a spec that names them in a
 * process started without them would measure something else under its
 * name, so refuse it. */
static int check_env_arrived(const char *name, const hl_backend_env *env, char *err,
                             size_t errlen)
{
    for (size_t i = 0; i < env->n; i++) {
        const char *entry = env->entries[i];
        size_t len = strcspn(entry, "=");
        char var[64];
        snprintf(var, sizeof var, "%.*s", (int)len, entry);
        const char *have = getenv(var);
        if (!have || strcmp(have, entry + len + 1) != 0) {
            snprintf(err, errlen, "backend '%s' sets %s, but this process started with %s%s%s: "
                                  "run it through `heaplab run`, which sets it before the "
                                  "allocator starts", name, entry, var, have ? "=" : " unset",
                     have ? have : "");
            return -1;
        }
    }
    return 0;
}

/* The names hosted here, "a, b, c", for messages. */
static void hosted_list(char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < hl_registry_count(); i++)
        snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? ", " : "",
                 hl_registry_at(i)->name);
}

static int resolve_raw_locked(const hl_backend *b, const char *options, hl_raw *raw, char *rest,
                              size_t restlen, char *err, size_t errlen)
{
    const char *native = hl_registry_native()->name;
    char raw_name[64] = "";
    bool have_raw = false;
    size_t len = 0;
    rest[0] = '\0';
    for (const char *p = options; *p;) {
        size_t n = strcspn(p, ",");
        if (n >= 4 && strncmp(p, "raw=", 4) == 0) {
            if (have_raw) {
                snprintf(err, errlen, "%s: raw= is given twice", b->name);
                return -1;
            }
            if (n == 4 || n - 4 >= sizeof raw_name) {
                snprintf(err, errlen, "%s: raw= needs the name of a backend, e.g. raw=%s",
                         b->name, native);
                return -1;
            }
            memcpy(raw_name, p + 4, n - 4);
            raw_name[n - 4] = '\0';
            have_raw = true;
        } else {
            int w = snprintf(rest + len, restlen - len, "%s%.*s", len ? "," : "", (int)n, p);
            if (w < 0 || (size_t)w >= restlen - len) {
                snprintf(err, errlen, "%s: options '%s' are too long", b->name, options);
                return -1;
            }
            len += (size_t)w;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    const hl_backend *rb = hl_registry_native();
    if (have_raw) {
        rb = hl_registry_find(raw_name);
        const hl_backend_row *rr = hl_backend_row_find(raw_name);
        if (strcmp(raw_name, b->name) == 0) {
            snprintf(err, errlen, "%s: raw=%s would make the backend its own raw allocator; "
                     "use raw=%s (this variant's malloc)", b->name, raw_name, native);
            return -1;
        }
        if (rb == NULL || rr == NULL || rr->kind != HL_KIND_PROCESS) {
            snprintf(err, errlen, "%s: raw=%s is not %s in the '%s' process variant; use raw=%s",
                     b->name, raw_name,
                     rr == NULL ? "a backend"
                                : rr->kind == HL_KIND_PROCESS ? "hosted" : "a process allocator",
                     hl_registry_variant(), native);
            return -1;
        }
    } else if (hl_registry_row(rb)->kind != HL_KIND_PROCESS) {
        snprintf(err, errlen, "%s: the '%s' variant has no process allocator to run on",
                 b->name, hl_registry_variant());
        return -1;
    }
    raw->backend = rb;
    return open_locked(rb->name, &raw->backend, &raw->ctx, err, errlen);
}

int hl_registry_resolve_raw(const hl_backend *b, const char *options, hl_raw *raw, char *rest,
                            size_t restlen, char *err, size_t errlen)
{
    pthread_mutex_lock(&open_lock);
    int rc = resolve_raw_locked(b, options, raw, rest, restlen, err, errlen);
    pthread_mutex_unlock(&open_lock);
    return rc;
}

static int open_locked(const char *spec, const hl_backend **out, void **ctx, char *err,
                       size_t errlen)
{
    char name[64];
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *options = colon ? colon + 1 : "";
    if (len == 0 || len >= sizeof name || strlen(options) >= sizeof opened[0].options) {
        snprintf(err, errlen, "bad backend spec '%s': expected NAME or NAME:OPTIONS", spec);
        return -1;
    }
    memcpy(name, spec, len);
    name[len] = '\0';

    const hl_backend *b = hl_registry_find(name);
    if (b == NULL) {
        if (hl_registry_known(name)) {
            snprintf(err, errlen,
                     "backend '%s' is not hosted by the '%s' process variant; run it through "
                     "`heaplab run --backends %s`, which starts the right process",
                     name, hl_registry_variant(), name);
        } else {
            char list[256];
            hosted_list(list, sizeof list);
            snprintf(err, errlen, "unknown backend '%s' (this process has: %s)", name, list);
        }
        return -1;
    }
    const hl_backend_row *row = hl_registry_row(b);
    hl_backend_env env;
    if (hl_backend_env_split(row, options, &env, err, errlen) != 0 ||
        check_env_arrived(name, &env, err, errlen) != 0)
        return -1;
    if (env.rest[0] && !hl_backend_row_has_own_options(row)) {
        if (row->options[0])
            snprintf(err, errlen, "backend '%s' takes only %s (got '%s')", name, row->options,
                     env.rest);
        else
            snprintf(err, errlen, "backend '%s' takes no options (got '%s')", name, options);
        return -1;
    }
    for (size_t k = 0; k < n_opened; k++) {
        if (opened[k].backend != b)
            continue;
        /* No options means "as opened"; the same options are harmless;
         * other options would change the backend under the handles open. */
        if (options[0] != '\0' && strcmp(options, opened[k].options) != 0) {
            snprintf(err, errlen,
                     "backend '%s' is already initialised in this process with options '%s'; a "
                     "second handle cannot change them to '%s'",
                     name, opened[k].options, options);
            return -1;
        }
        *out = b;
        *ctx = opened[k].ctx;
        return 0;
    }
    if (n_opened == sizeof opened / sizeof opened[0]) {
        snprintf(err, errlen, "too many backends open (at most %zu)",
                 sizeof opened / sizeof opened[0]);
        return -1;
    }
    void *instance = NULL;
    if (b->open) {
        hl_raw raw = {NULL, NULL};
        char rest[256];
        const char *own_options = env.rest;
        bool wraps = hl_backend_row_takes_raw(row);
        if (wraps) {
            if (resolve_raw_locked(b, env.rest, &raw, rest, sizeof rest, err, errlen) != 0)
                return -1;
            own_options = rest;
        }
        /* A backend that relies on the GIL gets it for its set-up too. */
        bool take_gil = !b->thread_safe && !hl_gil_held;
        if (take_gil)
            hl_gil_acquire();
        int rc = b->open(own_options, wraps ? &raw : NULL, &instance, err, errlen);
        if (take_gil)
            hl_gil_release();
        if (rc != 0)
            return -1;
    }
    opened[n_opened].backend = b;
    opened[n_opened].ctx = instance;
    snprintf(opened[n_opened].options, sizeof opened[n_opened].options, "%s", options);
    n_opened++;
    *out = b;
    *ctx = instance;
    return 0;
}

int hl_registry_open(const char *spec, const hl_backend **backend, void **ctx, char *err,
                     size_t errlen)
{
    pthread_mutex_lock(&open_lock);
    int rc = open_locked(spec, backend, ctx, err, errlen);
    pthread_mutex_unlock(&open_lock);
    return rc;
}

int hl_allocator_open(hl_allocator *a, const char *spec, char *err, size_t errlen)
{
    const hl_backend *b;
    void *ctx;
    if (hl_registry_open(spec, &b, &ctx, err, errlen) != 0)
        return -1;
    return hl_allocator_init(a, b, ctx, spec, err, errlen);
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

typedef struct library_scan {
    const char *prefix;
    char found[4096];
} library_scan;

static int find_library(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    library_scan *scan = arg;
    const char *path = info->dlpi_name ? info->dlpi_name : "";
    if (path[0] != '/' || !has_prefix(base_name(path), scan->prefix))
        return 0;
    if (!realpath(path, scan->found))
        snprintf(scan->found, sizeof scan->found, "%s", path);
    return 1;
}

int hl_registry_malloc_library(char *out, size_t outlen)
{
    library_scan scan = {.prefix = native_row()->malloc_so, .found = ""};
    if (scan.prefix[0] == '\0')
        return -1;
    dl_iterate_phdr(find_library, &scan);
    if (scan.found[0] == '\0' || strlen(scan.found) >= outlen)
        return -1;
    snprintf(out, outlen, "%s", scan.found);
    return 0;
}

int hl_registry_check_process(char *err, size_t errlen)
{
    const hl_backend_row *v = native_row();

    /* Another variant's allocator library in this process would mean two
     * allocators' state (and possibly a different malloc) in one cell. */
    foreign_scan scan = {.own = v, .found = ""};
    dl_iterate_phdr(find_foreign_allocator, &scan);
    if (scan.found[0] != '\0') {
        snprintf(err, errlen,
                 "the '%s' variant has another allocator library loaded (%s): check "
                 "LD_PRELOAD and how the executable was linked (hl_link_variant)",
                 hl_registry_variant(), scan.found);
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
                 hl_registry_variant(), malloc_obj, v->malloc_so);
        return -1;
    }
#endif
    /* The native backend's own entry point must come from its library too
     * (for cpython: obmalloc from libpython, not some other PyObject_Malloc). */
    const char *entry_obj = object_of_symbol(v->entry);
    if (entry_obj == NULL || !has_prefix(base_name(entry_obj), v->entry_so)) {
        snprintf(err, errlen, "the '%s' variant's %s resolves to %s, expected %s*", hl_registry_variant(),
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
