/* test_obj_gc.c - the cycle collector.
 *
 * Property test (--graphs N, default 5,000; 10,000 in ctest's "long"
 * label): thousands of random object graphs (lists, dicts with str and
 * int keys, tuples, instances of classes with no finalizer / a recording
 * finalizer / a resurrecting finalizer / a finalizer that breaks its own
 * references, str leaves; cycles and self references), mutated and partly
 * dropped with automatic collections on low thresholds.  A model of the
 * references the test created says which objects are reachable from what the
 * test holds; the dealloc hook says which were freed.  After every few
 * operations nothing reachable may have been freed; after a full collection
 * exactly the unreachable set must be gone.  Finalizers run at most once.
 * The GC validator runs after every collection (hl_gc_set_validate_each).
 *
 * Plus: scheduling (thresholds, counts, the 25% rule), freeze/unfreeze,
 * enable/disable, finalizer and resurrection cases, pause records.
 */
#include "test_obj_common.h"

enum nkind { N_LIST, N_DICT, N_PLAIN, N_FIN, N_RES, N_BREAK, N_TUPLE, N_STR, N_KINDS };
#define MAXN 160
#define MAXE 1200

typedef struct edge {
    int from, to;
    int slot_kind; /* 0 list index, 1 dict str key, 2 dict int key, 3 attr, 4 tuple */
    long slot;
    bool live;
} edge;

typedef struct model {
    hl_rt *rt;
    tobj_tracker *t;
    int kind[MAXN];
    bool held[MAXN];
    unsigned finalized[MAXN];
    int n;
    edge e[MAXE];
    int ne;
    hl_obj *rescue;         /* list the resurrecting finalizer appends to */
    int rescued[MAXN];      /* ids appended to rescue, in order */
    int nrescued;
    bool rescue_alive;
    hl_class *cls[N_KINDS];
} model;

static int id_of(model *m, const hl_obj *o)
{
    for (int i = 0; i < m->n; i++)
        if (m->t->ptr[i] == o)
            return i;
    return -1;
}

static void slot_name(char *buf, size_t n, const edge *e)
{
    snprintf(buf, n, "%c%ld", e->slot_kind == 3 ? 'a' : 'k', e->slot);
}

static void fin_record(hl_rt *rt, hl_obj *self, void *ctx)
{
    model *m = ctx;
    int id = id_of(m, self);
    if (id >= 0)
        m->finalized[id]++;
}

static void fin_resurrect(hl_rt *rt, hl_obj *self, void *ctx)
{
    model *m = ctx;
    fin_record(rt, self, ctx);
    if (!m->rescue_alive)
        return;
    int id = id_of(m, self);
    hl_list_append(rt, m->rescue, hl_obj_newref(rt, self));
    m->rescued[m->nrescued++] = id;
}

/* Drops every reference self holds (a finalizer that edits the garbage). */
static void fin_break(hl_rt *rt, hl_obj *self, void *ctx)
{
    model *m = ctx;
    fin_record(rt, self, ctx);
    int id = id_of(m, self);
    for (int i = 0; i < m->ne; i++) {
        edge *e = &m->e[i];
        if (e->live && e->from == id) {
            char name[32];
            slot_name(name, sizeof name, e);
            e->live = false;
            hl_inst_delattr(rt, self, name);
        }
    }
}

/* Reachable from what the test holds and from the rescue list. */
static void reach(const model *m, bool *alive)
{
    int stack[MAXN * 4 + MAXE], sp = 0;
    memset(alive, 0, sizeof(bool) * MAXN);
    for (int i = 0; i < m->n; i++)
        if (m->held[i])
            stack[sp++] = i;
    if (m->rescue_alive)
        for (int i = 0; i < m->nrescued; i++)
            stack[sp++] = m->rescued[i];
    while (sp > 0) {
        int v = stack[--sp];
        if (alive[v])
            continue;
        alive[v] = true;
        for (int i = 0; i < m->ne; i++)
            if (m->e[i].live && m->e[i].from == v && !alive[m->e[i].to])
                stack[sp++] = m->e[i].to;
    }
}

