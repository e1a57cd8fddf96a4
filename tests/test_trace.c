/* test_trace.c - the trace format (round trip, validation, error messages)
 * and the LD_PRELOAD recorder on a child process.
 *
 * Built twice: test_trace (the tests) and, with HL_TRACE_CHILD defined,
 * test_trace_child, a small program with a known allocation pattern that
 * the recorder test runs under LD_PRELOAD (never sanitized: an ASan program
 * cannot take a preload library ahead of its runtime).
 */
#include "trace_format.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sizes nothing else in a process asks for, to find our calls in a trace. */
#define CHILD_MALLOC_SIZE 12345
#define CHILD_MALLOCS 100
#define CHILD_THREAD_SIZE 23456
#define CHILD_THREAD_MALLOCS 50

#ifdef HL_TRACE_CHILD

#include <malloc.h>

static void *cross[CHILD_THREAD_MALLOCS];

/* Every pointer goes through here, so no optimiser can drop an allocation
 * whose result looks unused (the target is also built with -fno-builtin). */
static void *volatile sink;
static void *use(void *p)
{
    sink = p;
    return p;
}

static void *producer(void *arg)
{
    for (int i = 0; i < CHILD_THREAD_MALLOCS; i++)
        cross[i] = use(malloc(CHILD_THREAD_SIZE));
    return arg;
}

int main(int argc, char **argv)
{
    void *keep[CHILD_MALLOCS];
    for (int i = 0; i < CHILD_MALLOCS; i++)
        keep[i] = use(malloc(CHILD_MALLOC_SIZE));
    for (int i = 0; i < CHILD_MALLOCS; i++)
        free(keep[i]);
    void *c = use(calloc(3, 4321));
    void *volatile nothing = NULL; /* keeps gcc from turning realloc(NULL) into malloc */
    void *r = use(realloc(nothing, 1111));
    r = use(realloc(r, 2222));
    r = use(realloc(r, 33333));
    free(r);
    free(c);
    free(use(NULL));
    void *m = use(memalign(64, 3001));
    void *pm = NULL;
    if (posix_memalign(&pm, 128, 3002) != 0)
        return 3;
    void *aa = use(aligned_alloc(256, 3072));
    void *v = use(valloc(3003));
    free(m);
    free(pm);
    free(aa);
    free(v);
    /* A thread allocates, the main thread frees: cross-thread frees. */
    pthread_t th;
    if (pthread_create(&th, NULL, producer, NULL) != 0)
        return 4;
    pthread_join(th, NULL);
    for (int i = 0; i < CHILD_THREAD_MALLOCS; i++)
        free(cross[i]);
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        /* The same pid, a new image that records the "plain" pattern. */
        char *args[] = {argv[0], (char *)"plain", NULL};
        execv("/proc/self/exe", args);
        return 5;
    }
    if (argc > 1 && strcmp(argv[1], "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            void *x = use(malloc(CHILD_MALLOC_SIZE));
            free(x);
            exit(0); /* runs the recorder's destructor: the %p trace completes */
        }
        int st;
        waitpid(pid, &st, 0);
    }
    return 0;
}

#else

#include "hl_test.h"

/* ---- helpers ----------------------------------------------------------------- */

typedef struct image {
    uint8_t *b;
    size_t len;
} image;

static image build_version(const hl_trace_rec *recs, size_t n, uint32_t threads, uint16_t version)
{
    image im = {malloc(HL_TRACE_HEADER_SIZE + n * HL_TRACE_MAX_RECORD + 1), 0};
    hl_trace_codec st = {0};
    uint8_t *p = im.b + HL_TRACE_HEADER_SIZE;
    for (size_t i = 0; i < n; i++)
        p += hl_trace_encode(p, &st, &recs[i]);
    im.len = (size_t)(p - im.b);
    hl_trace_header h = {.version = version,
                         .header_size = HL_TRACE_HEADER_SIZE,
                         .flags = HL_TRACE_FLAG_COMPLETE,
                         .record_count = n,
                         .thread_count = threads,
                         .payload_bytes = im.len - HL_TRACE_HEADER_SIZE};
    h.payload_crc = hl_crc32_update(0, im.b + HL_TRACE_HEADER_SIZE, im.len - HL_TRACE_HEADER_SIZE);
    hl_trace_encode_header(im.b, &h);
    return im;
}

/* A current (version 2, checksummed) image of recs. */
static image build(const hl_trace_rec *recs, size_t n, uint32_t threads)
{
    return build_version(recs, n, threads, HL_TRACE_VERSION);
}

/* An edited image with its checksums made to match again, so that the edit
 * reaches the check behind them. */
static image sealed(image im)
{
    hl_trace_seal(im.b, im.len);
    return im;
}

