/* fragmentation.c - a mixed population, 90% of it freed at random, then
 * objects of another size: how much memory stays resident for how few live
 * bytes.
 *
 * How it works
 * ------------
 * A long-running Python process loads a lot (parsing, a cache warm-up),
 * drops most of it, and then goes on allocating objects of other sizes.
 * pymalloc returns memory to the OS only as whole arenas and reuses a pool
 * for another size class only once every block in it is free
 * (CPython Objects/obmalloc.c, "arena" and "pool" comments), so a few survivors
 * scattered over many pools pin them: the resident set stays near its peak
 * while live data is a tenth of it.  Size-segregated allocators
 * (jemalloc, mimalloc) have the same exposure at page or span granularity;
 * glibc can coalesce but trims only from the top of the heap.
 *
 * Set-up, with resident-set readings in between (/proc/self/statm):
 *   1. baseline;
 *   2. a population of `objects` objects of mixed sizes, in a list: strs of
 *      2..max_str bytes (half), tuples of 1..6 cached small ints (a quarter),
 *      floats and large ints (an eighth each), so most size classes up to
 *      ~250 bytes are used;
 *   3. a random keep_pct% is copied to a survivors list and the population
 *      list is dropped, freeing the rest (`pop = [x for x in pop if keep]`).
 * run(n) then makes n strs of new_str bytes (another size class) into a ring
 * as large as the number of objects freed, dropping the oldest once it is
 * full: live data returns towards its old level with objects that cannot
 * use the freed blocks unless the allocator can repurpose their memory.
 *
 * Metrics: resident bytes at each stage and now, live bytes (the runtime's
 * allocators, hl_allocator_stats), and rss_over_live = (rss - baseline) /
 * live bytes: 1.0 would be no overhead at all.
 *
 * Verification: every survivor and every ring str is hashed against the hash
 * of what was stored (objwl_util.h) when it is dropped and in verify(), and
 * the runtime must hold exactly the survivors, the ring and the two lists.
 *
 * One operation = one new-size object made (and, once the ring is full, one
 * old one dropped).
 */
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <inttypes.h>
#include <stdlib.h>

enum { P_OBJECTS, P_KEEP, P_MAX_STR, P_NEW_STR, P_COUNT };

static const hl_param fr_params[P_COUNT] = {
    [P_OBJECTS] = {"objects", "objects in the initial population", 200000, 20000, 100, 50000000},
    [P_KEEP] = {"keep_pct", "% of the population that survives", 10, 10, 1, 99},
    [P_MAX_STR] = {"max_str", "longest str in the population (bytes)", 200, 200, 2, 100000},
    [P_NEW_STR] = {"new_str", "length of the strs made afterwards (bytes)", 300, 300, 2, 100000},
};

typedef struct fr_ctx {
    hl_rt *rt;
    uint64_t seed;
    size_t objects, max_str, new_str;
    unsigned keep_pct;
    hl_obj *survivors;   /* list, owned */
    uint64_t *surv_hash; /* expected hash per survivor */
    size_t n_survivors;
    hl_obj *ring;       /* list of ring_cap slots (None until filled), owned */
    uint64_t *ring_hash; /* expected hash per ring slot */
    size_t ring_cap;
    uint64_t made;      /* new strs made: slot = made % ring_cap */
    uint64_t ring_filled;
    char *text;
    int64_t rss_baseline, rss_peak, rss_after_free;
    int64_t population_live;
    uint64_t live_baseline; /* objects before the population */
    uint64_t checksum;
    hl_objwl_check check;
} fr_ctx;

/* Population object i: a new reference and its expected hash. */
static hl_obj *make_member(fr_ctx *c, uint64_t i, uint64_t *hash)
{
    uint64_t h = hl_mix64(c->seed ^ (i * 0x9E3779B97F4A7C15ull));
    unsigned kind = (unsigned)(h & 7);
    if (kind < 4) {
        size_t len = 2 + (size_t)hl_below(hl_mix64(h), c->max_str - 1);
        hl_objwl_fill_text(c->text, len, h);
        *hash = hl_objwl_h_str(c->text, len);
        return hl_str_new(c->rt, c->text, len);
    }
    if (kind < 6) {
        size_t n = 1 + (size_t)((h >> 8) % 6);
        hl_obj *t = hl_tuple_new(c->rt, n);
        uint64_t th = hl_objwl_h_seq_start(HL_OBJWL_H_TUPLE, n);
        for (size_t k = 0; k < n; k++) {
            int64_t v = (int64_t)((h >> (16 + 4 * k)) & 0xFF); /* 0..255: cached */
            if (t != NULL)
                hl_tuple_set(c->rt, t, k, hl_int_new(c->rt, v));
            th = hl_objwl_mix(th, hl_objwl_h_int(v));
        }
        *hash = th;
        return t;
    }
    if (kind == 6) {
        double d = (double)(h >> 11) / 3.0;
        *hash = hl_objwl_h_float(d);
        return hl_float_new(c->rt, d);
    }
    int64_t v = 1000 + (int64_t)(h >> 3);
    *hash = hl_objwl_h_int(v);
    return hl_int_new(c->rt, v);
}

