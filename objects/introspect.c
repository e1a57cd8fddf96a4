/* introspect.c - heap inspection in the spirit of sys.getrefcount, the gc
 * module and objgraph (mgedmin/objgraph).
 *
 * How it works
 * ------------
 * Referents are what an object's traverse visits (gc.get_referents).
 * Referrers are found by traversing every tracked object
 * (gc.get_referrers: O(heap) per call).  Back-reference searches need
 * referrers of many objects, so hl_find_backref_chain, hl_get_leaking_objects
 * and hl_show_backrefs first build a reverse edge index in one pass over the
 * tracked heap: an array of (referent, referrer) pairs sorted by referent,
 * searched by bisection.  That makes objgraph's breadth-first
 * find_backref_chain O(heap log heap) instead of O(heap) per step.
 * Type counts come from the runtime's per-type live counters; growth keeps a
 * per-type peak as objgraph.growth(peak_stats) does.
 */
#include "introspect.h"
#include "internal.h"

#include <inttypes.h>
#include <string.h>


/* ---- referents / referrers -------------------------------------------------- */

typedef struct collect_arg {
    hl_obj **out;
    size_t max, n;
} collect_arg;

static int visit_collect(hl_obj *o, void *arg)
{
    collect_arg *c = arg;
    if (c->n < c->max)
        c->out[c->n] = o;
    c->n++;
    return 0;
}

size_t hl_get_referents(hl_obj *o, hl_obj **out, size_t max)
{
    collect_arg c = {out, max, 0};
    if (o->type->traverse != NULL)
        o->type->traverse(o, visit_collect, &c);
    return c.n;
}

static int visit_is(hl_obj *o, void *arg) { return o == (const hl_obj *)arg; }

static hl_gc_head *const *all_lists(hl_rt *rt, hl_gc_head *lists[HL_GC_GENERATIONS + 1])
{
    for (int i = 0; i < HL_GC_GENERATIONS; i++)
        lists[i] = &rt->gens[i].head;
    lists[HL_GC_GENERATIONS] = &rt->permanent;
    return lists;
}

size_t hl_get_referrers(hl_rt *rt, const hl_obj *target, hl_obj **out, size_t max)
{
    hl_gc_head *lists[HL_GC_GENERATIONS + 1];
    all_lists(rt, lists);
    size_t n = 0;
    for (int l = 0; l < HL_GC_GENERATIONS + 1; l++) {
        for (hl_gc_head *g = HL_GC_NEXT(lists[l]); g != lists[l]; g = HL_GC_NEXT(g)) {
            hl_obj *o = HL_FROM_GC(g);
            if (o->type->traverse(o, visit_is, (void *)target)) {
                if (n < max)
                    out[n] = o;
                n++;
            }
        }
    }
    return n;
}

/* ---- reverse edge index ------------------------------------------------------- */

typedef struct edge {
    const hl_obj *to;   /* referent */
    hl_obj *from;       /* referrer */
    size_t seq;         /* discovery order, keeps list order among referrers */
} edge;

typedef struct refindex {
    edge *e;
    size_t n, cap;
    bool oom;
    hl_obj *cur;
} refindex;

static int visit_index(hl_obj *o, void *arg)
{
    refindex *x = arg;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 1024;
        edge *e = realloc(x->e, cap * sizeof *e);
        if (e == NULL) {
            x->oom = true;
            return 1;
        }
        x->e = e;
        x->cap = cap;
    }
    x->e[x->n] = (edge){o, x->cur, x->n};
    x->n++;
    return 0;
}

