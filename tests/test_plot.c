/* test_plot.c - the chart front end (harness/plot.c) and its gnuplot scripts.
 *
 * Each test copies a fixture result set (tests/data/plots-small, a real
 * tiny `heaplab run`, and tests/data/plots-instr, its instructions-mode
 * companion) into a scratch directory and plots it there, so the source
 * tree is never written.  Images are checked for what a viewer needs: a
 * PNG signature and an IHDR chunk with a non-zero size, an SVG document
 * that opens and closes.  Colours are checked where they are decided: in
 * the gnuplot command lines, seen through a stand-in gnuplot that logs its
 * arguments and then runs the real one.  report.html is checked as XML
 * (every element closed in order) and for naming every chart.  Error paths
 * are checked by their messages.  The property tests build random result
 * sets with known values and compare the data files with a reference
 * computation, and the relative chart with ranking.h's own ratios.
 */
#include "palette.h"
#include "plot.h"
#include "ranking.h"
#include "results.h"

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
#ifndef HL_TEST_PLOTS_INSTR
#error "HL_TEST_PLOTS_INSTR must name tests/data/plots-instr"
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

static bool instr_copy(const char *name, char *out, size_t outlen)
{
    scratch(name, out, outlen);
    return copy_tree(HL_TEST_PLOTS_INSTR, out) == 0;
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
    static const char *const kinds[] = {"reltime", "reps-",     "peak_rss",   "overhead", "scaling-",
                                        "sweep-",  "timeline-", "gc_pauses-", "cow"};
    bool bad = false;
    int pngs = 0, svgs = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        int np = count_images(plots, kinds[k], ".png", &bad);
        int ns = count_images(plots, kinds[k], ".svg", &bad);
        CHECK_MSG(np >= 1, "no %s*.png", kinds[k]);
        CHECK_MSG(ns == np, "%d %s*.svg for %d png", ns, kinds[k], np);
    }
    /* the sweeps: pairs over size (16, 64 = the quick value, 256) and
     * fork_cow over its enumeration */
    CHECK(count_images(plots, "sweep-pairs-size", ".png", &bad) == 1);
    CHECK(count_images(plots, "sweep-fork_cow-mode", ".png", &bad) == 1);
    pngs = count_images(plots, "", ".png", &bad);
    svgs = count_images(plots, "", ".svg", &bad);
    CHECK(!bad);
    CHECK(pngs == svgs);
    CHECK_EQ_U64(r.rep.images, (uint64_t)(pngs + svgs));
    CHECK_EQ_U64(r.rep.charts_drawn, (uint64_t)pngs);
    /* each chart's data file is next to it, and the report beside the set */
    char dat[PATH_MAX + 32];
    snprintf(dat, sizeof dat, "%s/data/reltime.dat", plots);
    CHECK(access(dat, R_OK) == 0);
    snprintf(dat, sizeof dat, "%s/report.html", dir);
    CHECK(access(dat, R_OK) == 0);
    free(r.stderr_text);
    remove_tree(dir);
}

/* Instructions mode: the relative chart is about instructions, the memory
 * and GC charts are skipped with the reason (valgrind's RSS). */
TEST(instructions_set_draws_relinstr)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024];
    REQUIRE(instr_copy("instr", dir, sizeof dir));
    run_out r = plot_captured(dir, &png_only);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    char plots[PATH_MAX];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    bool bad = false;
    CHECK(count_images(plots, "relinstr", ".png", &bad) == 1);
    CHECK(count_images(plots, "reltime", ".png", &bad) == 0);
    CHECK(count_images(plots, "reps-", ".png", &bad) >= 1);
    CHECK(count_images(plots, "scaling-larson", ".png", &bad) == 1);
    CHECK(count_images(plots, "peak_rss", ".png", &bad) == 0);
    CHECK(!bad);
    CHECK(strstr(r.stderr_text, "skipped peak_rss: instructions mode: the RSS is valgrind's") !=
          NULL);
    CHECK(strstr(r.stderr_text, "skipped gc_pauses: instructions mode") != NULL);
    char dat[PATH_MAX + 32];
    snprintf(dat, sizeof dat, "%s/data/relinstr.dat", plots);
    char *text = slurp(dat, NULL);
    CHECK(text != NULL && strstr(text, "\"larson\"") != NULL);
    free(text);
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

