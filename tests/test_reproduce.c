/* test_reproduce.c - claims files, verdicts and `heaplab reproduce`.
 *
 *   - results/published/claims.json loads, and is consistent: every
 *     selector names a workload, command or backend of the claim's own
 *     experiments, every class_rank benchmark is run by them, and enough
 *     claims have an experiment for the "at least 12 verdicts";
 *   - bad claims files are refused with one line naming the field;
 *   - every rule kind judged on constructed measurements: holds, differs,
 *     not comparable (noise, or nothing measured), and how all/any fold;
 *   - measures over constructed result sets: round-by-round pairing,
 *     several pairs combined, the parallelism check, unpaired variants;
 *   - the command end to end with tests/fake_cell.c as every cell (its
 *     times are a fixed function of backend and size, so the verdicts are
 *     known): --list, unknown ids and flags, a full reproduce, --resume of
 *     a finished and of a partly removed reproduction.
 * Nothing here times anything.
 */
#include "claims.h"
#include "hl_proc.h"
#include "hl_test.h"
#include "measure.h"
#include "results.h"
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HEAPLAB_EXE
#error "HEAPLAB_EXE, FAKE_CELL and SRC_DIR come from tests/CMakeLists.txt"
#endif

static char tmpdir[256];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}


/* ---- a small claims file ---------------------------------------------------------- */

/* Fake-cell times (tests/fake_cell.c): system 100 x (1 + size/1000) ns,
 * pool 50 x the same, so system/pool is exactly 2 at every size. */
static const char *const small_claims =
    "{\"format\": \"heaplab-claims\", \"format_version\": 1, \"description\": \"test\",\n"
    " \"envelopes\": {\"env\": {\"description\": \"d\", \"reference\": \"ref\",\n"
    "   \"machines\": {\"m1\": \"one\", \"m2\": \"two\", \"m3\": \"three\"},\n"
    "   \"thresholds\": {\"large_min\": 2.0, \"large_holds\": 1.6, \"slower_min\": 1.1,\n"
    "                  \"parity_max\": 1.1, \"parity_holds\": 1.2, \"rank_gap\": 1.1},\n"
    "   \"benchmarks\": {\"b\": {\"workload\": \"pairs\", \"original\": null, \"ratios\": {\n"
    "       \"big\": {\"m1\": 5, \"m2\": 3, \"m3\": 4}, \"slow\": {\"m1\": 1.5, \"m2\": 1.3, \"m3\": 1.2},\n"
    "       \"par\": {\"m1\": 1.0, \"m2\": 1.05, \"m3\": 1.02},\n"
    "       \"var\": {\"m1\": 1.05, \"m2\": 1.4, \"m3\": 1.3}}}}}},\n"
    " \"experiments\": {\"e\": {\"description\": \"d\", \"scaling\": \"s\", \"workloads\": [\"pairs\"],\n"
    "   \"backends\": [\"system\", \"pool\"], \"params\": {\"size\": [100, 1000]},\n"
    "   \"repetitions\": 3, \"quick_repetitions\": 2, \"min_time\": 0.01, \"quick_min_time\": 0.01},\n"
    "  \"v\": {\"description\": \"d\", \"scaling\": \"s\", \"workloads\": [\"tree\"],\n"
    "   \"backends\": [\"pool\"], \"repetitions\": 2, \"quick_repetitions\": 1, \"min_time\": 0.01,\n"
    "   \"quick_min_time\": 0.01, \"variants\": [{\"name\": \"a\", \"model_options\": [\"refcount=plain\"]},\n"
    "   {\"name\": \"b\", \"model_options\": [\"refcount=atomic\"]}]}},\n"
    " \"claims\": [\n"
    "  {\"id\": \"c-holds\", \"claim\": \"system takes twice the pool's time\",\n"
    "   \"source\": {\"title\": \"t\", \"authors\": \"a\", \"year\": 2020, \"where\": \"w\", \"ref\": \"r\",\n"
    "              \"url\": \"u\"}, \"source_quality\": \"q\",\n"
    "   \"measured_on\": {\"hardware\": \"h\", \"software\": \"s\"}, \"metric\": \"m\",\n"
    "   \"normalisation\": \"n\", \"published\": {\"ratio\": 2.0}, \"verified\": \"v\",\n"
    "   \"experiments\": [\"e\"], \"rule_text\": \"r\",\n"
    "   \"rule\": {\"kind\": \"band\", \"measure\": {\"of\": \"ratio\", \"num\": {\"backend\": \"system\"},\n"
    "             \"den\": {\"backend\": \"pool\"}}, \"published\": 2.0, \"lo\": 1.8, \"hi\": 2.2}},\n"
    "  {\"id\": \"c-differs\", \"claim\": \"system takes 3.5 times the pool's time\",\n"
    "   \"source\": {\"title\": \"t\", \"authors\": \"a\", \"year\": null, \"where\": \"w\", \"ref\": \"r\",\n"
    "              \"url\": \"u\"}, \"source_quality\": \"q\",\n"
    "   \"measured_on\": {\"hardware\": \"h\", \"software\": \"s\"}, \"metric\": \"m\",\n"
    "   \"normalisation\": \"n\", \"published\": {}, \"verified\": \"v\", \"experiments\": [\"e\"],\n"
    "   \"rule_text\": \"r\", \"differs_because\": \"the fake cell says 2\",\n"
    "   \"rule\": {\"kind\": \"band\", \"measure\": {\"of\": \"ratio\",\n"
    "             \"num\": {\"backend\": \"system\", \"params\": {\"size\": 1000}},\n"
    "             \"den\": {\"backend\": \"pool\", \"params\": {\"size\": 1000}}},\n"
    "             \"published\": 3.5, \"lo\": 3, \"hi\": 4}},\n"
    "  {\"id\": \"c-class\", \"claim\": \"classes\",\n"
    "   \"source\": {\"title\": \"t\", \"authors\": \"a\", \"where\": \"w\", \"ref\": \"r\", \"url\": \"u\"},\n"
    "   \"source_quality\": \"q\", \"measured_on\": {\"hardware\": \"h\", \"software\": \"s\"},\n"
    "   \"metric\": \"m\", \"normalisation\": \"n\", \"published\": {}, \"verified\": \"v\",\n"
    "   \"experiments\": [\"e\"], \"rule_text\": \"r\",\n"
    "   \"rule\": {\"kind\": \"class_rank\", \"envelope\": \"env\", \"machine\": \"m1\",\n"
    "             \"benchmarks\": [\"b\"]}},\n"
    "  {\"id\": \"c-var\", \"claim\": \"variants\",\n"
    "   \"source\": {\"title\": \"t\", \"authors\": \"a\", \"where\": \"w\", \"ref\": \"r\", \"url\": \"u\"},\n"
    "   \"source_quality\": \"q\", \"measured_on\": {\"hardware\": \"h\", \"software\": \"s\"},\n"
    "   \"metric\": \"m\", \"normalisation\": \"n\", \"published\": {}, \"verified\": \"v\",\n"
    "   \"experiments\": [\"v\"], \"rule_text\": \"r\",\n"
    "   \"rule\": {\"kind\": \"direction\", \"measure\": {\"of\": \"ratio\", \"num\": {\"variant\": \"b\"},\n"
    "             \"den\": {\"variant\": \"a\"}}, \"expect\": \"above\", \"significant\": true}},\n"
    "  {\"id\": \"c-nc\", \"claim\": \"cannot be tested\",\n"
    "   \"source\": {\"title\": \"t\", \"authors\": \"a\", \"where\": \"w\", \"ref\": \"r\", \"url\": \"u\"},\n"
    "   \"source_quality\": \"q\", \"measured_on\": {\"hardware\": \"h\", \"software\": \"s\"},\n"
    "   \"metric\": \"m\", \"normalisation\": \"n\", \"published\": {}, \"verified\": \"v\",\n"
    "   \"not_comparable\": \"no such workload here\", \"rule_text\": \"r\"}\n"
    " ]}\n";

