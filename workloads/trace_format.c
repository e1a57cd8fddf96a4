/* trace_format.c - reading and validating heaplab allocation traces.
 *
 * How it works
 * ------------
 * A trace is untrusted input: it may be truncated, corrupt or hostile.  The
 * reader never trusts a count or a length before checking it against the
 * bytes actually present, every varint read is bounds-checked, and every
 * value that later sizes an allocation or indexes an array is capped:
 *
 *   1. hl_trace_read_header checks magic, version, header size, then (version
 *      2) the header's CRC-32 before believing any other field, flags, the
 *      "complete" flag, that the payload length matches the file, the
 *      payload's CRC-32, and that the record count can fit in the payload
 *      (>= 2 bytes per record), so the event array sized from it is bounded
 *      by the file size.  The checksums are what catch a corruption that
 *      still decodes (a flipped size or address bit): the checks below
 *      cannot tell such a trace from a real one.  Version 1 traces (no
 *      checksums) are still read.
 *   2. hl_trace_decode reads one record: tag (kind, reserved bits, which
 *      flags the kind allows), thread id (< HL_TRACE_MAX_THREADS), the kind's
 *      varints, size <= 1 GiB, calloc product, alignment a power of two.
 *   3. hl_trace_parse replays the address stream symbolically: an address
 *      map (open addressing, grows at half load) gives each allocation a
 *      dense block id, so replay never touches recorded addresses.  A free
 *      of an address never allocated in the trace (allocated before the
 *      recorder started) is tolerated and counted; a free or realloc of a
 *      block that is already freed, or an allocation returning an address
 *      that is still live, is an error.
 *
 *   4. hl_trace_load (the driver's plan-time check and the replay workload)
 *      adds the file checks (a regular file, opened without blocking) and
 *      refuses a trace with nothing to replay, so both sides agree.
 *
 * Error messages name the record by its sequence number (0-based), as
 * "trace record N: <what is wrong>", or "trace header: ...".
 */
