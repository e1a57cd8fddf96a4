/* claims.c - loads and checks a claims file (claims.h).
 *
 * How it works
 * ------------
 * The whole file is parsed into a JSON tree (json.h) that the set keeps:
 * every string of the model points into it.  Then, section by section
 * (envelopes, experiments, claims), each object is checked against the
 * keys it may have (an unknown key is refused, so that a misspelt
 * "threshhold" cannot silently leave a rule without its threshold), each
 * field against its type and range, and every reference (a claim's
 * experiments, a rule's envelope, machine and benchmarks, a selector's
 * variant or original run) against what the file defines.  The first
 * problem ends the load with one line: FILE: PATH: what is wrong.
 */
#include "claims.h"

#include "jread.h"
#include "results.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small typed readers over hl_jread -------------------------------------- */

/* Refuses any key of o not in allowed (NULL-terminated). */
static bool keys_only(hl_jread *r, const hl_json *o, const char *path,
                      const char *const *allowed)
{
    if (r->failed || !o || o->type != HL_JOBJ)
        return !r->failed;
    for (size_t i = 0; i < o->len; i++) {
        bool known = false;
        for (size_t k = 0; allowed[k]; k++)
            known |= strcmp(o->keys[i], allowed[k]) == 0;
        if (!known) {
            char fp[512];
            hl_jread_path(fp, sizeof fp, path, o->keys[i], -1);
            char list[600] = "";
            size_t used = 0;
            for (size_t k = 0; allowed[k] && used + 40 < sizeof list; k++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         k ? ", " : "", allowed[k]);
            return hl_jread_fail(r, fp, "unknown key: the keys here are %s", list);
        }
    }
    return true;
}

/* A string field; "" when optional and absent (or null when nullable). */
static const char *str_of(hl_jread *r, const hl_json *o, const char *path, const char *key,
                          bool required, bool nullable)
{
    char fp[512];
    hl_jread_path(fp, sizeof fp, path, key, -1);
    if (r->failed)
        return "";
    const hl_json *v = o && o->type == HL_JOBJ ? hl_json_get(o, key) : NULL;
    if (!v) {
        if (required)
            hl_jread_fail(r, fp, "missing");
        return "";
    }
    if (v->type == HL_JNULL && nullable)
        return "";
    if (v->type != HL_JSTR) {
        hl_jread_fail(r, fp, "a %s where a string%s belongs",
                      v->type == HL_JNUM ? "number" : v->type == HL_JOBJ ? "object"
                      : v->type == HL_JARR ? "array" : v->type == HL_JBOOL ? "boolean" : "null",
                      nullable ? " or null" : "");
        return "";
    }
    if (required && !v->str[0])
        hl_jread_fail(r, fp, "empty: give a value");
    return v->str;
}

/* A number or null (null and absent give dflt). */
static bool num_or_null(hl_jread *r, const hl_json *o, const char *path, const char *key,
                        double lo, double hi, double dflt, double *out)
{
    const hl_json *v = o ? hl_json_get(o, key) : NULL;
    if (!v || v->type == HL_JNULL) {
        *out = dflt;
        return !r->failed;
    }
    return hl_jread_num(r, o, path, key, true, false, lo, hi, out);
}

/* An array of non-empty strings into out (at most max). */
static size_t str_list(hl_jread *r, const hl_json *o, const char *path, const char *key,
                       bool required, const char **out, size_t max)
{
    const hl_json *a = hl_jread_arr(r, o, path, key, required);
    if (!a)
        return 0;
    char fp[512];
    hl_jread_path(fp, sizeof fp, path, key, -1);
    if (a->len > max) {
        hl_jread_fail(r, fp, "%zu items; at most %zu", a->len, max);
        return 0;
    }
    if (required && a->len == 0) {
        hl_jread_fail(r, fp, "empty: give at least one");
        return 0;
    }
    for (size_t i = 0; i < a->len; i++) {
        char ip[520];
        hl_jread_path(ip, sizeof ip, path, key, (long)i);
        if (a->items[i].type != HL_JSTR || !a->items[i].str[0]) {
            hl_jread_fail(r, ip, "not a non-empty string");
            return 0;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(out[k], a->items[i].str) == 0) {
                hl_jread_fail(r, ip, "'%s' is listed twice", a->items[i].str);
                return 0;
            }
        out[i] = a->items[i].str;
    }
    return a->len;
}

static bool valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._+-", s[i]))
            return false;
    return true;
}

/* {"size": [16, 64], "order": 0}: integers, one or a list. */
static size_t params_of(hl_jread *r, const hl_json *o, const char *path, const char *key,
                        hl_claims_param *out, size_t max)
{
    const hl_json *p = hl_jread_obj(r, o, path, key, false);
    if (!p)
        return 0;
    char pp[512];
    hl_jread_path(pp, sizeof pp, path, key, -1);
    if (p->len > max) {
        hl_jread_fail(r, pp, "%zu parameters; at most %zu", p->len, max);
        return 0;
    }
    for (size_t i = 0; i < p->len; i++) {
        char fp[600];
        hl_jread_path(fp, sizeof fp, pp, p->keys[i], -1);
        if (!valid_name(p->keys[i], 47)) {
            hl_jread_fail(r, fp, "not a parameter name (letters, digits, '_')");
            return 0;
        }
        out[i].name = p->keys[i];
        const hl_json *v = &p->items[i];
        size_t n = v->type == HL_JARR ? v->len : 1;
        if (n == 0 || n > HL_CLAIMS_MAX_VALUES) {
            hl_jread_fail(r, fp, "give 1 to %d integer values", HL_CLAIMS_MAX_VALUES);
            return 0;
        }
        for (size_t k = 0; k < n; k++) {
            const hl_json *x = v->type == HL_JARR ? &v->items[k] : v;
            if (x->type != HL_JNUM || x->num != floor(x->num) || fabs(x->num) > 9e15) {
                hl_jread_fail(r, fp, "not an integer (or a list of integers)");
                return 0;
            }
            out[i].v[k] = (int64_t)x->num;
        }
        out[i].n = n;
    }
    return p->len;
}

