/* reproduce_out.c - what `heaplab reproduce` prints and writes
 * (reproduce.h): the side-by-side table on the terminal, reproduce.json,
 * reproduce.md (its first table is the summary a README can quote) and a
 * published-vs-measured bar chart per claim (plots/claim.gp).
 */
#include "reproduce.h"

#include "cli.h"

#include "fsutil.h"
#include "json.h"
#include "plot.h"
#include "plot_run.h"

#include "build_info.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *state_name(hl_repro_state s)
{
    switch (s) {
    case HL_RR_PLANNED: return "not run";
    case HL_RR_UNAVAILABLE: return "unavailable";
    case HL_RR_DONE: return "done";
    case HL_RR_PARTIAL: return "partial";
    case HL_RR_FAILED: return "failed";
    }
    return "?";
}

static void fmt_num(double v, char *out, size_t outlen)
{
    if (!isfinite(v))
        hl_cli_bprintf(out, outlen, "-");
    else
        hl_cli_bprintf(out, outlen, "%.3g", v);
}

static void fmt_meas(const hl_judged_item *it, char *out, size_t outlen)
{
    if (!isfinite(it->measured))
        hl_cli_bprintf(out, outlen, "-");
    else if (isfinite(it->lo) && isfinite(it->hi) && it->lo != it->hi)
        hl_cli_bprintf(out, outlen, "%.3g [%.3g, %.3g]", it->measured, it->lo, it->hi);
    else
        hl_cli_bprintf(out, outlen, "%.3g", it->measured);
}

/* The item that decided the verdict (the first of the same verdict). */
static const hl_judged_item *deciding(const hl_judgement *j)
{
    for (size_t i = 0; i < j->n_items; i++)
        if (j->items[i].v == j->v)
            return &j->items[i];
    return j->n_items ? &j->items[0] : NULL;
}

static void counts(const hl_repro *r, size_t *h, size_t *d, size_t *n)
{
    *h = *d = *n = 0;
    for (size_t i = 0; i < r->n_selected; i++) {
        hl_cverdict v = r->selected[i].j.v;
        *h += v == HL_CV_HOLDS;
        *d += v == HL_CV_DIFFERS;
        *n += v == HL_CV_NOT_COMPARABLE;
    }
}

/* ---- terminal ---------------------------------------------------------------------------- */

static void print_items(const hl_judgement *j, FILE *out)
{
    for (size_t i = 0; i < j->n_items; i++) {
        const hl_judged_item *it = &j->items[i];
        char p[32], m[96];
        fmt_num(it->published, p, sizeof p);
        fmt_meas(it, m, sizeof m);
        fprintf(out, "    %s\n      published %s, measured %s: %s: %s\n", it->label, p, m,
                hl_cverdict_name(it->v), it->why);
    }
}

void hl_repro_print(const hl_repro *r, FILE *out)
{
    fprintf(out, "\nPublished claims on this machine (%s, %u CPUs); published vs measured:\n",
            r->cpu, r->nproc);
    for (size_t i = 0; i < r->n_selected; i++) {
        const hl_repro_claim *rc = &r->selected[i];
        fprintf(out, "\n%s: %s\n  %s\n", rc->c->id, hl_cverdict_name(rc->j.v), rc->j.summary);
        print_items(&rc->j, out);
        if (rc->j.v == HL_CV_DIFFERS && rc->c->differs_because[0])
            fprintf(out, "  likely reason: %s\n", rc->c->differs_because);
        if (rc->has_original) {
            fprintf(out, "  original programs: %s: %s\n", hl_cverdict_name(rc->jo.v),
                    rc->jo.summary);
            print_items(&rc->jo, out);
        }
    }
    if (r->n_agree) {
        fprintf(out, "\nheaplab's versions against the original programs (pairs the original "
                     "orders beyond its noise):\n");
        for (size_t i = 0; i < r->n_agree; i++) {
            const hl_repro_agree *a = &r->agree[i];
            if (!a->measured) {
                fprintf(out, "  %s vs %s: not measured: %s\n", a->workload, a->original, a->why);
                continue;
            }
            size_t ok = 0;
            for (size_t k = 0; k < a->n_pairs; k++)
                ok += a->pairs[k].agrees;
            fprintf(out, "  %s vs %s: %s (%zu of %zu ordered pairs agree, %zu pairs within the "
                         "original's noise)\n", a->workload, a->original,
                    a->n_pairs == 0 ? "nothing to compare" : a->agrees ? "same ranking"
                                                                       : "different ranking",
                    ok, a->n_pairs, a->n_noise);
        }
    }
    size_t h, d, n;
    counts(r, &h, &d, &n);
    fprintf(out, "\n%zu claims: %zu with a verdict (%zu hold, %zu differ), %zu not comparable "
                 "here.  %s/reproduce.md has the details, %s/charts/ the charts.\n",
            r->n_selected, h + d, h, d, n, r->dir, r->dir);
}