/* exact: also require every unreachable object to be freed. */
static bool check_model(model *m, bool exact, const char *when)
{
    bool alive[MAXN];
    reach(m, alive);
    bool ok = true;
    for (int i = 0; i < m->n; i++) {
        if (alive[i] && m->t->freed[i]) {
            printf("  %s: object %d (kind %d) reachable but freed\n", when, i, m->kind[i]);
            ok = false;
        }
        if (exact && !alive[i] && !m->t->freed[i]) {
            printf("  %s: object %d (kind %d) unreachable but alive\n", when, i, m->kind[i]);
            ok = false;
        }
        if (m->finalized[i] > 1) {
            printf("  %s: object %d finalized %u times\n", when, i, m->finalized[i]);
            ok = false;
        }
        if (m->t->frees[i] > 1) {
            printf("  %s: object %d freed twice\n", when, i);
            ok = false;
        }
        int k = m->kind[i];
        if ((k == N_FIN || k == N_RES || k == N_BREAK) && m->t->freed[i] && m->finalized[i] != 1) {
            printf("  %s: object %d freed without its finalizer\n", when, i);
            ok = false;
        }
    }
    return ok;
}

static hl_obj *make_node(model *m, int kind, uint64_t *seed)
{
    hl_rt *rt = m->rt;
    switch (kind) {
    case N_LIST: return hl_list_new(rt);
    case N_DICT: return hl_dict_new(rt);
    case N_STR: {
        char buf[32];
        snprintf(buf, sizeof buf, "leaf-%d", m->n);
        return hl_str_from(rt, buf);
    }
    case N_TUPLE: {
        /* items: references to held nodes created earlier (fixed edges) */
        size_t len = 1 + hl_test_rand(seed) % 3;
        hl_obj *t = hl_tuple_new(rt, len);
        for (size_t i = 0; i < len; i++) {
            int to = m->n > 0 ? (int)(hl_test_rand(seed) % (uint64_t)m->n) : -1;
            if (to < 0 || !m->held[to])
                continue;
            hl_tuple_set(rt, t, i, hl_obj_newref(rt, m->t->ptr[to]));
            m->e[m->ne++] = (edge){m->n, to, 4, (long)i, true};
        }
        return t;
    }
    default: return hl_inst_new(rt, m->cls[kind]);
    }
}

static void add_edge(model *m, int from, int to, uint64_t *seed)
{
    hl_rt *rt = m->rt;
    hl_obj *src = m->t->ptr[from], *dst = hl_obj_newref(rt, m->t->ptr[to]);
    edge e = {from, to, 0, m->ne, true};
    char name[32];
    switch (m->kind[from]) {
    case N_LIST:
        e.slot = (long)hl_list_len(src);
        hl_list_append(rt, src, dst);
        break;
    case N_DICT:
        if (hl_test_rand(seed) & 1) {
            e.slot_kind = 2;
            e.slot = 100000 + m->ne;
            hl_dict_set_int(rt, src, e.slot, dst);
        } else {
            e.slot_kind = 1;
            slot_name(name, sizeof name, &e);
            hl_dict_set_str(rt, src, name, dst);
        }
        break;
    default: /* instances */
        e.slot_kind = 3;
        slot_name(name, sizeof name, &e);
        hl_inst_setattr(rt, src, name, dst);
        break;
    }
    m->e[m->ne++] = e;
}

static void remove_edge(model *m, edge *e)
{
    hl_rt *rt = m->rt;
    hl_obj *src = m->t->ptr[e->from];
    char name[32];
    e->live = false;
    switch (e->slot_kind) {
    case 0: hl_list_set(rt, src, (size_t)e->slot, hl_none(rt)); break;
    case 1: slot_name(name, sizeof name, e); hl_dict_del_str(rt, src, name); break;
    case 2: hl_dict_del_int(rt, src, e->slot); break;
    case 3: slot_name(name, sizeof name, e); hl_inst_delattr(rt, src, name); break;
    }
}

/* Coverage of the property test, printed once. */
static struct {
    uint64_t objects, edges, finalized, resurrected, collections, freed_by_gc;
} cover;

