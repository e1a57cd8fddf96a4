/* test_plot.c - the chart front end (harness/plot.c) and its gnuplot scripts.
 *
 * Each test copies the fixture result set (tests/data/plots-small, a real
 * tiny `heaplab run`) into a scratch directory and plots it there, so the
 * source tree is never written.  Images are checked for what a viewer
 * needs: a PNG signature and an IHDR chunk with a non-zero size, an SVG
 * document that opens and closes.  Error paths are checked by their
 * messages.  The property tests build random result sets with known values
 * and compare the data files with a reference computation.
 */
#include "plot.h"

#include "hl_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HL_TEST_PLOTS_FIXTURE
#error "HL_TEST_PLOTS_FIXTURE must name tests/data/plots-small"
#endif

static char scratch_root[512];
static bool have_gnuplot;

/* ---- file helpers ------------------------------------------------------- */

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

static int copy_tree(const char *from, const char *to)
{
    if (mkdir(to, 0777) != 0 && errno != EEXIST)
        return -1;
    DIR *d = opendir(from);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char a[PATH_MAX], b[PATH_MAX];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        struct stat st;
        if (stat(a, &st) != 0)
            rc = -1;
        else if (S_ISDIR(st.st_mode))
            rc = copy_tree(a, b);
        else if (S_ISREG(st.st_mode))
            rc = copy_file(a, b);
    }
    closedir(d);
    return rc;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[PATH_MAX];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(p);
            else
                unlink(p);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Removes every file called name under path (recursively); returns how many. */
static int remove_named(const char *path, const char *name)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            n += remove_named(p, name);
        else if (strcmp(e->d_name, name) == 0 && unlink(p) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* A fresh scratch directory name under scratch_root. */
static void scratch(const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", scratch_root, name);
    remove_tree(out);
}

static bool fixture_copy(const char *name, char *out, size_t outlen)
{
    scratch(name, out, outlen);
    return copy_tree(HL_TEST_PLOTS_FIXTURE, out) == 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

/* ---- image checks ------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A PNG (RFC 2083): signature, then an IHDR chunk first with width and
 * height > 0; and more than a header's worth of bytes. */
static bool valid_png(const char *path, uint32_t *w, uint32_t *h)
{
    size_t len = 0;
    char *buf = slurp(path, &len);
    if (!buf)
        return false;
    const unsigned char *p = (const unsigned char *)buf;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    bool ok = len > 1000 && memcmp(p, sig, 8) == 0 && be32(p + 8) == 13 &&
              memcmp(p + 12, "IHDR", 4) == 0;
    if (ok) {
        *w = be32(p + 16);
        *h = be32(p + 20);
        ok = *w > 0 && *h > 0 && *w < 10000 && *h < 10000;
    }
    free(buf);
    return ok;
}

static bool valid_svg(const char *path)
{
    size_t len = 0;
    char *buf = slurp(path, &len);
    if (!buf)
        return false;
    const char *p = buf;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    bool ok = len > 500 && (strncmp(p, "<?xml", 5) == 0 || strncmp(p, "<svg", 4) == 0) &&
              strstr(p, "<svg") != NULL && strstr(p, "</svg>") != NULL;
    free(buf);
    return ok;
}

/* Number of files in dir whose name starts with prefix and ends with
 * suffix; each must be a valid image of that kind (else *bad is set). */
static int count_images(const char *dir, const char *prefix, const char *suffix, bool *bad)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t ln = strlen(e->d_name), lp = strlen(prefix), ls = strlen(suffix);
        if (ln < lp + ls || strncmp(e->d_name, prefix, lp) != 0 ||
            strcmp(e->d_name + ln - ls, suffix) != 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        uint32_t w = 0, h = 0;
        bool ok = strcmp(suffix, ".png") == 0 ? valid_png(p, &w, &h) : valid_svg(p);
        if (!ok) {
            printf("  invalid image: %s\n", p);
            *bad = true;
        }
        n++;
    }
    closedir(d);
    return n;
}

/* ---- running with stderr captured -------------------------------------- */

typedef struct run_out {
    int rc;
    char err[1024];
    char *stderr_text;
    hl_plot_report rep;
} run_out;

static run_out plot_captured(const char *dir, const hl_plot_options *opt)
{
    run_out r = {0};
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/stderr.txt", scratch_root);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    r.rc = hl_plot_results_opts(dir, opt, &r.rep, r.err, sizeof r.err);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    r.stderr_text = slurp(path, NULL);
    if (!r.stderr_text)
        r.stderr_text = calloc(1, 1);
    return r;
}

static const hl_plot_options png_only = {.baseline = NULL, .png = true, .svg = false, .quiet = true};
static const hl_plot_options both = {.baseline = NULL, .png = true, .svg = true, .quiet = true};

/* ---- data-file reading (for property tests) ----------------------------- */

/* Splits one data-file line into fields (double-quoted strings allowed). */
static size_t fields(char *line, char **out, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (*p == '"') {
            out[n++] = ++p;
            while (*p && *p != '"')
                p++;
        } else {
            out[n++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
        }
        if (*p)
            *p++ = '\0';
    }
    return n;
}

/* ---- tests: the fixture ------------------------------------------------- */

TEST(fixture_every_chart_png_and_svg)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024];
    REQUIRE(fixture_copy("all", dir, sizeof dir));
    run_out r = plot_captured(dir, &both);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    CHECK_MSG(r.rep.charts_skipped == 0, "skipped: %s", r.stderr_text);
    char plots[PATH_MAX];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    /* One chart of each kind: the fixture has every kind of data. */
    static const char *const kinds[] = {"reltime", "peak_rss", "overhead", "scaling-",
                                        "timeline-", "gc_pauses-", "cow"};
    bool bad = false;
    int pngs = 0, svgs = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        int np = count_images(plots, kinds[k], ".png", &bad);
        int ns = count_images(plots, kinds[k], ".svg", &bad);
        CHECK_MSG(np >= 1, "no %s*.png", kinds[k]);
        CHECK_MSG(ns == np, "%d %s*.svg for %d png", ns, kinds[k], np);
    }
    pngs = count_images(plots, "", ".png", &bad);
    svgs = count_images(plots, "", ".svg", &bad);
    CHECK(!bad);
    CHECK(pngs == svgs);
    CHECK_EQ_U64(r.rep.images, (uint64_t)(pngs + svgs));
    CHECK_EQ_U64(r.rep.charts_drawn, (uint64_t)pngs);
    /* each chart's data file is next to it */
    char dat[PATH_MAX + 32];
    snprintf(dat, sizeof dat, "%s/data/reltime.dat", plots);
    CHECK(access(dat, R_OK) == 0);
    free(r.stderr_text);
    remove_tree(dir);
}

