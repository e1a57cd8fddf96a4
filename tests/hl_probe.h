/* hl_probe.h - the ownership probes of backends.def, run on a handle.
 *
 * A backend's row says how to prove that the blocks it hands out are its
 * own (the probe column; its grammar is at the top of backends.def).  Each
 * term is one check on a fresh batch of HL_PROBE_N blocks of its size,
 * allocated through a handle and written, then freed:
 *
 *   grow:S / exact:S / blocks:S   native stat S grows by at least / exactly
 *                                 the batch's bytes / exactly its block
 *                                 count, and after the free drops back by as
 *                                 much (exact, blocks: to where it was)
 *   count:S                       S, a running total, grows by exactly the
 *                                 block count (frees do not lower it)
 *   S>0, S<=T                     stat S positive / not above stat T, with
 *                                 the batch live
 *   owns, !owns                   owns() true / false for every block;
 *                                 false for a stack address either way
 *   usable-exact                  usable_size() == size
 *   glibc-idle, glibc-grows       glibc's mallinfo2 did not serve the batch
 *                                 / counted every byte of it
 *
 * Every batch also checks usable_size() >= size.  A term marked plain: or
 * sanitized: runs only in builds without or with ASan+UBSan; a term this
 * file does not know fails (a typo in the table is a bug).  Used by
 * test_ownership.c (every term) and test_conformance.c (the stat terms,
 * with sized free).  Include after hl_test.h; call from a TEST body.
 */
#ifndef HL_PROBE_H
#define HL_PROBE_H

#include "registry.h"

#include <malloc.h>
#include <stdint.h>

#define HL_PROBE_N 64
#define HL_PROBE_DEFAULT_SIZE 40000
#define HL_PROBE_MAX_TERMS 16

typedef enum probe_check {
    PROBE_GROW,
    PROBE_EXACT,
    PROBE_BLOCKS,
    PROBE_COUNT,
    PROBE_POSITIVE,
    PROBE_LE,
    PROBE_OWNS,
    PROBE_NOT_OWNS,
    PROBE_USABLE_EXACT,
    PROBE_GLIBC_IDLE,
    PROBE_GLIBC_GROWS
} probe_check;

typedef struct probe_term {
    char text[128];       /* the term as written, for messages */
    probe_check check;
    char stat[64], stat2[64];
    size_t size;
    bool active;          /* in this build (plain:/sanitized:) */
} probe_term;

static inline bool hl_probe_is_stat(const probe_term *t)
{
    return t->check <= PROBE_LE;
}

/* Splits a probe column into terms.  Returns how many, or -1 with the
 * culprit in err. */
static inline int hl_probe_parse(const char *probe, probe_term *out, size_t max, char *err, size_t errlen)
{
    size_t n = 0;
    for (const char *p = probe; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        if (n == max || len >= sizeof out[0].text) {
            snprintf(err, errlen, "probe '%s': too many or too long terms", probe);
            return -1;
        }
        probe_term *t = &out[n];
        memset(t, 0, sizeof *t);
        memcpy(t->text, p, len);
        p += len;
        char body[128];
        snprintf(body, sizeof body, "%s", t->text);
        char *check = body;
        t->active = true;
        if (strncmp(check, "plain:", 6) == 0) {
            check += 6;
#ifdef HL_SANITIZE
            t->active = false;
#endif
        } else if (strncmp(check, "sanitized:", 10) == 0) {
            check += 10;
#ifndef HL_SANITIZE
            t->active = false;
#endif
        }
        t->size = HL_PROBE_DEFAULT_SIZE;
        char *at = strrchr(check, '@');
        if (at != NULL) {
            char *end;
            t->size = strtoul(at + 1, &end, 10);
            if (at[1] == '\0' || *end != '\0' || t->size == 0) {
                snprintf(err, errlen, "probe term '%s': bad size after '@'", t->text);
                return -1;
            }
            *at = '\0';
        }
        char *le = strstr(check, "<=");
        size_t clen = strlen(check);
        if (strncmp(check, "grow:", 5) == 0 || strncmp(check, "exact:", 6) == 0 ||
            strncmp(check, "blocks:", 7) == 0 || strncmp(check, "count:", 6) == 0) {
            char *colon = strchr(check, ':');
            t->check = check[0] == 'g'   ? PROBE_GROW
                       : check[0] == 'e' ? PROBE_EXACT
                       : check[0] == 'b' ? PROBE_BLOCKS
                                         : PROBE_COUNT;
            snprintf(t->stat, sizeof t->stat, "%s", colon + 1);
        } else if (clen > 2 && strcmp(check + clen - 2, ">0") == 0) {
            t->check = PROBE_POSITIVE;
            snprintf(t->stat, sizeof t->stat, "%.*s", (int)(clen - 2), check);
        } else if (le != NULL && le != check && le[2] != '\0') {
            t->check = PROBE_LE;
            snprintf(t->stat, sizeof t->stat, "%.*s", (int)(le - check), check);
            snprintf(t->stat2, sizeof t->stat2, "%s", le + 2);
        } else if (strcmp(check, "owns") == 0) {
            t->check = PROBE_OWNS;
        } else if (strcmp(check, "!owns") == 0) {
            t->check = PROBE_NOT_OWNS;
        } else if (strcmp(check, "usable-exact") == 0) {
            t->check = PROBE_USABLE_EXACT;
        } else if (strcmp(check, "glibc-idle") == 0) {
            t->check = PROBE_GLIBC_IDLE;
        } else if (strcmp(check, "glibc-grows") == 0) {
            t->check = PROBE_GLIBC_GROWS;
        } else {
            snprintf(err, errlen, "probe term '%s' is not one backends.def describes", t->text);
            return -1;
        }
        if ((hl_probe_is_stat(t) && t->stat[0] == '\0') ||
            (t->check == PROBE_LE && t->stat2[0] == '\0')) {
            snprintf(err, errlen, "probe term '%s' names no statistic", t->text);
            return -1;
        }
        n++;
    }
    return (int)n;
}

