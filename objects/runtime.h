/* runtime.h - the object layer's runtime: which CPython it models, two
 * allocation domains, refcount mode, GC configuration, roots, the GIL.
 *
 * How it fits together
 * --------------------
 * An hl_rt plays the part of a CPython interpreter.  It allocates object
 * memory (object headers and their inline data: ints, floats, strs, tuples,
 * list/dict/instance headers) from `obj_mem` and variable-size item storage
 * (list item arrays, instance values arrays, and in 3.13 dict key tables)
 * from `item_mem`, mirroring CPython's PyObject_* (OBJ) and PyMem_* (MEM)
 * domains (PEP 445).  The caller opens both hl_allocators (alloc.h) on
 * whatever backend it measures and keeps them open until hl_rt_free()
 * returns.  Runtime bookkeeping that CPython keeps in static storage (the rt
 * struct, class records, GC pause logs, root table, the intern table's
 * index) is plain malloc so that it never shows up in the measured
 * allocators; what CPython allocates through its allocator (shared key
 * tables of classes, interned strs, free-listed blocks) goes to obj_mem or
 * item_mem as in CPython.
 *
 * Profiles.  A runtime models one CPython version, chosen by
 * hl_rt_config.profile: HL_PY_311, HL_PY_312 or HL_PY_313.  The profile
 * decides every rule that reaches the allocator or the collector, each
 * taken from that version's sources (cited where the rule is implemented):
 *
 *     rule                     3.11               3.12               3.13
 *     ASCII str block          49 + n (wstr)      41 + n (PEP 623)   41 + n
 *     int block                32 for 1 digit (_PyLong_FromMedium), 24 + 4n else
 *     instance                 56 + values array  48 + values array  one block, inline values
 *     values (k names, steady) round_up(k+3, 8) + 8(k+1) from item_mem;   3.13: inline,
 *                                                    8(k+2) + round_up(k+1, 8)
 *     instance __dict__        only when read (hl_inst_get_dict) or a name does not fit
 *     shared keys per class    64 slots, room 30, shrinking by one per instance made
 *     free lists               float 100; tuples of 1..20 items 2000 each (popped for
 *                              1..19 in 3.11/3.12.1, 1..20 in 3.13); list 80; dict 80;
 *                              8-slot str-key tables 80; cleared by gen-2 collections;
 *                              a free-list hit does not move the gen-0 count
 *     dict key tables          obj_mem            obj_mem            item_mem
 *     interning                identifiers and literal keys made once; immortal in 3.12,
 *                              names immortal and other literals mortal in 3.13
 *     immortal objects         none (big counts)  PEP 683            PEP 683
 *     immortal containers      stay tracked       moved to the permanent generation
 *     dict tracking            lazy: tracked on the first insert that may be tracked,
 *                              untracked again only by full collections
 *     GC thresholds            700, 10, 10        700, 10, 10        2000, 10, 10
 *     automatic collection     in the allocation  at the next eval-breaker check
 *     dealloc order            children first, tuple and list items from the end,
 *                              trashcan past 50 levels (3.13: a C-recursion budget,
 *                              capped at 1000 levels here)
 *     collection               update_refs, subtract_refs, move_unreachable,
 *                              untrack_tuples, untrack_dicts (full), gc_list_size; on the
 *                              garbage: legacy-finalizer pass, weakref pass,
 *                              finalize_garbage, resurrection check, delete_garbage
 *
 * The default profile (hl_rt_config_default) is the version of the python3
 * found when heaplab was configured (CMake; clamped to 3.11..3.13; override
 * with -DHL_PYTHON_MODEL=3.12), see hl_py_default_profile().
 *
 * What-if options.  heaplab's older, leaner or faster behaviours are kept as
 * named options, never defaults, for studies of what a rule costs.  Set them
 * in the struct or by name with hl_rt_config_set(cfg, "gc_passes=fused"):
 *
 *     freelists=off        no free lists: every object is an allocator call
 *     interning=off        a new key str per dict/attribute store of a C-string
 *                          key, freed with its entry
 *     dict_tracking=eager  dicts tracked from creation and never untracked
 *     instances=dict       instances of 48 bytes with an attribute dict made on
 *                          the first store (no shared keys, no values array)
 *     gc_passes=fused      heaplab's two-walk collection: update_refs and
 *                          subtract_refs fused on full collections, tuples
 *                          untracked inside move_unreachable, survivors counted
 *                          on the way, no untrack_dicts, no finalizer / weakref /
 *                          resurrection walks when no finalizer is due, immortal
 *                          containers kept in their generation, referents
 *                          visited from inlined spans with software prefetch
 *     dealloc=deferred     a dying container is freed before its children, which
 *                          go on a LIFO stack drained by the outermost decref
 *                          (items in forward order)
 *     heaplab=on           all of the above at once (heaplab before issue 11)
 *
 * Threading contract: a runtime is single-threaded, like an interpreter with
 * a GIL.  Call hl_rt_enter() once at set-up and hl_rt_leave() at tear-down and
 * hold it across all runs: it takes the process-wide hl_gil (gil.h), so a
 * backend that is not thread safe (pool) sees every call made under the lock,
 * exactly as pymalloc relies on CPython's GIL.  The refcount modes (below)
 * change only what incref/decref cost; in the atomic and biased modes other
 * threads may take and drop references (incref/decref of objects they do not
 * free last), while the owner does not collect, but must not call anything
 * else.  The entering thread owns the objects for HL_RC_BIASED.
 *
 * Usage:
 *
 *     hl_allocator om, im;
 *     hl_allocator_open(&om, "pool", err, sizeof err);
 *     hl_allocator_open(&im, "pool", err, sizeof err);
 *     hl_rt_config cfg;
 *     hl_rt_config_default(&cfg);          // the machine's python3, plain refcounts
 *     cfg.profile = HL_PY_313;             // or model another version
 *     hl_rt_config_set(&cfg, "freelists=off", err, sizeof err);  // a what-if
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
#include <stdio.h>

typedef struct hl_rt hl_rt;
typedef struct hl_obj hl_obj;

/* The CPython version modelled.  The values sort by version. */
typedef enum hl_py_profile {
    HL_PY_311 = 311, /* measured against Debian's 3.11.2 */
    HL_PY_312 = 312, /* pyenv 3.12.1 */
    HL_PY_313 = 313  /* pyenv 3.13.0 */
} hl_py_profile;

