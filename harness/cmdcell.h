/* cmdcell.h - heaplab-cell-command: one measured run of an external program
 * under a chosen allocator.
 *
 * How it works
 * ------------
 * The driver starts this program for every job of a command cell, exactly
 * as it starts the in-process cells (protocol.h): one process per job, in
 * the job's rep directory, with the run's clean environment (allocenv.h).
 * The cell then
 *
 *   1. builds the program's environment: its own, plus LD_PRELOAD = the
 *      allocator library (if any) followed by libheaplab-probe.so, the
 *      probe's variables (probe.h), the command's and the backend's
 *      variables (MALLOC_CONF, PYTHONMALLOC, ...);
 *   2. runs the program --warmups times without measuring it (the first
 *      repetition of a cell only: it brings the program, its libraries and
 *      its input files into the page cache, so that the measured runs of
 *      every backend find them there);
 *   3. runs it once more, measured: wall time from fork to reap (the runner
 *      wakes on the child's pidfd), user and system CPU, peak RSS, page
 *      faults and context switches from wait4(2); under --measure
 *      instructions the program runs under callgrind instead and the count
 *      is its whole run's;
 *   4. judges the run: killed by the time or memory limit, killed by a
 *      signal, an exit status other than the expected one, no throughput
 *      line when the command declares a pattern, or a probe that cannot
 *      prove the allocator -- each with its own exit status and one line
 *      on stderr;
 *   5. writes cell.json (docs/results-format.md, "Command cells").
 *
 * The figure of a command cell is its time per operation: 1e9 / throughput
 * when the command declares a throughput pattern (fixed-time programs such
 * as larson report operations per second, and their elapsed time means
 * nothing), else the wall time of one run, one run being one operation.
 */
#ifndef HL_CMDCELL_H
#define HL_CMDCELL_H

#include "command.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HL_CMDCELL_MAX_ENV (HL_CMD_MAX_ENV + 16)

typedef struct hl_cmdcell_opts {
    hl_command cmd;            /* argv[0] is the resolved program path */
    char argv0[256];           /* what the program sees as argv[0] */
    const char *backend;       /* the cell's backend spec, for cell.json */
    const char *out_dir;
    const char *preload;       /* the allocator library, or NULL */
    const char *expect_malloc; /* the file that must define malloc in the program */
    const char *python_expect; /* probe verdict a CPython configuration needs, or NULL */
    const char *python_also;
    const char *probe_lib;     /* libheaplab-probe.so */
    unsigned warmups;
    bool instructions;         /* --measure instructions */
    double timeout_s;          /* per run; 0 none */
    uint64_t memory_limit_kib; /* per run; 0 none */
} hl_cmdcell_opts;

/* What the cell saw of the measured process by tracing it (runner.h):
 * its execs, and at its exit stop whether the allocator file was mapped. */
typedef struct hl_cmdcell_seen {
    bool traced;               /* followed from its first exec */
    unsigned execs;            /* images after the first */
    bool exit_stop;
    int mapped;                /* the preload in /proc/PID/maps at exit: 1/0, -1 unknown */
    char exe[4096];            /* the final image's executable */
} hl_cmdcell_seen;

/* What the probe log and the trace say about the measured process
 * (cmdcell_proof.c). */
typedef struct hl_cmdcell_proof {
    bool ok;
    char why[600];             /* when !ok: one line */
    char malloc_obj[4096];     /* what malloc resolved to in the measured process */
    bool exit_seen;            /* the process ran its exit handlers (probe exit record) */
    unsigned images;           /* images of the measured pid that loaded the probe */
    int mapped;                /* expected library mapped at exit: 1, 0, -1 not checked */
    char pyobj[16];            /* CPython's object domain at exit (probe.h) */
    unsigned processes;        /* processes of the program tree that loaded the probe */
    unsigned others_elsewhere; /* of the others, those whose malloc was another object */
} hl_cmdcell_proof;

/* Reads the probe log for the process pid, with what tracing saw.  Fills
 * *out; never fails (a missing log is a failed proof). */
void hl_cmdcell_prove(const char *log_path, pid_t pid, const hl_cmdcell_opts *o,
                      const hl_cmdcell_seen *seen, hl_cmdcell_proof *out);

#endif