/* ---- reproduce.json ------------------------------------------------------------------------ */

static void write_bound(hl_jw *w, const char *key, double v)
{
    if (isinf(v))
        hl_jw_null(w, key);
    else
        hl_jw_num(w, key, v);
}

static void write_judgement(hl_jw *w, const char *key, const hl_judgement *j)
{
    hl_jw_obj_begin(w, key);
    hl_jw_str(w, "verdict", hl_cverdict_name(j->v));
    hl_jw_str(w, "summary", j->summary);
    hl_jw_arr_begin(w, "items");
    for (size_t i = 0; i < j->n_items; i++) {
        const hl_judged_item *it = &j->items[i];
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "label", it->label);
        hl_jw_str(w, "verdict", hl_cverdict_name(it->v));
        hl_jw_num(w, "published", it->published);
        hl_jw_num(w, "measured", it->measured);
        hl_jw_num(w, "lo", it->lo);
        hl_jw_num(w, "hi", it->hi);
        write_bound(w, "holds_lo", it->holds_lo);
        write_bound(w, "holds_hi", it->holds_hi);
        hl_jw_str(w, "why", it->why);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
}

void hl_repro_write_options(hl_jw *w, const hl_repro *r)
{
    hl_jw_bool(w, "quick", r->quick);
    if (r->bench_dir)
        hl_jw_str(w, "bench_dir", r->bench_dir);
    else
        hl_jw_null(w, "bench_dir");
    hl_jw_arr_begin(w, "pythons");
    for (size_t i = 0; i < r->n_pythons; i++)
        hl_jw_str(w, NULL, r->pythons[i]);
    hl_jw_arr_end(w);
    char seed[32];
    hl_cli_bprintf(seed, sizeof seed, "%llu", r->seed);
    hl_jw_str(w, "seed", seed);
}

