/* runner.c - fork/exec one child with limits; see runner.h.
 *
 * How it works
 * ------------
 * fork(); the child makes itself a process-group leader, redirects its
 * standard streams and execs.  Exec failure is reported back through a
 * close-on-exec pipe (the "self-pipe" pattern): the parent reads either EOF
 * (exec succeeded) or the child's errno.  The parent then loops on
 * wait4(WNOHANG), checking the clock, the child's VmRSS and the interrupt
 * flag between waits in poll(2) on the child's pidfd, which ends the moment
 * the child exits (with a memory limit, 1 ms at first, backing off to 10 ms;
 * without one, up to a second: wait_ms).  When a limit trips, the
 * whole group gets SIGKILL and the leader is reaped.  After any exit the group
 * is killed again so nothing a cell forked outlives it.
 */
#include "runner.h"

#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t interrupted_signo;

static void on_signal(int signo)
{
    interrupted_signo = signo;
}

void hl_runner_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int hl_runner_interrupted(void)
{
    return interrupted_signo;
}

const char *hl_runner_outcome_name(hl_run_outcome o)
{
    switch (o) {
    case HL_RUN_EXITED: return "exited";
    case HL_RUN_SIGNALED: return "signaled";
    case HL_RUN_TIMEOUT: return "timeout";
    case HL_RUN_MEMORY: return "memory-limit";
    case HL_RUN_INTERRUPTED: return "interrupted";
    case HL_RUN_SPAWN_FAILED: return "spawn-failed";
    }
    return "?";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* How long the driver may sleep on the child's pidfd.  With a memory limit
 * it must look at VmRSS every few ms; without one nothing needs watching
 * until the child exits, the timeout, or a signal (poll(2) is never
 * restarted after a handler: signal(7)), so it sleeps up to a second.  On a
 * 2-CPU machine each wake-up of the driver preempts one thread of a 2-thread
 * cell for the length of a /proc read. */
static int wait_ms(const hl_run_opts *opts, bool killed, long sleep_us, double elapsed_s)
{
    if (killed || opts->memory_limit_kib)
        return (int)(sleep_us / 1000);
    double ms = 1000;
    if (opts->timeout_s > 0 && (opts->timeout_s - elapsed_s) * 1000 + 1 < ms)
        ms = (opts->timeout_s - elapsed_s) * 1000 + 1;
    return ms < 1 ? 1 : (int)ms;
}

/* VmRSS of pid in KiB, or 0 when unreadable (e.g. already a zombie). */
static uint64_t read_vmrss_kib(pid_t pid)
{
    int64_t kib = hl_proc_status_kib(pid, "VmRSS");
    return kib > 0 ? (uint64_t)kib : 0;
}

static int redirect(int fd, const char *path, int flags)
{
    int f = open(path ? path : "/dev/null", flags, 0644);
    if (f < 0)
        return -1;
    if (dup2(f, fd) < 0)
        return -1;
    close(f);
    return 0;
}

/* In the child: set up and exec; on failure write errno to errfd and _exit. */
static void child_exec(const hl_run_opts *opts, int errfd, pid_t driver)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != driver)
        _exit(127); /* the driver died before the request took effect */
    if (opts->keep_fd > 2)
        fcntl(opts->keep_fd, F_SETFD, fcntl(opts->keep_fd, F_GETFD) & ~FD_CLOEXEC);
    /* The driver's handlers must not survive into the child's pre-exec code. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* Failure to switch randomisation off is not fatal: instruction counts
     * are then only as repeatable as the address-space layout. */
    if (opts->no_aslr)
        personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE);
    /* Traced from the exec on: the exec then stops the child before its
     * first instruction, where the parent sets the options. */
    if (opts->trace)
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    int e = 0;
    if ((opts->cwd && chdir(opts->cwd) != 0) ||
        redirect(STDIN_FILENO, opts->stdin_path, O_RDONLY) != 0 ||
        (opts->stdout_fd > 2 ? dup2(opts->stdout_fd, STDOUT_FILENO) < 0
                             : redirect(STDOUT_FILENO, opts->stdout_path,
                                        O_WRONLY | O_CREAT | O_TRUNC) != 0) ||
        (opts->stderr_fd > 2 ? dup2(opts->stderr_fd, STDERR_FILENO) < 0
                             : redirect(STDERR_FILENO, opts->stderr_path,
                                        O_WRONLY | O_CREAT | O_TRUNC) != 0)) {
        e = errno;
    } else {
        char *const *envp = opts->envp ? opts->envp : environ;
        if (strchr(opts->path, '/'))
            execve(opts->path, opts->argv, envp);
        else
            execvpe(opts->path, opts->argv, envp);
        e = errno;
    }
    ssize_t w = write(errfd, &e, sizeof e);
    (void)w;
    _exit(127);
}

