/* cpython.c - the real obmalloc (pymalloc) from libpython3.11.
 *
 * How it works
 * ------------
 * PyObject_Malloc/Calloc/Realloc/Free are libpython's object-domain
 * allocator: blocks of 1..512 bytes come from obmalloc's 16 KiB pools inside
 * 1 MiB arenas, anything else from PyMem_RawMalloc (= malloc, glibc in the
 * cpython variant).  In 3.11 the allocator tables and obmalloc's state are
 * statically initialised (PEP 445 defaults, "pymalloc"), so no
 * Py_Initialize() is needed: checked empirically on Debian's 3.11.2, where
 * PyObject_Malloc works and _Py_GetAllocatedBlocks() counts its blocks
 * before any interpreter exists.  The backend therefore does not start an
 * interpreter (which would allocate thousands of objects of its own into
 * the heap being measured).
 *
 * obmalloc takes no lock: CPython's callers hold the GIL.  thread_safe is
 * false, so hl_allocator takes heaplab's GIL around every call.
 *
 * Ownership and usable size.  There is no public "is this a pymalloc block"
 * query (address_in_range and its radix tree are static).  But the arena
 * allocator is public and replaceable (PEP 445, PyObject_SetArenaAllocator):
 * open() installs a hook that forwards to the previous arena allocator (the
 * default mmap/munmap, so obmalloc behaves exactly as before) and records
 * every arena's address range.  A pointer inside a recorded arena is an
 * obmalloc block; anything else came from the raw domain (malloc).
 * The usable size of an obmalloc block is its size class, which is stored in
 * its pool's header (the pool is the block address rounded down to
 * POOL_SIZE; Objects/obmalloc.c, struct pool_header, szidx).  That layout is
 * internal, so open() verifies it on live blocks of every size class and
 * refuses to run if libpython disagrees, instead of returning wrong sizes.
 *
 * Statistics: _Py_GetAllocatedBlocks() (sys.getallocatedblocks) and the
 * figures _PyObject_DebugMallocStats() prints (sys._debugmallocstats),
 * parsed from its text; both are exported by libpython3.11.
 */
#include "backends.h"

#include <Python.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exported by libpython3.11 but not declared by its public headers. */
extern Py_ssize_t _Py_GetAllocatedBlocks(void);
extern int _PyObject_DebugMallocStats(FILE *out);

/* obmalloc geometry on 64-bit 3.10+ (USE_LARGE_POOLS / USE_LARGE_ARENAS,
 * bpo-37448); verified against the live library by verify_layout(). */
#define OBM_POOL_SIZE ((uintptr_t)16384)
#define OBM_ALIGNMENT_SHIFT 4
#define OBM_SMALL_REQUEST_THRESHOLD 512
/* struct pool_header: ref (8), freeblock, nextpool, prevpool (3 x 8),
 * arenaindex (4), szidx (4): szidx sits at byte 36. */
#define OBM_SZIDX_OFFSET 36

/* Arena table: the address ranges obmalloc got from its arena allocator,
 * sorted by base.  Invariant: ranges do not overlap; every arena obmalloc
 * holds is in the table (the hook is installed before its first allocation).
 * Only touched with the GIL held: arenas are allocated and freed inside
 * PyObject_Malloc/Free. */
typedef struct arena_range {
    uintptr_t base;
    size_t size;
} arena_range;

static arena_range *arenas;
static size_t n_arenas, cap_arenas;
static uint64_t arenas_mapped_total;
static PyObjectArenaAllocator previous_arena_allocator;
static bool hook_installed;
static bool layout_verified; /* open() passed: usable_size/owns may be asked */

