/* hl_proc.h - running a program from a test, and reading what it wrote.
 *
 * hl_proc_spawn forks and execs argv[0] in directory cwd with its stdout
 * and stderr truncated into out_path and err_path; child_env (may be NULL)
 * runs in the child first, to set or clear the environment the program
 * sees.  hl_proc_wait reaps it: its exit status, or 128 + the signal that
 * killed it (126: the child could not set up, 127: exec failed).
 * hl_proc_slurp reads a whole file ("" when it cannot be read).
 */
#ifndef HL_PROC_H
#define HL_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static inline pid_t hl_proc_spawn(char *const *argv, const char *cwd, const char *out_path,
                                  const char *err_path, void (*child_env)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(cwd) != 0)
            _exit(126);
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        if (child_env)
            child_env();
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static inline int hl_proc_wait(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline char *hl_proc_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n + 1 : 1);
    size_t got = buf && n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    if (buf)
        buf[got] = '\0';
    fclose(f);
    return buf;
}

#endif
