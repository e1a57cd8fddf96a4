/* fingerprint.c - see fingerprint.h.
 *
 * Sources of the system facts: proc(5) (/proc/cpuinfo, /proc/meminfo,
 * /proc/sys/kernel/randomize_va_space, /proc/self/cgroup); the kernel's
 * admin guide, "Transparent Hugepage Support" (/sys/kernel/mm/
 * transparent_hugepage/{enabled,defrag}), "CPU Performance Scaling"
 * (cpufreq scaling_governor, /sys/devices/system/cpu/cpufreq/boost,
 * intel_pstate/no_turbo) and "Control Group v2" (cpu.max, memory.max) with
 * their v1 counterparts (cpu.cfs_quota_us, memory.limit_in_bytes).
 */
#include "fingerprint.h"

#include "allocenv.h"
#include "build_info.h"
#include "procfs.h"
#include "runtime.h"
#include "sha256.h"

#include <gnu/libc-version.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void add(hl_fingerprint *fp, const char *key, const char *value, bool machine)
{
    if (fp->n == HL_FP_MAX || value == NULL)
        return;
    hl_fp_item *it = &fp->items[fp->n++];
    snprintf(it->key, sizeof it->key, "%s", key);
    snprintf(it->value, sizeof it->value, "%.199s", value);
    it->machine = machine;
}

const char *hl_fingerprint_get(const hl_fingerprint *fp, const char *key)
{
    for (size_t i = 0; i < fp->n; i++)
        if (strcmp(fp->items[i].key, key) == 0)
            return fp->items[i].value;
    return NULL;
}

/* The word in [brackets] of a sysfs choice file ("always [madvise] never"). */
static bool sys_choice(const char *path, char *out, size_t outlen)
{
    char line[256];
    if (!hl_proc_first_line(path, line, sizeof line))
        return false;
    char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
    if (open && close)
        snprintf(out, outlen, "%.*s", (int)(close - open - 1), open + 1);
    else
        snprintf(out, outlen, "%s", line);
    return true;
}

static void add_file(hl_fingerprint *fp, const char *key, const char *path, bool machine)
{
    char v[200];
    if (hl_proc_first_line(path, v, sizeof v))
        add(fp, key, v, machine);
}

static void machine_facts(hl_fingerprint *fp)
{
    char v[4096], hash[65];
    if (hl_proc_field("/proc/cpuinfo", "model name", v, sizeof v))
        add(fp, "cpu_model", v, true);
    if (hl_proc_field("/proc/cpuinfo", "flags", v, sizeof v)) {
        hl_sha256 s;
        hl_sha256_init(&s);
        hl_sha256_update(&s, v, strlen(v));
        hl_sha256_hex(&s, hash);
        hash[16] = '\0';
        add(fp, "cpu_flags_sha256", hash, true);
    }
    snprintf(v, sizeof v, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    add(fp, "cpu_count", v, true);
    if (hl_proc_field("/proc/meminfo", "MemTotal", v, sizeof v))
        add(fp, "mem_total", v, true);
    if (gethostname(v, 256) == 0) {
        v[255] = '\0';
        add(fp, "hostname", v, true);
    }
}

/* The cgroup path of this process (v2 "0::/path", or v1's memory line). */
static void cgroup_facts(hl_fingerprint *fp)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    char line[512], v2[512] = "", mem1[512] = "", cpu1[512] = "";
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
        if (!b)
            continue;
        if (strncmp(line, "0::", 3) == 0)
            snprintf(v2, sizeof v2, "%s", b + 1);
        else if (strstr(a, ":memory:") == a)
            snprintf(mem1, sizeof mem1, "%s", b + 1);
        else if (strstr(a, "cpu") != NULL && strstr(a, ":cpuset") == NULL)
            snprintf(cpu1, sizeof cpu1, "%s", b + 1);
    }
    if (f)
        fclose(f);
    char path[1200];
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", v2);
    add_file(fp, "cgroup_cpu_max", path, false);
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", v2);
    add_file(fp, "cgroup_memory_max", path, false);
    snprintf(path, sizeof path, "/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us", cpu1);
    add_file(fp, "cgroup_cpu_quota_us", path, false);
    snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", mem1);
    add_file(fp, "cgroup_memory_limit", path, false);
}

static void system_facts(hl_fingerprint *fp)
{
    char v[256];
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(v, sizeof v, "%s %s", u.release, u.machine);
        add(fp, "kernel", v, false);
    }
    add(fp, "glibc", gnu_get_libc_version(), false);
    if (sys_choice("/sys/kernel/mm/transparent_hugepage/enabled", v, sizeof v))
        add(fp, "thp", v, false);
    if (sys_choice("/sys/kernel/mm/transparent_hugepage/defrag", v, sizeof v))
        add(fp, "thp_defrag", v, false);
    add_file(fp, "cpu_governor", "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", false);
    add_file(fp, "cpu_boost", "/sys/devices/system/cpu/cpufreq/boost", false);
    add_file(fp, "intel_no_turbo", "/sys/devices/system/cpu/intel_pstate/no_turbo", false);
    add_file(fp, "aslr", "/proc/sys/kernel/randomize_va_space", false);
    cgroup_facts(fp);
}

