/* json.c - streaming JSON writer and tree-building reader (see json.h).
 *
 * The reader is a recursive-descent parser over a bounded buffer.  Every
 * read goes through peek()/next(), which check the end of input, so a
 * truncated or hostile document can only produce an error, never a read past
 * the buffer.  Recursion depth is capped (MAX_DEPTH) so nesting cannot
 * exhaust the stack.
 */
#include "json.h"

#include "fsutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
 * Writer
 * ====================================================================== */

void hl_jw_init(hl_jw *w, FILE *f, bool pretty)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->pretty = pretty;
    w->first[0] = true;
}

static void write_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void newline_indent(hl_jw *w)
{
    if (!w->pretty)
        return;
    fputc('\n', w->f);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->f);
}

/* Writes the separator and key that precede a value at the current level. */
static void begin_value(hl_jw *w, const char *key)
{
    if (w->depth == 0) {
        if (!w->first[0] || key != NULL)
            w->error = true; /* one top-level value, without a key */
        w->first[0] = false;
        return;
    }
    bool in_obj = w->kind[w->depth] == '{';
    if (in_obj != (key != NULL))
        w->error = true;
    if (!w->first[w->depth])
        fputc(',', w->f);
    w->first[w->depth] = false;
    newline_indent(w);
    if (key) {
        write_escaped(w->f, key);
        fputs(w->pretty ? ": " : ":", w->f);
    }
}

static void open_level(hl_jw *w, const char *key, char kind)
{
    begin_value(w, key);
    if (w->depth >= HL_JW_MAX_DEPTH) {
        w->error = true;
        return;
    }
    fputc(kind, w->f);
    w->depth++;
    w->kind[w->depth] = kind;
    w->first[w->depth] = true;
}

static void close_level(hl_jw *w, char kind)
{
    if (w->depth == 0 || w->kind[w->depth] != kind) {
        w->error = true;
        return;
    }
    bool empty = w->first[w->depth];
    w->depth--;
    if (!empty)
        newline_indent(w);
    fputc(kind == '{' ? '}' : ']', w->f);
}

void hl_jw_obj_begin(hl_jw *w, const char *key) { open_level(w, key, '{'); }
void hl_jw_obj_end(hl_jw *w) { close_level(w, '{'); }
void hl_jw_arr_begin(hl_jw *w, const char *key) { open_level(w, key, '['); }
void hl_jw_arr_end(hl_jw *w) { close_level(w, '['); }

void hl_jw_str(hl_jw *w, const char *key, const char *v)
{
    begin_value(w, key);
    if (v)
        write_escaped(w->f, v);
    else
        fputs("null", w->f);
}

void hl_jw_int(hl_jw *w, const char *key, int64_t v)
{
    begin_value(w, key);
    fprintf(w->f, "%lld", (long long)v);
}

void hl_jw_uint(hl_jw *w, const char *key, uint64_t v)
{
    begin_value(w, key);
    fprintf(w->f, "%llu", (unsigned long long)v);
}

void hl_jw_num(hl_jw *w, const char *key, double v)
{
    begin_value(w, key);
    if (!isfinite(v))
        fputs("null", w->f);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(w->f, "%.0f", v);
    else
        fprintf(w->f, "%.17g", v);
}

void hl_jw_bool(hl_jw *w, const char *key, bool v)
{
    begin_value(w, key);
    fputs(v ? "true" : "false", w->f);
}

void hl_jw_null(hl_jw *w, const char *key)
{
    begin_value(w, key);
    fputs("null", w->f);
}

void hl_jw_init_element(hl_jw *w, FILE *f, bool pretty, int depth)
{
    hl_jw_init(w, f, pretty);
    if (depth < 1 || depth > HL_JW_MAX_DEPTH) {
        w->error = true;
        return;
    }
    w->depth = depth;
    w->kind[depth] = '[';
    w->first[depth] = true;
}

void hl_jw_raw_element(hl_jw *w, const char *text)
{
    if (w->depth == 0 || w->kind[w->depth] != '[') {
        w->error = true;
        return;
    }
    if (!w->first[w->depth])
        fputc(',', w->f);
    w->first[w->depth] = false;
    fputs(text, w->f); /* begins with the newline and indent of begin_value */
}

void hl_jw_value(hl_jw *w, const char *key, const hl_json *v)
{
    switch (v->type) {
    case HL_JNULL: hl_jw_null(w, key); break;
    case HL_JBOOL: hl_jw_bool(w, key, v->boolean); break;
    case HL_JNUM: hl_jw_num(w, key, v->num); break;
    case HL_JSTR: hl_jw_str(w, key, v->str); break;
    case HL_JARR:
        hl_jw_arr_begin(w, key);
        for (size_t i = 0; i < v->len; i++)
            hl_jw_value(w, NULL, &v->items[i]);
        hl_jw_arr_end(w);
        break;
    case HL_JOBJ:
        hl_jw_obj_begin(w, key);
        for (size_t i = 0; i < v->len; i++)
            hl_jw_value(w, v->keys[i], &v->items[i]);
        hl_jw_obj_end(w);
        break;
    }
}

