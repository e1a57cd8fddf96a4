/* catalog.h - what this build can run, learned by asking each cell
 * executable `heaplab-cell-<variant> --describe --json`.
 *
 * The driver links no allocator and no workload code: the cells are the
 * only source of truth for backend versions and workload parameters, so the
 * driver can never disagree with what actually runs.
 */
#ifndef HL_CATALOG_H
#define HL_CATALOG_H

#include "json.h"
#include "route.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_CAT_MAX_PARAMS 16
#define HL_CAT_MAX_LABELS 16
#define HL_CAT_MAX_METRICS 48
#define HL_CAT_MAX_WORKLOADS 64
#define HL_CAT_MAX_BACKENDS 32

/* A workload parameter as the cell describes it (workloads/workload.h). */
typedef struct hl_cat_param {
    char name[48];
    char help[160];
    int64_t def, quick, min, max;
    size_t n_labels;    /* an enumeration: labels[v - min]; 0 for plain numbers */
    char labels[HL_CAT_MAX_LABELS][32];
} hl_cat_param;

/* A metric a workload declares (hl_metric_desc). */
typedef struct hl_cat_metric {
    char name[48];
    char unit[16];
    char chart[32];     /* "" when no chart draws it */
    bool series;
} hl_cat_metric;

typedef struct hl_cat_workload {
    char name[64];
    char description[200];
    char layer[16];     /* "objects" | "raw" */
    char op_unit[48];
    char lock[16];      /* "whole-run" | "per-call" */
    char data[16];      /* "" or "trace": the data file it needs */
    bool threaded;
    bool forks;          /* its work runs in forked children (workload.h) */
    uint64_t fixed_ops;  /* its fixed-work pass at full sizes; 0: the default */
    size_t n_params;
    hl_cat_param params[HL_CAT_MAX_PARAMS];
    size_t n_metrics;
    hl_cat_metric metrics[HL_CAT_MAX_METRICS];
} hl_cat_workload;

typedef struct hl_cat_backend {
    char name[32];
    char variant[16];   /* the variant whose describe listed it natively */
    char version[96];
    char summary[200];
    char kind[24];      /* "process", "reference", "wrapper", "debug", "fault" */
    char malloc_library[4096]; /* natives: the library that is the variant's malloc
                                * (what a command cell preloads), or "" */
    bool thread_safe;
} hl_cat_backend;

typedef struct hl_catalog {
    bool have_variant[HL_ROUTE_NVARIANTS];
    char variant_err[HL_ROUTE_NVARIANTS][256]; /* why a variant is missing/broken */
    size_t n_backends;
    hl_cat_backend backends[HL_CAT_MAX_BACKENDS];
    size_t n_workloads;
    hl_cat_workload workloads[HL_CAT_MAX_WORKLOADS];
} hl_catalog;

/* Asks every variant present in this build.  Returns 0 when at least one
 * variant answered, else -1 with one line in err. */
int hl_catalog_load(hl_catalog *cat, char *err, size_t errlen);

/* A workload descriptor from its JSON form (the describe document's
 * "workloads" entries; results.json metadata.workloads), and back. */
void hl_catalog_parse_workload(hl_cat_workload *w, const hl_json *o);
void hl_catalog_write_workload(hl_jw *w, const hl_cat_workload *wl);

/* Parses one describe document (exposed for tests and for resume). */
int hl_catalog_add_describe(hl_catalog *cat, const char *variant, const char *json_text,
                            char *err, size_t errlen);

const hl_cat_workload *hl_catalog_workload(const hl_catalog *cat, const char *name);
/* A backend by name as hosted natively (routing variant == listing variant). */
const hl_cat_backend *hl_catalog_backend(const hl_catalog *cat, const char *name);
const hl_cat_param *hl_catalog_param(const hl_cat_workload *w, const char *name);
/* The label of value v of an enumeration parameter, or NULL. */
const char *hl_catalog_param_label(const hl_cat_param *p, int64_t v);
int hl_catalog_variant_index(const char *variant);

#endif
