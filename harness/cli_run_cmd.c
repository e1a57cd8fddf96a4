/* cli_run_cmd.c - see cli_run_cmd.h. */
#include "cli_run_cmd.h"

#include "cli.h"
#include "suitefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hl_run_commands_flags[] = {
    "--command", "--command-name", "--suite",      "--bench-dir", "--bench-src", "--python",
    "--env",     "--cwd",          "--stdin",      "--throughput",       "--throughput-scale",
    "--expect-exit", "--warmup-runs"};
const size_t hl_run_commands_n_flags =
    sizeof hl_run_commands_flags / sizeof hl_run_commands_flags[0];

bool hl_run_commands_given(const hl_run_commands *rc)
{
    return rc->n_lines > 0 || rc->suite_file != NULL;
}

/* "NAME=VALUE" with a plain NAME: the name (into name) and the value. */
static const char *named(const char *v, char *name, size_t len)
{
    const char *eq = strchr(v, '=');
    size_t n = eq ? (size_t)(eq - v) : 0;
    if (!eq || n == 0 || n >= len || strcspn(v, " /'\"") < n)
        return NULL;
    snprintf(name, len, "%.*s", (int)n, v);
    return eq + 1;
}

int hl_run_commands_option(hl_run_commands *rc, int argc, char **argv, int *i)
{
    const char *v = NULL;
    int r;
#define OPT(flag) ((r = hl_cli_opt("run", argc, argv, i, flag, &v)) != 0)
    bool with_name = false;
    if ((with_name = OPT("--command-name")) || OPT("--command")) {
        if (r < 0)
            return -1;
        if (rc->n_lines == HL_PLAN_MAX_LIST)
            return hl_cli_usage_error("run", "more than %d commands", HL_PLAN_MAX_LIST), -1;
        const char *line = v, *name = NULL;
        if (with_name) {
            static char names[HL_PLAN_MAX_LIST][HL_CMD_NAME_MAX];
            line = named(v, names[rc->n_lines], sizeof names[0]);
            if (!line || !*line || !hl_command_name_ok(names[rc->n_lines]))
                return hl_cli_usage_error("run", "--command-name '%s': write --command-name "
                                                 "NAME=COMMAND, NAME of letters, digits, '.', "
                                                 "'_', '+', '-' (e.g. app=\"python3 app.py\")",
                                          v), -1;
            name = names[rc->n_lines];
        }
        rc->lines[rc->n_lines].name = name;
        rc->lines[rc->n_lines++].line = line;
    } else if (OPT("--suite")) {
        if (r < 0)
            return -1;
        if (rc->suite_file)
            return hl_cli_usage_error("run", "--suite is given twice: give one suite file"), -1;
        rc->suite_file = v;
    } else if (OPT("--bench-dir")) {
        if (r < 0)
            return -1;
        rc->bench_dir = v;
    } else if (OPT("--bench-src")) {
        if (r < 0)
            return -1;
        rc->bench_src = v;
    } else if (OPT("--python")) {
        if (r < 0)
            return -1;
        if (rc->n_pythons == HL_RUN_MAX_PYTHONS)
            return hl_cli_usage_error("run", "more than %d --python", HL_RUN_MAX_PYTHONS), -1;
        static char names[HL_RUN_MAX_PYTHONS][HL_PY_NAME_MAX];
        const char *path = named(v, names[rc->n_pythons], sizeof names[0]);
        rc->pythons[rc->n_pythons].name = path ? names[rc->n_pythons] : NULL;
        rc->pythons[rc->n_pythons++].path = path ? path : v;
    } else if (OPT("--env")) {
        if (r < 0)
            return -1;
        if (rc->n_env == HL_CMD_MAX_ENV)
            return hl_cli_usage_error("run", "more than %d --env", HL_CMD_MAX_ENV), -1;
        rc->env[rc->n_env++] = v;
    } else if (OPT("--cwd")) {
        if (r < 0)
            return -1;
        rc->cwd = v;
    } else if (OPT("--stdin")) {
        if (r < 0)
            return -1;
        rc->stdin_path = v;
    } else if (OPT("--throughput")) {
        if (r < 0)
            return -1;
        rc->throughput = v;
    } else if (OPT("--throughput-scale")) {
        if (r < 0 || hl_cli_double("run", "--throughput-scale", v, 1e-300, 1e300,
                                   &rc->throughput_scale) != 0)
            return -1;
        rc->have_scale = true;
    } else if (OPT("--expect-exit")) {
        uint64_t n;
        if (r < 0 || hl_cli_u64("run", "--expect-exit", v, 0, 255, &n) != 0)
            return -1;
        rc->expect_exit = (int)n;
        rc->have_expect = true;
    } else if (OPT("--warmup-runs")) {
        uint64_t n;
        if (r < 0 || hl_cli_u64("run", "--warmup-runs", v, 0, 100, &n) != 0)
            return -1;
        rc->warmup_runs = (unsigned)n;
        rc->have_warmups = true;
    } else {
        return 0;
    }
#undef OPT
    return 1;
}

