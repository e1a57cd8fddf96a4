/* list_grow.c - lists appended to, popped from and dropped.
 *
 * How it works
 * ------------
 * `result = []; for x in ...: result.append(x)` is the most common way a
 * Python program makes a list.  The object layer grows the item array the way
 * CPython's list_resize does (new_allocated = n + n/8 + 6, rounded to 4:
 * 0, 4, 8, 16, 24, 32, 40, 52, 64, 76, ...), so an append-built list
 * reallocates its item array about log_{9/8}(n) times and crosses the 512 B
 * line (64 pointers) where pymalloc hands requests to the system malloc
 * (CPython Objects/listobject.c list_resize; Objects/obmalloc.c
 * SMALL_REQUEST_THRESHOLD).  Whether the allocator
 * can grow a block in place, and how it moves blocks across that line, is
 * what this workload measures.
 *
 * One round: `lists` lists are built side by side, one append to each in
 * turn (so no list is the only thing growing at the top of the heap), to a
 * length drawn from [length/2, length]; then each list is popped from the
 * end down to a quarter of its length (list_resize shrinks the array once
 * fewer than half the slots are used), and all lists are dropped.  Items
 * are ints: 3 in 4 are small ints (the cached singletons -5..256 that most
 * list contents are), the rest are allocated ints, so the item arrays are
 * most of the traffic but not all of it.
 *
 * Verification: every list's length, and the hash of its contents in order
 * (objwl_util.h), computed from the C values appended, are compared after
 * the appends; every popped item must be the one appended at that position;
 * verify() checks the runtime holds exactly the set-up's objects.
 *
 * One operation = one append or pop.
 */
#include "../objects/gc.h"
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <inttypes.h>
#include <stdlib.h>

enum { P_LISTS, P_LENGTH, P_COUNT };

static const hl_param lg_params[P_COUNT] = {
    [P_LISTS] = {"lists", "lists grown side by side in each round", 8, 8, 1, 4096},
    [P_LENGTH] = {"length", "longest list (items); lengths are drawn from [length/2, length]",
                  1000, 300, 2, 1 << 22},
};

/* Per list of the current round: the values appended, in order. */
typedef struct lg_list {
    hl_obj *list;
    size_t target;
    int64_t *values;
} lg_list;

typedef struct lg_ctx {
    hl_rt *rt;
    size_t lists, length;
    uint64_t rng;
    lg_list *round; /* `lists` entries, values arrays of `length` */
    uint64_t rounds, ops;
    uint64_t live_baseline;
    uint64_t checksum;
    hl_objwl_check check;
} lg_ctx;

static int64_t draw_item(uint64_t *rng)
{
    uint64_t r = hl_sm64(rng);
    if ((r & 3) != 0)
        return (int64_t)(r >> 8) % 262 - 5; /* a cached small int */
    return 1000 + (int64_t)((r >> 8) & 0xFFFFFF);
}

static void *lg_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    lg_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "list_grow: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->lists = (size_t)env->params[P_LISTS];
    c->length = (size_t)env->params[P_LENGTH];
    c->rng = env->seed;
    c->round = calloc(c->lists, sizeof *c->round);
    bool ok = c->round != NULL;
    for (size_t i = 0; ok && i < c->lists; i++) {
        c->round[i].values = malloc(c->length * sizeof(int64_t));
        ok = c->round[i].values != NULL;
    }
    if (!ok) {
        for (size_t i = 0; c->round != NULL && i < c->lists; i++)
            free(c->round[i].values);
        free(c->round);
        free(c);
        hl_objwl_fail(err, errlen, "list_grow: out of memory for %zu x %zu reference values",
                      (size_t)env->params[P_LISTS], (size_t)env->params[P_LENGTH]);
        return NULL;
    }
    c->live_baseline = hl_rt_live_objects(c->rt);
    return c;
}

