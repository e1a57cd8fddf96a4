/* route.c - backend spec -> variant -> cell executable.
 *
 * How it works
 * ------------
 * Every fact about a backend (its variant, whether it takes raw=, the
 * package that brings it) is a column of allocators/backends.def, read here
 * through backend_table.h; this file only applies the routing rules of
 * route.h to them.  The executable directory is read once from
 * /proc/self/exe, so `heaplab` finds its cells wherever the build tree or
 * install puts the pair.
 */
#include "route.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const hl_route_variants[HL_ROUTE_NVARIANTS] = {
#define HL_BACKEND(name, kind, variant, ...) HL_ROUTE_VARIANT_##kind(variant)
#define HL_ROUTE_VARIANT_PROCESS(variant) #variant,
#define HL_ROUTE_VARIANT_REFERENCE(variant) #variant,
#define HL_ROUTE_VARIANT_WRAPPER(variant)
#define HL_ROUTE_VARIANT_DEBUG(variant)
#define HL_ROUTE_VARIANT_FAULT(variant)
#include "backends.def"
#undef HL_BACKEND
};

size_t hl_route_backend_count(void)
{
    return HL_BACKEND_ROWS;
}

const char *hl_route_backend_at(size_t i)
{
    return i < HL_BACKEND_ROWS ? hl_backend_rows[i].name : NULL;
}

bool hl_route_takes_raw(const char *name)
{
    const hl_backend_row *r = hl_backend_row_find(name);
    return r != NULL && hl_backend_row_takes_raw(r);
}

bool hl_route_in_default_suites(const char *name)
{
    const hl_backend_row *r = hl_backend_row_find(name);
    return r != NULL && r->kind != HL_KIND_FAULT;
}

const char *hl_route_package_hint(const char *variant)
{
    const hl_backend_row *r = hl_backend_row_of_variant(variant);
    if (r == NULL)
        return "the library";
    if (r->library[0] == '\0')
        return "nothing (this variant is always built)";
    return r->packages;
}

void hl_route_backend_name(const char *spec, char *out, size_t outlen)
{
    size_t n = strcspn(spec, ":");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, spec, n);
    out[n] = '\0';
}

static bool row_takes_raw(const hl_backend_row *r)
{
    return hl_backend_row_takes_raw(r);
}

static bool row_is_process(const hl_backend_row *r)
{
    return r->kind == HL_KIND_PROCESS;
}

const char *hl_route_variant(const char *spec, char *err, size_t errlen)
{
    char name[64], all[512];
    hl_backend_row_list(all, sizeof all, "", NULL);
    if (spec[0] == '\0' || spec[0] == ':') {
        snprintf(err, errlen, "empty backend name: give one of %s", all);
        return NULL;
    }
    hl_route_backend_name(spec, name, sizeof name);
    const hl_backend_row *r = hl_backend_row_find(name);
    if (!r) {
        snprintf(err, errlen, "unknown backend '%s': give one of %s (see 'heaplab list backends')",
                 name, all);
        return NULL;
    }
    const char *opts = strchr(spec, ':');
    if (!opts)
        return r->variant;
    opts++;
    /* Options are comma separated k=v; raw= decides the variant, the others
     * are checked against the table here and in full by the cell. */
    const char *variant = r->variant;
    for (const char *p = opts; *p;) {
        size_t len = strcspn(p, ",");
        if (len >= 4 && strncmp(p, "raw=", 4) == 0) {
            char list[512];
            if (!hl_backend_row_takes_raw(r)) {
                snprintf(err, errlen, "backend '%s' takes no raw= option: raw= only applies to %s",
                         name, hl_backend_row_list(list, sizeof list, "", row_takes_raw));
                return NULL;
            }
            char raw[64];
            snprintf(raw, sizeof raw, "%.*s", (int)(len - 4), p + 4);
            const hl_backend_row *x = hl_backend_row_find(raw);
            if (!x || x->kind != HL_KIND_PROCESS) {
                snprintf(err, errlen, "backend '%s': raw=%.*s is not a process allocator: use %s",
                         spec, (int)(len - 4), p + 4,
                         hl_backend_row_list(list, sizeof list, "raw=", row_is_process));
                return NULL;
            }
            variant = x->variant;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    /* the environment options are the driver's to set: check them now */
    hl_backend_env env;
    if (hl_backend_env_split(r, opts, &env, err, errlen) != 0)
        return NULL;
    if (env.rest[0] && !hl_backend_row_has_own_options(r)) {
        if (r->options[0])
            snprintf(err, errlen, "backend '%s' takes only %s (got '%s')", name, r->options,
                     env.rest);
        else
            snprintf(err, errlen, "backend '%s' takes no options (got '%s')", name, opts);
        return NULL;
    }
    if (env.rest[0] && hl_backend_check_own_options(r, env.rest, err, errlen) != 0)
        return NULL;
    return variant;
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
        list = hl_route_variants[0]; /* the table's first variant: system */
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

/* A variant on glibc alone needs no library: every build has it. */
static bool always_built(const char *variant)
{
    const hl_backend_row *r = hl_backend_row_of_variant(variant);
    return r != NULL && r->library[0] == '\0';
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
    else if (always_built(variant))
        snprintf(err, errlen, "%s '%s' is not in this build: heaplab-cell-%s is missing next "
                              "to heaplab; rebuild (cmake --build <build dir>)",
                 backend ? "backend" : "variant", backend ? backend : variant, variant);
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