int hl_jw_finish(hl_jw *w)
{
    if (w->pretty)
        fputc('\n', w->f);
    if (fflush(w->f) != 0 || ferror(w->f))
        w->error = true;
    return (w->error || w->depth != 0 || w->first[0]) ? -1 : 0;
}

int hl_jw_file_begin(hl_atomic_file *af, hl_jw *w, const char *path, char *err, size_t errlen)
{
    if (hl_atomic_begin(af, path, err, errlen) != 0)
        return -1;
    hl_jw_init(w, af->f, true);
    return 0;
}

int hl_jw_file_commit(hl_atomic_file *af, hl_jw *w, bool sync, char *err, size_t errlen)
{
    if (hl_jw_finish(w) != 0) {
        snprintf(err, errlen, "cannot write %s", af->path);
        hl_atomic_abort(af);
        return -1;
    }
    return hl_atomic_commit(af, sync, err, errlen);
}

/* ======================================================================
 * Reader
 * ====================================================================== */

#define MAX_DEPTH 256
#define MAX_INPUT ((size_t)256 << 20)

typedef struct parser {
    const char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
} parser;

static void fail(parser *p, const char *what)
{
    if (p->failed)
        return;
    p->failed = true;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, what);
}

static int peek(parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_hex4(parser *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(peek(p));
        if (h < 0) {
            fail(p, "bad \\u escape: expected 4 hex digits");
            return false;
        }
        v = v * 16 + (unsigned)h;
        p->pos++;
    }
    *out = v;
    return true;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string starting at the opening quote; returns a malloc'd copy. */
static char *parse_string(parser *p)
{
    p->pos++; /* opening quote */
    /* Escapes only shrink the text, so the raw span bounds the output. */
    size_t start = p->pos, end = start;
    while (end < p->len && p->s[end] != '"') {
        if (p->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= p->len) {
        fail(p, "unterminated string");
        return NULL;
    }
    char *out = malloc(end - start + 1);
    if (!out) {
        fail(p, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (p->pos < p->len) {
        int c = peek(p);
        if (c == '"') {
            p->pos++;
            out[n] = '\0';
            return out;
        }
        if (c < 0x20) {
            fail(p, "control character in string");
            break;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        c = peek(p);
        p->pos++;
        switch (c) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(p, &cp))
                goto bad;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (!literal(p, "\\u") || !read_hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    fail(p, "bad surrogate pair in \\u escape");
                    goto bad;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail(p, "lone low surrogate in \\u escape");
                goto bad;
            }
            if (cp == 0) {
                fail(p, "\\u0000 is not supported in strings");
                goto bad;
            }
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            fail(p, "bad escape in string");
            goto bad;
        }
    }
bad:
    free(out);
    return NULL;
}

static bool parse_value(parser *p, hl_json *out, int depth);

static bool parse_number(parser *p, hl_json *out)
{
    size_t start = p->pos;
    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0') {
        p->pos++;
    } else if (peek(p) >= '1' && peek(p) <= '9') {
        while (peek(p) >= '0' && peek(p) <= '9')
            p->pos++;
    } else {
        fail(p, "bad number");
        return false;
    }
    if (peek(p) == '.') {
        p->pos++;
        if (!(peek(p) >= '0' && peek(p) <= '9')) {
            fail(p, "bad number: digit expected after '.'");
            return false;
        }
        while (peek(p) >= '0' && peek(p) <= '9')
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!(peek(p) >= '0' && peek(p) <= '9')) {
            fail(p, "bad number: digit expected in exponent");
            return false;
        }
        while (peek(p) >= '0' && peek(p) <= '9')
            p->pos++;
    }
    char buf[64];
    size_t n = p->pos - start;
    if (n >= sizeof buf) {
        fail(p, "number too long");
        return false;
    }
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    out->type = HL_JNUM;
    out->num = strtod(buf, NULL);
    return true;
}

static bool grow(parser *p, hl_json *out, size_t *cap, bool with_keys)
{
    if (out->len < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 4;
    hl_json *items = realloc(out->items, ncap * sizeof *items);
    if (!items) {
        fail(p, "out of memory");
        return false;
    }
    out->items = items;
    if (with_keys) {
        char **keys = realloc(out->keys, ncap * sizeof *keys);
        if (!keys) {
            fail(p, "out of memory");
            return false;
        }
        out->keys = keys;
    }
    *cap = ncap;
    return true;
}

static bool parse_array(parser *p, hl_json *out, int depth)
{
    out->type = HL_JARR;
    p->pos++;
    size_t cap = 0;
    skip_ws(p);
    if (peek(p) == ']') {
        p->pos++;
        return true;
    }
    for (;;) {
        if (!grow(p, out, &cap, false))
            return false;
        hl_json *item = &out->items[out->len];
        memset(item, 0, sizeof *item);
        out->len++;
        if (!parse_value(p, item, depth + 1))
            return false;
        skip_ws(p);
        int c = peek(p);
        p->pos++;
        if (c == ']')
            return true;
        if (c != ',') {
            p->pos--;
            fail(p, "expected ',' or ']' in array");
            return false;
        }
    }
}

static bool parse_object(parser *p, hl_json *out, int depth)
{
    out->type = HL_JOBJ;
    p->pos++;
    size_t cap = 0;
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (peek(p) != '"') {
            fail(p, "expected a string key in object");
            return false;
        }
        if (!grow(p, out, &cap, true))
            return false;
        char *key = parse_string(p);
        if (!key)
            return false;
        hl_json *item = &out->items[out->len];
        memset(item, 0, sizeof *item);
        out->keys[out->len] = key;
        out->len++;
        skip_ws(p);
        if (peek(p) != ':') {
            fail(p, "expected ':' after object key");
            return false;
        }
        p->pos++;
        if (!parse_value(p, item, depth + 1))
            return false;
        skip_ws(p);
        int c = peek(p);
        p->pos++;
        if (c == '}')
            return true;
        if (c != ',') {
            p->pos--;
            fail(p, "expected ',' or '}' in object");
            return false;
        }
    }
}

static bool parse_value(parser *p, hl_json *out, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(p, "nesting deeper than 256 levels");
        return false;
    }
    skip_ws(p);
    int c = peek(p);
    switch (c) {
    case '{': return parse_object(p, out, depth);
    case '[': return parse_array(p, out, depth);
    case '"':
        out->type = HL_JSTR;
        out->str = parse_string(p);
        return out->str != NULL;
    case 't':
        if (literal(p, "true")) {
            out->type = HL_JBOOL;
            out->boolean = true;
            return true;
        }
        break;
    case 'f':
        if (literal(p, "false")) {
            out->type = HL_JBOOL;
            return true;
        }
        break;
    case 'n':
        if (literal(p, "null")) {
            out->type = HL_JNULL;
            return true;
        }
        break;
    case -1:
        fail(p, "unexpected end of input");
        return false;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p, out);
    }
    fail(p, "unexpected character");
    return false;
}

