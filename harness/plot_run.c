/* plot_run.c - finding the gnuplot scripts and gnuplot itself, and running
 * one script (or another drawing program, such as Graphviz's dot) safely.
 *
 * How it works
 * ------------
 * A chart is drawn by `gnuplot -e "name='value'" ... SCRIPT`.  The process
 * is started with fork + execvp, so no shell ever sees the values; each
 * value is still untrusted text for gnuplot itself, which evaluates every
 * -e argument as a command, so values only ever appear inside a gnuplot
 * single-quoted string, where the one special character is the quote
 * itself (written twice) and nothing is interpolated (gnuplot 5 manual,
 * "Strings": "single-quoted strings ... backslashes are not special").
 * Control characters, which could end the command early, become spaces.
 *
 * gnuplot's stderr is collected through a pipe so that a failure can be
 * reported in one line (its last error line); a run that takes longer than
 * HL_PLOT_TIMEOUT_S is killed.
 */
#include "plot_run.h"

#include "build_info.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HL_PLOT_TIMEOUT_S 60.0

int hl_plot_quote(const char *value, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        size_t need = (*p == '\'') ? 2 : 1;
        if (o + need >= outlen) {
            out[o] = '\0';
            return -1;
        }
        if (*p == '\'') {
            out[o++] = '\'';
            out[o++] = '\'';
        } else if (*p < 0x20 || *p == 0x7f) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
    return 0;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir holds the scripts when its reltime.gp and common.gp exist. */
static bool has_scripts(const char *dir)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/common.gp", dir) >= (int)sizeof p || !is_file(p))
        return false;
    if (snprintf(p, sizeof p, "%s/reltime.gp", dir) >= (int)sizeof p || !is_file(p))
        return false;
    return true;
}

static int copy_out(const char *dir, char *out, size_t outlen)
{
    if (snprintf(out, outlen, "%s", dir) >= (int)outlen)
        return -1;
    return 0;
}

int hl_plot_scripts_dir(char *out, size_t outlen, char *err, size_t errlen)
{
    const char *env = getenv("HEAPLAB_PLOTS_DIR");
    if (env && *env) {
        if (has_scripts(env))
            return copy_out(env, out, outlen) == 0 ? 0
                   : (snprintf(err, errlen, "HEAPLAB_PLOTS_DIR is too long"), -1);
        snprintf(err, errlen,
                 "HEAPLAB_PLOTS_DIR=%s has no gnuplot scripts (common.gp, reltime.gp): "
                 "point it at heaplab's plots/ directory",
                 env);
        return -1;
    }
    if (has_scripts(hl_build_info.plots_dir))
        return copy_out(hl_build_info.plots_dir, out, outlen) == 0
                   ? 0
                   : (snprintf(err, errlen, "the build's plots directory path is too long"), -1);
    char exe[PATH_MAX];
    if (hl_proc_exe_dir(exe, sizeof exe) == 0) {
        char cand[PATH_MAX + 16];
        snprintf(cand, sizeof cand, "%s/../plots", exe);
        if (has_scripts(cand))
            return copy_out(cand, out, outlen) == 0 ? 0
                   : (snprintf(err, errlen, "plots directory path too long"), -1);
        snprintf(cand, sizeof cand, "%s/plots", exe);
        if (has_scripts(cand))
            return copy_out(cand, out, outlen) == 0 ? 0
                   : (snprintf(err, errlen, "plots directory path too long"), -1);
    }
    snprintf(err, errlen,
             "gnuplot scripts not found (searched %s, <executable dir>/../plots and "
             "<executable dir>/plots): set HEAPLAB_PLOTS_DIR to heaplab's plots/ directory",
             hl_build_info.plots_dir);
    return -1;
}

int hl_plot_find_program(const char *name, char *out, size_t outlen)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 && is_file(name) ? copy_out(name, out, outlen) : -1;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    const char *p = path;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        char cand[PATH_MAX];
        int w = (len == 0) ? snprintf(cand, sizeof cand, "./%s", name)
                           : snprintf(cand, sizeof cand, "%.*s/%s", (int)len, p, name);
        if (w > 0 && w < (int)sizeof cand && is_file(cand) && access(cand, X_OK) == 0)
            return copy_out(cand, out, outlen);
        if (!colon)
            break;
        p = colon + 1;
    }
    return -1;
}

