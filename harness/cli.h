/* cli.h - the commands of `heaplab` and the option helpers they share.
 *
 * Conventions for every command: `--flag value` and `--flag=value` are the
 * same; a bad flag or value prints ONE line "heaplab CMD: what was wrong;
 * how to fix it" on stderr and exits with status 2; --help prints the
 * command's usage on stdout and exits 0.
 */
#ifndef HL_CLI_H
#define HL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_EXIT_OK 0
#define HL_EXIT_FAIL 1   /* ran, but something failed (cells, I/O) */
#define HL_EXIT_USAGE 2  /* bad command line */
#define HL_EXIT_INTERRUPTED 130

int hl_cli_list(int argc, char **argv);
int hl_cli_run(int argc, char **argv);
int hl_cli_compare(int argc, char **argv);
int hl_cli_show(int argc, char **argv);
int hl_cli_export(int argc, char **argv);
int hl_cli_check(int argc, char **argv);
int hl_cli_inspect(int argc, char **argv);
int hl_cli_reproduce(int argc, char **argv);

/* Prints "heaplab CMD: message" (one line) to stderr; returns HL_EXIT_USAGE. */
int hl_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Option matcher.  If argv[*i] is `name` or `name=value`: for a flag that
 * takes a value, stores it in *value (from the same or the next argument,
 * advancing *i) and returns 1; returns -1 when the value is missing (after
 * printing the error); returns 0 when argv[*i] is another option.
 * With value == NULL the option takes no value (`name=...` is an error). */
int hl_cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
               const char **value);

/* Strict number parsing: the whole string must be a number in [min, max].
 * On error prints "heaplab CMD: FLAG VALUE: why; give ..." and returns -1. */
int hl_cli_u64(const char *cmd, const char *flag, const char *s, uint64_t min, uint64_t max,
               uint64_t *out);
int hl_cli_i64(const char *cmd, const char *flag, const char *s, int64_t *out);
int hl_cli_double(const char *cmd, const char *flag, const char *s, double min, double max,
                  double *out);

/* The candidate closest to word by edit distance, when it is close enough
 * to be a typo (distance <= 2, or word is a prefix of it), else NULL; for
 * "did you mean" hints. */
const char *hl_cli_suggest(const char *word, const char *const *candidates, size_t n);

/* Splits a comma-separated list in place (s is modified); empty items are
 * an error.  Returns the count, or -1 after printing the error. */
int hl_cli_split(const char *cmd, const char *flag, char *s, const char **items, size_t max);

#endif
