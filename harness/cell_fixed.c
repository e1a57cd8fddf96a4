/* cell_fixed.c - the fixed-work pass: memory and GC figures at equal work.
 *
 * How it works
 * ------------
 * In time mode Google Benchmark chooses each process's iteration count from
 * the time it takes, so a faster backend has done more operations when its
 * peak RSS, its timeline and its GC pauses are read (gen_mix: guard 169
 * gen-0 pauses, tcmalloc 267).  Those figures instead come from this pass,
 * which runs the same number of iterations for every backend: a probe of
 * one iteration gives the operations an iteration performs (the workload is
 * deterministic for its seed and parameters, so the probe's answer does not
 * depend on the backend), and the pass runs until about `fixed_ops`
 * operations are done.
 *
 * The pass runs before the timed one, right after set-up: a process's peak
 * RSS only grows, so a pass after the timed one would read the timed pass's
 * peak; from the same start, every backend's figures describe the same work
 * from the same state.  It also warms the process up: the timed pass's
 * warm-up is shortened by the time it took (cell_time.c).
 */
#include "cell.h"

#include "gc.h"
#include "runtime.h"
#include "timeline.h"

#include <stdio.h>

int hl_cell_fixed_pass(hl_cell *c)
{
    if (c->opt.fixed_ops == 0)
        return HL_CELL_EXIT_OK;
    hl_procstat_read(&c->fixed_before);
    for (size_t i = 0; i < c->n_alloc; i++)
        hl_allocator_reset_peak(&c->alloc[i]);
    uint64_t ops = c->wl->run(c->ctx, 1), its = 1;
    uint64_t want = ops ? (c->opt.fixed_ops + ops - 1) / ops : 1;
    if (want > 1) {
        ops += c->wl->run(c->ctx, want - 1);
        its = want;
    }
    hl_procstat_read(&c->fixed_after);
    hl_procstat_delta(&c->fixed_before, &c->fixed_after, &c->fixed);
    c->fixed_iterations = its;
    c->fixed_operations = ops;
    c->fixed_done = true;
    if (ops < its) {
        c->status = HL_CELL_STATUS_BENCH_ERROR;
        snprintf(c->message, sizeof c->message,
                 "workload %s performed fewer operations than iterations", c->wl->name);
    }
    return HL_CELL_EXIT_OK;
}
