/* pool.c - heaplab's pymalloc: small blocks carved from pools carved from
 * arenas, after the published design of CPython's obmalloc (Objects/
 * obmalloc.c, 3.10+ on 64-bit: bpo-27987 16-byte classes, bpo-37448 16 KiB
 * pools + 1 MiB arenas + radix tree, bpo-37029 search fingers, bpo-37257 one
 * kept arena).  Written from those published descriptions, not copied.
 *
 * How it works
 * ------------
 * Requests of 1..512 bytes are rounded up to a multiple of 16 and served from
 * one of 32 size classes (16-byte spacing since bpo-27987, CPython 3.8):
 *
 *     request bytes   class   block size   blocks per 16 KiB pool
 *        1 ..  16       0         16          1021 = (16384 - 48) / 16
 *       17 ..  32       1         32           510
 *       33 ..  48       2         48           340
 *        ...         (n - 1) >> 4   (class + 1) * 16   (16384 - 48) / size
 *      497 .. 512      31        512            31
 *
 * 0 bytes and more than 512 go to the raw allocator (injected at open: the
 * registry resolves the spec's raw=NAME, by default the process malloc), as
 * PyObject_Malloc sends them to PyMem_RawMalloc.
 *
 *     arena: 1 MiB from mmap, base as mmap returns it (4 KiB aligned)
 *     +------+--------+--------+--------+-- ... --+--------+-----+
 *     | lost | pool 0 | pool 1 | pool 2 |         | pool62 |lost |  base not
 *     +------+--------+--------+--------+-- ... --+--------+-----+  16 KiB
 *     ^base  ^first pool boundary       ^pool_address (high-water mark:
 *                                         pools above it were never touched)
 *     An aligned base holds 64 pools; an unaligned one 63 (the two slivers
 *     at the ends together are one pool), as in obmalloc.
 *
 *     pool: 16 KiB, 16 KiB aligned, one size class
 *     +--------+-------+-------+-------+-------+----- ... ---+------+
 *     | header | block | block | block | block |  never used | tail |
 *     | 48 B   |  used | free  |  used | free  |  (virgin)   |      |
 *     +--------+-------+-------+-------+-------+----- ... ---+------+
 *              ^POOL_OVERHEAD          ^nextoffset    maxnextoffset^
 *     freeblock -> a free block -> another free block -> NULL (LIFO list
 *     threaded through the free blocks themselves)
 *
 * Allocation (obmalloc's pymalloc_alloc): usedpools[class] is a circular
 * doubly linked list of the class's partially used pools; take the first one,
 * pop its free list.  When the list runs dry, carve the next virgin block at
 * nextoffset (lazy carving: "never touch memory until needed": a fresh pool
 * formats only two blocks); when nextoffset passes maxnextoffset the pool is
 * full and leaves the list.  With no partial pool, take a pool from the
 * first usable arena: a pool from its free-pool list, else carve one at its
 * high-water mark; with no usable arena, map a new one.
 *
 * Free (pymalloc_free): the pool is p rounded down to 16 KiB.  Whether p is
 * ours at all is answered by a radix tree over arena addresses (bpo-37448,
 * CPython 3.10): three dependent loads and no branch but the answer, no
 * read of memory we do not own.  Push the block on its pool's free list.  A
 * pool that was full goes back to the front of usedpools; a pool that becomes
 * empty goes to its arena's free-pool list, and the arena moves in
 * usable_arenas -- unless it becomes its class's cached pool (below).
 *
 * Cached pools (a deviation from obmalloc).  In obmalloc a loop that
 * mallocs and frees one block of a class with no other block in use empties
 * the class's only pool on every free: the pool goes to its arena (arena
 * reordering), and the next malloc takes it back from the arena (more
 * reordering): some 90 instructions per malloc+free pair spent moving one
 * pool to and fro, where mimalloc keeps its page.  Here a pool that empties
 * while it is alone on its usedpools ring, in a class that has no cached
 * pool, stays on the ring as the class's cached pool: the next malloc finds
 * it by the hot path, and its later frees cost one more test.  Rules:
 *  - at most one cached pool per class (cached_pool[c]; pool->cached); it
 *    stays on its ring, used again like any partial pool; it stops being
 *    cached when it turns full (it leaves the ring), when trim flushes it,
 *    or when its arena must go (below).
 *  - the arena accounting counts a cached pool as used, so memory is only
 *    at risk when an arena's non-free pools are all cached pools: such an
 *    arena is "quiet" (it may hold no block at all).  Quiet arenas and
 *    entirely free ones together are bounded by keep_free (nfully_free +
 *    nquiet <= keep_free_arenas), the bound obmalloc puts on entirely free
 *    arenas alone.  When an arena turns quiet beyond that bound, its cached
 *    pools are uncached and the empty ones returned, which frees the arena
 *    exactly when obmalloc would have; a pool whose caching would make its
 *    arena quiet beyond the bound is not cached (so keep_free=0 behaves as
 *    pre-3.8 obmalloc).  The hot paths never update quiet counts, so a
 *    cached pool reused since its arena turned quiet still counts; when the
 *    bound is reached, such pools are uncached first (keep_budget_left), so
 *    that the budget goes to arenas really holding no block.
 *  - trim uncaches every cached pool before returning free arenas.
 *  - before mapping a new arena, an empty cached pool is taken back and
 *    used (for any class), so caching never maps an arena obmalloc would
 *    not have mapped.
 * Net effect on memory: at most one idle 16 KiB pool per class stays
 * formatted in an arena that also holds live blocks (or in one of the
 * keep_free kept arenas); no more arenas are mapped than obmalloc's.
 *
 * usable_arenas holds the arenas with at least one free pool in ascending
 * order of free pools (fullest first): new pools come from the fullest
 * arenas, so nearly empty arenas drain and can be returned to the OS whole.
 * nfp2lasta[k] points at the last arena with k free pools, which makes every
 * reordering O(1) (bpo-37029, Tim Peters, 3.8).  An arena whose pools are all
 * free is unmapped, except that one fully free arena is kept (option
 * keep_free=N: N of them) so that a loop allocating and freeing one object
 * does not map and unmap an arena each time (bpo-37257, 3.8).
 *
 * Realloc follows obmalloc: a pool block keeps its place when the new size
 * fits and is more than 3/4 of the block; shrinking copies only when that
 * saves at least 25%; otherwise malloc + copy + free, which moves the block
 * to the raw allocator when it grows past 512 bytes.  A raw block stays raw
 * (obmalloc cannot know how many bytes of it are valid, bug 1185883) unless
 * the option realloc=migrate asks to move it into a pool (using the raw
 * allocator's usable_size to copy safely).
 *
 * Threads: none of this is locked; callers hold the GIL (gil.h), as
 * pymalloc's do.  Debug builds assert it on every entry point.
 *
 * Checking: debug builds (HL_DEBUG) assert invariants on the hot paths and
 * scribble over freed blocks; hl_pool_validate() walks every structure (all
 * builds, called by tests, never by the hot paths).  Under AddressSanitizer
 * free and virgin blocks are poisoned, so use-after-free of pool blocks is
 * caught although arenas come from mmap.
 */
#include "pool.h"

#include "backends.h"
#include "gil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- tunables: the values live in pool.h; here the checks -------------- */

#define ALIGN_SHIFT HL_POOL_ALIGNMENT_SHIFT
#define ALIGNMENT HL_POOL_ALIGNMENT
#define SMALL_REQUEST_THRESHOLD HL_POOL_SMALL_REQUEST_THRESHOLD
#define NB_CLASSES HL_POOL_NB_CLASSES
#define POOL_SIZE HL_POOL_POOL_SIZE
#define POOL_MASK (POOL_SIZE - 1)
#define ARENA_BITS HL_POOL_ARENA_BITS
#define ARENA_SIZE HL_POOL_ARENA_SIZE
#define ARENA_MASK (ARENA_SIZE - 1)
#define MAX_POOLS_IN_ARENA HL_POOL_MAX_POOLS_IN_ARENA
#define POOL_OVERHEAD HL_POOL_OVERHEAD
#define INITIAL_ARENA_OBJECTS 16 /* obmalloc's starting vector, doubled when full */
#define DUMMY_CLASS 0xffffu       /* a freshly carved pool has no class yet */

#if HL_POOL_ALIGNMENT != 16
#error "blocks must be 16-byte aligned (max_align_t on x86-64; obmalloc ALIGNMENT)"
#endif
#if HL_POOL_SMALL_REQUEST_THRESHOLD != 512
#error "the small request threshold is obmalloc's 512 bytes"
#endif
#if HL_POOL_SMALL_REQUEST_THRESHOLD % HL_POOL_ALIGNMENT != 0
#error "the threshold must be a multiple of the class spacing"
#endif
#if (1 << HL_POOL_ARENA_BITS) % (1 << HL_POOL_POOL_BITS) != 0 || HL_POOL_ARENA_BITS <= HL_POOL_POOL_BITS
#error "the pool size must divide the arena size"
#endif
#if HL_POOL_OVERHEAD % HL_POOL_ALIGNMENT != 0
#error "the pool header must keep blocks aligned"
#endif
#if (1 << HL_POOL_POOL_BITS) - HL_POOL_OVERHEAD < 2 * HL_POOL_SMALL_REQUEST_THRESHOLD
#error "a pool must hold at least two blocks of the largest class (lazy carving formats two)"
#endif
#if HL_POOL_ARENA_BITS > 31
#error "radix leaves store arena offsets in 32 bits"
#endif

#if defined(__GNUC__)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define likely(x) (x)
#define unlikely(x) (x)
#define NOINLINE
#define ALWAYS_INLINE inline
#endif

/* Debug assertions: compiled in when HL_DEBUG is defined (Debug builds),
 * nothing at all otherwise. */
#ifdef HL_DEBUG
#define POOL_ASSERT(cond)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "heaplab pool: %s:%d: assertion failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                                        \
            abort();                                                                         \
        }                                                                                    \
    } while (0)
#define ASSERT_GIL() POOL_ASSERT(hl_gil_held && "pool called without the GIL (gil.h)")
#else
#define POOL_ASSERT(cond) ((void)0)
#define ASSERT_GIL() ((void)0)
#endif

