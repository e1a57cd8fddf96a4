/* test_pool.c - the pool backend (allocators/pool.c): API edge cases, arena
 * life cycle, ownership, realloc policy, randomized stress with per-block
 * patterns, and a property test against a reference model.
 *
 * Every test starts from a fresh pool (close, then open) and holds the GIL,
 * as the pool's callers must (hl_allocator takes it for them; here we call
 * the vtable). */
#include "alloc.h"
#include "backend.h"
#include "gil.h"
#include "hl_test.h"
#include "pool.h"
#include "registry.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#define P hl_pool_backend
/* The pool's instance, from its last open. */
static void *PC;
#define POOL_SIZE HL_POOL_POOL_SIZE
#define ARENA_SIZE HL_POOL_ARENA_SIZE

/* Opens the pool as the registry would for "pool:<opts>": raw= resolved
 * (default: the system variant's malloc) and injected, the rest given to
 * open. */
static int pool_open(const char *opts, char *err, size_t errlen)
{
    hl_raw raw;
    char rest[64];
    if (hl_registry_resolve_raw(&P, opts, &raw, rest, sizeof rest, err, errlen) != 0)
        return -1;
    return P.open(rest, &raw, &PC, err, errlen);
}

/* A pool closed and opened again: every test starts from nothing. */
static void fresh(const char *opts)
{
    char err[256];
    P.close(PC);
    if (pool_open(opts, err, sizeof err) != 0) {
        printf("  init(\"%s\") failed: %s\n", opts, err);
        abort();
    }
}

static bool valid(void)
{
    char err[512];
    if (hl_pool_validate(err, sizeof err) != 0) {
        printf("  validate: %s\n", err);
        return false;
    }
    return true;
}

static hl_pool_stats stats(void)
{
    hl_pool_stats s;
    hl_pool_get_stats(&s);
    return s;
}

static uintptr_t pool_of(const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(POOL_SIZE - 1);
}

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* The base of the live arena holding p, or 0. */
static uintptr_t arena_of(const void *p)
{
    uintptr_t bases[4096];
    size_t n = hl_pool_arena_bases(bases, 4096);
    for (size_t i = 0; i < n && i < 4096; i++)
        if ((uintptr_t)p >= bases[i] && (uintptr_t)p - bases[i] < ARENA_SIZE)
            return bases[i];
    return 0;
}

static bool covered_by_some_arena(uintptr_t a)
{
    return arena_of((const void *)a) != 0;
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* Is the page holding p resident? */
static bool resident(const void *p)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char vec = 0;
    void *pg = (void *)((uintptr_t)p & ~(uintptr_t)(page - 1));
    if (mincore(pg, (size_t)page, &vec) != 0)
        return true; /* unknown: do not claim laziness */
    return vec & 1;
}

static void fill(void *p, size_t n, uint64_t tag)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(tag * 31 + i * 7 + (tag >> 8));
}

static bool intact(const void *p, size_t n, uint64_t tag)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(tag * 31 + i * 7 + (tag >> 8)))
            return false;
    return true;
}

/* ---- API edge cases --------------------------------------------------------- */

TEST(class_boundaries)
{
    fresh("");
    for (size_t n = 1; n <= 512; n++) {
        void *p = P.malloc(PC, n);
        REQUIRE(p != NULL);
        CHECK_MSG(P.owns(PC, p), "size %zu not owned", n);
        CHECK_MSG(P.usable_size(PC, p) == round16(n), "size %zu: usable %zu", n, P.usable_size(PC, p));
        CHECK(((uintptr_t)p & 15) == 0);
        P.free(PC, p);
    }
    /* Blocks of one class share a pool; neighbouring classes do not. */
    void *a = P.malloc(PC, 17), *b = P.malloc(PC, 32), *c = P.malloc(PC, 33), *d = P.malloc(PC, 16);
    CHECK(pool_of(a) == pool_of(b));
    CHECK(pool_of(a) != pool_of(c));
    CHECK(pool_of(a) != pool_of(d));
    CHECK_EQ_U64(P.usable_size(PC, a), 32);
    CHECK_EQ_U64(P.usable_size(PC, c), 48);
    CHECK_EQ_U64(P.usable_size(PC, d), 16);
    P.free(PC, a), P.free(PC, b), P.free(PC, c), P.free(PC, d);

    hl_pool_stats s0 = stats();
    void *big = P.malloc(PC, 513), *zero = P.malloc(PC, 0), *top = P.malloc(PC, 512);
    REQUIRE(big != NULL && top != NULL);
    CHECK(!P.owns(PC, big));
    CHECK(P.usable_size(PC, big) >= 513);
    CHECK(P.owns(PC, top));
    CHECK_EQ_U64(P.usable_size(PC, top), 512);
    if (zero != NULL)
        CHECK(!P.owns(PC, zero));
    hl_pool_stats s1 = stats();
    CHECK_EQ_U64(s1.raw_mallocs - s0.raw_mallocs, 2);
    P.free(PC, big);
    P.free(PC, zero);
    P.free(PC, top);
    CHECK_EQ_U64(stats().raw_frees - s0.raw_frees, zero != NULL ? 2 : 1);
    CHECK(!P.owns(PC, NULL));
    P.free(PC, NULL);
    CHECK_EQ_U64(stats().blocks_in_use, 0);
    CHECK(valid());
}

TEST(class_table)
{
    fresh("");
    hl_pool_stats s = stats();
    CHECK_EQ_U64(s.classes[0].block_size, 16);
    CHECK_EQ_U64(s.classes[0].capacity, 1021); /* (16384 - 48) / 16, as CPython 3.10 */
    CHECK_EQ_U64(s.classes[1].capacity, 510);
    CHECK_EQ_U64(s.classes[31].block_size, 512);
    CHECK_EQ_U64(s.classes[31].capacity, 31);
    for (unsigned c = 0; c < HL_POOL_NB_CLASSES; c++)
        CHECK_EQ_U64(s.classes[c].capacity, (POOL_SIZE - HL_POOL_OVERHEAD) / ((c + 1) * 16));
}

TEST(close_gives_everything_back)
{
    fresh("");
    void *p[100];
    for (int i = 0; i < 100; i++)
        p[i] = P.malloc(PC, 16 + 16 * (i % 32));
    for (int i = 0; i < 100; i++)
        P.free(PC, p[i]);
    CHECK(stats().arenas_current >= 1);
    CHECK(stats().radix_bytes > 0);
    P.close(PC);
    hl_pool_stats s = stats();
    CHECK_EQ_U64(s.arenas_current, 0);
    CHECK_EQ_U64(s.radix_bytes, 0);
    CHECK_EQ_U64(s.arena_objects, 0);
    fresh("");
}

TEST(init_options)
{
    char err[256];
    hl_pool_reset();
    CHECK(pool_open("", err, sizeof err) == 0);
    CHECK(pool_open("raw=system", err, sizeof err) == 0);
    CHECK(pool_open("raw=system,align=arena,realloc=migrate", err, sizeof err) == 0);
    CHECK(pool_open("keep_free=0", err, sizeof err) == 0);
    CHECK(pool_open("keep_free=8,align=none", err, sizeof err) == 0);
    const char *bad[] = {"raw=nosuch", "raw=pool", "bogus", "align=sideways", "raw=",
                         "realloc=never", "raw=system,,x", "keep_free=", "keep_free=x",
                         "keep_free=-1", "keep_free=99999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_MSG(pool_open(bad[i], err, sizeof err) == -1, "'%s' accepted", bad[i]);
        CHECK_MSG(err[0] != '\0' && strchr(err, '\n') == NULL, "'%s': message '%s'", bad[i],
                  err);
    }
    err[0] = '\0';
    pool_open("raw=nosuch", err, sizeof err);
    CHECK(strstr(err, "nosuch") != NULL);
    CHECK(strstr(P.version(PC), "obmalloc") != NULL);
    CHECK(!P.thread_safe);
    CHECK_STR(P.name, "pool");
    fresh("");
}

