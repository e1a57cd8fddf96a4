/* probe.h - the contract between libheaplab-probe.so, which a command cell
 * preloads into the program it measures, and the command cell that reads
 * what the probe saw (cmdcell_proof.c).
 *
 * Why a probe.  LD_PRELOAD is a request, not a guarantee: the dynamic
 * linker ignores it for setuid programs, a static program has no dynamic
 * linker, a library can fail to load ("cannot be preloaded ... ignored" is
 * only a warning), and a program can drop it and re-exec itself.  A number
 * measured under the wrong malloc would be printed under the right name.
 * So the command cell preloads this library after the allocator's, and the
 * library reports, from inside the measured process, which object the
 * process's `malloc` really resolves to, and at exit whether the expected
 * library is still mapped.
 *
 * Records.  The probe appends one line per event to the file named by
 * HL_PROBE_ENV_OUT (O_APPEND, one write(2) per line, so processes of one
 * program tree can share the file).  Fields are separated by one tab:
 *
 *   start <pid> <ppid> <exe> <malloc> <free> <calloc> <realloc>
 *       at load time (a constructor): the object defining each function as
 *       the process resolves it (dlsym(RTLD_DEFAULT) then dladdr), as an
 *       absolute path, or "?" when unknown
 *   exit <pid> <mapped> <pyobj>
 *       at exit (a destructor: exit() or a return from main, not _exit):
 *       mapped is 1 when the file named by HL_PROBE_ENV_EXPECT appears in
 *       /proc/self/maps (0 otherwise, "-" when none was named); pyobj is
 *       what CPython's object domain allocator was at exit, compared with
 *       what it was at load time (before Py_Initialize applies PYTHONMALLOC):
 *         default  unchanged (the build's default: pymalloc in a default
 *                  build, mimalloc in a free-threaded one)
 *         raw      the raw domain's functions: PYTHONMALLOC=malloc
 *         other    something else: PYTHONMALLOC=mimalloc on a default build,
 *                  or debug hooks
 *         none     not a CPython process (no PyMem_GetAllocator)
 *       (PyMem_GetAllocator is public C API, "Customize Memory Allocators",
 *       docs.python.org/3/c-api/memory.html; the domains and PYTHONMALLOC
 *       come from PEP 445 and bpo-26516.)
 *
 * The probe must not allocate through stdio or change the program's
 * behaviour: it uses snprintf into stack buffers and raw write(2), and does
 * nothing at all when HL_PROBE_ENV_OUT is unset.
 */
#ifndef HL_PROBE_H
#define HL_PROBE_H

#define HL_PROBE_LIBRARY "libheaplab-probe.so"
#define HL_PROBE_ENV_OUT "HEAPLAB_PROBE_OUT"
#define HL_PROBE_ENV_EXPECT "HEAPLAB_PROBE_EXPECT"
#define HL_PROBE_FILE "probe.log" /* in the cell's --out directory */

#define HL_PROBE_START "start"
#define HL_PROBE_EXIT "exit"

/* pyobj values */
#define HL_PROBE_PY_DEFAULT "default"
#define HL_PROBE_PY_RAW "raw"
#define HL_PROBE_PY_OTHER "other"
#define HL_PROBE_PY_NONE "none"

#endif