/* "nproc" or a positive integer. */
static bool threads_of(hl_jread *r, const hl_json *o, const char *path, int dflt, int *out)
{
    *out = dflt;
    const hl_json *v = o ? hl_json_get(o, "threads") : NULL;
    if (!v || r->failed)
        return !r->failed;
    char fp[512];
    hl_jread_path(fp, sizeof fp, path, "threads", -1);
    if (v->type == HL_JSTR && strcmp(v->str, "nproc") == 0) {
        *out = HL_CLAIMS_THREADS_NPROC;
        return true;
    }
    if (v->type == HL_JNUM && v->num == floor(v->num) && v->num >= 1 && v->num <= 1024) {
        *out = (int)v->num;
        return true;
    }
    return hl_jread_fail(r, fp, "give \"nproc\" or a thread count from 1 to 1024");
}

/* ---- envelopes -------------------------------------------------------------------- */

static bool load_envelope(hl_jread *r, const hl_json *o, const char *path, const char *name,
                          hl_claims_envelope *e)
{
    static const char *const keys[] = {"description", "reference", "machines", "thresholds",
                                       "benchmarks", NULL};
    static const char *const tkeys[] = {"large_min", "large_holds", "slower_min",
                                        "parity_max", "parity_holds", "rank_gap", NULL};
    e->name = name;
    if (!keys_only(r, o, path, keys))
        return false;
    e->description = str_of(r, o, path, "description", true, false);
    e->reference = str_of(r, o, path, "reference", true, false);
    const hl_json *m = hl_jread_obj(r, o, path, "machines", true);
    char mp[512];
    hl_jread_path(mp, sizeof mp, path, "machines", -1);
    if (m && (m->len == 0 || m->len > HL_CLAIMS_MAX_MACHINES))
        return hl_jread_fail(r, mp, "give 1 to %d machines", HL_CLAIMS_MAX_MACHINES);
    for (size_t i = 0; m && i < m->len; i++) {
        e->machines[i] = m->keys[i];
        e->machine_desc[i] = str_of(r, m, mp, m->keys[i], true, false);
    }
    e->n_machines = m ? m->len : 0;
    const hl_json *t = hl_jread_obj(r, o, path, "thresholds", true);
    char tp[512];
    hl_jread_path(tp, sizeof tp, path, "thresholds", -1);
    if (!keys_only(r, t, tp, tkeys))
        return false;
    hl_jread_num(r, t, tp, "large_min", true, false, 1, 1e6, &e->large_min);
    hl_jread_num(r, t, tp, "large_holds", true, false, 1, 1e6, &e->large_holds);
    hl_jread_num(r, t, tp, "slower_min", true, false, 1, 1e6, &e->slower_min);
    hl_jread_num(r, t, tp, "parity_max", true, false, 1, 1e6, &e->parity_max);
    hl_jread_num(r, t, tp, "parity_holds", true, false, 1, 1e6, &e->parity_holds);
    hl_jread_num(r, t, tp, "rank_gap", true, false, 1, 1e6, &e->rank_gap);
    if (r->failed)
        return false;
    if (!(e->slower_min <= e->large_min && e->large_holds <= e->large_min &&
          e->parity_max <= e->parity_holds))
        return hl_jread_fail(r, tp, "need slower_min <= large_min, large_holds <= large_min "
                                    "and parity_max <= parity_holds");
    const hl_json *b = hl_jread_obj(r, o, path, "benchmarks", true);
    char bp[512];
    hl_jread_path(bp, sizeof bp, path, "benchmarks", -1);
    if (b && (b->len == 0 || b->len > HL_CLAIMS_MAX_LIST))
        return hl_jread_fail(r, bp, "give 1 to %d benchmarks", HL_CLAIMS_MAX_LIST);
    for (size_t i = 0; b && i < b->len && !r->failed; i++) {
        static const char *const bkeys[] = {"workload", "original", "ratios", NULL};
        hl_claims_env_bench *eb = &e->benchmarks[i];
        char p[600];
        hl_jread_path(p, sizeof p, bp, b->keys[i], -1);
        const hl_json *bo = &b->items[i];
        if (bo->type != HL_JOBJ)
            return hl_jread_fail(r, p, "not an object");
        if (!keys_only(r, bo, p, bkeys))
            return false;
        eb->name = b->keys[i];
        eb->workload = str_of(r, bo, p, "workload", false, true);
        eb->original = str_of(r, bo, p, "original", false, true);
        if (!r->failed && !eb->workload[0] && !eb->original[0])
            return hl_jread_fail(r, p, "names neither a heaplab workload nor an original "
                                       "program: give workload or original");
        const hl_json *ra = hl_jread_obj(r, bo, p, "ratios", true);
        char rp[620];
        hl_jread_path(rp, sizeof rp, p, "ratios", -1);
        if (ra && (ra->len == 0 || ra->len > HL_CLAIMS_MAX_LIST))
            return hl_jread_fail(r, rp, "give 1 to %d allocators", HL_CLAIMS_MAX_LIST);
        for (size_t a = 0; ra && a < ra->len && !r->failed; a++) {
            char ap[700];
            hl_jread_path(ap, sizeof ap, rp, ra->keys[a], -1);
            const hl_json *per = &ra->items[a];
            if (per->type != HL_JOBJ || per->len == 0)
                return hl_jread_fail(r, ap, "not an object of machine: ratio");
            eb->allocs[a].backend = ra->keys[a];
            for (size_t k = 0; k < HL_CLAIMS_MAX_MACHINES; k++)
                eb->allocs[a].v[k] = NAN;
            for (size_t k = 0; k < per->len; k++) {
                int mi = hl_claims_env_machine(e, per->keys[k]);
                char kp[800];
                hl_jread_path(kp, sizeof kp, ap, per->keys[k], -1);
                if (mi < 0)
                    return hl_jread_fail(r, kp, "machine '%s' is not in %s.machines",
                                         per->keys[k], path);
                double v;
                if (!hl_jread_num(r, per, ap, per->keys[k], true, false, 1e-6, 1e9, &v))
                    return false;
                eb->allocs[a].v[mi] = v;
            }
        }
        eb->n_allocs = ra ? ra->len : 0;
    }
    e->n_benchmarks = b ? b->len : 0;
    return !r->failed;
}

