/* build_info.h - what this build is, for every result file that must say
 * which program produced it.
 *
 * The definition is generated at build time (cmake/build_info.cmake), not
 * at configure time, so a rebuilt tree never reports the commit it was
 * configured at; git_dirty says that tracked files differed from that
 * commit, in which case the commit alone does not identify the program.
 */
#ifndef HL_BUILD_INFO_H
#define HL_BUILD_INFO_H

#include <stdbool.h>

typedef struct hl_build_info_t {
    const char *version;    /* heaplab's project version */
    const char *git_commit; /* 12 hex digits, or "unknown" outside a git checkout */
    bool git_dirty;
    const char *build_type; /* CMAKE_BUILD_TYPE: Release, Debug, ... */
    const char *compiler;   /* "GNU 12.2.0" */
    const char *c_flags;    /* the flags C sources are compiled with */
    const char *variants;   /* process variants configured, ',' separated */
    const char *plots_dir;  /* the source tree's plots/ (gnuplot scripts) */
} hl_build_info_t;

extern const hl_build_info_t hl_build_info;

#endif
