/* command.c - see command.h. */
#include "command.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hl_command_init(hl_command *c)
{
    memset(c, 0, sizeof *c);
    c->throughput_scale = 1;
}

void hl_command_free(hl_command *c)
{
    for (size_t i = 0; i < c->argc; i++)
        free(c->argv[i]);
    for (size_t i = 0; i < c->n_env; i++)
        free(c->env[i]);
    free(c->description);
    free(c->cwd);
    free(c->stdin_path);
    free(c->throughput);
    hl_command_init(c);
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src && !(*dst = strdup(src)))
        return -1;
    return 0;
}

int hl_command_copy(hl_command *dst, const hl_command *src)
{
    *dst = *src;
    int bad = dup_opt(&dst->description, src->description) | dup_opt(&dst->cwd, src->cwd) |
              dup_opt(&dst->stdin_path, src->stdin_path) |
              dup_opt(&dst->throughput, src->throughput);
    for (size_t i = 0; i < src->argc; i++)
        bad |= dup_opt(&dst->argv[i], src->argv[i]);
    for (size_t i = 0; i < src->n_env; i++)
        bad |= dup_opt(&dst->env[i], src->env[i]);
    if (bad) {
        hl_command_free(dst);
        return -1;
    }
    return 0;
}

/* ---- words ---------------------------------------------------------------- */

/* One word from *p (past leading blanks) into out; advances *p.  Returns 1
 * for a word, 0 at the end, -1 on an unterminated quote. */
static int next_word(const char **p, char *out, size_t outlen, char *quote)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (*s == '\0') {
        *p = s;
        return 0;
    }
    size_t n = 0;
#define PUT(ch)                                                                          \
    do {                                                                                 \
        if (n + 1 < outlen)                                                              \
            out[n++] = (ch);                                                             \
    } while (0)
    while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
        if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (!end) {
                *quote = '\'';
                return -1;
            }
            for (s++; s < end; s++)
                PUT(*s);
            s++;
        } else if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                    s++;
                PUT(*s);
            }
            if (*s != '"') {
                *quote = '"';
                return -1;
            }
            s++;
        } else if (*s == '\\' && s[1]) {
            PUT(s[1]);
            s += 2;
        } else {
            PUT(*s);
            s++;
        }
    }
#undef PUT
    out[n] = '\0';
    *p = s;
    return 1;
}

int hl_command_split(hl_command *c, const char *line, char *err, size_t errlen)
{
    size_t cap = strlen(line) + 1;
    char *word = malloc(cap);
    if (!word) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *p = line;
    char quote = 0;
    int r;
    while ((r = next_word(&p, word, cap, &quote)) == 1) {
        if (c->argc == HL_CMD_MAX_ARGS) {
            snprintf(err, errlen, "more than %d words in '%.60s': run a script instead",
                     HL_CMD_MAX_ARGS, line);
            free(word);
            return -1;
        }
        if (!(c->argv[c->argc] = strdup(word))) {
            snprintf(err, errlen, "out of memory");
            free(word);
            return -1;
        }
        c->argv[++c->argc] = NULL;
    }
    free(word);
    if (r < 0) {
        snprintf(err, errlen, "unterminated %c quote in '%.80s': close it", quote, line);
        return -1;
    }
    return 0;
}