TEST(lazy_carving)
{
    fresh("align=arena");
    void *first = P.malloc(PC, 16);
    REQUIRE(first != NULL);
    uintptr_t pool = pool_of(first);
    uintptr_t arena = arena_of(first);
    CHECK(arena != 0 && arena % ARENA_SIZE == 0);
    CHECK_EQ_U64((uintptr_t)first - pool, HL_POOL_OVERHEAD); /* first block after the header */
    CHECK_EQ_U64(pool, arena);                                /* first pool carved at the base */
    /* Blocks come out in address order, bumped one at a time. */
    void *prev = first;
    for (int i = 0; i < 100; i++) {
        void *p = P.malloc(PC, 16);
        CHECK((uintptr_t)p == (uintptr_t)prev + 16);
        prev = p;
    }
    /* The pool's far end, the rest of the arena: never touched. */
    CHECK(!resident((void *)(pool + POOL_SIZE - 1)));
    CHECK(!resident((void *)(arena + ARENA_SIZE / 2)));
    hl_pool_stats s = stats();
    CHECK_EQ_U64(s.pools_uncarved, 63);
    CHECK_EQ_U64(s.pools_partial, 1);
    CHECK_EQ_U64(s.blocks_in_use, 101);
    CHECK_EQ_U64(s.classes[0].blocks_free, 1021 - 101);
    /* LIFO reuse of freed blocks before carving new ones. */
    void *mid = (void *)((uintptr_t)first + 16 * 50);
    P.free(PC, mid);
    CHECK(P.malloc(PC, 16) == mid);
    /* A new class carves the next pool at the high-water mark. */
    void *other = P.malloc(PC, 100);
    CHECK_EQ_U64(pool_of(other), arena + POOL_SIZE);
    CHECK(valid());
    /* Filling the pool: it turns full and the next block opens a new pool. */
    size_t cap = s.classes[0].capacity;
    for (size_t i = 101; i < cap; i++)
        CHECK(pool_of(P.malloc(PC, 16)) == pool);
    s = stats();
    CHECK_EQ_U64(s.classes[0].pools_full, 1);
    CHECK_EQ_U64(s.classes[0].pools_partial, 0);
    void *next = P.malloc(PC, 16);
    CHECK(pool_of(next) == arena + 2 * POOL_SIZE);
    CHECK(valid());
    /* Free one block of the full pool: it is usable again, first in its ring. */
    P.free(PC, mid);
    CHECK(P.malloc(PC, 16) == mid);
    CHECK(valid());
    hl_pool_reset();
}

TEST(pool_reuse)
{
    fresh("");
    size_t cap = stats().classes[3].capacity; /* 64-byte blocks */
    void **blocks = malloc(cap * sizeof *blocks);
    REQUIRE(blocks != NULL);
    for (size_t i = 0; i < cap; i++)
        blocks[i] = P.malloc(PC, 64);
    uintptr_t pool = pool_of(blocks[0]);
    CHECK(pool_of(blocks[cap - 1]) == pool);
    CHECK_EQ_U64(stats().pools_full, 1);
    /* A second, partial pool of the class: the first one, emptied, is then
     * not its class's only partial pool, so it goes back to the arena (a
     * lone pool would be cached; see cached_pool). */
    void *second = P.malloc(PC, 64);
    CHECK(pool_of(second) != pool);
    for (size_t i = 0; i < cap; i++)
        P.free(PC, blocks[i]);
    hl_pool_stats s = stats();
    CHECK_EQ_U64(s.pools_empty, 1);
    CHECK_EQ_U64(s.pools_cached, 0);
    CHECK_EQ_U64(s.pools_in_use, 1);
    CHECK_EQ_U64(s.classes[3].pools_empty, 1);
    CHECK_EQ_U64(s.arenas_current, 1);
    CHECK(valid());
    /* Another class reuses the empty pool rather than carving a new one. */
    void *q = P.malloc(PC, 200);
    CHECK(pool_of(q) == pool);
    CHECK_EQ_U64(P.usable_size(PC, q), 208);
    CHECK_EQ_U64(stats().pools_empty, 0);
    P.free(PC, q);
    /* Same class again: the pool keeps its formatting; the last freed block
     * of the previous life comes back first. */
    void *r = P.malloc(PC, 208);
    CHECK(pool_of(r) == pool);
    CHECK(r == q);
    P.free(PC, r);
    CHECK(valid());
    /* The last block of the lone 64-byte pool: that pool is cached. */
    P.free(PC, second);
    s = stats();
    CHECK_EQ_U64(s.pools_in_use, 0);
    CHECK_EQ_U64(s.classes[3].pools_empty, 1);
    CHECK_EQ_U64(s.arenas_current, 1); /* the only arena is kept (bpo-37257) */
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK(valid());
    free(blocks);
    hl_pool_reset();
}

/* Cached pools: a class whose only partial pool empties keeps it (no trip
 * through the arena on a malloc-free loop), but an arena holding no block
 * is still returned to the OS beyond keep_free, as obmalloc's would be. */
static void fill_and_free_512(int arenas)
{
    size_t n = (size_t)arenas * 64 * 31;
    void **blk = malloc(n * sizeof *blk);
    for (size_t i = 0; i < n; i++)
        blk[i] = P.malloc(PC, 512);
    for (size_t i = 0; i < n; i++)
        P.free(PC, blk[i]);
    free(blk);
}

TEST(cached_pool)
{
    fresh("align=arena");
    /* The malloc-free loop: the same block, the pool stays cached. */
    void *x = P.malloc(PC, 16);
    P.free(PC, x);
    hl_pool_stats s = stats();
    CHECK_EQ_U64(s.pools_cached, 1);
    CHECK_EQ_U64(s.classes[0].pools_empty, 1);
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK(valid());
    for (int i = 0; i < 1000; i++) {
        void *y = P.malloc(PC, 16);
        CHECK(y == x);
        P.free(PC, y);
    }
    s = stats();
    CHECK_EQ_U64(s.pools_cached, 1);
    CHECK_EQ_U64(s.arenas_total, 1);
    CHECK(valid());
    /* The cached pool's arena holds no block: a second arena left empty is
     * beyond keep_free=1 and unmapped (obmalloc: the first arena would be
     * the kept free one, the second unmapped). */
    fill_and_free_512(2);
    s = stats();
    CHECK_EQ_U64(s.blocks_in_use, 0);
    CHECK_EQ_U64(s.arenas_current, 1);
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK_EQ_U64(s.arenas_freed, s.arenas_total - 1);
    CHECK(valid());
    /* trim returns the cached pool, then its arena. */
    P.trim(PC);
    s = stats();
    CHECK_EQ_U64(s.pools_cached, 0);
    CHECK_EQ_U64(s.arenas_current, 0);
    CHECK(valid());

    /* No free pool left anywhere: another class takes the cached pool back
     * rather than map a second arena. */
    fresh("align=arena");
    x = P.malloc(PC, 16);
    P.free(PC, x);
    CHECK_EQ_U64(stats().pools_cached, 1);
    {
        size_t nfill = 63 * 31; /* the arena's other 63 pools */
        void **fill512 = malloc(nfill * sizeof *fill512);
        REQUIRE(fill512 != NULL);
        for (size_t i = 0; i < nfill; i++)
            fill512[i] = P.malloc(PC, 512);
        CHECK_EQ_U64(stats().arenas_current, 1);
        CHECK_EQ_U64(stats().pools_uncarved, 0);
        void *other = P.malloc(PC, 100);
        CHECK(pool_of(other) == pool_of(x));
        s = stats();
        CHECK_EQ_U64(s.arenas_total, 1);
        CHECK_EQ_U64(s.pools_cached, 0);
        CHECK(valid());
        P.free(PC, other);
        for (size_t i = 0; i < nfill; i++)
            P.free(PC, fill512[i]);
        free(fill512);
        CHECK(valid());
    }

    /* keep_free=0: no idle arena may stay, so the lone pool is not cached
     * and its arena goes back at once (pre-3.8 obmalloc behaviour). */
    fresh("align=arena,keep_free=0");
    x = P.malloc(PC, 16);
    P.free(PC, x);
    s = stats();
    CHECK_EQ_U64(s.pools_cached, 0);
    CHECK_EQ_U64(s.arenas_current, 0);
    CHECK(valid());

    /* A cached pool that holds a block again does not count as idle: the
     * arena emptied next is the one kept, as obmalloc would keep it. */
    fresh("align=arena");
    x = P.malloc(PC, 16);
    P.free(PC, x);
    void *held = P.malloc(PC, 16); /* reuses the cached pool */
    CHECK(held == x);
    fill_and_free_512(2);
    s = stats();
    CHECK_EQ_U64(s.blocks_in_use, 1);
    CHECK_EQ_U64(s.arenas_current, 2); /* held's arena + one kept free arena */
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK(valid());
    P.free(PC, held);
    /* Now two arenas hold no block, one more than keep_free allows: the
     * emptied pool is not cached and its arena goes back. */
    s = stats();
    CHECK_EQ_U64(s.arenas_current, 1);
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK(valid());

    /* An arena whose last pools are cached pools of several classes turns
     * idle when its other pools empty; beyond keep_free it is unmapped,
     * taking its cached pools with it. */
    fresh("align=arena,keep_free=1");
    void *a = P.malloc(PC, 16), *b = P.malloc(PC, 32), *c = P.malloc(PC, 48);
    uintptr_t first = arena_of(a);
    CHECK(arena_of(b) == first && arena_of(c) == first);
    /* Fill the rest of the first arena and a second one with 512 B pools. */
    size_t n = (size_t)(64 - 3 + 64) * 31;
    void **blk = malloc(n * sizeof *blk);
    REQUIRE(blk != NULL);
    for (size_t i = 0; i < n; i++)
        blk[i] = P.malloc(PC, 512);
    CHECK_EQ_U64(stats().arenas_current, 2);
    P.free(PC, a);
    P.free(PC, b);
    P.free(PC, c);
    s = stats();
    CHECK_EQ_U64(s.pools_cached, 3);
    CHECK_EQ_U64(s.arenas_fully_free, 0);
    CHECK(valid());
    /* Free the second arena's blocks first: it is kept, holding no block
     * (its first pool to empty is the 512 B class's cached pool). */
    for (size_t i = (size_t)(64 - 3) * 31; i < n; i++)
        P.free(PC, blk[i]);
    s = stats();
    CHECK_EQ_U64(s.arenas_current, 2);
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK_EQ_U64(s.pools_cached, 4);
    CHECK(valid());
    /* Then the first arena's 512 B blocks: it holds no block any more, one
     * idle arena too many: its three cached pools go and it is unmapped. */
    for (size_t i = 0; i < (size_t)(64 - 3) * 31; i++)
        P.free(PC, blk[i]);
    s = stats();
    CHECK_EQ_U64(s.arenas_current, 1);
    CHECK_EQ_U64(s.pools_cached, 1);
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK(!P.owns(PC, (void *)first));
    CHECK(valid());
    free(blk);
    hl_pool_reset();
}

TEST(calloc_semantics)
{
    fresh("");
    void *p = P.malloc(PC, 64);
    memset(p, 0xAB, 64);
    P.free(PC, p);
    unsigned char *z = P.calloc(PC, 4, 16);
    CHECK(z == p); /* LIFO: the dirty block comes back, and must be zeroed */
    for (int i = 0; i < 64; i++)
        CHECK(z[i] == 0);
    P.free(PC, z);
    CHECK(P.calloc(PC, SIZE_MAX / 2, 3) == NULL);
    CHECK(P.calloc(PC, 3, SIZE_MAX / 2) == NULL);
    hl_pool_stats s0 = stats();
    unsigned char *big = P.calloc(PC, 600, 1);
    REQUIRE(big != NULL);
    CHECK(!P.owns(PC, big));
    for (int i = 0; i < 600; i++)
        CHECK(big[i] == 0);
    CHECK_EQ_U64(stats().raw_callocs - s0.raw_callocs, 1);
    P.free(PC, big);
    void *small = P.calloc(PC, 512, 1);
    CHECK(P.owns(PC, small));
    P.free(PC, small);
    CHECK(valid());
}

/* ---- arenas: release, ordering --------------------------------------------- */

TEST(arena_release)
{
    fresh("");
    enum { ARENAS = 12 };
    size_t per_arena = 64 * 31; /* at most 64 pools of 31 x 512 B */
    size_t max = ARENAS * per_arena;
    void **blocks = malloc(max * sizeof *blocks);
    REQUIRE(blocks != NULL);
    size_t n = 0;
    long rss0 = rss_bytes();
    while (n < max && stats().arenas_current < ARENAS + 1) {
        /* allocate in bursts to keep the stats walk cheap */
        for (int k = 0; k < 31 && n < max; k++) {
            blocks[n] = P.malloc(PC, 512);
            REQUIRE(blocks[n] != NULL);
            memset(blocks[n], 0x5A, 512); /* touch: make it resident */
            n++;
        }
    }
    hl_pool_stats s = stats();
    CHECK(s.arenas_current >= ARENAS);
    CHECK_EQ_U64(s.bytes_mapped, s.arenas_current * ARENA_SIZE);
    CHECK_EQ_U64(s.arenas_highwater, s.arenas_current);
    CHECK_EQ_U64(s.blocks_in_use, n);
    CHECK(valid());
    long rss1 = rss_bytes();
    uint64_t mapped = s.arenas_current;
    for (size_t i = 0; i < n; i++)
        P.free(PC, blocks[i]);
    s = stats();
    CHECK_EQ_U64(s.blocks_in_use, 0);
    CHECK_EQ_U64(s.arenas_current, 1); /* one fully free arena is kept */
    CHECK_EQ_U64(s.arenas_freed, mapped - 1);
    CHECK_EQ_U64(s.bytes_mapped, ARENA_SIZE);
    CHECK_EQ_U64(s.arenas_fully_free, 1);
    CHECK(valid());
    long rss2 = rss_bytes();
    if (rss0 > 0 && rss1 > 0 && rss2 > 0) {
        /* the freed arenas were about (mapped - 1) MiB of touched memory */
        CHECK_MSG(rss1 - rss2 > (long)((mapped - 1) * ARENA_SIZE * 3 / 4),
                  "RSS %ld -> %ld -> %ld", rss0, rss1, rss2);
    }
    /* Loop allocating and freeing one block: the kept arena absorbs it. */
    for (int i = 0; i < 1000; i++)
        P.free(PC, P.malloc(PC, 512));
    CHECK_EQ_U64(stats().arenas_total, mapped);
    /* trim gives back the kept arena too. */
    P.trim(PC);
    s = stats();
    CHECK_EQ_U64(s.arenas_current, 0);
    CHECK_EQ_U64(s.bytes_mapped, 0);
    CHECK(valid());
    free(blocks);
    hl_pool_reset();
}

