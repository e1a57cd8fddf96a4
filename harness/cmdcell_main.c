/* cmdcell_main.c - heaplab-cell-command: options, the runs, cell.json.
 * See cmdcell.h for how it works and protocol.h for the contract. */
#include "cmdcell.h"

#include "callgrind.h"
#include "fsutil.h"
#include "json.h"
#include "probe.h"
#include "protocol.h"
#include "runner.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char *const usage =
    "usage: heaplab-cell-command --protocol N --name NAME --backend SPEC --out DIR\n"
    "         --exec PATH [--argv0 WORD] [--arg WORD]... [--env NAME=VALUE]...\n"
    "         [--preload LIB] --expect-malloc FILE [--python-expect V [--python-also V]]\n"
    "         [--cwd DIR] [--stdin FILE] [--throughput REGEX [--throughput-scale X]]\n"
    "         [--expect-exit N] [--warmups N] [--timeout SEC] [--memory-limit-kib N]\n"
    "         [--measure time|instructions] [--probe LIB]\n"
    "Runs the program once measured (after N warm-up runs) under the allocator, proves\n"
    "the allocator from inside it, and writes DIR/cell.json.  Started by `heaplab run`.\n";

/* One line on stderr and the exit status (protocol.h). */
static int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("heaplab-cell-command: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

/* ---- options ------------------------------------------------------------------ */

static int number(const char *flag, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi))
        return die(HL_CELL_EXIT_BAD_INPUT, "%s '%s': give a number from %g to %g", flag, v, lo,
                   hi);
    *out = d;
    return 0;
}

static int parse(int argc, char **argv, hl_cmdcell_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    hl_command_init(&o->cmd);
    if (argc < 3 || strcmp(argv[1], "--protocol") != 0 || atoi(argv[2]) != HL_PROTOCOL_VERSION)
        return die(HL_CELL_EXIT_BAD_INPUT, "this cell speaks protocol %d and needs "
                                           "--protocol %d first: rebuild heaplab and its cells "
                                           "together", HL_PROTOCOL_VERSION, HL_PROTOCOL_VERSION);
    const char *exe = NULL, *measure = "time";
    double d;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return die(HL_CELL_EXIT_BAD_INPUT, "%s needs a value\n%s", a, usage);
        i++;
        int rc = 0;
        if (strcmp(a, "--name") == 0)
            snprintf(o->cmd.name, sizeof o->cmd.name, "%s", v);
        else if (strcmp(a, "--backend") == 0)
            o->backend = v;
        else if (strcmp(a, "--out") == 0)
            o->out_dir = v;
        else if (strcmp(a, "--exec") == 0)
            exe = v;
        else if (strcmp(a, "--argv0") == 0)
            snprintf(o->argv0, sizeof o->argv0, "%s", v);
        else if (strcmp(a, "--arg") == 0) {
            if (o->cmd.argc == 0 || o->cmd.argc == HL_CMD_MAX_ARGS)
                return die(HL_CELL_EXIT_BAD_INPUT, "--arg before --exec, or too many");
            o->cmd.argv[o->cmd.argc++] = strdup(v);
        } else if (strcmp(a, "--env") == 0)
            rc = hl_command_add_env(&o->cmd, v, err, errlen);
        else if (strcmp(a, "--preload") == 0)
            o->preload = v;
        else if (strcmp(a, "--expect-malloc") == 0)
            o->expect_malloc = v;
        else if (strcmp(a, "--python-expect") == 0)
            o->python_expect = v;
        else if (strcmp(a, "--python-also") == 0)
            o->python_also = v;
        else if (strcmp(a, "--cwd") == 0)
            o->cmd.cwd = strdup(v);
        else if (strcmp(a, "--stdin") == 0)
            o->cmd.stdin_path = strdup(v);
        else if (strcmp(a, "--throughput") == 0)
            o->cmd.throughput = strdup(v);
        else if (strcmp(a, "--throughput-scale") == 0)
            rc = number(a, v, 1e-300, 1e300, &o->cmd.throughput_scale);
        else if (strcmp(a, "--expect-exit") == 0) {
            rc = number(a, v, 0, 255, &d);
            o->cmd.expect_exit = (int)d;
        } else if (strcmp(a, "--warmups") == 0) {
            rc = number(a, v, 0, 100, &d);
            o->warmups = (unsigned)d;
        } else if (strcmp(a, "--timeout") == 0)
            rc = number(a, v, 0, 1e7, &o->timeout_s);
        else if (strcmp(a, "--memory-limit-kib") == 0) {
            rc = number(a, v, 0, 1e15, &d);
            o->memory_limit_kib = (uint64_t)d;
        } else if (strcmp(a, "--measure") == 0)
            measure = v;
        else if (strcmp(a, "--probe") == 0)
            o->probe_lib = v;
        else
            return die(HL_CELL_EXIT_BAD_INPUT, "unknown option '%s'\n%s", a, usage);
        if (rc != 0)
            return rc > 0 ? rc : die(HL_CELL_EXIT_BAD_INPUT, "%s", err);
        if (strcmp(a, "--exec") == 0 && o->cmd.argc == 0)
            o->cmd.argv[o->cmd.argc++] = strdup(v);
    }
    o->cmd.argv[o->cmd.argc] = NULL;
    if (!exe || !o->out_dir || !o->backend || !o->expect_malloc || !o->cmd.name[0])
        return die(HL_CELL_EXIT_BAD_INPUT, "--name, --backend, --out, --exec and "
                                           "--expect-malloc are required\n%s", usage);
    if (strcmp(measure, "time") != 0 && strcmp(measure, "instructions") != 0)
        return die(HL_CELL_EXIT_BAD_INPUT, "--measure '%s': use time or instructions", measure);
    o->instructions = strcmp(measure, "instructions") == 0;
    if (!o->argv0[0])
        snprintf(o->argv0, sizeof o->argv0, "%s", exe);
    if (hl_command_check(&o->cmd, err, errlen) != 0)
        return die(HL_CELL_EXIT_BAD_INPUT, "%s", err);
    return 0;
}

