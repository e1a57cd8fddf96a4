/* job.c - see job.h. */
#include "job.h"

#include "allocenv.h"
#include "fsutil.h"
#include "probe.h"
#include "protocol.h"
#include "route.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* argv for one job; strings live in buf.  Returns argc. */
typedef struct job_argv {
    char *argv[64 + 2 * HL_CAT_MAX_PARAMS];
    char buf[8192];
    size_t used;
    int argc;
} job_argv;

static void ja_add(job_argv *ja, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ja_add(job_argv *ja, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = ja->buf + ja->used;
    int n = vsnprintf(dst, sizeof ja->buf - ja->used, fmt, ap);
    va_end(ap);
    if (n < 0 || ja->used + (size_t)n + 1 > sizeof ja->buf ||
        ja->argc + 1 >= (int)(sizeof ja->argv / sizeof ja->argv[0]))
        return;
    ja->used += (size_t)n + 1;
    ja->argv[ja->argc++] = dst;
    ja->argv[ja->argc] = NULL;
}

static void build_job_argv(const hl_plan *plan, const hl_plan_cell *c, const char *exe,
                           const char *argv0, const char *abs_rep_dir, job_argv *ja,
                           const char **path)
{
    memset(ja, 0, sizeof *ja);
    bool instr = strcmp(plan->measure, "instructions") == 0;
    if (instr) {
        /* valgrind execs the cell; counting starts where the cell toggles it */
        *path = "valgrind";
        ja_add(ja, "valgrind");
        ja_add(ja, "--tool=callgrind");
        ja_add(ja, "--instr-atstart=no");
        ja_add(ja, "--callgrind-out-file=%s/" HL_CELL_FILE_CALLGRIND, abs_rep_dir);
        ja_add(ja, "%s", exe);
    } else {
        *path = exe;
        ja_add(ja, "%s", argv0);
    }
    ja_add(ja, "--protocol");
    ja_add(ja, "%d", HL_PROTOCOL_VERSION);
    ja_add(ja, "--backend");
    ja_add(ja, "%s", c->backend);
    ja_add(ja, "--workload");
    ja_add(ja, "%s", c->workload);
    for (size_t i = 0; i < c->n_params; i++) {
        ja_add(ja, "--param");
        ja_add(ja, "%s=%" PRId64, c->params[i].name, c->params[i].value);
    }
    if (c->threaded) {
        ja_add(ja, "--threads");
        ja_add(ja, "%u", c->threads);
    }
    ja_add(ja, "--seed");
    ja_add(ja, "%" PRIu64, plan->seed);
    ja_add(ja, "--repetitions");
    ja_add(ja, "1");
    if (!instr && plan->samples > 1) {
        ja_add(ja, "--samples");
        ja_add(ja, "%u", plan->samples);
    }
    ja_add(ja, "--min-time");
    ja_add(ja, "%g", plan->min_time);
    ja_add(ja, "--warmup-time");
    ja_add(ja, "%g", plan->warmup_time);
    ja_add(ja, "--suite-size");
    ja_add(ja, "%s", plan->suite_size);
    ja_add(ja, "--measure");
    ja_add(ja, "%s", plan->measure);
    uint64_t fixed_ops = c->fixed_ops == UINT64_MAX ? plan->fixed_ops : c->fixed_ops;
    if (!instr && fixed_ops) {
        ja_add(ja, "--fixed-ops");
        ja_add(ja, "%" PRIu64, fixed_ops);
    }
    if (instr) {
        if (plan->iterations) {
            ja_add(ja, "--iterations");
            ja_add(ja, "%" PRIu64, plan->iterations);
        }
        ja_add(ja, "--callgrind-out-file");
        ja_add(ja, "%s/" HL_CELL_FILE_CALLGRIND, abs_rep_dir);
    }
    if (c->object_layer && plan->python_model[0]) {
        ja_add(ja, "--python-model");
        ja_add(ja, "%s", plan->python_model);
    }
    for (size_t i = 0; c->object_layer && i < plan->n_model_options; i++) {
        ja_add(ja, "--model-option");
        ja_add(ja, "%s", plan->model_options[i]);
    }
    if (plan->trace[0] && hl_plan_cell_needs_trace(c)) {
        ja_add(ja, "--trace");
        ja_add(ja, "%s", plan->trace);
    }
    ja_add(ja, "--out");
    ja_add(ja, "%s", abs_rep_dir);
}


/* A command cell's arguments (cmdcell_main.c's usage). */
static void build_command_argv(const hl_plan *plan, const hl_plan_cell *c, unsigned rep,
                               const char *exe, const char *abs_rep_dir, job_argv *ja)
{
    const hl_plan_command *pc = hl_plan_command_of(plan, c);
    const hl_preload *pl = hl_plan_preload_of(plan, c);
    const hl_pyinterp *py = hl_plan_interp_of(plan, c);
    const hl_command *cmd = &pc->cmd;
    memset(ja, 0, sizeof *ja);
    ja_add(ja, "%s", exe);
    ja_add(ja, "--protocol");
    ja_add(ja, "%d", HL_PROTOCOL_VERSION);
    ja_add(ja, "--name");
    ja_add(ja, "%s", cmd->name);
    ja_add(ja, "--backend");
    ja_add(ja, "%s", c->backend);
    ja_add(ja, "--out");
    ja_add(ja, "%s", abs_rep_dir);
    ja_add(ja, "--exec");
    ja_add(ja, "%s", py ? py->path : pc->program);
    ja_add(ja, "--argv0");
    ja_add(ja, "%s", py ? py->path : cmd->argv[0]);
    for (size_t i = py ? 0 : 1; i < cmd->argc; i++) {
        ja_add(ja, "--arg");
        ja_add(ja, "%s", cmd->argv[i]);
    }
    for (size_t i = 0; i < cmd->n_env; i++) {
        ja_add(ja, "--env");
        ja_add(ja, "%s", cmd->env[i]);
    }
    for (size_t i = 0; i < pl->n_env; i++) {
        ja_add(ja, "--env");
        ja_add(ja, "%s", pl->env[i]);
    }
    if (pl->library[0]) {
        ja_add(ja, "--preload");
        ja_add(ja, "%s", pl->library);
    }
    ja_add(ja, "--expect-malloc");
    ja_add(ja, "%s", pl->expect_malloc);
    if (pl->python_expect[0]) {
        ja_add(ja, "--python-expect");
        ja_add(ja, "%s", pl->python_expect);
    }
    if (pl->python_also[0]) {
        ja_add(ja, "--python-also");
        ja_add(ja, "%s", pl->python_also);
    }
    if (cmd->cwd) {
        ja_add(ja, "--cwd");
        ja_add(ja, "%s", cmd->cwd);
    }
    if (cmd->stdin_path) {
        ja_add(ja, "--stdin");
        ja_add(ja, "%s", cmd->stdin_path);
    }
    if (cmd->throughput) {
        ja_add(ja, "--throughput");
        ja_add(ja, "%s", cmd->throughput);
        ja_add(ja, "--throughput-scale");
        ja_add(ja, "%.17g", cmd->throughput_scale);
    }
    ja_add(ja, "--expect-exit");
    ja_add(ja, "%d", cmd->expect_exit);
    /* warm-ups in the first round only: later rounds find the files cached */
    ja_add(ja, "--warmups");
    ja_add(ja, "%u", rep == 0 ? plan->warmup_runs : 0);
    ja_add(ja, "--timeout");
    ja_add(ja, "%g", cmd->timeout_s > 0 ? cmd->timeout_s : plan->timeout_s);
    if (plan->memory_limit_mb) {
        ja_add(ja, "--memory-limit-kib");
        ja_add(ja, "%" PRIu64, plan->memory_limit_mb * 1024);
    }
    ja_add(ja, "--measure");
    ja_add(ja, "%s", plan->measure);
}

/* The clean environment plus what the spec's options set; NULL when out of
 * memory.  Command cells get the spec's variables as --env instead, for
 * the program only: the cell's own glibc must not run under them. */
static char **job_env(const hl_plan_cell *c)
{
    static char entries[HL_BACKEND_MAX_ENV][256];
    char *extra[HL_BACKEND_MAX_ENV + 1] = {NULL};
    char name[64], err[300];
    hl_route_backend_name(c->backend, name, sizeof name);
    const hl_backend_row *row = hl_backend_row_find(name);
    const char *colon = strchr(c->backend, ':');
    hl_backend_env env;
    if (!hl_plan_cell_is_command(c) && row && colon &&
        hl_backend_env_split(row, colon + 1, &env, err, sizeof err) == 0) {
        for (size_t i = 0; i < env.n; i++) {
            snprintf(entries[i], sizeof entries[i], "%s", env.entries[i]);
            extra[i] = entries[i];
        }
    }
    return hl_allocenv_clean(extra);
}

void hl_job_run(const hl_plan *plan, const hl_plan_cell *c, unsigned rep, const char *repdir,
                int lock_fd, hl_run_result *run)
{
    char err[600], exe[HL_ROUTE_PATH_MAX], argv0[HL_ROUTE_PATH_MAX];
    memset(run, 0, sizeof *run);
    if (hl_mkdir_p(repdir, err, sizeof err) != 0) {
        run->outcome = HL_RUN_SPAWN_FAILED;
        snprintf(run->err, sizeof run->err, "%.200s", err);
        return;
    }
    if (hl_route_cell_exe(c->variant, c->backend, exe, sizeof exe, argv0, sizeof argv0, err,
                          sizeof err) != 0) {
        run->outcome = HL_RUN_SPAWN_FAILED;
        snprintf(run->err, sizeof run->err, "%.200s", err);
        return;
    }
    static const char *const stale[] = {HL_CELL_FILE_JSON,     HL_CELL_FILE_GBENCH,
                                        HL_CELL_FILE_TIMELINE, HL_CELL_FILE_GC_PAUSES,
                                        HL_CELL_FILE_CALLGRIND, HL_CELL_FILE_PROGRAM_STDOUT,
                                        HL_CELL_FILE_PROGRAM_STDERR, HL_PROBE_FILE};
    for (size_t s = 0; s < sizeof stale / sizeof stale[0]; s++) {
        char p[4096 + 800];
        snprintf(p, sizeof p, "%s/%s", repdir, stale[s]);
        unlink(p);
    }
    static job_argv ja;
    const char *path = exe;
    bool command = hl_plan_cell_is_command(c);
    double timeout = plan->timeout_s;
    if (command) {
        const hl_plan_command *pc = hl_plan_command_of(plan, c);
        build_command_argv(plan, c, rep, exe, repdir, &ja);
        /* the cell enforces the per-run limit; this one only catches a cell
         * that hangs itself, after its warm-ups and measured run */
        double per_run = pc->cmd.timeout_s > 0 ? pc->cmd.timeout_s : plan->timeout_s;
        timeout = per_run * (1 + (rep == 0 ? plan->warmup_runs : 0)) + 30;
    } else {
        build_job_argv(plan, c, exe, argv0, repdir, &ja, &path);
    }
    char **env = job_env(c);
    if (!env) {
        run->outcome = HL_RUN_SPAWN_FAILED;
        snprintf(run->err, sizeof run->err, "out of memory");
        return;
    }
    char out_path[4096 + 800], err_path[4096 + 800];
    snprintf(out_path, sizeof out_path, "%s/" HL_CELL_FILE_STDOUT, repdir);
    snprintf(err_path, sizeof err_path, "%s/" HL_CELL_FILE_STDERR, repdir);
    hl_run_opts ro = {.path = path, .argv = ja.argv, .stdout_path = out_path,
                      .stderr_path = err_path, .timeout_s = timeout,
                      /* a command cell limits its program's RSS itself */
                      .memory_limit_kib = command ? 0 : plan->memory_limit_mb * 1024,
                      .keep_fd = lock_fd,
                      .envp = env,
                      /* where mmap puts arenas changes the code paths (an
                       * unaligned arena loses a pool), so counts repeat
                       * exactly only with one fixed layout (a command cell
                       * sets it for its program itself) */
                      .no_aslr = !command && strcmp(plan->measure, "instructions") == 0};
    hl_runner_run(&ro, run);
    free(env);
}

