/* runtime.h - the object layer's runtime: two allocation domains, refcount
 * mode, GC configuration, roots, the GIL.
 *
 * How it fits together
 * --------------------
 * An hl_rt plays the part of a CPython interpreter.  It allocates object
 * memory (object headers and their inline data: ints, floats, strs, tuples,
 * list/dict/instance headers) from `obj_mem` and variable-size item storage
 * (list item arrays, dict hash tables) from `item_mem`, mirroring CPython's
 * PyObject_* (OBJ) and PyMem_* (MEM) domains (PEP 445).  The caller opens both
 * hl_allocators (alloc.h) on whatever backend it measures and keeps them open
 * until hl_rt_free() returns.  Runtime bookkeeping that CPython keeps in
 * static storage (the rt struct, class records, GC pause logs, root table) is
 * plain malloc so that it never shows up in the measured allocators.
 *
 * Threading contract: a runtime is single-threaded, like an interpreter with
 * a GIL.  Call hl_rt_enter() once at set-up and hl_rt_leave() at tear-down and
 * hold it across all runs: it takes the process-wide hl_gil (gil.h), so a
 * backend that is not thread safe (pool) sees every call made under the lock,
 * exactly as pymalloc relies on CPython's GIL.  The `atomic` refcount mode only
 * changes the cost of incref/decref (lock-prefixed instructions, as in
 * free-threaded CPython); it does not make the runtime safe for concurrent use.
 *
 * Usage:
 *
 *     hl_allocator om, im;
 *     hl_allocator_open(&om, "pool", err, sizeof err);
 *     hl_allocator_open(&im, "pool", err, sizeof err);
 *     hl_rt_config cfg;
 *     hl_rt_config_default(&cfg);          // thresholds 700/10/10, plain, GC on
 *     cfg.refcount = HL_RC_ATOMIC;
 *     hl_rt *rt = hl_rt_new(&om, &im, &cfg, err, sizeof err);
 *     if (!rt) { fprintf(stderr, "%s\n", err); exit(2); }
 *     hl_rt_enter(rt);
 *     ... hl_list_new(rt) / hl_obj_decref(rt, o) / hl_gc_collect(rt, 2) ...
 *     hl_rt_leave(rt);
 *     hl_rt_free(rt);                      // frees every object still alive
 */
#ifndef HL_OBJECTS_RUNTIME_H
#define HL_OBJECTS_RUNTIME_H

#include "../allocators/alloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hl_rt hl_rt;
typedef struct hl_obj hl_obj;

typedef enum hl_rc_mode {
    HL_RC_PLAIN = 0, /* ordinary adds: single-threaded, GIL-like (default) */
    HL_RC_ATOMIC = 1 /* lock-prefixed atomic adds, as a free-threaded build pays */
} hl_rc_mode;

typedef struct hl_rt_config {
    /* CPython's gc.set_threshold(t0, t1, t2); defaults (700, 10, 10) as in
     * 3.8-3.12.  threshold[0] == 0 disables automatic collection (the
     * Instagram gc.set_threshold(0) trick). */
    uint32_t threshold[3];
    hl_rc_mode refcount;
    bool gc_enabled; /* gc.enable()/disable() at start, default true */
    /* CPython (3.8-3.13) untracks, during collections, tuples whose items are
     * all atomic or untracked (_PyTuple_MaybeUntrack), so they stop costing
     * collection time and their GC headers stop being written.  Default
     * true, as CPython; false keeps every container tracked. */
    bool untrack_tuples;
} hl_rt_config;

void hl_rt_config_default(hl_rt_config *cfg);

/* Parses "plain" / "atomic".  Returns 0, or -1 with one line in err. */
int hl_rc_mode_parse(const char *s, hl_rc_mode *out, char *err, size_t errlen);

/* obj_mem and item_mem must stay open until hl_rt_free; they may be the same
 * handle.  Returns NULL with one line in err (bad threshold, out of memory). */
hl_rt *hl_rt_new(hl_allocator *obj_mem, hl_allocator *item_mem, const hl_rt_config *cfg,
                 char *err, size_t errlen);

/* Frees every object the runtime still owns: tracked containers (all
 * generations and the permanent one), roots, immortalised objects and the
 * caches.  Objects that are neither tracked nor reachable from them (e.g. a
 * leaked int) cannot be found and are leaked; hl_rt_live_objects() before the
 * call tells you whether there are any. */
void hl_rt_free(hl_rt *rt);

/* Take / release the process-wide runtime lock (gil.h).  enter is not
 * recursive.  Workloads: enter at set-up, leave at tear-down. */
void hl_rt_enter(hl_rt *rt);
void hl_rt_leave(hl_rt *rt);

hl_allocator *hl_rt_obj_mem(hl_rt *rt);
hl_allocator *hl_rt_item_mem(hl_rt *rt);
hl_rc_mode hl_rt_refcount_mode(const hl_rt *rt);

/* Roots: objects the "interpreter" holds (module globals, the stack).  The
 * runtime keeps a strong reference to each root (add increfs, remove and
 * hl_rt_free decref).  Introspection treats roots as the ends of back-reference
 * chains.  add returns 0, or -1 when out of memory; remove returns 0, or -1
 * when obj is not a root. */
int hl_rt_add_root(hl_rt *rt, hl_obj *obj);
int hl_rt_remove_root(hl_rt *rt, hl_obj *obj);
bool hl_rt_is_root(const hl_rt *rt, const hl_obj *obj);

/* Live objects of every type (allocated and not yet freed, singletons and
 * caches included). */
uint64_t hl_rt_live_objects(const hl_rt *rt);

/* Test hook: called just before an object's memory is returned to obj_mem
 * (after its referents were released).  NULL removes it. */
typedef void (*hl_dealloc_hook)(void *ctx, hl_obj *obj);
void hl_rt_set_dealloc_hook(hl_rt *rt, hl_dealloc_hook fn, void *ctx);

#endif
