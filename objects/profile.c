/* profile.c - the CPython versions the runtime models, and its configuration.
 *
 * How it works
 * ------------
 * One hl_profile row per version holds every constant that differs between
 * 3.11, 3.12 and 3.13 (internal.h); the code that applies a rule reads the
 * row and cites the CPython source the value comes from.  The sources are
 * the release trees v3.11.2, v3.12.5 (checked against pyenv 3.12.1's
 * installed internal headers) and v3.13.5; the measurements behind the
 * sizes are tests/data/cpython/ (scripts/cpython_sizes.py).
 *
 * hl_rt_config holds the profile, the ordinary settings and the what-if
 * options (runtime.h); hl_rt_config_set applies "name=value" strings so
 * that the cell and scripts can pass options through without knowing the
 * struct.  The default profile is the build machine's python3, found by
 * CMake (objects/CMakeLists.txt) and compiled in as HL_PY_DEFAULT_PROFILE.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#ifndef HL_PY_DEFAULT_PROFILE
#define HL_PY_DEFAULT_PROFILE 311
#endif

static const hl_profile profiles[] = {
    {
        .id = HL_PY_311,
        .name = "3.11",
        /* Include/internal/pycore_runtime_init.h _PyInterpreterState_INIT */
        .threshold = {700, 10, 10},
        /* Include/cpython/unicodeobject.h: PyASCIIObject still has wstr */
        .str_data_offset = 48,
        /* Objects/tupleobject.c maybe_freelist_pop: size < PyTuple_MAXSAVESIZE */
        .tuple_pop_max = 19,
        .immortal = false,
        .interned_immortal = false,
        .constants_immortal = false,
        .gc_deferred = false,
        .keys_in_item_mem = false,
        /* 16 GC + 16 pre-header (dict, values) + 16 + 8 weaklist:
         * Include/internal/pycore_object.h _PyType_PreHeaderSize,
         * Objects/typeobject.c type_new_descriptors */
        .inst_basic = 56,
        .inst = HL_INSTK_V311,
        /* Include/cpython/object.h _PyTrash_UNWIND_LEVEL 50; the chain is
         * destroyed when the nesting is back to 0 (Objects/object.c
         * _PyTrash_end) */
        .trash_depth = 50,
        .trash_resume = 1,
    },
    {
        .id = HL_PY_312,
        .name = "3.12",
        .threshold = {700, 10, 10},
        .str_data_offset = 40, /* PEP 623 removed wstr */
        /* 3.12.1 (measured, tests/data/cpython) pops sizes 1..19 as 3.11;
         * 3.12.5's source pops 1..20 */
        .tuple_pop_max = 19,
        .immortal = true, /* PEP 683 */
        /* Objects/unicodeobject.c _PyUnicode_InternInPlace: _Py_SetImmortal */
        .interned_immortal = true,
        .constants_immortal = true,
        /* Modules/gcmodule.c _PyObject_GC_Link: _Py_ScheduleGC */
        .gc_deferred = true,
        .keys_in_item_mem = false,
        /* 16 GC + 16 pre-header (dict-or-values, weakref) + 16 */
        .inst_basic = 48,
        .inst = HL_INSTK_V312,
        .trash_depth = 50,
        .trash_resume = 1,
    },
    {
        .id = HL_PY_313,
        .name = "3.13",
        .threshold = {2000, 10, 10},
        .str_data_offset = 40,
        .tuple_pop_max = 20, /* Objects/tupleobject.c maybe_freelist_pop: size <= 20 */
        .immortal = true,
        /* Objects/unicodeobject.c intern_common: names immortal, constants
         * (Objects/codeobject.c intern_string_constants) mortal */
        .interned_immortal = true,
        .constants_immortal = false,
        .gc_deferred = true,
        /* Objects/dictobject.c new_keys_object: PyMem_Malloc */
        .keys_in_item_mem = true,
        /* 16 GC + 16 pre-header + 16, values inline after it
         * (Py_TPFLAGS_INLINE_VALUES, _PyInlineValuesSize) */
        .inst_basic = 48,
        .inst = HL_INSTK_INLINE,
        /* Include/cpython/object.h Py_TRASHCAN_BEGIN: deposit when
         * c_recursion_remaining <= Py_TRASHCAN_HEADROOM (50), destroy the
         * chain when it is above 2 * 50 again.  The budget is
         * Py_C_RECURSION_LIMIT (10000) less the interpreter's own depth;
         * heaplab allows 1000 nested deallocations (its frames are C frames
         * too, and an ASan build's are large), so only structures nested
         * more than 1000 deep die in another order than in 3.13. */
        .trash_depth = 1000,
        .trash_resume = 1000 - 50,
    },
};