/* One round; returns the appends and pops it made. */
static uint64_t lg_round(lg_ctx *c)
{
    hl_rt *rt = c->rt;
    uint64_t ops = 0;
    size_t longest = 0;
    for (size_t i = 0; i < c->lists; i++) {
        lg_list *l = &c->round[i];
        l->list = hl_list_new(rt);
        l->target = c->length / 2 + (size_t)hl_rand_below(&c->rng, c->length - c->length / 2 + 1);
        if (l->target > longest)
            longest = l->target;
        if (l->list == NULL)
            hl_objwl_check_fail(&c->check, "out of memory making list %zu of round %" PRIu64, i,
                                c->rounds);
    }
    /* Appends, interleaved across the lists. */
    for (size_t k = 0; k < longest; k++) {
        for (size_t i = 0; i < c->lists; i++) {
            lg_list *l = &c->round[i];
            if (k >= l->target || l->list == NULL)
                continue;
            int64_t v = draw_item(&c->rng);
            l->values[k] = v;
            if (hl_list_append(rt, l->list, hl_int_new(rt, v)) != 0)
                hl_objwl_check_fail(&c->check, "append %zu to list %zu failed", k, i);
            ops++;
        }
    }
    /* Contents as appended. */
    for (size_t i = 0; i < c->lists; i++) {
        lg_list *l = &c->round[i];
        if (l->list == NULL)
            continue;
        uint64_t want = hl_objwl_h_seq_start(HL_OBJWL_H_LIST, l->target);
        for (size_t k = 0; k < l->target; k++)
            want = hl_objwl_mix(want, hl_objwl_h_int(l->values[k]));
        uint64_t got = hl_objwl_content_hash(l->list, 1);
        if (got != want || hl_list_len(l->list) != l->target ||
            hl_list_allocated(l->list) < l->target)
            hl_objwl_check_fail(&c->check,
                                "list %zu of round %" PRIu64 ": length %zu (allocated %zu), "
                                "expected %zu; contents hash %016" PRIx64 ", expected %016" PRIx64,
                                i, c->rounds, hl_list_len(l->list), hl_list_allocated(l->list),
                                l->target, got, want);
        c->checksum = hl_objwl_mix(c->checksum, got);
    }
    /* Pops from the end down to a quarter, interleaved again: the arrays
     * shrink through the same sizes they grew through. */
    for (size_t k = longest; k-- > 0;) {
        for (size_t i = 0; i < c->lists; i++) {
            lg_list *l = &c->round[i];
            if (l->list == NULL || k >= l->target || k < l->target / 4)
                continue;
            hl_obj *item = hl_list_pop(rt, l->list, hl_list_len(l->list) - 1);
            if (item == NULL || hl_obj_kind(item) != HL_KIND_INT ||
                hl_int_value(item) != l->values[k])
                hl_objwl_check_fail(&c->check,
                                    "pop of item %zu of list %zu gave %s %" PRId64
                                    ", appended %" PRId64,
                                    k, i, item == NULL ? "nothing" : hl_obj_type_name(item),
                                    item != NULL && hl_obj_kind(item) == HL_KIND_INT
                                        ? hl_int_value(item)
                                        : 0,
                                    l->values[k]);
            hl_obj_decref(rt, item);
            ops++;
        }
    }
    for (size_t i = 0; i < c->lists; i++) {
        lg_list *l = &c->round[i];
        if (l->list != NULL && hl_list_len(l->list) != l->target / 4)
            hl_objwl_check_fail(&c->check, "list %zu has %zu items after the pops, expected %zu",
                                i, hl_list_len(l->list), l->target / 4);
        hl_obj_decref(rt, l->list);
        l->list = NULL;
    }
    c->rounds++;
    return ops;
}

static uint64_t lg_run(void *vctx, uint64_t n)
{
    lg_ctx *c = vctx;
    uint64_t ops = 0;
    for (uint64_t i = 0; i < n; i++)
        ops += lg_round(c);
    c->ops += ops;
    return ops > n ? ops : n;
}

static int lg_verify(void *vctx, char *err, size_t errlen)
{
    lg_ctx *c = vctx;
    if (hl_objwl_check_report(&c->check, "list_grow", err, errlen) != 0)
        return -1;
    uint64_t live = hl_rt_live_objects(c->rt);
    if (live != c->live_baseline)
        return hl_objwl_fail(err, errlen,
                             "list_grow: %" PRIu64 " objects alive after every round's lists "
                             "died, expected %" PRIu64,
                             live, c->live_baseline);
    return 0;
}

static size_t lg_metrics(void *vctx, hl_metric *out, size_t max)
{
    lg_ctx *c = vctx;
    size_t k = 0;
    if (k < max)
        out[k++] = (hl_metric){"checksum", hl_objwl_checksum_metric(c->checksum), ""};
    if (k < max)
        out[k++] = (hl_metric){"rounds", (double)c->rounds, "rounds"};
    return k;
}

static void lg_teardown(void *vctx)
{
    lg_ctx *c = vctx;
    for (size_t i = 0; i < c->lists; i++)
        free(c->round[i].values);
    free(c->round);
    free(c);
}

static const hl_metric_desc lg_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"rounds", "rounds", "rounds of growing and dropping lists", false, NULL},
};

const hl_workload hl_wl_list_grow = {
    .name = "list_grow",
    .description = "lists built by append, popped and dropped (item-array realloc across 512 B)",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .op_unit = "append or pop",
    .params = lg_params,
    .n_params = P_COUNT,
    .setup = lg_setup,
    .run = lg_run,
    .verify = lg_verify,
    .metrics = lg_metrics,
    .metric_descs = lg_metric_descs,
    .n_metric_descs = sizeof lg_metric_descs / sizeof lg_metric_descs[0],
    .teardown = lg_teardown,
};
