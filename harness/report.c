/* report.c - what a result set says to a reader: the per-cell table
 * (`heaplab show`, results.csv), the per-workload ranking in hyperfine's
 * manner and pyperf-style warnings (summary.md), and the shared number
 * formats.
 */
#include "results.h"

#include "protocol.h"
#include "ranking.h"
#include "stats.h"
#include "table.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {====================================================================
 * Formatting helpers
 * ==================================================================== */

void hl_fmt_time_ns(double ns, char *out, size_t outlen)
{
    if (isnan(ns))
        snprintf(out, outlen, "-");
    else if (ns < 1e3)
        snprintf(out, outlen, "%.3g ns", ns);
    else if (ns < 1e6)
        snprintf(out, outlen, "%.3g us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(out, outlen, "%.3g ms", ns / 1e6);
    else
        snprintf(out, outlen, "%.3g s", ns / 1e9);
}

void hl_fmt_kib(double kib, char *out, size_t outlen)
{
    if (isnan(kib))
        snprintf(out, outlen, "-");
    else if (kib < 1024)
        snprintf(out, outlen, "%.0f KiB", kib);
    else if (kib < 1024 * 1024)
        snprintf(out, outlen, "%.1f MiB", kib / 1024);
    else
        snprintf(out, outlen, "%.2f GiB", kib / (1024 * 1024));
}

/* A number for CSV: shortest round-trip-ish form, empty for NAN. */
static void fmt_num(double v, char *out, size_t outlen)
{
    if (isnan(v))
        out[0] = '\0';
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, outlen, "%.0f", v);
    else
        snprintf(out, outlen, "%.6g", v);
}

/* "1.23 ± 0.04 ns/op"-style spread of the primary metric. */
static void fmt_primary(const hl_resultset *rs, double v, char *out, size_t outlen)
{
    if (hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP)
        snprintf(out, outlen, isnan(v) ? "-" : "%.1f", v);
    else
        hl_fmt_time_ns(v, out, outlen);
}

/* "[8.17 ns, 8.24 ns]", "-" when there is no spread to show. */
static void fmt_interval(const hl_resultset *rs, const hl_interval *iv, char *out, size_t outlen)
{
    if (iv->n < 2) {
        snprintf(out, outlen, "-");
        return;
    }
    char lo[32], hi[32];
    fmt_primary(rs, iv->lo, lo, sizeof lo);
    fmt_primary(rs, iv->hi, hi, sizeof hi);
    snprintf(out, outlen, "[%s, %s]", lo, hi);
}

/* "1.03 [1.01, 1.05]" */
static void fmt_ratio(double r, const hl_interval *iv, char *out, size_t outlen)
{
    if (isnan(r))
        snprintf(out, outlen, "-");
    else if (iv->n < 2)
        snprintf(out, outlen, "%.2f", r);
    else
        snprintf(out, outlen, "%.2f [%.2f, %.2f]", r, iv->lo, iv->hi);
}

void hl_results_group_key(const hl_plan_cell *c, char *out, size_t outlen)
{
    char params[512];
    hl_plan_params_str(c, params, sizeof params);
    if (c->threaded)
        snprintf(out, outlen, "%s [threads %u]%s%s", c->workload, c->threads,
                 params[0] ? " " : "", params);
    else
        snprintf(out, outlen, "%s%s%s", c->workload, params[0] ? " " : "", params);
}

int hl_format_parse(const char *s, hl_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = HL_FMT_TEXT;
    else if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
        *out = HL_FMT_MD;
    else if (strcmp(s, "csv") == 0)
        *out = HL_FMT_CSV;
    else
        return -1;
    return 0;
}

/* {====================================================================
 * results.csv
 * ==================================================================== */

/* Columns after the identifying ones: median of each metric over ok reps. */
static const hl_metric_id csv_medians[] = {
    HL_M_OPS_PER_S,        HL_M_INSTR_PER_OP,      HL_M_PEAK_RSS_KIB,    HL_M_RSS_END_KIB,
    HL_M_PEAK_LIVE_BYTES,  HL_M_OVERHEAD,          HL_M_MINFLT,          HL_M_MAJFLT,
    HL_M_NVCSW,            HL_M_NIVCSW,            HL_M_USER_S,          HL_M_SYS_S,
    HL_M_WALL_S,           HL_M_ITERATIONS,        HL_M_GC_COLLECTIONS,  HL_M_GC_COLLECTED,
    HL_M_GC_PAUSE_TOTAL_MS, HL_M_GC_PAUSE_MAX_MS,  HL_M_GC_PAUSE_P99_MS,
    HL_M_GIL_ACQUISITIONS,  HL_M_GIL_CONTENDED,
};
#define N_CSV_MEDIANS (sizeof csv_medians / sizeof csv_medians[0])

