/* cli_reproduce.c - `heaplab reproduce`: run the experiments behind
 * published claims and judge each claim on this machine.
 *
 * How it works
 * ------------
 *   1. Load the claims file (results/published/claims.json of the source
 *      tree, --claims FILE, or the copy in a --resume DIR) and select the
 *      claims named on the command line (ids or shell patterns; all by
 *      default).
 *   2. Plan one child `heaplab run` per experiment the claims need (one
 *      per variant when it has variants, and one more for the original
 *      programs when --bench-dir names a build of them), scaled by the
 *      experiment's own settings (--quick takes its quick ones).  An
 *      experiment that cannot run here (no CPython 3.13, a suite file this
 *      tree lacks) is recorded with the reason instead.
 *   3. Run each child as this very executable (/proc/self/exe run ...),
 *      console output to DIR/logs/.  A child that refuses its command line
 *      (exit 2: this heaplab lacks an option the experiment needs) makes
 *      the experiment unavailable with the child's one line as the reason.
 *      Each child's result set is crash-safe, so a killed reproduce is
 *      finished by --resume DIR: complete result sets are kept, incomplete
 *      ones are finished with `heaplab run --resume`, missing ones run.
 *   4. Load every result set (hl_results_load), judge each claim
 *      (verdict.h over measure.h), compare heaplab's mimalloc-bench
 *      versions with the originals where both ran, and write DIR/
 *      reproduce.json, reproduce.md and charts/<claim>.svg
 *      (reproduce_out.c).
 */
#include "cli.h"
#include "fsutil.h"
#include "json.h"
#include "jread.h"
#include "metadata.h"
#include "pyconfig.h"
#include "reproduce.h"
#include "runner.h"

#include "build_info.h"

#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *const usage_text =
    "usage: heaplab reproduce [ID...|all] [options]\n"
    "\n"
    "Runs the experiments behind published allocator and CPython memory claims\n"
    "(results/published/claims.json) on this machine, scaled to it, and prints the\n"
    "published and the measured values side by side with a verdict per claim:\n"
    "holds, differs (by how much, and the likely reason), or not comparable here\n"
    "(and why).  IDs may be shell patterns ('mimalloc-*'); default: all.\n"
    "\n"
    "  --list              list the claims (with IDs: only those) and exit\n"
    "  --quick             fewer repetitions and shorter runs (minutes, not a quarter hour)\n"
    "  --bench-dir DIR     also run the original mimalloc-bench programs built in DIR\n"
    "                      (workloads/suites/mimalloc-bench.suite) and compare rankings\n"
    "  --python PATH       a CPython interpreter for the claims about CPython\n"
    "                      (repeatable; default: python3, and 3.13 from ~/.pyenv)\n"
    "  --out DIR           default results/<YYYY-MM-DD>-reproduce[-quick][-N]\n"
    "  --resume DIR        finish a killed or interrupted reproduce\n"
    "  --claims FILE       another claims file (docs/claims-format.md)\n"
    "  --seed S            seed of every run (default: random, recorded)\n"
    "  --dry-run           print the runs it would make and exit\n"
    "\n"
    "Writes DIR/reproduce.json, DIR/reproduce.md, DIR/charts/<claim>.svg and one\n"
    "result set per experiment (DIR/<experiment>/, see heaplab show).\n"
    "Exit status: 0 done, 1 an experiment failed (reported), 2 bad command line,\n"
    "130 interrupted (finish with --resume DIR).\n";

#define CMD "reproduce"

typedef struct repro_opts {
    bool list, quick, dry_run;
    const char *bench_dir, *out, *resume, *claims;
    bool have_seed;
    uint64_t seed;
    size_t n_pythons;
    const char *pythons[8];
    size_t n_ids;
    const char *ids[256];
} repro_opts;

/* ---- small helpers ---------------------------------------------------------------- */

static void cpu_model(char *out, size_t outlen)
{
    hl_cli_bprintf(out, outlen, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                hl_cli_bprintf(out, outlen, "%s", colon);
            }
            break;
        }
    fclose(f);
}

