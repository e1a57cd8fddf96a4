/* table.c - see table.h.  Widths are measured in bytes, except that UTF-8
 * continuation bytes are not counted, so "±" aligns like one column. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

static size_t display_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

int hl_table_init(hl_table *t, size_t ncols, const char *const *header)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->cap = 16;
    t->cells = calloc((t->cap + 1) * ncols, sizeof *t->cells);
    t->right = calloc(ncols, sizeof *t->right);
    if (!t->cells || !t->right)
        return -1;
    for (size_t c = 0; c < ncols; c++) {
        const char *h = header[c];
        if (h[0] == '>') {
            t->right[c] = true;
            h++;
        }
        t->cells[c] = strdup(h);
    }
    return 0;
}

int hl_table_add(hl_table *t, const char *const *row)
{
    if (t->nrows == t->cap) {
        size_t ncap = t->cap * 2;
        char **nc = realloc(t->cells, (ncap + 1) * t->ncols * sizeof *nc);
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap = ncap;
    }
    char **r = t->cells + (t->nrows + 1) * t->ncols;
    for (size_t c = 0; c < t->ncols; c++)
        r[c] = strdup(row[c] ? row[c] : "");
    t->nrows++;
    return 0;
}

void hl_csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void hl_table_print(const hl_table *t, FILE *out, hl_table_fmt fmt, const char *indent)
{
    size_t rows = t->nrows + 1;
    if (fmt == HL_TABLE_CSV) {
        for (size_t r = 0; r < rows; r++) {
            for (size_t c = 0; c < t->ncols; c++) {
                if (c)
                    fputc(',', out);
                hl_csv_field(out, t->cells[r * t->ncols + c]);
            }
            fputc('\n', out);
        }
        return;
    }
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t dw = display_width(t->cells[r * t->ncols + c]);
            if (dw > w[c])
                w[c] = dw;
        }
    for (size_t r = 0; r < rows; r++) {
        fputs(indent ? indent : "", out);
        if (fmt == HL_TABLE_MD)
            fputs("| ", out);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t pad = w[c] - display_width(s);
            bool last = c + 1 == t->ncols;
            if (t->right[c])
                fprintf(out, "%*s%s", (int)pad, "", s);
            else if (last && fmt == HL_TABLE_TEXT)
                fputs(s, out);
            else
                fprintf(out, "%s%*s", s, (int)pad, "");
            if (!last)
                fputs(fmt == HL_TABLE_MD ? " | " : "  ", out);
        }
        fputs(fmt == HL_TABLE_MD ? " |\n" : "\n", out);
        if (r == 0 && fmt == HL_TABLE_MD) {
            fputs(indent ? indent : "", out);
            fputs("|", out);
            for (size_t c = 0; c < t->ncols; c++) {
                fputc(' ', out);
                for (size_t i = 0; i + 1 < (w[c] ? w[c] : 1); i++)
                    fputc('-', out);
                fputc(t->right[c] ? ':' : '-', out);
                fputs(" |", out);
            }
            fputc('\n', out);
        }
    }
    free(w);
}

void hl_table_free(hl_table *t)
{
    if (t->cells)
        for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
            free(t->cells[i]);
    free(t->cells);
    free(t->right);
    memset(t, 0, sizeof *t);
}