static bool one_graph(uint64_t seed_in, int graph)
{
    uint64_t seed = seed_in;
    model *m = calloc(1, sizeof *m);
    m->t = calloc(1, sizeof *m->t);
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    uint64_t r = hl_test_rand(&seed);
    cfg.threshold[0] = (uint32_t)(r % 4 == 0 ? 0 : 3 + r % 40); /* 0: no automatic GC */
    cfg.threshold[1] = (uint32_t)(1 + (r >> 8) % 4);
    cfg.threshold[2] = (uint32_t)(1 + (r >> 16) % 4);
    static const hl_rc_mode modes[] = {HL_RC_PLAIN, HL_RC_ATOMIC, HL_RC_BIASED, HL_RC_PLAIN};
    cfg.refcount = modes[(r >> 24) & 3];
    cfg.untrack_tuples = (r >> 34) & 1;
    /* every profile, and the what-if options in every combination */
    static const hl_py_profile profiles[] = {HL_PY_311, HL_PY_312, HL_PY_313};
    cfg.profile = profiles[(r >> 26) % 3];
    cfg.freelists = (r >> 28) & 1;
    cfg.lazy_dict_tracking = (r >> 29) & 1;
    cfg.instances = (r >> 30) & 1 ? HL_INST_DICT : HL_INST_PROFILE;
    cfg.gc_passes = (r >> 31) & 1 ? HL_GC_PASSES_FUSED : HL_GC_PASSES_CPYTHON;
    cfg.dealloc = (r >> 32) & 1 ? HL_DEALLOC_DEFERRED : HL_DEALLOC_CPYTHON;
    cfg.interning = (r >> 33) & 1;
    int64_t base = tobj_live_bytes();
    hl_rt *rt = tobj_rt(&cfg);
    m->rt = rt;
    hl_rt_set_dealloc_hook(rt, tobj_hook, m->t);
    m->cls[N_PLAIN] = hl_class_new(rt, "Plain", NULL, NULL);
    m->cls[N_FIN] = hl_class_new(rt, "Fin", fin_record, m);
    m->cls[N_RES] = hl_class_new(rt, "Res", fin_resurrect, m);
    m->cls[N_BREAK] = hl_class_new(rt, "Break", fin_break, m);
    m->rescue = hl_list_new(rt);
    m->rescue_alive = true;

    int nodes = 5 + (int)(hl_test_rand(&seed) % 60);
    bool ok = true, frozen = false;
    int ops = nodes * 4;
    for (int step = 0; step < ops && ok; step++) {
        uint64_t x = hl_test_rand(&seed);
        int op = (int)(x % 10);
        if ((op <= 2 || m->n < 3) && m->n < nodes && m->ne < MAXE - 8) {
            int kind = (int)((x >> 8) % N_KINDS);
            hl_obj *o = make_node(m, kind, &seed);
            m->kind[m->n] = kind;
            m->held[m->n] = true;
            tobj_track(m->t, o);
            m->n++;
        } else if (op <= 6 && m->ne < MAXE - 8) {
            int from = (int)((x >> 8) % (uint64_t)m->n), to = (int)((x >> 24) % (uint64_t)m->n);
            int k = m->kind[from];
            if (m->held[from] && m->held[to] && k != N_TUPLE && k != N_STR)
                add_edge(m, from, to, &seed);
        } else if (op == 8 && (x >> 40) % 3 == 0) {
            /* freeze / unfreeze and an explicit collection of some generation:
             * full collections with frozen objects take the general path */
            if (frozen)
                hl_gc_unfreeze(rt);
            else
                hl_gc_freeze(rt);
            frozen = !frozen;
            hl_gc_collect(rt, (int)((x >> 50) % 3));
        } else if (op == 7 && m->ne > 0) {
            edge *e = &m->e[(x >> 8) % (uint64_t)m->ne];
            if (e->live && e->slot_kind != 4 && m->held[e->from])
                remove_edge(m, e);
        } else {
            int v = (int)((x >> 8) % (uint64_t)m->n);
            if (m->held[v]) {
                m->held[v] = false;
                hl_obj_decref(rt, m->t->ptr[v]);
            }
        }
        if (step % 8 == 0 && !check_model(m, false, "during mutation"))
            ok = false;
    }
    /* a full collection frees exactly the unreachable set */
    if (frozen)
        hl_gc_unfreeze(rt);
    hl_gc_collect(rt, 2);
    if (ok && !check_model(m, true, "after collect(2)"))
        ok = false;
    /* drop the rescue list: the resurrected die for good, no second finalizer */
    m->rescue_alive = false;
    hl_obj_decref(rt, m->rescue);
    hl_gc_collect(rt, 2);
    if (ok && !check_model(m, true, "after dropping the rescued"))
        ok = false;
    /* drop everything */
    for (int i = 0; i < m->n; i++) {
        if (m->held[i]) {
            m->held[i] = false;
            hl_obj_decref(rt, m->t->ptr[i]);
        }
    }
    hl_gc_collect(rt, 2);
    if (ok && !check_model(m, true, "after dropping all"))
        ok = false;
    if (ok && hl_gc_tracked_count(rt) != 0) {
        printf("  %zu objects still tracked\n", hl_gc_tracked_count(rt));
        ok = false;
    }
    if (ok && !tobj_valid(rt))
        ok = false;
    hl_gc_stats st[3];
    hl_gc_get_stats(rt, st);
    cover.objects += (uint64_t)m->n;
    cover.edges += (uint64_t)m->ne;
    cover.resurrected += (uint64_t)m->nrescued;
    for (int i = 0; i < m->n; i++)
        cover.finalized += m->finalized[i];
    for (int i = 0; i < 3; i++) {
        cover.collections += st[i].collections;
        cover.freed_by_gc += st[i].collected;
    }
    hl_rt_set_dealloc_hook(rt, NULL, NULL);
    tobj_rt_free(rt);
    if (ok && tobj_live_bytes() != base) {
        printf("  %lld bytes leaked\n", (long long)(tobj_live_bytes() - base));
        ok = false;
    }
    if (!ok)
        printf("  graph %d (seed %llu) failed\n", graph, (unsigned long long)seed_in);
    free(m->t);
    free(m);
    return ok;
}

