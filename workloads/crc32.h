/* crc32.h - CRC-32 (ISO-HDLC), the checksum of heaplab traces.
 *
 * The CRC of Ethernet, gzip, PNG and zlib's crc32(): width 32, reflected
 * polynomial 0xEDB88320 (0x04C11DB7 bit-reversed), initial value and final
 * XOR 0xFFFFFFFF; the check value of "123456789" is 0xCBF43926.  Parameters
 * as in the "Rocksoft model" of Ross N. Williams, "A Painless Guide to CRC
 * Error Detection Algorithms" (1993), and the CRC-32/ISO-HDLC entry of Greg
 * Cook's catalogue of parametrised CRC algorithms
 * (https://reveng.sourceforge.io/crc-catalogue/17plus.htm).
 *
 * How it works
 * ------------
 * The reflected table-driven form (Williams, section 11): for each byte,
 * crc = table[(crc ^ byte) & 0xff] ^ (crc >> 8), where table[n] is n shifted
 * through the polynomial division bit by bit, 8 times.
 *
 * The table is a compile-time constant, so that the LD_PRELOAD recorder can
 * use it from a constructor, under its lock and in a fork handler, with no
 * initialisation order, no locking and nothing that could call malloc.  It
 * is built from the 8 one-bit entries: one step of the division,
 * c -> (c >> 1) ^ (poly if c is odd), is linear over GF(2), hence so is
 * table[]: table[a ^ b] = table[a] ^ table[b], and table[n] is the XOR of
 * the entries of n's set bits, 8 constants derived below.  tests/test_trace.c
 * compares all 256 entries with the bitwise division, and the CRC with the
 * check value.
 *
 * Header-only (static inline), like the trace encoder, for the recorder.
 */
#ifndef HL_CRC32_H
#define HL_CRC32_H

#include <stddef.h>
#include <stdint.h>

#define HL_CRC32_POLY 0xEDB88320u

/* The entries of the one-bit bytes, table[1 << b] for b = 0..7: table[128]
 * is the polynomial itself (the bit reaches bit 0 after 7 shifts, and the
 * 8th step XORs the polynomial in), and each table[1 << (b - 1)] is one more
 * division step of table[1 << b]: shifted right, XORed with the polynomial
 * when odd. */
#define HL_CRC32_E7_ 0xEDB88320u
#define HL_CRC32_E6_ 0x76DC4190u
#define HL_CRC32_E5_ 0x3B6E20C8u
#define HL_CRC32_E4_ 0x1DB71064u
#define HL_CRC32_E3_ 0x0EDB8832u
#define HL_CRC32_E2_ 0x076DC419u
#define HL_CRC32_E1_ 0xEE0E612Cu /* E2 was odd: (E2 >> 1) ^ poly */
#define HL_CRC32_E0_ 0x77073096u
/* table[n] as the XOR of the one-bit entries of n's bits (see above). */
#define HL_CRC32_B_(n, b) (((n) >> (b) & 1u) ? HL_CRC32_E##b##_ : 0u)
#define HL_CRC32_T_(n)                                                                       \
    (HL_CRC32_B_(n, 0) ^ HL_CRC32_B_(n, 1) ^ HL_CRC32_B_(n, 2) ^ HL_CRC32_B_(n, 3) ^         \
     HL_CRC32_B_(n, 4) ^ HL_CRC32_B_(n, 5) ^ HL_CRC32_B_(n, 6) ^ HL_CRC32_B_(n, 7))
#define HL_CRC32_R4_(n) HL_CRC32_T_(n), HL_CRC32_T_(n + 1), HL_CRC32_T_(n + 2), HL_CRC32_T_(n + 3)
#define HL_CRC32_R16_(n)                                                                     \
    HL_CRC32_R4_(n), HL_CRC32_R4_(n + 4), HL_CRC32_R4_(n + 8), HL_CRC32_R4_(n + 12)
#define HL_CRC32_R64_(n)                                                                     \
    HL_CRC32_R16_(n), HL_CRC32_R16_(n + 16), HL_CRC32_R16_(n + 32), HL_CRC32_R16_(n + 48)

static const uint32_t hl_crc32_table[256] = {HL_CRC32_R64_(0u), HL_CRC32_R64_(64u),
                                             HL_CRC32_R64_(128u), HL_CRC32_R64_(192u)};

/* The CRC-32 of the data so far, extended by p[0..n): start with crc = 0
 * (the CRC of nothing); hl_crc32_update(hl_crc32_update(0, a), b) is the
 * CRC of a followed by b (the convention of zlib's crc32()). */
static inline uint32_t hl_crc32_update(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t c = ~crc;
    while (n--)
        c = hl_crc32_table[(c ^ *b++) & 0xffu] ^ (c >> 8);
    return ~c;
}

#endif