static char small_path[512];

/* small_claims with the first `from` replaced by `to`, loaded; returns the
 * load's result with the error line in err. */
static int load_mutated(const char *from, const char *to, char *err, size_t errlen)
{
    const char *at = strstr(small_claims, from);
    if (!at) {
        snprintf(err, errlen, "fixture has no '%s'", from);
        return 99;
    }
    size_t n = strlen(small_claims) + strlen(to) + 1;
    char *text = malloc(n);
    size_t pre = (size_t)(at - small_claims);
    memcpy(text, small_claims, pre);
    strcpy(text + pre, to);
    strcat(text, at + strlen(from));
    char path[600];
    snprintf(path, sizeof path, "%s/bad.json", tmpdir);
    write_text(path, text);
    free(text);
    hl_claims set;
    int rc = hl_claims_load(&set, path, err, errlen);
    if (rc == 0)
        hl_claims_free(&set);
    return rc;
}

TEST(small_file_loads)
{
    hl_claims set;
    char err[600];
    int rc = hl_claims_load(&set, small_path, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc != 0)
        return;
    CHECK_EQ_U64(set.n_claims, 5);
    CHECK_EQ_U64(set.n_experiments, 2);
    const hl_claim *c = hl_claims_find(&set, "c-differs");
    CHECK(c && c->rule.kind == HL_RULE_BAND && c->rule.lo == 3 && c->rule.hi == 4);
    CHECK(c && c->rule.m.num.n_params == 1 && c->rule.m.num.params[0].v[0] == 1000);
    c = hl_claims_find(&set, "c-nc");
    CHECK(c && c->rule.kind == HL_RULE_NOT_MEASURED && c->n_experiments == 0);
    const hl_claims_envelope *e = hl_claims_envelope_find(&set, "env");
    CHECK(e && e->n_machines == 3 && e->n_benchmarks == 1);
    const hl_claims_env_bench *b = e ? hl_claims_env_bench_find(e, "b") : NULL;
    CHECK(b && b->n_allocs == 4 && b->allocs[0].v[1] == 3);
    CHECK(e && strcmp(hl_verdict_class(e, b->allocs[0].v, 3), "large") == 0);
    CHECK(e && strcmp(hl_verdict_class(e, b->allocs[1].v, 3), "slower") == 0);
    CHECK(e && strcmp(hl_verdict_class(e, b->allocs[2].v, 3), "parity") == 0);
    CHECK(e && strcmp(hl_verdict_class(e, b->allocs[3].v, 3), "varies") == 0);
    hl_claims_free(&set);
}