static double load1(void)
{
    double l[3];
    return getloadavg(l, 3) >= 1 ? l[0] : NAN;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = hl_read_file(from, &len);
    if (!text) {
        hl_cli_bprintf(err, errlen, "cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    hl_atomic_file af;
    if (hl_atomic_begin(&af, to, err, errlen) != 0) {
        free(text);
        return -1;
    }
    fwrite(text, 1, len, af.f);
    free(text);
    return hl_atomic_commit(&af, false, err, errlen);
}

/* args with every {src} replaced by the (quoted) source tree. */
static void expand_src(const char *args, const char *src, char *out, size_t outlen)
{
    char q[4200];
    hl_cli_quote_word(src, q, sizeof q);
    size_t k = 0;
    out[0] = '\0';
    for (const char *p = args; *p && k + 1 < outlen;) {
        if (strncmp(p, "{src}", 5) == 0) {
            int w = snprintf(out + k, outlen - k, "%s", q);
            k += w > 0 ? (size_t)w : 0;
            p += 5;
        } else {
            out[k++] = *p++;
            out[k] = '\0';
        }
    }
    if (k >= outlen)
        out[outlen - 1] = '\0';
}

/* ---- options ---------------------------------------------------------------------- */

static int parse(int argc, char **argv, repro_opts *o)
{
    static const char *const flags[] = {"--list", "--quick", "--bench-dir", "--python",
                                        "--out", "--resume", "--claims", "--seed", "--dry-run",
                                        "--help"};
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int m;
#define OPT(name) ((m = hl_cli_opt(CMD, argc, argv, &i, name, &v)) != 0)
#define FLAG(name) ((m = hl_cli_opt(CMD, argc, argv, &i, name, NULL)) != 0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (FLAG("--list")) {
            if (m < 0)
                return -1;
            o->list = true;
        } else if (FLAG("--quick")) {
            if (m < 0)
                return -1;
            o->quick = true;
        } else if (FLAG("--dry-run")) {
            if (m < 0)
                return -1;
            o->dry_run = true;
        } else if (OPT("--bench-dir")) {
            if (m < 0)
                return -1;
            if (!hl_is_dir(v))
                return hl_cli_usage_error(CMD, "--bench-dir %s: not a directory: give the "
                                               "folder mimalloc-bench's programs were built in "
                                               "(docs/suite-files.md)", v), -1;
            o->bench_dir = v;
        } else if (OPT("--python")) {
            if (m < 0)
                return -1;
            if (o->n_pythons == 8)
                return hl_cli_usage_error(CMD, "--python: at most 8 interpreters"), -1;
            if (access(v, X_OK) != 0 || hl_is_dir(v))
                return hl_cli_usage_error(CMD, "--python %s: not an executable file: give the "
                                               "path of a CPython interpreter", v), -1;
            o->pythons[o->n_pythons++] = v;
        } else if (OPT("--out")) {
            if (m < 0)
                return -1;
            o->out = v;
        } else if (OPT("--resume")) {
            if (m < 0)
                return -1;
            o->resume = v;
        } else if (OPT("--claims")) {
            if (m < 0)
                return -1;
            o->claims = v;
        } else if (OPT("--seed")) {
            if (m < 0 || hl_cli_u64(CMD, "--seed", v, 0, UINT64_MAX, &o->seed) != 0)
                return -1;
            o->have_seed = true;
        } else if (a[0] == '-') {
            const char *near = hl_cli_suggest(a, flags, sizeof flags / sizeof flags[0]);
            if (near)
                return hl_cli_usage_error(CMD, "unknown option '%s': did you mean '%s'? "
                                               "(heaplab reproduce --help)", a, near), -1;
            return hl_cli_usage_error(CMD, "unknown option '%s' (heaplab reproduce --help)", a),
                   -1;
        } else {
            if (o->n_ids == sizeof o->ids / sizeof o->ids[0])
                return hl_cli_usage_error(CMD, "too many claim ids: use patterns "
                                               "('mimalloc-*')"), -1;
            o->ids[o->n_ids++] = a;
        }
#undef OPT
#undef FLAG
    }
    if (o->resume) {
        if (o->list || o->quick || o->bench_dir || o->n_pythons || o->out || o->claims ||
            o->have_seed || o->n_ids || o->dry_run)
            return hl_cli_usage_error(CMD, "--resume takes the claims and options stored in %s: "
                                           "give --resume DIR alone", o->resume), -1;
        if (!hl_is_dir(o->resume))
            return hl_cli_usage_error(CMD, "--resume %s: not a directory: give the DIR of an "
                                           "earlier heaplab reproduce", o->resume), -1;
    }
    if (o->list && (o->out || o->bench_dir || o->quick || o->dry_run))
        return hl_cli_usage_error(CMD, "--list only lists: drop the other options"), -1;
    return 0;
}

/* A resumed reproduction reports the whole of it: the first invocation's
 * start and load, and the running time of every invocation (a resume that
 * only re-judges adds nothing).  Returns the earlier seconds; 0 without an
 * earlier reproduce.json. */
static double earlier_invocations(hl_repro *r)
{
    char path[4200], err[256];
    hl_cli_bprintf(path, sizeof path, "%s/reproduce.json", r->dir);
    hl_json *doc = hl_json_parse_file(path, err, sizeof err);
    if (doc == NULL)
        return 0;
    const char *started = hl_json_get_str(doc, "started", NULL);
    if (started && strlen(started) < sizeof r->started)
        hl_cli_bprintf(r->started, sizeof r->started, "%s", started);
    double load = hl_json_get_num(hl_json_get(doc, "machine"), "load_1min_at_start", -1);
    if (load >= 0)
        r->load1 = load;
    double s = hl_json_get_num(doc, "seconds", 0);
    hl_json_free(doc);
    return s > 0 && s < 1e9 ? s : 0;
}

/* ---- the plan file ------------------------------------------------------------------- */

static int save_plan(const hl_repro *r, char *err, size_t errlen)
{
    char path[4200];
    hl_cli_bprintf(path, sizeof path, "%s/reproduce-plan.json", r->dir);
    hl_atomic_file af;
    hl_jw w;
    if (hl_jw_file_begin(&af, &w, path, err, errlen) != 0)
        return -1;
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", HL_REPRO_PLAN_FORMAT);
    hl_jw_int(&w, "format_version", HL_REPRO_VERSION);
    hl_jw_arr_begin(&w, "claims");
    for (size_t i = 0; i < r->n_selected; i++)
        hl_jw_str(&w, NULL, r->selected[i].c->id);
    hl_jw_arr_end(&w);
    hl_repro_write_options(&w, r); /* as reproduce.json's "options" */
    hl_jw_str(&w, "command", r->command);
    hl_jw_obj_end(&w);
    return hl_jw_file_commit(&af, &w, true, err, errlen);
}

/* Reads DIR/reproduce-plan.json into o (the doc stays alive in *doc). */
static int load_plan(const char *dir, repro_opts *o, hl_json **doc, char *cmdline,
                     size_t cmdlen, char *err, size_t errlen)
{
    char path[4200];
    hl_cli_bprintf(path, sizeof path, "%s/reproduce-plan.json", dir);
    *doc = hl_json_parse_file(path, err, errlen);
    if (!*doc)
        return -1;
    hl_jread r;
    hl_jread_init(&r, "reproduce-plan.json", err, errlen);
    hl_jread_header(&r, *doc, HL_REPRO_PLAN_FORMAT, HL_REPRO_VERSION, "a reproduce plan", false);
    const hl_json *ids = hl_jread_arr(&r, *doc, "", "claims", true);
    for (size_t i = 0; ids && i < ids->len && !r.failed; i++) {
        if (ids->items[i].type != HL_JSTR || i >= sizeof o->ids / sizeof o->ids[0])
            hl_jread_fail(&r, "claims", "item %zu is not a claim id", i);
        else
            o->ids[o->n_ids++] = ids->items[i].str;
    }
    hl_jread_bool(&r, *doc, "", "quick", true, &o->quick);
    const hl_json *bd = hl_json_get(*doc, "bench_dir");
    if (bd && bd->type == HL_JSTR)
        o->bench_dir = bd->str;
    const hl_json *py = hl_jread_arr(&r, *doc, "", "pythons", true);
    for (size_t i = 0; py && i < py->len && i < 8 && !r.failed; i++)
        if (py->items[i].type == HL_JSTR)
            o->pythons[o->n_pythons++] = py->items[i].str;
    char seed[32] = "";
    hl_jread_str(&r, *doc, "", "seed", true, false, seed, sizeof seed);
    if (!r.failed) {
        char *end = NULL;
        o->seed = strtoull(seed, &end, 10);
        o->have_seed = end && *end == '\0' && seed[0];
        if (!o->have_seed)
            hl_jread_fail(&r, "seed", "'%s' is not a number", seed);
    }
    hl_jread_str(&r, *doc, "", "command", true, false, cmdline, cmdlen);
    return r.failed ? -1 : 0;
}

