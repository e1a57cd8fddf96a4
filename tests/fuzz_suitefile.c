/* fuzz_suitefile.c - fuzzing the suite file parser (harness/suitefile.c).
 *
 * Two builds of this file, as tests/fuzz_trace.c:
 *   fuzz_suitefile      (HL_FUZZ=ON, clang): a libFuzzer target,
 *                       `build-fuzz/fuzz_suitefile -max_total_time=60 CORPUS_DIR`
 *                       (seed it with `test_fuzz_suitefile --corpus CORPUS_DIR`).
 *   test_fuzz_suitefile (always): a plain program that runs the same entry
 *                       point over thousands of mutations (bit flips, bytes
 *                       set to the format's own characters, truncations,
 *                       deletions, inserted tokens, duplicated lines) of valid
 *                       suite files, so CI exercises the parser under gcc and
 *                       ASan without libFuzzer.  It also checks that the
 *                       unmutated files are accepted, so that a parser that
 *                       rejects everything fails.
 *
 * The property, in the full and the quick suite: hl_suitefile_parse either
 * returns commands that pass hl_command_check, have distinct names and
 * number 1..HL_SUITE_MAX_BENCH, or fails with exactly one line
 * "fuzz.suite:LINE: message" whose LINE is a line of the input; it never
 * crashes, leaks or reads out of bounds (ASan; the input is not
 * NUL-terminated).
 */
#include "suitefile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_mode(const uint8_t *data, size_t size, bool quick)
{
    hl_suitefile_opts o = {
        .quick = quick,
        .vars = {.nproc = 3, .bench_dir = "/b", .bench_src = "/s", .suite_dir = "/q"}};
    hl_command *c = NULL;
    size_t n = 0;
    char err[600];
    err[0] = '\0';
    int rc = hl_suitefile_parse((const char *)data, size, "fuzz.suite", &o, &c, &n, err,
                                sizeof err);
    if (rc != 0) {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        char *end;
        unsigned long line = strncmp(err, "fuzz.suite:", 11) == 0
                                 ? strtoul(err + 11, &end, 10)
                                 : 0;
        if (c != NULL || n != 0 || line == 0 || line > lines || strncmp(end, ": ", 2) != 0 ||
            end[2] == '\0' || strchr(err, '\n') != NULL) {
            fprintf(stderr, "fuzz_suitefile: bad rejection '%s' (%zu lines)\n", err, lines);
            abort();
        }
        return 0;
    }
    if (c == NULL || n == 0 || n > HL_SUITE_MAX_BENCH) {
        fprintf(stderr, "fuzz_suitefile: accepted with %zu commands\n", n);
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (hl_command_check(&c[i], err, sizeof err) != 0 || c[i].argv[c[i].argc] != NULL) {
            fprintf(stderr, "fuzz_suitefile: accepted an invalid command: %s\n", err);
            abort();
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(c[i].name, c[j].name) == 0) {
                fprintf(stderr, "fuzz_suitefile: accepted '%s' twice\n", c[i].name);
                abort();
            }
    }
    hl_suitefile_free(c, n);
    return 1;
}

/* 1 when the full suite accepted the input. */
static int check_one(const uint8_t *data, size_t size)
{
    check_mode(data, size, true);
    return check_mode(data, size, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_one(data, size);
    return 0;
}

#ifndef HL_LIBFUZZER

/* A file with every key and the awkward spellings: CRLF, tabs, an indented
 * comment, quotes, braces in a pattern. */
static const char seed_all_keys[] =
    "# every key\r\n"
    "[larsonN]\r\n"
    "description = larson, 5 s\r\n"
    "argv = {bench}/larson 5 8 1000 5000 100 4141 {nproc}\r\n"
    "quick = {bench}/larson 1 8 1000 5000 100 4141 {nproc/2}\n"
    "\tenv = A_B={nproc*2}\n"
    "env = MIMALLOC_VERBOSE=0\n"
    "cwd = {bench}\n"
    "stdin = {bench-src}/in\n"
    "quick_stdin = {suite}/quick.in\n"
    "throughput = Throughput = *([0-9]{1,9}) operations per second\n"
    "throughput_scale = 1e6\n"
    "expect_exit = 0\n"
    "timeout = 60\n"
    "   # indented\n"
    "[py]\n"
    "argv = {python} 'a b' \"c \\\"d\\\"\" e\\ f {nproc<=16}\n"
    "quick_skip = slow\n";

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#ifdef SUITE_FILE
static char *read_seed(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(HL_SUITE_MAX_BYTES);
    *len = buf ? fread(buf, 1, HL_SUITE_MAX_BYTES, f) : 0;
    fclose(f);
    return buf;
}
#endif

struct seed {
    const char *text;
    size_t len;
};

static size_t load_seeds(struct seed *seeds, char **owned)
{
    size_t n = 0;
    seeds[n++] = (struct seed){seed_all_keys, sizeof seed_all_keys - 1};
    *owned = NULL;
#ifdef SUITE_FILE
    size_t len;
    if ((*owned = read_seed(SUITE_FILE, &len)) != NULL)
        seeds[n++] = (struct seed){*owned, len};
    else
        fprintf(stderr, "fuzz_suitefile: cannot read %s; using the built-in seed only\n",
                SUITE_FILE);
#endif
    return n;
}

static int write_corpus(const char *dir)
{
    struct seed seeds[2];
    char *owned;
    size_t n = load_seeds(seeds, &owned);
    for (size_t k = 0; k < n; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/seed-%zu.suite", dir, k);
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(seeds[k].text, 1, seeds[k].len, f) != seeds[k].len) {
            fprintf(stderr, "fuzz_suitefile: cannot write %s\n", path);
            free(owned);
            return 2;
        }
        fclose(f);
    }
    free(owned);
    return 0;
}

