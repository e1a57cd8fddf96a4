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

/* ---- options that set the process environment --------------------------------
 * An options-column word "KEY=$VAR" declares that KEY=value sets the
 * environment variable VAR to value; "KEY=$PREFIX*" that KEY=NAME=value
 * sets NAME (which must start with PREFIX) to value.  Such options tune an
 * allocator that reads its settings from the environment before main()
 * (glibc's ld.so reads GLIBC_TUNABLES, jemalloc MALLOC_CONF, mimalloc
 * MIMALLOC_*), so they cannot be applied by the backend's open: the driver
 * puts them in the environment of the process it starts, they are part of
 * the spec and so of the cell id, and the registry checks they arrived.
 *
 * Values may hold commas (MALLOC_CONF is itself a comma list): in an
 * options list, a piece without '=' continues the value of the option
 * before it ("conf=narenas:1,tcache:false" is one option). */
#define HL_BACKEND_MAX_ENV 8

typedef struct hl_backend_env {
    size_t n;
    char entries[HL_BACKEND_MAX_ENV][256]; /* "VAR=value" */
    char rest[256];                        /* the other options, comma separated */
} hl_backend_env;

/* Does the row take options its backend's open parses (words of the
 * options column that are not environment options)? */
bool hl_backend_row_has_own_options(const hl_backend_row *r);

/* Checks options the backend's open parses (the rest of
 * hl_backend_env_split) against the row's options column, so that the
 * driver refuses a bad spec before it plans anything: every key must be a
 * word of the column ("align=none|arena|unaligned"), and its value one of
 * the listed choices, or a whole number where the column says N.  The
 * backend's open still checks everything (ranges, combinations).  0, or -1
 * with one line in err. */
int hl_backend_check_own_options(const hl_backend_row *r, const char *options, char *err,
                                 size_t errlen);

/* Splits the options of a spec ("NAME:OPTIONS", or just OPTIONS when the
 * row is given) into the environment they set and the rest.  0, or -1 with
 * one line in err (a malformed or repeated variable, an entry too long). */
int hl_backend_env_split(const hl_backend_row *r, const char *options, hl_backend_env *out,
                         char *err, size_t errlen);

/* Writes the names of the rows that satisfy pick (NULL: every row) to out
 * as "a, b, c" (prefix before each name, e.g. "raw="); returns out. */
char *hl_backend_row_list(char *out, size_t outlen, const char *prefix,
                          bool (*pick)(const hl_backend_row *r));

#endif
