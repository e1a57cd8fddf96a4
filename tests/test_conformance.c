/* test_conformance.c - every backend this process variant hosts behaves like
 * a C allocator, both called directly (vtable) and through an hl_allocator,
 * and the handle's accounting matches a reference model exactly.
 *
 * Built once per variant (tests/backends.cmake).  faulty breaks on purpose,
 * so it is left out of the conformance loop and gets its own tests (its
 * faults are exactly where its options say); guard's detections are checked
 * in forked children.
 */
#include "alloc.h"
#include "backends.h"
#include "gil.h"
#include "hl_test.h"
#include "registry.h"
#include "hl_probe.h"

#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

/* The backend under test (set by main before each RUN). */
static const hl_backend *B;
static hl_allocator H;
/* guard and faulty, taken from the registry (the cpython variant has none),
 * and their instances. */
static const hl_backend *G, *F;
static void *GC, *FC;

/* Direct vtable calls on a backend that is not thread safe need the GIL,
 * exactly as hl_allocator would take it. */
static void enter(void)
{
    if (!B->thread_safe)
        hl_gil_acquire();
}

static void leave(void)
{
    if (!B->thread_safe)
        hl_gil_release();
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 131u + (i >> 8));
}

static bool filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 131u + (i >> 8)))
            return false;
    return true;
}

/* C17 7.22.3: a block must be aligned for any fundamental type that fits in
 * it: 16 on x86-64 for 16 bytes and up, the next power of two below that. */
static size_t required_alignment(size_t n)
{
    size_t a = 1;
    while (a < n && a < 16)
        a <<= 1;
    return a;
}

static const size_t edge_sizes[] = {0,   1,   2,    7,    8,     15,    16,      17,
                                    31,  32,  48,   511,  512,   513,   1000,    4095,
                                    4096, 4097, 32768, 65536, 200000, 1 << 20};
#define N_EDGE (sizeof edge_sizes / sizeof edge_sizes[0])

TEST(sizes_alignment_usable_direct)
{
    void *blocks[N_EDGE];
    enter();
    for (size_t i = 0; i < N_EDGE; i++) {
        size_t n = edge_sizes[i];
        unsigned char *p = B->malloc(H.ctx, n);
        blocks[i] = p;
        if (n == 0)
            continue; /* NULL or a unique pointer: both are C */
        CHECK_MSG(p != NULL, "malloc(%zu)", n);
        if (p == NULL)
            continue;
        CHECK_MSG((uintptr_t)p % required_alignment(n) == 0, "malloc(%zu) = %p", n, (void *)p);
        CHECK_MSG(B->usable_size(H.ctx, p) >= n, "usable_size %zu < %zu", B->usable_size(H.ctx, p), n);
        fill(p, n, (unsigned)i);
    }
    /* All live at once: no block may overlap another's content. */
    for (size_t i = 0; i < N_EDGE; i++)
        if (blocks[i] && edge_sizes[i])
            CHECK_MSG(filled(blocks[i], edge_sizes[i], (unsigned)i), "size %zu", edge_sizes[i]);
    if (blocks[0] != NULL)
        for (size_t i = 1; i < N_EDGE; i++)
            CHECK(blocks[i] != blocks[0]); /* malloc(0) is unique */
    for (size_t i = 0; i < N_EDGE; i++)
        B->free(H.ctx, blocks[i]);
    leave();
}

TEST(random_sizes_direct)
{
    uint64_t rng = 42;
    enum { LIVE = 256 };
    unsigned char *p[LIVE] = {0};
    size_t sz[LIVE] = {0};
    enter();
    for (int op = 0; op < 6000; op++) {
        int k = (int)(hl_test_rand(&rng) % LIVE);
        if (p[k]) {
            if (!filled(p[k], sz[k], (unsigned)k * 7u)) {
                CHECK_MSG(false, "block %d of %zu bytes changed", k, sz[k]);
                break;
            }
            B->free(H.ctx, p[k]);
            p[k] = NULL;
        } else {
            uint64_t r = hl_test_rand(&rng);
            sz[k] = (r & 15) ? 1 + (r >> 8) % 512 : 1 + (r >> 8) % 70000;
            p[k] = B->malloc(H.ctx, sz[k]);
            REQUIRE(p[k] != NULL);
            CHECK((uintptr_t)p[k] % required_alignment(sz[k]) == 0);
            fill(p[k], sz[k], (unsigned)k * 7u);
        }
    }
    for (int k = 0; k < LIVE; k++)
        B->free(H.ctx, p[k]);
    leave();
}

