/* guard.c - a debug allocator: pads, fills and checks around every block.
 *
 * How it works
 * ------------
 * After CPython's debug hooks (PyMem_SetupDebugHooks, Objects/obmalloc.c,
 * and the PYTHONMALLOC=debug description in the C API docs, "Memory
 * Management", Debug hooks), each block handed out is wrapped:
 *
 *     base: [size_t requested size][id byte][7 x FORBIDDEN 0xFD]
 *     base + 16: data, `size` bytes        <- the pointer the caller gets
 *     base + 16 + size: [16 x FORBIDDEN 0xFD]
 *
 * The data of a fresh block is filled with CLEAN 0xCD (not for calloc), and
 * the whole block, header included, with DEAD 0xDD when it is freed.  Every
 * free, realloc and usable_size re-reads the header and both pads, and stops
 * the process with one line naming the fault: underflow (leading pad
 * written), overflow (trailing pad written), double free (the id byte and
 * size are still the dead fill), a pointer that is not a guard block (bad id
 * byte), or a sized free whose size differs from the requested one.
 * The trailing pad is twice CPython's 8 bytes, so that a write up to 16
 * bytes past the end (an off-by-a-word, a missing NUL of a 9-byte string)
 * lands in it.
 *
 * Quarantine (after the freed-block FIFO of ASan's allocator, "AddressSanitizer:
 * A Fast Address Sanity Checker", Serebryany et al., USENIX ATC 2012, 3.3).
 * A freed block is not handed back at once: it is filled with DEAD and kept
 * in a FIFO of at most quarantine=N blocks (default 1024) and 8 MiB.  When
 * it leaves (the FIFO is full, trim or close), every byte must still be
 * DEAD; any other byte is a write through a stale pointer, reported as a
 * use after free with its offset.  A free of a block that is still in the
 * quarantine finds its header dead: a double free, reported for certain.
 * realloc always moves the block and quarantines the old one, so a write
 * through the pointer realloc made stale is caught the same way.  Once a
 * block has left the quarantine the raw allocator may hand it out again,
 * and then no debug allocator can tell a stale write from its new owner's;
 * the dead fill surviving in the header or first data bytes (the raw
 * allocator overwrites up to 16 with its free-list links) still flags a
 * late double free.  A stale read is not detected, only seen as 0xDD.
 *
 * The raw allocator underneath is injected at open (hl_raw): the registry
 * resolves "raw=NAME" to one of the variant's process allocators, by default
 * the variant's own malloc.  Data stays 16-byte aligned when the raw block
 * is, as in CPython.  Overhead: 32 bytes per block, and the quarantine.
 */
#include "backends.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_WORD sizeof(size_t)          /* S in CPython's description */
#define GUARD_HEADER (2 * GUARD_WORD)      /* size + id + 7 pad bytes */
#define GUARD_TRAILER (2 * GUARD_WORD)     /* trailing pad bytes */
#define GUARD_OVERHEAD (GUARD_HEADER + GUARD_TRAILER)
#define GUARD_ID_LIVE ((unsigned char)'g') /* heaplab has one API: 'g' */
#define FORBIDDEN_BYTE 0xFD
#define CLEAN_BYTE 0xCD
#define DEAD_BYTE 0xDD

#define GUARD_QUARANTINE_BLOCKS 1024
#define GUARD_QUARANTINE_BYTES (8u << 20)

/* The raw allocator, set by open; the instance guard hands out is this
 * file's state (one guard per process). */
static hl_raw raw_alloc;
static _Atomic uint64_t live_blocks, live_bytes, checks_done, quarantined_total;

/* The quarantine: a FIFO ring of freed blocks (data pointer and requested
 * size), oldest at q_head.  Invariant: every entry is a block this guard
 * handed out, freed exactly once since, filled with DEAD and not yet given
 * to the raw allocator; q_len <= q_max and q_bytes is the sum of their
 * sizes plus overhead.  Protected by q_lock. */
typedef struct quarantined {
    unsigned char *data;
    size_t size;
} quarantined;

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static quarantined *q_ring;
static size_t q_head, q_len, q_max = GUARD_QUARANTINE_BLOCKS, q_bytes;

static const hl_backend *raw(void)
{
    return raw_alloc.backend;
}