/* Index of the first arena whose base is > addr. */
static size_t arena_upper_bound(uintptr_t addr)
{
    size_t lo = 0, hi = n_arenas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (arenas[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool in_arena(const void *ptr)
{
    uintptr_t addr = (uintptr_t)ptr;
    size_t i = arena_upper_bound(addr);
    return i > 0 && addr - arenas[i - 1].base < arenas[i - 1].size;
}

#ifdef HL_DEBUG
static void validate_arena_table(void)
{
    for (size_t i = 1; i < n_arenas; i++) {
        if (arenas[i - 1].base + arenas[i - 1].size > arenas[i].base) {
            fprintf(stderr, "heaplab cpython: arena table corrupt at %zu\n", i);
            abort();
        }
    }
}
#else
#define validate_arena_table() ((void)0)
#endif

static void *arena_alloc_hook(void *ctx, size_t size)
{
    void *p = previous_arena_allocator.alloc(previous_arena_allocator.ctx, size);
    if (p == NULL)
        return NULL;
    if (n_arenas == cap_arenas) {
        size_t cap = cap_arenas ? 2 * cap_arenas : 64;
        /* Bookkeeping from the raw domain (glibc), like obmalloc's own
         * arena-object vector. */
        arena_range *grown = realloc(arenas, cap * sizeof *grown);
        if (grown == NULL) {
            previous_arena_allocator.free(previous_arena_allocator.ctx, p, size);
            return NULL; /* obmalloc then serves the request from malloc */
        }
        arenas = grown;
        cap_arenas = cap;
    }
    size_t i = arena_upper_bound((uintptr_t)p);
    memmove(&arenas[i + 1], &arenas[i], (n_arenas - i) * sizeof arenas[0]);
    arenas[i] = (arena_range){(uintptr_t)p, size};
    n_arenas++;
    arenas_mapped_total++;
    validate_arena_table();
    return p;
}

static void arena_free_hook(void *ctx, void *ptr, size_t size)
{
    size_t i = arena_upper_bound((uintptr_t)ptr);
    if (i == 0 || arenas[i - 1].base != (uintptr_t)ptr) {
        fprintf(stderr, "heaplab cpython: obmalloc freed arena %p that was never allocated\n", ptr);
        abort();
    }
    memmove(&arenas[i - 1], &arenas[i], (n_arenas - i) * sizeof arenas[0]);
    n_arenas--;
    previous_arena_allocator.free(previous_arena_allocator.ctx, ptr, size);
}

static size_t pymalloc_block_size(const void *ptr)
{
    uintptr_t pool = (uintptr_t)ptr & ~(OBM_POOL_SIZE - 1);
    unsigned szidx;
    memcpy(&szidx, (const char *)pool + OBM_SZIDX_OFFSET, sizeof szidx);
    return ((size_t)szidx + 1) << OBM_ALIGNMENT_SHIFT;
}

/* Allocates one block per size class and checks that each lands in a
 * recorded arena and that its pool header names its class. */
static int verify_layout(char *err, size_t errlen)
{
    void *blocks[OBM_SMALL_REQUEST_THRESHOLD >> OBM_ALIGNMENT_SHIFT];
    size_t n = 0;
    int rc = 0;
    for (size_t size = 1 << OBM_ALIGNMENT_SHIFT; size <= OBM_SMALL_REQUEST_THRESHOLD;
         size += 1 << OBM_ALIGNMENT_SHIFT) {
        void *p = PyObject_Malloc(size);
        if (p == NULL) {
            snprintf(err, errlen, "cpython: PyObject_Malloc(%zu) failed during start-up", size);
            rc = -1;
            break;
        }
        blocks[n++] = p;
        if (!in_arena(p)) {
            snprintf(err, errlen,
                     "cpython: a %zu-byte PyObject_Malloc block is outside every obmalloc arena: "
                     "this libpython (%s) does not use pymalloc as heaplab expects",
                     size, Py_GetVersion());
            rc = -1;
            break;
        }
        if (pymalloc_block_size(p) != size) {
            snprintf(err, errlen,
                     "cpython: obmalloc pool header layout differs from 3.10-3.11's (size class "
                     "%zu read as %zu) in libpython %s; usable_size cannot be answered",
                     size, pymalloc_block_size(p), Py_GetVersion());
            rc = -1;
            break;
        }
    }
    while (n > 0)
        PyObject_Free(blocks[--n]);
    return rc;
}

/* obmalloc is one per process: every open returns the same (NULL) instance
 * once the start-up checks passed. */
static int cpython_open(const char *options, const hl_raw *raw, void **ctx, char *err,
                        size_t errlen)
{
    *ctx = NULL;
    if (options[0] != '\0') {
        snprintf(err, errlen, "cpython: takes no options (got '%s')", options);
        return -1;
    }
    if (hook_installed) {
        if (layout_verified)
            return 0;
        snprintf(err, errlen, "cpython: an earlier start-up check failed; see its message");
        return -1;
    }
    if (_Py_GetAllocatedBlocks() != 0) {
        snprintf(err, errlen,
                 "cpython: obmalloc already has %zd live blocks: the backend must be initialised "
                 "before anything in the process uses PyObject_Malloc",
                 (Py_ssize_t)_Py_GetAllocatedBlocks());
        return -1;
    }
    PyObject_GetArenaAllocator(&previous_arena_allocator);
    PyObjectArenaAllocator hook = {NULL, arena_alloc_hook, arena_free_hook};
    PyObject_SetArenaAllocator(&hook);
    hook_installed = true;
    if (verify_layout(err, errlen) != 0)
        return -1;
    layout_verified = true;
    return 0;
}

static char version_text[32];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void format_version(void)
{
    /* Py_GetVersion() is "3.11.2 (main, ...) [GCC ...]": keep the number. */
    const char *v = Py_GetVersion();
    size_t len = strcspn(v, " ");
    if (len >= sizeof version_text)
        len = sizeof version_text - 1;
    memcpy(version_text, v, len);
    version_text[len] = '\0';
}

static const char *cpython_version(void *ctx)
{
    pthread_once(&version_once, format_version);
    return version_text;
}

static void *cpython_malloc(void *ctx, size_t size)
{
    return PyObject_Malloc(size);
}

static void *cpython_calloc(void *ctx, size_t count, size_t size)
{
    return PyObject_Calloc(count, size);
}

static void *cpython_realloc(void *ctx, void *ptr, size_t size)
{
    return PyObject_Realloc(ptr, size);
}

static void cpython_free(void *ctx, void *ptr)
{
    PyObject_Free(ptr);
}

static size_t cpython_usable_size(void *ctx, const void *ptr)
{
    if (ptr == NULL)
        return 0;
    if (!layout_verified) {
        /* Without the arena table a pymalloc block cannot be told from a
         * malloc one, and guessing would read foreign memory. */
        fputs("heaplab cpython: usable_size called before a successful open()\n", stderr);
        abort();
    }
    if (in_arena(ptr))
        return pymalloc_block_size(ptr);
    return malloc_usable_size((void *)ptr); /* raw domain: PyMem_RawMalloc = malloc */
}

static bool cpython_owns(void *ctx, const void *ptr)
{
    /* Only obmalloc's own blocks: large requests are the raw domain's. */
    return layout_verified && in_arena(ptr);
}

/* The lines of _PyObject_DebugMallocStats() worth keeping, by label. */
static const struct {
    const char *label;
    const char *name;
} debug_stats[] = {
    {"arenas allocated total", "obmalloc.arenas_allocated_total"},
    {"arenas reclaimed", "obmalloc.arenas_reclaimed"},
    {"arenas highwater mark", "obmalloc.arenas_highwater"},
    {"arenas allocated current", "obmalloc.arenas_current"},
    {"bytes in allocated blocks", "obmalloc.bytes_in_allocated_blocks"},
    {"bytes in available blocks", "obmalloc.bytes_in_available_blocks"},
    {"bytes lost to pool headers", "obmalloc.bytes_lost_pool_headers"},
    {"bytes lost to quantization", "obmalloc.bytes_lost_quantization"},
    {"bytes lost to arena alignment", "obmalloc.bytes_lost_arena_alignment"},
};

/* "# bytes in allocated blocks        =       1,234" -> 1234 */
static bool parse_debug_line(const char *line, const char *label, uint64_t *value)
{
    if (strncmp(line, "# ", 2) != 0 || strncmp(line + 2, label, strlen(label)) != 0)
        return false;
    const char *rest = line + 2 + strlen(label);
    while (*rest == ' ')
        rest++;
    if (*rest != '=')
        return false;
    uint64_t v = 0;
    bool digits = false;
    for (rest++; *rest && *rest != '\n'; rest++) {
        if (*rest >= '0' && *rest <= '9') {
            v = v * 10 + (uint64_t)(*rest - '0');
            digits = true;
        } else if (*rest != ',' && *rest != ' ') {
            return false;
        }
    }
    *value = v;
    return digits;
}

static size_t cpython_native_stats(void *ctx, hl_stat *out, size_t max)
{
    size_t n = 0;
    if (n < max)
        out[n++] = (hl_stat){"obmalloc.allocated_blocks", (uint64_t)_Py_GetAllocatedBlocks()};
    if (n < max)
        out[n++] = (hl_stat){"obmalloc.arenas_mapped", n_arenas};
    if (n < max)
        out[n++] = (hl_stat){"obmalloc.arenas_mapped_total", arenas_mapped_total};

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return n;
    int printed = _PyObject_DebugMallocStats(f);
    fclose(f);
    if (printed && text != NULL) {
        for (size_t k = 0; k < sizeof debug_stats / sizeof debug_stats[0] && n < max; k++) {
            for (const char *line = text; line && *line; line = strchr(line, '\n')) {
                if (*line == '\n')
                    line++;
                uint64_t v;
                if (parse_debug_line(line, debug_stats[k].label, &v)) {
                    out[n++] = (hl_stat){debug_stats[k].name, v};
                    break;
                }
            }
        }
    }
    free(text);
    return n;
}

static void cpython_trim(void *ctx)
{
    /* obmalloc returns empty arenas by itself (all but one); the raw domain
     * is glibc, which can give its free top and pages back. */
    malloc_trim(0);
}

/* This file defines its variant (backend.h). */
const hl_backend hl_native_backend = {
    .name = "cpython",
    .thread_safe = false,
    .open = cpython_open,
    .version = cpython_version,
    .malloc = cpython_malloc,
    .calloc = cpython_calloc,
    .realloc = cpython_realloc,
    .free = cpython_free,
    .free_sized = NULL,
    .usable_size = cpython_usable_size,
    .owns = cpython_owns,
    .native_stats = cpython_native_stats,
    .trim = cpython_trim,
};
