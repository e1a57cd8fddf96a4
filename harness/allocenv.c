/* allocenv.c - see allocenv.h. */
#include "allocenv.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

/* Exact names, and prefixes (ending in '_' or naming a family). */
static const char *const exact[] = {
    "GLIBC_TUNABLES", "MALLOC_CONF", "LD_PRELOAD", "PYTHONMALLOC", "PYTHONMALLOCSTATS",
    "MALLOC_ARENA_MAX", "MALLOC_ARENA_TEST", "MALLOC_CHECK_", "MALLOC_MMAP_MAX_",
    "MALLOC_MMAP_THRESHOLD_", "MALLOC_PERTURB_", "MALLOC_TOP_PAD_", "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_TCACHE_COUNT", "MALLOC_TCACHE_MAX",
};
static const char *const prefixes[] = {"MIMALLOC_", "TCMALLOC_", "TBB_MALLOC_", "JE_MALLOC_"};

bool hl_allocenv_is_tuning(const char *entry)
{
    size_t len = strcspn(entry, "=");
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strlen(exact[i]) == len && strncmp(entry, exact[i], len) == 0)
            return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

size_t hl_allocenv_set(const char **out, size_t max)
{
    size_t n = 0;
    for (char **e = environ; e && *e && n < max; e++)
        if (hl_allocenv_is_tuning(*e))
            out[n++] = *e;
    return n;
}

char **hl_allocenv_clean(char *const *extra)
{
    size_t n = 0, ne = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    while (extra && extra[ne])
        ne++;
    char **out = malloc((n + ne + 1) * sizeof *out);
    if (!out)
        return NULL;
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (!hl_allocenv_is_tuning(*e))
            out[k++] = *e;
    for (size_t i = 0; i < ne; i++)
        out[k++] = extra[i];
    out[k] = NULL;
    return out;
}
