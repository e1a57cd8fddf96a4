/* pyconfig.c - see pyconfig.h. */
#include "pyconfig.h"

#include "allocenv.h"
#include "probe.h"
#include "runner.h"
#include "sha256.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const hl_pyconfig_defaults[] = {"pymalloc",        "malloc",
                                            "malloc+jemalloc", "malloc+mimalloc",
                                            "pymalloc+jemalloc", "mimalloc"};
const size_t hl_pyconfig_n_defaults = sizeof hl_pyconfig_defaults / sizeof hl_pyconfig_defaults[0];

/* Python 2 cannot run it, which is the point: the answer must parse. */
static const char query_script[] =
    "import sys, sysconfig\n"
    "v = sys.version_info\n"
    "c = sysconfig.get_config_var\n"
    "print('version=%d.%d.%d' % (v[0], v[1], v[2]))\n"
    "print('build=' + sys.version.replace('\\n', ' '))\n"
    "print('implementation=' + sys.implementation.name)\n"
    "print('debug=%d' % bool(c('Py_DEBUG')))\n"
    "print('free_threaded=%d' % bool(c('Py_GIL_DISABLED')))\n"
    "print('pymalloc=%d' % bool(c('WITH_PYMALLOC')))\n"
    "print('mimalloc=%d' % bool(c('WITH_MIMALLOC')))\n"
    "print('executable=' + (sys.executable or ''))\n";

static const char *field(const char *text, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t len = strcspn(p + klen + 1, "\n");
            snprintf(out, outlen, "%.*s", (int)len, p + klen + 1);
            return out;
        }
    return NULL;
}

/* Runs the interpreter with the query into a temporary file; its text. */
static char *ask(const char *path, char *err, size_t errlen)
{
    char tmp[] = "/tmp/heaplab-pyquery-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file to query %s", path);
        return NULL;
    }
    close(fd);
    char *argv[] = {(char *)path, "-I", "-c", (char *)query_script, NULL};
    char **env = hl_allocenv_clean(NULL);
    hl_run_opts ro = {.path = path, .argv = argv, .stdout_path = tmp, .timeout_s = 60,
                      .envp = env};
    hl_run_result res;
    hl_runner_run(&ro, &res);
    free(env);
    char *text = NULL;
    if (res.outcome == HL_RUN_EXITED && res.exit_code == 0) {
        FILE *f = fopen(tmp, "r");
        if (f) {
            text = calloc(1, 8192);
            if (text && fread(text, 1, 8191, f) == 0) {
                free(text);
                text = NULL;
            }
            fclose(f);
        }
    }
    unlink(tmp);
    if (!text)
        snprintf(err, errlen, "--python %s: it did not answer `%s -I -c ...` (%s%s): give the "
                              "path of a CPython 3.6+ interpreter",
                 path, path, res.outcome == HL_RUN_SPAWN_FAILED ? res.err : "exit status ",
                 res.outcome == HL_RUN_SPAWN_FAILED ? "" : (res.exit_code ? "non-zero" : "0"));
    return text;
}

static void default_name(hl_pyinterp *py)
{
    snprintf(py->name, sizeof py->name, "%u.%u%s%s", py->major, py->minor,
             py->free_threaded ? "t" : "", py->debug ? "d" : "");
}