TEST(calloc_zeroes_and_overflows)
{
    static const size_t sizes[] = {1, 16, 100, 512, 513, 4096, 40000, 1 << 20};
    enter();
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        /* Dirty memory of this size first, so calloc cannot rely on luck. */
        for (int round = 0; round < 3; round++) {
            unsigned char *d = B->malloc(H.ctx, n);
            REQUIRE(d != NULL);
            memset(d, 0xAB, n);
            B->free(H.ctx, d);
            unsigned char *z = B->calloc(H.ctx, 1, n);
            REQUIRE(z != NULL);
            bool zero = true;
            for (size_t j = 0; j < n; j++)
                zero &= z[j] == 0;
            CHECK_MSG(zero, "calloc(1, %zu) not zeroed", n);
            B->free(H.ctx, z);
        }
        unsigned char *z = B->calloc(H.ctx, n, 3); /* count * size, not one of them */
        REQUIRE(z != NULL);
        CHECK(B->usable_size(H.ctx, z) >= 3 * n);
        bool zero = true;
        for (size_t j = 0; j < 3 * n; j++)
            zero &= z[j] == 0;
        CHECK(zero);
        B->free(H.ctx, z);
    }
    void *o1 = B->calloc(H.ctx, SIZE_MAX / 2 + 1, 2);
    void *o2 = B->calloc(H.ctx, SIZE_MAX, SIZE_MAX);
    void *o3 = B->calloc(H.ctx, (SIZE_MAX >> 4) + 1, 16);
    CHECK(o1 == NULL);
    CHECK(o2 == NULL);
    CHECK(o3 == NULL);
    B->free(H.ctx, o1);
    B->free(H.ctx, o2);
    B->free(H.ctx, o3);
    leave();
}

TEST(realloc_keeps_content)
{
    enter();
    unsigned char *p = B->realloc(H.ctx, NULL, 100); /* realloc(NULL, n) == malloc(n) */
    REQUIRE(p != NULL);
    CHECK(B->usable_size(H.ctx, p) >= 100);
    fill(p, 100, 3);
    static const size_t steps[] = {1000, 5000, 50, 513, 512, 17, 16, 300000, 1 << 20, 40, 1};
    size_t have = 100;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t n = steps[i];
        unsigned char *q = B->realloc(H.ctx, p, n);
        REQUIRE(q != NULL);
        size_t kept = have < n ? have : n;
        CHECK_MSG(filled(q, kept, 3), "realloc %zu -> %zu lost content", have, n);
        CHECK(B->usable_size(H.ctx, q) >= n);
        CHECK((uintptr_t)q % required_alignment(n) == 0);
        fill(q, n, 3);
        p = q;
        have = n;
    }
    B->free(H.ctx, p);
    /* realloc(p, 0): NULL with p freed, or a block to free later: both C. */
    p = B->malloc(H.ctx, 10);
    REQUIRE(p != NULL);
    p = B->realloc(H.ctx, p, 0);
    B->free(H.ctx, p);
    B->free(H.ctx, NULL); /* a no-op */
    if (B->free_sized)
        B->free_sized(H.ctx, NULL, 0);
    leave();
}

/* The active statistic terms of B's probe (backends.def), or 0. */
static int stat_terms(probe_term *terms)
{
    probe_term all[HL_PROBE_MAX_TERMS];
    char err[256];
    int n = hl_probe_parse(hl_registry_row(B)->probe, all, HL_PROBE_MAX_TERMS, err, sizeof err);
    CHECK_MSG(n >= 0, "%s", err);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (all[i].active && hl_probe_is_stat(&all[i]))
            terms[k++] = all[i];
    return k;
}

