/* cli_compare.c - `heaplab compare A B`: two result sets side by side.
 *
 * After Google Benchmark's tools/compare.py: cells are matched by id (which
 * encodes workload, backend, threads and parameters); each matched cell
 * gets the medians of A and B, the ratio B/A, the change (B - A) / |A|, and
 * a two-sided Mann-Whitney U test over the per-repetition values when both
 * sides have at least 2 (UTEST_MIN_REPETITIONS), flagged unreliable below 9
 * (UTEST_OPTIMAL_REPETITIONS).  A final row gives the geometric mean of the
 * ratios (OVERALL_GEOMEAN).  Peak RSS medians and their ratio sit alongside.
 */
#include "cli.h"
#include "results.h"
#include "stats.h"
#include "table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UTEST_MIN_REPS 2
#define UTEST_OPTIMAL_REPS 9
#define UTEST_ALPHA 0.05

static const char *const compare_usage =
    "usage: heaplab compare A B [--format text|md|csv]\n"
    "\n"
    "Compares result set B against A (directories written by heaplab run) cell by\n"
    "cell: median time per operation of each, the ratio B/A (< 1: B is faster), the\n"
    "change in percent, and the p-value of a two-sided Mann-Whitney U test over the\n"
    "repetitions (needs >= 2 per side; 9+ recommended).  The last row is the\n"
    "geometric mean of the ratios.  Peak RSS medians and their ratio are shown too.\n"
    "Cells present in only one set are listed after the table.\n";

static void fmt_or_dash(char *out, size_t outlen, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(out, outlen, "-");
    else
        snprintf(out, outlen, fmt, v);
}

static long find_cell(const hl_resultset *rs, const char *id)
{
    for (size_t i = 0; i < rs->plan.n_cells; i++)
        if (strcmp(rs->plan.cells[i].id, id) == 0)
            return (long)i;
    return -1;
}

