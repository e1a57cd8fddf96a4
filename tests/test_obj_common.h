/* test_obj_common.h - what the object layer's tests share: a runtime on the
 * backend named by --backend NAME or $HL_OBJ_BACKEND (default system), and a
 * dealloc hook that records which objects were freed by id.
 */
#ifndef HL_TEST_OBJ_COMMON_H
#define HL_TEST_OBJ_COMMON_H

#include "gc.h"
#include "hl_test.h"
#include "introspect.h"
#include "object.h"
#include "registry.h"
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

static const char *tobj_backend = "system";
static hl_allocator tobj_om, tobj_im;
static bool tobj_opened;

/* Call first in main(argc, argv).  Exits 2 on a bad backend name. */
static void tobj_init(int argc, char **argv)
{
    const char *env = getenv("HL_OBJ_BACKEND");
    if (env && *env)
        tobj_backend = env;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
            tobj_backend = argv[++i];
        else {
            fprintf(stderr, "unknown argument '%s': use --backend NAME\n", argv[i]);
            exit(2);
        }
    }
    char err[256];
    /* Backends that are not thread safe (pool) expect the GIL in init. */
    hl_gil_acquire();
    int rc = hl_allocator_open(&tobj_om, tobj_backend, err, sizeof err);
    if (rc == 0)
        rc = hl_allocator_open(&tobj_im, tobj_backend, err, sizeof err);
    hl_gil_release();
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
    tobj_opened = true;
    printf("backend: %s\n", tobj_backend);
}

static inline int64_t tobj_live_bytes(void)
{
    hl_alloc_stats a, b;
    hl_allocator_stats(&tobj_om, &a);
    hl_allocator_stats(&tobj_im, &b);
    return a.live_bytes + b.live_bytes;
}

/* A runtime with the GC validator after every collection. */
static inline hl_rt *tobj_rt(const hl_rt_config *cfg)
{
    char err[256];
    hl_rt *rt = hl_rt_new(&tobj_om, &tobj_im, cfg, err, sizeof err);
    if (rt == NULL) {
        printf("hl_rt_new: %s\n", err);
        abort();
    }
    hl_gc_set_validate_each(rt, true);
    hl_rt_enter(rt);
    return rt;
}

static inline void tobj_rt_free(hl_rt *rt)
{
    hl_rt_leave(rt);
    hl_rt_free(rt);
}

static inline bool tobj_valid(hl_rt *rt)
{
    char err[256];
    if (hl_gc_validate(rt, err, sizeof err) != 0) {
        printf("  hl_gc_validate: %s\n", err);
        return false;
    }
    return true;
}

/* ---- free tracking: ids by pointer ------------------------------------------ */

#define TOBJ_MAX_IDS 4096
typedef struct tobj_tracker {
    hl_obj *ptr[TOBJ_MAX_IDS]; /* NULL once freed */
    bool freed[TOBJ_MAX_IDS];
    unsigned frees[TOBJ_MAX_IDS];
    size_t n;
} tobj_tracker;

static inline void tobj_hook(void *ctx, hl_obj *o)
{
    tobj_tracker *t = ctx;
    for (size_t i = 0; i < t->n; i++) {
        if (t->ptr[i] == o) {
            t->ptr[i] = NULL;
            t->freed[i] = true;
            t->frees[i]++;
        }
    }
}

static inline size_t tobj_track(tobj_tracker *t, hl_obj *o)
{
    size_t id = t->n++;
    t->ptr[id] = o;
    t->freed[id] = false;
    t->frees[id] = 0;
    return id;
}

#endif