/* One bar of a panels data file (reltime.dat, overhead.dat, cow.dat). */
typedef struct bar {
    char name[128], params[128], ref[96], backend[96], group[600];
    double value, lo, hi;
} bar;

/* Reads every bar of a panels data file; returns how many (max 512), or
 * -1 when a row is malformed. */
static int read_bars(const char *path, bar *out, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n' || strncmp(line, "panel ", 6) == 0)
            continue;
        char *fl[16];
        size_t k = fields(line, fl, 16);
        if (k != 12 || n >= max) {
            fclose(f);
            return -1;
        }
        bar *b = &out[n++];
        b->value = strtod(fl[3], NULL);
        b->lo = strtod(fl[4], NULL);
        b->hi = strtod(fl[5], NULL);
        snprintf(b->name, sizeof b->name, "%s", fl[7]);
        snprintf(b->params, sizeof b->params, "%s", fl[8]);
        snprintf(b->ref, sizeof b->ref, "%s", fl[9]);
        snprintf(b->backend, sizeof b->backend, "%s", fl[10]);
        snprintf(b->group, sizeof b->group, "%s", fl[11]);
    }
    fclose(f);
    return n;
}

/* Every bar of reltime.dat is the ranking's ratio of its backend in its
 * group, with the ranking's interval; the reference's bar is 1; the
 * reference is the named one, or else never a debug backend. */
static void check_against_ranking(const char *dir, const char *reference)
{
    char dat[PATH_MAX + 64], err[512];
    snprintf(dat, sizeof dat, "%s/plots/data/reltime.dat", dir);
    static bar bars[512];
    int n = read_bars(dat, bars, 512);
    REQUIRE(n > 0);
    hl_resultset rs;
    REQUIRE(hl_results_load(&rs, dir, err, sizeof err) == 0);
    hl_group *groups;
    size_t ng;
    REQUIRE(hl_rank_groups(&rs, reference, &groups, &ng) == 0);
    int matched = 0;
    for (size_t g = 0; g < ng; g++) {
        for (size_t i = 0; i < groups[g].n_rows; i++) {
            const hl_rank_row *row = &groups[g].rows[i];
            const hl_plan_cell *pc = &rs.plan.cells[row->cell];
            for (int k = 0; k < n; k++) {
                if (strcmp(bars[k].backend, pc->backend) != 0 ||
                    strcmp(bars[k].group, groups[g].key) != 0)
                    continue;
                CHECK(fabs(bars[k].value - row->ratio) <= 1e-5 * row->ratio);
                matched++;
                const char *refb = rs.plan.cells[groups[g].rows[groups[g].ref].cell].backend;
                CHECK_STR(bars[k].ref, refb);
                if (reference)
                    CHECK_STR(refb, reference);
                else
                    CHECK(!hl_results_backend_is_debug(&rs, refb));
                if (row->ratio_iv.n >= 2) {
                    CHECK(fabs(bars[k].lo - row->ratio_iv.lo) <= 1e-5 * row->ratio_iv.lo);
                    CHECK(fabs(bars[k].hi - row->ratio_iv.hi) <= 1e-5 * row->ratio_iv.hi);
                }
                if (strcmp(pc->backend, refb) == 0)
                    CHECK(fabs(bars[k].value - 1.0) < 1e-9);
                break;
            }
        }
    }
    CHECK_MSG(matched == n, "%d of %d bars match a ranked ratio", matched, n);
    hl_rank_free(groups, ng);
    hl_results_free(&rs);
}