/* keep_free=N: how many fully free arenas stay mapped. */
static void churn_arenas(int arenas, uint64_t *current_after, uint64_t *freed_after)
{
    size_t n = (size_t)arenas * 64 * 31;
    void **blk = malloc(n * sizeof *blk);
    for (size_t i = 0; i < n; i++)
        blk[i] = P.malloc(PC, 512);
    for (size_t i = 0; i < n; i++)
        P.free(PC, blk[i]);
    free(blk);
    hl_pool_stats s = stats();
    *current_after = s.arenas_current;
    *freed_after = s.arenas_freed;
}

TEST(keep_free)
{
    uint64_t cur, freed;
    fresh("align=arena,keep_free=0"); /* pre-bpo-37257: nothing is kept */
    churn_arenas(5, &cur, &freed);
    CHECK_EQ_U64(cur, 0);
    CHECK_EQ_U64(freed, 5);
    CHECK(valid());
    fresh("align=arena,keep_free=3");
    churn_arenas(5, &cur, &freed);
    CHECK_EQ_U64(cur, 3);
    CHECK_EQ_U64(freed, 2);
    CHECK_EQ_U64(stats().arenas_fully_free, 3);
    CHECK(valid());
    /* The kept arenas absorb the next round: no new mapping. */
    churn_arenas(3, &cur, &freed);
    CHECK_EQ_U64(stats().arenas_total, 5);
    CHECK_EQ_U64(cur, 3);
    CHECK(valid());
    P.trim(PC);
    CHECK_EQ_U64(stats().arenas_current, 0);
    CHECK(valid());
    fresh("");
    churn_arenas(4, &cur, &freed);
    CHECK_EQ_U64(cur, 1);
    CHECK(valid());
    hl_pool_reset();
}

/* Fills `count` arenas completely with 512-byte blocks (align=arena: 64
 * pools each) and returns the blocks grouped by pool: pools[a][p][b]. */
enum { ORD_ARENAS = 6, ORD_POOLS = 64, ORD_BLOCKS = 31 };
static void *ord_blocks[ORD_ARENAS][ORD_POOLS][ORD_BLOCKS];
static uintptr_t ord_base[ORD_ARENAS];

static bool fill_arenas(void)
{
    for (int a = 0; a < ORD_ARENAS; a++)
        for (int p = 0; p < ORD_POOLS; p++)
            for (int b = 0; b < ORD_BLOCKS; b++) {
                void *x = P.malloc(PC, 512);
                if (x == NULL)
                    return false;
                ord_blocks[a][p][b] = x;
            }
    for (int a = 0; a < ORD_ARENAS; a++) {
        ord_base[a] = arena_of(ord_blocks[a][0][0]);
        for (int p = 0; p < ORD_POOLS; p++)
            if (arena_of(ord_blocks[a][p][0]) != ord_base[a] ||
                pool_of(ord_blocks[a][p][ORD_BLOCKS - 1]) != pool_of(ord_blocks[a][p][0]))
                return false;
    }
    return stats().arenas_current == ORD_ARENAS;
}

static void free_pool_blocks(int a, int p)
{
    for (int b = 0; b < ORD_BLOCKS; b++) {
        P.free(PC, ord_blocks[a][p][b]);
        ord_blocks[a][p][b] = NULL;
    }
}

static int arena_index(uintptr_t base)
{
    for (int a = 0; a < ORD_ARENAS; a++)
        if (ord_base[a] == base)
            return a;
    return -1;
}

