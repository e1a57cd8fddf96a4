/* backend_table.c - backends.def expanded into hl_backend_rows, and the
 * look-ups every reader of the table shares (backend_table.h). */
#include "backend_table.h"

#include <stdio.h>
#include <string.h>

const hl_backend_row hl_backend_rows[HL_BACKEND_ROWS] = {
#define HL_BACKEND(name, kind, variant, library, packages, malloc_so, entry, entry_so, probe,   \
                   options, summary)                                                           \
    {#name, HL_KIND_##kind, #variant, library, packages, malloc_so, entry, entry_so, probe,     \
     options, summary},
#include "backends.def"
#undef HL_BACKEND
};

const hl_backend_row *hl_backend_row_find(const char *name)
{
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++)
        if (strcmp(hl_backend_rows[i].name, name) == 0)
            return &hl_backend_rows[i];
    return NULL;
}

const char *hl_backend_kind_name(hl_backend_kind kind)
{
    switch (kind) {
    case HL_KIND_PROCESS:
        return "process";
    case HL_KIND_REFERENCE:
        return "reference";
    case HL_KIND_WRAPPER:
        return "wrapper";
    case HL_KIND_DEBUG:
        return "debug";
    case HL_KIND_FAULT:
        return "fault";
    }
    return "?";
}

bool hl_backend_row_is_variant(const hl_backend_row *r)
{
    return r->kind == HL_KIND_PROCESS || r->kind == HL_KIND_REFERENCE;
}

bool hl_backend_row_is_ranked(const hl_backend_row *r)
{
    return r->kind != HL_KIND_DEBUG && r->kind != HL_KIND_FAULT;
}

const hl_backend_row *hl_backend_row_of_variant(const char *variant)
{
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++)
        if (hl_backend_row_is_variant(&hl_backend_rows[i]) &&
            strcmp(hl_backend_rows[i].variant, variant) == 0)
            return &hl_backend_rows[i];
    return NULL;
}

const hl_backend_row *hl_backend_row_variant_at(size_t i)
{
    for (size_t k = 0; k < HL_BACKEND_ROWS; k++)
        if (hl_backend_row_is_variant(&hl_backend_rows[k]) && i-- == 0)
            return &hl_backend_rows[k];
    return NULL;
}

bool hl_backend_row_takes_raw(const hl_backend_row *r)
{
    /* A word of the options column, not any substring. */
    for (const char *p = r->options; (p = strstr(p, "raw=NAME")) != NULL; p++)
        if ((p == r->options || p[-1] == ' ') && (p[8] == '\0' || p[8] == ' '))
            return true;
    return false;
}

/* The options-column word declaring key as an environment option: its
 * target ("MALLOC_CONF" or "MIMALLOC_*") into var; false when key is not one. */