/* AddressSanitizer: arena memory comes from mmap, which ASan does not
 * track, so free and virgin blocks are poisoned by hand (the manual
 * poisoning API of <sanitizer/asan_interface.h>).  A use after free of a
 * pool block, or a double free, is then reported like one of malloc's.
 * Allocated blocks are unpoisoned whole (usable_size = the block size).  The
 * pool header is never poisoned.  Arenas are unpoisoned before munmap, since
 * the shadow outlives the mapping and the address may be mapped again. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
/* Radix nodes live as long as the process (as obmalloc's) and are linked by
 * offsets, which LeakSanitizer cannot follow: tell it they are not leaks. */
#define RADIX_NODE_KEPT(p) __lsan_ignore_object(p)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define RADIX_NODE_KEPT(p) ((void)(p))
#endif

#define CLASS_SIZE(cls) (((uint32_t)(cls) + 1u) << ALIGN_SHIFT)
#define CLASS_CAPACITY(cls) ((uint32_t)((POOL_SIZE - POOL_OVERHEAD) / CLASS_SIZE(cls)))
#define POOL_OF(p) ((pool_header *)((uintptr_t)(p) & ~(uintptr_t)POOL_MASK))

typedef uint8_t block;

/* The free-list link stored in the first word of a free block.  Free blocks
 * are poisoned under ASan, so the link is unpoisoned around each access;
 * without ASan these are plain loads and stores. */
static inline block *link_get(const block *b)
{
    UNPOISON(b, sizeof(block *));
    block *next = *(block *const *)b;
    POISON(b, sizeof(block *));
    return next;
}

static inline void link_set(block *b, block *next)
{
    UNPOISON(b, sizeof(block *));
    *(block **)b = next;
    POISON(b, sizeof(block *));
}

/* ---- data structures ------------------------------------------------------ */

/* Pool header, at the start of every carved pool (48 bytes: obmalloc's
 * POOL_OVERHEAD, so a 16-byte pool holds 1021 blocks as CPython's does).
 *
 * Invariants:
 *  - szidx is the class (< NB_CLASSES), or DUMMY_CLASS for a pool carved but
 *    never formatted.  An empty pool keeps its class so that reusing it for
 *    the same class skips formatting.
 *  - count = blocks handed out.  0 < count < capacity: on usedpools[szidx],
 *    freeblock != NULL.  count == capacity: full, on no list, freeblock ==
 *    NULL.  count == 0: empty, on its arena's free-pool list (linked through
 *    nextpool; prevpool unused), unless it is its class's cached pool.
 *  - cached is 1 iff cached_pool[szidx] == this pool; such a pool is on
 *    usedpools[szidx] with count < capacity (count == 0 allowed: it is then
 *    the one empty pool kept by its class, see "Cached pools" above).
 *  - Blocks below nextoffset have been carved (each is allocated or on the
 *    free list); blocks from nextoffset up to maxnextoffset (= POOL_SIZE -
 *    block size) are virgin.  free-list length + virgin + count == capacity.
 *  - arenaindex is this pool's arena in `arenas`.
 */
typedef struct pool_header pool_header;
struct pool_header {
    block *freeblock;       /* head of the free list, NULL when none */
    pool_header *nextpool;  /* usedpools ring, or arena free-pool list */
    pool_header *prevpool;  /* usedpools ring */
    uint32_t count;         /* blocks in use */
    uint32_t szidx;         /* size class */
    uint32_t nextoffset;    /* byte offset of the next virgin block */
    uint32_t maxnextoffset; /* largest offset a block may start at */
    uint32_t arenaindex;    /* index into arenas[] */
    uint32_t cached;        /* 1: its class's cached pool (kept when empty) */
};
_Static_assert(sizeof(pool_header) == POOL_OVERHEAD, "pool header size is POOL_OVERHEAD");

/* Arena descriptor, one per slot of the `arenas` vector.
 *
 * Invariants:
 *  - address == 0: slot unused, on the unused_arena_objects list (through
 *    nextarena).  Otherwise the arena [address, address + ARENA_SIZE) is
 *    mapped and marked in the radix tree.
 *  - first_pool = address rounded up to POOL_SIZE; ntotalpools = 64 when
 *    address is pool aligned, 63 otherwise (obmalloc loses one pool).
 *  - Pools in [first_pool, pool_address) are carved; the rest are virgin.
 *  - nfreepools == length(freepools) + virgin pools.
 *  - nfreepools > 0 <=> the arena is on usable_arenas (nextarena/prevarena
 *    link it there); a full arena is on no list.
 *  - ncached = how many of its pools are cached pools (cached_pool[]); they
 *    are not in nfreepools.  quiet == (ncached > 0 && nfreepools + ncached ==
 *    ntotalpools): every pool not free is a cached pool, so the arena may hold
 *    no block at all; quiet arenas are counted in nquiet.
 */
typedef struct arena_object arena_object;
struct arena_object {
    uintptr_t address;         /* base of the mapping, 0 when the slot is unused */
    block *first_pool;         /* first pool boundary in the arena */
    block *pool_address;       /* high-water mark: next pool to carve */
    uint32_t nfreepools;       /* free + virgin pools */
    uint32_t ntotalpools;      /* 63 or 64 */
    uint32_t ncached;          /* cached pools in this arena (<= NB_CLASSES) */
    bool quiet;                /* counted in nquiet */
    pool_header *freepools;    /* empty pools, singly linked via nextpool */
    arena_object *nextarena;
    arena_object *prevarena;
};

/* Radix tree over arena addresses (bpo-37448; full 64-bit keys as in
 * bpo-45526, so any pointer value can be looked up): 15 + 15 + 14 bits pick
 * an arena-size-aligned "ideal" slot, the low 20 bits are the offset in it.
 * A leaf entry says which offsets of its slot belong to a live arena: an
 * unaligned arena starts in one slot (at offset hi) and ends in the next
 * (below the same offset, lo), so a slot owns [0, lo) and [hi, ARENA_SIZE):
 * one run modulo ARENA_SIZE, which the entry stores as its start and length
 * so that the test is one subtraction, mask and compare, without branches:
 *     p is ours  iff  (offset(p) - start) mod ARENA_SIZE < len.
 * An aligned arena covers its whole slot: start 0, len ARENA_SIZE; an all-zero
 * entry owns nothing.
 * Interior nodes are calloc'ed from the raw allocator on demand and kept
 * (as obmalloc does).  Links are stored as offsets from a static, all-zero
 * "empty" node of their level, so that a missing node (link 0) reads as a
 * node owning nothing: the lookup is three dependent loads and no NULL
 * tests (obmalloc 3.10 tests for NULL at each level). */
#define RADIX_TOP_BITS 15
#define RADIX_MID_BITS 15
#define RADIX_BOT_BITS (64 - ARENA_BITS - RADIX_TOP_BITS - RADIX_MID_BITS) /* 14 */
#define RADIX_TOP_SHIFT (64 - RADIX_TOP_BITS)
#define RADIX_MID_SHIFT (ARENA_BITS + RADIX_BOT_BITS)
#define RADIX_BOT_SHIFT ARENA_BITS
#define RADIX_MID_MASK ((1u << RADIX_MID_BITS) - 1)
#define RADIX_BOT_MASK ((1u << RADIX_BOT_BITS) - 1)

/* Invariant: len <= ARENA_SIZE; start == 0 unless an arena starts in the
 * slot (then start is that offset and start + len >= ARENA_SIZE). */
typedef struct arena_coverage {
    uint32_t start; /* first owned offset of the run (mod ARENA_SIZE) */
    uint32_t len;   /* owned offsets in the run, 0 .. ARENA_SIZE */
} arena_coverage;

/* Owned [0, lo) and [hi, ARENA_SIZE) (hi == 0: none) as a run and back. */
static inline arena_coverage coverage_make(uint32_t lo, uint32_t hi)
{
    arena_coverage c = {0, lo};
    if (hi != 0) {
        c.start = hi;
        c.len = (uint32_t)ARENA_SIZE - hi + lo;
    }
    return c;
}

static inline uint32_t coverage_lo(arena_coverage c)
{
    return c.start != 0 ? c.start + c.len - (uint32_t)ARENA_SIZE : c.len;
}

typedef uintptr_t radix_link; /* node address - empty node address; 0: none */

typedef struct radix_bot {
    arena_coverage slot[1u << RADIX_BOT_BITS];
} radix_bot;

typedef struct radix_mid {
    radix_link bot[1u << RADIX_MID_BITS];
} radix_mid;

typedef enum { ALIGN_NONE, ALIGN_ARENA, ALIGN_UNALIGNED } arena_align_mode;

/* ---- state (all of it protected by the GIL) -------------------------------- */

/* usedpools[c]: sentinel of the ring of class c's partially used pools.
 * Empty ring: the sentinel points at itself.  (obmalloc stores only the two
 * links, overlaying a fake header; full sentinels avoid that aliasing.) */
#define RING(i) {NULL, &usedpools[i], &usedpools[i], 0, 0, 0, 0, 0, 0}
#define RING4(i) RING(i), RING(i + 1), RING(i + 2), RING(i + 3)
static pool_header usedpools[NB_CLASSES] = {
    RING4(0), RING4(4), RING4(8), RING4(12), RING4(16), RING4(20), RING4(24), RING4(28),
};
_Static_assert(NB_CLASSES == 32, "usedpools initialiser lists 32 rings");
_Static_assert(sizeof(pool_header) % ALIGNMENT == 0, "small_malloc indexes usedpools by 16 * class");

/* One static object, so one base address serves every level.  The empty
 * nodes are never written (.bss: no memory until read, then the zero page). */
static struct {
    radix_link root[1u << RADIX_TOP_BITS];
    radix_mid empty_mid;
    radix_bot empty_bot;
} radix;

static ALWAYS_INLINE radix_mid *radix_mid_at(radix_link l)
{
    return (radix_mid *)((uintptr_t)&radix.empty_mid + l);
}

static ALWAYS_INLINE radix_bot *radix_bot_at(radix_link l)
{
    return (radix_bot *)((uintptr_t)&radix.empty_bot + l);
}

static arena_object *arenas;               /* vector of maxarenas descriptors */
static uint32_t maxarenas;
static arena_object *unused_arena_objects; /* slots with address 0 */
static arena_object *usable_arenas;        /* ascending nfreepools */
static arena_object *nfp2lasta[MAX_POOLS_IN_ARENA + 1];