TEST(fixture_svg_only_writes_no_png)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024];
    REQUIRE(fixture_copy("svgonly", dir, sizeof dir));
    hl_plot_options o = {.png = false, .svg = true, .quiet = true};
    run_out r = plot_captured(dir, &o);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    char plots[PATH_MAX];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    bool bad = false;
    CHECK(count_images(plots, "", ".png", &bad) == 0);
    CHECK(count_images(plots, "", ".svg", &bad) >= 7);
    CHECK(!bad);
    free(r.stderr_text);
    remove_tree(dir);
}

/* Property: with the default baseline every row's smallest bar is exactly
 * 1 (the fastest backend); with --baseline B, B's bar is 1 in every row
 * and every other bar is its median over B's median. */
static void check_reltime_rows(const char *dat, int base_col, bool *ok, int *rows)
{
    FILE *f = fopen(dat, "r");
    if (!f) {
        *ok = false;
        return;
    }
    char line[4096];
    bool header = true;
    while (fgets(line, sizeof line, f)) {
        char *fl[64];
        size_t n = fields(line, fl, 64);
        if (header) {
            header = false;
            continue;
        }
        if (n < 4 || (n - 1) % 3 != 0) {
            *ok = false;
            break;
        }
        double lowest = INFINITY;
        for (size_t i = 1; i < n; i += 3) {
            if (strcmp(fl[i], "?") == 0)
                continue;
            double v = strtod(fl[i], NULL), lo = strtod(fl[i + 1], NULL),
                   hi = strtod(fl[i + 2], NULL);
            if (!(lo <= v * (1 + 1e-9) && v <= hi * (1 + 1e-9)))
                *ok = false; /* the error bar brackets the median */
            lowest = fmin(lowest, v);
        }
        if (base_col < 0)
            *ok &= fabs(lowest - 1.0) < 1e-6;
        else
            *ok &= fabs(strtod(fl[1 + 3 * base_col], NULL) - 1.0) < 1e-6;
        (*rows)++;
    }
    fclose(f);
}