/* Parses im; returns rc and leaves the message in err. */
static int parse(image im, hl_trace *t, char *err, size_t errlen)
{
    err[0] = '\0';
    int rc = hl_trace_parse(im.b, im.len, t, err, errlen);
    return rc;
}

static int expect_error(image im, const char *needle)
{
    hl_trace t;
    char err[256];
    int rc = parse(im, &t, err, sizeof err);
    if (rc == 0) {
        hl_trace_free(&t);
        printf("  expected an error containing \"%s\", the trace was accepted\n", needle);
        return 0;
    }
    if (strstr(err, needle) == NULL) {
        printf("  expected \"%s\" in: %s\n", needle, err);
        return 0;
    }
    return 1;
}

#define MALLOC(t, sz, a) {.kind = HL_TR_MALLOC, .thread = (t), .size = (sz), .result = (a)}
#define FREE(t, a) {.kind = HL_TR_FREE, .thread = (t), .old = (a)}

/* ---- format ------------------------------------------------------------------ */

TEST(round_trip_random_records)
{
    uint64_t rng = 99;
    enum { N = 5000 };
    hl_trace_rec *recs = calloc(N, sizeof *recs);
    for (size_t i = 0; i < N; i++) {
        hl_trace_rec *r = &recs[i];
        r->kind = (uint8_t)(1 + hl_test_rand(&rng) % HL_TR_KIND_MAX);
        r->thread = (uint32_t)(hl_test_rand(&rng) % 7);
        bool big = hl_test_rand(&rng) % 2;
        if (hl_trace_kind_has_size(r->kind))
            r->size = hl_test_rand(&rng) % (big ? HL_TRACE_MAX_SIZE : 300);
        if (r->kind == HL_TR_CALLOC)
            r->count = 1 + hl_test_rand(&rng) % 3, r->size %= 1000;
        if (hl_trace_kind_has_align(r->kind))
            r->align = (uint64_t)1 << (hl_test_rand(&rng) % 20);
        if (hl_trace_kind_has_old(r->kind)) {
            r->null_arg = hl_test_rand(&rng) % 5 == 0;
            if (!r->null_arg)
                r->old = 1 + hl_test_rand(&rng); /* full 64-bit range */
        }
        if (hl_trace_kind_has_result(r->kind)) {
            r->null_result = hl_test_rand(&rng) % 7 == 0;
            if (!r->null_result)
                r->result = 1 + (hl_test_rand(&rng) >> (hl_test_rand(&rng) % 64));
        }
    }
    image im = build(recs, N, 7);
    hl_trace_header h;
    char err[256];
    REQUIRE(hl_trace_read_header(im.b, im.len, &h, err, sizeof err) == 0);
    CHECK_EQ_U64(h.record_count, N);
    hl_trace_decoder d;
    hl_trace_decoder_init(&d, im.b + HL_TRACE_HEADER_SIZE, im.len - HL_TRACE_HEADER_SIZE);
    hl_trace_rec got;
    size_t i = 0;
    int rc;
    while ((rc = hl_trace_decode(&d, &got, err, sizeof err)) == 1 && i < N) {
        const hl_trace_rec *w = &recs[i];
        bool same = got.kind == w->kind && got.thread == w->thread && got.size == w->size &&
                    got.count == w->count && got.align == w->align && got.null_arg == w->null_arg &&
                    got.null_result == w->null_result && got.old == w->old && got.result == w->result;
        CHECK_MSG(same, "record %zu differs after the round trip", i);
        if (!same)
            break;
        i++;
    }
    CHECK(rc == 0 || i == N);
    CHECK_EQ_U64(i, N);
    /* Compactness: small records, no padding. */
    CHECK_MSG(im.len - HL_TRACE_HEADER_SIZE < (size_t)N * 24, "%zu bytes for %d records", im.len,
              N);
    free(im.b);
    free(recs);
}

