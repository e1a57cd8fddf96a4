/* catalog.c - build the catalog from the cells' --describe --json output.
 *
 * How it works
 * ------------
 * For each variant whose executable exists, run it (through runner.c, with a
 * 30 s limit so a broken cell cannot hang `heaplab list`) with stdout sent to
 * a private temporary file, then parse that file.  Backends are kept only
 * from the variant they route to (pool appears in every variant's describe,
 * but "pool" means the system variant's pool); workloads come from the first
 * variant that lists them, since every variant links the same registry.
 */
#include "catalog.h"

#include "fsutil.h"
#include "json.h"
#include "protocol.h"
#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hl_catalog_variant_index(const char *variant)
{
    for (int i = 0; i < HL_ROUTE_NVARIANTS; i++)
        if (strcmp(hl_route_variants[i], variant) == 0)
            return i;
    return -1;
}

static void copy_str(char *dst, size_t dstlen, const char *src)
{
    snprintf(dst, dstlen, "%s", src ? src : "");
}

static int64_t get_i64(const hl_json *o, const char *k1, const char *k2, int64_t dflt)
{
    const hl_json *v = hl_json_get(o, k1);
    if (!v && k2)
        v = hl_json_get(o, k2);
    return v && v->type == HL_JNUM ? (int64_t)v->num : dflt;
}

static void parse_param(hl_cat_param *cp, const hl_json *p)
{
    copy_str(cp->name, sizeof cp->name, hl_json_get_str(p, "name", ""));
    copy_str(cp->help, sizeof cp->help, hl_json_get_str(p, "help", ""));
    cp->def = get_i64(p, "default", "def", 0);
    cp->quick = get_i64(p, "quick", NULL, cp->def);
    cp->min = get_i64(p, "min", NULL, INT64_MIN);
    cp->max = get_i64(p, "max", NULL, INT64_MAX);
    const hl_json *ls = hl_json_get(p, "labels");
    for (size_t i = 0; i < hl_json_len(ls) && cp->n_labels < HL_CAT_MAX_LABELS; i++)
        copy_str(cp->labels[cp->n_labels++], sizeof cp->labels[0],
                 hl_json_str(hl_json_at(ls, i), ""));
}

static void parse_metric(hl_cat_metric *m, const hl_json *o)
{
    copy_str(m->name, sizeof m->name, hl_json_get_str(o, "name", ""));
    copy_str(m->unit, sizeof m->unit, hl_json_get_str(o, "unit", ""));
    copy_str(m->chart, sizeof m->chart, hl_json_get_str(o, "chart", ""));
    m->series = hl_json_bool(hl_json_get(o, "series"), false);
}

void hl_catalog_parse_workload(hl_cat_workload *w, const hl_json *o)
{
    memset(w, 0, sizeof *w);
    copy_str(w->name, sizeof w->name, hl_json_get_str(o, "name", ""));
    copy_str(w->description, sizeof w->description, hl_json_get_str(o, "description", ""));
    copy_str(w->layer, sizeof w->layer, hl_json_get_str(o, "layer", ""));
    copy_str(w->op_unit, sizeof w->op_unit, hl_json_get_str(o, "op_unit", ""));
    copy_str(w->lock, sizeof w->lock, hl_json_get_str(o, "lock", "whole-run"));
    copy_str(w->data, sizeof w->data, hl_json_get_str(o, "data", ""));
    w->threaded = hl_json_bool(hl_json_get(o, "threaded"), false);
    w->forks = hl_json_bool(hl_json_get(o, "forks"), false);
    double fx = hl_json_get_num(o, "fixed_ops", 0);
    w->fixed_ops = fx > 0 && fx < 1e15 ? (uint64_t)fx : 0;
    const hl_json *ps = hl_json_get(o, "params");
    for (size_t i = 0; i < hl_json_len(ps) && w->n_params < HL_CAT_MAX_PARAMS; i++)
        parse_param(&w->params[w->n_params++], hl_json_at(ps, i));
    const hl_json *ms = hl_json_get(o, "metrics");
    for (size_t i = 0; i < hl_json_len(ms) && w->n_metrics < HL_CAT_MAX_METRICS; i++)
        parse_metric(&w->metrics[w->n_metrics++], hl_json_at(ms, i));
}

/* The document is a description this driver can read: its format, its
 * version and the protocol the cell speaks (protocol.h). */
static int check_describe(const hl_json *doc, const char *variant, char *err, size_t errlen)
{
    const char *format = hl_json_get_str(doc, "format", "");
    double version = hl_json_get_num(doc, "format_version", -1);
    double protocol = hl_json_get_num(doc, "protocol", -1);
    if (strcmp(format, HL_DESCRIBE_FORMAT) != 0 || version != HL_DESCRIBE_VERSION ||
        protocol != HL_PROTOCOL_VERSION) {
        snprintf(err, errlen,
                 "heaplab-cell-%s speaks %s version %g, protocol %g; this driver needs %s "
                 "version %d, protocol %d: rebuild heaplab and its cells together "
                 "(cmake --build <build dir>)",
                 variant, format[0] ? format : "no format", version, protocol,
                 HL_DESCRIBE_FORMAT, HL_DESCRIBE_VERSION, HL_PROTOCOL_VERSION);
        return -1;
    }
    return 0;
}

