/* suitefile.c - see suitefile.h.
 *
 * How it works.  The text is cut into lines at '\n' (a '\r' just before it
 * is dropped, so CRLF files read the same; a UTF-8 byte order mark at the
 * start is skipped).  A line is blank, a comment, a section header or
 * key = value.  A section collects its raw values together with the line
 * each came from (struct section).  Every value is checked as soon as its
 * line is read - words split, placeholders expanded against stand-in
 * values so that only their names are checked, numbers parsed, the
 * throughput pattern sized and compiled - so the message names that line.
 * When the section ends (the next header, or the end of the text) the
 * lines the chosen suite uses are expanded with the real placeholder
 * values, one field at a time so that an error still names its line, into
 * an hl_command that is checked once more as a whole.
 *
 * Why whole-line comments only: a value is taken verbatim, and a pattern
 * or an argument may contain '#'.
 */
#include "suitefile.h"

#include "fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum key {
    K_DESCRIPTION,
    K_ARGV,
    K_QUICK,
    K_QUICK_STDIN,
    K_QUICK_SKIP,
    K_ENV,
    K_CWD,
    K_STDIN,
    K_THROUGHPUT,
    K_SCALE,
    K_EXPECT_EXIT,
    K_TIMEOUT,
    K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "description", "argv",       "quick",            "quick_stdin", "quick_skip", "env",
    "cwd",         "stdin",      "throughput",       "throughput_scale", "expect_exit",
    "timeout",
};

#define MAX_TIMEOUT_S (7 * 24 * 3600.0)

/* One section being read.  Invariants: line[k] is the line key k was given
 * on (0: not given) and value[k] its malloc'd value, for every key but env,
 * whose entries are env[0..n_env-1] from lines env_line[]; n_env <=
 * HL_CMD_MAX_ENV.  scale, expect_exit and timeout hold the parsed numbers
 * of keys that were given. */
struct section {
    char name[HL_CMD_NAME_MAX];
    unsigned header;
    unsigned line[K_COUNT];
    char *value[K_COUNT];
    size_t n_env;
    char *env[HL_CMD_MAX_ENV];
    unsigned env_line[HL_CMD_MAX_ENV];
    double scale, timeout;
    int expect_exit;
};

/* Invariants: cmds[0..n-1] are finished, checked commands (cap >= n);
 * names[0..n_names-1] are every section seen so far, also those the quick
 * suite leaves out, with the line of their header. */
struct parser {
    const char *file;
    const hl_suitefile_opts *o;
    char *err;
    size_t errlen;
    hl_command *cmds;
    size_t n, cap;
    char names[HL_SUITE_MAX_BENCH][HL_CMD_NAME_MAX];
    unsigned name_lines[HL_SUITE_MAX_BENCH];
    size_t n_names;
};

/* Only the names of the placeholders are checked against these. */
static const hl_command_vars standin = {
    .nproc = 2, .bench_dir = "/bench", .bench_src = "/src", .suite_dir = "/suite"};

/* "FILE:LINE: message" into p->err; always -1.  Anything below ' ' becomes
 * '?', so the message stays one line whatever the values held. */
