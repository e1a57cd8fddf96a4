/* jread.h - typed, validating reads of JSON documents the harness wrote.
 *
 * Every file heaplab reads back (results.json, plan.json) has a documented
 * schema (docs/results-format.md).  A field that is missing, of the wrong
 * type or out of range is never defaulted in silence: the first such field
 * ends the load with one line naming the file, the field's path and what
 * was expected, e.g.
 *
 *     results.json: cells[3].reps[1].rep: 0.5 is not an integer from 0 to 2
 *
 * Usage: keep one hl_jread per document; call the readers in order; each
 * returns false once anything has failed, so a loader can chain them and
 * check r.failed (or any return value) at the end of a section.
 */
#ifndef HL_JREAD_H
#define HL_JREAD_H

#include "json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hl_jread {
    const char *file;  /* name used in messages */
    char *err;
    size_t errlen;
    bool failed;
} hl_jread;

void hl_jread_init(hl_jread *r, const char *file, char *err, size_t errlen);

/* Records a failure "FILE: PATH: message" (the first one only); returns
 * false. */
bool hl_jread_fail(hl_jread *r, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The field `key` of object obj (path names obj in messages, "" for the
 * top level).  Optional fields that are absent leave *out untouched and
 * return true; a field present with the wrong type or value fails. */
bool hl_jread_str(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                  bool required, bool nullable, char *out, size_t outlen);
bool hl_jread_int(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                  bool required, int64_t lo, int64_t hi, int64_t *out);
bool hl_jread_uint(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                   bool required, uint64_t hi, uint64_t *out);
/* A finite number in [lo, hi]; null (when nullable) gives NAN. */
bool hl_jread_num(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                  bool required, bool nullable, double lo, double hi, double *out);
bool hl_jread_bool(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                   bool required, bool *out);
/* An object or array field; NULL when absent (and optional) or on failure. */
const hl_json *hl_jread_obj(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                            bool required);
const hl_json *hl_jread_arr(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                            bool required);

/* The document's header: "format" is `format` and "format_version" is
 * `version` (what this heaplab reads), else one line naming what the file
 * says, what was expected and `what` the file should have been.  When
 * format_optional, a document without "format" passes (plan.json files
 * written before the re-cut had none).  Every loader checks its header
 * this way, first. */
bool hl_jread_header(hl_jread *r, const hl_json *doc, const char *format, int version,
                     const char *what, bool format_optional);

/* "cells[3]" style sub-paths. */
void hl_jread_path(char *out, size_t outlen, const char *path, const char *key, long index);

#endif
