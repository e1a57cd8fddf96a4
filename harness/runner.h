/* runner.h - run one child process under a time and a memory limit.
 *
 * The child gets its own process group (so a hang is ended by killing the
 * whole group, including anything it forked), stdin from /dev/null, and
 * stdout/stderr redirected to files.  The parent polls every few ms:
 *
 *   time limit    wall-clock seconds since fork; past it the group gets
 *                 SIGKILL and the result is HL_RUN_TIMEOUT.
 *   memory limit  the child's VmRSS (/proc/PID/status) polled, plus its
 *                 ru_maxrss after exit; past it the group gets SIGKILL (or,
 *                 when only seen after exit, the run is still marked) and the
 *                 result is HL_RUN_MEMORY.  We poll RSS instead of setting
 *                 RLIMIT_AS/RLIMIT_DATA because sanitizers and allocators
 *                 reserve large address ranges they never touch: a virtual
 *                 limit would fail them for memory they do not use.  What a
 *                 polled limit cannot do is stop a spike shorter than one
 *                 poll interval; the ru_maxrss check still reports it.
 *
 * The parent sleeps in poll(2) on a pidfd of the child (pidfd_open, Linux
 * 5.3), so it wakes the instant the child exits and the wall time it
 * reports is that of the child (fork to reap), not of the polling; between
 * wake-ups for the limits it waits 1 ms at first, backing off to 10 ms.
 * Without pidfds (older kernels) it falls back to sleeping, and wall times
 * are then up to 10 ms long.
 *
 * Tracing (opts.trace): the child asks to be traced (PTRACE_TRACEME) before
 * its exec, and the runner follows only two events, never system calls:
 * every further exec of the child (so a program that replaces itself is
 * known to have done so), and its exit, where the child stops once more
 * with /proc/PID still intact; the caller's at_exit reads what it needs
 * there (a command cell: which libraries the final image has mapped).
 * Signals the child receives are passed on unchanged.  While tracing,
 * the runner also wakes on SIGCHLD (signalfd), so that a stop costs the
 * child microseconds, not a poll interval.
 *
 * SIGINT/SIGTERM delivered to the driver while a child runs kill the child's
 * group and make hl_runner_run return HL_RUN_INTERRUPTED.
 *
 * The child dies with the driver: it asks for SIGKILL when its parent dies
 * (prctl PR_SET_PDEATHSIG, set before exec and kept across it) and checks
 * that the parent is still the driver after asking, which closes the race
 * with a driver killed in between.  A driver killed by SIGKILL can run no
 * code, so this is what stops a hung cell from outliving it.  The child can
 * also be given one descriptor to keep open across exec (keep_fd): the
 * driver passes its result-directory lock, so that a cell still running
 * for any reason holds the lock and a second `run --resume` refuses to
 * measure the same job beside it.
 */
#ifndef HL_RUNNER_H
#define HL_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum hl_run_outcome {
    HL_RUN_EXITED,      /* exited normally: see exit_code */
    HL_RUN_SIGNALED,    /* killed by a signal of its own (crash): see signo */
    HL_RUN_TIMEOUT,     /* killed by us: time limit */
    HL_RUN_MEMORY,      /* killed by us (or found over): memory limit */
    HL_RUN_INTERRUPTED, /* the driver got SIGINT/SIGTERM; child killed */
    HL_RUN_SPAWN_FAILED /* fork/exec/redirect failed: see err */
} hl_run_outcome;

/* What tracing saw (see above); the runner fills it. */
typedef struct hl_run_trace {
    void (*at_exit)(int pid, void *arg); /* at the exit stop, or NULL */
    void *arg;
    bool active;              /* the child was traced from its first exec */
    unsigned execs;           /* execs after the first one */
    bool exit_stop;           /* it stopped at its exit (at_exit ran) */
    int pid;
} hl_run_trace;

typedef struct hl_run_opts {
    const char *path;         /* program; searched in PATH when it has no '/' */
    char *const *argv;        /* argv[0] included, NULL-terminated */
    const char *stdin_path;   /* NULL: /dev/null */
    const char *cwd;          /* NULL: the parent's */
    const char *stdout_path;  /* NULL: /dev/null */
    const char *stderr_path;  /* NULL: /dev/null */
    int stdout_fd, stderr_fd; /* > 2: use this open file instead of the path (a file
                               * already unlinked leaves nothing behind a kill) */
    double timeout_s;         /* <= 0: none */
    uint64_t memory_limit_kib;/* 0: none */
    int keep_fd;              /* a descriptor (> 2) the child keeps across exec; 0: none */
    char *const *envp;        /* the child's environment; NULL: the driver's */
    bool no_aslr;             /* run with address-space randomisation off
                               * (personality ADDR_NO_RANDOMIZE), so that
                               * instruction counts do not depend on where
                               * mmap places arenas */
    hl_run_trace *trace;      /* follow execs and the exit (above); NULL: no */
} hl_run_opts;

typedef struct hl_run_result {
    hl_run_outcome outcome;
    int exit_code;            /* HL_RUN_EXITED */
    int signo;                /* HL_RUN_SIGNALED */
    double wall_s;
    double user_s, sys_s;     /* from wait4's rusage */
    uint64_t maxrss_kib;      /* ru_maxrss */
    uint64_t minflt, majflt;  /* page faults without and with I/O */
    uint64_t nvcsw, nivcsw;   /* voluntary and involuntary context switches */
    uint64_t polled_rss_kib;  /* largest VmRSS seen by polling */
    char err[256];            /* HL_RUN_SPAWN_FAILED */
} hl_run_result;

/* Runs the child to completion (or until a limit).  Always fills res. */
void hl_runner_run(const hl_run_opts *opts, hl_run_result *res);

/* Installs the SIGINT/SIGTERM handlers; idempotent. */
void hl_runner_install_signal_handlers(void);
/* Signal number received (SIGINT/SIGTERM), or 0. */
int hl_runner_interrupted(void);

/* Human-readable name of an outcome. */
const char *hl_runner_outcome_name(hl_run_outcome o);

#endif