/* ---- experiments ------------------------------------------------------------------- */

static bool load_experiment(hl_jread *r, const hl_json *o, const char *path, const char *name,
                            hl_claims_exp *x)
{
    static const char *const keys[] = {
        "description", "scaling", "size", "workloads", "backends", "threads", "params",
        "quick_params", "repetitions", "quick_repetitions", "min_time", "quick_min_time",
        "parallel_min", "originals", "original_note", "python", "commands", "throughput",
        "variants", NULL};
    x->name = name;
    if (!valid_name(name, 47))
        return hl_jread_fail(r, path, "experiment names are 1-47 letters, digits, '.', '_', "
                                      "'+', '-' (they name result directories)");
    if (!keys_only(r, o, path, keys))
        return false;
    x->description = str_of(r, o, path, "description", true, false);
    x->scaling = str_of(r, o, path, "scaling", true, false);
    x->size = str_of(r, o, path, "size", false, false);
    if (!x->size[0])
        x->size = "quick";
    char fp[512];
    if (!r->failed && strcmp(x->size, "quick") != 0 && strcmp(x->size, "full") != 0) {
        hl_jread_path(fp, sizeof fp, path, "size", -1);
        return hl_jread_fail(r, fp, "'%s': use quick or full", x->size);
    }
    x->n_workloads = str_list(r, o, path, "workloads", false, x->workloads, HL_CLAIMS_MAX_LIST);
    x->n_backends = str_list(r, o, path, "backends", true, x->backends, HL_CLAIMS_MAX_LIST);
    threads_of(r, o, path, HL_CLAIMS_THREADS_ANY, &x->threads);
    x->n_params = params_of(r, o, path, "params", x->params, HL_CLAIMS_MAX_PARAMS);
    x->n_quick_params = params_of(r, o, path, "quick_params", x->quick_params,
                                  HL_CLAIMS_MAX_PARAMS);
    uint64_t reps = 0, qreps = 0;
    hl_jread_uint(r, o, path, "repetitions", true, 1000, &reps);
    hl_jread_uint(r, o, path, "quick_repetitions", true, 1000, &qreps);
    if (!r->failed && (reps == 0 || qreps == 0)) {
        hl_jread_path(fp, sizeof fp, path, reps == 0 ? "repetitions" : "quick_repetitions", -1);
        return hl_jread_fail(r, fp, "at least 1");
    }
    x->repetitions = (unsigned)reps;
    x->quick_repetitions = (unsigned)qreps;
    hl_jread_num(r, o, path, "min_time", true, false, 0.001, 3600, &x->min_time);
    hl_jread_num(r, o, path, "quick_min_time", true, false, 0.001, 3600, &x->quick_min_time);
    num_or_null(r, o, path, "parallel_min", 0.01, 1, NAN, &x->parallel_min);
    const hl_json *org = hl_jread_obj(r, o, path, "originals", false);
    char op[512];
    hl_jread_path(op, sizeof op, path, "originals", -1);
    if (org && org->len > HL_CLAIMS_MAX_LIST)
        return hl_jread_fail(r, op, "at most %d originals", HL_CLAIMS_MAX_LIST);
    for (size_t i = 0; org && i < org->len && !r->failed; i++) {
        /* "suite benchmark": "heaplab workload" (null: heaplab has none) */
        x->originals[i].original = org->keys[i];
        x->originals[i].workload = str_of(r, org, op, org->keys[i], true, true);
        if (!valid_name(org->keys[i], 47))
            return hl_jread_fail(r, op, "'%s' is not a suite benchmark name", org->keys[i]);
    }
    x->n_originals = org ? org->len : 0;
    x->original_note = str_of(r, o, path, "original_note", false, false);
    x->python = str_of(r, o, path, "python", false, true);
    if (!r->failed && x->python[0] && strcmp(x->python, "any") != 0) {
        unsigned maj, min;
        char tail;
        if (sscanf(x->python, "%u.%u%c", &maj, &min, &tail) != 2 || maj != 3) {
            hl_jread_path(fp, sizeof fp, path, "python", -1);
            return hl_jread_fail(r, fp, "'%s': give \"any\" or a version such as \"3.13\"",
                                 x->python);
        }
    }
    const hl_json *cmds = hl_jread_arr(r, o, path, "commands", false);
    char cp[512];
    hl_jread_path(cp, sizeof cp, path, "commands", -1);
    if (cmds && cmds->len > HL_CLAIMS_MAX_LIST)
        return hl_jread_fail(r, cp, "at most %d commands", HL_CLAIMS_MAX_LIST);
    for (size_t i = 0; cmds && i < cmds->len && !r->failed; i++) {
        static const char *const ckeys[] = {"name", "args", NULL};
        char ip[600];
        hl_jread_path(ip, sizeof ip, path, "commands", (long)i);
        if (cmds->items[i].type != HL_JOBJ)
            return hl_jread_fail(r, ip, "not an object {\"name\", \"args\"}");
        if (!keys_only(r, &cmds->items[i], ip, ckeys))
            return false;
        x->commands[i].name = str_of(r, &cmds->items[i], ip, "name", true, false);
        x->commands[i].args = str_of(r, &cmds->items[i], ip, "args", true, false);
        if (!r->failed && !valid_name(x->commands[i].name, 47))
            return hl_jread_fail(r, ip, "name '%s': 1-47 letters, digits, '.', '_', '+', '-'",
                                 x->commands[i].name);
    }
    x->n_commands = cmds ? cmds->len : 0;
    x->throughput = str_of(r, o, path, "throughput", false, false);
    const hl_json *vars = hl_jread_arr(r, o, path, "variants", false);
    char vp[512];
    hl_jread_path(vp, sizeof vp, path, "variants", -1);
    if (vars && vars->len > HL_CLAIMS_MAX_LIST)
        return hl_jread_fail(r, vp, "at most %d variants", HL_CLAIMS_MAX_LIST);
    for (size_t i = 0; vars && i < vars->len && !r->failed; i++) {
        static const char *const vkeys[] = {"name", "model_options", NULL};
        char ip[600];
        hl_jread_path(ip, sizeof ip, path, "variants", (long)i);
        if (vars->items[i].type != HL_JOBJ)
            return hl_jread_fail(r, ip, "not an object {\"name\", \"model_options\"}");
        if (!keys_only(r, &vars->items[i], ip, vkeys))
            return false;
        x->variants[i].name = str_of(r, &vars->items[i], ip, "name", true, false);
        if (!r->failed && !valid_name(x->variants[i].name, 31))
            return hl_jread_fail(r, ip, "name '%s': 1-31 letters, digits, '.', '_', '+', '-'",
                                 x->variants[i].name);
        for (size_t k = 0; k < i && !r->failed; k++)
            if (strcmp(x->variants[k].name, x->variants[i].name) == 0)
                return hl_jread_fail(r, ip, "variant '%s' is defined twice",
                                     x->variants[i].name);
        x->variants[i].n_options = str_list(r, &vars->items[i], ip, "model_options", false,
                                            x->variants[i].model_options, HL_CLAIMS_MAX_LIST);
    }
    x->n_variants = vars ? vars->len : 0;
    if (r->failed)
        return false;
    if (x->n_workloads == 0 && x->n_commands == 0 && x->n_originals == 0)
        return hl_jread_fail(r, path, "measures nothing: give workloads, commands or originals");
    if (x->n_commands && !x->python[0])
        for (size_t i = 0; i < x->n_commands; i++)
            if (strstr(x->commands[i].args, "{python}"))
                return hl_jread_fail(r, path, "commands use {python} but python is not set");
    if ((x->python[0] || x->throughput[0]) && x->n_commands == 0)
        return hl_jread_fail(r, path, "python and throughput apply to commands: add commands");
    if (x->n_commands && x->n_workloads)
        return hl_jread_fail(r, path, "give workloads or commands, not both: a command "
                                      "experiment runs only its programs");
    return true;
}

