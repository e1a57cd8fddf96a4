/* jread.c - see jread.h. */
#include "jread.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hl_jread_init(hl_jread *r, const char *file, char *err, size_t errlen)
{
    r->file = file;
    r->err = err;
    r->errlen = errlen;
    r->failed = false;
}

bool hl_jread_fail(hl_jread *r, const char *path, const char *fmt, ...)
{
    if (r->failed)
        return false;
    r->failed = true;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s: %s%s%s", r->file, path, path[0] ? ": " : "", what);
    /* One line, whatever the file held: a quoted key or value may contain
     * an escaped newline or other control character. */
    for (char *c = r->err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return false;
}

void hl_jread_path(char *out, size_t outlen, const char *path, const char *key, long index)
{
    const char *dot = path[0] && key ? "." : "";
    if (index >= 0)
        snprintf(out, outlen, "%s%s%s[%ld]", path, dot, key ? key : "", index);
    else
        snprintf(out, outlen, "%s%s%s", path, dot, key ? key : "");
}

static const char *type_name(hl_jtype t)
{
    switch (t) {
    case HL_JNULL: return "null";
    case HL_JBOOL: return "a boolean";
    case HL_JNUM: return "a number";
    case HL_JSTR: return "a string";
    case HL_JARR: return "an array";
    case HL_JOBJ: return "an object";
    }
    return "?";
}

/* The field, or NULL: absent (fails when required) or r already failed. */
static const hl_json *field(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                            bool required, char *fpath, size_t fpathlen)
{
    hl_jread_path(fpath, fpathlen, path, key, -1);
    if (r->failed)
        return NULL;
    const hl_json *v = obj && obj->type == HL_JOBJ ? hl_json_get(obj, key) : NULL;
    if (v == NULL && required)
        hl_jread_fail(r, fpath, "missing");
    return v;
}

bool hl_jread_str(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                  bool required, bool nullable, char *out, size_t outlen)
{
    char fp[512];
    const hl_json *v = field(r, obj, path, key, required, fp, sizeof fp);
    if (v == NULL)
        return !r->failed;
    if (v->type == HL_JNULL && nullable) {
        out[0] = '\0';
        return true;
    }
    if (v->type != HL_JSTR)
        return hl_jread_fail(r, fp, "%s where a string%s belongs", type_name(v->type),
                             nullable ? " or null" : "");
    if (strlen(v->str) >= outlen)
        return hl_jread_fail(r, fp, "a string of %zu bytes, longer than the %zu allowed",
                             strlen(v->str), outlen - 1);
    memcpy(out, v->str, strlen(v->str) + 1);
    return true;
}

/* An integer-valued number in [lo, hi] (as doubles). */
static bool integral(hl_jread *r, const hl_json *v, const char *fp, double lo, double hi,
                     double *out)
{
    if (v->type != HL_JNUM)
        return hl_jread_fail(r, fp, "%s where an integer belongs", type_name(v->type));
    if (!(v->num == floor(v->num)) || v->num < lo || v->num > hi)
        return hl_jread_fail(r, fp, "%.17g is not an integer from %.17g to %.17g", v->num, lo,
                             hi);
    *out = v->num;
    return true;
}

bool hl_jread_int(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                  bool required, int64_t lo, int64_t hi, int64_t *out)
{
    char fp[512];
    const hl_json *v = field(r, obj, path, key, required, fp, sizeof fp);
    double d = 0;
    if (v == NULL)
        return !r->failed;
    if (!integral(r, v, fp, (double)lo, (double)hi, &d))
        return false;
    *out = (int64_t)d;
    return true;
}

bool hl_jread_uint(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                   bool required, uint64_t hi, uint64_t *out)
{
    char fp[512];
    const hl_json *v = field(r, obj, path, key, required, fp, sizeof fp);
    double d = 0;
    if (v == NULL)
        return !r->failed;
    if (!integral(r, v, fp, 0, (double)hi, &d))
        return false;
    *out = (uint64_t)d;
    return true;
}

bool hl_jread_num(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                  bool required, bool nullable, double lo, double hi, double *out)
{
    char fp[512];
    const hl_json *v = field(r, obj, path, key, required, fp, sizeof fp);
    if (v == NULL)
        return !r->failed;
    if (v->type == HL_JNULL && nullable) {
        *out = NAN;
        return true;
    }
    if (v->type != HL_JNUM)
        return hl_jread_fail(r, fp, "%s where a number%s belongs", type_name(v->type),
                             nullable ? " or null" : "");
    if (!isfinite(v->num) || v->num < lo || v->num > hi)
        return hl_jread_fail(r, fp, "%.17g is out of range: give a number from %g to %g", v->num,
                             lo, hi);
    *out = v->num;
    return true;
}

bool hl_jread_bool(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                   bool required, bool *out)
{
    char fp[512];
    const hl_json *v = field(r, obj, path, key, required, fp, sizeof fp);
    if (v == NULL)
        return !r->failed;
    if (v->type != HL_JBOOL)
        return hl_jread_fail(r, fp, "%s where true or false belongs", type_name(v->type));
    *out = v->boolean;
    return true;
}

static const hl_json *container(hl_jread *r, const hl_json *obj, const char *path,
                                const char *key, bool required, hl_jtype want)
{
    char fp[512];
    const hl_json *v = field(r, obj, path, key, required, fp, sizeof fp);
    if (v == NULL)
        return NULL;
    if (v->type != want) {
        hl_jread_fail(r, fp, "%s where %s belongs", type_name(v->type), type_name(want));
        return NULL;
    }
    return v;
}

const hl_json *hl_jread_obj(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                            bool required)
{
    return container(r, obj, path, key, required, HL_JOBJ);
}

const hl_json *hl_jread_arr(hl_jread *r, const hl_json *obj, const char *path, const char *key,
                            bool required)
{
    return container(r, obj, path, key, required, HL_JARR);
}

bool hl_jread_header(hl_jread *r, const hl_json *doc, const char *format, int version,
                     const char *what, bool format_optional)
{
    char got[64] = "";
    int64_t v = -1;
    if (doc == NULL || doc->type != HL_JOBJ)
        return hl_jread_fail(r, "", "not a JSON object: not %s", what);
    if (format_optional && hl_json_get(doc, "format") == NULL)
        snprintf(got, sizeof got, "%s", format);
    else if (!hl_jread_str(r, doc, "", "format", true, false, got, sizeof got))
        return false;
    if (strcmp(got, format) != 0)
        return hl_jread_fail(r, "format", "'%s' where \"%s\" belongs: not %s", got, format,
                             what);
    if (!hl_jread_int(r, doc, "", "format_version", true, 0, 1000, &v))
        return false;
    if (v != version)
        return hl_jread_fail(r, "format_version", "%lld: this heaplab reads %s version %d",
                             (long long)v, format, version);
    return true;
}