static int write_json(const hl_repro *r, char *err, size_t errlen)
{
    char path[4200];
    hl_cli_bprintf(path, sizeof path, "%s/reproduce.json", r->dir);
    hl_atomic_file af;
    hl_jw w;
    if (hl_jw_file_begin(&af, &w, path, err, errlen) != 0)
        return -1;
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", HL_REPRO_FORMAT);
    hl_jw_int(&w, "format_version", HL_REPRO_VERSION);
    hl_jw_str(&w, "command", r->command);
    hl_jw_str(&w, "started", r->started);
    hl_jw_str(&w, "finished", r->finished);
    hl_jw_num(&w, "seconds", r->seconds);
    hl_jw_obj_begin(&w, "heaplab");
    hl_jw_str(&w, "version", hl_build_info.version);
    hl_jw_str(&w, "commit", hl_build_info.git_commit);
    hl_jw_bool(&w, "dirty", hl_build_info.git_dirty);
    hl_jw_str(&w, "build_type", hl_build_info.build_type);
    hl_jw_obj_end(&w);
    hl_jw_obj_begin(&w, "machine");
    hl_jw_str(&w, "cpu", r->cpu);
    hl_jw_int(&w, "nproc", r->nproc);
    hl_jw_num(&w, "load_1min_at_start", r->load1);
    hl_jw_obj_end(&w);
    hl_jw_obj_begin(&w, "options");
    hl_repro_write_options(&w, r);
    hl_jw_obj_end(&w);
    size_t h, d, n;
    counts(r, &h, &d, &n);
    hl_jw_obj_begin(&w, "counts");
    hl_jw_int(&w, "claims", (int64_t)r->n_selected);
    hl_jw_int(&w, "holds", (int64_t)h);
    hl_jw_int(&w, "differs", (int64_t)d);
    hl_jw_int(&w, "not_comparable", (int64_t)n);
    hl_jw_obj_end(&w);
    hl_jw_arr_begin(&w, "runs");
    for (size_t i = 0; i < r->n_runs; i++) {
        const hl_repro_run *run = &r->runs[i];
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "name", run->name);
        hl_jw_str(&w, "experiment", run->exp->name);
        hl_jw_str(&w, "variant", run->variant);
        hl_jw_bool(&w, "original", run->original);
        hl_jw_str(&w, "state", state_name(run->state));
        hl_jw_str(&w, "why", run->why);
        hl_jw_str(&w, "dir", run->name);
        hl_jw_num(&w, "seconds", run->seconds);
        hl_jw_str(&w, "scaling", run->exp->scaling);
        hl_jw_arr_begin(&w, "command");
        for (size_t k = 0; k < run->argc; k++)
            hl_jw_str(&w, NULL, k == 0 ? "heaplab" : run->argv[k]);
        hl_jw_arr_end(&w);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_arr_begin(&w, "claims");
    for (size_t i = 0; i < r->n_selected; i++) {
        const hl_repro_claim *rc = &r->selected[i];
        const hl_claim *c = rc->c;
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "id", c->id);
        hl_jw_str(&w, "claim", c->claim);
        hl_jw_value(&w, "source", c->source);
        hl_jw_value(&w, "measured_on", c->measured_on);
        hl_jw_str(&w, "metric", c->metric);
        hl_jw_str(&w, "normalisation", c->normalisation);
        hl_jw_value(&w, "published", c->published);
        hl_jw_str(&w, "rule_kind", hl_rule_kind_name(c->rule.kind));
        hl_jw_str(&w, "verdict", hl_cverdict_name(rc->j.v));
        hl_jw_str(&w, "summary", rc->j.summary);
        hl_jw_str(&w, "differs_because", rc->j.v == HL_CV_DIFFERS ? c->differs_because : "");
        write_judgement(&w, "heaplab", &rc->j);
        if (rc->has_original)
            write_judgement(&w, "original", &rc->jo);
        else
            hl_jw_null(&w, "original");
        hl_jw_arr_begin(&w, "caveats");
        for (size_t k = 0; k < c->n_caveats; k++)
            hl_jw_str(&w, NULL, c->caveats[k]);
        hl_jw_arr_end(&w);
        if (rc->chart[0])
            hl_jw_str(&w, "chart", rc->chart);
        else
            hl_jw_null(&w, "chart");
        char cmd[256];
        hl_cli_bprintf(cmd, sizeof cmd, "heaplab reproduce %s", c->id);
        hl_jw_str(&w, "command", cmd);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_arr_begin(&w, "originals");
    for (size_t i = 0; i < r->n_agree; i++) {
        const hl_repro_agree *a = &r->agree[i];
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "experiment", a->experiment);
        hl_jw_str(&w, "workload", a->workload);
        hl_jw_str(&w, "original", a->original);
        hl_jw_bool(&w, "measured", a->measured);
        hl_jw_str(&w, "why", a->why);
        hl_jw_bool(&w, "same_ranking", a->measured && a->agrees);
        hl_jw_int(&w, "pairs_within_noise", (int64_t)a->n_noise);
        hl_jw_arr_begin(&w, "pairs");
        for (size_t k = 0; k < a->n_pairs; k++) {
            const hl_repro_pair *p = &a->pairs[k];
            hl_jw_obj_begin(&w, NULL);
            hl_jw_str(&w, "slower", p->slow);
            hl_jw_str(&w, "faster", p->fast);
            hl_jw_num(&w, "original", p->o);
            hl_jw_num(&w, "original_lo", p->o_lo);
            hl_jw_num(&w, "original_hi", p->o_hi);
            hl_jw_num(&w, "heaplab", p->h);
            hl_jw_num(&w, "heaplab_lo", p->h_lo);
            hl_jw_num(&w, "heaplab_hi", p->h_hi);
            hl_jw_bool(&w, "agrees", p->agrees);
            hl_jw_bool(&w, "heaplab_significant", p->significant);
            hl_jw_obj_end(&w);
        }
        hl_jw_arr_end(&w);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    return hl_jw_file_commit(&af, &w, true, err, errlen);
}

/* ---- reproduce.md ----------------------------------------------------------------------------- */

