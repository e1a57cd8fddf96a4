/* cli_list.c - `heaplab list [backends|workloads|suites] [--json]`.
 *
 * Everything shown comes from the cells' --describe --json (catalog.c), so
 * the versions are those of the libraries actually linked, and a backend
 * this build lacks is listed with the package that would bring it.
 */
#include "backend_table.h"
#include "catalog.h"
#include "cli.h"
#include "json.h"
#include "plan.h"
#include "progress.h"
#include "route.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const list_usage =
    "usage: heaplab list [backends|workloads|suites] [--json]\n"
    "\n"
    "Show what this build can run: backends (with the version of the library each\n"
    "cell links, and the ones this build lacks), workloads (with their parameters,\n"
    "full-size defaults and quick-suite values) and suites.  Without a section,\n"
    "shows all three.\n"
    "\n"
    "  --json   machine-readable output on stdout\n";

static const char *suite_descr(const char *s)
{
    return strcmp(s, "quick") == 0
               ? "every backend (but faulty) x every workload at quick sizes, 5 repetitions x "
                 "0.05 s in 5 samples after a 0.05 s warm-up, threaded workloads at 2 threads"
               : "every backend (but faulty) x every workload at default sizes, 9 repetitions "
                 "x 0.2 s in 5 samples, threaded workloads at 1 and nproc threads";
}

static void print_backends(const hl_catalog *cat, bool json, hl_jw *w)
{
    if (json)
        hl_jw_arr_begin(w, "backends");
    else
        printf("Backends (NAME[:raw=VARIANT] for pool, guard, faulty):\n");
    for (size_t i = 0; i < hl_route_backend_count(); i++) {
        const char *name = hl_route_backend_at(i);
        char err[256];
        const char *variant = hl_route_variant(name, err, sizeof err);
        const hl_cat_backend *b = hl_catalog_backend(cat, name);
        int vi = hl_catalog_variant_index(variant);
        char missing[300];
        char path[HL_ROUTE_PATH_MAX], argv0[HL_ROUTE_PATH_MAX];
        if (hl_route_cell_exe(variant, name, path, sizeof path, argv0, sizeof argv0, missing,
                              sizeof missing) == 0)
            snprintf(missing, sizeof missing, "%s",
                     vi >= 0 && cat->variant_err[vi][0] ? cat->variant_err[vi]
                                                        : "not listed by its cell");
        if (json) {
            hl_jw_obj_begin(w, NULL);
            hl_jw_str(w, "name", name);
            hl_jw_str(w, "variant", variant);
            hl_jw_bool(w, "available", b != NULL);
            hl_jw_bool(w, "takes_raw", hl_route_takes_raw(name));
            if (b) {
                hl_jw_str(w, "version", b->version);
                hl_jw_str(w, "summary", b->summary);
                hl_jw_str(w, "kind", b->kind);
                hl_jw_bool(w, "thread_safe", b->thread_safe);
            } else {
                hl_jw_str(w, "missing", missing);
            }
            hl_jw_obj_end(w);
        } else if (b) {
            const hl_backend_row *row = hl_backend_row_find(name);
            bool ranked = row == NULL || hl_backend_row_is_ranked(row);
            printf("  %-9s %s\n            %s%s%s\n", name, b->version[0] ? b->version : "-",
                   b->summary, b->thread_safe ? "" : " [takes the GIL]",
                   ranked ? "" : " [never ranked]");
        } else {
            printf("  %-9s (missing) %s\n", name, missing);
        }
    }
    if (json)
        hl_jw_arr_end(w);
}

static void print_workloads(const hl_catalog *cat, bool json, hl_jw *w)
{
    if (json)
        hl_jw_arr_begin(w, "workloads");
    else
        printf("Workloads (--param NAME=VALUE overrides; quick = value in the quick suite):\n");
    for (size_t i = 0; i < cat->n_workloads; i++) {
        const hl_cat_workload *wl = &cat->workloads[i];
        if (json) {
            hl_catalog_write_workload(w, wl);
            continue;
        }
        printf("  %-16s %s%s%s%s\n", wl->name, wl->description, wl->threaded ? " [threaded]" : "",
               wl->op_unit[0] ? "; op = " : "", wl->op_unit);
        for (size_t p = 0; p < wl->n_params; p++) {
            const hl_cat_param *cp = &wl->params[p];
            printf("      %-14s default %" PRId64 ", quick %" PRId64 ", range [%" PRId64
                   ", %" PRId64 "]  %s\n",
                   cp->name, cp->def, cp->quick, cp->min, cp->max, cp->help);
        }
    }
    if (json)
        hl_jw_arr_end(w);
}

