/* glibc_simple.c - malloc n blocks, free them, over a small working set.
 *
 * After glibc's benchtests/bench-malloc-simple.c as mimalloc-bench runs it
 * (bench.sh's `glibc-simple`, no arguments: github.com/daanx/mimalloc-bench,
 * bench/glibc-bench/bench-malloc-simple.c, Daan Leijen's copy of glibc's
 * benchtests/bench-malloc-simple.c), written from that program.
 *
 * What the original does
 * ----------------------
 * main() calls bench(16), bench(32), bench(64).  bench(size), with
 * iters = 2,000,000 and n in 25, 100, 400, 1600, runs do_benchmark(n) --
 * iters / n rounds of "malloc n blocks of `size` bytes, writing byte g of
 * each as (char)g; free the first half in allocation order and the second
 * half in reverse order" -- in four passes: a warm-up pass and a measured
 * pass on the main thread (glibc's main arena), a pass on a new thread
 * (a thread arena), and a pass on the main thread again, which glibc now
 * runs with SINGLE_THREAD_P false.  It frees nothing else and reads no
 * block.  Timing is compiled out (Daan's "disable timing"): bench.sh scores
 * the process's wall time, 96 million malloc+free pairs.
 *
 * How heaplab follows it
 * ----------------------
 * sweep=program (default, and quick): one iteration is the original's whole
 * program at `iters` blocks per pass and setting instead of 2,000,000
 * (3 sizes x 4 passes x 4 block counts, iters / n rounds each, the thread
 * pass on a new thread per size), so the time per operation weights the
 * settings as the original's total time does.  Only the first iteration's
 * first size runs before this workload has started a thread, as in the
 * original only bench(16) does; later iterations repeat the sweep on a
 * process glibc already treats as multi-threaded (later iterations of the
 * original's sweep do too: bench(32) and bench(64)).
 * sweep=one: one iteration is one round of one setting: `blocks` blocks of
 * `size` bytes, `arena` 0 = on the calling thread with no thread ever
 * started by this workload, 1 = on a fresh thread per run() (glibc gives it
 * its own arena), 2 = on the calling thread after a short-lived thread has
 * been started and joined in setup.
 *
 * A block's bytes are written as the original writes them -- one byte at a
 * time through the pointer array (arr[i][g]), which GCC -O3 compiles to a
 * byte store plus a reload of arr[i] per byte, not to vector stores -- offset
 * by a tag that changes with the block and the round (byte g = g + tag), so
 * that two live blocks overlapping do not hold the same bytes.  The write
 * loop matters for the ranking: with vector stores heaplab's jemalloc was
 * 1.34x tcmalloc (the original: 1.02x); with the original's loop, about 1x
 * (this VM, CPU time per malloc+free, docs/mimalloc-bench-fidelity.md).  A fixed 1 in
 * HL_CHECK_EVERY freed blocks has its first, middle and last byte checked
 * first (rng.h: why not every block).
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_SIZE, P_BLOCKS, P_ARENA, P_SWEEP, P_ITERS, P_COUNT };

static const char *const sweep_labels[] = {"one", "program"};

static const hl_param gsimple_params[P_COUNT] = {
    [P_SIZE] = {"size", "bytes per block; sweep=program: the first of size, 2 size, 4 size "
                "(the original's 16, 32, 64)", 16, 16, 1, 65536},
    [P_BLOCKS] = {"blocks", "sweep=one: blocks allocated then freed per round (25, 100, 400, "
                  "1600 upstream)", 100, 100, 1, 100000},
    [P_ARENA] = {"arena", "sweep=one: 0 main thread, 1 a new thread per run, 2 main thread "
                 "after a thread existed", 0, 0, 0, 2},
    [P_SWEEP] = {"sweep", "one = one (size, blocks, arena) setting per iteration; program = the "
                 "original's whole sweep per iteration", 1, 1, 0, 1, sweep_labels},
    [P_ITERS] = {"iters", "sweep=program: blocks per pass and setting (the original: 2,000,000, "
                 "rounds = iters / blocks, at least 1)", 20000, 20000, 100, 2000000},
};

static const size_t program_blocks[4] = {25, 100, 400, 1600};

typedef struct gs_ctx {
    const hl_allocator *a;
    size_t size, blocks, iters;
    int arena;
    bool program;
    unsigned char **ptr; /* room for the largest block count */
    /* the setting the next gs_rounds call runs */
    size_t cur_size, cur_blocks;
    uint64_t cur_rounds;
    uint64_t rounds, freed, ops, checksum, mismatches;
    bool failed;
} gs_ctx;