/* Bytes glibc's allocator has handed out, mmapped chunks included. */
static inline uint64_t hl_probe_glibc_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static inline bool hl_probe_stat(const hl_alloc_stats *s, const char *name, uint64_t *value)
{
    for (size_t i = 0; i < s->n_native; i++)
        if (strcmp(s->native[i].name, name) == 0) {
            *value = s->native[i].value;
            return true;
        }
    return false;
}

/* Direct vtable calls of a backend that is not thread safe need the GIL,
 * exactly as hl_allocator would take it. */
static inline bool hl_probe_owns(const hl_allocator *h, const void *p)
{
    bool take = h->needs_gil && !hl_gil_held;
    if (take)
        hl_gil_acquire();
    bool owned = h->backend->owns(h->ctx, p);
    if (take)
        hl_gil_release();
    return owned;
}

static inline void hl_probe_trim(const hl_allocator *h)
{
    if (h->backend->trim == NULL)
        return;
    bool take = h->needs_gil && !hl_gil_held;
    if (take)
        hl_gil_acquire();
    h->backend->trim(h->ctx);
    if (take)
        hl_gil_release();
}

/* Runs term t on handle h (freeing with h's current free: sized or not).
 * Failed checks are counted by hl_test.h's CHECK. */
static inline void hl_probe_run(const hl_allocator *h, const probe_term *t)
{
    void *p[HL_PROBE_N];
    const char *name = h->backend->name;
    printf("     %s: %s%s\n", name, t->text, t->active ? "" : " (not in this build)");
    if (!t->active)
        return;
    bool is_owns = t->check == PROBE_OWNS || t->check == PROBE_NOT_OWNS;
    CHECK_MSG(!is_owns || h->backend->owns != NULL, "%s: probe '%s' but the backend has no owns()",
              name, t->text);
    if (is_owns && h->backend->owns == NULL)
        return;
    /* Caches emptied (jemalloc's thread cache, for instance) and the size's
     * first block served, so that the figures move by this batch alone. */
    hl_probe_trim(h);
    void *warm = hl_malloc(h, t->size);
    hl_free(h, warm, t->size);

    hl_alloc_stats s0, s1, s2;
    hl_allocator_stats(h, &s0);
    uint64_t g0 = hl_probe_glibc_in_use();
    for (int i = 0; i < HL_PROBE_N; i++) {
        p[i] = hl_malloc(h, t->size);
        CHECK_MSG(p[i] != NULL, "%s: malloc(%zu) failed", name, t->size);
        if (p[i] == NULL) {
            while (i-- > 0)
                hl_free(h, p[i], t->size);
            return;
        }
        memset(p[i], 0x5A, t->size);
    }
    uint64_t g1 = hl_probe_glibc_in_use();
    hl_allocator_stats(h, &s1);
    uint64_t bytes = (uint64_t)HL_PROBE_N * t->size;
    uint64_t want = t->check == PROBE_BLOCKS || t->check == PROBE_COUNT ? HL_PROBE_N : bytes;
    uint64_t v0 = 0, v1 = 0, v2 = 0, w1 = 0;
    bool f0 = true, f1 = true, f2 = true;
    if (hl_probe_is_stat(t)) {
        f0 = hl_probe_stat(&s0, t->stat, &v0);
        f1 = hl_probe_stat(&s1, t->stat, &v1);
        CHECK_MSG(f0 && f1, "%s: native stat %s missing", name, t->stat);
    }
    switch (t->check) {
    case PROBE_GROW:
        CHECK_MSG(v1 >= v0 + want, "%s: %s grew from %" PRIu64 " to %" PRIu64 ", want +%" PRIu64,
                  name, t->stat, v0, v1, want);
        break;
    case PROBE_EXACT:
    case PROBE_BLOCKS:
    case PROBE_COUNT:
        CHECK_MSG(v1 - v0 == want, "%s: %s grew by %" PRIu64 ", want exactly %" PRIu64, name,
                  t->stat, v1 - v0, want);
        break;
    case PROBE_POSITIVE:
        CHECK_MSG(v1 > 0, "%s: %s is 0 with %d blocks live", name, t->stat, HL_PROBE_N);
        break;
    case PROBE_LE:
        CHECK_MSG(hl_probe_stat(&s1, t->stat2, &w1), "%s: native stat %s missing", name,
                  t->stat2);
        CHECK_MSG(v1 <= w1, "%s: %s = %" PRIu64 " > %s = %" PRIu64, name, t->stat, v1, t->stat2,
                  w1);
        break;
    case PROBE_OWNS:
    case PROBE_NOT_OWNS: {
        bool want_owned = t->check == PROBE_OWNS;
        int wrong = 0;
        for (int i = 0; i < HL_PROBE_N; i++)
            wrong += hl_probe_owns(h, p[i]) != want_owned;
        CHECK_MSG(wrong == 0, "%s: owns() is %s for %d of its %zu-byte blocks", name,
                  want_owned ? "false" : "true", wrong, t->size);
        int on_stack = 0;
        CHECK_MSG(!hl_probe_owns(h, &on_stack), "%s: owns() claims a stack address", name);
        break;
    }
    case PROBE_USABLE_EXACT:
        for (int i = 0; i < HL_PROBE_N; i++)
            CHECK_EQ_U64(hl_usable_size(h, p[i]), t->size);
        break;
    case PROBE_GLIBC_IDLE:
        /* Allow the small noise of bookkeeping (stdio buffers, thread
         * registration), nothing near the batch itself. */
        CHECK_MSG(g1 < g0 + bytes / 4,
                  "%s: glibc's mallinfo2 grew %" PRIu64 " -> %" PRIu64 ": it served the blocks",
                  name, g0, g1);
        break;
    case PROBE_GLIBC_GROWS:
        CHECK_MSG(g1 >= g0 + bytes, "%s: glibc's mallinfo2 grew %" PRIu64 " -> %" PRIu64
                  ", want +%" PRIu64, name, g0, g1, bytes);
        break;
    }
    for (int i = 0; i < HL_PROBE_N; i++)
        CHECK(hl_usable_size(h, p[i]) >= t->size);
    for (int i = 0; i < HL_PROBE_N; i++)
        hl_free(h, p[i], t->size);
    hl_allocator_stats(h, &s2);
    CHECK_EQ_U64(s2.live_bytes, s0.live_bytes);
    if (t->check == PROBE_GROW || t->check == PROBE_EXACT || t->check == PROBE_BLOCKS) {
        /* The free went back to the allocator, and its figure says so. */
        f2 = hl_probe_stat(&s2, t->stat, &v2);
        CHECK_MSG(f2, "%s: native stat %s missing", name, t->stat);
        if (t->check == PROBE_GROW)
            CHECK_MSG(v2 + want <= v1, "%s: %s only fell from %" PRIu64 " to %" PRIu64
                      " after freeing %" PRIu64, name, t->stat, v1, v2, want);
        else
            CHECK_MSG(v2 == v0, "%s: %s is %" PRIu64 " after the free, was %" PRIu64, name,
                      t->stat, v2, v0);
    }
}

