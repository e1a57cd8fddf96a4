/* list_raw.c - the raw-allocator workloads, in listing order.
 * Adding a workload: define its hl_workload in its own file and add it here. */
#include "workload.h"

extern const hl_workload hl_wl_pairs, hl_wl_larson, hl_wl_xmalloc, hl_wl_cache_scratch,
    hl_wl_cache_thrash, hl_wl_mstress, hl_wl_glibc_simple, hl_wl_glibc_thread, hl_wl_sizes, hl_wl_replay;

const hl_workload *const hl_raw_workloads[] = {
    &hl_wl_pairs,        &hl_wl_larson,       &hl_wl_xmalloc, &hl_wl_cache_scratch,
    &hl_wl_cache_thrash, &hl_wl_mstress,      &hl_wl_glibc_simple,
    &hl_wl_glibc_thread, &hl_wl_sizes,        &hl_wl_replay,
};
const size_t hl_raw_workloads_count = sizeof hl_raw_workloads / sizeof hl_raw_workloads[0];
