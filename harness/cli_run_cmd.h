/* cli_run_cmd.h - the options of `heaplab run` that bring external programs
 * in: --command, --command-name, --suite, --bench-dir, --bench-src, --python, and what
 * applies to the --command programs (--env, --cwd, --stdin, --throughput,
 * --throughput-scale, --expect-exit, --warmup-runs).
 *
 * Options are collected while cli_run.c parses the command line (in any
 * order: --throughput may follow the --command it applies to), then built
 * into commands and interpreters for the plan request in one step.
 */
#ifndef HL_CLI_RUN_CMD_H
#define HL_CLI_RUN_CMD_H

#include "command.h"
#include "plan.h"
#include "pyconfig.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_RUN_MAX_PYTHONS 8

typedef struct hl_run_commands {
    /* as given */
    size_t n_lines;
    struct {
        const char *name; /* NULL: derived from the line */
        const char *line;
    } lines[HL_PLAN_MAX_LIST];
    const char *suite_file, *bench_dir, *bench_src;
    size_t n_pythons;
    struct {
        const char *name; /* NULL: from the version */
        const char *path;
    } pythons[HL_RUN_MAX_PYTHONS];
    size_t n_env;
    const char *env[HL_CMD_MAX_ENV];
    const char *cwd, *stdin_path, *throughput;
    double throughput_scale;
    bool have_scale, have_expect, have_warmups;
    int expect_exit;
    unsigned warmup_runs;
    /* built by hl_run_commands_build */
    size_t n_cmds;
    hl_command *cmds;
    size_t n_interps;
    hl_pyinterp interps[HL_RUN_MAX_PYTHONS];
} hl_run_commands;

/* If argv[*i] is one of the options above, consumes it (and its value)
 * and returns 1; 0 when it is another option; -1 after printing a usage
 * error. */
int hl_run_commands_option(hl_run_commands *rc, int argc, char **argv, int *i);

/* The option names, for did-you-mean. */
extern const char *const hl_run_commands_flags[];
extern const size_t hl_run_commands_n_flags;

/* Did the command line name any external program? */
bool hl_run_commands_given(const hl_run_commands *rc);

/* Builds the commands (splitting, naming, placeholders, the suite file)
 * and asks every --python interpreter what it is; --workloads names that
 * are commands select them and are removed from req's workloads.  Sets
 * req's command fields.  HL_EXIT_OK, or HL_EXIT_USAGE after one line. */
int hl_run_commands_build(hl_run_commands *rc, hl_plan_request *req);

void hl_run_commands_free(hl_run_commands *rc);

#endif