static void build_facts(hl_fingerprint *fp, const hl_catalog *cat)
{
    add(fp, "compiler", hl_build_info.compiler, false);
    add(fp, "c_flags", hl_build_info.c_flags, false);
    add(fp, "build_type", hl_build_info.build_type, false);
    add(fp, "git_commit", hl_build_info.git_commit, false);
    add(fp, "git_dirty", hl_build_info.git_dirty ? "yes" : "no", false);
    for (size_t i = 0; cat && i < cat->n_backends; i++) {
        char key[64];
        snprintf(key, sizeof key, "backend.%s", cat->backends[i].name);
        add(fp, key, cat->backends[i].version, false);
    }
}

static void input_facts(hl_fingerprint *fp, const hl_plan *plan)
{
    if (plan && plan->trace_sha256[0])
        add(fp, "trace_sha256", plan->trace_sha256, false);
    const char *set[32];
    size_t n = hl_allocenv_set(set, 32);
    char v[200] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(v + strlen(v), sizeof v - strlen(v), "%s%s", i ? " " : "", set[i]);
    add(fp, "allocator_env", n ? v : "(none)", false);
    if (plan == NULL)
        return;
    /* What the object-layer cells model: part of what decides their numbers. */
    add(fp, "python_model",
        plan->python_model[0] ? plan->python_model : hl_py_profile_name(hl_py_default_profile()),
        false);
    v[0] = '\0';
    for (size_t i = 0; i < plan->n_model_options; i++)
        snprintf(v + strlen(v), sizeof v - strlen(v), "%s%s", i ? " " : "",
                 plan->model_options[i]);
    add(fp, "model_options", plan->n_model_options ? v : "(none)", false);
}

void hl_fingerprint_collect(hl_fingerprint *fp, const hl_catalog *cat, const hl_plan *plan)
{
    fp->n = 0;
    machine_facts(fp);
    system_facts(fp);
    build_facts(fp, cat);
    input_facts(fp, plan);
}

void hl_fingerprint_write(hl_jw *w, const char *key, const hl_fingerprint *fp)
{
    hl_jw_obj_begin(w, key);
    for (size_t i = 0; i < fp->n; i++)
        hl_jw_str(w, fp->items[i].key, fp->items[i].value);
    hl_jw_arr_begin(w, "machine_keys");
    for (size_t i = 0; i < fp->n; i++)
        if (fp->items[i].machine)
            hl_jw_str(w, NULL, fp->items[i].key);
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
}

/* A set written before fingerprints existed: the same facts from the
 * metadata fields it had. */
static void read_legacy(const hl_json *m, const hl_plan *plan, hl_fingerprint *fp)
{
    static const struct {
        const char *meta, *key;
        bool machine;
    } map[] = {
        {"cpu_model", "cpu_model", true},   {"hostname", "hostname", true},
        {"mem_total", "mem_total", true},   {"kernel", "kernel", false},
        {"glibc_version", "glibc", false},  {"cpu_governor", "cpu_governor", false},
        {"aslr", "aslr", false},            {"compiler", "compiler", false},
        {"c_flags", "c_flags", false},      {"build_type", "build_type", false},
        {"git_commit", "git_commit", false},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        add(fp, map[i].key, hl_json_get_str(m, map[i].meta, NULL), map[i].machine);
    const hl_json *dirty = hl_json_get(m, "git_dirty");
    if (dirty && dirty->type == HL_JBOOL)
        add(fp, "git_dirty", dirty->boolean ? "yes" : "no", false);
    double ncpu = hl_json_get_num(m, "cpu_count", -1);
    if (ncpu > 0) {
        char v[32];
        snprintf(v, sizeof v, "%.0f", ncpu);
        add(fp, "cpu_count", v, true);
    }
    const hl_json *bs = hl_json_get(m, "backends");
    for (size_t i = 0; i < hl_json_len(bs) && bs->type == HL_JOBJ; i++) {
        char key[64];
        snprintf(key, sizeof key, "backend.%s", bs->keys[i]);
        add(fp, key, hl_json_get_str(&bs->items[i], "version", NULL), false);
    }
    if (plan && plan->trace_sha256[0])
        add(fp, "trace_sha256", plan->trace_sha256, false);
    else if (plan && plan->trace[0])
        add(fp, "trace", plan->trace, false);
}

void hl_fingerprint_read(const hl_json *metadata, const hl_plan *plan, hl_fingerprint *fp)
{
    fp->n = 0;
    const hl_json *f = hl_json_get(metadata, "fingerprint");
    if (f == NULL || f->type != HL_JOBJ) {
        read_legacy(metadata, plan, fp);
        return;
    }
    const hl_json *mk = hl_json_get(f, "machine_keys");
    for (size_t i = 0; i < f->len; i++) {
        if (f->items[i].type != HL_JSTR)
            continue;
        bool machine = false;
        for (size_t k = 0; k < hl_json_len(mk); k++)
            if (strcmp(hl_json_str(hl_json_at(mk, k), ""), f->keys[i]) == 0)
                machine = true;
        add(fp, f->keys[i], f->items[i].str, machine);
    }
}
