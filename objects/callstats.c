/* callstats.c - the object layer's allocator call stream, counted.
 *
 * How it works
 * ------------
 * While counting is on (hl_rt_callstats_start), every call internal.h's
 * hl__mem_* wrappers make to obj_mem or item_mem adds one to its kind and,
 * for requests, one to the size class of the requested bytes.  The classes
 * are scripts/trace_stats.py's, so that heaplab's stream and a trace of
 * real CPython running the workload's Python twin (recorded with
 * PYTHONMALLOC=malloc through libheaplab-trace.so, where every PyObject_*
 * and PyMem_* call is one malloc-family call) are read the same way:
 *
 *     class 0         a request of 0 bytes
 *     class 1..32     16-byte classes: 1-16, 17-32, ..., 497-512
 *     class 33..      powers of two: 513-1024, 1025-2048, ...
 *
 * calloc counts count * size, realloc its new size (as trace_stats.py).
 * hl_callstats_write_json writes the same document trace_stats.py --json
 * does, so `trace_stats.py --compare cpython.json heaplab.json` gives the
 * calls-per-operation ratio and the histograms' total-variation distance.
 */
#include "internal.h"

#include <inttypes.h>
#include <string.h>

unsigned hl_callstats_class(size_t n)
{
    if (n == 0)
        return 0;
    if (n <= 512)
        return (unsigned)((n + 15) / 16);
    unsigned c = 33;
    size_t hi = 1024;
    while (hi < n && c < HL_CALL_CLASSES - 1) {
        hi *= 2;
        c++;
    }
    return c;
}

void hl_callstats_class_label(unsigned cls, char *out, size_t outlen)
{
    if (cls == 0) {
        snprintf(out, outlen, "0");
    } else if (cls <= 32) {
        snprintf(out, outlen, "%u-%u", cls * 16 - 15, cls * 16);
    } else {
        uint64_t hi = (uint64_t)1024 << (cls - 33);
        snprintf(out, outlen, "%" PRIu64 "-%" PRIu64, hi / 2 + 1, hi);
    }
}

void hl__calls_count(hl_callstats *s, hl_call_kind kind, size_t n)
{
    switch (kind) {
    case HL_CALL_MALLOC: s->malloc++; break;
    case HL_CALL_CALLOC: s->calloc++; break;
    case HL_CALL_REALLOC: s->realloc++; break;
    case HL_CALL_FREE: s->free++; return;
    }
    s->hist[hl_callstats_class(n)]++;
}

void hl_rt_callstats_start(hl_rt *rt)
{
    memset(&rt->calls_store, 0, sizeof rt->calls_store);
    rt->calls = &rt->calls_store;
}

void hl_rt_callstats_stop(hl_rt *rt, hl_callstats *out)
{
    if (out != NULL)
        *out = rt->calls_store;
    rt->calls = NULL;
}

static void per_op(FILE *f, const char *key, uint64_t v, uint64_t ops, bool last)
{
    fprintf(f, "  \"%s\": %.4f%s\n", key, (double)v / (double)ops, last ? "" : ",");
}

int hl_callstats_write_json(const hl_callstats *s, uint64_t operations, const char *region,
                            FILE *f)
{
    uint64_t total = s->malloc + s->calloc + s->realloc + s->free;
    uint64_t allocs = 0;
    for (unsigned c = 0; c < HL_CALL_CLASSES; c++)
        allocs += s->hist[c];
    fprintf(f, "{\n \"traces\": [],\n \"region\": \"");
    for (const char *p = region ? region : ""; *p; p++)
        fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
    fprintf(f, "\",\n \"operations\": %" PRIu64 ",\n", operations);
    fprintf(f,
            " \"calls\": {\n  \"malloc\": %" PRIu64 ",\n  \"calloc\": %" PRIu64
            ",\n  \"realloc\": %" PRIu64 ",\n  \"free\": %" PRIu64
            ",\n  \"free_null\": 0,\n  \"aligned\": 0\n },\n",
            s->malloc, s->calloc, s->realloc, s->free);
    fprintf(f, " \"calls_total\": %" PRIu64 ",\n", total);
    if (operations > 0) {
        fprintf(f, " \"calls_per_op\": {\n");
        per_op(f, "malloc", s->malloc, operations, false);
        per_op(f, "calloc", s->calloc, operations, false);
        per_op(f, "realloc", s->realloc, operations, false);
        per_op(f, "free", s->free, operations, false);
        per_op(f, "free_null", 0, operations, false);
        per_op(f, "aligned", 0, operations, true);
        fprintf(f, " },\n \"calls_total_per_op\": %.4f,\n",
                (double)total / (double)operations);
    } else {
        fprintf(f, " \"calls_per_op\": null,\n \"calls_total_per_op\": null,\n");
    }
    for (int pass = 0; pass < 2; pass++) {
        fprintf(f, " \"%s\": {", pass == 0 ? "histogram" : "histogram_counts");
        bool first = true;
        for (unsigned c = 0; c < HL_CALL_CLASSES; c++) {
            if (s->hist[c] == 0)
                continue;
            char label[48];
            hl_callstats_class_label(c, label, sizeof label);
            if (pass == 0)
                fprintf(f, "%s\n  \"%s\": %.5f", first ? "" : ",", label,
                        (double)s->hist[c] / (double)allocs);
            else
                fprintf(f, "%s\n  \"%s\": %" PRIu64, first ? "" : ",", label, s->hist[c]);
            first = false;
        }
        fprintf(f, "%s}%s\n", first ? "" : "\n ", pass == 0 ? "," : "");
    }
    fprintf(f, "}\n");
    return ferror(f) ? -1 : 0;
}
