/* plan.c - expand a request into cells and an interleaved job order.
 *
 * How it works
 * ------------
 * 1. Backends: the request's list, or every backend the catalog hosts
 *    natively except faulty (a fault injector is not a benchmark subject).
 *    Each spec is routed (route.c) and must have its variant in this build.
 * 2. Workloads: the request's list or every workload in the catalog.
 * 3. For each workload, the parameter sweeps that apply to it (a --param the
 *    workload lacks is ignored for it, but must apply to at least one
 *    selected workload) are expanded as a cross product, odometer style.
 * 4. Threads: the request's list for threaded workloads; 1 otherwise.
 * 5. Order: rounds k = 0..R-1; each round is a Fisher-Yates shuffle (Knuth,
 *    TAOCP vol. 2, 3.4.2, algorithm P) of the groups, and within each group
 *    a shuffle of its backends, driven by splitmix64 seeded with seed + k,
 *    so the order is a pure function of (seed, cells, R).
 */
#include "plan.h"

#include "fsutil.h"
#include "build_info.h"
#include "jread.h"
#include "json.h"
#include "procfs.h"
#include "sha256.h"
#include "protocol.h"
#include "runtime.h"
#include "trace_format.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t hl_plan_rand(uint64_t *state)
{
    /* splitmix64 (Steele, Lea & Flood, OOPSLA 2014) */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void hl_plan_request_init(hl_plan_request *req)
{
    memset(req, 0, sizeof *req);
    req->suite = "quick";
    req->min_time = -1;
    req->warmup_time = -1;
}

/* The trace the build recorded (target hl-python-trace: <build>/traces/
 * python.hlt, next to the heaplab executable), used by replay when neither
 * --trace nor HEAPLAB_TRACE names one.  Leaves out empty when there is none. */
static void default_trace(char *out, size_t outlen)
{
    char exe[PATH_MAX];
    out[0] = '\0';
    if (hl_proc_exe_dir(exe, sizeof exe) != 0)
        return;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/traces/python.hlt", exe);
    if (access(path, R_OK) == 0 && strlen(path) < outlen)
        snprintf(out, outlen, "%s", path);
}

bool hl_plan_cell_needs_trace(const hl_plan_cell *c)
{
    return strcmp(c->data, "trace") == 0;
}

bool hl_plan_is_suite(const char *name)
{
    return strcmp(name, "quick") == 0 || strcmp(name, "full") == 0;
}

void hl_plan_free(hl_plan *plan)
{
    hl_plan_free_commands(plan);
    free(plan->cells);
    free(plan->jobs);
    plan->cells = NULL;
    plan->jobs = NULL;
    plan->n_cells = plan->n_jobs = 0;
}

void hl_plan_params_str(const hl_plan_cell *c, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n_params && used < outlen; i++) {
        int n = snprintf(out + used, outlen - used, "%s%s=%" PRId64, i ? "," : "",
                         c->params[i].name, c->params[i].value);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Filesystem-safe copy of a backend spec: ':' -> '_', ',' -> '+', '/' -> '-'. */
static void safe_name(char *out, size_t outlen, const char *in)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outlen; i++) {
        char c = in[i];
        out[i] = c == ':' ? '_' : c == ',' ? '+' : c == '/' ? '-' : c;
    }
    out[i] = '\0';
}

/* The id names what the cell measures, however the command was written:
 * parameters in the workload's own order, and only those that differ from
 * the value the suite size uses anyway (so `--param mode=0` and no --param
 * give fork_cow the same id when 0 is the default). */
static void make_cell_id(hl_plan_cell *c, const hl_cat_workload *wl, bool full)
{
    char b[96];
    safe_name(b, sizeof b, c->backend);
    int n = snprintf(c->id, sizeof c->id, "%s--%s--t%u", c->workload, b, c->threads);
    for (size_t k = 0; k < wl->n_params; k++)
        for (size_t i = 0; i < c->n_params && n > 0 && (size_t)n < sizeof c->id; i++) {
            const hl_cat_param *p = &wl->params[k];
            if (strcmp(c->params[i].name, p->name) != 0 ||
                c->params[i].value == (full ? p->def : p->quick))
                continue;
            n += snprintf(c->id + n, sizeof c->id - (size_t)n, "--%s=%" PRId64,
                          c->params[i].name, c->params[i].value);
        }
}

int hl_plan_add_cell(hl_plan *plan, size_t *cap, const hl_plan_cell *c, char *err,
                     size_t errlen)
{
    for (size_t i = 0; i < plan->n_cells; i++)
        if (strcmp(plan->cells[i].id, c->id) == 0) {
            snprintf(err, errlen, "cell %s is asked for twice: remove the duplicate from "
                                  "--backends, --workloads, --threads or --param", c->id);
            return -1;
        }
    if (plan->n_cells == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        hl_plan_cell *nc = realloc(plan->cells, ncap * sizeof *nc);
        if (!nc) {
            snprintf(err, errlen, "out of memory planning %zu cells", ncap);
            return -1;
        }
        plan->cells = nc;
        *cap = ncap;
    }
    plan->cells[plan->n_cells++] = *c;
    return 0;
}

static int default_backends(const hl_catalog *cat, const char **out, size_t *n)
{
    *n = 0;
    /* Listing order: by variant, natives first as the cells list them. */
    for (size_t i = 0; i < cat->n_backends && *n < HL_PLAN_MAX_LIST; i++)
        if (hl_route_in_default_suites(cat->backends[i].name))
            out[(*n)++] = cat->backends[i].name;
    return 0;
}

/* What the plan needs to know while it is being built. */
typedef struct plan_build {
    const hl_catalog *cat;
    const hl_plan_request *req;
    hl_plan *plan;
    bool full, have_trace;
    const char *backends[HL_PLAN_MAX_LIST];
    const char *variants[HL_PLAN_MAX_LIST];
    size_t n_backends;
    const hl_cat_workload *wls[HL_CAT_MAX_WORKLOADS];
    size_t n_wls;
    unsigned threads[HL_PLAN_MAX_THREADS];
    size_t n_threads;
    hl_plan_sweep sweeps[HL_PLAN_MAX_SWEEPS]; /* the request's, labels resolved */
    size_t cap;
    char *err;
    size_t errlen;
} plan_build;

/* The object layer's model settings, checked by the object layer's own
 * parser (objects/profile.c) so that a bad one is refused here, once, and
 * not by every cell. */
