/* claims.h - published claims, the experiments that test them and the rules
 * that turn measured values into a verdict (results/published/claims.json,
 * format "heaplab-claims" 1, documented in docs/claims-format.md).
 *
 * A claims file has four parts:
 *
 *   envelopes    published ratio tables over several machines (mimalloc's
 *                README figures): a class_rank rule judges an allocator's
 *                ratio by the class its published values fall into on
 *                every machine, not by one machine's magnitude;
 *   experiments  what `heaplab run` (a child process of `heaplab
 *                reproduce`) measures: workloads or commands, backends,
 *                threads, parameter sweeps, repetitions, scaled to the
 *                machine; several claims share one experiment;
 *   claims       one per published statement: its source, the hardware and
 *                software it was measured on, metric, normalisation, the
 *                published numbers (free-form JSON, kept for readers and
 *                reports), the experiments it uses and its rule; or, when
 *                nothing here can test it, why not (not_comparable);
 *   rules        band, direction, class_rank, all, any, not_measured
 *                (verdict.h evaluates them), each over measures: ratio,
 *                saving, value or slope of selected cells (measure.h).
 *
 * The loader is as strict as jread.h: a missing or mistyped field, an
 * unknown key (a typo would silently change a rule), a duplicate id or a
 * reference to an experiment, envelope, machine or variant that does not
 * exist ends the load with one line naming the field.  Strings point into
 * the parsed document, which the set owns.
 */
#ifndef HL_CLAIMS_H
#define HL_CLAIMS_H

#include "json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_CLAIMS_FORMAT "heaplab-claims"
#define HL_CLAIMS_VERSION 1

#define HL_CLAIMS_MAX_LIST 16     /* workloads, backends, commands, originals ... */
#define HL_CLAIMS_MAX_VALUES 16   /* values of one parameter sweep or selector */
#define HL_CLAIMS_MAX_PARAMS 8
#define HL_CLAIMS_MAX_MACHINES 8
#define HL_CLAIMS_MAX_EXPERIMENTS 4 /* per claim */

/* Thread counts: an experiment's or a selector's. */
#define HL_CLAIMS_THREADS_ANY (-1)   /* selector: any thread count */
#define HL_CLAIMS_THREADS_NPROC 0    /* the machine's online CPUs */

typedef struct hl_claims_param {
    const char *name;
    size_t n;
    int64_t v[HL_CLAIMS_MAX_VALUES];
} hl_claims_param;

/* A set of cells of the claim's result sets.  Empty fields match anything.
 * backend matches a cell's spec exactly or its configuration before '@'
 * (a command cell's "pymalloc@3.13" matches "pymalloc").  Each param
 * matches any of its values. */
typedef struct hl_claims_sel {
    const char *workload;    /* "" any */
    const char *backend;     /* "" any */
    int threads;             /* HL_CLAIMS_THREADS_ANY / _NPROC / N */
    const char *variant;     /* "" the experiment's first (or only) variant */
    bool original;           /* the original programs' run (--bench-dir) */
    size_t n_params;
    hl_claims_param params[HL_CLAIMS_MAX_PARAMS];
} hl_claims_sel;

typedef enum hl_measure_kind {
    HL_MEASURE_RATIO,   /* num / den */
    HL_MEASURE_SAVING,  /* 1 - num / den */
    HL_MEASURE_VALUE,   /* num itself */
    HL_MEASURE_SLOPE    /* ((num - den) * scale / per - offset) / unit */
} hl_measure_kind;

/* What a rule measures.  metric names: "time" (the run's primary figure,
 * ns/op), "cpu_time" (process CPU ns/op of an in-process cell), "peak_rss"
 * (KiB), a canonical metric of results.json (results.h), or "extra:NAME"
 * for any number the cell reported (results.json reps[].extra).  num and den
 * of a ratio are paired cell by cell: two cells pair when they agree on
 * everything the selectors do not name (workload, backend, threads, every
 * resolved parameter); several pairs (e.g. one per block size) are combined
 * by their geometric mean. */
typedef struct hl_claims_measure {
    hl_measure_kind kind;
    const char *metric;
    const char *den_metric;  /* defaults to metric */
    hl_claims_sel num, den;  /* value: num only */
    double scale, per, offset, unit; /* slope */
} hl_claims_measure;

typedef enum hl_rule_kind {
    HL_RULE_BAND,         /* the measured value lies in [lo, hi] */
    HL_RULE_DIRECTION,    /* above or below a pivot, optionally significantly, optionally by a threshold */
    HL_RULE_CLASS_RANK,   /* classes and ranks of allocators against an envelope */
    HL_RULE_ALL,          /* every part holds */
    HL_RULE_ANY,          /* some part holds */
    HL_RULE_NOT_MEASURED  /* a part of the claim heaplab cannot measure: always not comparable */
} hl_rule_kind;

typedef struct hl_claims_rule hl_claims_rule;

/* Invariants (checked by the loader): band lo <= hi; a direction's
 * threshold lies on its side of the pivot; class_rank names an envelope,
 * one of its machines and at least one of its benchmarks; all/any have at
 * least one part; not_measured has a reason. */