/* Graphs of the property test: --graphs N (ctest's "long" label runs 10,000),
 * else fewer under the sanitizers. */
#ifdef HL_SANITIZE
static int prop_graphs = 2000;
#else
static int prop_graphs = 5000;
#endif

TEST(random_graphs_match_reachability_model)
{
    const int graphs = prop_graphs;
    int failed = 0;
    for (int g = 0; g < graphs && failed < 3; g++)
        if (!one_graph(0x1234567ull + (uint64_t)g * 7919, g))
            failed++;
    CHECK(failed == 0);
    printf("  %d graphs: %" PRIu64 " objects, %" PRIu64 " references, %" PRIu64
           " finalizer calls, %" PRIu64 " resurrections, %" PRIu64 " collections freed %" PRIu64
           " objects\n",
           graphs, cover.objects, cover.edges, cover.finalized, cover.resurrected,
           cover.collections, cover.freed_by_gc);
    /* the generator must exercise what it claims to */
    CHECK(cover.resurrected > (uint64_t)graphs / 2 && cover.finalized > (uint64_t)graphs * 5 &&
          cover.freed_by_gc > (uint64_t)graphs * 3);
}

/* ---- targeted cases -------------------------------------------------------------- */

TEST(simple_cycles_and_survivors)
{
    hl_rt *rt = tobj_rt(NULL);
    tobj_tracker *t = calloc(1, sizeof *t);
    hl_rt_set_dealloc_hook(rt, tobj_hook, t);
    /* a <-> b, c -> a held from outside, d self-cycle */
    hl_obj *a = hl_list_new(rt), *b = hl_dict_new(rt);
    size_t ia = tobj_track(t, a), ib = tobj_track(t, b);
    hl_list_append(rt, a, hl_obj_newref(rt, b));
    hl_dict_set_str(rt, b, "a", hl_obj_newref(rt, a));
    hl_obj *d = hl_list_new(rt);
    size_t id = tobj_track(t, d);
    hl_list_append(rt, d, hl_obj_newref(rt, d));
    hl_obj_decref(rt, d);
    hl_obj *held = hl_obj_newref(rt, a);
    hl_obj_decref(rt, a);
    hl_obj_decref(rt, b);
    CHECK_EQ_U64(hl_gc_collect(rt, 0), 1); /* only d */
    CHECK(t->freed[id] && !t->freed[ia] && !t->freed[ib]);
    hl_obj_decref(rt, held);
    CHECK_EQ_U64(hl_gc_collect(rt, 0), 0); /* a and b are in gen 1 now */
    CHECK(!t->freed[ia]);
    CHECK_EQ_U64(hl_gc_collect(rt, 1), 2);
    CHECK(t->freed[ia] && t->freed[ib]);
    hl_gc_stats s[3];
    hl_gc_get_stats(rt, s);
    CHECK_EQ_U64(s[0].collections, 2);
    CHECK_EQ_U64(s[0].collected, 1);
    CHECK_EQ_U64(s[1].collections, 1);
    CHECK_EQ_U64(s[1].collected, 2);
    CHECK_EQ_U64(s[2].uncollectable, 0);
    hl_rt_set_dealloc_hook(rt, NULL, NULL);
    free(t);
    tobj_rt_free(rt);
}