void hl_results_write_csv(const hl_resultset *rs, FILE *out)
{
    static const char *const head[] = {
        "suite", "label", "host", "cell_id", "workload", "backend", "variant", "threads",
        "params", "reps",
        "reps_planned", "status", "ns_per_op_median", "ns_per_op_mad", "ns_per_op_min",
        "ns_per_op_max", "cv_pct",
    };
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        fprintf(out, "%s%s", i ? "," : "", head[i]);
    for (size_t i = 0; i < N_CSV_MEDIANS; i++)
        fprintf(out, ",%s", hl_metric_names[csv_medians[i]]);
    fprintf(out, ",reason\n");

    size_t R = rs->plan.repetitions;
    double v[R + 1];
    char num[64];
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_plan_cell *pc = &rs->plan.cells[c];
        char params[512];
        hl_plan_params_str(pc, params, sizeof params);
        const hl_rep *why = NULL;
        const char *status = hl_results_cell_status(rs, c, &why);
        hl_csv_field(out, rs->plan.suite);
        fputc(',', out);
        hl_csv_field(out, hl_json_get_str(rs->metadata, "label", ""));
        fputc(',', out);
        hl_csv_field(out, hl_json_get_str(rs->metadata, "hostname", ""));
        fputc(',', out);
        hl_csv_field(out, pc->id);
        fputc(',', out);
        hl_csv_field(out, pc->workload);
        fputc(',', out);
        hl_csv_field(out, pc->backend);
        fputc(',', out);
        hl_csv_field(out, pc->variant);
        fprintf(out, ",%u,", pc->threads);
        hl_csv_field(out, params);
        fprintf(out, ",%zu,%zu,%s", hl_results_reps_ok(rs, c), R, status);
        size_t n = hl_results_values(rs, c, HL_M_NS_PER_OP, v);
        double stats[5] = {NAN, NAN, NAN, NAN, NAN};
        if (n) {
            stats[0] = hl_stats_median(v, n);
            stats[1] = hl_stats_mad(v, n);
            stats[2] = hl_stats_min(v, n);
            stats[3] = hl_stats_max(v, n);
            stats[4] = hl_stats_cv(v, n) * 100;
        }
        for (int i = 0; i < 5; i++) {
            fmt_num(stats[i], num, sizeof num);
            fprintf(out, ",%s", num);
        }
        for (size_t i = 0; i < N_CSV_MEDIANS; i++) {
            fmt_num(hl_results_median(rs, c, csv_medians[i]), num, sizeof num);
            fprintf(out, ",%s", num);
        }
        fputc(',', out);
        if (why) {
            char reason[400];
            snprintf(reason, sizeof reason, "%s: %s", why->status, why->reason);
            hl_csv_field(out, reason);
        }
        fputc('\n', out);
    }
}

/* {====================================================================
 * Reports
 * ==================================================================== */