TEST(arena_ordering)
{
    fresh("align=arena");
    REQUIRE(fill_arenas());
    CHECK(valid());
    /* A5 entirely free: kept as the one free arena (it is last in order). */
    for (int p = 0; p < ORD_POOLS; p++)
        free_pool_blocks(5, p);
    CHECK_EQ_U64(stats().arenas_current, ORD_ARENAS);
    CHECK(valid());
    /* A0 nearly empty (one pool left), A1 with 10 free pools, A2 with 1. */
    for (int p = 1; p < ORD_POOLS; p++) {
        free_pool_blocks(0, p);
        if (p % 8 == 0)
            CHECK(valid());
    }
    for (int p = 0; p < 10; p++)
        free_pool_blocks(1, p);
    free_pool_blocks(2, 7);
    CHECK(valid());
    /* New pools (class 0 now: the emptied pools get reformatted) come from
     * the fullest usable arena first: A2, then A1's ten, never A0 or A5. */
    int expect[11] = {2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    static void *grab[11][1021];
    size_t cap0 = stats().classes[0].capacity;
    for (int k = 0; k < 11; k++) {
        for (size_t b = 0; b < cap0; b++)
            grab[k][b] = P.malloc(PC, 16);
        int a = arena_index(arena_of(grab[k][0]));
        CHECK_MSG(a == expect[k], "pool %d came from arena %d, expected %d", k, a, expect[k]);
        CHECK(valid());
    }
    /* A0 drains: freeing its last pool unmaps it, while A5 stays. */
    uint64_t freed = stats().arenas_freed;
    free_pool_blocks(0, 0);
    hl_pool_stats s = stats();
    CHECK_EQ_U64(s.arenas_freed, freed + 1);
    CHECK_EQ_U64(s.arenas_current, ORD_ARENAS - 1);
    CHECK(arena_of((void *)ord_base[5]) == ord_base[5]);
    CHECK(!P.owns(PC, (void *)ord_base[0]) || covered_by_some_arena(ord_base[0]));
    CHECK(valid());
    /* Free everything else in a scattered order, validating as we go. */
    for (int k = 0; k < 11; k++)
        for (size_t b = 0; b < cap0; b++)
            P.free(PC, grab[k][b]);
    CHECK(valid());
    uint64_t seed = 42;
    for (int step = 0; step < ORD_ARENAS * ORD_POOLS; step++) {
        int a = (int)(hl_test_rand(&seed) % ORD_ARENAS);
        int p = (int)(hl_test_rand(&seed) % ORD_POOLS);
        if (ord_blocks[a][p][0] == NULL)
            continue;
        free_pool_blocks(a, p);
        if (step % 16 == 0)
            CHECK(valid());
    }
    for (int a = 0; a < ORD_ARENAS; a++)
        for (int p = 0; p < ORD_POOLS; p++)
            if (ord_blocks[a][p][0] != NULL)
                free_pool_blocks(a, p);
    s = stats();
    CHECK_EQ_U64(s.blocks_in_use, 0);
    CHECK_EQ_U64(s.arenas_current, 1);
    CHECK(valid());
    hl_pool_reset();
}

/* Random pool-granular churn across many arenas, the validator checking the
 * usable_arenas order and the nfp2lasta fingers after every step. */
TEST(arena_ordering_random)
{
    fresh("");
    enum { N = 20 * 63 * 31 }; /* about 20 arenas of 512-byte blocks */
    static void *blk[N];
    uint64_t seed = 7;
    for (int i = 0; i < N; i++)
        blk[i] = P.malloc(PC, 512);
    CHECK(valid());
    for (int round = 0; round < 3; round++) {
        for (int step = 0; step < 400; step++) {
            int i = (int)(hl_test_rand(&seed) % N);
            int run = 1 + (int)(hl_test_rand(&seed) % 62);
            for (int j = i; j < N && j < i + run; j++) {
                if (blk[j] != NULL) {
                    P.free(PC, blk[j]);
                    blk[j] = NULL;
                } else if (round == 1) {
                    blk[j] = P.malloc(PC, 1 + hl_test_rand(&seed) % 512);
                }
            }
            if (step % 4 == 0 && !valid()) {
                CHECK(false);
                return;
            }
        }
    }
    for (int i = 0; i < N; i++)
        P.free(PC, blk[i]);
    CHECK_EQ_U64(stats().blocks_in_use, 0);
    CHECK(stats().arenas_current <= 1);
    CHECK(valid());
    hl_pool_reset();
}

TEST(unaligned_arenas)
{
    fresh("align=unaligned");
    void *p = P.malloc(PC, 48);
    uintptr_t base = arena_of(p);
    REQUIRE(base != 0);
    CHECK(base % POOL_SIZE != 0);
    hl_pool_stats s = stats();
    CHECK_EQ_U64(s.pools_uncarved, 62); /* 63 pools: one lost to alignment */
    CHECK_EQ_U64(s.arena_lost_bytes, POOL_SIZE);
    /* The first pool starts at the first pool boundary above the base. */
    CHECK(pool_of(p) == (base + POOL_SIZE - 1) / POOL_SIZE * POOL_SIZE);
    /* Coverage is exact across the two ideal slots the arena straddles. */
    CHECK(P.owns(PC, (void *)base));
    CHECK(P.owns(PC, (void *)(base + ARENA_SIZE - 1)));
    uintptr_t boundary = (base + ARENA_SIZE) & ~(uintptr_t)(ARENA_SIZE - 1);
    CHECK(P.owns(PC, (void *)boundary));
    CHECK(P.owns(PC, (void *)(boundary - 1)));
    CHECK(P.owns(PC, (void *)(base - 1)) == covered_by_some_arena(base - 1));
    CHECK(P.owns(PC, (void *)(base + ARENA_SIZE)) == covered_by_some_arena(base + ARENA_SIZE));
    /* Fill several arenas, then free: every mark disappears. */
    static void *blk[6 * 63 * 31];
    for (size_t i = 0; i < sizeof blk / sizeof blk[0]; i++)
        blk[i] = P.malloc(PC, 500);
    CHECK(stats().arenas_current >= 6);
    CHECK(valid());
    for (size_t i = 0; i < sizeof blk / sizeof blk[0]; i += 2)
        P.free(PC, blk[i]);
    CHECK(valid());
    for (size_t i = 1; i < sizeof blk / sizeof blk[0]; i += 2)
        P.free(PC, blk[i]);
    P.free(PC, p);
    CHECK_EQ_U64(stats().arenas_current, 1);
    CHECK(valid());
    P.trim(PC);
    CHECK(!P.owns(PC, (void *)base));
    CHECK(valid());
    hl_pool_reset();
}

/* ---- ownership ---------------------------------------------------------------- */

TEST(not_owned)
{
    fresh("");
    int on_stack = 0;
    CHECK(!P.owns(PC, &on_stack));
    CHECK(!P.owns(PC, (void *)&fresh));
    void *keep = P.malloc(PC, 32); /* make sure at least one arena exists */
    REQUIRE(keep != NULL);
    /* A heap block and the bytes just past it (an ASan redzone: a read there
     * would be reported). */
    unsigned char *g = malloc(24);
    REQUIRE(g != NULL);
    CHECK(!P.owns(PC, g));
    CHECK(!P.owns(PC, g + 24));
    CHECK(!P.owns(PC, g + 31));
    /* Memory nobody may read: a PROT_NONE mapping.  Probing it must not
     * fault. */
    size_t len = 4 * ARENA_SIZE;
    unsigned char *none = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(none != MAP_FAILED);
    for (size_t off = 0; off < len; off += 4096 * 3 + 16)
        CHECK(!P.owns(PC, none + off));
    munmap(none, len);
    /* Addresses around the arena. */
    uintptr_t base = arena_of(keep);
    REQUIRE(base != 0);
    CHECK(P.owns(PC, (void *)base));
    CHECK(P.owns(PC, (void *)(base + ARENA_SIZE - 1)));
    CHECK(P.owns(PC, (void *)(base - 1)) == covered_by_some_arena(base - 1));
    CHECK(P.owns(PC, (void *)(base + ARENA_SIZE)) == covered_by_some_arena(base + ARENA_SIZE));
    /* Values far from anything mapped, including the top of the address
     * space: the 64-bit radix tree answers without faulting. */
    CHECK(!P.owns(PC, (void *)(uintptr_t)0x10));
    CHECK(!P.owns(PC, (void *)~(uintptr_t)0));
    CHECK(!P.owns(PC, (void *)((uintptr_t)1 << 62)));
    CHECK(!P.owns(PC, (void *)((base ^ ((uintptr_t)1 << 40)))));

    /* A glibc block handed to the pool goes to the raw allocator. */
    hl_pool_stats s0 = stats();
    CHECK_EQ_U64(P.usable_size(PC, g), malloc_usable_size(g));
    memcpy(g, "raw block 1234567890abc", 24);
    unsigned char *g2 = P.realloc(PC, g, 40);
    REQUIRE(g2 != NULL);
    CHECK(!P.owns(PC, g2));
    CHECK(memcmp(g2, "raw block 1234567890abc", 24) == 0);
    hl_pool_stats s1 = stats();
    CHECK_EQ_U64(s1.raw_reallocs - s0.raw_reallocs, 1);
    P.free(PC, g2);
    CHECK_EQ_U64(stats().raw_frees - s1.raw_frees, 1);
    CHECK_EQ_U64(stats().blocks_in_use, 1);
    P.free(PC, keep);
    CHECK(valid());
}

/* ---- realloc policy ------------------------------------------------------------- */

TEST(realloc_policy)
{
    fresh("");
    unsigned char *p = P.malloc(PC, 100); /* 112-byte block */
    fill(p, 112, 1);
    CHECK(P.realloc(PC, p, 112) == p);  /* same block size */
    CHECK(P.realloc(PC, p, 85) == p);   /* 85 * 4 = 340 > 336 = 112 * 3: keep */
    unsigned char *q = P.realloc(PC, p, 84); /* 25% saved: copy to 96 */
    CHECK(q != p);
    CHECK(P.owns(PC, q));
    CHECK_EQ_U64(P.usable_size(PC, q), 96);
    CHECK(intact(q, 84, 1));
    /* Growing inside the pool: the whole old block is copied. */
    fill(q, 96, 2);
    unsigned char *r = P.realloc(PC, q, 300);
    CHECK(r != q && P.owns(PC, r) && P.usable_size(PC, r) == 304);
    CHECK(intact(r, 96, 2));
    /* Growing past 512: the block moves to the raw allocator. */
    fill(r, 304, 3);
    hl_pool_stats s0 = stats();
    unsigned char *big = P.realloc(PC, r, 5000);
    REQUIRE(big != NULL);
    CHECK(!P.owns(PC, big));
    CHECK(intact(big, 304, 3));
    CHECK_EQ_U64(stats().raw_mallocs - s0.raw_mallocs, 1);
    CHECK_EQ_U64(stats().blocks_in_use, 0);
    /* Shrinking a raw block stays raw (obmalloc: the C allocator keeps it). */
    fill(big, 5000, 4);
    unsigned char *shr = P.realloc(PC, big, 100);
    REQUIRE(shr != NULL);
    CHECK(!P.owns(PC, shr));
    CHECK(intact(shr, 100, 4));
    CHECK_EQ_U64(stats().raw_reallocs - s0.raw_reallocs, 1);
    P.free(PC, shr);
    /* realloc(NULL, n) is malloc; realloc(p, 0) leaves the pool. */
    unsigned char *m = P.realloc(PC, NULL, 50);
    CHECK(P.owns(PC, m));
    unsigned char *z = P.realloc(PC, m, 0);
    if (z != NULL)
        CHECK(!P.owns(PC, z));
    P.free(PC, z);
    /* Shrinking a 512-byte block to 384 keeps it (exactly 3/4 copies). */
    unsigned char *k = P.malloc(PC, 512);
    CHECK(P.realloc(PC, k, 385) == k);
    unsigned char *k2 = P.realloc(PC, k, 384);
    CHECK(k2 != k && P.usable_size(PC, k2) == 384);
    P.free(PC, k2);
    CHECK_EQ_U64(stats().blocks_in_use, 0);
    CHECK(valid());
}

TEST(realloc_migrate)
{
    fresh("realloc=migrate");
    unsigned char *big = P.malloc(PC, 2000);
    fill(big, 2000, 9);
    unsigned char *small = P.realloc(PC, big, 200);
    REQUIRE(small != NULL);
    CHECK(P.owns(PC, small));
    CHECK(intact(small, 200, 9));
    unsigned char *back = P.realloc(PC, small, 900);
    CHECK(!P.owns(PC, back));
    CHECK(intact(back, 200, 9));
    P.free(PC, back);
    CHECK(valid());
    fresh("");
}

TEST(free_sized)
{
    fresh("");
    void *a = P.malloc(PC, 100);
    void *b = P.malloc(PC, 1000);
    void *c = P.realloc(PC, P.malloc(PC, 700), 300); /* raw block with a small size */
    REQUIRE(a && b && c);
    CHECK(!P.owns(PC, c));
    hl_pool_stats s0 = stats();
    P.free_sized(PC, a, 100);
    P.free_sized(PC, b, 1000);
    P.free_sized(PC, c, 300);
    hl_pool_stats s1 = stats();
    CHECK_EQ_U64(s1.raw_frees - s0.raw_frees, 2);
    CHECK_EQ_U64(s1.blocks_in_use, 0);
    CHECK(valid());
}

/* ---- statistics ------------------------------------------------------------ */

TEST(native_stats)
{
    fresh("");
    void *x[10];
    for (int i = 0; i < 10; i++)
        x[i] = P.malloc(PC, 24 + 60 * i);
    hl_stat out[HL_MAX_NATIVE_STATS];
    size_t n = P.native_stats(PC, out, HL_MAX_NATIVE_STATS);
    CHECK(n >= 20 && n <= HL_MAX_NATIVE_STATS);
    hl_pool_stats s = stats();
    bool saw_blocks = false, saw_arenas = false, saw_quant = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(out[i].name, "pool.blocks_in_use") == 0) {
            saw_blocks = true;
            CHECK_EQ_U64(out[i].value, 9); /* 24 + 540 = 564 > 512 went raw */
        }
        if (strcmp(out[i].name, "pool.arenas_current") == 0) {
            saw_arenas = true;
            CHECK_EQ_U64(out[i].value, s.arenas_current);
        }
        if (strcmp(out[i].name, "pool.quantization_bytes") == 0) {
            saw_quant = true;
            CHECK_EQ_U64(out[i].value, s.quantization_bytes);
        }
    }
    CHECK(saw_blocks && saw_arenas && saw_quant);
    CHECK_EQ_U64(s.pools_in_use, 9);
    CHECK_EQ_U64(s.header_bytes, 9 * HL_POOL_OVERHEAD);
    CHECK_EQ_U64(P.native_stats(PC, out, 3), 3);
    for (int i = 0; i < 10; i++)
        P.free(PC, x[i]);
}

