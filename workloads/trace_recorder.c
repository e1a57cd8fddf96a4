/* trace_recorder.c - libheaplab-trace.so, an LD_PRELOAD allocation recorder.
 *
 *     LD_PRELOAD=build/libheaplab-trace.so HEAPLAB_TRACE_OUT=/tmp/x.hlt python3 -c '...'
 *
 * How it works
 * ------------
 * The library defines malloc, calloc, realloc, reallocarray, free, memalign,
 * posix_memalign, aligned_alloc, valloc and pvalloc.  Each forwards to the
 * next definition in lookup order (dlsym(RTLD_NEXT, ...), normally glibc)
 * and appends one record to a trace in the format of trace_format.h /
 * docs/trace-format.md.
 *
 * Ordering.  Records are encoded under one global lock into one buffer, so
 * their order in the file is a total order (record i has sequence number i).
 * For replay it must be causal: an address must be seen freed before it is
 * seen allocated again.  Hence:
 *   - allocations record after the real call returns (nobody else can hold
 *     the pointer before our record is written, since we have not returned);
 *   - free records *before* the real free (nobody can be handed the address
 *     again before our record);
 *   - realloc holds the lock across the real call, so a thread that gets the
 *     old address from a concurrent malloc records after us.
 * The lock serialises the traced program's allocator calls; recording is a
 * measurement of *what* is called, not how fast.
 *
 * Bootstrap.  dlsym itself may call calloc/malloc before the real functions
 * are known; those calls are served from a small static arena (never freed:
 * free ignores pointers inside it).
 *
 * Recursion.  A thread-local guard makes any allocation made while we are
 * recording (or inside the real realloc) forward without recording.
 *
 * Start, exit, fork, exec.  The constructor reads HEAPLAB_TRACE_OUT.  If it
 * contains "%p" that is replaced by the pid, the variable is left in the
 * environment, and every process records its own file: a forked child opens
 * PATH-with-its-pid in the fork handler (flag FORKED) and starts a fresh
 * trace.  A file is never reused in this mode (O_EXCL): a program that execs
 * keeps its pid, so the new image records to PATH.1 (then .2, ...) and the
 * old image's file stays as exec left it, incomplete.  Without "%p" only the
 * process that was started records: the constructor removes the variable
 * from the environment (exec'd descendants do not record and cannot
 * truncate the file) and a forked child stops recording, discarding its
 * copy of the parent's unwritten buffer.  The destructor flushes and
 * rewrites the header with the final counts, the payload's CRC-32 (kept up
 * to date at every flush) and the COMPLETE flag; a process that dies,
 * _exit()s or execs leaves the provisional header (its own checksum valid,
 * COMPLETE clear): an incomplete trace, which the reader rejects as such.
 * Allocations made before the constructor ran are not recorded; their frees
 * appear as frees of unknown addresses.
 */
#include "trace_format.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- the real allocator ---------------------------------------------------- */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static void *(*real_memalign)(size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

/* Bootstrap arena for dlsym's own allocations.  Invariant: boot_used only
 * grows; every block is preceded by its size (8 bytes), 16-byte aligned. */
static _Alignas(16) unsigned char boot_arena[64 * 1024];
static size_t boot_used;
static int resolving;

static bool in_boot(const void *p)
{
    return (const unsigned char *)p >= boot_arena &&
           (const unsigned char *)p < boot_arena + sizeof boot_arena;
}

static void *boot_alloc(size_t n)
{
    size_t need = 16 + ((n + 15) & ~(size_t)15);
    if (n > sizeof boot_arena || boot_used + need > sizeof boot_arena)
        return NULL;
    unsigned char *p = boot_arena + boot_used + 16;
    memcpy(p - 8, &n, sizeof n);
    boot_used += need;
    return p; /* zeroed: the arena is static and never reused */
}

static void resolve(void)
{
    if (real_malloc || resolving)
        return;
    resolving = 1;
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    void *(*m)(size_t) = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
    if (!m || !real_calloc || !real_realloc || !real_free) {
        static const char msg[] = "libheaplab-trace: cannot find the real malloc (dlsym RTLD_NEXT)\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        abort();
    }
    real_malloc = m; /* last: its being set means everything is resolved */
}

