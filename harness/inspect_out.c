/* inspect_out.c - what heaplab inspect says and writes: the terminal
 * report, the JSON document (--format json, and DIR/inspect.json), and the
 * tidy data files the pictures are drawn from.
 *
 * Files of DIR (docs/results-format.md, "Inspection"):
 *   inspect.json    everything below in one document
 *   timeline.csv    t_s,rss_bytes,live_bytes          the sampler (mprof)
 *   gc_events.csv   t_s,iteration,generation,pause_ns,collected,by
 *                   one row per collection; by = workload | inspect
 *   gc_count.csv    t_s,iteration,count0,count1,count2  gc.get_count()
 *   points.csv      point,iteration,t_s,cost_s        when each point was inspected
 *   graph-p<K>.dot  hl_show_backrefs of point K's object (up to the root)
 *   refs-p<K>.dot   hl_show_refs of it (what it refers to)
 *   path-p<K>.dot   the walk's path to it from a top-level object
 */
#include "inspect.h"

#include "json.h"
#include "stats.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_bytes(double b, char *out, size_t outlen)
{
    if (b < 1024)
        snprintf(out, outlen, "%.0f B", b);
    else if (b < 1024.0 * 1024)
        snprintf(out, outlen, "%.1f KiB", b / 1024);
    else
        snprintf(out, outlen, "%.1f MiB", b / (1024.0 * 1024));
}

/* Pauses of the workload's collections of generation g during the run. */
static size_t pauses_of(const hl_inspection *x, int g, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_events; i++)
        if (x->events[i].generation == g && !x->events[i].by_inspect)
            out[n++] = (double)x->events[i].pause_ns;
    return n;
}

/* ---- terminal ------------------------------------------------------------- */

static void text_links(const hl_inspect_link *links, size_t n, FILE *f)
{
    fputs("    ", f);
    for (size_t i = 0; i < n; i++) {
        fputs(links[i].type, f);
        if (i + 1 < n)
            fprintf(f, " %s -> ", links[i].via);
        if (i + 1 < n && (i + 1) % 6 == 0)
            fputs("\n    ", f);
    }
    fputc('\n', f);
}

static void text_chain(const hl_inspect_point *p, const char *type, FILE *f)
{
    if (!p->target_type[0]) {
        uint64_t live = 0;
        for (size_t i = 0; type && i < p->n_common; i++)
            if (strcmp(p->common[i].name, type) == 0)
                live = p->common[i].count;
        if (live)
            fprintf(f, "  %" PRIu64 " %s live, none reachable from a top-level object: garbage "
                       "awaiting collection, or held only from C\n",
                    live, type);
        else
            fprintf(f, "  no live %s at this point\n", type ? type : "container");
        return;
    }
    fprintf(f, "  objgraph.find_backref_chain from the %s farthest from a top-level object "
               "(%zu edges):\n",
            p->target_type, p->target_depth);
    text_links(p->chain, p->chain_len, f);
    if (p->chain_len == 1)
        fputs("    (a root to find_backref_chain: no tracked container refers to it)\n", f);
    if (p->path_len && p->path_len + p->path_cut != p->chain_len) {
        fprintf(f, "  the walk's path to it (%zu edges%s; it also crosses untracked containers, "
                   "which gc.get_referrers cannot see):\n",
                p->path_len + p->path_cut - 1, p->path_cut ? ", the top ones left out" : "");
        text_links(p->path, p->path_len, f);
    }
}

