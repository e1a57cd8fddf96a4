/* cli_export.c - `heaplab export DIR --format gbench|benchres|csv`: a result
 * set in the formats other tools read.
 *
 * How it works
 * ------------
 *   gbench    one Google Benchmark JSON document for the whole run (its
 *             cells' per-process files are one repetition each), read by
 *             google/benchmark's tools/compare.py: every ok repetition is a
 *             run of type "iteration" with repetition_index k, every cell
 *             also gets median/mean/stddev/cv aggregates.  Names are
 *             stable across runs and never carry min_time:
 *             BACKEND/WORKLOAD[/PARAM:VALUE...]/threads:N, with the
 *             resolved value of every parameter.  So
 *               compare.py benchmarks A.json B.json        (run against run)
 *               compare.py filters run.json '^system/' '^pool/'   (backend
 *                                   against backend within one run)
 *             both match by name.  real_time and cpu_time are per
 *             operation, in ns.  (Schema: google/benchmark docs
 *             "User Guide: Output formats", json_schema_version 1.)
 *   benchres  mimalloc-bench's benchres.csv: a "# benchmark allocator
 *             elapsed rss user sys page-faults page-reclaims" header, then
 *             one space-separated line per ok repetition, as its bench.sh
 *             writes them with GNU time -f "%E %M %U %S %F %R": elapsed as
 *             m:ss.ss, peak RSS in KiB, user and sys seconds, major and
 *             minor faults.  heaplab's elapsed is the cell's time per
 *             operation in nanoseconds written as if seconds, the way
 *             bench.sh writes the "relative time" of its throughput tests
 *             (larson: 1e9 / (ops/s)), so its graphs.py ranks them the same
 *             way.
 *   csv       one row per repetition (results.csv has one per cell).
 */
#include "cli.h"
#include "protocol.h"
#include "results.h"
#include "stats.h"
#include "table.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const export_usage =
    "usage: heaplab export DIR --format gbench|benchres|csv [--out FILE]\n"
    "\n"
    "Writes the result set in DIR in another tool's format, to FILE or stdout:\n"
    "  gbench    one Google Benchmark JSON for the whole run; read by google/benchmark's\n"
    "            tools/compare.py (benchmarks A.json B.json, or filters run.json\n"
    "            '^system/' '^pool/'); names BACKEND/WORKLOAD[/PARAM:V]/threads:N\n"
    "  benchres  mimalloc-bench's benchres.csv (its graphs.py and scripts read it)\n"
    "  csv       one row per repetition\n";

/* The value of extra "name" in a repetition, NAN when absent. */
static double extra(const hl_rep *r, const char *name)
{
    for (size_t i = 0; i < r->n_extra; i++)
        if (strcmp(r->extra[i].name, name) == 0)
            return r->extra[i].value;
    return NAN;
}

static const hl_rep *first_ok(const hl_resultset *rs, size_t c)
{
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        const hl_rep *r = hl_results_rep_c(rs, c, k);
        if (r->done && strcmp(r->status, HL_JOB_OK) == 0)
            return r;
    }
    return NULL;
}

/* BACKEND/WORKLOAD/PARAM:VALUE.../threads:N, every parameter resolved. */
static void gbench_name(const hl_resultset *rs, size_t c, char *out, size_t outlen)
{
    const hl_plan_cell *pc = &rs->plan.cells[c];
    int n = snprintf(out, outlen, "%s/%s", pc->backend, pc->workload);
    const hl_rep *r = first_ok(rs, c);
    for (size_t e = 0; r && e < r->n_extra && n > 0 && (size_t)n < outlen; e++)
        if (strncmp(r->extra[e].name, "params.", 7) == 0)
            n += snprintf(out + n, outlen - (size_t)n, "/%s:%.17g", r->extra[e].name + 7,
                          r->extra[e].value);
    if (n > 0 && (size_t)n < outlen)
        snprintf(out + n, outlen - (size_t)n, "/threads:%u", pc->threads);
}

static void gbench_run(hl_jw *w, const char *name, size_t family, const hl_plan_cell *pc,
                       unsigned reps, long k, const char *aggregate, double real, double cpu,
                       double iterations, double ops_per_s)
{
    char full[700];
    snprintf(full, sizeof full, "%s%s%s", name, aggregate ? "_" : "", aggregate ? aggregate : "");
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "name", full);
    hl_jw_uint(w, "family_index", family);
    hl_jw_uint(w, "per_family_instance_index", 0);
    hl_jw_str(w, "run_name", name);
    hl_jw_str(w, "run_type", aggregate ? "aggregate" : "iteration");
    hl_jw_uint(w, "repetitions", reps);
    if (aggregate) {
        hl_jw_str(w, "aggregate_name", aggregate);
        hl_jw_str(w, "aggregate_unit", strcmp(aggregate, "cv") == 0 ? "percentage" : "time");
    } else {
        hl_jw_int(w, "repetition_index", k);
    }
    hl_jw_uint(w, "threads", pc->threads);
    hl_jw_num(w, "iterations", iterations);
    hl_jw_num(w, "real_time", real);
    hl_jw_num(w, "cpu_time", cpu);
    hl_jw_str(w, "time_unit", "ns");
    if (!isnan(ops_per_s))
        hl_jw_num(w, "items_per_second", ops_per_s);
    hl_jw_obj_end(w);
}