TEST(reltime_is_the_ranking)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024];
    REQUIRE(fixture_copy("baseline", dir, sizeof dir));
    run_out r = plot_captured(dir, &png_only);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    free(r.stderr_text);
    check_against_ranking(dir, NULL);

    /* a named reference: its bar is 1 in every cluster */
    hl_plot_options o = png_only;
    o.baseline = "system";
    r = plot_captured(dir, &o);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    free(r.stderr_text);
    check_against_ranking(dir, "system");

    /* An unknown reference is bad input: one line naming the backends the
     * set has, and the charts already there are left as they were. */
    char reltime[PATH_MAX + 32];
    snprintf(reltime, sizeof reltime, "%s/plots/reltime.png", dir);
    struct stat before, after;
    REQUIRE(stat(reltime, &before) == 0);
    o.baseline = "no-such-backend";
    r = plot_captured(dir, &o);
    CHECK(r.rc == HL_PLOT_BAD_INPUT);
    CHECK(strstr(r.err, "no-such-backend") != NULL);
    CHECK(strstr(r.err, "pool") != NULL);
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
    /* The sound cells of those files plot: a is fastest (10), b 30 in the
     * same round -> 3.0. */
    write_set(dir, 2, CELL("w--a--t1", "a", REP(0, 10, 1000)) "," CELL("w--b--t1", "b", REP(0, 30, 2000)));
    run_out r = plot_captured(dir, &png_only);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    free(r.stderr_text);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/plots/data/reltime.dat", dir);
    bar bars[8];
    int n = read_bars(p, bars, 8);
    CHECK_EQ_U64(n, 2);
    for (int i = 0; i < n; i++) {
        CHECK_STR(bars[i].name, "w");
        CHECK_STR(bars[i].ref, "a");
        CHECK(fabs(bars[i].value - (strcmp(bars[i].backend, "a") == 0 ? 1.0 : 3.0)) < 1e-9);
    }
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
    static const char *const names[] = {"common.gp",   "reltime.gp",  "reps.gp",
                                        "peak_rss.gp", "overhead.gp", "cow.gp",
                                        "scaling.gp",  "sweep.gp",    "timeline.gp",
                                        "gc_pauses.gp"};
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
        /* tidy rows: panel backend value lo hi name bname; one per
         * (workload, backend) with a successful repetition.  These sets
         * record no start-up RSS, so the values are gross. */
        char line[4096];
        bool seen[4][5] = {{false}};
        size_t rows = 0;
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#' || line[0] == '\n' || strncmp(line, "panel ", 6) == 0)
                continue;
            char *fl[16];
            size_t n = fields(line, fl, 16);
            unsigned w, b;
            REQUIRE(n == 7 && sscanf(fl[5], "w%u", &w) == 1 && w < nw &&
                    sscanf(fl[6], "be %u", &b) == 1 && b < nb);
            CHECK(!seen[b][w]);
            seen[b][w] = true;
            rows++;
            double xs[5];
            size_t k = 0;
            for (size_t rr = 0; present[b][w] && rr < nr; rr++)
                if (okrep[b][w][rr])
                    xs[k++] = val[b][w][rr] / 1024.0; /* KiB -> MiB */
            REQUIRE(k > 0);
            for (size_t i = 1; i < k; i++) /* insertion sort */
                for (size_t j = i; j > 0 && xs[j] < xs[j - 1]; j--) {
                    double t = xs[j];
                    xs[j] = xs[j - 1];
                    xs[j - 1] = t;
                }
            double med = (k % 2) ? xs[k / 2] : 0.5 * (xs[k / 2 - 1] + xs[k / 2]);
            double got = strtod(fl[2], NULL), lo = strtod(fl[3], NULL), hi = strtod(fl[4], NULL);
            CHECK_MSG(fabs(got - med) <= 1e-5 * med, "w%u b%u: %g != %g", w, b, got, med);
            /* up to 5 values the interval of the median is their range */
            CHECK(fabs(lo - xs[0]) <= 1e-5 * xs[0]);
            CHECK(fabs(hi - xs[k - 1]) <= 1e-5 * xs[k - 1]);
        }
        fclose(f);
        /* one row per (workload, backend) with a successful repetition */
        size_t want = 0;
        for (size_t w = 0; w < nw; w++)
            for (size_t b = 0; b < nb; b++) {
                bool any = false;
                for (size_t rr = 0; present[b][w] && rr < nr; rr++)
                    any |= okrep[b][w][rr];
                want += any;
            }
        CHECK_EQ_U64(rows, want);
        remove_tree(dir);
    }
}

/* ---- tests: colours, from the gnuplot command lines ---------------------- */

/* A gnuplot that logs its arguments (one per line, "--end--" after each
 * run) and then runs the real one. */