static hl_raw raw_alloc;        /* the raw allocator (open) */
static arena_align_mode align_mode = ALIGN_NONE;
static bool migrate_raw_on_realloc;
/* Fully free arenas kept mapped (bpo-37257 keeps one; option keep_free=N)
 * and how many usable arenas have every pool free right now. */
static uint32_t keep_free_arenas = 1;
static uint32_t nfully_free;
/* cached_pool[c]: class c's cached pool, or NULL (see "Cached pools").
 * nquiet: arenas whose quiet flag is set.  Invariant: nfully_free + nquiet
 * <= keep_free_arenas, so arenas holding no block are bounded as in
 * obmalloc whether their last pools went back to the arena or were cached. */
static pool_header *cached_pool[NB_CLASSES];
static uint32_t nquiet;

static struct {
    uint64_t arenas_current, arenas_total, arenas_freed, arenas_highwater;
    uint64_t radix_bytes;
    uint64_t raw_mallocs, raw_callocs, raw_reallocs, raw_frees;
} counters;

/* ---- the raw allocator ----------------------------------------------------- */

static NOINLINE const hl_backend *raw_missing(void)
{
    /* Only a direct vtable call before open() gets here (the registry
     * always opens the pool with a raw allocator). */
    fputs("heaplab pool: used before open() gave it a raw allocator\n", stderr);
    abort();
}

static inline const hl_backend *raw_backend(void)
{
    return likely(raw_alloc.backend != NULL) ? raw_alloc.backend : raw_missing();
}

static NOINLINE void *raw_malloc(size_t n)
{
    counters.raw_mallocs++;
    return raw_backend()->malloc(raw_alloc.ctx, n);
}

static NOINLINE void raw_free(void *p)
{
    if (p == NULL)
        return;
    counters.raw_frees++;
    raw_backend()->free(raw_alloc.ctx, p);
}

/* ---- radix tree ------------------------------------------------------------ */

/* The hot test: is p inside a live arena?  Reads only our own tree. */
static ALWAYS_INLINE bool address_in_range(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    const radix_mid *mid = radix_mid_at(radix.root[a >> RADIX_TOP_SHIFT]);
    const radix_bot *bot = radix_bot_at(mid->bot[(a >> RADIX_MID_SHIFT) & RADIX_MID_MASK]);
    arena_coverage c = bot->slot[(a >> RADIX_BOT_SHIFT) & RADIX_BOT_MASK];
    return (((uint32_t)a - c.start) & (uint32_t)ARENA_MASK) < c.len;
}

/* The leaf entry for the ideal slot holding address a, creating interior
 * nodes when `create`; NULL when missing (or out of memory). */
static arena_coverage *radix_leaf(uintptr_t a, bool create)
{
    radix_link *midp = &radix.root[a >> RADIX_TOP_SHIFT];
    if (*midp == 0) {
        if (!create)
            return NULL;
        radix_mid *node = raw_backend()->calloc(raw_alloc.ctx, 1, sizeof(radix_mid));
        if (node == NULL)
            return NULL;
        RADIX_NODE_KEPT(node);
        *midp = (uintptr_t)node - (uintptr_t)&radix.empty_mid;
        counters.radix_bytes += sizeof(radix_mid);
    }
    radix_link *botp = &radix_mid_at(*midp)->bot[(a >> RADIX_MID_SHIFT) & RADIX_MID_MASK];
    if (*botp == 0) {
        if (!create)
            return NULL;
        radix_bot *node = raw_backend()->calloc(raw_alloc.ctx, 1, sizeof(radix_bot));
        if (node == NULL)
            return NULL;
        RADIX_NODE_KEPT(node);
        *botp = (uintptr_t)node - (uintptr_t)&radix.empty_bot;
        counters.radix_bytes += sizeof(radix_bot);
    }
    return &radix_bot_at(*botp)->slot[(a >> RADIX_BOT_SHIFT) & RADIX_BOT_MASK];
}

/* Marks (used) or clears the coverage of the arena at base.  Marking may
 * fail for lack of memory for nodes; clearing never does (the nodes exist). */
static int radix_mark(uintptr_t base, bool used)
{
    uint32_t tail = (uint32_t)(base & ARENA_MASK);
    arena_coverage *hi = radix_leaf(base, used);
    if (hi == NULL)
        return -1;
    if (tail == 0) {
        POOL_ASSERT(used ? hi->len == 0 : hi->start == 0 && hi->len == ARENA_SIZE);
        *hi = coverage_make(used ? (uint32_t)ARENA_SIZE : 0, 0);
        return 0;
    }
    arena_coverage *lo = radix_leaf(base + ARENA_SIZE, used);
    if (lo == NULL)
        return -1; /* hi untouched so far: nothing to undo */
    POOL_ASSERT(used ? hi->start == 0 && coverage_lo(*lo) == 0
                     : hi->start == tail && coverage_lo(*lo) == tail);
    *hi = coverage_make(coverage_lo(*hi), used ? tail : 0);
    *lo = coverage_make(used ? tail : 0, lo->start);
    return 0;
}

/* ---- arenas -------------------------------------------------------------- */

static size_t page_size(void)
{
    static size_t cached;
    if (cached == 0) {
        long v = sysconf(_SC_PAGESIZE);
        cached = v > 0 ? (size_t)v : 4096;
    }
    return cached;
}

