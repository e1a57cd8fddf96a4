/* cell_describe.c - `heaplab-cell-<variant> --describe [--json]`: what this
 * process variant hosts.
 *
 * The driver links no allocator and no workload code; this description is
 * how it learns both (harness/catalog.c), so the driver can never disagree
 * with what a cell really runs.  The JSON form is the HL_DESCRIBE_FORMAT
 * document of protocol.h, documented in docs/results-format.md.
 */
#include "cell.h"

#include "json.h"

#include <inttypes.h>
#include <stdio.h>

static const char *layer_name(hl_layer l)
{
    return l == HL_LAYER_OBJECTS ? "objects" : "raw";
}

static const char *lock_name(hl_lock_policy p)
{
    return p == HL_LOCK_PER_CALL ? "per-call" : "whole-run";
}

static const char *data_name(hl_wl_data d)
{
    return d == HL_DATA_TRACE ? "trace" : NULL;
}

static void json_param(hl_jw *w, const hl_param *p)
{
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "name", p->name);
    hl_jw_str(w, "help", p->help);
    hl_jw_int(w, "default", p->def);
    hl_jw_int(w, "quick", p->quick);
    hl_jw_int(w, "min", p->min);
    hl_jw_int(w, "max", p->max);
    if (p->labels) {
        hl_jw_arr_begin(w, "labels");
        for (int64_t v = p->min; v <= p->max; v++)
            hl_jw_str(w, NULL, p->labels[v - p->min]);
        hl_jw_arr_end(w);
    }
    hl_jw_obj_end(w);
}

static void json_metric_desc(hl_jw *w, const hl_metric_desc *d)
{
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "name", d->name);
    hl_jw_str(w, "unit", d->unit);
    hl_jw_str(w, "help", d->help);
    hl_jw_bool(w, "series", d->series);
    hl_jw_str(w, "chart", d->chart);
    hl_jw_obj_end(w);
}

static void json_workload(hl_jw *w, const hl_workload *wl)
{
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "name", wl->name);
    hl_jw_str(w, "description", wl->description);
    hl_jw_str(w, "layer", layer_name(wl->layer));
    hl_jw_bool(w, "threaded", wl->threaded);
    hl_jw_bool(w, "forks", wl->forks);
    hl_jw_str(w, "op_unit", wl->op_unit);
    hl_jw_uint(w, "fixed_ops", wl->fixed_ops);
    hl_jw_str(w, "lock", lock_name(wl->lock));
    hl_jw_str(w, "data", data_name(wl->data));
    hl_jw_arr_begin(w, "params");
    for (size_t k = 0; k < wl->n_params; k++)
        json_param(w, &wl->params[k]);
    hl_jw_arr_end(w);
    hl_jw_arr_begin(w, "metrics");
    for (size_t k = 0; k < wl->n_metric_descs; k++)
        json_metric_desc(w, &wl->metric_descs[k]);
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
}

static int describe_json(int check, const char *check_err)
{
    const hl_backend *native = hl_registry_native();
    hl_jw w;
    hl_jw_init(&w, stdout, true);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", HL_DESCRIBE_FORMAT);
    hl_jw_int(&w, "format_version", HL_DESCRIBE_VERSION);
    hl_jw_int(&w, "protocol", HL_PROTOCOL_VERSION);
    hl_jw_str(&w, "variant", hl_registry_variant());
    hl_jw_obj_begin(&w, "process_check");
    hl_jw_bool(&w, "ok", check == 0);
    hl_jw_str(&w, "message", check == 0 ? NULL : check_err);
    hl_jw_obj_end(&w);
    hl_jw_str(&w, "google_benchmark", hl_bench_library_version());
    hl_jw_arr_begin(&w, "backends");
    for (size_t i = 0; i < hl_registry_count(); i++) {
        const hl_backend *b = hl_registry_at(i);
        hl_jw_obj_begin(&w, NULL);
        hl_jw_str(&w, "name", b->name);
        hl_jw_str(&w, "summary", hl_registry_row(b)->summary);
        hl_jw_str(&w, "kind", hl_backend_kind_name(hl_registry_row(b)->kind));
        hl_jw_str(&w, "version", b->version ? b->version(NULL) : NULL);
        hl_jw_bool(&w, "thread_safe", b->thread_safe);
        hl_jw_bool(&w, "native", b == native);
        char lib[4096];
        if (b == native && hl_registry_malloc_library(lib, sizeof lib) == 0)
            hl_jw_str(&w, "malloc_library", lib);
        hl_jw_obj_end(&w);
    }
    hl_jw_arr_end(&w);
    hl_jw_arr_begin(&w, "workloads");
    for (size_t i = 0; i < hl_workload_count(); i++)
        json_workload(&w, hl_workload_at(i));
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    fputc('\n', stdout);
    if (hl_jw_finish(&w) != 0) {
        hl_cell_complain("could not write the description to stdout");
        return HL_CELL_EXIT_INTERNAL;
    }
    return HL_CELL_EXIT_OK;
}

static void describe_text(int check, const char *check_err)
{
    printf("variant %s (process malloc: %s), protocol %d\n", hl_registry_variant(),
           check == 0 ? "verified" : check_err, HL_PROTOCOL_VERSION);
    printf("\nbackends:\n");
    for (size_t i = 0; i < hl_registry_count(); i++) {
        const hl_backend *b = hl_registry_at(i);
        printf("  %-10s %-24s %s%s\n", b->name, b->version ? b->version(NULL) : "-",
               hl_registry_row(b)->summary, b->thread_safe ? "" : " [needs the GIL]");
    }
    printf("\nworkloads:\n");
    for (size_t i = 0; i < hl_workload_count(); i++) {
        const hl_workload *wl = hl_workload_at(i);
        printf("  %s (%s layer%s; one operation = %s)\n    %s\n", wl->name,
               layer_name(wl->layer), wl->threaded ? ", threaded" : "", wl->op_unit,
               wl->description);
        for (size_t k = 0; k < wl->n_params; k++) {
            const hl_param *p = &wl->params[k];
            printf("      %-14s default %" PRId64 ", quick %" PRId64 ", [%" PRId64 ", %" PRId64
                   "]  %s\n",
                   p->name, p->def, p->quick, p->min, p->max, p->help);
        }
    }
}

int hl_cell_describe(bool json)
{
    char err[256];
    int check = hl_registry_check_process(err, sizeof err);
    if (json)
        return describe_json(check, err);
    describe_text(check, err);
    return HL_CELL_EXIT_OK;
}