TEST(synthetic_trace_parses_with_expected_counts)
{
    size_t len;
    uint8_t *img = hl_trace_synthesize(7, 20000, 4, &len);
    REQUIRE(img != NULL);
    size_t len2;
    uint8_t *img2 = hl_trace_synthesize(7, 20000, 4, &len2);
    CHECK(len == len2 && memcmp(img, img2, len) == 0); /* deterministic */
    free(img2);
    hl_trace t;
    char err[256];
    int rc = hl_trace_parse(img, len, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_EQ_U64(t.n_events, 20000);
        CHECK_EQ_U64(t.n_threads, 4);
        CHECK(t.unknown_frees > 0);
        CHECK(t.null_frees > 0);
        CHECK(t.failed_calls > 0);
        CHECK(t.reallocs > 0);
        CHECK(t.aligned_calls > 0);
        /* Every event's blocks are consistent with the model. */
        uint64_t nop = 0, alloc = 0, re = 0, fr = 0;
        for (size_t i = 0; i < t.n_events; i++) {
            const hl_trace_event *e = &t.events[i];
            nop += e->op == HL_OP_NOP;
            alloc += e->op == HL_OP_ALLOC;
            re += e->op == HL_OP_REALLOC;
            fr += e->op == HL_OP_FREE;
            if (e->op == HL_OP_ALLOC || e->op == HL_OP_REALLOC)
                CHECK(e->block < t.n_blocks);
            if (e->op == HL_OP_FREE || e->op == HL_OP_REALLOC)
                CHECK(e->old < t.n_blocks);
        }
        CHECK_EQ_U64(alloc, t.allocs);
        CHECK_EQ_U64(re, t.reallocs);
        CHECK_EQ_U64(fr, t.frees);
        CHECK_EQ_U64(nop, t.unknown_frees + t.null_frees + t.failed_calls);
        CHECK_EQ_U64(t.allocs + t.reallocs, t.n_blocks);
        CHECK_EQ_U64(t.n_blocks - t.frees - t.reallocs, t.live_at_end);
        hl_trace_free(&t);
    }
    free(img);
}

/* ---- rejection with the right message ----------------------------------------- */

TEST(header_errors)
{
    hl_trace_rec recs[] = {MALLOC(0, 10, 0x1000), FREE(0, 0x1000)};
    image im = build(recs, 2, 1);
    CHECK(expect_error((image){im.b, 10}, "shorter than the 64-byte header"));
    uint8_t *copy = malloc(im.len);
    memcpy(copy, im.b, im.len);
    copy[0] = 'X';
    CHECK(expect_error((image){copy, im.len}, "bad magic"));
    memcpy(copy, im.b, im.len);
    copy[8] = 9;
    CHECK(expect_error((image){copy, im.len}, "version 9 is not supported"));
    /* Every other field is behind the header checksum: an edit is caught by
     * it, and with the checksums made to match by the field's own check. */
    memcpy(copy, im.b, im.len);
    copy[12] &= (uint8_t)~HL_TRACE_FLAG_COMPLETE;
    CHECK(expect_error((image){copy, im.len}, "trace header: header checksum mismatch"));
    CHECK(expect_error(sealed((image){copy, im.len}), "incomplete trace"));
    memcpy(copy, im.b, im.len);
    copy[13] = 0x80;
    CHECK(expect_error(sealed((image){copy, im.len}), "unknown flags"));
    memcpy(copy, im.b, im.len);
    copy[56] = 1;
    CHECK(expect_error(sealed((image){copy, im.len}), "reserved byte 56"));
    /* truncated: the payload is shorter than announced */
    CHECK(expect_error((image){im.b, im.len - 1}, "truncated or trailing data"));
    memcpy(copy, im.b, im.len);
    CHECK(expect_error(sealed((image){copy, im.len - 1}), "truncated or trailing data"));
    /* a record count that cannot fit */
    memcpy(copy, im.b, im.len);
    hl_trace_put_u64(copy + 16, 1ull << 40);
    CHECK(expect_error(sealed((image){copy, im.len}), "cannot fit"));
    memcpy(copy, im.b, im.len);
    hl_trace_put_u32(copy + 24, 5000);
    CHECK(expect_error(sealed((image){copy, im.len}), "5000 threads exceed the replay limit"));
    memcpy(copy, im.b, im.len);
    hl_trace_put_u64(copy + 16, 1);
    CHECK(expect_error(sealed((image){copy, im.len}), "more records than the 1 the header announces"));
    free(copy);
    free(im.b);
}