static void write_spy(const char *bin, const char *log, char *spy, size_t spylen)
{
    snprintf(spy, spylen, "%s/gnuplot-spy", bin);
    FILE *f = fopen(spy, "w");
    if (!f)
        return;
    fprintf(f, "#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done >> '%s'\n"
               "printf -- '--end--\\n' >> '%s'\nexec gnuplot \"$@\"\n",
            log, log);
    fclose(f);
    chmod(spy, 0755);
}

/* The words of a -e assignment NAME='"w1" "w2"' (or NAME='a b'). */
static size_t arg_words(const char *arg, const char *name, char (*out)[128], size_t max)
{
    size_t ln = strlen(name);
    if (strncmp(arg, name, ln) != 0 || arg[ln] != '=' || arg[ln + 1] != '\'')
        return 0;
    const char *p = arg + ln + 2;
    size_t n = 0;
    while (*p && *p != '\'' && n < max) {
        while (*p == ' ')
            p++;
        if (*p == '\'' || !*p)
            break;
        bool q = *p == '"';
        if (q)
            p++;
        size_t o = 0;
        while (*p && (q ? *p != '"' : (*p != ' ' && *p != '\'')) && o + 1 < sizeof out[0])
            out[n][o++] = *p++;
        out[n][o] = '\0';
        if (q && *p == '"')
            p++;
        n++;
    }
    return n;
}

typedef struct spied {
    size_t runs, checked;
    bool ok;
    char seen_names[16][128];
    char seen_colours[16][128];
    size_t n_seen;
} spied;

/* Every run that names its backends gives each the colour and point of
 * hl_palette_for; a name keeps one colour over every run in *sp. */
static void check_spy_log(const char *log, spied *sp)
{
    FILE *f = fopen(log, "r");
    REQUIRE(f);
    char line[8192];
    char names[32][128], cols[32][128], pts[32][128];
    size_t nn = 0, nc = 0, npt = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "--end--") == 0) {
            sp->runs++;
            if (nn > 0) {
                sp->checked++;
                CHECK_EQ_U64(nc, nn);
                CHECK_EQ_U64(npt, nn);
                for (size_t i = 0; i < nn && i < nc && i < npt; i++) {
                    hl_palette_entry e = hl_palette_for(names[i]);
                    CHECK_MSG(strcmp(cols[i], e.colour) == 0, "%s: %s, want %s", names[i],
                              cols[i], e.colour);
                    CHECK(atoi(pts[i]) == e.point);
                    size_t k = 0;
                    while (k < sp->n_seen && strcmp(sp->seen_names[k], names[i]) != 0)
                        k++;
                    if (k == sp->n_seen && k < 16) {
                        snprintf(sp->seen_names[k], sizeof sp->seen_names[k], "%s", names[i]);
                        snprintf(sp->seen_colours[k], sizeof sp->seen_colours[k], "%s", cols[i]);
                        sp->n_seen++;
                    } else if (k < 16) {
                        CHECK_STR(sp->seen_colours[k], cols[i]);
                    }
                }
            }
            nn = nc = npt = 0;
            continue;
        }
        size_t w;
        if ((w = arg_words(line, "backends", names, 32)) > 0)
            nn = w;
        else if ((w = arg_words(line, "colours", cols, 32)) > 0)
            nc = w;
        else if ((w = arg_words(line, "points", pts, 32)) > 0)
            npt = w;
    }
    fclose(f);
}

static const char *spied_colour(const spied *sp, const char *name)
{
    for (size_t k = 0; k < sp->n_seen; k++)
        if (strcmp(sp->seen_names[k], name) == 0)
            return sp->seen_colours[k];
    return NULL;
}

