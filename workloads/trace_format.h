/* trace_format.h - heaplab's allocation trace format: encoder, decoder and
 * the validated, replay-ready form of a trace.
 *
 * The byte layout is documented in docs/trace-format.md; in short:
 *
 *   header (64 bytes, little endian)
 *     0  magic "HLTRACE\0"        8  u16 version (2)   10 u16 header size (64)
 *     12 u32 flags                16 u64 record count  24 u32 thread count
 *     28 u32 pid                  32 u64 start time (ns since the epoch)
 *     40 u64 payload bytes        48 u32 parent pid    52 u32 payload CRC-32
 *     56 4 reserved bytes (0)     60 u32 header CRC-32 (of bytes 0..59)
 *   (version 1, still read: no checksums, bytes 52..63 reserved and 0)
 *   records, back to back, in global sequence order (record i has sequence
 *   number i), each:
 *     tag byte: bits 0-3 kind, bit 4 NEW_THREAD (a varint thread id follows),
 *               bit 5 NULL_RESULT (the call returned NULL / failed),
 *               bit 6 NULL_ARG (free(NULL), realloc(NULL, n)), bit 7 = 0
 *     then the kind's fields as LEB128 varints (the DWARF encoding);
 *     addresses are zigzag deltas (the Protocol Buffers sint encoding) from
 *     the previous address field in the file.
 *
 * The encoder is header-only (static inline) so that the LD_PRELOAD recorder
 * can use it without linking anything that might call malloc.  The decoder
 * and the validator live in trace_format.c.
 */
#ifndef HL_TRACE_FORMAT_H
#define HL_TRACE_FORMAT_H

#include "crc32.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HL_TRACE_MAGIC "HLTRACE" /* 7 chars + NUL = 8 bytes */
#define HL_TRACE_VERSION 2     /* what the recorder writes */
#define HL_TRACE_MIN_VERSION 1 /* the oldest the reader accepts (no checksums) */
#define HL_TRACE_HEADER_SIZE 64
#define HL_TRACE_PAYLOAD_CRC_OFF 52 /* version 2: CRC-32 of bytes 64..end */
#define HL_TRACE_HEADER_CRC_OFF 60  /* version 2: CRC-32 of bytes 0..59 */

#define HL_TRACE_FLAG_COMPLETE 0x1u /* header counts are final (written at exit) */
#define HL_TRACE_FLAG_FORKED 0x2u   /* written by a forked child */
#define HL_TRACE_KNOWN_FLAGS (HL_TRACE_FLAG_COMPLETE | HL_TRACE_FLAG_FORKED)

/* Replay limits: a request above HL_TRACE_MAX_SIZE, more threads than
 * HL_TRACE_MAX_THREADS or an alignment above HL_TRACE_MAX_ALIGN makes a
 * trace invalid for heaplab. */
#define HL_TRACE_MAX_SIZE ((uint64_t)1 << 30)
#define HL_TRACE_MAX_THREADS 1024u
#define HL_TRACE_MAX_ALIGN ((uint64_t)1 << 24)
#define HL_TRACE_MAX_RECORD 64 /* encoded bytes of the largest record */

typedef enum hl_trace_kind {
    HL_TR_MALLOC = 1,         /* size -> result */
    HL_TR_CALLOC = 2,         /* count, size -> result */
    HL_TR_REALLOC = 3,        /* old, size -> result (reallocarray too) */
    HL_TR_FREE = 4,           /* old */
    HL_TR_MEMALIGN = 5,       /* alignment, size -> result */
    HL_TR_POSIX_MEMALIGN = 6, /* alignment, size -> result */
    HL_TR_ALIGNED_ALLOC = 7,  /* alignment, size -> result */
    HL_TR_VALLOC = 8,         /* size -> result (page aligned) */
    HL_TR_PVALLOC = 9,        /* size -> result (page aligned, rounded up) */
    HL_TR_KIND_MAX = 9
} hl_trace_kind;

#define HL_TR_TAG_KIND 0x0fu
#define HL_TR_TAG_NEW_THREAD 0x10u
#define HL_TR_TAG_NULL_RESULT 0x20u
#define HL_TR_TAG_NULL_ARG 0x40u
#define HL_TR_TAG_RESERVED 0x80u

/* One record as the recorder saw it.  Fields a kind does not use are 0. */
typedef struct hl_trace_rec {
    uint8_t kind;
    bool null_result; /* allocation failed / returned NULL */
    bool null_arg;    /* free(NULL), realloc(NULL, n) */
    uint32_t thread;  /* dense id, 0 = first thread seen */
    uint64_t count;   /* calloc */
    uint64_t align;   /* memalign, posix_memalign, aligned_alloc */
    uint64_t size;
    uint64_t old;     /* realloc / free argument */
    uint64_t result;  /* returned address */
} hl_trace_rec;

/* Delta state shared by encoder and decoder. */
typedef struct hl_trace_codec {
    uint64_t prev_addr;
    uint32_t prev_thread;
    bool have_thread;
} hl_trace_codec;

