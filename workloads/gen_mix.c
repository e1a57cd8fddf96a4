/* gen_mix.c - a large long-lived heap plus steady churn: the generational
 * case.
 *
 * How it works
 * ------------
 * A server or a compiler written in Python holds a big, mostly stable heap
 * (modules, caches, ASTs, ORM identity maps) while it makes short-lived
 * values at a high rate; some of those live a while (request state) and a
 * few leak into the old heap (a cache update).  CPython's generational
 * collector exists for exactly this shape: young collections must not pay
 * for the old heap, and full collections are held back by the 25% rule
 * (long_lived_pending > long_lived_total / 4, issue #4074).  Its pauses are
 * what this workload reports (CPython's published pause figures: gh-100403
 * and PR 126511).
 *
 * Set-up builds the long-lived heap: a root list of records, record i being,
 * by i mod 4,
 *     0  a tuple (id, name)              int + str
 *     1  a list [id, score]              int + float, a list display: an
 *                                        exact two-slot array
 *     2  a dict {"id": id, "name": name} literal keys (interned strs)
 *     3  an instance of Record with .id
 * whose contents derive from (seed, i, version), until the records count
 * `objects` objects at 3, 3, 5 and 4 per kind (what heaplab's model made of
 * them before issue 11, kept fixed so that every CPython model and the
 * Python twin, workloads/python/gen_mix.py, build the same records).  A
 * full collection then moves it all to the oldest generation, and the
 * pause log starts empty.
 *
 * One iteration makes a record of a random kind (the same constructors):
 * survive_pct of them go to a ring of `medium` slots (the medium-lived set;
 * the occupant they replace dies), the others die at once; cycle_pct of the
 * iterations also make a two-list cycle (garbage for the collector) and
 * mutate_pct replace a random long-lived record by a new version (an old
 * list now refers to a young object).
 *
 * Verification: every record is hashed (objwl_util.h) when it dies and in
 * verify(), and compared with the hash recomputed from (seed, i, version)
 * by the same formulas; verify() runs a full collection, after which the
 * collector must have freed exactly the cycles' containers and the runtime
 * must hold exactly the long-lived heap plus the medium ring.
 *
 * One operation = one record made.
 */
#include "../objects/gc.h"
#include "../objects/object.h"
#include "objwl_util.h"
#include "workload.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_OBJECTS, P_MEDIUM, P_SURVIVE, P_CYCLE, P_MUTATE, P_COUNT };

static const hl_param gm_params[P_COUNT] = {
    [P_OBJECTS] = {"objects", "objects in the long-lived heap", 1000000, 50000, 100, 100000000},
    [P_MEDIUM] = {"medium", "slots of medium-lived records", 10000, 2000, 1, 10000000},
    [P_SURVIVE] = {"survive_pct", "% of new records kept in the medium ring", 10, 10, 0, 100},
    [P_CYCLE] = {"cycle_pct", "% of iterations that also make a garbage cycle", 2, 2, 0, 100},
    [P_MUTATE] = {"mutate_pct", "% of iterations that replace a long-lived record", 1, 1, 0, 100},
};

#define GM_KINDS 4
#define GM_NAME_MAX 24

/* A record's identity: (id, version) determines its kind and contents. */
typedef struct gm_slot {
    hl_obj *rec; /* owned reference, NULL when empty */
    uint64_t id;
    uint32_t version;
    uint32_t objects; /* objects the record made */
} gm_slot;

typedef struct gm_ctx {
    hl_rt *rt;
    uint64_t seed;
    uint64_t rng;
    unsigned survive_pct, cycle_pct, mutate_pct;
    hl_class *record_class;
    hl_obj *heap;        /* root list of long-lived records (owned) */
    size_t n_records;    /* in heap */
    uint32_t *versions;  /* per long-lived record */
    size_t medium;
    gm_slot *ring;       /* medium-lived records */
    uint64_t made;       /* records made by run(): the next id is n_records + made */
    uint64_t kind_objects[GM_KINDS];
    uint64_t ring_objects;
    uint64_t garbage_tracked;
    uint64_t live_baseline;      /* heap alone, after set-up */
    uint64_t collected_baseline; /* after set-up's full collection */
    uint64_t heap_objects;
    uint64_t checksum;
    hl_objwl_check check;
} gm_ctx;