#include "trace_format.h"
#include "rng.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int hl_trace_read_header(const void *buf, size_t len, hl_trace_header *h, char *err, size_t errlen)
{
    const uint8_t *b = buf;
    memset(h, 0, sizeof *h);
    if (len < HL_TRACE_HEADER_SIZE) {
        snprintf(err, errlen,
                 "trace header: file is %zu bytes, shorter than the %d-byte header (truncated, or not a "
                 "heaplab trace)",
                 len, HL_TRACE_HEADER_SIZE);
        return -1;
    }
    if (memcmp(b, HL_TRACE_MAGIC, 8) != 0) {
        snprintf(err, errlen, "trace header: bad magic (not a heaplab trace; record one with "
                              "libheaplab-trace.so)");
        return -1;
    }
    h->version = get_u16(b + 8);
    h->header_size = get_u16(b + 10);
    h->flags = get_u32(b + 12);
    h->record_count = get_u64(b + 16);
    h->thread_count = get_u32(b + 24);
    h->pid = get_u32(b + 28);
    h->start_ns = get_u64(b + 32);
    h->payload_bytes = get_u64(b + 40);
    h->parent_pid = get_u32(b + 48);
    if (h->version < HL_TRACE_MIN_VERSION || h->version > HL_TRACE_VERSION) {
        snprintf(err, errlen,
                 "trace header: version %u is not supported (this heaplab reads versions %d to %d)",
                 h->version, HL_TRACE_MIN_VERSION, HL_TRACE_VERSION);
        return -1;
    }
    if (h->header_size != HL_TRACE_HEADER_SIZE) {
        snprintf(err, errlen, "trace header: header size %u, version %u headers are %d bytes",
                 h->header_size, h->version, HL_TRACE_HEADER_SIZE);
        return -1;
    }
    /* Version 1 has no checksums: bytes 52..63 are all reserved. */
    int reserved_from = 52, reserved_to = HL_TRACE_HEADER_SIZE;
    if (h->version >= 2) {
        /* First, so that no other field of a damaged header is believed. */
        h->payload_crc = get_u32(b + HL_TRACE_PAYLOAD_CRC_OFF);
        h->header_crc = get_u32(b + HL_TRACE_HEADER_CRC_OFF);
        uint32_t crc = hl_crc32_update(0, b, HL_TRACE_HEADER_CRC_OFF);
        if (crc != h->header_crc) {
            snprintf(err, errlen,
                     "trace header: header checksum mismatch (CRC-32 0x%08x recorded, 0x%08x "
                     "computed: the file is corrupt)",
                     h->header_crc, crc);
            return -1;
        }
        reserved_from = 56;
        reserved_to = HL_TRACE_HEADER_CRC_OFF;
    }
    for (int i = reserved_from; i < reserved_to; i++) {
        if (b[i] != 0) {
            snprintf(err, errlen, "trace header: reserved byte %d is 0x%02x, must be 0", i, b[i]);
            return -1;
        }
    }
    if (h->flags & ~HL_TRACE_KNOWN_FLAGS) {
        snprintf(err, errlen, "trace header: unknown flags 0x%x", h->flags & ~HL_TRACE_KNOWN_FLAGS);
        return -1;
    }
    if (!(h->flags & HL_TRACE_FLAG_COMPLETE)) {
        snprintf(err, errlen,
                 "trace header: incomplete trace (the recorder did not finish: the program crashed, "
                 "called _exit or exec'd); record it again");
        return -1;
    }
    uint64_t payload = (uint64_t)len - HL_TRACE_HEADER_SIZE;
    if (h->payload_bytes != payload) {
        snprintf(err, errlen,
                 "trace header: the header announces %" PRIu64 " payload bytes but the file has %" PRIu64
                 " (truncated or trailing data)",
                 h->payload_bytes, payload);
        return -1;
    }
    if (h->version >= 2) {
        uint32_t crc = hl_crc32_update(0, b + HL_TRACE_HEADER_SIZE, (size_t)payload);
        if (crc != h->payload_crc) {
            snprintf(err, errlen,
                     "trace header: payload checksum mismatch (CRC-32 0x%08x recorded, 0x%08x "
                     "computed: the file is corrupt)",
                     h->payload_crc, crc);
            return -1;
        }
    }
    if (h->record_count > payload / 2) {
        snprintf(err, errlen,
                 "trace header: %" PRIu64 " records cannot fit in %" PRIu64 " payload bytes (corrupt count)",
                 h->record_count, payload);
        return -1;
    }
    if (h->thread_count > HL_TRACE_MAX_THREADS) {
        snprintf(err, errlen, "trace header: %u threads exceed the replay limit of %u", h->thread_count,
                 HL_TRACE_MAX_THREADS);
        return -1;
    }
    if (h->record_count > 0 && h->thread_count == 0) {
        snprintf(err, errlen, "trace header: %" PRIu64 " records but a thread count of 0",
                 h->record_count);
        return -1;
    }
    return 0;
}

void hl_trace_decoder_init(hl_trace_decoder *d, const void *payload, size_t len)
{
    d->p = payload;
    d->end = d->p + len;
    memset(&d->st, 0, sizeof d->st);
    d->index = 0;
}

/* 0 ok, -1 truncated, -2 overlong */
static int get_varint(hl_trace_decoder *d, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (d->p >= d->end)
            return -1;
        uint8_t byte = *d->p++;
        if (shift == 63 && (byte & 0x7e))
            return -2; /* bits beyond 64 */
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -2;
}

static int read_field(hl_trace_decoder *d, uint64_t *out, const char *what, char *err,
                      size_t errlen)
{
    int rc = get_varint(d, out);
    if (rc == -1)
        snprintf(err, errlen, "trace record %" PRIu64 ": truncated in its %s field", d->index, what);
    else if (rc == -2)
        snprintf(err, errlen, "trace record %" PRIu64 ": malformed %s varint (more than 64 bits)",
                 d->index, what);
    return rc == 0 ? 0 : -1;
}

static int read_addr(hl_trace_decoder *d, uint64_t *out, const char *what, char *err, size_t errlen)
{
    uint64_t z;
    if (read_field(d, &z, what, err, errlen) != 0)
        return -1;
    int64_t delta = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    d->st.prev_addr += (uint64_t)delta;
    *out = d->st.prev_addr;
    if (*out == 0) {
        snprintf(err, errlen, "trace record %" PRIu64 ": %s address is 0 without the NULL flag",
                 d->index, what);
        return -1;
    }
    return 0;
}