TEST(bad_files_are_refused_with_one_line)
{
    static const struct {
        const char *from, *to, *expect;
    } cases[] = {
        {"\"heaplab-claims\"", "\"heaplab-claim\"", "format"},
        {"\"format_version\": 1", "\"format_version\": 2", "format_version"},
        {"\"lo\": 1.8", "\"low\": 1.8", "unknown key"},
        {"\"id\": \"c-differs\"", "\"id\": \"c-holds\"", "ids are unique"},
        {"\"experiments\": [\"e\"], \"rule_text\": \"r\",\n   \"rule\": {\"kind\": \"band\"",
         "\"experiments\": [\"nope\"], \"rule_text\": \"r\",\n   \"rule\": {\"kind\": \"band\"",
         "no experiment 'nope'"},
        {"{\"kind\": \"band\", \"measure\"", "{\"kind\": \"bands\", \"measure\"", "unknown rule kind"},
        {"\"lo\": 3, \"hi\": 4", "\"lo\": 4, \"hi\": 3", "above hi"},
        {"\"machine\": \"m1\"", "\"machine\": \"m9\"", "not a machine"},
        {"{\"variant\": \"b\"}", "{\"variant\": \"c\"}", "variant 'c'"},
        {"{\"of\": \"ratio\", \"num\": {\"backend\": \"system\"},",
         "{\"of\": \"ratio\", \"metric\": \"speed\", \"num\": {\"backend\": \"system\"},",
         "unknown metric 'speed'"},
        {"\"not_comparable\": \"no such workload here\", \"rule_text\": \"r\"",
         "\"not_comparable\": \"x\", \"rule_text\": \"r\", \"experiments\": [\"e\"]",
         "not_comparable claims have no experiments"},
        {"\"params\": {\"size\": [100, 1000]}", "\"params\": {\"size\": [100, 1.5]}", "integer"},
        {"\"year\": 2020", "\"year\": \"2020\"", "year"},
        {"\"quick_repetitions\": 2", "\"quick_repetitions\": 0", "at least 1"},
        {"\"expect\": \"above\"", "\"expect\": \"up\"", "use above or below"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[600] = "";
        int rc = load_mutated(cases[i].from, cases[i].to, err, sizeof err);
        CHECK_MSG(rc == -1, "case %zu (%s) loaded: %s", i, cases[i].expect, err);
        CHECK_MSG(strstr(err, cases[i].expect) != NULL, "case %zu: '%s' lacks '%s'", i, err,
                  cases[i].expect);
        CHECK_MSG(strchr(err, '\n') == NULL, "case %zu: more than one line: %s", i, err);
        CHECK_MSG(strncmp(err, "bad.json: ", 10) == 0, "case %zu: no file name: %s", i, err);
    }
    char err[600];
    hl_claims set;
    CHECK(hl_claims_load(&set, "/nonexistent/claims.json", err, sizeof err) == -1 && err[0]);
}

/* ---- the published claims file ------------------------------------------------------ */

static bool exp_has_workload(const hl_claims_exp *x, const char *w)
{
    for (size_t i = 0; i < x->n_workloads; i++)
        if (strcmp(x->workloads[i], w) == 0)
            return true;
    for (size_t i = 0; i < x->n_commands; i++)
        if (strcmp(x->commands[i].name, w) == 0)
            return true;
    for (size_t i = 0; i < x->n_originals; i++)
        if (strcmp(x->originals[i].original, w) == 0)
            return true;
    return false;
}

static bool exp_has_backend(const hl_claims_exp *x, const char *b)
{
    for (size_t i = 0; i < x->n_backends; i++)
        if (strcmp(x->backends[i], b) == 0)
            return true;
    return false;
}

static void check_sel(const hl_claims *set, const hl_claim *c, const hl_claims_sel *s)
{
    bool w = !s->workload[0], b = !s->backend[0];
    for (size_t k = 0; k < c->n_experiments; k++) {
        const hl_claims_exp *x = &set->experiments[c->experiments[k]];
        w |= s->workload[0] && exp_has_workload(x, s->workload);
        b |= s->backend[0] && exp_has_backend(x, s->backend);
    }
    CHECK_MSG(w, "%s: workload '%s' is not run by its experiments", c->id, s->workload);
    CHECK_MSG(b, "%s: backend '%s' is not run by its experiments", c->id, s->backend);
}

static size_t check_rule(const hl_claims *set, const hl_claim *c, const hl_claims_rule *r)
{
    CHECK_MSG(strcmp(hl_rule_kind_name(r->kind), "?") != 0, "%s: unknown kind", c->id);
    size_t leaves = 0;
    switch (r->kind) {
    case HL_RULE_BAND:
    case HL_RULE_DIRECTION:
        check_sel(set, c, &r->m.num);
        if (r->m.kind != HL_MEASURE_VALUE)
            check_sel(set, c, &r->m.den);
        CHECK_MSG(r->label && r->label[0], "%s: a part without a label", c->id);
        return 1;
    case HL_RULE_CLASS_RANK: {
        const hl_claims_envelope *e = hl_claims_envelope_find(set, r->envelope);
        for (size_t i = 0; e && i < r->n_benchmarks; i++) {
            const hl_claims_env_bench *b = hl_claims_env_bench_find(e, r->benchmarks[i]);
            bool run = false;
            for (size_t k = 0; k < c->n_experiments; k++)
                run |= b->workload[0] ? exp_has_workload(&set->experiments[c->experiments[k]],
                                                         b->workload)
                                      : exp_has_workload(&set->experiments[c->experiments[k]],
                                                         b->original);
            CHECK_MSG(run, "%s: benchmark %s is not run by its experiments", c->id, b->name);
            for (size_t a = 0; a < b->n_allocs; a++)
                for (size_t k = 0; k < c->n_experiments; k++)
                    CHECK_MSG(exp_has_backend(&set->experiments[c->experiments[k]],
                                              b->allocs[a].backend) &&
                                  exp_has_backend(&set->experiments[c->experiments[k]],
                                                  e->reference),
                              "%s: %s or %s not in %s", c->id, b->allocs[a].backend,
                              e->reference, set->experiments[c->experiments[k]].name);
        }
        return 1;
    }
    case HL_RULE_ALL:
    case HL_RULE_ANY:
        for (size_t i = 0; i < r->n_parts; i++)
            leaves += check_rule(set, c, &r->parts[i]);
        return leaves;
    case HL_RULE_NOT_MEASURED:
        CHECK_MSG(r->reason && r->reason[0], "%s: not_measured without a reason", c->id);
        return 0;
    }
    return 0;
}

TEST(published_claims_file)
{
    char path[600], err[600];
    snprintf(path, sizeof path, "%s/results/published/claims.json", SRC_DIR);
    hl_claims set;
    int rc = hl_claims_load(&set, path, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc != 0)
        return;
    CHECK(set.n_claims >= 20);
    size_t runnable = 0;
    for (size_t i = 0; i < set.n_claims; i++) {
        const hl_claim *c = &set.claims[i];
        CHECK_MSG(hl_json_get_str(c->source, "url", "")[0], "%s: no url", c->id);
        if (c->not_comparable[0]) {
            CHECK_MSG(strlen(c->not_comparable) > 20, "%s: say why it is not comparable", c->id);
            continue;
        }
        CHECK_MSG(check_rule(&set, c, &c->rule) > 0, "%s: nothing measured", c->id);
        runnable++;
    }
    CHECK_MSG(runnable >= 12, "only %zu claims have an experiment", runnable);
    hl_claims_free(&set);
}

/* ---- verdicts on constructed measurements --------------------------------------------- */

/* The callback returns, for a measure, the first entry whose num backend
 * (or variant, or metric) matches; unmatched measures are not ok. */
typedef struct fake_m {
    const char *key; /* num.backend, else num.variant, else metric */
    const char *den; /* den.backend or NULL for any */
    double v, lo, hi;
    bool ok;
} fake_m;

static size_t n_fake;
static const fake_m *fakes;
static int fake_calls;

static int fake_measure(void *ctx, const hl_claims_measure *m, bool original, hl_measured *out)
{
    (void)ctx;
    (void)original;
    fake_calls++;
    memset(out, 0, sizeof *out);
    const char *key = m->num.backend[0] ? m->num.backend
                      : m->num.variant[0] ? m->num.variant : m->metric;
    for (size_t i = 0; i < n_fake; i++)
        if (strcmp(fakes[i].key, key) == 0 &&
            (!fakes[i].den || strcmp(fakes[i].den, m->den.backend) == 0)) {
            out->ok = fakes[i].ok;
            out->value = fakes[i].v;
            out->lo = fakes[i].lo;
            out->hi = fakes[i].hi;
            out->n = 5;
            if (!out->ok)
                snprintf(out->why, sizeof out->why, "fake: not measured");
            return 0;
        }
    snprintf(out->why, sizeof out->why, "fake: no value for %s", key);
    return 0;
}

static hl_claims_rule leaf(hl_rule_kind k, const char *backend)
{
    hl_claims_rule r;
    memset(&r, 0, sizeof r);
    r.kind = k;
    r.label = backend;
    r.m.kind = HL_MEASURE_RATIO;
    r.m.metric = r.m.den_metric = "time";
    r.m.num.backend = backend;
    r.m.num.workload = r.m.num.variant = r.m.den.workload = r.m.den.variant = "";
    r.m.den.backend = "ref";
    r.published = NAN;
    r.lo = -INFINITY;
    r.hi = INFINITY;
    r.pivot = 1;
    r.threshold = 1;
    return r;
}

static hl_cverdict judge1(const hl_claims_rule *r, hl_judgement *j)
{
    hl_claims empty;
    memset(&empty, 0, sizeof empty);
    CHECK(hl_judge(&empty, r, fake_measure, NULL, false, j) == 0);
    return j->v;
}

TEST(band_and_direction)
{
    static const fake_m f[] = {
        {"in", NULL, 2.0, 1.9, 2.1, true},    {"out", NULL, 5.0, 4.0, 6.0, true},
        {"none", NULL, 0, 0, 0, false},        {"clear", NULL, 1.4, 1.2, 1.6, true},
        {"straddle", NULL, 1.4, 0.9, 1.9, true}, {"short", NULL, 1.05, 1.02, 1.1, true},
        {"wrong", NULL, 0.7, 0.6, 0.8, true},
    };
    fakes = f;
    n_fake = sizeof f / sizeof f[0];
    hl_judgement j;
    hl_claims_rule r = leaf(HL_RULE_BAND, "in");
    r.lo = 1.5;
    r.hi = 2.5;
    r.published = 2.2;
    CHECK(judge1(&r, &j) == HL_CV_HOLDS && j.n_items == 1 && j.items[0].measured == 2.0);
    CHECK(j.items[0].published == 2.2 && j.items[0].holds_lo == 1.5);
    hl_judgement_free(&j);
    r.m.num.backend = "out";
    CHECK(judge1(&r, &j) == HL_CV_DIFFERS && strstr(j.items[0].why, "above") != NULL);
    CHECK(strstr(j.items[0].why, "2.27x the published") != NULL);
    hl_judgement_free(&j);
    r.m.num.backend = "none";
    CHECK(judge1(&r, &j) == HL_CV_NOT_COMPARABLE && strstr(j.summary, "not measured"));
    hl_judgement_free(&j);

    hl_claims_rule d = leaf(HL_RULE_DIRECTION, "clear");
    d.above = true;
    d.significant = true;
    d.threshold = 1.2;
    CHECK(judge1(&d, &j) == HL_CV_HOLDS);
    hl_judgement_free(&j);
    d.m.num.backend = "straddle"; /* median past the threshold, interval includes 1 */
    CHECK(judge1(&d, &j) == HL_CV_NOT_COMPARABLE && strstr(j.items[0].why, "too noisy"));
    hl_judgement_free(&j);
    d.significant = false; /* without significance the median decides */
    CHECK(judge1(&d, &j) == HL_CV_HOLDS);
    hl_judgement_free(&j);
    d.significant = true;
    d.m.num.backend = "short"; /* above 1 for sure, but the whole interval short of 1.2 */
    CHECK(judge1(&d, &j) == HL_CV_DIFFERS && strstr(j.items[0].why, "falls short"));
    hl_judgement_free(&j);
    d.m.num.backend = "wrong";
    CHECK(judge1(&d, &j) == HL_CV_DIFFERS && strstr(j.items[0].why, "wrong side"));
    hl_judgement_free(&j);
    d.above = false; /* expected below 1: 0.7 [0.6, 0.8] holds */
    d.threshold = 1;
    CHECK(judge1(&d, &j) == HL_CV_HOLDS);
    hl_judgement_free(&j);
    d.m.num.backend = "none";
    CHECK(judge1(&d, &j) == HL_CV_NOT_COMPARABLE);
    hl_judgement_free(&j);
}

TEST(all_any_and_not_measured)
{
    static const fake_m f[] = {
        {"in", NULL, 2.0, 1.9, 2.1, true}, {"out", NULL, 5.0, 4.0, 6.0, true},
        {"none", NULL, 0, 0, 0, false},
    };
    fakes = f;
    n_fake = sizeof f / sizeof f[0];
    hl_claims_rule parts[3] = {leaf(HL_RULE_BAND, "in"), leaf(HL_RULE_BAND, "out"),
                               leaf(HL_RULE_NOT_MEASURED, "nm")};
    for (int i = 0; i < 2; i++) {
        parts[i].lo = 1.5;
        parts[i].hi = 2.5;
    }
    parts[2].reason = "cannot measure this";
    hl_claims_rule all = leaf(HL_RULE_ALL, "all");
    all.parts = parts;
    all.n_parts = 3;
    hl_judgement j;
    CHECK(judge1(&all, &j) == HL_CV_DIFFERS && j.n_items == 3 && j.n_differs == 1);
    CHECK(j.items[2].v == HL_CV_NOT_COMPARABLE && strcmp(j.items[2].why, "cannot measure this") == 0);
    hl_judgement_free(&j);
    all.kind = HL_RULE_ANY;
    CHECK(judge1(&all, &j) == HL_CV_HOLDS);
    hl_judgement_free(&j);
    /* holds + not comparable: all holds, and says what was not comparable */
    parts[1] = parts[2];
    all.kind = HL_RULE_ALL;
    all.n_parts = 2;
    CHECK(judge1(&all, &j) == HL_CV_HOLDS && strstr(j.summary, "1 not comparable"));
    hl_judgement_free(&j);
    /* nothing comparable: not comparable */
    parts[0] = parts[2];
    CHECK(judge1(&all, &j) == HL_CV_NOT_COMPARABLE);
    hl_judgement_free(&j);
}

TEST(class_rank)
{
    hl_claims set;
    char err[600];
    if (hl_claims_load(&set, small_path, err, sizeof err) != 0) {
        CHECK_MSG(0, "%s", err);
        return;
    }
    const hl_claim *c = hl_claims_find(&set, "c-class");
    /* big: large class (min 3 > 2): holds at >= 1.6; slow: slower (min 1.2 >
     * 1.1): holds above 1.1 with the interval above 1; par: parity; var:
     * varies but all above 1: the direction only. */
    static const fake_m ok[] = {
        {"big", "ref", 1.8, 1.7, 1.9, true},   {"slow", "ref", 1.3, 1.2, 1.4, true},
        {"par", "ref", 1.05, 0.95, 1.1, true}, {"var", "ref", 1.2, 1.1, 1.3, true},
        {"big", "slow", 1.4, 1.3, 1.5, true},  {"big", "par", 1.7, 1.6, 1.8, true},
        {"big", "var", 1.5, 1.4, 1.6, true},   {"slow", "par", 1.2, 1.1, 1.3, true},
        {"var", "par", 1.1, 1.05, 1.15, true}, {"slow", "var", 1.1, 0.9, 1.2, true},
        {"var", "slow", 1.0, 0.9, 1.1, true},
    };
    fakes = ok;
    n_fake = sizeof ok / sizeof ok[0];
    hl_judgement j;
    CHECK(hl_judge(&set, &c->rule, fake_measure, NULL, false, &j) == 0);
    CHECK_MSG(j.v == HL_CV_HOLDS, "%s", j.summary);
    CHECK(j.n_items >= 4);
    CHECK(j.items[0].published == 5 && strstr(j.items[0].label, "large"));
    CHECK(strstr(j.items[3].label, "varies") && strstr(j.items[3].why, "direction only"));
    size_t ranks = 0;
    for (size_t i = 4; i < j.n_items; i++)
        ranks += strstr(j.items[i].label, "slower than") != NULL;
    CHECK(ranks == j.n_items - 4 && ranks >= 3);
    hl_judgement_free(&j);

    /* A large-class allocator measured at parity differs; a flipped pair differs. */
    static const fake_m bad[] = {
        {"big", "ref", 1.0, 0.9, 1.1, true},   {"slow", "ref", 1.3, 1.2, 1.4, true},
        {"par", "ref", 1.5, 1.4, 1.6, true},   {"var", "ref", 1.2, 0.9, 1.5, true},
        {"big", "slow", 0.7, 0.6, 0.8, true},  {"big", "par", 1.7, 1.6, 1.8, true},
        {"big", "var", 1.5, 1.4, 1.6, true},   {"slow", "par", 1.2, 1.1, 1.3, true},
        {"var", "par", 1.1, 1.05, 1.15, true}, {"slow", "var", 1.1, 0.9, 1.2, true},
        {"var", "slow", 1.0, 0.9, 1.1, true},
    };
    fakes = bad;
    n_fake = sizeof bad / sizeof bad[0];
    CHECK(hl_judge(&set, &c->rule, fake_measure, NULL, false, &j) == 0);
    CHECK(j.v == HL_CV_DIFFERS);
    CHECK(j.items[0].v == HL_CV_DIFFERS);                  /* big at 1.0 */
    CHECK(j.items[2].v == HL_CV_DIFFERS);                  /* par at 1.5 */
    CHECK(j.items[3].v == HL_CV_NOT_COMPARABLE);           /* var straddles 1 */
    bool flipped = false;
    for (size_t i = 4; i < j.n_items; i++)
        flipped |= j.items[i].v == HL_CV_DIFFERS && strstr(j.items[i].why, "flipped");
    CHECK(flipped);
    hl_judgement_free(&j);

    /* Nothing measured: not comparable, with the measure's reason. */
    n_fake = 0;
    CHECK(hl_judge(&set, &c->rule, fake_measure, NULL, false, &j) == 0);
    CHECK(j.v == HL_CV_NOT_COMPARABLE && strstr(j.summary, "fake: no value"));
    hl_judgement_free(&j);
    hl_claims_free(&set);
}

/* ---- measures over constructed result sets ---------------------------------------------- */

static void add_extra(hl_rep *r, const char *name, double v)
{
    r->extra = realloc(r->extra, (r->n_extra + 1) * sizeof *r->extra);
    r->extra[r->n_extra].name = strdup(name);
    r->extra[r->n_extra].value = v;
    r->n_extra++;
}

/* cells: (backend, size, threads); values[cell][rep] = ns; cpu = cpu/wall ratio */
static void make_set(hl_resultset *rs, size_t nc, const char *const *backends,
                     const int *sizes, unsigned threads, unsigned reps, const double *ns,
                     double cpu_over_wall)
{
    hl_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.repetitions = reps;
    plan.n_cells = nc;
    plan.cells = calloc(nc, sizeof *plan.cells);
    snprintf(plan.measure, sizeof plan.measure, "time");
    for (size_t c = 0; c < nc; c++) {
        hl_plan_cell *pc = &plan.cells[c];
        snprintf(pc->id, sizeof pc->id, "pairs--%s--t%u--size=%d", backends[c], threads, sizes[c]);
        snprintf(pc->backend, sizeof pc->backend, "%s", backends[c]);
        snprintf(pc->variant, sizeof pc->variant, "system");
        snprintf(pc->workload, sizeof pc->workload, "pairs");
        pc->threads = threads;
        pc->threaded = threads > 1;
    }
    char err[200];
    CHECK(hl_results_init(rs, "/nonexistent", &plan, NULL, err, sizeof err) == 0);
    for (size_t c = 0; c < nc; c++)
        for (unsigned k = 0; k < reps; k++) {
            hl_rep *r = hl_results_rep(rs, c, k);
            r->done = true;
            snprintf(r->status, sizeof r->status, "ok");
            r->m[HL_M_NS_PER_OP] = ns[c * reps + k];
            add_extra(r, "params.size", sizes[c]);
            add_extra(r, "time.cpu_ns_per_op", ns[c * reps + k] * cpu_over_wall);
        }
}

static hl_claims_measure ratio(const char *num, const char *den)
{
    hl_claims_measure m;
    memset(&m, 0, sizeof m);
    m.kind = HL_MEASURE_RATIO;
    m.metric = m.den_metric = "time";
    m.num.workload = m.den.workload = m.num.variant = m.den.variant = "";
    m.num.backend = num;
    m.den.backend = den;
    m.num.threads = m.den.threads = HL_CLAIMS_THREADS_ANY;
    m.scale = m.per = m.unit = 1;
    return m;
}

TEST(measures_pair_round_by_round)
{
    static const char *const be[] = {"system", "tcmalloc", "system", "tcmalloc"};
    static const int sz[] = {16, 16, 64, 64};
    /* size 16: system/tcmalloc per round 2, 2, 4 (median 2); size 64:
     * 3, 3, 3.  The medians of the cells alone (20/10 = 2, ...) would give
     * the same here; the per-round pairing shows in the interval. */
    static const double ns[] = {20, 20, 40, 10, 10, 10, 30, 30, 30, 10, 10, 10};
    hl_resultset rs;
    make_set(&rs, 4, be, sz, 1, 3, ns, 1.0);
    hl_mset set = {"e", "", true, false, NAN, &rs, NULL};
    hl_mctx mc = {1, &set, 2};
    hl_claims_measure m = ratio("system", "tcmalloc");
    hl_measured out;
    hl_measure_eval(&mc, &m, false, &out);
    CHECK_MSG(out.ok, "%s", out.why);
    CHECK(out.groups == 2 && out.paired && out.n == 3);
    CHECK(fabs(out.value - sqrt(2.0 * 3.0)) < 1e-9);      /* geometric mean of 2 and 3 */
    CHECK(fabs(out.hi - sqrt(4.0 * 3.0)) < 1e-9);         /* ranges: [2, 4] and [3, 3] */
    /* one size only */
    m.num.n_params = m.den.n_params = 1;
    m.num.params[0] = (hl_claims_param){"size", 1, {64}};
    m.den.params[0] = m.num.params[0];
    hl_measure_eval(&mc, &m, false, &out);
    CHECK(out.ok && out.groups == 1 && fabs(out.value - 3) < 1e-9);
    /* a saving and a value */
    m.kind = HL_MEASURE_SAVING;
    hl_measure_eval(&mc, &m, false, &out);
    CHECK(out.ok && fabs(out.value - (1 - 3.0)) < 1e-9);
    m.kind = HL_MEASURE_VALUE;
    hl_measure_eval(&mc, &m, false, &out);
    CHECK(out.ok && fabs(out.value - 30) < 1e-9);
    /* nothing selected: not ok, with the selector */
    hl_claims_measure none = ratio("jemalloc", "tcmalloc");
    hl_measure_eval(&mc, &none, false, &out);
    CHECK(!out.ok && strstr(out.why, "jemalloc"));
    /* a set that did not run: its reason */
    hl_mset missing = {"e", "", true, false, NAN, NULL, "no CPython 3.13 here"};
    hl_mctx mc2 = {1, &missing, 2};
    hl_measure_eval(&mc2, &m, false, &out);
    CHECK(!out.ok && strcmp(out.why, "no CPython 3.13 here") == 0);
    hl_results_free(&rs);
}

TEST(measures_check_parallelism_and_variants)
{
    static const char *const be[] = {"system", "tcmalloc"};
    static const int sz[] = {16, 16};
    static const double ns[] = {20, 20, 10, 10};
    hl_resultset busy, quiet;
    make_set(&busy, 2, be, sz, 2, 2, ns, 1.1);  /* 2 threads, CPU 1.1 x wall */
    make_set(&quiet, 2, be, sz, 2, 2, ns, 1.9);
    hl_claims_measure m = ratio("system", "tcmalloc");
    hl_measured out;
    hl_mset s1 = {"e", "", true, false, 0.7, &busy, NULL};
    hl_mctx mc = {1, &s1, 2};
    hl_measure_eval(&mc, &m, false, &out);
    CHECK(!out.ok && strstr(out.why, "not running in parallel") && strstr(out.why, "1.10"));
    hl_mset s2 = {"e", "", true, false, 0.7, &quiet, NULL};
    mc.sets = &s2;
    hl_measure_eval(&mc, &m, false, &out);
    CHECK(out.ok && fabs(out.value - 2) < 1e-9);
    /* variants: two sets, num from one and den from the other, unpaired */
    hl_mset vs[2] = {{"v", "a", true, false, NAN, &busy, NULL},
                     {"v", "b", false, false, NAN, &quiet, NULL}};
    mc.sets = vs;
    mc.n = 2;
    hl_claims_measure mv = ratio("system", "system");
    mv.num.variant = "b";
    mv.den.variant = "a";
    hl_measure_eval(&mc, &mv, false, &out);
    CHECK(out.ok && !out.paired && fabs(out.value - 1) < 1e-9);
    hl_results_free(&busy);
    hl_results_free(&quiet);
}

/* ---- the command end to end --------------------------------------------------------------- */

static char out_path[512], err_path[512], log_path[512];

static void fake_cell_env(void)
{
    setenv("HEAPLAB_TEST_CELL_CMD", FAKE_CELL, 1);
    setenv("HEAPLAB_TEST_CELL_VARIANTS", "system", 1);
    setenv("HEAPLAB_FAKE_LOG", log_path, 1);
}

static int heaplab(const char *first, ...)
{
    char *argv[64];
    int n = 0;
    argv[n++] = HEAPLAB_EXE;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return hl_proc_wait(hl_proc_spawn(argv, tmpdir, out_path, err_path, fake_cell_env));
}

static size_t lines_of(const char *path)
{
    char *s = hl_proc_slurp(path);
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += *p == '\n';
    free(s);
    return n;
}

static void expect_usage(const char *what, int rc, const char *needle)
{
    char *err = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 2, "%s: exit %d", what, rc);
    CHECK_MSG(lines_of(err_path) == 1, "%s: not one line: %s", what, err);
    CHECK_MSG(strstr(err, needle) != NULL, "%s: '%s' lacks '%s'", what, err, needle);
    free(err);
}

