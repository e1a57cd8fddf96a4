/* test_ownership.c - the trap heaplab is designed around, tested.
 *
 * Linking jemalloc/mimalloc/tcmalloc/tbbmalloc's proxy replaces malloc for
 * the whole process, so a "system" measurement next to them would silently
 * measure them.  Each process variant therefore has exactly one process
 * allocator.  This test proves, per variant and from the table of backends
 * (allocators/backends.def) alone, that:
 *   - hl_registry_check_process() accepts the process;
 *   - the libraries of every other variant's row are not loaded at all, and
 *     this variant's are;
 *   - the native backend's own entry point (the table's entry column)
 *     resolves into its library: what the backend calls, which is also what
 *     is checked under the sanitizers, where malloc is the sanitizer's;
 *   - every hosted backend passes the probe of its row (tests/hl_probe.h):
 *     its own counters move, owns() recognises its blocks, glibc did not
 *     serve them, ... -- in sanitizer builds too, where the rows say what
 *     still holds.
 * A new backend needs no code here, only its row.
 */
#include "alloc.h"
#include "backends.h"
#include "hl_test.h"
#include "registry.h"
#include "hl_probe.h"

#include <dlfcn.h>
#include <link.h>
#include <stdint.h>

static const hl_backend *B; /* the backend under test (set by main) */

TEST(process_check_passes)
{
    char err[512] = "";
    int rc = hl_registry_check_process(err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
#ifdef HL_SANITIZE
    CHECK(strstr(err, "sanitizer build") != NULL); /* success says what it checked */
    printf("     %s\n", err);
#else
    CHECK(err[0] == '\0');
#endif
}

static bool has_prefix(const char *s, const char *prefix)
{
    return prefix[0] != '\0' && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Libraries of a row, not glibc (which every variant loads). */
static bool row_library(const hl_backend_row *r, const char *base)
{
    return (has_prefix(base, r->malloc_so) && !has_prefix(base, "libc.so")) ||
           (has_prefix(base, r->entry_so) && !has_prefix(base, "libc.so"));
}

typedef struct loaded_libs {
    bool row_loaded[HL_BACKEND_ROWS];
} loaded_libs;

static int note_library(struct dl_phdr_info *info, size_t size, void *arg)
{
    loaded_libs *l = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++)
        if (hl_backend_row_is_variant(&hl_backend_rows[i]) && row_library(&hl_backend_rows[i], base))
            l->row_loaded[i] = true;
    return 0;
}

TEST(only_own_allocator_library_loaded)
{
    loaded_libs l = {{false}};
    dl_iterate_phdr(note_library, &l);
    const hl_backend_row *own = hl_registry_row(hl_registry_native());
    REQUIRE(own != NULL);
    size_t others = 0;
    for (size_t i = 0; i < HL_BACKEND_ROWS; i++) {
        const hl_backend_row *r = &hl_backend_rows[i];
        if (!hl_backend_row_is_variant(r))
            continue;
        bool has_lib = (r->malloc_so[0] && !has_prefix(r->malloc_so, "libc.so")) ||
                       (r->entry_so[0] && !has_prefix(r->entry_so, "libc.so"));
        if (r == own)
            CHECK_MSG(l.row_loaded[i] == has_lib, "%s's library loaded: %d", r->name,
                      l.row_loaded[i]);
        else
            CHECK_MSG(!l.row_loaded[i], "%s's library is loaded in the %s variant", r->name,
                      hl_registry_variant());
        others += r != own;
    }
    CHECK_EQ_U64(others, HL_BACKEND_VARIANTS - 1);
}

TEST(native_entry_in_its_library)
{
    const hl_backend_row *own = hl_registry_row(hl_registry_native());
    REQUIRE(own != NULL && own->entry[0] != '\0');
    void *addr = dlsym(RTLD_DEFAULT, own->entry);
    Dl_info info;
    REQUIRE(addr != NULL && dladdr(addr, &info) != 0 && info.dli_fname != NULL);
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    CHECK_MSG(has_prefix(base, own->entry_so), "%s resolves into %s, expected %s*", own->entry,
              info.dli_fname, own->entry_so);
}

TEST(probe)
{
    const hl_backend_row *row = hl_registry_row(B);
    REQUIRE(row != NULL);
    probe_term terms[HL_PROBE_MAX_TERMS];
    char err[256];
    int n = hl_probe_parse(row->probe, terms, HL_PROBE_MAX_TERMS, err, sizeof err);
    CHECK_MSG(n >= 0, "%s", err);
    CHECK_MSG(n != 0, "%s: the table gives no probe", B->name);
    if (n <= 0)
        return;
    hl_allocator h;
    bool take = !B->thread_safe && !hl_gil_held; /* open() of a backend that needs the GIL */
    if (take)
        hl_gil_acquire();
    int rc = hl_allocator_open(&h, B->name, err, sizeof err);
    if (take)
        hl_gil_release();
    REQUIRE(rc == 0);
    /* Plain free here; test_conformance runs the same probe with sized free. */
    hl_allocator_set_sized_free(&h, false);
    size_t active = 0;
    for (int i = 0; i < n; i++) {
        hl_probe_run(&h, &terms[i]);
        active += terms[i].active;
    }
    CHECK_MSG(active > 0, "%s: no probe term holds in this build: nothing is proven", B->name);
}

int main(void)
{
    printf("variant %s (native backend %s)\n", hl_registry_variant(), hl_registry_native()->name);
    RUN(process_check_passes);
    RUN(only_own_allocator_library_loaded);
    RUN(native_entry_in_its_library);
    for (size_t i = 0; i < hl_registry_count(); i++) {
        B = hl_registry_at(i);
        printf("-- backend %s\n", B->name);
        RUN(probe);
    }
    return hl_test_summary();
}
