/* fake_cell.c - a stand-in for heaplab-cell-<variant> in the driver's tests.
 *
 * The driver runs it through its test hook (HEAPLAB_TEST_CELL_CMD, see
 * harness/route.h) with argv[0] = "heaplab-cell-<variant>".  It speaks the
 * cell program's interface (harness/protocol.h: --describe --json,
 * --protocol, --backend/--workload/... -> DIR/cell.json, the exit statuses)
 * but measures nothing: each workload name is a
 * behaviour the driver must survive or record:
 *
 *   pairs, tree  ok; ns_per_op is a fixed function of backend, size, threads
 *                (tree: an object-layer workload; --model-option refcount=atomic
 *                doubles its time, other model options are accepted and ignored)
 *   slow         ok after HEAPLAB_FAKE_SLOW_MS ms (default 300)
 *   crash        SIGSEGV
 *   hang         forks a child (pid written to DIR/child.pid), both sleep forever
 *   verify       exit 3 ("checksum mismatch")
 *   nojson       exit 0 without writing cell.json
 *   hog          touches 256 MiB, then ok
 *   replay       ok when --trace names a readable file, else exit 4 (set-up)
 *
 * Each successful run appends "<out dir>\n" to $HEAPLAB_FAKE_LOG when set,
 * so tests can count how often every (cell, repetition) really ran.
 */
#include "protocol.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *variant = "system";

static void describe(void)
{
    const char *natives = strcmp(variant, "system") == 0 ? "system" : variant;
    printf("{\"format\":\"%s\",\"format_version\":%d,\"protocol\":%d,\"variant\":\"%s\","
           "\"process_check\":{\"ok\":true,\"message\":null},\"backends\":[",
           HL_DESCRIBE_FORMAT, HL_DESCRIBE_VERSION, HL_PROTOCOL_VERSION, variant);
    printf("{\"name\":\"%s\",\"summary\":\"fake native\",\"version\":\"9.9.%d\","
           "\"kind\":\"process\",\"thread_safe\":true,\"native\":true},",
           natives, (int)strlen(variant));
    printf("{\"name\":\"pool\",\"summary\":\"fake pool\",\"version\":\"1.0\",\"kind\":\"wrapper\","
           "\"thread_safe\":false,\"native\":false},");
    printf("{\"name\":\"guard\",\"summary\":\"fake guard\",\"version\":\"1.0\",\"kind\":"
           "\"debug\",\"thread_safe\":true,\"native\":false},");
    printf("{\"name\":\"faulty\",\"summary\":\"fake faulty\",\"version\":\"1.0\",\"kind\":"
           "\"fault\",\"thread_safe\":true,\"native\":false}],\"workloads\":[");
    static const char *const simple[] = {"slow", "crash", "hang", "verify", "nojson", "hog",
                                         "replay"};
    printf("{\"name\":\"pairs\",\"description\":\"malloc/free pairs\",\"layer\":\"raw\","
           "\"threaded\":false,\"op_unit\":\"alloc+free\",\"params\":[{\"name\":\"size\","
           "\"help\":\"block size\",\"default\":64,\"quick\":32,\"min\":1,\"max\":1048576}]},");
    printf("{\"name\":\"tree\",\"description\":\"binary trees\",\"layer\":\"objects\","
           "\"threaded\":true,\"op_unit\":\"node\",\"fixed_ops\":50,\"params\":[{\"name\":\"depth\","
           "\"help\":\"tree depth\",\"default\":10,\"quick\":4,\"min\":1,\"max\":30},"
           "{\"name\":\"shape\",\"help\":\"tree shape\",\"default\":0,\"quick\":0,"
           "\"min\":0,\"max\":1,\"labels\":[\"wide\",\"deep\"]}]}");
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        printf(",{\"name\":\"%s\",\"description\":\"fake %s\",\"layer\":\"raw\","
               "\"threaded\":false,\"forks\":%s,\"op_unit\":\"op\",\"data\":%s,"
               "\"params\":[]}",
               simple[i], simple[i], strcmp(simple[i], "hog") == 0 ? "true" : "false",
               strcmp(simple[i], "replay") == 0 ? "\"trace\"" : "null");
    printf("]}\n");
}