TEST(record_errors)
{
    {
        hl_trace_rec recs[] = {MALLOC(0, HL_TRACE_MAX_SIZE + 1, 0x1000)};
        image im = build(recs, 1, 1);
        CHECK(expect_error(im, "trace record 0: size 1073741825 exceeds the 1 GiB replay limit"));
        free(im.b);
    }
    {
        hl_trace_rec recs[] = {MALLOC(0, 8, 0x1000), MALLOC(0, 8, 0x2000),
                               {.kind = HL_TR_CALLOC, .count = 1 << 20, .size = 1 << 20, .result = 0x3000}};
        image im = build(recs, 3, 1);
        CHECK(expect_error(im, "trace record 2: calloc(1048576, 1048576) exceeds the 1 GiB"));
        free(im.b);
    }
    {
        hl_trace_rec recs[] = {MALLOC(0, 8, 0x1000), FREE(1, 0x1000), FREE(0, 0x1000)};
        image im = build(recs, 3, 2);
        CHECK(expect_error(im, "trace record 2: free of block 0 (address 0x1000) which is already freed"));
        free(im.b);
    }
    {
        hl_trace_rec recs[] = {MALLOC(0, 8, 0x1000), MALLOC(0, 8, 0x1000)};
        image im = build(recs, 2, 1);
        CHECK(expect_error(im, "trace record 1: address 0x1000 returned while block 0 is still live"));
        free(im.b);
    }
    {
        hl_trace_rec recs[] = {MALLOC(0, 8, 0x1000), FREE(0, 0x1000),
                               {.kind = HL_TR_REALLOC, .old = 0x1000, .size = 9, .result = 0x2000}};
        image im = build(recs, 3, 1);
        CHECK(expect_error(im, "trace record 2: realloc of block 0"));
        free(im.b);
    }
    {
        hl_trace_rec recs[] = {MALLOC(0, 8, 0x1000), MALLOC(3, 8, 0x2000)};
        image im = build(recs, 2, 2);
        CHECK(expect_error(im, "trace record 1: thread 3 but the header counts 2 threads"));
        free(im.b);
    }
    {
        hl_trace_rec recs[] = {{.kind = HL_TR_MEMALIGN, .align = 24, .size = 8, .result = 0x1000}};
        image im = build(recs, 1, 1);
        CHECK(expect_error(im, "trace record 0: alignment 24 is not a power of two"));
        free(im.b);
    }
    {
        hl_trace_rec recs[] = {MALLOC(0, 8, 0x1000), MALLOC(0, 8, 0x2000)};
        image im = build(recs, 2, 1);
        im.b[HL_TRACE_HEADER_SIZE] = 0x0e; /* kind 14 */
        CHECK(expect_error(im, "trace header: payload checksum mismatch"));
        CHECK(expect_error(sealed(im), "trace record 0: unknown record kind 14"));
        im.b[HL_TRACE_HEADER_SIZE] = 0x91; /* reserved bit */
        CHECK(expect_error(sealed(im), "trace record 0: reserved tag bit set"));
        free(im.b);
    }
    {
        /* A record cut in the middle, with the header made consistent. */
        hl_trace_rec recs[] = {MALLOC(0, 300, 0x123456789), MALLOC(0, 300000, 0x223456789)};
        image im = build(recs, 2, 1);
        im.len -= 2;
        hl_trace_put_u64(im.b + 40, im.len - HL_TRACE_HEADER_SIZE);
        CHECK(expect_error(sealed(im), "trace record 1: truncated"));
        free(im.b);
    }
    {
        /* An over-long varint. */
        hl_trace_rec recs[] = {MALLOC(0, 8, 0x1000)};
        image im = build(recs, 1, 1);
        uint8_t *b = malloc(im.len + 16);
        memcpy(b, im.b, HL_TRACE_HEADER_SIZE);
        size_t o = HL_TRACE_HEADER_SIZE;
        b[o++] = HL_TR_MALLOC | HL_TR_TAG_NEW_THREAD;
        b[o++] = 0;
        for (int i = 0; i < 11; i++)
            b[o++] = 0xff;
        b[o++] = 0x01;
        b[o++] = 0x02;
        hl_trace_put_u64(b + 40, o - HL_TRACE_HEADER_SIZE);
        CHECK(expect_error(sealed((image){b, o}), "malformed size varint"));
        free(b);
        free(im.b);
    }
}

TEST(tolerated_oddities_are_counted)
{
    hl_trace_rec recs[] = {
        FREE(0, 0xdead0),                       /* allocated before recording */
        {.kind = HL_TR_FREE, .null_arg = true}, /* free(NULL) */
        {.kind = HL_TR_REALLOC, .old = 0xbeef0, .size = 20, .result = 0x1000}, /* unknown realloc */
        {.kind = HL_TR_MALLOC, .size = 1u << 31, .null_result = true}, /* failed, huge: fine */
        {.kind = HL_TR_REALLOC, .old = 0x1000, .size = 0, .null_result = true}, /* glibc frees */
        MALLOC(1, 5, 0x1000),                   /* address reuse after the free */
    };
    image im = build(recs, 6, 2);
    hl_trace t;
    char err[256];
    int rc = parse(im, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_EQ_U64(t.unknown_frees, 1);
        CHECK_EQ_U64(t.null_frees, 1);
        CHECK_EQ_U64(t.unknown_reallocs, 1);
        CHECK_EQ_U64(t.failed_calls, 1);
        CHECK_EQ_U64(t.allocs, 2);
        CHECK_EQ_U64(t.frees, 1);
        CHECK_EQ_U64(t.live_at_end, 1);
        CHECK_EQ_U64(t.events[4].op, HL_OP_FREE);
        CHECK_EQ_U64(t.events[4].old, 0);
        hl_trace_free(&t);
    }
    free(im.b);
}

/* ---- checksums --------------------------------------------------------------- */