TEST(colour_belongs_to_the_backend_name)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024], bin[1024], log[1100], spy[1200];
    scratch("spybin", bin, sizeof bin);
    REQUIRE(mkdir(bin, 0777) == 0);
    snprintf(log, sizeof log, "%s/args.log", bin);
    write_spy(bin, log, spy, sizeof spy);
    setenv("HEAPLAB_GNUPLOT", spy, 1);

    /* The fixture: every chart's run gives system and pool their table
     * colours, whatever their positions. */
    REQUIRE(fixture_copy("colours", dir, sizeof dir));
    run_out r = plot_captured(dir, &png_only);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    free(r.stderr_text);
    spied sp = {0};
    check_spy_log(log, &sp);
    CHECK(sp.checked >= 9);
    CHECK_EQ_U64(sp.checked, sp.runs); /* every chart names its backends */
    CHECK_STR(spied_colour(&sp, "pool"), "#0072B2");
    CHECK_STR(spied_colour(&sp, "system"), "#000000");
    remove_tree(dir);

    /* Two sets listing the same backends in opposite orders, with an
     * unknown name and a spec with options: each name keeps its colour. */
    static const char *const bodies[2] = {
        CELL("w--jemalloc--t1", "jemalloc", REP(0, 10, 1000)) ","
        CELL("w--mimalloc--t1", "mimalloc", REP(0, 12, 1000)) ","
        CELL("w--x-custom--t1", "x-custom", REP(0, 14, 1000)) ","
        CELL("w--pool_raw=jemalloc--t1", "pool:raw=jemalloc", REP(0, 16, 1000)),
        CELL("w--pool_raw=jemalloc--t1", "pool:raw=jemalloc", REP(0, 16, 1000)) ","
        CELL("w--x-custom--t1", "x-custom", REP(0, 14, 1000)) ","
        CELL("w--mimalloc--t1", "mimalloc", REP(0, 12, 1000)) ","
        CELL("w--jemalloc--t1", "jemalloc", REP(0, 10, 1000)),
    };
    spied both_orders = {0};
    for (int i = 0; i < 2; i++) {
        scratch("order", dir, sizeof dir);
        REQUIRE(mkdir(dir, 0777) == 0);
        write_set(dir, 1, bodies[i]);
        unlink(log);
        r = plot_captured(dir, &png_only);
        CHECK_MSG(r.rc == 0, "%s", r.err);
        free(r.stderr_text);
        check_spy_log(log, &both_orders);
        remove_tree(dir);
    }
    CHECK_EQ_U64(both_orders.n_seen, 4);
    CHECK_STR(spied_colour(&both_orders, "jemalloc"), "#E69F00");
    CHECK_STR(spied_colour(&both_orders, "mimalloc"), "#009E73");
    /* an option-bearing spec must not look like its plain backend */
    const char *pj = spied_colour(&both_orders, "pool:raw=jemalloc");
    CHECK(pj != NULL && strcmp(pj, "#0072B2") != 0);
    CHECK(!hl_palette_for("x-custom").known && hl_palette_for("system").known);
    unsetenv("HEAPLAB_GNUPLOT");
    remove_tree(bin);
}

/* ---- tests: report.html --------------------------------------------------- */

/* XML well-formedness, enough for the report: elements nest and close in
 * order (or are self-closed), attributes are quoted, only the five XML
 * entities and numeric references appear, no stray '<'.  Returns NULL or
 * what was wrong. */
static const char *xml_check(const char *t, char *why, size_t whylen)
{
    char stack[64][32];
    int depth = 0;
    const char *p = t;
    if (strncmp(p, "<!DOCTYPE html>", 15) == 0)
        p += 15;
    while (*p) {
        if (*p == '&') {
            if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
                strncmp(p, "&quot;", 6) && strncmp(p, "&#", 2)) {
                snprintf(why, whylen, "bad entity at: %.30s", p);
                return why;
            }
            p++;
            continue;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        bool closing = p[1] == '/';
        const char *n = p + (closing ? 2 : 1);
        size_t len = strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789");
        if (len == 0 || len >= 32) {
            snprintf(why, whylen, "bad tag at: %.30s", p);
            return why;
        }
        const char *q = n + len;
        bool in_q = false;
        while (*q && (in_q || *q != '>')) {
            if (*q == '"')
                in_q = !in_q;
            else if (!in_q && *q == '<') {
                snprintf(why, whylen, "'<' inside a tag at: %.30s", p);
                return why;
            }
            q++;
        }
        if (!*q) {
            snprintf(why, whylen, "unterminated tag at: %.30s", p);
            return why;
        }
        bool self = q[-1] == '/';
        if (closing) {
            if (depth == 0 || strncmp(stack[depth - 1], n, len) != 0 ||
                stack[depth - 1][len] != '\0') {
                snprintf(why, whylen, "</%.*s> closes <%s>", (int)len, n,
                         depth ? stack[depth - 1] : "(nothing)");
                return why;
            }
            depth--;
        } else if (!self) {
            if (depth == 64) {
                snprintf(why, whylen, "nested too deep");
                return why;
            }
            snprintf(stack[depth++], sizeof stack[0], "%.*s", (int)len, n);
        }
        p = q + 1;
    }
    if (depth != 0) {
        snprintf(why, whylen, "<%s> never closed", stack[depth - 1]);
        return why;
    }
    return NULL;
}