static const char *kind_name(unsigned k)
{
    static const char *const names[] = {"?",      "malloc",         "calloc",        "realloc",
                                        "free",   "memalign",       "posix_memalign", "aligned_alloc",
                                        "valloc", "pvalloc"};
    return k <= HL_TR_KIND_MAX ? names[k] : "?";
}

int hl_trace_decode(hl_trace_decoder *d, hl_trace_rec *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (d->p >= d->end)
        return 0;
    uint8_t tag = *d->p++;
    unsigned kind = tag & HL_TR_TAG_KIND;
    if (tag & HL_TR_TAG_RESERVED) {
        snprintf(err, errlen, "trace record %" PRIu64 ": reserved tag bit set (tag 0x%02x)", d->index,
                 tag);
        return -1;
    }
    if (kind == 0 || kind > HL_TR_KIND_MAX) {
        snprintf(err, errlen, "trace record %" PRIu64 ": unknown record kind %u (tag 0x%02x)", d->index,
                 kind, tag);
        return -1;
    }
    r->kind = (uint8_t)kind;
    r->null_arg = (tag & HL_TR_TAG_NULL_ARG) != 0;
    r->null_result = (tag & HL_TR_TAG_NULL_RESULT) != 0;
    if (r->null_arg && !hl_trace_kind_has_old(kind)) {
        snprintf(err, errlen, "trace record %" PRIu64 ": %s cannot have a NULL argument", d->index,
                 kind_name(kind));
        return -1;
    }
    if (r->null_result && !hl_trace_kind_has_result(kind)) {
        snprintf(err, errlen, "trace record %" PRIu64 ": %s has no result to be NULL", d->index,
                 kind_name(kind));
        return -1;
    }
    if (tag & HL_TR_TAG_NEW_THREAD) {
        uint64_t t;
        if (read_field(d, &t, "thread", err, errlen) != 0)
            return -1;
        if (t >= HL_TRACE_MAX_THREADS) {
            snprintf(err, errlen, "trace record %" PRIu64 ": thread id %" PRIu64 " exceeds the replay limit of %u threads",
                     d->index, t, HL_TRACE_MAX_THREADS);
            return -1;
        }
        d->st.prev_thread = (uint32_t)t;
        d->st.have_thread = true;
    } else if (!d->st.have_thread) {
        snprintf(err, errlen, "trace record %" PRIu64 ": no thread id (the first record must carry one)",
                 d->index);
        return -1;
    }
    r->thread = d->st.prev_thread;
    if (hl_trace_kind_has_old(kind) && !r->null_arg &&
        read_addr(d, &r->old, "argument", err, errlen) != 0)
        return -1;
    if (kind == HL_TR_CALLOC && read_field(d, &r->count, "count", err, errlen) != 0)
        return -1;
    if (hl_trace_kind_has_align(kind)) {
        if (read_field(d, &r->align, "alignment", err, errlen) != 0)
            return -1;
        /* A failed call may have asked for any alignment. */
        if (!r->null_result &&
            (r->align == 0 || (r->align & (r->align - 1)) || r->align > HL_TRACE_MAX_ALIGN)) {
            snprintf(err, errlen,
                     "trace record %" PRIu64 ": alignment %" PRIu64 " is not a power of two up to %" PRIu64,
                     d->index, r->align, HL_TRACE_MAX_ALIGN);
            return -1;
        }
    }
    if (hl_trace_kind_has_size(kind)) {
        if (read_field(d, &r->size, "size", err, errlen) != 0)
            return -1;
        /* A failed request of any size is a legal call with nothing to replay. */
        if (r->size > HL_TRACE_MAX_SIZE && !r->null_result) {
            snprintf(err, errlen, "trace record %" PRIu64 ": size %" PRIu64 " exceeds the 1 GiB replay limit",
                     d->index, r->size);
            return -1;
        }
        if (kind == HL_TR_CALLOC && r->count && r->size > HL_TRACE_MAX_SIZE / r->count) {
            /* A failed calloc of an overflowing product is a legal call. */
            if (!r->null_result) {
                snprintf(err, errlen,
                         "trace record %" PRIu64 ": calloc(%" PRIu64 ", %" PRIu64 ") exceeds the 1 GiB replay limit",
                         d->index, r->count, r->size);
                return -1;
            }
        }
    }
    if (hl_trace_kind_has_result(kind) && !r->null_result &&
        read_addr(d, &r->result, "result", err, errlen) != 0)
        return -1;
    d->index++;
    return 1;
}