const hl_profile *hl__profile_get(hl_py_profile id)
{
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (profiles[i].id == id)
            return &profiles[i];
    return NULL;
}

hl_py_profile hl_py_default_profile(void)
{
    int v = HL_PY_DEFAULT_PROFILE;
    return v <= 311 ? HL_PY_311 : v >= 313 ? HL_PY_313 : HL_PY_312;
}

const char *hl_py_profile_name(hl_py_profile p)
{
    const hl_profile *pr = hl__profile_get(p);
    return pr ? pr->name : "?";
}

int hl_py_profile_parse(const char *s, hl_py_profile *out, char *err, size_t errlen)
{
    for (size_t i = 0; s != NULL && i < sizeof profiles / sizeof profiles[0]; i++) {
        char compact[8];
        snprintf(compact, sizeof compact, "%d", (int)profiles[i].id);
        if (strcmp(s, profiles[i].name) == 0 || strcmp(s, compact) == 0) {
            *out = profiles[i].id;
            return 0;
        }
    }
    snprintf(err, errlen, "unknown CPython model '%s': use 3.11, 3.12 or 3.13", s ? s : "(null)");
    return -1;
}

void hl_rt_config_default(hl_rt_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->profile = hl_py_default_profile();
    for (int i = 0; i < 3; i++)
        cfg->threshold[i] = HL_GC_THRESHOLD_PROFILE;
    cfg->refcount = HL_RC_PLAIN;
    cfg->gc_enabled = true;
    cfg->untrack_tuples = true;
    cfg->freelists = true;
    cfg->interning = true;
    cfg->lazy_dict_tracking = true;
    cfg->instances = HL_INST_PROFILE;
    cfg->gc_passes = HL_GC_PASSES_CPYTHON;
    cfg->dealloc = HL_DEALLOC_CPYTHON;
}

int hl_rc_mode_parse(const char *s, hl_rc_mode *out, char *err, size_t errlen)
{
    if (s != NULL && strcmp(s, "plain") == 0) {
        *out = HL_RC_PLAIN;
        return 0;
    }
    if (s != NULL && strcmp(s, "atomic") == 0) {
        *out = HL_RC_ATOMIC;
        return 0;
    }
    if (s != NULL && strcmp(s, "biased") == 0) {
        *out = HL_RC_BIASED;
        return 0;
    }
    snprintf(err, errlen, "unknown refcount mode '%s': use plain, atomic or biased",
             s ? s : "(null)");
    return -1;
}

static const char *rc_name(hl_rc_mode m)
{
    return m == HL_RC_ATOMIC ? "atomic" : m == HL_RC_BIASED ? "biased" : "plain";
}

/* on/off, also true/false and 1/0. */
static int parse_switch(const char *name, const char *v, bool *out, char *err, size_t errlen)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return 0;
    }
    snprintf(err, errlen, "option %s wants on or off, got '%s'", name, v);
    return -1;
}

static int parse_thresholds(const char *v, uint32_t out[3], char *err, size_t errlen)
{
    const char *p = v;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        unsigned long x = strtoul(p, &end, 10);
        if (errno != 0 || end == p || *p == '-' || x > 1000000000ul ||
            (i < 2 ? *end != ',' : *end != '\0')) {
            snprintf(err, errlen, "option gc_threshold wants A,B,C (integers up to 1e9), got '%s'",
                     v);
            return -1;
        }
        out[i] = (uint32_t)x;
        p = end + 1;
    }
    return 0;
}

/* One enumerated option: the value names, in enum order. */
static int parse_choice(const char *name, const char *v, const char *const *names, int n,
                        int *out, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[128] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " or " : "",
                 names[i]);
    snprintf(err, errlen, "option %s wants %s, got '%s'", name, list, v);
    return -1;
}

static const char *const passes_names[] = {"cpython", "fused"};
static const char *const inst_names[] = {"profile", "dict"};
static const char *const dealloc_names[] = {"cpython", "deferred"};
static const char *const tracking_names[] = {"eager", "lazy"};