static bool env_word(const hl_backend_row *r, const char *key, size_t keylen, char *var,
                     size_t varlen)
{
    for (const char *p = r->options; *p;) {
        size_t len = strcspn(p, " ");
        if (len > keylen + 2 && strncmp(p, key, keylen) == 0 && p[keylen] == '=' &&
            p[keylen + 1] == '$') {
            snprintf(var, varlen, "%.*s", (int)(len - keylen - 2), p + keylen + 2);
            return true;
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    return false;
}

static int env_add(hl_backend_env *out, const char *name, size_t namelen, const char *value,
                   char *err, size_t errlen)
{
    for (size_t i = 0; i < out->n; i++)
        if (strncmp(out->entries[i], name, namelen) == 0 && out->entries[i][namelen] == '=') {
            snprintf(err, errlen, "%.*s is set twice in one backend spec", (int)namelen, name);
            return -1;
        }
    if (out->n == HL_BACKEND_MAX_ENV) {
        snprintf(err, errlen, "more than %d environment options in one backend spec",
                 HL_BACKEND_MAX_ENV);
        return -1;
    }
    int w = snprintf(out->entries[out->n], sizeof out->entries[0], "%.*s=%s", (int)namelen, name,
                     value);
    if (w < 0 || (size_t)w >= sizeof out->entries[0]) {
        snprintf(err, errlen, "%.*s=...: the value is too long", (int)namelen, name);
        return -1;
    }
    out->n++;
    return 0;
}

/* One option (key=value, value possibly extended by continuation pieces). */
static int env_option(const hl_backend_row *r, const char *opt, hl_backend_env *out,
                      size_t *restlen, char *err, size_t errlen)
{
    const char *eq = strchr(opt, '=');
    char var[64];
    if (!eq || !env_word(r, opt, (size_t)(eq - opt), var, sizeof var)) {
        size_t len = strlen(opt);
        if (*restlen + len + 2 > sizeof out->rest) {
            snprintf(err, errlen, "%s: options are too long", r->name);
            return -1;
        }
        snprintf(out->rest + *restlen, sizeof out->rest - *restlen, "%s%s",
                 *restlen ? "," : "", opt);
        *restlen += len + (*restlen ? 1 : 0);
        return 0;
    }
    const char *value = eq + 1;
    size_t vl = strlen(var);
    if (vl == 0 || var[vl - 1] != '*')
        return env_add(out, var, vl, value, err, errlen);
    /* KEY=NAME=value, NAME in the family */
    const char *eq2 = strchr(value, '=');
    if (!eq2 || strncmp(value, var, vl - 1) != 0 || eq2 == value + vl - 1) {
        snprintf(err, errlen, "%s: %.*s=%s: write %.*s=%.*sNAME=VALUE", r->name,
                 (int)(eq - opt), opt, value, (int)(eq - opt), opt, (int)(vl - 1), var);
        return -1;
    }
    return env_add(out, value, (size_t)(eq2 - value), eq2 + 1, err, errlen);
}

bool hl_backend_row_has_own_options(const hl_backend_row *r)
{
    for (const char *p = r->options; *p;) {
        size_t len = strcspn(p, " ");
        const char *eq = memchr(p, '=', len);
        if (len > 0 && !(eq && eq + 1 < p + len && eq[1] == '$'))
            return true;
        p += len;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* The column word for key ("align=none|arena" for "align"), or NULL. */
static const char *option_word(const hl_backend_row *r, const char *key, size_t keylen,
                               size_t *wordlen)
{
    for (const char *p = r->options; *p;) {
        size_t len = strcspn(p, " ");
        if (len > keylen && strncmp(p, key, keylen) == 0 && p[keylen] == '=') {
            *wordlen = len;
            return p;
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    return NULL;
}

static bool value_fits(const char *spec, size_t speclen, const char *value)
{
    if (speclen == 4 && strncmp(spec, "NAME", 4) == 0)
        return value[0] != '\0'; /* raw=: the registry resolves it */
    if (speclen == 1 && spec[0] == 'N') {
        if (value[0] == '\0')
            return false;
        for (const char *v = value; *v; v++)
            if (*v < '0' || *v > '9')
                return false;
        return true;
    }
    for (const char *p = spec; p < spec + speclen;) {
        size_t len = strcspn(p, "|");
        if (len > (size_t)(spec + speclen - p))
            len = (size_t)(spec + speclen - p);
        if (strlen(value) == len && strncmp(p, value, len) == 0)
            return true;
        p += len + 1;
    }
    return false;
}

int hl_backend_check_own_options(const hl_backend_row *r, const char *options, char *err,
                                 size_t errlen)
{
    for (const char *p = options; *p;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        size_t wl;
        const char *word = eq ? option_word(r, p, (size_t)(eq - p), &wl) : NULL;
        if (!word || word[eq - p + 1] == '$') {
            snprintf(err, errlen, "backend '%s' has no option '%.*s'%s%s%s", r->name,
                     (int)(eq ? eq - p : (ptrdiff_t)len), p,
                     r->options[0] ? " (it takes " : " (it takes none)",
                     r->options[0] ? r->options : "", r->options[0] ? ")" : "");
            return -1;
        }
        char value[128];
        snprintf(value, sizeof value, "%.*s", (int)(p + len - eq - 1), eq + 1);
        const char *vs = word + (eq - p) + 1;
        if (!value_fits(vs, wl - (size_t)(eq - p) - 1, value)) {
            snprintf(err, errlen, "backend '%s': %.*s=%s: give %.*s", r->name, (int)(eq - p), p,
                     value, (int)wl, word);
            return -1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int hl_backend_env_split(const hl_backend_row *r, const char *options, hl_backend_env *out,
                         char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t restlen = 0;
    char opt[512] = "";
    for (const char *p = options; *p;) {
        size_t len = strcspn(p, ",");
        bool continues = opt[0] && memchr(p, '=', len) == NULL;
        size_t have = strlen(opt);
        if (!continues && opt[0]) {
            if (env_option(r, opt, out, &restlen, err, errlen) != 0)
                return -1;
            opt[0] = '\0';
            have = 0;
        }
        if (have + len + 2 > sizeof opt) {
            snprintf(err, errlen, "%s: option '%.40s...' is too long", r->name, p);
            return -1;
        }
        snprintf(opt + have, sizeof opt - have, "%s%.*s", continues ? "," : "", (int)len, p);
        p += len;
        if (*p == ',')
            p++;
    }
    return opt[0] ? env_option(r, opt, out, &restlen, err, errlen) : 0;
}

char *hl_backend_row_list(char *out, size_t outlen, const char *prefix,
                          bool (*pick)(const hl_backend_row *r))
{
    size_t len = 0;
    if (outlen == 0)
        return out;
    out[0] = '\0';
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++) {
        if (pick && !pick(&hl_backend_rows[i]))
            continue;
        int n = snprintf(out + len, outlen - len, "%s%s%s", len ? ", " : "", prefix,
                         hl_backend_rows[i].name);
        if (n < 0 || (size_t)n >= outlen - len)
            break; /* truncated: the caller's buffer decides how much shows */
        len += (size_t)n;
    }
    return out;
}