static int edge_cmp(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    if (x->to != y->to)
        return (uintptr_t)x->to < (uintptr_t)y->to ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* 0, or -1 when out of memory. */
static int rindex_build(hl_rt *rt, refindex *x)
{
    memset(x, 0, sizeof *x);
    hl_gc_head *lists[HL_GC_GENERATIONS + 1];
    all_lists(rt, lists);
    for (int l = 0; l < HL_GC_GENERATIONS + 1 && !x->oom; l++) {
        for (hl_gc_head *g = HL_GC_NEXT(lists[l]); g != lists[l] && !x->oom;
             g = HL_GC_NEXT(g)) {
            x->cur = HL_FROM_GC(g);
            x->cur->type->traverse(x->cur, visit_index, x);
        }
    }
    if (x->oom) {
        free(x->e);
        return -1;
    }
    if (x->n > 1)
        qsort(x->e, x->n, sizeof *x->e, edge_cmp);
    return 0;
}

/* The referrers of o: x->e[*first .. *first + count), in heap-list order; a
 * referrer that refers to o twice appears twice (callers de-duplicate). */
static size_t rindex_find(const refindex *x, const hl_obj *o, size_t *first)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)x->e[mid].to < (uintptr_t)o)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < x->n && x->e[end].to == o)
        end++;
    *first = lo;
    return end - lo;
}

/* ---- pointer map (visited sets, parents, node numbers) -------------------------- */

typedef struct pmap {
    const hl_obj **key;
    uintptr_t *val;
    size_t mask, n;
} pmap;

static int pmap_init(pmap *m, size_t hint)
{
    size_t cap = 64;
    while (cap < 2 * hint)
        cap *= 2;
    m->key = calloc(cap, sizeof *m->key);
    m->val = calloc(cap, sizeof *m->val);
    m->mask = cap - 1;
    m->n = 0;
    if (m->key == NULL || m->val == NULL) {
        free(m->key);
        free(m->val);
        return -1;
    }
    return 0;
}

static void pmap_free(pmap *m)
{
    free(m->key);
    free(m->val);
}

static size_t pmap_slot(const pmap *m, const hl_obj *k)
{
    size_t i = (size_t)(((uintptr_t)k >> 4) * 0x9E3779B97F4A7C15ull) & m->mask;
    while (m->key[i] != NULL && m->key[i] != k)
        i = (i + 1) & m->mask;
    return i;
}

static bool pmap_get(const pmap *m, const hl_obj *k, uintptr_t *v)
{
    size_t i = pmap_slot(m, k);
    if (m->key[i] == NULL)
        return false;
    if (v)
        *v = m->val[i];
    return true;
}

/* Inserts if absent; returns 1 when inserted, 0 when present, -1 on OOM. */
static int pmap_put(pmap *m, const hl_obj *k, uintptr_t v)
{
    if (2 * (m->n + 1) > m->mask + 1) {
        pmap bigger;
        if (pmap_init(&bigger, m->mask + 1) != 0)
            return -1;
        for (size_t i = 0; i <= m->mask; i++) {
            if (m->key[i] != NULL) {
                size_t j = pmap_slot(&bigger, m->key[i]);
                bigger.key[j] = m->key[i];
                bigger.val[j] = m->val[i];
                bigger.n++;
            }
        }
        pmap_free(m);
        *m = bigger;
    }
    size_t i = pmap_slot(m, k);
    if (m->key[i] != NULL)
        return 0;
    m->key[i] = k;
    m->val[i] = v;
    m->n++;
    return 1;
}

/* ---- roots, chains, leaks --------------------------------------------------- */

bool hl_is_root(hl_rt *rt, const hl_obj *o)
{
    if (hl_rt_is_root(rt, o))
        return true;
    hl_obj *one;
    return hl_get_referrers(rt, o, &one, 1) == 0;
}