TEST(cli_list_and_bad_input)
{
    int rc = heaplab("reproduce", "--list", NULL);
    char *out = hl_proc_slurp(out_path);
    CHECK(rc == 0);
    CHECK(strstr(out, "mimalloc-2021-amd5950x-larsonN") && strstr(out, "[class_rank]"));
    CHECK(strstr(out, "not comparable here:"));
    free(out);
    rc = heaplab("reproduce", "--list", "--claims", small_path, "c-*", NULL);
    out = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(out, "5 claims") && strstr(out, "c-holds") && !strstr(out, "mimalloc"));
    free(out);
    expect_usage("unknown id", heaplab("reproduce", "--claims", small_path, "c-hold", NULL),
                 "did you mean 'c-holds'");
    expect_usage("unknown id far", heaplab("reproduce", "zzzzzzzz", NULL), "no claim 'zzzzzzzz'");
    expect_usage("bad flag", heaplab("reproduce", "--quik", NULL), "did you mean '--quick'");
    expect_usage("bench dir", heaplab("reproduce", "--bench-dir", "/nonexistent/bench", NULL),
                 "not a directory");
    expect_usage("python", heaplab("reproduce", "--python", "/nonexistent/python3", NULL),
                 "not an executable");
    expect_usage("resume with ids", heaplab("reproduce", "--resume", tmpdir, "c-holds", NULL),
                 "--resume DIR alone");
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.json", tmpdir);
    write_text(bad, "{\"format\": \"heaplab-claims\", \"format_version\": 1}");
    expect_usage("bad claims", heaplab("reproduce", "--claims", bad, "--list", NULL),
                 "bad.json: description: missing");
    expect_usage("no file", heaplab("reproduce", "--claims", "/nonexistent.json", NULL),
                 "no such file");
    rc = heaplab("reproduce", "--help", NULL);
    out = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(out, "usage: heaplab reproduce"));
    free(out);
}

