/* fuzz_driver.h - what the JSON loaders' fuzz programs share: a scratch
 * directory for the inputs (the loaders read paths), the one-line check of
 * a refusal, and the mutation driver that stands in for libFuzzer under gcc.
 *
 * A fuzz program defines
 *
 *     static int fuzz_one(const uint8_t *data, size_t size);  // 1 loaded, 0 refused
 *
 * (aborting when a property fails), includes this file, and gets
 * LLVMFuzzerTestOneInput and LLVMFuzzerInitialize; without HL_LIBFUZZER it
 * also gets main():
 *
 *     prog [--iterations N] [--seed S] SEED_FILE...
 *
 * N mutations (default 2000) of the seed files, from mutation seed S.  The
 * libFuzzer builds take the directories holding the seeds as read-only
 * corpora instead (scripts/test.sh).
 *
 * The mutation driver checks that every seed loads (so a loader that
 * refuses everything fails), then mutates the seeds with edits that keep
 * much of the JSON structure, so that inputs get past the parser into the
 * schema checks: byte changes, deleted, duplicated and swapped lines (the
 * harness writes one field per line: a duplicated line is a duplicated key
 * or array element, a deleted one a missing field), a number or a string
 * replaced by an awkward value (wrong type, out of range, fractional, huge,
 * negative), splices of lines from another seed, truncation.  It fails
 * unless some mutations are refused, prints how many loaded, and ends with
 * the "N passed, N failed" line of hl_test.h.
 */
#ifndef HL_FUZZ_DRIVER_H
#define HL_FUZZ_DRIVER_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fuzz_one(const uint8_t *data, size_t size);

/* The scratch directory: on tmpfs when there is one (a loader's input is
 * written for every execution, and a result set that says it finished is
 * saved with fsync). */
static char fz_dir[256];

static void fz_rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            fz_rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void fz_cleanup(void)
{
    if (fz_dir[0])
        fz_rm_rf(fz_dir);
}

static void fz_setup(void)
{
    if (fz_dir[0])
        return;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(fz_dir, sizeof fz_dir, "%s/heaplab-fuzz-XXXXXX", base);
    if (mkdtemp(fz_dir) == NULL) {
        fprintf(stderr, "fuzz: cannot create a scratch directory under %s: %s\n", base,
                strerror(errno));
        exit(2);
    }
    atexit(fz_cleanup);
}

/* DIR/name under the scratch directory (sub-directories made as needed). */
static void fz_path(char *out, size_t outlen, const char *name)
{
    fz_setup();
    snprintf(out, outlen, "%s/%s", fz_dir, name);
    char *slash = strrchr(out, '/');
    if (slash && slash > out + strlen(fz_dir)) {
        *slash = '\0';
        mkdir(out, 0755);
        *slash = '/';
    }
}

static void fz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
}

static void fz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* A refusal: exactly one non-empty line. */
static void fz_check_refusal(const char *err)
{
    if (err[0] == '\0')
        fz_fail("refused without a message", NULL);
    if (strchr(err, '\n') != NULL)
        fz_fail("refused with more than one line", err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}

#ifndef HL_LIBFUZZER

typedef struct fz_buf {
    char *b;
    size_t len;
} fz_buf;

static uint64_t fz_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t fz_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(fz_rand(s) % n) : 0;
}

static fz_buf fz_read(const char *path)
{
    fz_buf r = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz: cannot read seed %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    r.b = malloc((size_t)n + 1);
    r.len = r.b ? fread(r.b, 1, (size_t)n, f) : 0;
    fclose(f);
    return r;
}

/* [*start, *end) of line number k (0-based, wrapping) of b. */
static void fz_line(const fz_buf *b, size_t k, size_t *start, size_t *end)
{
    size_t lines = 1;
    for (size_t i = 0; i < b->len; i++)
        lines += b->b[i] == '\n';
    k %= lines;
    size_t i = 0;
    while (k > 0 && i < b->len)
        k -= b->b[i++] == '\n';
    *start = i;
    while (i < b->len && b->b[i] != '\n')
        i++;
    *end = i < b->len ? i + 1 : i;
}

/* Replaces [at, at + n) of b with rep[0..rn). */
static void fz_splice(fz_buf *b, size_t at, size_t n, const char *rep, size_t rn)
{
    char *nb = malloc(b->len - n + rn + 1);
    if (nb == NULL)
        abort();
    memcpy(nb, b->b, at);
    memcpy(nb + at, rep, rn);
    memcpy(nb + at + rn, b->b + at + n, b->len - at - n);
    free(b->b);
    b->b = nb;
    b->len = b->len - n + rn;
}

/* Values a field should never take silently. */
static const char *const fz_awkward[] = {
    "-1", "0", "0.5", "1e30", "-1e30", "1e309", "4294967296", "18446744073709551616",
    "9223372036854775808", "-9223372036854775809", "2", "1000000", "1e-320", "-0",
    "null", "true", "false", "\"\"", "\"2\"", "\"x\"", "[]", "{}", "[1]", "{\"a\":1}",
    "\"ok\"", "\"crashed\"", "\"time\"", "\"instructions\"", "\"full\"", "\"../x\"",
    "\"a/b\"", "\"\\u0000\"", "\"\\ud800\"", "\"\xc3\xa9\"", "\"\xff\"", "NaN", "Infinity",
    "01", "1.", ".5", "+1", "0x10",
};