static void gs_check_free(gs_ctx *c, size_t i, size_t size, unsigned char t)
{
    unsigned char *b = c->ptr[i];
    if (c->freed++ % HL_CHECK_EVERY == 0) {
        size_t m = size / 2, e = size - 1;
        c->checksum += b[0] + b[m] + b[e];
        if (b[0] != t || b[m] != (unsigned char)(m + t) || b[e] != (unsigned char)(e + t))
            c->mismatches++;
    }
    hl_free(c->a, b, size);
}

/* cur_rounds rounds of cur_blocks blocks of cur_size bytes. */
static void gs_rounds(gs_ctx *c)
{
    const size_t size = c->cur_size, blocks = c->cur_blocks, half = blocks / 2;
    unsigned char **ptr = c->ptr;
    for (uint64_t r = 0; r < c->cur_rounds && !c->failed; r++) {
        uint64_t round = c->rounds++;
        for (size_t i = 0; i < blocks; i++) {
            unsigned char *b = hl_malloc(c->a, size);
            if (b == NULL) {
                c->failed = true;
                for (size_t k = 0; k < i; k++)
                    hl_free(c->a, c->ptr[k], size);
                return;
            }
            /* Through the array, one byte at a time, as the original's
             * arr[i][g] = (char)g: a char store may alias arr[i], so the
             * compiler reloads the pointer for every byte and cannot
             * vectorise (GCC 12 -O3 builds the original that way). */
            unsigned char t = (unsigned char)(round * 31 + i);
            ptr[i] = b;
            for (size_t g = 0; g < size; g++)
                ptr[i][g] = (unsigned char)(g + t);
        }
        for (size_t i = 0; i < half; i++)
            gs_check_free(c, i, size, (unsigned char)(round * 31 + i));
        for (size_t i = blocks; i-- > half;)
            gs_check_free(c, i, size, (unsigned char)(round * 31 + i));
        c->ops += blocks;
    }
}

static void *gs_thread(void *arg)
{
    gs_rounds(arg);
    return NULL;
}

/* The original's iters / n rounds for block count k, at least one round. */
static uint64_t gs_program_rounds(const gs_ctx *c, size_t k)
{
    uint64_t r = c->iters / program_blocks[k];
    return r ? r : 1;
}

static void *gs_thread_pass(void *arg)
{
    gs_ctx *c = arg;
    for (size_t k = 0; k < 4; k++) {
        c->cur_blocks = program_blocks[k];
        c->cur_rounds = gs_program_rounds(c, k);
        gs_rounds(c);
    }
    return NULL;
}

static void *gs_nothing(void *arg)
{
    return arg;
}

/* Runs fn(c) on a new thread and waits for it.  The cell may hold the
 * runtime lock across the run (HL_LOCK_WHOLE_RUN: this workload is not
 * threaded) and the new thread's first malloc takes it, so this thread lets
 * go of it while it waits, as replay.c does around its joins. */
static void gs_on_thread(gs_ctx *c, void *(*fn)(void *))
{
    bool held = hl_gil_held;
    if (held)
        hl_gil_release();
    pthread_t th;
    if (pthread_create(&th, NULL, fn, c) == 0)
        pthread_join(th, NULL);
    else
        fn(c); /* the work still gets done, on this thread */
    if (held)
        hl_gil_acquire();
}