/* The division one bit at a time (Williams 1993, section 9, reflected):
 * what the table of crc32.h must reproduce. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

TEST(crc32_is_iso_hdlc)
{
    /* The catalogue's check value of CRC-32/ISO-HDLC (zlib's crc32). */
    CHECK_EQ_U64(hl_crc32_update(0, "123456789", 9), 0xCBF43926u);
    CHECK_EQ_U64(hl_crc32_update(0, "", 0), 0);
    for (unsigned n = 0; n < 256; n++) {
        uint8_t byte = (uint8_t)n;
        uint32_t c = byte;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        CHECK_MSG(hl_crc32_table[n] == c, "table[%u] = 0x%08x, the division gives 0x%08x", n,
                  hl_crc32_table[n], c);
    }
    uint64_t rng = 5;
    uint8_t buf[3000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)hl_test_rand(&rng);
    uint32_t whole = hl_crc32_update(0, buf, sizeof buf);
    CHECK_EQ_U64(whole, crc32_bitwise(buf, sizeof buf));
    /* incremental, as the recorder computes it at every flush */
    CHECK_EQ_U64(hl_crc32_update(hl_crc32_update(hl_crc32_update(0, buf, 1), buf + 1, 1000),
                                 buf + 1001, sizeof buf - 1001),
                 whole);
}

TEST(checksum_mismatches_are_named)
{
    size_t len;
    uint8_t *img = hl_trace_synthesize(3, 50, 2, &len);
    REQUIRE(img != NULL);
    img[len - 3] ^= 0x10;
    CHECK(expect_error((image){img, len}, "trace header: payload checksum mismatch (CRC-32 0x"));
    img[len - 3] ^= 0x10;
    img[33] ^= 0x01; /* start time: no other check looks at it */
    CHECK(expect_error((image){img, len}, "trace header: header checksum mismatch (CRC-32 0x"));
    img[33] ^= 0x01;
    hl_trace t;
    char err[256];
    CHECK_MSG(hl_trace_parse(img, len, &t, err, sizeof err) == 0, "%s", err);
    hl_trace_free(&t);
    free(img);
}

TEST(version_1_traces_are_still_read)
{
    hl_trace_rec recs[] = {MALLOC(0, 10, 0x1000), FREE(0, 0x1000), MALLOC(0, 20, 0x1000)};
    image im = build_version(recs, 3, 1, 1);
    for (int i = 52; i < HL_TRACE_HEADER_SIZE; i++)
        CHECK(im.b[i] == 0);
    hl_trace t;
    char err[256];
    int rc = parse(im, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_EQ_U64(t.header.version, 1);
        CHECK_EQ_U64(t.allocs, 2);
        hl_trace_free(&t);
    }
    /* no checksums: the checksum fields of version 2 are reserved there */
    im.b[52] = 7;
    CHECK(expect_error(im, "reserved byte 52"));
    im.b[52] = 0;
    im.b[60] = 7;
    CHECK(expect_error(im, "reserved byte 60"));
    free(im.b);
}

/* Corrupts a copy of img (len bytes) in one of three ways; returns the
 * mutated length, 0 when the mutation left the image as it was. */
static size_t corrupt(const uint8_t *img, size_t len, uint8_t *m, int how, uint64_t *rng)
{
    memcpy(m, img, len);
    size_t mlen = len;
    if (how == 0) { /* one byte changed, anywhere */
        m[hl_test_rand(rng) % len] ^= (uint8_t)(1 + hl_test_rand(rng) % 255);
    } else if (how == 1) { /* truncated, header left as it was */
        mlen = (size_t)(hl_test_rand(rng) % len);
    } else { /* 1..8 bytes inserted in the payload, the payload length fixed up */
        size_t at = HL_TRACE_HEADER_SIZE + (size_t)(hl_test_rand(rng) % (len - HL_TRACE_HEADER_SIZE + 1));
        size_t k = 1 + (size_t)(hl_test_rand(rng) % 8);
        memmove(m + at + k, m + at, len - at);
        for (size_t i = 0; i < k; i++)
            m[at + i] = (uint8_t)hl_test_rand(rng);
        mlen = len + k;
        hl_trace_put_u64(m + 40, mlen - HL_TRACE_HEADER_SIZE);
    }
    return mlen == len && memcmp(m, img, len) == 0 ? 0 : mlen;
}

