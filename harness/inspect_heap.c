/* inspect_heap.c - one point's look at the heap: objgraph's most common
 * types, a sys.getrefcount histogram by type, and a back-reference chain
 * with the reference graphs around one object.
 *
 * How it works
 * ------------
 * Type counts come from the runtime's per-type live counters
 * (hl_type_counts), so they include ints and strs, which objgraph (seeing
 * only gc.get_objects()) would not.  The refcount histogram needs the
 * objects themselves, and the object layer's public API has no
 * gc.get_objects(): the walk starts at the heap's top-level objects - the
 * tracked objects no tracked object refers to, which is what a C program
 * (the workload) holds in its variables (hl_get_leaking_objects) - and
 * follows gc.get_referents breadth first.  It reaches every object the
 * workload's data structures hold; what it cannot reach (an int only a C
 * variable holds, a cycle held only from C) is the difference between
 * `walked` and the live count, which the report prints as the coverage.
 *
 * The object the chain starts from is, of the chosen type, the one the
 * walk found farthest from the top-level objects (the first such): the
 * longest chain, the one that shows how an object is kept alive.  The
 * chain is the object layer's hl_find_backref_chain (objgraph's
 * find_backref_chain with its default predicate: a root is an object
 * nothing tracked refers to); each link says how it refers to the next,
 * read back through the public accessors.  The graphs are
 * hl_show_backrefs (up to the root) and hl_show_refs (two levels down),
 * cut to a smaller depth while they exceed max_graph_nodes, so Graphviz
 * can draw them.
 */
#include "inspect.h"

#include "../objects/introspect.h"
#include "../objects/object.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hl_inspect_bucket_names[HL_INSPECT_BUCKETS] = {
    "1", "2", "3-4", "5-8", "9-16", "17-256", "257+", "immortal"};

int hl_inspect_bucket(uint64_t rc)
{
    if (rc >= HL_IMMORTAL_REFCNT)
        return 7;
    if (rc <= 1)
        return 0;
    if (rc == 2)
        return 1;
    if (rc <= 4)
        return 2;
    if (rc <= 8)
        return 3;
    if (rc <= 16)
        return 4;
    if (rc <= 256)
        return 5;
    return 6;
}

/* ---- a set of object pointers (open addressing, linear probing) ---------- */

typedef struct pset {
    const hl_obj **k;
    size_t mask, n;
} pset;

static size_t slot(const pset *s, const hl_obj *o)
{
    uintptr_t h = (uintptr_t)o;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull; /* Fibonacci hashing (Knuth, TAOCP 6.4) */
    size_t i = (size_t)(h >> 20) & s->mask;
    while (s->k[i] != NULL && s->k[i] != o)
        i = (i + 1) & s->mask;
    return i;
}

/* 1: added, 0: already there, -1: out of memory. */
static int pset_add(pset *s, const hl_obj *o)
{
    if (2 * (s->n + 1) > s->mask + 1) {
        pset b = {calloc(2 * (s->mask + 1), sizeof *b.k), 2 * (s->mask + 1) - 1, 0};
        if (!b.k)
            return -1;
        for (size_t i = 0; i <= s->mask; i++)
            if (s->k[i]) {
                b.k[slot(&b, s->k[i])] = s->k[i];
                b.n++;
            }
        free(s->k);
        *s = b;
    }
    size_t i = slot(s, o);
    if (s->k[i])
        return 0;
    s->k[i] = o;
    s->n++;
    return 1;
}

static void via(const hl_obj *from, const hl_obj *to, char *out, size_t outlen);

/* ---- the walk ------------------------------------------------------------- */

typedef struct node {
    hl_obj *o;
    size_t depth;
    size_t parent;        /* index in the queue of who reached it; SIZE_MAX: a root */
} node;

/* Per type: the histogram row, and the deepest object seen. */
typedef struct type_acc {
    hl_inspect_hist h;
    size_t deepest;       /* index in the queue, SIZE_MAX: none yet */
    size_t depth;
    bool container;
} type_acc;

typedef struct walk {
    pset seen;
    node *q;
    size_t nq, capq;
    type_acc *types;
    size_t ntypes, captypes;
    hl_obj **ref;
    size_t capref;
} walk;