static int grow(hl_run_commands *rc)
{
    hl_command *n = realloc(rc->cmds, (rc->n_cmds + 1) * sizeof *n);
    if (!n)
        return -1;
    rc->cmds = n;
    hl_command_init(&rc->cmds[rc->n_cmds]);
    return 0;
}

/* Does an earlier command have c's name? */
static bool name_taken(const hl_run_commands *rc, const hl_command *c)
{
    for (size_t i = 0; &rc->cmds[i] != c; i++)
        if (strcmp(rc->cmds[i].name, c->name) == 0)
            return true;
    return false;
}

/* One --command: its words, name and the --command options. */
static int build_line(hl_run_commands *rc, size_t k, const hl_command_vars *vars)
{
    char err[600];
    if (grow(rc) != 0)
        return hl_cli_usage_error("run", "out of memory");
    hl_command *c = &rc->cmds[rc->n_cmds++];
    const char *line = rc->lines[k].line;
    const char *flag = rc->lines[k].name ? "--command-name" : "--command";
    if (hl_command_split(c, line, err, sizeof err) != 0)
        return hl_cli_usage_error("run", "%s: %s", flag, err);
    if (c->argc == 0)
        return hl_cli_usage_error("run", "%s '%s' names no program", flag, line);
    if (rc->lines[k].name)
        snprintf(c->name, sizeof c->name, "%s", rc->lines[k].name);
    else
        hl_command_default_name(line, c->name, sizeof c->name);
    for (size_t i = 0; i < rc->n_env; i++)
        if (hl_command_add_env(c, rc->env[i], err, sizeof err) != 0)
            return hl_cli_usage_error("run", "--env: %s", err);
    if ((rc->cwd && !(c->cwd = strdup(rc->cwd))) ||
        (rc->stdin_path && !(c->stdin_path = strdup(rc->stdin_path))) ||
        (rc->throughput && !(c->throughput = strdup(rc->throughput))))
        return hl_cli_usage_error("run", "out of memory");
    if (rc->have_scale)
        c->throughput_scale = rc->throughput_scale;
    c->expect_exit = rc->have_expect ? rc->expect_exit : 0;
    /* with --python, a command is what follows the interpreter */
    if (rc->n_pythons && strcmp(c->argv[0], "{python}") != 0) {
        if (c->argc == HL_CMD_MAX_ARGS)
            return hl_cli_usage_error("run", "%s: too many words", flag);
        memmove(c->argv + 1, c->argv, (c->argc + 1) * sizeof c->argv[0]);
        c->argv[0] = strdup("{python}");
        c->argc++;
    }
    if (hl_command_expand(c, vars, err, sizeof err) != 0 ||
        hl_command_check(c, err, sizeof err) != 0)
        return hl_cli_usage_error("run", "%s '%s': %s", flag, line, err);
    /* two unnamed commands with the same words get -2, -3 ... */
    if (!rc->lines[k].name) {
        char orig[HL_CMD_NAME_MAX];
        snprintf(orig, sizeof orig, "%s", c->name);
        for (unsigned dup = 2; dup < 1000 && name_taken(rc, c); dup++)
            snprintf(c->name, sizeof c->name, "%.*s-%u", HL_CMD_NAME_MAX - 5, orig, dup);
    }
    return HL_EXIT_OK;
}

static int build_interps(hl_run_commands *rc)
{
    char err[600];
    for (size_t i = 0; i < rc->n_pythons; i++) {
        if (hl_pyconfig_query(rc->pythons[i].path, rc->pythons[i].name, &rc->interps[i], err,
                              sizeof err) != 0)
            return hl_cli_usage_error("run", "%s", err);
        for (size_t j = 0; j < i; j++)
            if (strcmp(rc->interps[j].name, rc->interps[i].name) == 0)
                return hl_cli_usage_error("run", "--python %s and %s are both named '%s': name "
                                                 "them, e.g. --python NAME=PATH",
                                          rc->interps[j].path, rc->interps[i].path,
                                          rc->interps[i].name);
        rc->n_interps++;
    }
    return HL_EXIT_OK;
}

