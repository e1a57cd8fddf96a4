/* cli_inspect.c - the `heaplab inspect` command: runs
 * heaplab-inspect-<variant> for the --backend given, the way `heaplab run`
 * runs cells.
 *
 * The inspection happens inside the workload's process (inspect_main.c),
 * which links the object layer, the workloads and a variant's allocator;
 * the driver links none of them, so it only routes: the backend spec names
 * the variant (route.h), the variant names the executable next to heaplab,
 * and that program is exec'd with the same arguments.  Everything else -
 * the workload, its parameters, the points, the type - is checked there,
 * with one line and exit 2 for bad input.
 */
#include "cli.h"
#include "procfs.h"
#include "route.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hl_cli_inspect(int argc, char **argv)
{
    const char *backend = "pool";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
            backend = argv[i + 1];
        else if (strncmp(argv[i], "--backend=", 10) == 0)
            backend = argv[i] + 10;
        else if (strcmp(argv[i], "--backend") == 0)
            return hl_cli_usage_error("inspect", "--backend needs a value (see heaplab inspect "
                                                 "--help)");
    }
    char err[600];
    const char *variant = hl_route_variant(backend, err, sizeof err);
    if (!variant)
        return hl_cli_usage_error("inspect", "%s", err);
    char dir[PATH_MAX], path[PATH_MAX + 64];
    if (hl_proc_exe_dir(dir, sizeof dir) != 0) {
        fprintf(stderr, "heaplab inspect: cannot find the directory of heaplab itself\n");
        return HL_EXIT_FAIL;
    }
    snprintf(path, sizeof path, "%s/heaplab-inspect-%s", dir, variant);
    if (access(path, X_OK) != 0) {
        if (strcmp(variant, "system") == 0 || hl_route_have_variant(variant))
            return hl_cli_usage_error("inspect", "heaplab-inspect-%s is missing next to heaplab; "
                                                 "build it (cmake --build <build dir>)",
                                      variant);
        return hl_cli_usage_error("inspect", "backend '%s' is not in this build: install %s and "
                                             "rebuild",
                                  backend, hl_route_package_hint(variant));
    }
    char **nargv = calloc((size_t)argc + 1, sizeof *nargv);
    if (!nargv) {
        fprintf(stderr, "heaplab inspect: out of memory\n");
        return HL_EXIT_FAIL;
    }
    nargv[0] = path;
    for (int i = 1; i < argc; i++)
        nargv[i] = argv[i];
    fflush(stdout);
    fflush(stderr);
    execv(path, nargv);
    fprintf(stderr, "heaplab inspect: cannot run %s: %s\n", path, strerror(errno));
    free(nargv);
    return HL_EXIT_FAIL;
}