/* ---- address map ----------------------------------------------------------- */

/* Open addressing, linear probing; key 0 marks an empty slot (NULL is never
 * a key).  Invariant: used <= cap / 2, cap a power of two. */
typedef struct addr_entry {
    uint64_t addr;
    uint32_t block;
    uint32_t live;
} addr_entry;

typedef struct addr_map {
    addr_entry *e;
    size_t cap, used;
} addr_map;

static addr_entry *map_slot(addr_map *m, uint64_t addr)
{
    size_t i = (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ull) & (m->cap - 1);
    while (m->e[i].addr != 0 && m->e[i].addr != addr)
        i = (i + 1) & (m->cap - 1);
    return &m->e[i];
}

static int map_grow(addr_map *m)
{
    addr_map n = {calloc(m->cap * 2, sizeof(addr_entry)), m->cap * 2, m->used};
    if (n.e == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].addr)
            *map_slot(&n, m->e[i].addr) = m->e[i];
    free(m->e);
    *m = n;
    return 0;
}

#ifdef HL_DEBUG
/* Walks the map: `used` matches the occupied slots, the load stays at most
 * one half, and every key is found from its home slot. */
static void map_validate(addr_map *m)
{
    size_t used = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->e[i].addr == 0)
            continue;
        used++;
        if (map_slot(m, m->e[i].addr) != &m->e[i]) {
            fprintf(stderr, "trace_format: address map broken at slot %zu\n", i);
            abort();
        }
    }
    if (used != m->used || used * 2 > m->cap) {
        fprintf(stderr, "trace_format: address map holds %zu keys, counted %zu, capacity %zu\n",
                used, m->used, m->cap);
        abort();
    }
}
#else
#define map_validate(m) ((void)0)
#endif

/* The entry for addr, inserted (addr set, block NONE, not live) if new. */
static addr_entry *map_get(addr_map *m, uint64_t addr, bool insert)
{
    addr_entry *e = map_slot(m, addr);
    if (e->addr == 0 && insert) {
        if ((m->used + 1) * 2 > m->cap) {
            if (map_grow(m) != 0)
                return NULL;
            e = map_slot(m, addr);
        }
        e->addr = addr;
        e->block = HL_TRACE_NONE;
        e->live = 0;
        m->used++;
    }
    return e;
}

/* ---- semantic pass ---------------------------------------------------------- */

typedef struct parse_state {
    hl_trace *t;
    addr_map map;
    size_t blocks_cap;
    uint64_t live_bytes;
} parse_state;

static int new_block(parse_state *ps, uint64_t size, uint32_t *id, char *err, size_t errlen,
                     uint64_t index)
{
    hl_trace *t = ps->t;
    if (t->n_blocks >= HL_TRACE_NONE - 1) {
        snprintf(err, errlen, "trace record %" PRIu64 ": too many blocks", index);
        return -1;
    }
    if (t->n_blocks == ps->blocks_cap) {
        size_t cap = ps->blocks_cap ? ps->blocks_cap * 2 : 1024;
        uint64_t *nb = realloc(t->block_size, cap * sizeof *nb);
        if (nb == NULL) {
            snprintf(err, errlen, "trace record %" PRIu64 ": out of memory for the block table", index);
            return -1;
        }
        t->block_size = nb;
        ps->blocks_cap = cap;
    }
    *id = t->n_blocks++;
    t->block_size[*id] = size;
    ps->live_bytes += size;
    if (ps->live_bytes > t->peak_live_bytes)
        t->peak_live_bytes = ps->live_bytes;
    return 0;
}