typedef struct gm_fields {
    int kind;
    int64_t id;
    double score;
    size_t name_len;
    char name[GM_NAME_MAX];
} gm_fields;

/* Long-lived record i has kind i % 4; a churn record's kind is random but
 * also a function of its id, so (id, version) is all that must be kept. */
static gm_fields fields_of(const gm_ctx *c, uint64_t id, uint32_t version)
{
    gm_fields f;
    uint64_t h = hl_mix64(c->seed ^ hl_mix64(id * 0x9E3779B97F4A7C15ull + version));
    f.kind = id < c->n_records ? (int)(id % GM_KINDS) : (int)(h >> 62);
    f.id = 1000 + (int64_t)(h & 0xFFFFFFFFFFull);
    f.score = (double)((h >> 20) & 0xFFFFF) / 64.0 + 0.5;
    f.name_len = 4 + (size_t)((h >> 40) % (GM_NAME_MAX - 4));
    hl_objwl_fill_text(f.name, f.name_len, h);
    return f;
}

static uint64_t expected_hash(const gm_fields *f)
{
    uint64_t h;
    switch (f->kind) {
    case 0:
        h = hl_objwl_h_seq_start(HL_OBJWL_H_TUPLE, 2);
        h = hl_objwl_mix(h, hl_objwl_h_int(f->id));
        return hl_objwl_mix(h, hl_objwl_h_str(f->name, f->name_len));
    case 1:
        h = hl_objwl_h_seq_start(HL_OBJWL_H_LIST, 2);
        h = hl_objwl_mix(h, hl_objwl_h_int(f->id));
        return hl_objwl_mix(h, hl_objwl_h_float(f->score));
    case 2:
        h = hl_objwl_h_seq_start(HL_OBJWL_H_DICT, 2);
        h = hl_objwl_mix(h, hl_objwl_h_str("id", 2));
        h = hl_objwl_mix(h, hl_objwl_h_int(f->id));
        h = hl_objwl_mix(h, hl_objwl_h_str("name", 4));
        return hl_objwl_mix(h, hl_objwl_h_str(f->name, f->name_len));
    default:
        return hl_objwl_mix(HL_OBJWL_H_INST, hl_objwl_h_int(f->id));
    }
}

static uint64_t record_hash(const hl_obj *rec)
{
    if (hl_obj_kind(rec) != HL_KIND_INST)
        return hl_objwl_content_hash(rec, 1);
    hl_obj *id = hl_inst_getattr(rec, "id");
    return hl_objwl_mix(HL_OBJWL_H_INST, id != NULL ? hl_objwl_content_hash(id, 0) : 0);
}

/* A new record; NULL when out of memory. */
static hl_obj *make_record(gm_ctx *c, const gm_fields *f)
{
    hl_rt *rt = c->rt;
    hl_obj *r;
    switch (f->kind) {
    case 0:
        return hl_tuple_pack(rt, 2, hl_int_new(rt, f->id), hl_str_new(rt, f->name, f->name_len));
    case 1:
        return hl_list_pack(rt, 2, hl_int_new(rt, f->id), hl_float_new(rt, f->score));
    case 2:
        r = hl_dict_new(rt);
        if (r != NULL &&
            (hl_dict_set_str(rt, r, "id", hl_int_new(rt, f->id)) != 0 ||
             hl_dict_set_str(rt, r, "name", hl_str_new(rt, f->name, f->name_len)) != 0)) {
            hl_obj_decref(rt, r);
            return NULL;
        }
        return r;
    default:
        r = hl_inst_new(rt, c->record_class);
        if (r != NULL && hl_inst_setattr(rt, r, "id", hl_int_new(rt, f->id)) != 0) {
            hl_obj_decref(rt, r);
            return NULL;
        }
        return r;
    }
}

static void check_record(gm_ctx *c, const hl_obj *rec, uint64_t id, uint32_t version,
                         const char *where)
{
    gm_fields f = fields_of(c, id, version);
    uint64_t want = expected_hash(&f);
    uint64_t got = record_hash(rec);
    if (got != want)
        hl_objwl_check_fail(&c->check,
                            "%s record %" PRIu64 " (version %u, a %s) changed while alive", where,
                            id, version, hl_obj_type_name(rec));
}

static void gm_free(gm_ctx *c)
{
    free(c->versions);
    free(c->ring);
    free(c);
}

