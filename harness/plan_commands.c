/* plan_commands.c - the cells of external commands, and how plan.json
 * records what they run.
 *
 * How it works
 * ------------
 * Every command runs under every backend that can run it: the --backends
 * that are command backends (preload.h), or by default every process
 * allocator this build has (system, jemalloc, ...); a {python} command
 * runs under the CPython configurations (pyconfig.h) of every --python
 * interpreter instead, the short form "pymalloc" standing for
 * pymalloc@<each interpreter>.  Each distinct backend is resolved once (its
 * library found, hashed, its environment and proof expectations fixed)
 * and stored in the plan beside the commands and interpreters, so that a
 * resumed run executes exactly what was planned and --resume refuses a
 * program, library or interpreter whose content changed.
 */
#include "plan.h"

#include "jread.h"
#include "protocol.h"
#include "sha256.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool hl_plan_cell_is_command(const hl_plan_cell *c)
{
    return strcmp(c->variant, HL_COMMAND_VARIANT) == 0;
}

const hl_plan_command *hl_plan_command_of(const hl_plan *plan, const hl_plan_cell *c)
{
    for (size_t i = 0; hl_plan_cell_is_command(c) && i < plan->n_commands; i++)
        if (strcmp(plan->commands[i].cmd.name, c->workload) == 0)
            return &plan->commands[i];
    return NULL;
}

const hl_preload *hl_plan_preload_of(const hl_plan *plan, const hl_plan_cell *c)
{
    for (size_t i = 0; hl_plan_cell_is_command(c) && i < plan->n_preloads; i++)
        if (strcmp(plan->preloads[i].spec, c->backend) == 0)
            return &plan->preloads[i];
    return NULL;
}

const hl_pyinterp *hl_plan_interp_of(const hl_plan *plan, const hl_plan_cell *c)
{
    const hl_preload *p = hl_plan_preload_of(plan, c);
    for (size_t i = 0; p && p->interp[0] && i < plan->n_interps; i++)
        if (strcmp(plan->interps[i].name, p->interp) == 0)
            return &plan->interps[i];
    return NULL;
}

bool hl_plan_spec_is_command_only(const char *spec)
{
    hl_pyconfig cfg;
    char err[200], name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(spec, ":"), spec);
    if (strchr(spec, '@') || strcmp(name, "preload") == 0)
        return true;
    return !hl_backend_row_find(name) && hl_pyconfig_parse(spec, &cfg, err, sizeof err) == 0;
}

void hl_plan_free_commands(hl_plan *plan)
{
    for (size_t i = 0; i < plan->n_commands; i++)
        hl_command_free(&plan->commands[i].cmd);
    free(plan->commands);
    free(plan->preloads);
    free(plan->interps);
    plan->commands = NULL;
    plan->preloads = NULL;
    plan->interps = NULL;
    plan->n_commands = plan->n_preloads = plan->n_interps = 0;
}

/* ---- planning ------------------------------------------------------------------- */

typedef struct specs {
    size_t n;
    char v[HL_PLAN_MAX_LIST * 4][320];
} specs;

static void add_spec(specs *s, const char *fmt, const char *a, const char *b)
{
    if (s->n < sizeof s->v / sizeof s->v[0])
        snprintf(s->v[s->n++], sizeof s->v[0], fmt, a, b);
}

/* A configuration for every interpreter that supports it (notes the rest). */
static void python_specs(const hl_plan *plan, const char *config, bool quiet, specs *s)
{
    hl_pyconfig cfg;
    char why[256];
    if (hl_pyconfig_parse(config, &cfg, why, sizeof why) != 0)
        return;
    for (size_t i = 0; i < plan->n_interps; i++) {
        if (hl_pyconfig_supported(&plan->interps[i], &cfg, why, sizeof why))
            add_spec(s, "%s@%s", config, plan->interps[i].name);
        else if (!quiet)
            fprintf(stderr, "heaplab run: note: %s@%s left out: %s\n", config,
                    plan->interps[i].name, why);
    }
}

