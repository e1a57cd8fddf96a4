/* pairs.c - nanoseconds per malloc+free pair at one size.
 *
 * How it works
 * ------------
 * The micro-benchmark of the heaplab issue, in the spirit of the classic
 * "malloc/free in a loop" tests (glibc benchtests/bench-malloc-simple.c is
 * the published example; this file shares no code with it).  One operation is
 * one malloc plus one free of `size` bytes; the first and last byte of each
 * block are written after malloc and read back before free.
 *
 *   order=0 (LIFO)    allocate `burst` blocks, free them in reverse order.
 *                     burst=1 is the malloc-then-free-immediately loop.
 *   order=1 (random)  a window of `window` live blocks is built in setup; each
 *                     operation frees a random slot and allocates into it.
 *                     Slot indices come from a 4096-entry table precomputed
 *                     in setup, so the timed loop has no division and no
 *                     generator call.
 *
 * The per-op bookkeeping is one byte of expected tag per slot: a mismatch
 * means the backend handed out overlapping or scribbled blocks.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_SIZE, P_ORDER, P_BURST, P_WINDOW, P_COUNT };

static const char *const pairs_order_labels[] = {"lifo", "random"};

static const hl_param pairs_params[P_COUNT] = {
    [P_SIZE] = {"size", "bytes per block", 64, 64, 1, 1 << 20},
    [P_ORDER] = {"order", "0 = LIFO (bursts freed in reverse), 1 = random slot of a live window", 0,
                 0, 0, 1, pairs_order_labels},
    [P_BURST] = {"burst", "LIFO: blocks allocated before the burst is freed in reverse", 1, 1, 1,
                 4096},
    [P_WINDOW] = {"window", "random order: live blocks kept in the window", 1024, 1024, 1,
                  1 << 20},
};

#define INDEX_TABLE 4096 /* power of two: the timed loop masks, never divides */

/* Invariants: in random order every window slot holds a live block whose
 * first and last byte equal tag[slot]; in LIFO order nothing is live between
 * run() calls. */
typedef struct pairs_ctx {
    const hl_allocator *a;
    size_t size;
    int order;
    size_t burst, window;
    unsigned char **slot;   /* LIFO: burst scratch; random: the window */
    unsigned char *tag;     /* random: expected first/last byte per slot */
    uint32_t *index;        /* random: precomputed slot sequence */
    uint64_t pos;           /* operations done so far (drives tags and index) */
    uint64_t allocs, frees;
    uint64_t checksum;      /* sum of the bytes read back */
    uint64_t mismatches;
    bool alloc_failed;
} pairs_ctx;

static void pairs_teardown(void *p)
{
    pairs_ctx *c = p;
    if (c == NULL)
        return;
    if (c->order == 1 && c->slot) {
        for (size_t i = 0; i < c->window; i++)
            if (c->slot[i])
                hl_free(c->a, c->slot[i], c->size);
    }
    free(c->slot);
    free(c->tag);
    free(c->index);
    free(c);
}

static void *pairs_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    pairs_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "pairs: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->size = (size_t)env->params[P_SIZE];
    c->order = (int)env->params[P_ORDER];
    c->burst = (size_t)env->params[P_BURST];
    c->window = (size_t)env->params[P_WINDOW];
    size_t nslots = c->order == 0 ? c->burst : c->window;
    c->slot = calloc(nslots, sizeof *c->slot);
    c->tag = calloc(nslots, 1);
    c->index = malloc(INDEX_TABLE * sizeof *c->index);
    if (!c->slot || !c->tag || !c->index) {
        pairs_teardown(c);
        snprintf(err, errlen, "pairs: out of memory for %zu slots", nslots);
        return NULL;
    }
    uint64_t rng = env->seed ^ 0x7061697273ull;
    for (size_t i = 0; i < INDEX_TABLE; i++)
        c->index[i] = (uint32_t)hl_rand_below(&rng, c->window);
    if (c->order == 1) {
        for (size_t i = 0; i < c->window; i++) {
            unsigned char *b = hl_malloc(c->a, c->size);
            if (b == NULL) {
                snprintf(err, errlen, "pairs: malloc(%zu) failed filling the window", c->size);
                pairs_teardown(c);
                return NULL;
            }
            c->tag[i] = (unsigned char)(i * 131 + 7);
            b[0] = c->tag[i];
            b[c->size - 1] = c->tag[i];
            c->slot[i] = b;
            c->allocs++;
        }
    }
    return c;
}

/* burst = 1: the plain malloc-then-free loop, kept tight. */
static uint64_t run_pairs(pairs_ctx *c, uint64_t n)
{
    const hl_allocator *a = c->a;
    const size_t size = c->size, last = size - 1;
    uint64_t pos = c->pos, sum = 0, bad = 0, done;
    for (done = 0; done < n; done++, pos++) {
        unsigned char *b = hl_malloc(a, size);
        if (__builtin_expect(b == NULL, 0)) {
            c->alloc_failed = true;
            break;
        }
        unsigned char t = (unsigned char)pos;
        b[0] = t;
        b[last] = t;
        sum += b[0] + b[last];
        bad += (b[0] != t) | (b[last] != t);
        hl_free(a, b, size);
    }
    c->allocs += done;
    c->frees += done;
    c->pos = pos;
    c->checksum += sum;
    c->mismatches += bad;
    return done;
}

