/* noise.c - see noise.h.
 *
 * Other processes' CPU use is read from /proc/<pid>/stat fields 14 and 15
 * (utime, stime in clock ticks; proc(5)) twice, sample_ms apart; a process
 * that used more than a tenth of a CPU in between is named.  The time in
 * between is spent timing the steadiness probe (steadiness.h), whose own
 * CPU use is left out of the count as this process's.
 */
#include "noise.h"

#include "procfs.h"
#include "steadiness.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void add(hl_noise *n, const char *key, const char *value, bool warn, const char *advice)
{
    if (n->n == HL_NOISE_MAX)
        return;
    hl_noise_finding *f = &n->f[n->n++];
    snprintf(f->key, sizeof f->key, "%s", key);
    snprintf(f->value, sizeof f->value, "%.159s", value);
    f->warn = warn;
    snprintf(f->advice, sizeof f->advice, "%s", advice ? advice : "");
}

static void cpu_checks(hl_noise *n)
{
    char v[160];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(v, sizeof v, "%ld", ncpu);
    add(n, "cpu_count", v, ncpu < 2,
        ncpu < 2 ? "threaded workloads cannot run their threads in parallel here" : NULL);
    if (hl_proc_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", v,
                           sizeof v))
        add(n, "cpu_governor", v, strcmp(v, "performance") != 0,
            strcmp(v, "performance") != 0
                ? "the frequency follows the load: set the performance governor (cpupower "
                  "frequency-set -g performance)"
                : NULL);
    else
        add(n, "cpu_governor", "not exposed (a VM, or no cpufreq driver)", false, NULL);
    if (hl_proc_first_line("/sys/devices/system/cpu/cpufreq/boost", v, sizeof v))
        add(n, "cpu_boost", v, strcmp(v, "1") == 0,
            strcmp(v, "1") == 0 ? "turbo boost changes the frequency with temperature and "
                                  "load: echo 0 > /sys/devices/system/cpu/cpufreq/boost"
                                : NULL);
    if (hl_proc_first_line("/sys/devices/system/cpu/intel_pstate/no_turbo", v, sizeof v))
        add(n, "intel_no_turbo", v, strcmp(v, "0") == 0,
            strcmp(v, "0") == 0 ? "turbo is on: echo 1 > "
                                  "/sys/devices/system/cpu/intel_pstate/no_turbo"
                                : NULL);
    char flags[4096];
    bool vm = hl_proc_field("/proc/cpuinfo", "flags", flags, sizeof flags) &&
              strstr(flags, " hypervisor") != NULL;
    add(n, "virtual_machine", vm ? "yes (hypervisor flag)" : "no", vm,
        vm ? "other guests share the host: compare backends within one run, prefer ratios "
             "and --measure instructions"
           : NULL);
}

static void memory_checks(hl_noise *n)
{
    char v[160];
    if (hl_proc_first_line("/sys/kernel/mm/transparent_hugepage/enabled", v, sizeof v)) {
        bool always = strstr(v, "[always]") != NULL;
        add(n, "transparent_hugepages", v, false,
            always ? "THP always: RSS grows in 2 MiB steps for large allocations; record it "
                     "when comparing RSS across machines"
                   : NULL);
    }
    if (hl_proc_first_line("/proc/sys/kernel/randomize_va_space", v, sizeof v))
        add(n, "aslr", v, false,
            strcmp(v, "0") != 0 ? "heap addresses vary between processes (repetitions "
                                  "average over them; instructions mode turns it off per cell)"
                                : NULL);
}

/* utime + stime of every process (pid, ticks), into a malloc'd array. */
typedef struct proc_ticks {
    int pid;
    unsigned long long ticks;
    char comm[64];
} proc_ticks;

static size_t read_ticks(proc_ticks **out)
{
    DIR *d = opendir("/proc");
    size_t n = 0, cap = 0;
    *out = NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300], line[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if (!hl_proc_first_line(path, line, sizeof line))
            continue;
        char *open = strchr(line, '('), *close = strrchr(line, ')');
        if (!open || !close)
            continue;
        unsigned long long ut = 0, st = 0;
        /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt
         * majflt cmajflt utime stime */
        if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                   &st) != 2)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            proc_ticks *p = realloc(*out, cap * sizeof *p);
            if (!p)
                break;
            *out = p;
        }
        proc_ticks *p = &(*out)[n++];
        p->pid = atoi(e->d_name);
        p->ticks = ut + st;
        snprintf(p->comm, sizeof p->comm, "%.*s", (int)(close - open - 1), open + 1);
    }
    if (d)
        closedir(d);
    return n;
}