static bool env_name_ok(const char *s, size_t len)
{
    if (len == 0 || isdigit((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

int hl_command_add_env(hl_command *c, const char *entry, char *err, size_t errlen)
{
    const char *eq = strchr(entry, '=');
    if (!eq || !env_name_ok(entry, (size_t)(eq - entry))) {
        snprintf(err, errlen, "environment entry '%.80s' is not NAME=VALUE (NAME of letters, "
                              "digits and '_')", entry);
        return -1;
    }
    if (c->n_env == HL_CMD_MAX_ENV) {
        snprintf(err, errlen, "more than %d environment entries", HL_CMD_MAX_ENV);
        return -1;
    }
    if (!(c->env[c->n_env] = strdup(entry))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->n_env++;
    return 0;
}

/* ---- placeholders ----------------------------------------------------------- */

static long online_cpus(const hl_command_vars *v)
{
    if (v && v->nproc > 0)
        return v->nproc;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

/* The value of one placeholder body ("nproc*2", "bench") into out. */
static int placeholder(const char *body, const hl_command_vars *v, char *out, size_t outlen,
                       char *err, size_t errlen)
{
    if (strncmp(body, "nproc", 5) == 0) {
        long n = online_cpus(v);
        const char *op = body + 5;
        if (*op == '\0') {
            snprintf(out, outlen, "%ld", n);
            return 0;
        }
        char *end;
        errno = 0;
        const char *num = *op == '*' || *op == '/' ? op + 1
                          : op[0] == '<' && op[1] == '=' ? op + 2
                                                         : NULL;
        long k = num && isdigit((unsigned char)*num) ? strtol(num, &end, 10) : 0;
        if (k <= 0 || errno || *end != '\0' || k > 1024) {
            snprintf(err, errlen, "{%s}: write {nproc}, {nproc*K}, {nproc/K} or {nproc<=K} "
                                  "with K a positive integer", body);
            return -1;
        }
        long r = *op == '*' ? n * k : *op == '/' ? n / k : (n < k ? n : k);
        snprintf(out, outlen, "%ld", r < 1 ? 1 : r);
        return 0;
    }
    if (strcmp(body, "bench") == 0) {
        if (!v || !v->bench_dir) {
            snprintf(err, errlen, "{bench} needs the folder of the built programs: give "
                                  "--bench-dir DIR");
            return -1;
        }
        snprintf(out, outlen, "%s", v->bench_dir);
        return 0;
    }
    if (strcmp(body, "bench-src") == 0) {
        if (!v || !v->bench_src) {
            snprintf(err, errlen, "{bench-src} needs the source folder the programs were "
                                  "built from: give --bench-src DIR, or a CMake build "
                                  "folder as --bench-dir");
            return -1;
        }
        snprintf(out, outlen, "%s", v->bench_src);
        return 0;
    }
    if (strcmp(body, "suite") == 0) {
        if (!v || !v->suite_dir) {
            snprintf(err, errlen, "{suite} is the folder of the suite file: use it only "
                                  "inside a suite file");
            return -1;
        }
        snprintf(out, outlen, "%s", v->suite_dir);
        return 0;
    }
    if (strcmp(body, "python") == 0) {
        snprintf(err, errlen, "{python} can only be the program itself (the first word)");
        return -1;
    }
    snprintf(err, errlen, "unknown placeholder {%s}: use {nproc}, {nproc*K}, {nproc/K}, "
                          "{nproc<=K}, {bench}, {bench-src}, {suite} or {python}", body);
    return -1;
}

/* s with its placeholders replaced, malloc'd; NULL with err. */
static char *expand_str(const char *s, const hl_command_vars *v, char *err, size_t errlen)
{
    size_t cap = strlen(s) + 1, n = 0;
    char *out = malloc(cap);
    while (out && *s) {
        char piece[4200];
        size_t plen;
        if (*s == '{') {
            const char *close = strchr(s, '}');
            if (!close || (size_t)(close - s - 1) >= 64) {
                snprintf(err, errlen, "'{' without a matching '}' in '%.60s'", s);
                free(out);
                return NULL;
            }
            char body[64];
            snprintf(body, sizeof body, "%.*s", (int)(close - s - 1), s + 1);
            if (placeholder(body, v, piece, sizeof piece, err, errlen) != 0) {
                free(out);
                return NULL;
            }
            plen = strlen(piece);
            s = close + 1;
        } else {
            piece[0] = *s++;
            plen = 1;
        }
        if (n + plen + 1 > cap) {
            cap = (n + plen + 1) * 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                out = NULL;
                break;
            }
            out = grown;
        }
        memcpy(out + n, piece, plen);
        n += plen;
    }
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    out[n] = '\0';
    return out;
}

static int expand_in_place(char **slot, const hl_command_vars *v, char *err, size_t errlen)
{
    if (!*slot)
        return 0;
    char *e = expand_str(*slot, v, err, errlen);
    if (!e)
        return -1;
    free(*slot);
    *slot = e;
    return 0;
}

int hl_command_expand(hl_command *c, const hl_command_vars *v, char *err, size_t errlen)
{
    if (c->argc > 0 && strcmp(c->argv[0], "{python}") == 0) {
        free(c->argv[0]);
        memmove(c->argv, c->argv + 1, c->argc * sizeof c->argv[0]);
        c->argc--;
        c->python = true;
    }
    for (size_t i = 0; i < c->argc; i++)
        if (expand_in_place(&c->argv[i], v, err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < c->n_env; i++)
        if (expand_in_place(&c->env[i], v, err, errlen) != 0)
            return -1;
    if (expand_in_place(&c->cwd, v, err, errlen) != 0 ||
        expand_in_place(&c->stdin_path, v, err, errlen) != 0)
        return -1;
    return 0;
}

/* ---- names and checks ----------------------------------------------------------- */

static bool name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-' || ch == '+';
}

bool hl_command_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= HL_CMD_NAME_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char(name[i]))
            return false;
    return true;
}

void hl_command_default_name(const char *line, char *out, size_t outlen)
{
    if (outlen > HL_CMD_NAME_MAX)
        outlen = HL_CMD_NAME_MAX;
    /* the program's base name, not its directory */
    const char *start = line;
    while (*start == ' ' || *start == '\t')
        start++;
    const char *first_end = start + strcspn(start, " \t");
    for (const char *p = start; p < first_end; p++)
        if (*p == '/')
            start = p + 1;
    size_t n = 0;
    bool dash = false;
    for (const char *p = start; *p && n + 1 < outlen; p++) {
        if (name_char(*p) && *p != '-' && !(n == 0 && *p == '.')) {
            out[n++] = *p;
            dash = false;
        } else if (n > 0 && !dash) {
            out[n++] = '-';
            dash = true;
        }
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, outlen, "command");
}

/* ---- throughput patterns -------------------------------------------------------- */

/* glibc's regcomp copies a bounded repetition x{m,n} max(m,n) times and
 * nested ones multiply: "(a{32767}){32767}" is 26 characters and asks for
 * ~10^9 positions (tens of GB before it fails).  A pattern comes from a
 * command line, a suite file or plan.json, so it is sized before it is
 * compiled.  The estimate follows POSIX ERE syntax (XBD 9.4): atoms are
 * characters, escapes, bracket expressions and groups; '|' adds; *, +, ?
 * cost nothing; {m,n} multiplies the atom before it. */
#define HL_RE_MAX_LEN 512
#define HL_RE_MAX_POSITIONS 10000.0

static const char *skip_bracket(const char *p)
{
    p++; /* '[' */
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p && *p != ']') {
        if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
            char kind = p[1];
            const char *q = p + 2;
            while (*q && !(q[0] == kind && q[1] == ']'))
                q++;
            p = *q ? q + 2 : q;
        } else {
            p++;
        }
    }
    return *p ? p + 1 : p;
}

/* Positions of the alternation at *pp up to its ')' or the end. */
static double re_positions(const char **pp)
{
    const char *p = *pp;
    double total = 0, atom = 0;
    while (*p && *p != ')') {
        if (*p == '|' || *p == '*' || *p == '+' || *p == '?' || *p == '^' || *p == '$') {
            p++;
            if (p[-1] == '|')
                atom = 0;
            continue;
        }
        if (*p == '{' && isdigit((unsigned char)p[1])) {
            char *end;
            double m = strtod(p + 1, &end), n = m;
            if (*end == ',')
                n = isdigit((unsigned char)end[1]) ? strtod(end + 1, &end) : m + 1;
            if (*end == '}') {
                double rep = m > n ? m : n;
                total += atom * (rep - 1);
                atom *= rep;
                p = end + 1;
                continue;
            }
        }
        if (*p == '(') {
            p++;
            atom = 1 + re_positions(&p);
            if (*p == ')')
                p++;
        } else if (*p == '[') {
            p = skip_bracket(p);
            atom = 1;
        } else if (*p == '\\' && p[1]) {
            p += 2;
            atom = 1;
        } else {
            p++;
            atom = 1;
        }
        total += atom;
    }
    *pp = p;
    return total;
}

/* Is the pattern small enough to compile (above) and free of
 * back-references (which make matching exponential and never help to find
 * a number)?  0, or -1 with the reason in why. */
static int pattern_sane(const char *re, char *why, size_t whylen)
{
    if (strlen(re) > HL_RE_MAX_LEN) {
        snprintf(why, whylen, "is longer than %d characters: match only the figure's line",
                 HL_RE_MAX_LEN);
        return -1;
    }
    /* A repetition applied to a repetition ("a*+", "x+{2}") is undefined in
     * POSIX ERE, and glibc's regcomp duplicates the operand per operator:
     * the fuzzer's " *+++++++++++([0-9]{1,9})" took minutes to compile. */
    bool after_repeat = false;
    for (const char *p = re; *p; p++) {
        bool repeat = *p == '*' || *p == '+' || *p == '?' ||
                      (*p == '{' && isdigit((unsigned char)p[1]));
        if (repeat && after_repeat) {
            snprintf(why, whylen, "repeats a repetition ('%.2s'): use one of * + ? {m,n}",
                     p - 1);
            return -1;
        }
        after_repeat = repeat;
        if (*p == '{' && repeat) {
            while (p[1] && p[1] != '}')
                p++;
            if (p[1] == '}')
                p++;
        } else if (*p == '[') {
            p = skip_bracket(p) - 1;
        } else if (*p == '\\' && p[1]) {
            if (p[1] >= '1' && p[1] <= '9') {
                snprintf(why, whylen, "uses the back-reference \\%c: write the text it "
                                      "repeats", p[1]);
                return -1;
            }
            p++;
        }
    }
    const char *p = re;
    double total = 0;
    while (*p) { /* a stray ')' ends re_positions; regcomp reports it */
        total += re_positions(&p);
        if (*p)
            p++;
    }
    if (total > HL_RE_MAX_POSITIONS) {
        snprintf(why, whylen, "repeats too much (about %.0f positions, at most %.0f): use + "
                              "or * instead of large {m,n} counts", total, HL_RE_MAX_POSITIONS);
        return -1;
    }
    return 0;
}

int hl_command_check(const hl_command *c, char *err, size_t errlen)
{
    if (!hl_command_name_ok(c->name)) {
        snprintf(err, errlen, "command name '%s' must be 1-%d characters of letters, digits, "
                              "'.', '_', '+', '-', not starting with '-' or '.'",
                 c->name, HL_CMD_NAME_MAX - 1);
        return -1;
    }
    if (c->argc == 0) {
        snprintf(err, errlen, "command %s has no program", c->name);
        return -1;
    }
    for (size_t i = 0; i < c->argc; i++)
        if (!c->argv[i] || c->argv[i][0] == '\0') {
            snprintf(err, errlen, "command %s: word %zu is empty", c->name, i + 1);
            return -1;
        }
    for (size_t i = 0; i < c->n_env; i++) {
        const char *eq = strchr(c->env[i], '=');
        if (!eq || !env_name_ok(c->env[i], (size_t)(eq - c->env[i]))) {
            snprintf(err, errlen, "command %s: environment entry '%s' is not NAME=VALUE",
                     c->name, c->env[i]);
            return -1;
        }
    }
    if (!(c->throughput_scale > 0)) {
        snprintf(err, errlen, "command %s: throughput scale must be positive", c->name);
        return -1;
    }
    if (c->throughput) {
        char why[160];
        if (pattern_sane(c->throughput, why, sizeof why) != 0) {
            snprintf(err, errlen, "command %s: throughput pattern '%.80s' %s", c->name,
                     c->throughput, why);
            return -1;
        }
        regex_t re;
        int rc = regcomp(&re, c->throughput, REG_EXTENDED);
        if (rc != 0) {
            char why[160];
            regerror(rc, &re, why, sizeof why);
            snprintf(err, errlen, "command %s: throughput pattern '%s' is not a POSIX extended "
                                  "regular expression: %s", c->name, c->throughput, why);
            return -1;
        }
        size_t groups = re.re_nsub;
        regfree(&re);
        if (groups < 1) {
            snprintf(err, errlen, "command %s: throughput pattern '%s' has no group: put the "
                                  "number in parentheses, e.g. 'Throughput = *([0-9.]+)'",
                     c->name, c->throughput);
            return -1;
        }
    }
    return 0;
}

int hl_command_throughput(const hl_command *c, const char *text, double *value, char *err,
                          size_t errlen)
{
    regex_t re;
    char why[160];
    if (!c->throughput || pattern_sane(c->throughput, why, sizeof why) != 0 ||
        regcomp(&re, c->throughput, REG_EXTENDED | REG_NEWLINE) != 0) {
        snprintf(err, errlen, "no usable throughput pattern");
        return -1;
    }
    regmatch_t m[2];
    const char *p = text, *last = NULL;
    size_t last_len = 0;
    while (regexec(&re, p, 2, m, p == text ? 0 : REG_NOTBOL) == 0) {
        if (m[1].rm_so >= 0) {
            last = p + m[1].rm_so;
            last_len = (size_t)(m[1].rm_eo - m[1].rm_so);
        }
        if (m[0].rm_eo == 0) {
            if (!p[0])
                break;
            p++;
        } else {
            p += m[0].rm_eo;
        }
    }
    regfree(&re);
    if (!last) {
        snprintf(err, errlen, "the output has no line matching the throughput pattern '%s'",
                 c->throughput);
        return -1;
    }
    char num[64];
    snprintf(num, sizeof num, "%.*s", (int)(last_len < 63 ? last_len : 63), last);
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    if (end == num || *end != '\0' || errno || !(v > 0)) {
        snprintf(err, errlen, "the throughput pattern captured '%s', not a positive number",
                 num);
        return -1;
    }
    *value = v * c->throughput_scale;
    return 0;
}