int hl_catalog_add_describe(hl_catalog *cat, const char *variant, const char *json_text,
                            char *err, size_t errlen)
{
    char perr[256];
    hl_json *doc = hl_json_parse(json_text, strlen(json_text), perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "heaplab-cell-%s --describe --json gave invalid JSON: %s", variant,
                 perr);
        return -1;
    }
    if (check_describe(doc, variant, err, errlen) != 0) {
        hl_json_free(doc);
        return -1;
    }
    const hl_json *bs = hl_json_get(doc, "backends");
    const hl_json *ws = hl_json_get(doc, "workloads");
    if (!bs || bs->type != HL_JARR || !ws || ws->type != HL_JARR) {
        snprintf(err, errlen, "heaplab-cell-%s --describe --json lacks the 'backends' and "
                              "'workloads' arrays: rebuild the cell and the driver together",
                 variant);
        hl_json_free(doc);
        return -1;
    }
    const hl_json *check = hl_json_get(doc, "process_check");
    if (check && !hl_json_bool(hl_json_get(check, "ok"), true)) {
        snprintf(err, errlen, "heaplab-cell-%s cannot measure: %s", variant,
                 hl_json_get_str(check, "message", "its malloc is not the variant's"));
        hl_json_free(doc);
        return -1;
    }
    for (size_t i = 0; i < hl_json_len(bs); i++) {
        const hl_json *b = hl_json_at(bs, i);
        const char *name = hl_json_get_str(b, "name", NULL);
        char rerr[256];
        const char *rv = name ? hl_route_variant(name, rerr, sizeof rerr) : NULL;
        if (!rv || strcmp(rv, variant) != 0 || hl_catalog_backend(cat, name))
            continue; /* hosted here only as a wrapper over this variant's malloc */
        if (cat->n_backends >= HL_CAT_MAX_BACKENDS)
            break;
        hl_cat_backend *cb = &cat->backends[cat->n_backends++];
        memset(cb, 0, sizeof *cb);
        copy_str(cb->name, sizeof cb->name, name);
        copy_str(cb->variant, sizeof cb->variant, variant);
        copy_str(cb->version, sizeof cb->version, hl_json_get_str(b, "version", ""));
        copy_str(cb->summary, sizeof cb->summary, hl_json_get_str(b, "summary", ""));
        copy_str(cb->kind, sizeof cb->kind, hl_json_get_str(b, "kind", ""));
        copy_str(cb->malloc_library, sizeof cb->malloc_library,
                 hl_json_get_str(b, "malloc_library", ""));
        cb->thread_safe = hl_json_bool(hl_json_get(b, "thread_safe"), false);
    }
    for (size_t i = 0; i < hl_json_len(ws) && cat->n_workloads < HL_CAT_MAX_WORKLOADS; i++) {
        const hl_json *w = hl_json_at(ws, i);
        const char *name = hl_json_get_str(w, "name", NULL);
        if (!name || hl_catalog_workload(cat, name))
            continue;
        hl_catalog_parse_workload(&cat->workloads[cat->n_workloads++], w);
    }
    int vi = hl_catalog_variant_index(variant);
    if (vi >= 0)
        cat->have_variant[vi] = true;
    hl_json_free(doc);
    return 0;
}