/* ---- selection ------------------------------------------------------------------------- */

static int select_claims(hl_repro *r, const repro_opts *o)
{
    r->selected = calloc(r->claims.n_claims, sizeof *r->selected);
    if (!r->selected)
        return hl_cli_usage_error(CMD, "out of memory");
    bool all = o->n_ids == 0;
    for (size_t k = 0; k < o->n_ids; k++)
        all |= strcmp(o->ids[k], "all") == 0;
    for (size_t k = 0; k < o->n_ids && !all; k++) {
        bool any = false;
        for (size_t i = 0; i < r->claims.n_claims; i++)
            any |= fnmatch(o->ids[k], r->claims.claims[i].id, 0) == 0;
        if (!any) {
            const char *ids[512];
            size_t n = 0;
            for (size_t i = 0; i < r->claims.n_claims && n < 512; i++)
                ids[n++] = r->claims.claims[i].id;
            const char *near = hl_cli_suggest(o->ids[k], ids, n);
            if (near)
                return hl_cli_usage_error(CMD, "no claim '%s': did you mean '%s'? (heaplab "
                                               "reproduce --list)", o->ids[k], near);
            return hl_cli_usage_error(CMD, "no claim '%s' (heaplab reproduce --list shows the "
                                           "ids; patterns such as 'pep*' work)", o->ids[k]);
        }
    }
    for (size_t i = 0; i < r->claims.n_claims; i++) {
        bool take = all;
        for (size_t k = 0; k < o->n_ids && !take; k++)
            take = fnmatch(o->ids[k], r->claims.claims[i].id, 0) == 0;
        if (take)
            r->selected[r->n_selected++].c = &r->claims.claims[i];
    }
    return 0;
}

/* ---- interpreters ------------------------------------------------------------------------ */

static bool interp_fits(const hl_pyinterp *py, const char *want)
{
    if (py->free_threaded || py->debug)
        return false;
    if (strcmp(want, "any") == 0)
        return true;
    char v[16];
    hl_cli_bprintf(v, sizeof v, "%u.%u", py->major, py->minor);
    return strcmp(v, want) == 0;
}