/* Records that `addr` now holds a new live block of `size` bytes. */
static int produce(parse_state *ps, hl_trace_event *ev, uint64_t addr, uint64_t size,
                   uint32_t reused_ok, char *err, size_t errlen, uint64_t index)
{
    addr_entry *e = map_get(&ps->map, addr, true);
    if (e == NULL) {
        snprintf(err, errlen, "trace record %" PRIu64 ": out of memory for the address map", index);
        return -1;
    }
    if (e->live && e->block != reused_ok) {
        snprintf(err, errlen,
                 "trace record %" PRIu64 ": address 0x%" PRIx64 " returned while block %u is still live",
                 index, addr, e->block);
        return -1;
    }
    if (new_block(ps, size, &ev->block, err, errlen, index) != 0)
        return -1;
    e->block = ev->block;
    e->live = 1;
    return 0;
}

/* The live block at addr: 1 found (*e set), 0 never seen, -1 error (already
 * freed). */
static int consume(parse_state *ps, uint64_t addr, addr_entry **out, const char *what, char *err,
                   size_t errlen, uint64_t index)
{
    addr_entry *e = map_get(&ps->map, addr, false);
    if (e == NULL || e->addr == 0)
        return 0;
    if (!e->live) {
        snprintf(err, errlen, "trace record %" PRIu64 ": %s of block %u (address 0x%" PRIx64 ") which is already freed",
                 index, what, e->block, addr);
        return -1;
    }
    *out = e;
    return 1;
}

static void kill_block(parse_state *ps, addr_entry *e)
{
    e->live = 0;
    ps->live_bytes -= ps->t->block_size[e->block];
}

static int semantic(parse_state *ps, const hl_trace_rec *r, hl_trace_event *ev, uint64_t index,
                    char *err, size_t errlen)
{
    hl_trace *t = ps->t;
    ev->op = HL_OP_NOP;
    ev->kind = r->kind;
    ev->thread = r->thread;
    ev->block = HL_TRACE_NONE;
    ev->old = HL_TRACE_NONE;
    ev->size = r->kind == HL_TR_CALLOC ? r->count * r->size : r->size;
    if (r->thread >= t->header.thread_count) {
        snprintf(err, errlen, "trace record %" PRIu64 ": thread %u but the header counts %u threads",
                 index, r->thread, t->header.thread_count);
        return -1;
    }
    switch (r->kind) {
    case HL_TR_FREE: {
        if (r->null_arg) {
            t->null_frees++;
            return 0;
        }
        addr_entry *e;
        int rc = consume(ps, r->old, &e, "free", err, errlen, index);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            t->unknown_frees++;
            return 0;
        }
        ev->op = HL_OP_FREE;
        ev->old = e->block;
        ev->size = t->block_size[e->block];
        kill_block(ps, e);
        t->frees++;
        return 0;
    }
    case HL_TR_REALLOC: {
        addr_entry *e = NULL;
        int rc = 0;
        if (!r->null_arg) {
            rc = consume(ps, r->old, &e, "realloc", err, errlen, index);
            if (rc < 0)
                return -1;
            if (rc == 0)
                t->unknown_reallocs++;
        }
        if (r->null_result) {
            if (rc == 1 && r->size == 0) {
                /* glibc's realloc(p, 0) frees p and returns NULL. */
                ev->op = HL_OP_FREE;
                ev->old = e->block;
                ev->size = t->block_size[e->block];
                kill_block(ps, e);
                t->frees++;
            } else {
                t->failed_calls++;
            }
            return 0;
        }
        if (rc == 1) {
            uint32_t old_block = e->block;
            kill_block(ps, e);
            if (produce(ps, ev, r->result, r->size, old_block, err, errlen, index) != 0)
                return -1;
            ev->op = HL_OP_REALLOC;
            ev->old = old_block;
            t->reallocs++;
            return 0;
        }
        if (produce(ps, ev, r->result, r->size, HL_TRACE_NONE, err, errlen, index) != 0)
            return -1;
        ev->op = HL_OP_ALLOC;
        t->allocs++;
        return 0;
    }
    default:
        if (hl_trace_kind_has_align(r->kind) || r->kind == HL_TR_VALLOC || r->kind == HL_TR_PVALLOC)
            t->aligned_calls++;
        if (r->null_result) {
            t->failed_calls++;
            return 0;
        }
        if (produce(ps, ev, r->result, ev->size, HL_TRACE_NONE, err, errlen, index) != 0)
            return -1;
        ev->op = HL_OP_ALLOC;
        t->allocs++;
        return 0;
    }
}

