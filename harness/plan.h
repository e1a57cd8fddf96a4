/* plan.h - suites, the cell matrix and the interleaved run order.
 *
 * A cell is one (backend, workload, parameter values, threads) point; a job
 * is one process measuring one cell once (repetition k).  Following pyperf,
 * every repetition is its own process, so ASLR, heap layout and hash seeds
 * differ between the values we aggregate; following Google Benchmark's
 * random interleaving, the jobs run in rounds: round k runs every cell's
 * repetition k in a seeded-shuffled order, so slow drift of a shared machine
 * spreads evenly over backends instead of penalising whichever ran last.
 * Within a round the cells of one group (the same workload, parameters and
 * threads, differing only by backend) run one after another in a shuffled
 * order, and the groups themselves in a shuffled order: each round is then
 * a paired comparison of the backends, measured close together in time, and
 * the ratio of two backends computed round by round cancels the machine's
 * drift (ranking.h).
 *
 * Suites:
 *   quick  every available backend (but faulty) x every workload at the
 *          workloads' quick sizes; 5 repetitions x 0.05 s min time after a
 *          0.05 s warm-up; threaded workloads at 2 threads.  Sized so ~150
 *          cells finish in < 4 min on 2 cores.
 *   full   default sizes, 9 repetitions (the U test's recommended minimum)
 *          x 0.2 s; threaded workloads at 1 and nproc threads.
 * Explicit --backends/--workloads/--threads/--param/... narrow or change
 * either suite.
 *
 * The plan, with its seed and its job order, is saved as DIR/plan.json so
 * --resume recreates it exactly.
 */
#ifndef HL_PLAN_H
#define HL_PLAN_H

#include "catalog.h"
#include "command.h"
#include "json.h"
#include "preload.h"
#include "pyconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_PLAN_MAX_SWEEP_VALUES 32
#define HL_PLAN_MAX_SWEEPS 8
#define HL_PLAN_MAX_THREADS 16
#define HL_PLAN_MAX_LIST 64
#define HL_PLAN_FIXED_OPS_QUICK 100000
#define HL_PLAN_FIXED_OPS_FULL 1000000
#define HL_PLAN_MAX_MODEL_OPTIONS 8

typedef struct hl_plan_param {
    char name[48];
    int64_t value;
} hl_plan_param;

typedef struct hl_plan_cell {
    char id[256];        /* unique, filesystem-safe: workload--backend--tN[--p=v...] */
    char backend[320];   /* spec as given: "pool:raw=jemalloc", "preload:/x/libmy.so" */
    char variant[16];    /* "command" for a command cell (HL_COMMAND_VARIANT) */
    char workload[64];   /* a command cell: its command's name */
    char data[16];       /* the data file the workload reads: "" or "trace" */
    unsigned threads;    /* 1 for workloads that are not threaded */
    bool threaded;
    bool object_layer;   /* an object-layer workload: takes the run's model settings */
    uint64_t fixed_ops;  /* operations of its fixed-work pass (time mode); 0: none;
                          * UINT64_MAX: the run's (a plan that predates this field) */
    size_t n_params;     /* explicit overrides only; the rest come from suite_size */
    hl_plan_param params[HL_CAT_MAX_PARAMS];
} hl_plan_cell;

/* An external program the run measures (command cells, plan_commands.c). */
typedef struct hl_plan_command {
    hl_command cmd;      /* as planned: placeholders expanded, cwd absolute */
    char program[4096];  /* argv[0] resolved; "" for a {python} command */
    char sha256[65];     /* of program */
    uint64_t size;
} hl_plan_command;

/* Samples per process in time mode when the run does not say
 * (cell_time.c; plan.c says why 5). */
#define HL_PLAN_DEFAULT_SAMPLES 5

typedef struct hl_plan_job {
    uint32_t cell;
    uint32_t rep;        /* 0-based repetition (round) */
} hl_plan_job;

/* Invariants (hl_plan_check): cell ids are unique and non-empty; every
 * cell's variant is the one its backend routes to; jobs holds every
 * (cell, rep) pair with cell < n_cells and rep < repetitions exactly once,
 * so n_jobs == n_cells * repetitions. */
