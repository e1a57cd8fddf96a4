/* list_objects.c - the object-layer workloads, in listing order.
 * Adding a workload: define its hl_workload in its own file and add it here. */
#include "workload.h"

#ifdef HL_HAVE_OBJWL /* objwl.cmake: set when the object layer is built */
extern const hl_workload hl_wl_churn;
extern const hl_workload hl_wl_binary_trees;
extern const hl_workload hl_wl_list_grow;
extern const hl_workload hl_wl_dict_churn;
extern const hl_workload hl_wl_cycles;
extern const hl_workload hl_wl_gen_mix;
extern const hl_workload hl_wl_fragmentation;
extern const hl_workload hl_wl_fork_cow;

const hl_workload *const hl_obj_workloads[] = {
    &hl_wl_churn,
    &hl_wl_binary_trees,
    &hl_wl_list_grow,
    &hl_wl_dict_churn,
    &hl_wl_cycles,
    &hl_wl_gen_mix,
    &hl_wl_fragmentation,
    &hl_wl_fork_cow,
};
const size_t hl_obj_workloads_count = sizeof hl_obj_workloads / sizeof hl_obj_workloads[0];
#else
const hl_workload *const hl_obj_workloads[] = {
    NULL, /* keeps the array non-empty; not counted */
};
const size_t hl_obj_workloads_count = 0;
#endif