static int fin_calls;
static hl_obj *resurrected;
static void fin_keep(hl_rt *rt, hl_obj *self, void *ctx)
{
    fin_calls++;
    resurrected = hl_obj_newref(rt, self);
}

static void finalizer_resurrection_with(const hl_rt_config *cfg)
{
    hl_rt *rt = tobj_rt(cfg);
    tobj_tracker *t = calloc(1, sizeof *t);
    hl_rt_set_dealloc_hook(rt, tobj_hook, t);
    hl_class *keep = hl_class_new(rt, "Keep", fin_keep, NULL);
    /* garbage: r <-> x (r resurrects itself), plus an unrelated cycle y */
    hl_obj *r = hl_inst_new(rt, keep), *x = hl_list_new(rt), *y = hl_list_new(rt);
    size_t ir = tobj_track(t, r), ix = tobj_track(t, x), iy = tobj_track(t, y);
    hl_inst_setattr(rt, r, "x", hl_obj_newref(rt, x));
    hl_list_append(rt, x, hl_obj_newref(rt, r));
    hl_list_append(rt, y, hl_obj_newref(rt, y));
    hl_obj_decref(rt, r);
    hl_obj_decref(rt, x);
    hl_obj_decref(rt, y);
    fin_calls = 0;
    size_t n = hl_gc_collect(rt, 2);
    /* 3.9+: the resurrected r and what it reaches survive; y is still freed */
    CHECK_EQ_U64(fin_calls, 1);
    CHECK(resurrected == r);
    CHECK(!t->freed[ir] && !t->freed[ix]);
    CHECK(t->freed[iy]);
    CHECK_EQ_U64(n, 1);
    CHECK(hl_gc_is_finalized(r));
    /* once finalized, never again: the next time it is simply freed */
    hl_obj_decref(rt, resurrected);
    resurrected = NULL;
    /* r (and its dict, with instances=dict), x */
    CHECK_EQ_U64(hl_gc_collect(rt, 2), 2 + (cfg->instances == HL_INST_DICT));
    CHECK_EQ_U64(fin_calls, 1);
    CHECK(t->freed[ir] && t->freed[ix]);
    /* refcount path: the finalizer runs from dealloc and may resurrect */
    hl_obj *q = hl_inst_new(rt, keep);
    size_t iq = tobj_track(t, q);
    hl_obj_decref(rt, q);
    CHECK_EQ_U64(fin_calls, 2);
    CHECK(!t->freed[iq] && resurrected == q && hl_gc_is_tracked(q));
    hl_obj_decref(rt, resurrected); /* finalized already: freed now */
    CHECK(t->freed[iq]);
    CHECK_EQ_U64(fin_calls, 2);
    hl_rt_set_dealloc_hook(rt, NULL, NULL);
    free(t);
    tobj_rt_free(rt);
}

TEST(finalizer_resurrection_3_9_semantics)
{
    hl_rt_config cfg;
    static const hl_py_profile profiles[] = {HL_PY_311, HL_PY_312, HL_PY_313};
    for (int p = 0; p < 3; p++) {
        for (int passes = 0; passes < 2; passes++) {
            for (int dict = 0; dict < 2; dict++) {
                hl_rt_config_default(&cfg);
                cfg.profile = profiles[p];
                cfg.gc_passes = passes ? HL_GC_PASSES_FUSED : HL_GC_PASSES_CPYTHON;
                cfg.instances = dict ? HL_INST_DICT : HL_INST_PROFILE;
                finalizer_resurrection_with(&cfg);
            }
        }
    }
}