typedef struct hl_plan {
    char suite[128];
    char suite_size[8];  /* "quick" | "full": which defaults the cells use */
    uint64_t seed;
    unsigned repetitions;
    unsigned samples;          /* time mode: equal-work samples per process (cell_time.c) */
    double min_time;
    double warmup_time;
    double timeout_s;
    uint64_t memory_limit_mb;  /* 0: none */
    char measure[16];          /* "time" | "instructions" */
    uint64_t iterations;       /* instructions mode: measured iterations; 0 = the cell's default */
    uint64_t fixed_ops;        /* time mode: operations of each cell's fixed-work pass */
    char trace[1024];          /* absolute path for trace-replay workloads, or "" */
    char trace_sha256[65];     /* its content when planned, "" without a trace */
    char reference[96];        /* backend the rankings divide by (--reference), or "" */
    uint64_t trace_size;
    /* The object layer's model for every object-layer cell: the CPython
     * version (--python-model; "" = the cells' build default, which the
     * fingerprint names) and what-if options (--model-option K=V). */
    char python_model[8];
    size_t n_model_options;
    char model_options[HL_PLAN_MAX_MODEL_OPTIONS][64];
    /* The build that planned the run: --resume refuses another one, so
     * that two programs never end up in one cell's median. */
    struct {
        char git_commit[24];
        bool git_dirty;
        char build_type[24];
        int protocol;
    } build;
    /* Command cells: their programs, their resolved backends (one per
     * distinct spec), the CPython interpreters, and the unmeasured runs
     * each cell's first repetition makes before its measured one. */
    size_t n_commands;
    hl_plan_command *commands;
    size_t n_preloads;
    hl_preload *preloads;
    size_t n_interps;
    hl_pyinterp *interps;
    unsigned warmup_runs;
    size_t n_cells;
    hl_plan_cell *cells;
    size_t n_jobs;
    hl_plan_job *jobs;         /* run order */
} hl_plan;

typedef struct hl_plan_sweep {
    char name[48];
    size_t n;
    int64_t values[HL_PLAN_MAX_SWEEP_VALUES];
    /* An enumeration's label as given ("frozen"), resolved by the planner
     * against the selected workloads' labels; NULL for an integer value. */
    const char *label[HL_PLAN_MAX_SWEEP_VALUES];
} hl_plan_sweep;

/* What the command line asked for; zero/NULL fields take the suite's value. */
typedef struct hl_plan_request {
    const char *suite;                 /* "quick" (default) | "full" */
    size_t n_backends;
    const char *backends[HL_PLAN_MAX_LIST];
    size_t n_workloads;
    const char *workloads[HL_PLAN_MAX_LIST];
    size_t n_threads;
    unsigned threads[HL_PLAN_MAX_THREADS];
    size_t n_sweeps;
    hl_plan_sweep sweeps[HL_PLAN_MAX_SWEEPS];
    unsigned repetitions;              /* 0: suite default */
    unsigned samples;                  /* 0: suite default */
    double min_time;                   /* < 0: suite default */
    double warmup_time;                /* < 0: suite default */
    bool have_seed;
    uint64_t seed;
    double timeout_s;                  /* <= 0: suite default */
    uint64_t memory_limit_mb;
    const char *measure;               /* NULL: "time" */
    uint64_t iterations;               /* instructions mode; 0: the cell's default */
    bool have_fixed_ops;
    uint64_t fixed_ops;                /* time mode; default by suite, 0 = no pass */
    const char *trace;                 /* trace file for replay workloads, or NULL */
    const char *reference;             /* --reference BACKEND, or NULL */
    const char *python_model;          /* --python-model V, or NULL */
    size_t n_model_options;
    const char *model_options[HL_PLAN_MAX_MODEL_OPTIONS]; /* --model-option K=V */
    /* Command cells (plan_commands.c): the commands (expanded and checked),
     * the --python interpreters, the warm-up runs (default 1). */
    size_t n_commands;
    const hl_command *commands;
    size_t n_interps;
    const hl_pyinterp *interps;
    bool have_warmup_runs;
    unsigned warmup_runs;
} hl_plan_request;

/* Does the cell's workload read a recorded trace (and so need --trace FILE
 * or HEAPLAB_TRACE)?  Default suites leave such workloads out when there
 * is no trace. */
bool hl_plan_cell_needs_trace(const hl_plan_cell *c);

void hl_plan_request_init(hl_plan_request *req);

/* Is name a suite?  (quick, full) */
bool hl_plan_is_suite(const char *name);

/* Expands the request against the catalog.  0, or -1 with one line in err
 * naming the bad value and the fix. */
