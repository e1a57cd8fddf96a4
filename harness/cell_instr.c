/* cell_instr.c - instructions mode: a fixed iteration count under
 * callgrind, counted in every thread.
 *
 * How it works
 * ------------
 * valgrind runs the cell with --instr-atstart=no, so nothing is counted
 * until the cell says so: start-up, set-up, the probe and the warm-up run
 * at native speed and are never counted.  The cell then switches
 * instrumentation on (CALLGRIND_START_INSTRUMENTATION + ZERO_STATS) around
 * one run(ctx, N) only, switches it off and dumps it as
 * HL_CALLGRIND_TRIGGER, and reads the dump back (callgrind.h).
 * Instrumentation, unlike callgrind's collection state, is global, so a
 * threaded workload's workers are counted too.  For the same command the
 * count is the same every time: N comes from a deterministic probe and
 * the driver runs the cell with ASLR off (runner.h).
 */
#include "cell.h"

#include "callgrind.h"

#include <valgrind/callgrind.h>

#include <inttypes.h>
#include <stdio.h>

uint64_t hl_cell_default_iterations(hl_cell *c, uint64_t *probe_ops)
{
    uint64_t probe = c->wl->run(c->ctx, 1);
    *probe_ops = probe;
    if (probe == 0)
        return 1;
    /* A workload whose one operation is long declares a shorter fixed-work
     * pass (workload.h); the count shrinks in the same proportion, so that
     * cache_scratch (180,000 instructions per operation) costs callgrind
     * about what pairs does instead of 13 s per process. */
    uint64_t target = HL_CELL_DEFAULT_INSTR_OPERATIONS;
    if (c->wl->fixed_ops != 0 && c->wl->fixed_ops < HL_WL_FIXED_OPS_DEFAULT)
        target = target * c->wl->fixed_ops / HL_WL_FIXED_OPS_DEFAULT;
    if (target == 0)
        target = 1;
    return (target + probe - 1) / probe;
}

int hl_cell_measure_instructions(hl_cell *c)
{
    if (!RUNNING_ON_VALGRIND) {
        hl_cell_complain("--measure instructions must run under valgrind --tool=callgrind "
                 "--instr-atstart=no --callgrind-out-file=FILE");
        return HL_CELL_EXIT_BAD_INPUT;
    }
    hl_procstat_read(&c->before_measure);
    uint64_t n = c->opt.iterations;
    uint64_t probe = 0;
    if (n == 0)
        n = hl_cell_default_iterations(c, &probe);
    c->instr_iterations = n;
    /* Warm-up, not collected: caches, pools and arenas reach their steady
     * state, as Google Benchmark's estimation runs do in time mode. */
    uint64_t warm = c->wl->run(c->ctx, n);
    /* Instrumentation, unlike callgrind's collection state, is global: the
     * collection state is kept per thread, so toggling it here would miss
     * every instruction a threaded workload's workers execute.  valgrind
     * runs with --instr-atstart=no, so nothing before this point (start-up,
     * set-up, probe, warm-up) is counted, and every thread is counted from
     * here to STOP. */
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
    uint64_t ops = c->wl->run(c->ctx, n);
    CALLGRIND_STOP_INSTRUMENTATION;
    CALLGRIND_DUMP_STATS_AT(HL_CALLGRIND_TRIGGER);
    hl_procstat_read(&c->after_measure);
    c->instr_operations = ops;
    if (ops < n || warm < n || (c->opt.iterations == 0 && probe == 0)) {
        c->status = HL_CELL_STATUS_BENCH_ERROR;
        snprintf(c->message, sizeof c->message,
                 "workload %s performed fewer operations than iterations", c->wl->name);
        return HL_CELL_EXIT_OK;
    }
    char err[512];
    if (hl_callgrind_read(c->opt.callgrind_out, HL_CALLGRIND_TRIGGER, &c->instructions,
                          c->callgrind_dump, sizeof c->callgrind_dump, err, sizeof err) != 0) {
        hl_cell_complain("%s", err);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    if (c->instructions < ops) {
        hl_cell_complain("callgrind counted %" PRIu64 " instructions for %" PRIu64 " operations: run "
                 "valgrind with --instr-atstart=no (the cell switches instrumentation on itself)",
                 c->instructions, ops);
        return HL_CELL_EXIT_BAD_INPUT;
    }
    return HL_CELL_EXIT_OK;
}