TEST(reltime_baselines)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024];
    REQUIRE(fixture_copy("baseline", dir, sizeof dir));
    char dat[PATH_MAX + 64];
    snprintf(dat, sizeof dat, "%s/plots/data/reltime.dat", dir);

    run_out r = plot_captured(dir, &png_only);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    bool ok = true;
    int rows = 0;
    check_reltime_rows(dat, -1, &ok, &rows);
    CHECK(ok);
    CHECK(rows >= 3);
    free(r.stderr_text);

    /* The second backend named in the header as baseline. */
    char *text = slurp(dat, NULL);
    REQUIRE(text);
    char *fl[64];
    size_t n = fields(text, fl, 64);
    REQUIRE(n >= 7);
    char base[96];
    snprintf(base, sizeof base, "%s", fl[4]);
    free(text);
    hl_plot_options o = png_only;
    o.baseline = base;
    r = plot_captured(dir, &o);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    ok = true;
    rows = 0;
    check_reltime_rows(dat, 1, &ok, &rows);
    CHECK_MSG(ok, "baseline %s", base);
    CHECK(rows >= 3);
    free(r.stderr_text);

    /* An unknown baseline is bad input: one line naming the backends the
     * set has, and the charts already there are left as they were. */
    char reltime[PATH_MAX + 32];
    snprintf(reltime, sizeof reltime, "%s/plots/reltime.png", dir);
    struct stat before, after;
    REQUIRE(stat(reltime, &before) == 0);
    o.baseline = "no-such-backend";
    r = plot_captured(dir, &o);
    CHECK(r.rc == HL_PLOT_BAD_INPUT);
    CHECK(strstr(r.err, "no-such-backend") != NULL);
    CHECK(strstr(r.err, base) != NULL);
    CHECK(r.rep.charts_drawn == 0);
    CHECK(stat(reltime, &after) == 0 && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
          after.st_mtim.tv_sec == before.st_mtim.tv_sec);
    free(r.stderr_text);
    remove_tree(dir);
}

/* The start of a valid result set (the schema hl_results_load checks) with
 * R repetitions per cell; the cells array follows. */
static void set_header(FILE *f, const char *suite, int reps)
{
    fprintf(f,
            "{\"format\": \"heaplab-results\", \"format_version\": 1, "
            "\"metadata\": {\"hostname\": \"h\", \"date\": \"d\"}, "
            "\"plan\": {\"suite\": \"%s\", \"suite_size\": \"quick\", \"seed\": 1, "
            "\"repetitions\": %d, \"measure\": \"time\"}, \"cells\": [",
            suite, reps);
}

/* Writes DIR/results.json: the header, then body. */
static void write_set(const char *dir, int reps, const char *body)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/results.json", dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return;
    set_header(f, "quick", reps);
    fputs(body, f);
    fputs("]}\n", f);
    fclose(f);
}

#define CELL(id, backend, reps) \
    "{\"id\": \"" id "\", \"backend\": \"" backend "\", \"variant\": \"system\", " \
    "\"workload\": \"w\", \"threads\": 1, \"reps\": [" reps "]}"
#define REP(k, ns, rss) \
    "{\"rep\": " #k ", \"status\": \"ok\", \"metrics\": {\"ns_per_op\": " #ns \
    ", \"peak_rss_kib\": " #rss "}}"

