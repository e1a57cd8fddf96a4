/* sizes.c - allocation sizes as a Python-like runtime requests them.
 *
 * The size mix follows the pystats counts of the whole pyperformance suite
 * (faster-cpython/benchmarking-archive, bm-20240214 3.13.0a3 pystats
 * report, "allocations512/4k/big" rows): 98.93% of requests are
 * below 512 B, 0.89% in 512 B - 4 KiB and 0.18% at 4 KiB or more; and from
 * the GH-12850 review, more than half of str objects are under 8 characters,
 * so most small requests are 16-64 B objects.  The split below 512 B is
 * heaplab's own approximation (no published histogram): 55% in [8, 64],
 * 25% in (64, 128], 12% in (128, 256], 8% in (256, 512].  Above 512 B sizes
 * are log-uniform: (512, 4096] and (4096, 256 KiB].
 *
 * How it works
 * ------------
 * A window of `live` slots; one iteration = one step on a slot taken from a
 * precomputed random sequence: an empty slot gets a new block (calloc with
 * `calloc_pct` percent, whose first and last bytes must read zero, else
 * malloc); a full slot is, with `realloc_pct` percent, resized to a fresh
 * size (the surviving prefix of its stamp is checked), else checked and
 * freed.  Sizes, slots and decisions come from 8192-entry tables built in
 * setup, so the timed loop draws nothing.
 */
#include "rng.h"
#include "workload.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum { P_LIVE, P_REALLOC, P_CALLOC, P_COUNT };

static const hl_param sizes_params[P_COUNT] = {
    [P_LIVE] = {"live", "slots in the window (about half are occupied)", 4096, 1024, 1, 1 << 20},
    [P_REALLOC] = {"realloc_pct", "percent of steps on a full slot that realloc instead of free", 10,
                   10, 0, 100},
    [P_CALLOC] = {"calloc_pct", "percent of new blocks made by calloc", 5, 5, 0, 100},
};

#define TABLE 8192 /* power of two */

enum { ACT_REALLOC = 1, ACT_CALLOC = 2 };

/* Invariant: block[i] is NULL, or a live block of size[i] bytes stamped with
 * tag[i]. */
typedef struct sizes_ctx {
    const hl_allocator *a;
    size_t live;
    void **block;
    uint32_t *size;
    uint64_t *tag;
    uint32_t sizes[TABLE], slot[TABLE];
    uint8_t action[TABLE];
    uint64_t pos, checksum, mismatches;
    uint64_t allocs, frees, reallocs;
    bool failed;
} sizes_ctx;

static uint32_t python_like_size(uint64_t *rng)
{
    uint64_t u = hl_rand_below(rng, 10000);
    if (u < 9893) {
        uint64_t v = hl_rand_below(rng, 100);
        if (v < 55)
            return 8 + (uint32_t)hl_rand_below(rng, 57);
        if (v < 80)
            return 65 + (uint32_t)hl_rand_below(rng, 64);
        if (v < 92)
            return 129 + (uint32_t)hl_rand_below(rng, 128);
        return 257 + (uint32_t)hl_rand_below(rng, 256);
    }
    double lo = u < 9982 ? 512.0 : 4096.0, hi = u < 9982 ? 4096.0 : 262144.0;
    double s = lo * __builtin_exp(hl_rand_unit(rng) * __builtin_log(hi / lo));
    return (uint32_t)s + 1;
}

static uint64_t sizes_run(void *p, uint64_t n)
{
    sizes_ctx *c = p;
    const hl_allocator *a = c->a;
    uint64_t pos = c->pos;
    for (uint64_t s = 0; s < n && !c->failed; s++, pos++) {
        size_t k = pos & (TABLE - 1);
        uint32_t i = c->slot[k];
        uint32_t size = c->sizes[(pos * 7 + 3) & (TABLE - 1)];
        uint64_t tag = hl_mix64(pos + 1);
        if (c->block[i] == NULL) {
            unsigned char *b;
            if (c->action[k] & ACT_CALLOC) {
                b = hl_calloc(a, 1, size);
                if (b && (b[0] != 0 || b[size - 1] != 0))
                    c->mismatches++;
            } else {
                b = hl_malloc(a, size);
            }
            if (b == NULL) {
                c->failed = true;
                break;
            }
            hl_stamp(b, size, tag);
            c->block[i] = b;
            c->size[i] = size;
            c->tag[i] = tag;
            c->allocs++;
            c->checksum += size;
        } else if (c->action[k] & ACT_REALLOC) {
            if (!hl_stamp_ok(c->block[i], c->size[i], c->tag[i]))
                c->mismatches++;
            void *b = hl_realloc(a, c->block[i], c->size[i], size);
            if (b == NULL) {
                c->failed = true;
                break;
            }
            if (!hl_stamp_prefix_ok(b, c->size[i], size, c->tag[i]))
                c->mismatches++;
            hl_stamp(b, size, tag);
            c->block[i] = b;
            c->size[i] = size;
            c->tag[i] = tag;
            c->reallocs++;
            c->checksum += size;
        } else {
            if (!hl_stamp_ok(c->block[i], c->size[i], c->tag[i]))
                c->mismatches++;
            hl_free(a, c->block[i], c->size[i]);
            c->block[i] = NULL;
            c->frees++;
        }
    }
    c->pos = pos;
    return n;
}