/* The probe next to this executable, unless --probe named one. */
static int find_probe(hl_cmdcell_opts *o, char *buf, size_t len)
{
    if (!o->probe_lib) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return -1;
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        *slash = '\0';
        int w = snprintf(buf, len, "%s/" HL_PROBE_LIBRARY, self);
        if (w < 0 || (size_t)w >= len)
            return -1;
        o->probe_lib = buf;
    }
    return access(o->probe_lib, R_OK);
}

/* ---- the program's environment -------------------------------------------------- */

typedef struct env_block {
    char *v[1024 + HL_CMDCELL_MAX_ENV];
    char own[HL_CMDCELL_MAX_ENV][PATH_MAX + 64];
    size_t n, n_own;
} env_block;

static void env_put(env_block *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_put(env_block *e, const char *fmt, ...)
{
    if (e->n_own == HL_CMDCELL_MAX_ENV || e->n + 1 >= sizeof e->v / sizeof e->v[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->own[e->n_own], sizeof e->own[0], fmt, ap);
    va_end(ap);
    e->v[e->n++] = e->own[e->n_own++];
    e->v[e->n] = NULL;
}

/* The cell's environment (the driver's clean one) plus the preload, the
 * probe's variables and the command's and backend's entries.  probe_log
 * differs between warm-up and measured runs. */
static void build_env(const hl_cmdcell_opts *o, const char *probe_log, env_block *e)
{
    e->n = e->n_own = 0;
    for (char **p = environ; *p && e->n + HL_CMDCELL_MAX_ENV + 1 < sizeof e->v / sizeof e->v[0];
         p++)
        if (strncmp(*p, "LD_PRELOAD=", 11) != 0 && strncmp(*p, HL_PROBE_ENV_OUT "=", 18) != 0)
            e->v[e->n++] = *p;
    e->v[e->n] = NULL;
    if (o->preload)
        env_put(e, "LD_PRELOAD=%s:%s", o->preload, o->probe_lib);
    else
        env_put(e, "LD_PRELOAD=%s", o->probe_lib);
    env_put(e, HL_PROBE_ENV_OUT "=%s", probe_log);
    env_put(e, HL_PROBE_ENV_EXPECT "=%s", o->preload ? o->preload : "");
    for (size_t i = 0; i < o->cmd.n_env; i++)
        env_put(e, "%s", o->cmd.env[i]);
}

/* ---- one run ------------------------------------------------------------------- */

typedef struct run {
    hl_run_result res;
    hl_run_trace trace;
    hl_cmdcell_seen seen;
    pid_t pid;
    char stdout_path[PATH_MAX], stderr_path[PATH_MAX], probe_path[PATH_MAX];
    char callgrind[PATH_MAX];
} run;

/* The runner reports the child's pid nowhere; the probe log names it, and
 * the cell's only child is the program, so its first start record whose
 * parent is this process is the one (valgrind keeps the pid). */
static pid_t measured_pid(const char *probe_log)
{
    FILE *f = fopen(probe_log, "r");
    if (!f)
        return -1;
    char line[5 * PATH_MAX + 128];
    pid_t pid = -1;
    while (pid < 0 && fgets(line, sizeof line, f)) {
        int p, pp;
        if (sscanf(line, HL_PROBE_START "\t%d\t%d\t", &p, &pp) == 2 && pp == (int)getpid())
            pid = p;
    }
    fclose(f);
    return pid;
}

/* Is path mapped into process pid (a line of /proc/PID/maps ends in it)? */
static int mapped_in(int pid, const char *path)
{
    char maps[64], line[PATH_MAX + 256];
    snprintf(maps, sizeof maps, "/proc/%d/maps", pid);
    FILE *f = fopen(maps, "r");
    if (!f)
        return -1;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *slash = strchr(line, '/');
        found = slash && strcmp(slash, path) == 0;
    }
    fclose(f);
    return found;
}

static const hl_cmdcell_opts *tracing_opts;

/* At the measured program's exit stop (runner.h): its final image. */
static void at_exit_stop(int pid, void *arg)
{
    hl_cmdcell_seen *seen = arg;
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", pid);
    ssize_t n = readlink(link, seen->exe, sizeof seen->exe - 1);
    seen->exe[n > 0 ? n : 0] = '\0';
    seen->mapped = tracing_opts->preload ? mapped_in(pid, tracing_opts->preload) : 1;
}

static void run_once(const hl_cmdcell_opts *o, const char *tag, bool measured, run *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->stdout_path, sizeof r->stdout_path, "%s/%s.stdout", o->out_dir, tag);
    snprintf(r->stderr_path, sizeof r->stderr_path, "%s/%s.stderr", o->out_dir, tag);
    snprintf(r->probe_path, sizeof r->probe_path, "%s/%s%s", o->out_dir,
             measured ? "" : "warmup-", HL_PROBE_FILE);
    unlink(r->probe_path);
    static env_block env;
    build_env(o, r->probe_path, &env);
    char *argv[HL_CMD_MAX_ARGS + 8];
    size_t n = 0;
    const char *path = o->cmd.argv[0];
    if (measured && o->instructions) {
        static char outfile[PATH_MAX + 32];
        snprintf(r->callgrind, sizeof r->callgrind, "%s/" HL_CELL_FILE_CALLGRIND, o->out_dir);
        snprintf(outfile, sizeof outfile, "--callgrind-out-file=%s", r->callgrind);
        path = "valgrind";
        argv[n++] = "valgrind";
        argv[n++] = "--tool=callgrind";
        argv[n++] = "--trace-children=no";
        argv[n++] = outfile;
        argv[n++] = o->cmd.argv[0];
    } else {
        argv[n++] = (char *)o->argv0;
    }
    for (size_t i = 1; i < o->cmd.argc; i++)
        argv[n++] = o->cmd.argv[i];
    argv[n] = NULL;
    hl_run_opts ro = {.path = path, .argv = argv, .stdin_path = o->cmd.stdin_path,
                      .cwd = o->cmd.cwd, .stdout_path = r->stdout_path,
                      .stderr_path = r->stderr_path, .timeout_s = o->timeout_s,
                      .memory_limit_kib = o->memory_limit_kib, .envp = env.v,
                      .no_aslr = measured && o->instructions};
    if (measured) {
        tracing_opts = o;
        r->seen.mapped = -1;
        r->trace = (hl_run_trace){.at_exit = at_exit_stop, .arg = &r->seen};
        ro.trace = &r->trace;
    }
    hl_runner_run(&ro, &r->res);
    r->seen.traced = r->trace.active;
    r->seen.execs = r->trace.execs;
    r->seen.exit_stop = r->trace.exit_stop;
    /* the runner knows the pid when it traced; else the probe log names it */
    r->pid = r->trace.pid > 0 ? (pid_t)r->trace.pid : measured_pid(r->probe_path);
}