TEST(bad_sets_are_refused_naming_the_field)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    /* The plots read results.json through the one results model: a damaged
     * file is refused with one line naming the field, never half-drawn. */
    static const struct {
        const char *body, *needle;
    } bad[] = {
        {CELL("w--a--t1", "a", REP(0, 10, 1000)) "," CELL("w--a--t1", "a", REP(0, 99, 9)),
         "cells[1]: cell w--a--t1 appears twice"},
        {CELL("w--b--t1", "b", REP(0, -5, 2000)), "ns_per_op: -5 is out of range"},
        {CELL("../../etc", "c", REP(0, 1, 1)), "not a plain name"},
        {"{\"id\": \"w--d--t1\", \"variant\": \"system\", \"workload\": \"w\", \"threads\": 1, "
         "\"reps\": []}",
         "cells[0].backend: missing"},
        {CELL("w--e--t1", "e", REP(0, 1, 1) "," REP(0, 2, 2)), "recorded twice"},
        {CELL("w--f--t1", "f", "{\"rep\": 0.5, \"status\": \"ok\"}"), "rep: 0.5 is not an integer"},
    };
    char dir[1024];
    scratch("bad", dir, sizeof dir);
    REQUIRE(mkdir(dir, 0777) == 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_set(dir, 2, bad[i].body);
        run_out r = plot_captured(dir, &png_only);
        CHECK(r.rc != 0);
        CHECK_MSG(strstr(r.err, bad[i].needle) != NULL, "want '%s' in: %s", bad[i].needle,
                  r.err);
        CHECK_MSG(strchr(r.err, '\n') == NULL, "not one line: %s", r.err);
        free(r.stderr_text);
    }
    /* The sound cells of those files plot: a is fastest (10), b 30 -> 3.0. */
    write_set(dir, 2, CELL("w--a--t1", "a", REP(0, 10, 1000)) "," CELL("w--b--t1", "b", REP(1, 30, 2000)));
    run_out r = plot_captured(dir, &png_only);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    free(r.stderr_text);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/plots/data/reltime.dat", dir);
    char *text = slurp(p, NULL);
    REQUIRE(text);
    char *fl[64];
    char *row = strchr(text, '\n');
    REQUIRE(row);
    size_t n = fields(row + 1, fl, 64);
    CHECK_EQ_U64(n, 7); /* label + 2 backends x 3 */
    if (n == 7) {
        CHECK_STR(fl[0], "w");
        CHECK(fabs(strtod(fl[1], NULL) - 1.0) < 1e-9);
        CHECK(fabs(strtod(fl[4], NULL) - 3.0) < 1e-9);
    }
    free(text);
    remove_tree(dir);
}

/* ---- tests: partial and empty result sets, missing gnuplot -------------- */

TEST(partial_set_without_timelines_draws_the_rest)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024];
    REQUIRE(fixture_copy("partial", dir, sizeof dir));
    CHECK(remove_named(dir, "timeline.csv") > 0);
    CHECK(remove_named(dir, "gc_pauses.csv") > 0);
    run_out r = plot_captured(dir, &png_only);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    CHECK(strstr(r.stderr_text, "heaplab plot: skipped timeline: no cells/*/rep-*/timeline.csv") !=
          NULL);
    CHECK(strstr(r.stderr_text, "heaplab plot: skipped gc_pauses: no cells/*/rep-*/gc_pauses.csv") !=
          NULL);
    CHECK_EQ_U64(r.rep.charts_skipped, 2);
    char plots[PATH_MAX];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    bool bad = false;
    CHECK(count_images(plots, "timeline-", ".png", &bad) == 0);
    CHECK(count_images(plots, "reltime", ".png", &bad) == 1);
    CHECK(count_images(plots, "peak_rss", ".png", &bad) == 1);
    CHECK(count_images(plots, "cow", ".png", &bad) == 1);
    CHECK(!bad);
    /* every skip is one line naming the chart */
    int lines = 0;
    for (const char *p = r.stderr_text; (p = strstr(p, "heaplab plot: skipped ")) != NULL; p++)
        lines++;
    CHECK_EQ_U64(lines, r.rep.charts_skipped);
    free(r.stderr_text);
    remove_tree(dir);
}

TEST(empty_result_sets_fail_with_a_message)
{
    char dir[1024];
    scratch("empty", dir, sizeof dir);
    REQUIRE(mkdir(dir, 0777) == 0);
    run_out r = plot_captured(dir, &png_only);
    CHECK(r.rc != 0);
    CHECK_MSG(strstr(r.err, "no results.json") != NULL, "%s", r.err);
    free(r.stderr_text);

    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/results.json", dir);
    FILE *f = fopen(p, "w");
    REQUIRE(f);
    set_header(f, "quick", 1);
    fputs("]}\n", f);
    fclose(f);
    r = plot_captured(dir, &png_only);
    CHECK(r.rc != 0);
    CHECK_MSG(strstr(r.err, "no cells") != NULL, "%s", r.err);
    free(r.stderr_text);

    /* a cell whose every repetition failed */
    f = fopen(p, "w");
    REQUIRE(f);
    set_header(f, "quick", 1);
    fputs("{\"id\": \"pairs--system--t1\", \"backend\": \"system\", \"variant\": \"system\", "
          "\"workload\": \"pairs\", \"threads\": 1, \"reps\": [{\"rep\": 0, \"status\": "
          "\"crashed\", \"metrics\": {}}]}]}\n",
          f);
    fclose(f);
    r = plot_captured(dir, &png_only);
    CHECK(r.rc != 0);
    CHECK_MSG(strstr(r.err, "no successful repetition") != NULL, "%s", r.err);
    free(r.stderr_text);

    /* not JSON at all */
    f = fopen(p, "w");
    REQUIRE(f);
    fputs("not json\n", f);
    fclose(f);
    r = plot_captured(dir, &png_only);
    CHECK(r.rc != 0);
    CHECK_MSG(strstr(r.err, "results.json") != NULL, "%s", r.err);
    free(r.stderr_text);

    r = plot_captured("/nonexistent/heaplab-results", &png_only);
    CHECK(r.rc != 0);
    CHECK_MSG(strstr(r.err, "not a result directory") != NULL, "%s", r.err);
    free(r.stderr_text);
    remove_tree(dir);
}

