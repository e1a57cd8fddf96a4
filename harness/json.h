/* json.h - the JSON writer and reader the harness uses for every file it
 * writes or reads (cell results, result sets, Google Benchmark output).
 *
 * Writer: a streaming writer with an explicit nesting stack; keys are given
 * with each value and must be NULL inside arrays and at the top level.
 *
 *     hl_jw w; hl_jw_init(&w, f, true);
 *     hl_jw_obj_begin(&w, NULL);
 *       hl_jw_str(&w, "backend", "pool");
 *       hl_jw_arr_begin(&w, "ns_per_op");  hl_jw_num(&w, NULL, 12.5);  hl_jw_arr_end(&w);
 *     hl_jw_obj_end(&w);
 *     if (hl_jw_finish(&w) != 0) ... nesting error or I/O error
 *
 * Non-finite numbers are written as null (JSON has no NaN).
 *
 * Reader: parses a whole document into a tree (RFC 8259; depth limited to
 * 256, input limited to 256 MiB).  Errors give "line L, column C: what".
 * Lookups on a missing key or a wrong type return NULL / the default, so
 * callers can chain them without checks and validate once.
 */
#ifndef HL_JSON_H
#define HL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- writer ---------------------------------------------------------- */

#define HL_JW_MAX_DEPTH 64

typedef struct hl_jw {
    FILE *f;
    bool pretty;
    int depth;
    bool error;                       /* misuse or I/O error seen */
    bool first[HL_JW_MAX_DEPTH + 1];  /* no value written yet at this depth */
    char kind[HL_JW_MAX_DEPTH + 1];   /* '{' or '[' per open level */
} hl_jw;

void hl_jw_init(hl_jw *w, FILE *f, bool pretty);
void hl_jw_obj_begin(hl_jw *w, const char *key);
void hl_jw_obj_end(hl_jw *w);
void hl_jw_arr_begin(hl_jw *w, const char *key);
void hl_jw_arr_end(hl_jw *w);
void hl_jw_str(hl_jw *w, const char *key, const char *v); /* NULL -> null */
void hl_jw_int(hl_jw *w, const char *key, int64_t v);
void hl_jw_uint(hl_jw *w, const char *key, uint64_t v);
void hl_jw_num(hl_jw *w, const char *key, double v);
void hl_jw_bool(hl_jw *w, const char *key, bool v);
void hl_jw_null(hl_jw *w, const char *key);
/* A parsed value written back whole (a document carried from one file into
 * another). */
struct hl_json;
void hl_jw_value(hl_jw *w, const char *key, const struct hl_json *v);
/* An array element rendered ahead of time, for documents that repeat large
 * unchanging parts (results.c caches each finished repetition's record):
 * hl_jw_init_element makes a writer whose output is one element of an array
 * open at `depth` of another writer; hl_jw_raw_element writes such text,
 * verbatim, as the next element of w's innermost array, which must be at the
 * same depth.  The document is byte for byte what writing the element
 * directly gives. */
void hl_jw_init_element(hl_jw *w, FILE *f, bool pretty, int depth);
void hl_jw_raw_element(hl_jw *w, const char *text);
/* 0 when every level was closed and no error occurred; flushes f. */
int hl_jw_finish(hl_jw *w);

/* A JSON document written atomically (fsutil.h: a temporary file renamed
 * into place): begin opens the file and a pretty writer on it; commit
 * checks the document is complete and well-formed, else abandons the file,
 * and renames it (fsync first when sync).  Both: 0, or -1 with one line in
 * err. */
struct hl_atomic_file;
int hl_jw_file_begin(struct hl_atomic_file *af, hl_jw *w, const char *path, char *err,
                     size_t errlen);
int hl_jw_file_commit(struct hl_atomic_file *af, hl_jw *w, bool sync, char *err, size_t errlen);

/* ---- reader ---------------------------------------------------------- */

typedef enum hl_jtype {
    HL_JNULL,
    HL_JBOOL,
    HL_JNUM,
    HL_JSTR,
    HL_JARR,
    HL_JOBJ
} hl_jtype;

typedef struct hl_json hl_json;
struct hl_json {
    hl_jtype type;
    bool boolean;
    double num;
    char *str;      /* HL_JSTR: NUL-terminated (embedded NULs rejected) */
    size_t len;     /* HL_JARR/HL_JOBJ: number of items */
    hl_json *items; /* HL_JARR/HL_JOBJ: the values */
    char **keys;    /* HL_JOBJ: the keys, parallel to items */
};

hl_json *hl_json_parse(const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a file; errors start with the path. */
hl_json *hl_json_parse_file(const char *path, char *err, size_t errlen);
void hl_json_free(hl_json *j);

/* Value of key in an object (last one wins), or NULL. */
const hl_json *hl_json_get(const hl_json *obj, const char *key);
/* Item i of an array, or NULL. */
const hl_json *hl_json_at(const hl_json *arr, size_t i);
/* Number of items of an array or object; 0 otherwise. */
size_t hl_json_len(const hl_json *j);

double hl_json_num(const hl_json *j, double dflt);
const char *hl_json_str(const hl_json *j, const char *dflt);
bool hl_json_bool(const hl_json *j, bool dflt);

/* Convenience: hl_json_num(hl_json_get(obj, key), dflt) etc. */
double hl_json_get_num(const hl_json *obj, const char *key, double dflt);
const char *hl_json_get_str(const hl_json *obj, const char *key, const char *dflt);

#endif