static void text_point(const hl_inspection *x, size_t k, FILE *f)
{
    const hl_inspect_point *p = &x->points[k];
    char lb[32];
    fmt_bytes((double)p->live_bytes, lb, sizeof lb);
    fprintf(f, "\npoint %zu of %zu: after %" PRIu64 " iteration%s%s, t = %.3f s\n", k + 1,
            x->n_points, p->iteration, p->iteration == 1 ? "" : "s",
            p->iteration == 0 ? " (set-up done)" : "", p->t_s);
    fprintf(f, "  gc.get_count() (%" PRIu64 ", %" PRIu64 ", %" PRIu64 "), thresholds (%u, %u, %u); "
               "collections so far %" PRIu64 " / %" PRIu64 " / %" PRIu64 "\n",
            p->gc_count[0], p->gc_count[1], p->gc_count[2], p->threshold[0], p->threshold[1],
            p->threshold[2], p->gc[0].collections, p->gc[1].collections, p->gc[2].collections);
    fprintf(f, "  live: %" PRIu64 " objects (%" PRIu64 " tracked), %s\n", p->live_objects,
            p->tracked, lb);
    fputs("  objgraph.show_most_common_types():\n", f);
    int w = 4;
    size_t ncommon = p->n_common < x->top ? p->n_common : x->top;
    for (size_t i = 0; i < ncommon; i++)
        w = (int)strlen(p->common[i].name) > w ? (int)strlen(p->common[i].name) : w;
    for (size_t i = 0; i < p->n_growth; i++)
        w = (int)strlen(p->growth[i].name) > w ? (int)strlen(p->growth[i].name) : w;
    for (size_t i = 0; i < ncommon; i++)
        fprintf(f, "    %-*s %10" PRIu64 "\n", w, p->common[i].name, p->common[i].count);
    fprintf(f, "  objgraph.show_growth()%s:\n",
            k == 0 ? " (the first call: every type, from 0)" : " since the previous point");
    if (p->n_growth == 0)
        fputs("    (no type above its previous peak)\n", f);
    for (size_t i = 0; i < p->n_growth; i++)
        fprintf(f, "    %-*s %10" PRIu64 " %+10" PRId64 "\n", w, p->growth[i].name,
                p->growth[i].count, p->growth[i].delta);
    fprintf(f, "  sys.getrefcount() by type, %" PRIu64 " objects reached from %zu top-level "
               "objects (%" PRIu64 " live):\n",
            p->walked, p->n_roots, p->live_objects);
    fprintf(f, "    %-*s", w, "type");
    for (int b = 0; b < HL_INSPECT_BUCKETS; b++)
        fprintf(f, " %8s", hl_inspect_bucket_names[b]);
    fputc('\n', f);
    for (size_t i = 0; i < p->n_hist; i++) {
        fprintf(f, "    %-*s", w, p->hist[i].name);
        for (int b = 0; b < HL_INSPECT_BUCKETS; b++)
            fprintf(f, " %8" PRIu64, p->hist[i].n[b]);
        fputc('\n', f);
    }
    text_chain(p, x->type[0] ? x->type : NULL, f);
    if (p->backrefs_dot)
        fprintf(f, "  graphs: graph-p%zu.dot (referrers, %u levels up, %zu nodes), refs-p%zu.dot "
                   "(referents, %u levels down, %zu nodes), path-p%zu.dot\n",
                k + 1, p->backrefs_depth, p->backrefs_nodes, k + 1, p->refs_depth, p->refs_nodes,
                k + 1);
    fprintf(f, "  this point's inspection took %.3f s\n", p->cost_s);
}

void hl_inspect_write_text(const hl_inspection *x, const char *backend, FILE *f)
{
    char peak[32], start[32];
    fmt_bytes((double)x->peak_rss_bytes, peak, sizeof peak);
    fmt_bytes((double)x->rss_start_bytes, start, sizeof start);
    double added = x->poll_s + x->points_s;
    fprintf(f, "heaplab inspect: %s on %s, %" PRIu64 " iterations (%" PRIu64 " operations), "
               "%zu points\n",
            x->workload, backend, x->iterations, x->operations, x->n_points);
    fprintf(f, "  time: set-up %.3f s; run %.3f s in the workload, plus %.3f s between "
               "iterations and %.3f s at the points (the inspection added %.3f s, %.0f%% of "
               "the workload's own); verify %.3f s; tear-down %.3f s\n",
            x->t_setup, x->run_s, x->poll_s, x->points_s, added,
            x->run_s > 0 ? 100.0 * added / x->run_s : 0.0, x->t_verify - x->t_run,
            x->t_end - x->t_verify);
    if (x->n_mem)
        fprintf(f, "  memory: peak RSS %s at t = %.3f s, outside the points' inspections (%s "
                   "when the inspection started)\n",
                peak, x->peak_t_s, start);
    fprintf(f, "  verified: %s%s\n", x->verified ? "yes" : "NO: ", x->verify_error);
    fprintf(f, "\ngc.get_stats() after the run (the workload's collections; the %" PRIu64
               " of show_growth left out):\n",
            x->inspect_collections);
    fputs("  generation  collections  collected  uncollectable  pauses during the run\n", f);
    double *v = malloc((x->n_events + 1) * sizeof *v);
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        size_t n = v ? pauses_of(x, g, v) : 0;
        char pz[120] = "-";
        if (n)
            snprintf(pz, sizeof pz, "%zu: median %.1f us, max %.1f us, total %.2f ms", n,
                     hl_stats_median(v, n) / 1e3, hl_stats_max(v, n) / 1e3,
                     hl_stats_mean(v, n) * (double)n / 1e6);
        fprintf(f, "  %10d  %11" PRIu64 "  %9" PRIu64 "  %13" PRIu64 "  %s\n", g,
                x->gc_end[g].collections, x->gc_end[g].collected, x->gc_end[g].uncollectable, pz);
    }
    free(v);
    for (size_t k = 0; k < x->n_points; k++)
        text_point(x, k, f);
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_counts(hl_jw *w, const char *key, const hl_inspect_count *c, size_t n,
                        bool delta)
{
    hl_jw_arr_begin(w, key);
    for (size_t i = 0; i < n; i++) {
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "type", c[i].name);
        hl_jw_uint(w, "count", c[i].count);
        if (delta)
            hl_jw_int(w, "delta", c[i].delta);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
}