TEST(sized_free_direct)
{
    if (B->free_sized == NULL)
        SKIP("backend has no sized free");
    enter();
    for (size_t i = 0; i < N_EDGE; i++) {
        unsigned char *p = B->malloc(H.ctx, edge_sizes[i]);
        if (edge_sizes[i])
            REQUIRE(p != NULL);
        if (p)
            fill(p, edge_sizes[i], 9);
        B->free_sized(H.ctx, p, edge_sizes[i]);
    }
    leave();
    /* That the sized free really freed: the backend's own counters fall
     * back (its probe's statistics), or, for a backend that keeps none,
     * the freed blocks are handed out again. */
    hl_allocator_set_sized_free(&H, true);
    probe_term terms[HL_PROBE_MAX_TERMS];
    int n = stat_terms(terms);
    for (int i = 0; i < n; i++)
        if (terms[i].check != PROBE_POSITIVE && terms[i].check != PROBE_LE &&
            terms[i].check != PROBE_COUNT)
            hl_probe_run(&H, &terms[i]);
    bool counted = false;
    for (int i = 0; i < n; i++)
        counted |= terms[i].check == PROBE_GROW || terms[i].check == PROBE_EXACT ||
                   terms[i].check == PROBE_BLOCKS;
    if (!counted) {
        printf("     %s: no counter in its probe: freed blocks must come back\n", B->name);
        hl_probe_reuse(&H, HL_PROBE_DEFAULT_SIZE);
        hl_probe_reuse(&H, 48);
    }
}

TEST(metadata)
{
    CHECK(B->name != NULL && B->name[0] != '\0');
    CHECK(hl_registry_row(B) != NULL && hl_registry_row(B)->summary[0] != '\0');
    REQUIRE(B->version != NULL);
    const char *v = B->version(H.ctx);
    CHECK(v != NULL && v[0] != '\0');
    printf("     %s %s\n", B->name, v ? v : "(null)");
    if (B->native_stats) {
        hl_stat st[HL_MAX_NATIVE_STATS];
        enter();
        size_t n = B->native_stats(H.ctx, st, HL_MAX_NATIVE_STATS);
        leave();
        CHECK(n > 0 && n <= HL_MAX_NATIVE_STATS);
        printf("     ");
        for (size_t i = 0; i < n; i++)
            printf("%s=%" PRIu64 "%s", st[i].name, st[i].value, i + 1 < n ? " " : "\n");
        /* max is honoured */
        enter();
        CHECK(B->native_stats(H.ctx, st, 1) <= 1);
        leave();
    }
    CHECK(hl_registry_find(B->name) == B);
    CHECK(hl_registry_known(B->name));
    if (B->trim) {
        enter();
        B->trim(H.ctx); /* must be callable at any time */
        leave();
    }
}

/* Random sequence through the handle, against a model of what the counters
 * must say: allocs, frees, reallocs, live, requested and the exact peak. */
