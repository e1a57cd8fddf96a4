/* pool.h - heaplab's pymalloc: a small-object allocator built from the
 * published design of CPython's obmalloc (3.10+, 64-bit).  See pool.c for how
 * it works.
 *
 * Use it through the registry ("pool", "pool:raw=NAME") and an hl_allocator;
 * the functions below are for tests and tools.
 *
 * Options (comma separated; the spec's raw=NAME is the registry's, the
 * others are given to hl_backend.open):
 *     raw=NAME           the allocator for requests of 0 or > 512 bytes and for
 *                        every pointer the pool does not own (default: this
 *                        process's native backend); a process allocator,
 *                        which is thread safe.  The registry opens it and
 *                        injects it (hl_raw) into open.
 *     align=none         map arenas as mmap returns them, losing one pool when
 *                        the base is not pool aligned (obmalloc; the default)
 *     align=arena        map arenas aligned to their size (64 pools each)
 *     align=unaligned    always place arenas off a pool boundary (tests the
 *                        lost-pool path deterministically)
 *     realloc=obmalloc   a block the pool does not own stays with the raw
 *                        allocator whatever its new size (obmalloc; default)
 *     realloc=migrate    a raw block reallocated to 1..512 bytes moves into a
 *                        pool
 *     keep_free=N        fully free arenas kept mapped instead of returned to
 *                        the OS (default 1, bpo-37257; 0 = pre-3.8 obmalloc).
 *                        An arena whose only non-free pools are cached empty
 *                        pools (pool.c, "Cached pools") counts against N too.
 *
 * Threads: like obmalloc the pool takes no lock; every call must be made with
 * the GIL held (gil.h).  hl_allocator does that for callers (thread_safe is
 * false); code calling the vtable or the functions below directly must hold
 * it (debug builds assert it).  Exceptions: open (before any allocation)
 * and trim (takes the GIL itself when the caller lacks it).
 *
 * native_stats names (stable; all are current values unless "total"):
 *     pool.arenas_current      arenas mapped now
 *     pool.arenas_total        arenas ever mapped
 *     pool.arenas_freed        arenas returned to the OS (munmap)
 *     pool.arenas_highwater    most arenas mapped at once
 *     pool.bytes_mapped        arenas_current * arena size
 *     pool.pools_in_use        pools holding at least one block (partial + full)
 *     pool.pools_partial       pools on a usedpools list (some blocks free)
 *     pool.pools_full          pools with every block allocated
 *     pool.pools_empty         carved pools holding no block (on their arena's
 *                              free list, or cached by their class)
 *     pool.pools_uncarved      pools above the arenas' high-water marks
 *     pool.blocks_in_use       blocks allocated from pools
 *     pool.bytes_in_blocks     sum of the block sizes of those blocks
 *     pool.bytes_free_in_pools free bytes in pools in use (free list + uncarved)
 *     pool.quantization_bytes  tail of each pool in use too small for a block
 *     pool.header_bytes        pool headers of pools in use
 *     pool.arena_lost_bytes    space lost to unaligned arena bases
 *     pool.raw_mallocs         malloc/calloc sent to the raw allocator
 *     pool.raw_callocs         (of which) calloc
 *     pool.raw_reallocs        realloc of raw blocks passed to the raw allocator
 *     pool.raw_frees           free of pointers the pool does not own
 *     pool.radix_bytes         memory held by the address radix tree's nodes
 *     pool.arena_objects       arena descriptors allocated (vector capacity)
 *     pool.arenas_fully_free   arenas mapped holding no block (<= keep_free)
 *     pool.pools_cached        empty pools kept on usedpools by their class
 *                              (at most one per class; see pool.c)
 */
#ifndef HL_POOL_H
#define HL_POOL_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

/* ---- tunables (checked with #error in pool.c) ----------------------------
 * The obmalloc 3.10+ values for 64-bit builds (bpo-27987, bpo-37448). */
#define HL_POOL_ALIGNMENT_SHIFT 4 /* 16-byte size-class spacing */
#define HL_POOL_ALIGNMENT (1u << HL_POOL_ALIGNMENT_SHIFT)
#define HL_POOL_SMALL_REQUEST_THRESHOLD 512u
#define HL_POOL_NB_CLASSES (HL_POOL_SMALL_REQUEST_THRESHOLD / HL_POOL_ALIGNMENT) /* 32 */
#define HL_POOL_POOL_BITS 14 /* 16 KiB pools */
#define HL_POOL_POOL_SIZE ((size_t)1 << HL_POOL_POOL_BITS)
#define HL_POOL_ARENA_BITS 20 /* 1 MiB arenas */
#define HL_POOL_ARENA_SIZE ((size_t)1 << HL_POOL_ARENA_BITS)
#define HL_POOL_MAX_POOLS_IN_ARENA (HL_POOL_ARENA_SIZE / HL_POOL_POOL_SIZE) /* 64 */
#define HL_POOL_OVERHEAD 48u /* pool header, a multiple of HL_POOL_ALIGNMENT */

extern const hl_backend hl_pool_backend;

typedef struct hl_pool_class_stats {
    uint32_t block_size;     /* (class + 1) * 16 */
    uint32_t capacity;       /* blocks per pool: (16384 - 48) / block_size */
    uint64_t pools_partial;  /* on usedpools[class] */
    uint64_t pools_full;
    uint64_t pools_empty;    /* no block in use, still formatted for this class */
    uint64_t blocks_in_use;
    uint64_t blocks_free;    /* free blocks in this class's partial pools */
} hl_pool_class_stats;

/* Invariants (hl_pool_validate checks them): arenas_current ==
 * arenas_total - arenas_freed; bytes_mapped == arenas_current * arena size;
 * pools_in_use == pools_partial + pools_full; each total equals the sum of
 * the per-class figures. */
typedef struct hl_pool_stats {
    uint64_t arenas_current, arenas_total, arenas_freed, arenas_highwater;
    uint64_t bytes_mapped;
    uint64_t pools_in_use, pools_partial, pools_full, pools_empty, pools_uncarved;
    uint64_t blocks_in_use, bytes_in_blocks, bytes_free_in_pools;
    uint64_t quantization_bytes, header_bytes, arena_lost_bytes;
    uint64_t raw_mallocs, raw_callocs, raw_reallocs, raw_frees;
    uint64_t radix_bytes, arena_objects;
    uint64_t arenas_fully_free; /* arenas mapped holding no block (<= keep_free) */
    uint64_t pools_cached;      /* empty pools cached by their class (<= 1 per class) */
    hl_pool_class_stats classes[HL_POOL_NB_CLASSES];
} hl_pool_stats;

/* Walks every structure (O(arenas * pools)); not for hot paths. */
void hl_pool_get_stats(hl_pool_stats *out);

/* Checks every invariant of pool.c: the usedpools lists, each pool's free
 * list and bump pointer, the arenas' free-pool lists, the usable_arenas
 * ordering and its nfp2lasta fingers, the radix tree against the live arenas
 * and the counters.  Returns 0, or -1 with the first problem in err. */
int hl_pool_validate(char *err, size_t errlen);

/* Base addresses of the arenas mapped now (at most max written); returns how
 * many arenas are mapped.  For tests that probe addresses around arenas. */
size_t hl_pool_arena_bases(uintptr_t *out, size_t max);

/* Tests only: forget every pool block (their memory is unmapped), free the
 * radix tree and arena vector, zero the counters.  Raw blocks stay with the
 * raw allocator.  After it, open may be called again with other options. */
void hl_pool_reset(void);

#endif