int hl_cli_compare(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    size_t npaths = 0;
    hl_format fmt = HL_FMT_TEXT;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(compare_usage, stdout);
            return HL_EXIT_OK;
        }
        if ((r = hl_cli_opt("compare", argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            if (hl_format_parse(v, &fmt) != 0)
                return hl_cli_usage_error("compare", "--format '%s': use text, md or csv", v);
        } else if (argv[i][0] == '-') {
            return hl_cli_usage_error("compare", "unknown option '%s': the only option is "
                                                 "--format", argv[i]);
        } else if (npaths == 2) {
            return hl_cli_usage_error("compare", "too many arguments: '%s'; write heaplab "
                                                 "compare A B", argv[i]);
        } else {
            paths[npaths++] = argv[i];
        }
    }
    if (npaths != 2)
        return hl_cli_usage_error("compare", "needs two result directories: write heaplab "
                                             "compare A B");
    hl_resultset a, b;
    char err[600];
    if (hl_results_load(&a, paths[0], err, sizeof err) != 0)
        return hl_cli_usage_error("compare", "A: %s", err);
    if (hl_results_load(&b, paths[1], err, sizeof err) != 0) {
        hl_results_free(&a);
        return hl_cli_usage_error("compare", "B: %s", err);
    }
    hl_metric_id pm = hl_results_primary_metric(&a);
    if (pm != hl_results_primary_metric(&b)) {
        hl_results_free(&a);
        hl_results_free(&b);
        return hl_cli_usage_error("compare", "A measured %s and B %s: compare sets measured the "
                                             "same way", a.plan.measure, b.plan.measure);
    }
    bool instr = pm == HL_M_INSTR_PER_OP;
    bool sizes_differ = strcmp(a.plan.suite_size, b.plan.suite_size) != 0;
    const char *head[] = {"workload", "backend", ">threads", "params",
                          instr ? ">A instr/op" : ">A time/op", instr ? ">B instr/op" : ">B time/op",
                          ">B/A", ">change", ">p-value", ">reps", "verdict",
                          ">A peak RSS", ">B peak RSS", ">RSS B/A"};
    hl_table t;
    if (hl_table_init(&t, 14, head) != 0) {
        hl_results_free(&a);
        hl_results_free(&b);
        return HL_EXIT_FAIL;
    }
    size_t cap = a.plan.repetitions > b.plan.repetitions ? a.plan.repetitions : b.plan.repetitions;
    double *va = calloc(cap + 1, sizeof *va), *vb = calloc(cap + 1, sizeof *vb);
    double *ratios = calloc(a.plan.n_cells + 1, sizeof *ratios);
    double *rss_ratios = calloc(a.plan.n_cells + 1, sizeof *rss_ratios);
    size_t nratios = 0, nrss = 0, min_reps = SIZE_MAX, matched = 0;
    for (size_t ca = 0; va && vb && ratios && rss_ratios && ca < a.plan.n_cells; ca++) {
        const hl_plan_cell *pc = &a.plan.cells[ca];
        long cb = find_cell(&b, pc->id);
        if (cb < 0)
            continue;
        matched++;
        size_t na = hl_results_values(&a, ca, pm, va);
        size_t nb = hl_results_values(&b, (size_t)cb, pm, vb);
        double ma = na ? hl_stats_median(va, na) : NAN, mb = nb ? hl_stats_median(vb, nb) : NAN;
        double ratio = ma > 0 && mb > 0 ? mb / ma : NAN;
        double change = ma > 0 && !isnan(mb) ? (mb - ma) / fabs(ma) : NAN;
        double p = NAN;
        const char *verdict;
        if (na == 0 || nb == 0) {
            verdict = "no data";
        } else if (na < UTEST_MIN_REPS || nb < UTEST_MIN_REPS) {
            verdict = "too few reps";
        } else {
            hl_utest u = hl_stats_mann_whitney(va, na, vb, nb);
            p = u.p;
            verdict = p < UTEST_ALPHA ? (mb < ma ? "faster" : "slower") : "same";
        }
        if (na && nb && (na < min_reps || nb < min_reps))
            min_reps = na < nb ? na : nb;
        if (!isnan(ratio))
            ratios[nratios++] = ratio;
        double ra = hl_results_median(&a, ca, HL_M_PEAK_RSS_KIB);
        double rb = hl_results_median(&b, (size_t)cb, HL_M_PEAK_RSS_KIB);
        double rr = ra > 0 && rb > 0 ? rb / ra : NAN;
        if (!isnan(rr))
            rss_ratios[nrss++] = rr;

        char threads[16], params[256], sa[32], sb[32], sr[32], sc[32], sp[32], reps[32];
        char rsa[32], rsb[32], srr[32];
        snprintf(threads, sizeof threads, "%u", pc->threads);
        hl_plan_params_str(pc, params, sizeof params);
        if (instr) {
            fmt_or_dash(sa, sizeof sa, "%.1f", ma);
            fmt_or_dash(sb, sizeof sb, "%.1f", mb);
        } else {
            hl_fmt_time_ns(ma, sa, sizeof sa);
            hl_fmt_time_ns(mb, sb, sizeof sb);
        }
        fmt_or_dash(sr, sizeof sr, "%.3f", ratio);
        fmt_or_dash(sc, sizeof sc, "%+.1f%%", change * 100);
        fmt_or_dash(sp, sizeof sp, "%.4f", p);
        snprintf(reps, sizeof reps, "%zu vs %zu", na, nb);
        hl_fmt_kib(ra, rsa, sizeof rsa);
        hl_fmt_kib(rb, rsb, sizeof rsb);
        fmt_or_dash(srr, sizeof srr, "%.3f", rr);
        if (fmt == HL_FMT_CSV) {
            /* machine-readable: raw numbers, not display units */
            fmt_or_dash(sa, sizeof sa, "%.6g", ma);
            fmt_or_dash(sb, sizeof sb, "%.6g", mb);
            fmt_or_dash(sr, sizeof sr, "%.6g", ratio);
            fmt_or_dash(sc, sizeof sc, "%.6g", change * 100);
            fmt_or_dash(sp, sizeof sp, "%.6g", p);
            fmt_or_dash(rsa, sizeof rsa, "%.0f", ra);
            fmt_or_dash(rsb, sizeof rsb, "%.0f", rb);
            fmt_or_dash(srr, sizeof srr, "%.6g", rr);
        }
        const char *row[] = {pc->workload, pc->backend, threads, params, sa,  sb,  sr,
                             sc,           sp,          reps,    verdict, rsa, rsb, srr};
        hl_table_add(&t, row);
    }
    double gm = hl_stats_geomean(ratios, nratios);
    double gm_rss = hl_stats_geomean(rss_ratios, nrss);
    char sgm[32], sgc[32], sgr[32], sn[32];
    fmt_or_dash(sgm, sizeof sgm, fmt == HL_FMT_CSV ? "%.6g" : "%.3f", gm);
    fmt_or_dash(sgc, sizeof sgc, fmt == HL_FMT_CSV ? "%.6g" : "%+.1f%%", (gm - 1) * 100);
    fmt_or_dash(sgr, sizeof sgr, fmt == HL_FMT_CSV ? "%.6g" : "%.3f", gm_rss);
    snprintf(sn, sizeof sn, "%zu cells", nratios);
    const char *grow[] = {"OVERALL_GEOMEAN", "", "", "", "", "", sgm, sgc, "", sn, "", "", "",
                          sgr};
    hl_table_add(&t, grow);

    hl_table_print(&t, stdout, fmt == HL_FMT_CSV ? HL_TABLE_CSV
                               : fmt == HL_FMT_MD ? HL_TABLE_MD
                                                  : HL_TABLE_TEXT,
                   NULL);
    if (fmt != HL_FMT_CSV) {
        const char *li = fmt == HL_FMT_MD ? "- " : ""; /* notes as a markdown list */
        printf(fmt == HL_FMT_MD ? "\n" : "");
        printf("%sB/A < 1: B is faster; p-value: two-sided Mann-Whitney U test, alpha %.2f.\n",
               li, UTEST_ALPHA);
        if (min_reps != SIZE_MAX && min_reps < UTEST_OPTIMAL_REPS)
            printf("%sU test with %zu repetitions: results unreliable! 9+ repetitions "
                   "recommended (heaplab run --repetitions 9).\n", li, min_reps);
        if (sizes_differ)
            printf("%swarning: A ran %s sizes and B %s sizes: cells with the same id used "
                   "different parameter values\n", li, a.plan.suite_size, b.plan.suite_size);
        for (size_t ca = 0; ca < a.plan.n_cells; ca++)
            if (find_cell(&b, a.plan.cells[ca].id) < 0)
                printf("%sonly in A: %s\n", li, a.plan.cells[ca].id);
        for (size_t cb = 0; cb < b.plan.n_cells; cb++)
            if (find_cell(&a, b.plan.cells[cb].id) < 0)
                printf("%sonly in B: %s\n", li, b.plan.cells[cb].id);
    }
    int rc = HL_EXIT_OK;
    if (matched == 0) {
        fprintf(stderr, "heaplab compare: A and B have no cell in common (cells are matched by "
                        "workload, backend, threads and parameters)\n");
        rc = HL_EXIT_FAIL;
    }
    free(va);
    free(vb);
    free(ratios);
    free(rss_ratios);
    hl_table_free(&t);
    hl_results_free(&a);
    hl_results_free(&b);
    return rc;
}
