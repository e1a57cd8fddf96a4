/* registry.c - every workload heaplab has, in listing order: the one table
 * a new workload is added to (docs/DESIGN.md, "Adding a workload").
 * Object-layer workloads come first, then the raw-allocator ones. */
#include "workload.h"

#include <string.h>

extern const hl_workload hl_wl_churn, hl_wl_binary_trees, hl_wl_list_grow, hl_wl_dict_churn,
    hl_wl_cycles, hl_wl_gen_mix, hl_wl_fragmentation, hl_wl_fork_cow;
extern const hl_workload hl_wl_pairs, hl_wl_larson, hl_wl_xmalloc, hl_wl_cache_scratch,
    hl_wl_cache_thrash, hl_wl_mstress, hl_wl_glibc_simple, hl_wl_glibc_thread, hl_wl_sizes,
    hl_wl_replay;

static const hl_workload *const workloads[] = {
    /* object layer */
    &hl_wl_churn, &hl_wl_binary_trees, &hl_wl_list_grow, &hl_wl_dict_churn, &hl_wl_cycles,
    &hl_wl_gen_mix, &hl_wl_fragmentation, &hl_wl_fork_cow,
    /* raw allocator */
    &hl_wl_pairs, &hl_wl_larson, &hl_wl_xmalloc, &hl_wl_cache_scratch, &hl_wl_cache_thrash,
    &hl_wl_mstress, &hl_wl_glibc_simple, &hl_wl_glibc_thread, &hl_wl_sizes, &hl_wl_replay,
};

#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

size_t hl_workload_count(void)
{
    return N_WORKLOADS;
}

const hl_workload *hl_workload_at(size_t i)
{
    return i < N_WORKLOADS ? workloads[i] : NULL;
}

const hl_workload *hl_workload_find(const char *name)
{
    for (size_t i = 0; i < N_WORKLOADS; i++)
        if (strcmp(workloads[i]->name, name) == 0)
            return workloads[i];
    return NULL;
}

int hl_workload_param_index(const hl_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_params; i++)
        if (strcmp(w->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* A series value's name is the descriptor's name and a decimal index. */
static bool is_series_item(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0 || name[n] == '\0')
        return false;
    return strspn(name + n, "0123456789") == strlen(name + n);
}

const hl_metric_desc *hl_workload_metric_desc(const hl_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_metric_descs; i++) {
        const hl_metric_desc *d = &w->metric_descs[i];
        if (d->series ? is_series_item(name, d->name) : strcmp(name, d->name) == 0)
            return d;
    }
    return NULL;
}
