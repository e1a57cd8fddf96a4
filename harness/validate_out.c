/* validate_out.c - the report of `heaplab validate`: validate.json,
 * validate.md, the chart (validate.dat + plots/validate.gp -> validate.svg)
 * and the console summary.  See cli_validate.h.
 *
 * How it works
 * ------------
 * Everything is read from the collected blocks (cli_validate.c); nothing
 * is recomputed here but formatting.  The calls table is read from each
 * interpreter's calls-NAME.json (scripts/fidelity_calls.py's --json) and
 * its rows copied into validate.json and validate.md, so the report is one
 * file while the full histograms stay in calls-NAME.json.
 */
#include "cli_validate.h"

#include "cli.h"

#include "build_info.h"
#include "fsutil.h"
#include "json.h"
#include "plot.h"
#include "plot_run.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const hl_val_metric_names[HL_VAL_N_METRICS] = {"time", "peak_rss"};

static const char *const metric_titles[HL_VAL_N_METRICS] = {"time per operation", "peak RSS"};

static const char noise_rule[] =
    "A pair of configurations (a, b) counts when CPython's ratio b/a, taken round by round "
    "(repetition k of both ran in the same round, next to each other), has an interval that "
    "excludes 1: [min, max] of the per-round ratios up to 5 rounds, the 95% distribution-free "
    "interval of their median from 6 (heaplab's interval everywhere, stats.h).  It agrees when "
    "heaplab's ratio of the modelling backends (median of its per-round ratios) is on the same "
    "side of 1.  Pairs whose two configurations map to the same heaplab backend, and pairs "
    "with fewer than 2 usable rounds, are not counted.";

/* Seconds between two of a result set's ISO-8601 UTC times
 * ("2026-12-02T03:00:12.345Z"); NAN when either does not parse. */
static double iso_span(const char *from, const char *to)
{
    struct tm a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    const char *ea = strptime(from, "%Y-%m-%dT%H:%M:%S", &a);
    const char *eb = strptime(to, "%Y-%m-%dT%H:%M:%S", &b);
    if (!ea || !eb)
        return NAN;
    return difftime(timegm(&b), timegm(&a)) + (strtod(eb, NULL) - strtod(ea, NULL));
}

/* How long the interpreter's run took, from its own result set. */
static double run_seconds(const hl_val_run *run)
{
    return run->loaded ? iso_span(run->rs.started, run->rs.finished) : NAN;
}

static double score_of(const hl_val_score *s)
{
    return hl_validate_score(s);
}

/* ---- the calls table ---------------------------------------------------------- */

static hl_json *load_calls(const hl_validate *vr, const hl_val_run *run)
{
    if (!run->have_calls)
        return NULL;
    char path[8400], err[300];
    hl_cli_bprintf(path, sizeof path, "%s/%s", vr->dir, run->calls_path);
    return hl_json_parse_file(path, err, sizeof err);
}

static void write_calls_json(hl_jw *w, const hl_json *doc)
{
    const hl_json *rows = hl_json_get(doc, "rows");
    const hl_json *t = hl_json_get(doc, "targets");
    hl_jw_num(w, "ratio_within", hl_json_get_num(t, "ratio_within", NAN));
    hl_jw_num(w, "tvd_at_most", hl_json_get_num(t, "tvd_at_most", NAN));
    hl_jw_arr_begin(w, "rows");
    for (size_t i = 0; i < hl_json_len(rows); i++) {
        const hl_json *r = hl_json_at(rows, i);
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "model", hl_json_get_str(r, "model", ""));
        hl_jw_str(w, "cpython", hl_json_get_str(r, "cpython", ""));
        hl_jw_str(w, "workload", hl_json_get_str(r, "workload", ""));
        hl_jw_num(w, "operations", hl_json_get_num(r, "operations", NAN));
        hl_jw_num(w, "heaplab_calls_per_op", hl_json_get_num(r, "heaplab_calls_per_op", NAN));
        hl_jw_num(w, "cpython_calls_per_op", hl_json_get_num(r, "cpython_calls_per_op", NAN));
        hl_jw_num(w, "ratio", hl_json_get_num(r, "ratio", NAN));
        hl_jw_num(w, "tvd", hl_json_get_num(r, "tvd", NAN));
        hl_jw_bool(w, "meets", hl_json_bool(hl_json_get(r, "meets"), false));
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
}