static void json_point(hl_jw *w, const hl_inspect_point *p, size_t k, size_t top)
{
    char file[64];
    hl_jw_obj_begin(w, NULL);
    hl_jw_uint(w, "iteration", p->iteration);
    hl_jw_num(w, "t_s", p->t_s);
    hl_jw_arr_begin(w, "gc_count");
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        hl_jw_uint(w, NULL, p->gc_count[g]);
    hl_jw_arr_end(w);
    hl_jw_arr_begin(w, "gc_threshold");
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        hl_jw_uint(w, NULL, p->threshold[g]);
    hl_jw_arr_end(w);
    hl_jw_arr_begin(w, "gc_stats");
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        hl_jw_obj_begin(w, NULL);
        hl_jw_uint(w, "collections", p->gc[g].collections);
        hl_jw_uint(w, "collected", p->gc[g].collected);
        hl_jw_uint(w, "uncollectable", p->gc[g].uncollectable);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
    hl_jw_uint(w, "live_objects", p->live_objects);
    hl_jw_uint(w, "tracked", p->tracked);
    hl_jw_int(w, "live_bytes", p->live_bytes);
    json_counts(w, "most_common_types", p->common, p->n_common < top ? p->n_common : top, false);
    json_counts(w, "growth", p->growth, p->n_growth, true);
    hl_jw_obj_begin(w, "refcounts");
    hl_jw_uint(w, "walked", p->walked);
    hl_jw_uint(w, "roots", p->n_roots);
    hl_jw_arr_begin(w, "buckets");
    for (int b = 0; b < HL_INSPECT_BUCKETS; b++)
        hl_jw_str(w, NULL, hl_inspect_bucket_names[b]);
    hl_jw_arr_end(w);
    hl_jw_arr_begin(w, "types");
    for (size_t i = 0; i < p->n_hist; i++) {
        hl_jw_obj_begin(w, NULL);
        hl_jw_str(w, "type", p->hist[i].name);
        hl_jw_uint(w, "total", p->hist[i].total);
        hl_jw_arr_begin(w, "counts");
        for (int b = 0; b < HL_INSPECT_BUCKETS; b++)
            hl_jw_uint(w, NULL, p->hist[i].n[b]);
        hl_jw_arr_end(w);
        hl_jw_obj_end(w);
    }
    hl_jw_arr_end(w);
    hl_jw_obj_end(w);
    if (!p->target_type[0]) {
        hl_jw_null(w, "chain");
    } else {
        hl_jw_obj_begin(w, "chain");
        hl_jw_str(w, "type", p->target_type);
        hl_jw_uint(w, "depth", p->target_depth);
        hl_jw_arr_begin(w, "links");
        for (size_t i = 0; i < p->chain_len; i++) {
            hl_jw_obj_begin(w, NULL);
            hl_jw_str(w, "type", p->chain[i].type);
            hl_jw_str(w, "via", i + 1 < p->chain_len ? p->chain[i].via : NULL);
            hl_jw_uint(w, "refcount", p->chain[i].refcnt);
            hl_jw_obj_end(w);
        }
        hl_jw_arr_end(w);
        hl_jw_obj_begin(w, "path");
        hl_jw_uint(w, "cut", p->path_cut);
        hl_jw_arr_begin(w, "links");
        for (size_t i = 0; i < p->path_len; i++) {
            hl_jw_obj_begin(w, NULL);
            hl_jw_str(w, "type", p->path[i].type);
            hl_jw_str(w, "via", i + 1 < p->path_len ? p->path[i].via : NULL);
            hl_jw_uint(w, "refcount", p->path[i].refcnt);
            hl_jw_obj_end(w);
        }
        hl_jw_arr_end(w);
        snprintf(file, sizeof file, "path-p%zu.dot", k + 1);
        hl_jw_str(w, "file", file);
        hl_jw_obj_end(w);
        hl_jw_obj_begin(w, "backrefs");
        snprintf(file, sizeof file, "graph-p%zu.dot", k + 1);
        hl_jw_str(w, "file", file);
        hl_jw_uint(w, "depth", p->backrefs_depth);
        hl_jw_uint(w, "nodes", p->backrefs_nodes);
        hl_jw_obj_end(w);
        hl_jw_obj_begin(w, "refs");
        snprintf(file, sizeof file, "refs-p%zu.dot", k + 1);
        hl_jw_str(w, "file", file);
        hl_jw_uint(w, "depth", p->refs_depth);
        hl_jw_uint(w, "nodes", p->refs_nodes);
        hl_jw_obj_end(w);
        hl_jw_obj_end(w);
    }
    hl_jw_num(w, "cost_s", p->cost_s);
    hl_jw_obj_end(w);
}