static void *gm_setup(const hl_wl_env *env, char *err, size_t errlen)
{
    gm_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_objwl_fail(err, errlen, "gen_mix: out of memory for the context");
        return NULL;
    }
    c->rt = env->rt;
    c->seed = env->seed;
    c->rng = hl_mix64(env->seed + 1);
    uint64_t objects = (uint64_t)env->params[P_OBJECTS];
    c->medium = (size_t)env->params[P_MEDIUM];
    c->survive_pct = (unsigned)env->params[P_SURVIVE];
    c->cycle_pct = (unsigned)env->params[P_CYCLE];
    c->mutate_pct = (unsigned)env->params[P_MUTATE];
    c->ring = calloc(c->medium, sizeof *c->ring);
    /* Every record makes at least two objects: objects / 2 bounds the count. */
    size_t cap = (size_t)(objects / 2 + 1);
    c->versions = calloc(cap, sizeof *c->versions);
    if (c->ring == NULL || c->versions == NULL) {
        gm_free(c);
        hl_objwl_fail(err, errlen, "gen_mix: out of memory for the bookkeeping");
        return NULL;
    }
    hl_rt *rt = c->rt;
    hl_gc_collect(rt, 2); /* nothing of anyone else's left to collect */
    c->record_class = hl_class_new(rt, "Record", NULL, NULL);
    c->heap = hl_list_new(rt);
    if (c->record_class == NULL || c->heap == NULL) {
        hl_obj_decref(rt, c->heap);
        gm_free(c);
        hl_objwl_fail(err, errlen, "gen_mix: out of memory creating the heap");
        return NULL;
    }
    uint64_t base = hl_rt_live_objects(rt);
    /* n_records must be final before fields_of() decides kinds by id, so
     * the heap is built with ids that are long-lived by construction. */
    c->n_records = cap;
    static const unsigned weight[GM_KINDS] = {3, 3, 5, 4};
    uint64_t counted = 0;
    size_t i = 0;
    while (i < cap && counted < objects) {
        gm_fields f = fields_of(c, i, 0);
        uint64_t before = hl_rt_live_objects(rt);
        hl_obj *rec = make_record(c, &f);
        if (rec == NULL || hl_list_append(rt, c->heap, rec) != 0) {
            hl_obj_decref(rt, c->heap);
            gm_free(c);
            hl_objwl_fail(err, errlen, "gen_mix: out of memory building the long-lived heap");
            return NULL;
        }
        /* objects per record as this runtime makes them: from the second
         * record of each kind (the first also interns the literal keys) */
        if (i >= GM_KINDS && i < 2 * GM_KINDS)
            c->kind_objects[f.kind] = hl_rt_live_objects(rt) - before;
        counted += weight[f.kind];
        i++;
    }
    c->n_records = i;
    hl_gc_collect(rt, 2);
    hl_gc_reset_pauses(rt);
    c->heap_objects = hl_rt_live_objects(rt) - base;
    c->live_baseline = hl_rt_live_objects(rt);
    c->collected_baseline = hl_objwl_gc_collected(rt);
    if (c->n_records < 2 * GM_KINDS) {
        hl_obj_decref(rt, c->heap);
        gm_free(c);
        hl_objwl_fail(err, errlen, "gen_mix: objects=%" PRIu64 " makes fewer than %d records",
                      objects, 2 * GM_KINDS);
        return NULL;
    }
    return c;
}

/* Two lists that refer to each other, dropped at once. */
static void make_cycle(gm_ctx *c)
{
    hl_rt *rt = c->rt;
    hl_obj *a = hl_list_new(rt);
    hl_obj *b = hl_list_new(rt);
    if (a == NULL || b == NULL) {
        hl_obj_decref(rt, a);
        hl_obj_decref(rt, b);
        hl_objwl_check_fail(&c->check, "out of memory making a cycle");
        return;
    }
    int rc = hl_list_append(rt, a, hl_obj_newref(rt, b));
    rc |= hl_list_append(rt, b, hl_obj_newref(rt, a));
    if (rc != 0)
        hl_objwl_check_fail(&c->check, "out of memory linking a cycle");
    c->garbage_tracked += (uint64_t)hl_gc_is_tracked(a) + hl_gc_is_tracked(b);
    hl_obj_decref(rt, a);
    hl_obj_decref(rt, b);
}