static void sizes_teardown(void *p)
{
    sizes_ctx *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; c->block && i < c->live; i++)
        if (c->block[i])
            hl_free(c->a, c->block[i], c->size[i]);
    free(c->block);
    free(c->size);
    free(c->tag);
    free(c);
}

static void *sizes_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    sizes_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "sizes: out of memory");
        return NULL;
    }
    c->a = env->raw;
    c->live = (size_t)env->params[P_LIVE];
    c->block = calloc(c->live, sizeof *c->block);
    c->size = calloc(c->live, sizeof *c->size);
    c->tag = calloc(c->live, sizeof *c->tag);
    if (!c->block || !c->size || !c->tag) {
        snprintf(err, errlen, "sizes: out of memory for %zu slots", c->live);
        sizes_teardown(c);
        return NULL;
    }
    uint64_t rng = hl_mix64(env->seed ^ 0x73697a6573ull);
    uint64_t realloc_pct = (uint64_t)env->params[P_REALLOC];
    uint64_t calloc_pct = (uint64_t)env->params[P_CALLOC];
    for (size_t i = 0; i < TABLE; i++) {
        c->sizes[i] = python_like_size(&rng);
        c->slot[i] = (uint32_t)hl_rand_below(&rng, c->live);
        c->action[i] = (uint8_t)((hl_rand_below(&rng, 100) < realloc_pct ? ACT_REALLOC : 0) |
                                 (hl_rand_below(&rng, 100) < calloc_pct ? ACT_CALLOC : 0));
    }
    return c;
}

static int sizes_verify(void *p, char *err, size_t errlen)
{
    sizes_ctx *c = p;
    if (c->failed) {
        snprintf(err, errlen, "sizes: an allocation returned NULL");
        return -1;
    }
    uint64_t bad = c->mismatches, live = 0;
    for (size_t i = 0; i < c->live; i++) {
        if (c->block[i] == NULL)
            continue;
        live++;
        if (!hl_stamp_ok(c->block[i], c->size[i], c->tag[i]))
            bad++;
    }
    if (bad) {
        snprintf(err, errlen, "sizes: %" PRIu64 " blocks had a damaged stamp or non-zero calloc memory",
                 bad);
        return -1;
    }
    if (c->allocs != c->frees + live) {
        snprintf(err, errlen, "sizes: %" PRIu64 " allocs != %" PRIu64 " frees + %" PRIu64 " live",
                 c->allocs, c->frees, live);
        return -1;
    }
    return 0;
}

static size_t sizes_metrics(void *p, hl_metric *out, size_t max)
{
    sizes_ctx *c = p;
    if (max < 2)
        return 0;
    snprintf(out[0].name, sizeof out[0].name, "checksum");
    out[0].value = (double)c->checksum;
    out[0].unit = "";
    snprintf(out[1].name, sizeof out[1].name, "reallocs");
    out[1].value = (double)c->reallocs;
    out[1].unit = "calls";
    return 2;
}

static const hl_metric_desc sizes_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"reallocs", "calls", "realloc calls made", false, NULL},
};

const hl_workload hl_wl_sizes = {
    .name = "sizes",
    .description = "Python-like size mix (99% <= 512 B) with malloc, calloc, realloc and free",
    .layer = HL_LAYER_RAW,
    .threaded = false,
    .op_unit = "allocator call",
    .params = sizes_params,
    .n_params = P_COUNT,
    .setup = sizes_setup,
    .run = sizes_run,
    .verify = sizes_verify,
    .metrics = sizes_metrics,
    .metric_descs = sizes_metric_descs,
    .n_metric_descs = sizeof sizes_metric_descs / sizeof sizes_metric_descs[0],
    .teardown = sizes_teardown,
};