TEST(missing_gnuplot_is_named)
{
    char dir[1024];
    REQUIRE(fixture_copy("nognuplot", dir, sizeof dir));
    char err[1024];

    setenv("HEAPLAB_GNUPLOT", "/nonexistent/gnuplot", 1);
    int rc = hl_plot_results(dir, NULL, err, sizeof err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err, "gnuplot not found") != NULL, "%s", err);
    CHECK(strstr(err, "HEAPLAB_GNUPLOT") != NULL);
    unsetenv("HEAPLAB_GNUPLOT");

    /* PATH pointing at an empty directory */
    char empty[1024];
    scratch("emptybin", empty, sizeof empty);
    REQUIRE(mkdir(empty, 0777) == 0);
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", empty, 1);
    rc = hl_plot_results(dir, NULL, err, sizeof err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err, "gnuplot not found in PATH") != NULL, "%s", err);
    CHECK(strstr(err, "gnuplot-nox") != NULL);
    if (saved) {
        setenv("PATH", saved, 1);
        free(saved);
    }
    /* nothing was drawn */
    char plots[PATH_MAX + 16];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    bool bad = false;
    CHECK(count_images(plots, "", ".png", &bad) == 0);
    remove_tree(empty);
    remove_tree(dir);
}

TEST(gnuplot_failure_is_reported_per_chart)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    /* A "gnuplot" that fails every run: each chart is skipped with its
     * error, and the call fails because nothing was drawn. */
    char dir[1024], bin[1024], fake[PATH_MAX];
    REQUIRE(fixture_copy("failing", dir, sizeof dir));
    scratch("failbin", bin, sizeof bin);
    REQUIRE(mkdir(bin, 0777) == 0);
    snprintf(fake, sizeof fake, "%s/gnuplot", bin);
    FILE *f = fopen(fake, "w");
    REQUIRE(f);
    fputs("#!/bin/sh\necho 'line 1: unknown terminal type' >&2\nexit 1\n", f);
    fclose(f);
    chmod(fake, 0755);
    /* A chart drawn by an earlier run survives a failed redraw. */
    char plots[1100], old_chart[1200];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    mkdir(plots, 0777);
    snprintf(old_chart, sizeof old_chart, "%s/reltime.png", plots);
    FILE *oc = fopen(old_chart, "w");
    REQUIRE(oc);
    fputs("earlier chart", oc);
    fclose(oc);
    setenv("HEAPLAB_GNUPLOT", fake, 1);
    run_out r = plot_captured(dir, &png_only);
    unsetenv("HEAPLAB_GNUPLOT");
    char kept[64] = "";
    oc = fopen(old_chart, "r");
    CHECK(oc != NULL);
    if (oc) {
        CHECK(fgets(kept, sizeof kept, oc) != NULL);
        fclose(oc);
    }
    CHECK_STR(kept, "earlier chart");
    CHECK(r.rc != 0);
    CHECK_MSG(strstr(r.err, "no chart could be drawn") != NULL, "%s", r.err);
    CHECK(strstr(r.stderr_text, "skipped reltime: gnuplot exited with status 1: line 1: unknown "
                                "terminal type") != NULL);
    CHECK(r.rep.charts_drawn == 0);
    CHECK(r.rep.charts_skipped >= 7);
    free(r.stderr_text);
    remove_tree(bin);
    remove_tree(dir);
}

TEST(scripts_dir_override)
{
    char out[PATH_MAX], err[512];
    setenv("HEAPLAB_PLOTS_DIR", "/nonexistent/plots", 1);
    CHECK(hl_plot_scripts_dir(out, sizeof out, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "HEAPLAB_PLOTS_DIR=/nonexistent/plots") != NULL, "%s", err);
    setenv("HEAPLAB_PLOTS_DIR", HL_TEST_PLOTS_SCRIPTS, 1);
    CHECK(hl_plot_scripts_dir(out, sizeof out, err, sizeof err) == 0);
    CHECK_STR(out, HL_TEST_PLOTS_SCRIPTS);
    unsetenv("HEAPLAB_PLOTS_DIR");
    /* compiled-in default: the source tree */
    CHECK(hl_plot_scripts_dir(out, sizeof out, err, sizeof err) == 0);
}