int hl_inspect_write_json(const hl_inspection *x, const char *backend, FILE *f)
{
    hl_jw w;
    hl_jw_init(&w, f, true);
    hl_jw_obj_begin(&w, NULL);
    hl_jw_str(&w, "format", "heaplab-inspect");
    hl_jw_int(&w, "format_version", 1);
    hl_jw_str(&w, "workload", x->workload);
    hl_jw_str(&w, "backend", backend);
    hl_jw_uint(&w, "iterations", x->iterations);
    hl_jw_uint(&w, "operations", x->operations);
    hl_jw_bool(&w, "verified", x->verified);
    hl_jw_str(&w, "verify_error", x->verified ? NULL : x->verify_error);
    hl_jw_obj_begin(&w, "phases");
    hl_jw_num(&w, "setup_end_s", x->t_setup);
    hl_jw_num(&w, "run_end_s", x->t_run);
    hl_jw_num(&w, "verify_end_s", x->t_verify);
    hl_jw_num(&w, "end_s", x->t_end);
    hl_jw_obj_end(&w);
    hl_jw_obj_begin(&w, "time");
    hl_jw_num(&w, "run_s", x->run_s);
    hl_jw_num(&w, "between_iterations_s", x->poll_s);
    hl_jw_num(&w, "points_s", x->points_s);
    hl_jw_num(&w, "added_fraction", x->run_s > 0 ? (x->poll_s + x->points_s) / x->run_s : NAN);
    hl_jw_obj_end(&w);
    hl_jw_obj_begin(&w, "memory");
    hl_jw_uint(&w, "rss_start_bytes", x->rss_start_bytes);
    hl_jw_uint(&w, "peak_rss_bytes", x->peak_rss_bytes);
    hl_jw_num(&w, "peak_t_s", x->n_mem ? x->peak_t_s : NAN);
    hl_jw_uint(&w, "samples", x->n_mem);
    hl_jw_obj_end(&w);
    hl_jw_obj_begin(&w, "gc");
    hl_jw_uint(&w, "inspect_collections", x->inspect_collections);
    hl_jw_arr_begin(&w, "generations");
    double *v = malloc((x->n_events + 1) * sizeof *v);
    for (int g = 0; g < HL_GC_GENERATIONS; g++) {
        size_t n = v ? pauses_of(x, g, v) : 0;
        hl_jw_obj_begin(&w, NULL);
        hl_jw_uint(&w, "collections", x->gc_end[g].collections);
        hl_jw_uint(&w, "collected", x->gc_end[g].collected);
        hl_jw_uint(&w, "uncollectable", x->gc_end[g].uncollectable);
        hl_jw_uint(&w, "run_pauses", n);
        hl_jw_num(&w, "pause_median_us", n ? hl_stats_median(v, n) / 1e3 : NAN);
        hl_jw_num(&w, "pause_max_us", n ? hl_stats_max(v, n) / 1e3 : NAN);
        hl_jw_obj_end(&w);
    }
    free(v);
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    hl_jw_arr_begin(&w, "points");
    for (size_t k = 0; k < x->n_points; k++)
        json_point(&w, &x->points[k], k, x->top);
    hl_jw_arr_end(&w);
    hl_jw_obj_end(&w);
    return hl_jw_finish(&w);
}

