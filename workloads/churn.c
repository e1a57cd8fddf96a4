/* churn.c - short-lived small objects, as an interpreter's inner loop makes.
 *
 * How it works
 * ------------
 * Evaluating `x = a * b + 1.5; s = name + "_x"; t = (x, s)` makes a stream of
 * ints, floats, small strs and small tuples that die a few bytecodes later:
 * CPython's measurements put 98.9% of allocator calls below 512 bytes, with
 * str and tuple dominating object counts (pystats counts of the whole
 * pyperformance suite, faster-cpython/benchmarking-archive, bm-20240214
 * 3.13.0a3 pystats report; GH-12850 review).  This workload models
 * the value stack and the locals as a ring of `window` slots: each
 * iteration builds one value (an int beyond the small-int cache, a float, a
 * str of 2..str_max bytes, or a 2/3-tuple of such values), stores it in the
 * next slot and drops whatever the slot held before.  Only the tuples are
 * GC containers, so they drive gen-0 collections exactly as CPython's
 * tuples do; nothing cyclic is made, so those collections free nothing.
 *
 * Verification: when a value is made, the hash of what was stored is
 * computed from the C values (objwl_util.h); when the value is dropped its
 * object is hashed again and the two must agree, so a backend that scribbles
 * on a live object is caught.  verify() also checks the objects still in the
 * window, that the runtime holds exactly the objects the window accounts for
 * (a corrupted reference count leaks objects), and that the collector freed
 * nothing.
 *
 * One operation = one object created (and, a window later, dropped).
 */
#include "../objects/gc.h"
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <inttypes.h>
#include <stdlib.h>

enum { P_WINDOW, P_STR_MAX, P_COUNT };

static const hl_param churn_params[P_COUNT] = {
    [P_WINDOW] = {"window", "values alive at once (the value stack and locals)", 64, 64, 1,
                  1 << 20},
    [P_STR_MAX] = {"str_max", "longest str made (bytes; at least 2)", 40, 40, 2, 4096},
};

/* Invariant: obj == NULL iff the slot was never filled; otherwise obj holds
 * one reference owned by the slot, `hash` is the content hash of what was
 * stored, and `objects` how many objects the value made (1 + tuple items). */
typedef struct churn_slot {
    hl_obj *obj;
    uint64_t hash;
    uint32_t objects;
} churn_slot;

typedef struct churn_ctx {
    hl_rt *rt;
    size_t window;
    size_t str_max;
    uint64_t rng;
    uint64_t made;           /* values made so far: the next slot is made % window */
    uint64_t objects_made;   /* operations */
    uint64_t live_in_window; /* sum of slots' objects */
    uint64_t live_baseline;  /* hl_rt_live_objects() with an empty window */
    uint64_t collected_baseline;
    uint64_t checksum; /* over every value made, in order */
    char *text;        /* str_max bytes of scratch for str contents */
    churn_slot *slots;
    hl_objwl_check check;
} churn_ctx;

/* An int never in the small-int cache (-5..256), of 1 to 3 30-bit digits. */
static int64_t draw_int(uint64_t *rng)
{
    uint64_t r = hl_sm64(rng);
    static const uint64_t spans[3] = {1ull << 29, 1ull << 59, 1ull << 62};
    int64_t v = (int64_t)(1000 + hl_below(r, spans[r & 1 ? 0 : (r >> 1) & 1 ? 1 : 2]));
    return (r >> 2) & 1 ? -v : v;
}

/* One scalar value: returns a new reference and its expected hash.  NULL
 * when out of memory. */
static hl_obj *make_scalar(churn_ctx *c, uint64_t *hash)
{
    uint64_t r = hl_sm64(&c->rng);
    switch (r % 3) {
    case 0: {
        int64_t v = draw_int(&c->rng);
        *hash = hl_objwl_h_int(v);
        return hl_int_new(c->rt, v);
    }
    case 1: {
        double d = (double)(int64_t)(r >> 12) / 1024.0 + 0.25;
        *hash = hl_objwl_h_float(d);
        return hl_float_new(c->rt, d);
    }
    default: {
        size_t len = 2 + (size_t)hl_rand_below(&c->rng, c->str_max - 1);
        hl_objwl_fill_text(c->text, len, r);
        *hash = hl_objwl_h_str(c->text, len);
        return hl_str_new(c->rt, c->text, len);
    }
    }
}

/* One value for the next slot; objects = how many objects it made. */
static hl_obj *make_value(churn_ctx *c, uint64_t *hash, uint32_t *objects)
{
    if (hl_rand_below(&c->rng, 4) != 0) {
        *objects = 1;
        return make_scalar(c, hash);
    }
    size_t n = 2 + (size_t)hl_rand_below(&c->rng, 2);
    hl_obj *t = hl_tuple_new(c->rt, n);
    if (t == NULL)
        return NULL;
    uint64_t h = hl_objwl_h_seq_start(HL_OBJWL_H_TUPLE, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t ih = 0;
        hl_obj *item = make_scalar(c, &ih);
        if (item == NULL) {
            hl_obj_decref(c->rt, t);
            return NULL;
        }
        hl_tuple_set(c->rt, t, i, item);
        h = hl_objwl_mix(h, ih);
    }
    *hash = h;
    *objects = (uint32_t)(1 + n);
    return t;
}

