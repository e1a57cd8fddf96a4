/* callgrind.c - see callgrind.h. */
#include "callgrind.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads one dump file: whether it is `want`'s, and its count. */
static bool read_dump(const char *path, const char *want, uint64_t *ir)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[1024];
    bool ours = false, have_totals = false, have_summary = false;
    uint64_t summary = 0, totals = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, want) == 0) {
            ours = true;
        } else if (strncmp(line, "totals:", 7) == 0) {
            totals = strtoull(line + 7, NULL, 10);
            have_totals = true;
        } else if (strncmp(line, "summary:", 8) == 0) {
            summary = strtoull(line + 8, NULL, 10);
            have_summary = true;
        }
    }
    fclose(f);
    if (!ours || !(have_totals || have_summary))
        return false;
    *ir = have_totals && totals ? totals : summary;
    return true;
}

int hl_callgrind_read(const char *base, const char *trigger, uint64_t *ir, char *path,
                      size_t pathlen, char *err, size_t errlen)
{
    char want[160];
    if (trigger)
        snprintf(want, sizeof want, "desc: Trigger: Client Request: %s", trigger);
    else
        snprintf(want, sizeof want, "desc: Trigger: Program termination");
    for (int part = trigger ? 1 : 65; part <= 65; part++) {
        if (part == 65)
            snprintf(path, pathlen, "%s", base);
        else
            snprintf(path, pathlen, "%s.%d", base, part);
        if (read_dump(path, want, ir))
            return 0;
    }
    snprintf(err, errlen,
             "found no callgrind dump '%s' in %s or %s.N: run under valgrind --tool=callgrind "
             "--callgrind-out-file=%s (without %%p) and pass the same path",
             trigger ? trigger : "Program termination", base, base, base);
    return -1;
}