int hl_plot_find_gnuplot(char *out, size_t outlen, char *err, size_t errlen)
{
    const char *env = getenv("HEAPLAB_GNUPLOT");
    if (env && *env && strchr(env, '/')) {
        if (hl_plot_find_program(env, out, outlen) == 0)
            return 0;
        snprintf(err, errlen,
                 "gnuplot not found: HEAPLAB_GNUPLOT=%s is not an executable file "
                 "(install gnuplot-nox or fix HEAPLAB_GNUPLOT)",
                 env);
        return -1;
    }
    if (hl_plot_find_program((env && *env) ? env : "gnuplot", out, outlen) == 0)
        return 0;
    snprintf(err, errlen,
             "gnuplot not found in PATH: install it (Debian/Ubuntu: apt-get install gnuplot-nox) "
             "or set HEAPLAB_GNUPLOT=/path/to/gnuplot");
    return -1;
}

void hl_plot_args_init(hl_plot_args *a)
{
    a->n = 0;
    a->overflow = false;
}

void hl_plot_args_str(hl_plot_args *a, const char *name, const char *value)
{
    if (a->n >= HL_PLOT_MAX_VARS) {
        a->overflow = true;
        return;
    }
    char quoted[sizeof a->expr[0]];
    if (hl_plot_quote(value, quoted, sizeof quoted) != 0 ||
        snprintf(a->expr[a->n], sizeof a->expr[0], "%s='%s'", name, quoted) >=
            (int)sizeof a->expr[0]) {
        a->overflow = true;
        return;
    }
    a->n++;
}

void hl_plot_args_num(hl_plot_args *a, const char *name, double value)
{
    if (a->n >= HL_PLOT_MAX_VARS) {
        a->overflow = true;
        return;
    }
    snprintf(a->expr[a->n], sizeof a->expr[0], "%s=%.17g", name, value);
    a->n++;
}

/* Keeps the last non-empty line of text in out (gnuplot's last word). */
static void last_line(const char *text, char *out, size_t outlen)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(out, outlen, "%.*s", (int)(end - start), start);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int hl_plot_run_gnuplot(const char *gnuplot, const char *script, const hl_plot_args *a,
                        char *err, size_t errlen)
{
    if (a->overflow) {
        snprintf(err, errlen, "a gnuplot variable is too long (internal limit)");
        return -1;
    }
    /* argv: gnuplot (-e expr)* script NULL */
    char *argv[2 * HL_PLOT_MAX_VARS + 3];
    size_t k = 0;
    argv[k++] = (char *)gnuplot;
    for (size_t i = 0; i < a->n; i++) {
        argv[k++] = (char *)"-e";
        argv[k++] = (char *)a->expr[i];
    }
    argv[k++] = (char *)script;
    argv[k] = NULL;
    return hl_plot_run_program(argv, err, errlen);
}

int hl_plot_run_program(char *const argv[], char *err, size_t errlen)
{
    const char *prog = argv[0];
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
        }
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(prog, argv);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    close(fds[1]);

    /* Collect stderr (bounded) until EOF or the time limit. */
    char buf[8192];
    size_t used = 0;
    bool timed_out = false;
    double deadline = now_s() + HL_PLOT_TIMEOUT_S;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char chunk[1024];
        ssize_t r = read(fds[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        /* Keep the tail: the last error is what explains a failure.
         * A chunk is smaller than buf, so dropping old bytes suffices. */
        if (used + (size_t)r > sizeof buf - 1) {
            size_t drop = used + (size_t)r - (sizeof buf - 1);
            memmove(buf, buf + drop, used - drop);
            used -= drop;
        }
        memcpy(buf + used, chunk, (size_t)r);
        used += (size_t)r;
    }
    buf[used] = '\0';
    close(fds[0]);

    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const char *name = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
    if (timed_out) {
        snprintf(err, errlen, "%s did not finish within %.0f s", name, HL_PLOT_TIMEOUT_S);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char line[400];
    last_line(buf, line, sizeof line);
    if (WIFSIGNALED(status))
        snprintf(err, errlen, "%s killed by signal %d%s%s", name, WTERMSIG(status),
                 line[0] ? ": " : "", line);
    else
        snprintf(err, errlen, "%s exited with status %d%s%s", name, WEXITSTATUS(status),
                 line[0] ? ": " : "", line);
    return -1;
}
