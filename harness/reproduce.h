/* reproduce.h - the state of one `heaplab reproduce` (cli_reproduce.c) and
 * its reports (reproduce_out.c).
 *
 * A reproduction directory DIR holds:
 *   claims.json            the claims file it was planned from (a copy, so
 *                          that --resume judges by the same rules)
 *   reproduce-plan.json    what was asked: ids, --quick, --bench-dir,
 *                          --python, the seed
 *   <run>/                 one result set per child `heaplab run`: an
 *                          experiment ("fork-cow"), one of its variants
 *                          ("refcount.atomic") or its original programs
 *                          ("mimalloc-bench.original")
 *   logs/<run>.out, .err   the child's console output
 *   reproduce.json         every verdict with its items (format
 *                          "heaplab-reproduce" 1, docs/claims-format.md)
 *   reproduce.md           the same for people: the summary table first
 *   charts/<claim>.svg     published against measured, per claim
 */
#ifndef HL_REPRODUCE_H
#define HL_REPRODUCE_H

#include "claims.h"
#include "measure.h"
#include "results.h"
#include "verdict.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define HL_REPRO_PLAN_FORMAT "heaplab-reproduce-plan"
#define HL_REPRO_FORMAT "heaplab-reproduce"
#define HL_REPRO_VERSION 1
#define HL_REPRO_MAX_ARGS 96

typedef enum hl_repro_state {
    HL_RR_PLANNED,      /* will run (or resume) */
    HL_RR_UNAVAILABLE,  /* cannot run here: why */
    HL_RR_DONE,         /* a complete result set is loaded */
    HL_RR_PARTIAL,      /* the child ran; some cells failed or are missing */
    HL_RR_FAILED        /* the child failed: why */
} hl_repro_state;

/* One child `heaplab run`. */
typedef struct hl_repro_run {
    char name[128];
    const hl_claims_exp *exp;
    const char *variant;     /* "" */
    bool original;
    hl_repro_state state;
    char why[700];
    size_t argc;
    char *argv[HL_REPRO_MAX_ARGS];
    char dir[4096];
    double seconds;          /* this invocation's time running it */
    bool loaded;
    hl_resultset rs;
} hl_repro_run;

/* heaplab's version of a mimalloc-bench program against the original: for
 * each pair of allocators the original orders beyond its noise, does
 * heaplab order them the same way? */
typedef struct hl_repro_pair {
    const char *slow, *fast;    /* as the original orders them */
    double o, o_lo, o_hi;       /* original slow/fast */
    double h, h_lo, h_hi;       /* heaplab slow/fast */
    bool significant;           /* heaplab's interval excludes 1 */
    bool agrees;                /* heaplab's median above 1 */
} hl_repro_pair;

typedef struct hl_repro_agree {
    const char *experiment, *workload, *original;
    bool measured;           /* both runs had the cells */
    char why[480];
    size_t n_pairs;
    hl_repro_pair pairs[32];
    size_t n_noise;          /* pairs the original cannot order (interval includes 1) */
    bool agrees;             /* every ordered pair agrees */
} hl_repro_agree;

typedef struct hl_repro_claim {
    const hl_claim *c;
    hl_judgement j;          /* heaplab's workloads */
    bool has_original;
    hl_judgement jo;         /* the original programs (class_rank with --bench-dir) */
    char chart[256];         /* "charts/<id>.svg" when drawn */
} hl_repro_claim;

typedef struct hl_repro {
    /* what was asked */
    char dir[4096];
    char claims_path[4096];
    char src_dir[4096];
    bool quick;
    const char *bench_dir;
    size_t n_pythons;
    const char *pythons[8];
    unsigned long long seed;
    char command[2048];      /* the command line that reproduces it */
    /* the machine */
    unsigned nproc;
    char cpu[256];
    double load1;
    /* the plan */
    hl_claims claims;
    size_t n_selected;
    hl_repro_claim *selected;
    size_t n_runs;
    hl_repro_run runs[64];
    size_t n_agree;
    hl_repro_agree agree[16];
    char started[32], finished[32];
    double seconds;          /* this invocation, wall */
    bool interrupted;
} hl_repro;

/* ---- reproduce_out.c ------------------------------------------------------ */

/* The side-by-side table and the verdict counts, for the terminal. */
void hl_repro_print(const hl_repro *r, FILE *out);
/* The options a reproduction ran with (quick, bench_dir, pythons, seed), as
 * both reproduce-plan.json and reproduce.json's "options" hold them. */
void hl_repro_write_options(hl_jw *w, const hl_repro *r);
/* DIR/reproduce.json and DIR/reproduce.md (atomically); 0 or -1 with err. */
int hl_repro_write(const hl_repro *r, char *err, size_t errlen);
/* DIR/charts/<id>.svg for every claim with a measured item; sets chart.
 * Returns the number drawn; a missing gnuplot is one line on stderr. */
size_t hl_repro_charts(hl_repro *r);

#endif