static int fail(struct parser *p, unsigned line, const char *fmt, ...)
{
    if (!p->err || p->errlen == 0)
        return -1;
    int k = snprintf(p->err, p->errlen, "%s:%u: ", p->file, line ? line : 1);
    if (k >= 0 && (size_t)k < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    for (char *c = p->err; *c; c++)
        if ((unsigned char)*c < ' ')
            *c = '?';
    return -1;
}

static void section_free(struct section *s)
{
    for (int k = 0; k < K_COUNT; k++)
        free(s->value[k]);
    for (size_t i = 0; i < s->n_env; i++)
        free(s->env[i]);
    memset(s, 0, sizeof *s);
}

/* ---- values ----------------------------------------------------------------- */

/* Splits and expands the words of v (argv or quick) with vars and checks
 * them; with into, moves them there (and the {python} mark). */
static int take_words(struct parser *p, const struct section *s, const char *v, unsigned line,
                      const hl_command_vars *vars, hl_command *into)
{
    hl_command t;
    hl_command_init(&t);
    snprintf(t.name, sizeof t.name, "%s", s->name);
    char msg[700];
    if (hl_command_split(&t, v, msg, sizeof msg) != 0 ||
        hl_command_expand(&t, vars, msg, sizeof msg) != 0 ||
        hl_command_check(&t, msg, sizeof msg) != 0) {
        hl_command_free(&t);
        return fail(p, line, "%s", msg);
    }
    if (into) {
        for (size_t i = 0; i <= t.argc; i++)
            into->argv[i] = t.argv[i];
        into->argc = t.argc;
        into->python = t.python;
        t.argc = 0;
    }
    hl_command_free(&t);
    return 0;
}

/* Expands the placeholders of one value with vars; *out (when given) is the
 * malloc'd result. */
static int expand_value(struct parser *p, const char *v, unsigned line,
                        const hl_command_vars *vars, char **out)
{
    hl_command t;
    hl_command_init(&t);
    char msg[400];
    if (!(t.cwd = strdup(v)))
        return fail(p, line, "out of memory");
    if (hl_command_expand(&t, vars, msg, sizeof msg) != 0) {
        hl_command_free(&t);
        return fail(p, line, "%s", msg);
    }
    if (out) {
        *out = t.cwd;
        t.cwd = NULL;
    }
    hl_command_free(&t);
    return 0;
}

static int parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || errno != 0 || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

/* Checks key k's value v from line and keeps it in s. */
static int set_key(struct parser *p, struct section *s, enum key k, const char *v, unsigned line)
{
    if (k != K_ENV && s->line[k])
        return fail(p, line, "%s is given twice (first on line %u); keep one", key_names[k],
                    s->line[k]);
    if (k == K_QUICK_SKIP || k == K_QUICK || k == K_QUICK_STDIN) {
        enum key other = k == K_QUICK_SKIP ? (s->line[K_QUICK] ? K_QUICK : K_QUICK_STDIN)
                                           : K_QUICK_SKIP;
        if (s->line[other])
            return fail(p, line, "%s and %s (line %u) contradict each other: quick_skip "
                                 "leaves the benchmark out of the quick suite; keep one",
                        key_names[k], key_names[other], s->line[other]);
    }
    char msg[700];
    switch (k) {
    case K_ARGV:
    case K_QUICK:
        if (take_words(p, s, v, line, &standin, NULL) != 0)
            return -1;
        break;
    case K_ENV: {
        hl_command t;
        hl_command_init(&t);
        int bad = hl_command_add_env(&t, v, msg, sizeof msg);
        hl_command_free(&t);
        if (bad)
            return fail(p, line, "%s", msg);
        if (s->n_env == HL_CMD_MAX_ENV)
            return fail(p, line, "more than %d env entries; set the rest in a wrapper script",
                        HL_CMD_MAX_ENV);
        if (expand_value(p, v, line, &standin, NULL) != 0)
            return -1;
        if (!(s->env[s->n_env] = strdup(v)))
            return fail(p, line, "out of memory");
        s->env_line[s->n_env++] = line;
        return 0;
    }
    case K_CWD:
    case K_STDIN:
    case K_QUICK_STDIN:
        if (expand_value(p, v, line, &standin, NULL) != 0)
            return -1;
        break;
    case K_THROUGHPUT: {
        hl_command t;
        hl_command_init(&t);
        snprintf(t.name, sizeof t.name, "%s", s->name);
        char prog[] = "program";
        t.argv[0] = prog;
        t.argc = 1;
        t.throughput = (char *)v;
        int bad = hl_command_check(&t, msg, sizeof msg);
        if (bad)
            return fail(p, line, "%s", msg);
        break;
    }
    case K_SCALE:
        if (parse_double(v, &s->scale) != 0 || !(s->scale > 0))
            return fail(p, line, "throughput_scale '%.60s' is not a positive number; write "
                                 "e.g. throughput_scale = 1e6", v);
        break;
    case K_EXPECT_EXIT: {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (end == v || *end != '\0' || errno != 0 || x < 0 || x > 255)
            return fail(p, line, "expect_exit '%.60s' is not an exit status; write an "
                                 "integer 0-255", v);
        s->expect_exit = (int)x;
        break;
    }
    case K_TIMEOUT:
        if (parse_double(v, &s->timeout) != 0 || !(s->timeout > 0) ||
            s->timeout > MAX_TIMEOUT_S)
            return fail(p, line, "timeout '%.60s' is not a number of seconds; write e.g. "
                                 "timeout = 60 (at most %.0f)", v, MAX_TIMEOUT_S);
        break;
    case K_DESCRIPTION:
    case K_QUICK_SKIP:
    case K_COUNT:
        break;
    }
    if (!(s->value[k] = strdup(v)))
        return fail(p, line, "out of memory");
    s->line[k] = line;
    return 0;
}

/* ---- sections ------------------------------------------------------------------- */

/* The command of the finished section s, appended to p->cmds (unless the
 * quick suite leaves it out); s is emptied. */
static int finish(struct parser *p, struct section *s)
{
    const bool quick = p->o->quick;
    const hl_command_vars *vars = &p->o->vars;
    hl_command c;
    hl_command_init(&c);
    if (!s->line[K_ARGV]) {
        fail(p, s->header, "benchmark '%s' has no argv; add argv = PROGRAM ARGUMENTS",
             s->name);
        goto bad;
    }
    if (s->line[K_SCALE] && !s->line[K_THROUGHPUT]) {
        fail(p, s->line[K_SCALE], "throughput_scale scales what the throughput pattern "
                                  "captures; add throughput = REGEX or remove it");
        goto bad;
    }
    if (quick && s->line[K_QUICK_SKIP]) {
        section_free(s);
        return 0;
    }
    snprintf(c.name, sizeof c.name, "%s", s->name);
    /* The fields the chosen suite uses, expanded in the order of their
     * lines so that the first error in the file is the one reported. */
    enum key ka = quick && s->line[K_QUICK] ? K_QUICK : K_ARGV;
    enum key ks = quick && s->line[K_QUICK_STDIN] ? K_QUICK_STDIN : K_STDIN;
    struct field {
        unsigned line;
        const char *value;
        char **slot; /* NULL: the words */
    } f[HL_CMD_MAX_ENV + 3];
    size_t nf = 0;
    f[nf++] = (struct field){s->line[ka], s->value[ka], NULL};
    for (size_t i = 0; i < s->n_env; i++)
        f[nf++] = (struct field){s->env_line[i], s->env[i], &c.env[i]};
    if (s->line[K_CWD])
        f[nf++] = (struct field){s->line[K_CWD], s->value[K_CWD], &c.cwd};
    if (s->line[ks])
        f[nf++] = (struct field){s->line[ks], s->value[ks], &c.stdin_path};
    for (size_t i = 1; i < nf; i++) /* insertion sort: a dozen entries */
        for (size_t j = i; j > 0 && f[j - 1].line > f[j].line; j--) {
            struct field t = f[j];
            f[j] = f[j - 1];
            f[j - 1] = t;
        }
    c.n_env = s->n_env; /* hl_command_free frees what is set; the rest is NULL */
    for (size_t i = 0; i < nf; i++)
        if (f[i].slot ? expand_value(p, f[i].value, f[i].line, vars, f[i].slot) != 0
                      : take_words(p, s, f[i].value, f[i].line, vars, &c) != 0)
            goto bad;
    if (s->line[K_DESCRIPTION]) {
        c.description = s->value[K_DESCRIPTION];
        s->value[K_DESCRIPTION] = NULL;
    }
    if (s->line[K_THROUGHPUT]) {
        c.throughput = s->value[K_THROUGHPUT];
        s->value[K_THROUGHPUT] = NULL;
    }
    if (s->line[K_SCALE])
        c.throughput_scale = s->scale;
    if (s->line[K_EXPECT_EXIT])
        c.expect_exit = s->expect_exit;
    if (s->line[K_TIMEOUT])
        c.timeout_s = s->timeout;
    char msg[700];
    if (hl_command_check(&c, msg, sizeof msg) != 0) {
        fail(p, s->header, "%s", msg);
        goto bad;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        hl_command *grown = realloc(p->cmds, cap * sizeof *grown);
        if (!grown) {
            fail(p, s->header, "out of memory");
            goto bad;
        }
        p->cmds = grown;
        p->cap = cap;
    }
    p->cmds[p->n++] = c;
    section_free(s);
    return 0;
bad:
    hl_command_free(&c);
    section_free(s);
    return -1;
}

static void trim(char **start)
{
    char *t = *start;
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        t[--n] = '\0';
    *start = t;
}

/* Starts section s from the header line t ("[name]"). */
static int begin(struct parser *p, struct section *s, char *t, unsigned line)
{
    char *close = strchr(t, ']');
    if (!close)
        return fail(p, line, "section header without ']'; write [name]");
    char *after = close + 1;
    trim(&after);
    if (*after)
        return fail(p, line, "text after ']' ('%.40s'); put a comment on its own line, "
                             "starting with '#'", after);
    *close = '\0';
    char *name = t + 1;
    trim(&name);
    if (!*name)
        return fail(p, line, "empty section name; write [name]");
    if (!hl_command_name_ok(name))
        return fail(p, line, "benchmark name '%.60s' must be 1-%d characters of letters, "
                             "digits, '.', '_', '+', '-', not starting with '-' or '.'; "
                             "rename the section", name, HL_CMD_NAME_MAX - 1);
    for (size_t i = 0; i < p->n_names; i++)
        if (strcmp(p->names[i], name) == 0)
            return fail(p, line, "benchmark '%s' is already defined on line %u; rename one "
                                 "of them", name, p->name_lines[i]);
    if (p->n_names == HL_SUITE_MAX_BENCH)
        return fail(p, line, "more than %d benchmarks; split the suite into several files",
                    HL_SUITE_MAX_BENCH);
    snprintf(p->names[p->n_names], HL_CMD_NAME_MAX, "%s", name);
    p->name_lines[p->n_names++] = line;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->header = line;
    return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (tolower((unsigned char)a[i - 1]) != b[j - 1]);
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* An unknown key: the closest known one when it looks like a typo. */
static int unknown_key(struct parser *p, const char *key, unsigned line)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (int k = 0; k < K_COUNT; k++) {
        size_t d = edit_distance(key, key_names[k]);
        if (d < best_d) {
            best_d = d;
            best = key_names[k];
        }
    }
    if (best)
        return fail(p, line, "unknown key '%.40s'; did you mean '%s'?", key, best);
    return fail(p, line, "unknown key '%.40s'; the keys are description, argv, quick, "
                         "quick_stdin, quick_skip, env, cwd, stdin, throughput, "
                         "throughput_scale, expect_exit, timeout", key);
}

/* ---- the text ------------------------------------------------------------------- */

/* Copies line [s, s+len) into buf after checking its bytes. */
static int take_line(struct parser *p, const char *s, size_t len, unsigned line, char *buf)
{
    if (len > HL_SUITE_MAX_LINE)
        return fail(p, line, "line longer than %d bytes; shorten it", HL_SUITE_MAX_LINE);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\0')
            return fail(p, line, "NUL byte in column %zu; a suite file is plain text", i + 1);
        if (ch == '\r')
            return fail(p, line, "carriage return inside the line; end lines with LF or "
                                 "CRLF");
        if ((ch < ' ' && ch != '\t') || ch == 0x7f)
            return fail(p, line, "control character 0x%02X in column %zu; remove it", ch,
                        i + 1);
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

static int parse_line(struct parser *p, struct section *s, bool *in_section, char *t,
                      unsigned line)
{
    trim(&t);
    if (*t == '\0' || *t == '#')
        return 0;
    if (*t == '[') {
        if (*in_section && finish(p, s) != 0)
            return -1;
        *in_section = false;
        if (begin(p, s, t, line) != 0)
            return -1;
        *in_section = true;
        return 0;
    }
    char *eq = strchr(t, '=');
    if (!eq)
        return fail(p, line, "'%.60s' is neither [name], key = value nor a # comment; see "
                             "docs/suite-files.md", t);
    *eq = '\0';
    char *key = t, *value = eq + 1;
    trim(&key);
    trim(&value);
    if (!*key)
        return fail(p, line, "the line starts with '='; write key = value");
    int k = 0;
    while (k < K_COUNT && strcmp(key, key_names[k]) != 0)
        k++;
    if (k == K_COUNT)
        return unknown_key(p, key, line);
    if (!*in_section)
        return fail(p, line, "%s before any section; start the benchmark with [name]", key);
    if (!*value)
        return fail(p, line, "%s has no value; write %s = VALUE or remove the line", key, key);
    return set_key(p, s, (enum key)k, value, line);
}

int hl_suitefile_parse(const char *text, size_t len, const char *name_for_messages,
                       const hl_suitefile_opts *o, hl_command **out, size_t *n, char *err,
                       size_t errlen)
{
    static const hl_suitefile_opts defaults;
    *out = NULL;
    *n = 0;
    struct parser *p = calloc(1, sizeof *p);
    char *buf = malloc(HL_SUITE_MAX_LINE + 1);
    if (!p || !buf) {
        free(p);
        free(buf);
        snprintf(err, errlen, "%s: out of memory", name_for_messages);
        return -1;
    }
    p->file = name_for_messages ? name_for_messages : "suite";
    p->o = o ? o : &defaults;
    p->err = err;
    p->errlen = errlen;
    struct section s;
    memset(&s, 0, sizeof s);
    bool in_section = false;
    int rc = -1;
    if (len > HL_SUITE_MAX_BYTES) {
        fail(p, 1, "larger than 1 MiB; a suite file names programs, it holds no data");
        goto done;
    }
    const char *c = text, *end = text + len;
    if (len >= 3 && memcmp(c, "\xEF\xBB\xBF", 3) == 0)
        c += 3;
    unsigned line = 0;
    while (c < end) {
        line++;
        const char *nl = memchr(c, '\n', (size_t)(end - c));
        size_t ll = (size_t)((nl ? nl : end) - c);
        if (ll > 0 && c[ll - 1] == '\r')
            ll--;
        if (take_line(p, c, ll, line, buf) != 0 ||
            parse_line(p, &s, &in_section, buf, line) != 0)
            goto done;
        c = nl ? nl + 1 : end;
    }
    if (in_section && finish(p, &s) != 0)
        goto done;
    if (p->n_names == 0) {
        fail(p, 1, "no benchmark; add a section: [name] and argv = PROGRAM ARGUMENTS");
        goto done;
    }
    if (p->n == 0) {
        fail(p, 1, "no benchmark for the quick suite (every section has quick_skip); run "
                   "the full suite");
        goto done;
    }
    *out = p->cmds;
    *n = p->n;
    p->cmds = NULL;
    p->n = 0;
    rc = 0;
done:
    section_free(&s);
    hl_suitefile_free(p->cmds, p->n);
    free(p);
    free(buf);
    return rc;
}

void hl_suitefile_free(hl_command *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hl_command_free(&cmds[i]);
    free(cmds);
}

/* ---- files ---------------------------------------------------------------------- */

int hl_suitefile_load(const char *path, const hl_suitefile_opts *o, hl_command **out, size_t *n,
                      char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat
     * refuses it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s; give the path of a suite file", path,
                 strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file%s; give the path of a suite file", path,
                 S_ISDIR(st.st_mode) ? " (a directory)" : "");
        close(fd);
        return -1;
    }
    if (st.st_size > (off_t)HL_SUITE_MAX_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes, larger than 1 MiB; a suite file names "
                              "programs, it holds no data", path, (long long)st.st_size);
        close(fd);
        return -1;
    }
    char *text = malloc(HL_SUITE_MAX_BYTES + 1);
    size_t len = 0;
    while (text && len <= HL_SUITE_MAX_BYTES) {
        ssize_t r = read(fd, text + len, HL_SUITE_MAX_BYTES + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            free(text);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (len > HL_SUITE_MAX_BYTES) { /* it grew after fstat */
        snprintf(err, errlen, "%s: larger than 1 MiB; a suite file names programs, it holds "
                              "no data", path);
        free(text);
        return -1;
    }
    hl_suitefile_opts local = {0};
    if (o)
        local = *o;
    char dir[PATH_MAX], real[PATH_MAX], src[PATH_MAX];
    if (!local.vars.suite_dir) {
        const char *slash = strrchr(path, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else if (slash == path)
            snprintf(dir, sizeof dir, "/");
        else
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        local.vars.suite_dir = realpath(dir, real) ? real : dir;
    }
    if (!local.vars.bench_src && local.vars.bench_dir &&
        hl_suitefile_bench_src(local.vars.bench_dir, src, sizeof src) == 0)
        local.vars.bench_src = src;
    int rc = hl_suitefile_parse(text, len, path, &local, out, n, err, errlen);
    free(text);
    return rc;
}

int hl_suitefile_bench_src(const char *bench_dir, char *out, size_t outlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/CMakeCache.txt", bench_dir) >= (int)sizeof path ||
        !hl_is_regular_file(path))
        return -1;
    size_t len;
    char *text = hl_read_file(path, &len);
    if (!text)
        return -1;
    static const char key[] = "CMAKE_HOME_DIRECTORY:INTERNAL=";
    int rc = -1;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, sizeof key - 1) != 0)
            continue;
        const char *v = l + sizeof key - 1;
        size_t vlen = strcspn(v, "\r\n");
        if (vlen > 0 && vlen < outlen) {
            snprintf(out, outlen, "%.*s", (int)vlen, v);
            rc = hl_is_dir(out) ? 0 : -1;
        }
        break;
    }
    free(text);
    return rc;
}