/* Last non-empty line of a file, for reasons. */
static void last_line(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    char *text = hl_read_file(path, NULL);
    if (!text)
        return;
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    char *start = strrchr(text, '\n');
    snprintf(out, outlen, "%s", start ? start + 1 : text);
    free(text);
}

/* What went wrong with a run, as the cell's exit status and one line;
 * HL_CELL_EXIT_OK when nothing did. */
static int judge(const hl_cmdcell_opts *o, const run *r, const char *what, char *why,
                 size_t whylen)
{
    char tail[200];
    last_line(r->stderr_path, tail, sizeof tail);
    const hl_run_result *x = &r->res;
    switch (x->outcome) {
    case HL_RUN_SPAWN_FAILED:
        snprintf(why, whylen, "%s: %s", what, x->err);
        return HL_CELL_EXIT_SETUP_FAILED;
    case HL_RUN_TIMEOUT:
        snprintf(why, whylen, "%s: still running after %g s: killed (raise the command's "
                              "timeout if it is just slow)", what, o->timeout_s);
        return HL_CELL_EXIT_TIMEOUT;
    case HL_RUN_MEMORY:
        snprintf(why, whylen, "%s: RSS reached %" PRIu64 " KiB, over the %" PRIu64
                              " KiB limit: killed", what,
                 x->polled_rss_kib > x->maxrss_kib ? x->polled_rss_kib : x->maxrss_kib,
                 o->memory_limit_kib);
        return HL_CELL_EXIT_MEMORY;
    case HL_RUN_SIGNALED:
        snprintf(why, whylen, "%s: killed by signal %d (%s)%s%s", what, x->signo,
                 strsignal(x->signo), tail[0] ? ": " : "", tail);
        return HL_CELL_EXIT_CRASHED;
    case HL_RUN_INTERRUPTED:
        snprintf(why, whylen, "%s: interrupted", what);
        return HL_CELL_EXIT_INTERNAL;
    case HL_RUN_EXITED:
        break;
    }
    if (x->exit_code != o->cmd.expect_exit) {
        snprintf(why, whylen, "%s: exit status %d, expected %d%s%s", what, x->exit_code,
                 o->cmd.expect_exit, tail[0] ? ": " : "", tail);
        return HL_CELL_EXIT_VERIFY;
    }
    return HL_CELL_EXIT_OK;
}

