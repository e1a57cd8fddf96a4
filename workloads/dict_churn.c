/* dict_churn.c - dicts with str keys: inserts, updates, deletes, lookups,
 * growth from empty and replacement.
 *
 * How it works
 * ------------
 * Python programs live on dicts keyed by strs (instance __dict__s, keyword
 * arguments, JSON-like records, caches).  The object layer lays a dict out
 * as CPython's compact dict: a fixed 64-byte object plus one table block
 * (header, index array, entry array) from item_mem that is reallocated as
 * the dict grows (and rebuilt when deletions leave it full of dummies).
 *
 * `dicts` dicts live at once.  Each operation picks a dict and one of `keys`
 * possible keys (strs of 6..29 bytes, e.g. "k17_Xa9..."), then: 45% set it
 * (a new int value object), 25% delete it, 30% look it up.  The key strs
 * are made once at set-up and shared by every dict, as a Python program
 * holds its keys (workloads/python/dict_churn.py): a dict stores a
 * reference to the key, not a copy.  Every `replace_every` operations one dict is
 * checked in full and replaced by a new empty one, so tables are grown from
 * scratch again and again, as short-lived dicts are.
 *
 * Verification against a reference model: for every dict the workload keeps
 * which keys are present and their values in plain C arrays.  Each delete
 * and lookup must agree with the model (present or absent, the same value);
 * a full check walks the dict in iteration order, finds every key in the
 * model and counts them.  verify() checks every dict in full and that the
 * runtime holds exactly the key strs, dicts and value ints the model says.
 *
 * One operation = one set, delete or lookup.
 */
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_DICTS, P_KEYS, P_REPLACE, P_COUNT };

static const hl_param dc_params[P_COUNT] = {
    [P_DICTS] = {"dicts", "dicts alive at once", 64, 16, 1, 65536},
    [P_KEYS] = {"keys", "distinct str keys a dict may hold", 512, 128, 1, 1 << 20},
    [P_REPLACE] = {"replace_every",
                   "operations between two full checks + replacements of a dict (0 = never)", 2000,
                   500, 0, 1 << 30},
};

/* The value ints are made >= 1000 so none is a cached small int and every
 * present key accounts for exactly one live object (its value int). */
#define DC_VALUE_BASE 1000

typedef struct dc_ctx {
    hl_rt *rt;
    size_t dicts, keys;
    uint64_t replace_every;
    uint64_t rng;
    char **key_text;    /* keys C strings */
    hl_obj **key;       /* keys str objects, one reference each */
    hl_obj **d;         /* dicts */
    uint8_t *present;   /* [dict * keys + key] */
    int64_t *value;     /* [dict * keys + key], valid when present */
    size_t *count;      /* present keys per dict */
    uint64_t present_total;
    uint64_t ops, sets, dels, gets, replaced;
    uint64_t live_baseline; /* with the key strs, before the dicts were made */
    uint64_t checksum;
    hl_objwl_check check;
} dc_ctx;

static void dc_free(dc_ctx *c)
{
    if (c->key_text != NULL)
        for (size_t k = 0; k < c->keys; k++)
            free(c->key_text[k]);
    free(c->key_text);
    free(c->key);
    free(c->d);
    free(c->present);
    free(c->value);
    free(c->count);
    free(c);
}

/* Checks dict i against the model in full. */
static void check_dict(dc_ctx *c, size_t i)
{
    hl_obj *d = c->d[i];
    if (hl_dict_len(d) != c->count[i]) {
        hl_objwl_check_fail(&c->check, "dict %zu has %zu keys, the model %zu", i, hl_dict_len(d),
                            c->count[i]);
        return;
    }
    size_t pos = 0, seen = 0;
    hl_obj *key, *val;
    uint64_t h = hl_objwl_h_seq_start(HL_OBJWL_H_DICT, c->count[i]);
    while (hl_dict_next(d, &pos, &key, &val)) {
        seen++;
        if (key == NULL || hl_obj_kind(key) != HL_KIND_STR || val == NULL ||
            hl_obj_kind(val) != HL_KIND_INT) {
            hl_objwl_check_fail(&c->check, "dict %zu holds an entry that is not str -> int", i);
            return;
        }
        /* Key texts are "k<index>_...": the index names the model slot. */
        const char *s = hl_str_data(key);
        char *end;
        unsigned long k = s[0] == 'k' ? strtoul(s + 1, &end, 10) : (unsigned long)-1;
        if (k >= c->keys || strcmp(s, c->key_text[k]) != 0 || !c->present[i * c->keys + k] ||
            hl_int_value(val) != c->value[i * c->keys + k]) {
            hl_objwl_check_fail(&c->check,
                                "dict %zu holds key \"%.40s\" -> %" PRId64
                                ", which the model does not",
                                i, s, hl_int_value(val));
            return;
        }
        h = hl_objwl_mix(h, hl_objwl_h_str(s, hl_str_len(key)));
        h = hl_objwl_mix(h, hl_objwl_h_int(hl_int_value(val)));
    }
    if (seen != c->count[i])
        hl_objwl_check_fail(&c->check, "iterating dict %zu gave %zu entries, its length is %zu", i,
                            seen, c->count[i]);
    c->checksum = hl_objwl_mix(c->checksum, h);
}