/* Maps ARENA_SIZE bytes the way align_mode asks; NULL when the OS refuses. */
static void *map_arena(void)
{
    if (align_mode == ALIGN_NONE) {
        void *p = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    if (align_mode == ALIGN_ARENA) {
        /* Over-map, then trim both ends to an ARENA_SIZE boundary. */
        size_t len = 2 * ARENA_SIZE;
        uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        uint8_t *base = (uint8_t *)(((uintptr_t)m + ARENA_MASK) & ~(uintptr_t)ARENA_MASK);
        if (base > m)
            munmap(m, (size_t)(base - m));
        size_t tail = (size_t)(m + len - (base + ARENA_SIZE));
        if (tail)
            munmap(base + ARENA_SIZE, tail);
        return base;
    }
    /* ALIGN_UNALIGNED: one spare page lets us pick a base off a pool boundary. */
    size_t page = page_size();
    uint8_t *m = mmap(NULL, ARENA_SIZE + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (((uintptr_t)m & POOL_MASK) != 0) {
        munmap(m + ARENA_SIZE, page);
        return m;
    }
    munmap(m, page);
    return m + page;
}

/* A fresh arena, mapped and marked in the radix tree, not on any list; NULL
 * when memory is exhausted (obmalloc's new_arena). */
static NOINLINE arena_object *new_arena(void)
{
    if (unused_arena_objects == NULL) {
        /* Grow the descriptor vector.  Safe to move it: this runs only when
         * usable_arenas is empty, so no list or finger points into it, and
         * pools name their arena by index. */
        POOL_ASSERT(usable_arenas == NULL);
        uint32_t n = maxarenas ? maxarenas * 2 : INITIAL_ARENA_OBJECTS;
        if (n <= maxarenas) /* 2^32 descriptors: the address space ends first */
            return NULL;
        arena_object *v = raw_backend()->realloc(raw_alloc.ctx, arenas, (size_t)n * sizeof(arena_object));
        if (v == NULL)
            return NULL;
        arenas = v;
        for (uint32_t i = maxarenas; i < n; i++) {
            arenas[i].address = 0;
            arenas[i].nextarena = i + 1 < n ? &arenas[i + 1] : NULL;
        }
        unused_arena_objects = &arenas[maxarenas];
        maxarenas = n;
    }
    arena_object *ao = unused_arena_objects;
    void *base = map_arena();
    if (base == NULL)
        return NULL;
    if (radix_mark((uintptr_t)base, true) != 0) {
        munmap(base, ARENA_SIZE);
        return NULL;
    }
    unused_arena_objects = ao->nextarena;
    POISON(base, ARENA_SIZE); /* pool headers are unpoisoned as pools are carved */
    ao->address = (uintptr_t)base;
    ao->first_pool = (block *)(((uintptr_t)base + POOL_MASK) & ~(uintptr_t)POOL_MASK);
    ao->pool_address = ao->first_pool;
    ao->ntotalpools = (uint32_t)MAX_POOLS_IN_ARENA - (ao->first_pool != (block *)base);
    ao->nfreepools = ao->ntotalpools;
    ao->freepools = NULL;
    ao->ncached = 0;
    ao->quiet = false;
    ao->nextarena = ao->prevarena = NULL;
    counters.arenas_current++;
    counters.arenas_total++;
    if (counters.arenas_current > counters.arenas_highwater)
        counters.arenas_highwater = counters.arenas_current;
    return ao;
}

/* Unmaps an arena whose pools are all free; it is on no list. */
static void free_arena(arena_object *ao)
{
    POOL_ASSERT(ao->nfreepools == ao->ntotalpools && ao->ncached == 0 && !ao->quiet);
    radix_mark(ao->address, false);
    UNPOISON((void *)ao->address, ARENA_SIZE);
    munmap((void *)ao->address, ARENA_SIZE);
    ao->address = 0;
    ao->nextarena = unused_arena_objects;
    unused_arena_objects = ao;
    counters.arenas_current--;
    counters.arenas_freed++;
}

static void usable_unlink(arena_object *ao)
{
    if (ao->prevarena != NULL)
        ao->prevarena->nextarena = ao->nextarena;
    else
        usable_arenas = ao->nextarena;
    if (ao->nextarena != NULL)
        ao->nextarena->prevarena = ao->prevarena;
}

static bool keep_budget_left(void);
static void arena_turned_quiet(arena_object *ao);

/* An empty pool goes back to its arena, and the arena moves right in
 * usable_arenas (obmalloc's insert_to_freepool, with bpo-37029's fingers).
 * Returns false when the arena was unmapped. */
static bool pool_to_arena_reorder(pool_header *pool)
{
    arena_object *ao = &arenas[pool->arenaindex];
    pool->nextpool = ao->freepools;
    ao->freepools = pool;
    uint32_t old = ao->nfreepools;
    uint32_t nf = old + 1;
    arena_object *last_old = nfp2lasta[old]; /* read before ao leaves the run */

    /* ao leaves the run of arenas with `old` free pools; if it was the last
     * of that run, the one before it (if in the run) becomes the last. */
    if (last_old == ao) {
        arena_object *prev = ao->prevarena;
        nfp2lasta[old] = (prev != NULL && prev->nfreepools == old) ? prev : NULL;
    }
    ao->nfreepools = nf;

    if (nf == ao->ntotalpools) {
        /* Entirely free: give it back to the OS, unless fewer than
         * keep_free_arenas (1, as bpo-37257) are kept already, so that a loop
         * allocating and freeing around an arena boundary does not map and
         * unmap an arena each time.  (obmalloc keeps the arena when it is
         * the last of usable_arenas, which is where a fully free arena
         * sorts; counting states the same intent without depending on the
         * 63/64-pool arenas' relative order.) */
        POOL_ASSERT(old > 0 && ao->ncached == 0);
        if (!keep_budget_left()) {
            usable_unlink(ao);
            free_arena(ao);
            return false;
        }
        nfully_free++;
    }
    if (nf == 1) {
        /* It was full, so on no list: it has the fewest free pools now and
         * goes to the front. */
        ao->nextarena = usable_arenas;
        ao->prevarena = NULL;
        if (usable_arenas != NULL)
            usable_arenas->prevarena = ao;
        usable_arenas = ao;
        if (nfp2lasta[1] == NULL)
            nfp2lasta[1] = ao;
        return true;
    }
    /* Was somewhere in the run of `old`: move it just past that run's last
     * arena, where the arenas with `nf` free pools start. */
    POOL_ASSERT(last_old != NULL);
    if (last_old != ao) {
        /* last_old is to the right of ao (ao was not the last of its run). */
        usable_unlink(ao);
        ao->prevarena = last_old;
        ao->nextarena = last_old->nextarena;
        if (last_old->nextarena != NULL)
            last_old->nextarena->prevarena = ao;
        last_old->nextarena = ao;
    }
    if (nfp2lasta[nf] == NULL)
        nfp2lasta[nf] = ao;
    return true;
}

/* pool_to_arena_reorder, then the cached-pool rule: the pool was neither
 * free nor cached, so the arena cannot have been quiet; it turns quiet when
 * its other non-free pools are all cached ones. */
static void pool_to_arena(pool_header *pool)
{
    arena_object *ao = &arenas[pool->arenaindex];
    POOL_ASSERT(pool->count == 0 && !pool->cached && !ao->quiet);
    if (pool_to_arena_reorder(pool) && ao->ncached > 0 &&
        ao->nfreepools + ao->ncached == ao->ntotalpools)
        arena_turned_quiet(ao);
}

/* ---- pools ------------------------------------------------------------------ */

static ALWAYS_INLINE void ring_unlink(pool_header *pool)
{
    pool_header *next = pool->nextpool, *prev = pool->prevpool;
    next->prevpool = prev;
    prev->nextpool = next;
}

static ALWAYS_INLINE void ring_push_front(pool_header *head, pool_header *pool)
{
    pool_header *first = head->nextpool;
    /* This store order keeps gcc from pairing the two stores into pool
     * through a vector register (three more instructions on a hot path). */
    pool->nextpool = first;
    first->prevpool = pool;
    pool->prevpool = head;
    head->nextpool = pool;
}

/* ---- cached pools (see "Cached pools" in the header comment) ----------- */

/* pool stops being its class's cached pool; it stays where it is (the
 * caller moves it on when it is empty).  Its arena stops being quiet: pool
 * is neither free nor cached any more. */
static void uncache(pool_header *pool)
{
    arena_object *ao = &arenas[pool->arenaindex];
    POOL_ASSERT(pool->cached && cached_pool[pool->szidx] == pool && ao->ncached > 0);
    cached_pool[pool->szidx] = NULL;
    pool->cached = 0;
    ao->ncached--;
    if (ao->quiet) {
        ao->quiet = false;
        nquiet--;
    }
}

/* May one more arena holding no block stay mapped?  Quiet arenas are
 * counted conservatively (a cached pool may have been reused since, without
 * the hot path telling anyone), so when the budget looks spent, the cached
 * pools that hold blocks are uncached first: their arenas are not idle. */
static bool keep_budget_left(void)
{
    if (nfully_free + nquiet < keep_free_arenas)
        return true;
    for (uint32_t c = 0; c < NB_CLASSES && nquiet > 0; c++) {
        pool_header *q = cached_pool[c];
        if (q != NULL && q->count > 0 && arenas[q->arenaindex].quiet)
            uncache(q);
    }
    return nfully_free + nquiet < keep_free_arenas;
}

/* ao's last pools that are not free are cached ones (ao->quiet is not set
 * yet).  Within the keep_free budget it stays so; beyond it, obmalloc would
 * have found the arena entirely free and unmapped it, so its cached pools
 * are uncached and the empty ones returned, which unmaps it when they were
 * all empty. */
static void arena_turned_quiet(arena_object *ao)
{
    POOL_ASSERT(!ao->quiet && ao->ncached > 0 &&
                ao->nfreepools + ao->ncached == ao->ntotalpools);
    if (keep_budget_left()) {
        ao->quiet = true;
        nquiet++;
        return;
    }
    uint32_t index = (uint32_t)(ao - arenas);
    pool_header *empties[NB_CLASSES];
    uint32_t nempty = 0;
    for (uint32_t c = 0; c < NB_CLASSES; c++) {
        pool_header *q = cached_pool[c];
        if (q == NULL || q->arenaindex != index)
            continue;
        uncache(q);
        if (q->count == 0) {
            ring_unlink(q);
            empties[nempty++] = q;
        }
    }
    /* ao->ncached is 0 now: these calls cannot come back here.  The last
     * one may unmap ao. */
    for (uint32_t i = 0; i < nempty; i++)
        pool_to_arena(empties[i]);
}

/* The pool of a class with no cached pool just emptied and is alone on its
 * ring: cache it unless that leaves more idle arenas mapped than obmalloc
 * would.  Returns false when it was not cached. */
static bool try_cache(pool_header *pool)
{
    arena_object *ao = &arenas[pool->arenaindex];
    bool turns_quiet = ao->nfreepools + ao->ncached + 1 == ao->ntotalpools;
    if (turns_quiet && !keep_budget_left())
        return false;
    cached_pool[pool->szidx] = pool;
    pool->cached = 1;
    ao->ncached++;
    if (turns_quiet) {
        ao->quiet = true;
        nquiet++;
    }
    return true;
}

/* No arena has a free pool: rather than map one, take back an empty cached
 * pool (obmalloc would have it on its arena's free list).  Returns false
 * when there is none.  Its arena was full, so it has one free pool now and
 * can be neither quiet nor entirely free. */
static NOINLINE bool take_back_cached_pool(void)
{
    for (uint32_t c = 0; c < NB_CLASSES; c++) {
        pool_header *q = cached_pool[c];
        if (q != NULL && q->count == 0) {
            uncache(q);
            ring_unlink(q);
            pool_to_arena(q);
            POOL_ASSERT(usable_arenas != NULL);
            return true;
        }
    }
    return false;
}

/* Uncaches every cached pool and returns the empty ones to their arenas
 * (trim). */
static void flush_cached_pools(void)
{
    for (uint32_t c = 0; c < NB_CLASSES; c++) {
        pool_header *q = cached_pool[c];
        if (q == NULL)
            continue;
        uncache(q);
        if (q->count == 0) {
            ring_unlink(q);
            pool_to_arena(q);
        }
    }
}

static NOINLINE void uncache_full(pool_header *pool)
{
    uncache(pool);
}

/* The pool's last free block was just handed out and no virgin one is left:
 * it is full and leaves usedpools, uncached if it was cached (a full pool is
 * on no list).  Inline: with a random free order it happens on most
 * operations (a free refills a full pool, the next malloc fills it). */
static ALWAYS_INLINE void pool_became_full(pool_header *pool)
{
    POOL_ASSERT(pool->count == CLASS_CAPACITY(pool->szidx));
    if (unlikely(pool->cached))
        uncache_full(pool);
    ring_unlink(pool);
}

/* The pool's free list just ran dry: carve the next virgin block, or, with
 * none left, the pool is full (pymalloc_pool_extend). */
static ALWAYS_INLINE void pool_extend(pool_header *pool, uint32_t size)
{
    POOL_ASSERT(size == CLASS_SIZE(pool->szidx));
    if (likely(pool->nextoffset <= pool->maxnextoffset)) {
        block *bp = (block *)pool + pool->nextoffset;
        pool->nextoffset += size;
        link_set(bp, NULL);
        pool->freeblock = bp;
        return;
    }
    pool_became_full(pool);
}

/* usedpools[cls] is empty: put a pool in it, from the fullest usable arena,
 * and return its first block (obmalloc's allocate_from_new_pool). */
static NOINLINE void *alloc_from_new_pool(uint32_t cls)
{
    if (unlikely(usable_arenas == NULL) && !take_back_cached_pool()) {
        arena_object *fresh = new_arena();
        if (fresh == NULL)
            return NULL;
        usable_arenas = fresh;
        POOL_ASSERT(nfp2lasta[fresh->nfreepools] == NULL);
        nfp2lasta[fresh->nfreepools] = fresh;
        nfully_free++;
    }
    arena_object *ao = usable_arenas;
    POOL_ASSERT(ao->nfreepools > 0 && ao->prevarena == NULL);
    POOL_ASSERT(cached_pool[cls] == NULL); /* a cached pool is on the ring */
    if (ao->quiet) {
        /* One pool fewer free: not all its non-free pools are cached now. */
        ao->quiet = false;
        nquiet--;
    }

    /* ao is first, so it has the fewest free pools: with one less it is the
     * only arena with that count and stays first. */
    if (nfp2lasta[ao->nfreepools] == ao)
        nfp2lasta[ao->nfreepools] = NULL;
    if (ao->nfreepools == ao->ntotalpools)
        nfully_free--;
    ao->nfreepools--;
    if (ao->nfreepools > 0) {
        POOL_ASSERT(nfp2lasta[ao->nfreepools] == NULL);
        nfp2lasta[ao->nfreepools] = ao;
    } else {
        usable_arenas = ao->nextarena;
        if (usable_arenas != NULL)
            usable_arenas->prevarena = NULL;
        ao->nextarena = ao->prevarena = NULL;
    }

    pool_header *pool = ao->freepools;
    if (pool != NULL) {
        ao->freepools = pool->nextpool;
        POOL_ASSERT(pool->count == 0);
    } else {
        /* Carve at the high-water mark: the OS has never given us this page. */
        POOL_ASSERT(ao->pool_address + POOL_SIZE <= (block *)ao->address + ARENA_SIZE);
        pool = (pool_header *)ao->pool_address;
        UNPOISON(pool, POOL_OVERHEAD);
        ao->pool_address += POOL_SIZE;
        pool->arenaindex = (uint32_t)(ao - arenas);
        pool->szidx = DUMMY_CLASS;
        pool->cached = 0;
    }
    ring_push_front(&usedpools[cls], pool);
    pool->count = 1;

    if (pool->szidx == cls) {
        /* Same class as before it emptied: its free list and bump pointer are
         * intact, and it has at least two carved blocks, so one stays free. */
        block *bp = pool->freeblock;
        UNPOISON(bp, CLASS_SIZE(cls));
        pool->freeblock = *(block **)bp;
        POOL_ASSERT(pool->freeblock != NULL);
        return bp;
    }
    /* Format for cls, setting up only two blocks (lazy carving). */
    uint32_t size = CLASS_SIZE(cls);
    pool->szidx = cls;
    block *bp = (block *)pool + POOL_OVERHEAD;
    pool->nextoffset = POOL_OVERHEAD + 2 * size;
    pool->maxnextoffset = (uint32_t)POOL_SIZE - size;
    pool->freeblock = bp + size;
    POISON(bp, POOL_SIZE - POOL_OVERHEAD); /* everything but the block handed out */
    UNPOISON(bp, size);
    link_set(pool->freeblock, NULL);
    return bp;
}

/* A pool that was full got a free block back: it is usable again, at the
 * front of its ring (obmalloc's insert_to_usedpool: most recently freed
 * pools are reused first).  Inline for the reason pool_became_full is. */
static ALWAYS_INLINE void pool_was_full(pool_header *pool)
{
    ring_push_front(&usedpools[pool->szidx], pool);
}

/* The pool's last block was freed and it is not its class's cached pool.
 * Alone on its ring (the class's only partially used pool), it becomes the
 * cached pool when the class has none: a malloc-free loop then never leaves
 * the hot paths.  Otherwise it goes back to its arena, as in obmalloc. */
static NOINLINE void pool_became_empty(pool_header *pool)
{
    POOL_ASSERT(!pool->cached);
    if (cached_pool[pool->szidx] == NULL && pool->nextpool == pool->prevpool && try_cache(pool))
        return;
    ring_unlink(pool);
    pool_to_arena(pool);
}

/* ---- the hot paths ------------------------------------------------------- */

/* 1 <= n <= 512. */
static ALWAYS_INLINE void *small_malloc(size_t n)
{
    /* &usedpools[class] in byte arithmetic: (n - 1) & -16 is 16 * class and
     * a ring head is 48 = 3 * 16 bytes, which saves the shift of the class
     * number and the multiply-by-48 (an and and one lea). */
    size_t class16 = (n - 1) & ~(size_t)(ALIGNMENT - 1);
    pool_header *head =
        (pool_header *)((char *)usedpools + class16 * (sizeof(pool_header) / ALIGNMENT));
    pool_header *pool = head->nextpool;
    if (likely(pool != head)) {
        block *bp = pool->freeblock;
        POOL_ASSERT(head == &usedpools[(n - 1) >> ALIGN_SHIFT]);
        POOL_ASSERT(bp != NULL && pool->szidx == (n - 1) >> ALIGN_SHIFT &&
                    pool->count < CLASS_CAPACITY(pool->szidx));
        pool->count++;
        UNPOISON(bp, (uint32_t)class16 + ALIGNMENT);
        block *next = *(block **)bp;
        pool->freeblock = next;
        if (unlikely(next == NULL))
            pool_extend(pool, (uint32_t)class16 + ALIGNMENT);
        return bp;
    }
    return alloc_from_new_pool((uint32_t)(n - 1) >> ALIGN_SHIFT);
}

/* p is a block of an arena (address_in_range said so). */
static ALWAYS_INLINE void small_free(void *p)
{
    pool_header *pool = POOL_OF(p);
    POOL_ASSERT(pool->szidx < NB_CLASSES);
    POOL_ASSERT(((uintptr_t)p & POOL_MASK) >= POOL_OVERHEAD &&
                (((uintptr_t)p & POOL_MASK) - POOL_OVERHEAD) % CLASS_SIZE(pool->szidx) == 0);
    POOL_ASSERT(((uintptr_t)p & POOL_MASK) < pool->nextoffset);
    POOL_ASSERT(pool->count > 0 && p != (void *)pool->freeblock && "double free");
#ifdef HL_DEBUG
    /* Scribble over freed blocks so that a use after free reads garbage. */
    memset((block *)p + sizeof(block *), 0xDB, CLASS_SIZE(pool->szidx) - sizeof(block *));
#endif
    block *last = pool->freeblock;
    *(block **)p = last;
    POISON(p, CLASS_SIZE(pool->szidx));
    pool->freeblock = (block *)p;
    pool->count--;
    if (unlikely(last == NULL)) {
        /* Full pools hold at least 31 blocks, so it cannot be empty now. */
        pool_was_full(pool);
        return;
    }
    if (unlikely(pool->count == 0) && !pool->cached)
        pool_became_empty(pool);
}

static void *pool_malloc(void *ctx, size_t n)
{
    ASSERT_GIL();
    if (likely(n - 1 < SMALL_REQUEST_THRESHOLD)) /* n == 0 wraps round */
        return small_malloc(n);
    return raw_malloc(n);
}

static void pool_free(void *ctx, void *p)
{
    ASSERT_GIL();
    if (likely(address_in_range(p))) {
        small_free(p);
        return;
    }
    raw_free(p); /* NULL included: it is never in range */
}

/* size is the size last requested for p.  Pool blocks are only ever
 * requested with 1..512 bytes: malloc/calloc send 0 and > 512 to raw, and
 * realloc keeps a block in its pool only for 1..512 (0 or more moves it to
 * raw).  So a size outside 1..512 proves p is raw and the radix lookup can
 * be skipped.  A size inside that range may still be a raw block (realloc
 * keeps raw blocks raw), so those are looked up. */
static void pool_free_sized(void *ctx, void *p, size_t size)
{
    ASSERT_GIL();
    if (unlikely(size - 1 >= SMALL_REQUEST_THRESHOLD)) {
        POOL_ASSERT(!address_in_range(p) && "free_sized: size does not match the block");
        raw_free(p);
        return;
    }
    if (likely(address_in_range(p))) {
        POOL_ASSERT(size <= CLASS_SIZE(POOL_OF(p)->szidx) &&
                    "free_sized: size does not match the block");
        small_free(p);
        return;
    }
    raw_free(p);
}

static void *pool_calloc(void *ctx, size_t count, size_t size)
{
    ASSERT_GIL();
    size_t n;
    if (unlikely(__builtin_mul_overflow(count, size, &n))) {
        errno = ENOMEM;
        return NULL;
    }
    if (likely(n - 1 < SMALL_REQUEST_THRESHOLD)) {
        void *p = small_malloc(n);
        if (likely(p != NULL))
            memset(p, 0, n);
        return p;
    }
    /* The raw calloc may know its memory is already zero (fresh mmap). */
    counters.raw_mallocs++;
    counters.raw_callocs++;
    return raw_backend()->calloc(raw_alloc.ctx, count, size);
}

static void *pool_realloc(void *ctx, void *p, size_t n)
{
    ASSERT_GIL();
    if (p == NULL)
        return pool_malloc(ctx, n);
    if (!address_in_range(p)) {
        if (migrate_raw_on_realloc && n - 1 < SMALL_REQUEST_THRESHOLD) {
            /* usable_size bytes are the raw block's own: safe to copy. */
            size_t have = raw_backend()->usable_size(raw_alloc.ctx, p);
            void *q = small_malloc(n);
            if (q == NULL)
                return NULL;
            memcpy(q, p, have < n ? have : n);
            raw_free(p);
            return q;
        }
        counters.raw_reallocs++;
        return raw_backend()->realloc(raw_alloc.ctx, p, n);
    }
    pool_header *pool = POOL_OF(p);
    size_t size = CLASS_SIZE(pool->szidx);
    size_t keep = size;
    if (n <= size) {
        /* Staying or shrinking: copying costs cycles, not copying wastes
         * memory; obmalloc copies only when at least 25% would be saved. */
        if (4 * n > 3 * size)
            return p;
        keep = n;
    }
    void *q = pool_malloc(ctx, n);
    if (q == NULL && n != 0)
        return NULL; /* p untouched */
    if (q != NULL)
        memcpy(q, p, keep);
    /* n == 0 with a NULL q: the raw malloc(0) gave NULL; p is freed and NULL
     * returned, which C allows for realloc(p, 0) (alloc.h accounts it so). */
    small_free(p);
    return q;
}

static size_t pool_usable_size(void *ctx, const void *p)
{
    ASSERT_GIL();
    if (p == NULL)
        return 0;
    if (address_in_range(p))
        return CLASS_SIZE(POOL_OF(p)->szidx);
    return raw_backend()->usable_size(raw_alloc.ctx, p);
}

static bool pool_owns(void *ctx, const void *p)
{
    ASSERT_GIL();
    return address_in_range(p);
}

/* ---- open, version, trim ----------------------------------------------------- */

static bool option_is(const char *opt, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(opt, want, len) == 0;
}

/* Sets the options up; before any allocation, or again after hl_pool_reset
 * (tests).  The registry calls it with the GIL held.  The instance is this
 * file's state: one pool per process. */
static int pool_open(const char *options, const hl_raw *raw_in, void **ctx, char *err,
                     size_t errlen)
{
    arena_align_mode want_align = ALIGN_NONE;
    bool want_migrate = false;
    uint32_t want_keep = 1;
    const char *s = options ? options : "";
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (option_is(s, len, "align=none")) {
            want_align = ALIGN_NONE;
        } else if (option_is(s, len, "align=arena")) {
            want_align = ALIGN_ARENA;
        } else if (option_is(s, len, "align=unaligned")) {
            if (page_size() >= POOL_SIZE) {
                snprintf(err, errlen, "pool: align=unaligned needs pages smaller than a pool "
                         "(%zu-byte pages here); use align=none", page_size());
                return -1;
            }
            want_align = ALIGN_UNALIGNED;
        } else if (len > 10 && memcmp(s, "keep_free=", 10) == 0) {
            char *end_num = NULL;
            char num[16] = "";
            memcpy(num, s + 10, len - 10 < sizeof num - 1 ? len - 10 : sizeof num - 1);
            unsigned long v = strtoul(num, &end_num, 10);
            if (end_num == num || *end_num != '\0' || len - 10 >= sizeof num || v > 1024) {
                snprintf(err, errlen, "pool: bad option '%.*s': keep_free takes a count of "
                         "arenas, 0..1024", (int)len, s);
                return -1;
            }
            want_keep = (uint32_t)v;
        } else if (option_is(s, len, "realloc=obmalloc")) {
            want_migrate = false;
        } else if (option_is(s, len, "realloc=migrate")) {
            want_migrate = true;
        } else {
            snprintf(err, errlen,
                     "pool: unknown option '%.*s' (expected align=none|arena|unaligned, "
                     "realloc=obmalloc|migrate, keep_free=N, comma separated)",
                     (int)len, s);
            return -1;
        }
        s += len;
        if (*s == ',')
            s++;
    }
    if (raw_in == NULL || raw_in->backend == NULL) {
        snprintf(err, errlen, "pool: needs a raw allocator (raw=NAME)");
        return -1;
    }
    const hl_backend *want_raw = raw_in->backend;
    if (want_raw == &hl_pool_backend) {
        snprintf(err, errlen, "pool: raw=pool would make the pool its own raw allocator");
        return -1;
    }
    if (!want_raw->thread_safe) {
        snprintf(err, errlen,
                 "pool: raw=%s is not thread safe; the raw allocator is called without the GIL "
                 "too", want_raw->name);
        return -1;
    }
    if (raw_alloc.backend != NULL && raw_alloc.backend != want_raw &&
        (counters.arenas_total != 0 || counters.raw_mallocs != 0)) {
        snprintf(err, errlen, "pool: cannot switch the raw allocator from %s to %s after blocks "
                 "were allocated", raw_alloc.backend->name, want_raw->name);
        return -1;
    }
    raw_alloc = *raw_in;
    align_mode = want_align;
    migrate_raw_on_realloc = want_migrate;
    keep_free_arenas = want_keep;
    *ctx = &raw_alloc;
    return 0;
}

static const char *pool_version(void *ctx)
{
    return "heaplab-pool 2 (obmalloc 3.10 design: 16 KiB pools, 1 MiB arenas; cached empty "
           "pools)";
}

/* Returns the cached pools to their arenas, then every arena left entirely
 * free (those kept against thrashing included) to the OS. */
static void trim_locked(void)
{
    ASSERT_GIL();
    flush_cached_pools();
    arena_object *ao = usable_arenas;
    while (ao != NULL) {
        arena_object *next = ao->nextarena;
        if (ao->nfreepools == ao->ntotalpools) {
            uint32_t nf = ao->nfreepools;
            if (nfp2lasta[nf] == ao) {
                arena_object *prev = ao->prevarena;
                nfp2lasta[nf] = (prev != NULL && prev->nfreepools == nf) ? prev : NULL;
            }
            usable_unlink(ao);
            free_arena(ao);
            nfully_free--;
        }
        ao = next;
    }
}

/* hl_allocator does not wrap trim, so take the GIL here when needed. */
static void pool_trim(void *ctx)
{
    if (hl_gil_held) {
        trim_locked();
        return;
    }
    hl_gil_acquire();
    trim_locked();
    hl_gil_release();
}

/* ---- statistics -------------------------------------------------------------- */

static uint32_t virgin_blocks(const pool_header *pool)
{
    if (pool->nextoffset > pool->maxnextoffset)
        return 0;
    return (pool->maxnextoffset - pool->nextoffset) / CLASS_SIZE(pool->szidx) + 1;
}

void hl_pool_get_stats(hl_pool_stats *out)
{
    ASSERT_GIL();
    memset(out, 0, sizeof *out);
    out->arenas_current = counters.arenas_current;
    out->arenas_total = counters.arenas_total;
    out->arenas_freed = counters.arenas_freed;
    out->arenas_highwater = counters.arenas_highwater;
    out->bytes_mapped = counters.arenas_current * ARENA_SIZE;
    out->raw_mallocs = counters.raw_mallocs;
    out->raw_callocs = counters.raw_callocs;
    out->raw_reallocs = counters.raw_reallocs;
    out->raw_frees = counters.raw_frees;
    out->radix_bytes = counters.radix_bytes;
    out->arena_objects = maxarenas;
    for (uint32_t c = 0; c < NB_CLASSES; c++) {
        out->classes[c].block_size = CLASS_SIZE(c);
        out->classes[c].capacity = CLASS_CAPACITY(c);
    }
    for (uint32_t i = 0; i < maxarenas; i++) {
        const arena_object *ao = &arenas[i];
        if (ao->address == 0)
            continue;
        out->arena_lost_bytes += ARENA_SIZE - (size_t)ao->ntotalpools * POOL_SIZE;
        bool holds_blocks = false;
        for (const block *pb = ao->first_pool; pb < ao->pool_address; pb += POOL_SIZE) {
            const pool_header *pool = (const pool_header *)pb;
            holds_blocks |= pool->count != 0;
            if (pool->count == 0) {
                out->pools_empty++;
                out->pools_cached += pool->cached;
                if (pool->szidx < NB_CLASSES)
                    out->classes[pool->szidx].pools_empty++;
                continue;
            }
            hl_pool_class_stats *cs = &out->classes[pool->szidx];
            uint32_t size = CLASS_SIZE(pool->szidx);
            if (pool->count == cs->capacity) {
                cs->pools_full++;
            } else {
                cs->pools_partial++;
                cs->blocks_free += cs->capacity - pool->count;
            }
            cs->blocks_in_use += pool->count;
            out->quantization_bytes += (POOL_SIZE - POOL_OVERHEAD) % size;
        }
        out->pools_uncarved +=
            (uint64_t)ao->ntotalpools - (uint64_t)(ao->pool_address - ao->first_pool) / POOL_SIZE;
        if (!holds_blocks)
            out->arenas_fully_free++;
    }
    for (uint32_t c = 0; c < NB_CLASSES; c++) {
        const hl_pool_class_stats *cs = &out->classes[c];
        out->pools_partial += cs->pools_partial;
        out->pools_full += cs->pools_full;
        out->blocks_in_use += cs->blocks_in_use;
        out->bytes_in_blocks += cs->blocks_in_use * cs->block_size;
        out->bytes_free_in_pools += cs->blocks_free * cs->block_size;
    }
    out->pools_in_use = out->pools_partial + out->pools_full;
    out->header_bytes = out->pools_in_use * POOL_OVERHEAD;
}

static size_t pool_native_stats(void *ctx, hl_stat *out, size_t max)
{
    hl_pool_stats s;
    hl_pool_get_stats(&s);
    const hl_stat all[] = {
        {"pool.arenas_current", s.arenas_current},
        {"pool.arenas_total", s.arenas_total},
        {"pool.arenas_freed", s.arenas_freed},
        {"pool.arenas_highwater", s.arenas_highwater},
        {"pool.bytes_mapped", s.bytes_mapped},
        {"pool.pools_in_use", s.pools_in_use},
        {"pool.pools_partial", s.pools_partial},
        {"pool.pools_full", s.pools_full},
        {"pool.pools_empty", s.pools_empty},
        {"pool.pools_uncarved", s.pools_uncarved},
        {"pool.blocks_in_use", s.blocks_in_use},
        {"pool.bytes_in_blocks", s.bytes_in_blocks},
        {"pool.bytes_free_in_pools", s.bytes_free_in_pools},
        {"pool.quantization_bytes", s.quantization_bytes},
        {"pool.header_bytes", s.header_bytes},
        {"pool.arena_lost_bytes", s.arena_lost_bytes},
        {"pool.raw_mallocs", s.raw_mallocs},
        {"pool.raw_callocs", s.raw_callocs},
        {"pool.raw_reallocs", s.raw_reallocs},
        {"pool.raw_frees", s.raw_frees},
        {"pool.radix_bytes", s.radix_bytes},
        {"pool.arena_objects", s.arena_objects},
        {"pool.arenas_fully_free", s.arenas_fully_free},
        {"pool.pools_cached", s.pools_cached},
    };
    size_t n = sizeof all / sizeof all[0];
    if (n > max)
        n = max;
    memcpy(out, all, n * sizeof *out);
    return n;
}

size_t hl_pool_arena_bases(uintptr_t *out, size_t max)
{
    ASSERT_GIL();
    size_t n = 0;
    for (uint32_t i = 0; i < maxarenas; i++) {
        if (arenas[i].address == 0)
            continue;
        if (n < max)
            out[n] = arenas[i].address;
        n++;
    }
    return n;
}

/* ---- validator ------------------------------------------------------------- */

#define FAIL(...)                                   \
    do {                                            \
        snprintf(err, errlen, "pool: " __VA_ARGS__); \
        return -1;                                  \
    } while (0)

/* The live arena holding address a, or NULL. */
static const arena_object *arena_holding(uintptr_t a)
{
    for (uint32_t i = 0; i < maxarenas; i++) {
        uintptr_t base = arenas[i].address;
        if (base != 0 && a >= base && a - base < ARENA_SIZE)
            return &arenas[i];
    }
    return NULL;
}

static int validate_pool_blocks(const pool_header *pool, uint32_t cls, char *err, size_t errlen)
{
    uint32_t size = CLASS_SIZE(cls), cap = CLASS_CAPACITY(cls);
    if (pool->maxnextoffset != POOL_SIZE - size)
        FAIL("pool %p (class %u): maxnextoffset %u, expected %zu", (void *)pool, cls,
             pool->maxnextoffset, (size_t)(POOL_SIZE - size));
    if (pool->nextoffset < POOL_OVERHEAD + 2 * size || pool->nextoffset > POOL_SIZE ||
        (pool->nextoffset - POOL_OVERHEAD) % size != 0)
        FAIL("pool %p (class %u): bad nextoffset %u", (void *)pool, cls, pool->nextoffset);
    uint32_t nfree = 0;
    for (const block *b = pool->freeblock; b != NULL; b = link_get(b)) {
        uintptr_t off = (uintptr_t)b - (uintptr_t)pool;
        if ((uintptr_t)b < (uintptr_t)pool || off < POOL_OVERHEAD || off >= pool->nextoffset ||
            (off - POOL_OVERHEAD) % size != 0)
            FAIL("pool %p (class %u): free block %p outside the carved blocks or misaligned",
                 (void *)pool, cls, (const void *)b);
        if (++nfree > cap)
            FAIL("pool %p (class %u): free list longer than the pool (a cycle?)", (void *)pool,
                 cls);
    }
    if (nfree + virgin_blocks(pool) + pool->count != cap)
        FAIL("pool %p (class %u): free %u + virgin %u + used %u != capacity %u", (void *)pool,
             cls, nfree, virgin_blocks(pool), pool->count, cap);
    return 0;
}

/* What the validators count on one walk and check against each other. */
typedef struct pool_tally {
    uint64_t partial_in_rings, partial_in_arenas;
    uint64_t live, marks_expected, want_usable, fully_free, quiet;
} pool_tally;

/* The usedpools rings: every pool on ring c is a carved, partial (or
 * cached) pool of class c; t gets how many there are. */
static int validate_rings(pool_tally *t, char *err, size_t errlen)
{
    uint64_t cached_in_rings = 0;
    for (uint32_t c = 0; c < NB_CLASSES; c++) {
        const pool_header *head = &usedpools[c];
        uint32_t cap = CLASS_CAPACITY(c);
        uint64_t steps = 0;
        for (const pool_header *p = head->nextpool; p != head; p = p->nextpool) {
            if (p->prevpool->nextpool != p || p->nextpool->prevpool != p)
                FAIL("usedpools[%u]: broken links at pool %p", c, (const void *)p);
            if (((uintptr_t)p & POOL_MASK) != 0)
                FAIL("usedpools[%u]: %p is not pool aligned", c, (const void *)p);
            const arena_object *ao = arena_holding((uintptr_t)p);
            if (ao == NULL || p->arenaindex >= maxarenas || &arenas[p->arenaindex] != ao ||
                (const block *)p < ao->first_pool || (const block *)p >= ao->pool_address)
                FAIL("usedpools[%u]: pool %p is not a carved pool of its arena", c,
                     (const void *)p);
            if (p->szidx != c)
                FAIL("usedpools[%u]: pool %p has class %u", c, (const void *)p, p->szidx);
            if (p->cached > 1 || (p->cached != 0) != (cached_pool[c] == p))
                FAIL("usedpools[%u]: pool %p has cached = %u but cached_pool[%u] is %p", c,
                     (const void *)p, p->cached, c, (const void *)cached_pool[c]);
            cached_in_rings += p->cached;
            if ((p->count == 0 && !p->cached) || p->count >= cap)
                FAIL("usedpools[%u]: pool %p has %u of %u blocks in use (not partial%s)", c,
                     (const void *)p, p->count, cap, p->count == 0 ? " nor cached" : "");
            if (p->freeblock == NULL)
                FAIL("usedpools[%u]: partial pool %p has no free block", c, (const void *)p);
            if (validate_pool_blocks(p, c, err, errlen) != 0)
                return -1;
            if (++steps > counters.arenas_current * MAX_POOLS_IN_ARENA)
                FAIL("usedpools[%u]: ring does not close", c);
        }
        if (head->prevpool->nextpool != head)
            FAIL("usedpools[%u]: sentinel prev link broken", c);
        t->partial_in_rings += steps;
    }
    uint32_t cached_total = 0;
    for (uint32_t c = 0; c < NB_CLASSES; c++)
        cached_total += cached_pool[c] != NULL;
    if (cached_in_rings != cached_total)
        FAIL("%u cached pools but %llu of them on their usedpools rings", cached_total,
             (unsigned long long)cached_in_rings);

    return 0;
}

/* Arena i (live): its descriptor, its pools, its free-pool list and its
 * radix-tree coverage; t gets its share of the totals. */
/* Arena i's free-pool list: carved, empty, its own; *nempty its length. */
static int validate_arena_free_pools(uint32_t i, uint32_t total, uint32_t *nempty, char *err,
                                     size_t errlen)
{
    const arena_object *ao = &arenas[i];
    *nempty = 0;
    for (const pool_header *p = ao->freepools; p != NULL; p = p->nextpool) {
        if ((const block *)p < ao->first_pool || (const block *)p >= ao->pool_address ||
            ((uintptr_t)p & POOL_MASK) != 0)
            FAIL("arena %u: free pool %p not a carved pool of the arena", i, (const void *)p);
        if (p->count != 0 || p->cached)
            FAIL("arena %u: free pool %p has %u blocks in use%s", i, (const void *)p, p->count,
                 p->cached ? " and is cached" : "");
        if (p->arenaindex != i)
            FAIL("arena %u: free pool %p names arena %u", i, (const void *)p, p->arenaindex);
        if (++*nempty > total)
            FAIL("arena %u: free-pool list longer than the arena (a cycle?)", i);
    }
    return 0;
}

/* Arena i's carved pools, one by one: *empty and *cached count them, t the
 * partial ones. */
static int validate_arena_pools(uint32_t i, pool_tally *t, uint32_t *empty, uint32_t *cached,
                                char *err, size_t errlen)
{
    const arena_object *ao = &arenas[i];
    *empty = *cached = 0;
    for (const block *pb = ao->first_pool; pb < ao->pool_address; pb += POOL_SIZE) {
        const pool_header *p = (const pool_header *)pb;
        if (p->arenaindex != i)
            FAIL("arena %u: pool %p names arena %u", i, (const void *)p, p->arenaindex);
        if (p->cached) {
            /* On its ring (checked there), empty or partial. */
            (*cached)++;
            t->partial_in_arenas++;
            continue;
        }
        if (p->count == 0) {
            (*empty)++;
            if (p->szidx != DUMMY_CLASS) {
                if (p->szidx >= NB_CLASSES)
                    FAIL("arena %u: empty pool %p has class %u", i, (const void *)p, p->szidx);
                if (validate_pool_blocks(p, p->szidx, err, errlen) != 0)
                    return -1;
            }
            continue;
        }
        if (p->szidx >= NB_CLASSES)
            FAIL("arena %u: pool %p in use has class %u", i, (const void *)p, p->szidx);
        uint32_t cap = CLASS_CAPACITY(p->szidx);
        if (p->count > cap)
            FAIL("arena %u: pool %p has %u blocks in use, capacity %u", i, (const void *)p,
                 p->count, cap);
        if (p->count == cap) {
            if (p->freeblock != NULL || virgin_blocks(p) != 0)
                FAIL("arena %u: full pool %p still has free blocks", i, (const void *)p);
        } else {
            t->partial_in_arenas++;
        }
    }
    return 0;
}

static int validate_arena(uint32_t i, pool_tally *t, char *err, size_t errlen)
{
    const arena_object *ao = &arenas[i];
    uintptr_t base = ao->address;
    t->marks_expected += (base & ARENA_MASK) ? 2 : 1;
    if ((base & (page_size() - 1)) != 0)
        FAIL("arena %u: base %#lx not page aligned", i, (unsigned long)base);
    uintptr_t first = (base + POOL_MASK) & ~(uintptr_t)POOL_MASK;
    uint32_t total = (uint32_t)MAX_POOLS_IN_ARENA - (first != base);
    if ((uintptr_t)ao->first_pool != first || ao->ntotalpools != total)
        FAIL("arena %u: first pool %p / %u pools, expected %#lx / %u", i,
             (void *)ao->first_pool, ao->ntotalpools, (unsigned long)first, total);
    size_t carved = (size_t)(ao->pool_address - ao->first_pool) / POOL_SIZE;
    if (ao->pool_address < ao->first_pool ||
        (size_t)(ao->pool_address - ao->first_pool) % POOL_SIZE != 0 || carved > total)
        FAIL("arena %u: bad high-water mark %p", i, (void *)ao->pool_address);
    uint32_t nempty, counted_empty, counted_cached;
    if (validate_arena_free_pools(i, total, &nempty, err, errlen) != 0)
        return -1;
    if (ao->nfreepools != nempty + (total - carved))
        FAIL("arena %u: nfreepools %u != %u empty + %zu virgin", i, ao->nfreepools, nempty,
             (size_t)(total - carved));
    if (validate_arena_pools(i, t, &counted_empty, &counted_cached, err, errlen) != 0)
        return -1;
    if (counted_empty != nempty)
        FAIL("arena %u: %u empty pools but %u on its free-pool list", i, counted_empty, nempty);
    if (counted_cached != ao->ncached)
        FAIL("arena %u: %u cached pools, ncached says %u", i, counted_cached, ao->ncached);
    bool want_quiet = ao->ncached > 0 && ao->nfreepools + ao->ncached == total;
    if (ao->quiet != want_quiet)
        FAIL("arena %u: quiet flag %d, but %u free + %u cached of %u pools", i, ao->quiet,
             ao->nfreepools, ao->ncached, total);
    t->quiet += ao->quiet;
    if (ao->nfreepools > 0)
        t->want_usable++;
    if (ao->nfreepools == total)
        t->fully_free++;
    const uint8_t *b = (const uint8_t *)base;
    if (!address_in_range(b) || !address_in_range(b + ARENA_SIZE - 1))
        FAIL("arena %u: radix tree does not cover [%p, +1 MiB)", i, (const void *)b);
    return 0;
}

/* Every arena descriptor, and the totals they must agree with. */
static int validate_arenas(pool_tally *t, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < maxarenas; i++) {
        if (arenas[i].address == 0)
            continue;
        t->live++;
        if (validate_arena(i, t, err, errlen) != 0)
            return -1;
    }
    if (t->partial_in_rings != t->partial_in_arenas)
        FAIL("%llu partial or cached pools in the arenas but %llu on usedpools rings",
             (unsigned long long)t->partial_in_arenas, (unsigned long long)t->partial_in_rings);
    if (t->fully_free != nfully_free)
        FAIL("%llu arenas entirely free, nfully_free says %u", (unsigned long long)t->fully_free,
             nfully_free);
    if (t->quiet != nquiet)
        FAIL("%llu arenas quiet, nquiet says %u", (unsigned long long)t->quiet, nquiet);
    if (t->fully_free + t->quiet > keep_free_arenas)
        FAIL("%llu arenas entirely free + %llu quiet (at most %u are kept)",
             (unsigned long long)t->fully_free, (unsigned long long)t->quiet, keep_free_arenas);

    return 0;
}