/* Writes new str `id`'s text to c->text and returns its hash. */
static uint64_t new_str_text(fr_ctx *c, uint64_t id)
{
    hl_objwl_fill_text(c->text, c->new_str, hl_mix64(~c->seed ^ id));
    return hl_objwl_h_str(c->text, c->new_str);
}

static void fr_free(fr_ctx *c)
{
    free(c->surv_hash);
    free(c->ring_hash);
    free(c->text);
    free(c);
}

static void *fr_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    fr_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "fragmentation: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->seed = env->seed;
    c->objects = (size_t)env->params[P_OBJECTS];
    c->keep_pct = (unsigned)env->params[P_KEEP];
    c->max_str = (size_t)env->params[P_MAX_STR];
    c->new_str = (size_t)env->params[P_NEW_STR];
    /* Bookkeeping first, so the baseline reading already includes it. */
    c->surv_hash = malloc(c->objects * sizeof *c->surv_hash);
    c->ring_hash = malloc(c->objects * sizeof *c->ring_hash);
    c->text = malloc(c->max_str > c->new_str ? c->max_str : c->new_str);
    if (c->surv_hash == NULL || c->ring_hash == NULL || c->text == NULL) {
        fr_free(c);
        hl_objwl_fail(err, errlen, "fragmentation: out of memory for the bookkeeping");
        return NULL;
    }
    hl_rt *rt = c->rt;
    c->live_baseline = hl_rt_live_objects(rt);
    c->rss_baseline = hl_objwl_rss_bytes();

    hl_obj *population = hl_list_new(rt);
    uint64_t *pop_hash = malloc(c->objects * sizeof *pop_hash);
    bool ok = population != NULL && pop_hash != NULL;
    for (size_t i = 0; ok && i < c->objects; i++) {
        hl_obj *o = make_member(c, i, &pop_hash[i]);
        ok = o != NULL && hl_list_append(rt, population, o) == 0;
    }
    c->rss_peak = hl_objwl_rss_bytes();
    c->population_live = hl_objwl_live_bytes(rt);

    c->survivors = ok ? hl_list_new(rt) : NULL;
    ok = ok && c->survivors != NULL;
    uint64_t rng = hl_mix64(c->seed + 7);
    for (size_t i = 0; ok && i < c->objects; i++) {
        if (hl_rand_below(&rng, 100) >= c->keep_pct)
            continue;
        hl_obj *o = hl_list_get(population, i);
        ok = hl_list_append(rt, c->survivors, hl_obj_newref(rt, o)) == 0;
        c->surv_hash[c->n_survivors++] = pop_hash[i];
    }
    hl_obj_decref(rt, population); /* frees every object not kept */
    free(pop_hash);
    c->rss_after_free = hl_objwl_rss_bytes();

    c->ring_cap = c->objects - c->n_survivors;
    if (c->ring_cap == 0)
        c->ring_cap = 1;
    c->ring = ok ? hl_list_new(rt) : NULL;
    ok = ok && c->ring != NULL;
    for (size_t i = 0; ok && i < c->ring_cap; i++)
        ok = hl_list_append(rt, c->ring, hl_none(rt)) == 0;
    if (!ok) {
        hl_obj_decref(rt, c->survivors);
        hl_obj_decref(rt, c->ring);
        fr_free(c);
        hl_objwl_fail(err, errlen, "fragmentation: out of memory building a population of %zu",
                      (size_t)env->params[P_OBJECTS]);
        return NULL;
    }
    return c;
}

static void check_ring_slot(fr_ctx *c, hl_obj *o, uint64_t id)
{
    if (hl_objwl_content_hash(o, 0) != c->ring_hash[id % c->ring_cap])
        hl_objwl_check_fail(&c->check, "new str %" PRIu64 " changed while alive", id);
}

