/* cli_compare.c - `heaplab compare`: result sets against the first, or the
 * backends of one set against a reference.
 *
 * How it works
 * ------------
 *   compare A B [C ...]   B, C, ... against A, cell by cell.  Cells are
 *                         matched by what they measured (workload, backend,
 *                         threads and every parameter's resolved value), not
 *                         by how their ids were written.  Before any number,
 *                         the fingerprints (fingerprint.h) say what differs
 *                         between the sets; when the machines differ,
 *                         absolute times do not compare, and a loud warning
 *                         says to use --normalize.
 *   --normalize BACKEND   each set's values are first divided by BACKEND's
 *                         in the same group and round (ranking.h), so what
 *                         is compared is ratios between backends, which
 *                         replicate across machines; the last line gives the
 *                         median and 90th percentile of the run-to-run change
 *                         of those ratios.
 *   compare A --reference BACKEND   within one set: every backend against
 *                         BACKEND, round by round.
 *
 * Verdicts (stats.h): timings get a two-sided Mann-Whitney U test at alpha
 * 0.05, or "inconclusive" when the repetitions are too few for any outcome
 * to reach it (3 vs 3: the smallest p is 0.1); instruction counts of
 * single-threaded cells repeat exactly, so they get a threshold (0.1%)
 * instead of a test, and so do ratios of them (--normalize, --reference);
 * within one set, the per-round ratios of timings get a sign test.
 * Debug and fault-injection backends (guard, faulty) are listed but never
 * enter the geometric mean.  (After Google Benchmark's tools/compare.py,
 * whose U test and OVERALL_GEOMEAN row this follows.)
 */
#include "cli.h"
#include "fingerprint.h"
#include "protocol.h"
#include "ranking.h"
#include "results.h"
#include "stats.h"
#include "table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALPHA 0.05
#define EXACT_THRESHOLD 0.001 /* single-threaded instruction counts */
#define MAX_SETS 8

static const char *const compare_usage =
    "usage: heaplab compare A B [C ...] [--normalize BACKEND] [--format text|md|csv|json]\n"
    "       heaplab compare A --reference BACKEND [--format ...]\n"
    "\n"
    "Compares result sets B, C, ... against A (directories written by heaplab run),\n"
    "cell by cell: the medians, the ratio B/A (< 1: B is faster), the change, and a\n"
    "verdict: faster / slower / same by a two-sided Mann-Whitney U test at 0.05 over\n"
    "the repetitions, or inconclusive when there are too few repetitions for the test\n"
    "to decide (3 vs 3 never can: use --repetitions 4 or more).  Instruction counts\n"
    "of single-threaded cells are exact: a change beyond 0.1% is a verdict.  First,\n"
    "compare says what differs between the sets (machine, build, inputs).\n"
    "\n"
    "  --normalize BACKEND   compare ratios to BACKEND (per set, round by round)\n"
    "                        instead of absolute values: what replicates across\n"
    "                        machines; ends with the median and p90 of the change\n"
    "  --reference BACKEND   one set: every backend against BACKEND, round by round\n"
    "  --format FMT          text (default), md, csv or json\n";

typedef struct opts {
    const char *paths[MAX_SETS];
    size_t n;
    const char *normalize, *reference;
    hl_format fmt;
    bool json;
} opts;