/* Frees that really free, for a backend whose probe has no statistic to
 * show it: a freed batch must be reused (at least one address) by the next
 * batch of the same size, as every allocator that keeps free lists does. */
static inline void hl_probe_reuse(const hl_allocator *h, size_t size)
{
    void *p[HL_PROBE_N], *q[HL_PROBE_N];
    int n = 0;
    for (; n < HL_PROBE_N; n++) {
        p[n] = hl_malloc(h, size);
        if (p[n] == NULL)
            break;
        memset(p[n], 0x3C, size);
    }
    CHECK_MSG(n == HL_PROBE_N, "%s: malloc(%zu) failed", h->backend->name, size);
    for (int i = 0; i < n; i++)
        hl_free(h, p[i], size);
    int reused = 0, m = 0;
    for (; m < n; m++) {
        q[m] = hl_malloc(h, size);
        if (q[m] == NULL)
            break;
        for (int k = 0; k < n; k++)
            reused += q[m] == p[k];
    }
    CHECK_MSG(m == n, "%s: malloc(%zu) failed", h->backend->name, size);
    for (int i = 0; i < m; i++)
        hl_free(h, q[i], size);
    CHECK_MSG(reused > 0, "%s: none of %d freed %zu-byte blocks came back in the next %d",
              h->backend->name, n, size, m);
}

#endif