int hl_plan_build(const hl_catalog *cat, const hl_plan_request *req, hl_plan *plan, char *err,
                  size_t errlen);

/* Checks the invariants above; 0, or -1 with the first violation in err.
 * Run on every plan.json loaded (a resumed run must not repeat or skip
 * jobs) and after planning in debug builds. */
int hl_plan_check(const hl_plan *plan, char *err, size_t errlen);

/* The interleaved order: rounds of seeded Fisher-Yates shuffles. */
void hl_plan_order(hl_plan *plan);

void hl_plan_free(hl_plan *plan);

/* DIR/plan.json; loading checks every field (jread.h) and the plan's
 * invariants, and refuses a bad file with one line naming the field. */
int hl_plan_save(const hl_plan *plan, const char *path, char *err, size_t errlen);
int hl_plan_load(hl_plan *plan, const char *path, char *err, size_t errlen);

/* The plan's settings and one cell, as plan.json and results.json hold
 * them (one writer and one reader for both files). */
struct hl_jread;
void hl_plan_write_settings(hl_jw *w, const hl_plan *plan);
void hl_plan_write_cell(hl_jw *w, const hl_plan_cell *c);
int hl_plan_read_settings(struct hl_jread *r, const hl_json *obj, const char *path, hl_plan *p);
int hl_plan_read_cell(struct hl_jread *r, const hl_json *o, const char *path, hl_plan_cell *pc);

/* Does this program match the build that planned the run, and does the
 * trace still hash as planned?  0, or -1 with one line in err saying what
 * changed and how to go on. */
int hl_plan_check_identity(const hl_plan *plan, char *err, size_t errlen);

/* "size=64,depth=3" (empty when none) into out. */
void hl_plan_params_str(const hl_plan_cell *c, char *out, size_t outlen);

/* Estimated seconds for one job (process start + warm-up + measuring). */
double hl_plan_job_estimate_s(const hl_plan *plan);
/* The plan measures instruction counts (callgrind), not time. */
bool hl_plan_counts_instructions(const hl_plan *plan);
/* w cannot be measured under this plan: in instructions mode, a workload
 * whose operations run in forked children (workload.h's forks), which
 * callgrind's count of the cell does not hold. */
bool hl_plan_uncountable(const hl_plan *plan, const hl_cat_workload *w);
/* How each process measures, for headers: "min time 0.05 s in 5 samples,
 * warm-up 0.05 s", or in instructions mode the fixed count (min time and
 * warm-up do not apply there). */
void hl_plan_describe_measurement(const hl_plan *plan, char *out, size_t outlen);

/* ---- command cells (plan_commands.c) ------------------------------------- */

/* Can only a command cell use the spec (preload:PATH, CONFIG@INTERP, or
 * a CPython configuration's short form)? */
bool hl_plan_spec_is_command_only(const char *spec);

/* Is c a command cell? */
bool hl_plan_cell_is_command(const hl_plan_cell *c);
/* The command a command cell runs, its resolved backend and interpreter
 * (NULL when not a command cell or not CPython). */
const hl_plan_command *hl_plan_command_of(const hl_plan *plan, const hl_plan_cell *c);
const hl_preload *hl_plan_preload_of(const hl_plan *plan, const hl_plan_cell *c);
const hl_pyinterp *hl_plan_interp_of(const hl_plan *plan, const hl_plan_cell *c);

/* Adds the cells of the request's commands to plan (after its workload
 * cells): every command under every backend that can run it.  0, or -1
 * with one line in err. */
int hl_plan_add_commands(const hl_catalog *cat, const hl_plan_request *req, hl_plan *plan,
                         size_t *cap, char *err, size_t errlen);

/* Appends one cell, refusing a duplicate id (plan.c). */
int hl_plan_add_cell(hl_plan *plan, size_t *cap, const hl_plan_cell *c, char *err,
                     size_t errlen);

/* The commands, backends and interpreters in plan.json / results.json. */
void hl_plan_write_commands(hl_jw *w, const hl_plan *plan);
int hl_plan_read_commands(struct hl_jread *r, const hl_json *obj, const char *path,
                          hl_plan *p);
/* Did a program, library or interpreter change since the plan?  0, or -1
 * with one line in err. */
int hl_plan_check_command_inputs(const hl_plan *plan, char *err, size_t errlen);
void hl_plan_free_commands(hl_plan *plan);

/* splitmix64 step (also used by tests). */
uint64_t hl_plan_rand(uint64_t *state);

#endif