/* ---- selectors, measures, rules ------------------------------------------------------ */

static bool exp_has_variant(const hl_claims_exp *x, const char *v)
{
    for (size_t i = 0; i < x->n_variants; i++)
        if (strcmp(x->variants[i].name, v) == 0)
            return true;
    return false;
}

typedef struct load_ctx {
    hl_jread *r;
    hl_claims *set;
    const hl_claim *claim; /* whose experiments selectors may use */
} load_ctx;

static bool load_sel(load_ctx *lc, const hl_json *o, const char *path, const char *key,
                     bool required, hl_claims_sel *s)
{
    static const char *const keys[] = {"workload", "backend", "threads", "variant",
                                       "original", "params", NULL};
    hl_jread *r = lc->r;
    memset(s, 0, sizeof *s);
    s->workload = s->backend = s->variant = "";
    s->threads = HL_CLAIMS_THREADS_ANY;
    const hl_json *so = hl_jread_obj(r, o, path, key, required);
    if (!so)
        return !r->failed;
    char sp[512];
    hl_jread_path(sp, sizeof sp, path, key, -1);
    if (!keys_only(r, so, sp, keys))
        return false;
    s->workload = str_of(r, so, sp, "workload", false, false);
    s->backend = str_of(r, so, sp, "backend", false, false);
    s->variant = str_of(r, so, sp, "variant", false, false);
    threads_of(r, so, sp, HL_CLAIMS_THREADS_ANY, &s->threads);
    hl_jread_bool(r, so, sp, "original", false, &s->original);
    s->n_params = params_of(r, so, sp, "params", s->params, HL_CLAIMS_MAX_PARAMS);
    if (r->failed)
        return false;
    /* The variant and the original run must exist in one of the claim's experiments. */
    bool var_ok = !s->variant[0], orig_ok = !s->original;
    for (size_t i = 0; i < lc->claim->n_experiments; i++) {
        const hl_claims_exp *x = &lc->set->experiments[lc->claim->experiments[i]];
        var_ok |= s->variant[0] && exp_has_variant(x, s->variant);
        orig_ok |= x->n_originals > 0;
    }
    if (!var_ok)
        return hl_jread_fail(r, sp, "variant '%s' is not a variant of the claim's experiments",
                             s->variant);
    if (!orig_ok)
        return hl_jread_fail(r, sp, "original: none of the claim's experiments has originals");
    return true;
}

/* The metrics measure.h can read. */
static bool known_metric(const char *m)
{
    if (strcmp(m, "time") == 0 || strcmp(m, "cpu_time") == 0 || strcmp(m, "peak_rss") == 0)
        return true;
    if (strncmp(m, "extra:", 6) == 0)
        return m[6] != '\0';
    for (int i = 0; i < HL_M_COUNT; i++)
        if (strcmp(m, hl_metric_names[i]) == 0)
            return true;
    return false;
}

