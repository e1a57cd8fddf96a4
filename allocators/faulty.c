/* faulty.c - a deliberately broken allocator, for testing the tests.
 *
 * How it works
 * ------------
 * heaplab's workloads verify their own results so that a broken allocator
 * fails a cell instead of producing a fast wrong number.  This backend
 * exists only to prove they do (in the spirit of Lua's test-suite memory
 * limit, which makes allocations fail on purpose).  It wraps the raw
 * allocator injected at open (the registry resolves "raw=NAME", by default
 * the variant's malloc) and counts allocation calls (malloc,
 * calloc, and realloc to a non-zero size), numbering them 1, 2, 3, ...:
 *
 *   fail_every=N     (default 0 = never)   call k fails (returns NULL, no
 *                    side effect) when k is a multiple of N.
 *   corrupt_every=N  (default 1000, 0 = never)   on call k, a multiple of N
 *                    that does not fail, one byte of an earlier block that
 *                    is still live is inverted before the call is served.
 *
 * Which block: a small ring remembers the most recent live non-empty blocks
 * (free and realloc take theirs out); corruption hits the *oldest* one, the
 * block the caller most probably has written by now, and removes it from
 * the ring so no block is hit twice (a second flip would undo the first).
 * The byte is at offset (k / N) mod size.  open() starts a new schedule
 * (counters and ring cleared).  Never use it for measurements.
 *
 * A corruption due when no block is live (a workload that frees every
 * block before its next allocation, such as pairs with burst=1) has
 * nothing to hit and is skipped: "faulty.injected" counts what really
 * happened, and a cell in which it stays 0 is a benchmark error, not a
 * result (cell_main.c), since it measured a sound allocator under the
 * name of a broken one.
 */
#include "backends.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULTY_RING 16

typedef struct faulty_config {
    hl_raw raw;
    uint64_t corrupt_every;
    uint64_t fail_every;
} faulty_config;

static faulty_config config = {{NULL, NULL}, 1000, 0};
static _Atomic uint64_t calls, failures, corruptions;

/* The ring: up to FAULTY_RING live blocks in allocation order (oldest at
 * ring_head).  Invariant: every entry is a live, non-empty block; a block
 * appears at most once.  Protected by ring_lock, which free() also takes
 * before handing a block back, so a corruption never writes freed memory. */
typedef struct ring_entry {
    unsigned char *ptr;
    size_t size;
} ring_entry;

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static ring_entry ring[FAULTY_RING];
static size_t ring_head, ring_len;

static const hl_backend *raw(void)
{
    return config.raw.backend;
}

#ifdef HL_DEBUG
/* Walks the ring: live entries are non-empty and distinct. */
static void validate_ring(void)
{
    if (ring_len > FAULTY_RING || ring_head >= FAULTY_RING) {
        fprintf(stderr, "heaplab faulty: ring bounds broken (head %zu, len %zu)\n", ring_head,
                ring_len);
        abort();
    }
    for (size_t i = 0; i < ring_len; i++) {
        const ring_entry *e = &ring[(ring_head + i) % FAULTY_RING];
        bool bad = e->ptr == NULL || e->size == 0;
        for (size_t j = i + 1; j < ring_len && !bad; j++)
            bad = ring[(ring_head + j) % FAULTY_RING].ptr == e->ptr;
        if (bad) {
            fprintf(stderr, "heaplab faulty: ring entry %zu is empty or duplicated\n", i);
            abort();
        }
    }
}
#else
#define validate_ring() ((void)0)
#endif

static void ring_remove_at(size_t logical)
{
    for (size_t i = logical; i + 1 < ring_len; i++)
        ring[(ring_head + i) % FAULTY_RING] = ring[(ring_head + i + 1) % FAULTY_RING];
    ring_len--;
}

static void ring_forget(const void *ptr)
{
    for (size_t i = 0; i < ring_len; i++) {
        if (ring[(ring_head + i) % FAULTY_RING].ptr == ptr) {
            ring_remove_at(i);
            return;
        }
    }
}

static void ring_push(void *ptr, size_t size)
{
    if (size == 0)
        return;
    if (ring_len == FAULTY_RING) {
        ring_head = (ring_head + 1) % FAULTY_RING; /* drop the oldest */
        ring_len--;
    }
    ring[(ring_head + ring_len) % FAULTY_RING] = (ring_entry){ptr, size};
    ring_len++;
    validate_ring();
}

/* Decides the fate of allocation call number k.  Returns false when the
 * call must fail; may corrupt the oldest remembered block. */
static bool before_allocation(void)
{
    uint64_t k = atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed) + 1;
    if (config.fail_every && k % config.fail_every == 0) {
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        return false;
    }
    if (config.corrupt_every && k % config.corrupt_every == 0) {
        pthread_mutex_lock(&ring_lock);
        if (ring_len > 0) {
            ring_entry victim = ring[ring_head];
            ring_remove_at(0);
            victim.ptr[(k / config.corrupt_every) % victim.size] ^= 0xFF;
            atomic_fetch_add_explicit(&corruptions, 1, memory_order_relaxed);
        }
        pthread_mutex_unlock(&ring_lock);
    }
    return true;
}

static void remember(void *ptr, size_t size)
{
    pthread_mutex_lock(&ring_lock);
    ring_push(ptr, size);
    pthread_mutex_unlock(&ring_lock);
}