static int resolve_model(plan_build *pb)
{
    const hl_plan_request *req = pb->req;
    hl_plan *plan = pb->plan;
    char err[200];
    if (req->python_model) {
        hl_py_profile p;
        if (hl_py_profile_parse(req->python_model, &p, err, sizeof err) != 0) {
            snprintf(pb->err, pb->errlen, "--python-model %s: %s", req->python_model, err);
            return -1;
        }
        snprintf(plan->python_model, sizeof plan->python_model, "%s", hl_py_profile_name(p));
    }
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    for (size_t i = 0; i < req->n_model_options; i++) {
        const char *o = req->model_options[i];
        if (strlen(o) >= sizeof plan->model_options[0] ||
            hl_rt_config_set(&cfg, o, err, sizeof err) != 0) {
            snprintf(pb->err, pb->errlen, "--model-option %.60s: %s", o,
                     strlen(o) >= sizeof plan->model_options[0] ? "too long" : err);
            return -1;
        }
        snprintf(plan->model_options[i], sizeof plan->model_options[i], "%s", o);
    }
    plan->n_model_options = req->n_model_options;
    return 0;
}

/* A trace is input like any flag: check all of it now (bounds, record
 * kinds, frees of live blocks), so a bad one is one line and exit 2 before
 * any cell runs, not a failed cell per backend. */
static int resolve_trace(plan_build *pb)
{
    const hl_plan_request *req = pb->req;
    hl_plan *plan = pb->plan;
    if (req->trace) {
        char *abs = realpath(req->trace, NULL);
        if (!abs) {
            snprintf(pb->err, pb->errlen,
                     "--trace %s: %s; record a trace with scripts/record-trace.sh", req->trace,
                     strerror(errno));
            return -1;
        }
        snprintf(plan->trace, sizeof plan->trace, "%s", abs);
        free(abs);
    }
    const char *env_trace = getenv("HEAPLAB_TRACE");
    /* HEAPLAB_TRACE set but empty means "no trace", default one included. */
    if (!plan->trace[0] && env_trace == NULL)
        default_trace(plan->trace, sizeof plan->trace);
    pb->have_trace = plan->trace[0] || (env_trace && *env_trace);
    const char *to_check = plan->trace[0] ? plan->trace : env_trace;
    if (!to_check || !*to_check)
        return 0;
    hl_trace t;
    char terr[300];
    if (!hl_is_regular_file(to_check)) {
        snprintf(pb->err, pb->errlen, "%s %s: not a regular file; record a trace with "
                                      "scripts/record-trace.sh",
                 req->trace ? "--trace" : plan->trace[0] ? "the build's default trace"
                                                         : "HEAPLAB_TRACE",
                 to_check);
        return -1;
    }
    if (plan->trace[0] && hl_sha256_file(plan->trace, plan->trace_sha256, &plan->trace_size,
                                         terr, sizeof terr) != 0) {
        snprintf(pb->err, pb->errlen, "--trace %s", terr);
        return -1;
    }
    if (hl_trace_load(to_check, &t, terr, sizeof terr) != 0) {
        snprintf(pb->err, pb->errlen, "%s %s: %s; record a new one with scripts/record-trace.sh",
                 req->trace ? "--trace" : plan->trace[0] ? "the build's default trace"
                                                         : "HEAPLAB_TRACE",
                 to_check, terr);
        return -1;
    }
    hl_trace_free(&t);
    return 0;
}

/* The seed: given, 1 for instruction counts (they are for repeating: the
 * same command must give the same workload), else random and recorded. */
static uint64_t choose_seed(const hl_plan_request *req, bool instr)
{
    if (req->have_seed)
        return req->seed;
    if (instr)
        return 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t s = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
                 ((uint64_t)getpid() << 32);
    return hl_plan_rand(&s) % 1000000000ull; /* short enough to retype */
}

/* Suite defaults, then what the request overrides. */
static int plan_settings(plan_build *pb)
{
    const hl_plan_request *req = pb->req;
    hl_plan *plan = pb->plan;
    snprintf(plan->suite, sizeof plan->suite, "%s", req->suite);
    snprintf(plan->suite_size, sizeof plan->suite_size, "%s", pb->full ? "full" : "quick");
    /* Instruction counts are deterministic for a given command (the cell's
     * contract, docs/results-format.md): one process per cell suffices. */
    bool instr = req->measure && strcmp(req->measure, "instructions") == 0;
    /* The quick suite: 5 shorter processes per cell rather than 3 longer
     * ones, in the same wall time.  A round's ratio pairs processes about
     * 0.2 s apart instead of 0.35 s (on a shared VM the ratio's error grows
     * with that distance: 2% within 1.2 s, 5-10% beyond, 2026-12-02), the
     * median of 5 per-round ratios is steadier than that of 3, and 5 against
     * 5 lets a U test reach p < 0.05 (3 against 3 cannot go below 0.1).  The
     * warm-up is as long as the measurement and follows the fixed-work pass:
     * a fresh process's first ~50 ms run up to 1.5x slower (frequency and
     * caches ramping up). */
    plan->repetitions = req->repetitions ? req->repetitions : instr ? 1 : pb->full ? 9 : 5;
    plan->min_time = req->min_time >= 0 ? req->min_time : pb->full ? 0.2 : 0.05;
    /* Each process's min-time is cut into 5 samples of equal work and the
     * process reports their median, so that a burst of a neighbour's noise
     * inside one process does not decide its figure (cell_time.c has the
     * measurement).  Instruction counts have no noise to cut. */
    plan->samples = instr ? 1 : req->samples ? req->samples : HL_PLAN_DEFAULT_SAMPLES;
    if (instr && req->samples > 1) {
        snprintf(pb->err, pb->errlen, "--samples applies to --measure time: an instruction "
                                      "count is exact");
        return -1;
    }
    plan->warmup_time = req->warmup_time >= 0 ? req->warmup_time : pb->full ? 0.1 : 0.05;
    plan->timeout_s = req->timeout_s > 0 ? req->timeout_s : pb->full ? 600 : 120;
    plan->memory_limit_mb = req->memory_limit_mb;
    snprintf(plan->measure, sizeof plan->measure, "%s", req->measure ? req->measure : "time");
    plan->iterations = req->iterations;
    /* Memory and GC at equal work (cell_fixed.c): enough operations for a
     * workload to reach its steady state, few enough to cost a fraction of
     * the timed pass. */
    plan->fixed_ops = instr ? 0 : req->have_fixed_ops ? req->fixed_ops
                                  : pb->full ? HL_PLAN_FIXED_OPS_FULL : HL_PLAN_FIXED_OPS_QUICK;
    if (instr && req->have_fixed_ops && req->fixed_ops) {
        snprintf(pb->err, pb->errlen, "--fixed-ops applies to --measure time: instructions "
                                      "mode counts a fixed number of iterations already");
        return -1;
    }
    if (resolve_trace(pb) != 0 || resolve_model(pb) != 0)
        return -1;
    if (plan->iterations && !instr) {
        snprintf(pb->err, pb->errlen, "--iterations applies to --measure instructions only: "
                                      "drop it or add --measure instructions");
        return -1;
    }
    plan->seed = choose_seed(req, instr);
    if (req->reference)
        snprintf(plan->reference, sizeof plan->reference, "%s", req->reference);
    snprintf(plan->build.git_commit, sizeof plan->build.git_commit, "%s",
             hl_build_info.git_commit);
    plan->build.git_dirty = hl_build_info.git_dirty;
    snprintf(plan->build.build_type, sizeof plan->build.build_type, "%s",
             hl_build_info.build_type);
    plan->build.protocol = HL_PROTOCOL_VERSION;
    return 0;
}

