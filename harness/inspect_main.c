/* inspect_main.c - heaplab-inspect-<variant>: `heaplab inspect` in the
 * process that can run it.
 *
 * How it works
 * ------------
 * Inspection happens in-process, between a workload's iterations, through
 * the runtime the workload was given, so it needs the object layer and
 * the workloads linked in - which the `heaplab` driver never links, by
 * design.  So, like the cells, it is one executable per process variant
 * (hl_link_variant: the variant's allocator is the process malloc), and
 * `heaplab inspect` routes the backend to its variant and execs this
 * program with the same arguments (cli_inspect.c).  Here:
 *   1. parse and check everything that can be checked before running (one
 *      line and exit 2: unknown workload, a raw-allocator workload, a bad
 *      parameter, a backend this process cannot host);
 *   2. open the backend, make a runtime on it, enter it (the runtime lock);
 *   3. hl_inspect_run (inspect_run.c): set-up, iterations, points,
 *      verify, tear-down; a point outside the run is exit 2, and so is a
 *      --type no point of the run ever saw;
 *   4. the report (text or --format json) on stdout, the data files and
 *      pictures into --out DIR (inspect_out.c, inspect_render.c).
 * Exit: 0; 2 bad input; 3 the workload's verification failed (the report
 * is still written); 4 set-up failed; 1 anything else.
 */
#include "inspect.h"

#include "../allocators/registry.h"
#include "../objects/runtime.h"
#include "build_info.h"
#include "fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_BAD 2
#define EXIT_VERIFY 3
#define EXIT_SETUP 4

static const char usage[] =
    "usage: heaplab inspect WORKLOAD [--backend B] [--param NAME=VALUE]... [--points N|I,J,...]\n"
    "                       [--iterations N | --operations N] [--type NAME] [--depth N]\n"
    "                       [--top N] [--seed N] [--suite-size quick|full] [--sample-ms N]\n"
    "                       [--out DIR] [--format text|json] [--no-pictures] [--quiet]\n"
    "\n"
    "Runs an object-layer workload one iteration at a time and, at chosen points of its run,\n"
    "looks at its heap with the tools of CPython's world: gc.get_stats(), gc.get_count() and\n"
    "the thresholds over time; objgraph's show_most_common_types and show_growth; a\n"
    "sys.getrefcount histogram by type; objgraph's find_backref_chain from an object of a\n"
    "chosen type to a root, and the reference graphs around it (DOT, drawn with Graphviz);\n"
    "and memory_profiler's timeline with its peak, every collection and the phases.\n"
    "\n"
    "options:\n"
    "  --backend B        the allocator under the runtime (default pool)\n"
    "  --param NAME=VALUE a workload parameter (a number, or an enumeration's label)\n"
    "  --points N         N points spread evenly over the run, the first right after set-up\n"
    "                     (default 5); or I,J,...: after these many iterations (0 = set-up)\n"
    "  --iterations N     run N iterations (default: enough for --operations)\n"
    "  --operations N     about N operations (default 100000, the quick suite's fixed work)\n"
    "  --type NAME        follow an object of this type (default: the most common container\n"
    "                     type at each point); the one farthest from a root is chosen\n"
    "  --depth N          edges around it in the graphs (default: up to its root, and two\n"
    "                     levels down)\n"
    "  --top N            rows of the type tables (default 10)\n"
    "  --seed N           the workload's seed (default 1)\n"
    "  --suite-size S     quick (default) or full: the parameters' defaults\n"
    "  --sample-ms N      memory sampling period (default 5; 0: no timeline)\n"
    "  --out DIR          files and pictures (default results/<date>-inspect-<workload>)\n"
    "  --format F         text (default) or json on stdout\n"
    "  --no-pictures      write the data files only (no Graphviz, no gnuplot)\n"
    "  --quiet            no \"wrote\" lines\n";

static const char *prog = "heaplab inspect";

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_BAD;
}