/* ---- cell.json ------------------------------------------------------------------ */

typedef struct outcome {
    const run *r;
    const hl_cmdcell_proof *proof;
    const char *status;
    double throughput;     /* ops/s, NAN without a pattern */
    uint64_t instructions; /* 0 unless --measure instructions */
    const char *error;     /* or NULL */
} outcome;

static void write_doc(hl_jw *w, const hl_cmdcell_opts *o, const outcome *oc)
{
    const hl_run_result *x = &oc->r->res;
    double ns = !isnan(oc->throughput) ? 1e9 / oc->throughput : x->wall_s * 1e9;
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "format", HL_CELL_FORMAT);
    hl_jw_int(w, "format_version", HL_CELL_VERSION);
    hl_jw_str(w, "status", oc->status);
    hl_jw_str(w, "error", oc->error);
    hl_jw_str(w, "variant", HL_COMMAND_VARIANT);
    hl_jw_str(w, "backend", o->backend);
    hl_jw_str(w, "workload", o->cmd.name);
    hl_jw_obj_begin(w, "command");
    hl_jw_arr_begin(w, "argv");
    hl_jw_str(w, NULL, o->argv0);
    for (size_t i = 1; i < o->cmd.argc; i++)
        hl_jw_str(w, NULL, o->cmd.argv[i]);
    hl_jw_arr_end(w);
    hl_jw_str(w, "program", o->cmd.argv[0]);
    hl_jw_int(w, "exit_status", x->outcome == HL_RUN_EXITED ? x->exit_code : -1);
    hl_jw_uint(w, "warmup_runs", o->warmups);
    hl_jw_num(w, "throughput_ops_per_s", oc->throughput);
    hl_jw_str(w, "figure", !isnan(oc->throughput) ? "throughput" : "elapsed");
    hl_jw_obj_end(w);
    if (!o->instructions) {
        hl_jw_obj_begin(w, "time");
        hl_jw_num(w, "ns_per_op", ns);
        /* the program's own figure, not a round trip through 1e9 / x */
        hl_jw_num(w, "ops_per_s", !isnan(oc->throughput) ? oc->throughput
                                  : ns > 0              ? 1e9 / ns
                                                        : NAN);
        hl_jw_num(w, "wall_s", x->wall_s);
        hl_jw_obj_end(w);
    } else {
        hl_jw_obj_begin(w, "instructions");
        hl_jw_uint(w, "total", oc->instructions);
        hl_jw_num(w, "per_op", (double)oc->instructions); /* one run = one operation */
        hl_jw_obj_end(w);
    }
    hl_jw_obj_begin(w, "rusage");
    hl_jw_num(w, "wall_s", x->wall_s);
    hl_jw_num(w, "user_s", x->user_s);
    hl_jw_num(w, "sys_s", x->sys_s);
    hl_jw_uint(w, "maxrss_kib", x->maxrss_kib);
    hl_jw_uint(w, "minflt", x->minflt);
    hl_jw_uint(w, "majflt", x->majflt);
    hl_jw_uint(w, "nvcsw", x->nvcsw);
    hl_jw_uint(w, "nivcsw", x->nivcsw);
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "memory");
    hl_jw_str(w, "pass", "measured");
    hl_jw_uint(w, "peak_rss_kib", x->maxrss_kib);
    hl_jw_obj_end(w);
    const hl_cmdcell_proof *p = oc->proof;
    hl_jw_obj_begin(w, "proof");
    hl_jw_bool(w, "ok", p->ok);
    hl_jw_str(w, "why", p->ok ? NULL : p->why);
    hl_jw_str(w, "preload", o->preload);
    hl_jw_str(w, "expected_malloc", o->expect_malloc);
    hl_jw_str(w, "malloc", p->malloc_obj);
    hl_jw_bool(w, "exit_seen", p->exit_seen);
    hl_jw_bool(w, "traced", oc->r->seen.traced);
    hl_jw_uint(w, "images", p->images);
    hl_jw_uint(w, "execs", oc->r->seen.execs);
    hl_jw_str(w, "final_exe", oc->r->seen.exe[0] ? oc->r->seen.exe : NULL);
    hl_jw_int(w, "mapped_at_exit", p->mapped);
    hl_jw_str(w, "python_object_allocator", p->pyobj);
    hl_jw_uint(w, "processes", p->processes);
    hl_jw_uint(w, "processes_with_other_malloc", p->others_elsewhere);
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "files");
    hl_jw_str(w, "stdout", HL_CELL_FILE_PROGRAM_STDOUT);
    hl_jw_str(w, "stderr", HL_CELL_FILE_PROGRAM_STDERR);
    hl_jw_str(w, "probe", HL_PROBE_FILE);
    hl_jw_str(w, "callgrind", o->instructions ? HL_CELL_FILE_CALLGRIND : NULL);
    hl_jw_obj_end(w);
    hl_jw_obj_end(w);
}