/* One edit of b; other is another seed (for splices). */
static void fz_mutate_once(fz_buf *b, const fz_buf *other, uint64_t *s)
{
    size_t a, e, a2, e2;
    switch (fz_rand(s) % 10) {
    case 0: /* a byte changed */
        if (b->len)
            b->b[fz_below(s, b->len)] = (char)fz_rand(s);
        break;
    case 1: /* a line deleted */
        fz_line(b, fz_rand(s), &a, &e);
        fz_splice(b, a, e - a, "", 0);
        break;
    case 2: { /* a line duplicated in place */
        fz_line(b, fz_rand(s), &a, &e);
        char *copy = malloc(e - a + 1);
        memcpy(copy, b->b + a, e - a);
        fz_splice(b, a, 0, copy, e - a);
        free(copy);
        break;
    }
    case 3: { /* a block of up to 40 lines duplicated (a rep or a cell twice) */
        fz_line(b, fz_rand(s), &a, &e);
        size_t n = 1 + fz_below(s, 40);
        for (size_t k = 0; k < n && e < b->len; k++) {
            size_t a3, e3;
            fz_buf tail = {b->b + e, b->len - e};
            fz_line(&tail, 0, &a3, &e3);
            e += e3;
        }
        char *copy = malloc(e - a + 1);
        memcpy(copy, b->b + a, e - a);
        fz_splice(b, e, 0, copy, e - a);
        free(copy);
        break;
    }
    case 4:
    case 5: { /* a value replaced: the text after a ':' or at the start of an array element */
        fz_line(b, fz_rand(s), &a, &e);
        size_t v = a;
        while (v < e && b->b[v] != ':')
            v++;
        v = v < e ? v + 1 : a;
        while (v < e && (b->b[v] == ' ' || b->b[v] == '\t'))
            v++;
        size_t end = e;
        while (end > v && (b->b[end - 1] == '\n' || b->b[end - 1] == ','))
            end--;
        if (end > v && (b->b[end - 1] == '{' || b->b[end - 1] == '['))
            break; /* an opening bracket: leave the structure */
        const char *rep = fz_awkward[fz_below(s, sizeof fz_awkward / sizeof fz_awkward[0])];
        fz_splice(b, v, end - v, rep, strlen(rep));
        break;
    }
    case 6: { /* a line of the other seed instead of one of ours */
        fz_line(b, fz_rand(s), &a, &e);
        fz_line(other, fz_rand(s), &a2, &e2);
        fz_splice(b, a, e - a, other->b + a2, e2 - a2);
        break;
    }
    case 7: { /* two lines swapped */
        fz_line(b, fz_rand(s), &a, &e);
        size_t n = e - a;
        char *l1 = malloc(n + 1);
        memcpy(l1, b->b + a, n);
        fz_splice(b, a, n, "", 0);
        fz_line(b, fz_rand(s), &a2, &e2);
        fz_splice(b, a2, 0, l1, n);
        free(l1);
        break;
    }
    case 8: /* truncated */
        b->len = fz_below(s, b->len + 1);
        break;
    default: { /* a structural character inserted */
        static const char chars[] = "{}[],:\"\\0-e.";
        char c = chars[fz_below(s, sizeof chars - 1)];
        fz_splice(b, fz_below(s, b->len + 1), 0, &c, 1);
        break;
    }
    }
}

int main(int argc, char **argv)
{
    long iterations = 2000;
    uint64_t s = 2025;
    int i = 1;
    for (; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--iterations") == 0)
            iterations = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            s = strtoull(argv[i + 1], NULL, 10);
        else
            break;
    }
    int nseeds = argc - i;
    if (nseeds < 1) {
        fprintf(stderr, "usage: %s [--iterations N] [--seed S] SEED_FILE...\n", argv[0]);
        return 2;
    }
    fz_buf *seeds = calloc((size_t)nseeds, sizeof *seeds);
    for (int k = 0; k < nseeds; k++) {
        seeds[k] = fz_read(argv[i + k]);
        if (!fuzz_one((const uint8_t *)seeds[k].b, seeds[k].len)) {
            fprintf(stderr, "fuzz: the seed %s is refused\n", argv[i + k]);
            printf("0 passed, 1 failed, 0 skipped\n");
            return 1;
        }
    }
    long loaded = 0, refused = 0;
    for (long it = 0; it < iterations; it++) {
        const fz_buf *seed = &seeds[fz_below(&s, (size_t)nseeds)];
        const fz_buf *other = &seeds[fz_below(&s, (size_t)nseeds)];
        fz_buf m = {malloc(seed->len + 1), seed->len};
        memcpy(m.b, seed->b, seed->len);
        int edits = 1 + (int)fz_below(&s, 3);
        for (int k = 0; k < edits; k++)
            fz_mutate_once(&m, other, &s);
        if (fuzz_one((const uint8_t *)m.b, m.len))
            loaded++;
        else
            refused++;
        free(m.b);
    }
    printf("%s: %d seeds loaded; %ld mutations: %ld loaded, %ld refused with one line\n",
           argv[0], nseeds, iterations, loaded, refused);
    for (int k = 0; k < nseeds; k++)
        free(seeds[k].b);
    free(seeds);
    if (refused == 0) {
        printf("0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    printf("1 passed, 0 failed, 0 skipped\n");
    return 0;
}

#endif /* HL_LIBFUZZER */
#endif