void hl_results_print_table(const hl_resultset *rs, FILE *out, hl_format fmt)
{
    if (fmt == HL_FMT_CSV) {
        hl_results_write_csv(rs, out);
        return;
    }
    bool instr = hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP;
    const char *head[] = {"workload", "backend", ">threads", "params", ">reps",
                          instr ? ">instr/op (median)" : ">time/op (median)", ">interval",
                          ">CV", ">ops/s", ">peak RSS", "status"};
    hl_table t;
    if (hl_table_init(&t, 11, head) != 0)
        return;
    hl_metric_id pm = hl_results_primary_metric(rs);
    double v[rs->plan.repetitions + 1];
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_plan_cell *pc = &rs->plan.cells[c];
        char threads[16], params[256], reps[32], med[32], mad[80], cv[32], ops[32], rss[32];
        char status[400];
        snprintf(threads, sizeof threads, "%u", pc->threads);
        hl_plan_params_str(pc, params, sizeof params);
        size_t n = hl_results_values(rs, c, pm, v);
        snprintf(reps, sizeof reps, "%zu/%u", n, rs->plan.repetitions);
        fmt_primary(rs, n ? hl_stats_median(v, n) : NAN, med, sizeof med);
        hl_interval iv = hl_stats_median_interval(v, n);
        fmt_interval(rs, &iv, mad, sizeof mad);
        double cvv = hl_stats_cv(v, n);
        snprintf(cv, sizeof cv, isnan(cvv) ? "-" : "%.1f%%", cvv * 100);
        double opsv = instr ? NAN : hl_results_median(rs, c, HL_M_OPS_PER_S);
        if (isnan(opsv))
            snprintf(ops, sizeof ops, "-");
        else if (opsv >= 1e6)
            snprintf(ops, sizeof ops, "%.2fM", opsv / 1e6);
        else if (opsv >= 1e3)
            snprintf(ops, sizeof ops, "%.2fk", opsv / 1e3);
        else
            snprintf(ops, sizeof ops, "%.3g", opsv);
        hl_fmt_kib(hl_results_median(rs, c, HL_M_PEAK_RSS_KIB), rss, sizeof rss);
        const hl_rep *why = NULL;
        const char *st = hl_results_cell_status(rs, c, &why);
        if (why)
            snprintf(status, sizeof status, "%s (%s: %.120s)", st, why->status, why->reason);
        else
            snprintf(status, sizeof status, "%s", st);
        const char *row[] = {pc->workload, pc->backend, threads, params, reps, med, mad,
                             cv,           ops,         rss,     status};
        hl_table_add(&t, row);
    }
    hl_table_print(&t, out, fmt == HL_FMT_MD ? HL_TABLE_MD : HL_TABLE_TEXT, NULL);
    hl_table_free(&t);
}

typedef struct ranked {
    size_t cell;
    double median;
    size_t n;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    return (a->median > b->median) - (a->median < b->median);
}

/* Every warning of the set, one line each, through fn (print_warnings
 * adds the header and bullets; report.html lists them). */
void hl_results_each_warning(const hl_resultset *rs, hl_warning_fn fn, void *ctx)
{
    char line[1200];
    hl_metric_id pm = hl_results_primary_metric(rs);
    double v[rs->plan.repetitions + 1];
    const char *build = rs->metadata ? hl_json_get_str(rs->metadata, "build_type", "") : "";
    const char *hook = rs->metadata ? hl_json_get_str(rs->metadata, "test_cell_cmd", NULL) : NULL;

#define WARN(...)                                                                         \
    do {                                                                                  \
        snprintf(line, sizeof line, __VA_ARGS__);                                         \
        fn(ctx, line);                                                                    \
    } while (0)

    if (hook)
        WARN("cells were run by the test hook %s (HEAPLAB_TEST_CELL_CMD): these are not "
             "measurements", hook);
    if (strcmp(build, "Debug") == 0)
        WARN("heaplab was built as Debug: timings include debug checks; rebuild with "
             "-DCMAKE_BUILD_TYPE=Release to measure");
    if (pm == HL_M_INSTR_PER_OP) {
        /* deterministic counts: repetitions only confirm the determinism */
    } else if (rs->plan.repetitions < 2) {
        WARN("1 repetition per cell: no spread and no U test is possible; use "
             "--repetitions 9 or more to compare backends");
    } else if (rs->plan.repetitions < 9) {
        WARN("%u repetitions per cell: enough for a U test, but its p-values are "
             "unreliable below 9 (Google Benchmark compare.py); use --repetitions 9 "
             "or more before trusting a comparison", rs->plan.repetitions);
    }
    /* What `heaplab check` found when the run started (noise.h). */
    const hl_json *noise = rs->metadata ? hl_json_get(rs->metadata, "noise") : NULL;
    for (size_t i = 0; pm != HL_M_INSTR_PER_OP && i < hl_json_len(noise); i++) {
        const hl_json *f = hl_json_at(noise, i);
        if (!hl_json_bool(hl_json_get(f, "warn"), false))
            continue;
        WARN("%s: %s: %s", hl_json_get_str(f, "key", "?"), hl_json_get_str(f, "value", "?"),
             hl_json_get_str(f, "advice", ""));
    }
    /* A busy machine (pyperf checks load_avg_1min too) explains most noise. */
    const hl_json *la = rs->metadata ? hl_json_get(rs->metadata, "load_avg_start") : NULL;
    double load = hl_json_num(hl_json_at(la, 0), 0);
    double ncpu = rs->metadata ? hl_json_get_num(rs->metadata, "cpu_count", 0) : 0;
    if (ncpu > 0 && load > ncpu && pm != HL_M_INSTR_PER_OP)
        WARN("the machine was busy: load average %.1f on %.0f CPUs at the start; "
             "timings are noisy (prefer --measure instructions there)", load, ncpu);
    /* Unstable cells, worst first; a long list is cut (results.csv has all). */
    enum { MAX_LISTED = 10 };
    ranked *unstable = calloc(rs->plan.n_cells + 1, sizeof *unstable);
    size_t nu = 0;
    for (size_t c = 0; unstable && c < rs->plan.n_cells; c++) {
        size_t n = hl_results_values(rs, c, pm, v);
        double cv = hl_stats_cv(v, n);
        if (n >= 2 && cv > 0.05) {
            unstable[nu].cell = c;
            unstable[nu].median = -cv; /* cmp_ranked sorts ascending */
            unstable[nu].n = n;
            nu++;
        }
    }
    if (nu)
        qsort(unstable, nu, sizeof *unstable, cmp_ranked);
    for (size_t i = 0; i < nu && i < MAX_LISTED; i++)
        WARN("%s: CV %.1f%% over %zu repetitions (> 5%%): rerun on a quiet machine or with "
             "more repetitions",
             rs->plan.cells[unstable[i].cell].id, -unstable[i].median * 100, unstable[i].n);
    if (nu > MAX_LISTED)
        WARN("... and %zu more cells with CV > 5%% (column cv_pct of results.csv)",
             nu - MAX_LISTED);
    free(unstable);
    for (size_t c = 0; c < rs->plan.n_cells; c++) {
        const hl_rep *why = NULL;
        const char *st = hl_results_cell_status(rs, c, &why);
        if (why)
            WARN("%s: %s: %s: %s", rs->plan.cells[c].id, st, why->status, why->reason);
    }
#undef WARN
}

