/* fuzz_plan.c - fuzzing the plan loader (harness/plan.c hl_plan_load, the
 * plan.json that `--resume` recreates a run from).
 *
 * Two builds of this file, as tests/fuzz_trace.c:
 *   fuzz_plan      (HL_FUZZ=ON, clang): a libFuzzer target,
 *                  `build-fuzz/fuzz_plan -dict=tests/fuzz_json.dict NEW_DIR tests/data/fuzz/plan`
 *                  (new inputs go to NEW_DIR; scripts/test.sh runs it for
 *                  20 s).
 *   test_fuzz_plan (always): the mutation driver of fuzz_driver.h over the
 *                  seeds given on its command line (ctest passes plan.json
 *                  files written by runs, in tests/data/).
 *
 * The property, for every input written as plan.json:
 *   - hl_plan_load returns 0, or -1 with exactly one line, and never
 *     crashes, hangs or trips a sanitizer;
 *   - a loaded plan passes hl_plan_check: unique cell ids, variants as
 *     routed, and a run order holding every (cell, rep) exactly once, so a
 *     resumed run can neither repeat nor skip a job;
 *   - saved again (hl_plan_save) it loads again with the same settings,
 *     cells and order.
 */
#include "plan.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_driver.h"

/* Equal, or both NAN (an absent optional setting). */
static bool same_num(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

#define SAME(cond, what)                                                                     \
    do {                                                                                     \
        if (!(cond))                                                                         \
            fz_fail("saved and loaded again, the plan changed", what);                      \
    } while (0)

static void check_same(const hl_plan *a, const hl_plan *b)
{
    SAME(a->n_cells == b->n_cells && a->n_jobs == b->n_jobs, "the number of cells or jobs");
    SAME(a->repetitions == b->repetitions && a->seed == b->seed, "repetitions or seed");
    SAME(same_num(a->min_time, b->min_time) && same_num(a->warmup_time, b->warmup_time) &&
             same_num(a->timeout_s, b->timeout_s),
         "min_time_s, warmup_time_s or timeout_s");
    SAME(a->memory_limit_mb == b->memory_limit_mb && a->iterations == b->iterations &&
             a->fixed_ops == b->fixed_ops,
         "memory_limit_mb, iterations or fixed_ops");
    SAME(strcmp(a->reference, b->reference) == 0, "reference");
    SAME(strcmp(a->suite, b->suite) == 0 && strcmp(a->suite_size, b->suite_size) == 0 &&
             strcmp(a->measure, b->measure) == 0,
         "suite, suite_size or measure");
    SAME(strcmp(a->trace, b->trace) == 0 && strcmp(a->trace_sha256, b->trace_sha256) == 0 &&
             a->trace_size == b->trace_size,
         "the trace");
    SAME(strcmp(a->build.git_commit, b->build.git_commit) == 0 &&
             a->build.git_dirty == b->build.git_dirty &&
             strcmp(a->build.build_type, b->build.build_type) == 0 &&
             a->build.protocol == b->build.protocol,
         "the build");
    SAME(a->n_commands == b->n_commands && a->n_preloads == b->n_preloads &&
             a->n_interps == b->n_interps && a->warmup_runs == b->warmup_runs,
         "the commands, their backends or interpreters, or warmup_runs");
    for (size_t k = 0; k < a->n_commands; k++) {
        const hl_plan_command *x = &a->commands[k], *y = &b->commands[k];
        bool same = strcmp(x->cmd.name, y->cmd.name) == 0 && x->cmd.argc == y->cmd.argc &&
                    x->cmd.n_env == y->cmd.n_env && x->cmd.expect_exit == y->cmd.expect_exit &&
                    x->cmd.python == y->cmd.python && strcmp(x->program, y->program) == 0 &&
                    strcmp(x->sha256, y->sha256) == 0 && x->size == y->size &&
                    same_num(x->cmd.throughput_scale, y->cmd.throughput_scale) &&
                    same_num(x->cmd.timeout_s, y->cmd.timeout_s);
        for (size_t i = 0; same && i < x->cmd.argc; i++)
            same = strcmp(x->cmd.argv[i], y->cmd.argv[i]) == 0;
        for (size_t i = 0; same && i < x->cmd.n_env; i++)
            same = strcmp(x->cmd.env[i], y->cmd.env[i]) == 0;
        SAME(same, x->cmd.name);
    }
    for (size_t c = 0; c < a->n_cells; c++) {
        const hl_plan_cell *x = &a->cells[c], *y = &b->cells[c];
        SAME(strcmp(x->id, y->id) == 0 && strcmp(x->backend, y->backend) == 0 &&
                 strcmp(x->variant, y->variant) == 0 && strcmp(x->workload, y->workload) == 0 &&
                 strcmp(x->data, y->data) == 0,
             x->id);
        SAME(x->threads == y->threads && x->threaded == y->threaded && x->n_params == y->n_params,
             x->id);
        for (size_t k = 0; k < x->n_params; k++)
            SAME(strcmp(x->params[k].name, y->params[k].name) == 0 &&
                     x->params[k].value == y->params[k].value,
                 x->id);
    }
    for (size_t j = 0; j < a->n_jobs; j++)
        SAME(a->jobs[j].cell == b->jobs[j].cell && a->jobs[j].rep == b->jobs[j].rep, "the order");
}

static int fuzz_one(const uint8_t *data, size_t size)
{
    char path[600], again[600], err[1024];
    fz_path(path, sizeof path, "plan.json");
    fz_write(path, data, size);
    hl_plan p;
    err[0] = '\0';
    if (hl_plan_load(&p, path, err, sizeof err) != 0) {
        fz_check_refusal(err);
        return 0;
    }
    if (hl_plan_check(&p, err, sizeof err) != 0)
        fz_fail("a loaded plan breaks its invariants", err);
    fz_path(again, sizeof again, "plan-again.json");
    if (hl_plan_save(&p, again, err, sizeof err) != 0)
        fz_fail("a loaded plan cannot be saved", err);
    hl_plan back;
    if (hl_plan_load(&back, again, err, sizeof err) != 0)
        fz_fail("a loaded plan, saved, is refused", err);
    check_same(&p, &back);
    hl_plan_free(&back);
    hl_plan_free(&p);
    return 1;
}