/* ---- recording state --------------------------------------------------------- */

/* Everything below is guarded by `lock`.  Invariant: recording implies
 * fd >= 0 and buf[0..buf_len) holds whole records not yet written. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool recording; /* also read without the lock, relaxed */
static int fd = -1;
static unsigned char buf[1 << 20];
static size_t buf_len;
static hl_trace_codec codec;
static hl_trace_header header;
static uint64_t payload_written;
static uint32_t payload_crc; /* CRC-32 of the payload handed to write_all so far */
static uint32_t next_thread;
static uint32_t thread_epoch = 1; /* bumped by fork so the child renumbers */
static bool per_process; /* HEAPLAB_TRACE_OUT contained %p */
static char path_template[4096];

#define RECORDING() atomic_load_explicit(&recording, memory_order_relaxed)

static TLS int guard;
static TLS uint32_t tl_thread_plus1;
static TLS uint32_t tl_epoch;

static void write_all(const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0 && fd >= 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            recording = false; /* disk full or similar: the trace stays incomplete */
            return;
        }
        b += k;
        n -= (size_t)k;
        payload_written += (uint64_t)k;
    }
}

static void flush_locked(void)
{
    if (buf_len) {
        payload_crc = hl_crc32_update(payload_crc, buf, buf_len);
        write_all(buf, buf_len);
        buf_len = 0;
    }
}

static uint32_t my_thread_locked(void)
{
    if (tl_epoch != thread_epoch || tl_thread_plus1 == 0) {
        tl_thread_plus1 = ++next_thread;
        tl_epoch = thread_epoch;
    }
    return tl_thread_plus1 - 1;
}

static void append_locked(hl_trace_rec *r)
{
    if (!recording)
        return;
    r->thread = my_thread_locked();
    if (buf_len + HL_TRACE_MAX_RECORD > sizeof buf)
        flush_locked();
    buf_len += hl_trace_encode(buf + buf_len, &codec, r);
    header.record_count++;
}

static void record(hl_trace_rec *r)
{
    if (!RECORDING() || guard)
        return;
    guard = 1;
    pthread_mutex_lock(&lock);
    append_locked(r);
    pthread_mutex_unlock(&lock);
    guard = 0;
}

/* Async-signal-safe path building: the template with "%p" -> pid, then
 * ".<suffix>" when suffix > 0. */
static void make_path(char *out, size_t cap, pid_t pid, unsigned suffix)
{
    char digits[16];
    int nd = 0;
    unsigned long v = (unsigned long)pid;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && nd < 15);
    size_t o = 0;
    for (const char *s = path_template; *s && o + 1 < cap; s++) {
        if (s[0] == '%' && s[1] == 'p') {
            for (int i = nd - 1; i >= 0 && o + 1 < cap; i--)
                out[o++] = digits[i];
            s++;
        } else {
            out[o++] = *s;
        }
    }
    if (suffix > 0) {
        nd = 0;
        do {
            digits[nd++] = (char)('0' + suffix % 10);
            suffix /= 10;
        } while (suffix && nd < 15);
        if (o + 1 < cap)
            out[o++] = '.';
        for (int i = nd - 1; i >= 0 && o + 1 < cap; i--)
            out[o++] = digits[i];
    }
    out[o] = '\0';
}

/* How many "<path>.N" names a %p process tries after "<path>" itself. */
#define MAX_SUFFIX 999

/* The output file of this process.  Without %p: the one path, truncated
 * (exec'd children never record there, the constructor saw to that).  With
 * %p: the first of "<path>", "<path>.1", "<path>.2", ... that does not
 * exist, created with O_EXCL: a process that execs keeps its pid, and the
 * new image must not truncate the old image's trace (which stays as it was
 * when exec discarded the recorder: incomplete, and rejected by the
 * reader).  The same protects a file left by an earlier process whose pid
 * was recycled. */