void hl_trace_free(hl_trace *t)
{
    free(t->events);
    free(t->block_size);
    free(t->thread_events);
    memset(t, 0, sizeof *t);
}

int hl_trace_parse(const void *buf, size_t len, hl_trace *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (hl_trace_read_header(buf, len, &t->header, err, errlen) != 0)
        return -1;
    size_t n = (size_t)t->header.record_count;
    t->events = malloc((n ? n : 1) * sizeof *t->events);
    t->thread_events = calloc(t->header.thread_count ? t->header.thread_count : 1,
                              sizeof *t->thread_events);
    parse_state ps = {.t = t, .map = {calloc(1024, sizeof(addr_entry)), 1024, 0}};
    if (!t->events || !t->thread_events || !ps.map.e) {
        snprintf(err, errlen, "trace: out of memory for %zu events", n);
        goto fail;
    }
    hl_trace_decoder d;
    hl_trace_decoder_init(&d, (const uint8_t *)buf + HL_TRACE_HEADER_SIZE,
                          len - HL_TRACE_HEADER_SIZE);
    hl_trace_rec r;
    int rc;
    size_t i = 0;
    while ((rc = hl_trace_decode(&d, &r, err, errlen)) == 1) {
        if (i == n) {
            snprintf(err, errlen, "trace record %zu: more records than the %zu the header announces", i,
                     n);
            goto fail;
        }
        if (semantic(&ps, &r, &t->events[i], i, err, errlen) != 0)
            goto fail;
        t->thread_events[r.thread]++;
        i++;
    }
    if (rc < 0)
        goto fail;
    if (i != n) {
        snprintf(err, errlen, "trace: %zu records in the payload but the header announces %zu", i, n);
        goto fail;
    }
    t->n_events = n;
    map_validate(&ps.map);
    for (uint32_t k = 0; k < t->header.thread_count; k++)
        if (t->thread_events[k])
            t->n_threads = k + 1;
    for (size_t k = 0; k < ps.map.cap; k++)
        if (ps.map.e[k].addr && ps.map.e[k].live)
            t->live_at_end++;
    free(ps.map.e);
    return 0;
fail:
    free(ps.map.e);
    hl_trace_free(t);
    return -1;
}

int hl_trace_check_replayable(const hl_trace *t, char *err, size_t errlen)
{
    if (t->allocs + t->reallocs + t->frees > 0)
        return 0;
    snprintf(err, errlen,
             "trace: nothing to replay: %zu records and not one allocation, reallocation or free "
             "of a block the trace allocated (record a program that allocates)",
             t->n_events);
    return -1;
}

int hl_trace_load(const char *path, hl_trace *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer forever, before fstat could say it is no regular file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "trace file %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "trace file %s: not a regular file", path);
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        snprintf(err, errlen, "trace file %s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > ((uint64_t)1 << 34)) {
        snprintf(err, errlen, "trace file %s: %lld bytes is larger than the 16 GiB limit", path,
                 (long long)st.st_size);
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL) {
        snprintf(err, errlen, "trace file %s: out of memory reading %zu bytes", path, len);
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t k = read(fd, buf + got, len - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            snprintf(err, errlen, "trace file %s: read failed after %zu bytes: %s", path, got,
                     k < 0 ? strerror(errno) : "unexpected end of file");
            free(buf);
            close(fd);
            return -1;
        }
        got += (size_t)k;
    }
    close(fd);
    char inner[256];
    int rc = hl_trace_parse(buf, len, out, inner, sizeof inner);
    free(buf);
    if (rc == 0 && hl_trace_check_replayable(out, inner, sizeof inner) != 0) {
        hl_trace_free(out);
        rc = -1;
    }
    if (rc != 0)
        snprintf(err, errlen, "%s (%s)", inner, path);
    return rc;
}

/* ---- synthetic traces ------------------------------------------------------- */

