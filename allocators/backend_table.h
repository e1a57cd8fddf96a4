/* backend_table.h - the rows of backends.def as C data.
 *
 * Read by the registry of every cell (which backends this process hosts,
 * what its malloc must resolve to) and by the driver (routing a spec to a
 * variant, messages naming the package that is missing).  Data only: the
 * driver links it without linking any allocator.  See backends.def for what
 * every column means.
 */
#ifndef HL_BACKEND_TABLE_H
#define HL_BACKEND_TABLE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum hl_backend_kind {
    HL_KIND_PROCESS,   /* malloc of its own variant; hosts the wrappers */
    HL_KIND_REFERENCE, /* a variant of its own on glibc, hosting only itself */
    HL_KIND_WRAPPER,   /* runs on a raw allocator (raw=NAME) */
    HL_KIND_DEBUG,     /* a wrapper that checks every call, slow on purpose */
    HL_KIND_FAULT      /* a wrapper that breaks on purpose */
} hl_backend_kind;

typedef struct hl_backend_row {
    const char *name;
    hl_backend_kind kind;
    const char *variant;
    const char *library;
    const char *packages;
    const char *malloc_so;
    const char *entry;
    const char *entry_so;
    const char *probe;
    const char *options;
    const char *summary;
} hl_backend_row;

/* Compile-time counts: every row, and the rows that define a variant
 * (PROCESS and REFERENCE), so that per-variant arrays can be sized. */
#define HL_BACKEND_ROW_COUNT_(name, kind, ...) +1
#define HL_BACKEND_VARIANT_COUNT_PROCESS +1
#define HL_BACKEND_VARIANT_COUNT_REFERENCE +1
#define HL_BACKEND_VARIANT_COUNT_WRAPPER
#define HL_BACKEND_VARIANT_COUNT_DEBUG
#define HL_BACKEND_VARIANT_COUNT_FAULT
#define HL_BACKEND_VARIANT_COUNT_(name, kind, ...) HL_BACKEND_VARIANT_COUNT_##kind
enum {
#define HL_BACKEND HL_BACKEND_ROW_COUNT_
    HL_BACKEND_ROWS = 0
#include "backends.def"
    ,
#undef HL_BACKEND
#define HL_BACKEND HL_BACKEND_VARIANT_COUNT_
    HL_BACKEND_VARIANTS = 0
#include "backends.def"
#undef HL_BACKEND
};

/* Every row, in table order. */
extern const hl_backend_row hl_backend_rows[HL_BACKEND_ROWS];

/* The row of a backend by name, or NULL. */
const hl_backend_row *hl_backend_row_find(const char *name);

/* The row that defines variant (PROCESS or REFERENCE), or NULL. */
const hl_backend_row *hl_backend_row_of_variant(const char *variant);

/* The i-th variant in table order (i < HL_BACKEND_VARIANTS), or NULL. */
const hl_backend_row *hl_backend_row_variant_at(size_t i);

/* "process", "reference", "wrapper", "debug" or "fault". */
const char *hl_backend_kind_name(hl_backend_kind kind);

/* Does the row define a variant of its own? */
bool hl_backend_row_is_variant(const hl_backend_row *r);

/* Is the backend ranked against the others and counted in geometric means
 * (every row but DEBUG and FAULT)? */
bool hl_backend_row_is_ranked(const hl_backend_row *r);

/* Does the backend take raw=NAME (a "raw=NAME" in its options column)? */
bool hl_backend_row_takes_raw(const hl_backend_row *r);

/* Writes the names of the rows that satisfy pick (NULL: every row) to out
 * as "a, b, c" (prefix before each name, e.g. "raw="); returns out. */
char *hl_backend_row_list(char *out, size_t outlen, const char *prefix,
                          bool (*pick)(const hl_backend_row *r));

#endif