/* ---- tests: quoting ----------------------------------------------------- */

TEST(quote_edge_cases)
{
    char out[64];
    CHECK(hl_plot_quote("", out, sizeof out) == 0);
    CHECK_STR(out, "");
    CHECK(hl_plot_quote("it's", out, sizeof out) == 0);
    CHECK_STR(out, "it''s");
    CHECK(hl_plot_quote("''", out, sizeof out) == 0);
    CHECK_STR(out, "''''");
    CHECK(hl_plot_quote("a\nb\tc\x7f", out, sizeof out) == 0);
    CHECK_STR(out, "a b c ");
    CHECK(hl_plot_quote("back\\slash \"dq\" $x `y` ;", out, sizeof out) == 0);
    CHECK_STR(out, "back\\slash \"dq\" $x `y` ;");
    /* too small: fails, stays terminated */
    char small[4];
    CHECK(hl_plot_quote("abcd", small, sizeof small) != 0);
    CHECK(memchr(small, '\0', sizeof small) != NULL);
    CHECK(hl_plot_quote("ab'", small, sizeof small) != 0); /* needs 5 */
    CHECK(hl_plot_quote("ab", small, sizeof small) == 0);
    CHECK(hl_plot_quote("x", out, 0) != 0);
}

/* Property: any printable text given as a title reaches gnuplot unchanged
 * (so nothing in a backend name or a path can end the string and run
 * gnuplot commands).  Checked end to end: the chart's scripts are
 * replaced by one that prints the variables to a file. */
TEST(quote_round_trips_through_gnuplot)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024], sdir[1024];
    scratch("quote", dir, sizeof dir);
    REQUIRE(mkdir(dir, 0777) == 0);
    scratch("quote-scripts", sdir, sizeof sdir);
    REQUIRE(mkdir(sdir, 0777) == 0);
    char printed[PATH_MAX + 32], p[PATH_MAX + 32];
    snprintf(printed, sizeof printed, "%s/printed.txt", dir);
    /* common.gp and reltime.gp mark the directory as a scripts dir; the
     * spy prints the subtitle (the result set's suite, machine, date). */
    static const char *const names[] = {"common.gp", "reltime.gp", "peak_rss.gp", "overhead.gp",
                                        "cow.gp", "scaling.gp", "timeline.gp", "gc_pauses.gp"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", sdir, names[i]);
        FILE *f = fopen(p, "w");
        REQUIRE(f);
        fprintf(f, "set print '%s' append\nprint subtitle\nset print\nset term svg\n"
                   "set output out\nplot x\n",
                printed);
        fclose(f);
    }
    setenv("HEAPLAB_PLOTS_DIR", sdir, 1);
    uint64_t seed = 12345;
    for (int round = 0; round < 4; round++) {
        char suite[80];
        size_t n = 1 + hl_test_rand(&seed) % 60;
        static const char tricky[] = "'\"\\$`;#@!%&*(){}[]|<>?,. ~^=+-_";
        for (size_t i = 0; i < n; i++) {
            uint64_t r = hl_test_rand(&seed);
            suite[i] = (r & 1) ? tricky[(r >> 1) % (sizeof tricky - 1)]
                               : (char)(' ' + (r >> 8) % 95);
        }
        suite[n] = '\0';
        /* JSON-escape the suite for results.json */
        char esc[400];
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (suite[i] == '"' || suite[i] == '\\')
                esc[o++] = '\\';
            esc[o++] = suite[i];
        }
        esc[o] = '\0';
        snprintf(p, sizeof p, "%s/results.json", dir);
        FILE *f = fopen(p, "w");
        REQUIRE(f);
        set_header(f, esc, 1);
        fputs(CELL("w--b--t1", "b", REP(0, 5, 100)) "]}\n", f);
        fclose(f);
        unlink(printed);
        hl_plot_options o2 = {.png = false, .svg = true, .quiet = true};
        run_out r = plot_captured(dir, &o2);
        CHECK_MSG(r.rc == 0, "%s", r.err);
        char *text = slurp(printed, NULL);
        REQUIRE(text);
        char want[600];
        snprintf(want, sizeof want, "suite %s | h | d\n", suite);
        CHECK_MSG(strncmp(text, want, strlen(want)) == 0, "sent [%s] got [%s]", want, text);
        free(text);
        free(r.stderr_text);
    }
    unsetenv("HEAPLAB_PLOTS_DIR");
    remove_tree(sdir);
    remove_tree(dir);
}