/* ---- randomized stress ---------------------------------------------------------- */

typedef struct live_block {
    unsigned char *p;
    size_t size; /* requested */
    uint64_t tag;
} live_block;

TEST(stress)
{
    fresh("");
    enum { SLOTS = 6000, OPS = 120000, VALIDATE_EVERY = 5000 };
    static live_block slot[SLOTS];
    memset(slot, 0, sizeof slot);
    uint64_t seed = 12345, tag = 1;
    for (int op = 0; op < OPS; op++) {
        live_block *b = &slot[hl_test_rand(&seed) % SLOTS];
        uint64_t r = hl_test_rand(&seed);
        size_t size = (r & 7) == 0 ? (r >> 8) % 3000 : 1 + (r >> 8) % 512;
        if (b->p == NULL) {
            b->p = (r & 0x300) == 0 ? P.calloc(PC, 1, size) : P.malloc(PC, size);
            if (size != 0)
                REQUIRE(b->p != NULL);
            if (b->p == NULL)
                continue;
            if ((r & 0x300) == 0)
                for (size_t i = 0; i < size; i++)
                    CHECK(b->p[i] == 0);
            b->size = size;
            b->tag = tag++;
            fill(b->p, size, b->tag);
        } else if ((r & 0x3000) == 0) {
            CHECK_MSG(intact(b->p, b->size, b->tag), "block %p (%zu B) corrupted", (void *)b->p,
                      b->size);
            unsigned char *q = P.realloc(PC, b->p, size);
            if (size == 0) {
                P.free(PC, q);
                b->p = NULL;
                continue;
            }
            REQUIRE(q != NULL);
            size_t keep = b->size < size ? b->size : size;
            CHECK(intact(q, keep, b->tag));
            b->p = q;
            b->size = size;
            b->tag = tag++;
            fill(b->p, size, b->tag);
        } else {
            CHECK_MSG(intact(b->p, b->size, b->tag), "block %p (%zu B) corrupted", (void *)b->p,
                      b->size);
            if (r & 0x8000)
                P.free_sized(PC, b->p, b->size);
            else
                P.free(PC, b->p);
            b->p = NULL;
        }
        if (op % VALIDATE_EVERY == 0 && !valid()) {
            CHECK(false);
            return;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slot[i].p) {
            CHECK(intact(slot[i].p, slot[i].size, slot[i].tag));
            P.free(PC, slot[i].p);
        }
    }
    CHECK_EQ_U64(stats().blocks_in_use, 0);
    CHECK(stats().arenas_current <= 1);
    CHECK(valid());
    hl_pool_reset();
}

/* Randomized churn aimed at the cached pools: few classes, whole classes
 * freed at once (pools empty alone on their rings and get cached), arenas
 * filled and drained (they turn quiet or entirely free), trim now and then.
 * Property checked throughout, for keep_free 0, 1 and 2: arenas mapped while
 * holding no block never exceed keep_free (obmalloc's bound), and once
 * everything is freed no other arena is mapped.  Every block keeps its
 * pattern; the validator runs every few steps. */
