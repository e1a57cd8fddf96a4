/* job.h - one job: the process that measures one cell once.
 *
 * The driver's only way of measuring anything (plan.h): a fresh process
 * per (cell, repetition), started in the job's rep directory with the
 * run's limits.  An in-process cell runs heaplab-cell-<variant> (under
 * valgrind for --measure instructions); a command cell runs
 * heaplab-cell-command with the command, its resolved backend and the
 * proof it must give (cmdcell.h).  Either way the process starts from the
 * clean environment of allocenv.h plus exactly what the cell's backend
 * spec sets (MALLOC_CONF for "jemalloc:conf=...", backend_table.h), so
 * every setting that changes a number is part of the cell's id.
 */
#ifndef HL_JOB_H
#define HL_JOB_H

#include "plan.h"
#include "runner.h"

/* Runs job (cell c, repetition rep) with its files in repdir (absolute),
 * removing a killed attempt's files first so that they never pass for
 * this run's.  lock_fd is the result directory's lock, kept open by the
 * cell.  Always fills run. */
void hl_job_run(const hl_plan *plan, const hl_plan_cell *c, unsigned rep, const char *repdir,
                int lock_fd, hl_run_result *run);

#endif