static void md_calls(FILE *f, const hl_json *doc)
{
    const hl_json *rows = hl_json_get(doc, "rows");
    const hl_json *t = hl_json_get(doc, "targets");
    fprintf(f, "| workload | operations | heaplab calls/op | CPython calls/op | ratio | "
               "size-class TVD | targets (ratio within %.0f%%, TVD <= %.2f) |\n"
               "|---|---|---|---|---|---|---|\n",
            100 * hl_json_get_num(t, "ratio_within", NAN), hl_json_get_num(t, "tvd_at_most", NAN));
    for (size_t i = 0; i < hl_json_len(rows); i++) {
        const hl_json *r = hl_json_at(rows, i);
        fprintf(f, "| %s | %.0f | %.3f | %.3f | %.3f | %.3f | %s |\n",
                hl_json_get_str(r, "workload", ""), hl_json_get_num(r, "operations", NAN),
                hl_json_get_num(r, "heaplab_calls_per_op", NAN),
                hl_json_get_num(r, "cpython_calls_per_op", NAN), hl_json_get_num(r, "ratio", NAN),
                hl_json_get_num(r, "tvd", NAN),
                hl_json_bool(hl_json_get(r, "meets"), false) ? "met" : "missed");
    }
}

/* ---- validate.json -------------------------------------------------------------- */

static void json_ratio(hl_jw *w, const char *key, const hl_val_ratio *r)
{
    hl_jw_obj_begin(w, key);
    hl_jw_num(w, "median", r->median);
    hl_jw_num(w, "lo", r->n ? r->iv.lo : NAN);
    hl_jw_num(w, "hi", r->n ? r->iv.hi : NAN);
    hl_jw_uint(w, "rounds", r->n);
    hl_jw_obj_end(w);
}

static void json_score(hl_jw *w, const char *key, const hl_val_score *s)
{
    hl_jw_obj_begin(w, key);
    hl_jw_uint(w, "agree", s->agree);
    hl_jw_uint(w, "counted", s->counted);
    hl_jw_uint(w, "noise", s->noise);
    hl_jw_uint(w, "same_model", s->same_model);
    hl_jw_uint(w, "no_estimate", s->no_estimate);
    hl_jw_num(w, "score", score_of(s));
    hl_jw_bool(w, "meets_target", s->counted && score_of(s) >= HL_VAL_TARGET);
    hl_jw_obj_end(w);
}

