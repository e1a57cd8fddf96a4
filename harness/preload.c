/* preload.c - see preload.h.  ELF layout from the System V ABI (gABI,
 * "Object Files": ELF header, program header table, PT_INTERP) as
 * <elf.h> declares it. */
#include "preload.h"

#include "sha256.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- ELF --------------------------------------------------------------------- */

typedef struct elf_facts {
    bool elf;
    bool is_64;
    uint16_t type;      /* ET_EXEC, ET_DYN, ... */
    uint16_t machine;
    bool has_interp;    /* a PT_INTERP program header: dynamically linked */
} elf_facts;

static int read_elf(const char *path, elf_facts *f)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf64_Ehdr eh;
    ssize_t got = pread(fd, &eh, sizeof eh, 0);
    if (got >= EI_NIDENT && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0) {
        f->elf = true;
        f->is_64 = eh.e_ident[EI_CLASS] == ELFCLASS64;
    }
    if (!f->elf || !f->is_64 || got != (ssize_t)sizeof eh) {
        close(fd);
        return 0;
    }
    f->type = eh.e_type;
    f->machine = eh.e_machine;
    for (unsigned i = 0; i < eh.e_phnum && i < 4096; i++) {
        Elf64_Phdr ph;
        off_t at = (off_t)eh.e_phoff + (off_t)i * (off_t)sizeof ph;
        if (eh.e_phentsize != sizeof ph || pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
            break;
        if (ph.p_type == PT_INTERP)
            f->has_interp = true;
    }
    close(fd);
    return 0;
}

/* The machine this program was built for: what a preload must match. */
static uint16_t own_machine(void)
{
    elf_facts self;
    if (read_elf("/proc/self/exe", &self) == 0 && self.elf)
        return self.machine;
    return 0;
}

int hl_preload_check_library(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "preload:%s: %s: give the path of a shared library (.so) you "
                              "built", path, strerror(errno));
        return -1;
    }
    elf_facts f;
    if (!S_ISREG(st.st_mode) || read_elf(path, &f) != 0 || !f.elf) {
        snprintf(err, errlen, "preload:%s is not an ELF file: give a shared library (.so), "
                              "e.g. the libmy.so your allocator's build produced", path);
        return -1;
    }
    if (!f.is_64 || f.machine != own_machine()) {
        snprintf(err, errlen, "preload:%s is built for another machine (ELF %s, machine %u): "
                              "build it for this one", path, f.is_64 ? "64-bit" : "32-bit",
                 f.machine);
        return -1;
    }
    if (f.type != ET_DYN || f.has_interp) {
        snprintf(err, errlen, "preload:%s is %s, not a shared library: link it with -shared",
                 path, f.type == ET_DYN ? "an executable (it has a program interpreter)"
                                        : "an executable or object file");
        return -1;
    }
    return 0;
}

static int search_path(const char *name, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        char cand[PATH_MAX];
        int n = snprintf(cand, sizeof cand, "%.*s/%s", (int)(len ? len : 1), len ? p : ".", name);
        if (n > 0 && (size_t)n < sizeof cand && access(cand, X_OK) == 0) {
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
                snprintf(out, outlen, "%s", cand);
                return 0;
            }
        }
        p += len;
        if (*p == ':')
            p++;
    }
    return -1;
}