uint8_t *hl_trace_synthesize(uint64_t seed, size_t n_records, unsigned threads, size_t *len)
{
    if (threads == 0)
        threads = 1;
    if (threads > HL_TRACE_MAX_THREADS)
        threads = HL_TRACE_MAX_THREADS;
    size_t cap = HL_TRACE_HEADER_SIZE + n_records * HL_TRACE_MAX_RECORD + 1;
    uint8_t *img = malloc(cap);
    /* live addresses; freed ones go to a reuse pool, as a real heap would */
    size_t live_cap = n_records + 1;
    uint64_t *live = malloc(live_cap * sizeof *live);
    uint64_t *pool = malloc(live_cap * sizeof *pool);
    if (!img || !live || !pool) {
        free(img);
        free(live);
        free(pool);
        return NULL;
    }
    size_t n_live = 0, n_pool = 0;
    uint64_t next_addr = 0x100000, rng = seed ^ 0x73796e7468ull;
    uint32_t max_thread = 0;
    hl_trace_codec st = {0};
    uint8_t *p = img + HL_TRACE_HEADER_SIZE;
    for (size_t i = 0; i < n_records; i++) {
        hl_trace_rec r = {0};
        r.thread = (uint32_t)hl_rand_below(&rng, threads);
        if (r.thread > max_thread)
            max_thread = r.thread;
        uint64_t u = hl_rand_below(&rng, 100);
        uint64_t size = hl_rand_below(&rng, 4) == 0 ? hl_rand_below(&rng, 5000) : 1 + hl_rand_below(&rng, 200);
        bool fresh = n_pool == 0 || hl_rand_below(&rng, 3) == 0;
        uint64_t addr = fresh ? (next_addr += 0x40 + (size & ~(uint64_t)15)) : pool[--n_pool];
        if (u < 2) { /* free(NULL) */
            r.kind = HL_TR_FREE;
            r.null_arg = true;
        } else if (u < 4) { /* free of an address allocated before recording */
            r.kind = HL_TR_FREE;
            r.old = 0x7f0000000000ull + hl_rand_below(&rng, 1 << 20) * 16;
        } else if (u < 5) { /* a failed allocation */
            r.kind = HL_TR_MALLOC;
            r.size = size;
            r.null_result = true;
        } else if (n_live > 0 && u < 45) {
            size_t k = (size_t)hl_rand_below(&rng, n_live);
            r.kind = HL_TR_FREE;
            r.old = live[k];
            pool[n_pool++] = live[k];
            live[k] = live[--n_live];
        } else if (n_live > 0 && u < 55) {
            size_t k = (size_t)hl_rand_below(&rng, n_live);
            r.kind = HL_TR_REALLOC;
            r.old = live[k];
            r.size = size;
            r.result = hl_rand_below(&rng, 2) ? live[k] : addr; /* in place or moved */
            if (r.result != live[k]) {
                pool[n_pool++] = live[k];
                live[k] = r.result;
            } else if (!fresh) {
                pool[n_pool++] = addr; /* not used */
            }
        } else {
            r.size = size;
            r.result = addr;
            switch (u % 8) {
            case 0:
                r.kind = HL_TR_CALLOC;
                r.count = 1 + hl_rand_below(&rng, 4);
                break;
            case 1:
                r.kind = HL_TR_MEMALIGN;
                r.align = (uint64_t)16 << hl_rand_below(&rng, 4);
                break;
            case 2:
                r.kind = HL_TR_POSIX_MEMALIGN;
                r.align = 64;
                break;
            case 3:
                r.kind = HL_TR_REALLOC; /* realloc(NULL, n) */
                r.null_arg = true;
                break;
            default:
                r.kind = HL_TR_MALLOC;
                break;
            }
            live[n_live++] = addr;
        }
        if (r.kind == HL_TR_FREE || r.null_result) {
            if (!fresh)
                pool[n_pool++] = addr; /* address not consumed: give it back */
        }
        p += hl_trace_encode(p, &st, &r);
    }
    hl_trace_header h = {
        .version = HL_TRACE_VERSION,
        .header_size = HL_TRACE_HEADER_SIZE,
        .flags = HL_TRACE_FLAG_COMPLETE,
        .record_count = n_records,
        .thread_count = n_records ? max_thread + 1 : 0,
        .pid = 4242,
        .start_ns = 1,
        .payload_bytes = (uint64_t)(p - img - HL_TRACE_HEADER_SIZE),
    };
    h.payload_crc = hl_crc32_update(0, img + HL_TRACE_HEADER_SIZE, (size_t)h.payload_bytes);
    hl_trace_encode_header(img, &h);
    free(live);
    free(pool);
    *len = (size_t)(p - img);
    return img;
}