TEST(thresholds_trigger_generations)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    /* every allocation and deallocation counts: no free lists (their hits
     * do not count, see free_list_hits_do_not_count) */
    cfg.freelists = false;
    cfg.threshold[0] = 10;
    cfg.threshold[1] = 3;
    cfg.threshold[2] = 2;
    hl_rt *rt = tobj_rt(&cfg);
    uint32_t th[3];
    hl_gc_get_threshold(rt, th);
    CHECK(th[0] == 10 && th[1] == 3 && th[2] == 2);
    hl_obj *keep = hl_list_new(rt); /* count 1 */
    uint64_t c[3];
    hl_gc_get_count(rt, c);
    CHECK_EQ_U64(c[0], 1);
    /* ten more containers: the 11th allocation overall exceeds 10 */
    for (int i = 0; i < 9; i++)
        hl_list_append(rt, keep, hl_list_new(rt));
    hl_gc_stats s[3];
    hl_gc_get_stats(rt, s);
    CHECK_EQ_U64(s[0].collections, 0);
    hl_gc_get_count(rt, c);
    CHECK_EQ_U64(c[0], 10);
    hl_list_append(rt, keep, hl_list_new(rt)); /* count 11 > 10 -> gen 0 */
    hl_gc_get_stats(rt, s);
    CHECK_EQ_U64(s[0].collections, 1);
    hl_gc_get_count(rt, c);
    CHECK_EQ_U64(c[0], 0);
    CHECK_EQ_U64(c[1], 1);
    /* deallocations lower the gen-0 count */
    hl_list_append(rt, keep, hl_list_new(rt));
    hl_obj_decref(rt, hl_list_pop(rt, keep, hl_list_len(keep) - 1));
    hl_gc_get_count(rt, c);
    CHECK_EQ_U64(c[0], 0);
    /* gen 1 runs when its count (gen-0 collections) exceeds 3: the 4th */
    for (int i = 0; i < 11 * 3; i++)
        hl_list_append(rt, keep, hl_list_new(rt));
    hl_gc_get_stats(rt, s);
    CHECK_EQ_U64(s[0].collections, 4);
    CHECK_EQ_U64(s[1].collections, 0);
    for (int i = 0; i < 11; i++)
        hl_list_append(rt, keep, hl_list_new(rt));
    hl_gc_get_stats(rt, s);
    CHECK_EQ_U64(s[1].collections, 1);
    CHECK_EQ_U64(s[0].collections, 4);
    hl_gc_get_count(rt, c);
    CHECK_EQ_U64(c[1], 0);
    CHECK_EQ_U64(c[2], 1);
    /* long_lived_total is 0 before any full collection, so gen 2 runs as
     * soon as its count exceeds 2 (3 gen-1 collections) */
    uint64_t total, pending;
    hl_gc_long_lived(rt, &total, &pending);
    CHECK(pending > 0);
    int guard = 0;
    while (s[2].collections == 0 && guard++ < 10000) {
        hl_list_append(rt, keep, hl_list_new(rt));
        hl_gc_get_stats(rt, s);
    }
    CHECK_EQ_U64(s[1].collections, 3);
    CHECK_EQ_U64(s[2].collections, 1);
    hl_gc_long_lived(rt, &total, &pending);
    CHECK_EQ_U64(pending, 0);
    /* the collection ran just before the last list was allocated */
    CHECK_EQ_U64(total + 1, hl_gc_tracked_count(rt));
    const uint64_t *p;
    size_t np;
    hl_gc_pauses(rt, 0, &p, &np);
    CHECK_EQ_U64(np, s[0].collections);
    hl_gc_pauses(rt, 2, &p, &np);
    CHECK(np == 1 && p[0] > 0);
    hl_gc_reset_pauses(rt);
    hl_gc_pauses(rt, 0, &p, &np);
    CHECK_EQ_U64(np, 0);
    hl_obj_decref(rt, keep);
    tobj_rt_free(rt);
}

TEST(quarter_rule_holds_back_full_collections)
{
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    cfg.threshold[0] = 10;
    cfg.threshold[1] = 1;
    cfg.threshold[2] = 1;
    hl_rt *rt = tobj_rt(&cfg);
    /* a big long-lived heap, then one full collection: total = 2000 */
    hl_obj *keep = hl_list_new(rt);
    hl_gc_disable(rt);
    for (int i = 0; i < 1999; i++)
        hl_list_append(rt, keep, hl_list_new(rt));
    hl_gc_enable(rt);
    CHECK(hl_gc_is_enabled(rt));
    hl_gc_collect(rt, 2);
    uint64_t total, pending;
    hl_gc_long_lived(rt, &total, &pending);
    CHECK_EQ_U64(total, 2000);
    hl_gc_stats s[3];
    hl_gc_get_stats(rt, s);
    uint64_t full0 = s[2].collections;
    /* survivors of gen-1 collections accumulate in pending; no full
     * collection until pending >= 500 although count2 exceeds 1 */
    hl_obj *more = hl_list_new(rt);
    int added = 0;
    while (added < 600) {
        hl_list_append(rt, more, hl_list_new(rt));
        added++;
        hl_gc_long_lived(rt, &total, &pending);
        hl_gc_get_stats(rt, s);
        if (s[2].collections > full0)
            break;
        CHECK(pending < total / 4 || s[1].collections > 0);
    }
    hl_gc_get_stats(rt, s);
    CHECK(s[2].collections == full0 + 1);
    CHECK(s[1].collections > 2); /* gen 2's count exceeded 1 long before */
    /* it ran only once pending reached a quarter of total */
    CHECK(added >= 500 && added < 560);
    hl_obj_decref(rt, more);
    hl_obj_decref(rt, keep);
    tobj_rt_free(rt);
}

