/* metadata.c - collect run metadata; see metadata.h.
 *
 * Build facts come from compile definitions set by harness/driver.cmake
 * (HL_C_COMPILER, HL_C_FLAGS, HL_BUILD_TYPE, HL_GIT_COMMIT, HL_VERSION);
 * machine facts from /proc and /sys, read best-effort: a missing file
 * gives null, never an error.
 */
#include "metadata.h"

#include "route.h"

#include <gnu/libc-version.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef HL_C_COMPILER
#define HL_C_COMPILER "unknown"
#endif
#ifndef HL_C_FLAGS
#define HL_C_FLAGS ""
#endif
#ifndef HL_BUILD_TYPE
#define HL_BUILD_TYPE "unknown"
#endif
#ifndef HL_GIT_COMMIT
#define HL_GIT_COMMIT "unknown"
#endif
#ifndef HL_VERSION
#define HL_VERSION "unknown"
#endif

void hl_metadata_now_iso(char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

void hl_metadata_loadavg(double avg[3])
{
    if (getloadavg(avg, 3) != 3)
        avg[0] = avg[1] = avg[2] = NAN;
}

/* Value after "key<spaces>:" in a /proc file, first match, into out. */
static bool proc_field(const char *path, const char *key, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    size_t klen = strlen(key);
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *p = line + klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ':')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        p[strcspn(p, "\n")] = '\0';
        snprintf(out, outlen, "%s", p);
        found = true;
        break;
    }
    fclose(f);
    return found;
}

static bool first_line_of(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(out, (int)outlen, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok;
}

static void str_or_null(hl_jw *w, const char *key, bool have, const char *v)
{
    if (have)
        hl_jw_str(w, key, v);
    else
        hl_jw_null(w, key);
}

void hl_metadata_write(hl_jw *w, const hl_catalog *cat, int argc, char **argv)
{
    char buf[512], now[40];
    hl_metadata_now_iso(now, sizeof now);
    hl_jw_str(w, "heaplab_version", HL_VERSION);
    hl_jw_str(w, "date", now);

    /* command line, space-joined; arguments with spaces are quoted */
    size_t cap = 64;
    for (int i = 0; i < argc; i++)
        cap += strlen(argv[i]) + 3;
    char *cmd = malloc(cap);
    if (cmd) {
        size_t used = 0;
        for (int i = 0; i < argc; i++) {
            bool q = strpbrk(argv[i], " \t'\"") != NULL || argv[i][0] == '\0';
            used += (size_t)snprintf(cmd + used, cap - used, "%s%s%s%s", i ? " " : "",
                                     q ? "'" : "", argv[i], q ? "'" : "");
        }
        hl_jw_str(w, "command_line", cmd);
        free(cmd);
    }
    if (getcwd(buf, sizeof buf))
        hl_jw_str(w, "cwd", buf);
    if (gethostname(buf, sizeof buf) == 0) {
        buf[sizeof buf - 1] = '\0';
        hl_jw_str(w, "hostname", buf);
    }

    /* machine */
    bool have = proc_field("/proc/cpuinfo", "model name", buf, sizeof buf);
    str_or_null(w, "cpu_model", have, buf);
    hl_jw_int(w, "cpu_count", sysconf(_SC_NPROCESSORS_ONLN));
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        hl_jw_int(w, "cpu_affinity_count", CPU_COUNT(&set));
    have = first_line_of("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf,
                         sizeof buf);
    str_or_null(w, "cpu_governor", have, buf);
    have = first_line_of("/proc/sys/kernel/randomize_va_space", buf, sizeof buf);
    str_or_null(w, "aslr", have, buf);
    have = proc_field("/proc/meminfo", "MemTotal", buf, sizeof buf);
    str_or_null(w, "mem_total", have, buf);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
        hl_jw_str(w, "kernel", buf);
        hl_jw_str(w, "kernel_version", u.version);
    }
    hl_jw_str(w, "glibc_version", gnu_get_libc_version());

    /* build */
    hl_jw_str(w, "compiler", HL_C_COMPILER);
    hl_jw_str(w, "c_flags", HL_C_FLAGS);
    hl_jw_str(w, "build_type", HL_BUILD_TYPE);
    hl_jw_str(w, "git_commit", HL_GIT_COMMIT);

    double la[3];
    hl_metadata_loadavg(la);
    hl_jw_arr_begin(w, "load_avg_start");
    for (int i = 0; i < 3; i++)
        hl_jw_num(w, NULL, la[i]);
    hl_jw_arr_end(w);

    /* what the cells reported */
    hl_jw_obj_begin(w, "backends");
    for (size_t i = 0; i < cat->n_backends; i++) {
        const hl_cat_backend *b = &cat->backends[i];
        hl_jw_obj_begin(w, b->name);
        hl_jw_str(w, "variant", b->variant);
        hl_jw_str(w, "version", b->version);
        hl_jw_obj_end(w);
    }
    hl_jw_obj_end(w);
    hl_jw_obj_begin(w, "variants");
    for (int i = 0; i < HL_ROUTE_NVARIANTS; i++)
        hl_jw_str(w, hl_route_variants[i],
                  cat->have_variant[i] ? "available" : cat->variant_err[i]);
    hl_jw_obj_end(w);
    const char *hook = hl_route_test_hook();
    if (hook)
        hl_jw_str(w, "test_cell_cmd", hook);
}