static int open_output(void)
{
    char path[sizeof path_template + 32];
    if (!per_process) {
        make_path(path, sizeof path, getpid(), 0);
        return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    for (unsigned k = 0; k <= MAX_SUFFIX; k++) {
        make_path(path, sizeof path, getpid(), k);
        int f = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (f >= 0 || errno != EEXIST)
            return f;
    }
    return -1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Opens the output for this process and writes a provisional header. */
static void start_locked(uint32_t flags, uint32_t parent)
{
    fd = open_output();
    if (fd < 0) {
        static const char msg[] = "libheaplab-trace: cannot open HEAPLAB_TRACE_OUT; not recording\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        recording = false;
        return;
    }
    memset(&header, 0, sizeof header);
    header.version = HL_TRACE_VERSION;
    header.header_size = HL_TRACE_HEADER_SIZE;
    header.flags = flags;
    header.pid = (uint32_t)getpid();
    header.parent_pid = parent;
    header.start_ns = now_ns();
    memset(&codec, 0, sizeof codec);
    buf_len = 0;
    payload_written = 0;
    payload_crc = 0;
    next_thread = 0;
    thread_epoch++;
    unsigned char h[HL_TRACE_HEADER_SIZE];
    hl_trace_encode_header(h, &header);
    recording = true;
    write_all(h, sizeof h);
    payload_written = 0;
}

static void finish_locked(void)
{
    if (fd < 0)
        return;
    bool ok = recording;
    flush_locked();
    recording = false;
    if (ok) {
        header.flags |= HL_TRACE_FLAG_COMPLETE;
        header.thread_count = next_thread;
        header.payload_bytes = payload_written;
        header.payload_crc = payload_crc;
        unsigned char h[HL_TRACE_HEADER_SIZE];
        hl_trace_encode_header(h, &header);
        ssize_t w = pwrite(fd, h, sizeof h, 0);
        (void)w;
    }
    close(fd);
    fd = -1;
}

static void fork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

static void fork_child(void)
{
    /* Only async-signal-safe calls here.  The buffer holds the parent's
     * records, which the parent will write: drop our copy. */
    buf_len = 0;
    if (fd >= 0) {
        close(fd);
        fd = -1;
    }
    uint32_t parent = header.pid;
    recording = false;
    if (per_process && parent != 0)
        start_locked(HL_TRACE_FLAG_FORKED, parent);
    pthread_mutex_init(&lock, NULL);
}

__attribute__((constructor)) static void recorder_start(void)
{
    resolve();
    const char *out = getenv("HEAPLAB_TRACE_OUT");
    if (out == NULL || out[0] == '\0')
        return;
    size_t n = strlen(out);
    if (n >= sizeof path_template) {
        static const char msg[] = "libheaplab-trace: HEAPLAB_TRACE_OUT is too long; not recording\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        return;
    }
    memcpy(path_template, out, n + 1);
    per_process = strstr(path_template, "%p") != NULL;
    guard = 1;
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (!per_process)
        unsetenv("HEAPLAB_TRACE_OUT");
    pthread_mutex_lock(&lock);
    start_locked(0, 0);
    pthread_mutex_unlock(&lock);
    guard = 0;
}

__attribute__((destructor)) static void recorder_stop(void)
{
    pthread_mutex_lock(&lock);
    finish_locked();
    pthread_mutex_unlock(&lock);
}

/* ---- the interposed functions ------------------------------------------------ */

EXPORT void *malloc(size_t n)
{
    if (__builtin_expect(real_malloc == NULL, 0)) {
        resolve();
        if (real_malloc == NULL)
            return boot_alloc(n);
    }
    void *p = real_malloc(n);
    if (RECORDING() && !guard) {
        hl_trace_rec r = {.kind = HL_TR_MALLOC, .size = n, .result = (uintptr_t)p,
                          .null_result = p == NULL};
        record(&r);
    }
    return p;
}

EXPORT void *calloc(size_t count, size_t n)
{
    if (__builtin_expect(real_malloc == NULL, 0)) {
        resolve();
        if (real_malloc == NULL) {
            if (n && count > (size_t)-1 / n)
                return NULL;
            return boot_alloc(count * n);
        }
    }
    void *p = real_calloc(count, n);
    if (RECORDING() && !guard) {
        hl_trace_rec r = {.kind = HL_TR_CALLOC, .count = count, .size = n,
                          .result = (uintptr_t)p, .null_result = p == NULL};
        record(&r);
    }
    return p;
}

EXPORT void free(void *p)
{
    if (p && in_boot(p))
        return;
    if (__builtin_expect(real_malloc == NULL, 0))
        resolve();
    if (RECORDING() && !guard) {
        hl_trace_rec r = {.kind = HL_TR_FREE, .old = (uintptr_t)p, .null_arg = p == NULL};
        record(&r);
    }
    if (real_free)
        real_free(p);
}

EXPORT void *realloc(void *p, size_t n)
{
    if (__builtin_expect(real_malloc == NULL, 0)) {
        resolve();
        if (real_malloc == NULL) {
            void *q = boot_alloc(n);
            if (q && p && in_boot(p)) {
                size_t old;
                memcpy(&old, (unsigned char *)p - 8, sizeof old);
                memcpy(q, p, old < n ? old : n);
            }
            return q;
        }
    }
    if (p && in_boot(p)) {
        /* Moving a bootstrap block to the real heap: record it as a malloc
         * (the bootstrap block itself was never recorded). */
        size_t old;
        memcpy(&old, (unsigned char *)p - 8, sizeof old);
        void *q = malloc(n);
        if (q)
            memcpy(q, p, old < n ? old : n);
        return q;
    }
    if (!RECORDING() || guard)
        return real_realloc(p, n);
    guard = 1;
    pthread_mutex_lock(&lock);
    void *q = real_realloc(p, n);
    hl_trace_rec r = {.kind = HL_TR_REALLOC, .old = (uintptr_t)p, .null_arg = p == NULL,
                      .size = n, .result = (uintptr_t)q, .null_result = q == NULL};
    append_locked(&r);
    pthread_mutex_unlock(&lock);
    guard = 0;
    return q;
}

EXPORT void *reallocarray(void *p, size_t count, size_t n)
{
    if (n && count > (size_t)-1 / n) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, count * n);
}

static void *record_aligned(unsigned kind, size_t align, size_t n, void *p)
{
    if (RECORDING() && !guard) {
        hl_trace_rec r = {.kind = (uint8_t)kind, .align = align, .size = n,
                          .result = (uintptr_t)p, .null_result = p == NULL};
        record(&r);
    }
    return p;
}

/* glibc's memalign and aligned_alloc round a non-power-of-two alignment up
 * to the next power of two; record the alignment actually used. */
static size_t effective_align(size_t align)
{
    size_t a = 1;
    while (a < align && a < ((size_t)1 << 62))
        a <<= 1;
    return a;
}

EXPORT void *memalign(size_t align, size_t n)
{
    resolve();
    return record_aligned(HL_TR_MEMALIGN, effective_align(align), n,
                          real_memalign ? real_memalign(align, n) : NULL);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    resolve();
    if (real_posix_memalign == NULL)
        return ENOMEM;
    void *p = NULL;
    int rc = real_posix_memalign(&p, align, n);
    if (rc == 0)
        *out = p;
    record_aligned(HL_TR_POSIX_MEMALIGN, align, n, rc == 0 ? p : NULL);
    return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    resolve();
    return record_aligned(HL_TR_ALIGNED_ALLOC, effective_align(align), n,
                          real_aligned_alloc ? real_aligned_alloc(align, n) : NULL);
}

EXPORT void *valloc(size_t n)
{
    resolve();
    return record_aligned(HL_TR_VALLOC, 0, n, real_valloc ? real_valloc(n) : NULL);
}

EXPORT void *pvalloc(size_t n)
{
    resolve();
    return record_aligned(HL_TR_PVALLOC, 0, n, real_pvalloc ? real_pvalloc(n) : NULL);
}