TEST(freeze_hides_objects_and_disable_stops_automatic)
{
    hl_rt *rt = tobj_rt(NULL);
    tobj_tracker *t = calloc(1, sizeof *t);
    hl_rt_set_dealloc_hook(rt, tobj_hook, t);
    hl_obj *cyc = hl_list_new(rt);
    size_t ic = tobj_track(t, cyc);
    hl_list_append(rt, cyc, hl_obj_newref(rt, cyc));
    hl_obj_decref(rt, cyc);
    hl_gc_freeze(rt);
    CHECK_EQ_U64(hl_gc_get_freeze_count(rt), 1);
    CHECK_EQ_U64(hl_gc_generation_size(rt, 3), 1);
    uint64_t c[3];
    hl_gc_get_count(rt, c);
    CHECK_EQ_U64(c[0], 0);
    CHECK_EQ_U64(hl_gc_collect(rt, 2), 0); /* frozen garbage is not examined */
    CHECK(!t->freed[ic]);
    hl_gc_unfreeze(rt);
    CHECK_EQ_U64(hl_gc_get_freeze_count(rt), 0);
    CHECK_EQ_U64(hl_gc_generation_size(rt, 2), 1);
    CHECK_EQ_U64(hl_gc_collect(rt, 1), 0); /* it went to the oldest generation */
    CHECK_EQ_U64(hl_gc_collect(rt, 2), 1);
    CHECK(t->freed[ic]);
    /* disabled: no automatic collection however many allocations */
    hl_gc_disable(rt);
    CHECK(!hl_gc_is_enabled(rt));
    hl_gc_stats s0[3];
    hl_gc_get_stats(rt, s0);
    hl_obj *l = hl_list_new(rt);
    for (int i = 0; i < 5000; i++) {
        hl_obj *x = hl_list_new(rt);
        hl_list_append(rt, x, hl_obj_newref(rt, x));
        hl_list_append(rt, l, x);
    }
    hl_gc_stats s[3];
    hl_gc_get_stats(rt, s);
    CHECK_EQ_U64(s[0].collections + s[1].collections + s[2].collections,
                 s0[0].collections + s0[1].collections + s0[2].collections);
    hl_gc_get_count(rt, c);
    CHECK_EQ_U64(c[0], 5001);
    /* explicit collections still work while disabled */
    hl_obj_decref(rt, l);
    CHECK_EQ_U64(hl_gc_collect(rt, 0), 5000);
    hl_gc_enable(rt);
    /* threshold 0 also turns automatic collection off */
    hl_gc_set_threshold(rt, 0, 10, 10);
    for (int i = 0; i < 2000; i++)
        hl_obj_decref(rt, hl_tuple_new(rt, 1));
    for (int i = 0; i < 2000; i++)
        hl_list_new(rt); /* leaked on purpose: freed by hl_rt_free */
    hl_gc_get_stats(rt, s);
    CHECK_EQ_U64(s[0].collections, s0[0].collections + 1); /* the explicit one */
    hl_rt_set_dealloc_hook(rt, NULL, NULL);
    free(t);
    tobj_rt_free(rt);
}

