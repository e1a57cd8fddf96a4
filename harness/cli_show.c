/* cli_show.c - `heaplab show DIR [--format text|md|csv]`: one row per cell
 * of a result set, then (text and md) the per-workload ranking. */
#include "cli.h"
#include "results.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const show_usage =
    "usage: heaplab show DIR [--format text|md|csv] [--reference BACKEND]\n"
    "\n"
    "Prints the result set in DIR (written by heaplab run) as a table: one row per\n"
    "cell with the median time per operation over its repetitions, the MAD, the\n"
    "coefficient of variation, throughput, peak RSS and status; then the ranking of\n"
    "backends per workload.  csv prints the same columns as DIR/results.csv.\n";

/* What the set is, in three lines, before its numbers. */
static void print_header(const hl_resultset *rs, const char *dir)
{
    const hl_json *m = rs->metadata;
    const char *label = hl_json_get_str(m, "label", NULL);
    printf("%s: suite %s%s%s%s, %zu cells x %u repetitions, %s sizes, measure %s, seed %" PRIu64
           "\n",
           dir, rs->plan.suite, label ? " (label " : "", label ? label : "", label ? ")" : "",
           rs->plan.n_cells, rs->plan.repetitions, rs->plan.suite_size, rs->plan.measure,
           rs->plan.seed);
    printf("  started %s%s%s on %s (%s)\n", rs->started, rs->finished[0] ? ", finished " : "",
           rs->finished, hl_json_get_str(m, "hostname", "?"), hl_json_get_str(m, "cpu_model", "?"));
    const hl_json *dirty = hl_json_get(m, "git_dirty");
    printf("  heaplab %s%s, %s build%s%s\n\n", hl_json_get_str(m, "git_commit", "?"),
           dirty && dirty->type == HL_JBOOL && dirty->boolean ? "-dirty" : "",
           hl_json_get_str(m, "build_type", "?"), rs->plan.reference[0] ? ", reference " : "",
           rs->plan.reference);
}

int hl_cli_show(int argc, char **argv)
{
    const char *dir = NULL, *reference = NULL;
    hl_format fmt = HL_FMT_TEXT;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(show_usage, stdout);
            return HL_EXIT_OK;
        }
        if ((r = hl_cli_opt("show", argc, argv, &i, "--reference", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            reference = v;
        } else if ((r = hl_cli_opt("show", argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0)
                return HL_EXIT_USAGE;
            if (hl_format_parse(v, &fmt) != 0)
                return hl_cli_usage_error("show", "--format '%s': use text, md or csv", v);
        } else if (argv[i][0] == '-') {
            return hl_cli_usage_error("show", "unknown option '%s': the options are --format and "
                                              "--reference", argv[i]);
        } else if (dir) {
            return hl_cli_usage_error("show", "one result directory at a time: '%s' after '%s' "
                                              "(to compare two, use heaplab compare A B)",
                                      argv[i], dir);
        } else {
            dir = argv[i];
        }
    }
    if (!dir)
        return hl_cli_usage_error("show", "which result set? write heaplab show DIR (a directory "
                                          "written by heaplab run)");
    hl_resultset rs;
    char err[600];
    if (hl_results_load(&rs, dir, err, sizeof err) != 0)
        return hl_cli_usage_error("show", "%s", err);
    if (reference) {
        bool known = false;
        for (size_t c = 0; c < rs.plan.n_cells; c++)
            known |= strcmp(rs.plan.cells[c].backend, reference) == 0;
        if (!known) {
            hl_results_free(&rs);
            return hl_cli_usage_error("show", "--reference %s: no cell of %s ran that backend",
                                      reference, dir);
        }
        snprintf(rs.plan.reference, sizeof rs.plan.reference, "%s", reference);
    }
    if (fmt == HL_FMT_TEXT)
        print_header(&rs, dir);
    if (!rs.complete && fmt != HL_FMT_CSV) {
        size_t done = 0;
        for (size_t i = 0; i < rs.plan.n_cells * rs.plan.repetitions; i++)
            done += rs.reps[i].done;
        printf("%sincomplete run: %zu of %zu jobs done (%s); finish it with heaplab run "
               "--resume %s\n\n",
               fmt == HL_FMT_MD ? "> " : "", done, rs.plan.n_cells * rs.plan.repetitions,
               rs.interrupted ? "interrupted" : "stopped before the end, or still running", dir);
    }
    if (fmt == HL_FMT_MD) {
        hl_results_print_summary(&rs, stdout, true);
        printf("\n## All cells\n\n");
        hl_results_print_table(&rs, stdout, fmt);
    } else {
        hl_results_print_table(&rs, stdout, fmt);
        if (fmt == HL_FMT_TEXT)
            hl_results_print_summary(&rs, stdout, false);
    }
    hl_results_free(&rs);
    return HL_EXIT_OK;
}