/* usable_arenas: live arenas with free pools, ascending by free pools, and
 * the nfp2lasta fingers into it. */
static int validate_usable(const pool_tally *t, char *err, size_t errlen)
{
    uint64_t usable = 0;
    const arena_object *prev = NULL;
    const arena_object *last_with[MAX_POOLS_IN_ARENA + 1] = {0};
    for (const arena_object *ao = usable_arenas; ao != NULL; ao = ao->nextarena) {
        if (ao < arenas || ao >= arenas + maxarenas || ao->address == 0)
            FAIL("usable_arenas: %p is not a live arena", (const void *)ao);
        if (ao->prevarena != prev)
            FAIL("usable_arenas: arena %ld has a wrong prev link", (long)(ao - arenas));
        if (ao->nfreepools == 0)
            FAIL("usable_arenas: arena %ld has no free pool", (long)(ao - arenas));
        if (prev != NULL && prev->nfreepools > ao->nfreepools)
            FAIL("usable_arenas: not ascending (%u free pools before %u)", prev->nfreepools,
                 ao->nfreepools);
        last_with[ao->nfreepools] = ao;
        prev = ao;
        if (++usable > t->live)
            FAIL("usable_arenas: list does not end");
    }
    if (usable != t->want_usable)
        FAIL("usable_arenas holds %llu arenas, %llu have free pools", (unsigned long long)usable,
             (unsigned long long)t->want_usable);
    for (uint32_t k = 0; k <= MAX_POOLS_IN_ARENA; k++)
        if (nfp2lasta[k] != last_with[k])
            FAIL("nfp2lasta[%u] is %p, the last arena with %u free pools is %p", k,
                 (const void *)nfp2lasta[k], k, (const void *)last_with[k]);

    return 0;
}