static void *dc_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    dc_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "dict_churn: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->dicts = (size_t)env->params[P_DICTS];
    c->keys = (size_t)env->params[P_KEYS];
    c->replace_every = (uint64_t)env->params[P_REPLACE];
    c->rng = env->seed;
    size_t cells = c->dicts * c->keys;
    c->key_text = calloc(c->keys, sizeof *c->key_text);
    c->key = calloc(c->keys, sizeof *c->key);
    c->d = calloc(c->dicts, sizeof *c->d);
    c->present = calloc(cells, 1);
    c->value = calloc(cells, sizeof *c->value);
    c->count = calloc(c->dicts, sizeof *c->count);
    bool ok = c->key_text && c->key && c->d && c->present && c->value && c->count;
    for (size_t k = 0; ok && k < c->keys; k++) {
        size_t tail = 4 + (size_t)hl_rand_below(&c->rng, 16);
        char *t = malloc(32);
        if (t == NULL) {
            ok = false;
            break;
        }
        int head = snprintf(t, 32, "k%zu_", k);
        hl_objwl_fill_text(t + head, tail, hl_sm64(&c->rng));
        t[head + (int)tail] = '\0';
        c->key_text[k] = t;
        c->key[k] = hl_str_new(c->rt, t, strlen(t));
        if (c->key[k] == NULL) {
            ok = false;
            break;
        }
    }
    if (!ok) {
        for (size_t k = 0; c->key != NULL && k < c->keys; k++)
            hl_obj_decref(c->rt, c->key[k]);
        dc_free(c);
        hl_objwl_fail(err, errlen, "dict_churn: out of memory for a %zu x %zu model",
                      (size_t)env->params[P_DICTS], (size_t)env->params[P_KEYS]);
        return NULL;
    }
    c->live_baseline = hl_rt_live_objects(c->rt);
    for (size_t i = 0; i < c->dicts; i++) {
        c->d[i] = hl_dict_new(c->rt);
        if (c->d[i] == NULL) {
            for (size_t j = 0; j < i; j++)
                hl_obj_decref(c->rt, c->d[j]);
            for (size_t k = 0; k < c->keys; k++)
                hl_obj_decref(c->rt, c->key[k]);
            dc_free(c);
            hl_objwl_fail(err, errlen, "dict_churn: out of memory making the dicts");
            return NULL;
        }
    }
    return c;
}

static void replace_dict(dc_ctx *c, size_t i)
{
    check_dict(c, i);
    hl_obj *fresh = hl_dict_new(c->rt);
    if (fresh == NULL) {
        hl_objwl_check_fail(&c->check, "out of memory replacing dict %zu", i);
        return;
    }
    hl_obj_decref(c->rt, c->d[i]);
    c->d[i] = fresh;
    memset(&c->present[i * c->keys], 0, c->keys);
    c->present_total -= c->count[i];
    c->count[i] = 0;
    c->replaced++;
}