int hl_plan_check_identity(const hl_plan *plan, char *err, size_t errlen)
{
    const hl_build_info_t *b = &hl_build_info;
    /* A plan written before builds were recorded says nothing: accepted. */
    if (plan->build.git_commit[0] &&
        (strcmp(plan->build.git_commit, b->git_commit) != 0 ||
         plan->build.git_dirty != b->git_dirty ||
         strcmp(plan->build.build_type, b->build_type) != 0 ||
         plan->build.protocol != HL_PROTOCOL_VERSION)) {
        snprintf(err, errlen,
                 "the run was planned by heaplab %s%s (%s build, protocol %d), this is %s%s "
                 "(%s build, protocol %d): resume with the build that started it, or start a "
                 "new run",
                 plan->build.git_commit, plan->build.git_dirty ? "-dirty" : "",
                 plan->build.build_type, plan->build.protocol, b->git_commit,
                 b->git_dirty ? "-dirty" : "", b->build_type, HL_PROTOCOL_VERSION);
        return -1;
    }
    if (hl_plan_check_command_inputs(plan, err, errlen) != 0)
        return -1;
    if (!plan->trace[0])
        return 0;
    char sha[65], herr[300];
    uint64_t size;
    if (hl_sha256_file(plan->trace, sha, &size, herr, sizeof herr) != 0) {
        snprintf(err, errlen, "the run's trace is gone (%s): put it back and resume again",
                 herr);
        return -1;
    }
    if (plan->trace_sha256[0] && strcmp(sha, plan->trace_sha256) != 0) {
        snprintf(err, errlen,
                 "the run's trace %s changed since it was planned (sha256 %.12s..., now "
                 "%.12s...): restore it, or start a new run",
                 plan->trace, plan->trace_sha256, sha);
        return -1;
    }
    return 0;
}

/* Backends: the request's, or every hosted one but faulty; each must route
 * to a variant this build has. */
static int select_backends(plan_build *pb)
{
    const hl_catalog *cat = pb->cat;
    const hl_plan_request *req = pb->req;
    /* Commands only, and no workload asked for: the backends are theirs
     * (plan_commands.c), and none of them has to be an in-process one. */
    bool commands_only = req->n_commands > 0 && req->n_workloads == 0;
    pb->n_backends = 0;
    for (size_t i = 0; i < req->n_backends && !commands_only; i++) {
        char rerr[256];
        /* a spec only commands can use ("preload:...", "pymalloc@3.11")
         * is theirs; anything else must route to a cell */
        if (req->n_commands && !hl_route_variant(req->backends[i], rerr, sizeof rerr) &&
            hl_plan_spec_is_command_only(req->backends[i]))
            continue;
        pb->backends[pb->n_backends++] = req->backends[i];
    }
    if (req->n_backends == 0 && !commands_only)
        default_backends(cat, pb->backends, &pb->n_backends);
    if (pb->n_backends == 0 && !commands_only) {
        snprintf(pb->err, pb->errlen, req->n_backends
                                          ? "--backends: none of them runs heaplab's "
                                            "workloads; add one (e.g. system)"
                                          : "no backend to run: this build's cells list none");
        return -1;
    }
    for (size_t i = 0; i < pb->n_backends; i++) {
        char rerr[256];
        pb->variants[i] = hl_route_variant(pb->backends[i], rerr, sizeof rerr);
        if (!pb->variants[i]) {
            snprintf(pb->err, pb->errlen, "--backends: %s", rerr);
            return -1;
        }
        int vi = hl_catalog_variant_index(pb->variants[i]);
        if (vi < 0 || !cat->have_variant[vi]) {
            char name[64], path[HL_ROUTE_PATH_MAX], a0[HL_ROUTE_PATH_MAX];
            hl_route_backend_name(pb->backends[i], name, sizeof name);
            if (hl_route_cell_exe(pb->variants[i], name, path, sizeof path, a0, sizeof a0,
                                  pb->err, pb->errlen) == 0)
                snprintf(pb->err, pb->errlen, "backend '%s': %s", name,
                         vi >= 0 ? cat->variant_err[vi] : "unknown variant");
            return -1;
        }
    }
    return 0;
}

static bool needs_trace(const hl_cat_workload *w)
{
    return strcmp(w->data, "trace") == 0;
}

/* Every backend asked for must run some cell (a typo or a backend that
 * fits none of the selected workloads and commands is a mistake to
 * report, not a column to leave out), and the reference must be one. */
static int check_backends_used(const hl_plan_request *req, const hl_plan *plan, char *err,
                               size_t errlen)
{
    for (size_t i = 0; i < req->n_backends; i++) {
        bool used = false;
        for (size_t c = 0; c < plan->n_cells && !used; c++) {
            const char *b = plan->cells[c].backend;
            size_t n = strlen(req->backends[i]);
            /* "pymalloc" runs as pymalloc@<each interpreter> */
            used = strcmp(b, req->backends[i]) == 0 ||
                   (strncmp(b, req->backends[i], n) == 0 && b[n] == '@');
        }
        if (!used) {
            snprintf(err, errlen, "--backends %s runs none of the selected %s: heaplab's "
                                  "workloads run in-process backends (heaplab list backends), "
                                  "commands run under process allocators, preload:PATH or "
                                  "CPython configurations", req->backends[i],
                     req->n_commands ? "workloads and commands" : "workloads");
            return -1;
        }
    }
    if (!req->reference)
        return 0;
    for (size_t c = 0; c < plan->n_cells; c++)
        if (strcmp(plan->cells[c].backend, req->reference) == 0)
            return 0;
    snprintf(err, errlen, "--reference %s: not one of the backends of this run; add it to "
                          "--backends", req->reference);
    return -1;
}

/* Workloads: the request's, or every one the catalog has (those that need
 * a trace only when there is one; in instructions mode none whose work
 * runs in forked children, which callgrind's count of the cell misses). */