static int parse(int argc, char **argv, opts *o, bool *help)
{
    memset(o, 0, sizeof *o);
    *help = false;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *help = true;
            return HL_EXIT_OK;
        }
        if ((r = hl_cli_opt("compare", argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            o->json = strcmp(v, "json") == 0;
            if (!o->json && hl_format_parse(v, &o->fmt) != 0)
                return hl_cli_usage_error("compare", "--format '%s': use text, md, csv or json",
                                          v);
        } else if ((r = hl_cli_opt("compare", argc, argv, &i, "--normalize", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            o->normalize = v;
        } else if ((r = hl_cli_opt("compare", argc, argv, &i, "--reference", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            o->reference = v;
        } else if (argv[i][0] == '-') {
            return hl_cli_usage_error("compare", "unknown option '%s' (see heaplab compare "
                                                 "--help)", argv[i]);
        } else if (o->n == MAX_SETS) {
            return hl_cli_usage_error("compare", "too many result sets: at most %d", MAX_SETS);
        } else {
            o->paths[o->n++] = argv[i];
        }
    }
    if (o->reference && (o->n != 1 || o->normalize))
        return hl_cli_usage_error("compare", "--reference compares the backends of one set: "
                                             "write heaplab compare DIR --reference BACKEND");
    if (!o->reference && o->n < 2)
        return hl_cli_usage_error("compare", "needs two result directories: write heaplab "
                                             "compare A B (or compare A --reference BACKEND)");
    return HL_EXIT_OK;
}

/* ---- matching cells by what they measured ---------------------------------- */

/* "workload|backend|tN|p=v|..." with every resolved parameter (the cell's
 * cell.json params, kept in extra as params.NAME), sorted by name. */
static void identity(const hl_resultset *rs, size_t c, char *out, size_t outlen)
{
    const hl_plan_cell *pc = &rs->plan.cells[c];
    int n = snprintf(out, outlen, "%s|%s|t%u", pc->workload, pc->backend, pc->threads);
    const hl_rep *r = NULL;
    for (unsigned k = 0; k < rs->plan.repetitions && !r; k++)
        if (strcmp(hl_results_rep_c(rs, c, k)->status, HL_JOB_OK) == 0)
            r = hl_results_rep_c(rs, c, k);
    /* extra is written in cell.json's order, which is the workload's
     * parameter order: the same for the same workload. */
    bool any = false;
    for (size_t e = 0; r && e < r->n_extra; e++)
        if (strncmp(r->extra[e].name, "params.", 7) == 0 && n > 0 && (size_t)n < outlen) {
            n += snprintf(out + n, outlen - (size_t)n, "|%s=%.17g", r->extra[e].name + 7,
                          r->extra[e].value);
            any = true;
        }
    if (!any) /* no repetition says: the explicit parameters of the id */
        for (size_t k = 0; k < pc->n_params && n > 0 && (size_t)n < outlen; k++)
            n += snprintf(out + n, outlen - (size_t)n, "|%s=%lld", pc->params[k].name,
                          (long long)pc->params[k].value);
}

static long find_match(const hl_resultset *rs, const char *id)
{
    char other[1024];
    for (size_t i = 0; i < rs->plan.n_cells; i++) {
        identity(rs, i, other, sizeof other);
        if (strcmp(other, id) == 0)
            return (long)i;
    }
    return -1;
}

/* ---- values per cell: absolute, or normalised round by round --------------- */

/* The values compared for a cell: its ok repetitions' primary metric, or,
 * normalised, its per-round ratios to `norm`'s cell of the same group. */
static size_t values(const hl_resultset *rs, size_t c, const char *norm, double *out)
{
    hl_metric_id m = hl_results_primary_metric(rs);
    if (!norm)
        return hl_results_values(rs, c, m, out);
    const hl_plan_cell *pc = &rs->plan.cells[c];
    char key[600], other[600];
    hl_results_group_key(pc, key, sizeof key);
    long ref = -1;
    for (size_t i = 0; i < rs->plan.n_cells && ref < 0; i++) {
        hl_results_group_key(&rs->plan.cells[i], other, sizeof other);
        if (strcmp(other, key) == 0 && strcmp(rs->plan.cells[i].backend, norm) == 0)
            ref = (long)i;
    }
    size_t n = 0;
    for (unsigned k = 0; ref >= 0 && k < rs->plan.repetitions; k++) {
        const hl_rep *a = hl_results_rep_c(rs, (size_t)ref, k), *b = hl_results_rep_c(rs, c, k);
        if (strcmp(a->status, HL_JOB_OK) == 0 && strcmp(b->status, HL_JOB_OK) == 0 &&
            a->m[m] > 0 && b->m[m] > 0)
            out[n++] = b->m[m] / a->m[m];
    }
    return n;
}

/* ---- one row --------------------------------------------------------------- */

typedef struct row {
    size_t ca;
    long cb;
    size_t na, nb;
    double ma, mb, ratio, change, p, rss_a, rss_b;
    hl_interval iva, ivb;
    hl_verdict verdict;
    bool debug;
} row;

static bool exact_counts(const hl_resultset *rs, size_t c)
{
    return hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP && !rs->plan.cells[c].threaded;
}

static void compare_cell(const hl_resultset *a, const hl_resultset *b, size_t ca, long cb,
                         const char *norm, double *va, double *vb, row *r)
{
    memset(r, 0, sizeof *r);
    r->ca = ca;
    r->cb = cb;
    r->debug = hl_results_backend_is_debug(a, a->plan.cells[ca].backend);
    r->na = values(a, ca, norm, va);
    r->nb = cb >= 0 ? values(b, (size_t)cb, norm, vb) : 0;
    r->ma = r->na ? hl_stats_median(va, r->na) : NAN;
    r->mb = r->nb ? hl_stats_median(vb, r->nb) : NAN;
    r->iva = hl_stats_median_interval(va, r->na);
    r->ivb = hl_stats_median_interval(vb, r->nb);
    r->ratio = r->ma > 0 && r->mb > 0 ? r->mb / r->ma : NAN;
    r->change = r->ma > 0 && !isnan(r->mb) ? (r->mb - r->ma) / fabs(r->ma) : NAN;
    r->p = NAN;
    if (r->na == 0 || r->nb == 0)
        r->verdict = HL_VERDICT_NO_DATA;
    else if (exact_counts(a, ca) && exact_counts(b, (size_t)cb))
        r->verdict = hl_stats_verdict_exact(r->ma, r->mb, EXACT_THRESHOLD);
    else
        r->verdict = hl_stats_verdict_sampled(va, r->na, vb, r->nb, ALPHA, &r->p);
    r->rss_a = hl_results_median(a, ca, HL_M_PEAK_RSS_KIB);
    r->rss_b = cb >= 0 ? hl_results_median(b, (size_t)cb, HL_M_PEAK_RSS_KIB) : NAN;
}

/* ---- the sets' differences ----------------------------------------------- */

/* Equal, or both not recorded (NAN). */
static bool same_setting(double x, double y)
{
    return x == y || (isnan(x) && isnan(y));
}

/* The run's record of heaplab check's timing_steadiness, or NULL. */
static const hl_json *steadiness(const hl_resultset *rs, bool *warn)
{
    const hl_json *noise = hl_json_get(rs->metadata, "noise");
    for (size_t i = 0; i < hl_json_len(noise); i++) {
        const hl_json *n = hl_json_at(noise, i);
        if (strcmp(hl_json_get_str(n, "key", ""), "timing_steadiness") == 0) {
            *warn = hl_json_bool(hl_json_get(n, "warn"), false);
            return n;
        }
    }
    return NULL;
}

/* Timings of two runs cannot agree more closely than their hosts held
 * still: when either run's check found the host unsteady, say so before
 * any number (instruction counts do not care). */
static void print_host_noise(const hl_resultset *a, const hl_resultset *b, const char *name_b,
                             FILE *out, bool md)
{
    if (hl_results_primary_metric(a) == HL_M_INSTR_PER_OP)
        return;
    bool wa = false, wb = false;
    const hl_json *na = steadiness(a, &wa), *nb = steadiness(b, &wb);
    if (!wa && !wb)
        return;
    fprintf(out, "%sunsteady host: A %s; %s %s (heaplab check's timing_steadiness): changes "
                 "of that order between the sets are the hosts', not the backends'\n",
            md ? "- " : "  ", na ? hl_json_get_str(na, "value", "?") : "(not recorded)", name_b,
            nb ? hl_json_get_str(nb, "value", "?") : "(not recorded)");
}

/* Prints what differs between A and B; returns whether the machines do. */
static bool print_differences(const hl_resultset *a, const hl_resultset *b, const char *name_b,
                              FILE *out, bool md)
{
    hl_fingerprint fa, fb;
    hl_fingerprint_read(a->metadata, &a->plan, &fa);
    hl_fingerprint_read(b->metadata, &b->plan, &fb);
    bool machines = false, any = false;
    const char *bullet = md ? "- " : "  ";
    for (int pass = 0; pass < 2; pass++) {
        const hl_fingerprint *x = pass ? &fb : &fa, *y = pass ? &fa : &fb;
        for (size_t i = 0; i < x->n; i++) {
            const char *vy = hl_fingerprint_get(y, x->items[i].key);
            if (vy && (pass || strcmp(vy, x->items[i].value) == 0))
                continue; /* the same, or already printed */
            if (!any)
                fprintf(out, "%s%s differs from A in:\n", md ? "\n" : "", name_b);
            any = true;
            machines |= x->items[i].machine;
            const char *va = pass ? vy : x->items[i].value, *vb = pass ? x->items[i].value : vy;
            fprintf(out, "%s%s: A %s, %s %s\n", bullet, x->items[i].key, va ? va : "(not recorded)",
                    name_b, vb ? vb : "(not recorded)");
        }
    }
    if (strcmp(a->plan.suite_size, b->plan.suite_size) != 0) {
        any = true;
        fprintf(out, "%ssuite_size: A %s, %s %s (cells are matched by their resolved "
                     "parameters)\n",
                bullet, a->plan.suite_size, name_b, b->plan.suite_size);
    }
    /* How long and in how many samples each process measured changes
     * what a figure is (cell_time.c); the repetitions only how many. */
    if (!same_setting(a->plan.min_time, b->plan.min_time) || a->plan.samples != b->plan.samples ||
        !same_setting(a->plan.warmup_time, b->plan.warmup_time)) {
        any = true;
        fprintf(out, "%smeasurement: A min time %g s in %u samples, warm-up %g s; %s %g s in "
                     "%u samples, warm-up %g s\n",
                bullet, a->plan.min_time, a->plan.samples, a->plan.warmup_time, name_b,
                b->plan.min_time, b->plan.samples, b->plan.warmup_time);
    }
    if (!any)
        fprintf(out, "%s and A: same machine, build and inputs\n", name_b);
    print_host_noise(a, b, name_b, out, md);
    if (machines)
        fprintf(out, "%sWARNING: A and %s come from different machines: absolute figures do "
                     "not compare; compare ratios between backends with --normalize BACKEND\n",
                md ? "\n**" : "", name_b);
    return machines;
}

/* ---- output ---------------------------------------------------------------- */

static void fmt_value(const hl_resultset *rs, const char *norm, double v, char *out,
                      size_t outlen)
{
    if (isnan(v))
        snprintf(out, outlen, "-");
    else if (norm)
        snprintf(out, outlen, "%.3f", v);
    else if (hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP)
        snprintf(out, outlen, "%.1f", v);
    else
        hl_fmt_time_ns(v, out, outlen);
}

static void json_row(hl_jw *w, const hl_resultset *a, const row *r)
{
    const hl_plan_cell *pc = &a->plan.cells[r->ca];
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "workload", pc->workload);
    hl_jw_str(w, "backend", pc->backend);
    hl_jw_uint(w, "threads", pc->threads);
    hl_jw_str(w, "id", pc->id);
    hl_jw_uint(w, "n_a", r->na);
    hl_jw_uint(w, "n_b", r->nb);
    hl_jw_num(w, "median_a", r->ma);
    hl_jw_num(w, "median_b", r->mb);
    hl_jw_num(w, "lo_a", r->iva.lo);
    hl_jw_num(w, "hi_a", r->iva.hi);
    hl_jw_num(w, "lo_b", r->ivb.lo);
    hl_jw_num(w, "hi_b", r->ivb.hi);
    hl_jw_num(w, "ratio", r->ratio);
    hl_jw_num(w, "change", r->change);
    hl_jw_num(w, "p", r->p);
    hl_jw_str(w, "verdict", hl_verdict_name(r->verdict));
    hl_jw_bool(w, "debug_backend", r->debug);
    hl_jw_num(w, "peak_rss_kib_a", r->rss_a);
    hl_jw_num(w, "peak_rss_kib_b", r->rss_b);
    hl_jw_obj_end(w);
}

static void csv_num(char *out, size_t outlen, const char *fmt, double v)
{
    if (isnan(v))
        out[0] = '\0';
    else
        snprintf(out, outlen, fmt, v);
}

static void table_row(hl_table *t, const hl_resultset *a, const hl_resultset *b,
                      const char *norm, const row *r, bool csv)
{
    const hl_plan_cell *pc = &a->plan.cells[r->ca];
    char threads[16], params[256], sa[32], sb[32], sr[32], sc[32], sp[32], reps[32];
    char rsa[32], rsb[32], rsr[32], verdict[48];
    double rss_ratio = r->rss_a > 0 && r->rss_b > 0 ? r->rss_b / r->rss_a : NAN;
    snprintf(threads, sizeof threads, "%u", pc->threads);
    hl_plan_params_str(pc, params, sizeof params);
    if (csv) {
        /* machine-readable: raw numbers, empty when there is none */
        csv_num(sa, sizeof sa, "%.6g", r->ma);
        csv_num(sb, sizeof sb, "%.6g", r->mb);
        csv_num(sr, sizeof sr, "%.6g", r->ratio);
        csv_num(sc, sizeof sc, "%.6g", r->change * 100);
        csv_num(sp, sizeof sp, "%.6g", r->p);
        csv_num(rsa, sizeof rsa, "%.0f", r->rss_a);
        csv_num(rsb, sizeof rsb, "%.0f", r->rss_b);
        csv_num(rsr, sizeof rsr, "%.6g", rss_ratio);
    } else {
        fmt_value(a, norm, r->ma, sa, sizeof sa);
        fmt_value(b, norm, r->mb, sb, sizeof sb);
        snprintf(sr, sizeof sr, isnan(r->ratio) ? "-" : "%.3f", r->ratio);
        snprintf(sc, sizeof sc, isnan(r->change) ? "-" : "%+.1f%%", r->change * 100);
        snprintf(sp, sizeof sp, isnan(r->p) ? "-" : "%.4f", r->p);
        hl_fmt_kib(r->rss_a, rsa, sizeof rsa);
        hl_fmt_kib(r->rss_b, rsb, sizeof rsb);
        snprintf(rsr, sizeof rsr, isnan(rss_ratio) ? "-" : "%.3f", rss_ratio);
    }
    snprintf(reps, sizeof reps, "%zu vs %zu", r->na, r->nb);
    snprintf(verdict, sizeof verdict, "%s%s", hl_verdict_name(r->verdict),
             r->debug ? " (debug)" : "");
    const char *cells[] = {pc->workload, pc->backend, threads, params, sa,  sb,  sr,
                           sc,           sp,          reps,    verdict, rsa, rsb, rsr};
    hl_table_add(t, cells);
}

/* Compares b against a; rows and the geomean inputs go to the caller. */
static size_t compare_sets(const hl_resultset *a, const hl_resultset *b, const char *norm,
                           row *rows)
{
    size_t cap = a->plan.repetitions > b->plan.repetitions ? a->plan.repetitions
                                                            : b->plan.repetitions;
    double *va = calloc(cap + 1, sizeof *va), *vb = calloc(cap + 1, sizeof *vb);
    size_t n = 0;
    char id[1024];
    for (size_t ca = 0; va && vb && ca < a->plan.n_cells; ca++) {
        if (norm && strcmp(a->plan.cells[ca].backend, norm) == 0)
            continue; /* its ratio to itself is 1 by construction */
        identity(a, ca, id, sizeof id);
        compare_cell(a, b, ca, find_match(b, id), norm, va, vb, &rows[n++]);
    }
    free(va);
    free(vb);
    return n;
}

/* Geometric mean of the ratios (debug backends left out), and the median
 * and p90 of |ratio - 1|. */
static void summarize(const row *rows, size_t n, double *gm, double *med, double *p90,
                      size_t *used, double *gm_rss)
{
    double *x = calloc(n + 1, sizeof *x), *d = calloc(n + 1, sizeof *d);
    double *rss = calloc(n + 1, sizeof *rss);
    size_t k = 0, kr = 0;
    for (size_t i = 0; x && d && rss && i < n; i++)
        if (!rows[i].debug && rows[i].ratio > 0) {
            x[k] = rows[i].ratio;
            d[k] = fabs(rows[i].ratio - 1);
            k++;
            if (rows[i].rss_a > 0 && rows[i].rss_b > 0)
                rss[kr++] = rows[i].rss_b / rows[i].rss_a;
        }
    *gm = hl_stats_geomean(x, k);
    *gm_rss = hl_stats_geomean(rss, kr);
    free(rss);
    *med = k ? hl_stats_median(d, k) : NAN;
    *p90 = k ? hl_stats_percentile(d, k, 90) : NAN;
    *used = k;
    free(x);
    free(d);
}

static int print_pair(const hl_resultset *a, const hl_resultset *b, const char *name_b,
                      const opts *o, hl_jw *w)
{
    FILE *out = stdout;
    row *rows = calloc(a->plan.n_cells + 1, sizeof *rows);
    if (!rows)
        return HL_EXIT_FAIL;
    bool text = !o->json && o->fmt != HL_FMT_CSV, md = o->fmt == HL_FMT_MD;
    if (text)
        print_differences(a, b, name_b, out, md);
    size_t n = compare_sets(a, b, o->normalize, rows);
    size_t matched = 0;
    for (size_t i = 0; i < n; i++)
        matched += rows[i].cb >= 0;
    double gm, med, p90, gm_rss;
    size_t used;
    summarize(rows, n, &gm, &med, &p90, &used, &gm_rss);
    if (o->json) {
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "b", name_b);
        hl_jw_str(w, "normalize", o->normalize);
        hl_jw_arr_begin(w, "cells");
        for (size_t i = 0; i < n; i++)
            if (rows[i].cb >= 0)
                json_row(w, a, &rows[i]);
        hl_jw_arr_end(w);
        hl_jw_num(w, "geomean", gm);
        hl_jw_num(w, "geomean_peak_rss", gm_rss);
        hl_jw_num(w, "abs_change_median", med);
        hl_jw_num(w, "abs_change_p90", p90);
        hl_jw_uint(w, "cells_in_geomean", used);
        hl_jw_obj_end(w);
    } else {
        bool instr = hl_results_primary_metric(a) == HL_M_INSTR_PER_OP;
        const char *unit = o->normalize ? "ratio" : instr ? "instr/op" : "time/op";
        char ha[48], hb[48];
        snprintf(ha, sizeof ha, ">A %s", unit);
        snprintf(hb, sizeof hb, ">%s %s", name_b, unit);
        const char *head[] = {"workload", "backend", ">threads", "params", ha, hb, ">B/A",
                              ">change", ">p-value", ">reps", "verdict", ">A peak RSS",
                              ">B peak RSS", ">RSS B/A"};
        hl_table t;
        if (hl_table_init(&t, 14, head) == 0) {
            for (size_t i = 0; i < n; i++)
                if (rows[i].cb >= 0)
                    table_row(&t, a, b, o->normalize, &rows[i], o->fmt == HL_FMT_CSV);
            char sg[32], sc[32], su[32], sr[32];
            bool csv = o->fmt == HL_FMT_CSV;
            csv_num(sg, sizeof sg, csv ? "%.6g" : "%.3f", gm);
            csv_num(sc, sizeof sc, csv ? "%.6g" : "%+.1f%%", (gm - 1) * 100);
            csv_num(sr, sizeof sr, csv ? "%.6g" : "%.3f", gm_rss);
            snprintf(su, sizeof su, "%zu cells", used);
            const char *grow[] = {"OVERALL_GEOMEAN", "", "", "", "", "", sg, sc, "", su, "",
                                  "", "", sr};
            hl_table_add(&t, grow);
            hl_table_print(&t, out, csv ? HL_TABLE_CSV : md ? HL_TABLE_MD : HL_TABLE_TEXT,
                           NULL);
            hl_table_free(&t);
        }
        if (text) {
            printf("%sB/A < 1: B is faster.  OVERALL_GEOMEAN leaves debug backends out.  "
                   "p-value: two-sided Mann-Whitney U test, alpha %.2f; inconclusive: too few "
                   "repetitions for the test to reach it (give --repetitions 4 or more)%s.\n",
                   md ? "\n" : "", ALPHA,
                   hl_results_primary_metric(a) == HL_M_INSTR_PER_OP
                       ? "; single-threaded instruction counts are exact: a change beyond 0.1% "
                         "is a verdict"
                       : "");
            if (o->normalize)
                printf("run-to-run change of the ratios to %s: median %.2f%%, p90 %.2f%% "
                       "(|B/A - 1| over %zu cells)\n",
                       o->normalize, med * 100, p90 * 100, used);
            for (size_t i = 0; i < n; i++)
                if (rows[i].cb < 0)
                    printf("%sonly in A: %s\n", md ? "- " : "", a->plan.cells[rows[i].ca].id);
            char id[1024];
            for (size_t cb = 0; cb < b->plan.n_cells; cb++) {
                identity(b, cb, id, sizeof id);
                if (find_match(a, id) < 0 &&
                    !(o->normalize && strcmp(b->plan.cells[cb].backend, o->normalize) == 0))
                    printf("%sonly in %s: %s\n", md ? "- " : "", name_b, b->plan.cells[cb].id);
            }
        }
    }
    free(rows);
    if (matched == 0) {
        fprintf(stderr, "heaplab compare: A and %s have no cell in common (cells are matched "
                        "by workload, backend, threads and parameters)\n", name_b);
        return HL_EXIT_FAIL;
    }
    return HL_EXIT_OK;
}

/* ---- one set, backends against a reference ---------------------------------- */

static void within_set_json(hl_jw *w, const hl_group *grp, const hl_rank_row *row,
                            const char *backend, size_t n, double p, const char *verdict)
{
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "group", grp->key);
    hl_jw_str(w, "backend", backend);
    hl_jw_num(w, "ratio", row->ratio);
    hl_jw_num(w, "lo", row->ratio_iv.lo);
    hl_jw_num(w, "hi", row->ratio_iv.hi);
    hl_jw_uint(w, "rounds", n);
    hl_jw_num(w, "p", p);
    hl_jw_str(w, "verdict", verdict);
    hl_jw_bool(w, "debug_backend", row->debug);
    hl_jw_obj_end(w);
}

static int within_set(const hl_resultset *rs, const opts *o)
{
    hl_group *groups;
    size_t ng;
    if (hl_rank_groups(rs, o->reference, &groups, &ng) != 0)
        return HL_EXIT_FAIL;
    bool any_ref = false;
    const char *head[] = {"group", "backend", ">ratio to ref", ">[interval]", ">rounds", "verdict"};
    hl_table t;
    if (hl_table_init(&t, 6, head) != 0) {
        hl_rank_free(groups, ng);
        return HL_EXIT_FAIL;
    }
    hl_jw w;
    if (o->json) {
        hl_jw_init(&w, stdout, true);
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "a", o->paths[0]);
        hl_jw_str(&w, "reference", o->reference);
        hl_jw_arr_begin(&w, "rows");
    }
    double *r = calloc(rs->plan.repetitions + 1, sizeof *r);
    for (size_t g = 0; r && g < ng; g++) {
        if (groups[g].ref < 0)
            continue;
        any_ref = true;
        for (size_t i = 0; i < groups[g].n_rows; i++) {
            const hl_rank_row *row = &groups[g].rows[i];
            if ((long)i == groups[g].ref)
                continue;
            size_t n = values(rs, row->cell, o->reference, r);
            double p = NAN;
            /* a ratio of two exact counts is exact: 1 round decides */
            hl_verdict v = exact_counts(rs, row->cell) && n
                               ? hl_stats_verdict_exact(1, hl_stats_median(r, n), EXACT_THRESHOLD)
                               : hl_stats_verdict_paired(r, n, ALPHA, &p);
            const char *verdict = hl_verdict_name(v);
            const char *backend = rs->plan.cells[row->cell].backend;
            if (o->json) {
                within_set_json(&w, &groups[g], row, backend, n, p, verdict);
                continue;
            }
            char name[352], ratio[32], iv[64], rounds[16];
            snprintf(name, sizeof name, "%s%s", backend, row->debug ? " (debug)" : "");
            snprintf(ratio, sizeof ratio, "%.3f", row->ratio);
            snprintf(iv, sizeof iv, "[%.3f, %.3f]", row->ratio_iv.lo, row->ratio_iv.hi);
            snprintf(rounds, sizeof rounds, "%zu", n);
            const char *cells[] = {groups[g].key, name, ratio, iv, rounds, verdict};
            hl_table_add(&t, cells);
        }
    }
    free(r);
    if (o->json) {
        hl_jw_arr_end(&w);
        hl_jw_obj_end(&w);
        hl_jw_finish(&w);
        fputc('\n', stdout);
    } else if (any_ref) {
        hl_table_print(&t, stdout, o->fmt == HL_FMT_CSV ? HL_TABLE_CSV
                                   : o->fmt == HL_FMT_MD ? HL_TABLE_MD
                                                         : HL_TABLE_TEXT,
                       NULL);
    }
    hl_table_free(&t);
    hl_rank_free(groups, ng);
    if (!any_ref)
        return hl_cli_usage_error("compare", "--reference %s: no cell of %s ran that backend",
                                  o->reference, o->paths[0]);
    if (o->fmt != HL_FMT_CSV && !o->json)
        printf("ratio: the backend's value divided by %s's in the same round, median over "
               "rounds, [interval] as in summary.md; verdict by a sign test over the rounds "
               "(inconclusive below 6 rounds), or for single-threaded instruction counts, "
               "which are exact, by the ratio's distance from 1 (beyond 0.1%%).\n",
               o->reference);
    return HL_EXIT_OK;
}

