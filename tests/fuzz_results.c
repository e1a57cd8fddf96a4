/* fuzz_results.c - fuzzing the result-set loader (harness/results.c
 * hl_results_load, through harness/jread.c).
 *
 * Two builds of this file, as tests/fuzz_trace.c:
 *   fuzz_results      (HL_FUZZ=ON, clang): a libFuzzer target,
 *                     `build-fuzz/fuzz_results -dict=tests/fuzz_json.dict NEW_DIR
 *                     tests/data/fuzz/results tests/data/compare_a ...` (new inputs go to NEW_DIR;
 *                     scripts/test.sh runs it for 20 s).
 *   test_fuzz_results (always): the mutation driver of fuzz_driver.h over
 *                     the seeds given on its command line (ctest passes
 *                     tests/data/ result sets).
 *
 * The property, for every input written as DIR/results.json:
 *   - hl_results_load returns 0, or -1 with exactly one line, and never
 *     crashes, hangs or trips a sanitizer;
 *   - a loaded set is internally consistent: its plan passes hl_plan_check
 *     (unique ids, every (cell, rep) job exactly once; variants as routed
 *     when every backend routes: a set may name backends this build does
 *     not know, and --resume checks that itself), and every repetition is
 *     either not done (no status) or done with a job status of
 *     harness/protocol.h;
 *   - what was loaded survives `--resume`'s path: saved again
 *     (hl_results_save: results.json, results.csv, summary.md) it loads
 *     again, with the same cells and the same repetitions.
 */
#include "plan.h"
#include "protocol.h"
#include "results.h"
#include "route.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_driver.h"

static bool same_num(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* hl_plan_check on the loaded plan.  A result set may name backends this
 * build cannot route (show, plot and compare read it as it is; --resume
 * runs hl_plan_check itself and refuses it), so routing is checked only
 * when every cell routes; the rest (unique ids, every job once) always, on
 * a copy whose cells all claim a backend that routes. */
static void check_plan(const hl_plan *plan)
{
    char err[512], rerr[256];
    bool routable = true;
    for (size_t c = 0; c < plan->n_cells && routable; c++) {
        const char *v = hl_route_variant(plan->cells[c].backend, rerr, sizeof rerr);
        routable = v != NULL && strcmp(v, plan->cells[c].variant) == 0;
    }
    if (routable) {
        if (hl_plan_check(plan, err, sizeof err) != 0)
            fz_fail("a loaded result set breaks the plan's invariants", err);
        return;
    }
    hl_plan copy = *plan;
    copy.cells = malloc((plan->n_cells ? plan->n_cells : 1) * sizeof *copy.cells);
    if (copy.cells == NULL)
        abort();
    memcpy(copy.cells, plan->cells, plan->n_cells * sizeof *copy.cells);
    for (size_t c = 0; c < plan->n_cells; c++) {
        snprintf(copy.cells[c].backend, sizeof copy.cells[c].backend, "system");
        snprintf(copy.cells[c].variant, sizeof copy.cells[c].variant, "system");
    }
    int rc = hl_plan_check(&copy, err, sizeof err);
    free(copy.cells);
    if (rc != 0)
        fz_fail("a loaded result set breaks the plan's invariants", err);
}

static void check_consistent(const hl_resultset *rs)
{
    check_plan(&rs->plan);
    for (size_t c = 0; c < rs->plan.n_cells; c++)
        for (unsigned k = 0; k < rs->plan.repetitions; k++) {
            const hl_rep *r = hl_results_rep_c(rs, c, k);
            if (r->done != (r->status[0] != '\0'))
                fz_fail("a loaded repetition is done without a status, or has one and is not done",
                        rs->plan.cells[c].id);
            if (r->done && !hl_protocol_job_status_valid(r->status))
                fz_fail("a loaded repetition has an unknown status", r->status);
        }
}

static void check_same(const hl_resultset *a, const hl_resultset *b)
{
    if (a->plan.n_cells != b->plan.n_cells || a->plan.repetitions != b->plan.repetitions ||
        a->plan.seed != b->plan.seed || a->complete != b->complete)
        fz_fail("saved and loaded again, the result set changed shape", NULL);
    for (size_t c = 0; c < a->plan.n_cells; c++) {
        if (strcmp(a->plan.cells[c].id, b->plan.cells[c].id) != 0)
            fz_fail("saved and loaded again, a cell id changed", a->plan.cells[c].id);
        for (unsigned k = 0; k < a->plan.repetitions; k++) {
            const hl_rep *x = hl_results_rep_c(a, c, k), *y = hl_results_rep_c(b, c, k);
            bool same = x->done == y->done && strcmp(x->status, y->status) == 0 &&
                        x->exit_code == y->exit_code && x->n_extra == y->n_extra;
            for (int m = 0; same && m < HL_M_COUNT; m++)
                same = same_num(x->m[m], y->m[m]);
            if (!same)
                fz_fail("saved and loaded again, a repetition changed", a->plan.cells[c].id);
        }
    }
}

static int fuzz_one(const uint8_t *data, size_t size)
{
    char dir[512], file[600], again[512], err[1024];
    fz_path(file, sizeof file, "in/results.json");
    fz_path(dir, sizeof dir, "in");
    fz_write(file, data, size);
    hl_resultset rs;
    err[0] = '\0';
    if (hl_results_load(&rs, dir, err, sizeof err) != 0) {
        fz_check_refusal(err);
        return 0;
    }
    check_consistent(&rs);
    /* saved elsewhere and loaded back, as --resume writes what it loaded */
    fz_path(again, sizeof again, "again/results.json"); /* makes again/ */
    fz_path(again, sizeof again, "again");
    snprintf(rs.dir, sizeof rs.dir, "%s", again);
    if (hl_results_save(&rs, err, sizeof err) != 0)
        fz_fail("a loaded result set cannot be saved", err);
    hl_resultset back;
    if (hl_results_load(&back, again, err, sizeof err) != 0)
        fz_fail("a loaded result set, saved, is refused", err);
    check_same(&rs, &back);
    hl_results_free(&back);
    hl_results_free(&rs);
    return 1;
}
