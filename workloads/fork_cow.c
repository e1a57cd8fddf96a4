/* fork_cow.c - pre-fork workers that only read the heap, and the private
 * memory they end up with: the copy-on-write problem of reference counts.
 *
 * How it works
 * ------------
 * A pre-fork server (uWSGI, gunicorn) builds its heap in a parent and forks
 * workers that share it copy-on-write.  Reading a Python object still writes
 * to it: incref/decref change its reference count and a collection rewrites
 * the GC header of every tracked object, so each page holding an object a
 * worker touched becomes a private copy.  Instagram measured shared memory
 * per worker falling from ~250 MB to ~140 MB within seconds and answered with
 * gc.disable()/gc.set_threshold(0), then gc.freeze() (bpo-31558, 3.7); PEP
 * 683's immortal objects (3.12) stop refcount writes as well (Instagram
 * Engineering, "Dismissing Python Garbage Collection at Instagram", 2017, and
 * "Copy-on-write friendly Python garbage collection", 2017; PEP 683).
 *
 * Set-up builds a heap of about `objects` objects: a root list of 2-item
 * lists [int, str].  Then, by `mode`:
 *   0  plain:     nothing more (reference counts and the GC both live);
 *   1  gc off:    hl_gc_disable() before the heap is built (Instagram 2017);
 *                 the workers run no collection (collect=1 is what an
 *                 enabled automatic GC would do, and it is off);
 *   2  frozen:    hl_gc_freeze() before fork (gc.freeze()): collections skip
 *                 the heap, reference counts still write;
 *   3  immortal:  every heap object made immortal (PEP 683), then the heap
 *                 frozen: refcount operations skip immortal objects, and
 *                 the freeze keeps collections from rewriting the GC
 *                 headers of the (still tracked) immortal containers.
 *
 * One round forks `children` workers.  Each reads its own Private_Dirty from
 * /proc/self/smaps_rollup, touches the heap objects of the first touch_pct%
 * of the records (incref + decref, reading the values into a checksum: at
 * 100% every object, the worst case; below, the part of the heap a request
 * uses, where the collector's writes to every tracked object show), runs a
 * full collection when collect=1 (and mode != 1), reads Private_Dirty again,
 * sends both and its checksum to the parent through a pipe and leaves with
 * _exit (no atexit handlers, no stdio flush; exit status 3 when its checksum
 * is wrong).  The parent only
 * waits on the pipe meanwhile (it must not write the shared pages, or the
 * children's copies would become private without their doing), then reaps
 * every child, also when something failed.
 *
 * Metrics (last round): private_dirty_kib_child<i> (after touching),
 * private_dirty_kib_mean, touch_dirty_kib_mean (after - before: what the
 * touching itself copied), heap_kib (live bytes of the runtime's allocators),
 * checksum (of the records the workers read; a function of the seed).
 *
 * Verification: every child of every round exited 0 after checking the
 * checksum against the parent's, reported through the pipe, and the heap is
 * still intact in the parent.
 *
 * One operation = one heap object touched by one child.
 */
#include "../objects/gc.h"
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { P_OBJECTS, P_CHILDREN, P_COLLECT, P_MODE, P_TOUCH, P_COUNT };

#define FC_MAX_CHILDREN 16

/* Reports name the modes by these labels (hl_param.labels). */
static const char *const fc_mode_labels[] = {"plain", "gc-disabled", "frozen", "immortal"};

static const hl_param fc_params[P_COUNT] = {
    [P_OBJECTS] = {"objects", "objects in the shared heap", 300000, 20000, 30, 50000000},
    [P_CHILDREN] = {"children", "workers forked per round", 4, 2, 1, FC_MAX_CHILDREN},
    [P_COLLECT] = {"collect", "1: each worker runs a full collection after touching", 1, 1, 0, 1},
    [P_MODE] = {"mode", "0 plain, 1 GC disabled, 2 frozen heap (gc.freeze), 3 immortal heap", 0, 0,
                0, 3, fc_mode_labels},
    [P_TOUCH] = {"touch_pct", "% of the heap (its first records) each worker reads", 100, 100, 1,
                 100},
};

/* What a child sends.  Smaller than PIPE_BUF, so each write is atomic and
 * the reports of concurrent children never interleave. */