/* A tracing stop of the child (WIFSTOPPED): act on it and resume it. */
static void on_stop(const hl_run_opts *opts, pid_t pid, int status)
{
    hl_run_trace *t = opts->trace;
    int sig = WSTOPSIG(status), event = status >> 16;
    long inject = 0;
    if (t && !t->active && sig == SIGTRAP && event == 0) {
        /* the stop after the first exec: from here on, events, not SIGTRAPs */
        t->active = ptrace(PTRACE_SETOPTIONS, pid, NULL,
                           (void *)(long)(PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |
                                          PTRACE_O_EXITKILL)) == 0;
    } else if (t && event == PTRACE_EVENT_EXEC) {
        t->execs++;
    } else if (t && event == PTRACE_EVENT_EXIT) {
        t->exit_stop = true;
        if (t->at_exit)
            t->at_exit((int)pid, t->arg);
    } else {
        inject = sig; /* a signal for the child: deliver it */
    }
    ptrace(PTRACE_CONT, pid, NULL, (void *)inject);
}

static void kill_group(pid_t pid)
{
    if (kill(-pid, SIGKILL) != 0 && errno == ESRCH)
        kill(pid, SIGKILL);
}

/* fork + exec, with the child's exec errno read back through a close-on-exec
 * pipe (0: it exec'd).  The child's pid, or -1 with res->err set. */
static pid_t spawn_child(const hl_run_opts *opts, hl_run_result *res, int *child_errno)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(res->err, sizeof res->err, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t driver = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(res->err, sizeof res->err, "fork: %s", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pipefd[0]);
        child_exec(opts, pipefd[1], driver);
    }
    setpgid(pid, pid); /* also here: whichever of parent/child runs first */
    close(pipefd[1]);
    ssize_t got;
    *child_errno = 0;
    do
        got = read(pipefd[0], child_errno, sizeof *child_errno);
    while (got < 0 && errno == EINTR);
    close(pipefd[0]);
    return pid;
}

/* What the driver waits on: the child's pidfd where there are pidfds (the
 * waits end when it exits), and for a traced child a signalfd on which its
 * stops arrive as SIGCHLD.  Either fd may be -1. */
typedef struct watch {
    pid_t pid;
    int pidfd, sigfd;
    bool traced;
    sigset_t saved;
} watch;

static void watch_open(watch *wt, const hl_run_opts *opts, pid_t pid)
{
    wt->pid = pid;
    wt->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    wt->sigfd = -1;
    wt->traced = opts->trace != NULL;
    if (wt->traced) {
        sigset_t chld;
        opts->trace->pid = (int)pid;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, &wt->saved);
        wt->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    }
}

static void watch_close(watch *wt)
{
    if (wt->pidfd >= 0)
        close(wt->pidfd);
    if (wt->traced) {
        if (wt->sigfd >= 0)
            close(wt->sigfd);
        sigprocmask(SIG_SETMASK, &wt->saved, NULL);
    }
}

