/* report_html.h - DIR/report.html: one page a reader opens in a browser to
 * see a whole run: what ran where (metadata, fingerprint), what may be
 * wrong with it (noise findings, warnings), the ranking of every group
 * with its named reference (ranking.h), every chart, and links to the raw
 * files.
 *
 * The page is self-contained: it refers only to files of the result set
 * (the SVG charts beside it in plots/, results.json, results.csv,
 * summary.md), with no network access and no script.  It is XHTML-clean
 * (every element closed, attributes quoted, text escaped), so an XML parser
 * reads it as well as a browser.
 */
#ifndef HL_REPORT_HTML_H
#define HL_REPORT_HTML_H

#include "results.h"

#include <stdbool.h>
#include <stddef.h>

/* A chart drawn for the run (DIR/plots/<name>.svg / .png). */
typedef struct hl_html_chart {
    char name[200];   /* file stem under DIR/plots */
    char kind[24];    /* reltime, relinstr, peak_rss, overhead, reps, scaling, sweep,
                       * timeline, gc_pauses, cow */
    char title[400];
    char note[1200];  /* how to read it, what was left out; "" */
    bool png, svg;
} hl_html_chart;

/* Writes DIR/report.html atomically.  reference: the backend the rankings
 * divide by, or NULL (each group's fastest non-debug backend).  skips:
 * the charts that could not be drawn, "chart: why".  0, or -1 with one
 * line in err. */
int hl_report_html_write(const char *dir, const hl_resultset *rs, const char *reference,
                         const hl_html_chart *charts, size_t n_charts,
                         const char (*skips)[600], size_t n_skips, char *err, size_t errlen);

#endif