static uint64_t fr_run(void *vctx, uint64_t n)
{
    fr_ctx *c = vctx;
    for (uint64_t j = 0; j < n; j++) {
        uint64_t id = c->made++;
        size_t slot = (size_t)(id % c->ring_cap);
        if (id >= c->ring_cap)
            check_ring_slot(c, hl_list_get(c->ring, slot), id - c->ring_cap);
        else
            c->ring_filled++;
        uint64_t h = new_str_text(c, id);
        hl_obj *s = hl_str_new(c->rt, c->text, c->new_str);
        if (s == NULL || hl_list_set(c->rt, c->ring, slot, s) != 0) {
            hl_objwl_check_fail(&c->check, "out of memory making new str %" PRIu64, id);
            continue;
        }
        c->ring_hash[slot] = h;
        c->checksum = hl_objwl_mix(c->checksum, h);
    }
    return n;
}

static int fr_verify(void *vctx, char *err, size_t errlen)
{
    fr_ctx *c = vctx;
    if (hl_list_len(c->survivors) != c->n_survivors || hl_list_len(c->ring) != c->ring_cap)
        return hl_objwl_fail(err, errlen,
                             "fragmentation: %zu survivors and %zu ring slots, "
                             "expected %zu and %zu",
                             hl_list_len(c->survivors), hl_list_len(c->ring), c->n_survivors,
                             c->ring_cap);
    for (size_t i = 0; i < c->n_survivors; i++)
        if (hl_objwl_content_hash(hl_list_get(c->survivors, i), 1) != c->surv_hash[i])
            hl_objwl_check_fail(&c->check, "survivor %zu changed while alive", i);
    for (uint64_t id = c->made > c->ring_cap ? c->made - c->ring_cap : 0; id < c->made; id++)
        check_ring_slot(c, hl_list_get(c->ring, (size_t)(id % c->ring_cap)), id);
    if (hl_objwl_check_report(&c->check, "fragmentation", err, errlen) != 0)
        return -1;
    uint64_t live = hl_rt_live_objects(c->rt);
    uint64_t want = c->live_baseline + 2 + c->n_survivors + c->ring_filled;
    if (live != want)
        return hl_objwl_fail(err, errlen,
                             "fragmentation: %" PRIu64 " objects alive, expected %" PRIu64
                             " (%zu survivors, %" PRIu64 " new strs, 2 lists)",
                             live, want, c->n_survivors, c->ring_filled);
    return 0;
}

static size_t fr_metrics(void *vctx, hl_metric *out, size_t max)
{
    fr_ctx *c = vctx;
    int64_t rss = hl_objwl_rss_bytes();
    int64_t live = hl_objwl_live_bytes(c->rt);
    double used = (double)(rss - c->rss_baseline);
    hl_metric all[] = {
        {"rss_bytes", (double)rss, "bytes"},
        {"live_bytes", (double)live, "bytes"},
        {"rss_over_live", live > 0 ? used / (double)live : 0.0, "ratio"},
        {"rss_baseline_bytes", (double)c->rss_baseline, "bytes"},
        {"rss_peak_bytes", (double)c->rss_peak, "bytes"},
        {"rss_after_free_bytes", (double)c->rss_after_free, "bytes"},
        {"population_live_bytes", (double)c->population_live, "bytes"},
        {"survivors", (double)c->n_survivors, "objects"},
        {"checksum", hl_objwl_checksum_metric(c->checksum), ""},
    };
    size_t k = 0;
    for (; k < sizeof all / sizeof all[0] && k < max; k++)
        out[k] = all[k];
    return k;
}

static void fr_teardown(void *vctx)
{
    fr_ctx *c = vctx;
    hl_obj_decref(c->rt, c->survivors);
    hl_obj_decref(c->rt, c->ring);
    fr_free(c);
}

static const hl_metric_desc fr_metric_descs[] = {
    {"rss_bytes", "bytes", "process RSS at the end", false, NULL},
    {"live_bytes", "bytes", "bytes live in the object layer at the end", false, NULL},
    {"rss_over_live", "ratio", "(RSS - start-up RSS) / live bytes at the end", false, NULL},
    {"rss_baseline_bytes", "bytes", "RSS before the population was built", false, NULL},
    {"rss_peak_bytes", "bytes", "RSS with the whole population live", false, NULL},
    {"rss_after_free_bytes", "bytes", "RSS after 90% of the population was freed", false, NULL},
    {"population_live_bytes", "bytes", "live bytes of the whole population", false, NULL},
    {"survivors", "objects", "objects kept when the rest was freed", false, NULL},
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_fragmentation = {
    .name = "fragmentation",
    .description = "mixed population, 90% freed at random, then another size: RSS vs live bytes",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .op_unit = "new-size object made",
    .params = fr_params,
    .n_params = P_COUNT,
    .setup = fr_setup,
    .run = fr_run,
    .verify = fr_verify,
    .metrics = fr_metrics,
    .metric_descs = fr_metric_descs,
    .n_metric_descs = sizeof fr_metric_descs / sizeof fr_metric_descs[0],
    .teardown = fr_teardown,
};
