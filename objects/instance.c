/* instance.c - user classes and their instances.
 *
 * How it works
 * ------------
 * A class is an hl_type extended with a name, an optional finalizer
 * (tp_finalize / __del__, PEP 442) and live counters; classes belong to the
 * runtime (CPython's heap types live as long as they are referenced; here,
 * until hl_rt_free).  An instance is 48 bytes as in CPython 3.12
 * (getsizeof(object-with-__dict__) == 48): a GC header, the object header, a
 * pointer to its attribute dict and one more word where 3.12 keeps the
 * weakref list, which heaplab lends to the program as a tag.  The attribute
 * dict is an ordinary dict created on the first attribute store (3.12 would
 * use inline values instead, PEP 412 / gh-89503; heaplab keeps one layout).
 */
#include "internal.h"

#include <string.h>

typedef struct hl_inst {
    hl_obj ob;
    hl_obj *dict; /* owned, NULL until the first setattr */
    uint64_t tag;
} hl_inst;

static size_t inst_size(const hl_obj *o) { return sizeof(hl_gc_head) + sizeof(hl_inst); }

static int inst_traverse(hl_obj *o, hl_visit_fn visit, void *arg)
{
    hl_inst *v = (hl_inst *)o;
    return v->dict != NULL ? visit(v->dict, arg) : 0;
}

bool hl__inst_refspan(hl_obj *o, hl_refspan *span)
{
    hl_inst *v = (hl_inst *)o;
    span->first = &v->dict;
    span->n = 1;
    span->stride = 1;
    return true;
}

static void inst_clear(hl_rt *rt, hl_obj *o)
{
    hl_inst *v = (hl_inst *)o;
    hl_obj *d = v->dict;
    v->dict = NULL;
    hl_obj_decref(rt, d);
}

static void inst_dealloc(hl_rt *rt, hl_obj *o)
{
    inst_clear(rt, o);
    hl__obj_free(rt, o);
}

void hl__inst_type_init(hl_type *t, const char *name)
{
    t->name = name;
    t->kind = HL_KIND_INST;
    t->is_gc = true;
    t->dealloc = inst_dealloc;
    t->traverse = inst_traverse;
    t->clear = inst_clear;
    t->size = inst_size;
}

hl_class *hl_class_new(hl_rt *rt, const char *name, hl_finalize_fn finalize, void *ctx)
{
    size_t len = strlen(name);
    hl_class *c = calloc(1, sizeof *c + len + 1);
    if (c == NULL)
        return NULL;
    memcpy(c->name, name, len + 1);
    hl__inst_type_init(&c->type, c->name);
    c->finalize = finalize;
    c->finalize_ctx = ctx;
    c->next = rt->classes;
    rt->classes = c;
    return c;
}

const char *hl_class_name(const hl_class *c) { return c->name; }

hl_class *hl_inst_class(const hl_obj *o)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_class on a non-instance");
    return (hl_class *)o->type;
}

hl_obj *hl_inst_new(hl_rt *rt, hl_class *cls)
{
    hl_inst *v = (hl_inst *)hl__obj_alloc(rt, &cls->type, inst_size(NULL));
    if (v == NULL)
        return NULL;
    v->dict = NULL;
    v->tag = 0;
    hl__gc_track(rt, &v->ob);
    return &v->ob;
}

int hl_inst_setattr(hl_rt *rt, hl_obj *o, const char *name, hl_obj *value)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_setattr on a non-instance");
    hl_inst *v = (hl_inst *)o;
    if (v->dict == NULL) {
        v->dict = hl_dict_new(rt);
        if (v->dict == NULL) {
            hl_obj_decref(rt, value);
            return -1;
        }
    }
    return hl_dict_set_str(rt, v->dict, name, value);
}

hl_obj *hl_inst_getattr(const hl_obj *o, const char *name)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_getattr on a non-instance");
    const hl_inst *v = (const hl_inst *)o;
    return v->dict != NULL ? hl_dict_get_str(v->dict, name) : NULL;
}

int hl_inst_delattr(hl_rt *rt, hl_obj *o, const char *name)
{
    HL_OBJ_ASSERT(o->type->kind == HL_KIND_INST, o, "hl_inst_delattr on a non-instance");
    hl_inst *v = (hl_inst *)o;
    return v->dict != NULL ? hl_dict_del_str(rt, v->dict, name) : -1;
}

hl_obj *hl_inst_dict(const hl_obj *o) { return ((const hl_inst *)o)->dict; }
uint64_t hl_inst_tag(const hl_obj *o) { return ((const hl_inst *)o)->tag; }
void hl_inst_set_tag(hl_obj *o, uint64_t tag) { ((hl_inst *)o)->tag = tag; }