static int write_json(const hl_validate *vr, char *err, size_t errlen)
{
    char path[4200];
    hl_cli_bprintf(path, sizeof path, "%s/validate.json", vr->dir);
    hl_atomic_file af;
    hl_jw w;
    if (hl_jw_file_begin(&af, &w, path, err, errlen) != 0)
        return -1;
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", "heaplab-validate");
    hl_jw_int(&w, "format_version", 1);
    hl_jw_str(&w, "command", vr->command);
    hl_jw_str(&w, "heaplab_commit", hl_build_info.git_commit);
    hl_jw_bool(&w, "heaplab_dirty", hl_build_info.git_dirty);
    hl_jw_uint(&w, "seed", vr->seed);
    hl_jw_bool(&w, "quick", vr->quick);
    hl_jw_uint(&w, "repetitions", vr->repetitions);
    hl_jw_num(&w, "seconds", vr->seconds);
    hl_jw_str(&w, "noise_rule", noise_rule);
    hl_jw_num(&w, "target", HL_VAL_TARGET);
    hl_jw_obj_begin(&w, "scores");
    for (size_t m = 0; m < HL_VAL_N_METRICS; m++)
        json_score(&w, hl_val_metric_names[m], &vr->scores[m]);
    hl_jw_obj_end(&w);
    hl_jw_arr_begin(&w, "interpreters");
    for (size_t r = 0; r < vr->n_runs; r++) {
        const hl_val_run *run = &vr->runs[r];
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "name", run->py.name);
        hl_jw_str(&w, "path", run->py.path);
        hl_jw_str(&w, "version", run->py.version);
        hl_jw_str(&w, "model", run->model);
        hl_jw_str(&w, "results", run->py.name);
        hl_jw_num(&w, "run_seconds", run_seconds(run));
        hl_jw_str(&w, "measured_by", run->loaded ? run->rs.plan.build.git_commit : NULL);
        hl_jw_str(&w, "failed", run->why[0] ? run->why : NULL);
        hl_jw_arr_begin(&w, "configurations");
        for (size_t i = 0; i < run->n_configs; i++) {
            hl_jw_obj_begin(&w, NULL);
            hl_jw_str(&w, "cpython", run->configs[i].config);
            hl_jw_str(&w, "heaplab", run->configs[i].backend);
            hl_jw_obj_end(&w);
        }
        hl_jw_arr_end(&w);
        hl_json *calls = load_calls(vr, run);
        hl_jw_obj_begin(&w, "calls");
        hl_jw_str(&w, "file", calls ? run->calls_path : NULL);
        hl_jw_str(&w, "missing", calls ? NULL
                                       : vr->no_calls ? "--no-calls"
                                       : run->calls_why[0] ? run->calls_why
                                                           : "its JSON does not parse");
        if (calls)
            write_calls_json(&w, calls);
        hl_jw_obj_end(&w);
        hl_json_free(calls);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_arr_begin(&w, "blocks");
    for (size_t b = 0; b < vr->n_blocks; b++) {
        const hl_val_out_block *ob = &vr->blocks[b];
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "interpreter", vr->runs[ob->run].py.name);
        hl_jw_str(&w, "workload", ob->workload);
        hl_jw_str(&w, "metric", hl_val_metric_names[ob->metric]);
        hl_jw_str(&w, "unit", ob->metric == 0 ? "ns/op" : "KiB");
        hl_jw_arr_begin(&w, "configurations");
        for (size_t i = 0; i < ob->n_series; i++) {
            hl_jw_obj_begin(&w, NULL);
            hl_jw_str(&w, "cpython", ob->series[i].config);
            hl_jw_str(&w, "heaplab", ob->series[i].backend);
            hl_jw_num(&w, "cpython_median", ob->cpython_median[i]);
            hl_jw_num(&w, "heaplab_median", ob->heaplab_median[i]);
            json_ratio(&w, "cpython_ratio", &ob->block.cpython_rel[i]);
            json_ratio(&w, "heaplab_ratio", &ob->block.heaplab_rel[i]);
            hl_jw_obj_end(&w);
        }
        hl_jw_arr_end(&w);
        hl_jw_arr_begin(&w, "pairs");
        for (size_t p = 0; p < ob->block.n_pairs; p++) {
            const hl_val_pair *pr = &ob->block.pairs[p];
            hl_jw_obj_begin(&w, NULL);
            hl_jw_str(&w, "a", ob->series[pr->a].config);
            hl_jw_str(&w, "b", ob->series[pr->b].config);
            json_ratio(&w, "cpython", &pr->cpython);
            json_ratio(&w, "heaplab", &pr->heaplab);
            hl_jw_str(&w, "class", hl_val_class_name(pr->cls));
            hl_jw_obj_end(&w);
        }
        hl_jw_arr_end(&w);
        hl_jw_uint(&w, "agree", ob->block.agree);
        hl_jw_uint(&w, "counted", ob->block.counted);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    fputc('\n', af.f);
    return hl_jw_file_commit(&af, &w, false, err, errlen);
}

/* ---- validate.md ---------------------------------------------------------------- */

static void fmt_ratio(const hl_val_ratio *r, char *out, size_t outlen)
{
    if (!r->n || !isfinite(r->median))
        hl_cli_bprintf(out, outlen, "-");
    else if (r->n < 2)
        hl_cli_bprintf(out, outlen, "%.3f", r->median);
    else
        hl_cli_bprintf(out, outlen, "%.3f [%.3f, %.3f]", r->median, r->iv.lo, r->iv.hi);
}

static void fmt_score(const hl_val_score *s, char *out, size_t outlen)
{
    if (!s->counted)
        hl_cli_bprintf(out, outlen, "- (no pair beyond noise)");
    else
        hl_cli_bprintf(out, outlen, "%.0f%% (%zu of %zu)", 100 * score_of(s), s->agree, s->counted);
}