static void one_op(dc_ctx *c)
{
    uint64_t r = hl_sm64(&c->rng);
    size_t i = (size_t)hl_below(r, c->dicts);
    size_t k = (size_t)hl_rand_below(&c->rng, c->keys);
    unsigned what = (unsigned)((r & 0xFFFF) % 100);
    size_t cell = i * c->keys + k;
    const char *key = c->key_text[k];
    hl_obj *kobj = c->key[k];
    hl_obj *d = c->d[i];
    if (what < 45) {
        int64_t v = DC_VALUE_BASE + (int64_t)(hl_sm64(&c->rng) >> 20);
        if (hl_dict_set(c->rt, d, hl_obj_newref(c->rt, kobj), hl_int_new(c->rt, v)) != 0) {
            hl_objwl_check_fail(&c->check, "setting \"%s\" in dict %zu failed", key, i);
            return;
        }
        if (!c->present[cell]) {
            c->present[cell] = 1;
            c->count[i]++;
            c->present_total++;
        }
        c->value[cell] = v;
        c->sets++;
    } else if (what < 70) {
        int rc = hl_dict_del(c->rt, d, kobj);
        if ((rc == 0) != (c->present[cell] != 0))
            hl_objwl_check_fail(&c->check, "deleting \"%s\" from dict %zu: %s, the model says %s",
                                key, i, rc == 0 ? "deleted" : "absent",
                                c->present[cell] ? "present" : "absent");
        if (rc == 0 && c->present[cell]) {
            c->present[cell] = 0;
            c->count[i]--;
            c->present_total--;
        }
        c->dels++;
    } else {
        hl_obj *v = hl_dict_get(d, kobj);
        bool ok = c->present[cell] ? v != NULL && hl_obj_kind(v) == HL_KIND_INT &&
                                         hl_int_value(v) == c->value[cell]
                                   : v == NULL;
        if (!ok)
            hl_objwl_check_fail(&c->check,
                                "lookup of \"%s\" in dict %zu gave %s, the model says %s %" PRId64,
                                key, i, v == NULL ? "nothing" : "a different value",
                                c->present[cell] ? "present" : "absent",
                                c->present[cell] ? c->value[cell] : 0);
        c->checksum = hl_objwl_mix(c->checksum, v != NULL ? (uint64_t)hl_int_value(v) : 1);
        c->gets++;
    }
}

static uint64_t dc_run(void *vctx, uint64_t n)
{
    dc_ctx *c = vctx;
    for (uint64_t j = 0; j < n; j++) {
        one_op(c);
        c->ops++;
        if (c->replace_every != 0 && c->ops % c->replace_every == 0)
            replace_dict(c, (size_t)hl_rand_below(&c->rng, c->dicts));
    }
    return n;
}

static int dc_verify(void *vctx, char *err, size_t errlen)
{
    dc_ctx *c = vctx;
    uint64_t saved = c->checksum;
    for (size_t i = 0; i < c->dicts; i++)
        check_dict(c, i);
    c->checksum = saved;
    if (hl_objwl_check_report(&c->check, "dict_churn", err, errlen) != 0)
        return -1;
    uint64_t live = hl_rt_live_objects(c->rt);
    uint64_t want = c->live_baseline + c->dicts + c->present_total;
    if (live != want)
        return hl_objwl_fail(err, errlen,
                             "dict_churn: %" PRIu64
                             " objects alive, the model accounts for %" PRIu64
                             " (%zu key strs, %zu dicts, %" PRIu64 " values)",
                             live, want, c->keys, c->dicts, c->present_total);
    return 0;
}

static size_t dc_metrics(void *vctx, hl_metric *out, size_t max)
{
    dc_ctx *c = vctx;
    size_t k = 0;
    if (k < max)
        out[k++] = (hl_metric){"checksum", hl_objwl_checksum_metric(c->checksum), ""};
    if (k < max)
        out[k++] = (hl_metric){"keys_present", (double)c->present_total, "keys"};
    if (k < max)
        out[k++] = (hl_metric){"dicts_replaced", (double)c->replaced, "dicts"};
    return k;
}

static void dc_teardown(void *vctx)
{
    dc_ctx *c = vctx;
    for (size_t i = 0; i < c->dicts; i++)
        hl_obj_decref(c->rt, c->d[i]);
    for (size_t k = 0; k < c->keys; k++)
        hl_obj_decref(c->rt, c->key[k]);
    dc_free(c);
}

static const hl_metric_desc dc_metric_descs[] = {
    HL_METRIC_DESC_CHECKSUM,
    {"keys_present", "keys", "keys present at the end, over all dicts", false, NULL},
    {"dicts_replaced", "dicts", "dicts dropped and rebuilt", false, NULL},
};

const hl_workload hl_wl_dict_churn = {
    .name = "dict_churn",
    .description = "str-keyed dicts: sets, deletes, lookups, growth from empty, replacement",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .op_unit = "dict set, delete or lookup",
    .params = dc_params,
    .n_params = P_COUNT,
    .setup = dc_setup,
    .run = dc_run,
    .verify = dc_verify,
    .metrics = dc_metrics,
    .metric_descs = dc_metric_descs,
    .n_metric_descs = sizeof dc_metric_descs / sizeof dc_metric_descs[0],
    .teardown = dc_teardown,
};
