/* callgrind.h - reading the instruction count of one callgrind dump.
 *
 * `valgrind --tool=callgrind --callgrind-out-file=FILE` writes each
 * CALLGRIND_DUMP_STATS_AT(name) client request to FILE.1, FILE.2, ... and
 * the final dump (at exit) to FILE.  Every dump has a header line
 * "desc: Trigger: Client Request: <name>" (or "Program termination") and
 * its costs in a "totals:" line, events in the order of the "events:" line
 * (Ir first by default); some valgrind versions also write a "summary:"
 * line, which CALLGRIND_ZERO_STATS can leave zeroed.  The count of a dump
 * is therefore its "totals:" value, with "summary:" only as the fallback.
 * (Callgrind manual, "Callgrind Format Specification", valgrind.org/docs/
 * manual/cl-format.html.)
 */
#ifndef HL_CALLGRIND_H
#define HL_CALLGRIND_H

#include <stddef.h>
#include <stdint.h>

/* Finds the dump named `trigger` among FILE.1 .. FILE.64 and FILE (base is
 * FILE) and stores its instruction count in *ir and its path in path.
 * trigger NULL: the whole program's count, the dump made at its end.
 * 0, or -1 with one line in err. */
int hl_callgrind_read(const char *base, const char *trigger, uint64_t *ir, char *path,
                      size_t pathlen, char *err, size_t errlen);

#endif