TEST(checksums_reject_every_corruption)
{
    /* 500 corruptions of each kind of valid version-2 traces: the reader
     * must reject every one (CRC-32 detects every error burst of up to 32
     * bits, so every single-byte change; of the others it misses 1 in 2^32).
     * The count of those that still parse once resealed is what version 1
     * (no checksum) would have replayed as good. */
    static const char *const kinds[] = {"single-byte changes", "truncations", "insertions"};
    uint64_t rng = 1515;
    for (int how = 0; how < 3; how++) {
        int accepted = 0, pass_resealed = 0, tried = 0, multiline = 0;
        for (int i = 0; i < 500; i++) {
            size_t len;
            uint8_t *img = hl_trace_synthesize(hl_test_rand(&rng), 1 + (size_t)(hl_test_rand(&rng) % 200),
                                               1 + (unsigned)(hl_test_rand(&rng) % 3), &len);
            REQUIRE(img != NULL);
            uint8_t *m = malloc(len + 8);
            size_t mlen = corrupt(img, len, m, how, &rng);
            if (mlen > 0) {
                tried++;
                hl_trace t;
                char err[256] = "";
                if (hl_trace_parse(m, mlen, &t, err, sizeof err) == 0) {
                    accepted++;
                    hl_trace_free(&t);
                } else if (err[0] == '\0' || strchr(err, '\n')) {
                    multiline++;
                }
                /* resealed: what passes the checks behind the checksums
                 * (a change of a checksum field itself is undone here) */
                hl_trace_seal(m, mlen);
                bool undone = mlen == len && memcmp(m, img, len) == 0;
                if (!undone && hl_trace_parse(m, mlen, &t, err, sizeof err) == 0) {
                    pass_resealed++;
                    hl_trace_free(&t);
                }
            }
            free(m);
            free(img);
        }
        printf("  %s: %d corrupted traces, %d accepted; %d would pass without the checksums\n",
               kinds[how], tried, accepted, pass_resealed);
        CHECK(tried >= 490);
        CHECK_EQ_U64(accepted, 0);
        CHECK_EQ_U64(multiline, 0);
    }
}

TEST(load_reports_file_errors)
{
    hl_trace t;
    char err[256];
    CHECK(hl_trace_load("/nonexistent/heaplab.hlt", &t, err, sizeof err) == -1);
    CHECK(strstr(err, "trace file /nonexistent/heaplab.hlt: cannot open") != NULL);
    CHECK(hl_trace_load("/", &t, err, sizeof err) == -1);
    CHECK(strstr(err, "not a regular file") != NULL);
}

static void write_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, n, f) != n)
        printf("  cannot write %s\n", path);
    if (f)
        fclose(f);
}

static int expect_load_error(const char *path, const char *needle)
{
    hl_trace t;
    char err[512] = "";
    if (hl_trace_load(path, &t, err, sizeof err) == 0) {
        hl_trace_free(&t);
        printf("  %s was loaded, expected \"%s\"\n", path, needle);
        return 0;
    }
    if (strstr(err, needle) == NULL || strchr(err, '\n') != NULL) {
        printf("  expected one line with \"%s\", got: %s\n", needle, err);
        return 0;
    }
    return 1;
}

TEST(load_refuses_a_trace_with_nothing_to_replay)
{
    /* The rule the driver's plan-time check and the replay workload share
     * (both call hl_trace_load): no events, or none that replay anything. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/heaplab-test-empty-%d.hlt", (int)getpid());
    size_t len;
    uint8_t *img = hl_trace_synthesize(1, 0, 1, &len);
    REQUIRE(img != NULL);
    hl_trace t;
    char err[256];
    CHECK_MSG(hl_trace_parse(img, len, &t, err, sizeof err) == 0, "%s", err); /* well formed */
    hl_trace_free(&t);
    write_file(path, img, len);
    free(img);
    CHECK(expect_load_error(path, "trace: nothing to replay: 0 records"));
    hl_trace_rec recs[] = {{.kind = HL_TR_FREE, .null_arg = true}, FREE(0, 0xdead0),
                           {.kind = HL_TR_MALLOC, .size = 8, .null_result = true}};
    image im = build(recs, 3, 1);
    write_file(path, im.b, im.len);
    free(im.b);
    CHECK(expect_load_error(path, "trace: nothing to replay: 3 records"));
    hl_trace_rec one[] = {MALLOC(0, 8, 0x1000)};
    im = build(one, 1, 1);
    write_file(path, im.b, im.len);
    free(im.b);
    int rc = hl_trace_load(path, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0)
        hl_trace_free(&t);
    unlink(path);
}

TEST(load_refuses_a_fifo_without_blocking)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/heaplab-test-fifo-%d.hlt", (int)getpid());
    unlink(path);
    REQUIRE(mkfifo(path, 0644) == 0);
    /* In a child, so that a load that blocks (nobody ever opens the FIFO for
     * writing) fails this test instead of hanging it. */
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        _exit(expect_load_error(path, "not a regular file") ? 0 : 1);
    int st = 0, waited = 0;
    pid_t got = 0;
    for (; waited < 600 && (got = waitpid(pid, &st, WNOHANG)) == 0; waited++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    CHECK_MSG(got == pid, "hl_trace_load blocked on a FIFO for %d s", waited / 20);
    CHECK(got != pid || (WIFEXITED(st) && WEXITSTATUS(st) == 0));
    unlink(path);
}

/* ---- the recorder -------------------------------------------------------------- */

