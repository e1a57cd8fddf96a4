/* protocol.h - the contract between the driver (`heaplab`), the cell programs
 * (`heaplab-cell-<variant>`), the plotter and tests/fake_cell.c.
 *
 * How it works
 * ------------
 * The driver never measures in its own process: it starts one cell process
 * per job and reads back what that process wrote.  Everything the two sides
 * must agree on is defined here, once, and both sides include this header:
 *
 *   1. the protocol version.  The driver passes `--protocol N` as the first
 *      option of every job; a cell whose HL_PROTOCOL_VERSION differs refuses
 *      to run (exit HL_CELL_EXIT_BAD_INPUT, one line).  `--describe --json`
 *      answers with the same number in "protocol", and the driver refuses a
 *      cell that speaks another one, so a stale cell executable next to a
 *      rebuilt driver is caught before anything is measured;
 *   2. the exit statuses of a cell and the job statuses the driver records
 *      for them;
 *   3. the names and versions of the documents each side writes (describe,
 *      cell.json, plan.json, results.json) and the cell.json fields the
 *      driver reads.
 *
 * Bump HL_PROTOCOL_VERSION whenever any of 2-3 changes meaning; bump a
 * document's own version when its layout changes.  docs/results-format.md
 * documents every field; keep it in step.
 */
#ifndef HL_PROTOCOL_H
#define HL_PROTOCOL_H

#include <stdbool.h>
#include <string.h>

#define HL_PROTOCOL_VERSION 4

/* The most samples one process may cut its min time into (`--samples` of
 * the cell and of `heaplab run`, plan.json's "samples"). */
#define HL_MAX_SAMPLES 100

/* ---- cell exit statuses ---------------------------------------------------
 * Every non-zero status comes with exactly one line on the cell's stderr. */
enum hl_cell_exit {
    HL_CELL_EXIT_OK = 0,          /* cell.json written, status "ok" */
    HL_CELL_EXIT_INTERNAL = 1,    /* results could not be written (I/O), internal error */
    HL_CELL_EXIT_BAD_INPUT = 2,   /* a flag, parameter, backend spec or protocol the cell
                                   * refuses, or a process malloc that is not the variant's */
    HL_CELL_EXIT_VERIFY = 3,      /* cell.json written; verification failed or the workload
                                   * broke its contract (status says which) */
    HL_CELL_EXIT_SETUP_FAILED = 4, /* the allocator, the runtime or the workload's set-up
                                    * failed on valid input (out of memory, unreadable data) */
    /* A command cell (cmdcell.h) supervises a program and reports what
     * happened to it; an in-process cell never exits with these. */
    HL_CELL_EXIT_TIMEOUT = 5,      /* the program outlived the per-run time limit */
    HL_CELL_EXIT_MEMORY = 6,       /* the program's RSS went over the memory limit */
    HL_CELL_EXIT_CRASHED = 7,      /* the program was killed by a signal of its own */
    HL_CELL_EXIT_NOT_PRELOADED = 8 /* the probe could not prove the allocator (probe.h) */
};

/* cell.json "status" values. */
#define HL_CELL_STATUS_OK "ok"
#define HL_CELL_STATUS_VERIFY_FAILED "verification_failed"
#define HL_CELL_STATUS_BENCH_ERROR "benchmark_error"

/* ---- job statuses (results.json cells[].reps[].status) ------------------- */
#define HL_JOB_OK "ok"
#define HL_JOB_CRASHED "crashed"          /* killed by a signal of its own, or a sanitizer report */
#define HL_JOB_TIMEOUT "timeout"          /* killed by the driver: --timeout */
#define HL_JOB_MEMORY "memory-limit"      /* killed by the driver: --memory-limit */
#define HL_JOB_VERIFY_FAILED "verify-failed" /* HL_CELL_EXIT_VERIFY */
#define HL_JOB_BAD_INPUT "bad-input"      /* HL_CELL_EXIT_BAD_INPUT */
#define HL_JOB_SETUP_FAILED "setup-failed" /* HL_CELL_EXIT_SETUP_FAILED */
#define HL_JOB_NOT_PRELOADED "not-preloaded" /* HL_CELL_EXIT_NOT_PRELOADED: not measured
                                          * under the allocator its name says */
#define HL_JOB_FAILED "failed"            /* anything else: other exit, no usable cell.json,
                                           * could not start */

/* The job status a cell's exit status maps to (statuses 0, 1 and others
 * need cell.json or the signal to decide, so they give NULL). */
static inline const char *hl_protocol_job_status(int exit_code)
{
    switch (exit_code) {
    case HL_CELL_EXIT_BAD_INPUT: return HL_JOB_BAD_INPUT;
    case HL_CELL_EXIT_VERIFY: return HL_JOB_VERIFY_FAILED;
    case HL_CELL_EXIT_SETUP_FAILED: return HL_JOB_SETUP_FAILED;
    case HL_CELL_EXIT_TIMEOUT: return HL_JOB_TIMEOUT;
    case HL_CELL_EXIT_MEMORY: return HL_JOB_MEMORY;
    case HL_CELL_EXIT_CRASHED: return HL_JOB_CRASHED;
    case HL_CELL_EXIT_NOT_PRELOADED: return HL_JOB_NOT_PRELOADED;
    default: return NULL;
    }
}

/* Is s one of the HL_JOB_* statuses? */
static inline bool hl_protocol_job_status_valid(const char *s)
{
    static const char *const all[] = {HL_JOB_OK,           HL_JOB_CRASHED,   HL_JOB_TIMEOUT,
                                      HL_JOB_MEMORY,       HL_JOB_VERIFY_FAILED,
                                      HL_JOB_BAD_INPUT,    HL_JOB_SETUP_FAILED, HL_JOB_FAILED,
                                      HL_JOB_NOT_PRELOADED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, all[i]) == 0)
            return true;
    return false;
}

/* ---- documents ------------------------------------------------------------ */
#define HL_DESCRIBE_FORMAT "heaplab-describe" /* `--describe --json` on stdout */
#define HL_DESCRIBE_VERSION 2
#define HL_CELL_FORMAT "heaplab-cell"         /* DIR/cell.json */
#define HL_CELL_VERSION 1
#define HL_PLAN_FORMAT "heaplab-plan"         /* DIR/plan.json */
#define HL_PLAN_VERSION 1
#define HL_RESULTS_FORMAT "heaplab-results"   /* DIR/results.json */
#define HL_RESULTS_VERSION 1

/* Files a cell writes into its --out directory. */
#define HL_CELL_FILE_JSON "cell.json"
#define HL_CELL_FILE_GBENCH "gbench.json"
#define HL_CELL_FILE_TIMELINE "timeline.csv"
#define HL_CELL_FILE_GC_PAUSES "gc_pauses.csv"
#define HL_CELL_FILE_CALLGRIND "callgrind.out"
#define HL_CELL_FILE_STDOUT "cell.stdout"     /* written by the driver's redirect */
#define HL_CELL_FILE_STDERR "cell.stderr"
/* ... and what a command cell adds: the measured program's output */
#define HL_CELL_FILE_PROGRAM_STDOUT "program.stdout"
#define HL_CELL_FILE_PROGRAM_STDERR "program.stderr"

/* The variant name of command cells (heaplab-cell-command). */
#define HL_COMMAND_VARIANT "command"

/* The name of the callgrind dump that holds the measured region. */
#define HL_CALLGRIND_TRIGGER "heaplab-measured"

#endif
