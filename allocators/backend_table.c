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
