/* rng.h - deterministic generators and block stamps shared by the workloads.
 *
 * How it works
 * ------------
 * Every random choice a workload makes comes from one of these generators,
 * seeded from env->seed, so a seed and a parameter set give the same sequence
 * of allocator calls on every run and every backend.
 *
 *   hl_sm64        splitmix64 (Steele, Lea, Flood, "Fast splittable
 *                  pseudorandom number generators", OOPSLA 2014): a 64-bit
 *                  counter through a mixer.  The workhorse; also used as a pure
 *                  hash (hl_mix64) to derive tags from ids.
 *   hl_below       maps a 64-bit random word onto [0, n) by a 64x64->128
 *                  multiply (Lemire, "Fast random integer generation in an
 *                  interval", TOMACS 2019) instead of a division.
 *   hl_lran2       Wolfram Gloger's lran2 (1996) as the Larson benchmark uses
 *                  it: the LCG x <- (1366 x + 150889) mod 714025 read through a
 *                  97-entry shuffle table (Bays-Durham shuffle).
 *
 * Block stamps.  A workload writes a stamp derived from a 64-bit tag into
 * every block it allocates and checks it before freeing the block, so a
 * backend that hands out overlapping blocks, or scribbles on live ones,
 * fails verification instead of producing a fast wrong number.  Blocks of 16
 * bytes or more get the tag in their first and last 8 bytes; smaller blocks
 * get byte i = byte (i mod 8) of the tag in every byte.  Either way byte i of
 * the first min(8, n) bytes is byte i of the tag, which is what a realloc
 * must preserve (hl_stamp_prefix_ok).
 *
 * Head stamps (hl_stamp_head) cover only the first min(n, 16) bytes, the
 * bytes the mimalloc-bench programs themselves write after malloc (larson
 * writes bytes 0 and 1): one cache line, so stamping costs what the
 * original's own writes cost.  A tail stamp would touch a second line per
 * block that the original never touches, and a check before every free
 * makes the free wait for the block's line (allocators whose free only
 * stores into the block, mimalloc and tcmalloc, paid ~13 ns more per
 * free+malloc on larson for it, glibc and jemalloc ~3 ns: measured with
 * copies of the original, workloads/README.md).  Workloads that follow a
 * benchmark therefore check a fixed 1-in-HL_CHECK_EVERY sample of the blocks
 * they free (the same steps on every backend) and every live block after
 * the run (verify).
 */
#ifndef HL_RNG_H
#define HL_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- splitmix64 ------------------------------------------------------------ */

static inline uint64_t hl_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t hl_sm64(uint64_t *state)
{
    return hl_mix64(*state += 0x9E3779B97F4A7C15ull);
}

/* Uniform in [0, n) for n >= 1 without a division. */
static inline uint64_t hl_below(uint64_t r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)r * n) >> 64);
}

static inline uint64_t hl_rand_below(uint64_t *state, uint64_t n)
{
    return hl_below(hl_sm64(state), n);
}

/* Uniform double in [0, 1). */
static inline double hl_rand_unit(uint64_t *state)
{
    return (double)(hl_sm64(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- lran2 (Gloger 1996), as used by Larson & Krishnan's benchmark -------- */

#define HL_LRAN2_MODULUS 714025L
#define HL_LRAN2_MULT 1366L
#define HL_LRAN2_INCR 150889L
#define HL_LRAN2_TABLE 97

/* Invariant: every table entry and y are in [0, HL_LRAN2_MODULUS). */
typedef struct hl_lran2 {
    long x, y;
    long table[HL_LRAN2_TABLE];
} hl_lran2;

static inline long hl_lran2__step(long x)
{
    return (HL_LRAN2_MULT * x + HL_LRAN2_INCR) % HL_LRAN2_MODULUS;
}

static inline void hl_lran2_init(hl_lran2 *g, uint64_t seed)
{
    long x = (long)((HL_LRAN2_INCR + (long)(seed % HL_LRAN2_MODULUS)) % HL_LRAN2_MODULUS);
    for (int i = 0; i < HL_LRAN2_TABLE; i++) {
        x = hl_lran2__step(x);
        g->table[i] = x;
    }
    g->x = hl_lran2__step(x);
    g->y = g->x;
}

/* Next value in [0, HL_LRAN2_MODULUS). */
static inline long hl_lran2_next(hl_lran2 *g)
{
    int j = (int)((HL_LRAN2_TABLE * g->y) / HL_LRAN2_MODULUS);
    g->y = g->table[j];
    g->x = hl_lran2__step(g->x);
    g->table[j] = g->x;
    return g->y;
}

/* ---- block stamps ---------------------------------------------------------- */

static inline void hl_stamp(void *p, size_t n, uint64_t tag)
{
    unsigned char *b = p;
    if (n >= 16) {
        memcpy(b, &tag, 8);
        memcpy(b + n - 8, &tag, 8);
    } else {
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)(tag >> ((i & 7) * 8));
    }
}

static inline bool hl_stamp_ok(const void *p, size_t n, uint64_t tag)
{
    const unsigned char *b = p;
    if (n >= 16) {
        uint64_t head, tail;
        memcpy(&head, b, 8);
        memcpy(&tail, b + n - 8, 8);
        return head == tag && tail == tag;
    }
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(tag >> ((i & 7) * 8)))
            return false;
    return true;
}

/* Blocks whose stamp is checked when freed: one in HL_CHECK_EVERY. */
#define HL_CHECK_EVERY 64

/* Byte i of the first min(n, 16) bytes = byte (i mod 8) of the tag. */
static inline void hl_stamp_head(void *p, size_t n, uint64_t tag)
{
    unsigned char *b = p;
    if (n >= 16) {
        memcpy(b, &tag, 8);
        memcpy(b + 8, &tag, 8);
    } else {
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)(tag >> ((i & 7) * 8));
    }
}

static inline bool hl_stamp_head_ok(const void *p, size_t n, uint64_t tag)
{
    const unsigned char *b = p;
    if (n >= 16) {
        uint64_t w0, w1;
        memcpy(&w0, b, 8);
        memcpy(&w1, b + 8, 8);
        return w0 == tag && w1 == tag;
    }
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(tag >> ((i & 7) * 8)))
            return false;
    return true;
}

/* After realloc(old_n -> new_n): the first min(8, old_n, new_n) bytes of the
 * old stamp must have survived. */
static inline bool hl_stamp_prefix_ok(const void *p, size_t old_n, size_t new_n, uint64_t tag)
{
    const unsigned char *b = p;
    size_t k = old_n < new_n ? old_n : new_n;
    if (k > 8)
        k = 8;
    for (size_t i = 0; i < k; i++)
        if (b[i] != (unsigned char)(tag >> (i * 8)))
            return false;
    return true;
}

#endif