static bool load_measure(load_ctx *lc, const hl_json *o, const char *path,
                         hl_claims_measure *m)
{
    static const char *const keys[] = {"of", "metric", "den_metric", "num", "den", "cell",
                                       "scale", "per", "offset", "unit", NULL};
    hl_jread *r = lc->r;
    const hl_json *mo = hl_jread_obj(r, o, path, "measure", true);
    char mp[512];
    hl_jread_path(mp, sizeof mp, path, "measure", -1);
    if (!mo || !keys_only(r, mo, mp, keys))
        return false;
    const char *of = str_of(r, mo, mp, "of", true, false);
    if (r->failed)
        return false;
    static const char *const kinds[] = {"ratio", "saving", "value", "slope"};
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(of, kinds[i]) == 0)
            k = i;
    if (k < 0) {
        char fp[600];
        hl_jread_path(fp, sizeof fp, mp, "of", -1);
        return hl_jread_fail(r, fp, "'%s': use ratio, saving, value or slope", of);
    }
    m->kind = (hl_measure_kind)k;
    m->metric = str_of(r, mo, mp, "metric", false, false);
    if (!m->metric[0])
        m->metric = "time";
    m->den_metric = str_of(r, mo, mp, "den_metric", false, false);
    if (!m->den_metric[0])
        m->den_metric = m->metric;
    if (!r->failed && (!known_metric(m->metric) || !known_metric(m->den_metric))) {
        char fp[600];
        hl_jread_path(fp, sizeof fp, mp, known_metric(m->metric) ? "den_metric" : "metric", -1);
        return hl_jread_fail(r, fp, "unknown metric '%s': use time, cpu_time, peak_rss, a "
                                    "metric of results.json or extra:NAME",
                             known_metric(m->metric) ? m->den_metric : m->metric);
    }
    if (m->kind == HL_MEASURE_VALUE) {
        if (hl_json_get(mo, "num") || hl_json_get(mo, "den"))
            return hl_jread_fail(r, mp, "a value measures one cell: give cell, not num/den");
        load_sel(lc, mo, mp, "cell", true, &m->num);
        m->den = m->num;
    } else {
        if (hl_json_get(mo, "cell"))
            return hl_jread_fail(r, mp, "a %s divides two sets of cells: give num and den, "
                                        "not cell", of);
        load_sel(lc, mo, mp, "num", true, &m->num);
        load_sel(lc, mo, mp, "den", true, &m->den);
    }
    m->scale = 1;
    m->per = 1;
    m->offset = 0;
    m->unit = 1;
    hl_jread_num(r, mo, mp, "scale", false, false, -1e18, 1e18, &m->scale);
    hl_jread_num(r, mo, mp, "per", false, false, 1e-300, 1e18, &m->per);
    hl_jread_num(r, mo, mp, "offset", false, false, -1e18, 1e18, &m->offset);
    hl_jread_num(r, mo, mp, "unit", false, false, 1e-300, 1e18, &m->unit);
    if (!r->failed && m->kind != HL_MEASURE_SLOPE &&
        (hl_json_get(mo, "per") || hl_json_get(mo, "offset") || hl_json_get(mo, "unit") ||
         hl_json_get(mo, "scale")))
        return hl_jread_fail(r, mp, "scale, per, offset and unit belong to a slope");
    return !r->failed;
}

static bool load_rule(load_ctx *lc, const hl_json *o, const char *path, hl_claims_rule *ru,
                      int depth);

static bool load_parts(load_ctx *lc, const hl_json *o, const char *path, hl_claims_rule *ru,
                       int depth)
{
    hl_jread *r = lc->r;
    const hl_json *a = hl_jread_arr(r, o, path, "parts", true);
    char pp[512];
    hl_jread_path(pp, sizeof pp, path, "parts", -1);
    if (!a)
        return false;
    if (a->len == 0 || a->len > 32)
        return hl_jread_fail(r, pp, "give 1 to 32 parts");
    ru->parts = calloc(a->len, sizeof *ru->parts);
    if (!ru->parts)
        return hl_jread_fail(r, pp, "out of memory");
    ru->n_parts = a->len;
    for (size_t i = 0; i < a->len; i++) {
        char ip[600];
        hl_jread_path(ip, sizeof ip, path, "parts", (long)i);
        if (!load_rule(lc, &a->items[i], ip, &ru->parts[i], depth + 1))
            return false;
    }
    return true;
}