static const hl_val_out_block *block_of(const hl_validate *vr, size_t run, const char *wl,
                                        size_t metric)
{
    for (size_t b = 0; b < vr->n_blocks; b++)
        if (vr->blocks[b].run == run && vr->blocks[b].metric == metric &&
            strcmp(vr->blocks[b].workload, wl) == 0)
            return &vr->blocks[b];
    return NULL;
}

static void md_interp(FILE *f, const hl_validate *vr, size_t r)
{
    const hl_val_run *run = &vr->runs[r];
    fprintf(f, "\n## CPython %s (%s), model %s\n\n", run->py.version, run->py.path, run->model);
    if (run->why[0])
        fprintf(f, "**The run failed:** %s\n\n", run->why);
    if (!run->loaded)
        return;
    fprintf(f, "Result set: `%s/` (`heaplab show %s/%s`), measured by heaplab %s%s in "
               "%.0f s.  Ratios to pymalloc (CPython) and to pool (heaplab), median of the "
               "per-round ratios [interval]; in parentheses the median itself.\n",
            run->py.name, vr->dir, run->py.name, run->rs.plan.build.git_commit,
            run->rs.plan.build.git_dirty ? " (dirty)" : "", run_seconds(run));
    for (size_t w = 0; w < vr->n_workloads; w++) {
        const hl_val_out_block *bt = block_of(vr, r, vr->workloads[w], 0);
        const hl_val_out_block *bm = block_of(vr, r, vr->workloads[w], 1);
        if (!bt || !bm)
            continue;
        hl_val_score st = {0}, sm = {0};
        hl_validate_score_add(&st, &bt->block);
        hl_validate_score_add(&sm, &bm->block);
        char a[64], b[64];
        fmt_score(&st, a, sizeof a);
        fmt_score(&sm, b, sizeof b);
        fprintf(f, "\n### %s\n\nagreement: time %s, peak RSS %s\n\n", vr->workloads[w], a, b);
        fprintf(f, "| CPython | heaplab | CPython time | heaplab time | CPython peak RSS | "
                   "heaplab peak RSS |\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < bt->n_series; i++) {
            char ct[80], ht[80], cm[80], hm[80];
            fmt_ratio(&bt->block.cpython_rel[i], ct, sizeof ct);
            fmt_ratio(&bt->block.heaplab_rel[i], ht, sizeof ht);
            fmt_ratio(&bm->block.cpython_rel[i], cm, sizeof cm);
            fmt_ratio(&bm->block.heaplab_rel[i], hm, sizeof hm);
            char tn[32], rn[32], hn[32], hr[32];
            hl_fmt_time_ns(bt->cpython_median[i], tn, sizeof tn);
            hl_fmt_time_ns(bt->heaplab_median[i], hn, sizeof hn);
            hl_fmt_kib(bm->cpython_median[i], rn, sizeof rn);
            hl_fmt_kib(bm->heaplab_median[i], hr, sizeof hr);
            fprintf(f, "| %s | %s | %s (%s) | %s (%s) | %s (%s) | %s (%s) |\n",
                    bt->series[i].config, bt->series[i].backend, ct, tn, ht, hn, cm, rn, hm, hr);
        }
        bool any = false;
        for (size_t m = 0; m < HL_VAL_N_METRICS; m++) {
            const hl_val_out_block *ob = m == 0 ? bt : bm;
            for (size_t p = 0; p < ob->block.n_pairs; p++) {
                const hl_val_pair *pr = &ob->block.pairs[p];
                if (pr->cls != HL_VAL_DISAGREE)
                    continue;
                if (!any)
                    fprintf(f, "\nPairs heaplab orders otherwise than CPython (b/a):\n\n");
                any = true;
                char c[80], h[80];
                fmt_ratio(&pr->cpython, c, sizeof c);
                fmt_ratio(&pr->heaplab, h, sizeof h);
                fprintf(f, "- %s, %s vs %s: CPython %s, heaplab %s (%s vs %s)\n",
                        metric_titles[m], ob->series[pr->b].config, ob->series[pr->a].config, c,
                        h, ob->series[pr->b].backend, ob->series[pr->a].backend);
            }
        }
    }
    hl_json *calls = load_calls(vr, run);
    fprintf(f, "\n### Allocator calls per operation (CPython %s, model %s)\n\n", run->py.version,
            run->model);
    if (calls) {
        fprintf(f, "scripts/fidelity_calls.py (`%s`): heaplab's `--call-histogram` against "
                   "libheaplab-trace.so traces of the twins under `PYTHONMALLOC=malloc`, at "
                   "the quick parameters.\n\n",
                run->calls_path);
        md_calls(f, calls);
    } else {
        fprintf(f, "Not made: %s.\n", vr->no_calls ? "--no-calls" : run->calls_why);
    }
    hl_json_free(calls);
}

