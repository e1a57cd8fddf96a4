/* cli_common.c - option helpers shared by the commands; see cli.h. */
#include "cli.h"

#include "build_info.h"
#include "fsutil.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int hl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "heaplab %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return HL_EXIT_USAGE;
}

int hl_cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
               const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return 0;
    if (!value) {
        if (a[n] == '=') {
            hl_cli_usage_error(cmd, "%s takes no value: write just %s", name, name);
            return -1;
        }
        return 1;
    }
    if (a[n] == '=') {
        *value = a + n + 1;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        hl_cli_usage_error(cmd, "%s needs a value: write %s VALUE (see heaplab %s --help)", name,
                           name, cmd);
        return -1;
    }
    if (**value == '\0') {
        hl_cli_usage_error(cmd, "%s has an empty value: write %s VALUE (see heaplab %s --help)",
                           name, name, cmd);
        return -1;
    }
    return 1;
}

int hl_cli_u64(const char *cmd, const char *flag, const char *s, uint64_t min, uint64_t max,
               uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '+' || *s == ' ' || *s == '\0')
        goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0')
        goto bad;
    if (v < min || v > max) {
        hl_cli_usage_error(cmd, "%s %s: out of range; give an integer from %" PRIu64 " to %" PRIu64,
                           flag, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
bad:
    hl_cli_usage_error(cmd, "%s '%s': not a whole number; give an integer from %" PRIu64
                            " to %" PRIu64, flag, s, min, max);
    return -1;
}

int hl_cli_i64(const char *cmd, const char *flag, const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end != '\0' || end == s || *s == ' ') {
        hl_cli_usage_error(cmd, "%s '%s': not an integer; parameters are integers, e.g. "
                                "size=64", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

int hl_cli_double(const char *cmd, const char *flag, const char *s, double min, double max,
                  double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end != '\0' || end == s || *s == ' ' || !isfinite(v)) {
        hl_cli_usage_error(cmd, "%s '%s': not a number; give seconds such as 0.1", flag, s);
        return -1;
    }
    if (v < min || v > max) {
        hl_cli_usage_error(cmd, "%s %s: out of range; give a value from %g to %g", flag, s, min,
                           max);
        return -1;
    }
    *out = v;
    return 0;
}

int hl_cli_split(const char *cmd, const char *flag, char *s, const char **items, size_t max)
{
    size_t n = 0;
    for (char *p = s;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0') {
            hl_cli_usage_error(cmd, "%s has an empty item: write a comma-separated list without "
                                    "blanks, e.g. %s a,b", flag, flag);
            return -1;
        }
        if (n == max) {
            hl_cli_usage_error(cmd, "%s lists more than %zu items: split the run", flag, max);
            return -1;
        }
        items[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return (int)n;
}

/* Levenshtein distance, two rows (words here are short). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

const char *hl_cli_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (strlen(word) >= 3 && strncmp(candidates[i], word, strlen(word)) == 0)
            d = 1;
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

void hl_cli_source_dir(char *out, size_t outlen)
{
    /* The build records its source tree's plots/; the tree is its parent. */
    snprintf(out, outlen, "%s", hl_build_info.plots_dir);
    size_t n = strlen(out);
    if (n > 6 && strcmp(out + n - 6, "/plots") == 0)
        out[n - 6] = '\0';
}

double hl_cli_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hl_cli_last_line(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t len = 0;
    char *text = hl_read_file(path, &len);
    if (!text)
        return;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    char *nl = strrchr(text, '\n');
    snprintf(out, outlen, "%s", nl ? nl + 1 : text);
    free(text);
}

void hl_cli_quote_word(const char *w, char *out, size_t outlen)
{
    if (w[0] && !strpbrk(w, " \t'\"\\$`()[]*?;&|<>{}#~")) {
        snprintf(out, outlen, "%s", w);
        return;
    }
    size_t k = 0;
    if (k + 1 < outlen)
        out[k++] = '\'';
    for (const char *p = w; *p && k + 5 < outlen; p++) {
        if (*p == '\'') {
            memcpy(out + k, "'\\''", 4);
            k += 4;
        } else {
            out[k++] = *p;
        }
    }
    if (k + 1 < outlen)
        out[k++] = '\'';
    out[k] = '\0';
}

int hl_cli_default_out(const char *what, bool quick, char *out, size_t outlen)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char date[16];
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    for (int n = 1; n < 10000; n++) {
        if (n == 1)
            snprintf(out, outlen, "results/%s-%s%s", date, what, quick ? "-quick" : "");
        else
            snprintf(out, outlen, "results/%s-%s%s-%d", date, what, quick ? "-quick" : "", n);
        if (!hl_path_exists(out))
            return 0;
    }
    return -1;
}

bool hl_cli_dir_empty(const char *dir)
{
    glob_t g;
    char pat[4200];
    snprintf(pat, sizeof pat, "%s/*", dir);
    int rc = glob(pat, GLOB_NOSORT, NULL, &g);
    bool empty = rc == GLOB_NOMATCH;
    if (rc == 0)
        globfree(&g);
    return empty;
}

void hl_cli_bprintf(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, outlen, fmt, ap);
    va_end(ap);
}
