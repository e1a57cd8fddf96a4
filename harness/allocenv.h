/* allocenv.h - the environment variables that tune an allocator, and the
 * clean environment a cell starts with.
 *
 * glibc reads GLIBC_TUNABLES and the MALLOC_*_ variables, jemalloc
 * MALLOC_CONF, mimalloc MIMALLOC_*, gperftools TCMALLOC_*, oneTBB TBB_*,
 * CPython PYTHONMALLOC*, and the dynamic linker LD_PRELOAD; each of them
 * changes what a cell measures (GLIBC_TUNABLES=glibc.malloc.tcache_count=0
 * takes glibc's pairs from 8.6 to 12-22 ns).  A cell inherits none of them
 * from the user's shell: the driver removes them all from the environment it
 * gives a cell and adds back only what the cell's backend spec asks for, so
 * that every setting is part of the cell's identity and recorded.  The ones
 * the user had set are reported once, with a warning, and recorded in the
 * run's fingerprint.
 *
 * Sources: glibc manual, "Memory Allocation Tunables" and "Environment
 * Variables"; jemalloc(3) "TUNING"; mimalloc docs "Environment Options";
 * gperftools docs/tcmalloc.html "Runtime Tweaks"; oneTBB docs "Memory
 * Allocator Environment Variables"; Python docs "PYTHONMALLOC".
 */
#ifndef HL_ALLOCENV_H
#define HL_ALLOCENV_H

#include <stdbool.h>
#include <stddef.h>

/* Does the "NAME" or "NAME=value" entry tune an allocator? */
bool hl_allocenv_is_tuning(const char *entry);

/* The entries of environ that tune an allocator, "NAME=value" each, in
 * environ's order; returns how many (at most max). */
size_t hl_allocenv_set(const char **out, size_t max);

/* A NULL-terminated environment: environ without the tuning entries, plus
 * `extra` (NULL-terminated "NAME=value" list, may be NULL).  The array is
 * malloc'd (the strings are environ's and extra's); free it with free().
 * NULL when out of memory. */
char **hl_allocenv_clean(char *const *extra);

#endif