/* Markdown table cells: '|' and newlines would break the row. */
static void md(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void md_source(FILE *f, const hl_claim *c)
{
    md(f, hl_json_get_str(c->source, "title", ""));
    double year = hl_json_get_num(c->source, "year", NAN);
    if (isfinite(year))
        fprintf(f, " (%d)", (int)year);
}

static void md_items(FILE *f, const hl_judgement *j)
{
    fprintf(f, "| part | published | measured here | holds when | verdict | why |\n"
               "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < j->n_items; i++) {
        const hl_judged_item *it = &j->items[i];
        char p[32], m[96], lo[32], hi[32];
        fmt_num(it->published, p, sizeof p);
        fmt_meas(it, m, sizeof m);
        fmt_num(it->holds_lo, lo, sizeof lo);
        fmt_num(it->holds_hi, hi, sizeof hi);
        fputs("| ", f);
        md(f, it->label);
        fprintf(f, " | %s | %s | ", p, m);
        if (isinf(it->holds_lo) && isinf(it->holds_hi))
            fputs("-", f);
        else if (isinf(it->holds_hi))
            fprintf(f, ">= %s", lo);
        else if (isinf(it->holds_lo))
            fprintf(f, "<= %s", hi);
        else
            fprintf(f, "[%s, %s]", lo, hi);
        fprintf(f, " | %s | ", hl_cverdict_name(it->v));
        md(f, it->why);
        fputs(" |\n", f);
    }
}

/* reproduce.md's head: the command, the machine, and a row per claim. */
static void md_summary(FILE *f, const hl_repro *r)
{
    size_t h, d, n;
    counts(r, &h, &d, &n);
    fprintf(f, "# Published claims on this machine\n\n");
    fprintf(f, "`%s` (%s%s) on %s, %u CPUs (load %.1f at the start), heaplab %s (commit %s%s, "
               "%s build), %s to %s, %.0f s.\n\n",
            r->command, r->quick ? "quick" : "full", r->bench_dir ? ", with the originals" : "",
            r->cpu, r->nproc, r->load1, hl_build_info.version, hl_build_info.git_commit,
            hl_build_info.git_dirty ? ", dirty" : "", hl_build_info.build_type, r->started,
            r->finished, r->seconds);
    fprintf(f, "**%zu claims: %zu with a verdict (%zu hold, %zu differ), %zu not comparable "
               "here.**\n\n", r->n_selected, h + d, h, d, n);
    fprintf(f, "| claim | source | published | measured here | verdict | why |\n"
               "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < r->n_selected; i++) {
        const hl_repro_claim *rc = &r->selected[i];
        const hl_judged_item *it = deciding(&rc->j);
        char p[32] = "-", m[96] = "-";
        if (it) {
            fmt_num(it->published, p, sizeof p);
            fmt_meas(it, m, sizeof m);
        }
        fprintf(f, "| [%s](#%s) | ", rc->c->id, rc->c->id);
        md_source(f, rc->c);
        fprintf(f, " | %s | %s | **%s** | ", p, m, hl_cverdict_name(rc->j.v));
        md(f, rc->j.summary);
        if (rc->j.v == HL_CV_DIFFERS && rc->c->differs_because[0]) {
            fputs(" Likely reason: ", f);
            md(f, rc->c->differs_because);
        }
        fputs(" |\n", f);
    }
    fprintf(f, "\nEach row is reproduced by `heaplab reproduce ID`; published and measured are "
               "the deciding part's (the first part with the claim's verdict).\n");
}

/* heaplab's versions of the classic benchmarks against the originals. */
static void md_agreement(FILE *f, const hl_repro *r)
{
    if (!r->n_agree)
        return;
    fprintf(f, "\n## heaplab's versions against the original programs\n\n"
               "For every pair of allocators the original orders beyond its noise (its "
               "interval of round-by-round ratios excludes 1): does heaplab's version order "
               "them the same way?\n\n"
               "| heaplab | original | ordered pairs | agree | within the original's noise "
               "| ranking |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < r->n_agree; i++) {
        const hl_repro_agree *a = &r->agree[i];
        size_t ok = 0;
        for (size_t k = 0; k < a->n_pairs; k++)
            ok += a->pairs[k].agrees;
        fprintf(f, "| %s | %s | %zu | %zu | %zu | %s |\n", a->workload, a->original,
                a->n_pairs, ok, a->n_noise,
                !a->measured ? "not measured" : a->n_pairs == 0 ? "nothing to compare"
                : a->agrees ? "same" : "different");
    }
    for (size_t i = 0; i < r->n_agree; i++) {
        const hl_repro_agree *a = &r->agree[i];
        if (!a->n_pairs)
            continue;
        fprintf(f, "\n%s vs %s:\n\n| slower / faster | original | heaplab | agrees |\n"
                   "|---|---|---|---|\n", a->workload, a->original);
        for (size_t k = 0; k < a->n_pairs; k++) {
            const hl_repro_pair *p = &a->pairs[k];
            fprintf(f, "| %s / %s | %.3g [%.3g, %.3g] | %.3g [%.3g, %.3g] | %s |\n", p->slow,
                    p->fast, p->o, p->o_lo, p->o_hi, p->h, p->h_lo, p->h_hi,
                    p->agrees ? (p->significant ? "yes" : "yes (within heaplab's noise)")
                              : (p->significant ? "**no**" : "no (within heaplab's noise)"));
        }
    }
}

static void md_scaling(FILE *f, const hl_repro *r)
{
    fprintf(f, "\n## How the experiments were scaled to this machine\n\n");
    for (size_t i = 0; i < r->n_runs; i++) {
        const hl_repro_run *run = &r->runs[i];
        fprintf(f, "- **%s** (%s%s%s, %.0f s): ", run->name, state_name(run->state),
                run->why[0] ? ": " : "", run->why, run->seconds);
        md(f, run->exp->scaling);
        fputs("\n", f);
    }
}

/* One claim in full: its text, verdict, source, rule and parts. */
static void md_claim(FILE *f, const hl_repro_claim *rc)
{
    const hl_claim *c = rc->c;
    fprintf(f, "\n### %s\n\n", c->id);
    md(f, c->claim);
    fprintf(f, "\n\n- **Verdict: %s.** ", hl_cverdict_name(rc->j.v));
    md(f, rc->j.summary);
    fprintf(f, "\n- Source: ");
    md_source(f, c);
    fprintf(f, ", ");
    md(f, hl_json_get_str(c->source, "authors", ""));
    fprintf(f, "; ");
    md(f, hl_json_get_str(c->source, "where", ""));
    fprintf(f, "; %s; <%s>", hl_json_get_str(c->source, "ref", ""),
            hl_json_get_str(c->source, "url", ""));
    fprintf(f, "\n- Measured on: ");
    md(f, hl_json_get_str(c->measured_on, "hardware", ""));
    fprintf(f, "; ");
    md(f, hl_json_get_str(c->measured_on, "software", ""));
    fprintf(f, "\n- Metric: ");
    md(f, c->metric);
    fprintf(f, "; normalisation: ");
    md(f, c->normalisation);
    fprintf(f, "\n- Rule: ");
    md(f, c->rule_text);
    for (size_t k = 0; k < c->n_caveats; k++) {
        fprintf(f, "\n- Caveat: ");
        md(f, c->caveats[k]);
    }
    if (rc->j.v == HL_CV_DIFFERS && c->differs_because[0]) {
        fprintf(f, "\n- Likely reason it differs: ");
        md(f, c->differs_because);
    }
    fprintf(f, "\n\n");
    md_items(f, &rc->j);
    if (rc->has_original) {
        fprintf(f, "\nThe original programs: **%s**. ", hl_cverdict_name(rc->jo.v));
        md(f, rc->jo.summary);
        fprintf(f, "\n\n");
        md_items(f, &rc->jo);
    }
    if (rc->chart[0])
        fprintf(f, "\n![%s](%s)\n", c->id, rc->chart);
}

static int write_md(const hl_repro *r, char *err, size_t errlen)
{
    char path[4200];
    hl_cli_bprintf(path, sizeof path, "%s/reproduce.md", r->dir);
    hl_atomic_file af;
    if (hl_atomic_begin(&af, path, err, errlen) != 0)
        return -1;
    FILE *f = af.f;
    md_summary(f, r);
    md_agreement(f, r);
    md_scaling(f, r);
    fprintf(f, "\n## The claims\n");
    for (size_t i = 0; i < r->n_selected; i++)
        md_claim(f, &r->selected[i]);
    return hl_atomic_commit(&af, true, err, errlen);
}

int hl_repro_write(const hl_repro *r, char *err, size_t errlen)
{
    if (write_json(r, err, errlen) != 0)
        return -1;
    return write_md(r, err, errlen);
}

/* ---- charts ---------------------------------------------------------------------------------- */

/* A chart label: the item's label up to its first " (" or ": ", at most 44
 * characters, double quotes dropped (the data file quotes it). */
static void short_label(const char *label, char *out, size_t outlen)
{
    size_t n = strcspn(label, "(");
    const char *colon = strstr(label, ", ");
    if (colon && (size_t)(colon - label) < n)
        n = (size_t)(colon - label);
    while (n > 0 && label[n - 1] == ' ')
        n--;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < outlen && k < 44; i++)
        if (label[i] != '"')
            out[k++] = label[i];
    if (n > 44 && k + 4 < outlen) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

static void dat_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.6g", v);
    else
        fputs(" ?", f);
}

