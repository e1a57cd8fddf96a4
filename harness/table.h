/* table.h - a small table printer shared by show, compare and the summary:
 * aligned text, GitHub markdown, or RFC 4180 CSV from the same rows.
 */
#ifndef HL_TABLE_H
#define HL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum hl_table_fmt { HL_TABLE_TEXT, HL_TABLE_MD, HL_TABLE_CSV } hl_table_fmt;

typedef struct hl_table {
    size_t ncols;
    size_t nrows, cap;       /* rows after the header */
    char **cells;            /* (nrows + 1) * ncols, header first; owned */
    bool *right;             /* per column: right-align in text (numbers) */
} hl_table;

/* Header names; a name starting with '>' is right-aligned (the '>' is dropped). */
int hl_table_init(hl_table *t, size_t ncols, const char *const *header);
/* Appends a row of ncols strings (copied; NULL = ""). */
int hl_table_add(hl_table *t, const char *const *row);
void hl_table_print(const hl_table *t, FILE *out, hl_table_fmt fmt, const char *indent);
void hl_table_free(hl_table *t);

/* CSV field quoting (RFC 4180) of s to out. */
void hl_csv_field(FILE *out, const char *s);

#endif