typedef struct warn_print {
    FILE *out;
    bool md;
    size_t n;
} warn_print;

static void print_warning(void *ctx, const char *line)
{
    warn_print *w = ctx;
    if (w->n++ == 0)
        fprintf(w->out, w->md ? "\n## Warnings\n\n"
                              : "\nWarning: the results may be unstable or incomplete:\n");
    fprintf(w->out, "%s%s\n", w->md ? "- " : "  ", line);
}

static void print_warnings(const hl_resultset *rs, FILE *out, bool md)
{
    warn_print w = {out, md, 0};
    hl_results_each_warning(rs, print_warning, &w);
}

/* One group's ranking: a table, then the headline. */
static void print_group(const hl_resultset *rs, const hl_group *g, FILE *out, bool md)
{
    const hl_plan *p = &rs->plan;
    bool instr = hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP;
    if (g->n_rows == 0 && g->n_failed == 0)
        return;
    fprintf(out, md ? "\n## %s\n\n" : "\n%s\n", g->key);
    char refcol[352];
    snprintf(refcol, sizeof refcol, ">x ref (%s)",
             g->ref >= 0 ? p->cells[g->rows[g->ref].cell].backend : "none");
    const char *head[] = {"backend", instr ? ">instr/op" : ">time/op", ">[interval]", refcol,
                          ">peak RSS"};
    hl_table t;
    if (hl_table_init(&t, 5, head) != 0)
        return;
    for (size_t i = 0; i < g->n_rows; i++) {
        const hl_rank_row *r = &g->rows[i];
        char name[352], med[32], iv[80], rel[96], rss[32];
        snprintf(name, sizeof name, "%s%s", p->cells[r->cell].backend, r->debug ? " (debug)" : "");
        fmt_primary(rs, r->median, med, sizeof med);
        fmt_interval(rs, &r->iv, iv, sizeof iv);
        fmt_ratio(r->ratio, &r->ratio_iv, rel, sizeof rel);
        hl_fmt_kib(r->rss_median, rss, sizeof rss);
        const char *row[] = {name, med, iv, rel, rss};
        hl_table_add(&t, row);
    }
    for (size_t i = 0; i < g->n_failed; i++) {
        const hl_rep *why = NULL;
        hl_results_cell_status(rs, g->failed[i], &why);
        const char *row[] = {p->cells[g->failed[i]].backend, "-", "-",
                             why ? why->status : "failed", "-"};
        hl_table_add(&t, row);
    }
    hl_table_print(&t, out, md ? HL_TABLE_MD : HL_TABLE_TEXT, md ? NULL : "  ");
    hl_table_free(&t);
    /* the headline: the fastest against the slowest, debug backends left out */
    long fast = -1, slow = -1;
    for (size_t i = 0; i < g->n_rows; i++)
        if (!g->rows[i].debug) {
            if (fast < 0)
                fast = (long)i;
            slow = (long)i;
        }
    if (fast < 0 || slow <= fast)
        return;
    const hl_rank_row *f = &g->rows[fast], *sl = &g->rows[slow];
    char ratio[96];
    if (g->ref == fast) {
        fmt_ratio(sl->ratio, &sl->ratio_iv, ratio, sizeof ratio);
    } else if (g->ref >= 0) {
        /* the two paired directly, round by round, as the reference is */
        double r;
        hl_interval iv = {NAN, NAN, NAN, true, 0};
        hl_rank_paired_ratio(rs, f->cell, sl->cell, &r, &iv);
        fmt_ratio(r, &iv, ratio, sizeof ratio);
    } else {
        hl_interval none = {NAN, NAN, NAN, true, 0};
        fmt_ratio(sl->median / f->median, &none, ratio, sizeof ratio);
    }
    fprintf(out,
            instr ? "%s'%s' needed %sx fewer instructions than '%s' (the most)\n"
                  : "%s'%s' ran %sx faster than '%s' (the slowest)\n",
            md ? "\n" : "  ", p->cells[f->cell].backend, ratio, p->cells[sl->cell].backend);
}