static type_acc *acc_of(walk *w, const hl_obj *o)
{
    const char *name = hl_obj_type_name(o);
    for (size_t i = 0; i < w->ntypes; i++)
        if (strcmp(w->types[i].h.name, name) == 0)
            return &w->types[i];
    if (w->ntypes == w->captypes) {
        size_t cap = w->captypes ? 2 * w->captypes : 32;
        type_acc *t = realloc(w->types, cap * sizeof *t);
        if (!t)
            return NULL;
        w->types = t;
        w->captypes = cap;
    }
    type_acc *a = &w->types[w->ntypes++];
    memset(a, 0, sizeof *a);
    snprintf(a->h.name, sizeof a->h.name, "%s", name);
    a->container = hl_obj_is_gc(o);
    a->deepest = SIZE_MAX;
    return a;
}

static int push(walk *w, hl_obj *o, size_t depth, size_t parent)
{
    int r = pset_add(&w->seen, o);
    if (r <= 0)
        return r;
    if (w->nq == w->capq) {
        size_t cap = w->capq ? 2 * w->capq : 1024;
        node *q = realloc(w->q, cap * sizeof *q);
        if (!q)
            return -1;
        w->q = q;
        w->capq = cap;
    }
    w->q[w->nq++] = (node){o, depth, parent};
    return 1;
}

static int run_walk(hl_rt *rt, walk *w, size_t *n_roots)
{
    hl_obj *dummy;
    size_t nr = hl_get_leaking_objects(rt, &dummy, 0);
    hl_obj **roots = malloc((nr ? nr : 1) * sizeof *roots);
    w->seen.k = calloc(1024, sizeof *w->seen.k);
    w->seen.mask = 1023;
    if (!roots || !w->seen.k) {
        free(roots);
        return -1;
    }
    nr = nr ? hl_get_leaking_objects(rt, roots, nr) : 0;
    *n_roots = nr;
    for (size_t i = 0; i < nr; i++)
        if (push(w, roots[i], 0, SIZE_MAX) < 0) {
            free(roots);
            return -1;
        }
    free(roots);
    for (size_t head = 0; head < w->nq; head++) {
        node cur = w->q[head];
        type_acc *a = acc_of(w, cur.o);
        if (!a)
            return -1;
        a->h.n[hl_inspect_bucket(hl_getrefcount(cur.o))]++;
        a->h.total++;
        if (a->deepest == SIZE_MAX || cur.depth > a->depth) {
            a->deepest = head;
            a->depth = cur.depth;
        }
        size_t k = hl_get_referents(cur.o, w->ref, w->capref);
        if (k > w->capref) {
            size_t cap = k + 64;
            hl_obj **r = realloc(w->ref, cap * sizeof *r);
            if (!r)
                return -1;
            w->ref = r;
            w->capref = cap;
            k = hl_get_referents(cur.o, w->ref, w->capref);
        }
        for (size_t i = 0; i < k; i++)
            if (w->ref[i] && push(w, w->ref[i], cur.depth + 1, head) < 0)
                return -1;
    }
    return 0;
}

/* The walk's path from a top-level object to queue entry i, root first
 * (its last HL_INSPECT_MAX_CHAIN links when it is longer). */
static void walk_path(const walk *w, size_t i, hl_inspect_point *p)
{
    size_t idx[HL_INSPECT_MAX_CHAIN], len = 0, total = 0;
    for (size_t k = i; k != SIZE_MAX; k = w->q[k].parent)
        total++;
    p->path_cut = total > HL_INSPECT_MAX_CHAIN ? total - HL_INSPECT_MAX_CHAIN : 0;
    len = total - p->path_cut;
    size_t pos = len;
    for (size_t k = i; k != SIZE_MAX && pos > 0; k = w->q[k].parent)
        idx[--pos] = k;
    for (size_t j = 0; j < len; j++) {
        hl_inspect_link *l = &p->path[j];
        const hl_obj *o = w->q[idx[j]].o;
        snprintf(l->type, sizeof l->type, "%s", hl_obj_type_name(o));
        l->refcnt = hl_getrefcount(o);
        l->via[0] = '\0';
        if (j + 1 < len)
            via(o, w->q[idx[j + 1]].o, l->via, sizeof l->via);
    }
    p->path_len = len;
}