/* ---- tests: random result sets against a reference model ---------------- */

/* Random sets: B backends x W workloads x R repetitions with known peak
 * RSS values; some repetitions fail, some cells are missing.  The
 * peak_rss data file must hold, for every present cell, the median, min
 * and max of its successful repetitions (reference: a sort in the test). */
TEST(random_sets_match_reference_medians)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    uint64_t seed = 777;
    for (int round = 0; round < 3; round++) {
        char dir[1024];
        scratch("random", dir, sizeof dir);
        REQUIRE(mkdir(dir, 0777) == 0);
        size_t nb = 1 + hl_test_rand(&seed) % 4, nw = 1 + hl_test_rand(&seed) % 5,
               nr = 1 + hl_test_rand(&seed) % 5;
        double val[4][5][5];
        bool okrep[4][5][5], present[4][5];
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/results.json", dir);
        FILE *f = fopen(p, "w");
        REQUIRE(f);
        set_header(f, "rnd", (int)nr);
        bool first = true;
        for (size_t w = 0; w < nw; w++)
            for (size_t b = 0; b < nb; b++) {
                present[b][w] = (hl_test_rand(&seed) % 5) != 0 || (b == 0 && w == 0);
                if (!present[b][w])
                    continue;
                fprintf(f, "%s{\"id\": \"w%zu--b%zu--t1\", \"backend\": \"be %zu\", "
                           "\"variant\": \"system\", \"workload\": \"w%zu\", \"threads\": 1, "
                           "\"reps\": [",
                        first ? "" : ",", w, b, b, w);
                first = false;
                for (size_t r = 0; r < nr; r++) {
                    okrep[b][w][r] = (hl_test_rand(&seed) % 4) != 0 || (b == 0 && w == 0 && r == 0);
                    val[b][w][r] = (double)(1 + hl_test_rand(&seed) % 100000);
                    fprintf(f, "%s{\"rep\": %zu, \"status\": \"%s\", \"metrics\": {"
                               "\"ns_per_op\": %zu, \"peak_rss_kib\": %.0f}}",
                            r ? "," : "", r, okrep[b][w][r] ? "ok" : "crashed",
                            1 + (size_t)(hl_test_rand(&seed) % 100), val[b][w][r]);
                }
                fputs("]}", f);
            }
        fputs("]}\n", f);
        fclose(f);
        run_out r = plot_captured(dir, &png_only);
        CHECK_MSG(r.rc == 0, "%s", r.err);
        free(r.stderr_text);
        snprintf(p, sizeof p, "%s/plots/data/peak_rss.dat", dir);
        f = fopen(p, "r");
        REQUIRE(f);
        char line[4096];
        char *hdr[64];
        REQUIRE(fgets(line, sizeof line, f));
        size_t nh = fields(line, hdr, 64);
        /* backend columns in first-appearance order: map them back */
        int col_of[4] = {-1, -1, -1, -1};
        for (size_t i = 1; i + 2 < nh; i += 3) {
            unsigned b;
            if (sscanf(hdr[i], "be %u", &b) == 1 && b < 4)
                col_of[b] = (int)i;
        }
        size_t rows = 0;
        while (fgets(line, sizeof line, f)) {
            char *fl[64];
            size_t n = fields(line, fl, 64);
            unsigned w;
            REQUIRE(n == nh && sscanf(fl[0], "w%u", &w) == 1 && w < nw);
            rows++;
            for (size_t b = 0; b < nb; b++) {
                double xs[5];
                size_t k = 0;
                for (size_t rr = 0; present[b][w] && rr < nr; rr++)
                    if (okrep[b][w][rr])
                        xs[k++] = val[b][w][rr] / 1024.0; /* KiB -> MiB */
                if (k == 0) {
                    CHECK(col_of[b] < 0 || strcmp(fl[col_of[b]], "?") == 0);
                    continue;
                }
                REQUIRE(col_of[b] > 0);
                for (size_t i = 1; i < k; i++) /* insertion sort */
                    for (size_t j = i; j > 0 && xs[j] < xs[j - 1]; j--) {
                        double t = xs[j];
                        xs[j] = xs[j - 1];
                        xs[j - 1] = t;
                    }
                double med = (k % 2) ? xs[k / 2] : 0.5 * (xs[k / 2 - 1] + xs[k / 2]);
                double got = strtod(fl[col_of[b]], NULL), lo = strtod(fl[col_of[b] + 1], NULL),
                       hi = strtod(fl[col_of[b] + 2], NULL);
                CHECK_MSG(fabs(got - med) <= 1e-5 * med, "w%u b%zu: %g != %g", w, b, got, med);
                CHECK(fabs(lo - xs[0]) <= 1e-5 * xs[0]);
                CHECK(fabs(hi - xs[k - 1]) <= 1e-5 * xs[k - 1]);
            }
        }
        fclose(f);
        /* one row per workload with at least one successful repetition */
        size_t want = 0;
        for (size_t w = 0; w < nw; w++) {
            bool any = false;
            for (size_t b = 0; b < nb; b++)
                for (size_t rr = 0; present[b][w] && rr < nr; rr++)
                    any |= okrep[b][w][rr];
            want += any;
        }
        CHECK_EQ_U64(rows, want);
        remove_tree(dir);
    }
}