static int run_child(const char *out, const char *arg)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char preload[4200], outenv[4200];
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", HL_TRACE_LIB);
        snprintf(outenv, sizeof outenv, "HEAPLAB_TRACE_OUT=%s", out);
        char *envp[] = {preload, outenv, NULL};
        char *args[] = {(char *)HL_TRACE_CHILD_EXE, (char *)arg, NULL};
        execve(HL_TRACE_CHILD_EXE, args, envp);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct child_counts {
    uint64_t mallocs_12345, mallocs_23456, frees, callocs, reallocs, aligned, null_frees;
    uint32_t threads_23456, thread_main;
} child_counts;

static int scan(const char *path, child_counts *cc, hl_trace_header *h, char *err, size_t errlen)
{
    memset(cc, 0, sizeof *cc);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open %s", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    hl_trace t;
    if (hl_trace_parse(b, got, &t, err, errlen) != 0) {
        free(b);
        return -1;
    }
    *h = t.header;
    hl_trace_free(&t);
    hl_trace_decoder d;
    hl_trace_decoder_init(&d, b + HL_TRACE_HEADER_SIZE, got - HL_TRACE_HEADER_SIZE);
    hl_trace_rec r;
    cc->threads_23456 = UINT32_MAX;
    cc->thread_main = UINT32_MAX;
    while (hl_trace_decode(&d, &r, err, errlen) == 1) {
        if (r.kind == HL_TR_MALLOC && r.size == CHILD_MALLOC_SIZE) {
            cc->mallocs_12345++;
            cc->thread_main = r.thread;
        }
        if (r.kind == HL_TR_MALLOC && r.size == CHILD_THREAD_SIZE) {
            cc->mallocs_23456++;
            cc->threads_23456 = r.thread;
        }
        cc->frees += r.kind == HL_TR_FREE && !r.null_arg;
        cc->null_frees += r.kind == HL_TR_FREE && r.null_arg;
        cc->callocs += r.kind == HL_TR_CALLOC && r.count == 3 && r.size == 4321;
        cc->reallocs += r.kind == HL_TR_REALLOC && (r.size == 1111 || r.size == 2222 || r.size == 33333);
        cc->aligned += (r.kind == HL_TR_MEMALIGN && r.align == 64 && r.size == 3001) +
                       (r.kind == HL_TR_POSIX_MEMALIGN && r.align == 128 && r.size == 3002) +
                       (r.kind == HL_TR_ALIGNED_ALLOC && r.align == 256 && r.size == 3072) +
                       (r.kind == HL_TR_VALLOC && r.size == 3003);
    }
    free(b);
    return 0;
}

TEST(recorder_records_a_child_process)
{
    char path[] = "/tmp/heaplab-test-trace-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    int rc = run_child(path, "plain");
    CHECK_EQ_U64(rc, 0);
    child_counts cc;
    hl_trace_header h;
    char err[256];
    int src = scan(path, &cc, &h, err, sizeof err);
    CHECK_MSG(src == 0, "%s", err);
    if (src == 0) {
        CHECK_EQ_U64(cc.mallocs_12345, CHILD_MALLOCS);
        CHECK_EQ_U64(cc.mallocs_23456, CHILD_THREAD_MALLOCS);
        CHECK(cc.threads_23456 != cc.thread_main); /* recorded on its own thread id */
        CHECK(h.thread_count >= 2);
        CHECK_EQ_U64(cc.callocs, 1);
        CHECK_EQ_U64(cc.reallocs, 3);
        CHECK_EQ_U64(cc.aligned, 4);
        CHECK(cc.null_frees >= 1);
        CHECK(cc.frees >= CHILD_MALLOCS + CHILD_THREAD_MALLOCS + 6);
        CHECK(h.flags & HL_TRACE_FLAG_COMPLETE);
    }
    unlink(path);
}