static uint64_t gm_run(void *vctx, uint64_t n)
{
    gm_ctx *c = vctx;
    hl_rt *rt = c->rt;
    for (uint64_t j = 0; j < n; j++) {
        uint64_t id = c->n_records + c->made++;
        gm_fields f = fields_of(c, id, 0);
        hl_obj *rec = make_record(c, &f);
        if (rec == NULL) {
            hl_objwl_check_fail(&c->check, "out of memory making record %" PRIu64, id);
            continue;
        }
        c->checksum = hl_objwl_mix(c->checksum, expected_hash(&f));
        uint64_t r = hl_sm64(&c->rng);
        if (hl_below(r, 100) < c->survive_pct) {
            gm_slot *s = &c->ring[hl_below(hl_mix64(r), c->medium)];
            if (s->rec != NULL) {
                check_record(c, s->rec, s->id, 0, "medium-lived");
                hl_obj_decref(rt, s->rec);
                c->ring_objects -= s->objects;
            }
            *s = (gm_slot){rec, id, 0, (uint32_t)c->kind_objects[f.kind]};
            c->ring_objects += s->objects;
        } else {
            check_record(c, rec, id, 0, "short-lived");
            hl_obj_decref(rt, rec);
        }
        if (hl_below(hl_mix64(r ^ 1), 100) < c->cycle_pct)
            make_cycle(c);
        if (hl_below(hl_mix64(r ^ 2), 100) < c->mutate_pct) {
            size_t i = (size_t)hl_below(hl_mix64(r ^ 3), c->n_records);
            gm_fields g = fields_of(c, i, ++c->versions[i]);
            hl_obj *fresh = make_record(c, &g);
            if (fresh == NULL)
                hl_objwl_check_fail(&c->check, "out of memory replacing long-lived record %zu", i);
            else if (hl_list_set(rt, c->heap, i, fresh) != 0)
                hl_objwl_check_fail(&c->check, "replacing long-lived record %zu failed", i);
        }
    }
    return n;
}

static int gm_verify(void *vctx, char *err, size_t errlen)
{
    gm_ctx *c = vctx;
    hl_rt *rt = c->rt;
    if (hl_list_len(c->heap) != c->n_records)
        return hl_objwl_fail(err, errlen, "gen_mix: the heap list has %zu records, expected %zu",
                             hl_list_len(c->heap), c->n_records);
    for (size_t i = 0; i < c->n_records; i++) {
        hl_obj *rec = hl_list_get(c->heap, i);
        if (rec == NULL)
            hl_objwl_check_fail(&c->check, "long-lived record %zu is missing", i);
        else
            check_record(c, rec, i, c->versions[i], "long-lived");
    }
    uint64_t in_ring = 0;
    for (size_t i = 0; i < c->medium; i++) {
        if (c->ring[i].rec != NULL)
            check_record(c, c->ring[i].rec, c->ring[i].id, 0, "medium-lived");
        in_ring += c->ring[i].rec != NULL ? c->ring[i].objects : 0;
    }
    if (in_ring != c->ring_objects) /* our own bookkeeping first */
        return hl_objwl_fail(err, errlen,
                             "gen_mix: internal: the ring holds %" PRIu64
                             " objects, the count says %" PRIu64,
                             in_ring, c->ring_objects);
    if (hl_objwl_check_report(&c->check, "gen_mix", err, errlen) != 0)
        return -1;
    hl_gc_collect(rt, 2);
    uint64_t collected = hl_objwl_gc_collected(rt) - c->collected_baseline;
    if (collected != c->garbage_tracked)
        return hl_objwl_fail(err, errlen,
                             "gen_mix: the collector freed %" PRIu64 " objects, but %" PRIu64
                             " cycle containers were made garbage",
                             collected, c->garbage_tracked);
    uint64_t live = hl_rt_live_objects(rt);
    uint64_t want = c->live_baseline + c->ring_objects;
    if (live != want)
        return hl_objwl_fail(err, errlen,
                             "gen_mix: %" PRIu64 " objects alive, expected %" PRIu64
                             " (long-lived heap %" PRIu64 " + medium ring %" PRIu64 ")",
                             live, want, c->heap_objects, c->ring_objects);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t gm_metrics(void *vctx, hl_metric *out, size_t max)
{
    gm_ctx *c = vctx;
    size_t k = 0;
    uint64_t total_ns = 0, all_n = 0;
    hl_metric per_gen[HL_GC_GENERATIONS * 3];
    size_t n_per_gen = 0;
    uint64_t *all = NULL;
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        const uint64_t *p;
        size_t np;
        hl_gc_pauses(c->rt, g, &p, &np);
        uint64_t sum = 0, mx = 0;
        for (size_t i = 0; i < np; i++) {
            sum += p[i];
            mx = p[i] > mx ? p[i] : mx;
        }
        total_ns += sum;
        uint64_t *grown = np > 0 ? realloc(all, (all_n + np) * sizeof *all) : NULL;
        if (grown != NULL) {
            all = grown;
            memcpy(all + all_n, p, np * sizeof *p);
            all_n += np;
        }
        hl_metric m = {"", (double)np, "collections"};
        snprintf(m.name, sizeof m.name, "gc_gen%d_collections", g);
        per_gen[n_per_gen++] = m;
        m = (hl_metric){"", np ? (double)sum / (double)np / 1e3 : 0.0, "us"};
        snprintf(m.name, sizeof m.name, "gc_gen%d_pause_mean_us", g);
        per_gen[n_per_gen++] = m;
        m = (hl_metric){"", (double)mx / 1e3, "us"};
        snprintf(m.name, sizeof m.name, "gc_gen%d_pause_max_us", g);
        per_gen[n_per_gen++] = m;
    }
    double p99 = 0.0;
    if (all_n > 0) {
        qsort(all, all_n, sizeof *all, cmp_u64);
        size_t idx = (size_t)ceil(0.99 * (double)all_n) - 1;
        p99 = (double)all[idx] / 1e3;
    }
    free(all);
    if (k < max)
        out[k++] = (hl_metric){"gc_total_ms", (double)total_ns / 1e6, "ms"};
    if (k < max)
        out[k++] = (hl_metric){"gc_pause_p99_us", p99, "us"};
    for (size_t i = 0; i < n_per_gen && k < max; i++)
        out[k++] = per_gen[i];
    if (k < max)
        out[k++] = (hl_metric){"heap_objects", (double)c->heap_objects, "objects"};
    if (k < max)
        out[k++] = (hl_metric){"checksum", hl_objwl_checksum_metric(c->checksum), ""};
    return k;
}

