/* test_sha256.c - SHA-256 against the FIPS 180-4 example vectors (NIST
 * "Cryptographic Standards and Guidelines: Examples with Intermediate
 * Values", SHA256.pdf) and against split updates. */
#include "hl_test.h"
#include "sha256.h"

#include <unistd.h>

static void digest(const char *msg, size_t len, char out[65])
{
    hl_sha256 s;
    hl_sha256_init(&s);
    hl_sha256_update(&s, msg, len);
    hl_sha256_hex(&s, out);
}

TEST(fips_vectors)
{
    char h[65];
    digest("", 0, h);
    CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest("abc", 3, h);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest(two, strlen(two), h);
    CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a': many blocks */
    hl_sha256 s;
    hl_sha256_init(&s);
    char a[1000];
    memset(a, 'a', sizeof a);
    for (int i = 0; i < 1000; i++)
        hl_sha256_update(&s, a, sizeof a);
    hl_sha256_hex(&s, h);
    CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(split_updates_match_one_update)
{
    char msg[300], whole[65], parts[65];
    uint64_t seed = 5;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char)hl_test_rand(&seed);
    for (size_t len = 0; len <= sizeof msg; len += 7) {
        digest(msg, len, whole);
        hl_sha256 s;
        hl_sha256_init(&s);
        for (size_t off = 0; off < len;) {
            size_t take = 1 + hl_test_rand(&seed) % 70;
            if (take > len - off)
                take = len - off;
            hl_sha256_update(&s, msg + off, take);
            off += take;
        }
        hl_sha256_hex(&s, parts);
        CHECK_MSG(strcmp(whole, parts) == 0, "length %zu", len);
    }
}

TEST(files)
{
    char path[64], h[65], err[256];
    snprintf(path, sizeof path, "test_sha256-%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("abc", f);
    fclose(f);
    uint64_t size = 0;
    CHECK(hl_sha256_file(path, h, &size, err, sizeof err) == 0);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_EQ_U64(size, 3);
    unlink(path);
    CHECK(hl_sha256_file(path, h, &size, err, sizeof err) == -1);
    CHECK(strstr(err, path) != NULL);
    CHECK(hl_sha256_file(".", h, &size, err, sizeof err) == -1);
    CHECK(strstr(err, "not a regular file") != NULL);
}

int main(void)
{
    RUN(fips_vectors);
    RUN(split_updates_match_one_update);
    RUN(files);
    return hl_test_summary();
}
