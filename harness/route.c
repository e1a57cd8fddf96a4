/* route.c - backend spec -> variant -> cell executable.
 *
 * How it works
 * ------------
 * The routing table is the one in route.h's comment, kept here as data.  The
 * executable directory is read once from /proc/self/exe, so `heaplab` finds
 * its cells wherever the build tree or install puts the pair.
 */
#include "route.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const hl_route_variants[HL_ROUTE_NVARIANTS] = {
    "system", "jemalloc", "mimalloc", "tcmalloc", "cpython",
};

typedef struct route_entry {
    const char *backend;
    const char *variant;
    bool takes_raw; /* wraps the variant's malloc; raw=X picks the variant */
} route_entry;

static const route_entry routes[] = {
    {"system", "system", false},     {"pool", "system", true},
    {"guard", "system", true},       {"faulty", "system", true},
    {"jemalloc", "jemalloc", false}, {"mimalloc", "mimalloc", false},
    {"tcmalloc", "tcmalloc", false}, {"cpython", "cpython", false},
};

static const char *const package_hints[HL_ROUTE_NVARIANTS] = {
    "nothing (the system variant is always built)",
    "libjemalloc-dev",
    "libmimalloc-dev",
    "libgoogle-perftools-dev",
    "python3-dev",
};

size_t hl_route_backend_count(void)
{
    return sizeof routes / sizeof routes[0];
}

const char *hl_route_backend_at(size_t i)
{
    return i < hl_route_backend_count() ? routes[i].backend : NULL;
}

bool hl_route_takes_raw(const char *name)
{
    for (size_t i = 0; i < hl_route_backend_count(); i++)
        if (strcmp(routes[i].backend, name) == 0)
            return routes[i].takes_raw;
    return false;
}

const char *hl_route_package_hint(const char *variant)
{
    for (size_t i = 0; i < HL_ROUTE_NVARIANTS; i++)
        if (strcmp(variant, hl_route_variants[i]) == 0)
            return package_hints[i];
    return "the library";
}

void hl_route_backend_name(const char *spec, char *out, size_t outlen)
{
    size_t n = strcspn(spec, ":");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, spec, n);
    out[n] = '\0';
}

static const char *canonical_variant(const char *name, size_t len)
{
    for (size_t i = 0; i < HL_ROUTE_NVARIANTS; i++)
        if (strlen(hl_route_variants[i]) == len && strncmp(hl_route_variants[i], name, len) == 0)
            return hl_route_variants[i];
    return NULL;
}

const char *hl_route_variant(const char *spec, char *err, size_t errlen)
{
    char name[64];
    if (spec[0] == '\0' || spec[0] == ':') {
        snprintf(err, errlen, "empty backend name: give one of system, pool, guard, faulty, "
                              "jemalloc, mimalloc, tcmalloc, cpython");
        return NULL;
    }
    hl_route_backend_name(spec, name, sizeof name);
    const route_entry *r = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(routes[i].backend, name) == 0)
            r = &routes[i];
    if (!r) {
        snprintf(err, errlen,
                 "unknown backend '%s': give one of system, pool, guard, faulty, jemalloc, "
                 "mimalloc, tcmalloc, cpython (see 'heaplab list backends')",
                 name);
        return NULL;
    }
    const char *opts = strchr(spec, ':');
    if (!opts)
        return r->variant;
    opts++;
    /* Options are comma separated k=v; only raw= matters for routing, the
     * cell validates the rest. */
    for (const char *p = opts; *p;) {
        size_t len = strcspn(p, ",");
        if (len >= 4 && strncmp(p, "raw=", 4) == 0) {
            if (!r->takes_raw) {
                snprintf(err, errlen, "backend '%s' takes no raw= option: raw= only applies to "
                                      "pool, guard and faulty", name);
                return NULL;
            }
            const char *v = canonical_variant(p + 4, len - 4);
            if (!v || strcmp(v, "cpython") == 0) {
                snprintf(err, errlen,
                         "backend '%s': raw=%.*s is not a process allocator: use raw=system, "
                         "raw=jemalloc, raw=mimalloc or raw=tcmalloc",
                         spec, (int)(len - 4), p + 4);
                return NULL;
            }
            return v;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return r->variant;
}

/* The test hook is honoured only when it names an absolute executable. */
const char *hl_route_test_hook(void)
{
    const char *cmd = getenv("HEAPLAB_TEST_CELL_CMD");
    if (!cmd || cmd[0] != '/' || access(cmd, X_OK) != 0)
        return NULL;
    return cmd;
}

static bool hook_hosts(const char *variant)
{
    const char *list = getenv("HEAPLAB_TEST_CELL_VARIANTS");
    if (!list || !*list)
        list = "system";
    size_t vlen = strlen(variant);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == vlen && strncmp(p, variant, len) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

/* Was the variant configured by CMake (HL_CONFIGURED_VARIANTS, a ',' list)?
 * Then a missing executable means "not built yet", not "library missing". */
static bool configured(const char *variant)
{
#ifdef HL_CONFIGURED_VARIANTS
    const char *list = HL_CONFIGURED_VARIANTS;
    size_t vlen = strlen(variant);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == vlen && strncmp(p, variant, len) == 0)
            return !hl_route_test_hook();
        p += len;
        if (*p == ',')
            p++;
    }
#endif
    (void)variant;
    return false;
}

static int exe_dir(char *out, size_t outlen)
{
    char self[HL_ROUTE_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if (strlen(self) + 1 > outlen)
        return -1;
    strcpy(out, self);
    return 0;
}

int hl_route_cell_exe(const char *variant, const char *backend, char *path, size_t pathlen,
                      char *argv0, size_t argv0len, char *err, size_t errlen)
{
    const char *hook = hl_route_test_hook();
    if (hook) {
        if (hook_hosts(variant)) {
            snprintf(path, pathlen, "%s", hook);
            snprintf(argv0, argv0len, "heaplab-cell-%s", variant);
            return 0;
        }
    } else {
        char dir[HL_ROUTE_PATH_MAX];
        if (exe_dir(dir, sizeof dir) == 0) {
            int n = snprintf(path, pathlen, "%s/heaplab-cell-%s", dir, variant);
            if (n > 0 && (size_t)n < pathlen && access(path, X_OK) == 0) {
                snprintf(argv0, argv0len, "%s", path);
                return 0;
            }
        }
    }
    if (configured(variant))
        snprintf(err, errlen, "%s '%s' is not in this build: this build configured variant %s "
                              "but heaplab-cell-%s is missing next to heaplab; build it "
                              "(cmake --build <build dir>)",
                 backend ? "backend" : "variant", backend ? backend : variant, variant, variant);
    else if (strcmp(variant, "system") == 0)
        snprintf(err, errlen, "%s '%s' is not in this build: heaplab-cell-system is missing next "
                              "to heaplab; rebuild (cmake --build <build dir>)",
                 backend ? "backend" : "variant", backend ? backend : variant);
    else if (backend)
        snprintf(err, errlen, "backend '%s' is not in this build: install %s and rebuild",
                 backend, hl_route_package_hint(variant));
    else
        snprintf(err, errlen, "variant '%s' is not in this build: install %s and rebuild", variant,
                 hl_route_package_hint(variant));
    return -1;
}

bool hl_route_have_variant(const char *variant)
{
    char path[HL_ROUTE_PATH_MAX], argv0[HL_ROUTE_PATH_MAX], err[256];
    return hl_route_cell_exe(variant, NULL, path, sizeof path, argv0, sizeof argv0, err,
                             sizeof err) == 0;
}