typedef struct args {
    const char *workload, *backend, *out, *suite_size;
    const char *params[32];
    size_t n_params;
    const char *points;
    bool json, pictures, quiet;
    uint64_t seed;
    hl_inspect_opts o;
} args;

static int u64(const char *flag, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return bad("%s %s: give a whole number from 0 to %" PRIu64, flag, s, max);
    *out = v;
    return 0;
}

static int parse_points(args *a, const char *s)
{
    if (!strchr(s, ',')) {
        uint64_t n = 0;
        if (u64("--points", s, HL_INSPECT_MAX_POINTS, &n) != 0)
            return EXIT_BAD;
        if (n == 0)
            return bad("--points 0: give at least one point (or a list of iterations)");
        a->o.even_points = (size_t)n;
        a->o.n_points = 0;
        return 0;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    a->o.n_points = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        uint64_t v = 0;
        if (a->o.n_points == HL_INSPECT_MAX_POINTS)
            return bad("--points: at most %d points", HL_INSPECT_MAX_POINTS);
        if (u64("--points", tok, UINT64_MAX / 2, &v) != 0)
            return EXIT_BAD;
        if (a->o.n_points && v <= a->o.points[a->o.n_points - 1])
            return bad("--points %s: list the iterations in ascending order, each once", s);
        a->o.points[a->o.n_points++] = v;
    }
    return 0;
}

static int parse(args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    hl_inspect_opts_default(&a->o);
    a->backend = "pool";
    a->suite_size = "quick";
    a->pictures = true;
    a->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (strcmp(s, "--no-pictures") == 0) {
            a->pictures = false;
            continue;
        }
        if (strcmp(s, "--quiet") == 0 || strcmp(s, "-q") == 0) {
            a->quiet = true;
            continue;
        }
        if (s[0] != '-') {
            if (a->workload)
                return bad("one workload at a time ('%s' and '%s' given)", a->workload, s);
            a->workload = s;
            continue;
        }
        static const char *const with_value[] = {
            "--backend", "--param",  "--points", "--iterations", "--operations", "--type",
            "--depth",   "--top",    "--seed",   "--suite-size", "--sample-ms",  "--out",
            "--format"};
        const char *flag = NULL, *val = NULL;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0] && !flag; k++) {
            size_t n = strlen(with_value[k]);
            if (strncmp(s, with_value[k], n) == 0 && (s[n] == '\0' || s[n] == '=')) {
                flag = with_value[k];
                if (s[n] == '=')
                    val = s + n + 1;
                else if (i + 1 < argc)
                    val = argv[++i];
                else
                    return bad("%s needs a value (see heaplab inspect --help)", flag);
            }
        }
        if (!flag)
            return bad("unknown option '%s' (see heaplab inspect --help)", s);
        uint64_t v = 0;
        if (strcmp(flag, "--backend") == 0)
            a->backend = val;
        else if (strcmp(flag, "--param") == 0) {
            if (a->n_params == 32)
                return bad("--param: at most 32");
            a->params[a->n_params++] = val;
        } else if (strcmp(flag, "--points") == 0) {
            if (parse_points(a, val) != 0)
                return EXIT_BAD;
        } else if (strcmp(flag, "--iterations") == 0) {
            if (u64(flag, val, UINT64_MAX / 2, &v) != 0)
                return EXIT_BAD;
            if (v == 0)
                return bad("--iterations 0: the run needs at least one iteration");
            a->o.iterations = v;
        } else if (strcmp(flag, "--operations") == 0) {
            if (u64(flag, val, UINT64_MAX / 2, &v) != 0)
                return EXIT_BAD;
            if (v == 0)
                return bad("--operations 0: the run needs at least one operation");
            a->o.operations = v;
        } else if (strcmp(flag, "--type") == 0) {
            if (!val[0])
                return bad("--type needs a type name (int, str, tuple, list, dict or a class)");
            a->o.type = val;
        } else if (strcmp(flag, "--depth") == 0) {
            if (u64(flag, val, 64, &v) != 0)
                return EXIT_BAD;
            a->o.depth = (unsigned)v;
        } else if (strcmp(flag, "--top") == 0) {
            if (u64(flag, val, 1000, &v) != 0)
                return EXIT_BAD;
            a->o.top = (size_t)v;
        } else if (strcmp(flag, "--seed") == 0) {
            if (u64(flag, val, UINT64_MAX, &a->seed) != 0)
                return EXIT_BAD;
        } else if (strcmp(flag, "--suite-size") == 0) {
            if (strcmp(val, "quick") != 0 && strcmp(val, "full") != 0)
                return bad("--suite-size must be quick or full, not '%s'", val);
            a->suite_size = val;
        } else if (strcmp(flag, "--sample-ms") == 0) {
            if (u64(flag, val, 10000, &v) != 0)
                return EXIT_BAD;
            a->o.sample_ms = (unsigned)v;
        } else if (strcmp(flag, "--out") == 0) {
            if (!val[0])
                return bad("--out needs a directory");
            a->out = val;
        } else if (strcmp(flag, "--format") == 0) {
            if (strcmp(val, "json") != 0 && strcmp(val, "text") != 0)
                return bad("--format must be text or json, not '%s'", val);
            a->json = strcmp(val, "json") == 0;
        }
    }
    if (!a->workload)
        return bad("give the workload to inspect: heaplab inspect WORKLOAD (heaplab list "
                   "workloads shows them; the object-layer ones can be inspected)");
    return 0;
}