static int select_workloads(plan_build *pb)
{
    const hl_plan_request *req = pb->req;
    const hl_catalog *cat = pb->cat;
    pb->n_wls = 0;
    for (size_t i = 0; i < req->n_workloads; i++) {
        const hl_cat_workload *w = hl_catalog_workload(cat, req->workloads[i]);
        if (!w) {
            snprintf(pb->err, pb->errlen, "--workloads: unknown workload '%s' (see 'heaplab "
                                          "list workloads')", req->workloads[i]);
            return -1;
        }
        if (hl_plan_uncountable(pb->plan, w)) {
            snprintf(pb->err, pb->errlen, "--workloads %s runs its operations in forked "
                                          "children, which --measure instructions does not "
                                          "count: measure it in time mode", w->name);
            return -1;
        }
        if (needs_trace(w) && !pb->have_trace) {
            snprintf(pb->err, pb->errlen, "--workloads %s replays a recorded trace: pass "
                                          "--trace FILE (record one with "
                                          "scripts/record-trace.sh)", w->name);
            return -1;
        }
        if (pb->n_wls < HL_CAT_MAX_WORKLOADS)
            pb->wls[pb->n_wls++] = w;
    }
    if (req->n_workloads == 0 && req->n_commands == 0)
        for (size_t i = 0; i < cat->n_workloads; i++)
            if ((pb->have_trace || !needs_trace(&cat->workloads[i])) &&
                !hl_plan_uncountable(pb->plan, &cat->workloads[i]))
                pb->wls[pb->n_wls++] = &cat->workloads[i];
    if (pb->n_wls == 0 && req->n_commands == 0) {
        snprintf(pb->err, pb->errlen, "no workload to run: this build's cells list none");
        return -1;
    }
    return 0;
}

/* Every sweep must apply somewhere, and its values must be in bounds. */
/* A label given for a value ("--param mode=frozen"): its index in the
 * enumeration of every selected workload that has the parameter, which
 * must agree.  0, or -1 with one line in pb->err. */
static int resolve_label(plan_build *pb, hl_plan_sweep *sw, size_t v)
{
    bool found = false;
    const hl_cat_param *any = NULL;
    for (size_t w = 0; w < pb->n_wls; w++) {
        const hl_cat_param *p = hl_catalog_param(pb->wls[w], sw->name);
        if (!p)
            continue;
        any = p;
        for (size_t k = 0; k < p->n_labels; k++)
            if (strcmp(p->labels[k], sw->label[v]) == 0) {
                int64_t value = p->min + (int64_t)k;
                if (found && value != sw->values[v]) {
                    snprintf(pb->err, pb->errlen, "--param %s=%s: the selected workloads "
                             "number this label differently; give the number instead",
                             sw->name, sw->label[v]);
                    return -1;
                }
                sw->values[v] = value;
                found = true;
            }
    }
    if (found)
        return 0;
    char labels[400] = "";
    for (size_t k = 0; any && k < any->n_labels; k++)
        snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s%s", k ? ", " : "",
                 any->labels[k]);
    if (labels[0])
        snprintf(pb->err, pb->errlen, "--param %s '%s': not an integer nor one of its labels "
                 "(%s)", sw->name, sw->label[v], labels);
    else
        snprintf(pb->err, pb->errlen, "--param %s '%s': not an integer; parameters are integers, "
                 "e.g. size=64", sw->name, sw->label[v]);
    return -1;
}

static int check_sweeps(plan_build *pb)
{
    memcpy(pb->sweeps, pb->req->sweeps, pb->req->n_sweeps * sizeof pb->sweeps[0]);
    for (size_t s = 0; s < pb->req->n_sweeps; s++) {
        hl_plan_sweep *sw = &pb->sweeps[s];
        for (size_t v = 0; v < sw->n; v++)
            if (sw->label[v] && resolve_label(pb, sw, v) != 0)
                return -1;
        for (size_t v = 0; v < sw->n; v++)
            for (size_t u = 0; u < v; u++)
                if (sw->values[u] == sw->values[v]) {
                    snprintf(pb->err, pb->errlen, "--param %s lists %" PRId64 " twice: give "
                             "each value once", sw->name, sw->values[v]);
                    return -1;
                }
        bool used = false;
        for (size_t w = 0; w < pb->n_wls; w++) {
            const hl_cat_param *p = hl_catalog_param(pb->wls[w], sw->name);
            if (!p)
                continue;
            used = true;
            for (size_t v = 0; v < sw->n; v++)
                if (sw->values[v] < p->min || sw->values[v] > p->max) {
                    snprintf(pb->err, pb->errlen,
                             "--param %s=%" PRId64 ": out of range for workload %s; give a "
                             "value in [%" PRId64 ", %" PRId64 "]",
                             sw->name, sw->values[v], pb->wls[w]->name, p->min, p->max);
                    return -1;
                }
        }
        if (!used) {
            snprintf(pb->err, pb->errlen, "--param %s: no selected workload has a parameter "
                                          "'%s' (see 'heaplab list workloads')",
                     sw->name, sw->name);
            return -1;
        }
    }
    return 0;
}

/* Thread counts for threaded workloads: the request's; full: 1 and nproc;
 * quick: 2. */
static void select_threads(plan_build *pb)
{
    pb->n_threads = pb->req->n_threads;
    if (pb->n_threads) {
        memcpy(pb->threads, pb->req->threads, pb->n_threads * sizeof pb->threads[0]);
    } else if (pb->full) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        pb->threads[0] = 1;
        pb->n_threads = 1;
        if (ncpu > 1)
            pb->threads[pb->n_threads++] = (unsigned)ncpu;
    } else {
        pb->threads[0] = 2;
        pb->n_threads = 1;
    }
}

/* The run's fixed-work pass, or the workload's own shorter one unless
 * --fixed-ops set it for every cell. */
static uint64_t cell_fixed_ops(const plan_build *pb, const hl_cat_workload *wl)
{
    uint64_t run = pb->plan->fixed_ops;
    if (run == 0 || pb->req->have_fixed_ops || wl->fixed_ops == 0)
        return run;
    uint64_t own = pb->full ? wl->fixed_ops : (wl->fixed_ops + 9) / 10;
    return own < run ? own : run;
}

/* The cells of one workload at one point of its sweeps: every thread count
 * (threaded workloads) times every backend. */