/* The whole of an open (unlinked) file, from its start; NULL on failure. */
static char *read_fd(int fd)
{
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0 || end > (64 << 20) || lseek(fd, 0, SEEK_SET) != 0)
        return NULL;
    char *buf = malloc((size_t)end + 1);
    size_t got = 0;
    while (buf && got < (size_t)end) {
        ssize_t n = read(fd, buf + got, (size_t)end - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (buf)
        buf[got] = '\0';
    return buf;
}

static int describe_variant(hl_catalog *cat, const char *variant, char *err, size_t errlen)
{
    char path[HL_ROUTE_PATH_MAX], argv0[HL_ROUTE_PATH_MAX];
    if (hl_route_cell_exe(variant, NULL, path, sizeof path, argv0, sizeof argv0, err, errlen) != 0)
        return -1;
    /* Unlinked at once: a driver killed while a cell describes itself
     * leaves no file behind. */
    char out_tmp[] = "/tmp/heaplab-describe-XXXXXX";
    char err_tmp[] = "/tmp/heaplab-describe-err-XXXXXX";
    int fo = mkstemp(out_tmp), fe = mkstemp(err_tmp);
    if (fo >= 0)
        unlink(out_tmp);
    if (fe >= 0)
        unlink(err_tmp);
    if (fo < 0 || fe < 0) {
        snprintf(err, errlen, "cannot create a temporary file in /tmp: %s", strerror(errno));
        if (fo >= 0)
            close(fo);
        if (fe >= 0)
            close(fe);
        return -1;
    }
    char *argv[] = {argv0, "--describe", "--json", NULL};
    hl_run_opts o = {.path = path, .argv = argv, .stdout_fd = fo, .stderr_fd = fe,
                     .timeout_s = 30};
    hl_run_result r;
    hl_runner_run(&o, &r);
    int rc = -1;
    if (r.outcome == HL_RUN_EXITED && r.exit_code == 0) {
        char *text = read_fd(fo);
        if (!text)
            snprintf(err, errlen, "cannot read the output of %.150s --describe --json", path);
        else
            rc = hl_catalog_add_describe(cat, variant, text, err, errlen);
        free(text);
    } else {
        char line[200] = "";
        char *text = read_fd(fe);
        if (text)
            snprintf(line, sizeof line, "%.*s", (int)strcspn(text, "\n"), text);
        free(text);
        snprintf(err, errlen, "%.100s --describe --json failed (%s, exit %d)%s%.100s", path,
                 hl_runner_outcome_name(r.outcome), r.exit_code, line[0] ? ": " : "", line);
    }
    close(fo);
    close(fe);
    return rc;
}

int hl_catalog_load(hl_catalog *cat, char *err, size_t errlen)
{
    memset(cat, 0, sizeof *cat);
    int answered = 0;
    char first_err[256] = "";
    for (int i = 0; i < HL_ROUTE_NVARIANTS; i++) {
        const char *v = hl_route_variants[i];
        if (describe_variant(cat, v, cat->variant_err[i], sizeof cat->variant_err[i]) == 0)
            answered++;
        else if (!first_err[0] && hl_route_have_variant(v))
            snprintf(first_err, sizeof first_err, "%s", cat->variant_err[i]);
    }
    if (answered == 0) {
        snprintf(err, errlen, "%s", first_err[0] ? first_err
                                                 : "no cell executable (heaplab-cell-*) next to "
                                                   "heaplab: build the project first");
        return -1;
    }
    return 0;
}

const hl_cat_workload *hl_catalog_workload(const hl_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n_workloads; i++)
        if (strcmp(cat->workloads[i].name, name) == 0)
            return &cat->workloads[i];
    return NULL;
}

const hl_cat_backend *hl_catalog_backend(const hl_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n_backends; i++)
        if (strcmp(cat->backends[i].name, name) == 0)
            return &cat->backends[i];
    return NULL;
}

void hl_catalog_write_workload(hl_jw *w, const hl_cat_workload *wl)
{
    hl_jw_obj_begin(w, NULL);
    hl_jw_str(w, "name", wl->name);
    hl_jw_str(w, "description", wl->description);
    hl_jw_str(w, "layer", wl->layer);
    hl_jw_bool(w, "threaded", wl->threaded);
    hl_jw_bool(w, "forks", wl->forks);
    hl_jw_str(w, "op_unit", wl->op_unit);
    hl_jw_uint(w, "fixed_ops", wl->fixed_ops);
    hl_jw_str(w, "lock", wl->lock);
    hl_jw_str(w, "data", wl->data[0] ? wl->data : NULL);
    hl_jw_arr_begin(w, "params");
    for (size_t k = 0; k < wl->n_params; k++) {
        const hl_cat_param *p = &wl->params[k];
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "name", p->name);
        hl_jw_str(w, "help", p->help);
        hl_jw_int(w, "default", p->def);
        hl_jw_int(w, "quick", p->quick);
        hl_jw_int(w, "min", p->min);
        hl_jw_int(w, "max", p->max);
        if (p->n_labels) {
            hl_jw_arr_begin(w, "labels");
            for (size_t i = 0; i < p->n_labels; i++)
                hl_jw_str(w, NULL, p->labels[i]);
            hl_jw_arr_end(w);
        }
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
    hl_jw_arr_begin(w, "metrics");
    for (size_t k = 0; k < wl->n_metrics; k++) {
        const hl_cat_metric *m = &wl->metrics[k];
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "name", m->name);
        hl_jw_str(w, "unit", m->unit);
        hl_jw_bool(w, "series", m->series);
        hl_jw_str(w, "chart", m->chart[0] ? m->chart : NULL);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
}

const char *hl_catalog_param_label(const hl_cat_param *p, int64_t v)
{
    if (p->n_labels == 0 || v < p->min || v - p->min >= (int64_t)p->n_labels)
        return NULL;
    return p->labels[v - p->min];
}

const hl_cat_param *hl_catalog_param(const hl_cat_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_params; i++)
        if (strcmp(w->params[i].name, name) == 0)
            return &w->params[i];
    return NULL;
}