size_t hl_find_backref_chain(hl_rt *rt, hl_obj *obj, hl_obj_pred predicate, void *ctx,
                             unsigned max_depth, hl_obj **out, size_t max)
{
    if (max == 0)
        return 0;
    refindex x;
    if (rindex_build(rt, &x) != 0)
        return 0;
    pmap parent, depth;
    if (pmap_init(&parent, 64) != 0) {
        free(x.e);
        return 0;
    }
    if (pmap_init(&depth, 64) != 0) {
        pmap_free(&parent);
        free(x.e);
        return 0;
    }
    hl_objvec queue = {0};
    size_t head = 0, result = 0;
    bool oom = hl__objvec_push(&queue, obj) != 0 || pmap_put(&depth, obj, 0) < 0 ||
               pmap_put(&parent, obj, 0) < 0;
    while (!oom && head < queue.n) {
        hl_obj *target = queue.v[head++];
        size_t first, cnt = rindex_find(&x, target, &first);
        bool hit = predicate != NULL ? predicate(rt, target, ctx)
                                     : (hl_rt_is_root(rt, target) || cnt == 0);
        if (hit) {
            /* target, parent(target), ..., obj */
            size_t n = 0;
            for (const hl_obj *o = target; o != NULL;) {
                if (n < max)
                    out[n] = (hl_obj *)o;
                n++;
                uintptr_t p = 0;
                pmap_get(&parent, o, &p);
                o = (const hl_obj *)p;
            }
            result = n < max ? n : max;
            break;
        }
        uintptr_t d = 0;
        pmap_get(&depth, target, &d);
        if (d >= max_depth)
            continue;
        for (size_t i = first; i < first + cnt && !oom; i++) {
            hl_obj *src = x.e[i].from;
            int r = pmap_put(&depth, src, d + 1);
            if (r < 0)
                oom = true;
            else if (r == 1)
                oom = pmap_put(&parent, src, (uintptr_t)target) < 0 ||
                      hl__objvec_push(&queue, src) != 0;
        }
    }
    if (!oom && result == 0) {
        out[0] = obj;
        result = 1;
    }
    free(queue.v);
    pmap_free(&parent);
    pmap_free(&depth);
    free(x.e);
    return oom ? 0 : result;
}

size_t hl_get_leaking_objects(hl_rt *rt, hl_obj **out, size_t max)
{
    refindex x;
    if (rindex_build(rt, &x) != 0)
        return 0;
    hl_gc_head *lists[HL_GC_GENERATIONS + 1];
    all_lists(rt, lists);
    size_t n = 0;
    for (int l = 0; l < HL_GC_GENERATIONS + 1; l++) {
        for (hl_gc_head *g = HL_GC_NEXT(lists[l]); g != lists[l]; g = HL_GC_NEXT(g)) {
            hl_obj *o = HL_FROM_GC(g);
            size_t first;
            if (rindex_find(&x, o, &first) == 0 && !hl_rt_is_root(rt, o)) {
                if (n < max)
                    out[n] = o;
                n++;
            }
        }
    }
    free(x.e);
    return n;
}

/* ---- type counts and growth --------------------------------------------------- */

static const char *const builtin_names[HL_KIND_COUNT] = {
    "NoneType", "int", "float", "str", "tuple", "list", "dict", NULL, "list_iterator"};

static int count_cmp(const void *a, const void *b)
{
    const hl_type_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int delta_cmp(const void *a, const void *b)
{
    const hl_type_count *x = a, *y = b;
    if (x->delta != y->delta)
        return x->delta > y->delta ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Every type with live objects, unsorted, into a malloc'd array. */
static hl_type_count *gather_counts(const hl_rt *rt, size_t *n)
{
    size_t cap = HL_KIND_COUNT;
    for (const hl_class *c = rt->classes; c != NULL; c = c->next)
        cap++;
    hl_type_count *v = malloc(cap * sizeof *v);
    if (v == NULL)
        return NULL;
    size_t k = 0;
    for (int i = 0; i < HL_KIND_COUNT; i++)
        if (builtin_names[i] != NULL && rt->live[i] > 0)
            v[k++] = (hl_type_count){builtin_names[i], rt->live[i], 0};
    for (const hl_class *c = rt->classes; c != NULL; c = c->next)
        if (c->live > 0)
            v[k++] = (hl_type_count){c->name, c->live, 0};
    *n = k;
    return v;
}

size_t hl_type_counts(const hl_rt *rt, hl_type_count *out, size_t max)
{
    size_t n;
    hl_type_count *v = gather_counts(rt, &n);
    if (v == NULL)
        return 0;
    qsort(v, n, sizeof *v, count_cmp);
    memcpy(out, v, (n < max ? n : max) * sizeof *v);
    free(v);
    return n;
}

static size_t name_width(const hl_type_count *v, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i].name) > w)
            w = strlen(v[i].name);
    return w;
}