/* ---- tests: the command line -------------------------------------------- */

static int cli(int argc, const char *const *argv)
{
    /* stdout/stderr of the command are not needed here */
    fflush(stdout);
    fflush(stderr);
    int so = dup(STDOUT_FILENO), se = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    close(null);
    int rc = hl_cli_plot(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, STDOUT_FILENO);
    dup2(se, STDERR_FILENO);
    close(so);
    close(se);
    return rc;
}

TEST(cli_options)
{
    const char *const help[] = {"plot", "--help"};
    CHECK(cli(2, help) == 0);
    const char *const none[] = {"plot"};
    CHECK(cli(1, none) == 2);
    const char *const badfmt[] = {"plot", "x", "--format", "jpeg"};
    CHECK(cli(4, badfmt) == 2);
    const char *const novalue[] = {"plot", "x", "--baseline"};
    CHECK(cli(3, novalue) == 2);
    const char *const unknown[] = {"plot", "x", "--colour"};
    CHECK(cli(3, unknown) == 2);
    const char *const two[] = {"plot", "a", "b"};
    CHECK(cli(3, two) == 2);
    const char *const missing[] = {"plot", "/nonexistent/dir", "--format=png"};
    CHECK(cli(3, missing) == 2);
    if (have_gnuplot) {
        char dir[1024];
        REQUIRE(fixture_copy("cli", dir, sizeof dir));
        const char *const ok[] = {"plot", dir, "--format", "png", "--baseline=system", "-q"};
        CHECK(cli(6, ok) == 0);
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/plots/reltime.png", dir);
        uint32_t w, h;
        CHECK(valid_png(p, &w, &h));
        snprintf(p, sizeof p, "%s/plots/reltime.svg", dir);
        CHECK(access(p, F_OK) != 0);
        remove_tree(dir);
    }
}

int main(void)
{
    snprintf(scratch_root, sizeof scratch_root, "%s/hl-test-plot-%ld",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    remove_tree(scratch_root);
    if (mkdir(scratch_root, 0777) != 0) {
        printf("cannot create %s\n", scratch_root);
        return 1;
    }
    unsetenv("HEAPLAB_GNUPLOT");
    unsetenv("HEAPLAB_PLOTS_DIR");
    /* gnuplot present?  (the chart tests need it; the error paths do not) */
    have_gnuplot = system("gnuplot -e 'set terminal pngcairo' -e 'set terminal svg' "
                          "</dev/null >/dev/null 2>&1") == 0;
    if (!have_gnuplot)
        printf("note: gnuplot with pngcairo and svg not found: chart tests skipped\n");

    RUN(fixture_every_chart_png_and_svg);
    RUN(fixture_svg_only_writes_no_png);
    RUN(reltime_baselines);
    RUN(bad_sets_are_refused_naming_the_field);
    RUN(partial_set_without_timelines_draws_the_rest);
    RUN(empty_result_sets_fail_with_a_message);
    RUN(missing_gnuplot_is_named);
    RUN(gnuplot_failure_is_reported_per_chart);
    RUN(scripts_dir_override);
    RUN(quote_edge_cases);
    RUN(quote_round_trips_through_gnuplot);
    RUN(random_sets_match_reference_medians);
    RUN(cli_options);

    remove_tree(scratch_root);
    return hl_test_summary();
}