TEST(cli_reproduce_end_to_end)
{
    char dir[600], json[700], md[700], resume[700];
    snprintf(dir, sizeof dir, "%s/repro", tmpdir);
    unlink(log_path);
    int rc = heaplab("reproduce", "--claims", small_path, "--out", dir, "--seed", "7", NULL);
    char *out = hl_proc_slurp(out_path), *err = hl_proc_slurp(err_path);
    CHECK_MSG(rc == 0, "exit %d: %s %s", rc, out, err);
    free(out);
    free(err);
    size_t jobs = lines_of(log_path);
    CHECK_MSG(jobs == 16, "%zu cell jobs (2 backends x 2 sizes x 3 repetitions, and 2 variants "
                          "x 2 repetitions)", jobs);
    snprintf(json, sizeof json, "%s/reproduce.json", dir);
    snprintf(md, sizeof md, "%s/reproduce.md", dir);
    char jerr[300];
    hl_json *doc = hl_json_parse_file(json, jerr, sizeof jerr);
    CHECK_MSG(doc != NULL, "%s", jerr);
    if (doc) {
        const hl_json *claims = hl_json_get(doc, "claims");
        CHECK(hl_json_len(claims) == 5);
        static const char *const want[][2] = {{"c-holds", "holds"},
                                              {"c-differs", "differs"},
                                              {"c-class", "not comparable here"},
                                              {"c-var", "holds"},
                                              {"c-nc", "not comparable here"}};
        for (size_t i = 0; i < 5; i++) {
            const hl_json *c = hl_json_at(claims, i);
            CHECK_STR(hl_json_get_str(c, "id", ""), want[i][0]);
            CHECK_MSG(strcmp(hl_json_get_str(c, "verdict", ""), want[i][1]) == 0, "%s: %s (%s)",
                      want[i][0], hl_json_get_str(c, "verdict", ""),
                      hl_json_get_str(c, "summary", ""));
        }
        const hl_json *items = hl_json_get(hl_json_get(hl_json_at(claims, 0), "heaplab"), "items");
        CHECK(fabs(hl_json_get_num(hl_json_at(items, 0), "measured", 0) - 2.0) < 1e-9);
        CHECK(strstr(hl_json_get_str(hl_json_at(claims, 1), "differs_because", ""), "fake cell"));
        const hl_json *cnt = hl_json_get(doc, "counts");
        CHECK(hl_json_get_num(cnt, "holds", -1) == 2 && hl_json_get_num(cnt, "differs", -1) == 1);
        /* the variants' model options reached their cells: the fake cell
         * doubles its time under refcount=atomic */
        const hl_json *vitems = hl_json_get(hl_json_get(hl_json_at(claims, 3), "heaplab"), "items");
        CHECK(fabs(hl_json_get_num(hl_json_at(vitems, 0), "measured", 0) - 2.0) < 1e-9);
        const hl_json *runs = hl_json_get(doc, "runs");
        CHECK(hl_json_len(runs) == 3);
        CHECK_STR(hl_json_get_str(hl_json_at(runs, 1), "state", ""), "done");
        hl_json_free(doc);
    }
    /* a chart per judged claim, when gnuplot is there to draw it */
    if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
        char chart[700];
        struct stat cst;
        snprintf(chart, sizeof chart, "%s/charts/c-holds.svg", dir);
        CHECK_MSG(stat(chart, &cst) == 0 && cst.st_size > 0, "no chart %s", chart);
    }
    char *mdt = hl_proc_slurp(md);
    CHECK(strstr(mdt, "| claim | source | published | measured here | verdict | why |"));
    CHECK(strstr(mdt, "**holds**") && strstr(mdt, "**differs**"));
    free(mdt);

    /* --resume of a finished reproduction runs nothing again */
    rc = heaplab("reproduce", "--resume", dir, NULL);
    out = hl_proc_slurp(out_path);
    CHECK_MSG(rc == 0 && strstr(out, "complete already"), "exit %d: %s", rc, out);
    free(out);
    CHECK(lines_of(log_path) == jobs);
    /* ... and runs again exactly what is missing */
    snprintf(resume, sizeof resume, "rm -rf '%s/e'", dir);
    CHECK(system(resume) == 0);
    rc = heaplab("reproduce", "--resume", dir, NULL);
    CHECK(rc == 0 && lines_of(log_path) == jobs + 12);
    doc = hl_json_parse_file(json, jerr, sizeof jerr);
    CHECK(doc && strcmp(hl_json_get_str(hl_json_at(hl_json_get(doc, "claims"), 0), "verdict", ""),
                        "holds") == 0);
    hl_json_free(doc);
    /* a reproduction directory is not reused by accident */
    expect_usage("out exists", heaplab("reproduce", "--claims", small_path, "--out", dir, NULL),
                 "already exists");
    /* --dry-run prints the runs, runs nothing */
    char dry[600];
    snprintf(dry, sizeof dry, "%s/dry", tmpdir);
    rc = heaplab("reproduce", "--claims", small_path, "--out", dry, "--quick", "--dry-run", NULL);
    out = hl_proc_slurp(out_path);
    CHECK(rc == 0 && strstr(out, "heaplab run quick --workloads pairs --param size=100,1000"));
    CHECK(strstr(out, "--repetitions 2") && strstr(out, "--model-option refcount=atomic"));
    free(out);
    CHECK(lines_of(log_path) == jobs + 12);
    struct stat st;
    CHECK(stat(dry, &st) != 0);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hl-test-reproduce-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(small_path, sizeof small_path, "%s/small.json", tmpdir);
    snprintf(out_path, sizeof out_path, "%s/out.txt", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/err.txt", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/fake.log", tmpdir);
    write_text(small_path, small_claims);
    RUN(small_file_loads);
    RUN(bad_files_are_refused_with_one_line);
    RUN(published_claims_file);
    RUN(band_and_direction);
    RUN(all_any_and_not_measured);
    RUN(class_rank);
    RUN(measures_pair_round_by_round);
    RUN(measures_check_parallelism_and_variants);
    RUN(cli_list_and_bad_input);
    RUN(cli_reproduce_end_to_end);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return hl_test_summary();
}