int hl_pyconfig_query(const char *path, const char *name, hl_pyinterp *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!realpath(path, out->path)) {
        snprintf(err, errlen, "--python %s: no such file: give the path of a CPython "
                              "interpreter, e.g. --python /usr/bin/python3", path);
        return -1;
    }
    char *text = ask(out->path, err, errlen);
    if (!text)
        return -1;
    char v[64] = "", impl[32] = "", b[8];
    field(text, "version", v, sizeof v);
    field(text, "implementation", impl, sizeof impl);
    field(text, "build", out->build, sizeof out->build);
    field(text, "executable", out->executable, sizeof out->executable);
    if (sscanf(v, "%u.%u", &out->major, &out->minor) != 2 || strcmp(impl, "cpython") != 0 ||
        out->major != 3 || out->minor < 6) {
        snprintf(err, errlen, "--python %s is %s %s: heaplab's configurations need CPython "
                              "3.6 or newer (PYTHONMALLOC)", path, impl[0] ? impl : "not CPython",
                 v);
        free(text);
        return -1;
    }
    snprintf(out->version, sizeof out->version, "%.23s", v);
    out->debug = field(text, "debug", b, sizeof b) && b[0] == '1';
    out->free_threaded = field(text, "free_threaded", b, sizeof b) && b[0] == '1';
    out->with_pymalloc = field(text, "pymalloc", b, sizeof b) && b[0] == '1';
    out->with_mimalloc = field(text, "mimalloc", b, sizeof b) && b[0] == '1';
    free(text);
    if (name)
        snprintf(out->name, sizeof out->name, "%s", name);
    else
        default_name(out);
    return hl_sha256_file(out->path, out->sha256, &out->size, err, errlen);
}

int hl_pyconfig_parse(const char *config, hl_pyconfig *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *plus = strchr(config, '+');
    size_t len = plus ? (size_t)(plus - config) : strlen(config);
    snprintf(out->obj, sizeof out->obj, "%.*s", (int)(len < 15 ? len : 15), config);
    bool ok = len < sizeof out->obj &&
              (strcmp(out->obj, "pymalloc") == 0 || strcmp(out->obj, "malloc") == 0 ||
               (strcmp(out->obj, "mimalloc") == 0 && !plus));
    if (ok && plus) {
        ok = plus[1] != '\0' && strlen(plus + 1) < sizeof out->preload &&
             strcmp(plus + 1, "system") != 0;
        snprintf(out->preload, sizeof out->preload, "%s", plus + 1);
    }
    if (!ok) {
        snprintf(err, errlen, "CPython configuration '%s': use pymalloc, malloc, mimalloc, "
                              "malloc+BACKEND or pymalloc+BACKEND (BACKEND a process "
                              "allocator, e.g. jemalloc)", config);
        return -1;
    }
    return 0;
}

bool hl_pyconfig_supported(const hl_pyinterp *py, const hl_pyconfig *cfg, char *why,
                           size_t whylen)
{
    if (strcmp(cfg->obj, "mimalloc") == 0 && !(py->major == 3 && py->minor >= 13 &&
                                               py->with_mimalloc)) {
        snprintf(why, whylen, "PYTHONMALLOC=mimalloc needs CPython 3.13+ built with mimalloc; "
                              "%s is %s", py->name, py->version);
        return false;
    }
    if (strcmp(cfg->obj, "pymalloc") == 0 && (!py->with_pymalloc || py->free_threaded)) {
        snprintf(why, whylen, "%s has no pymalloc (%s)", py->name,
                 py->free_threaded ? "a free-threaded build" : "built --without-pymalloc");
        return false;
    }
    return true;
}

bool hl_pyconfig_split_spec(const char *spec, char *config, size_t clen, char *interp,
                            size_t ilen)
{
    const char *at = strchr(spec, '@');
    if (!at)
        return false;
    snprintf(config, clen, "%.*s", (int)(at - spec), spec);
    snprintf(interp, ilen, "%s", at + 1);
    return true;
}

/* The object allocator the interpreter uses when PYTHONMALLOC is unset
 * (Objects/obmalloc.c: debug builds install the debug hooks on top). */
static const char *default_obj(const hl_pyinterp *py)
{
    if (py->free_threaded)
        return "mimalloc";
    if (py->debug)
        return "debug";
    return py->with_pymalloc ? "pymalloc" : "malloc";
}

void hl_pyconfig_expect(const hl_pyinterp *py, const hl_pyconfig *cfg, const char **expect,
                        const char **also)
{
    *also = "";
    if (strcmp(cfg->obj, "malloc") == 0) {
        *expect = HL_PROBE_PY_RAW;
        if (strcmp(default_obj(py), "malloc") == 0)
            *also = HL_PROBE_PY_DEFAULT;
        return;
    }
    *expect = strcmp(cfg->obj, default_obj(py)) == 0 ? HL_PROBE_PY_DEFAULT : HL_PROBE_PY_OTHER;
}
