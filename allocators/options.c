/* options.c - the key=value option lists of the wrapping backends.
 * See hl_backends_parse_options in backends.h. */
#include "backends.h"

#include <stdio.h>
#include <string.h>

int hl_backends_parse_options(const char *owner, const char *options,
                              int (*fn)(const char *key, const char *value, void *arg, char *err,
                                        size_t errlen),
                              void *arg, char *err, size_t errlen)
{
    const char *p = options;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        char pair[128];
        if (len >= sizeof pair) {
            snprintf(err, errlen, "%s: option '%.*s...' is too long", owner, 40, p);
            return -1;
        }
        memcpy(pair, p, len);
        pair[len] = '\0';
        char *eq = strchr(pair, '=');
        if (eq == NULL || eq == pair) {
            snprintf(err, errlen, "%s: option '%s' is not KEY=VALUE (e.g. raw=system)", owner,
                     pair);
            return -1;
        }
        *eq = '\0';
        if (fn(pair, eq + 1, arg, err, errlen) != 0)
            return -1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}