TEST(validator_catches_corruption)
{
    hl_rt *rt = tobj_rt(NULL);
    hl_obj *a = hl_list_new(rt), *b = hl_list_new(rt);
    CHECK(tobj_valid(rt));
    /* break b's prev link by hand, check, restore */
    uintptr_t *prev = (uintptr_t *)b - 1;
    uintptr_t saved = *prev;
    *prev = saved ^ 0x40; /* points 64 bytes off */
    char err[256];
    CHECK(hl_gc_validate(rt, err, sizeof err) == -1);
    CHECK(strstr(err, "prev link") != NULL);
    *prev = saved;
    CHECK(tobj_valid(rt));
    hl_obj_decref(rt, a);
    hl_obj_decref(rt, b);
    tobj_rt_free(rt);
}

TEST(tuples_of_atomic_items_get_untracked)
{
    int64_t base = tobj_live_bytes();
    hl_rt_config cfg;
    hl_rt_config_default(&cfg);
    CHECK(cfg.untrack_tuples); /* on by default, as in CPython */
    /* off: every container stays tracked */
    cfg.untrack_tuples = false;
    hl_rt *rt = tobj_rt(&cfg);
    hl_obj *atoms = hl_tuple_pack(rt, 1, hl_int_new(rt, 1000));
    hl_gc_collect(rt, 0);
    CHECK(hl_gc_is_tracked(atoms));
    hl_obj_decref(rt, atoms);
    tobj_rt_free(rt);
    cfg.untrack_tuples = true;
    rt = tobj_rt(&cfg);
    atoms = hl_tuple_pack(rt, 2, hl_int_new(rt, 1000), hl_str_from(rt, "s"));
    hl_obj *holder = hl_tuple_pack(rt, 1, hl_list_new(rt));
    hl_obj *partial = hl_tuple_new(rt, 2);
    hl_tuple_set(rt, partial, 0, hl_float_new(rt, 1.0)); /* slot 1 still NULL */
    hl_obj *nested = hl_tuple_pack(rt, 1, hl_obj_newref(rt, atoms));
    CHECK(hl_gc_is_tracked(atoms) && hl_gc_is_tracked(nested));
    CHECK_EQ_U64(hl_gc_collect(rt, 0), 0);
    /* CPython: gc.is_tracked((1000, "s")) is False after a collection */
    CHECK(!hl_gc_is_tracked(atoms));
    CHECK(hl_gc_is_tracked(holder));  /* holds a list */
    CHECK(hl_gc_is_tracked(partial)); /* may still be under construction */
    /* nested was scanned before atoms was untracked (list order): the next
     * collection untracks it too */
    hl_gc_collect(rt, 1);
    CHECK(!hl_gc_is_tracked(nested));
    CHECK(tobj_valid(rt));
    /* storing a container tracks the tuple again, so a cycle through it is
     * found */
    hl_obj *l = hl_list_new(rt);
    hl_tuple_set(rt, atoms, 1, hl_obj_newref(rt, l));
    CHECK(hl_gc_is_tracked(atoms));
    hl_list_append(rt, l, hl_obj_newref(rt, atoms));
    hl_obj_decref(rt, l);
    hl_obj_decref(rt, nested);  /* untracked, dies by refcount */
    hl_obj_decref(rt, atoms);   /* now only the cycle holds it */
    CHECK(tobj_valid(rt));
    CHECK_EQ_U64(hl_gc_collect(rt, 2), 2);
    hl_obj_decref(rt, holder);
    hl_obj_decref(rt, partial);
    CHECK_EQ_U64(hl_gc_tracked_count(rt), 0);
    CHECK(tobj_valid(rt));
    tobj_rt_free(rt);
    CHECK(tobj_live_bytes() == base);
}

int main(int argc, char **argv)
{
    /* --graphs N is ours; the rest (--backend NAME) is tobj_init's. */
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--graphs") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end != '\0' || n < 1 || n > 10000000) {
                fprintf(stderr, "--graphs '%s': give a number of graphs from 1 to 10000000\n",
                        argv[i]);
                return 2;
            }
            prop_graphs = (int)n;
        } else {
            argv[kept++] = argv[i];
        }
    }
    argc = kept;
    tobj_init(argc, argv);
    RUN(simple_cycles_and_survivors);
    RUN(finalizer_resurrection_3_9_semantics);
    RUN(thresholds_trigger_generations);
    RUN(quarter_rule_holds_back_full_collections);
    RUN(freeze_hides_objects_and_disable_stops_automatic);
    RUN(validator_catches_corruption);
    RUN(tuples_of_atomic_items_get_untracked);
    RUN(random_graphs_match_reachability_model);
    return hl_test_summary();
}