TEST(handle_accounting_matches_model)
{
    hl_alloc_stats s0, s1;
    hl_allocator_reset_peak(&H);
    hl_allocator_stats(&H, &s0);
    CHECK_EQ_U64(s0.live_bytes, 0); /* every earlier test freed its blocks */

    enum { LIVE = 128 };
    unsigned char *p[LIVE] = {0};
    size_t sz[LIVE] = {0};
    uint64_t m_allocs = 0, m_frees = 0, m_reallocs = 0, m_requested = 0;
    int64_t m_live = 0, m_peak = 0;
    uint64_t rng = 7;
    for (int op = 0; op < 4000; op++) {
        int k = (int)(hl_test_rand(&rng) % LIVE);
        uint64_t r = hl_test_rand(&rng);
        size_t n = (r & 7) ? (r >> 8) % 513 : (r >> 8) % 20000;
        if (p[k] == NULL) {
            bool use_calloc = (r >> 40) & 1;
            p[k] = use_calloc ? hl_calloc(&H, 1, n) : hl_malloc(&H, n);
            if (p[k] == NULL) {
                CHECK_MSG(n == 0, "allocation of %zu failed", n);
                continue;
            }
            sz[k] = n;
            fill(p[k], n, (unsigned)k);
            m_allocs++;
            m_requested += n;
            m_live += (int64_t)n;
        } else if ((r >> 50) % 3 == 0 && n > 0) {
            CHECK(filled(p[k], sz[k], (unsigned)k));
            unsigned char *q = hl_realloc(&H, p[k], sz[k], n);
            REQUIRE(q != NULL);
            CHECK(filled(q, sz[k] < n ? sz[k] : n, (unsigned)k));
            m_reallocs++;
            if (n > sz[k])
                m_requested += n - sz[k];
            m_live += (int64_t)n - (int64_t)sz[k];
            p[k] = q;
            sz[k] = n;
            fill(q, n, (unsigned)k);
        } else {
            CHECK_MSG(filled(p[k], sz[k], (unsigned)k), "block %d (%zu bytes) changed", k, sz[k]);
            hl_free(&H, p[k], sz[k]);
            p[k] = NULL;
            m_frees++;
            m_live -= (int64_t)sz[k];
        }
        if (m_live > m_peak)
            m_peak = m_live;
        if (op % 1000 == 999) {
            hl_allocator_stats(&H, &s1);
            CHECK_EQ_U64(s1.live_bytes - s0.live_bytes, m_live);
            CHECK_EQ_U64(s1.allocs - s0.allocs, m_allocs);
        }
    }
    hl_allocator_stats(&H, &s1);
    CHECK_EQ_U64(s1.allocs - s0.allocs, m_allocs);
    CHECK_EQ_U64(s1.frees - s0.frees, m_frees);
    CHECK_EQ_U64(s1.reallocs - s0.reallocs, m_reallocs);
    CHECK_EQ_U64(s1.requested_bytes - s0.requested_bytes, m_requested);
    CHECK_EQ_U64(s1.live_bytes, m_live);
    CHECK(s1.peak_exact);
    CHECK_EQ_U64(s1.peak_live_bytes, m_peak);
    CHECK_EQ_U64(s1.threads, 1);
    for (int k = 0; k < LIVE; k++)
        if (p[k])
            hl_free(&H, p[k], sz[k]);
    hl_allocator_stats(&H, &s1);
    CHECK_EQ_U64(s1.live_bytes, 0);
    CHECK_EQ_U64(s1.allocs - s1.frees, 0);
}

TEST(handle_basic_calls)
{
    unsigned char *p = hl_malloc(&H, 513);
    REQUIRE(p != NULL);
    CHECK(hl_usable_size(&H, p) >= 513);
    fill(p, 513, 5);
    p = hl_realloc(&H, p, 513, 5000);
    REQUIRE(p != NULL);
    CHECK(filled(p, 513, 5));
    hl_free(&H, p, 5000);
    unsigned char *q = hl_realloc(&H, NULL, 0, 64);
    REQUIRE(q != NULL);
    hl_free(&H, q, 64);
    hl_free(&H, NULL, 0);
    CHECK(hl_calloc(&H, SIZE_MAX, 2) == NULL);
    /* Both free paths must work: sized (default when there is one) and plain. */
    hl_allocator_set_sized_free(&H, false);
    q = hl_malloc(&H, 100);
    REQUIRE(q != NULL);
    hl_free(&H, q, 100);
    hl_allocator_set_sized_free(&H, true);
    hl_alloc_stats s;
    hl_allocator_stats(&H, &s);
    CHECK_EQ_U64(s.live_bytes, 0);
}