int hl_rt_config_set(hl_rt_config *cfg, const char *option, char *err, size_t errlen)
{
    const char *eq = option ? strchr(option, '=') : NULL;
    char name[32];
    if (eq == NULL || eq == option || (size_t)(eq - option) >= sizeof name) {
        snprintf(err, errlen, "model option '%s' is not NAME=VALUE", option ? option : "(null)");
        return -1;
    }
    memcpy(name, option, (size_t)(eq - option));
    name[eq - option] = '\0';
    const char *v = eq + 1;
    int choice;
    bool on;
    if (strcmp(name, "profile") == 0)
        return hl_py_profile_parse(v, &cfg->profile, err, errlen);
    if (strcmp(name, "refcount") == 0)
        return hl_rc_mode_parse(v, &cfg->refcount, err, errlen);
    if (strcmp(name, "gc_threshold") == 0)
        return parse_thresholds(v, cfg->threshold, err, errlen);
    if (strcmp(name, "untrack_tuples") == 0)
        return parse_switch(name, v, &cfg->untrack_tuples, err, errlen);
    if (strcmp(name, "freelists") == 0)
        return parse_switch(name, v, &cfg->freelists, err, errlen);
    if (strcmp(name, "interning") == 0)
        return parse_switch(name, v, &cfg->interning, err, errlen);
    if (strcmp(name, "dict_tracking") == 0) {
        if (parse_choice(name, v, tracking_names, 2, &choice, err, errlen) != 0)
            return -1;
        cfg->lazy_dict_tracking = choice == 1;
        return 0;
    }
    if (strcmp(name, "instances") == 0) {
        if (parse_choice(name, v, inst_names, 2, &choice, err, errlen) != 0)
            return -1;
        cfg->instances = (hl_inst_layout)choice;
        return 0;
    }
    if (strcmp(name, "gc_passes") == 0) {
        if (parse_choice(name, v, passes_names, 2, &choice, err, errlen) != 0)
            return -1;
        cfg->gc_passes = (hl_gc_passes)choice;
        return 0;
    }
    if (strcmp(name, "dealloc") == 0) {
        if (parse_choice(name, v, dealloc_names, 2, &choice, err, errlen) != 0)
            return -1;
        cfg->dealloc = (hl_dealloc_order)choice;
        return 0;
    }
    if (strcmp(name, "heaplab") == 0) {
        if (parse_switch(name, v, &on, err, errlen) != 0)
            return -1;
        cfg->freelists = cfg->interning = cfg->lazy_dict_tracking = !on;
        cfg->instances = on ? HL_INST_DICT : HL_INST_PROFILE;
        cfg->gc_passes = on ? HL_GC_PASSES_FUSED : HL_GC_PASSES_CPYTHON;
        cfg->dealloc = on ? HL_DEALLOC_DEFERRED : HL_DEALLOC_CPYTHON;
        return 0;
    }
    snprintf(err, errlen,
             "unknown model option '%s' (options: profile, refcount, gc_threshold, "
             "untrack_tuples, freelists, interning, dict_tracking, instances, gc_passes, "
             "dealloc, heaplab)",
             name);
    return -1;
}

void hl_rt_config_describe(const hl_rt_config *cfg, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
#define ADD(...)                                                                       \
    do {                                                                               \
        if (n < outlen)                                                                \
            n += (size_t)snprintf(out + n, outlen - n, "%s", n ? " " : "");            \
        if (n < outlen)                                                                \
            n += (size_t)snprintf(out + n, outlen - n, __VA_ARGS__);                   \
    } while (0)
    if (cfg->refcount != HL_RC_PLAIN)
        ADD("refcount=%s", rc_name(cfg->refcount));
    if (!cfg->untrack_tuples)
        ADD("untrack_tuples=off");
    if (!cfg->freelists)
        ADD("freelists=off");
    if (!cfg->interning)
        ADD("interning=off");
    if (!cfg->lazy_dict_tracking)
        ADD("dict_tracking=eager");
    if (cfg->instances != HL_INST_PROFILE)
        ADD("instances=%s", inst_names[cfg->instances]);
    if (cfg->gc_passes != HL_GC_PASSES_CPYTHON)
        ADD("gc_passes=%s", passes_names[cfg->gc_passes]);
    if (cfg->dealloc != HL_DEALLOC_CPYTHON)
        ADD("dealloc=%s", dealloc_names[cfg->dealloc]);
#undef ADD
}