/* Back-to-back samples of the same work must agree within these for a run's
 * ratios to repeat within issue 13's targets (1% median, 3% p90). */
#define STEADY_MEDIAN_MAX 0.01
#define STEADY_P90_MAX 0.03

static void steadiness(hl_noise *n, const hl_steadiness *s)
{
    char v[160];
    snprintf(v, sizeof v, "back-to-back %d ms samples differ by: compute %.1f%% (p90 %.1f%%), "
             "memory %.1f%% (p90 %.1f%%)", HL_STEADY_SAMPLE_MS,
             s->compute.median_change * 100, s->compute.p90_change * 100,
             s->memory.median_change * 100, s->memory.p90_change * 100);
    bool warn = !(s->compute.median_change <= STEADY_MEDIAN_MAX &&
                  s->memory.median_change <= STEADY_MEDIAN_MAX &&
                  s->compute.p90_change <= STEADY_P90_MAX &&
                  s->memory.p90_change <= STEADY_P90_MAX);
    add(n, "timing_steadiness", v, warn,
        warn ? "the same work's time moves this much from one moment to the next (other "
               "tenants, caches, frequency): ratios between backends cannot repeat closer; "
               "use more --repetitions, --measure instructions, or a quieter machine"
             : NULL);
}

static void busy_processes(hl_noise *n, unsigned sample_ms)
{
    proc_ticks *a, *b;
    size_t na = read_ticks(&a);
    hl_steadiness steady;
    hl_procstat t0, t1;
    hl_procstat_read(&t0);
    bool probed = hl_steady_measure(sample_ms, &steady) == 0;
    hl_procstat_read(&t1);
    double elapsed_s = t1.wall_s - t0.wall_s;
    if (!probed) {
        struct timespec ts = {sample_ms / 1000, (long)(sample_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        elapsed_s = sample_ms / 1000.0;
    }
    size_t nb = read_ticks(&b);
    double hz = (double)sysconf(_SC_CLK_TCK), cpus_used = 0;
    char list[160] = "";
    int self = getpid();
    for (size_t i = 0; i < nb; i++) {
        if (b[i].pid == self)
            continue;
        for (size_t j = 0; j < na; j++) {
            if (a[j].pid != b[i].pid)
                continue;
            double cpu = (double)(b[i].ticks - a[j].ticks) / hz / elapsed_s;
            cpus_used += cpu;
            if (cpu > 0.1 && strlen(list) < sizeof list - 40)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s (%d, %.0f%%)",
                         list[0] ? ", " : "", b[i].comm, b[i].pid, cpu * 100);
            break;
        }
    }
    free(a);
    free(b);
    char v[200];
    snprintf(v, sizeof v, "%.2f CPUs%s%s", cpus_used, list[0] ? ": " : "", list);
    add(n, "other_processes", v, cpus_used > 0.25,
        cpus_used > 0.25 ? "other processes are using the CPUs now: timings will be noisy; "
                           "stop them, or compare within one run and prefer ratios"
                         : NULL);
    if (probed)
        steadiness(n, &steady);
}

static void load_and_quota(hl_noise *n)
{
    double la[3];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (getloadavg(la, 3) == 3) {
        char v[64];
        snprintf(v, sizeof v, "%.2f %.2f %.2f", la[0], la[1], la[2]);
        bool busy = la[0] > 0.5 * (double)ncpu;
        add(n, "load_average", v, busy,
            busy ? "the machine was busy over the last minute" : NULL);
    }
    char v[160];
    if (hl_proc_first_line("/sys/fs/cgroup/cpu.max", v, sizeof v) && strncmp(v, "max", 3) != 0)
        add(n, "cgroup_cpu_max", v, true, "the cgroup limits CPU time: threads may be throttled");
}

void hl_noise_check(hl_noise *out, unsigned sample_ms)
{
    out->n = 0;
    cpu_checks(out);
    memory_checks(out);
    load_and_quota(out);
    if (sample_ms)
        busy_processes(out, sample_ms);
}

size_t hl_noise_warnings(const hl_noise *n)
{
    size_t k = 0;
    for (size_t i = 0; i < n->n; i++)
        k += n->f[i].warn;
    return k;
}

void hl_noise_write(hl_jw *w, const char *key, const hl_noise *n)
{
    hl_jw_arr_begin(w, key);
    for (size_t i = 0; i < n->n; i++) {
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "key", n->f[i].key);
        hl_jw_str(w, "value", n->f[i].value);
        hl_jw_bool(w, "warn", n->f[i].warn);
        hl_jw_str(w, "advice", n->f[i].advice[0] ? n->f[i].advice : NULL);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
}
