/* metadata.c - collect run metadata; see metadata.h.
 *
 * Build facts come from build_info.h (captured at build time); machine
 * facts from /proc and /sys through procfs.h, read best-effort: a missing
 * file gives null, never an error.
 */
#include "metadata.h"

#include "build_info.h"
#include "fingerprint.h"
#include "noise.h"
#include "procfs.h"
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

static void str_or_null(hl_jw *w, const char *key, bool have, const char *v)
{
    if (have)
        hl_jw_str(w, key, v);
    else
        hl_jw_null(w, key);
}

void hl_metadata_write(hl_jw *w, const hl_catalog *cat, const hl_plan *plan, const char *label,
                       int argc, char **argv)
{
    char buf[512], now[40];
    hl_metadata_now_iso(now, sizeof now);
    hl_jw_str(w, "heaplab_version", hl_build_info.version);
    hl_jw_str(w, "label", label);
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
    bool have = hl_proc_field("/proc/cpuinfo", "model name", buf, sizeof buf);
    str_or_null(w, "cpu_model", have, buf);
    hl_jw_int(w, "cpu_count", sysconf(_SC_NPROCESSORS_ONLN));
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        hl_jw_int(w, "cpu_affinity_count", CPU_COUNT(&set));
    have = hl_proc_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf,
                         sizeof buf);
    str_or_null(w, "cpu_governor", have, buf);
    have = hl_proc_first_line("/proc/sys/kernel/randomize_va_space", buf, sizeof buf);
    str_or_null(w, "aslr", have, buf);
    have = hl_proc_field("/proc/meminfo", "MemTotal", buf, sizeof buf);
    str_or_null(w, "mem_total", have, buf);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
        hl_jw_str(w, "kernel", buf);
        hl_jw_str(w, "kernel_version", u.version);
    }
    hl_jw_str(w, "glibc_version", gnu_get_libc_version());

    /* build */
    hl_jw_str(w, "compiler", hl_build_info.compiler);
    hl_jw_str(w, "c_flags", hl_build_info.c_flags);
    hl_jw_str(w, "build_type", hl_build_info.build_type);
    hl_jw_str(w, "git_commit", hl_build_info.git_commit);
    hl_jw_bool(w, "git_dirty", hl_build_info.git_dirty);

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
        hl_jw_str(w, "kind", b->kind);
        hl_jw_obj_end(w);
    }
    hl_jw_obj_end(w);
    /* What each workload declares (labels, metric descriptors), so that
     * readers of the results (plot, show) never need a cell to know it. */
    hl_jw_arr_begin(w, "workloads");
    for (size_t i = 0; i < cat->n_workloads; i++)
        hl_catalog_write_workload(w, &cat->workloads[i]);
    hl_jw_arr_end(w);
    hl_jw_obj_begin(w, "variants");
    for (int i = 0; i < HL_ROUTE_NVARIANTS; i++)
        hl_jw_str(w, hl_route_variants[i],
                  cat->have_variant[i] ? "available" : cat->variant_err[i]);
    hl_jw_obj_end(w);
    const char *hook = hl_route_test_hook();
    if (hook)
        hl_jw_str(w, "test_cell_cmd", hook);
    hl_fingerprint fp;
    hl_fingerprint_collect(&fp, cat, plan);
    hl_fingerprint_write(w, "fingerprint", &fp);
    hl_noise noise;
    hl_noise_check(&noise, 600);
    hl_noise_write(w, "noise", &noise);
}