static int guard_option(const char *key, const char *value, void *arg, char *err, size_t errlen)
{
    size_t *blocks = arg;
    if (strcmp(key, "quarantine") == 0) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (value[0] == '\0' || value[0] == '-' || *end || errno || v > (1u << 20)) {
            snprintf(err, errlen, "guard: quarantine=%s is not a block count from 0 to %u "
                                  "(0 = off)", value, 1u << 20);
            return -1;
        }
        *blocks = (size_t)v;
        return 0;
    }
    snprintf(err, errlen, "guard: unknown option '%s' (guard takes raw=NAME, quarantine=N)", key);
    return -1;
}

static void drain_quarantine(size_t keep);

static int guard_open(const char *options, const hl_raw *raw_in, void **ctx, char *err,
                      size_t errlen)
{
    if (raw_in == NULL || raw_in->backend == NULL || raw_in->backend == &hl_guard_backend) {
        snprintf(err, errlen, "guard: needs a raw allocator other than itself (raw=NAME)");
        return -1;
    }
    size_t blocks = GUARD_QUARANTINE_BLOCKS;
    if (hl_backends_parse_options("guard", options, guard_option, &blocks, err, errlen) != 0)
        return -1;
    quarantined *ring = NULL;
    if (blocks && !(ring = calloc(blocks, sizeof *ring))) {
        snprintf(err, errlen, "guard: no memory for a quarantine of %zu blocks", blocks);
        return -1;
    }
    if (raw_alloc.backend)
        drain_quarantine(0); /* a reopen: what the old instance holds goes back first */
    pthread_mutex_lock(&q_lock);
    free(q_ring);
    q_ring = ring;
    q_max = blocks;
    q_head = q_len = q_bytes = 0;
    pthread_mutex_unlock(&q_lock);
    raw_alloc = *raw_in;
    *ctx = &raw_alloc;
    return 0;
}

static const char *guard_version(void *ctx)
{
    return "1 (CPython PYMEM debug-hook layout)";
}

static size_t load_size(const unsigned char *base)
{
    size_t n;
    memcpy(&n, base, sizeof n);
    return n;
}

/* Writes header, pads and (unless zeroed) the clean fill; returns data. */
static void *dress(unsigned char *base, size_t size, bool zeroed)
{
    memcpy(base, &size, sizeof size);
    base[GUARD_WORD] = GUARD_ID_LIVE;
    memset(base + GUARD_WORD + 1, FORBIDDEN_BYTE, GUARD_WORD - 1);
    unsigned char *data = base + GUARD_HEADER;
    if (!zeroed)
        memset(data, CLEAN_BYTE, size);
    memset(data + size, FORBIDDEN_BYTE, GUARD_TRAILER);
    atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&live_bytes, size, memory_order_relaxed);
    return data;
}

static void fatal(const char *what, const void *data, const char *op, const char *detail)
{
    fprintf(stderr, "heaplab guard: %s at block %p detected in %s: %s\n", what, data, op, detail);
    fflush(stderr);
    abort();
}

/* Verifies the block around data and returns its requested size; aborts
 * with one line on any damage. */