static int write_cell_json(const hl_cmdcell_opts *o, const outcome *oc)
{
    char path[PATH_MAX + 32], err[400];
    snprintf(path, sizeof path, "%s/" HL_CELL_FILE_JSON, o->out_dir);
    hl_atomic_file af;
    if (hl_atomic_begin(&af, path, err, sizeof err) != 0)
        return die(HL_CELL_EXIT_INTERNAL, "%s", err);
    hl_jw w;
    hl_jw_init(&w, af.f, true);
    write_doc(&w, o, oc);
    int bad = hl_jw_finish(&w);
    fputc('\n', af.f);
    if (bad) {
        hl_atomic_abort(&af);
        return die(HL_CELL_EXIT_INTERNAL, "internal error: cell.json is not well-formed");
    }
    if (hl_atomic_commit(&af, true, err, sizeof err) != 0)
        return die(HL_CELL_EXIT_INTERNAL, "%s", err);
    return 0;
}

/* ---- main ----------------------------------------------------------------------- */

/* Warm-ups first: a broken program fails there, with the same verdicts. */
static int warm_up(const hl_cmdcell_opts *o)
{
    for (unsigned i = 0; i < o->warmups; i++) {
        run r;
        char why[700];
        run_once(o, "warmup", false, &r);
        int rc = judge(o, &r, "warm-up run", why, sizeof why);
        if (rc != HL_CELL_EXIT_OK)
            return die(rc, "%s", why);
    }
    return 0;
}

