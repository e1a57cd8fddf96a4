/* ranking.h - backends ranked within each group of cells of one result set,
 * with ratios to a named reference backend computed pairwise per round.
 *
 * A group is one workload at one point of its parameters and threads (the
 * cells that differ only by backend).  Within a group every backend's
 * median of the primary metric (ns/op, or instructions/op) gets its
 * interval (stats.h, hl_stats_median_interval), and its ratio to the
 * reference is computed per repetition index: the plan runs repetition k of
 * every cell of a group in the same round, next to each other (plan.h), so
 * value(b, k) / value(ref, k) cancels the drift of a shared machine that a
 * ratio of two medians would keep.  The reported ratio is the median of the
 * per-round ratios, with its interval.
 *
 * The reference is the one the user named (--reference), else the fastest
 * backend of the group that is not a debug or fault-injection backend
 * (guard, faulty): those never headline a ranking nor enter a geometric
 * mean, since their cost is the price of checking, not of allocating.
 */
#ifndef HL_RANKING_H
#define HL_RANKING_H

#include "results.h"
#include "stats.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct hl_rank_row {
    size_t cell;            /* index into the plan's cells */
    size_t n;               /* ok repetitions */
    double median;          /* of the primary metric */
    hl_interval iv;
    double ratio;           /* median of value / reference's value, round by round */
    hl_interval ratio_iv;
    size_t n_pairs;         /* rounds where both were ok */
    double rss_median;      /* peak RSS, KiB */
    bool debug;             /* a debug or fault-injection backend */
} hl_rank_row;

/* Invariants: rows are sorted by their ratio to the reference (the paired
 * estimate; fastest first, ties and rows without pairs by median), or by
 * median when the group has no reference; ref indexes the reference row or
 * is -1 (no usable reference in this group); rows of failed cells are not
 * in rows (n_failed counts them). */
typedef struct hl_group {
    char key[600];          /* hl_results_group_key of its cells */
    size_t n_rows;
    hl_rank_row *rows;
    long ref;
    size_t n_failed;
    size_t failed[64];      /* cells with no ok repetition, in plan order */
} hl_group;

/* Ranks every group of rs, in the order of their first cell.  reference
 * is a backend spec or NULL.  0, or -1 (out of memory). */
int hl_rank_groups(const hl_resultset *rs, const char *reference, hl_group **out, size_t *n);
void hl_rank_free(hl_group *groups, size_t n);

/* Is the backend named by spec a debug or fault-injection one?  From the
 * backend kinds the run recorded (metadata.backends.NAME.kind). */
bool hl_results_backend_is_debug(const hl_resultset *rs, const char *spec);

/* Cell b's values over cell a's, round by round: the median ratio and its
 * interval (NAN without a round where both were ok). */
void hl_rank_paired_ratio(const hl_resultset *rs, size_t a, size_t b, double *ratio,
                          hl_interval *iv);

#endif