TEST(native_stats_plausible)
{
    if (B->native_stats == NULL)
        SKIP("backend has no native statistics");
    hl_alloc_stats s0;
    hl_allocator_stats(&H, &s0);
    CHECK(s0.n_native > 0);
    for (size_t i = 0; i < s0.n_native; i++)
        CHECK(s0.native[i].name != NULL && s0.native[i].name[0] != '\0');
    /* The probe's statistics (backends.def) move with the blocks, freed
     * with a plain free here (sized_free_direct frees them sized). */
    hl_allocator_set_sized_free(&H, false);
    probe_term terms[HL_PROBE_MAX_TERMS];
    int n = stat_terms(terms);
    for (int i = 0; i < n; i++)
        hl_probe_run(&H, &terms[i]);
    hl_allocator_set_sized_free(&H, true);
}

/* hl_allocator_open calls the backend's open(); backend.h says every call
 * of a backend that is not thread safe is made with the GIL held, and the
 * pool asserts it in init too, so take it here for those backends. */
static int open_handle(hl_allocator *a, const hl_backend *b, char *err, size_t errlen)
{
    bool take = !b->thread_safe && !hl_gil_held;
    if (take)
        hl_gil_acquire();
    int rc = hl_allocator_open(a, b->name, err, errlen);
    if (take)
        hl_gil_release();
    return rc;
}

/* Reconfigures a wrapping backend the way the registry opens one: raw=
 * resolved and injected, the other options given to its open. */
static int wrapper_open(const hl_backend *w, const char *options, char *err, size_t errlen)
{
    hl_raw raw;
    char rest[64];
    if (hl_registry_resolve_raw(w, options, &raw, rest, sizeof rest, err, errlen) != 0)
        return -1;
    return w->open(rest, &raw, w == F ? &FC : &GC, err, errlen);
}

/* ---- guard: its detections, in forked children --------------------------- */

typedef enum {
    FAULT_OVERFLOW,
    FAULT_OVERFLOW_9,
    FAULT_UNDERFLOW,
    FAULT_DOUBLE_FREE,
    FAULT_SIZED,
    FAULT_USE_AFTER_FREE,
    FAULT_STALE_REALLOC,
    FAULT_NONE_AFTER_FREE,
} guard_fault;