static void forget(const void *ptr)
{
    pthread_mutex_lock(&ring_lock);
    ring_forget(ptr);
    pthread_mutex_unlock(&ring_lock);
}

static int parse_count(const char *key, const char *value, uint64_t *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (value[0] == '\0' || value[0] == '-' || *end != '\0' || errno != 0) {
        snprintf(err, errlen, "faulty: %s=%s is not a count (use a whole number, 0 = never)", key,
                 value);
        return -1;
    }
    *out = v;
    return 0;
}

static int faulty_option(const char *key, const char *value, void *arg, char *err, size_t errlen)
{
    faulty_config *c = arg;
    if (strcmp(key, "corrupt_every") == 0)
        return parse_count(key, value, &c->corrupt_every, err, errlen);
    if (strcmp(key, "fail_every") == 0)
        return parse_count(key, value, &c->fail_every, err, errlen);
    snprintf(err, errlen,
             "faulty: unknown option '%s' (faulty takes corrupt_every=N, fail_every=N, raw=NAME)",
             key);
    return -1;
}

static int faulty_open(const char *options, const hl_raw *raw_in, void **ctx, char *err,
                       size_t errlen)
{
    if (raw_in == NULL || raw_in->backend == NULL || raw_in->backend == &hl_faulty_backend) {
        snprintf(err, errlen, "faulty: needs a raw allocator other than itself (raw=NAME)");
        return -1;
    }
    faulty_config c = {*raw_in, 1000, 0};
    if (hl_backends_parse_options("faulty", options, faulty_option, &c, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&ring_lock);
    config = c;
    ring_head = ring_len = 0;
    atomic_store(&calls, 0);
    atomic_store(&failures, 0);
    atomic_store(&corruptions, 0);
    pthread_mutex_unlock(&ring_lock);
    *ctx = &config;
    return 0;
}

static const char *faulty_version(void *ctx)
{
    return "1 (fault injection, never for measurements)";
}

static void *faulty_malloc(void *ctx, size_t size)
{
    if (!before_allocation())
        return NULL;
    const hl_backend *r = raw();
    void *p;
    HL_RAW_CALL(r, p = r->malloc(config.raw.ctx, size));
    if (p)
        remember(p, size);
    return p;
}

static void *faulty_calloc(void *ctx, size_t count, size_t size)
{
    if (!before_allocation())
        return NULL;
    const hl_backend *r = raw();
    void *p;
    HL_RAW_CALL(r, p = r->calloc(config.raw.ctx, count, size));
    if (p)
        remember(p, count * size); /* no overflow: calloc succeeded */
    return p;
}

static void *faulty_realloc(void *ctx, void *ptr, size_t size)
{
    if (size != 0 && !before_allocation())
        return NULL;
    const hl_backend *r = raw();
    if (ptr)
        forget(ptr);
    void *q;
    HL_RAW_CALL(r, q = r->realloc(config.raw.ctx, ptr, size));
    if (q)
        remember(q, size);
    /* On failure the old block stays live but leaves the ring: its size is
     * unknown here, and guessing could write past its end. */
    return q;
}

static void faulty_free(void *ctx, void *ptr)
{
    if (ptr == NULL)
        return;
    forget(ptr);
    const hl_backend *r = raw();
    HL_RAW_CALL(r, r->free(config.raw.ctx, ptr));
}

static void faulty_free_sized(void *ctx, void *ptr, size_t size)
{
    if (ptr == NULL)
        return;
    forget(ptr);
    const hl_backend *r = raw();
    if (r->free_sized)
        HL_RAW_CALL(r, r->free_sized(config.raw.ctx, ptr, size));
    else
        HL_RAW_CALL(r, r->free(config.raw.ctx, ptr));
}

static size_t faulty_usable_size(void *ctx, const void *ptr)
{
    const hl_backend *r = raw();
    size_t n;
    HL_RAW_CALL(r, n = r->usable_size(config.raw.ctx, ptr));
    return n;
}

static size_t faulty_native_stats(void *ctx, hl_stat *out, size_t max)
{
    const hl_stat own[] = {
        {"faulty.allocation_calls", atomic_load(&calls)},
        {"faulty.failed", atomic_load(&failures)},
        {"faulty.corrupted", atomic_load(&corruptions)},
        /* the FAULT kind's contract (backends.def): what was injected */
        {"faulty.injected", atomic_load(&failures) + atomic_load(&corruptions)},
    };
    size_t n = 0;
    for (; n < max && n < sizeof own / sizeof own[0]; n++)
        out[n] = own[n];
    return n;
}

static void faulty_thread_attach(void *ctx)
{
    hl_raw_thread_hook(&config.raw, true);
}

static void faulty_thread_detach(void *ctx)
{
    hl_raw_thread_hook(&config.raw, false);
}

const hl_backend hl_faulty_backend = {
    .name = "faulty",
    .thread_safe = true, /* ring under a mutex; raw calls take the GIL if raw needs it */
    .open = faulty_open,
    .thread_attach = faulty_thread_attach,
    .thread_detach = faulty_thread_detach,
    .version = faulty_version,
    .malloc = faulty_malloc,
    .calloc = faulty_calloc,
    .realloc = faulty_realloc,
    .free = faulty_free,
    .free_sized = faulty_free_sized,
    .usable_size = faulty_usable_size,
    .owns = NULL,
    .native_stats = faulty_native_stats,
    .trim = NULL,
};