struct hl_claims_rule {
    hl_rule_kind kind;
    const char *label;       /* what the part checks, for reports */
    const char *reason;      /* not_measured: why */
    hl_claims_measure m;     /* band, direction */
    double published;        /* the published value this measures, NAN: none */
    double lo, hi;           /* band (infinite when null) */
    bool above;              /* direction: expect above the pivot */
    double pivot;            /* direction: default 1 */
    double threshold;        /* direction: must reach it (default: the pivot) */
    bool significant;        /* direction: the interval must exclude the pivot */
    /* class_rank */
    const char *envelope;
    const char *machine;
    size_t n_benchmarks;
    const char *benchmarks[HL_CLAIMS_MAX_LIST];
    size_t n_rss;            /* peak RSS signs: benchmark, backends and published ratios */
    struct {
        const char *benchmark;
        size_t n;
        const char *backend[HL_CLAIMS_MAX_LIST];
        double ratio[HL_CLAIMS_MAX_LIST];
    } rss[HL_CLAIMS_MAX_LIST];
    double rss_lo, rss_hi;   /* published RSS ratios inside are not judged */
    /* all, any */
    size_t n_parts;
    hl_claims_rule *parts;
};

/* An envelope: one benchmark's published ratio to the reference, per
 * allocator and machine (NAN where a machine lacks it), and the class
 * thresholds (docs/claims-format.md, "class_rank"). */
typedef struct hl_claims_env_bench {
    const char *name;        /* key, e.g. "larson" */
    const char *workload;    /* heaplab's workload, "" when heaplab has none */
    const char *original;    /* the suite file's benchmark, "" none */
    size_t n_allocs;
    struct {
        const char *backend;
        double v[HL_CLAIMS_MAX_MACHINES];
    } allocs[HL_CLAIMS_MAX_LIST];
} hl_claims_env_bench;

typedef struct hl_claims_envelope {
    const char *name;
    const char *description;
    const char *reference;   /* backend everything is divided by */
    size_t n_machines;
    const char *machines[HL_CLAIMS_MAX_MACHINES];
    const char *machine_desc[HL_CLAIMS_MAX_MACHINES];
    double large_min, large_holds, slower_min, parity_max, parity_holds, rank_gap;
    size_t n_benchmarks;
    hl_claims_env_bench benchmarks[HL_CLAIMS_MAX_LIST];
} hl_claims_envelope;

typedef struct hl_claims_exp {
    const char *name;
    const char *description;
    const char *scaling;     /* what was scaled to the machine, and why */
    const char *size;        /* "quick" | "full": the workloads' defaults */
    size_t n_workloads;
    const char *workloads[HL_CLAIMS_MAX_LIST];
    size_t n_backends;
    const char *backends[HL_CLAIMS_MAX_LIST];
    int threads;             /* HL_CLAIMS_THREADS_NPROC, N, or ANY (not given) */
    size_t n_params, n_quick_params;
    hl_claims_param params[HL_CLAIMS_MAX_PARAMS];
    hl_claims_param quick_params[HL_CLAIMS_MAX_PARAMS]; /* replace params under --quick */
    unsigned repetitions, quick_repetitions;
    double min_time, quick_min_time;
    double parallel_min;     /* threaded cells: median CPU/wall >= this x threads; NAN: no check */
    /* the original programs (suite file benchmarks) run with --bench-dir */
    size_t n_originals;
    struct {
        const char *workload; /* heaplab's twin, "" none */
        const char *original;
    } originals[HL_CLAIMS_MAX_LIST];
    const char *original_note; /* "" or what to know about the originals' binaries */
    /* command cells */
    const char *python;      /* "" none, "any", or "3.N" */
    size_t n_commands;
    struct {
        const char *name;
        const char *args;    /* {src} = the heaplab source tree */
    } commands[HL_CLAIMS_MAX_LIST];
    const char *throughput;  /* "" none */
    /* variants: one run each, with these run options */
    size_t n_variants;
    struct {
        const char *name;
        size_t n_options;
        const char *model_options[HL_CLAIMS_MAX_LIST];
    } variants[HL_CLAIMS_MAX_LIST];
} hl_claims_exp;

typedef struct hl_claim {
    const char *id;
    const char *claim;
    const hl_json *source;   /* title, authors, year, where, ref, url */
    const char *source_quality;
    const hl_json *measured_on; /* hardware, software[, threads] */
    const char *metric, *normalisation;
    const hl_json *published;
    const char *verified;
    size_t n_experiments;
    size_t experiments[HL_CLAIMS_MAX_EXPERIMENTS]; /* indexes into the set's experiments */
    const char *not_comparable; /* "" unless nothing here can test it */
    hl_claims_rule rule;     /* kind NOT_MEASURED when not_comparable */
    const char *rule_text;
    const char *differs_because; /* the likely reason printed with "differs" */
    size_t n_caveats;
    const char *caveats[HL_CLAIMS_MAX_LIST];
} hl_claim;

typedef struct hl_claims {
    hl_json *doc;
    const char *description;
    size_t n_envelopes, n_experiments, n_claims;
    hl_claims_envelope *envelopes;
    hl_claims_exp *experiments;
    hl_claim *claims;
} hl_claims;

/* Loads and checks a claims file; 0, or -1 with one line in err
 * ("FILE: claims[3].rule.parts[0].measure.num.params.size: ...").  */
int hl_claims_load(hl_claims *set, const char *path, char *err, size_t errlen);
void hl_claims_free(hl_claims *set);

const hl_claim *hl_claims_find(const hl_claims *set, const char *id);
const hl_claims_exp *hl_claims_exp_find(const hl_claims *set, const char *name);
const hl_claims_envelope *hl_claims_envelope_find(const hl_claims *set, const char *name);
const hl_claims_env_bench *hl_claims_env_bench_find(const hl_claims_envelope *e,
                                                    const char *name);
/* Index of machine in e's machines, or -1. */
int hl_claims_env_machine(const hl_claims_envelope *e, const char *machine);

const char *hl_rule_kind_name(hl_rule_kind k);
const char *hl_measure_kind_name(hl_measure_kind k);

#endif