/* Which CPython the object-layer cells modelled, when the run has any. */
static void print_model_line(const hl_resultset *rs, FILE *out)
{
    const hl_plan *p = &rs->plan;
    bool objects = false;
    for (size_t c = 0; c < p->n_cells; c++)
        objects |= p->cells[c].object_layer;
    const hl_json *fp = rs->metadata ? hl_json_get(rs->metadata, "fingerprint") : NULL;
    const char *model = p->python_model[0] ? p->python_model
                                           : hl_json_get_str(fp, "python_model", NULL);
    if (!objects || model == NULL)
        return;
    fprintf(out, "- object layer: the CPython %s model", model);
    for (size_t i = 0; i < p->n_model_options; i++)
        fprintf(out, "%s%s", i ? ", " : "; what-if options ", p->model_options[i]);
    fputc('\n', out);
}

void hl_results_print_summary(const hl_resultset *rs, FILE *out, bool md)
{
    const hl_plan *p = &rs->plan;
    hl_metric_id pm = hl_results_primary_metric(rs);
    bool instr = pm == HL_M_INSTR_PER_OP;
    size_t done = 0;
    for (size_t i = 0; i < p->n_cells * p->repetitions; i++)
        done += rs->reps[i].done;
    if (md) {
        fprintf(out, "# heaplab results: suite %s\n\n", p->suite);
        const char *cpu = rs->metadata ? hl_json_get_str(rs->metadata, "cpu_model", "?") : "?";
        const char *commit =
            rs->metadata ? hl_json_get_str(rs->metadata, "git_commit", "?") : "?";
        const char *btype =
            rs->metadata ? hl_json_get_str(rs->metadata, "build_type", "?") : "?";
        fprintf(out, "- started %s%s%s; %zu of %zu jobs done%s\n", rs->started,
                rs->finished[0] ? ", finished " : "", rs->finished, done, p->n_jobs,
                rs->complete ? "" : rs->interrupted ? " (interrupted)" : " (incomplete)");
        char how[160];
        hl_plan_describe_measurement(p, how, sizeof how);
        fprintf(out, "- %zu cells x %u repetitions, %s sizes, %s, seed %" PRIu64 ", measure %s\n",
                p->n_cells, p->repetitions, p->suite_size, how, p->seed, p->measure);
        fprintf(out, "- CPU: %s; build %s, commit %s\n", cpu, btype, commit);
        print_model_line(rs, out);
    }

    hl_group *groups;
    size_t ng;
    const char *reference = p->reference[0] ? p->reference : NULL;
    if (hl_rank_groups(rs, reference, &groups, &ng) != 0)
        return;
    for (size_t g = 0; g < ng; g++)
        print_group(rs, &groups[g], out, md);
    hl_rank_free(groups, ng);
    if (md)
        fprintf(out, "\n%s/op: median over repetitions; [lo, hi]: with 5 repetitions or fewer "
                     "their range, from 6 on the 95%% distribution-free confidence interval of "
                     "the median (order statistics).  x ref: the backend's %s divided by the "
                     "reference's in the same round (the plan runs a group's cells next to "
                     "each other in every round), median over rounds [interval of those "
                     "ratios]; the reference is %s.\n",
                instr ? "instr" : "time", instr ? "count" : "time",
                reference ? "the one the run named (--reference)"
                          : "the fastest backend that is not a debug one");
    print_warnings(rs, out, md);
}
