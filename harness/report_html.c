/* report_html.c - DIR/report.html (see report_html.h).
 *
 * How it works
 * ------------
 * One pass over the loaded result set writes the page top to bottom: the
 * run's header, the warnings (the summary's, results.h), the rankings of
 * every group (ranking.h, the same rows summary.md prints), the charts
 * plot.c drew (each a <figure id="chart-NAME"> with the SVG as an <img>,
 * its note and links to its PNG and data file), the charts that were
 * skipped and why, the run's metadata, fingerprint (fingerprint.h) and
 * machine checks (noise findings), and links to the raw files.  Every
 * piece of text from the result set goes through esc(), so a backend or
 * workload name can never become markup.  The style sheet is inline; the
 * page loads nothing but its own charts.
 */
#include "report_html.h"

#include "fingerprint.h"
#include "fsutil.h"
#include "json.h"
#include "ranking.h"
#include "stats.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text with the five XML specials escaped; control characters dropped. */
static void esc(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*p >= 0x20 || *p == '\n' || *p == '\t')
                fputc(*p, f);
        }
    }
}

/* An id attribute from free text: [A-Za-z0-9_-] kept, others '-'. */
static void id_of(const char *prefix, const char *s, char *out, size_t outlen)
{
    size_t o = (size_t)snprintf(out, outlen, "%s", prefix);
    for (const char *p = s; *p && o + 1 < outlen; p++) {
        char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
        out[o++] = keep ? c : '-';
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1500px;padding:0 1em;"
    "color:#222;line-height:1.4}"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;margin-top:2em}"
    "h3{font-size:1.05em;margin:1.4em 0 .3em}"
    "table{border-collapse:collapse;margin:.3em 0;font-size:.88em}"
    "td,th{padding:.12em .45em;text-align:left;"
    "border-bottom:1px solid #eee;vertical-align:top}th{background:#f4f4f4}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.ref td{font-weight:bold}tr.debug td{color:#777}"
    ".swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border:1px solid #555}"
    "figure{margin:1.5em 0;border-top:1px solid #eee;padding-top:.8em}"
    "figure img{max-width:100%;height:auto;display:block}"
    "figcaption{font-size:.92em;color:#333;max-width:1000px}"
    "ul.warn li{color:#8a4b00}nav a{margin-right:1em}code{background:#f4f4f4;padding:0 .2em}"
    ".meta{color:#555}.headline{margin:.2em 0 0}"
    ".groups{display:flex;flex-wrap:wrap;gap:0 2.5em}.groups>div{flex:0 1 auto}";

/* ---- sections ---------------------------------------------------------- */

static void header(FILE *f, const hl_resultset *rs)
{
    const hl_plan *p = &rs->plan;
    const hl_json *m = rs->metadata;
    size_t done = 0;
    for (size_t i = 0; i < p->n_cells * p->repetitions; i++)
        done += rs->reps[i].done;
    fputs("<h1>heaplab results: suite ", f);
    esc(f, p->suite);
    fputs("</h1>\n<p class=\"meta\">", f);
    const char *label = hl_json_get_str(m, "label", NULL);
    if (label) {
        fputs("label <b>", f);
        esc(f, label);
        fputs("</b>; ", f);
    }
    fputs("started ", f);
    esc(f, rs->started);
    if (rs->finished[0]) {
        fputs(", finished ", f);
        esc(f, rs->finished);
    }
    fprintf(f, "; %zu of %zu jobs done%s; %zu cells &#215; %u repetitions, %s sizes, seed %" PRIu64
               ", measure %s",
            done, p->n_jobs,
            rs->complete ? "" : rs->interrupted ? " (interrupted)" : " (incomplete)", p->n_cells,
            p->repetitions, p->suite_size, p->seed, p->measure);
    fputs("<br/>", f);
    esc(f, hl_json_get_str(m, "cpu_model", "unknown CPU"));
    fputs(" (", f);
    esc(f, hl_json_get_str(m, "hostname", "?"));
    fputs("), build ", f);
    esc(f, hl_json_get_str(m, "build_type", "?"));
    fputs(", commit ", f);
    esc(f, hl_json_get_str(m, "git_commit", "?"));
    fputs("</p>\n<nav><a href=\"#warnings\">Warnings</a><a href=\"#rankings\">Rankings</a>"
          "<a href=\"#charts\">Charts</a><a href=\"#run\">Run and machine</a>"
          "<a href=\"#files\">Raw files</a></nav>\n",
          f);
}

typedef struct warn_list {
    FILE *f;
    size_t n;
} warn_list;

static void warn_item(void *ctx, const char *line)
{
    warn_list *w = ctx;
    if (w->n++ == 0)
        fputs("<ul class=\"warn\">\n", w->f);
    fputs("<li>", w->f);
    esc(w->f, line);
    fputs("</li>\n", w->f);
}

static void warnings(FILE *f, const hl_resultset *rs)
{
    fputs("<section id=\"warnings\">\n<h2>Warnings</h2>\n", f);
    warn_list w = {f, 0};
    hl_results_each_warning(rs, warn_item, &w);
    if (w.n)
        fputs("</ul>\n", f);
    else
        fputs("<p>None: the run's checks found nothing that threatens its numbers.</p>\n", f);
    fputs("</section>\n", f);
}

static void fmt_value(bool instr, double v, char *out, size_t outlen)
{
    if (instr)
        snprintf(out, outlen, isfinite(v) ? "%.1f" : "-", v);
    else
        hl_fmt_time_ns(v, out, outlen);
}

static void group_table(FILE *f, const hl_resultset *rs, const hl_group *g, bool instr)
{
    const hl_plan *p = &rs->plan;
    char id[700];
    id_of("group-", g->key, id, sizeof id);
    fprintf(f, "<div>\n<h3 id=\"%s\">", id);
    esc(f, g->key);
    fputs("</h3>\n<table>\n<thead><tr><th>backend</th><th>", f);
    fputs(instr ? "instr/op" : "time/op", f);
    fputs("</th><th>interval</th><th>&#215; ", f);
    esc(f, g->ref >= 0 ? p->cells[g->rows[g->ref].cell].backend : "(no reference)");
    fputs("</th><th>ratio interval</th><th>rounds</th><th>peak RSS</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < g->n_rows; i++) {
        const hl_rank_row *r = &g->rows[i];
        const char *b = p->cells[r->cell].backend;
        char med[40], lo[40], hi[40], rss[40];
        fmt_value(instr, r->median, med, sizeof med);
        fmt_value(instr, r->iv.lo, lo, sizeof lo);
        fmt_value(instr, r->iv.hi, hi, sizeof hi);
        hl_fmt_kib(r->rss_median, rss, sizeof rss);
        fprintf(f, "<tr%s><td>", (long)i == g->ref ? " class=\"ref\""
                                 : r->debug          ? " class=\"debug\""
                                                     : "");
        esc(f, b);
        fprintf(f, "%s</td><td class=\"n\">", r->debug ? " (debug)" : "");
        esc(f, med);
        fputs("</td><td class=\"n\">", f);
        if (r->iv.n >= 2) {
            fputs("[", f);
            esc(f, lo);
            fputs(", ", f);
            esc(f, hi);
            fputs("]", f);
        } else {
            fputs("-", f);
        }
        if (isfinite(r->ratio))
            fprintf(f, "</td><td class=\"n\">%.3f</td><td class=\"n\">", r->ratio);
        else
            fputs("</td><td class=\"n\">-</td><td class=\"n\">", f);
        if (r->ratio_iv.n >= 2)
            fprintf(f, "[%.3f, %.3f]", r->ratio_iv.lo, r->ratio_iv.hi);
        else
            fputs("-", f);
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">", r->n_pairs);
        esc(f, rss);
        fputs("</td></tr>\n", f);
    }
    for (size_t i = 0; i < g->n_failed; i++) {
        const hl_rep *why = NULL;
        const char *st = hl_results_cell_status(rs, g->failed[i], &why);
        fputs("<tr class=\"debug\"><td>", f);
        esc(f, p->cells[g->failed[i]].backend);
        fputs("</td><td colspan=\"6\">", f);
        esc(f, st);
        if (why) {
            fputs(": ", f);
            esc(f, why->status);
            fputs(": ", f);
            esc(f, why->reason);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n</div>\n", f);
}

static void rankings(FILE *f, const hl_resultset *rs, const char *reference)
{
    bool instr = hl_results_primary_metric(rs) == HL_M_INSTR_PER_OP;
    fputs("<section id=\"rankings\">\n<h2>Rankings</h2>\n<p>", f);
    if (reference) {
        fputs("Every ratio is relative to <b>", f);
        esc(f, reference);
        fputs("</b> (the reference this run or this report was given).", f);
    } else {
        fputs("Every ratio is relative to the group's <b>reference</b> (bold row): its fastest "
              "backend that is not a debug one.",
              f);
    }
    fprintf(f, " %s: the median over repetitions; interval: up to 5 repetitions their range, "
               "from 6 the 95%% distribution-free confidence interval of the median. &#215;: "
               "the median over rounds of the backend's %s divided by the reference's in the "
               "same round (the plan runs a group's cells next to each other in every round), "
               "with the interval of those ratios.</p>\n",
            instr ? "instr/op" : "time/op", instr ? "count" : "time");
    hl_group *groups;
    size_t ng;
    if (hl_rank_groups(rs, reference, &groups, &ng) != 0) {
        fputs("<p>(out of memory)</p>\n</section>\n", f);
        return;
    }
    fputs("<div class=\"groups\">\n", f);
    for (size_t g = 0; g < ng; g++)
        if (groups[g].n_rows || groups[g].n_failed)
            group_table(f, rs, &groups[g], instr);
    fputs("</div>\n", f);
    hl_rank_free(groups, ng);
    fputs("</section>\n", f);
}

static void charts(FILE *f, const hl_html_chart *c, size_t n, const char (*skips)[600],
                   size_t n_skips)
{
    fputs("<section id=\"charts\">\n<h2>Charts</h2>\n", f);
    if (n == 0)
        fputs("<p>No chart was drawn.</p>\n", f);
    else {
        fputs("<p>", f);
        for (size_t i = 0; i < n; i++) {
            char id[260];
            id_of("chart-", c[i].name, id, sizeof id);
            fprintf(f, "%s<a href=\"#%s\">", i ? " | " : "", id);
            esc(f, c[i].name);
            fputs("</a>", f);
        }
        fputs("</p>\n", f);
    }
    for (size_t i = 0; i < n; i++) {
        char id[260];
        id_of("chart-", c[i].name, id, sizeof id);
        fprintf(f, "<figure id=\"%s\" data-kind=\"", id);
        esc(f, c[i].kind);
        fputs("\">\n<img src=\"plots/", f);
        esc(f, c[i].name);
        fputs(c[i].svg ? ".svg" : ".png", f);
        fputs("\" alt=\"", f);
        esc(f, c[i].title);
        fputs("\"/>\n<figcaption><b>", f);
        esc(f, c[i].name);
        fputs("</b>: ", f);
        esc(f, c[i].title);
        fputs(". ", f);
        esc(f, c[i].note);
        fputs(" <a href=\"plots/", f);
        esc(f, c[i].name);
        fputs(c[i].svg ? ".svg\">SVG</a>" : ".png\">PNG</a>", f);
        if (c[i].svg && c[i].png) {
            fputs(" <a href=\"plots/", f);
            esc(f, c[i].name);
            fputs(".png\">PNG</a>", f);
        }
        fputs(" <a href=\"plots/data/", f);
        esc(f, c[i].name);
        fputs(".dat\">data</a></figcaption>\n</figure>\n", f);
    }
    if (n_skips) {
        fputs("<h3>Not drawn</h3>\n<ul>\n", f);
        for (size_t i = 0; i < n_skips; i++) {
            fputs("<li>", f);
            esc(f, skips[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    fputs("</section>\n", f);
}

static void kv_row(FILE *f, const char *k, const char *v)
{
    fputs("<tr><th>", f);
    esc(f, k);
    fputs("</th><td>", f);
    esc(f, v ? v : "-");
    fputs("</td></tr>\n", f);
}

static void run_section(FILE *f, const hl_resultset *rs)
{
    const hl_json *m = rs->metadata;
    fputs("<section id=\"run\">\n<h2>Run and machine</h2>\n<table>\n", f);
    static const char *const keys[] = {"command_line", "date", "hostname", "cpu_model",
                                       "kernel", "glibc_version", "compiler", "c_flags",
                                       "build_type", "git_commit", "heaplab_version", "cwd"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        kv_row(f, keys[i], hl_json_get_str(m, keys[i], NULL));
    const hl_json *dirty = hl_json_get(m, "git_dirty");
    if (dirty)
        kv_row(f, "git_dirty", hl_json_bool(dirty, false) ? "yes" : "no");
    fputs("</table>\n<h3>Backends</h3>\n<table>\n<thead><tr><th>backend</th><th>variant</th>"
          "<th>version</th></tr></thead>\n<tbody>\n",
          f);
    const hl_json *bs = hl_json_get(m, "backends");
    for (size_t i = 0; bs && bs->type == HL_JOBJ && i < bs->len; i++) {
        fputs("<tr><td>", f);
        esc(f, bs->keys[i]);
        fputs("</td><td>", f);
        esc(f, hl_json_get_str(&bs->items[i], "variant", "-"));
        fputs("</td><td>", f);
        esc(f, hl_json_get_str(&bs->items[i], "version", "-"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);

    hl_fingerprint fp;
    hl_fingerprint_read(m, &rs->plan, &fp);
    fputs("<h3 id=\"fingerprint\">Fingerprint</h3>\n<p>What decides this run's numbers "
          "besides the code measured (<code>heaplab compare</code> shows what differs between "
          "two runs); <b>bold</b> keys identify the hardware.</p>\n<table>\n",
          f);
    for (size_t i = 0; i < fp.n; i++) {
        fprintf(f, "<tr><th>%s", fp.items[i].machine ? "<b>" : "");
        esc(f, fp.items[i].key);
        fprintf(f, "%s</th><td>", fp.items[i].machine ? "</b>" : "");
        esc(f, fp.items[i].value);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);

    const hl_json *noise = hl_json_get(m, "noise");
    fputs("<h3 id=\"noise\">Machine checks at the start</h3>\n", f);
    if (hl_json_len(noise) == 0) {
        fputs("<p>Not recorded by this run.</p>\n", f);
    } else {
        fputs("<table>\n<thead><tr><th>check</th><th>value</th><th>threat</th><th>advice</th>"
              "</tr></thead>\n<tbody>\n",
              f);
        for (size_t i = 0; i < hl_json_len(noise); i++) {
            const hl_json *x = hl_json_at(noise, i);
            fputs("<tr><td>", f);
            esc(f, hl_json_get_str(x, "key", "?"));
            fputs("</td><td>", f);
            esc(f, hl_json_get_str(x, "value", ""));
            fprintf(f, "</td><td>%s</td><td>",
                    hl_json_bool(hl_json_get(x, "warn"), false) ? "warns" : "-");
            esc(f, hl_json_get_str(x, "advice", ""));
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
    }
    fputs("</section>\n", f);
}

static void files_section(FILE *f, const char *dir)
{
    fputs("<section id=\"files\">\n<h2>Raw files</h2>\n<ul>\n", f);
    static const struct {
        const char *name, *what;
    } files[] = {
        {"results.json", "every cell and repetition with the run's metadata (the source of truth)"},
        {"results.csv", "one row per cell"},
        {"summary.md", "the ranking and warnings as heaplab run printed them"},
        {"plan.json", "the plan: cells, seed and job order (heaplab run --resume reads it)"},
        {"plots/", "every chart as SVG and PNG, and plots/data/ the data behind each"},
        {"cells/", "per repetition: cell.json, gbench.json, timeline.csv, gc_pauses.csv"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/%s", dir, files[i].name);
        if (!hl_path_exists(p))
            continue;
        fprintf(f, "<li><a href=\"%s\">%s</a>: ", files[i].name, files[i].name);
        esc(f, files[i].what);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n<p class=\"meta\">Formats: docs/results-format.md of heaplab.</p>\n"
          "</section>\n",
          f);
}

int hl_report_html_write(const char *dir, const hl_resultset *rs, const char *reference,
                         const hl_html_chart *charts_drawn, size_t n_charts,
                         const char (*skips)[600], size_t n_skips, char *err, size_t errlen)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/report.html", dir);
    hl_atomic_file af;
    if (hl_atomic_begin(&af, path, err, errlen) != 0)
        return -1;
    FILE *f = af.f;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
          "heaplab: ",
          f);
    esc(f, rs->plan.suite);
    fputs(" ", f);
    esc(f, rs->started);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
    header(f, rs);
    warnings(f, rs);
    rankings(f, rs, reference);
    charts(f, charts_drawn, n_charts, skips, n_skips);
    run_section(f, rs);
    files_section(f, dir);
    fputs("</body>\n</html>\n", f);
    return hl_atomic_commit(&af, false, err, errlen);
}