/* A "#!" script's interpreter into interp, or "" when path is no script. */
static void script_interpreter(const char *path, char *interp, size_t len)
{
    interp[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    if (fgets(line, sizeof line, f) && line[0] == '#' && line[1] == '!') {
        const char *s = line + 2;
        while (*s == ' ' || *s == '\t')
            s++;
        snprintf(interp, len, "%.*s", (int)strcspn(s, " \t\r\n"), s);
    }
    fclose(f);
}

static int check_program(const char *argv0, char *resolved, size_t rlen, int depth, char *err,
                         size_t errlen)
{
    if (strchr(argv0, '/')) {
        if (!realpath(argv0, resolved)) {
            snprintf(err, errlen, "program %s: %s: check the command's first word", argv0,
                     strerror(errno));
            return -1;
        }
    } else if (search_path(argv0, resolved, rlen) != 0) {
        snprintf(err, errlen, "program '%s' is not in PATH: give its path, or install it",
                 argv0);
        return -1;
    } else {
        char real[PATH_MAX];
        if (realpath(resolved, real))
            snprintf(resolved, rlen, "%s", real);
    }
    struct stat st;
    if (stat(resolved, &st) != 0 || !S_ISREG(st.st_mode) || access(resolved, X_OK) != 0) {
        snprintf(err, errlen, "program %s is not an executable file: check the command's "
                              "first word (chmod +x for a script)", resolved);
        return -1;
    }
    if (st.st_mode & (S_ISUID | S_ISGID)) {
        snprintf(err, errlen, "program %s is set%cid: the dynamic linker ignores LD_PRELOAD "
                              "for it (secure mode, ld.so(8)), so no allocator can be measured "
                              "in it; run a copy without the set%cid bit",
                 resolved, (st.st_mode & S_ISUID) ? 'u' : 'g', (st.st_mode & S_ISUID) ? 'u' : 'g');
        return -1;
    }
    elf_facts f;
    read_elf(resolved, &f);
    if (f.elf) {
        if (!f.has_interp) {
            snprintf(err, errlen, "program %s is statically linked: LD_PRELOAD cannot replace "
                                  "its malloc, so heaplab cannot run it under another "
                                  "allocator; link it dynamically", resolved);
            return -1;
        }
        return 0;
    }
    char interp[PATH_MAX], ignored[PATH_MAX];
    script_interpreter(resolved, interp, sizeof interp);
    if (!interp[0] || depth > 2) {
        snprintf(err, errlen, "program %s is neither an ELF executable nor a #! script", resolved);
        return -1;
    }
    /* the interpreter is what runs, and what must honour LD_PRELOAD */
    return check_program(interp, ignored, sizeof ignored, depth + 1, err, errlen);
}

int hl_preload_check_program(const char *argv0, char *resolved, size_t resolvedlen, char *err,
                             size_t errlen)
{
    return check_program(argv0, resolved, resolvedlen, 0, err, errlen);
}

/* ---- specs ------------------------------------------------------------------- */

static bool name_is(const char *spec, const char *name)
{
    size_t n = strlen(name);
    return strncmp(spec, name, n) == 0 && (spec[n] == '\0' || spec[n] == ':');
}

bool hl_preload_is_command_spec(const char *spec)
{
    if (strchr(spec, '@') || name_is(spec, "preload"))
        return true;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(spec, ":"), spec);
    const hl_backend_row *r = hl_backend_row_find(name);
    return r && r->kind == HL_KIND_PROCESS;
}

static bool row_is_process(const hl_backend_row *r)
{
    return r->kind == HL_KIND_PROCESS;
}

static int add_env(hl_preload *out, const char *entry, char *err, size_t errlen)
{
    if (out->n_env == HL_PRELOAD_MAX_ENV || strlen(entry) >= sizeof out->env[0]) {
        snprintf(err, errlen, "backend '%s': too many or too long environment options",
                 out->spec);
        return -1;
    }
    snprintf(out->env[out->n_env++], sizeof out->env[0], "%s", entry);
    return 0;
}

static int hash_library(hl_preload *out, char *err, size_t errlen)
{
    if (!out->library[0])
        return 0;
    return hl_sha256_file(out->library, out->sha256, &out->size, err, errlen);
}

/* The system variant's libc: what "malloc" is when nothing is preloaded. */
static const char *libc_path(const hl_catalog *cat)
{
    const hl_cat_backend *sys = hl_catalog_backend(cat, "system");
    return sys && sys->malloc_library[0] ? sys->malloc_library : "";
}

/* A PROCESS backend's library, from the catalog. */
static int process_library(const hl_catalog *cat, const char *name, hl_preload *out, char *err,
                           size_t errlen)
{
    char list[512];
    const hl_backend_row *r = hl_backend_row_find(name);
    if (!r || r->kind != HL_KIND_PROCESS) {
        snprintf(err, errlen, "backend '%s' cannot run a command: commands run under a "
                              "process allocator (%s) or preload:PATH%s",
                 name, hl_backend_row_list(list, sizeof list, "", row_is_process),
                 r ? " (it runs inside heaplab's own workloads)" : "");
        return -1;
    }
    const hl_cat_backend *b = hl_catalog_backend(cat, name);
    if (!b || !b->malloc_library[0]) {
        snprintf(err, errlen, "backend '%s' is not in this build: install %s and rebuild", name,
                 r->packages[0] ? r->packages : "its library");
        return -1;
    }
    snprintf(out->version, sizeof out->version, "%s", b->version);
    if (strcmp(name, "system") != 0)
        snprintf(out->library, sizeof out->library, "%s", b->malloc_library);
    snprintf(out->expect_malloc, sizeof out->expect_malloc, "%s", b->malloc_library);
    return 0;
}

