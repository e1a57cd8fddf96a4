/* list_objects.c - the object-layer workloads, in listing order.
 * Adding a workload: define its hl_workload in its own file and add it here. */
#include "workload.h"

const hl_workload *const hl_obj_workloads[] = {
    NULL, /* keeps the array non-empty; not counted */
};
const size_t hl_obj_workloads_count = 0;