/* Runs one fault in a child; returns its wait status and its stderr in buf. */
static int guard_child(guard_fault fault, char *buf, size_t buflen)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        unsigned char *p = G->malloc(GC, 32);
        switch (fault) {
        case FAULT_OVERFLOW:
            p[32] = 0; /* one past the end: the trailing pad */
            G->free(GC, p);
            break;
        case FAULT_OVERFLOW_9:
            p[32 + 8] = 0; /* 9 bytes out: past CPython's 8-byte pad */
            G->free(GC, p);
            break;
        case FAULT_USE_AFTER_FREE:
            G->free(GC, p);
            p[5] = 7; /* a write through the stale pointer */
            G->trim(GC); /* the block leaves the quarantine */
            break;
        case FAULT_STALE_REALLOC: {
            unsigned char *q = G->realloc(GC, p, 64);
            p[0] = 1; /* the pointer realloc made stale */
            G->free(GC, q);
            G->trim(GC);
            break;
        }
        case FAULT_NONE_AFTER_FREE:
            G->free(GC, p);
            G->trim(GC); /* nothing written: must pass */
            break;
        case FAULT_UNDERFLOW:
            p[-1] = 0;
            G->free(GC, p);
            break;
        case FAULT_DOUBLE_FREE:
            G->free(GC, p);
            G->free(GC, p);
            break;
        case FAULT_SIZED:
            G->free_sized(GC, p, 31);
            break;
        }
        _exit(0); /* not detected */
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    while (len < buflen - 1 && (got = read(fds[0], buf + len, buflen - 1 - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

/* True when the fault's child died of SIGABRT with `expect` on stderr. */
static bool guard_dies(guard_fault fault, const char *expect)
{
    char buf[1024];
    int status = guard_child(fault, buf, sizeof buf);
    bool ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(buf, expect) != NULL;
    if (!ok)
        printf("  child status %d, stderr: %s\n", status, buf);
    return ok;
}

TEST(guard_detects)
{
    CHECK(guard_dies(FAULT_OVERFLOW, "heap buffer overflow"));
    CHECK(guard_dies(FAULT_OVERFLOW_9, "heap buffer overflow"));
    CHECK(guard_dies(FAULT_UNDERFLOW, "heap buffer underflow"));
    CHECK(guard_dies(FAULT_SIZED, "wrong size in sized free"));
    /* the quarantine keeps freed blocks from the raw allocator (ASan's
     * malloc too), so these read no freed memory in any build */
    CHECK(guard_dies(FAULT_DOUBLE_FREE, "double free"));
    CHECK(guard_dies(FAULT_USE_AFTER_FREE, "use after free"));
    CHECK(guard_dies(FAULT_STALE_REALLOC, "use after free"));
    char buf[1024];
    int status = guard_child(FAULT_NONE_AFTER_FREE, buf, sizeof buf);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0 && buf[0] == '\0', "%d %s", status,
              buf);
}

TEST(guard_fills)
{
    unsigned char *p = G->malloc(GC, 64);
    REQUIRE(p != NULL);
    bool clean = true;
    for (int i = 0; i < 64; i++)
        clean &= p[i] == 0xCD;
    CHECK(clean);
    CHECK(p[64] == 0xFD && p[-1] == 0xFD); /* pads, readable: inside the raw block */
    CHECK_EQ_U64(G->usable_size(GC, p), 64);
    unsigned char *q = G->realloc(GC, p, 100);
    REQUIRE(q != NULL);
    CHECK(q != p); /* guard's realloc always moves */
    clean = true;
    for (int i = 64; i < 100; i++)
        clean &= q[i] == 0xCD;
    CHECK(clean);
    G->free(GC, q);
}

/* ---- faulty: faults exactly where its options put them --------------------- */

TEST(faulty_fail_every)
{
    char err[256];
    CHECK(wrapper_open(F, "fail_every=x", err, sizeof err) == -1);
    CHECK(strstr(err, "fail_every") != NULL);
    CHECK(wrapper_open(F, "nonsense=1", err, sizeof err) == -1);
    CHECK(strstr(err, "nonsense") != NULL);
    REQUIRE(wrapper_open(F, "fail_every=5,corrupt_every=0", err, sizeof err) == 0);
    void *p[50];
    for (int k = 1; k <= 50; k++) {
        p[k - 1] = F->malloc(FC, 24);
        CHECK_MSG((p[k - 1] == NULL) == (k % 5 == 0), "allocation %d", k);
    }
    for (int k = 0; k < 50; k++)
        F->free(FC, p[k]);
    /* realloc and calloc count too: calls 51..55, the 55th fails. */
    void *q = F->calloc(FC, 1, 10);             /* 51 */
    q = F->realloc(FC, q, 20);                  /* 52 */
    void *r = F->malloc(FC, 1);                 /* 53 */
    void *s = F->malloc(FC, 1);                 /* 54 */
    void *t = F->realloc(FC, q, 30);            /* 55: fails, q intact */
    CHECK(q != NULL && r != NULL && s != NULL && t == NULL);
    F->free(FC, q);
    F->free(FC, r);
    F->free(FC, s);
}

TEST(faulty_corrupt_every)
{
    char err[256];
    REQUIRE(wrapper_open(F, "corrupt_every=10,fail_every=0", err, sizeof err) == 0);
    enum { N = 40, SIZE = 64 };
    unsigned char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = F->malloc(FC, SIZE);
        REQUIRE(p[i] != NULL);
        fill(p[i], SIZE, (unsigned)i); /* the caller writes its block at once */
    }
    int broken = 0;
    for (int i = 0; i < N; i++) {
        int diffs = 0;
        for (int j = 0; j < SIZE; j++) {
            unsigned char want = (unsigned char)((unsigned)i + (unsigned)j * 131u);
            if (p[i][j] != want) {
                diffs++;
                CHECK(p[i][j] == (unsigned char)(want ^ 0xFF)); /* one byte inverted */
            }
        }
        CHECK(diffs <= 1);
        broken += diffs;
    }
    CHECK_EQ_U64(broken, N / 10); /* allocations 10, 20, 30, 40 */
    hl_stat st[8];
    size_t n = F->native_stats(FC, st, 8);
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, "faulty.corrupted") == 0) {
            seen = true;
            CHECK_EQ_U64(st[i].value, N / 10);
        }
    CHECK(seen);
    for (int i = 0; i < N; i++)
        F->free(FC, p[i]);
}