/* Sleeps until the child may have changed state, or the next check. */
static void watch_sleep(const watch *wt, int ms, long sleep_us)
{
    if (wt->pidfd < 0) {
        struct timespec ts = {0, sleep_us * 1000};
        nanosleep(&ts, NULL);
        return;
    }
    struct pollfd pfd[2] = {{.fd = wt->pidfd, .events = POLLIN}, {.fd = wt->sigfd, .events = POLLIN}};
    poll(pfd, wt->sigfd >= 0 ? 2 : 1, ms);
    struct signalfd_siginfo si;
    while (wt->sigfd >= 0 && read(wt->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        ; /* drained: the next wait4 tells what happened */
}

/* The limit the child broke (interrupt, timeout, memory), or HL_RUN_EXITED. */
static hl_run_outcome limit_broken(const hl_run_opts *opts, pid_t pid, double elapsed,
                                   hl_run_result *res)
{
    uint64_t rss = read_vmrss_kib(pid);
    if (rss > res->polled_rss_kib)
        res->polled_rss_kib = rss;
    if (interrupted_signo)
        return HL_RUN_INTERRUPTED;
    if (opts->timeout_s > 0 && elapsed > opts->timeout_s)
        return HL_RUN_TIMEOUT;
    if (opts->memory_limit_kib && rss > opts->memory_limit_kib)
        return HL_RUN_MEMORY;
    return HL_RUN_EXITED;
}

/* Waits for the child to end, killing its group when it breaks a limit.
 * 0 with *status and *ru filled and *forced the limit it was killed for
 * (HL_RUN_EXITED: none), or -1 when wait4 failed (res->err). */
static int wait_child(const hl_run_opts *opts, const watch *wt, double start, int *status,
                      struct rusage *ru, hl_run_outcome *forced, hl_run_result *res)
{
    bool killed = false;
    long sleep_us = 1000;
    *forced = HL_RUN_EXITED;
    for (;;) {
        pid_t w = wait4(wt->pid, status, WNOHANG | __WALL, ru);
        if (w == wt->pid && WIFSTOPPED(*status)) {
            on_stop(opts, wt->pid, *status);
            continue;
        }
        if (w == wt->pid)
            return 0;
        if (w < 0 && errno != EINTR) {
            /* cannot happen for our own child; do not spin */
            snprintf(res->err, sizeof res->err, "wait4: %s", strerror(errno));
            kill_group(wt->pid);
            return -1;
        }
        if (!killed && (*forced = limit_broken(opts, wt->pid, now_s() - start, res)) !=
                           HL_RUN_EXITED) {
            kill_group(wt->pid);
            killed = true;
            sleep_us = 1000;
            continue; /* reap promptly */
        }
        watch_sleep(wt, wait_ms(opts, killed, sleep_us, now_s() - start), sleep_us);
        if (sleep_us < 10000)
            sleep_us += 1000;
    }
}

static void copy_rusage(const struct rusage *ru, hl_run_result *res)
{
    res->user_s = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6;
    res->sys_s = (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
    res->maxrss_kib = (uint64_t)ru->ru_maxrss;
    res->minflt = (uint64_t)ru->ru_minflt;
    res->majflt = (uint64_t)ru->ru_majflt;
    res->nvcsw = (uint64_t)ru->ru_nvcsw;
    res->nivcsw = (uint64_t)ru->ru_nivcsw;
}

void hl_runner_run(const hl_run_opts *opts, hl_run_result *res)
{
    memset(res, 0, sizeof *res);
    double start = now_s();
    int child_errno;
    pid_t pid = spawn_child(opts, res, &child_errno);
    if (pid < 0) {
        res->outcome = HL_RUN_SPAWN_FAILED;
        return;
    }
    watch wt;
    watch_open(&wt, opts, pid);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    hl_run_outcome forced;
    int waited = wait_child(opts, &wt, start, &status, &ru, &forced, res);
    watch_close(&wt);
    if (waited != 0) {
        res->outcome = HL_RUN_SPAWN_FAILED;
        return;
    }
    res->wall_s = now_s() - start;
    kill(-pid, SIGKILL); /* leftovers of the group, if any; ESRCH is the norm */
    copy_rusage(&ru, res);
    if (child_errno != 0) {
        res->outcome = HL_RUN_SPAWN_FAILED;
        snprintf(res->err, sizeof res->err, "cannot run %s%s%s: %s", opts->path,
                 opts->cwd ? " in " : "", opts->cwd ? opts->cwd : "", strerror(child_errno));
        return;
    }
    if (forced != HL_RUN_EXITED) {
        res->outcome = forced;
        return;
    }
    if (WIFSIGNALED(status)) {
        res->outcome = HL_RUN_SIGNALED;
        res->signo = WTERMSIG(status);
    } else {
        res->outcome = HL_RUN_EXITED;
        res->exit_code = WEXITSTATUS(status);
    }
    /* over the limit between two polls: the peak says so */
    if (opts->memory_limit_kib && res->maxrss_kib > opts->memory_limit_kib)
        res->outcome = HL_RUN_MEMORY;
}