/* What the format is made of, to insert where the mutation falls. */
static const char *const tokens[] = {
    "[", "]", "=", "#", "{", "}", "'", "\"", "\\", "\n", "\r\n", "\r", "\t", " ", "\0",
    "\n[x]\n", "\n[larsonN]\n", "argv = ", "quick = ", "quick_skip = s\n", "quick_stdin = ",
    "env = ", "A=1", "cwd = ", "stdin = ", "throughput = ", "throughput_scale = ",
    "expect_exit = ", "timeout = ", "description = ", "{nproc}", "{nproc*0}", "{nproc/",
    "{nproc<=", "{bench}", "{bench-src}", "{suite}", "{python}", "{nprco}", "(", ")",
    "{32767}", "([0-9]+)", "\\1", "\xEF\xBB\xBF", "\x01", "\xff", "-1", "1e999", "nan",
};

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
        return write_corpus(argv[2]);
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 4000;
    struct seed seeds[2];
    char *owned;
    size_t n_seeds = load_seeds(seeds, &owned);
    for (size_t k = 0; k < n_seeds; k++)
        if (!check_one((const uint8_t *)seeds[k].text, seeds[k].len)) {
            fprintf(stderr, "fuzz_suitefile: seed %zu was rejected\n", k);
            printf("0 passed, 1 failed, 0 skipped\n");
            free(owned);
            return 1;
        }
    size_t cap = 0;
    for (size_t k = 0; k < n_seeds; k++)
        cap = seeds[k].len > cap ? seeds[k].len : cap;
    cap = cap * 2 + 256;
    uint8_t *m = malloc(cap);
    uint64_t s = 2025;
    long accepted = 0, rejected = 0;
    for (long it = 0; it < iterations; it++) {
        const struct seed *sd = &seeds[rnd(&s) % n_seeds];
        memcpy(m, sd->text, sd->len);
        size_t len = sd->len;
        int edits = 1 + (int)(rnd(&s) % 3);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = (size_t)(rnd(&s) % len);
            switch (rnd(&s) % 6) {
            case 0: /* bit flip */
                m[at] ^= (uint8_t)(1u << (rnd(&s) % 8));
                break;
            case 1: { /* a byte becomes one of the format's characters */
                static const char chars[] = "[]=#{}'\"\\\n\r\t \x01\x7f\xff";
                m[at] = (uint8_t)chars[rnd(&s) % (sizeof chars)]; /* includes the NUL */
                break;
            }
            case 2: /* truncation */
                len = at;
                break;
            case 3: { /* deletion of a short range */
                size_t del = 1 + (size_t)(rnd(&s) % 16);
                if (del > len - at)
                    del = len - at;
                memmove(m + at, m + at + del, len - at - del);
                len -= del;
                break;
            }
            case 4: { /* insertion of a token */
                size_t ti = (size_t)(rnd(&s) % (sizeof tokens / sizeof tokens[0]));
                size_t tl = tokens[ti][0] ? strlen(tokens[ti]) : 1;
                if (len + tl <= cap) {
                    memmove(m + at + tl, m + at, len - at);
                    memcpy(m + at, tokens[ti], tl);
                    len += tl;
                }
                break;
            }
            default: { /* a line copied elsewhere: duplicate keys and sections */
                size_t start = at;
                while (start > 0 && m[start - 1] != '\n')
                    start--;
                size_t stop = at;
                while (stop < len && m[stop] != '\n')
                    stop++;
                size_t ll = stop - start + (stop < len);
                size_t to = (size_t)(rnd(&s) % (len + 1));
                while (to > 0 && to < len && m[to - 1] != '\n')
                    to--;
                if (len + ll <= cap && ll < 512) {
                    uint8_t line[512];
                    memcpy(line, m + start, ll);
                    memmove(m + to + ll, m + to, len - to);
                    memcpy(m + to, line, ll);
                    len += ll;
                }
                break;
            }
            }
        }
        if (check_one(m, len))
            accepted++;
        else
            rejected++;
    }
    free(m);
    free(owned);
    printf("fuzz_suitefile: %ld mutations (%ld accepted, %ld rejected), %zu seeds accepted\n",
           iterations, accepted, rejected, n_seeds);
    if (accepted == 0 || rejected == 0) {
        printf("0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    printf("1 passed, 0 failed, 0 skipped\n");
    return 0;
}

#endif