static void print_suites(const hl_catalog *cat, bool json, hl_jw *w)
{
    static const char *const suites[] = {"quick", "full"};
    if (json)
        hl_jw_arr_begin(w, "suites");
    else
        printf("Suites (heaplab run SUITE):\n");
    for (size_t i = 0; i < 2; i++) {
        hl_plan_request req;
        hl_plan_request_init(&req);
        req.suite = suites[i];
        req.have_seed = true;
        hl_plan plan;
        char err[300];
        bool ok = hl_plan_build(cat, &req, &plan, err, sizeof err) == 0;
        double est = ok ? (double)plan.n_jobs * hl_plan_job_estimate_s(&plan) : 0;
        if (json) {
            hl_jw_obj_begin(w, NULL);
            hl_jw_str(w, "name", suites[i]);
            hl_jw_str(w, "description", suite_descr(suites[i]));
            if (ok) {
                hl_jw_uint(w, "cells", plan.n_cells);
                hl_jw_uint(w, "jobs", plan.n_jobs);
                hl_jw_num(w, "estimated_s", est);
            }
            hl_jw_obj_end(w);
        } else {
            char eta[32];
            hl_progress_format_duration(est, eta, sizeof eta);
            printf("  %-6s %s\n", suites[i], suite_descr(suites[i]));
            if (ok)
                printf("         here: %zu cells, %zu processes, about %s\n", plan.n_cells,
                       plan.n_jobs, eta);
        }
        if (ok)
            hl_plan_free(&plan);
    }
    if (json)
        hl_jw_arr_end(w);
}

int hl_cli_list(int argc, char **argv)
{
    bool json = false;
    const char *what = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(list_usage, stdout);
            return HL_EXIT_OK;
        }
        if ((r = hl_cli_opt("list", argc, argv, &i, "--json", NULL)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            json = true;
        } else if (argv[i][0] == '-') {
            return hl_cli_usage_error("list", "unknown option '%s': the only option is --json",
                                      argv[i]);
        } else if (what) {
            return hl_cli_usage_error("list", "one section at a time: '%s' after '%s'", argv[i],
                                      what);
        } else if (strcmp(argv[i], "backends") == 0 || strcmp(argv[i], "workloads") == 0 ||
                   strcmp(argv[i], "suites") == 0) {
            what = argv[i];
        } else {
            static const char *const sections[] = {"backends", "workloads", "suites"};
            const char *near = hl_cli_suggest(argv[i], sections, 3);
            if (near)
                return hl_cli_usage_error("list", "unknown section '%s': did you mean '%s'?",
                                          argv[i], near);
            return hl_cli_usage_error("list", "unknown section '%s': use backends, workloads or "
                                              "suites", argv[i]);
        }
    }
    hl_catalog *cat = calloc(1, sizeof *cat);
    if (!cat) {
        fprintf(stderr, "heaplab list: out of memory\n");
        return HL_EXIT_FAIL;
    }
    char err[300];
    if (hl_catalog_load(cat, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab list: %s\n", err);
        free(cat);
        return HL_EXIT_FAIL;
    }
    hl_jw w;
    if (json) {
        hl_jw_init(&w, stdout, true);
        hl_jw_obj_begin(&w, NULL);
    }
    bool all = what == NULL;
    if (all || strcmp(what, "backends") == 0)
        print_backends(cat, json, &w);
    if (all && !json)
        putchar('\n');
    if (all || strcmp(what, "workloads") == 0)
        print_workloads(cat, json, &w);
    if (all && !json)
        putchar('\n');
    if (all || strcmp(what, "suites") == 0)
        print_suites(cat, json, &w);
    int rc = HL_EXIT_OK;
    if (json) {
        hl_jw_obj_end(&w);
        rc = hl_jw_finish(&w) == 0 ? HL_EXIT_OK : HL_EXIT_FAIL;
        putchar('\n');
    }
    free(cat);
    return rc;
}