/* The backends a command runs under. */
static void command_specs(const hl_catalog *cat, const hl_plan_request *req,
                          const hl_plan *plan, const hl_command *cmd, specs *s)
{
    s->n = 0;
    for (size_t i = 0; i < req->n_backends; i++) {
        const char *b = req->backends[i];
        if (cmd->python && strchr(b, '@'))
            add_spec(s, "%s%s", b, "");
        else if (cmd->python)
            python_specs(plan, b, false, s);
        else if (!strchr(b, '@') && hl_preload_is_command_spec(b))
            add_spec(s, "%s%s", b, "");
    }
    if (req->n_backends)
        return;
    if (cmd->python) {
        for (size_t i = 0; i < hl_pyconfig_n_defaults; i++)
            python_specs(plan, hl_pyconfig_defaults[i], true, s);
        return;
    }
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++) {
        const hl_backend_row *r = &hl_backend_rows[i];
        const hl_cat_backend *b = hl_catalog_backend(cat, r->name);
        if (r->kind == HL_KIND_PROCESS && b && b->malloc_library[0])
            add_spec(s, "%s%s", r->name, "");
    }
}

/* The backend resolved once per spec; its index in plan->preloads. */
static long preload_index(const hl_catalog *cat, hl_plan *plan, const char *spec, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < plan->n_preloads; i++)
        if (strcmp(plan->preloads[i].spec, spec) == 0)
            return (long)i;
    hl_preload *grown = realloc(plan->preloads, (plan->n_preloads + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    plan->preloads = grown;
    if (hl_preload_resolve(cat, plan->interps, plan->n_interps, spec,
                           &plan->preloads[plan->n_preloads], err, errlen) != 0)
        return -1;
    return (long)plan->n_preloads++;
}

/* A path the command reads, made absolute against the planning directory
 * so that --resume from elsewhere runs the same thing. */
static int absolute(char **slot, const char *what, const char *name, bool must_be_file,
                    char *err, size_t errlen)
{
    if (!*slot)
        return 0;
    char real[PATH_MAX];
    if (!realpath(*slot, real)) {
        snprintf(err, errlen, "command %s: %s %s: %s", name, what, *slot, strerror(errno));
        return -1;
    }
    if (must_be_file ? access(real, R_OK) != 0 : access(real, X_OK) != 0) {
        snprintf(err, errlen, "command %s: %s %s is not %s", name, what, real,
                 must_be_file ? "readable" : "a directory you can enter");
        return -1;
    }
    free(*slot);
    *slot = strdup(real);
    return *slot ? 0 : -1;
}

static int plan_command(const hl_catalog *cat, const hl_command *src, hl_plan *plan, char *err,
                        size_t errlen)
{
    if (hl_catalog_workload(cat, src->name)) {
        snprintf(err, errlen, "command name '%s' is a heaplab workload: name the command "
                              "otherwise (--command-name NAME=CMD, or the suite file's "
                              "section)", src->name);
        return -1;
    }
    for (size_t i = 0; i < plan->n_commands; i++)
        if (strcmp(plan->commands[i].cmd.name, src->name) == 0) {
            snprintf(err, errlen, "two commands are named '%s': name them with --command-name "
                                  "NAME=CMD", src->name);
            return -1;
        }
    hl_plan_command *pc = &plan->commands[plan->n_commands];
    memset(pc, 0, sizeof *pc);
    if (hl_command_check(src, err, errlen) != 0 || hl_command_copy(&pc->cmd, src) != 0)
        return -1;
    plan->n_commands++;
    char cwd[PATH_MAX];
    if (!pc->cmd.cwd && getcwd(cwd, sizeof cwd))
        pc->cmd.cwd = strdup(cwd);
    if (absolute(&pc->cmd.cwd, "working directory", src->name, false, err, errlen) != 0 ||
        absolute(&pc->cmd.stdin_path, "stdin", src->name, true, err, errlen) != 0)
        return -1;
    if (pc->cmd.python) {
        if (plan->n_interps == 0) {
            snprintf(err, errlen, "command %s runs {python}: give the interpreter with "
                                  "--python PATH", src->name);
            return -1;
        }
        return 0;
    }
    /* relative program paths are relative to the command's directory */
    char prog[PATH_MAX];
    const char *a0 = pc->cmd.argv[0];
    if (a0[0] != '/' && strchr(a0, '/'))
        snprintf(prog, sizeof prog, "%s/%s", pc->cmd.cwd, a0);
    else
        snprintf(prog, sizeof prog, "%s", a0);
    char perr[600];
    if (hl_preload_check_program(prog, pc->program, sizeof pc->program, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "command %s: %s", src->name, perr);
        return -1;
    }
    return hl_sha256_file(pc->program, pc->sha256, &pc->size, err, errlen);
}

static int add_command_cells(const hl_catalog *cat, const hl_plan_request *req, hl_plan *plan,
                             const hl_plan_command *pc, size_t *cap, char *err, size_t errlen)
{
    static specs s;
    command_specs(cat, req, plan, &pc->cmd, &s);
    if (s.n == 0) {
        snprintf(err, errlen, "command %s: none of --backends can run it: use process "
                              "allocators (system, jemalloc, ...), preload:PATH%s", pc->cmd.name,
                 pc->cmd.python ? ", or CPython configurations (pymalloc, malloc+jemalloc, ...)"
                                : "");
        return -1;
    }
    for (size_t i = 0; i < s.n; i++) {
        if (preload_index(cat, plan, s.v[i], err, errlen) < 0)
            return -1;
        hl_plan_cell c;
        memset(&c, 0, sizeof c);
        snprintf(c.backend, sizeof c.backend, "%s", s.v[i]);
        snprintf(c.variant, sizeof c.variant, "%s", HL_COMMAND_VARIANT);
        snprintf(c.workload, sizeof c.workload, "%s", pc->cmd.name);
        c.threads = 1;
        char part[400];
        hl_preload_id_part(s.v[i], part, sizeof part);
        int n = snprintf(c.id, sizeof c.id, "%s--%s--t1", pc->cmd.name, part);
        if (n < 0 || (size_t)n >= sizeof c.id) {
            snprintf(err, errlen, "cell id %s--%s--t1 is too long: shorten the command name or "
                                  "the backend's options", pc->cmd.name, part);
            return -1;
        }
        if (hl_plan_add_cell(plan, cap, &c, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int hl_plan_add_commands(const hl_catalog *cat, const hl_plan_request *req, hl_plan *plan,
                         size_t *cap, char *err, size_t errlen)
{
    plan->warmup_runs = req->have_warmup_runs ? req->warmup_runs : 1;
    plan->commands = calloc(req->n_commands, sizeof *plan->commands);
    plan->interps = calloc(req->n_interps ? req->n_interps : 1, sizeof *plan->interps);
    if (!plan->commands || !plan->interps) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(plan->interps, req->interps, req->n_interps * sizeof *plan->interps);
    plan->n_interps = req->n_interps;
    for (size_t i = 0; i < req->n_commands; i++)
        if (plan_command(cat, &req->commands[i], plan, err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < plan->n_commands; i++)
        if (add_command_cells(cat, req, plan, &plan->commands[i], cap, err, errlen) != 0)
            return -1;
    return 0;
}

/* ---- plan.json -------------------------------------------------------------------- */

static void write_strs(hl_jw *w, const char *key, char *const *v, size_t n)
{
    hl_jw_arr_begin(w, key);
    for (size_t i = 0; i < n; i++)
        hl_jw_str(w, NULL, v[i]);
    hl_jw_arr_end(w);
}

static void write_command(hl_jw *w, const hl_plan_command *pc)
{
    const hl_command *c = &pc->cmd;
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "name", c->name);
    hl_jw_str(w, "description", c->description);
    write_strs(w, "argv", c->argv, c->argc);
    write_strs(w, "env", c->env, c->n_env);
    hl_jw_str(w, "cwd", c->cwd);
    hl_jw_str(w, "stdin", c->stdin_path);
    hl_jw_str(w, "throughput", c->throughput);
    hl_jw_num(w, "throughput_scale", c->throughput_scale);
    hl_jw_int(w, "expect_exit", c->expect_exit);
    hl_jw_num(w, "timeout_s", c->timeout_s);
    hl_jw_bool(w, "python", c->python);
    hl_jw_str(w, "program", pc->program[0] ? pc->program : NULL);
    hl_jw_str(w, "sha256", pc->program[0] ? pc->sha256 : NULL);
    hl_jw_uint(w, "size", pc->size);
    hl_jw_obj_end(w);
}

static void write_preload(hl_jw *w, const hl_preload *p)
{
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "spec", p->spec);
    hl_jw_str(w, "library", p->library[0] ? p->library : NULL);
    hl_jw_str(w, "expect_malloc", p->expect_malloc);
    hl_jw_str(w, "version", p->version);
    hl_jw_uint(w, "size", p->size);
    hl_jw_str(w, "sha256", p->library[0] ? p->sha256 : NULL);
    hl_jw_arr_begin(w, "env");
    for (size_t i = 0; i < p->n_env; i++)
        hl_jw_str(w, NULL, p->env[i]);
    hl_jw_arr_end(w);
    hl_jw_str(w, "interpreter", p->interp[0] ? p->interp : NULL);
    hl_jw_str(w, "python_expect", p->python_expect[0] ? p->python_expect : NULL);
    hl_jw_str(w, "python_also", p->python_also[0] ? p->python_also : NULL);
    hl_jw_obj_end(w);
}

static void write_interp(hl_jw *w, const hl_pyinterp *py)
{
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "name", py->name);
    hl_jw_str(w, "path", py->path);
    hl_jw_str(w, "version", py->version);
    hl_jw_str(w, "build", py->build);
    hl_jw_bool(w, "debug", py->debug);
    hl_jw_bool(w, "free_threaded", py->free_threaded);
    hl_jw_bool(w, "with_pymalloc", py->with_pymalloc);
    hl_jw_bool(w, "with_mimalloc", py->with_mimalloc);
    hl_jw_uint(w, "size", py->size);
    hl_jw_str(w, "sha256", py->sha256);
    hl_jw_obj_end(w);
}

void hl_plan_write_commands(hl_jw *w, const hl_plan *plan)
{
    if (plan->n_commands == 0)
        return; /* a run of heaplab's own workloads: nothing to record */
    hl_jw_uint(w, "warmup_runs", plan->warmup_runs);
    hl_jw_arr_begin(w, "commands");
    for (size_t i = 0; i < plan->n_commands; i++)
        write_command(w, &plan->commands[i]);
    hl_jw_arr_end(w);
    hl_jw_arr_begin(w, "command_backends");
    for (size_t i = 0; i < plan->n_preloads; i++)
        write_preload(w, &plan->preloads[i]);
    hl_jw_arr_end(w);
    hl_jw_arr_begin(w, "interpreters");
    for (size_t i = 0; i < plan->n_interps; i++)
        write_interp(w, &plan->interps[i]);
    hl_jw_arr_end(w);
}

/* An optional string field into a malloc'd copy (NULL when null/absent). */
static void read_dup(hl_jread *r, const hl_json *o, const char *path, const char *key,
                     char **out)
{
    char buf[4096] = "";
    const hl_json *v = hl_json_get(o, key);
    if (v && v->type == HL_JNULL)
        return;
    if (hl_jread_str(r, o, path, key, false, true, buf, sizeof buf) && v)
        *out = strdup(buf);
}

static void read_strs(hl_jread *r, const hl_json *o, const char *path, const char *key,
                      char **out, size_t *n, size_t max)
{
    const hl_json *a = hl_jread_arr(r, o, path, key, true);
    char sub[300];
    hl_jread_path(sub, sizeof sub, path, key, -1);
    if (a && hl_json_len(a) > max) {
        hl_jread_fail(r, sub, "more than %zu entries", max);
        return;
    }
    for (size_t i = 0; a && !r->failed && i < hl_json_len(a); i++) {
        const hl_json *s = hl_json_at(a, i);
        if (s->type != HL_JSTR) {
            hl_jread_fail(r, sub, "entry %zu is not a string", i);
            return;
        }
        out[(*n)++] = strdup(s->str);
    }
}

static void read_command(hl_jread *r, const hl_json *o, const char *path, hl_plan_command *pc)
{
    hl_command *c = &pc->cmd;
    hl_command_init(c);
    int64_t expect = 0;
    hl_jread_str(r, o, path, "name", true, false, c->name, sizeof c->name);
    read_dup(r, o, path, "description", &c->description);
    read_strs(r, o, path, "argv", c->argv, &c->argc, HL_CMD_MAX_ARGS);
    read_strs(r, o, path, "env", c->env, &c->n_env, HL_CMD_MAX_ENV);
    read_dup(r, o, path, "cwd", &c->cwd);
    read_dup(r, o, path, "stdin", &c->stdin_path);
    read_dup(r, o, path, "throughput", &c->throughput);
    hl_jread_num(r, o, path, "throughput_scale", true, false, 1e-300, 1e300,
                 &c->throughput_scale);
    hl_jread_int(r, o, path, "expect_exit", true, 0, 255, &expect);
    c->expect_exit = (int)expect;
    hl_jread_num(r, o, path, "timeout_s", true, false, 0, 1e7, &c->timeout_s);
    hl_jread_bool(r, o, path, "python", true, &c->python);
    hl_jread_str(r, o, path, "program", false, true, pc->program, sizeof pc->program);
    hl_jread_str(r, o, path, "sha256", false, true, pc->sha256, sizeof pc->sha256);
    hl_jread_uint(r, o, path, "size", false, UINT64_MAX, &pc->size);
    /* A hash belongs to its file (saving drops one without it, and with it
     * the check that a resumed run runs the same program). */
    if (!r->failed && pc->sha256[0] && !pc->program[0])
        hl_jread_fail(r, path, "a sha256 but no program");
    char cerr[300];
    if (!r->failed && hl_command_check(c, cerr, sizeof cerr) != 0)
        hl_jread_fail(r, path, "%s", cerr);
}

static void read_preload(hl_jread *r, const hl_json *o, const char *path, hl_preload *p)
{
    memset(p, 0, sizeof *p);
    hl_jread_str(r, o, path, "spec", true, false, p->spec, sizeof p->spec);
    hl_jread_str(r, o, path, "library", false, true, p->library, sizeof p->library);
    hl_jread_str(r, o, path, "expect_malloc", true, false, p->expect_malloc,
                 sizeof p->expect_malloc);
    hl_jread_str(r, o, path, "version", false, true, p->version, sizeof p->version);
    hl_jread_uint(r, o, path, "size", false, UINT64_MAX, &p->size);
    hl_jread_str(r, o, path, "sha256", false, true, p->sha256, sizeof p->sha256);
    const hl_json *env = hl_jread_arr(r, o, path, "env", true);
    for (size_t i = 0; env && !r->failed && i < hl_json_len(env); i++) {
        const hl_json *s = hl_json_at(env, i);
        if (s->type != HL_JSTR || i >= HL_PRELOAD_MAX_ENV || strlen(s->str) >= sizeof p->env[0])
            hl_jread_fail(r, path, "env[%zu] is not a short string", i);
        else
            snprintf(p->env[p->n_env++], sizeof p->env[0], "%s", s->str);
    }
    hl_jread_str(r, o, path, "interpreter", false, true, p->interp, sizeof p->interp);
    hl_jread_str(r, o, path, "python_expect", false, true, p->python_expect,
                 sizeof p->python_expect);
    hl_jread_str(r, o, path, "python_also", false, true, p->python_also, sizeof p->python_also);
    if (!r->failed && p->sha256[0] && !p->library[0])
        hl_jread_fail(r, path, "a sha256 but no library");
}

static void read_interp(hl_jread *r, const hl_json *o, const char *path, hl_pyinterp *py)
{
    memset(py, 0, sizeof *py);
    hl_jread_str(r, o, path, "name", true, false, py->name, sizeof py->name);
    hl_jread_str(r, o, path, "path", true, false, py->path, sizeof py->path);
    hl_jread_str(r, o, path, "version", true, false, py->version, sizeof py->version);
    hl_jread_str(r, o, path, "build", false, true, py->build, sizeof py->build);
    hl_jread_bool(r, o, path, "debug", true, &py->debug);
    hl_jread_bool(r, o, path, "free_threaded", true, &py->free_threaded);
    hl_jread_bool(r, o, path, "with_pymalloc", true, &py->with_pymalloc);
    hl_jread_bool(r, o, path, "with_mimalloc", true, &py->with_mimalloc);
    hl_jread_uint(r, o, path, "size", true, UINT64_MAX, &py->size);
    hl_jread_str(r, o, path, "sha256", true, false, py->sha256, sizeof py->sha256);
    if (!r->failed && sscanf(py->version, "%u.%u", &py->major, &py->minor) != 2)
        hl_jread_fail(r, path, "version '%s' is not MAJOR.MINOR.MICRO", py->version);
}

/* One array of records: allocated, each read by fn. */
#define READ_ARRAY(key, field, count, type, fn)                                             \
    do {                                                                                    \
        const hl_json *a_ = hl_jread_arr(r, obj, path, key, false);                        \
        size_t n_ = hl_json_len(a_);                                                        \
        p->field = calloc(n_ ? n_ : 1, sizeof(type));                                       \
        if (!p->field)                                                                      \
            return hl_jread_fail(r, path, "out of memory"), -1;                             \
        for (size_t i_ = 0; !r->failed && i_ < n_; i_++) {                                  \
            char sub_[300];                                                                 \
            hl_jread_path(sub_, sizeof sub_, path, key, (long)i_);                          \
            fn(r, hl_json_at(a_, i_), sub_, &p->field[i_]);                                 \
            p->count = i_ + 1;                                                              \
        }                                                                                   \
    } while (0)

int hl_plan_read_commands(hl_jread *r, const hl_json *obj, const char *path, hl_plan *p)
{
    uint64_t warmups = 0;
    if (!hl_json_get(obj, "commands"))
        return 0;
    hl_jread_uint(r, obj, path, "warmup_runs", true, 100, &warmups);
    p->warmup_runs = (unsigned)warmups;
    READ_ARRAY("commands", commands, n_commands, hl_plan_command, read_command);
    READ_ARRAY("command_backends", preloads, n_preloads, hl_preload, read_preload);
    READ_ARRAY("interpreters", interps, n_interps, hl_pyinterp, read_interp);
    return r->failed ? -1 : 0;
}

/* ---- identity ---------------------------------------------------------------------- */

static int same_content(const char *what, const char *path, const char *sha, char *err,
                        size_t errlen)
{
    char now[65], herr[300];
    uint64_t size;
    if (hl_sha256_file(path, now, &size, herr, sizeof herr) != 0) {
        snprintf(err, errlen, "the run's %s %s is gone (%s): restore it, or start a new run",
                 what, path, herr);
        return -1;
    }
    if (strcmp(now, sha) != 0) {
        snprintf(err, errlen, "the run's %s %s changed since it was planned (sha256 %.12s..., "
                              "now %.12s...): restore it, or start a new run", what, path, sha,
                 now);
        return -1;
    }
    return 0;
}

int hl_plan_check_command_inputs(const hl_plan *plan, char *err, size_t errlen)
{
    for (size_t i = 0; i < plan->n_commands; i++)
        if (plan->commands[i].program[0] &&
            same_content("program", plan->commands[i].program, plan->commands[i].sha256, err,
                         errlen) != 0)
            return -1;
    for (size_t i = 0; i < plan->n_preloads; i++)
        if (plan->preloads[i].library[0] &&
            same_content("allocator library", plan->preloads[i].library,
                         plan->preloads[i].sha256, err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < plan->n_interps; i++)
        if (same_content("interpreter", plan->interps[i].path, plan->interps[i].sha256, err,
                         errlen) != 0)
            return -1;
    return 0;
}