/* One pass of bench(size) over the four block counts, on this thread. */
static void gs_main_pass(gs_ctx *c)
{
    for (size_t k = 0; k < 4; k++) {
        c->cur_blocks = program_blocks[k];
        c->cur_rounds = gs_program_rounds(c, k);
        gs_rounds(c);
    }
}

static void gs_program(gs_ctx *c)
{
    for (size_t s = c->size, k = 0; k < 3 && !c->failed; k++, s *= 2) {
        c->cur_size = s;
        gs_main_pass(c); /* warm-up */
        gs_main_pass(c); /* main arena */
        gs_on_thread(c, gs_thread_pass); /* a thread arena */
        gs_main_pass(c);                 /* main arena again, after a thread */
    }
}

static uint64_t gs_run(void *p, uint64_t n)
{
    gs_ctx *c = p;
    if (c->failed)
        return n;
    uint64_t before = c->ops;
    if (c->program) {
        for (uint64_t i = 0; i < n && !c->failed; i++)
            gs_program(c);
    } else {
        c->cur_size = c->size;
        c->cur_blocks = c->blocks;
        c->cur_rounds = n;
        if (c->arena == 1)
            gs_on_thread(c, gs_thread);
        else
            gs_rounds(c);
    }
    uint64_t ops = c->ops - before;
    return ops > n ? ops : n;
}

static void gs_teardown(void *p)
{
    gs_ctx *c = p;
    if (c) {
        free(c->ptr);
        free(c);
    }
}

static void *gs_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    gs_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "glibc_simple: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->size = (size_t)env->params[P_SIZE];
    c->blocks = (size_t)env->params[P_BLOCKS];
    c->arena = (int)env->params[P_ARENA];
    c->program = env->params[P_SWEEP] == 1;
    c->iters = (size_t)env->params[P_ITERS];
    if (c->program && c->size > 65536 / 4) {
        snprintf(err, errlen, "glibc_simple: sweep=program uses size, 2 size and 4 size: give "
                 "size <= 16384");
        free(c);
        return NULL;
    }
    size_t room = c->program ? program_blocks[3] : c->blocks;
    c->ptr = calloc(room, sizeof *c->ptr);
    if (c->ptr == NULL) {
        snprintf(err, errlen, "glibc_simple: out of memory for %zu blocks", room);
        free(c);
        return NULL;
    }
    if (!c->program && c->arena == 2) {
        pthread_t th;
        if (pthread_create(&th, NULL, gs_nothing, NULL) != 0) {
            gs_teardown(c);
            snprintf(err, errlen, "glibc_simple: arena=2 needs a thread and pthread_create failed");
            return NULL;
        }
        pthread_join(th, NULL);
    }
    return c;
}

static int gs_verify(void *p, char *err, size_t errlen)
{
    gs_ctx *c = p;
    if (c->failed) {
        snprintf(err, errlen, "glibc_simple: malloc returned NULL");
        return -1;
    }
    if (c->mismatches) {
        snprintf(err, errlen, "glibc_simple: %" PRIu64 " blocks changed while live (overlapping or corrupted blocks)",
                 c->mismatches);
        return -1;
    }
    return 0;
}

static size_t gs_metrics(void *p, hl_metric *out, size_t max)
{
    gs_ctx *c = p;
    return hl_metric_checksum(out, max, c->checksum);
}

static const hl_metric_desc gs_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_glibc_simple = {
    .name = "glibc_simple",
    .description = "glibc bench-malloc-simple: malloc n small blocks, free them half in order, half reversed",
    .layer = HL_LAYER_RAW,
    .threaded = false,
    .op_unit = "malloc+free",
    .params = gsimple_params,
    .n_params = P_COUNT,
    .setup = gs_setup,
    .run = gs_run,
    .verify = gs_verify,
    .metrics = gs_metrics,
    .metric_descs = gs_metric_descs,
    .n_metric_descs = sizeof gs_metric_descs / sizeof gs_metric_descs[0],
    .teardown = gs_teardown,
};