/* The profile of the build machine's python3 (see the header comment). */
hl_py_profile hl_py_default_profile(void);
/* "3.11", "3.12", "3.13" (also "311" ...).  0, or -1 with one line in err. */
int hl_py_profile_parse(const char *s, hl_py_profile *out, char *err, size_t errlen);
const char *hl_py_profile_name(hl_py_profile p); /* "3.11"; "?" when unknown */

typedef enum hl_rc_mode {
    HL_RC_PLAIN = 0,  /* ordinary adds: single-threaded, GIL-like (default) */
    /* Every incref and decref a lock-prefixed read-modify-write on one
     * shared count: naive atomic reference counting, an upper bound on what
     * thread-safe counting costs.  It is not free-threaded CPython's cost:
     * PEP 703 rejects this scheme for biased reference counting. */
    HL_RC_ATOMIC = 1,
    /* Biased reference counting (PEP 703, "Biased Reference Counting";
     * CPython 3.13t Include/object.h, Objects/object.c, Python/brc.c): the
     * thread that entered the runtime owns the objects and counts on a
     * local 32-bit count with plain loads and stores; other threads add and
     * subtract atomically on a shared count with two state bits; a shared
     * count that would go negative queues the object to its owner, which
     * merges the two counts at its next eval-breaker check (refcount.c). */
    HL_RC_BIASED = 2
} hl_rc_mode;

/* How a collection walks the heap (see the header comment). */
typedef enum hl_gc_passes {
    HL_GC_PASSES_CPYTHON = 0, /* the walks gc_collect_main makes (default) */
    HL_GC_PASSES_FUSED = 1    /* what-if: heaplab's fused two-walk collection */
} hl_gc_passes;

typedef enum hl_inst_layout {
    HL_INST_PROFILE = 0, /* the profile's: values array (3.11/3.12) or inline (3.13) */
    HL_INST_DICT = 1     /* what-if: an attribute dict per instance */
} hl_inst_layout;

typedef enum hl_dealloc_order {
    HL_DEALLOC_CPYTHON = 0,  /* children first, recursive with a trashcan */
    HL_DEALLOC_DEFERRED = 1  /* what-if: parent first, children on a LIFO stack */
} hl_dealloc_order;

/* threshold[i] == HL_GC_THRESHOLD_PROFILE: the profile's threshold. */
#define HL_GC_THRESHOLD_PROFILE UINT32_MAX

typedef struct hl_rt_config {
    hl_py_profile profile;
    /* CPython's gc.set_threshold(t0, t1, t2); default: the profile's
     * ((700, 10, 10) in 3.11 and 3.12, (2000, 10, 10) in 3.13).
     * threshold[0] == 0 disables automatic collection (the Instagram
     * gc.set_threshold(0) trick). */
    uint32_t threshold[3];
    hl_rc_mode refcount;
    bool gc_enabled; /* gc.enable()/disable() at start, default true */
    /* CPython (3.8-3.13) untracks, during collections, tuples whose items are
     * all atomic or untracked (_PyTuple_MaybeUntrack), so they stop costing
     * collection time and their GC headers stop being written.  Default
     * true, as CPython; false keeps every tuple tracked. */
    bool untrack_tuples;
    /* What-if options (header comment); the defaults are CPython's. */
    bool freelists;          /* default true;  "freelists=off" */
    bool interning;          /* default true;  "interning=off" */
    bool lazy_dict_tracking; /* default true;  "dict_tracking=eager" */
    hl_inst_layout instances;
    hl_gc_passes gc_passes;
    hl_dealloc_order dealloc;
} hl_rt_config;

/* The default profile with CPython's rules and plain refcounts. */
void hl_rt_config_default(hl_rt_config *cfg);

/* Applies one "name=value" option: profile=3.12,
 * refcount=plain|atomic|biased, gc_threshold=A,B,C, untrack_tuples=on|off, or a what-if option of the
 * header comment.  0, or -1 with one line in err. */
