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
 * 5. Order: rounds k = 0..R-1, each a Fisher-Yates shuffle of all cells
 *    (Knuth, TAOCP vol. 2, 3.4.2, algorithm P) driven by splitmix64 seeded
 *    with seed + k, so the order is a pure function of (seed, cells, R).
 */
#include "plan.h"

#include "fsutil.h"
#include "json.h"
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

/* The trace the build recorded (workloads/raw.cmake: <build>/traces/
 * python.hlt, next to the heaplab executable), used by replay when neither
 * --trace nor HEAPLAB_TRACE names one.  Leaves out empty when there is none. */
static void default_trace(char *out, size_t outlen)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/traces/python.hlt", exe);
    if (access(path, R_OK) == 0 && strlen(path) < outlen)
        snprintf(out, outlen, "%s", path);
}

bool hl_plan_needs_trace(const char *workload)
{
    return strcmp(workload, "replay") == 0; /* workloads/replay.c */
}

bool hl_plan_is_suite(const char *name)
{
    return strcmp(name, "quick") == 0 || strcmp(name, "full") == 0;
}

void hl_plan_free(hl_plan *plan)
{
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

static void make_cell_id(hl_plan_cell *c)
{
    char b[96];
    safe_name(b, sizeof b, c->backend);
    int n = snprintf(c->id, sizeof c->id, "%s--%s--t%u", c->workload, b, c->threads);
    for (size_t i = 0; i < c->n_params && n > 0 && (size_t)n < sizeof c->id; i++)
        n += snprintf(c->id + n, sizeof c->id - (size_t)n, "--%s=%" PRId64, c->params[i].name,
                      c->params[i].value);
}

static int add_cell(hl_plan *plan, size_t *cap, const hl_plan_cell *c, char *err, size_t errlen)
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

int hl_plan_build(const hl_catalog *cat, const hl_plan_request *req, hl_plan *plan, char *err,
                  size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    bool full = strcmp(req->suite, "full") == 0;
    if (!hl_plan_is_suite(req->suite)) {
        snprintf(err, errlen, "unknown suite '%s': use quick or full (see 'heaplab list suites')",
                 req->suite);
        return -1;
    }
    snprintf(plan->suite, sizeof plan->suite, "%s", req->suite);
    snprintf(plan->suite_size, sizeof plan->suite_size, "%s", full ? "full" : "quick");
    /* Instruction counts are deterministic for a given command (the cell's
     * contract, docs/results-format.md): one process per cell suffices. */
    bool instr = req->measure && strcmp(req->measure, "instructions") == 0;
    plan->repetitions = req->repetitions ? req->repetitions : instr ? 1 : full ? 9 : 3;
    /* The quick suite's warm-up is as long as its measurement: on a shared
     * VM a fresh process's first ~50 ms run up to 1.5x slower (frequency and
     * caches ramping up), which a 0.02 s warm-up left in the measurement. */
    plan->min_time = req->min_time >= 0 ? req->min_time : full ? 0.2 : 0.1;
    plan->warmup_time = req->warmup_time >= 0 ? req->warmup_time : full ? 0.1 : 0.1;
    plan->timeout_s = req->timeout_s > 0 ? req->timeout_s : full ? 600 : 120;
    plan->memory_limit_mb = req->memory_limit_mb;
    snprintf(plan->measure, sizeof plan->measure, "%s", req->measure ? req->measure : "time");
    plan->iterations = req->iterations;
    if (req->trace) {
        char *abs = realpath(req->trace, NULL);
        if (!abs) {
            snprintf(err, errlen, "--trace %s: %s; record a trace with scripts/record-trace.sh",
                     req->trace, strerror(errno));
            return -1;
        }
        snprintf(plan->trace, sizeof plan->trace, "%s", abs);
        free(abs);
    }
    const char *env_trace = getenv("HEAPLAB_TRACE");
    /* HEAPLAB_TRACE set but empty means "no trace", default one included. */
    if (!plan->trace[0] && env_trace == NULL)
        default_trace(plan->trace, sizeof plan->trace);
    bool have_trace = plan->trace[0] || (env_trace && *env_trace);
    /* A trace is input like any flag: check all of it now (bounds, record
     * kinds, frees of live blocks), so a bad one is one line and exit 2
     * before any cell runs, not a failed cell per backend. */
    const char *trace_to_check = plan->trace[0] ? plan->trace : env_trace;
    if (trace_to_check && *trace_to_check) {
        hl_trace t;
        char terr[300];
        if (hl_trace_load(trace_to_check, &t, terr, sizeof terr) != 0) {
            snprintf(err, errlen, "%s %s: %s; record a new one with scripts/record-trace.sh",
                     req->trace ? "--trace" : plan->trace[0] ? "the build's default trace"
                                                             : "HEAPLAB_TRACE",
                     trace_to_check, terr);
            return -1;
        }
        hl_trace_free(&t);
    }
    if (plan->iterations && strcmp(plan->measure, "instructions") != 0) {
        snprintf(err, errlen, "--iterations applies to --measure instructions only: drop it or "
                              "add --measure instructions");
        return -1;
    }
    if (req->have_seed) {
        plan->seed = req->seed;
    } else if (instr) {
        /* Instruction counts are for repeating: the same command must give
         * the same workload, so no random seed by default. */
        plan->seed = 1;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t s = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
                     ((uint64_t)getpid() << 32);
        plan->seed = hl_plan_rand(&s) % 1000000000ull; /* short enough to retype */
    }

    const char *backends[HL_PLAN_MAX_LIST];
    size_t n_backends = req->n_backends;
    if (n_backends)
        memcpy(backends, req->backends, n_backends * sizeof backends[0]);
    else
        default_backends(cat, backends, &n_backends);
    if (n_backends == 0) {
        snprintf(err, errlen, "no backend to run: this build's cells list none");
        return -1;
    }
    const char *variants[HL_PLAN_MAX_LIST];
    for (size_t i = 0; i < n_backends; i++) {
        char rerr[256];
        variants[i] = hl_route_variant(backends[i], rerr, sizeof rerr);
        if (!variants[i]) {
            snprintf(err, errlen, "--backends: %s", rerr);
            return -1;
        }
        int vi = hl_catalog_variant_index(variants[i]);
        if (vi < 0 || !cat->have_variant[vi]) {
            char name[64], path[HL_ROUTE_PATH_MAX], a0[HL_ROUTE_PATH_MAX];
            hl_route_backend_name(backends[i], name, sizeof name);
            if (hl_route_cell_exe(variants[i], name, path, sizeof path, a0, sizeof a0, err,
                                  errlen) == 0)
                snprintf(err, errlen, "backend '%s': %s", name,
                         vi >= 0 ? cat->variant_err[vi] : "unknown variant");
            return -1;
        }
    }

    const hl_cat_workload *wls[HL_CAT_MAX_WORKLOADS];
    size_t n_wls = 0;
    if (req->n_workloads) {
        for (size_t i = 0; i < req->n_workloads; i++) {
            const hl_cat_workload *w = hl_catalog_workload(cat, req->workloads[i]);
            if (!w) {
                snprintf(err, errlen, "--workloads: unknown workload '%s' (see 'heaplab list "
                                      "workloads')", req->workloads[i]);
                return -1;
            }
            if (hl_plan_needs_trace(w->name) && !have_trace) {
                snprintf(err, errlen, "--workloads %s replays a recorded trace: pass --trace FILE "
                                      "(record one with scripts/record-trace.sh)", w->name);
                return -1;
            }
            if (n_wls < HL_CAT_MAX_WORKLOADS)
                wls[n_wls++] = w;
        }
    } else {
        for (size_t i = 0; i < cat->n_workloads; i++)
            if (have_trace || !hl_plan_needs_trace(cat->workloads[i].name))
                wls[n_wls++] = &cat->workloads[i];
    }
    if (n_wls == 0) {
        snprintf(err, errlen, "no workload to run: this build's cells list none");
        return -1;
    }

    /* Every sweep must apply somewhere, and its values must be in bounds. */
    for (size_t s = 0; s < req->n_sweeps; s++) {
        const hl_plan_sweep *sw = &req->sweeps[s];
        bool used = false;
        for (size_t w = 0; w < n_wls; w++) {
            const hl_cat_param *p = hl_catalog_param(wls[w], sw->name);
            if (!p)
                continue;
            used = true;
            for (size_t v = 0; v < sw->n; v++)
                if (sw->values[v] < p->min || sw->values[v] > p->max) {
                    snprintf(err, errlen,
                             "--param %s=%" PRId64 ": out of range for workload %s; give a "
                             "value in [%" PRId64 ", %" PRId64 "]",
                             sw->name, sw->values[v], wls[w]->name, p->min, p->max);
                    return -1;
                }
        }
        if (!used) {
            snprintf(err, errlen, "--param %s: no selected workload has a parameter '%s' (see "
                                  "'heaplab list workloads')", sw->name, sw->name);
            return -1;
        }
    }

    unsigned threads[HL_PLAN_MAX_THREADS];
    size_t n_threads = req->n_threads;
    if (n_threads) {
        memcpy(threads, req->threads, n_threads * sizeof threads[0]);
    } else if (full) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        threads[0] = 1;
        n_threads = 1;
        if (ncpu > 1)
            threads[n_threads++] = (unsigned)ncpu;
    } else {
        threads[0] = 2;
        n_threads = 1;
    }

    size_t cap = 0;
    for (size_t w = 0; w < n_wls; w++) {
        const hl_cat_workload *wl = wls[w];
        const hl_plan_sweep *applies[HL_PLAN_MAX_SWEEPS];
        size_t n_applies = 0;
        for (size_t s = 0; s < req->n_sweeps; s++)
            if (hl_catalog_param(wl, req->sweeps[s].name))
                applies[n_applies++] = &req->sweeps[s];
        size_t odo[HL_PLAN_MAX_SWEEPS] = {0};
        for (;;) {
            size_t nt = wl->threaded ? n_threads : 1;
            for (size_t t = 0; t < nt; t++) {
                for (size_t b = 0; b < n_backends; b++) {
                    hl_plan_cell c;
                    memset(&c, 0, sizeof c);
                    snprintf(c.backend, sizeof c.backend, "%s", backends[b]);
                    snprintf(c.variant, sizeof c.variant, "%s", variants[b]);
                    snprintf(c.workload, sizeof c.workload, "%s", wl->name);
                    c.threaded = wl->threaded;
                    c.threads = wl->threaded ? threads[t] : 1;
                    for (size_t s = 0; s < n_applies; s++) {
                        snprintf(c.params[s].name, sizeof c.params[s].name, "%s",
                                 applies[s]->name);
                        c.params[s].value = applies[s]->values[odo[s]];
                    }
                    c.n_params = n_applies;
                    make_cell_id(&c);
                    if (add_cell(plan, &cap, &c, err, errlen) != 0) {
                        hl_plan_free(plan);
                        return -1;
                    }
                }
            }
            size_t s = 0;
            while (s < n_applies && ++odo[s] == applies[s]->n)
                odo[s++] = 0;
            if (s == n_applies)
                break;
        }
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
        const char *v = hl_route_variant(c->backend, rerr, sizeof rerr);
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

void hl_plan_order(hl_plan *plan)
{
    free(plan->jobs);
    plan->n_jobs = plan->n_cells * plan->repetitions;
    plan->jobs = malloc((plan->n_jobs ? plan->n_jobs : 1) * sizeof *plan->jobs);
    if (!plan->jobs)
        return;
    size_t k = 0;
    for (unsigned r = 0; r < plan->repetitions; r++) {
        hl_plan_job *round = plan->jobs + k;
        for (size_t i = 0; i < plan->n_cells; i++)
            round[i] = (hl_plan_job){(uint32_t)i, r};
        uint64_t state = plan->seed + r;
        for (size_t i = plan->n_cells; i > 1; i--) {
            size_t j = (size_t)(hl_plan_rand(&state) % i);
            hl_plan_job tmp = round[i - 1];
            round[i - 1] = round[j];
            round[j] = tmp;
        }
        k += plan->n_cells;
    }
}

double hl_plan_job_estimate_s(const hl_plan *plan)
{
    /* Measured on a shared 2-core machine (quick suite, 2026-11): process
     * start, set-up and verify ~0.15 s; Google Benchmark's loop overshoots
     * min_time while it grows the iteration count (about 3x at 0.05 s), and
     * the warm-up runs ~1.5x its nominal time.  The run's ETA then uses the
     * real job times. */
    if (strcmp(plan->measure, "instructions") == 0)
        return 1.5; /* valgrind start-up and translation dominate (same machine) */
    return 0.15 + 1.5 * plan->warmup_time + 3 * plan->min_time;
}

/* ---- plan.json ---------------------------------------------------------- */

int hl_plan_save(const hl_plan *plan, const char *path, char *err, size_t errlen)
{
    hl_atomic_file af;
    if (hl_atomic_begin(&af, path, err, errlen) != 0)
        return -1;
    hl_jw w;
    hl_jw_init(&w, af.f, true);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_int(&w, "format_version", 1);
    hl_jw_str(&w, "suite", plan->suite);
    hl_jw_str(&w, "suite_size", plan->suite_size);
    hl_jw_uint(&w, "seed", plan->seed);
    hl_jw_uint(&w, "repetitions", plan->repetitions);
    hl_jw_num(&w, "min_time_s", plan->min_time);
    hl_jw_num(&w, "warmup_time_s", plan->warmup_time);
    hl_jw_num(&w, "timeout_s", plan->timeout_s);
    hl_jw_uint(&w, "memory_limit_mb", plan->memory_limit_mb);
    hl_jw_str(&w, "measure", plan->measure);
    hl_jw_uint(&w, "iterations", plan->iterations);
    hl_jw_str(&w, "trace", plan->trace[0] ? plan->trace : NULL);
    hl_jw_arr_begin(&w, "cells");
    for (size_t i = 0; i < plan->n_cells; i++) {
        const hl_plan_cell *c = &plan->cells[i];
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "id", c->id);
        hl_jw_str(&w, "backend", c->backend);
        hl_jw_str(&w, "variant", c->variant);
        hl_jw_str(&w, "workload", c->workload);
        hl_jw_uint(&w, "threads", c->threads);
        hl_jw_bool(&w, "threaded", c->threaded);
        hl_jw_obj_begin(&w, "params");
        for (size_t p = 0; p < c->n_params; p++)
            hl_jw_int(&w, c->params[p].name, c->params[p].value);
        hl_jw_obj_end(&w);
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
    if (hl_jw_finish(&w) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        hl_atomic_abort(&af);
        return -1;
    }
    return hl_atomic_commit(&af, true, err, errlen);
}

int hl_plan_load(hl_plan *plan, const char *path, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    char perr[256];
    hl_json *doc = hl_json_parse_file(path, perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    const hl_json *cells = hl_json_get(doc, "cells");
    const hl_json *order = hl_json_get(doc, "order");
    if (!cells || cells->type != HL_JARR || !order || order->type != HL_JARR ||
        hl_json_get_num(doc, "format_version", 0) != 1) {
        snprintf(err, errlen, "%s is not a heaplab plan (format_version 1 with cells and order)",
                 path);
        hl_json_free(doc);
        return -1;
    }
    snprintf(plan->suite, sizeof plan->suite, "%s", hl_json_get_str(doc, "suite", "quick"));
    snprintf(plan->suite_size, sizeof plan->suite_size, "%s",
             hl_json_get_str(doc, "suite_size", "quick"));
    plan->seed = (uint64_t)hl_json_get_num(doc, "seed", 0);
    plan->repetitions = (unsigned)hl_json_get_num(doc, "repetitions", 1);
    plan->min_time = hl_json_get_num(doc, "min_time_s", 0.05);
    plan->warmup_time = hl_json_get_num(doc, "warmup_time_s", 0.02);
    plan->timeout_s = hl_json_get_num(doc, "timeout_s", 120);
    plan->memory_limit_mb = (uint64_t)hl_json_get_num(doc, "memory_limit_mb", 0);
    snprintf(plan->measure, sizeof plan->measure, "%s", hl_json_get_str(doc, "measure", "time"));
    plan->iterations = (uint64_t)hl_json_get_num(doc, "iterations", 0);
    snprintf(plan->trace, sizeof plan->trace, "%s", hl_json_get_str(doc, "trace", ""));
    plan->n_cells = hl_json_len(cells);
    plan->cells = calloc(plan->n_cells ? plan->n_cells : 1, sizeof *plan->cells);
    plan->n_jobs = hl_json_len(order);
    plan->jobs = calloc(plan->n_jobs ? plan->n_jobs : 1, sizeof *plan->jobs);
    if (!plan->cells || !plan->jobs) {
        snprintf(err, errlen, "out of memory loading %s", path);
        hl_json_free(doc);
        hl_plan_free(plan);
        return -1;
    }
    for (size_t i = 0; i < plan->n_cells; i++) {
        const hl_json *o = hl_json_at(cells, i);
        hl_plan_cell *c = &plan->cells[i];
        snprintf(c->id, sizeof c->id, "%s", hl_json_get_str(o, "id", ""));
        snprintf(c->backend, sizeof c->backend, "%s", hl_json_get_str(o, "backend", ""));
        snprintf(c->variant, sizeof c->variant, "%s", hl_json_get_str(o, "variant", ""));
        snprintf(c->workload, sizeof c->workload, "%s", hl_json_get_str(o, "workload", ""));
        c->threads = (unsigned)hl_json_get_num(o, "threads", 1);
        c->threaded = hl_json_bool(hl_json_get(o, "threaded"), false);
        const hl_json *ps = hl_json_get(o, "params");
        for (size_t p = 0; p < hl_json_len(ps) && p < HL_CAT_MAX_PARAMS; p++) {
            snprintf(c->params[p].name, sizeof c->params[p].name, "%s", ps->keys[p]);
            c->params[p].value = (int64_t)hl_json_num(&ps->items[p], 0);
            c->n_params = p + 1;
        }
        if (!c->id[0] || !c->backend[0] || !c->workload[0]) {
            snprintf(err, errlen, "%s: cell %zu lacks id, backend or workload", path, i);
            hl_json_free(doc);
            hl_plan_free(plan);
            return -1;
        }
    }
    for (size_t i = 0; i < plan->n_jobs; i++) {
        const hl_json *pair = hl_json_at(order, i);
        double cell = hl_json_num(hl_json_at(pair, 0), -1);
        double rep = hl_json_num(hl_json_at(pair, 1), -1);
        if (cell < 0 || cell >= (double)plan->n_cells || rep < 0 ||
            rep >= (double)plan->repetitions) {
            snprintf(err, errlen, "%s: order entry %zu is out of range", path, i);
            hl_json_free(doc);
            hl_plan_free(plan);
            return -1;
        }
        plan->jobs[i] = (hl_plan_job){(uint32_t)cell, (uint32_t)rep};
    }
    hl_json_free(doc);
    char cerr[256];
    if (hl_plan_check(plan, cerr, sizeof cerr) != 0) {
        snprintf(err, errlen, "%s: %s", path, cerr);
        hl_plan_free(plan);
        return -1;
    }
    return 0;
}