static void gm_teardown(void *vctx)
{
    gm_ctx *c = vctx;
    for (size_t i = 0; i < c->medium; i++)
        hl_obj_decref(c->rt, c->ring[i].rec);
    hl_obj_decref(c->rt, c->heap);
    hl_gc_collect(c->rt, 2);
    gm_free(c);
}

static const hl_metric_desc gm_metric_descs[] = {
    {"gc_total_ms", "ms", "time spent in collections", false, NULL},
    {"gc_pause_p99_us", "us", "99th percentile of collection pauses", false, NULL},
    {"gc_gen0_collections", "collections", "generation-0 collections", false, NULL},
    {"gc_gen0_pause_mean_us", "us", "mean generation-0 pause", false, NULL},
    {"gc_gen0_pause_max_us", "us", "longest generation-0 pause", false, NULL},
    {"gc_gen1_collections", "collections", "generation-1 collections", false, NULL},
    {"gc_gen1_pause_mean_us", "us", "mean generation-1 pause", false, NULL},
    {"gc_gen1_pause_max_us", "us", "longest generation-1 pause", false, NULL},
    {"gc_gen2_collections", "collections", "generation-2 (full) collections", false, NULL},
    {"gc_gen2_pause_mean_us", "us", "mean generation-2 pause", false, NULL},
    {"gc_gen2_pause_max_us", "us", "longest generation-2 pause", false, NULL},
    {"heap_objects", "objects", "objects of the long-lived heap", false, NULL},
    HL_METRIC_DESC_CHECKSUM,
};

const hl_workload hl_wl_gen_mix = {
    .name = "gen_mix",
    .description = "a large long-lived heap plus steady churn and some cycles (GC pauses)",
    .layer = HL_LAYER_OBJECTS,
    .threaded = false,
    .op_unit = "record made",
    .params = gm_params,
    .n_params = P_COUNT,
    .setup = gm_setup,
    .run = gm_run,
    .verify = gm_verify,
    .metrics = gm_metrics,
    .metric_descs = gm_metric_descs,
    .n_metric_descs = sizeof gm_metric_descs / sizeof gm_metric_descs[0],
    .teardown = gm_teardown,
};