int hl_cli_compare(int argc, char **argv)
{
    opts o;
    bool help;
    int rc = parse(argc, argv, &o, &help);
    if (rc != HL_EXIT_OK || help) {
        if (help)
            fputs(compare_usage, stdout);
        return rc;
    }
    hl_resultset sets[MAX_SETS];
    char err[600];
    size_t loaded = 0;
    for (; loaded < o.n; loaded++)
        if (hl_results_load(&sets[loaded], o.paths[loaded], err, sizeof err) != 0) {
            rc = hl_cli_usage_error("compare", "%c: %s", (char)('A' + loaded), err);
            break;
        }
    if (rc == HL_EXIT_OK && o.reference) {
        rc = within_set(&sets[0], &o);
    } else if (rc == HL_EXIT_OK) {
        for (size_t i = 1; i < o.n && rc == HL_EXIT_OK; i++)
            if (hl_results_primary_metric(&sets[0]) != hl_results_primary_metric(&sets[i]))
                rc = hl_cli_usage_error("compare", "A measured %s and %c %s: compare sets "
                                                   "measured the same way",
                                        sets[0].plan.measure, (char)('A' + i),
                                        sets[i].plan.measure);
        hl_jw w;
        if (o.json) {
            hl_jw_init(&w, stdout, true);
            hl_jw_obj_begin(&w, NULL);
            hl_jw_str(&w, "a", o.paths[0]);
            hl_jw_arr_begin(&w, "comparisons");
        }
        for (size_t i = 1; i < o.n && rc == HL_EXIT_OK; i++) {
            char name[8];
            snprintf(name, sizeof name, "%c", (char)('A' + i));
            if (!o.json && o.n > 2)
                printf("%s== %s (%s) against A (%s)\n", i > 1 ? "\n" : "", name, o.paths[i],
                       o.paths[0]);
            int r = print_pair(&sets[0], &sets[i], name, &o, &w);
            if (r != HL_EXIT_OK)
                rc = r;
        }
        if (o.json) {
            hl_jw_arr_end(&w);
            hl_jw_obj_end(&w);
            hl_jw_finish(&w);
            fputc('\n', stdout);
        }
    }
    for (size_t i = 0; i < loaded; i++)
        hl_results_free(&sets[i]);
    return rc;
}