/* The workload, and that it is on the object layer. */
static int find_workload(const char *name, const hl_workload **out)
{
    char objs[600] = "";
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *w = hl_workload_at(i);
        if (w->layer == HL_LAYER_OBJECTS)
            snprintf(objs + strlen(objs), sizeof objs - strlen(objs), "%s%s",
                     objs[0] ? ", " : "", w->name);
    }
    const hl_workload *w = hl_workload_find(name);
    if (!w)
        return bad("unknown workload '%s': the object-layer workloads are %s", name, objs);
    if (w->layer != HL_LAYER_OBJECTS)
        return bad("%s is a raw-allocator workload, and inspect looks at the object layer's "
                   "heap: give one of %s",
                   name, objs);
    *out = w;
    return 0;
}

/* Parameters: the suite size's values, then --param (a number or, for an
 * enumeration, one of its labels). */
static int resolve_params(const hl_workload *w, const args *a, int64_t *v)
{
    bool quick = strcmp(a->suite_size, "quick") == 0;
    for (size_t k = 0; k < w->n_params; k++)
        v[k] = quick ? w->params[k].quick : w->params[k].def;
    for (size_t i = 0; i < a->n_params; i++) {
        const char *kv = a->params[i], *eq = strchr(kv, '=');
        char name[64];
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof name)
            return bad("--param wants NAME=VALUE, got '%s'", kv);
        snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
        int idx = hl_workload_param_index(w, name);
        if (idx < 0) {
            char list[512] = "";
            for (size_t k = 0; k < w->n_params; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                         w->params[k].name);
            return bad("workload %s has no parameter '%s' (it has: %s)", w->name, name,
                       w->n_params ? list : "none");
        }
        const hl_param *p = &w->params[idx];
        char *end;
        errno = 0;
        long long x = strtoll(eq + 1, &end, 10);
        if (errno || end == eq + 1 || *end) {
            bool found = false;
            for (int64_t l = p->min; p->labels && l <= p->max && !found; l++)
                if (strcmp(p->labels[l - p->min], eq + 1) == 0) {
                    x = l;
                    found = true;
                }
            if (!found)
                return bad("parameter %s of %s wants an integer%s, got '%s'", name, w->name,
                           p->labels ? " or one of its labels" : "", eq + 1);
        }
        if (x < p->min || x > p->max)
            return bad("parameter %s=%lld of %s is out of range [%" PRId64 ", %" PRId64 "]",
                       name, x, w->name, p->min, p->max);
        v[idx] = x;
    }
    return 0;
}