static uint64_t run_lifo(pairs_ctx *c, uint64_t n)
{
    const hl_allocator *a = c->a;
    const size_t size = c->size, last = size - 1;
    unsigned char **slot = c->slot;
    uint64_t done = 0, sum = 0, bad = 0;
    while (done < n) {
        size_t k = n - done < c->burst ? (size_t)(n - done) : c->burst;
        unsigned char t0 = (unsigned char)(c->pos + done);
        for (size_t j = 0; j < k; j++) {
            unsigned char *b = hl_malloc(a, size);
            if (__builtin_expect(b == NULL, 0)) {
                c->alloc_failed = true;
                for (size_t i = 0; i < j; i++)
                    hl_free(a, slot[i], size);
                c->frees += j;
                c->allocs += j;
                goto out;
            }
            b[0] = (unsigned char)(t0 + j);
            b[last] = (unsigned char)(t0 + j);
            slot[j] = b;
        }
        for (size_t j = k; j-- > 0;) {
            unsigned char *b = slot[j];
            unsigned char want = (unsigned char)(t0 + j);
            sum += b[0] + b[last];
            bad += (b[0] != want) | (b[last] != want);
            hl_free(a, b, size);
        }
        c->allocs += k;
        c->frees += k;
        done += k;
    }
out:
    c->pos += done;
    c->checksum += sum;
    c->mismatches += bad;
    return done;
}

static uint64_t run_random(pairs_ctx *c, uint64_t n)
{
    const hl_allocator *a = c->a;
    const size_t size = c->size, last = size - 1;
    unsigned char **slot = c->slot;
    unsigned char *tag = c->tag;
    const uint32_t *index = c->index;
    uint64_t pos = c->pos, sum = 0, bad = 0, done;
    for (done = 0; done < n; done++, pos++) {
        uint32_t i = index[pos & (INDEX_TABLE - 1)];
        unsigned char *b = slot[i];
        sum += b[0] + b[last];
        bad += (b[0] != tag[i]) | (b[last] != tag[i]);
        hl_free(a, b, size);
        b = hl_malloc(a, size);
        if (__builtin_expect(b == NULL, 0)) {
            c->alloc_failed = true;
            slot[i] = NULL;
            c->frees++;
            done++;
            break;
        }
        unsigned char t = (unsigned char)pos;
        b[0] = t;
        b[last] = t;
        tag[i] = t;
        slot[i] = b;
    }
    c->allocs += done - (c->alloc_failed ? 1 : 0);
    c->frees += c->alloc_failed ? done - 1 : done;
    c->pos = pos;
    c->checksum += sum;
    c->mismatches += bad;
    return done;
}

static uint64_t pairs_run(void *p, uint64_t n)
{
    pairs_ctx *c = p;
    if (c->alloc_failed)
        return n; /* verify reports it; keep the benchmark loop finite */
    uint64_t done = c->order == 1 ? run_random(c, n) : c->burst == 1 ? run_pairs(c, n) : run_lifo(c, n);
    return done < n ? n : done;
}

static int pairs_verify(void *p, char *err, size_t errlen)
{
    pairs_ctx *c = p;
    if (c->alloc_failed) {
        snprintf(err, errlen, "pairs: malloc(%zu) returned NULL", c->size);
        return -1;
    }
    uint64_t live = 0, bad = c->mismatches;
    if (c->order == 1) {
        for (size_t i = 0; i < c->window; i++) {
            const unsigned char *b = c->slot[i];
            if (b[0] != c->tag[i] || b[c->size - 1] != c->tag[i])
                bad++;
            live++;
        }
    }
    if (bad) {
        snprintf(err, errlen,
                 "pairs: %" PRIu64 " blocks lost their first/last byte (overlapping or corrupted blocks)",
                 bad);
        return -1;
    }
    if (c->allocs != c->frees + live) {
        snprintf(err, errlen, "pairs: %" PRIu64 " allocs != %" PRIu64 " frees + %" PRIu64 " live",
                 c->allocs, c->frees, live);
        return -1;
    }
    return 0;
}

static size_t pairs_metrics(void *p, hl_metric *out, size_t max)
{
    pairs_ctx *c = p;
    return hl_metric_checksum(out, max, c->checksum);
}

static const hl_metric_desc pairs_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_pairs = {
    .name = "pairs",
    .description = "malloc+free pairs of one size, LIFO bursts or random slots of a live window",
    .layer = HL_LAYER_RAW,
    .threaded = false,
    .op_unit = "malloc+free",
    .params = pairs_params,
    .n_params = P_COUNT,
    .setup = pairs_setup,
    .run = pairs_run,
    .verify = pairs_verify,
    .metrics = pairs_metrics,
    .metric_descs = pairs_metric_descs,
    .n_metric_descs = sizeof pairs_metric_descs / sizeof pairs_metric_descs[0],
    .teardown = pairs_teardown,
};
