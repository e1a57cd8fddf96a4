/* test_timeline.c - the cell's memory timeline sampler (harness/timeline.h)
 * and the /proc readings it rests on (harness/procfs.h). */
#include "alloc.h"
#include "registry.h"
#include "hl_test.h"
#include "procfs.h"
#include "timeline.h"

#include <time.h>

enum { BLOCKS = 200000, BLOCK = 24 };

TEST(rss_readings)
{
    CHECK(hl_proc_rss_bytes() > 0);
    CHECK(hl_proc_status_kib(0, "VmRSS") > 0);
    CHECK(hl_proc_status_kib(0, "NoSuchField") == -1);
    char dir[4096];
    CHECK(hl_proc_exe_dir(dir, sizeof dir) == 0 && dir[0] == '/');
    CHECK(hl_proc_exe_dir(dir, 2) == -1);
}

TEST(timeline_samples_rss_and_live_bytes)
{
    char err[256];
    hl_allocator a;
    REQUIRE(hl_allocator_open(&a, "system", err, sizeof err) == 0);
    hl_allocator *as[9] = {&a, &a, &a, &a, &a, &a, &a, &a, &a};
    CHECK(hl_timeline_start(as, 9, 10, err, sizeof err) == NULL);
    CHECK(strstr(err, "at most 8") != NULL);
    hl_timeline *tl = hl_timeline_start(as, 1, 2, err, sizeof err);
    REQUIRE(tl != NULL);
    void **blocks = malloc(BLOCKS * sizeof *blocks);
    REQUIRE(blocks != NULL);
    for (int i = 0; i < BLOCKS; i++)
        blocks[i] = hl_malloc(&a, BLOCK);
    struct timespec ts = {0, 30 * 1000000L};
    nanosleep(&ts, NULL);
    hl_timeline_stop(tl);
    hl_timeline_stop(tl); /* idempotent */
    size_t n = hl_timeline_count(tl);
    CHECK(n >= 3);
    const hl_timeline_sample *first = hl_timeline_at(tl, 0), *last = hl_timeline_at(tl, n - 1);
    CHECK(last->t_seconds >= 0.03 && last->t_seconds > first->t_seconds);
    CHECK(last->live_bytes - first->live_bytes >= (int64_t)BLOCKS * BLOCK);
    CHECK(last->rss_bytes > 0);
    CHECK(hl_timeline_at(tl, n) == NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    REQUIRE(f != NULL);
    CHECK(hl_timeline_write_csv(tl, f) == 0);
    fclose(f);
    CHECK(strncmp(text, "t_seconds,rss_bytes,live_bytes\n", 31) == 0);
    size_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_U64(lines, n + 1);
    double t;
    unsigned long long rss;
    long long live;
    CHECK(sscanf(text + 31, "%lf,%llu,%lld", &t, &rss, &live) == 3 && rss > 0);
    free(text);
    hl_timeline_free(tl);
    for (int i = 0; i < BLOCKS; i++)
        hl_free(&a, blocks[i], BLOCK);
    free(blocks);
}

int main(void)
{
    RUN(rss_readings);
    RUN(timeline_samples_rss_and_live_bytes);
    return hl_test_summary();
}