static bool load_class_rank(load_ctx *lc, const hl_json *o, const char *path,
                            hl_claims_rule *ru)
{
    hl_jread *r = lc->r;
    ru->envelope = str_of(r, o, path, "envelope", true, false);
    ru->machine = str_of(r, o, path, "machine", true, false);
    if (r->failed)
        return false;
    const hl_claims_envelope *e = hl_claims_envelope_find(lc->set, ru->envelope);
    char fp[600];
    if (!e) {
        hl_jread_path(fp, sizeof fp, path, "envelope", -1);
        return hl_jread_fail(r, fp, "no envelope '%s' in this file", ru->envelope);
    }
    if (hl_claims_env_machine(e, ru->machine) < 0) {
        hl_jread_path(fp, sizeof fp, path, "machine", -1);
        return hl_jread_fail(r, fp, "'%s' is not a machine of envelope %s", ru->machine,
                             e->name);
    }
    ru->n_benchmarks = str_list(r, o, path, "benchmarks", true, ru->benchmarks,
                                HL_CLAIMS_MAX_LIST);
    for (size_t i = 0; i < ru->n_benchmarks && !r->failed; i++)
        if (!hl_claims_env_bench_find(e, ru->benchmarks[i])) {
            hl_jread_path(fp, sizeof fp, path, "benchmarks", (long)i);
            return hl_jread_fail(r, fp, "'%s' is not a benchmark of envelope %s",
                                 ru->benchmarks[i], e->name);
        }
    const hl_json *rss = hl_jread_obj(r, o, path, "rss", false);
    char rp[512];
    hl_jread_path(rp, sizeof rp, path, "rss", -1);
    if (rss && rss->len > HL_CLAIMS_MAX_LIST)
        return hl_jread_fail(r, rp, "at most %d benchmarks", HL_CLAIMS_MAX_LIST);
    for (size_t i = 0; rss && i < rss->len && !r->failed; i++) {
        char bp[700];
        hl_jread_path(bp, sizeof bp, rp, rss->keys[i], -1);
        if (!hl_claims_env_bench_find(e, rss->keys[i]))
            return hl_jread_fail(r, bp, "not a benchmark of envelope %s", e->name);
        const hl_json *per = &rss->items[i];
        if (per->type != HL_JOBJ || per->len == 0 || per->len > HL_CLAIMS_MAX_LIST)
            return hl_jread_fail(r, bp, "not an object of backend: published RSS ratio");
        ru->rss[i].benchmark = rss->keys[i];
        ru->rss[i].n = per->len;
        for (size_t k = 0; k < per->len; k++) {
            ru->rss[i].backend[k] = per->keys[k];
            if (!hl_jread_num(r, per, bp, per->keys[k], true, false, 1e-6, 1e9,
                              &ru->rss[i].ratio[k]))
                return false;
        }
    }
    ru->n_rss = rss ? rss->len : 0;
    const hl_json *band = hl_jread_arr(r, o, path, "rss_band", ru->n_rss > 0);
    if (band) {
        hl_jread_path(fp, sizeof fp, path, "rss_band", -1);
        if (band->len != 2 || band->items[0].type != HL_JNUM ||
            band->items[1].type != HL_JNUM || !(band->items[0].num > 0) ||
            !(band->items[0].num <= band->items[1].num))
            return hl_jread_fail(r, fp, "give [lo, hi] with 0 < lo <= hi");
        ru->rss_lo = band->items[0].num;
        ru->rss_hi = band->items[1].num;
    }
    return !r->failed;
}

static bool load_rule(load_ctx *lc, const hl_json *o, const char *path, hl_claims_rule *ru,
                      int depth)
{
    static const char *const band_keys[] = {"kind", "label", "measure", "published", "lo",
                                            "hi", NULL};
    static const char *const dir_keys[] = {"kind", "label", "measure", "published", "expect",
                                           "pivot", "threshold", "significant", NULL};
    static const char *const cr_keys[] = {"kind", "label", "envelope", "machine",
                                          "benchmarks", "rss", "rss_band", NULL};
    static const char *const comb_keys[] = {"kind", "label", "parts", NULL};
    static const char *const nm_keys[] = {"kind", "label", "reason", NULL};
    hl_jread *r = lc->r;
    memset(ru, 0, sizeof *ru);
    ru->published = NAN;
    ru->lo = -INFINITY;
    ru->hi = INFINITY;
    ru->pivot = 1;
    ru->threshold = NAN;
    if (depth > 4)
        return hl_jread_fail(r, path, "rules nest at most 4 deep");
    if (!o || o->type != HL_JOBJ)
        return hl_jread_fail(r, path, "not a rule object");
    const char *kind = str_of(r, o, path, "kind", true, false);
    ru->label = str_of(r, o, path, "label", false, false);
    if (r->failed)
        return false;
    char fp[600];
    if (strcmp(kind, "band") == 0) {
        ru->kind = HL_RULE_BAND;
        if (!keys_only(r, o, path, band_keys) || !load_measure(lc, o, path, &ru->m))
            return false;
        num_or_null(r, o, path, "published", -1e18, 1e18, NAN, &ru->published);
        num_or_null(r, o, path, "lo", -1e18, 1e18, -INFINITY, &ru->lo);
        num_or_null(r, o, path, "hi", -1e18, 1e18, INFINITY, &ru->hi);
        if (!r->failed && !(ru->lo <= ru->hi))
            return hl_jread_fail(r, path, "lo %g is above hi %g", ru->lo, ru->hi);
        if (!r->failed && isinf(ru->lo) && isinf(ru->hi))
            return hl_jread_fail(r, path, "a band needs lo or hi");
    } else if (strcmp(kind, "direction") == 0) {
        ru->kind = HL_RULE_DIRECTION;
        if (!keys_only(r, o, path, dir_keys) || !load_measure(lc, o, path, &ru->m))
            return false;
        num_or_null(r, o, path, "published", -1e18, 1e18, NAN, &ru->published);
        const char *ex = str_of(r, o, path, "expect", true, false);
        if (!r->failed && strcmp(ex, "above") != 0 && strcmp(ex, "below") != 0) {
            hl_jread_path(fp, sizeof fp, path, "expect", -1);
            return hl_jread_fail(r, fp, "'%s': use above or below", ex);
        }
        ru->above = strcmp(ex, "above") == 0;
        num_or_null(r, o, path, "pivot", -1e18, 1e18, 1, &ru->pivot);
        num_or_null(r, o, path, "threshold", -1e18, 1e18, NAN, &ru->threshold);
        hl_jread_bool(r, o, path, "significant", true, &ru->significant);
        if (!r->failed && isfinite(ru->threshold) &&
            (ru->above ? ru->threshold < ru->pivot : ru->threshold > ru->pivot)) {
            hl_jread_path(fp, sizeof fp, path, "threshold", -1);
            return hl_jread_fail(r, fp, "%g is not %s the pivot %g", ru->threshold,
                                 ru->above ? "above" : "below", ru->pivot);
        }
        if (isnan(ru->threshold))
            ru->threshold = ru->pivot;
    } else if (strcmp(kind, "class_rank") == 0) {
        ru->kind = HL_RULE_CLASS_RANK;
        if (!keys_only(r, o, path, cr_keys) || !load_class_rank(lc, o, path, ru))
            return false;
    } else if (strcmp(kind, "all") == 0 || strcmp(kind, "any") == 0) {
        ru->kind = kind[1] == 'l' ? HL_RULE_ALL : HL_RULE_ANY;
        if (!keys_only(r, o, path, comb_keys) || !load_parts(lc, o, path, ru, depth))
            return false;
    } else if (strcmp(kind, "not_measured") == 0) {
        ru->kind = HL_RULE_NOT_MEASURED;
        if (!keys_only(r, o, path, nm_keys))
            return false;
        ru->reason = str_of(r, o, path, "reason", true, false);
    } else {
        hl_jread_path(fp, sizeof fp, path, "kind", -1);
        return hl_jread_fail(r, fp, "unknown rule kind '%s': use band, direction, class_rank, "
                                    "all, any or not_measured", kind);
    }
    return !r->failed;
}