/* ---- the registry ------------------------------------------------------------ */

TEST(registry_and_open_errors)
{
    char err[256] = "";
    CHECK_STR(hl_registry_variant(), HL_TEST_VARIANT);
    CHECK(hl_registry_count() >= 1);
    CHECK(hl_registry_at(hl_registry_count()) == NULL);
    CHECK(hl_registry_native() == hl_registry_at(0));
    CHECK(hl_registry_find("nonesuch") == NULL);
    CHECK(!hl_registry_known("nonesuch"));
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++)
        CHECK(hl_registry_known(hl_backend_rows[i].name));
    /* Hosted: the native backend, and the wrappers in a PROCESS variant. */
    size_t wrappers = 0;
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++)
        wrappers += !hl_backend_row_is_variant(&hl_backend_rows[i]);
    const hl_backend_row *own = hl_registry_row(hl_registry_native());
    REQUIRE(own != NULL && hl_backend_row_is_variant(own));
    CHECK_EQ_U64(hl_registry_count(), 1 + (own->kind == HL_KIND_PROCESS ? wrappers : 0));
    for (size_t i = 0; i < hl_registry_count(); i++)
        CHECK(hl_registry_row(hl_registry_at(i)) != NULL);
    CHECK(hl_registry_check_process(err, sizeof err) == 0);
    if (err[0])
        printf("  %s\n", err);

    hl_allocator a;
    CHECK(hl_allocator_open(&a, "nonesuch", err, sizeof err) == -1);
    CHECK(strstr(err, "unknown backend") != NULL);
    /* Every other variant's backend is known here but not hosted. */
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++) {
        const hl_backend_row *r = &hl_backend_rows[i];
        if (!hl_backend_row_is_variant(r) || r == own)
            continue;
        CHECK(hl_allocator_open(&a, r->name, err, sizeof err) == -1);
        CHECK_MSG(strstr(err, "not hosted") != NULL, "%s: %s", r->name, err);
    }
    if (G) {
        char e2[256];
        CHECK(wrapper_open(G, "raw=guard", e2, sizeof e2) == -1);
        CHECK(strstr(e2, "raw=guard") != NULL);
        CHECK(wrapper_open(G, "raw=nonesuch", e2, sizeof e2) == -1);
        CHECK(wrapper_open(G, "colour=red", e2, sizeof e2) == -1);
        CHECK(strstr(e2, "colour") != NULL);
        CHECK(wrapper_open(G, "raw", e2, sizeof e2) == -1);
        CHECK(strstr(e2, "KEY=VALUE") != NULL);
        if (hl_registry_find("pool")) {
            /* guard must not re-initialise the pool behind hl_allocator's back */
            CHECK(wrapper_open(G, "raw=pool", e2, sizeof e2) == -1);
            CHECK(strstr(e2, "raw=pool") != NULL);
        }
    }
    if (hl_registry_find("pool")) {
        /* A second handle may repeat the first one's options or give none;
         * it may not change them (two handles on one backend share it). */
        hl_allocator p1, p2, p3, p4;
        CHECK(hl_allocator_open(&p1, "pool:keep_free=1", err, sizeof err) == 0);
        CHECK(hl_allocator_open(&p2, "pool:keep_free=1", err, sizeof err) == 0);
        CHECK(hl_allocator_open(&p3, "pool", err, sizeof err) == 0);
        CHECK(hl_allocator_open(&p4, "pool:keep_free=2", err, sizeof err) == -1);
        CHECK(strstr(err, "cannot change them to 'keep_free=2'") != NULL);
        CHECK(p1.slot != p2.slot && p2.slot != p3.slot);
    }
}