static int write_md(const hl_validate *vr, bool chart, char *err, size_t errlen)
{
    char path[4200];
    hl_cli_bprintf(path, sizeof path, "%s/validate.md", vr->dir);
    hl_atomic_file af;
    if (hl_atomic_begin(&af, path, err, errlen) != 0)
        return -1;
    FILE *f = af.f;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    fprintf(f, "# How faithful is heaplab's model: heaplab validate\n\n");
    double total = 0;
    for (size_t r = 0; r < vr->n_runs; r++)
        total += isfinite(run_seconds(&vr->runs[r])) ? run_seconds(&vr->runs[r]) : 0;
    fprintf(f, "`%s`  \nseed %llu, %u rounds, %ld CPUs; the runs took %.0f s; report by "
               "heaplab %s%s\n\n",
            vr->command, (unsigned long long)vr->seed, vr->repetitions, ncpu, total,
            hl_build_info.git_commit, hl_build_info.git_dirty ? " (dirty)" : "");
    fprintf(f, "## Agreement\n\n| metric | agreement | pairs beyond noise | within noise | "
               "same heaplab backend | target %.0f%% |\n|---|---|---|---|---|---|\n",
            100 * HL_VAL_TARGET);
    for (size_t m = 0; m < HL_VAL_N_METRICS; m++) {
        const hl_val_score *s = &vr->scores[m];
        char sc[64];
        fmt_score(s, sc, sizeof sc);
        fprintf(f, "| %s | %s | %zu | %zu | %zu | %s |\n", metric_titles[m], sc, s->counted,
                s->noise, s->same_model,
                !s->counted ? "-" : score_of(s) >= HL_VAL_TARGET ? "met" : "missed");
    }
    fprintf(f, "\n%s\n", noise_rule);
    if (chart)
        fprintf(f, "\n![predicted against measured ratios](validate.svg)\n");
    for (size_t r = 0; r < vr->n_runs; r++)
        md_interp(f, vr, r);
    if (ferror(f)) {
        hl_atomic_abort(&af);
        hl_cli_bprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return hl_atomic_commit(&af, false, err, errlen);
}

/* ---- the chart ------------------------------------------------------------------ */

static void dat_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.6g", v);
    else
        fputs(" ?", f);
}

/* validate.dat: one row per block and configuration but the base, the
 * predicted (heaplab) and measured (CPython) ratio with their intervals;
 * configurations numbered in the order of the first run's. */
static int write_dat(const hl_validate *vr, const char *path, char *names, size_t nameslen,
                     size_t *nconf)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# heaplab validate: predicted (heaplab) vs measured (CPython) ratios to "
               "pymalloc / pool\nmetric config predicted plo phi measured mlo mhi "
               "\"workload\" \"cpython\" \"heaplab\"\n");
    char seen[HL_VAL_MAX_SERIES * 2][48];
    size_t n = 0;
    names[0] = '\0';
    for (size_t b = 0; b < vr->n_blocks; b++) {
        const hl_val_out_block *ob = &vr->blocks[b];
        for (size_t i = 1; i < ob->n_series; i++) {
            size_t c = 0;
            while (c < n && strcmp(seen[c], ob->series[i].config) != 0)
                c++;
            if (c == n && n < sizeof seen / sizeof seen[0]) {
                snprintf(seen[n++], sizeof seen[0], "%s", ob->series[i].config);
                hl_cli_bprintf(names + strlen(names), nameslen - strlen(names), "%s\"%s\"",
                        names[0] ? " " : "", ob->series[i].config);
            }
            const hl_val_ratio *p = &ob->block.heaplab_rel[i], *m = &ob->block.cpython_rel[i];
            fprintf(f, "%zu %zu", ob->metric + 1, c + 1);
            dat_num(f, p->median);
            dat_num(f, p->n ? p->iv.lo : NAN);
            dat_num(f, p->n ? p->iv.hi : NAN);
            dat_num(f, m->median);
            dat_num(f, m->n ? m->iv.lo : NAN);
            dat_num(f, m->n ? m->iv.hi : NAN);
            fprintf(f, " \"%s\" \"%s\" \"%s\"\n", ob->workload, ob->series[i].config,
                    ob->series[i].backend);
        }
    }
    *nconf = n;
    return fclose(f) == 0 ? 0 : -1;
}