static void free_rule(hl_claims_rule *ru)
{
    for (size_t i = 0; i < ru->n_parts; i++)
        free_rule(&ru->parts[i]);
    free(ru->parts);
    ru->parts = NULL;
    ru->n_parts = 0;
}

/* ---- claims ---------------------------------------------------------------------------- */

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 95 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

static bool load_claim(hl_jread *r, hl_claims *set, const hl_json *o, const char *path,
                       hl_claim *c)
{
    static const char *const keys[] = {
        "id", "claim", "source", "source_quality", "measured_on", "metric", "normalisation",
        "published", "verified", "experiments", "not_comparable", "rule", "rule_text",
        "differs_because", "caveats", NULL};
    static const char *const src_keys[] = {"title", "authors", "year", "where", "ref", "url",
                                           NULL};
    static const char *const on_keys[] = {"hardware", "software", "threads", NULL};
    if (!o || o->type != HL_JOBJ)
        return hl_jread_fail(r, path, "not a claim object");
    if (!keys_only(r, o, path, keys))
        return false;
    c->id = str_of(r, o, path, "id", true, false);
    char fp[600];
    if (!r->failed && !valid_id(c->id)) {
        hl_jread_path(fp, sizeof fp, path, "id", -1);
        return hl_jread_fail(r, fp, "'%s': ids are letters, digits, '-' and '.', starting with a letter or digit",
                             c->id);
    }
    c->claim = str_of(r, o, path, "claim", true, false);
    c->source = hl_jread_obj(r, o, path, "source", true);
    hl_jread_path(fp, sizeof fp, path, "source", -1);
    if (!keys_only(r, c->source, fp, src_keys))
        return false;
    str_of(r, c->source, fp, "title", true, false);
    str_of(r, c->source, fp, "authors", true, false);
    str_of(r, c->source, fp, "where", true, false);
    str_of(r, c->source, fp, "ref", true, false);
    str_of(r, c->source, fp, "url", true, false);
    double year;
    num_or_null(r, c->source, fp, "year", 1950, 2100, NAN, &year);
    if (!r->failed && !isnan(year) && year != floor(year))
        return hl_jread_fail(r, fp, "year: not an integer");
    c->source_quality = str_of(r, o, path, "source_quality", true, false);
    c->measured_on = hl_jread_obj(r, o, path, "measured_on", true);
    hl_jread_path(fp, sizeof fp, path, "measured_on", -1);
    if (!keys_only(r, c->measured_on, fp, on_keys))
        return false;
    str_of(r, c->measured_on, fp, "hardware", true, false);
    str_of(r, c->measured_on, fp, "software", true, false);
    str_of(r, c->measured_on, fp, "threads", false, false);
    c->metric = str_of(r, o, path, "metric", true, false);
    c->normalisation = str_of(r, o, path, "normalisation", true, false);
    c->published = hl_jread_obj(r, o, path, "published", true);
    c->verified = str_of(r, o, path, "verified", true, false);
    c->rule_text = str_of(r, o, path, "rule_text", true, false);
    c->differs_because = str_of(r, o, path, "differs_because", false, false);
    c->n_caveats = str_list(r, o, path, "caveats", false, c->caveats, HL_CLAIMS_MAX_LIST);
    c->not_comparable = str_of(r, o, path, "not_comparable", false, false);
    const char *names[HL_CLAIMS_MAX_EXPERIMENTS];
    c->n_experiments = str_list(r, o, path, "experiments", false, names,
                                HL_CLAIMS_MAX_EXPERIMENTS);
    if (r->failed)
        return false;
    for (size_t i = 0; i < c->n_experiments; i++) {
        const hl_claims_exp *x = hl_claims_exp_find(set, names[i]);
        if (!x) {
            hl_jread_path(fp, sizeof fp, path, "experiments", (long)i);
            return hl_jread_fail(r, fp, "no experiment '%s' in this file", names[i]);
        }
        c->experiments[i] = (size_t)(x - set->experiments);
    }
    const hl_json *rule = hl_json_get(o, "rule");
    hl_jread_path(fp, sizeof fp, path, "rule", -1);
    if (c->not_comparable[0]) {
        if (c->n_experiments || rule)
            return hl_jread_fail(r, path, "not_comparable claims have no experiments and no "
                                          "rule: drop them, or drop not_comparable");
        c->rule.kind = HL_RULE_NOT_MEASURED;
        c->rule.label = "";
        c->rule.reason = c->not_comparable;
        c->rule.published = NAN;
        return true;
    }
    if (c->n_experiments == 0)
        return hl_jread_fail(r, path, "no experiments: give experiments and a rule, or "
                                      "not_comparable with the reason");
    if (!rule)
        return hl_jread_fail(r, fp, "missing");
    load_ctx lc = {r, set, c};
    return load_rule(&lc, rule, fp, &c->rule, 0);
}