static void gbench_cell(hl_jw *w, const hl_resultset *rs, size_t c, size_t family)
{
    const hl_plan_cell *pc = &rs->plan.cells[c];
    char name[600];
    gbench_name(rs, c, name, sizeof name);
    unsigned R = rs->plan.repetitions;
    double *real = calloc(R + 1, sizeof *real), *cpu = calloc(R + 1, sizeof *cpu);
    size_t n = 0;
    for (unsigned k = 0; real && cpu && k < R; k++) {
        const hl_rep *r = hl_results_rep_c(rs, c, k);
        if (!r->done || strcmp(r->status, HL_JOB_OK) != 0)
            continue;
        real[n] = r->m[HL_M_NS_PER_OP];
        cpu[n] = extra(r, "time.cpu_ns_per_op");
        if (isnan(cpu[n]))
            cpu[n] = real[n];
        gbench_run(w, name, family, pc, R, k, NULL, real[n], cpu[n], r->m[HL_M_OPERATIONS],
                   r->m[HL_M_OPS_PER_S]);
        n++;
    }
    if (n >= 2) {
        hl_stats_summary sr, sc;
        hl_stats_summarize(real, n, &sr);
        hl_stats_summarize(cpu, n, &sc);
        gbench_run(w, name, family, pc, R, -1, "mean", sr.mean, sc.mean, (double)n, NAN);
        gbench_run(w, name, family, pc, R, -1, "median", sr.median, sc.median, (double)n, NAN);
        gbench_run(w, name, family, pc, R, -1, "stddev", sr.stddev, sc.stddev, (double)n, NAN);
        gbench_run(w, name, family, pc, R, -1, "cv", sr.cv, sc.cv, (double)n, NAN);
    }
    free(real);
    free(cpu);
}

static int export_gbench(const hl_resultset *rs, FILE *out)
{
    if (hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP)
        return hl_cli_usage_error("export", "--format gbench: %s measured instructions, which "
                                            "Google Benchmark's JSON has no place for; use "
                                            "--format csv", rs->dir);
    hl_jw w;
    hl_jw_init(&w, out, true);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_obj_begin(&w, "context");
    hl_jw_str(&w, "date", rs->started);
    hl_jw_str(&w, "host_name", hl_json_get_str(rs->metadata, "hostname", ""));
    hl_jw_str(&w, "executable", "heaplab");
    hl_jw_num(&w, "num_cpus", hl_json_get_num(rs->metadata, "cpu_count", NAN));
    hl_jw_str(&w, "library_build_type", hl_json_get_str(rs->metadata, "build_type", ""));
    hl_jw_int(&w, "json_schema_version", 1);
    hl_jw_str(&w, "heaplab_suite", rs->plan.suite);
    hl_jw_str(&w, "heaplab_label", hl_json_get_str(rs->metadata, "label", NULL));
    hl_jw_str(&w, "heaplab_git_commit", hl_json_get_str(rs->metadata, "git_commit", ""));
    hl_jw_str(&w, "heaplab_unit", "real_time and cpu_time are per operation");
    hl_jw_obj_end(&w);
    hl_jw_arr_begin(&w, "benchmarks");
    for (size_t c = 0; c < rs->plan.n_cells; c++)
        gbench_cell(&w, rs, c, c);
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    fputc('\n', out);
    return hl_jw_finish(&w) == 0 ? HL_EXIT_OK : HL_EXIT_FAIL;
}

/* "m:ss.ss" of GNU time's %E for s seconds (h:mm:ss past an hour). */
static void elapsed_e(double s, char *out, size_t outlen)
{
    if (s >= 3600)
        snprintf(out, outlen, "%d:%02d:%05.2f", (int)(s / 3600), (int)fmod(s / 60, 60),
                 fmod(s, 60));
    else
        snprintf(out, outlen, "%d:%05.2f", (int)(s / 60), fmod(s, 60));
}

/* BENCHMARK of benchres: the workload, its non-default parameters and,
 * for threaded ones, N (mimalloc-bench names them larsonN, xmalloc-testN). */
