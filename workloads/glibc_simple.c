/* glibc_simple.c - malloc n blocks, free them, over a small working set.
 *
 * After glibc's benchtests/bench-malloc-simple.c (for n in 25, 100, 400,
 * 1600 blocks: 200,000 / n rounds of "malloc n, free n"; three settings:
 * main arena single-threaded, a thread's arena, and the main arena once a
 * thread has existed) and mimalloc-bench's copy of it (writes every byte,
 * frees the first half in order and the rest in reverse; sizes 16, 32, 64),
 * written from glibc's benchtests/bench-malloc-simple.c and
 * github.com/daanx/mimalloc-bench bench/glibc-bench as published.
 *
 * How it works
 * ------------
 * One iteration = one round: allocate `blocks` blocks of `size` bytes,
 * write every byte, then free the first half in allocation order and the
 * second half in reverse order, checking the first, middle and last byte of
 * each block first.  `arena` selects glibc's three settings: 0 = run on the
 * calling thread with no other thread ever started by this workload, 1 = run
 * on a fresh thread per run() (glibc gives it its own arena), 2 = run on the
 * calling thread after a short-lived thread has been started and joined in
 * setup (glibc's SINGLE_THREAD_P is then false).  Other allocators mostly
 * ignore the difference, which is the point of measuring it.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_SIZE, P_BLOCKS, P_ARENA, P_COUNT };

static const hl_param gsimple_params[P_COUNT] = {
    [P_SIZE] = {"size", "bytes per block (glibc default 16; mimalloc-bench uses 16, 32, 64)", 16, 16,
                1, 65536},
    [P_BLOCKS] = {"blocks", "blocks allocated then freed per round (25, 100, 400, 1600 upstream)",
                  100, 100, 1, 100000},
    [P_ARENA] = {"arena", "0 main thread, 1 a new thread per run, 2 main thread after a thread existed",
                 0, 0, 0, 2},
};

typedef struct gs_ctx {
    const hl_allocator *a;
    size_t size, blocks;
    int arena;
    unsigned char **ptr;
    uint64_t n;          /* rounds for the current run */
    uint64_t rounds, checksum, mismatches;
    bool failed;
} gs_ctx;

static void gs_check_free(gs_ctx *c, size_t i, uint64_t round)
{
    unsigned char *b = c->ptr[i];
    unsigned char t = (unsigned char)(round * 31 + i);
    c->checksum += b[0] + b[c->size / 2] + b[c->size - 1];
    if (b[0] != t || b[c->size / 2] != t || b[c->size - 1] != t)
        c->mismatches++;
    hl_free(c->a, b, c->size);
}

static void gs_rounds(gs_ctx *c)
{
    const size_t size = c->size, blocks = c->blocks, half = blocks / 2;
    for (uint64_t r = 0; r < c->n; r++) {
        uint64_t round = c->rounds + r;
        for (size_t i = 0; i < blocks; i++) {
            unsigned char *b = hl_malloc(c->a, size);
            if (b == NULL) {
                c->failed = true;
                for (size_t k = 0; k < i; k++)
                    hl_free(c->a, c->ptr[k], size);
                return;
            }
            memset(b, (unsigned char)(round * 31 + i), size);
            c->ptr[i] = b;
        }
        for (size_t i = 0; i < half; i++)
            gs_check_free(c, i, round);
        for (size_t i = blocks; i-- > half;)
            gs_check_free(c, i, round);
    }
    c->rounds += c->n;
}

static void *gs_thread(void *arg)
{
    gs_rounds(arg);
    return NULL;
}

static void *gs_nothing(void *arg)
{
    return arg;
}

static uint64_t gs_run(void *p, uint64_t n)
{
    gs_ctx *c = p;
    if (c->failed)
        return n;
    c->n = n;
    pthread_t th;
    if (c->arena == 1 && pthread_create(&th, NULL, gs_thread, c) == 0)
        pthread_join(th, NULL);
    else
        gs_rounds(c);
    return n * c->blocks;
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
    c->ptr = calloc(c->blocks, sizeof *c->ptr);
    if (c->ptr == NULL) {
        snprintf(err, errlen, "glibc_simple: out of memory for %zu blocks", c->blocks);
        free(c);
        return NULL;
    }
    if (c->arena == 2) {
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
        snprintf(err, errlen, "glibc_simple: malloc(%zu) returned NULL", c->size);
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