static size_t check(const void *data, const char *op)
{
    const unsigned char *base = (const unsigned char *)data - GUARD_HEADER;
    atomic_fetch_add_explicit(&checks_done, 1, memory_order_relaxed);
    char detail[160];
    unsigned char id = base[GUARD_WORD];
    if (id != GUARD_ID_LIVE) {
        /* The raw allocator may have reused the first bytes of a freed block
         * for its free list (glibc's tcache writes 16, jemalloc, mimalloc
         * and tcmalloc 8), so look for the dead fill in the id byte, the
         * leading pad or the first data bytes: any of them means free()
         * already ran on this block. */
        bool dead = id == DEAD_BYTE;
        bool pads_dead = true, data_dead = true;
        for (size_t i = GUARD_WORD + 1; i < GUARD_HEADER; i++)
            pads_dead &= base[i] == DEAD_BYTE;
        for (size_t i = 0; i < GUARD_TRAILER; i++) /* data or trailing pad: always inside */
            data_dead &= base[GUARD_HEADER + i] == DEAD_BYTE;
        if (dead || pads_dead || data_dead)
            fatal("double free", data, op,
                  "the block holds the 0xDD fill written when it was freed (a free or realloc "
                  "of a block already freed)");
        snprintf(detail, sizeof detail,
                 "id byte is 0x%02x, expected 0x%02x: not a guard block, or an underflow "
                 "overwrote the header",
                 id, GUARD_ID_LIVE);
        fatal("bad id byte", data, op, detail);
    }
    for (size_t i = GUARD_WORD + 1; i < GUARD_HEADER; i++) {
        if (base[i] != FORBIDDEN_BYTE) {
            snprintf(detail, sizeof detail,
                     "leading pad byte at data-%zu is 0x%02x, expected 0x%02x (write before "
                     "the start of the block)",
                     GUARD_HEADER - i, base[i], FORBIDDEN_BYTE);
            fatal("heap buffer underflow", data, op, detail);
        }
    }
    size_t size = load_size(base);
    const unsigned char *tail = base + GUARD_HEADER + size;
    for (size_t i = 0; i < GUARD_TRAILER; i++) {
        if (tail[i] != FORBIDDEN_BYTE) {
            snprintf(detail, sizeof detail,
                     "trailing pad byte at data+%zu is 0x%02x, expected 0x%02x (block of %zu "
                     "bytes written past its end)",
                     size + i, tail[i], FORBIDDEN_BYTE, size);
            fatal("heap buffer overflow", data, op, detail);
        }
    }
    return size;
}

static void *guard_malloc(void *ctx, size_t size)
{
    if (size > SIZE_MAX - GUARD_OVERHEAD)
        return NULL;
    const hl_backend *r = raw();
    unsigned char *base;
    HL_RAW_CALL(r, base = r->malloc(raw_alloc.ctx, size + GUARD_OVERHEAD));
    return base ? dress(base, size, false) : NULL;
}

static void *guard_calloc(void *ctx, size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total) || total > SIZE_MAX - GUARD_OVERHEAD)
        return NULL;
    const hl_backend *r = raw();
    unsigned char *base;
    HL_RAW_CALL(r, base = r->calloc(raw_alloc.ctx, 1, total + GUARD_OVERHEAD));
    return base ? dress(base, total, true) : NULL;
}

/* Gives a dead block to the raw allocator. */
static void give_back(unsigned char *base, size_t size)
{
    const hl_backend *r = raw();
    if (r->free_sized)
        HL_RAW_CALL(r, r->free_sized(raw_alloc.ctx, base, size + GUARD_OVERHEAD));
    else
        HL_RAW_CALL(r, r->free(raw_alloc.ctx, base));
}

/* A block leaving the quarantine must be exactly as free() left it. */
static void check_dead(unsigned char *data, size_t size)
{
    const unsigned char *base = data - GUARD_HEADER;
    for (size_t i = 0; i < size + GUARD_OVERHEAD; i++)
        if (base[i] != DEAD_BYTE) {
            char detail[200];
            snprintf(detail, sizeof detail,
                     "byte at data%+ld of the freed %zu-byte block is 0x%02x, expected 0x%02x: "
                     "written through a stale pointer after free or realloc",
                     (long)i - (long)GUARD_HEADER, size, base[i], DEAD_BYTE);
            fatal("use after free", data, "the quarantine", detail);
        }
}

/* Moves blocks out of the quarantine until at most keep remain. */
static void drain_quarantine(size_t keep)
{
    for (;;) {
        pthread_mutex_lock(&q_lock);
        if (q_len <= keep) {
            pthread_mutex_unlock(&q_lock);
            return;
        }
        quarantined out = q_ring[q_head];
        q_head = (q_head + 1) % q_max;
        q_len--;
        q_bytes -= out.size + GUARD_OVERHEAD;
        pthread_mutex_unlock(&q_lock);
        check_dead(out.data, out.size);
        give_back(out.data - GUARD_HEADER, out.size);
    }
}