/* ---- files ---------------------------------------------------------------- */

static FILE *open_in(const char *dir, const char *name, char *err, size_t errlen)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        snprintf(err, errlen, "cannot write %s", p);
    return f;
}

static int close_in(FILE *f, const char *dir, const char *name, char *err, size_t errlen)
{
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s/%s", dir, name);
        return -1;
    }
    return 0;
}

int hl_inspect_write_files(const hl_inspection *x, const char *backend, const char *dir,
                           char *err, size_t errlen)
{
    FILE *f = open_in(dir, "inspect.json", err, errlen);
    if (!f || hl_inspect_write_json(x, backend, f) != 0 ||
        close_in(f, dir, "inspect.json", err, errlen) != 0)
        return -1;

    if (!(f = open_in(dir, "timeline.csv", err, errlen)))
        return -1;
    fputs("t_s,rss_bytes,live_bytes\n", f);
    for (size_t i = 0; i < x->n_mem; i++)
        fprintf(f, "%.6f,%" PRIu64 ",%" PRId64 "\n", x->mem[i].t_s, x->mem[i].rss_bytes,
                x->mem[i].live_bytes);
    if (close_in(f, dir, "timeline.csv", err, errlen) != 0)
        return -1;

    if (!(f = open_in(dir, "gc_events.csv", err, errlen)))
        return -1;
    fputs("t_s,iteration,generation,pause_ns,collected,by\n", f);
    for (size_t i = 0; i < x->n_events; i++) {
        const hl_inspect_gc_event *e = &x->events[i];
        fprintf(f, "%.6f,%" PRIu64 ",%d,%" PRIu64 ",%" PRIu64 ",%s\n", e->t_s, e->iteration,
                e->generation, e->pause_ns, e->collected, e->by_inspect ? "inspect" : "workload");
    }
    if (close_in(f, dir, "gc_events.csv", err, errlen) != 0)
        return -1;

    if (!(f = open_in(dir, "gc_count.csv", err, errlen)))
        return -1;
    fputs("t_s,iteration,count0,count1,count2\n", f);
    for (size_t i = 0; i < x->n_counts; i++) {
        const hl_inspect_count_sample *c = &x->counts[i];
        fprintf(f, "%.6f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", c->t_s, c->iteration,
                c->count[0], c->count[1], c->count[2]);
    }
    if (close_in(f, dir, "gc_count.csv", err, errlen) != 0)
        return -1;

    if (!(f = open_in(dir, "points.csv", err, errlen)))
        return -1;
    fputs("point,iteration,t_s,cost_s\n", f);
    for (size_t k = 0; k < x->n_points; k++)
        fprintf(f, "%zu,%" PRIu64 ",%.6f,%.6f\n", k + 1, x->points[k].iteration, x->points[k].t_s,
                x->points[k].cost_s);
    if (close_in(f, dir, "points.csv", err, errlen) != 0)
        return -1;

    for (size_t k = 0; k < x->n_points; k++) {
        const hl_inspect_point *p = &x->points[k];
        const char *texts[3] = {p->backrefs_dot, p->refs_dot, p->path_dot};
        const char *fmt[3] = {"graph-p%zu.dot", "refs-p%zu.dot", "path-p%zu.dot"};
        for (int i = 0; i < 3; i++) {
            if (!texts[i])
                continue;
            char name[64];
            snprintf(name, sizeof name, fmt[i], k + 1);
            if (!(f = open_in(dir, name, err, errlen)))
                return -1;
            fputs(texts[i], f);
            if (close_in(f, dir, name, err, errlen) != 0)
                return -1;
        }
    }
    return 0;
}