TEST(recorder_fork_policy)
{
    /* Without %p a forked child stops recording: the parent's trace stays
     * valid and holds exactly the parent's calls. */
    char path[] = "/tmp/heaplab-test-trace-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK_EQ_U64(run_child(path, "fork"), 0);
    child_counts cc;
    hl_trace_header h;
    char err[256];
    int src = scan(path, &cc, &h, err, sizeof err);
    CHECK_MSG(src == 0, "%s", err);
    if (src == 0)
        CHECK_EQ_U64(cc.mallocs_12345, CHILD_MALLOCS); /* not + 1 from the child */
    unlink(path);

    /* With %p every process writes its own file; the child's is marked. */
    char tmpl[64];
    snprintf(tmpl, sizeof tmpl, "/tmp/heaplab-test-%d-%%p.hlt", (int)getpid());
    CHECK_EQ_U64(run_child(tmpl, "fork"), 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls /tmp/heaplab-test-%d-*.hlt 2>/dev/null", (int)getpid());
    FILE *ls = popen(cmd, "r");
    REQUIRE(ls != NULL);
    char line[512];
    int files = 0, forked = 0, parents = 0;
    while (fgets(line, sizeof line, ls)) {
        line[strcspn(line, "\n")] = '\0';
        files++;
        src = scan(line, &cc, &h, err, sizeof err);
        CHECK_MSG(src == 0, "%s: %s", line, err);
        if (src == 0 && (h.flags & HL_TRACE_FLAG_FORKED)) {
            forked++;
            CHECK_EQ_U64(cc.mallocs_12345, 1);
            CHECK(h.parent_pid != 0);
        } else if (src == 0) {
            parents++;
            CHECK_EQ_U64(cc.mallocs_12345, CHILD_MALLOCS);
        }
        unlink(line);
    }
    pclose(ls);
    CHECK_EQ_U64(files, 2);
    CHECK_EQ_U64(forked, 1);
    CHECK_EQ_U64(parents, 1);
}

/* The trace files matching pattern, sorted (glob's order). */
static size_t list_files(const char *pattern, glob_t *g)
{
    memset(g, 0, sizeof *g);
    if (glob(pattern, 0, NULL, g) != 0)
        return 0;
    return g->gl_pathc;
}

TEST(recorder_exec_policy)
{
    /* With %p a program that execs keeps its pid; the new image must not
     * truncate the old image's file.  The old one stays incomplete (exec
     * skipped its destructor) and is rejected as such; the new image
     * records to "<path>.1". */
    char tmpl[96], pattern[96], first[128], second[128];
    snprintf(tmpl, sizeof tmpl, "/tmp/heaplab-test-exec-%d-%%p.hlt", (int)getpid());
    snprintf(pattern, sizeof pattern, "/tmp/heaplab-test-exec-%d-*", (int)getpid());
    CHECK_EQ_U64(run_child(tmpl, "exec"), 0);
    glob_t g;
    size_t n = list_files(pattern, &g);
    CHECK_EQ_U64(n, 2);
    if (n == 2) {
        /* "...-PID.hlt" sorts before "...-PID.hlt.1" */
        snprintf(first, sizeof first, "%s", g.gl_pathv[0]);
        snprintf(second, sizeof second, "%s", g.gl_pathv[1]);
        size_t fl = strlen(first);
        CHECK(strlen(second) == fl + 2 && strncmp(second, first, fl) == 0 &&
              strcmp(second + fl, ".1") == 0);
        child_counts cc;
        hl_trace_header h;
        char err[256];
        CHECK(scan(first, &cc, &h, err, sizeof err) != 0);
        CHECK_MSG(strstr(err, "trace header: incomplete trace") != NULL, "%s", err);
        int src = scan(second, &cc, &h, err, sizeof err);
        CHECK_MSG(src == 0, "%s: %s", second, err);
        if (src == 0) {
            CHECK_EQ_U64(cc.mallocs_12345, CHILD_MALLOCS);
            CHECK_EQ_U64(cc.mallocs_23456, CHILD_THREAD_MALLOCS);
            CHECK(!(h.flags & HL_TRACE_FLAG_FORKED));
        }
    }
    for (size_t i = 0; i < n; i++)
        unlink(g.gl_pathv[i]);
    globfree(&g);

    /* Without %p the exec'd image does not record at all: the one file is
     * the old image's, incomplete, and nothing else is created. */
    char path[96];
    snprintf(path, sizeof path, "/tmp/heaplab-test-exec1-%d.hlt", (int)getpid());
    snprintf(pattern, sizeof pattern, "/tmp/heaplab-test-exec1-%d*", (int)getpid());
    CHECK_EQ_U64(run_child(path, "exec"), 0);
    n = list_files(pattern, &g);
    CHECK_EQ_U64(n, 1);
    child_counts cc;
    hl_trace_header h;
    char err[256];
    CHECK(scan(path, &cc, &h, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "trace header: incomplete trace") != NULL, "%s", err);
    for (size_t i = 0; i < n; i++)
        unlink(g.gl_pathv[i]);
    globfree(&g);
}

int main(void)
{
    RUN(round_trip_random_records);
    RUN(synthetic_trace_parses_with_expected_counts);
    RUN(header_errors);
    RUN(record_errors);
    RUN(tolerated_oddities_are_counted);
    RUN(crc32_is_iso_hdlc);
    RUN(checksum_mismatches_are_named);
    RUN(version_1_traces_are_still_read);
    RUN(checksums_reject_every_corruption);
    RUN(load_reports_file_errors);
    RUN(load_refuses_a_trace_with_nothing_to_replay);
    RUN(load_refuses_a_fifo_without_blocking);
    RUN(recorder_records_a_child_process);
    RUN(recorder_fork_policy);
    RUN(recorder_exec_policy);
    return hl_test_summary();
}

#endif