static void benchres_name(const hl_plan_cell *pc, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s", pc->workload);
    for (size_t k = 0; k < pc->n_params && n > 0 && (size_t)n < outlen; k++)
        n += snprintf(out + n, outlen - (size_t)n, "-%s%" PRId64, pc->params[k].name,
                      pc->params[k].value);
    if (pc->threaded && n > 0 && (size_t)n < outlen)
        snprintf(out + n, outlen - (size_t)n, "-t%u", pc->threads);
}

static int export_benchres(const hl_resultset *rs, FILE *out)
{
    hl_metric_id pm = hl_results_primary_metric(rs);
    fprintf(out, "# benchmark allocator elapsed rss user sys page-faults page-reclaims\n");
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_plan_cell *pc = &rs->plan.cells[c];
        char bench[400], alloc[320], e[32];
        benchres_name(pc, bench, sizeof bench);
        snprintf(alloc, sizeof alloc, "%s", pc->backend);
        for (char *p = alloc; *p; p++)
            if (*p == ' ')
                *p = '_';
        for (unsigned k = 0; k < rs->plan.repetitions; k++) {
            const hl_rep *r = hl_results_rep_c(rs, c, k);
            if (!r->done || strcmp(r->status, HL_JOB_OK) != 0)
                continue;
            /* time per operation in ns, or instructions per op / 1000 */
            double score = pm == HL_M_INSTR_PER_OP ? r->m[pm] / 1000 : r->m[pm];
            elapsed_e(score, e, sizeof e);
            fprintf(out, "%s %s %s %.0f %.2f %.2f %.0f %.0f\n", bench, alloc, e,
                    r->m[HL_M_PEAK_RSS_KIB], r->m[HL_M_USER_S], r->m[HL_M_SYS_S],
                    r->m[HL_M_MAJFLT], r->m[HL_M_MINFLT]);
        }
    }
    return HL_EXIT_OK;
}

static int export_csv(const hl_resultset *rs, FILE *out)
{
    fprintf(out, "cell_id,workload,backend,variant,threads,params,rep,status,reason");
    for (int m = 0; m < HL_M_COUNT; m++)
        fprintf(out, ",%s", hl_metric_names[m]);
    fputc('\n', out);
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_plan_cell *pc = &rs->plan.cells[c];
        char params[512];
        hl_plan_params_str(pc, params, sizeof params);
        for (unsigned k = 0; k < rs->plan.repetitions; k++) {
            const hl_rep *r = hl_results_rep_c(rs, c, k);
            if (!r->done)
                continue;
            hl_csv_field(out, pc->id);
            fputc(',', out);
            hl_csv_field(out, pc->workload);
            fputc(',', out);
            hl_csv_field(out, pc->backend);
            fprintf(out, ",%s,%u,", pc->variant, pc->threads);
            hl_csv_field(out, params);
            fprintf(out, ",%u,%s,", k, r->status);
            hl_csv_field(out, r->reason);
            for (int m = 0; m < HL_M_COUNT; m++) {
                if (isnan(r->m[m]))
                    fputs(",", out);
                else
                    fprintf(out, ",%.17g", r->m[m]);
            }
            fputc('\n', out);
        }
    }
    return HL_EXIT_OK;
}

int hl_cli_export(int argc, char **argv)
{
    const char *dir = NULL, *format = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(export_usage, stdout);
            return HL_EXIT_OK;
        }
        if ((r = hl_cli_opt("export", argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            format = v;
        } else if ((r = hl_cli_opt("export", argc, argv, &i, "--out", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            file = v;
        } else if (argv[i][0] == '-') {
            return hl_cli_usage_error("export", "unknown option '%s' (see heaplab export "
                                                "--help)", argv[i]);
        } else if (dir) {
            return hl_cli_usage_error("export", "one result directory at a time");
        } else {
            dir = argv[i];
        }
    }
    if (!dir || !format)
        return hl_cli_usage_error("export", "write heaplab export DIR --format "
                                            "gbench|benchres|csv");
    int (*fn)(const hl_resultset *, FILE *) = strcmp(format, "gbench") == 0     ? export_gbench
                                              : strcmp(format, "benchres") == 0 ? export_benchres
                                              : strcmp(format, "csv") == 0      ? export_csv
                                                                                : NULL;
    if (!fn)
        return hl_cli_usage_error("export", "--format '%s': use gbench, benchres or csv", format);
    hl_resultset rs;
    char err[600];
    if (hl_results_load(&rs, dir, err, sizeof err) != 0)
        return hl_cli_usage_error("export", "%s", err);
    FILE *out = file ? fopen(file, "w") : stdout;
    int rc;
    if (!out)
        rc = hl_cli_usage_error("export", "--out %s: cannot write it", file);
    else
        rc = fn(&rs, out);
    if (file && out && fclose(out) != 0)
        rc = HL_EXIT_FAIL;
    hl_results_free(&rs);
    return rc;
}