static bool executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool hl_suitefile_program_exists(const hl_command *c)
{
    if (c->python)
        return true;
    if (c->argc == 0)
        return false;
    const char *prog = c->argv[0];
    if (strchr(prog, '/'))
        return executable_file(prog);
    /* execvp's search: PATH's entries in order, an empty one is "." */
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *d = path;; d++) {
        size_t dl = strcspn(d, ":");
        char full[PATH_MAX];
        if (snprintf(full, sizeof full, "%.*s/%s", (int)(dl ? dl : 1), dl ? d : ".", prog) <
                (int)sizeof full &&
            executable_file(full))
            return true;
        d += dl;
        if (!*d)
            return false;
    }
}

bool hl_suitefile_runnable(const hl_command *c, char *why, size_t whylen)
{
    if (!hl_suitefile_program_exists(c)) {
        const char *prog = c->argc ? c->argv[0] : "";
        snprintf(why, whylen, strchr(prog, '/') ? "%s: no such executable file"
                                                : "%s: not found in PATH", prog);
        return false;
    }
    if (c->stdin_path && (!hl_is_regular_file(c->stdin_path) ||
                          access(c->stdin_path, R_OK) != 0)) {
        snprintf(why, whylen, "%s: no such readable file (its stdin)", c->stdin_path);
        return false;
    }
    if (c->cwd && !hl_is_dir(c->cwd)) {
        snprintf(why, whylen, "%s: no such directory (its cwd)", c->cwd);
        return false;
    }
    return true;
}