int hl_claims_load(hl_claims *set, const char *path, char *err, size_t errlen)
{
    memset(set, 0, sizeof *set);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    set->doc = hl_json_parse_file(path, err, errlen);
    if (!set->doc)
        return -1;
    hl_jread r;
    hl_jread_init(&r, base, err, errlen);
    const hl_json *d = set->doc;
    static const char *const keys[] = {"format", "format_version", "description", "envelopes",
                                       "experiments", "claims", NULL};
    if (!hl_jread_header(&r, d, HL_CLAIMS_FORMAT, HL_CLAIMS_VERSION, "a claims file", false))
        goto fail;
    if (!keys_only(&r, d, "", keys))
        goto fail;
    set->description = str_of(&r, d, "", "description", true, false);

    const hl_json *envs = hl_jread_obj(&r, d, "", "envelopes", false);
    size_t ne = envs ? envs->len : 0;
    set->envelopes = calloc(ne ? ne : 1, sizeof *set->envelopes);
    for (size_t i = 0; i < ne && !r.failed; i++) {
        char p[300];
        hl_jread_path(p, sizeof p, "envelopes", envs->keys[i], -1);
        if (envs->items[i].type != HL_JOBJ) {
            hl_jread_fail(&r, p, "not an object");
            break;
        }
        if (load_envelope(&r, &envs->items[i], p, envs->keys[i], &set->envelopes[i]))
            set->n_envelopes++;
    }
    const hl_json *exps = hl_jread_obj(&r, d, "", "experiments", true);
    size_t nx = exps ? exps->len : 0;
    set->experiments = calloc(nx ? nx : 1, sizeof *set->experiments);
    for (size_t i = 0; i < nx && !r.failed; i++) {
        char p[300];
        hl_jread_path(p, sizeof p, "experiments", exps->keys[i], -1);
        if (exps->items[i].type != HL_JOBJ) {
            hl_jread_fail(&r, p, "not an object");
            break;
        }
        if (load_experiment(&r, &exps->items[i], p, exps->keys[i], &set->experiments[i]))
            set->n_experiments++;
    }
    const hl_json *cl = hl_jread_arr(&r, d, "", "claims", true);
    size_t nc = cl ? cl->len : 0;
    if (!r.failed && nc == 0) {
        hl_jread_fail(&r, "claims", "empty: a claims file needs at least one claim");
        goto fail;
    }
    set->claims = calloc(nc ? nc : 1, sizeof *set->claims);
    if (!set->envelopes || !set->experiments || !set->claims) {
        hl_jread_fail(&r, "", "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nc && !r.failed; i++) {
        char p[64];
        hl_jread_path(p, sizeof p, "", "claims", (long)i);
        hl_claim *c = &set->claims[i];
        bool ok = load_claim(&r, set, &cl->items[i], p, c);
        set->n_claims++; /* counted even when failed, so that free releases its rule */
        if (!ok)
            break;
        for (size_t k = 0; k < i; k++)
            if (strcmp(set->claims[k].id, c->id) == 0) {
                char ip[80];
                hl_jread_path(ip, sizeof ip, p, "id", -1);
                hl_jread_fail(&r, ip, "'%s' is also the id of claims[%zu]: ids are unique",
                              c->id, k);
                break;
            }
    }
    if (r.failed)
        goto fail;
    return 0;
fail:
    hl_claims_free(set);
    return -1;
}

void hl_claims_free(hl_claims *set)
{
    for (size_t i = 0; set->claims && i < set->n_claims; i++)
        free_rule(&set->claims[i].rule);
    free(set->claims);
    free(set->experiments);
    free(set->envelopes);
    hl_json_free(set->doc);
    memset(set, 0, sizeof *set);
}

const hl_claim *hl_claims_find(const hl_claims *set, const char *id)
{
    for (size_t i = 0; i < set->n_claims; i++)
        if (strcmp(set->claims[i].id, id) == 0)
            return &set->claims[i];
    return NULL;
}

const hl_claims_exp *hl_claims_exp_find(const hl_claims *set, const char *name)
{
    for (size_t i = 0; i < set->n_experiments; i++)
        if (strcmp(set->experiments[i].name, name) == 0)
            return &set->experiments[i];
    return NULL;
}

const hl_claims_envelope *hl_claims_envelope_find(const hl_claims *set, const char *name)
{
    for (size_t i = 0; i < set->n_envelopes; i++)
        if (strcmp(set->envelopes[i].name, name) == 0)
            return &set->envelopes[i];
    return NULL;
}

const hl_claims_env_bench *hl_claims_env_bench_find(const hl_claims_envelope *e,
                                                    const char *name)
{
    for (size_t i = 0; i < e->n_benchmarks; i++)
        if (strcmp(e->benchmarks[i].name, name) == 0)
            return &e->benchmarks[i];
    return NULL;
}

int hl_claims_env_machine(const hl_claims_envelope *e, const char *machine)
{
    for (size_t i = 0; i < e->n_machines; i++)
        if (strcmp(e->machines[i], machine) == 0)
            return (int)i;
    return -1;
}

const char *hl_rule_kind_name(hl_rule_kind k)
{
    switch (k) {
    case HL_RULE_BAND: return "band";
    case HL_RULE_DIRECTION: return "direction";
    case HL_RULE_CLASS_RANK: return "class_rank";
    case HL_RULE_ALL: return "all";
    case HL_RULE_ANY: return "any";
    case HL_RULE_NOT_MEASURED: return "not_measured";
    }
    return "?";
}

const char *hl_measure_kind_name(hl_measure_kind k)
{
    switch (k) {
    case HL_MEASURE_RATIO: return "ratio";
    case HL_MEASURE_SAVING: return "saving";
    case HL_MEASURE_VALUE: return "value";
    case HL_MEASURE_SLOPE: return "slope";
    }
    return "?";
}