/* true when validate.svg was drawn; a missing gnuplot is a note, not a failure */
static bool write_chart(const hl_validate *vr)
{
    char gnuplot[PATH_MAX], scripts[PATH_MAX], err[600];
    if (hl_plot_find_gnuplot(gnuplot, sizeof gnuplot, err, sizeof err) != 0 ||
        hl_plot_scripts_dir(scripts, sizeof scripts, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab validate: no chart: %s\n", err);
        return false;
    }
    char data[4200], out[4200], tmp[4300], script[PATH_MAX + 32], names[2048], title[300],
        sub[600];
    size_t nconf = 0;
    hl_cli_bprintf(data, sizeof data, "%s/validate.dat", vr->dir);
    if (write_dat(vr, data, names, sizeof names, &nconf) != 0 || nconf == 0)
        return false;
    hl_cli_bprintf(out, sizeof out, "%s/validate.svg", vr->dir);
    hl_cli_bprintf(tmp, sizeof tmp, "%s/.validate.tmp-%ld.svg", vr->dir, (long)getpid());
    hl_cli_bprintf(script, sizeof script, "%s/validate.gp", scripts);
    char scores[2][64];
    for (size_t m = 0; m < HL_VAL_N_METRICS; m++)
        fmt_score(&vr->scores[m], scores[m], sizeof scores[m]);
    hl_cli_bprintf(title, sizeof title, "heaplab's predicted ratios against CPython's measured ones");
    hl_cli_bprintf(sub, sizeof sub, "agreement: time %s, peak RSS %s | %u rounds%s | %s", scores[0],
            scores[1], vr->repetitions, vr->quick ? " (--quick)" : "", vr->command);
    hl_plot_args a;
    hl_plot_args_init(&a);
    hl_plot_args_str(&a, "data", data);
    hl_plot_args_str(&a, "out", tmp);
    hl_plot_args_str(&a, "term", "svg");
    hl_plot_args_str(&a, "title", title);
    hl_plot_args_str(&a, "subtitle", sub);
    hl_plot_args_str(&a, "configs", names);
    hl_plot_args_num(&a, "nconf", (double)nconf);
    if (hl_plot_run_gnuplot(gnuplot, script, &a, err, sizeof err) != 0) {
        unlink(tmp);
        fprintf(stderr, "heaplab validate: no chart: %s\n", err);
        return false;
    }
    struct stat st;
    if (stat(tmp, &st) != 0 || st.st_size == 0 || rename(tmp, out) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

int hl_validate_write(const hl_validate *vr, char *err, size_t errlen)
{
    bool chart = write_chart(vr);
    if (write_json(vr, err, errlen) != 0)
        return -1;
    return write_md(vr, chart, err, errlen);
}

void hl_validate_print(const hl_validate *vr, FILE *out)
{
    fprintf(out, "\nagreement with CPython (pairs beyond noise ordered as CPython orders "
                 "them; target %.0f%%):\n", 100 * HL_VAL_TARGET);
    for (size_t m = 0; m < HL_VAL_N_METRICS; m++) {
        char sc[64];
        fmt_score(&vr->scores[m], sc, sizeof sc);
        fprintf(out, "  %-20s %s, %zu pairs within noise\n", metric_titles[m], sc,
                vr->scores[m].noise);
    }
    for (size_t r = 0; r < vr->n_runs; r++) {
        if (vr->runs[r].why[0])
            fprintf(out, "  %s: %s\n", vr->runs[r].py.name, vr->runs[r].why);
        if (!vr->no_calls && !vr->runs[r].have_calls)
            fprintf(out, "  %s: no calls table: %s\n", vr->runs[r].py.name,
                    vr->runs[r].calls_why);
    }
    fprintf(out, "report: %s/validate.md (validate.json, validate.svg)\n", vr->dir);
}
