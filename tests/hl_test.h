/* hl_test.h - the tiny test framework every heaplab test binary uses.
 *
 *     TEST(name) { CHECK(x == 1); CHECK_EQ_U64(a, b); ... }
 *     int main(void) { RUN(name); ...; return hl_test_summary(); }
 *
 * Each failed CHECK prints file:line and the expression; a test that fails any
 * check counts as failed, also when it skips afterwards.  SKIP("why") ends a
 * test as skipped.  hl_test_summary() prints "N passed, N failed, N skipped"
 * (which CI reads) and returns the exit status: 1 on any failure, else
 * HL_TEST_SKIPPED (77) when every test was skipped, which ctest reports as
 * a skipped test (SKIP_RETURN_CODE, tests/CMakeLists.txt), else 0.
 */
#ifndef HL_TEST_H
#define HL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hl_test_passed, hl_test_failed, hl_test_skipped;
static int hl_test_cur_failed, hl_test_cur_skipped;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                     \
    do {                                                              \
        hl_test_cur_failed = 0;                                       \
        hl_test_cur_skipped = 0;                                      \
        test_##name();                                                \
        if (hl_test_cur_failed) {                                     \
            hl_test_failed++;                                         \
            printf("FAIL %s\n", #name);                               \
        } else if (hl_test_cur_skipped) {                             \
            hl_test_skipped++;                                        \
        } else {                                                      \
            hl_test_passed++;                                         \
            printf("ok   %s\n", #name);                               \
        }                                                             \
        fflush(stdout);                                               \
    } while (0)

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            hl_test_cur_failed++;                                                \
        }                                                                        \
    } while (0)

#define CHECK_MSG(cond, ...)                                                     \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);    \
            printf(__VA_ARGS__);                                                 \
            printf("\n");                                                        \
            hl_test_cur_failed++;                                                \
        }                                                                        \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                       \
    do {                                                                         \
        uint64_t hl_a_ = (uint64_t)(a), hl_b_ = (uint64_t)(b);                   \
        if (hl_a_ != hl_b_) {                                                    \
            printf("  %s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n",     \
                   __FILE__, __LINE__, #a, #b, hl_a_, hl_b_);                    \
            hl_test_cur_failed++;                                                \
        }                                                                        \
    } while (0)

#define CHECK_STR(a, b)                                                          \
    do {                                                                         \
        const char *hl_a_ = (a), *hl_b_ = (b);                                   \
        if (hl_a_ == NULL || hl_b_ == NULL || strcmp(hl_a_, hl_b_) != 0) {       \
            printf("  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,     \
                   __LINE__, #a, #b, hl_a_ ? hl_a_ : "(null)",                   \
                   hl_b_ ? hl_b_ : "(null)");                                    \
            hl_test_cur_failed++;                                                \
        }                                                                        \
    } while (0)

/* Stops the current test (use at the top level of a TEST body). */
#define REQUIRE(cond)                                                            \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("  %s:%d: requirement failed: %s\n", __FILE__, __LINE__,      \
                   #cond);                                                       \
            hl_test_cur_failed++;                                                \
            return;                                                              \
        }                                                                        \
    } while (0)

#define SKIP(why)                                                                \
    do {                                                                         \
        printf("skip %s: %s\n", __func__, why);                                  \
        hl_test_cur_skipped = 1;                                                 \
        return;                                                                  \
    } while (0)

#define HL_TEST_SKIPPED 77

static inline int hl_test_summary(void)
{
    printf("%d passed, %d failed, %d skipped\n", hl_test_passed, hl_test_failed,
           hl_test_skipped);
    if (hl_test_failed)
        return 1;
    return hl_test_passed == 0 && hl_test_skipped > 0 ? HL_TEST_SKIPPED : 0;
}

/* splitmix64: the deterministic generator tests use. */
static inline uint64_t hl_test_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif
