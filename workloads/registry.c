/* registry.c - every workload heaplab has, in listing order.
 *
 * The raw-allocator workloads are listed in list_raw.c and the object-layer
 * workloads in list_objects.c; this file joins the two lists. */
#include "workload.h"

#include <string.h>

/* Defined in list_raw.c / list_objects.c. */
extern const hl_workload *const hl_raw_workloads[];
extern const size_t hl_raw_workloads_count;
extern const hl_workload *const hl_obj_workloads[];
extern const size_t hl_obj_workloads_count;

static size_t obj_count(void)
{
    return hl_obj_workloads_count;
}

static size_t raw_count(void)
{
    return hl_raw_workloads_count;
}

size_t hl_workload_count(void)
{
    return obj_count() + raw_count();
}

const hl_workload *hl_workload_at(size_t i)
{
    if (i < obj_count())
        return hl_obj_workloads[i];
    i -= obj_count();
    return i < raw_count() ? hl_raw_workloads[i] : NULL;
}

const hl_workload *hl_workload_find(const char *name)
{
    for (size_t i = 0; i < hl_workload_count(); i++)
        if (strcmp(hl_workload_at(i)->name, name) == 0)
            return hl_workload_at(i);
    return NULL;
}

int hl_workload_param_index(const hl_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_params; i++)
        if (strcmp(w->params[i].name, name) == 0)
            return (int)i;
    return -1;
}
