/* shim_overhead.c - hl-shim-overhead: what the C shim costs per iteration.
 *
 * How it works
 * ------------
 * Two loop bodies (a bare compiler barrier, and an increment of a volatile)
 * are each benchmarked twice in one process: once in plain C++ Google
 * Benchmark (shim_overhead.cc) and once in C through bench.h.  Repetitions of
 * all four are interleaved in random order
 * (--benchmark_enable_random_interleaving), so that slow phases of a shared
 * machine hit both sides alike.  The program prints, per body, the median
 * per-iteration CPU and real time of each side and their ratio C / C++; 1.00
 * means the shim adds nothing.
 *
 *     hl-shim-overhead [--repetitions N] [--min-time SEC] [--benchmark_* ...]
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hl_overhead_register_cxx(void); /* shim_overhead.cc */

static volatile uint64_t sink_c;

static void bm_empty_c(hl_bench_state *st, void *arg)
{
    uint64_t n;
    while ((n = hl_bench_next_batch(st)) != 0)
        for (uint64_t i = 0; i < n; i++)
            hl_bench_clobber_memory();
}

static void bm_volatile_c(hl_bench_state *st, void *arg)
{
    uint64_t n;
    while ((n = hl_bench_next_batch(st)) != 0)
        for (uint64_t i = 0; i < n; i++)
            sink_c = sink_c + 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median over the repetitions of the run named `family`; cpu or real time. */
static double median_ns(const char *family, bool cpu, size_t *count)
{
    double v[4096];
    size_t n = 0;
    for (size_t i = 0; i < hl_bench_result_count() && n < 4096; i++) {
        const hl_bench_result *r = hl_bench_result_at(i);
        if (!r->aggregate && !r->error && strcmp(r->family, family) == 0)
            v[n++] = cpu ? r->cpu_ns : r->real_ns;
    }
    *count = n;
    if (n == 0)
        return 0;
    qsort(v, n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hl-shim-overhead [--repetitions N] [--min-time SEC] [--benchmark_* ...]\n"
            "  Runs an empty benchmark and a volatile increment in plain C++ Google Benchmark\n"
            "  and through heaplab's C shim, interleaved, and prints the ratio C / C++.\n"
            "  --repetitions N   repetitions of each benchmark (default 10)\n"
            "  --min-time SEC    minimum time per repetition (default 0.05)\n"
            "  --benchmark_*     passed to Google Benchmark\n");
}

static int parse_number(const char *flag, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "hl-shim-overhead: %s wants a number in [%g, %g], got '%s'\n", flag, lo,
                hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    double repetitions = 10, min_time = 0.05;
    char *gb_argv[64];
    int gb_argc = 0;
    char rep_flag[64], time_flag[64], interleave[] = "--benchmark_enable_random_interleaving=true";

    gb_argv[gb_argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--repetitions") == 0 && i + 1 < argc) {
            if (parse_number("--repetitions", argv[++i], 1, 1000, &repetitions) != 0)
                return 2;
        } else if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
            if (parse_number("--min-time", argv[++i], 1e-6, 60, &min_time) != 0)
                return 2;
        } else if (strncmp(argv[i], "--benchmark_", 12) == 0 && gb_argc < 60) {
            gb_argv[gb_argc++] = argv[i];
        } else {
            fprintf(stderr, "hl-shim-overhead: unknown or incomplete argument '%s' (try --help)\n",
                    argv[i]);
            return 2;
        }
    }
    /* Ours first, so that explicit --benchmark_* flags win. */
    snprintf(rep_flag, sizeof rep_flag, "--benchmark_repetitions=%d", (int)repetitions);
    snprintf(time_flag, sizeof time_flag, "--benchmark_min_time=%g", min_time);
    memmove(gb_argv + 4, gb_argv + 1, (size_t)(gb_argc - 1) * sizeof gb_argv[0]);
    gb_argv[1] = rep_flag;
    gb_argv[2] = time_flag;
    gb_argv[3] = interleave;
    gb_argc += 3;
    gb_argv[gb_argc] = NULL;

    char err[256];
    if (hl_bench_register("empty/c", bm_empty_c, NULL, NULL, err, sizeof err) != 0 ||
        hl_bench_register("volatile/c", bm_volatile_c, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "hl-shim-overhead: %s\n", err);
        return 1;
    }
    hl_overhead_register_cxx();
    if (hl_bench_run(gb_argc, gb_argv, err, sizeof err) < 0) {
        fprintf(stderr, "hl-shim-overhead: %s\n", err);
        return 2;
    }

    static const char *const bodies[] = {"empty", "volatile"};
    printf("\nshim overhead (median over repetitions, ns per iteration; ratio = C shim / C++)\n");
    printf("%-10s %12s %12s %8s   %12s %12s %8s  %s\n", "body", "cpu C++", "cpu C", "ratio",
           "real C++", "real C", "ratio", "reps");
    for (size_t b = 0; b < 2; b++) {
        char cxx[32], c[32];
        size_t n1, n2, n3, n4;
        snprintf(cxx, sizeof cxx, "%s/cxx", bodies[b]);
        snprintf(c, sizeof c, "%s/c", bodies[b]);
        double cpu_cxx = median_ns(cxx, true, &n1), cpu_c = median_ns(c, true, &n2);
        double real_cxx = median_ns(cxx, false, &n3), real_c = median_ns(c, false, &n4);
        if (n1 == 0 || n2 == 0) {
            printf("%-10s (filtered out)\n", bodies[b]);
            continue;
        }
        printf("%-10s %12.4f %12.4f %8.4f   %12.4f %12.4f %8.4f  %zu/%zu\n", bodies[b], cpu_cxx,
               cpu_c, cpu_c / cpu_cxx, real_cxx, real_c, real_c / real_cxx, n1, n2);
    }
    return 0;
}