static int bad(const char *msg, const char *what)
{
    fprintf(stderr, "heaplab-cell-%s: %s%s\n", variant, msg, what ? what : "");
    return HL_CELL_EXIT_BAD_INPUT;
}

static double backend_base(const char *backend)
{
    if (strncmp(backend, "system", 6) == 0)
        return 100;
    if (strncmp(backend, "pool", 4) == 0)
        return 50;
    if (strncmp(backend, "guard", 5) == 0)
        return 400;
    if (strncmp(backend, "faulty", 6) == 0)
        return 150;
    return 80;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (strncmp(base, "heaplab-cell-", 13) == 0)
        variant = base + 13;

    const char *backend = NULL, *workload = NULL, *out = ".", *trace = NULL;
    long size = -1, depth = -1, threads = 1;
    int describe_flag = 0, model_flags = 0;
    double scale = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--describe") == 0) {
            describe_flag = 1;
        } else if (strcmp(a, "--json") == 0) {
        } else if (strcmp(a, "--protocol") == 0 && v) {
            if (atol(v) != HL_PROTOCOL_VERSION)
                return bad("protocol mismatch: the driver speaks ", v);
            i++;
        } else if (strcmp(a, "--backend") == 0 && v) {
            backend = v;
            i++;
        } else if (strcmp(a, "--workload") == 0 && v) {
            workload = v;
            i++;
        } else if (strcmp(a, "--param") == 0 && v) {
            if (strncmp(v, "size=", 5) == 0)
                size = atol(v + 5);
            else if (strncmp(v, "depth=", 6) == 0)
                depth = atol(v + 6);
            else if (strncmp(v, "shape=", 6) == 0)
                ; /* an enumeration (labels wide, deep): accepted, no effect */
            else
                return bad("unknown parameter ", v);
            i++;
        } else if (strcmp(a, "--threads") == 0 && v) {
            threads = atol(v);
            i++;
        } else if (strcmp(a, "--trace") == 0 && v) {
            trace = v;
            i++;
        } else if (strcmp(a, "--out") == 0 && v) {
            out = v;
            i++;
        } else if (strcmp(a, "--python-model") == 0 && v) {
            model_flags++;
            i++;
        } else if (strcmp(a, "--model-option") == 0 && v) {
            /* refcount=atomic doubles the cell's time, so a test can see the
             * option arrive */
            model_flags++;
            if (strcmp(v, "refcount=atomic") == 0)
                scale = 2;
            i++;
        } else if ((strcmp(a, "--seed") == 0 || strcmp(a, "--repetitions") == 0 ||
                    strcmp(a, "--samples") == 0 ||
                    strcmp(a, "--min-time") == 0 || strcmp(a, "--warmup-time") == 0 ||
                    strcmp(a, "--suite-size") == 0 || strcmp(a, "--measure") == 0 ||
                    strcmp(a, "--callgrind-out-file") == 0 || strcmp(a, "--fixed-ops") == 0) &&
                   v) {
            i++;
        } else {
            return bad("unknown option ", a);
        }
    }
    if (describe_flag) {
        describe();
        return 0;
    }
    if (!backend || !workload)
        return bad("--backend and --workload are required", NULL);
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(backend, ":"), backend);
    int hosted = strcmp(name, "pool") == 0 || strcmp(name, "guard") == 0 ||
                 strcmp(name, "faulty") == 0 || strcmp(name, variant) == 0;
    if (!hosted)
        return bad("backend not hosted by this variant: ", backend);

    if (strcmp(workload, "crash") == 0) {
        fprintf(stderr, "about to crash\n");
        raise(SIGSEGV);
    } else if (strcmp(workload, "hang") == 0) {
        pid_t parent = getpid();
        pid_t child = fork();
        if (child == 0) {
            /* as the real cell's forked workers do (workloads/fork_cow.c) */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(1);
            for (;;)
                pause();
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/child.pid", out);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%d\n", (int)child);
            fclose(f);
        }
        for (;;)
            pause();
    } else if (strcmp(workload, "verify") == 0) {
        /* then a valgrind-style trailer, which the driver must skip for the reason */
        fprintf(stderr, "verify: checksum mismatch\n==4242== \n==4242== I   refs:      3,526\n");
        return HL_CELL_EXIT_VERIFY;
    } else if (strcmp(workload, "replay") == 0) {
        if (!trace || access(trace, R_OK) != 0) {
            fprintf(stderr, "heaplab-cell-%s: set-up of workload replay failed: no trace\n",
                    variant);
            return HL_CELL_EXIT_SETUP_FAILED;
        }
    } else if (strcmp(workload, "nojson") == 0) {
        return 0;
    } else if (strcmp(workload, "slow") == 0) {
        const char *ms = getenv("HEAPLAB_FAKE_SLOW_MS");
        sleep_ms(ms ? atol(ms) : 300);
    } else if (strcmp(workload, "hog") == 0) {
        size_t n = 256u << 20;
        char *p = malloc(n);
        if (p)
            for (size_t i = 0; i < n; i += 4096)
                p[i] = 1;
        sleep_ms(200);
        free(p);
    } else if (strcmp(workload, "pairs") != 0 && strcmp(workload, "tree") != 0) {
        return bad("unknown workload ", workload);
    }

    if (model_flags && strcmp(workload, "tree") != 0)
        return bad("--python-model and --model-option apply to object-layer workloads only: ",
                   workload);
    double ns = backend_base(backend) * scale;
    if (size > 0)
        ns *= 1.0 + (double)size / 1000.0;
    if (depth > 0)
        ns *= (double)depth;
    ns /= (double)threads;

    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/cell.json", out);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return 1;
    /* the shape of the real cell.json (docs/results-format.md), trimmed */
    fprintf(f,
            "{\"format\":\"%s\",\"format_version\":%d,\"variant\":\"%s\","
            "\"backend\":{\"spec\":\"%s\"},\"workload\":{\"name\":\"%s\"},"
            "\"status\":\"ok\",\"gc\":{\"collections\":%d,\"collected\":%d,"
            "\"pause_total_ms\":%.1f,\"pause_max_ms\":0.5,\"pause_p99_ms\":0.4,"
            "\"generations\":[{\"generation\":0,\"collections\":7}]},"
            "\"time\":{\"ns_per_op\":%.6f,\"ops_per_s\":%.6f,\"iterations\":1000,"
            "\"operations\":1000},"
            "\"rusage\":{\"user_s\":0.01,\"sys_s\":0.002,\"minflt\":120,\"majflt\":0,"
            "\"nvcsw\":3,\"nivcsw\":1},"
            "\"memory\":{\"peak_rss_kib\":%d,\"rss_end_kib\":2000,\"peak_live_bytes\":65536,"
            "\"overhead\":1.5},"
            "\"backend_stats\":{\"fake.arenas\":4}}\n",
            HL_CELL_FORMAT, HL_CELL_VERSION, variant, backend, workload, depth > 0 ? 7 : 0, depth > 0 ? 70 : 0,
            depth > 0 ? 1.5 : 0.0, ns, 1e9 / ns, 3000 + (int)backend_base(backend));
    fclose(f);
    rename(tmp, path);
    const char *log = getenv("HEAPLAB_FAKE_LOG");
    if (log) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            char line[4200];
            int n = snprintf(line, sizeof line, "%s\n", out);
            ssize_t w = write(fd, line, (size_t)n);
            (void)w;
            close(fd);
        }
    }
    return 0;
}
