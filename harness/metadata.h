/* metadata.h - the facts a result set needs to be interpreted later:
 * machine (CPU model and count, kernel, glibc, ASLR, governor, memory),
 * build (compiler, flags, build type, git commit), run (date, command line,
 * load average) and every backend's version as its cell reported it.
 * After pyperf's _collect_metadata.py and Google Benchmark's context block.
 */
#ifndef HL_METADATA_H
#define HL_METADATA_H

#include "catalog.h"
#include "json.h"
#include "plan.h"

/* Writes the metadata object's members into an open object of w: the
 * facts above, the run's label (NULL: none), and the fingerprint
 * (fingerprint.h) of this machine, build and the plan's inputs. */
void hl_metadata_write(hl_jw *w, const hl_catalog *cat, const hl_plan *plan, const char *label,
                       int argc, char **argv);

/* Fills avg[3] with the load average, NAN when unknown. */
void hl_metadata_loadavg(double avg[3]);

/* "2026-11-24T02:13:49.123Z" (UTC, ms). */
void hl_metadata_now_iso(char *out, size_t outlen);

#endif
