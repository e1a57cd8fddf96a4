/* list_raw.c - the raw-allocator workloads, in listing order.
 * Adding a workload: define its hl_workload in its own file and add it here. */
#include "workload.h"

const hl_workload *const hl_raw_workloads[] = {
    NULL, /* keeps the array non-empty; not counted */
};
const size_t hl_raw_workloads_count = 0;