/* The unused descriptors, which with the live ones make up the table. */
static int validate_unused(const pool_tally *t, char *err, size_t errlen)
{
    uint64_t unused = 0;
    for (const arena_object *ao = unused_arena_objects; ao != NULL; ao = ao->nextarena) {
        if (ao < arenas || ao >= arenas + maxarenas || ao->address != 0)
            FAIL("unused_arena_objects holds a live or foreign descriptor");
        if (++unused > maxarenas)
            FAIL("unused_arena_objects does not end");
    }
    if (unused + t->live != maxarenas)
        FAIL("%llu unused + %llu live descriptors != %u", (unsigned long long)unused,
             (unsigned long long)t->live, maxarenas);

    return 0;
}

/* The radix tree: every mark belongs to a live arena, every arena is
 * marked. */
static int validate_radix(const pool_tally *t, char *err, size_t errlen)
{
    uint64_t marks = 0;
    for (uint32_t k = 0; k <= RADIX_BOT_MASK; k++)
        if (radix.empty_bot.slot[k].start != 0 || radix.empty_bot.slot[k].len != 0)
            FAIL("radix: the empty leaf node was written (slot %u)", k);
    for (uint32_t m = 0; m <= RADIX_MID_MASK; m++)
        if (radix.empty_mid.bot[m] != 0)
            FAIL("radix: the empty interior node was written (link %u)", m);
    for (uint32_t t = 0; t < (1u << RADIX_TOP_BITS); t++) {
        if (radix.root[t] == 0)
            continue;
        const radix_mid *mid = radix_mid_at(radix.root[t]);
        for (uint32_t m = 0; m <= RADIX_MID_MASK; m++) {
            if (mid->bot[m] == 0)
                continue;
            const radix_bot *bot = radix_bot_at(mid->bot[m]);
            for (uint32_t k = 0; k <= RADIX_BOT_MASK; k++) {
                arena_coverage cov = bot->slot[k];
                uintptr_t ideal = ((uintptr_t)t << RADIX_TOP_SHIFT) |
                                  ((uintptr_t)m << RADIX_MID_SHIFT) |
                                  ((uintptr_t)k << RADIX_BOT_SHIFT);
                if (cov.len > ARENA_SIZE || cov.start >= ARENA_SIZE ||
                    (cov.start != 0 && cov.start + cov.len < ARENA_SIZE))
                    FAIL("radix: slot %#lx has a bad run (start %u, length %u)",
                         (unsigned long)ideal, cov.start, cov.len);
                struct {
                    uint32_t tail_lo, tail_hi;
                } c = {coverage_lo(cov), cov.start};
                if (c.tail_lo == ARENA_SIZE) {
                    const arena_object *ao = arena_holding(ideal);
                    if (c.tail_hi != 0 || ao == NULL || ao->address != ideal)
                        FAIL("radix: slot %#lx marked whole but no aligned arena there",
                             (unsigned long)ideal);
                    marks++;
                    continue;
                }
                if (c.tail_lo != 0) {
                    const arena_object *ao = arena_holding(ideal);
                    if (ao == NULL || ao->address != ideal - ARENA_SIZE + c.tail_lo)
                        FAIL("radix: slot %#lx tail_lo %u matches no arena", (unsigned long)ideal,
                             c.tail_lo);
                    marks++;
                }
                if (c.tail_hi != 0) {
                    const arena_object *ao = arena_holding(ideal + c.tail_hi);
                    if (c.tail_hi >= ARENA_SIZE || ao == NULL || ao->address != ideal + c.tail_hi)
                        FAIL("radix: slot %#lx tail_hi %u matches no arena", (unsigned long)ideal,
                             c.tail_hi);
                    if (c.tail_lo > c.tail_hi)
                        FAIL("radix: slot %#lx covers overlapping arenas", (unsigned long)ideal);
                    marks++;
                }
            }
        }
    }
    if (marks != t->marks_expected)
        FAIL("radix tree has %llu arena marks, the live arenas need %llu",
             (unsigned long long)marks, (unsigned long long)t->marks_expected);

    return 0;
}