static void free_tree(hl_json *j)
{
    if (j->type == HL_JSTR)
        free(j->str);
    if (j->type == HL_JARR || j->type == HL_JOBJ) {
        for (size_t i = 0; i < j->len; i++) {
            free_tree(&j->items[i]);
            if (j->type == HL_JOBJ)
                free(j->keys[i]);
        }
        free(j->items);
        free(j->keys);
    }
}

hl_json *hl_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    parser p = {.s = text, .len = len, .err = err, .errlen = errlen};
    if (len > MAX_INPUT) {
        snprintf(err, errlen, "document larger than 256 MiB");
        return NULL;
    }
    hl_json *root = calloc(1, sizeof *root);
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_value(&p, root, 0)) {
        skip_ws(&p);
        if (p.pos != p.len)
            fail(&p, "trailing characters after the document");
    }
    if (p.failed) {
        free_tree(root);
        free(root);
        return NULL;
    }
    return root;
}

hl_json *hl_json_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > MAX_INPUT + 1) {
                snprintf(err, errlen, "%s: larger than 256 MiB", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool io_error = ferror(f);
    fclose(f);
    if (io_error) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    char perr[200];
    hl_json *j = hl_json_parse(buf ? buf : "", len, perr, sizeof perr);
    free(buf);
    if (!j)
        snprintf(err, errlen, "%s: %s", path, perr);
    return j;
}

void hl_json_free(hl_json *j)
{
    if (!j)
        return;
    free_tree(j);
    free(j);
}

const hl_json *hl_json_get(const hl_json *obj, const char *key)
{
    if (!obj || obj->type != HL_JOBJ)
        return NULL;
    for (size_t i = obj->len; i-- > 0;)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

const hl_json *hl_json_at(const hl_json *arr, size_t i)
{
    if (!arr || arr->type != HL_JARR || i >= arr->len)
        return NULL;
    return &arr->items[i];
}

size_t hl_json_len(const hl_json *j)
{
    return j && (j->type == HL_JARR || j->type == HL_JOBJ) ? j->len : 0;
}

double hl_json_num(const hl_json *j, double dflt)
{
    return j && j->type == HL_JNUM ? j->num : dflt;
}

const char *hl_json_str(const hl_json *j, const char *dflt)
{
    return j && j->type == HL_JSTR ? j->str : dflt;
}

bool hl_json_bool(const hl_json *j, bool dflt)
{
    return j && j->type == HL_JBOOL ? j->boolean : dflt;
}

double hl_json_get_num(const hl_json *obj, const char *key, double dflt)
{
    return hl_json_num(hl_json_get(obj, key), dflt);
}

const char *hl_json_get_str(const hl_json *obj, const char *key, const char *dflt)
{
    return hl_json_str(hl_json_get(obj, key), dflt);
}
