/* test_json.c - the harness's JSON writer and reader: round trips, every
 * error path of the reader, and random mutations that must never crash. */
#include "../harness/json.h"
#include "hl_test.h"

#include <math.h>

static char *write_sample(bool pretty, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    hl_jw w;
    hl_jw_init(&w, f, pretty);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "name", "pool \"quoted\"\n\ttab\x01");
    hl_jw_int(&w, "neg", -42);
    hl_jw_uint(&w, "big", 18446744073709551615ull);
    hl_jw_num(&w, "pi", 3.14159265358979);
    hl_jw_num(&w, "nan", NAN);
    hl_jw_bool(&w, "yes", true);
    hl_jw_null(&w, "nothing");
    hl_jw_arr_begin(&w, "list");
    hl_jw_num(&w, NULL, 1.5);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_obj_end(&w);
    hl_jw_arr_begin(&w, NULL);
    hl_jw_arr_end(&w);
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    int rc = hl_jw_finish(&w);
    fclose(f);
    return rc == 0 ? buf : NULL;
}

TEST(round_trip)
{
    for (int pretty = 0; pretty < 2; pretty++) {
        size_t len;
        char *text = write_sample(pretty, &len);
        REQUIRE(text != NULL);
        char err[200];
        hl_json *j = hl_json_parse(text, len, err, sizeof err);
        CHECK_MSG(j != NULL, "%s", err);
        if (!j) {
            free(text);
            return;
        }
        CHECK_STR(hl_json_get_str(j, "name", NULL), "pool \"quoted\"\n\ttab\x01");
        CHECK(hl_json_get_num(j, "neg", 0) == -42);
        CHECK(hl_json_get_num(j, "big", 0) == 18446744073709551615.0);
        CHECK(fabs(hl_json_get_num(j, "pi", 0) - 3.14159265358979) < 1e-15);
        CHECK(hl_json_get(j, "nan")->type == HL_JNULL);
        CHECK(hl_json_bool(hl_json_get(j, "yes"), false));
        CHECK(hl_json_get(j, "nothing")->type == HL_JNULL);
        const hl_json *list = hl_json_get(j, "list");
        CHECK(hl_json_len(list) == 3);
        CHECK(hl_json_num(hl_json_at(list, 0), 0) == 1.5);
        CHECK(hl_json_at(list, 1)->type == HL_JOBJ && hl_json_len(hl_json_at(list, 1)) == 0);
        CHECK(hl_json_at(list, 2)->type == HL_JARR && hl_json_len(hl_json_at(list, 2)) == 0);
        CHECK(hl_json_at(list, 3) == NULL);
        CHECK(hl_json_get(j, "missing") == NULL);
        CHECK(hl_json_get_num(j, "missing", 7) == 7);
        hl_json_free(j);
        free(text);
    }
}

TEST(writer_misuse_is_reported)
{
    char *buf = NULL;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    hl_jw w;
    hl_jw_init(&w, f, false);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_num(&w, NULL, 1); /* value without a key inside an object */
    hl_jw_obj_end(&w);
    CHECK(hl_jw_finish(&w) != 0);
    hl_jw_init(&w, f, false);
    hl_jw_arr_begin(&w, NULL); /* never closed */
    CHECK(hl_jw_finish(&w) != 0);
    fclose(f);
    free(buf);
}

TEST(reader_errors)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "unexpected end of input"},
        {"{", "expected a string key"},
        {"{\"a\" 1}", "expected ':'"},
        {"[1 2]", "expected ',' or ']'"},
        {"[1,]", "unexpected character"},
        {"\"abc", "unterminated string"},
        {"\"\\x\"", "bad escape"},
        {"\"\\u12\"", "bad \\u escape"},
        {"\"\\ud800\"", "surrogate"},
        {"01", "trailing characters"},
        {"1.", "digit expected after '.'"},
        {"1e", "digit expected in exponent"},
        {"tru", "unexpected character"},
        {"{} x", "trailing characters"},
        {"\"a\nb\"", "control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[200] = "";
        hl_json *j = hl_json_parse(bad[i].text, strlen(bad[i].text), err, sizeof err);
        CHECK_MSG(j == NULL, "accepted %s", bad[i].text);
        CHECK_MSG(strstr(err, bad[i].msg) != NULL, "'%s' gave '%s'", bad[i].text, err);
        CHECK_MSG(strncmp(err, "line 1, column ", 15) == 0, "no position in '%s'", err);
        hl_json_free(j);
    }
    /* Deep nesting is refused, not a stack overflow. */
    char deep[2000];
    memset(deep, '[', sizeof deep);
    char err[200];
    CHECK(hl_json_parse(deep, sizeof deep, err, sizeof err) == NULL);
    CHECK(strstr(err, "nesting") != NULL);
    /* Position is reported on later lines. */
    CHECK(hl_json_parse("{\n  \"a\": x}", 11, err, sizeof err) == NULL);
    CHECK(strncmp(err, "line 2, column 8", 16) == 0);
    CHECK(hl_json_parse_file("/nonexistent/x.json", err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent/x.json") != NULL);
}

TEST(unicode_escapes)
{
    const char *text = "\"\\u00e9\\u20ac\\ud83d\\ude00\"";
    char err[200];
    hl_json *j = hl_json_parse(text, strlen(text), err, sizeof err);
    REQUIRE(j != NULL);
    CHECK_STR(j->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    hl_json_free(j);
}

TEST(random_mutations_never_crash)
{
    size_t len;
    char *text = write_sample(true, &len);
    REQUIRE(text != NULL);
    uint64_t rng = 12345;
    char *copy = malloc(len);
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(copy, text, len);
        size_t n = len;
        int edits = 1 + (int)(hl_test_rand(&rng) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = hl_test_rand(&rng) % n;
            switch (hl_test_rand(&rng) % 3) {
            case 0: copy[at] = (char)hl_test_rand(&rng); break;
            case 1: n = at ? at : 1; break; /* truncate */
            default: copy[at] = "{}[]\",:\\"[hl_test_rand(&rng) % 8];
            }
        }
        char err[200];
        hl_json *j = hl_json_parse(copy, n, err, sizeof err);
        parsed += j != NULL;
        hl_json_free(j);
    }
    /* Some mutations (inside strings) stay valid; most do not. */
    CHECK(parsed > 0 && parsed < 20000);
    free(copy);
    free(text);
}

int main(void)
{
    RUN(round_trip);
    RUN(writer_misuse_is_reported);
    RUN(reader_errors);
    RUN(unicode_escapes);
    RUN(random_mutations_never_crash);
    return hl_test_summary();
}