static int add_point(plan_build *pb, const hl_cat_workload *wl, const hl_plan_sweep *const *applies,
                     size_t n_applies, const size_t *odo)
{
    size_t nt = wl->threaded ? pb->n_threads : 1;
    for (size_t t = 0; t < nt; t++)
        for (size_t b = 0; b < pb->n_backends; b++) {
            hl_plan_cell c;
            memset(&c, 0, sizeof c);
            snprintf(c.backend, sizeof c.backend, "%s", pb->backends[b]);
            snprintf(c.variant, sizeof c.variant, "%s", pb->variants[b]);
            snprintf(c.workload, sizeof c.workload, "%s", wl->name);
            snprintf(c.data, sizeof c.data, "%s", wl->data);
            c.object_layer = strcmp(wl->layer, "objects") == 0;
            c.fixed_ops = cell_fixed_ops(pb, wl);
            c.threaded = wl->threaded;
            c.threads = wl->threaded ? pb->threads[t] : 1;
            for (size_t s = 0; s < n_applies; s++) {
                snprintf(c.params[s].name, sizeof c.params[s].name, "%s", applies[s]->name);
                c.params[s].value = applies[s]->values[odo[s]];
            }
            c.n_params = n_applies;
            make_cell_id(&c, wl, pb->full);
            if (hl_plan_add_cell(pb->plan, &pb->cap, &c, pb->err, pb->errlen) != 0)
                return -1;
        }
    return 0;
}

/* The cross product of the sweeps that apply to wl, odometer style. */
static int expand_workload(plan_build *pb, const hl_cat_workload *wl)
{
    const hl_plan_sweep *applies[HL_PLAN_MAX_SWEEPS];
    size_t n_applies = 0;
    for (size_t s = 0; s < pb->req->n_sweeps; s++)
        if (hl_catalog_param(wl, pb->sweeps[s].name))
            applies[n_applies++] = &pb->sweeps[s];
    size_t odo[HL_PLAN_MAX_SWEEPS] = {0};
    for (;;) {
        if (add_point(pb, wl, applies, n_applies, odo) != 0)
            return -1;
        size_t s = 0;
        while (s < n_applies && ++odo[s] == applies[s]->n)
            odo[s++] = 0;
        if (s == n_applies)
            return 0;
    }
}

/* A model setting that no cell would take is a mistake worth a line, not
 * a run that silently ignores it. */
static int check_model_used(const hl_plan *plan, char *err, size_t errlen)
{
    if (!plan->python_model[0] && plan->n_model_options == 0)
        return 0;
    for (size_t c = 0; c < plan->n_cells; c++)
        if (plan->cells[c].object_layer)
            return 0;
    snprintf(err, errlen, "--python-model and --model-option apply to object-layer workloads, "
                          "and none is selected (heaplab list workloads shows each one's layer)");
    return -1;
}

int hl_plan_build(const hl_catalog *cat, const hl_plan_request *req, hl_plan *plan, char *err,
                  size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    if (!hl_plan_is_suite(req->suite)) {
        snprintf(err, errlen, "unknown suite '%s': use quick or full (see 'heaplab list suites')",
                 req->suite);
        return -1;
    }
    plan_build *pb = calloc(1, sizeof *pb);
    if (!pb) {
        snprintf(err, errlen, "out of memory planning the run");
        return -1;
    }
    *pb = (plan_build){.cat = cat, .req = req, .plan = plan, .err = err, .errlen = errlen,
                       .full = strcmp(req->suite, "full") == 0};
    int rc = plan_settings(pb) != 0 || select_backends(pb) != 0 || select_workloads(pb) != 0 ||
                     check_sweeps(pb) != 0
                 ? -1
                 : 0;
    if (rc == 0) {
        select_threads(pb);
        for (size_t w = 0; w < pb->n_wls && rc == 0; w++)
            rc = expand_workload(pb, pb->wls[w]);
    }
    if (rc == 0 && req->n_commands)
        rc = hl_plan_add_commands(cat, req, plan, &pb->cap, err, errlen);
    if (rc == 0)
        rc = check_backends_used(req, plan, err, errlen);
    if (rc == 0)
        rc = check_model_used(plan, err, errlen);
    free(pb);
    if (rc != 0) {
        hl_plan_free(plan);
        return -1;
    }
    hl_plan_order(plan);
    if (!plan->jobs) {
        snprintf(err, errlen, "out of memory ordering %zu jobs", plan->n_cells);
        hl_plan_free(plan);
        return -1;
    }
#ifdef HL_DEBUG
    char cerr[256];
    if (hl_plan_check(plan, cerr, sizeof cerr) != 0) {
        fprintf(stderr, "heaplab: internal error: the plan breaks its invariants: %s\n", cerr);
        abort();
    }
#endif
    return 0;
}

int hl_plan_check(const hl_plan *plan, char *err, size_t errlen)
{
    for (size_t i = 0; i < plan->n_cells; i++) {
        const hl_plan_cell *c = &plan->cells[i];
        char rerr[256];
        const char *v = hl_plan_cell_is_command(c)
                            ? (hl_plan_command_of(plan, c) && hl_plan_preload_of(plan, c)
                                   ? HL_COMMAND_VARIANT
                                   : (snprintf(rerr, sizeof rerr, "its command or backend is "
                                                                  "not in the plan"),
                                      NULL))
                            : hl_route_variant(c->backend, rerr, sizeof rerr);
        if (!c->id[0] || !v || strcmp(v, c->variant) != 0) {
            snprintf(err, errlen, "cell %zu (%s): %s", i, c->id[0] ? c->id : "no id",
                     v ? "its variant is not the one its backend routes to" : rerr);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(plan->cells[j].id, c->id) == 0) {
                snprintf(err, errlen, "cell id %s appears twice", c->id);
                return -1;
            }
    }
    if (plan->n_jobs != plan->n_cells * plan->repetitions) {
        snprintf(err, errlen, "%zu jobs for %zu cells x %u repetitions", plan->n_jobs,
                 plan->n_cells, plan->repetitions);
        return -1;
    }
    unsigned char *seen = calloc(plan->n_jobs + 1, 1);
    if (!seen) {
        snprintf(err, errlen, "out of memory checking the plan");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < plan->n_jobs && rc == 0; i++) {
        const hl_plan_job *j = &plan->jobs[i];
        if (j->cell >= plan->n_cells || j->rep >= plan->repetitions) {
            snprintf(err, errlen, "job %zu is out of range", i);
            rc = -1;
        } else if (seen[(size_t)j->cell * plan->repetitions + j->rep]++) {
            snprintf(err, errlen, "job %zu (%s rep-%u) appears twice", i,
                     plan->cells[j->cell].id, j->rep);
            rc = -1;
        }
    }
    free(seen);
    return rc;
}

/* Fisher-Yates shuffle of idx[0..n) (Knuth, TAOCP vol. 2, 3.4.2, P). */
static void shuffle(uint32_t *idx, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(hl_plan_rand(state) % i);
        uint32_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}

/* group[c]: the index of cell c's group (cells differing only by backend),
 * numbered in order of first appearance; returns the number of groups. */
static size_t group_cells(const hl_plan *plan, uint32_t *group)
{
    size_t ng = 0;
    for (size_t i = 0; i < plan->n_cells; i++) {
        const hl_plan_cell *a = &plan->cells[i];
        group[i] = (uint32_t)ng;
        for (size_t j = 0; j < i; j++) {
            const hl_plan_cell *b = &plan->cells[j];
            bool same = strcmp(a->workload, b->workload) == 0 && a->threads == b->threads &&
                        a->n_params == b->n_params;
            for (size_t k = 0; same && k < a->n_params; k++)
                same = strcmp(a->params[k].name, b->params[k].name) == 0 &&
                       a->params[k].value == b->params[k].value;
            if (same) {
                group[i] = group[j];
                break;
            }
        }
        if (group[i] == ng)
            ng++;
    }
    return ng;
}

void hl_plan_order(hl_plan *plan)
{
    free(plan->jobs);
    plan->n_jobs = plan->n_cells * plan->repetitions;
    plan->jobs = malloc((plan->n_jobs ? plan->n_jobs : 1) * sizeof *plan->jobs);
    uint32_t *group = malloc((plan->n_cells + 1) * sizeof *group);
    uint32_t *gorder = malloc((plan->n_cells + 1) * sizeof *gorder);
    uint32_t *members = malloc((plan->n_cells + 1) * sizeof *members);
    if (!plan->jobs || !group || !gorder || !members) {
        free(plan->jobs);
        plan->jobs = NULL;
        free(group);
        free(gorder);
        free(members);
        return;
    }
    size_t ng = group_cells(plan, group), k = 0;
    for (unsigned r = 0; r < plan->repetitions; r++) {
        uint64_t state = plan->seed + r;
        for (size_t g = 0; g < ng; g++)
            gorder[g] = (uint32_t)g;
        shuffle(gorder, ng, &state);
        for (size_t g = 0; g < ng; g++) {
            size_t nm = 0;
            for (size_t c = 0; c < plan->n_cells; c++)
                if (group[c] == gorder[g])
                    members[nm++] = (uint32_t)c;
            shuffle(members, nm, &state);
            for (size_t i = 0; i < nm; i++)
                plan->jobs[k++] = (hl_plan_job){members[i], r};
        }
    }
    free(group);
    free(gorder);
    free(members);
}

bool hl_plan_counts_instructions(const hl_plan *plan)
{
    return strcmp(plan->measure, "instructions") == 0;
}

bool hl_plan_uncountable(const hl_plan *plan, const hl_cat_workload *w)
{
    return w->forks && hl_plan_counts_instructions(plan);
}

double hl_plan_job_estimate_s(const hl_plan *plan)
{
    /* Fitted on a shared 2-core machine, 2026-12-02: the quick suite in
     * 5 samples ran 720 processes in 158 s (0.204 s a process, 0.015 s
     * between them), in instructions mode 128 in 97.5 s.  Process start,
     * set-up, verify and the driver's bookkeeping take ~0.1 s and the
     * warm-up (the fixed-work pass counts towards it) its nominal time.  A
     * cell measured in samples spends ~1.4x min_time: the first sample's
     * iteration-count estimate, then samples of that count.  One window
     * (threaded, or --samples 1) overshoots about 2x while Google Benchmark
     * grows the count.  The run's ETA then uses the real job times. */
    if (hl_plan_counts_instructions(plan))
        return 0.8; /* valgrind start-up and translation dominate */
    size_t one_window = 0;
    for (size_t i = 0; i < plan->n_cells; i++)
        one_window += plan->samples <= 1 || plan->cells[i].threaded;
    double f = plan->n_cells ? (double)one_window / (double)plan->n_cells : 1;
    return 0.1 + plan->warmup_time + plan->min_time * (1.4 * (1 - f) + 2 * f);
}

void hl_plan_describe_measurement(const hl_plan *plan, char *out, size_t outlen)
{
    if (!hl_plan_counts_instructions(plan))
        snprintf(out, outlen, "min time %.3g s in %u samples, warm-up %.3g s", plan->min_time,
                 plan->samples, plan->warmup_time);
    else if (plan->iterations)
        snprintf(out, outlen, "%" PRIu64 " iterations counted per process", plan->iterations);
    else
        snprintf(out, outlen, "each cell's own fixed count (docs/results-format.md)");
}

/* ---- plan.json ---------------------------------------------------------- */

/* The identity of what runs the jobs and of what they read, recorded so
 * that --resume never mixes two builds or two traces in one median. */
static void write_identity(hl_jw *w, const hl_plan *plan)
{
    hl_jw_obj_begin(w, "build");
    hl_jw_str(w, "git_commit", plan->build.git_commit);
    hl_jw_bool(w, "git_dirty", plan->build.git_dirty);
    hl_jw_str(w, "build_type", plan->build.build_type);
    hl_jw_int(w, "protocol", plan->build.protocol);
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "inputs");
    if (plan->trace[0]) {
        hl_jw_obj_begin(w, "trace");
        hl_jw_str(w, "path", plan->trace);
        hl_jw_str(w, "sha256", plan->trace_sha256);
        hl_jw_uint(w, "size", plan->trace_size);
        hl_jw_obj_end(w);
    }
    hl_jw_obj_end(w);
}

void hl_plan_write_settings(hl_jw *w, const hl_plan *plan)
{
    hl_jw_str(w, "suite", plan->suite);
    hl_jw_str(w, "suite_size", plan->suite_size);
    hl_jw_uint(w, "seed", plan->seed);
    hl_jw_uint(w, "repetitions", plan->repetitions);
    hl_jw_uint(w, "samples", plan->samples);
    hl_jw_num(w, "min_time_s", plan->min_time);
    hl_jw_num(w, "warmup_time_s", plan->warmup_time);
    hl_jw_num(w, "timeout_s", plan->timeout_s);
    hl_jw_uint(w, "memory_limit_mb", plan->memory_limit_mb);
    hl_jw_str(w, "measure", plan->measure);
    hl_jw_uint(w, "iterations", plan->iterations);
    hl_jw_uint(w, "fixed_ops", plan->fixed_ops);
    hl_jw_str(w, "trace", plan->trace[0] ? plan->trace : NULL);
    hl_jw_str(w, "reference", plan->reference[0] ? plan->reference : NULL);
    hl_jw_str(w, "python_model", plan->python_model[0] ? plan->python_model : NULL);
    hl_jw_arr_begin(w, "model_options");
    for (size_t i = 0; i < plan->n_model_options; i++)
        hl_jw_str(w, NULL, plan->model_options[i]);
    hl_jw_arr_end(w);
    write_identity(w, plan);
    hl_plan_write_commands(w, plan);
}

