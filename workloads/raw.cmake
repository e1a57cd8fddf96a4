# workloads/raw.cmake - the raw-allocator workloads, the trace format and the
# trace recorder (libheaplab-trace.so).
target_sources(hl_workloads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pairs.c
  ${CMAKE_CURRENT_LIST_DIR}/larson.c
  ${CMAKE_CURRENT_LIST_DIR}/xmalloc.c
  ${CMAKE_CURRENT_LIST_DIR}/cache_sharing.c
  ${CMAKE_CURRENT_LIST_DIR}/mstress.c
  ${CMAKE_CURRENT_LIST_DIR}/glibc_simple.c
  ${CMAKE_CURRENT_LIST_DIR}/glibc_thread.c
  ${CMAKE_CURRENT_LIST_DIR}/sizes.c
  ${CMAKE_CURRENT_LIST_DIR}/replay.c
  ${CMAKE_CURRENT_LIST_DIR}/trace_format.c
)

# The trace reader alone (no allocator dependency), for the trace tests and
# the fuzzer.
add_library(hl_trace_format STATIC ${CMAKE_CURRENT_LIST_DIR}/trace_format.c)
target_include_directories(hl_trace_format PUBLIC ${CMAKE_CURRENT_LIST_DIR})

# libheaplab-trace.so: the LD_PRELOAD recorder, in the build root.  It is
# loaded into arbitrary programs (python3, ...), so it is never built with the
# sanitizers: an ASan-instrumented preload library would require the ASan
# runtime to be loaded first in every traced program.
add_library(heaplab-trace SHARED ${CMAKE_CURRENT_LIST_DIR}/trace_recorder.c)
target_include_directories(heaplab-trace PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(heaplab-trace PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)
target_compile_options(heaplab-trace PRIVATE -fvisibility=hidden -fno-sanitize=all)
target_link_options(heaplab-trace PRIVATE -fno-sanitize=all)
set_target_properties(heaplab-trace PROPERTIES
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
  C_VISIBILITY_PRESET hidden)
