/* command.h - an external program as a command cell runs it.
 *
 * One model for the three ways a command reaches a run: `run --command`,
 * a suite file (suitefile.h) and plan.json, which stores every command of
 * the run so that --resume runs exactly the same programs.  A command is
 * what to execute (argv, extra environment, working directory, stdin) and
 * how to read its outcome (the exit status it must end with, an optional
 * throughput pattern over its stdout).  Which allocator it runs under is
 * not part of it: that is the cell's backend (preload.h).
 *
 * Placeholders.  Suite files and --command strings may use
 *     {nproc}      the number of online CPUs (sysconf), so that thread
 *                  counts scale with the machine; {nproc*K} and {nproc/K}
 *                  (K a positive integer, integer division, at least 1)
 *                  and {nproc<=K}, at most K (programs with a thread limit)
 *     {bench}      the directory given with --bench-dir
 *     {bench-src}  the source folder those programs were built from
 *                  (--bench-src; a suite file finds it in the build
 *                  folder's CMakeCache.txt, suitefile.h), for their inputs
 *     {suite}      the folder of the suite file, for inputs shipped with it
 *     {python}     only as argv[0]: the interpreter of each --python; such
 *                  a command runs once per interpreter and per CPython
 *                  allocator configuration (pyconfig.h)
 * hl_command_expand replaces them; anything else in braces is an error
 * (so that a typo never reaches the program as a literal "{nprco}").
 *
 * Words.  A command line is split the way a POSIX shell splits words,
 * without running one: blanks separate words, '...' keeps everything
 * literal, "..." keeps blanks and honours \" \\ \$ \`, a backslash outside
 * quotes escapes the next character.  No globbing, variables, pipes or
 * redirections: a program that needs them is run as `sh -c '...'`, which
 * is then what is measured.
 */
#ifndef HL_COMMAND_H
#define HL_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_CMD_MAX_ARGS 64
#define HL_CMD_MAX_ENV 16
#define HL_CMD_NAME_MAX 48

/* Invariants (hl_command_check): name is non-empty, at most
 * HL_CMD_NAME_MAX-1 characters of [A-Za-z0-9._+-] and does not start with
 * '-' or '.'; argc >= 1 and argv[0..argc-1] are non-empty strings; every
 * env entry is NAME=VALUE with a non-empty NAME of [A-Za-z0-9_];
 * throughput, when set, compiles as a POSIX extended regular expression
 * with at least one group, and throughput_scale > 0. */
typedef struct hl_command {
    char name[HL_CMD_NAME_MAX];
    char *description;        /* one line, or NULL */
    size_t argc;
    char *argv[HL_CMD_MAX_ARGS + 1]; /* NULL-terminated */
    size_t n_env;
    char *env[HL_CMD_MAX_ENV];       /* "NAME=VALUE", added to the cell's clean environment */
    char *cwd;                /* NULL: the directory heaplab was started in */
    char *stdin_path;         /* NULL: /dev/null */
    char *throughput;         /* regex whose first group captures a number, or NULL */
    double throughput_scale;  /* operations per second = scale x the captured number */
    int expect_exit;          /* the exit status a good run ends with */
    double timeout_s;         /* 0: the run's --timeout */
    bool python;              /* argv[0] was {python} */
} hl_command;

/* An empty command (name "", no argv, scale 1, expect_exit 0). */
void hl_command_init(hl_command *c);
void hl_command_free(hl_command *c);
/* Deep copy; 0, or -1 when out of memory (dst is then empty). */
int hl_command_copy(hl_command *dst, const hl_command *src);

/* Splits line into words (above) and appends them to c->argv.  0, or -1
 * with one line in err (an unterminated quote, too many words). */
int hl_command_split(hl_command *c, const char *line, char *err, size_t errlen);

/* Adds "NAME=VALUE" to c->env; -1 with one line in err when malformed or
 * when there are too many. */
int hl_command_add_env(hl_command *c, const char *entry, char *err, size_t errlen);

/* What the placeholders stand for. */
typedef struct hl_command_vars {
    long nproc;               /* <= 0: sysconf(_SC_NPROCESSORS_ONLN) */
    const char *bench_dir;    /* NULL: {bench} is an error naming --bench-dir */
    const char *bench_src;    /* NULL: {bench-src} is an error naming --bench-src */
    const char *suite_dir;    /* NULL: {suite} is an error (no suite file) */
} hl_command_vars;

/* Replaces the placeholders of every argv word, env value, cwd and stdin
 * path in place; a leading {python} argv[0] is removed and sets c->python.
 * 0, or -1 with one line in err naming the placeholder and the fix. */
int hl_command_expand(hl_command *c, const hl_command_vars *vars, char *err, size_t errlen);

/* A cell-id-safe name made from a command line: the program's base name
 * and its first arguments, other characters as '-', at most
 * HL_CMD_NAME_MAX-1 characters ("python3 app.py" -> "python3-app.py"). */
void hl_command_default_name(const char *line, char *out, size_t outlen);

/* Is name a valid command name (the invariant above)? */
bool hl_command_name_ok(const char *name);

/* Checks the invariants; 0, or -1 with one line in err. */
int hl_command_check(const hl_command *c, char *err, size_t errlen);

/* The number captured by the throughput pattern in text (the last match,
 * since programs that print progress print the final figure last).
 * 0, or -1 with one line in err (no match, or the group is not a number). */
int hl_command_throughput(const hl_command *c, const char *text, double *value, char *err,
                          size_t errlen);

#endif
