/* fsutil.h - the driver's file-system helpers: atomic replace, mkdir -p.
 *
 * Atomic replace: write PATH.tmp-PID, fflush (+ fsync), rename over PATH.  A
 * reader (or a run killed at any instant) sees either the old or the new
 * file, never a torn one.
 */
#ifndef HL_FSUTIL_H
#define HL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct hl_atomic_file {
    FILE *f;
    char tmp[4200];
    char path[4096];
} hl_atomic_file;

/* Opens the temporary file; -1 with one line in err. */
int hl_atomic_begin(hl_atomic_file *af, const char *path, char *err, size_t errlen);
/* Flushes, optionally fsyncs, and renames; -1 (temporary removed) with one
 * line in err.  rename(2) alone already guarantees that a killed process
 * leaves the old or the new file; fsync adds survival of an OS crash. */
int hl_atomic_commit(hl_atomic_file *af, bool sync, char *err, size_t errlen);
/* Abandons the temporary file. */
void hl_atomic_abort(hl_atomic_file *af);

/* Takes an exclusive lock on DIR/.heaplab.lock for the life of the process
 * (flock; the kernel drops it when the process dies, even by SIGKILL).
 * Returns the descriptor, or -1 with one line in err (another heaplab holds
 * it). */
int hl_dir_lock(const char *dir, char *err, size_t errlen);

/* mkdir -p; 0 or -1 with one line in err. */
int hl_mkdir_p(const char *path, char *err, size_t errlen);

bool hl_path_exists(const char *path);
bool hl_is_dir(const char *path);
bool hl_is_regular_file(const char *path);

/* Whole file into a NUL-terminated malloc'd buffer, or NULL. */
char *hl_read_file(const char *path, size_t *len);

#endif
