/* probe_lib.c - libheaplab-probe.so: which malloc a measured program really
 * uses, reported from inside it.  The record format and why it exists are
 * in probe.h.
 *
 * How it works
 * ------------
 * The command cell puts this library last in LD_PRELOAD.  Its constructor
 * asks the dynamic linker the question the program's own calls ask:
 * dlsym(RTLD_DEFAULT, "malloc") returns the first definition in the global
 * search order (the executable, then the preloaded objects in order, then
 * the program's dependencies), which is the one every call to malloc from
 * the program and its libraries binds to; dladdr names the object that
 * holds it.  Its destructor runs at exit() and checks that the allocator's
 * file is still mapped, and, in a CPython process, which functions the
 * object domain uses after the interpreter applied PYTHONMALLOC.
 *
 * Built without sanitizers and without heaplab's other code: it is loaded
 * into programs heaplab did not build.
 */
#include "probe.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CPython's PyMemAllocatorEx and PYMEM_DOMAIN_* (Include/cpython/pymem.h):
 * a stable layout since 3.5 (PEP 445). */
typedef struct {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    void (*free)(void *ctx, void *ptr);
} py_allocator;
enum { PY_DOMAIN_RAW = 0, PY_DOMAIN_MEM = 1, PY_DOMAIN_OBJ = 2 };
typedef void (*py_get_allocator_fn)(int domain, py_allocator *out);

static py_allocator py_obj_at_load;
static py_get_allocator_fn py_get_allocator;

static void append_line(const char *line, size_t len)
{
    const char *path = getenv(HL_PROBE_ENV_OUT);
    if (!path || !*path)
        return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, len);
    (void)w; /* nothing to do about a failed report: the cell sees it missing */
    close(fd);
}

/* Is addr the address of a definition of a symbol (not of an executable's
 * canonical PLT entry: a non-PIE program that takes &malloc gets an
 * undefined dynamic symbol whose value is its PLT slot, and dlsym returns
 * that slot), and in which file? */
static int defined_at(void *addr, Dl_info *info)
{
    const ElfW(Sym) *sym = NULL;
    return addr && dladdr1(addr, info, (void **)&sym, RTLD_DL_SYMENT) && sym &&
           sym->st_shndx != SHN_UNDEF;
}

typedef struct scan {
    const char *symbol;
    char found[PATH_MAX];
} scan;

/* dl_iterate_phdr visits the objects in load order, which for the objects
 * loaded at start-up is the global lookup order (executable, LD_PRELOAD
 * entries, then the dependencies breadth first): the first that defines
 * the symbol itself is the one calls bind to. */
static int find_definer(struct dl_phdr_info *obj, size_t size, void *arg)
{
    (void)size;
    scan *s = arg;
    if (!obj->dlpi_name || obj->dlpi_name[0] != '/')
        return 0; /* the executable (judged by the caller) or the vDSO */
    void *h = dlopen(obj->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return 0;
    Dl_info info;
    void *addr = dlsym(h, s->symbol); /* this object first, then its dependencies */
    int hit = defined_at(addr, &info) && info.dli_fbase == (void *)obj->dlpi_addr;
    if (!hit && addr && defined_at(addr, &info) && info.dli_fname &&
        strcmp(info.dli_fname, obj->dlpi_name) == 0)
        hit = 1;
    dlclose(h);
    if (hit && !realpath(obj->dlpi_name, s->found))
        snprintf(s->found, sizeof s->found, "%s", obj->dlpi_name);
    return hit;
}

/* The absolute path of the object whose definition of symbol the process
 * uses, or "?". */
static void defining_object(const char *symbol, char *out, size_t outlen)
{
    snprintf(out, outlen, "?");
    Dl_info info;
    void *addr = dlsym(RTLD_DEFAULT, symbol);
    if (defined_at(addr, &info) && info.dli_fname && info.dli_fname[0] == '/') {
        if (!realpath(info.dli_fname, out))
            snprintf(out, outlen, "%s", info.dli_fname);
        return;
    }
    if (defined_at(addr, &info)) { /* defined in the executable itself */
        ssize_t n = readlink("/proc/self/exe", out, outlen - 1);
        out[n > 0 ? n : 0] = '\0';
        return;
    }
    scan s = {.symbol = symbol, .found = ""};
    dl_iterate_phdr(find_definer, &s);
    if (s.found[0])
        snprintf(out, outlen, "%s", s.found);
}

__attribute__((constructor)) static void probe_start(void)
{
    if (!getenv(HL_PROBE_ENV_OUT))
        return;
    char exe[PATH_MAX] = "?", m[PATH_MAX], f[PATH_MAX], c[PATH_MAX], r[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 1] = '\0';
    defining_object("malloc", m, sizeof m);
    defining_object("free", f, sizeof f);
    defining_object("calloc", c, sizeof c);
    defining_object("realloc", r, sizeof r);
    py_get_allocator = (py_get_allocator_fn)dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
    if (py_get_allocator)
        py_get_allocator(PY_DOMAIN_OBJ, &py_obj_at_load);
    char line[5 * PATH_MAX + 128];
    int len = snprintf(line, sizeof line, HL_PROBE_START "\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n",
                       (int)getpid(), (int)getppid(), exe, m, f, c, r);
    if (len > 0 && (size_t)len < sizeof line)
        append_line(line, (size_t)len);
}

/* Is path one of the files mapped into this process? */
static int mapped(const char *path)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[8192], tail[PATH_MAX + 256];
    size_t have = 0;
    int found = 0;
    ssize_t got;
    /* Line by line without stdio: carry a partial line over reads. */
    while (!found && (got = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got && !found; i++) {
            if (buf[i] != '\n') {
                if (have + 1 < sizeof tail)
                    tail[have++] = buf[i];
                continue;
            }
            tail[have] = '\0';
            const char *slash = strchr(tail, '/');
            found = slash && strcmp(slash, path) == 0;
            have = 0;
        }
    }
    close(fd);
    return found;
}

static const char *python_object_allocator(void)
{
    if (!py_get_allocator)
        return HL_PROBE_PY_NONE;
    py_allocator now, raw;
    py_get_allocator(PY_DOMAIN_OBJ, &now);
    py_get_allocator(PY_DOMAIN_RAW, &raw);
    if (now.malloc == raw.malloc && now.free == raw.free)
        return HL_PROBE_PY_RAW;
    if (now.malloc == py_obj_at_load.malloc && now.free == py_obj_at_load.free)
        return HL_PROBE_PY_DEFAULT;
    return HL_PROBE_PY_OTHER;
}

__attribute__((destructor)) static void probe_exit(void)
{
    if (!getenv(HL_PROBE_ENV_OUT))
        return;
    const char *expect = getenv(HL_PROBE_ENV_EXPECT);
    char line[256];
    int len = snprintf(line, sizeof line, HL_PROBE_EXIT "\t%d\t%s\t%s\n", (int)getpid(),
                       expect && *expect ? (mapped(expect) ? "1" : "0") : "-",
                       python_object_allocator());
    if (len > 0 && (size_t)len < sizeof line)
        append_line(line, (size_t)len);
}