TEST(cached_pool_stress)
{
    static const size_t sizes[] = {16, 32, 48, 512};
    enum { MAXLIVE = 5000, STEPS = 4000 };
    static live_block live[MAXLIVE];
    const char *opts[] = {"align=arena,keep_free=0", "keep_free=1", "align=unaligned,keep_free=2"};
    const uint64_t keep[] = {0, 1, 2};
    for (int o = 0; o < 3; o++) {
        fresh(opts[o]);
        uint64_t seed = 99 + (uint64_t)o, tag = 1;
        size_t n = 0;
        bool ok = true;
        for (int step = 0; step < STEPS && ok; step++) {
            uint64_t r = hl_test_rand(&seed);
            int kind = (int)(r % 100);
            size_t size = sizes[(r >> 8) % 4];
            if (kind < 45 && n < MAXLIVE) {
                int burst = 1 + (int)((r >> 16) % 40);
                for (int k = 0; k < burst && n < MAXLIVE; k++) {
                    live[n].p = P.malloc(PC, size);
                    REQUIRE(live[n].p != NULL);
                    live[n].size = size;
                    live[n].tag = tag++;
                    fill(live[n].p, size, live[n].tag);
                    n++;
                }
            } else if (kind < 85 && n > 0) {
                int burst = 1 + (int)((r >> 16) % 40);
                for (int k = 0; k < burst && n > 0; k++) {
                    size_t i = (size_t)(hl_test_rand(&seed) % n);
                    CHECK(intact(live[i].p, live[i].size, live[i].tag));
                    P.free(PC, live[i].p);
                    live[i] = live[--n];
                }
            } else if (kind < 97) {
                /* Free every block of one class: its pools empty. */
                for (size_t i = 0; i < n;) {
                    if (live[i].size != size) {
                        i++;
                        continue;
                    }
                    CHECK(intact(live[i].p, live[i].size, live[i].tag));
                    P.free(PC, live[i].p);
                    live[i] = live[--n];
                }
            } else if (kind < 99) {
                /* The malloc-free loop the cache is for. */
                for (int k = 0; k < 50; k++)
                    P.free(PC, P.malloc(PC, size));
            } else {
                P.trim(PC);
            }
            if (step % 25 == 0) {
                hl_pool_stats st = stats();
                CHECK_MSG(st.arenas_fully_free <= keep[o],
                          "%llu arenas hold no block, keep_free=%llu (step %d, '%s')",
                          (unsigned long long)st.arenas_fully_free,
                          (unsigned long long)keep[o], step, opts[o]);
                CHECK_EQ_U64(st.blocks_in_use, n);
                if (!valid()) {
                    printf("  at step %d, options '%s'\n", step, opts[o]);
                    ok = false;
                    CHECK(false);
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            CHECK(intact(live[i].p, live[i].size, live[i].tag));
            P.free(PC, live[i].p);
        }
        hl_pool_stats st = stats();
        CHECK_EQ_U64(st.blocks_in_use, 0);
        CHECK_MSG(st.arenas_current <= keep[o], "%llu arenas mapped with no block, keep_free=%llu",
                  (unsigned long long)st.arenas_current, (unsigned long long)keep[o]);
        CHECK(valid());
        P.trim(PC);
        CHECK_EQ_U64(stats().arenas_current, 0);
        CHECK(valid());
    }
    hl_pool_reset();
}

/* ---- property test against a reference model ---------------------------------- */

/* The model: which blocks are live, their requested size, their tag, and
 * whether the pool or the raw allocator should own them (1..512 -> pool,
 * realloc keeps a raw block raw).  It also predicts the raw call counts. */
typedef struct model_block {
    unsigned char *p;
    size_t size;
    uint64_t tag;
    bool pooled;
} model_block;

static int cmp_addr(const void *a, const void *b)
{
    const model_block *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

static bool model_check(model_block *live, size_t n, uint64_t want_pooled, uint64_t want_raw_m,
                        uint64_t want_raw_c, uint64_t want_raw_r, uint64_t want_raw_f)
{
    bool ok = true;
    model_block *sorted = malloc((n + 1) * sizeof *sorted);
    memcpy(sorted, live, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_addr);
    for (size_t i = 0; i < n; i++) {
        model_block *b = &sorted[i];
        size_t extent = b->pooled ? P.usable_size(PC, b->p) : (b->size ? b->size : 1);
        if (b->pooled != P.owns(PC, b->p)) {
            printf("  block %p: owned %d, model says %d\n", (void *)b->p, P.owns(PC, b->p), b->pooled);
            ok = false;
        }
        /* A pool block is in its size's class, or was kept in place by a
         * realloc that shrank it by less than 25%. */
        size_t usable = b->pooled ? P.usable_size(PC, b->p) : 0;
        if (b->pooled && (usable < b->size ||
                          (usable != round16(b->size) && 4 * b->size <= 3 * usable))) {
            printf("  block %p: usable %zu for %zu bytes\n", (void *)b->p, P.usable_size(PC, b->p),
                   b->size);
            ok = false;
        }
        if (i + 1 < n && b->p + extent > sorted[i + 1].p) {
            printf("  blocks %p (+%zu) and %p overlap\n", (void *)b->p, extent,
                   (void *)sorted[i + 1].p);
            ok = false;
        }
        if (!intact(b->p, b->size, b->tag)) {
            printf("  block %p (%zu B) corrupted\n", (void *)b->p, b->size);
            ok = false;
        }
    }
    free(sorted);
    hl_pool_stats s = stats();
    if (s.blocks_in_use != want_pooled || s.raw_mallocs != want_raw_m ||
        s.raw_callocs != want_raw_c || s.raw_reallocs != want_raw_r || s.raw_frees != want_raw_f) {
        printf("  counters: blocks %" PRIu64 "/%" PRIu64 " raw m %" PRIu64 "/%" PRIu64
               " c %" PRIu64 "/%" PRIu64 " r %" PRIu64 "/%" PRIu64 " f %" PRIu64 "/%" PRIu64 "\n",
               s.blocks_in_use, want_pooled, s.raw_mallocs, want_raw_m, s.raw_callocs, want_raw_c,
               s.raw_reallocs, want_raw_r, s.raw_frees, want_raw_f);
        ok = false;
    }
    uint64_t pooled_bytes = 0;
    for (unsigned c = 0; c < HL_POOL_NB_CLASSES; c++)
        pooled_bytes += s.classes[c].blocks_in_use * s.classes[c].block_size;
    if (pooled_bytes != s.bytes_in_blocks)
        ok = false;
    return ok && valid();
}

static size_t model_size(uint64_t r)
{
    switch (r % 16) {
    case 0:
        return 0;
    case 1:
    case 2:
        return 513 + (r >> 8) % 2000;
    case 3:
        return 512;
    default:
        return 1 + (r >> 8) % 512;
    }
}

static void run_model(const char *opts, uint64_t seed, int ops)
{
    fresh(opts);
    enum { MAXLIVE = 3000 };
    model_block *live = calloc(MAXLIVE, sizeof *live);
    size_t n = 0;
    uint64_t pooled = 0, raw_m = 0, raw_c = 0, raw_r = 0, raw_f = 0, tag = 1;
    bool failed = false;
    for (int op = 0; op < ops && !failed; op++) {
        uint64_t r = hl_test_rand(&seed);
        int kind = (int)(r % 10);
        if (n == 0 || (kind < 4 && n < MAXLIVE)) {
            /* malloc or calloc */
            size_t size = model_size(hl_test_rand(&seed));
            bool use_calloc = kind == 3;
            unsigned char *p = use_calloc ? P.calloc(PC, size ? 1 : 0, size) : P.malloc(PC, size);
            bool small = size >= 1 && size <= 512;
            if (small)
                pooled++;
            else {
                raw_m++;
                raw_c += use_calloc;
            }
            if (p == NULL) {
                CHECK(size == 0);
                continue;
            }
            if (use_calloc)
                for (size_t i = 0; i < size; i++)
                    CHECK(p[i] == 0);
            live[n] = (model_block){p, size, tag++, small};
            fill(p, size, live[n].tag);
            n++;
        } else if (kind < 7) {
            /* realloc */
            size_t i = (size_t)(hl_test_rand(&seed) % n);
            model_block *b = &live[i];
            size_t size = model_size(hl_test_rand(&seed));
            size_t old_block = b->pooled ? P.usable_size(PC, b->p) : 0;
            bool want_pooled = b->pooled ? (size >= 1 && size <= 512) : false;
            if (!b->pooled && strstr(opts, "migrate") && size >= 1 && size <= 512)
                want_pooled = true;
            bool in_place = b->pooled && size >= 1 && size <= old_block && 4 * size > 3 * old_block;
            if (b->pooled && !want_pooled)
                raw_m++; /* malloc(size) went raw */
            if (!b->pooled && !want_pooled)
                raw_r++;
            if (!b->pooled && want_pooled)
                raw_f++; /* migrate frees the raw block */
            unsigned char *q = P.realloc(PC, b->p, size);
            if (b->pooled && !in_place && !want_pooled) {
                /* moved out of the pool */
            }
            if (b->pooled)
                pooled -= 1;
            if (want_pooled)
                pooled += 1;
            if (in_place)
                CHECK(q == b->p);
            size_t keep = b->size < size ? b->size : size;
            if (q == NULL) {
                CHECK(size == 0);
                live[i] = live[--n];
                continue;
            }
            CHECK(intact(q, keep, b->tag));
            *b = (model_block){q, size, tag++, want_pooled};
            fill(q, size, b->tag);
        } else {
            /* free or free_sized */
            size_t i = (size_t)(hl_test_rand(&seed) % n);
            model_block *b = &live[i];
            CHECK(intact(b->p, b->size, b->tag));
            if (b->pooled)
                pooled--;
            else
                raw_f++;
            if (kind == 9)
                P.free_sized(PC, b->p, b->size);
            else
                P.free(PC, b->p);
            live[i] = live[--n];
        }
        if (op % 500 == 0 && !model_check(live, n, pooled, raw_m, raw_c, raw_r, raw_f)) {
            printf("  model mismatch after op %d (seed %" PRIu64 ", opts '%s')\n", op, seed, opts);
            CHECK(false);
            failed = true;
        }
    }
    CHECK(model_check(live, n, pooled, raw_m, raw_c, raw_r, raw_f));
    for (size_t i = 0; i < n; i++)
        P.free(PC, live[i].p);
    CHECK_EQ_U64(stats().blocks_in_use, 0);
    CHECK(valid());
    free(live);
    hl_pool_reset();
}

TEST(model_obmalloc)
{
    run_model("", 1, 100000);
    run_model("align=arena", 2, 20000);
    run_model("align=unaligned", 3, 20000);
}

TEST(model_migrate)
{
    run_model("realloc=migrate", 4, 60000);
}

/* ---- through hl_allocator: the GIL for threads that do not hold it ------------- */

static hl_allocator pool_handle;

static void *thread_churn(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    void *mine[64] = {0};
    size_t sizes[64] = {0};
    for (int i = 0; i < 20000; i++) {
        int k = (int)(hl_test_rand(&seed) % 64);
        if (mine[k]) {
            if (!intact(mine[k], sizes[k], (uint64_t)k))
                return (void *)1;
            hl_free(&pool_handle, mine[k], sizes[k]);
            mine[k] = NULL;
        } else {
            sizes[k] = 1 + hl_test_rand(&seed) % 700;
            mine[k] = hl_malloc(&pool_handle, sizes[k]);
            if (mine[k] == NULL)
                return (void *)1;
            fill(mine[k], sizes[k], (uint64_t)k);
        }
    }
    for (int k = 0; k < 64; k++)
        if (mine[k])
            hl_free(&pool_handle, mine[k], sizes[k]);
    return NULL;
}

TEST(allocator_threads)
{
    hl_pool_reset();
    char err[256];
    if (hl_allocator_open(&pool_handle, "pool", err, sizeof err) != 0) {
        printf("  open: %s\n", err);
        CHECK(false);
        return;
    }
    CHECK(pool_handle.needs_gil);
    hl_gil_stats g0;
    hl_gil_get_stats(&g0);
    hl_gil_release(); /* the workers take it per call through hl_allocator */
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, thread_churn, (void *)(uintptr_t)(i + 1));
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        bad += rv != NULL;
    }
    P.trim(PC); /* trim takes the GIL itself: hl_allocator does not wrap it */
    hl_gil_acquire();
    CHECK_EQ_U64(stats().arenas_current, 0);
    CHECK_EQ_U64(bad, 0);
    hl_gil_stats g1;
    hl_gil_get_stats(&g1);
    CHECK(g1.acquisitions - g0.acquisitions >= 4 * 20000);
    hl_alloc_stats as;
    hl_allocator_stats(&pool_handle, &as);
    CHECK_EQ_U64(as.live_bytes, 0);
    CHECK(as.n_native >= 20);
    CHECK_EQ_U64(stats().blocks_in_use, 0);
    CHECK(valid());
}

/* Under ASan, free and virgin pool memory is poisoned: a use after free of a
 * pool block is reported as it would be for malloc's blocks. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif

TEST(asan_poisoning)
{
#ifndef HAVE_ASAN
    SKIP("not an AddressSanitizer build");
#else
    fresh("");
    unsigned char *p = P.malloc(PC, 64);
    REQUIRE(p != NULL);
    CHECK(!__asan_address_is_poisoned(p));
    CHECK(!__asan_address_is_poisoned(p + 63));
    CHECK(__asan_address_is_poisoned(p + 64));       /* the next, free block */
    CHECK(__asan_address_is_poisoned(p + 20 * 64));  /* virgin space */
    P.free(PC, p);
    CHECK(__asan_address_is_poisoned(p));
    CHECK(__asan_address_is_poisoned(p + 63));
    unsigned char *q = P.malloc(PC, 64);
    CHECK(q == p && !__asan_address_is_poisoned(q + 63));
    uintptr_t base = arena_of(q);
    P.free(PC, q);
    P.trim(PC); /* unmapped: the shadow must not keep poison for the next mapping */
    CHECK_EQ_U64(stats().arenas_current, 0);
    CHECK(!__asan_address_is_poisoned((void *)(base + 4096)));
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(3);
        volatile unsigned char *r = P.malloc(PC, 100);
        P.free(PC, (void *)r);
        unsigned char c = r[40]; /* use after free: ASan must stop here */
        _exit(c == 0xFF ? 0 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    CHECK(valid());
#endif
}

/* In debug builds every entry point asserts that the caller holds the GIL. */
TEST(gil_asserted)
{
#ifndef HL_DEBUG
    SKIP("the GIL assertion exists only in debug builds");
#else
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(3);
        hl_gil_release();
        P.free(PC, P.malloc(PC, 16)); /* must abort */
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#endif
}

/* The validator objects to a damaged free list: a write past the end of a
 * block into its freed neighbour's link (the overflow a validator is there
 * to catch), then passes again once the link is restored. */
TEST(validator_catches_corruption)
{
#ifdef HL_SANITIZE
    SKIP("free blocks are poisoned under ASan: the overflow would be reported first");
#endif
    fresh("");
    char *a = P.malloc(PC, 32), *b = P.malloc(PC, 32);
    REQUIRE(a != NULL && b != NULL);
    if (b != a + 32) {
        P.free(PC, a);
        P.free(PC, b);
        SKIP("the first two blocks of a fresh pool are not adjacent");
    }
    P.free(PC, b); /* b's first word is now the free list's link */
    CHECK(valid());
    uintptr_t saved, bad = (uintptr_t)a + 3; /* inside the pool, misaligned */
    memcpy(&saved, a + 32, sizeof saved);
    memcpy(a + 32, &bad, sizeof bad);
    char err[512];
    int rc = hl_pool_validate(err, sizeof err);
    CHECK_MSG(rc != 0 && strstr(err, "free block") != NULL, "validate: %d, '%s'", rc,
              rc ? err : "");
    memcpy(a + 32, &saved, sizeof saved);
    CHECK(valid());
    P.free(PC, a);
    CHECK(valid());
}

int main(void)
{
    hl_gil_acquire();
    RUN(class_boundaries);
    RUN(class_table);
    RUN(close_gives_everything_back);
    RUN(init_options);
    RUN(lazy_carving);
    RUN(pool_reuse);
    RUN(cached_pool);
    RUN(calloc_semantics);
    RUN(arena_release);
    RUN(arena_ordering);
    RUN(keep_free);
    RUN(arena_ordering_random);
    RUN(unaligned_arenas);
    RUN(not_owned);
    RUN(realloc_policy);
    RUN(realloc_migrate);
    RUN(free_sized);
    RUN(native_stats);
    RUN(stress);
    RUN(cached_pool_stress);
    RUN(model_obmalloc);
    RUN(model_migrate);
    RUN(allocator_threads);
    RUN(gil_asserted);
    RUN(validator_catches_corruption);
    RUN(asan_poisoning);
    hl_gil_release();
    return hl_test_summary();
}