/* name looked up in PATH (names with a '/' as they are), into out. */
static bool which(const char *name, char *out, size_t outlen)
{
    if (strchr(name, '/')) {
        hl_cli_bprintf(out, outlen, "%s", name);
        return access(name, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        hl_cli_bprintf(out, outlen, "%.*s/%s", (int)n, path, name);
        if (n > 0 && access(out, X_OK) == 0 && !hl_is_dir(out))
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

/* An interpreter for an experiment's python ("any" or "3.N"), or false
 * with why. */
static bool find_python(const hl_repro *r, const hl_claims_exp *x, hl_pyinterp *out, char *why,
                        size_t whylen)
{
    const char *cands[64];
    size_t n = 0;
    for (size_t i = 0; i < r->n_pythons; i++)
        cands[n++] = r->pythons[i];
    glob_t g;
    memset(&g, 0, sizeof g);
    const char *home = getenv("HOME");
    char pat[4200] = "";
    if (strcmp(x->python, "any") == 0) {
        /* the system's interpreter first: a pyenv shim on PATH is a shell
         * script, which would be measured with the interpreter it starts */
        cands[n++] = "/usr/bin/python3";
        cands[n++] = "python3";
    } else {
        if (home) {
            hl_cli_bprintf(pat, sizeof pat, "%s/.pyenv/versions/%s*/bin/python3", home, x->python);
            if (glob(pat, 0, NULL, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc && n < 60; i++)
                    cands[n++] = g.gl_pathv[i];
        }
        static char named[32];
        hl_cli_bprintf(named, sizeof named, "python%s", x->python);
        cands[n++] = named;
    }
    bool found = false;
    bool need_mimalloc = false;
    for (size_t i = 0; i < x->n_backends; i++)
        need_mimalloc |= strcmp(x->backends[i], "mimalloc") == 0;
    char last[600] = "";
    for (size_t i = 0; i < n && !found; i++) {
        char err[512], exe[4200];
        hl_pyinterp py;
        if (!which(cands[i], exe, sizeof exe) || (i >= r->n_pythons && strstr(exe, "/shims/")))
            continue;
        if (hl_pyconfig_query(exe, NULL, &py, err, sizeof err) != 0) {
            if (i < r->n_pythons)
                hl_cli_bprintf(last, sizeof last, "%s", err);
            continue;
        }
        if (!interp_fits(&py, x->python))
            continue;
        if (need_mimalloc && !py.with_mimalloc) {
            hl_cli_bprintf(last, sizeof last, "CPython %s at %s was built without mimalloc",
                     py.version, py.path);
            continue;
        }
        *out = py;
        found = true;
    }
    globfree(&g);
    if (!found) {
        if (strcmp(x->python, "any") == 0)
            hl_cli_bprintf(why, whylen, "no CPython interpreter: give --python PATH%s%s",
                     last[0] ? " (" : "", last[0] ? last : "");
        else
            hl_cli_bprintf(why, whylen, "no CPython %s%s%s%s: give --python PATH of one, or install "
                                  "one (e.g. pyenv install %s)",
                     x->python, need_mimalloc ? " built with mimalloc" : "",
                     last[0] ? "; " : "", last, x->python);
    }
    return found;
}

/* ---- planning -------------------------------------------------------------------------------- */

static void add_arg(hl_repro_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_arg(hl_repro_run *run, const char *fmt, ...)
{
    if (run->argc + 1 >= HL_REPRO_MAX_ARGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (s)
        run->argv[run->argc++] = s;
    run->argv[run->argc] = NULL;
}

static void add_params(hl_repro_run *run, const hl_claims_exp *x, bool quick)
{
    for (size_t i = 0; i < x->n_params; i++) {
        const hl_claims_param *p = &x->params[i];
        for (size_t q = 0; quick && q < x->n_quick_params; q++)
            if (strcmp(x->quick_params[q].name, p->name) == 0)
                p = &x->quick_params[q];
        char vals[512] = "";
        size_t used = 0;
        for (size_t k = 0; k < p->n && used + 24 < sizeof vals; k++)
            used += (size_t)snprintf(vals + used, sizeof vals - used, "%s%lld", k ? "," : "",
                                     (long long)p->v[k]);
        add_arg(run, "--param");
        add_arg(run, "%s=%s", p->name, vals);
    }
    for (size_t q = 0; quick && q < x->n_quick_params; q++) {
        bool in_params = false;
        for (size_t i = 0; i < x->n_params; i++)
            in_params |= strcmp(x->params[i].name, x->quick_params[q].name) == 0;
        if (in_params)
            continue;
        const hl_claims_param *p = &x->quick_params[q];
        char vals[512] = "";
        size_t used = 0;
        for (size_t k = 0; k < p->n && used + 24 < sizeof vals; k++)
            used += (size_t)snprintf(vals + used, sizeof vals - used, "%s%lld", k ? "," : "",
                                     (long long)p->v[k]);
        add_arg(run, "--param");
        add_arg(run, "%s=%s", p->name, vals);
    }
}

static void join_list(const char *const *items, size_t n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 2 < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? "," : "", items[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* Is a suite file section marked quick_skip?  (The suite format,
 * docs/suite-files.md: "[name]" starts a section, "key = value" lines.) */
static bool suite_quick_skip(const char *suite, const char *section)
{
    FILE *f = fopen(suite, "r");
    if (!f)
        return false;
    char line[4200];
    bool in = false, skip = false;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '[') {
            char name[128];
            if (sscanf(p, "[%127[^]]]", name) == 1)
                in = strcmp(name, section) == 0;
            continue;
        }
        if (in && strncmp(p, "quick_skip", 10) == 0 && (p[10] == ' ' || p[10] == '='))
            skip = true;
    }
    fclose(f);
    return skip;
}

static hl_repro_run *new_run(hl_repro *r, const hl_claims_exp *x, const char *variant,
                             bool original)
{
    if (r->n_runs == sizeof r->runs / sizeof r->runs[0])
        return NULL;
    hl_repro_run *run = &r->runs[r->n_runs++];
    memset(run, 0, sizeof *run);
    run->exp = x;
    run->variant = variant;
    run->original = original;
    hl_cli_bprintf(run->name, sizeof run->name, "%s%s%s%s", x->name, variant[0] ? "." : "", variant,
             original ? ".original" : "");
    hl_cli_bprintf(run->dir, sizeof run->dir, "%s/%s", r->dir, run->name);
    run->state = HL_RR_PLANNED;
    return run;
}

static void plan_common(const hl_repro *r, hl_repro_run *run, const hl_claims_exp *x)
{
    unsigned reps = r->quick ? x->quick_repetitions : x->repetitions;
    add_arg(run, "--repetitions");
    add_arg(run, "%u", reps);
    add_arg(run, "--seed");
    add_arg(run, "%llu", r->seed);
    add_arg(run, "--out");
    add_arg(run, "%s", run->dir);
}

static void plan_experiment(hl_repro *r, const hl_claims_exp *x)
{
    char list[4096];
    size_t nv = x->n_variants ? x->n_variants : 1;
    for (size_t v = 0; v < nv; v++) {
        hl_repro_run *run = new_run(r, x, x->n_variants ? x->variants[v].name : "", false);
        if (!run)
            return;
        if (x->n_workloads == 0 && x->n_commands == 0) {
            run->state = HL_RR_UNAVAILABLE;
            hl_cli_bprintf(run->why, sizeof run->why, "heaplab has no version of these programs "
                                                "(only the originals, with --bench-dir)");
            continue;
        }
        add_arg(run, "/proc/self/exe");
        add_arg(run, "run");
        if (x->n_commands) {
            hl_pyinterp py;
            if (x->python[0]) {
                if (!find_python(r, x, &py, run->why, sizeof run->why)) {
                    run->state = HL_RR_UNAVAILABLE;
                    continue;
                }
                add_arg(run, "--python");
                add_arg(run, "%s", py.path);
            }
            for (size_t c = 0; c < x->n_commands; c++) {
                char args[4096];
                expand_src(x->commands[c].args, r->src_dir, args, sizeof args);
                add_arg(run, "--command-name");
                add_arg(run, "%s=%s", x->commands[c].name, args);
            }
            if (x->throughput[0]) {
                add_arg(run, "--throughput");
                add_arg(run, "%s", x->throughput);
            }
        } else {
            add_arg(run, "%s", x->size);
            join_list(x->workloads, x->n_workloads, list, sizeof list);
            add_arg(run, "--workloads");
            add_arg(run, "%s", list);
            if (x->threads != HL_CLAIMS_THREADS_ANY) {
                add_arg(run, "--threads");
                add_arg(run, "%u", x->threads == HL_CLAIMS_THREADS_NPROC ? r->nproc
                                                                         : (unsigned)x->threads);
            }
            add_params(run, x, r->quick);
            add_arg(run, "--min-time");
            add_arg(run, "%g", r->quick ? x->quick_min_time : x->min_time);
        }
        join_list(x->backends, x->n_backends, list, sizeof list);
        add_arg(run, "--backends");
        add_arg(run, "%s", list);
        for (size_t k = 0; x->n_variants && k < x->variants[v].n_options; k++) {
            add_arg(run, "--model-option");
            add_arg(run, "%s", x->variants[v].model_options[k]);
        }
        plan_common(r, run, x);
    }
    if (x->n_originals == 0)
        return;
    hl_repro_run *run = new_run(r, x, "", true);
    if (!run)
        return;
    if (!r->bench_dir) {
        run->state = HL_RR_UNAVAILABLE;
        hl_cli_bprintf(run->why, sizeof run->why, "the original programs run only with --bench-dir "
                                            "DIR, a build of mimalloc-bench "
                                            "(docs/suite-files.md)");
        return;
    }
    char suite[4200];
    hl_cli_bprintf(suite, sizeof suite, "%s/workloads/suites/mimalloc-bench.suite", r->src_dir);
    if (!hl_is_regular_file(suite)) {
        run->state = HL_RR_UNAVAILABLE;
        hl_cli_bprintf(run->why, sizeof run->why, "this heaplab has no %s to run the originals with",
                 suite);
        return;
    }
    const char *names[HL_CLAIMS_MAX_LIST];
    size_t n = 0;
    for (size_t i = 0; i < x->n_originals; i++)
        if (!r->quick || !suite_quick_skip(suite, x->originals[i].original))
            names[n++] = x->originals[i].original;
    if (n == 0) {
        run->state = HL_RR_UNAVAILABLE;
        hl_cli_bprintf(run->why, sizeof run->why, "the suite file leaves these programs out of the "
                                            "quick suite: run without --quick");
        return;
    }
    add_arg(run, "/proc/self/exe");
    add_arg(run, "run");
    add_arg(run, "%s", r->quick ? "quick" : "full");
    add_arg(run, "--suite");
    add_arg(run, "%s", suite);
    add_arg(run, "--bench-dir");
    add_arg(run, "%s", r->bench_dir);
    join_list(names, n, list, sizeof list);
    add_arg(run, "--workloads");
    add_arg(run, "%s", list);
    join_list(x->backends, x->n_backends, list, sizeof list);
    add_arg(run, "--backends");
    add_arg(run, "%s", list);
    plan_common(r, run, x);
}

static void plan_runs(hl_repro *r)
{
    for (size_t e = 0; e < r->claims.n_experiments; e++) {
        bool needed = false;
        for (size_t i = 0; i < r->n_selected && !needed; i++)
            for (size_t k = 0; k < r->selected[i].c->n_experiments; k++)
                needed |= r->selected[i].c->experiments[k] == e;
        if (needed)
            plan_experiment(r, &r->claims.experiments[e]);
    }
}

static void print_argv(const hl_repro_run *run, FILE *out)
{
    for (size_t i = 0; i < run->argc; i++) {
        char q[4200];
        hl_cli_quote_word(i == 0 ? "heaplab" : run->argv[i], q, sizeof q);
        fprintf(out, "%s%s", i ? " " : "", q);
    }
    fputc('\n', out);
}

/* ---- running ---------------------------------------------------------------------------------- */

/* Loads a run's result set; false with why. */
static bool load_run(hl_repro_run *run)
{
    char err[1024];
    if (hl_results_load(&run->rs, run->dir, err, sizeof err) != 0) {
        hl_cli_bprintf(run->why, sizeof run->why, "%s", err);
        return false;
    }
    run->loaded = true;
    return true;
}

/* Runs (or resumes) one child; returns false when interrupted. */
static bool execute(hl_repro *r, hl_repro_run *run, size_t index, size_t total)
{
    char results[4200];
    hl_cli_bprintf(results, sizeof results, "%s/results.json", run->dir);
    bool resume = false;
    if (hl_path_exists(results)) {
        if (load_run(run)) {
            if (run->rs.complete) {
                run->state = HL_RR_DONE;
                printf("[%zu/%zu] %s: complete already, kept\n", index, total, run->name);
                return true;
            }
            hl_results_free(&run->rs);
            run->loaded = false;
        }
        resume = true;
    }
    char *argv[8];
    char *const *av = run->argv;
    if (resume) {
        argv[0] = "/proc/self/exe";
        argv[1] = "run";
        argv[2] = "--resume";
        argv[3] = run->dir;
        argv[4] = NULL;
        av = argv;
    }
    char out[4200], errp[4200], logs[4200], err[600];
    hl_cli_bprintf(logs, sizeof logs, "%s/logs", r->dir);
    if (hl_mkdir_p(logs, err, sizeof err) != 0) {
        run->state = HL_RR_FAILED;
        hl_cli_bprintf(run->why, sizeof run->why, "%s", err);
        return true;
    }
    hl_cli_bprintf(out, sizeof out, "%s/%s.out", logs, run->name);
    hl_cli_bprintf(errp, sizeof errp, "%s/%s.err", logs, run->name);
    printf("[%zu/%zu] %s: %s (log: %s)\n", index, total, run->name,
           resume ? "resuming" : "running", out);
    fflush(stdout);
    hl_run_opts ro = {.path = "/proc/self/exe", .argv = av, .stdout_path = out,
                      .stderr_path = errp};
    hl_run_result res;
    double t0 = hl_cli_now_s();
    hl_runner_run(&ro, &res);
    run->seconds = hl_cli_now_s() - t0;
    if (res.outcome == HL_RUN_INTERRUPTED ||
        (res.outcome == HL_RUN_EXITED && res.exit_code == HL_EXIT_INTERRUPTED)) {
        run->state = HL_RR_FAILED;
        hl_cli_bprintf(run->why, sizeof run->why, "interrupted");
        return false;
    }
    if (res.outcome == HL_RUN_EXITED && res.exit_code == HL_EXIT_USAGE) {
        char line[600];
        hl_cli_last_line(errp, line, sizeof line);
        run->state = HL_RR_UNAVAILABLE;
        hl_cli_bprintf(run->why, sizeof run->why, "this heaplab cannot run it: %s",
                 line[0] ? line : "heaplab run refused its command line");
        printf("        unavailable: %s\n", run->why);
        return true;
    }
    if (res.outcome != HL_RUN_EXITED || (res.exit_code != 0 && res.exit_code != HL_EXIT_FAIL)) {
        char line[600];
        hl_cli_last_line(errp, line, sizeof line);
        run->state = HL_RR_FAILED;
        hl_cli_bprintf(run->why, sizeof run->why, "heaplab run %s %d: %s",
                 res.outcome == HL_RUN_EXITED ? "exited with" : "died of signal",
                 res.outcome == HL_RUN_EXITED ? res.exit_code : res.signo, line);
        printf("        failed: %s\n", run->why);
        return true;
    }
    if (!load_run(run)) {
        run->state = HL_RR_FAILED;
        printf("        failed: %s\n", run->why);
        return true;
    }
    run->state = res.exit_code == 0 ? HL_RR_DONE : HL_RR_PARTIAL;
    if (run->state == HL_RR_PARTIAL)
        hl_cli_bprintf(run->why, sizeof run->why, "some cells failed (heaplab show %s)", run->dir);
    printf("        %s in %.0f s\n", run->state == HL_RR_DONE ? "done" : "done, some cells failed",
           run->seconds);
    return true;
}

/* ---- judging ------------------------------------------------------------------------------------ */

static size_t claim_sets(const hl_repro *r, const hl_claim *c, hl_mset *sets, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k < c->n_experiments; k++) {
        const hl_claims_exp *x = &r->claims.experiments[c->experiments[k]];
        for (size_t i = 0; i < r->n_runs && n < max; i++) {
            const hl_repro_run *run = &r->runs[i];
            if (run->exp != x)
                continue;
            hl_mset *s = &sets[n++];
            s->experiment = x->name;
            s->variant = run->variant;
            s->first_variant = x->n_variants == 0 || strcmp(run->variant, x->variants[0].name) == 0;
            s->original = run->original;
            s->parallel_min = run->original ? NAN : x->parallel_min;
            s->rs = run->loaded ? &run->rs : NULL;
            s->why = run->why[0] ? run->why : "the experiment did not run";
        }
    }
    return n;
}

static void judge_all(hl_repro *r)
{
    for (size_t i = 0; i < r->n_selected; i++) {
        hl_repro_claim *rc = &r->selected[i];
        hl_mset sets[64];
        hl_mctx mc = {claim_sets(r, rc->c, sets, 64), sets, r->nproc};
        hl_judge(&r->claims, &rc->c->rule, hl_measure_eval, &mc, false, &rc->j);
        if (rc->c->rule.kind != HL_RULE_CLASS_RANK)
            continue;
        bool orig = false;
        for (size_t k = 0; k < mc.n; k++)
            orig |= sets[k].original && sets[k].rs;
        if (orig) {
            rc->has_original = true;
            hl_judge(&r->claims, &rc->c->rule, hl_measure_eval, &mc, true, &rc->jo);
        }
    }
}

static hl_claims_measure pair_measure(const char *workload, const char *num, const char *den,
                                      bool original)
{
    hl_claims_measure m;
    memset(&m, 0, sizeof m);
    m.kind = HL_MEASURE_RATIO;
    m.metric = m.den_metric = "time";
    m.num.workload = m.den.workload = workload;
    m.num.backend = num;
    m.den.backend = den;
    m.num.variant = m.den.variant = "";
    m.num.threads = m.den.threads = HL_CLAIMS_THREADS_ANY;
    m.num.original = m.den.original = original;
    m.scale = m.per = m.unit = 1;
    return m;
}

static void compare_originals(hl_repro *r)
{
    for (size_t i = 0; i < r->n_runs; i++) {
        const hl_repro_run *orun = &r->runs[i];
        if (!orun->original || !orun->loaded)
            continue;
        const hl_claims_exp *x = orun->exp;
        hl_mset sets[8];
        size_t n = 0;
        for (size_t k = 0; k < r->n_runs && n < 8; k++)
            if (r->runs[k].exp == x)
                sets[n++] = (hl_mset){x->name, r->runs[k].variant, true, r->runs[k].original,
                                      r->runs[k].original ? NAN : x->parallel_min,
                                      r->runs[k].loaded ? &r->runs[k].rs : NULL,
                                      r->runs[k].why[0] ? r->runs[k].why : "did not run"};
        hl_mctx mc = {n, sets, r->nproc};
        for (size_t o = 0; o < x->n_originals && r->n_agree < 16; o++) {
            if (!x->originals[o].workload[0])
                continue;
            hl_repro_agree *a = &r->agree[r->n_agree++];
            memset(a, 0, sizeof *a);
            a->experiment = x->name;
            a->workload = x->originals[o].workload;
            a->original = x->originals[o].original;
            a->measured = true;
            a->agrees = true;
            for (size_t p = 0; p < x->n_backends; p++)
                for (size_t q = p + 1; q < x->n_backends; q++) {
                    hl_claims_measure om = pair_measure(a->original, x->backends[p],
                                                        x->backends[q], true);
                    hl_measured ov;
                    hl_measure_eval(&mc, &om, true, &ov);
                    if (!ov.ok) {
                        a->measured = false;
                        hl_cli_bprintf(a->why, sizeof a->why, "original: %s", ov.why);
                        continue;
                    }
                    if (ov.lo <= 1 && ov.hi >= 1) {
                        a->n_noise++;
                        continue;
                    }
                    bool p_slow = ov.lo > 1;
                    const char *slow = x->backends[p_slow ? p : q];
                    const char *fast = x->backends[p_slow ? q : p];
                    hl_claims_measure hm = pair_measure(a->workload, slow, fast, false);
                    hl_measured hv;
                    hl_measure_eval(&mc, &hm, false, &hv);
                    if (!hv.ok) {
                        a->measured = false;
                        hl_cli_bprintf(a->why, sizeof a->why, "heaplab: %s", hv.why);
                        continue;
                    }
                    if (a->n_pairs == sizeof a->pairs / sizeof a->pairs[0])
                        continue;
                    hl_repro_pair *pr = &a->pairs[a->n_pairs++];
                    pr->slow = slow;
                    pr->fast = fast;
                    pr->o = p_slow ? ov.value : 1 / ov.value;
                    pr->o_lo = p_slow ? ov.lo : 1 / ov.hi;
                    pr->o_hi = p_slow ? ov.hi : 1 / ov.lo;
                    pr->h = hv.value;
                    pr->h_lo = hv.lo;
                    pr->h_hi = hv.hi;
                    pr->agrees = hv.value > 1;
                    pr->significant = hv.lo > 1 || hv.hi < 1;
                    a->agrees &= pr->agrees;
                }
        }
    }
}

/* ---- --list ------------------------------------------------------------------------------------ */

static void list_claims(const hl_repro *r)
{
    printf("%zu claims in %s:\n", r->n_selected, r->claims_path);
    for (size_t i = 0; i < r->n_selected; i++) {
        const hl_claim *c = r->selected[i].c;
        const char *title = hl_json_get_str(c->source, "title", "");
        double year = hl_json_get_num(c->source, "year", NAN);
        printf("\n%s  [%s]\n  %s\n  source: %s", c->id, hl_rule_kind_name(c->rule.kind), c->claim,
               title);
        if (isfinite(year))
            printf(" (%d)", (int)year);
        printf("\n");
        if (c->not_comparable[0]) {
            printf("  not comparable here: %s\n", c->not_comparable);
            continue;
        }
        printf("  experiments:");
        for (size_t k = 0; k < c->n_experiments; k++)
            printf(" %s", r->claims.experiments[c->experiments[k]].name);
        printf("\n");
    }
}

/* ---- the command ------------------------------------------------------------------------------- */

static void free_repro(hl_repro *r)
{
    for (size_t i = 0; i < r->n_runs; i++) {
        for (size_t k = 0; k < r->runs[i].argc; k++)
            free(r->runs[i].argv[k]);
        if (r->runs[i].loaded)
            hl_results_free(&r->runs[i].rs);
    }
    for (size_t i = 0; r->selected && i < r->n_selected; i++) {
        hl_judgement_free(&r->selected[i].j);
        hl_judgement_free(&r->selected[i].jo);
    }
    free(r->selected);
    hl_claims_free(&r->claims);
}

static void make_command(hl_repro *r, const repro_opts *o)
{
    int w = snprintf(r->command, sizeof r->command, "heaplab reproduce");
    for (size_t i = 0; i < o->n_ids && w > 0 && (size_t)w < sizeof r->command; i++)
        w += snprintf(r->command + w, sizeof r->command - (size_t)w, " %s", o->ids[i]);
    if (o->n_ids == 0 && w > 0 && (size_t)w < sizeof r->command)
        w += snprintf(r->command + w, sizeof r->command - (size_t)w, " all");
    if (r->quick && w > 0 && (size_t)w < sizeof r->command)
        w += snprintf(r->command + w, sizeof r->command - (size_t)w, " --quick");
    if (r->bench_dir && w > 0 && (size_t)w < sizeof r->command)
        w += snprintf(r->command + w, sizeof r->command - (size_t)w, " --bench-dir %s",
                      r->bench_dir);
    for (size_t i = 0; i < r->n_pythons && w > 0 && (size_t)w < sizeof r->command; i++)
        w += snprintf(r->command + w, sizeof r->command - (size_t)w, " --python %s",
                      r->pythons[i]);
    if (o->claims && w > 0 && (size_t)w < sizeof r->command)
        hl_cli_bprintf(r->command + w, sizeof r->command - (size_t)w, " --claims %s", o->claims);
}

/* The claims file (a resumed run's copy, --claims, or the published one),
 * loaded, and the claims selected.  HL_EXIT_OK, or the exit status after
 * one line; *plan_doc holds a resumed run's plan (freed by the caller). */
static int open_claims(hl_repro *r, repro_opts *o, hl_json **plan_doc)
{
    char err[2048];
    hl_cli_source_dir(r->src_dir, sizeof r->src_dir);
    if (o->resume) {
        hl_cli_bprintf(r->dir, sizeof r->dir, "%s", o->resume);
        if (load_plan(o->resume, o, plan_doc, r->command, sizeof r->command, err, sizeof err) != 0)
            return hl_cli_usage_error(CMD, "--resume %s: %s", o->resume, err);
        hl_cli_bprintf(r->claims_path, sizeof r->claims_path, "%s/claims.json", o->resume);
    } else if (o->claims) {
        hl_cli_bprintf(r->claims_path, sizeof r->claims_path, "%s", o->claims);
    } else {
        hl_cli_bprintf(r->claims_path, sizeof r->claims_path, "%s/results/published/claims.json",
                       r->src_dir);
    }
    if (!hl_is_regular_file(r->claims_path))
        return hl_cli_usage_error(CMD, "%s: no such file: give the claims file with --claims "
                                       "FILE (docs/claims-format.md)", r->claims_path);
    if (hl_claims_load(&r->claims, r->claims_path, err, sizeof err) != 0)
        return hl_cli_usage_error(CMD, "%s", err);
    return select_claims(r, o) != 0 ? HL_EXIT_USAGE : HL_EXIT_OK;
}

/* The options and the machine this reproduction is scaled to. */
static void take_settings(hl_repro *r, const repro_opts *o)
{
    r->quick = o->quick;
    r->bench_dir = o->bench_dir;
    r->n_pythons = o->n_pythons;
    memcpy(r->pythons, o->pythons, sizeof r->pythons);
    if (o->have_seed) {
        r->seed = o->seed;
    } else {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        uint64_t s = (uint64_t)tv.tv_sec * 1000003u ^ (uint64_t)tv.tv_usec ^ (uint64_t)getpid();
        r->seed = s % 1000000000u;
    }
    long np = sysconf(_SC_NPROCESSORS_ONLN);
    r->nproc = np > 0 ? (unsigned)np : 1;
    cpu_model(r->cpu, sizeof r->cpu);
    r->load1 = load1();
}

/* A new reproduction's directory: --out, or the next free default; it must
 * be new or empty.  HL_EXIT_OK, or the exit status after one line. */
static int choose_dir(hl_repro *r, const repro_opts *o)
{
    make_command(r, o);
    if (o->out)
        hl_cli_bprintf(r->dir, sizeof r->dir, "%s", o->out);
    else if (hl_cli_default_out("reproduce", r->quick, r->dir, sizeof r->dir) != 0)
        return hl_cli_usage_error(CMD, "no free results/<date>-reproduce-N: give --out DIR");
    if (hl_path_exists(r->dir) && (!hl_is_dir(r->dir) || !hl_cli_dir_empty(r->dir)))
        return hl_cli_usage_error(CMD, "--out %s already exists and is not empty: choose "
                                       "another DIR, or finish it with --resume %s",
                                  r->dir, r->dir);
    return HL_EXIT_OK;
}

static void print_dry_run(const hl_repro *r)
{
    printf("heaplab reproduce: %zu claims, %zu runs into %s (%s; threads = nproc = %u)\n",
           r->n_selected, r->n_runs, r->dir, r->quick ? "quick" : "full", r->nproc);
    for (size_t i = 0; i < r->n_runs; i++) {
        printf("%s: ", r->runs[i].name);
        if (r->runs[i].state == HL_RR_UNAVAILABLE)
            printf("not run: %s\n", r->runs[i].why);
        else
            print_argv(&r->runs[i], stdout);
    }
}

/* The directory made and locked for this process's life; a new one gets
 * its copy of the claims and its plan.  HL_EXIT_OK, or the exit status. */
static int prepare_dir(hl_repro *r, const repro_opts *o)
{
    char err[2048];
    if (hl_mkdir_p(r->dir, err, sizeof err) != 0)
        return hl_cli_usage_error(CMD, "--out %s: %s", r->dir, err);
    if (hl_dir_lock(r->dir, err, sizeof err) < 0)
        return hl_cli_usage_error(CMD, "%s", err);
    if (o->resume)
        return HL_EXIT_OK;
    char copy[4200];
    hl_cli_bprintf(copy, sizeof copy, "%s/claims.json", r->dir);
    if (copy_file(r->claims_path, copy, err, sizeof err) != 0 ||
        save_plan(r, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab reproduce: %s\n", err);
        return HL_EXIT_FAIL;
    }
    return HL_EXIT_OK;
}

/* Every planned run, in order, until one is interrupted. */
static void execute_all(hl_repro *r, const repro_opts *o)
{
    hl_metadata_now_iso(r->started, sizeof r->started);
    double seconds_before = o->resume ? earlier_invocations(r) : 0;
    printf("heaplab reproduce: %zu claims, %zu runs, into %s\n", r->n_selected, r->n_runs, r->dir);
    printf("This machine: %s, %u CPUs, load %.1f.  Scaled to it: threads = nproc = %u; %s.\n",
           r->cpu, r->nproc, r->load1, r->nproc,
           r->quick ? "--quick: the experiments' quick repetitions and sizes"
                    : "each experiment's repetitions and sizes (reproduce.md lists them)");
    fflush(stdout);
    hl_runner_install_signal_handlers();
    double t0 = hl_cli_now_s();
    size_t total = 0, k = 0;
    for (size_t i = 0; i < r->n_runs; i++)
        total += r->runs[i].state == HL_RR_PLANNED;
    for (size_t i = 0; i < r->n_runs && !r->interrupted; i++)
        if (r->runs[i].state == HL_RR_PLANNED && !execute(r, &r->runs[i], ++k, total))
            r->interrupted = true;
    r->seconds = seconds_before + hl_cli_now_s() - t0;
    hl_metadata_now_iso(r->finished, sizeof r->finished);
}

/* Verdicts, charts and reports of a finished reproduction: its status. */
static int finish(hl_repro *r)
{
    char err[2048];
    int status = HL_EXIT_OK;
    judge_all(r);
    compare_originals(r);
    hl_repro_charts(r);
    if (hl_repro_write(r, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab reproduce: %s\n", err);
        status = HL_EXIT_FAIL;
    }
    hl_repro_print(r, stdout);
    for (size_t i = 0; i < r->n_runs; i++)
        if (r->runs[i].state == HL_RR_FAILED)
            status = HL_EXIT_FAIL;
    return status;
}

int hl_cli_reproduce(int argc, char **argv)
{
    repro_opts o;
    int pr = parse(argc, argv, &o);
    if (pr != 0)
        return pr > 0 ? HL_EXIT_OK : HL_EXIT_USAGE;
    static hl_repro r;
    memset(&r, 0, sizeof r);
    hl_json *plan_doc = NULL;
    int status = open_claims(&r, &o, &plan_doc);
    if (status != HL_EXIT_OK || o.list) {
        if (status == HL_EXIT_OK)
            list_claims(&r);
        goto out;
    }
    take_settings(&r, &o);
    if (!o.resume && (status = choose_dir(&r, &o)) != HL_EXIT_OK)
        goto out;
    plan_runs(&r);
    if (o.dry_run) {
        print_dry_run(&r);
        goto out;
    }
    if ((status = prepare_dir(&r, &o)) != HL_EXIT_OK)
        goto out;
    execute_all(&r, &o);
    if (r.interrupted) {
        printf("\ninterrupted: finish it with heaplab reproduce --resume %s\n", r.dir);
        status = HL_EXIT_INTERRUPTED;
        goto out;
    }
    status = finish(&r);
out:
    free_repro(&r);
    hl_json_free(plan_doc);
    return status;
}