static int resolve_python(const hl_catalog *cat, const hl_pyinterp *interps, size_t n_interps,
                          hl_preload *out, char *err, size_t errlen)
{
    char config[64], iname[64];
    hl_pyconfig_split_spec(out->spec, config, sizeof config, iname, sizeof iname);
    const hl_pyinterp *py = NULL;
    char names[256] = "";
    for (size_t i = 0; i < n_interps; i++) {
        if (strcmp(interps[i].name, iname) == 0)
            py = &interps[i];
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 interps[i].name);
    }
    if (!py) {
        snprintf(err, errlen, "backend '%s': %s", out->spec,
                 n_interps ? "no --python interpreter has that name" : "give --python PATH");
        if (n_interps)
            snprintf(err + strlen(err), errlen - strlen(err), " (this run has %s)", names);
        return -1;
    }
    hl_pyconfig cfg;
    char why[200];
    if (hl_pyconfig_parse(config, &cfg, err, errlen) != 0)
        return -1;
    if (!hl_pyconfig_supported(py, &cfg, why, sizeof why)) {
        snprintf(err, errlen, "backend '%s': %s", out->spec, why);
        return -1;
    }
    snprintf(out->interp, sizeof out->interp, "%s", py->name);
    char entry[64];
    snprintf(entry, sizeof entry, "PYTHONMALLOC=%s", cfg.obj);
    if (add_env(out, entry, err, errlen) != 0)
        return -1;
    if (cfg.preload[0]) {
        if (process_library(cat, cfg.preload, out, err, errlen) != 0)
            return -1;
    } else {
        snprintf(out->expect_malloc, sizeof out->expect_malloc, "%s", libc_path(cat));
    }
    snprintf(out->version, sizeof out->version, "CPython %s", py->version);
    const char *expect, *also;
    hl_pyconfig_expect(py, &cfg, &expect, &also);
    snprintf(out->python_expect, sizeof out->python_expect, "%s", expect);
    snprintf(out->python_also, sizeof out->python_also, "%s", also);
    return hash_library(out, err, errlen);
}

static int resolve_user_library(hl_preload *out, char *err, size_t errlen)
{
    const char *p = out->spec + strlen("preload:");
    size_t len = strcspn(p, ",");
    char path[PATH_MAX];
    if (len == 0 || len >= sizeof path) {
        snprintf(err, errlen, "preload: needs a library path: preload:/path/to/libmy.so");
        return -1;
    }
    snprintf(path, sizeof path, "%.*s", (int)len, p);
    if (hl_preload_check_library(path, err, errlen) != 0)
        return -1;
    if (!realpath(path, out->library)) {
        snprintf(err, errlen, "preload:%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(out->expect_malloc, sizeof out->expect_malloc, "%s", out->library);
    for (p += len; *p == ',';) {
        p++;
        size_t n = strcspn(p, ",");
        char opt[300];
        snprintf(opt, sizeof opt, "%.*s", (int)(n < 299 ? n : 299), p);
        const char *eq = strchr(opt + 4, '=');
        if (strncmp(opt, "env=", 4) != 0 || !eq || eq == opt + 4) {
            snprintf(err, errlen, "preload:%s: option '%s': the only option is "
                                  "env=NAME=VALUE (repeatable)", path, opt);
            return -1;
        }
        if (add_env(out, opt + 4, err, errlen) != 0)
            return -1;
        p += n;
    }
    if (hash_library(out, err, errlen) != 0)
        return -1;
    snprintf(out->version, sizeof out->version, "sha256:%.12s", out->sha256);
    return 0;
}

int hl_preload_resolve(const hl_catalog *cat, const hl_pyinterp *interps, size_t n_interps,
                       const char *spec, hl_preload *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (strlen(spec) >= sizeof out->spec) {
        snprintf(err, errlen, "backend spec '%.40s...' is too long", spec);
        return -1;
    }
    snprintf(out->spec, sizeof out->spec, "%s", spec);
    if (strchr(spec, '@'))
        return resolve_python(cat, interps, n_interps, out, err, errlen);
    if (name_is(spec, "preload"))
        return resolve_user_library(out, err, errlen);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(spec, ":"), spec);
    if (process_library(cat, name, out, err, errlen) != 0)
        return -1;
    const char *colon = strchr(spec, ':');
    hl_backend_env env;
    if (hl_backend_env_split(hl_backend_row_find(name), colon ? colon + 1 : "", &env, err,
                             errlen) != 0)
        return -1;
    if (env.rest[0]) {
        snprintf(err, errlen, "backend '%s': a command takes only %s's environment options "
                              "(%s), not '%s'", spec, name,
                 hl_backend_row_find(name)->options[0] ? hl_backend_row_find(name)->options
                                                       : "none", env.rest);
        return -1;
    }
    for (size_t i = 0; i < env.n; i++)
        if (add_env(out, env.entries[i], err, errlen) != 0)
            return -1;
    return hash_library(out, err, errlen);
}

void hl_preload_id_part(const char *spec, char *out, size_t outlen)
{
    char tmp[512];
    const char *src = spec;
    if (name_is(spec, "preload") && spec[7] == ':') {
        const char *path = spec + 8;
        size_t len = strcspn(path, ",");
        const char *base = path;
        for (const char *p = path; p < path + len; p++)
            if (*p == '/')
                base = p + 1;
        snprintf(tmp, sizeof tmp, "preload:%.*s%s", (int)(path + len - base), base, path + len);
        src = tmp;
    }
    size_t i = 0;
    for (; src[i] && i + 1 < outlen; i++) {
        char c = src[i];
        out[i] = c == ':' ? '_' : c == ',' ? '+' : c == '/' ? '-' : c;
    }
    out[i] = '\0';
}