static inline bool hl_trace_kind_has_result(unsigned kind)
{
    return kind != HL_TR_FREE;
}

static inline bool hl_trace_kind_has_align(unsigned kind)
{
    return kind == HL_TR_MEMALIGN || kind == HL_TR_POSIX_MEMALIGN || kind == HL_TR_ALIGNED_ALLOC;
}

static inline bool hl_trace_kind_has_old(unsigned kind)
{
    return kind == HL_TR_REALLOC || kind == HL_TR_FREE;
}

static inline bool hl_trace_kind_has_size(unsigned kind)
{
    return kind != HL_TR_FREE;
}

static inline uint8_t *hl_trace_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *hl_trace_put_addr(uint8_t *p, hl_trace_codec *st, uint64_t addr)
{
    int64_t d = (int64_t)(addr - st->prev_addr);
    st->prev_addr = addr;
    return hl_trace_put_varint(p, ((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
}

/* Encodes r at out (room for HL_TRACE_MAX_RECORD bytes); returns the bytes
 * written. */
static inline size_t hl_trace_encode(uint8_t *out, hl_trace_codec *st, const hl_trace_rec *r)
{
    uint8_t *p = out + 1;
    uint8_t tag = (uint8_t)(r->kind & HL_TR_TAG_KIND);
    if (!st->have_thread || st->prev_thread != r->thread) {
        tag |= HL_TR_TAG_NEW_THREAD;
        p = hl_trace_put_varint(p, r->thread);
        st->prev_thread = r->thread;
        st->have_thread = true;
    }
    bool null_arg = hl_trace_kind_has_old(r->kind) && r->null_arg;
    bool null_result = hl_trace_kind_has_result(r->kind) && r->null_result;
    if (null_arg)
        tag |= HL_TR_TAG_NULL_ARG;
    if (null_result)
        tag |= HL_TR_TAG_NULL_RESULT;
    if (hl_trace_kind_has_old(r->kind) && !null_arg)
        p = hl_trace_put_addr(p, st, r->old);
    if (r->kind == HL_TR_CALLOC)
        p = hl_trace_put_varint(p, r->count);
    if (hl_trace_kind_has_align(r->kind))
        p = hl_trace_put_varint(p, r->align);
    if (hl_trace_kind_has_size(r->kind))
        p = hl_trace_put_varint(p, r->size);
    if (hl_trace_kind_has_result(r->kind) && !null_result)
        p = hl_trace_put_addr(p, st, r->result);
    out[0] = tag;
    return (size_t)(p - out);
}

static inline void hl_trace_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void hl_trace_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void hl_trace_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

typedef struct hl_trace_header {
    uint16_t version, header_size;
    uint32_t flags;
    uint64_t record_count;
    uint32_t thread_count;
    uint32_t pid;
    uint64_t start_ns;
    uint64_t payload_bytes;
    uint32_t parent_pid;
    uint32_t payload_crc; /* version 2: CRC-32 (crc32.h) of the payload */
    uint32_t header_crc;  /* version 2: of header bytes 0..59; the encoder computes it */
} hl_trace_header;

/* Writes h at out.  Version 2 (and later) headers get h->payload_crc and
 * their own CRC (h->header_crc is ignored); version 1 headers leave bytes
 * 52..63 zero. */
static inline void hl_trace_encode_header(uint8_t out[HL_TRACE_HEADER_SIZE], const hl_trace_header *h)
{
    memset(out, 0, HL_TRACE_HEADER_SIZE);
    memcpy(out, HL_TRACE_MAGIC, 8);
    hl_trace_put_u16(out + 8, h->version);
    hl_trace_put_u16(out + 10, h->header_size);
    hl_trace_put_u32(out + 12, h->flags);
    hl_trace_put_u64(out + 16, h->record_count);
    hl_trace_put_u32(out + 24, h->thread_count);
    hl_trace_put_u32(out + 28, h->pid);
    hl_trace_put_u64(out + 32, h->start_ns);
    hl_trace_put_u64(out + 40, h->payload_bytes);
    hl_trace_put_u32(out + 48, h->parent_pid);
    if (h->version >= 2) {
        hl_trace_put_u32(out + HL_TRACE_PAYLOAD_CRC_OFF, h->payload_crc);
        hl_trace_put_u32(out + HL_TRACE_HEADER_CRC_OFF,
                         hl_crc32_update(0, out, HL_TRACE_HEADER_CRC_OFF));
    }
}

/* Recomputes both checksums of a version-2 image in place from its bytes
 * (img[64..len) for the payload), leaving every other field as it is: for
 * tests and fuzzers that edit an image and want the edit to reach the
 * checks behind the checksums.  Does nothing to shorter or version-1
 * images. */
static inline void hl_trace_seal(uint8_t *img, size_t len)
{
    if (len < HL_TRACE_HEADER_SIZE || (img[8] | img[9] << 8) < 2)
        return;
    hl_trace_put_u32(img + HL_TRACE_PAYLOAD_CRC_OFF,
                     hl_crc32_update(0, img + HL_TRACE_HEADER_SIZE, len - HL_TRACE_HEADER_SIZE));
    hl_trace_put_u32(img + HL_TRACE_HEADER_CRC_OFF, hl_crc32_update(0, img, HL_TRACE_HEADER_CRC_OFF));
}

/* ---- decoding (trace_format.c) -------------------------------------------- */

/* Sequential record decoder over a payload; every read is bounds-checked. */
typedef struct hl_trace_decoder {
    const uint8_t *p, *end;
    hl_trace_codec st;
    uint64_t index; /* sequence number of the next record */
} hl_trace_decoder;

/* Parses and checks a header (magic, version, sizes, flags, counts against
 * len, the file size) and, for version 2, both checksums (the payload's over
 * buf[64..len)).  Returns 0 or -1 with "trace header: ..." in err. */
int hl_trace_read_header(const void *buf, size_t len, hl_trace_header *h, char *err, size_t errlen);

void hl_trace_decoder_init(hl_trace_decoder *d, const void *payload, size_t len);
/* 1: *r holds the next record; 0: end of payload; -1: malformed record
 * ("trace record N: ..." in err). Checks syntax and per-record limits. */
int hl_trace_decode(hl_trace_decoder *d, hl_trace_rec *r, char *err, size_t errlen);

/* ---- the validated form replay uses ---------------------------------------- */

#define HL_TRACE_NONE UINT32_MAX

typedef enum hl_trace_op {
    HL_OP_NOP = 0,  /* nothing to replay (free(NULL), failed call, unknown free) */
    HL_OP_ALLOC,    /* block = new block of size bytes (calloc: zeroed) */
    HL_OP_REALLOC,  /* old -> block, size bytes */
    HL_OP_FREE      /* free old */
} hl_trace_op;

/* One event, in sequence order.  Invariants (checked by hl_trace_parse):
 * `block` ids are dense and first appear in the event that produces them;
 * `old` is a block produced by an earlier event and consumed exactly once. */
typedef struct hl_trace_event {
    uint8_t op;     /* hl_trace_op */
    uint8_t kind;   /* hl_trace_kind as recorded */
    uint16_t reserved;
    uint32_t thread;
    uint32_t block; /* produced block or HL_TRACE_NONE */
    uint32_t old;   /* consumed block or HL_TRACE_NONE */
    uint64_t size;  /* bytes requested (calloc: count * size) */
} hl_trace_event;

typedef struct hl_trace {
    hl_trace_header header;
    hl_trace_event *events;
    size_t n_events;
    uint32_t n_blocks;
    uint32_t n_threads;         /* threads that have events */
    uint64_t *block_size;       /* size of each block id */
    uint64_t *thread_events;    /* events per thread */
    /* tolerated oddities, counted */
    uint64_t unknown_frees;     /* free of an address never allocated in the trace */
    uint64_t unknown_reallocs;  /* realloc of such an address: replayed as malloc */
    uint64_t null_frees;        /* free(NULL) */
    uint64_t failed_calls;      /* allocations that returned NULL */
    uint64_t aligned_calls;     /* memalign family: replayed as malloc */
    uint64_t allocs, reallocs, frees;
    uint64_t live_at_end;       /* blocks never freed in the trace */
    uint64_t peak_live_bytes;
} hl_trace;

/* Parses and validates a whole trace image.  Returns 0, or -1 with one line
 * in err ("trace header: ..." / "trace record N: ...").  On success free the
 * trace with hl_trace_free. */
int hl_trace_parse(const void *buf, size_t len, hl_trace *out, char *err, size_t errlen);

/* Reads path and parses it, then refuses a trace with nothing to replay
 * (hl_trace_check_replayable): what both the driver's plan-time check and
 * the replay workload call, so that they agree.  File errors give "trace
 * file PATH: ..."; anything that is not a regular file (a FIFO, a device)
 * is refused without blocking. */
int hl_trace_load(const char *path, hl_trace *out, char *err, size_t errlen);

/* Does a parsed trace give replay something to do (at least one
 * allocation, reallocation or free)?  0, or -1 with one line in err. */
int hl_trace_check_replayable(const hl_trace *t, char *err, size_t errlen);

void hl_trace_free(hl_trace *t);

/* ---- synthetic traces (tests, fuzzing, examples) ----------------------------- */

/* Builds a valid, complete version-2 trace image of n_records records over `threads`
 * threads (1..HL_TRACE_MAX_THREADS): every kind, cross-thread frees,
 * address reuse, free(NULL), frees of unknown addresses, failed calls.
 * Returns a malloc'ed image and its length in *len, or NULL (out of memory).
 * The same seed gives the same bytes. */
uint8_t *hl_trace_synthesize(uint64_t seed, size_t n_records, unsigned threads, size_t *len);

#endif