/* The path as a DOT digraph, in the style of hl_show_refs: root first, the
 * object highlighted. */
static char *path_dot(const hl_inspect_point *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("digraph Path {\n  node[shape=box, style=filled, fillcolor=white];\n", f);
    if (p->path_cut)
        fprintf(f, "  top [label=\"%zu more links up to a top-level object\", shape=plaintext];\n",
                p->path_cut);
    for (size_t j = 0; j < p->path_len; j++)
        fprintf(f, "  p%zu [label=\"%s\\nrefcount %" PRIu64 "\"%s];\n", j, p->path[j].type,
                p->path[j].refcnt, j + 1 == p->path_len ? ", fillcolor=yellow" : "");
    if (p->path_cut && p->path_len)
        fputs("  top -> p0 [style=dashed];\n", f);
    for (size_t j = 0; j + 1 < p->path_len; j++) {
        fprintf(f, "  p%zu -> p%zu [label=\"", j, j + 1);
        for (const char *c = p->path[j].via; *c; c++)
            fputs(*c == '"' || *c == '\\' ? "\\" : "", f), fputc(*c, f);
        fputs("\"];\n", f);
    }
    fputs("}\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void free_walk(walk *w)
{
    free(w->seen.k);
    free(w->q);
    free(w->types);
    free(w->ref);
}

static int cmp_hist(const void *a, const void *b)
{
    const hl_inspect_hist *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* ---- the chain -------------------------------------------------------------- */

/* How `from` refers to `to`: "[i]", "'key'", "__dict__". */
static void via(const hl_obj *from, const hl_obj *to, char *out, size_t outlen)
{
    snprintf(out, outlen, "?");
    switch (hl_obj_kind(from)) {
    case HL_KIND_LIST:
        for (size_t i = 0; i < hl_list_len(from); i++)
            if (hl_list_get(from, i) == to) {
                snprintf(out, outlen, "[%zu]", i);
                return;
            }
        break;
    case HL_KIND_TUPLE:
        for (size_t i = 0; i < hl_tuple_len(from); i++)
            if (hl_tuple_get(from, i) == to) {
                snprintf(out, outlen, "[%zu]", i);
                return;
            }
        break;
    case HL_KIND_DICT: {
        size_t pos = 0;
        hl_obj *k, *v;
        while (hl_dict_next(from, &pos, &k, &v)) {
            if (v == to) {
                if (hl_obj_kind(k) == HL_KIND_STR)
                    snprintf(out, outlen, "'%.40s'", hl_str_data(k));
                else if (hl_obj_kind(k) == HL_KIND_INT)
                    snprintf(out, outlen, "[%" PRId64 "]", hl_int_value(k));
                else
                    snprintf(out, outlen, "[%s]", hl_obj_type_name(k));
                return;
            }
            if (k == to) {
                snprintf(out, outlen, "key");
                return;
            }
        }
        break;
    }
    case HL_KIND_INST: {
        size_t pos = 0;
        hl_obj *k, *v;
        while (hl_inst_next_value(from, &pos, &k, &v))
            if (v == to) {
                snprintf(out, outlen, ".%.40s", hl_str_data(k));
                return;
            }
        if (hl_inst_dict(from) == to)
            snprintf(out, outlen, "__dict__");
        break;
    }
    default:
        break;
    }
}

/* Nodes of a DOT digraph as hl_show_refs writes it: "  oN [label=...]"
 * lines (edges are "  oA -> oB"). */
static size_t dot_nodes(const char *buf)
{
    size_t n = 0;
    for (const char *l = buf; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len > 3 && strncmp(l, "  o", 3) == 0 && memmem(l, len, "->", 2) == NULL)
            n++;
        l = e ? e + 1 : NULL;
    }
    return n;
}

/* The DOT text of one graph, cut to a smaller depth while it has more
 * than max nodes; NULL when out of memory. */
static char *graph(hl_rt *rt, hl_obj *o, bool back, unsigned depth, size_t max, unsigned *used,
                   size_t *nodes)
{
    for (;;) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
            return NULL;
        int rc = back ? hl_show_backrefs(rt, &o, 1, depth, f) : hl_show_refs(rt, &o, 1, depth, f);
        if (fclose(f) != 0 || rc != 0) {
            free(buf);
            return NULL;
        }
        size_t n = dot_nodes(buf);
        if (n <= max || depth <= 1) {
            *used = depth;
            *nodes = n;
            return buf;
        }
        free(buf);
        depth--;
    }
}

int hl_inspect_heap(hl_rt *rt, const hl_inspect_opts *o, hl_inspect_point *p, char *err,
                    size_t errlen)
{
    /* objgraph.show_most_common_types */
    size_t cap = 512;
    hl_type_count *tc = malloc(cap * sizeof *tc);
    if (!tc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t nt = hl_type_counts(rt, tc, cap);
    if (nt > cap)
        nt = cap;
    size_t top = nt; /* all of them: the report prints o->top rows */
    p->common = calloc(top ? top : 1, sizeof *p->common);
    if (!p->common) {
        free(tc);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < top; i++) {
        snprintf(p->common[i].name, sizeof p->common[i].name, "%s", tc[i].name);
        p->common[i].count = tc[i].count;
    }
    p->n_common = top;
    free(tc);

    /* the walk: refcount histogram and the object to follow */
    walk w;
    memset(&w, 0, sizeof w);
    if (run_walk(rt, &w, &p->n_roots) != 0) {
        free_walk(&w);
        snprintf(err, errlen, "out of memory walking the heap");
        return -1;
    }
    p->walked = w.nq;
    const type_acc *pick = NULL;
    for (size_t i = 0; i < w.ntypes; i++) {
        const type_acc *a = &w.types[i];
        if (o->type ? strcmp(a->h.name, o->type) == 0
                    : a->container && (!pick || a->h.total > pick->h.total))
            pick = a;
    }
    hl_obj *target = pick ? w.q[pick->deepest].o : NULL;
    if (pick) {
        snprintf(p->target_type, sizeof p->target_type, "%s", pick->h.name);
        p->target_depth = pick->depth;
        walk_path(&w, pick->deepest, p);
        p->path_dot = path_dot(p);
        if (!p->path_dot) {
            free_walk(&w);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    p->hist = calloc(w.ntypes ? w.ntypes : 1, sizeof *p->hist);
    if (!p->hist) {
        free_walk(&w);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < w.ntypes; i++)
        p->hist[i] = w.types[i].h;
    p->n_hist = w.ntypes;
    qsort(p->hist, p->n_hist, sizeof *p->hist, cmp_hist);
    free_walk(&w);
    if (!target)
        return 0;

    /* objgraph.find_backref_chain(obj, is_root) */
    hl_obj *chain[HL_INSPECT_MAX_CHAIN];
    size_t n = hl_find_backref_chain(rt, target, NULL, NULL, HL_INSPECT_MAX_CHAIN, chain,
                                     HL_INSPECT_MAX_CHAIN);
    for (size_t i = 0; i < n; i++) {
        hl_inspect_link *l = &p->chain[i];
        snprintf(l->type, sizeof l->type, "%s", hl_obj_type_name(chain[i]));
        l->refcnt = hl_getrefcount(chain[i]);
        if (i + 1 < n)
            via(chain[i], chain[i + 1], l->via, sizeof l->via);
    }
    p->chain_len = n;

    /* the graphs around it: up to the root, two levels down */
    unsigned up = o->depth ? o->depth : (n > 1 ? (unsigned)(n - 1) : 1);
    unsigned down = o->depth ? o->depth : 2;
    p->backrefs_dot = graph(rt, target, true, up, o->max_graph_nodes, &p->backrefs_depth,
                            &p->backrefs_nodes);
    p->refs_dot = graph(rt, target, false, down, o->max_graph_nodes, &p->refs_depth,
                        &p->refs_nodes);
    if (!p->backrefs_dot || !p->refs_dot) {
        snprintf(err, errlen, "out of memory writing the reference graphs");
        return -1;
    }
    return 0;
}