static void default_out(const char *workload, char *out, size_t outlen)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[16];
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    snprintf(out, outlen, "results/%s-inspect-%s", date, workload);
}

int main(int argc, char **argv)
{
    args a;
    int rc = parse(&a, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char err[600];
    if (hl_registry_check_process(err, sizeof err) != 0)
        return bad("%s", err);
    const hl_workload *wl = NULL;
    if (find_workload(a.workload, &wl) != 0)
        return EXIT_BAD;
    int64_t params[64];
    if (wl->n_params > 64)
        return bad("workload %s has too many parameters", wl->name);
    if (resolve_params(wl, &a, params) != 0)
        return EXIT_BAD;
    char outdir[PATH_MAX];
    if (a.out)
        snprintf(outdir, sizeof outdir, "%s", a.out);
    else
        default_out(wl->name, outdir, sizeof outdir);

    hl_allocator alloc;
    if (hl_allocator_open(&alloc, a.backend, err, sizeof err) != 0)
        return bad("%s", err);
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    hl_rt *rt = hl_rt_new(&alloc, &alloc, &cfg, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "%s: cannot create the object runtime: %s\n", prog, err);
        return EXIT_SETUP;
    }
    hl_rt_enter(rt);
    hl_wl_env env = {.raw = NULL, .rt = rt, .threads = 1, .seed = a.seed, .params = params,
                     .data_path = NULL};
    hl_inspection *x = calloc(1, sizeof *x);
    if (!x) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 1;
    }
    rc = hl_inspect_run(wl, &env, &alloc, &a.o, x, err, sizeof err);
    hl_rt_leave(rt);
    hl_rt_free(rt);
    if (rc != 0) {
        hl_inspection_free(x);
        free(x);
        if (rc == HL_INSPECT_BAD_POINT)
            return bad("%s", err);
        fprintf(stderr, "%s: %s\n", prog, err);
        return strstr(err, "set-up") ? EXIT_SETUP : 1;
    }
    if (a.o.type && !x->type_found && !x->types_seen[0]) {
        hl_inspection_free(x);
        free(x);
        return bad("--type %s: no object of that type was live at any point (the heap was "
                   "empty)", a.o.type);
    }
    if (a.o.type && !x->type_found) {
        /* Built-in types may simply have no live object at the points;
         * a class name never seen is a typo. */
        static const char *const builtin[] = {"NoneType", "int", "float", "str",
                                              "tuple",    "list", "dict"};
        bool is_builtin = false;
        for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
            is_builtin |= strcmp(a.o.type, builtin[i]) == 0;
        if (!is_builtin) {
            int r = bad("unknown type '%s': no point of the run saw an object of it; the "
                        "types live in %s are %s",
                        a.o.type, wl->name, x->types_seen);
            hl_inspection_free(x);
            free(x);
            return r;
        }
    }
    if (hl_mkdir_p(outdir, err, sizeof err) != 0 ||
        hl_inspect_write_files(x, a.backend, outdir, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        hl_inspection_free(x);
        free(x);
        return 1;
    }
    if (a.json) {
        hl_inspect_write_json(x, a.backend, stdout);
        fputc('\n', stdout);
    } else {
        hl_inspect_write_text(x, a.backend, stdout);
        fputc('\n', stdout);
    }
    fflush(stdout);
    /* with --format json, stdout is the document: the file list goes to
     * stderr's silence (--quiet) or is left out */
    if (a.pictures)
        hl_inspect_render(x, outdir, a.quiet || a.json);
    if (!a.quiet && !a.json)
        printf("files: %s/ (inspect.json, timeline.csv, gc_events.csv, gc_count.csv, "
               "points.csv, graph-p*.dot, refs-p*.dot)\n",
               outdir);
    rc = x->verified ? 0 : EXIT_VERIFY;
    if (!x->verified)
        fprintf(stderr, "%s: verification of %s on %s failed: %s\n", prog, wl->name, a.backend,
                x->verify_error);
    hl_inspection_free(x);
    free(x);
    return rc;
}