static void check_slot(churn_ctx *c, const churn_slot *s, uint64_t index)
{
    uint64_t got = hl_objwl_content_hash(s->obj, 1);
    if (got != s->hash)
        hl_objwl_check_fail(&c->check,
                            "value %" PRIu64 " (a %s) changed while alive: hash %016" PRIx64
                            ", stored %016" PRIx64,
                            index, hl_obj_type_name(s->obj), got, s->hash);
}

static void drop_slot(churn_ctx *c, churn_slot *s, uint64_t index)
{
    if (s->obj == NULL)
        return;
    check_slot(c, s, index);
    hl_obj_decref(c->rt, s->obj);
    c->live_in_window -= s->objects;
    s->obj = NULL;
}

static void *churn_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    churn_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "churn: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->window = (size_t)env->params[P_WINDOW];
    c->str_max = (size_t)env->params[P_STR_MAX];
    c->rng = env->seed;
    c->slots = calloc(c->window, sizeof *c->slots);
    c->text = malloc(c->str_max);
    if (c->slots == NULL || c->text == NULL) {
        hl_objwl_fail(err, errlen, "churn: out of memory for a window of %zu", c->window);
        free(c->slots);
        free(c->text);
        free(c);
        return NULL;
    }
    c->live_baseline = hl_rt_live_objects(c->rt);
    c->collected_baseline = hl_objwl_gc_collected(c->rt);
    return c;
}

static uint64_t churn_run(void *vctx, uint64_t n)
{
    churn_ctx *c = vctx;
    uint64_t objects = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t index = c->made++;
        churn_slot *s = &c->slots[index % c->window];
        uint64_t hash = 0;
        uint32_t count = 0;
        hl_obj *v = make_value(c, &hash, &count);
        /* The previous occupant dies when its slot is overwritten. */
        drop_slot(c, s, index - c->window);
        if (v == NULL) {
            hl_objwl_check_fail(&c->check, "out of memory making value %" PRIu64, index);
            continue;
        }
        *s = (churn_slot){v, hash, count};
        c->live_in_window += count;
        c->checksum = hl_objwl_mix(c->checksum, hash);
        objects += count;
    }
    c->objects_made += objects;
    return objects > n ? objects : n;
}

static int churn_verify(void *vctx, char *err, size_t errlen)
{
    churn_ctx *c = vctx;
    uint64_t in_window = 0;
    for (size_t i = 0; i < c->window; i++) {
        if (c->slots[i].obj != NULL)
            check_slot(c, &c->slots[i], i);
        in_window += c->slots[i].obj != NULL ? c->slots[i].objects : 0;
    }
    if (in_window != c->live_in_window) /* our own bookkeeping first */
        return hl_objwl_fail(err, errlen,
                             "churn: internal: the window holds %" PRIu64
                             " objects, the count says %" PRIu64,
                             in_window, c->live_in_window);
    if (hl_objwl_check_report(&c->check, "churn", err, errlen) != 0)
        return -1;
    uint64_t live = hl_rt_live_objects(c->rt);
    if (live != c->live_baseline + c->live_in_window)
        return hl_objwl_fail(err, errlen,
                             "churn: %" PRIu64 " objects alive, expected %" PRIu64
                             " (%" PRIu64 " in the window): objects leaked or freed early",
                             live, c->live_baseline + c->live_in_window, c->live_in_window);
    uint64_t collected = hl_objwl_gc_collected(c->rt) - c->collected_baseline;
    if (collected != 0)
        return hl_objwl_fail(err, errlen,
                             "churn: the collector freed %" PRIu64
                             " objects, but churn makes no cycles",
                             collected);
    return 0;
}

static size_t churn_metrics(void *vctx, hl_metric *out, size_t max)
{
    churn_ctx *c = vctx;
    size_t k = 0;
    if (k < max)
        out[k++] = (hl_metric){"checksum", hl_objwl_checksum_metric(c->checksum), ""};
    if (k < max)
        out[k++] = (hl_metric){"objects_made", (double)c->objects_made, "objects"};
    return k;
}

static void churn_teardown(void *vctx)
{
    churn_ctx *c = vctx;
    for (size_t i = 0; i < c->window; i++) {
        if (c->slots[i].obj != NULL)
            hl_obj_decref(c->rt, c->slots[i].obj);
    }
    free(c->slots);
    free(c->text);
    free(c);
}

static const hl_metric_desc churn_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"objects_made", "objects", "objects created and dropped", false, NULL},
};

const hl_workload hl_wl_churn = {
    .name = "churn",
    .description = "short-lived ints, floats, strs and small tuples made and dropped",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .op_unit = "object made and dropped",
    .params = churn_params,
    .n_params = P_COUNT,
    .setup = churn_setup,
    .run = churn_run,
    .verify = churn_verify,
    .metrics = churn_metrics,
    .metric_descs = churn_metric_descs,
    .n_metric_descs = sizeof churn_metric_descs / sizeof churn_metric_descs[0],
    .teardown = churn_teardown,
};
