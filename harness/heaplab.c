/* heaplab.c - the `heaplab` command: dispatch to list, run, compare, show,
 * plot, export, check and inspect.
 *
 * The driver plans and reports; it never measures in its own process.  It
 * links no allocator (it runs on glibc malloc) and learns everything about
 * backends and workloads from the cell executables next to it (catalog.c).
 */
#include "cli.h"
#include "route.h"

#include "build_info.h"
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: heaplab COMMAND [options]\n"
            "\n"
            "Compare memory allocators on Python-like workloads, one fresh process per\n"
            "measurement.\n"
            "\n"
            "commands:\n"
            "  list [backends|workloads|suites] [--json]   what this build can run\n"
            "  run [quick|full] [options]                  run a suite or a matrix\n"
            "  show DIR [--format text|md|csv]             print a result set\n"
            "  compare A B [C...] [--normalize BACKEND]    compare result sets with the first\n"
            "  compare A --reference BACKEND               the backends of one set against one\n"
            "  plot DIR [--reference BACKEND]              draw charts into DIR/plots/\n"
            "  export DIR --format gbench|benchres|csv     in Google Benchmark's or\n"
            "                                              mimalloc-bench's format\n"
            "  check                                       is this machine quiet enough?\n"
            "  inspect WORKLOAD [--backend B] [--type T]   gc stats, objgraph and memory over\n"
            "                                              the run of an object-layer workload\n"
            "  reproduce [ID...|all] [--quick] [--list]    published claims, judged on this\n"
            "                                              machine\n"
            "\n"
            "Each command has --help.  Documentation: docs/cli.md.\n");
}

int main(int argc, char **argv)
{
    const char *env_hook = getenv("HEAPLAB_TEST_CELL_CMD");
    if (env_hook && !hl_route_test_hook()) {
        fprintf(stderr, "heaplab: HEAPLAB_TEST_CELL_CMD='%s' is not an absolute path to an "
                        "executable: unset it (it is a test hook, see docs/cli.md)\n", env_hook);
        return HL_EXIT_USAGE;
    }
    if (argc < 2) {
        fprintf(stderr, "heaplab: no command: use list, run, show, compare, plot, export, "
                        "check or inspect (heaplab --help)\n");
        return HL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return HL_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("heaplab %s (commit %s%s, %s build)\n", hl_build_info.version,
               hl_build_info.git_commit, hl_build_info.git_dirty ? ", dirty" : "",
               hl_build_info.build_type);
        return HL_EXIT_OK;
    }
    if (strcmp(cmd, "list") == 0)
        return hl_cli_list(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return hl_cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return hl_cli_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "show") == 0)
        return hl_cli_show(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return hl_cli_plot(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return hl_cli_export(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return hl_cli_check(argc - 1, argv + 1);
    if (strcmp(cmd, "inspect") == 0)
        return hl_cli_inspect(argc - 1, argv + 1);
    if (strcmp(cmd, "reproduce") == 0)
        return hl_cli_reproduce(argc - 1, argv + 1);
    static const char *const commands[] = {"list",   "run",   "show",    "compare",  "plot",
                                           "export", "check", "inspect", "reproduce"};
    const char *near = hl_cli_suggest(cmd, commands, sizeof commands / sizeof commands[0]);
    if (near) {
        fprintf(stderr, "heaplab: unknown command '%s': did you mean '%s'? (heaplab --help)\n",
                cmd, near);
        return HL_EXIT_USAGE;
    }
    fprintf(stderr, "heaplab: unknown command '%s': use list, run, show, compare, plot, export, "
                    "check, inspect or reproduce (heaplab --help)\n", cmd);
    return HL_EXIT_USAGE;
}