void hl_plan_write_cell(hl_jw *w, const hl_plan_cell *c)
{
    hl_jw_str(w, "id", c->id);
    hl_jw_str(w, "backend", c->backend);
    hl_jw_str(w, "variant", c->variant);
    hl_jw_str(w, "workload", c->workload);
    hl_jw_str(w, "data", c->data[0] ? c->data : NULL);
    hl_jw_uint(w, "threads", c->threads);
    hl_jw_bool(w, "threaded", c->threaded);
    hl_jw_bool(w, "object_layer", c->object_layer);
    if (c->fixed_ops != UINT64_MAX) /* absent from a plan written before cells had it */
        hl_jw_uint(w, "fixed_ops", c->fixed_ops);
    hl_jw_obj_begin(w, "params");
    for (size_t p = 0; p < c->n_params; p++)
        hl_jw_int(w, c->params[p].name, c->params[p].value);
    hl_jw_obj_end(w);
}

int hl_plan_save(const hl_plan *plan, const char *path, char *err, size_t errlen)
{
    hl_atomic_file af;
    hl_jw w;
    if (hl_jw_file_begin(&af, &w, path, err, errlen) != 0)
        return -1;
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", HL_PLAN_FORMAT);
    hl_jw_int(&w, "format_version", HL_PLAN_VERSION);
    hl_plan_write_settings(&w, plan);
    hl_jw_arr_begin(&w, "cells");
    for (size_t i = 0; i < plan->n_cells; i++) {
        hl_jw_obj_begin(&w, NULL);
        hl_plan_write_cell(&w, &plan->cells[i]);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    /* The order as [cell, rep] pairs: resume must not depend on this
     * version's shuffle being the same as the one that planned the run. */
    hl_jw_arr_begin(&w, "order");
    for (size_t i = 0; i < plan->n_jobs; i++) {
        hl_jw_arr_begin(&w, NULL);
        hl_jw_uint(&w, NULL, plan->jobs[i].cell);
        hl_jw_uint(&w, NULL, plan->jobs[i].rep);
        hl_jw_arr_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    return hl_jw_file_commit(&af, &w, true, err, errlen);
}

/* ---- reading plan settings back (plan.json, results.json's "plan") --------- */

static void read_identity(hl_jread *r, const hl_json *obj, const char *path, hl_plan *p)
{
    char sub[300];
    hl_jread_path(sub, sizeof sub, path, "build", -1);
    const hl_json *b = hl_jread_obj(r, obj, path, "build", false);
    int64_t protocol = 0;
    hl_jread_str(r, b, sub, "git_commit", false, true, p->build.git_commit,
                 sizeof p->build.git_commit);
    hl_jread_bool(r, b, sub, "git_dirty", false, &p->build.git_dirty);
    hl_jread_str(r, b, sub, "build_type", false, true, p->build.build_type,
                 sizeof p->build.build_type);
    hl_jread_int(r, b, sub, "protocol", false, 0, 1000000, &protocol);
    p->build.protocol = (int)protocol;
    hl_jread_path(sub, sizeof sub, path, "inputs.trace", -1);
    const hl_json *in = hl_jread_obj(r, obj, path, "inputs", false);
    const hl_json *tr = hl_jread_obj(r, in, path, "trace", false);
    char tpath[sizeof p->trace] = "";
    hl_jread_str(r, tr, sub, "path", false, true, tpath, sizeof tpath);
    hl_jread_str(r, tr, sub, "sha256", false, true, p->trace_sha256, sizeof p->trace_sha256);
    hl_jread_uint(r, tr, sub, "size", false, UINT64_MAX, &p->trace_size);
    /* The hash belongs to the plan's trace: kept apart from it, the check
     * that a resumed run replays the same trace would be lost on saving. */
    if (!r->failed && tr && (!p->trace[0] || (tpath[0] && strcmp(tpath, p->trace) != 0)))
        hl_jread_fail(r, sub, "the identity of trace '%s', but the plan's trace is '%s'", tpath,
                      p->trace);
}

static int read_model_options(hl_jread *r, const hl_json *obj, const char *path, hl_plan *p)
{
    const hl_json *a = hl_jread_arr(r, obj, path, "model_options", false);
    if (a == NULL)
        return r->failed ? -1 : 0;
    char sub[300];
    hl_jread_path(sub, sizeof sub, path, "model_options", -1);
    if (a->len > HL_PLAN_MAX_MODEL_OPTIONS)
        return hl_jread_fail(r, sub, "%zu options; at most %d", a->len,
                             HL_PLAN_MAX_MODEL_OPTIONS), -1;
    for (size_t i = 0; i < a->len; i++) {
        const hl_json *it = &a->items[i];
        if (it->type != HL_JSTR || !it->str[0] || strlen(it->str) >= sizeof p->model_options[0])
            return hl_jread_fail(r, sub, "item %zu is not a NAME=VALUE string", i), -1;
        snprintf(p->model_options[i], sizeof p->model_options[i], "%s", it->str);
    }
    p->n_model_options = a->len;
    return 0;
}

int hl_plan_read_settings(hl_jread *r, const hl_json *obj, const char *path, hl_plan *p)
{
    int64_t reps = 0;
    p->min_time = p->warmup_time = p->timeout_s = NAN;
    snprintf(p->measure, sizeof p->measure, "time");
    hl_jread_str(r, obj, path, "suite", true, false, p->suite, sizeof p->suite);
    hl_jread_str(r, obj, path, "suite_size", true, false, p->suite_size, sizeof p->suite_size);
    hl_jread_uint(r, obj, path, "seed", true, UINT64_MAX, &p->seed);
    hl_jread_int(r, obj, path, "repetitions", true, 1, 1000, &reps);
    int64_t samples = 1; /* plans written before samples existed measured one window */
    hl_jread_int(r, obj, path, "samples", false, 1, HL_MAX_SAMPLES, &samples);
    p->samples = (unsigned)samples;
    hl_jread_num(r, obj, path, "min_time_s", false, true, 0, 3600, &p->min_time);
    hl_jread_num(r, obj, path, "warmup_time_s", false, true, 0, 3600, &p->warmup_time);
    hl_jread_num(r, obj, path, "timeout_s", false, true, 0, 1e7, &p->timeout_s);
    hl_jread_uint(r, obj, path, "memory_limit_mb", false, UINT64_MAX, &p->memory_limit_mb);
    hl_jread_str(r, obj, path, "measure", true, false, p->measure, sizeof p->measure);
    hl_jread_uint(r, obj, path, "iterations", false, UINT64_C(1) << 40, &p->iterations);
    hl_jread_uint(r, obj, path, "fixed_ops", false, UINT64_C(1) << 40, &p->fixed_ops);
    hl_jread_str(r, obj, path, "trace", false, true, p->trace, sizeof p->trace);
    hl_jread_str(r, obj, path, "reference", false, true, p->reference, sizeof p->reference);
    hl_jread_str(r, obj, path, "python_model", false, true, p->python_model,
                 sizeof p->python_model);
    if (read_model_options(r, obj, path, p) != 0)
        return -1;
    read_identity(r, obj, path, p);
    if (r->failed || hl_plan_read_commands(r, obj, path, p) != 0)
        return -1;
    char sub[300];
    hl_jread_path(sub, sizeof sub, path, "suite_size", -1);
    if (strcmp(p->suite_size, "quick") != 0 && strcmp(p->suite_size, "full") != 0)
        return hl_jread_fail(r, sub, "'%s' is neither quick nor full", p->suite_size), -1;
    hl_jread_path(sub, sizeof sub, path, "measure", -1);
    if (strcmp(p->measure, "time") != 0 && strcmp(p->measure, "instructions") != 0)
        return hl_jread_fail(r, sub, "'%s' is neither time nor instructions", p->measure), -1;
    p->repetitions = (unsigned)reps;
    return 0;
}

static int read_params(hl_jread *r, const hl_json *ps, const char *path, hl_plan_cell *pc)
{
    if (hl_json_len(ps) > HL_CAT_MAX_PARAMS)
        return hl_jread_fail(r, path, "more than %d parameters", HL_CAT_MAX_PARAMS), -1;
    for (size_t k = 0; k < hl_json_len(ps); k++) {
        if (strlen(ps->keys[k]) >= sizeof pc->params[k].name)
            return hl_jread_fail(r, path, "parameter name '%.40s...' is too long", ps->keys[k]),
                   -1;
        snprintf(pc->params[k].name, sizeof pc->params[k].name, "%s", ps->keys[k]);
        if (!hl_jread_int(r, ps, path, ps->keys[k], true, INT64_MIN, INT64_MAX,
                          &pc->params[k].value))
            return -1;
        pc->n_params = k + 1;
    }
    return 0;
}

int hl_plan_read_cell(hl_jread *r, const hl_json *o, const char *path, hl_plan_cell *pc)
{
    int64_t threads = 1;
    if (o == NULL || o->type != HL_JOBJ)
        return hl_jread_fail(r, path, "not an object"), -1;
    hl_jread_str(r, o, path, "id", true, false, pc->id, sizeof pc->id);
    hl_jread_str(r, o, path, "backend", true, false, pc->backend, sizeof pc->backend);
    hl_jread_str(r, o, path, "variant", true, false, pc->variant, sizeof pc->variant);
    hl_jread_str(r, o, path, "workload", true, false, pc->workload, sizeof pc->workload);
    hl_jread_str(r, o, path, "data", false, true, pc->data, sizeof pc->data);
    hl_jread_int(r, o, path, "threads", true, 1, 1024, &threads);
    hl_jread_bool(r, o, path, "threaded", false, &pc->threaded);
    hl_jread_bool(r, o, path, "object_layer", false, &pc->object_layer);
    pc->fixed_ops = UINT64_MAX; /* absent (older plans): the run's */
    hl_jread_uint(r, o, path, "fixed_ops", false, UINT64_C(1) << 40, &pc->fixed_ops);
    pc->threads = (unsigned)threads;
    if (r->failed)
        return -1;
    if (pc->id[0] == '\0' || strchr(pc->id, '/') || strstr(pc->id, ".."))
        return hl_jread_fail(r, path, "id '%s' is empty or not a plain name", pc->id), -1;
    char sub[300];
    hl_jread_path(sub, sizeof sub, path, "params", -1);
    const hl_json *ps = hl_jread_obj(r, o, path, "params", false);
    return r->failed ? -1 : read_params(r, ps, sub, pc);
}

static int read_order(hl_jread *r, const hl_json *order, hl_plan *plan)
{
    for (size_t i = 0; i < plan->n_jobs; i++) {
        char path[64];
        hl_jread_path(path, sizeof path, "", "order", (long)i);
        const hl_json *pair = hl_json_at(order, i);
        if (pair->type != HL_JARR || pair->len != 2 || pair->items[0].type != HL_JNUM ||
            pair->items[1].type != HL_JNUM)
            return hl_jread_fail(r, path, "not a [cell, repetition] pair of numbers"), -1;
        double cell = pair->items[0].num, rep = pair->items[1].num;
        if (cell != floor(cell) || cell < 0 || cell >= (double)plan->n_cells ||
            rep != floor(rep) || rep < 0 || rep >= (double)plan->repetitions)
            return hl_jread_fail(r, path, "[%g, %g] is out of range: %zu cells, %u repetitions",
                                 cell, rep, plan->n_cells, plan->repetitions), -1;
        plan->jobs[i] = (hl_plan_job){(uint32_t)cell, (uint32_t)rep};
    }
    return 0;
}

int hl_plan_load(hl_plan *plan, const char *path, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    char perr[256];
    if (!hl_is_regular_file(path)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        return -1;
    }
    hl_json *doc = hl_json_parse_file(path, perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    hl_jread r;
    hl_jread_init(&r, path, err, errlen);
    /* version 1 files before the re-cut had no "format" */
    hl_jread_header(&r, doc, HL_PLAN_FORMAT, HL_PLAN_VERSION, "a heaplab plan", true);
    const hl_json *cells = hl_jread_arr(&r, doc, "", "cells", true);
    const hl_json *order = hl_jread_arr(&r, doc, "", "order", true);
    if (!r.failed && hl_plan_read_settings(&r, doc, "", plan) == 0) {
        plan->n_cells = hl_json_len(cells);
        plan->n_jobs = hl_json_len(order);
        plan->cells = calloc(plan->n_cells ? plan->n_cells : 1, sizeof *plan->cells);
        plan->jobs = calloc(plan->n_jobs ? plan->n_jobs : 1, sizeof *plan->jobs);
        if (!plan->cells || !plan->jobs)
            hl_jread_fail(&r, "", "out of memory");
        for (size_t i = 0; !r.failed && i < plan->n_cells; i++) {
            char cp[64];
            hl_jread_path(cp, sizeof cp, "", "cells", (long)i);
            hl_plan_read_cell(&r, hl_json_at(cells, i), cp, &plan->cells[i]);
        }
        if (!r.failed)
            read_order(&r, order, plan);
    }
    hl_json_free(doc);
    char cerr[256];
    if (!r.failed && hl_plan_check(plan, cerr, sizeof cerr) != 0)
        hl_jread_fail(&r, "", "%s", cerr);
    if (r.failed) {
        hl_plan_free(plan);
        return -1;
    }
    return 0;
}
