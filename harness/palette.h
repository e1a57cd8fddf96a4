/* palette.h - one colour and one point shape per backend name, the same in
 * every chart of every run.
 *
 * A reader learns "pool is blue" from the first chart and should never have
 * to relearn it, so a colour belongs to the backend's name, not to its
 * position in a result set.  The known backends get fixed colours from the
 * colour-blind-safe palette of Okabe & Ito ("Color Universal Design",
 * 2008, https://jfly.uni-koeln.de/color/), plus a neutral grey for the
 * debug backend:
 *
 *     pool      #0072B2  blue             cpython   #D55E00  vermillion
 *     system    #000000  black            mimalloc  #009E73  bluish green
 *     jemalloc  #E69F00  orange           tcmalloc  #CC79A7  reddish purple
 *     guard     #999999  grey (debug)     faulty    #56B4E9  sky blue
 *     tbbmalloc #882255  wine (Paul Tol's muted scheme: Okabe & Ito has eight)
 *
 * Any other spec (an unknown name, or a known one with options such as
 * "pool:raw=jemalloc", which must not look like plain "pool") gets one of
 * the nine colours of Paul Tol's "muted" scheme (Tol, "Colour Schemes",
 * SRON/EPS/TN/09-002, https://personal.sron.nl/~pault/), chosen by an
 * FNV-1a hash of the spec: stable across runs and machines, though two
 * such specs may share a colour.  Point shapes (gnuplot point types) follow
 * the same rule, so lines stay apart without colour too.
 */
#ifndef HL_PALETTE_H
#define HL_PALETTE_H

#include <stdbool.h>

typedef struct hl_palette_entry {
    char colour[8];  /* "#RRGGBB" */
    int point;       /* gnuplot point type */
    bool known;      /* from the fixed table, not the hash */
} hl_palette_entry;

/* The colour and point of a backend spec ("pool", "pool:raw=jemalloc"). */
hl_palette_entry hl_palette_for(const char *backend_spec);

#endif