static bool chart_one(hl_repro *r, hl_repro_claim *rc, const char *gnuplot, const char *scripts)
{
    const hl_judgement *j = &rc->j;
    size_t rows = 0;
    double vmin = INFINITY, vmax = -INFINITY;
    for (size_t i = 0; i < j->n_items; i++) {
        const hl_judged_item *it = &j->items[i];
        if (!isfinite(it->measured) && !isfinite(it->published))
            continue;
        rows++;
        double vals[4] = {it->published, it->measured, it->lo, it->hi};
        for (int k = 0; k < 4; k++)
            if (isfinite(vals[k])) {
                vmin = fmin(vmin, vals[k]);
                vmax = fmax(vmax, vals[k]);
            }
    }
    if (rows == 0)
        return false;
    char dir[4200], data[4400], err[600];
    hl_cli_bprintf(dir, sizeof dir, "%s/charts/data", r->dir);
    if (hl_mkdir_p(dir, err, sizeof err) != 0)
        return false;
    hl_cli_bprintf(data, sizeof data, "%s/%s.dat", dir, rc->c->id);
    FILE *f = fopen(data, "w");
    if (!f)
        return false;
    fprintf(f, "part \"published\" lo hi \"measured here\" lo hi\n");
    for (size_t i = 0; i < j->n_items; i++) {
        const hl_judged_item *it = &j->items[i];
        if (!isfinite(it->measured) && !isfinite(it->published))
            continue;
        char lab[64];
        short_label(it->label, lab, sizeof lab);
        fprintf(f, "\"%s\"", lab);
        dat_num(f, it->published);
        dat_num(f, it->published);
        dat_num(f, it->published);
        dat_num(f, it->measured);
        dat_num(f, isfinite(it->lo) ? it->lo : it->measured);
        dat_num(f, isfinite(it->hi) ? it->hi : it->measured);
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        return false;
    char script[PATH_MAX + 64], out[4400], tmp[4500], title[600], subtitle[600];
    hl_cli_bprintf(script, sizeof script, "%s/claim.gp", scripts);
    hl_cli_bprintf(out, sizeof out, "%s/charts/%s.svg", r->dir, rc->c->id);
    hl_cli_bprintf(tmp, sizeof tmp, "%s/charts/.%s.tmp-%ld.svg", r->dir, rc->c->id, (long)getpid());
    hl_cli_bprintf(title, sizeof title, "%s: %s", rc->c->id, hl_cverdict_name(j->v));
    hl_cli_bprintf(subtitle, sizeof subtitle, "published vs measured on %s, %u CPUs%s", r->cpu,
             r->nproc, r->quick ? " (--quick)" : "");
    hl_plot_args a;
    hl_plot_args_init(&a);
    hl_plot_args_str(&a, "data", data);
    hl_plot_args_str(&a, "out", tmp);
    hl_plot_args_str(&a, "term", "svg");
    hl_plot_args_str(&a, "title", title);
    hl_plot_args_str(&a, "subtitle", subtitle);
    bool logy = vmin > 0 && vmax / vmin > 10;
    hl_plot_args_num(&a, "logy", logy ? 1 : 0);
    if (logy)
        hl_plot_args_num(&a, "ymin", vmin / 1.5);
    if (hl_plot_run_gnuplot(gnuplot, script, &a, err, sizeof err) != 0) {
        unlink(tmp);
        fprintf(stderr, "heaplab reproduce: chart %s skipped: %s\n", rc->c->id, err);
        return false;
    }
    struct stat st;
    if (stat(tmp, &st) != 0 || st.st_size == 0 || rename(tmp, out) != 0) {
        unlink(tmp);
        return false;
    }
    hl_cli_bprintf(rc->chart, sizeof rc->chart, "charts/%s.svg", rc->c->id);
    return true;
}

size_t hl_repro_charts(hl_repro *r)
{
    char gnuplot[PATH_MAX], scripts[PATH_MAX], err[600];
    if (hl_plot_find_gnuplot(gnuplot, sizeof gnuplot, err, sizeof err) != 0 ||
        hl_plot_scripts_dir(scripts, sizeof scripts, err, sizeof err) != 0) {
        fprintf(stderr, "heaplab reproduce: no charts: %s\n", err);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->n_selected; i++)
        n += chart_one(r, &r->selected[i], gnuplot, scripts);
    return n;
}