void hl_show_most_common_types(const hl_rt *rt, FILE *f, size_t limit)
{
    size_t n;
    hl_type_count *v = gather_counts(rt, &n);
    if (v == NULL)
        return;
    qsort(v, n, sizeof *v, count_cmp);
    if (n > limit)
        n = limit;
    int w = (int)name_width(v, n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-*s %" PRIu64 "\n", w, v[i].name, v[i].count);
    free(v);
}

size_t hl_growth(hl_rt *rt, hl_type_count *out, size_t max)
{
    hl_gc_collect(rt, HL_GC_GENERATIONS - 1);
    size_t n = 0, cap = HL_KIND_COUNT;
    for (const hl_class *c = rt->classes; c != NULL; c = c->next)
        cap++;
    hl_type_count *v = malloc(cap * sizeof *v);
    if (v == NULL)
        return 0;
    for (int i = 0; i < HL_KIND_COUNT; i++) {
        if (builtin_names[i] == NULL)
            continue;
        if (rt->live[i] > rt->growth_peak[i]) {
            v[n++] = (hl_type_count){builtin_names[i], rt->live[i],
                                     (int64_t)(rt->live[i] - rt->growth_peak[i])};
            rt->growth_peak[i] = rt->live[i];
        }
    }
    for (hl_class *c = rt->classes; c != NULL; c = c->next) {
        if (c->live > c->growth_peak) {
            v[n++] = (hl_type_count){c->name, c->live, (int64_t)(c->live - c->growth_peak)};
            c->growth_peak = c->live;
        }
    }
    qsort(v, n, sizeof *v, delta_cmp);
    memcpy(out, v, (n < max ? n : max) * sizeof *v);
    free(v);
    return n;
}

void hl_show_growth(hl_rt *rt, FILE *f, size_t limit)
{
    hl_type_count v[64];
    size_t n = hl_growth(rt, v, 64);
    if (n > 64)
        n = 64;
    if (n > limit)
        n = limit;
    int w = (int)name_width(v, n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-*s%9" PRIu64 " %+9" PRId64 "\n", w, v[i].name, v[i].count, v[i].delta);
}

/* ---- Graphviz ----------------------------------------------------------------- */

/* One outgoing reference with a label, in traverse order. */
typedef void (*edge_fn)(void *arg, hl_obj *to, const char *label);

static void dot_escape(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"' || c == '\\')
            fputc('\\', f);
        if ((unsigned char)c < 0x20)
            fputc('?', f);
        else
            fputc(c, f);
    }
}

static void key_label(const hl_obj *key, char *buf, size_t n)
{
    if (key->type->kind == HL_KIND_STR)
        snprintf(buf, n, "%.*s", (int)(hl_str_len(key) < 32 ? hl_str_len(key) : 32),
                 hl_str_data(key));
    else if (key->type->kind == HL_KIND_INT)
        snprintf(buf, n, "%" PRId64, hl_int_value(key));
    else
        snprintf(buf, n, "%s", key->type->name);
}

static void for_each_edge(hl_obj *o, edge_fn fn, void *arg)
{
    char label[48];
    switch (o->type->kind) {
    case HL_KIND_TUPLE:
        for (size_t i = 0; i < hl_tuple_len(o); i++) {
            if (hl_tuple_get(o, i) != NULL) {
                snprintf(label, sizeof label, "[%zu]", i);
                fn(arg, hl_tuple_get(o, i), label);
            }
        }
        break;
    case HL_KIND_LIST:
        for (size_t i = 0; i < hl_list_len(o); i++) {
            snprintf(label, sizeof label, "[%zu]", i);
            fn(arg, hl_list_get(o, i), label);
        }
        break;
    case HL_KIND_DICT: {
        bool keys = hl__dict_traverses_keys(o);
        size_t pos = 0;
        hl_obj *k, *v;
        while (hl_dict_next(o, &pos, &k, &v)) {
            if (keys)
                fn(arg, k, "key");
            key_label(k, label, sizeof label);
            fn(arg, v, label);
        }
        break;
    }
    case HL_KIND_INST: {
        size_t pos = 0;
        hl_obj *k, *v;
        while (hl_inst_next_value(o, &pos, &k, &v)) {
            snprintf(label, sizeof label, ".%.40s", hl_str_data(k));
            fn(arg, v, label);
        }
        if (hl_inst_dict(o) != NULL)
            fn(arg, hl_inst_dict(o), "__dict__");
        break;
    }
    default:
        break;
    }
}

static void node_label(FILE *f, const hl_obj *o)
{
    switch (o->type->kind) {
    case HL_KIND_INT: fprintf(f, "int\\n%" PRId64, hl_int_value(o)); break;
    case HL_KIND_FLOAT: fprintf(f, "float\\n%g", hl_float_value(o)); break;
    case HL_KIND_STR: {
        size_t len = hl_str_len(o);
        fputs("str\\n'", f);
        dot_escape(f, hl_str_data(o), len < 24 ? len : 24);
        fputs(len > 24 ? "...'" : "'", f);
        break;
    }
    case HL_KIND_TUPLE: fprintf(f, "tuple\\n%zu items", hl_tuple_len(o)); break;
    case HL_KIND_LIST: fprintf(f, "list\\n%zu items", hl_list_len(o)); break;
    case HL_KIND_DICT: fprintf(f, "dict\\n%zu items", hl_dict_len(o)); break;
    case HL_KIND_INST: fputs(o->type->name, f), fputs(" instance", f); break;
    default: fputs(o->type->name, f); break;
    }
}

typedef struct dot_state {
    hl_rt *rt;
    FILE *f;
    bool backrefs;
    unsigned max_depth;
    pmap num;        /* object -> node number */
    hl_objvec order; /* nodes in discovery order */
    size_t *depth;   /* per node number */
    size_t depth_cap;
    char *edges;     /* edge lines, in order, built in memory */
    size_t elen, ecap;
    refindex x;
    bool oom;
    hl_obj *cur;     /* backrefs: the target whose referrers are expanded */
    size_t cur_num;
} dot_state;

static int dot_node(dot_state *s, hl_obj *o, size_t depth, size_t *num)
{
    uintptr_t v;
    if (pmap_get(&s->num, o, &v)) {
        *num = (size_t)v;
        return 0;
    }
    *num = s->order.n;
    if (pmap_put(&s->num, o, *num) < 0 || hl__objvec_push(&s->order, o) != 0)
        return -1;
    if (*num >= s->depth_cap) {
        size_t cap = s->depth_cap ? s->depth_cap * 2 : 64;
        size_t *d = realloc(s->depth, cap * sizeof *d);
        if (d == NULL)
            return -1;
        s->depth = d;
        s->depth_cap = cap;
    }
    s->depth[*num] = depth;
    return 0;
}

static void dot_add_edge(dot_state *s, size_t from, size_t to, const char *label)
{
    char line[160];
    int n = snprintf(line, sizeof line, "  o%zu -> o%zu [label=\"", from, to);
    size_t need = (size_t)n + 2 * strlen(label) + 8;
    if (s->elen + need + 1 > s->ecap) {
        size_t cap = s->ecap ? s->ecap * 2 : 4096;
        while (cap < s->elen + need + 1)
            cap *= 2;
        char *e = realloc(s->edges, cap);
        if (e == NULL) {
            s->oom = true;
            return;
        }
        s->edges = e;
        s->ecap = cap;
    }
    memcpy(s->edges + s->elen, line, (size_t)n);
    s->elen += (size_t)n;
    for (const char *p = label; *p; p++) {
        if (*p == '"' || *p == '\\')
            s->edges[s->elen++] = '\\';
        s->edges[s->elen++] = (unsigned char)*p < 0x20 ? '?' : *p;
    }
    memcpy(s->edges + s->elen, "\"];\n", 4);
    s->elen += 4;
    s->edges[s->elen] = 0;
}

static void dot_ref_edge(void *arg, hl_obj *to, const char *label)
{
    dot_state *s = arg;
    if (s->oom)
        return;
    size_t from_num = s->cur_num, to_num;
    if (dot_node(s, to, s->depth[from_num] + 1, &to_num) != 0) {
        s->oom = true;
        return;
    }
    dot_add_edge(s, from_num, to_num, label);
}

/* backrefs: the label of referrer's first reference to s->cur */
typedef struct find_label {
    const hl_obj *target;
    char label[48];
    bool found;
} find_label;

static void find_label_fn(void *arg, hl_obj *to, const char *label)
{
    find_label *fl = arg;
    if (!fl->found && to == fl->target) {
        snprintf(fl->label, sizeof fl->label, "%s", label);
        fl->found = true;
    }
}

static int show_graph(hl_rt *rt, hl_obj *const *objs, size_t n, unsigned max_depth, FILE *f,
                      bool backrefs)
{
    dot_state s;
    memset(&s, 0, sizeof s);
    s.rt = rt;
    s.f = f;
    s.backrefs = backrefs;
    s.max_depth = max_depth;
    if (pmap_init(&s.num, 64) != 0)
        return -1;
    if (backrefs && rindex_build(rt, &s.x) != 0) {
        pmap_free(&s.num);
        return -1;
    }
    for (size_t i = 0; i < n && !s.oom; i++) {
        size_t num;
        if (dot_node(&s, objs[i], 0, &num) != 0)
            s.oom = true;
    }
    /* Breadth first: order grows while it is scanned. */
    for (size_t i = 0; i < s.order.n && !s.oom; i++) {
        if (s.depth[i] >= max_depth)
            continue;
        hl_obj *o = s.order.v[i];
        s.cur = o;
        s.cur_num = i;
        if (!backrefs) {
            for_each_edge(o, dot_ref_edge, &s);
            continue;
        }
        size_t first, cnt = rindex_find(&s.x, o, &first);
        for (size_t k = first; k < first + cnt && !s.oom; k++) {
            hl_obj *src = s.x.e[k].from;
            /* one edge per referrer, even if it refers to o twice */
            bool dup = false;
            for (size_t j = first; j < k; j++)
                if (s.x.e[j].from == src)
                    dup = true;
            if (dup)
                continue;
            size_t src_num;
            if (dot_node(&s, src, s.depth[i] + 1, &src_num) != 0) {
                s.oom = true;
                break;
            }
            find_label fl = {.target = o};
            for_each_edge(src, find_label_fn, &fl);
            dot_add_edge(&s, src_num, i, fl.found ? fl.label : "");
        }
    }
    int rc = s.oom ? -1 : 0;
    if (rc == 0) {
        fprintf(f, "digraph ObjectGraph {\n");
        fprintf(f, "  node[shape=box, style=filled, fillcolor=white];\n");
        for (size_t i = 0; i < s.order.n; i++) {
            fprintf(f, "  o%zu [label=\"", i);
            node_label(f, s.order.v[i]);
            fprintf(f, "\"%s];\n", s.depth[i] == 0 ? ", fillcolor=yellow" : "");
        }
        if (s.elen)
            fputs(s.edges, f);
        fprintf(f, "}\n");
        if (ferror(f))
            rc = -1;
    }
    free(s.edges);
    free(s.depth);
    free(s.order.v);
    pmap_free(&s.num);
    if (backrefs)
        free(s.x.e);
    return rc;
}

int hl_show_refs(hl_rt *rt, hl_obj *const *objs, size_t n, unsigned max_depth, FILE *f)
{
    return show_graph(rt, objs, n, max_depth, f, false);
}

int hl_show_backrefs(hl_rt *rt, hl_obj *const *objs, size_t n, unsigned max_depth, FILE *f)
{
    return show_graph(rt, objs, n, max_depth, f, true);
}
