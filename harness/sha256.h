/* sha256.h - SHA-256 (FIPS 180-4), for identifying the inputs a result
 * depends on (trace files, preloaded allocator libraries, command binaries)
 * by content rather than by path or date.
 */
#ifndef HL_SHA256_H
#define HL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct hl_sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t block[64];
    size_t used;
} hl_sha256;

void hl_sha256_init(hl_sha256 *s);
void hl_sha256_update(hl_sha256 *s, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits and a NUL. */
void hl_sha256_hex(hl_sha256 *s, char out[65]);

/* The digest of a whole regular file and its size; 0, or -1 with one
 * line in err (missing, not a regular file, unreadable). */
int hl_sha256_file(const char *path, char out[65], uint64_t *size, char *err, size_t errlen);

#endif