/* The suite file's benchmarks; those whose program (or input) is not
 * there are left out with one line each. */
static int build_suite(hl_run_commands *rc, const hl_plan_request *req,
                       const hl_command_vars *vars)
{
    char err[600];
    hl_suitefile_opts so = {.quick = !req->suite || strcmp(req->suite, "full") != 0,
                            .vars = *vars};
    hl_command *cmds;
    size_t n;
    if (hl_suitefile_load(rc->suite_file, &so, &cmds, &n, err, sizeof err) != 0)
        return hl_cli_usage_error("run", "--suite %s", err);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        char why[600];
        if (!hl_suitefile_runnable(&cmds[i], why, sizeof why)) {
            fprintf(stderr, "heaplab run: note: %s skipped: %s\n", cmds[i].name, why);
            hl_command_free(&cmds[i]);
            continue;
        }
        if (grow(rc) != 0) {
            hl_suitefile_free(cmds + i, n - i);
            free(cmds);
            return hl_cli_usage_error("run", "out of memory");
        }
        rc->cmds[rc->n_cmds++] = cmds[i];
        kept++;
    }
    free(cmds);
    if (kept == 0)
        return hl_cli_usage_error("run", "--suite %s: none of its programs is there: build "
                                         "them (docs/suite-files.md) and give --bench-dir DIR",
                                  rc->suite_file);
    return HL_EXIT_OK;
}

/* --workloads NAME that is a command: selects it (and is no workload). */
static void select_by_workloads(hl_run_commands *rc, hl_plan_request *req)
{
    bool any = false;
    for (size_t w = 0; w < req->n_workloads; w++)
        for (size_t c = 0; c < rc->n_cmds; c++)
            any |= strcmp(req->workloads[w], rc->cmds[c].name) == 0;
    if (!any)
        return;
    size_t keep = 0;
    for (size_t c = 0; c < rc->n_cmds; c++) {
        bool named = false;
        for (size_t w = 0; w < req->n_workloads; w++)
            named |= strcmp(req->workloads[w], rc->cmds[c].name) == 0;
        if (named)
            rc->cmds[keep++] = rc->cmds[c];
        else
            hl_command_free(&rc->cmds[c]);
    }
    rc->n_cmds = keep;
    size_t kw = 0;
    for (size_t w = 0; w < req->n_workloads; w++) {
        bool is_cmd = false;
        for (size_t c = 0; c < rc->n_cmds; c++)
            is_cmd |= strcmp(req->workloads[w], rc->cmds[c].name) == 0;
        if (!is_cmd)
            req->workloads[kw++] = req->workloads[w];
    }
    req->n_workloads = kw;
}

int hl_run_commands_build(hl_run_commands *rc, hl_plan_request *req)
{
    if (!hl_run_commands_given(rc)) {
        if (rc->n_pythons || rc->n_env || rc->cwd || rc->stdin_path || rc->throughput ||
            rc->have_scale || rc->have_expect || rc->have_warmups || rc->bench_dir ||
            rc->bench_src)
            return hl_cli_usage_error("run", "--python, --env, --cwd, --stdin, --throughput, "
                                             "--expect-exit, --warmup-runs, --bench-dir and "
                                             "--bench-src "
                                             "apply to external programs: add --command CMD "
                                             "or --suite FILE");
        return HL_EXIT_OK;
    }
    if (rc->have_scale && !rc->throughput)
        return hl_cli_usage_error("run", "--throughput-scale scales the number --throughput "
                                         "captures: add --throughput REGEX");
    hl_command_vars vars = {.bench_dir = rc->bench_dir, .bench_src = rc->bench_src};
    int r = build_interps(rc);
    for (size_t k = 0; r == HL_EXIT_OK && k < rc->n_lines; k++)
        r = build_line(rc, k, &vars);
    if (r == HL_EXIT_OK && rc->suite_file)
        r = build_suite(rc, req, &vars);
    if (r != HL_EXIT_OK)
        return r;
    select_by_workloads(rc, req);
    req->commands = rc->cmds;
    req->n_commands = rc->n_cmds;
    req->interps = rc->interps;
    req->n_interps = rc->n_interps;
    req->have_warmup_runs = rc->have_warmups;
    req->warmup_runs = rc->warmup_runs;
    return HL_EXIT_OK;
}

void hl_run_commands_free(hl_run_commands *rc)
{
    for (size_t i = 0; i < rc->n_cmds; i++)
        hl_command_free(&rc->cmds[i]);
    free(rc->cmds);
    rc->cmds = NULL;
    rc->n_cmds = 0;
}
