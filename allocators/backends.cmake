# allocators/backends.cmake - the process variants (see backend.h).
#
# For every variant V in HL_VARIANTS:
#   hl_backends_V  static library: registry.c built for V, V's native backend,
#                  and (except cpython) guard.c and faulty.c.
#   hl_variant_V   interface target an executable links to *be* variant V:
#                  hl_backends_V + hl_alloc_core + V's allocator library as
#                  the process malloc.
# Executables use hl_link_variant(<target> <V>) rather than linking these by
# hand; it documents and enforces the link order.

# Per variant: the library that must be the process malloc (empty: glibc),
# and the native backend's source.
set(HL_VARIANT_system_LIB "")
set(HL_VARIANT_system_SRC system.c)
set(HL_VARIANT_jemalloc_LIB PkgConfig::JEMALLOC)
set(HL_VARIANT_jemalloc_SRC jemalloc.c)
set(HL_VARIANT_mimalloc_LIB mimalloc)
set(HL_VARIANT_mimalloc_SRC mimalloc.c)
set(HL_VARIANT_tcmalloc_LIB PkgConfig::TCMALLOC)
set(HL_VARIANT_tcmalloc_SRC tcmalloc.c)
set(HL_VARIANT_cpython_LIB PkgConfig::PYEMBED)
set(HL_VARIANT_cpython_SRC cpython.c)

# The pool (pool.cmake, included before this file) lives in hl_alloc_core.
# Host it only once it is really compiled there, so a half-finished pool area
# never breaks the variants' link.
get_target_property(_hl_core_sources hl_alloc_core SOURCES)
set(HL_HAVE_POOL OFF)
foreach(_src IN LISTS _hl_core_sources)
  if(_src MATCHES "(^|/)pool\\.c$")
    set(HL_HAVE_POOL ON)
  endif()
endforeach()
if(NOT HL_HAVE_POOL)
  message(STATUS "heaplab: pool.c is not in hl_alloc_core yet; variants are built without the pool")
endif()

foreach(V IN LISTS HL_VARIANTS)
  if(NOT DEFINED HL_VARIANT_${V}_SRC)
    message(FATAL_ERROR "backends.cmake: unknown process variant '${V}'")
  endif()
  set(_srcs registry.c ${HL_VARIANT_${V}_SRC})
  if(NOT V STREQUAL "cpython")
    list(APPEND _srcs guard.c faulty.c)
  endif()
  add_library(hl_backends_${V} STATIC ${_srcs})
  target_compile_definitions(hl_backends_${V} PRIVATE
    HL_VARIANT_${V}=1 HL_VARIANT_NAME="${V}")
  if(HL_HAVE_POOL AND NOT V STREQUAL "cpython")
    target_compile_definitions(hl_backends_${V} PRIVATE HL_HAVE_POOL=1)
  endif()
  # hl_alloc_core comes after hl_backends_V on every link line (PUBLIC): the
  # backends call the GIL and the registry hosts the pool, both in the core.
  target_link_libraries(hl_backends_${V} PUBLIC hl_alloc_core ${CMAKE_DL_LIBS})
  if(HL_VARIANT_${V}_LIB)
    # Headers (jemalloc, mimalloc, gperftools, Python.h) for the backend file.
    target_link_libraries(hl_backends_${V} PRIVATE ${HL_VARIANT_${V}_LIB})
  endif()

  add_library(hl_variant_${V} INTERFACE)
  # Link order, and why it matters:
  # 1. hl_backends_V before hl_alloc_core.  The two archives depend on each
  #    other (alloc.c and pool.c call hl_registry_*; registry.c refers to
  #    hl_pool_backend), and a static linker resolves an archive member only
  #    against archives that come *after* it.  --undefined=hl_registry_find
  #    pulls registry.o (and with it every backend object it names) out of
  #    hl_backends_V while that archive is scanned, before hl_alloc_core, so
  #    alloc.o and pool.o find the registry already linked and the
  #    registry's reference to hl_pool_backend is resolved by the core that
  #    follows.  Without it, an executable calling only hl_allocator_open
  #    would fail with "undefined reference to hl_registry_find".
  # 2. The allocator library as a DT_NEEDED entry ahead of libc.  The
  #    dynamic linker resolves `malloc` for the whole process to the first
  #    object in load order that defines it; gcc appends libc after every
  #    user library, so any NEEDED entry we add precedes it.  The library
  #    must be recorded even though the executable may call none of its
  #    functions directly: --no-as-needed around it keeps a toolchain that
  #    defaults to --as-needed (Ubuntu's gcc) from dropping it, after which
  #    glibc would silently be the process malloc.  --push-state/--pop-state
  #    restore the caller's setting for the libraries that follow.
  target_link_libraries(hl_variant_${V} INTERFACE hl_backends_${V} hl_alloc_core)
  target_link_options(hl_variant_${V} INTERFACE "LINKER:--undefined=hl_registry_find")
  if(HL_VARIANT_${V}_LIB)
    target_link_libraries(hl_variant_${V} INTERFACE
      "-Wl,--push-state,--no-as-needed" ${HL_VARIANT_${V}_LIB} "-Wl,--pop-state")
  endif()
endforeach()

# Links executable <target> into process variant <variant>: after this the
# executable's malloc is the variant's allocator and its registry hosts the
# variant's backends.  Call it once per executable, and link nothing else
# allocator-specific into it.
function(hl_link_variant target variant)
  if(NOT TARGET hl_variant_${variant})
    message(FATAL_ERROR "hl_link_variant(${target} ${variant}): no such process variant "
                        "(this build has: ${HL_VARIANTS})")
  endif()
  target_link_libraries(${target} PRIVATE hl_variant_${variant})
endfunction()
