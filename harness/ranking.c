/* ranking.c - see ranking.h. */
#include "ranking.h"

#include "protocol.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool hl_results_backend_is_debug(const hl_resultset *rs, const char *spec)
{
    char name[96];
    size_t n = strcspn(spec, ":");
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), spec);
    const hl_json *b = hl_json_get(hl_json_get(rs->metadata, "backends"), name);
    const char *kind = hl_json_get_str(b, "kind", "");
    /* The kind names of backends.def (hl_backend_kind_name) as the run's
     * metadata recorded them. */
    return strcmp(kind, "debug") == 0 || strcmp(kind, "fault") == 0;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const hl_rank_row *a = pa, *b = pb;
    return (a->median > b->median) - (a->median < b->median);
}

/* The primary metric of repetition k of a cell, NAN when not ok. */
static double value_at(const hl_resultset *rs, size_t cell, unsigned k, hl_metric_id m)
{
    const hl_rep *r = hl_results_rep_c(rs, cell, k);
    return r->done && strcmp(r->status, HL_JOB_OK) == 0 ? r->m[m] : NAN;
}

/* Ratios to the reference, round by round. */
static void pair_with(const hl_resultset *rs, hl_rank_row *row, const hl_rank_row *ref,
                      hl_metric_id m, double *buf)
{
    size_t n = 0;
    for (unsigned k = 0; k < rs->plan.repetitions; k++) {
        double a = value_at(rs, ref->cell, k, m), b = value_at(rs, row->cell, k, m);
        if (a > 0 && b > 0)
            buf[n++] = b / a;
    }
    row->n_pairs = n;
    row->ratio = n ? hl_stats_median(buf, n) : NAN;
    row->ratio_iv = hl_stats_median_interval(buf, n);
}

void hl_rank_paired_ratio(const hl_resultset *rs, size_t a, size_t b, double *ratio,
                          hl_interval *iv)
{
    double *buf = calloc(rs->plan.repetitions + 1, sizeof *buf);
    hl_rank_row ra = {.cell = a}, rb = {.cell = b};
    *ratio = NAN;
    if (buf == NULL)
        return;
    pair_with(rs, &rb, &ra, hl_results_primary_metric(rs), buf);
    *ratio = rb.ratio;
    *iv = rb.ratio_iv;
    free(buf);
}

/* By ratio to the reference, rows without one last; ties by median. */
static int cmp_by_ratio(const void *pa, const void *pb)
{
    const hl_rank_row *a = pa, *b = pb;
    bool na = isnan(a->ratio), nb = isnan(b->ratio);
    if (na != nb)
        return na - nb;
    if (!na && a->ratio != b->ratio)
        return (a->ratio > b->ratio) - (a->ratio < b->ratio);
    return cmp_rows(pa, pb);
}

/* The reference row: the named backend, else the fastest non-debug one. */
static long pick_reference(const hl_resultset *rs, const hl_group *g, const char *reference)
{
    for (size_t i = 0; i < g->n_rows; i++) {
        const char *b = rs->plan.cells[g->rows[i].cell].backend;
        if (reference ? strcmp(b, reference) == 0 : !g->rows[i].debug)
            return (long)i;
    }
    return -1;
}

static int rank_group(const hl_resultset *rs, hl_group *g, const char *const *keys, size_t first,
                      const char *reference, bool *seen, double *buf)
{
    hl_metric_id m = hl_results_primary_metric(rs);
    const hl_plan *p = &rs->plan;
    snprintf(g->key, sizeof g->key, "%s", keys[first]);
    g->rows = calloc(p->n_cells, sizeof *g->rows);
    if (!g->rows)
        return -1;
    for (size_t c = first; c < p->n_cells; c++) {
        if (seen[c] || strcmp(keys[c], keys[first]) != 0)
            continue;
        seen[c] = true;
        size_t n = hl_results_values(rs, c, m, buf);
        if (n == 0) {
            if (hl_results_reps_done(rs, c) > 0 && g->n_failed < 64)
                g->failed[g->n_failed++] = c;
            continue;
        }
        hl_rank_row *row = &g->rows[g->n_rows++];
        row->cell = c;
        row->n = n;
        row->median = hl_stats_median(buf, n);
        row->iv = hl_stats_median_interval(buf, n);
        row->rss_median = hl_results_median(rs, c, HL_M_PEAK_RSS_KIB);
        row->debug = hl_results_backend_is_debug(rs, p->cells[c].backend);
    }
    qsort(g->rows, g->n_rows, sizeof *g->rows, cmp_rows);
    g->ref = pick_reference(rs, g, reference);
    for (size_t i = 0; i < g->n_rows; i++) {
        if (g->ref >= 0)
            pair_with(rs, &g->rows[i], &g->rows[g->ref], m, buf);
        else
            g->rows[i].ratio = NAN;
    }
    if (g->ref < 0)
        return 0;
    /* The paired ratio ranks: on a noisy host the medians of two backends
     * can order them otherwise than their rounds do (binary_trees/cpython
     * in the 2026-12-02 reference run: medians 1.43x, rounds 1.07x). */
    size_t ref_cell = g->rows[g->ref].cell;
    qsort(g->rows, g->n_rows, sizeof *g->rows, cmp_by_ratio);
    for (size_t i = 0; i < g->n_rows; i++)
        if (g->rows[i].cell == ref_cell)
            g->ref = (long)i;
    return 0;
}

int hl_rank_groups(const hl_resultset *rs, const char *reference, hl_group **out, size_t *n)
{
    const hl_plan *p = &rs->plan;
    *out = NULL;
    *n = 0;
    char **keys = calloc(p->n_cells + 1, sizeof *keys);
    bool *seen = calloc(p->n_cells + 1, sizeof *seen);
    double *buf = calloc(p->repetitions + 1, sizeof *buf);
    hl_group *groups = calloc(p->n_cells + 1, sizeof *groups);
    int rc = keys && seen && buf && groups ? 0 : -1;
    for (size_t c = 0; rc == 0 && c < p->n_cells; c++) {
        keys[c] = malloc(600);
        if (!keys[c])
            rc = -1;
        else
            hl_results_group_key(&p->cells[c], keys[c], 600);
    }
    size_t ng = 0;
    for (size_t c = 0; rc == 0 && c < p->n_cells; c++)
        if (!seen[c])
            rc = rank_group(rs, &groups[ng++], (const char *const *)keys, c, reference, seen,
                            buf);
    for (size_t c = 0; keys && c < p->n_cells; c++)
        free(keys[c]);
    free(keys);
    free(seen);
    free(buf);
    if (rc != 0) {
        hl_rank_free(groups, ng);
        return -1;
    }
    *out = groups;
    *n = ng;
    return 0;
}

void hl_rank_free(hl_group *groups, size_t n)
{
    for (size_t i = 0; groups && i < n; i++)
        free(groups[i].rows);
    free(groups);
}
