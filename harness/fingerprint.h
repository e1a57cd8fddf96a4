/* fingerprint.h - what decides a result set's numbers besides the code
 * being measured, so that `heaplab compare` can say what differs between
 * two sets before it shows a single number.
 *
 * A fingerprint is a flat list of (key, value) facts: the machine (CPU
 * model, a hash of its feature flags, CPU count, memory, host), the system
 * (kernel, glibc, transparent huge pages, CPU governor and boost, ASLR,
 * cgroup limits), the build (compiler, flags, build type, commit and dirty
 * flag, Google Benchmark), the allocators (every backend's version), the
 * inputs (the trace's SHA-256) and the allocator-tuning environment the
 * user had set (allocenv.h).  Facts marked `machine` identify the hardware:
 * when one of them differs, absolute times do not compare and only ratios
 * between backends do (`compare --normalize`).
 *
 * The driver collects it once per run into metadata.fingerprint; result
 * sets written before it existed get theirs rebuilt from the older
 * metadata fields.
 */
#ifndef HL_FINGERPRINT_H
#define HL_FINGERPRINT_H

#include "catalog.h"
#include "json.h"
#include "plan.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_FP_MAX 96

typedef struct hl_fp_item {
    char key[64];
    char value[200];
    bool machine; /* identifies the hardware or the host */
} hl_fp_item;

typedef struct hl_fingerprint {
    size_t n;
    hl_fp_item items[HL_FP_MAX];
} hl_fingerprint;

/* This machine, this build, the cells' backends, the plan's inputs. */
void hl_fingerprint_collect(hl_fingerprint *fp, const hl_catalog *cat, const hl_plan *plan);

/* As metadata.fingerprint: {"key": "value", ...} plus "machine_keys". */
void hl_fingerprint_write(hl_jw *w, const char *key, const hl_fingerprint *fp);

/* From a result set's metadata (and its plan, for the trace hash). */
void hl_fingerprint_read(const hl_json *metadata, const hl_plan *plan, hl_fingerprint *fp);

/* The value of key, or NULL. */
const char *hl_fingerprint_get(const hl_fingerprint *fp, const char *key);

#endif
