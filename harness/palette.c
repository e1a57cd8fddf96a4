/* palette.c - the backend colour table (see palette.h for the choice). */
#include "palette.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct named {
    const char *name;
    const char *colour;
    int point;
} named;

/* Filled shapes for the known backends (gnuplot: 5 square, 7 circle, 9
 * triangle, 11 inverted triangle, 13 diamond, 15 pentagon), plain marks
 * for the debug and fault-injection ones. */
static const named table[] = {
    {"pool", "#0072B2", 7},     {"cpython", "#D55E00", 5},  {"system", "#000000", 9},
    {"mimalloc", "#009E73", 11}, {"jemalloc", "#E69F00", 13}, {"tcmalloc", "#CC79A7", 15},
    {"guard", "#999999", 1},    {"faulty", "#56B4E9", 2},    {"tbbmalloc", "#882255", 4},
};

/* Paul Tol's muted scheme, in his order. */
static const char *const muted[] = {"#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE",
                                    "#882255", "#44AA99", "#999933", "#AA4499"};
/* Open shapes for unknown specs: 4 square, 6 circle, 8 triangle, 10
 * inverted triangle, 12 diamond, 14 pentagon. */
static const int open_points[] = {4, 6, 8, 10, 12, 14};

/* FNV-1a, 32 bit (Fowler, Noll, Vo; IETF draft-eastlake-fnv). */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

hl_palette_entry hl_palette_for(const char *spec)
{
    hl_palette_entry e = {"", 0, false};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(spec, table[i].name) == 0) {
            snprintf(e.colour, sizeof e.colour, "%s", table[i].colour);
            e.point = table[i].point;
            e.known = true;
            return e;
        }
    }
    uint32_t h = fnv1a(spec);
    snprintf(e.colour, sizeof e.colour, "%s", muted[h % (sizeof muted / sizeof muted[0])]);
    e.point = open_points[(h / 9u) % (sizeof open_points / sizeof open_points[0])];
    return e;
}