int hl_rt_config_set(hl_rt_config *cfg, const char *option, char *err, size_t errlen);

/* The options that differ from CPython's rules, as "name=value" separated by
 * spaces ("" when none): what a report records next to the profile. */
void hl_rt_config_describe(const hl_rt_config *cfg, char *out, size_t outlen);

/* Parses "plain" / "atomic" / "biased".  Returns 0, or -1 with one line in
 * err. */
int hl_rc_mode_parse(const char *s, hl_rc_mode *out, char *err, size_t errlen);

/* obj_mem and item_mem must stay open until hl_rt_free; they may be the same
 * handle.  Returns NULL with one line in err (bad profile or option, bad
 * threshold, out of memory). */
hl_rt *hl_rt_new(hl_allocator *obj_mem, hl_allocator *item_mem, const hl_rt_config *cfg,
                 char *err, size_t errlen);

/* Frees every object the runtime still owns: tracked containers (all
 * generations and the permanent one), roots, immortalised objects, interned
 * strs, free-listed blocks and the caches.  Objects that are neither tracked
 * nor reachable from them (e.g. a leaked int) cannot be found and are
 * leaked; hl_rt_live_objects() before the call tells you whether there are
 * any. */
void hl_rt_free(hl_rt *rt);

/* Take / release the process-wide runtime lock (gil.h).  enter is not
 * recursive.  Workloads: enter at set-up, leave at tear-down. */
void hl_rt_enter(hl_rt *rt);
void hl_rt_leave(hl_rt *rt);

hl_allocator *hl_rt_obj_mem(hl_rt *rt);
hl_allocator *hl_rt_item_mem(hl_rt *rt);
hl_rc_mode hl_rt_refcount_mode(const hl_rt *rt);
hl_py_profile hl_rt_profile(const hl_rt *rt);
/* The interpreter's periodic check (the eval breaker), which container
 * constructors also make: runs a collection scheduled by an allocation
 * (3.12+) and merges the refcounts other threads queued (biased mode). */
void hl_rt_check_eval_breaker(hl_rt *rt);
/* The configuration the runtime was made with, thresholds resolved. */
void hl_rt_get_config(const hl_rt *rt, hl_rt_config *out);

/* Roots: objects the "interpreter" holds (module globals, the stack).  The
 * runtime keeps a strong reference to each root (add increfs, remove and
 * hl_rt_free decref).  Introspection treats roots as the ends of back-reference
 * chains.  add returns 0, or -1 when out of memory; remove returns 0, or -1
 * when obj is not a root. */
int hl_rt_add_root(hl_rt *rt, hl_obj *obj);
int hl_rt_remove_root(hl_rt *rt, hl_obj *obj);
bool hl_rt_is_root(const hl_rt *rt, const hl_obj *obj);

/* Live objects of every type (allocated and not yet freed, singletons,
 * interned strs and caches included; blocks waiting on a free list are not
 * objects). */
uint64_t hl_rt_live_objects(const hl_rt *rt);
/* Of those, the interned strs the runtime keeps until hl_rt_free (names and
 * literal keys made once, intern.c). */
uint64_t hl_rt_interned_objects(const hl_rt *rt);

/* Test hook: called when an object dies, just before its memory goes back to
 * obj_mem or onto a free list (after its referents were released).  NULL
 * removes it. */
typedef void (*hl_dealloc_hook)(void *ctx, hl_obj *obj);
void hl_rt_set_dealloc_hook(hl_rt *rt, hl_dealloc_hook fn, void *ctx);

/* ---- the allocator call stream (callstats.c) ------------------------------
 * Every call the object layer makes to obj_mem and item_mem, counted by kind
 * with its request size in the classes of scripts/trace_stats.py (a request
 * of 0 bytes; 16-byte classes up to 512; then powers of two), so that the
 * stream can be compared with a trace of real CPython running the workload's
 * Python twin (workloads/python/).  Counting costs one predictable branch per
 * call while off. */
#define HL_CALL_CLASSES 72
typedef struct hl_callstats {
    uint64_t malloc, calloc, realloc, free;
    uint64_t hist[HL_CALL_CLASSES]; /* requests (malloc, calloc, realloc) by class */
} hl_callstats;

/* Starts counting from zero (stops an earlier count). */
void hl_rt_callstats_start(hl_rt *rt);
/* Stops counting and gives what was counted since start. */
void hl_rt_callstats_stop(hl_rt *rt, hl_callstats *out);
/* The class index of a request of n bytes, and its label ("0", "1-16",
 * "513-1024"...). */
unsigned hl_callstats_class(size_t n);
void hl_callstats_class_label(unsigned cls, char *out, size_t outlen);
/* Writes the counts as scripts/trace_stats.py --json does (calls,
 * calls_per_op, histogram as fractions, histogram_counts), with `region`
 * describing what was counted, so that `trace_stats.py --compare` reads it.
 * Returns 0, or -1 on a write error. */
int hl_callstats_write_json(const hl_callstats *s, uint64_t operations, const char *region,
                            FILE *f);

#endif