static int validate_counters(const pool_tally *t, char *err, size_t errlen)
{
    if (t->live != counters.arenas_current)
        FAIL("%llu live arenas but arenas_current = %llu", (unsigned long long)t->live,
             (unsigned long long)counters.arenas_current);
    if (counters.arenas_total - counters.arenas_freed != counters.arenas_current)
        FAIL("arenas_total %llu - arenas_freed %llu != arenas_current %llu",
             (unsigned long long)counters.arenas_total, (unsigned long long)counters.arenas_freed,
             (unsigned long long)counters.arenas_current);
    if (counters.arenas_highwater < counters.arenas_current)
        FAIL("arenas_highwater below arenas_current");
    return 0;
}

int hl_pool_validate(char *err, size_t errlen)
{
    ASSERT_GIL();
    pool_tally t = {0};
    if (validate_rings(&t, err, errlen) != 0 || validate_arenas(&t, err, errlen) != 0 ||
        validate_usable(&t, err, errlen) != 0 || validate_unused(&t, err, errlen) != 0 ||
        validate_radix(&t, err, errlen) != 0 || validate_counters(&t, err, errlen) != 0)
        return -1;
    return 0;
}

#undef FAIL

/* ---- reset (tests) ------------------------------------------------------------- */

void hl_pool_reset(void)
{
    ASSERT_GIL();
    for (uint32_t i = 0; i < maxarenas; i++)
        if (arenas[i].address != 0)
        {
            UNPOISON((void *)arenas[i].address, ARENA_SIZE);
            munmap((void *)arenas[i].address, ARENA_SIZE);
        }
    const hl_backend *raw = raw_alloc.backend;
    if (raw != NULL) {
        for (uint32_t t = 0; t < (1u << RADIX_TOP_BITS); t++) {
            if (radix.root[t] == 0)
                continue;
            radix_mid *mid = radix_mid_at(radix.root[t]);
            for (uint32_t m = 0; m <= RADIX_MID_MASK; m++)
                if (mid->bot[m] != 0)
                    raw->free(raw_alloc.ctx, radix_bot_at(mid->bot[m]));
            raw->free(raw_alloc.ctx, mid);
            radix.root[t] = 0;
        }
        raw->free(raw_alloc.ctx, arenas);
    }
    arenas = NULL;
    maxarenas = 0;
    unused_arena_objects = NULL;
    usable_arenas = NULL;
    memset(nfp2lasta, 0, sizeof nfp2lasta);
    for (uint32_t c = 0; c < NB_CLASSES; c++)
        usedpools[c].nextpool = usedpools[c].prevpool = &usedpools[c];
    memset(&counters, 0, sizeof counters);
    align_mode = ALIGN_NONE;
    migrate_raw_on_realloc = false;
    keep_free_arenas = 1;
    nfully_free = 0;
    memset(cached_pool, 0, sizeof cached_pool);
    nquiet = 0;
}

/* The pool's memory goes back to the OS and its raw allocator is dropped:
 * a later call needs a new open.  No pool block may be live. */
static void pool_close(void *ctx)
{
    bool take_gil = !hl_gil_held;
    if (take_gil)
        hl_gil_acquire();
    hl_pool_reset();
    raw_alloc = (hl_raw){NULL, NULL};
    if (take_gil)
        hl_gil_release();
}

static void pool_thread_attach(void *ctx)
{
    hl_raw_thread_hook(&raw_alloc, true);
}

static void pool_thread_detach(void *ctx)
{
    hl_raw_thread_hook(&raw_alloc, false);
}

const hl_backend hl_pool_backend = {
    .name = "pool",
    .thread_safe = false,
    .open = pool_open,
    .close = pool_close,
    .thread_attach = pool_thread_attach,
    .thread_detach = pool_thread_detach,
    .version = pool_version,
    .malloc = pool_malloc,
    .calloc = pool_calloc,
    .realloc = pool_realloc,
    .free = pool_free,
    .free_sized = pool_free_sized,
    .usable_size = pool_usable_size,
    .owns = pool_owns,
    .native_stats = pool_native_stats,
    .trim = pool_trim,
};
