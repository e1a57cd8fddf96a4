/* cli_check.c - `heaplab check [--json]`: is this machine quiet enough to
 * time allocators on?  (noise.h)  Exit status 0 when nothing threatens time
 * measurements, 1 when something does (instruction counts are unaffected:
 * the advice says so where it matters). */
#include "cli.h"
#include "noise.h"

#include <stdio.h>
#include <string.h>

static const char *const check_usage =
    "usage: heaplab check [--json]\n"
    "\n"
    "Looks at what makes timings noisy on this machine: the CPU governor and boost,\n"
    "transparent huge pages, ASLR, the load average, other processes using the CPUs\n"
    "now, the CPU count, a cgroup CPU quota, a hypervisor; and, for 2 s, how much the\n"
    "time of the same work (a compute and a memory-bound kernel) changes between\n"
    "back-to-back 10 ms samples, which is noise that other tenants of a shared host\n"
    "cause and no kernel counter shows.  Exit status 1 when something threatens time\n"
    "measurements (every run also records these findings, with a 0.6 s probe, and its\n"
    "summary warns about them).\n";

int hl_cli_check(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(check_usage, stdout);
            return HL_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return hl_cli_usage_error("check", "unknown argument '%s': the only option is "
                                               "--json", argv[i]);
    }
    hl_noise n;
    hl_noise_check(&n, 2000);
    if (json) {
        hl_jw w;
        hl_jw_init(&w, stdout, true);
        hl_jw_obj_begin(&w, NULL);
        hl_noise_write(&w, "findings", &n);
        hl_jw_uint(&w, "warnings", hl_noise_warnings(&n));
        hl_jw_obj_end(&w);
        hl_jw_finish(&w);
        fputc('\n', stdout);
    } else {
        for (size_t i = 0; i < n.n; i++) {
            printf("%-5s %-22s %s\n", n.f[i].warn ? "WARN" : "ok", n.f[i].key, n.f[i].value);
            if (n.f[i].advice[0])
                printf("      %-22s %s\n", "", n.f[i].advice);
        }
        printf("%zu warning%s\n", hl_noise_warnings(&n), hl_noise_warnings(&n) == 1 ? "" : "s");
    }
    return hl_noise_warnings(&n) ? HL_EXIT_FAIL : HL_EXIT_OK;
}
