/* suitefile.h - suite files: external benchmarks named in a small text file.
 *
 * A suite file lists programs for command cells (command.h), one section
 * per benchmark (docs/suite-files.md has the full reference):
 *
 *     # a comment: a line whose first non-blank character is '#'
 *     [larsonN]
 *     description = larson server benchmark, 5 s
 *     argv = {bench}/larson 5 8 1000 5000 100 4141 {nproc}
 *     quick = {bench}/larson 1 8 1000 5000 100 4141 {nproc}
 *     throughput = Throughput = *([0-9.]+) operations per second
 *
 * Keys: description, argv (required), quick, quick_stdin, quick_skip, env
 * (repeatable), cwd, stdin, throughput, throughput_scale, expect_exit,
 * timeout.  A value is the rest of the line with the blanks around it
 * removed; only argv and quick are split into words (hl_command_split).
 * The quick suite (opts.quick) takes quick and quick_stdin in place of
 * argv and stdin when given, and leaves out the sections that have
 * quick_skip.
 *
 * Every error is one line "NAME:LINE: what is wrong; how to fix it"; the
 * first error ends the parse.  Commands come back expanded
 * (hl_command_expand) and checked (hl_command_check).  Placeholders in the
 * lines the chosen suite does not use are checked by name only, so that a
 * typo in a quick line fails the full suite too.
 */
#ifndef HL_SUITEFILE_H
#define HL_SUITEFILE_H

#include "command.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_SUITE_MAX_BYTES (1u << 20) /* a suite names programs; it holds no data */
#define HL_SUITE_MAX_LINE 4096
#define HL_SUITE_MAX_BENCH 256

typedef struct hl_suitefile_opts {
    bool quick;           /* the quick suite: quick / quick_stdin / quick_skip apply */
    hl_command_vars vars; /* what the placeholders stand for */
} hl_suitefile_opts;

/* Reads and parses the suite file at path.  Refuses (one line, naming the
 * file) what is not a regular file, cannot be read or is larger than
 * HL_SUITE_MAX_BYTES.  Where o->vars leaves them NULL, {suite} is the
 * file's folder (absolute) and {bench-src} the source folder recorded in
 * the CMakeCache.txt of {bench} (hl_suitefile_bench_src).  On success 0,
 * *out a malloc'd array of *n >= 1 commands (free with
 * hl_suitefile_free); else -1 with one line in err. */
int hl_suitefile_load(const char *path, const hl_suitefile_opts *o, hl_command **out, size_t *n,
                      char *err, size_t errlen);

/* Parses len bytes of text (no NUL needed at the end; NUL bytes inside are
 * an error); name_for_messages is the NAME of the messages.  The
 * placeholders are exactly o->vars (no defaults taken from disk).  As
 * hl_suitefile_load otherwise. */
int hl_suitefile_parse(const char *text, size_t len, const char *name_for_messages,
                       const hl_suitefile_opts *o, hl_command **out, size_t *n, char *err,
                       size_t errlen);

void hl_suitefile_free(hl_command *cmds, size_t n);

/* The source folder a CMake build folder was configured from
 * (CMAKE_HOME_DIRECTORY in bench_dir/CMakeCache.txt) into out; 0, or -1
 * when there is none or it is not a directory. */
int hl_suitefile_bench_src(const char *bench_dir, char *out, size_t outlen);

/* Is c's program there: argv[0] an executable regular file, looked up in
 * PATH when it has no '/'?  A {python} command's program is the
 * interpreter, which the run checks itself: true. */
bool hl_suitefile_program_exists(const hl_command *c);

/* Can c start: its program exists, its stdin file is a readable regular
 * file and its cwd a directory?  false with the first missing thing in
 * why ("/b/larson: no such executable file"), for the driver's one-line
 * "skipped" notice. */
bool hl_suitefile_runnable(const hl_command *c, char *why, size_t whylen);

#endif