static int measure(const hl_cmdcell_opts *o)
{
    static run r;
    char why[700], err[400];
    run_once(o, "program", true, &r);
    outcome oc = {.r = &r, .status = HL_CELL_STATUS_OK, .throughput = NAN};
    hl_cmdcell_proof proof;
    int rc = judge(o, &r, "the program", why, sizeof why);
    hl_cmdcell_prove(r.probe_path, r.pid, o, &r.seen, &proof);
    oc.proof = &proof;
    if (rc == HL_CELL_EXIT_OK && !proof.ok) {
        rc = HL_CELL_EXIT_NOT_PRELOADED;
        snprintf(why, sizeof why, "%s", proof.why);
    }
    if (rc == HL_CELL_EXIT_OK && o->cmd.throughput && !o->instructions) {
        char *text = hl_read_file(r.stdout_path, NULL);
        if (!text || hl_command_throughput(&o->cmd, text, &oc.throughput, err, sizeof err) != 0) {
            rc = HL_CELL_EXIT_VERIFY;
            snprintf(why, sizeof why, "%s", text ? err : "the program's output is unreadable");
        }
        free(text);
    }
    if (rc == HL_CELL_EXIT_OK && o->instructions) {
        char dump[PATH_MAX];
        if (hl_callgrind_read(r.callgrind, NULL, &oc.instructions, dump, sizeof dump, err,
                              sizeof err) != 0) {
            rc = HL_CELL_EXIT_SETUP_FAILED;
            snprintf(why, sizeof why, "%s", err);
        }
    }
    if (rc != HL_CELL_EXIT_OK) {
        oc.status = rc == HL_CELL_EXIT_VERIFY ? HL_CELL_STATUS_VERIFY_FAILED
                                              : HL_CELL_STATUS_BENCH_ERROR;
        oc.error = why;
    }
    int wrc = write_cell_json(o, &oc);
    if (rc != HL_CELL_EXIT_OK)
        return die(rc, "%s", why);
    return wrc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    static hl_cmdcell_opts o;
    char err[600], probe[PATH_MAX];
    int rc = parse(argc, argv, &o, err, sizeof err);
    if (rc != 0)
        return rc;
    if (find_probe(&o, probe, sizeof probe) != 0)
        return die(HL_CELL_EXIT_SETUP_FAILED, "%s is missing next to heaplab-cell-command: "
                                              "rebuild heaplab", HL_PROBE_LIBRARY);
    rc = warm_up(&o);
    if (rc == 0)
        rc = measure(&o);
    hl_command_free(&o.cmd);
    return rc;
}
