# harness/cell.cmake: the Google Benchmark shim (hl_bench), the shim overhead
# benchmark (hl-shim-overhead) and the cell programs (heaplab-cell-<variant>).
#
# Everything here needs Google Benchmark (find_package(benchmark) in the top
# CMakeLists.txt); without it the harness has nothing to measure with.
if(NOT TARGET benchmark::benchmark)
  message(WARNING "Google Benchmark not found: no hl_bench, no heaplab-cell-* (install libbenchmark-dev)")
  return()
endif()

# ---- the C API over Google Benchmark ------------------------------------
add_library(hl_bench STATIC ${CMAKE_CURRENT_LIST_DIR}/bench_shim.cc)
target_include_directories(hl_bench PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(hl_bench PUBLIC benchmark::benchmark Threads::Threads)
target_compile_definitions(hl_bench PRIVATE HL_GBENCH_VERSION="${benchmark_VERSION}")

# ---- shim overhead: the same empty benchmark in C++ and through the shim --
add_executable(hl-shim-overhead
  ${CMAKE_CURRENT_LIST_DIR}/shim_overhead.c
  ${CMAKE_CURRENT_LIST_DIR}/shim_overhead.cc)
target_link_libraries(hl-shim-overhead PRIVATE hl_bench)
set_target_properties(hl-shim-overhead PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})


# ---- the cell programs ----------------------------------------------------
# One executable per process variant: hl_link_variant (allocators/
# backends.cmake) makes the variant's allocator the process malloc and links
# its registry.  The object layer is optional (HL_CELL_HAVE_OBJECTS).
if(COMMAND hl_link_variant AND TARGET hl_workloads AND TARGET hl_json)
  foreach(V IN LISTS HL_VARIANTS)
    if(NOT TARGET hl_variant_${V})
      continue()
    endif()
    add_executable(heaplab-cell-${V}
      ${CMAKE_CURRENT_LIST_DIR}/cell.c
      ${CMAKE_CURRENT_LIST_DIR}/cell_report.c
      ${CMAKE_CURRENT_LIST_DIR}/procstat.c)
    target_link_libraries(heaplab-cell-${V} PRIVATE hl_workloads hl_json hl_bench)
    if(TARGET hl_objects)
      target_link_libraries(heaplab-cell-${V} PRIVATE hl_objects)
      target_compile_definitions(heaplab-cell-${V} PRIVATE HL_CELL_HAVE_OBJECTS=1)
    endif()
    target_compile_definitions(heaplab-cell-${V} PRIVATE
      HL_GIT_COMMIT="${HL_GIT_COMMIT}" HL_BUILD_TYPE="${CMAKE_BUILD_TYPE}")
    hl_link_variant(heaplab-cell-${V} ${V})
    set_target_properties(heaplab-cell-${V} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  endforeach()
endif()