typedef struct fc_report {
    int32_t child;
    int32_t ok;              /* checksum matched */
    int64_t dirty_before_kib;
    int64_t dirty_after_kib;
    uint64_t checksum;
} fc_report;

typedef struct fc_ctx {
    hl_rt *rt;
    uint64_t seed;
    unsigned children, mode;
    bool collect;
    hl_obj *heap; /* list of 2-item lists [int, str], owned */
    size_t entries;
    size_t touched;        /* entries a worker reads: the first touch_pct% */
    uint64_t heap_objects; /* root list + entries + their items */
    uint64_t expected;     /* checksum of the heap contents */
    int64_t heap_live_bytes;
    uint64_t rounds;
    fc_report last[FC_MAX_CHILDREN];
    bool have_last;
    double sum_touch_kib; /* over every child of every round */
    uint64_t n_reports;
    hl_objwl_check check;
} fc_ctx;

/* Reads the first c->touched records (and, with touch, increfs and decrefs
 * each object, as a worker using it would).  Returns their checksum. */
static uint64_t walk_heap(fc_ctx *c, bool touch)
{
    hl_rt *rt = c->rt;
    uint64_t h = hl_objwl_h_seq_start(HL_OBJWL_H_LIST, c->touched);
    if (touch) {
        hl_obj_incref(rt, c->heap);
        hl_obj_decref(rt, c->heap);
    }
    if (hl_list_len(c->heap) != c->entries)
        return ~h;
    for (size_t i = 0; i < c->touched; i++) {
        hl_obj *t = hl_list_get(c->heap, i);
        if (t == NULL || hl_obj_kind(t) != HL_KIND_LIST || hl_list_len(t) != 2)
            return ~h;
        if (touch) {
            hl_obj_incref(rt, t);
            for (size_t k = 0; k < 2; k++) {
                hl_obj_incref(rt, hl_list_get(t, k));
                hl_obj_decref(rt, hl_list_get(t, k));
            }
            hl_obj_decref(rt, t);
        }
        h = hl_objwl_mix(h, hl_objwl_content_hash(t, 1));
    }
    return h;
}

static void *fc_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    fc_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "fork_cow: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->seed = env->seed;
    c->children = (unsigned)env->params[P_CHILDREN];
    c->collect = env->params[P_COLLECT] != 0;
    c->mode = (unsigned)env->params[P_MODE];
    uint64_t objects = (uint64_t)env->params[P_OBJECTS];
    hl_rt *rt = c->rt;
    if (c->mode == 1)
        hl_gc_disable(rt);
    /* Each entry is 3 objects: a 2-item list, an int (beyond the small-int
     * cache) and a str of 8..39 bytes.  A list, not a tuple: the collector
     * untracks tuples of atomic items (as CPython does), and a pre-fork
     * server's heap is mostly containers the collector keeps tracking
     * (instances, their dicts, lists). */
    c->entries = (size_t)(objects > 3 ? objects / 3 : 1);
    c->heap = hl_list_new(rt);
    bool ok = c->heap != NULL;
    char text[40];
    for (size_t i = 0; ok && i < c->entries; i++) {
        uint64_t h = hl_mix64(c->seed ^ (i * 0x9E3779B97F4A7C15ull));
        size_t len = 8 + (size_t)(h % 32);
        hl_objwl_fill_text(text, len, h);
        hl_obj *t = hl_list_new(rt);
        ok = t != NULL && hl_list_append(rt, t, hl_int_new(rt, 1000 + (int64_t)(h >> 4))) == 0 &&
             hl_list_append(rt, t, hl_str_new(rt, text, len)) == 0 &&
             hl_list_append(rt, c->heap, t) == 0;
    }
    if (!ok) {
        hl_obj_decref(rt, c->heap);
        if (c->mode == 1)
            hl_gc_enable(rt);
        free(c);
        hl_objwl_fail(err, errlen, "fork_cow: out of memory building a heap of %" PRIu64
                      " objects", objects);
        return NULL;
    }
    c->heap_objects = 1 + 3 * (uint64_t)c->entries;
    c->touched = (size_t)((uint64_t)c->entries * (uint64_t)env->params[P_TOUCH] / 100);
    if (c->touched == 0)
        c->touched = 1;
    c->expected = walk_heap(c, false);
    if (c->mode == 3) {
        /* Immortalize the heap, leaves first (immortalizing a container
         * does not reach into its items). */
        ok = hl_obj_immortalize(rt, c->heap) == 0;
        for (size_t i = 0; ok && i < c->entries; i++) {
            hl_obj *t = hl_list_get(c->heap, i);
            ok = hl_obj_immortalize(rt, hl_list_get(t, 0)) == 0 &&
                 hl_obj_immortalize(rt, hl_list_get(t, 1)) == 0 &&
                 hl_obj_immortalize(rt, t) == 0;
        }
        if (!ok) {
            free(c);
            hl_objwl_fail(err, errlen, "fork_cow: out of memory immortalizing the heap");
            return NULL;
        }
    }
    if (c->mode == 2 || c->mode == 3)
        hl_gc_freeze(rt);
    c->heap_live_bytes = hl_objwl_live_bytes(rt);
    return c;
}

