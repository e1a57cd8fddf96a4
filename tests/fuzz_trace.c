/* fuzz_trace.c - fuzzing the trace reader (trace_format.c).
 *
 * Two builds of this file:
 *   fuzz_trace      (HL_FUZZ=ON, clang): a libFuzzer target,
 *                   `build/fuzz_trace -max_total_time=60 CORPUS_DIR`
 *                   (seed it with `test_fuzz_trace --corpus CORPUS_DIR`).
 *   test_fuzz_trace (always): a plain program that runs the same entry point
 *                   over a few thousand mutations (byte flips, byte sets,
 *                   truncations, insertions, header field edits) of valid
 *                   synthetic traces, so CI exercises the parser under gcc
 *                   and ASan without libFuzzer.  It also checks that the
 *                   unmutated traces are accepted, so a parser that rejects
 *                   everything fails.
 *
 * The property: hl_trace_parse returns 0 or -1 with a non-empty one-line
 * message, never crashes or reads out of bounds (ASan), and an accepted
 * trace's events are internally consistent.  And, since version 2: a
 * mutated trace is never accepted (the checksums); test_fuzz_trace fails if
 * one is.
 *
 * Each input is parsed twice: as it is (which exercises the checksums) and
 * resealed, its checksums recomputed over the mutated bytes
 * (hl_trace_seal), so that mutations also reach the record decoder and the
 * semantic pass behind them; otherwise almost every mutation would end at
 * the checksum.
 */
#include "trace_format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_one(const uint8_t *data, size_t size)
{
    hl_trace t;
    char err[256];
    err[0] = '\0';
    int rc = hl_trace_parse(data, size, &t, err, sizeof err);
    if (rc != 0) {
        if (err[0] == '\0' || strchr(err, '\n') != NULL) {
            fprintf(stderr, "fuzz_trace: rejection without a one-line message\n");
            abort();
        }
        return 0;
    }
    for (size_t i = 0; i < t.n_events; i++) {
        const hl_trace_event *e = &t.events[i];
        if ((e->block != HL_TRACE_NONE && e->block >= t.n_blocks) ||
            (e->old != HL_TRACE_NONE && e->old >= t.n_blocks) || e->thread >= t.n_threads ||
            (e->op != HL_OP_NOP && e->size > HL_TRACE_MAX_SIZE)) {
            fprintf(stderr, "fuzz_trace: accepted trace with an inconsistent event %zu\n", i);
            abort();
        }
    }
    hl_trace_free(&t);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses data as it is, then resealed; returns whether each was accepted
 * (bit 0: as it is, bit 1: resealed). */
static int check_both(const uint8_t *data, size_t size)
{
    int accepted = check_one(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    hl_trace_seal(copy, size);
    accepted |= check_one(copy, size) << 1;
    free(copy);
    return accepted;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_both(data, size);
    return 0;
}

#ifndef HL_LIBFUZZER

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Writes a seed corpus of small valid traces into dir (for libFuzzer). */
static int write_corpus(const char *dir)
{
    for (unsigned k = 0; k < 32; k++) {
        size_t len;
        uint8_t *img = hl_trace_synthesize(k, 1 + k * 7, 1 + k % 4, &len);
        char path[4096];
        snprintf(path, sizeof path, "%s/seed-%02u.hlt", dir, k);
        FILE *f = fopen(path, "wb");
        bool ok = img != NULL && f != NULL && fwrite(img, 1, len, f) == len;
        if (f)
            fclose(f);
        free(img);
        if (!ok) {
            fprintf(stderr, "fuzz_trace: cannot write %s\n", path);
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
        return write_corpus(argv[2]);
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 4000;
    uint64_t s = 2024;
    long accepted = 0, rejected = 0, originals = 0, unchanged = 0, corrupt_accepted = 0;
    for (long it = 0; it < iterations; it++) {
        size_t len;
        unsigned threads = 1 + (unsigned)(rnd(&s) % 4);
        size_t records = 1 + (size_t)(rnd(&s) % 300);
        uint8_t *img = hl_trace_synthesize(rnd(&s), records, threads, &len);
        if (img == NULL)
            return 2;
        if (it % 50 == 0) {
            if (!check_one(img, len)) {
                fprintf(stderr, "fuzz_trace: a valid synthetic trace was rejected\n");
                return 1;
            }
            originals++;
        }
        /* Room for insertions. */
        uint8_t *m = malloc(len + 64);
        memcpy(m, img, len);
        size_t mlen = len;
        int edits = 1 + (int)(rnd(&s) % 4);
        for (int e = 0; e < edits; e++) {
            switch (rnd(&s) % 6) {
            case 0: /* bit flip anywhere */
                m[rnd(&s) % mlen] ^= (uint8_t)(1u << (rnd(&s) % 8));
                break;
            case 1: /* byte set in the payload */
                if (mlen > HL_TRACE_HEADER_SIZE)
                    m[HL_TRACE_HEADER_SIZE + rnd(&s) % (mlen - HL_TRACE_HEADER_SIZE)] = (uint8_t)rnd(&s);
                break;
            case 2: /* truncation */
                mlen = (size_t)(rnd(&s) % (mlen + 1));
                break;
            case 3: /* insertion */
                if (mlen + 8 <= len + 64) {
                    size_t at = (size_t)(rnd(&s) % (mlen + 1));
                    memmove(m + at + 8, m + at, mlen - at);
                    for (int k = 0; k < 8; k++)
                        m[at + k] = (uint8_t)rnd(&s);
                    mlen += 8;
                }
                break;
            case 4: /* keep the header consistent with the payload length */
                if (mlen >= HL_TRACE_HEADER_SIZE)
                    hl_trace_put_u64(m + 40, mlen - HL_TRACE_HEADER_SIZE);
                break;
            default: /* a header count */
                if (mlen >= HL_TRACE_HEADER_SIZE)
                    hl_trace_put_u32(m + 16 + 8 * (rnd(&s) % 2), (uint32_t)rnd(&s) % 1000);
                break;
            }
            if (mlen == 0)
                break;
        }
        /* Resealed, a mutation in the payload with a consistent header
         * reaches the record decoder and the semantic checks, not just the
         * header; as it is, a mutation that changed anything must be
         * refused. */
        if (mlen == len && memcmp(m, img, len) == 0) {
            unchanged++;
        } else {
            int verdict = check_both(m, mlen);
            if (verdict & 1) {
                corrupt_accepted++;
                fprintf(stderr, "fuzz_trace: mutation %ld was accepted as it is\n", it);
            }
            if (verdict & 2)
                accepted++;
            else
                rejected++;
        }
        free(m);
        free(img);
    }
    printf("fuzz_trace: %ld mutations, %ld left the trace unchanged; of the others %ld were "
           "accepted as they are (must be 0), resealed %ld accepted and %ld rejected; %ld "
           "originals accepted\n",
           iterations, unchanged, corrupt_accepted, accepted, rejected, originals);
    if (rejected == 0 || corrupt_accepted != 0) {
        printf("0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    printf("1 passed, 0 failed, 0 skipped\n");
    return 0;
}

#endif
