/* cmdcell_proof.c - what the probe log and the trace prove about a
 * measured program.
 *
 * The measured process (the pid the cell forked; under callgrind the same
 * pid, since valgrind execs its tool in place) must have
 *   - a start record in every image it ran: the cell traces its execs
 *     (runner.h), so a program that replaced itself by exec without the
 *     preload shows up as an image without a record; in each record,
 *     malloc, free, calloc and realloc all resolve to the file the backend
 *     names (the allocator library, or libc when nothing is preloaded): a
 *     library that failed to preload, or a loader that dropped
 *     LD_PRELOAD, names another object or leaves no record;
 *   - at its exit stop, the allocator library still mapped;
 *   - for a CPython configuration, the object-domain verdict it implies,
 *     which only its exit record (exit handlers run) can give.
 * Without tracing (ptrace refused) the exit record stands in for the exit
 * stop, and a program leaving through _exit cannot be proven.
 * Records of other pids (children of the program) are counted, not judged.
 */
#include "cmdcell.h"

#include "probe.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits line at tabs into at most max fields (in place); returns how many. */
static size_t fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\n")] = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

static bool same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (strcmp(a, b) == 0)
        return true;
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

static void fail(hl_cmdcell_proof *p, const char *fmt, const char *a, const char *b)
{
    if (!p->ok)
        return;
    p->ok = false;
    snprintf(p->why, sizeof p->why, fmt, a, b);
}

/* One start record of the measured process. */
static void judge_start(char **f, const hl_cmdcell_opts *o, hl_cmdcell_proof *p)
{
    static const char *const fn[] = {"malloc", "free", "calloc", "realloc"};
    snprintf(p->malloc_obj, sizeof p->malloc_obj, "%s", f[4]);
    for (int i = 0; i < 4; i++)
        if (!same_file(f[4 + i], o->expect_malloc)) {
            char what[64];
            snprintf(what, sizeof what, "%s resolves to", fn[i]);
            fail(p, "%s %s", what, f[4 + i]);
            snprintf(p->why + strlen(p->why), sizeof p->why - strlen(p->why),
                     ", not %s: the allocator was not preloaded (it failed to load, or the "
                     "program overrides it)", o->expect_malloc);
            return;
        }
}

void hl_cmdcell_prove(const char *log_path, pid_t pid, const hl_cmdcell_opts *o,
                      const hl_cmdcell_seen *seen, hl_cmdcell_proof *p)
{
    memset(p, 0, sizeof *p);
    p->ok = true;
    p->mapped = seen->traced && seen->exit_stop ? seen->mapped : -1;
    snprintf(p->pyobj, sizeof p->pyobj, "?");
    FILE *f = fopen(log_path, "r");
    char line[5 * PATH_MAX + 128], me[32];
    snprintf(me, sizeof me, "%d", (int)pid);
    while (f && fgets(line, sizeof line, f)) {
        char *fld[8];
        size_t n = fields(line, fld, 8);
        bool mine = n >= 2 && strcmp(fld[1], me) == 0;
        if (n == 8 && strcmp(fld[0], HL_PROBE_START) == 0) {
            if (!mine) {
                p->processes++;
                p->others_elsewhere += !same_file(fld[4], o->expect_malloc);
                continue;
            }
            p->images++;
            judge_start(fld, o, p);
        } else if (n == 4 && strcmp(fld[0], HL_PROBE_EXIT) == 0 && mine) {
            p->exit_seen = true;
            if (p->mapped < 0)
                p->mapped = strcmp(fld[2], "1") == 0 ? 1 : strcmp(fld[2], "0") == 0 ? 0 : -1;
            snprintf(p->pyobj, sizeof p->pyobj, "%s", fld[3]);
        }
    }
    if (f)
        fclose(f);
    p->processes += p->images > 0;
    if (p->images == 0) {
        fail(p, "the program never loaded %s%s: it ignores LD_PRELOAD (static or setuid, or "
                "its loader drops the variable), so no allocator can be proven",
             HL_PROBE_LIBRARY, f ? "" : " (no probe log)");
        return;
    }
    if (seen->traced && p->images < seen->execs + 1) {
        char n[64];
        snprintf(n, sizeof n, "%u of its %u", seen->execs + 1 - p->images, seen->execs + 1);
        fail(p, "the program replaced itself with exec, and %s images ran without %s: it "
                "dropped LD_PRELOAD, so the allocator is not proven", n, HL_PROBE_LIBRARY);
        return;
    }
    if (!seen->traced && !p->exit_seen) {
        fail(p, "the program ended without running its exit handlers (%s%s), and could not "
                "be traced: heaplab cannot prove its final image kept the allocator",
             "it called _exit, or replaced itself with exec", "");
        return;
    }
    if (o->preload && p->mapped == 0)
        fail(p, "%s was no longer mapped when the program exited%s", o->preload,
             ": its final image ran without the preload");
    if (o->python_expect && !p->exit_seen) {
        fail(p, "the interpreter left without running its exit handlers (os._exit?)%s%s",
             ": its allocator configuration cannot be proven", "");
        return;
    }
    if (o->python_expect && strcmp(p->pyobj, o->python_expect) != 0 &&
        !(o->python_also && o->python_also[0] && strcmp(p->pyobj, o->python_also) == 0)) {
        char got[64];
        snprintf(got, sizeof got, "'%s', not '%s'", p->pyobj, o->python_expect);
        fail(p, "CPython's object allocator at exit was %s%s", got,
             " as PYTHONMALLOC asks: the interpreter ignored it (-E or -I in the command?)");
    }
}