int main(void)
{
    char err[256];
    G = hl_registry_find("guard");
    F = hl_registry_find("faulty");
    printf("variant %s, %zu backends\n", hl_registry_variant(), hl_registry_count());
    RUN(registry_and_open_errors);
    hl_allocator handles[HL_MAX_ALLOCATORS];
    size_t n = hl_registry_count();
    for (size_t i = 0; i < n; i++) {
        B = hl_registry_at(i);
        if (hl_registry_row(B)->kind == HL_KIND_FAULT)
            continue; /* breaks on purpose: its own tests below */
        if (open_handle(&handles[i], B, err, sizeof err) != 0) {
            printf("FAIL open %s: %s\n", B->name, err);
            hl_test_failed++;
            continue;
        }
        H = handles[i];
        printf("-- backend %s\n", B->name);
        RUN(metadata);
        RUN(sizes_alignment_usable_direct);
        RUN(random_sizes_direct);
        RUN(calloc_zeroes_and_overflows);
        RUN(realloc_keeps_content);
        RUN(sized_free_direct);
        RUN(handle_basic_calls);
        RUN(handle_accounting_matches_model);
        RUN(native_stats_plausible);
    }
    /* The native backend's own enumerated options (jemalloc's api=...):
     * each value is a different way into the library, so each one gets the
     * direct tests.  The backend's state is global (backend.h): reopening
     * through the vtable reconfigures it, and the last open restores what
     * the registry opened. */
    const hl_backend_row *row = hl_registry_row(hl_registry_native());
    B = hl_registry_native();
    H = handles[0];
    for (const char *w = row->options; B->open && *w;) {
        size_t len = strcspn(w, " ");
        const char *eq = memchr(w, '=', len);
        bool enumerated = eq && eq[1] != '$' && memchr(w, '|', len) != NULL;
        for (const char *v = eq + 1; enumerated && v < w + len;) {
            size_t vl = strcspn(v, "| ");
            char opt[96];
            snprintf(opt, sizeof opt, "%.*s=%.*s", (int)(eq - w), w, (int)vl, v);
            void *ctx = NULL;
            CHECK_MSG(B->open(opt, NULL, &ctx, err, sizeof err) == 0, "%s: %s", opt, err);
            H.ctx = ctx;
            printf("-- backend %s:%s (direct calls)\n", B->name, opt);
            RUN(sizes_alignment_usable_direct);
            RUN(random_sizes_direct);
            RUN(calloc_zeroes_and_overflows);
            RUN(realloc_keeps_content);
            RUN(sized_free_direct);
            v += vl;
            if (*v == '|')
                v++;
        }
        if (enumerated) {
            char opt[96];
            void *ctx = NULL;
            snprintf(opt, sizeof opt, "%.*s=nonesuch", (int)(eq - w), w);
            CHECK_MSG(B->open(opt, NULL, &ctx, err, sizeof err) == -1, "%s was accepted", opt);
            CHECK_MSG(strstr(err, "nonesuch") != NULL, "%s", err);
        }
        w += len;
        while (*w == ' ')
            w++;
    }
    if (B->open) {
        void *ctx = NULL;
        CHECK_MSG(B->open("", NULL, &ctx, err, sizeof err) == 0, "reopen %s: %s", B->name, err);
        CHECK(ctx == handles[0].ctx);
    }

    const hl_backend *opened;
    if (G && hl_registry_open("guard", &opened, &GC, err, sizeof err) != 0) {
        printf("FAIL open guard: %s\n", err);
        hl_test_failed++;
        G = NULL;
    }
    if (G) {
        printf("-- guard detections\n");
        RUN(guard_detects);
        RUN(guard_fills);
    }
    if (F) {
        printf("-- faulty\n");
        RUN(faulty_fail_every);
        RUN(faulty_corrupt_every);
    }
    return hl_test_summary();
}