/* The worker: never returns. */
static void child_main(fc_ctx *c, unsigned index, int report_fd)
{
    fc_report r = {(int32_t)index, 0, 0, 0, 0};
    r.dirty_before_kib = hl_objwl_private_dirty_kib(0);
    r.checksum = walk_heap(c, true);
    if (c->collect && c->mode != 1)
        hl_gc_collect(c->rt, 2);
    r.dirty_after_kib = hl_objwl_private_dirty_kib(0);
    r.ok = r.checksum == c->expected;
    ssize_t w;
    do {
        w = write(report_fd, &r, sizeof r);
    } while (w < 0 && errno == EINTR);
    _exit(w != (ssize_t)sizeof r ? 4 : r.ok ? 0 : 3);
}

/* One round: fork, collect reports, reap.  Problems go to c->check. */
static void fc_round(fc_ctx *c)
{
    int fds[2];
    if (pipe(fds) != 0) {
        hl_objwl_check_fail(&c->check, "pipe: %s", strerror(errno));
        return;
    }
    pid_t pids[FC_MAX_CHILDREN], parent = getpid();
    unsigned forked = 0;
    fflush(NULL); /* nothing buffered may be written twice */
    for (; forked < c->children; forked++) {
        pid_t pid = fork();
        if (pid < 0) {
            hl_objwl_check_fail(&c->check, "fork of child %u: %s", forked, strerror(errno));
            break;
        }
        if (pid == 0) {
            /* A worker never outlives its parent: if the cell dies (killed
             * with its driver, harness/runner.c), so does the worker. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(1);
            close(fds[0]);
            child_main(c, forked, fds[1]);
        }
        pids[forked] = pid;
    }
    close(fds[1]);
    fc_report got[FC_MAX_CHILDREN];
    bool seen[FC_MAX_CHILDREN] = {false};
    unsigned reports = 0;
    for (;;) {
        fc_report r;
        ssize_t n = read(fds[0], &r, sizeof r);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* every child has exited or closed its end */
        if (n != (ssize_t)sizeof r || r.child < 0 || (unsigned)r.child >= forked ||
            seen[r.child]) {
            hl_objwl_check_fail(&c->check, "a malformed report on the pipe");
            continue;
        }
        seen[r.child] = true;
        got[r.child] = r;
        reports++;
    }
    close(fds[0]);
    for (unsigned i = 0; i < forked; i++) {
        int status;
        pid_t w;
        do {
            w = waitpid(pids[i], &status, 0);
        } while (w < 0 && errno == EINTR);
        if (w < 0)
            hl_objwl_check_fail(&c->check, "waitpid child %u: %s", i, strerror(errno));
        else if (WIFSIGNALED(status))
            hl_objwl_check_fail(&c->check, "child %u died of signal %d", i, WTERMSIG(status));
        else if (WEXITSTATUS(status) != 0)
            hl_objwl_check_fail(&c->check, "child %u exited with status %d%s", i,
                                WEXITSTATUS(status),
                                WEXITSTATUS(status) == 3 ? " (heap checksum differs)" : "");
    }
    if (forked < c->children || reports < forked) {
        if (reports < forked)
            hl_objwl_check_fail(&c->check, "%u of %u children reported", reports, forked);
        return;
    }
    for (unsigned i = 0; i < forked; i++) {
        c->last[i] = got[i];
        if (got[i].dirty_before_kib < 0 || got[i].dirty_after_kib < 0)
            hl_objwl_check_fail(&c->check, "child %u could not read its smaps_rollup", i);
        c->sum_touch_kib += (double)(got[i].dirty_after_kib - got[i].dirty_before_kib);
        c->n_reports++;
    }
    c->have_last = true;
}

static uint64_t fc_run(void *vctx, uint64_t n)
{
    fc_ctx *c = vctx;
    for (uint64_t i = 0; i < n; i++) {
        fc_round(c);
        c->rounds++;
    }
    uint64_t ops = n * c->children * (1 + 3 * (uint64_t)c->touched);
    return ops > n ? ops : n;
}

static int fc_verify(void *vctx, char *err, size_t errlen)
{
    fc_ctx *c = vctx;
    if (hl_objwl_check_report(&c->check, "fork_cow", err, errlen) != 0)
        return -1;
    if (c->rounds > 0 && !c->have_last)
        return hl_objwl_fail(err, errlen, "fork_cow: no round completed");
    uint64_t h = walk_heap(c, false);
    if (h != c->expected)
        return hl_objwl_fail(err, errlen, "fork_cow: the parent's heap changed");
    return 0;
}

static size_t fc_metrics(void *vctx, hl_metric *out, size_t max)
{
    fc_ctx *c = vctx;
    size_t k = 0;
    if (!c->have_last)
        return 0;
    double sum_after = 0, sum_touch = 0;
    for (unsigned i = 0; i < c->children; i++) {
        sum_after += (double)c->last[i].dirty_after_kib;
        sum_touch += (double)(c->last[i].dirty_after_kib - c->last[i].dirty_before_kib);
    }
    if (k < max)
        out[k++] = (hl_metric){"private_dirty_kib_mean", sum_after / c->children, "KiB"};
    if (k < max)
        out[k++] = (hl_metric){"touch_dirty_kib_mean", sum_touch / c->children, "KiB"};
    if (k < max)
        out[k++] = (hl_metric){"heap_kib", (double)c->heap_live_bytes / 1024.0, "KiB"};
    if (k < max)
        out[k++] = (hl_metric){"touch_dirty_kib_mean_all_rounds",
                               c->n_reports ? c->sum_touch_kib / (double)c->n_reports : 0.0,
                               "KiB"};
    if (k < max)
        out[k++] = (hl_metric){"checksum", hl_objwl_checksum_metric(c->expected), ""};
    for (unsigned i = 0; i < c->children && k < max; i++) {
        hl_metric m = {"", (double)c->last[i].dirty_after_kib, "KiB"};
        snprintf(m.name, sizeof m.name, "private_dirty_kib_child%u", i);
        out[k++] = m;
    }
    return k;
}

static void fc_teardown(void *vctx)
{
    fc_ctx *c = vctx;
    hl_rt *rt = c->rt;
    if (c->mode == 2 || c->mode == 3)
        hl_gc_unfreeze(rt);
    /* An immortal heap stays until hl_rt_free, as immortal objects do. */
    hl_obj_decref(rt, c->heap);
    if (c->mode == 1)
        hl_gc_enable(rt);
    free(c);
}

static const hl_metric_desc fc_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"private_dirty_kib_mean", "KiB", "Private_Dirty per worker after touching, mean of the last round", false, NULL},
    {"touch_dirty_kib_mean", "KiB", "Private_Dirty a worker gained by touching, mean of the last round", false, NULL},
    {"heap_kib", "KiB", "live bytes of the shared heap", false, NULL},
    {"touch_dirty_kib_mean_all_rounds", "KiB", "Private_Dirty gained by touching, mean over every round", false, NULL},
    {"private_dirty_kib_child", "KiB", "Private_Dirty of each worker of the last round", true, "cow"},
};

const hl_workload hl_wl_fork_cow = {
    .name = "fork_cow",
    .description = "pre-fork workers reading a shared heap: copy-on-write cost per mode",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .forks = true,
    .op_unit = "heap object touched in a worker",
    .params = fc_params,
    .n_params = P_COUNT,
    .setup = fc_setup,
    .run = fc_run,
    .verify = fc_verify,
    .metrics = fc_metrics,
    .metric_descs = fc_metric_descs,
    .n_metric_descs = sizeof fc_metric_descs / sizeof fc_metric_descs[0],
    .teardown = fc_teardown,
};