static void release(void *data, size_t size)
{
    unsigned char *base = (unsigned char *)data - GUARD_HEADER;
    memset(base, DEAD_BYTE, size + GUARD_OVERHEAD);
    atomic_fetch_sub_explicit(&live_blocks, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&live_bytes, size, memory_order_relaxed);
    if (q_max == 0) {
        give_back(base, size);
        return;
    }
    quarantined out = {NULL, 0};
    pthread_mutex_lock(&q_lock);
    if (q_len == q_max || q_bytes + size + GUARD_OVERHEAD > GUARD_QUARANTINE_BYTES) {
        if (q_len > 0) {
            out = q_ring[q_head];
            q_head = (q_head + 1) % q_max;
            q_len--;
            q_bytes -= out.size + GUARD_OVERHEAD;
        }
    }
    bool room = q_len < q_max && q_bytes + size + GUARD_OVERHEAD <= GUARD_QUARANTINE_BYTES;
    if (room) {
        q_ring[(q_head + q_len) % q_max] = (quarantined){data, size};
        q_len++;
        q_bytes += size + GUARD_OVERHEAD;
        atomic_fetch_add_explicit(&quarantined_total, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&q_lock);
    if (out.data) {
        check_dead(out.data, out.size);
        give_back(out.data - GUARD_HEADER, out.size);
    }
    if (!room) /* a block larger than the whole quarantine */
        give_back(base, size);
}

static void guard_free(void *ctx, void *data)
{
    if (data != NULL)
        release(data, check(data, "free"));
}

static void guard_free_sized(void *ctx, void *data, size_t size)
{
    if (data == NULL)
        return;
    size_t stored = check(data, "sized free");
    if (stored != size) {
        char detail[128];
        snprintf(detail, sizeof detail, "caller passed size %zu, the block was requested with %zu",
                 size, stored);
        fatal("wrong size in sized free", data, "sized free", detail);
    }
    release(data, stored);
}

static void *guard_realloc(void *ctx, void *data, size_t size)
{
    if (data == NULL)
        return guard_malloc(ctx, size);
    size_t old = check(data, "realloc");
    void *moved = guard_malloc(ctx, size); /* grown space gets the clean fill */
    if (moved == NULL)
        return NULL; /* the old block is untouched, as realloc requires */
    memcpy(moved, data, old < size ? old : size);
    release(data, old);
    return moved;
}

static size_t guard_usable_size(void *ctx, const void *data)
{
    return data ? check(data, "usable_size") : 0;
}

static size_t guard_native_stats(void *ctx, hl_stat *out, size_t max)
{
    size_t n = 0;
    uint64_t blocks = atomic_load_explicit(&live_blocks, memory_order_relaxed);
    const hl_stat own[] = {
        {"guard.live_blocks", blocks},
        {"guard.live_bytes", atomic_load_explicit(&live_bytes, memory_order_relaxed)},
        {"guard.overhead_bytes", blocks * GUARD_OVERHEAD},
        {"guard.checks", atomic_load_explicit(&checks_done, memory_order_relaxed)},
        {"guard.quarantined", atomic_load_explicit(&quarantined_total, memory_order_relaxed)},
    };
    for (; n < max && n < sizeof own / sizeof own[0]; n++)
        out[n] = own[n];
    /* Then the raw allocator's own view, which includes the overhead. */
    const hl_backend *r = raw();
    if (r->native_stats && n < max) {
        size_t got;
        HL_RAW_CALL(r, got = r->native_stats(raw_alloc.ctx, out + n, max - n));
        n += got;
    }
    return n;
}

static void guard_trim(void *ctx)
{
    drain_quarantine(0); /* checks every quarantined block on the way out */
    const hl_backend *r = raw();
    if (r->trim)
        HL_RAW_CALL(r, r->trim(raw_alloc.ctx));
}

static void guard_thread_attach(void *ctx)
{
    hl_raw_thread_hook(&raw_alloc, true);
}

static void guard_thread_detach(void *ctx)
{
    hl_raw_thread_hook(&raw_alloc, false);
}

static void guard_close(void *ctx)
{
    drain_quarantine(0);
}

const hl_backend hl_guard_backend = {
    .name = "guard",
    .close = guard_close,
    .thread_safe = true, /* raw calls take the GIL when raw needs it */
    .open = guard_open,
    .thread_attach = guard_thread_attach,
    .thread_detach = guard_thread_detach,
    .version = guard_version,
    .malloc = guard_malloc,
    .calloc = guard_calloc,
    .realloc = guard_realloc,
    .free = guard_free,
    .free_sized = guard_free_sized,
    .usable_size = guard_usable_size,
    .owns = NULL,
    .native_stats = guard_native_stats,
    .trim = guard_trim,
};
