/* cmd_prog.c - the external program the command-cell tests run
 * (tests/test_commands.c): an ordinary dynamically linked program that
 * allocates through malloc, so that whatever allocator is preloaded serves
 * it, and that can misbehave on request.
 *
 *   cmd_prog ok N         N malloc/free pairs of mixed sizes, each block
 *                         filled and checked; prints "Throughput = X
 *                         operations per second"; exit 0 (1 on a bad block)
 *   cmd_prog exit N       exits with status N
 *   cmd_prog crash        dies of SIGSEGV
 *   cmd_prog hang FILE    writes its pid and a child's to FILE, then sleeps
 *   cmd_prog hog MB       touches MB mebibytes, then sleeps 10 s
 *   cmd_prog reexec       drops LD_PRELOAD and execs itself as "ok 100"
 *   cmd_prog quick-exit   leaves through _exit(0), skipping exit handlers
 *
 * Never sanitized (tests/CMakeLists.txt): a sanitizer runtime must be the
 * first library of a process, which a preloaded allocator would not allow.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int pairs(long n)
{
    enum { LIVE = 256 };
    unsigned char *live[LIVE] = {0};
    size_t sizes[LIVE] = {0};
    uint64_t x = 88172645463325252ull;
    double start = now_s();
    for (long i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 (Marsaglia 2003) */
        size_t slot = x % LIVE, size = 8 + (x >> 8) % 4000;
        if (live[slot]) {
            for (size_t k = 0; k < sizes[slot]; k++)
                if (live[slot][k] != (unsigned char)(slot + k)) {
                    fprintf(stderr, "block %zu is corrupt\n", slot);
                    return 1;
                }
            free(live[slot]);
        }
        live[slot] = malloc(size);
        if (!live[slot])
            return 1;
        sizes[slot] = size;
        for (size_t k = 0; k < size; k++)
            live[slot][k] = (unsigned char)(slot + k);
    }
    double elapsed = now_s() - start;
    for (size_t s = 0; s < LIVE; s++)
        free(live[s]);
    printf("Throughput = %.0f operations per second\n", (double)n / (elapsed > 0 ? elapsed : 1e-9));
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "ok";
    const char *arg = argc > 2 ? argv[2] : "";
    if (strcmp(mode, "ok") == 0)
        return pairs(argc > 2 ? atol(arg) : 100000);
    if (strcmp(mode, "exit") == 0)
        return atoi(arg);
    if (strcmp(mode, "crash") == 0) {
        raise(SIGSEGV);
        return 0;
    }
    if (strcmp(mode, "hang") == 0) {
        pid_t child = fork();
        if (child == 0) {
            for (;;)
                pause();
        }
        FILE *f = fopen(arg, "w");
        if (f) {
            fprintf(f, "%d %d\n", (int)getpid(), (int)child);
            fclose(f);
        }
        for (;;)
            pause();
    }
    if (strcmp(mode, "hog") == 0) {
        size_t bytes = (size_t)atol(arg) << 20;
        char *p = malloc(bytes);
        if (!p)
            return 1;
        memset(p, 1, bytes);
        sleep(10);
        return p[bytes / 2] == 1 ? 0 : 1;
    }
    if (strcmp(mode, "reexec") == 0) {
        unsetenv("LD_PRELOAD");
        char *again[] = {argv[0], "ok", "100", NULL};
        execv("/proc/self/exe", again);
        return 1;
    }
    if (strcmp(mode, "quick-exit") == 0)
        _exit(0);
    fprintf(stderr, "cmd_prog: unknown mode '%s'\n", mode);
    return 2;
}