TEST(report_html_parses_and_names_every_chart)
{
    if (!have_gnuplot)
        SKIP("gnuplot not installed");
    char dir[1024];
    REQUIRE(fixture_copy("report", dir, sizeof dir));
    run_out r = plot_captured(dir, &both);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    free(r.stderr_text);
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p, NULL);
    REQUIRE(html);
    char why[200];
    const char *bad = xml_check(html, why, sizeof why);
    CHECK_MSG(bad == NULL, "report.html is not well-formed: %s", bad ? bad : "");
    /* every chart drawn is shown (its SVG) and named in its caption */
    char plots[PATH_MAX];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    DIR *d = opendir(plots);
    REQUIRE(d);
    struct dirent *e;
    int charts = 0;
    while ((e = readdir(d)) != NULL) {
        size_t ln = strlen(e->d_name);
        if (ln < 5 || strcmp(e->d_name + ln - 4, ".svg") != 0 || e->d_name[0] == '.')
            continue;
        char stem[300], want[400];
        snprintf(stem, sizeof stem, "%.*s", (int)(ln - 4), e->d_name);
        snprintf(want, sizeof want, "<img src=\"plots/%s.svg\"", stem);
        CHECK_MSG(strstr(html, want) != NULL, "no %s", want);
        snprintf(want, sizeof want, "<figcaption><b>%s</b>", stem);
        CHECK_MSG(strstr(html, want) != NULL, "no caption naming %s", stem);
        charts++;
    }
    closedir(d);
    CHECK(charts >= 9);
    /* every image it shows exists */
    int imgs = 0;
    for (const char *q = html; (q = strstr(q, "<img src=\"")) != NULL; q++) {
        const char *src = q + 10;
        size_t len = strcspn(src, "\"");
        char f[PATH_MAX + 300];
        snprintf(f, sizeof f, "%s/%.*s", dir, (int)len, src);
        CHECK_MSG(access(f, R_OK) == 0, "missing %s", f);
        imgs++;
    }
    CHECK_EQ_U64(imgs, charts);
    /* the rankings of every group, the warnings, the machine */
    static const char *const needles[] = {
        "id=\"rankings\"", ">pairs size=16</h3>", ">larson [threads 2]</h3>", "id=\"warnings\"",
        "virtual_machine", "cpu_flags_sha256", "href=\"results.json\"", "href=\"summary.md\""};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        CHECK_MSG(strstr(html, needles[i]) != NULL, "no %s", needles[i]);
    CHECK(strstr(html, "<script") == NULL);
    CHECK(strstr(html, "http://") == NULL && strstr(html, "https://") == NULL);
    free(html);
    /* plot --quiet with no_report leaves it out */
    remove_tree(dir);
    REQUIRE(fixture_copy("noreport", dir, sizeof dir));
    hl_plot_options o = png_only;
    o.no_report = true;
    r = plot_captured(dir, &o);
    CHECK(r.rc == 0);
    free(r.stderr_text);
    snprintf(p, sizeof p, "%s/report.html", dir);
    CHECK(access(p, F_OK) != 0);
    remove_tree(dir);
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
    RUN(instructions_set_draws_relinstr);
    RUN(fixture_svg_only_writes_no_png);
    RUN(reltime_is_the_ranking);
    RUN(bad_sets_are_refused_naming_the_field);
    RUN(partial_set_without_timelines_draws_the_rest);
    RUN(empty_result_sets_fail_with_a_message);
    RUN(missing_gnuplot_is_named);
    RUN(gnuplot_failure_is_reported_per_chart);
    RUN(scripts_dir_override);
    RUN(quote_edge_cases);
    RUN(quote_round_trips_through_gnuplot);
    RUN(random_sets_match_reference_medians);
    RUN(colour_belongs_to_the_backend_name);
    RUN(report_html_parses_and_names_every_chart);
    RUN(cli_options);

    remove_tree(scratch_root);
    return hl_test_summary();
}
