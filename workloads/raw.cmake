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

# The default suite's trace: recorded at build time from a real program on
# this machine (Debian's python3 running a short object-heavy script under
# the recorder; scripts/record-trace.sh), into <build>/traces/python.hlt,
# where `heaplab run` finds it when no --trace is given.  Not committed: it
# belongs to this machine's python3 and glibc.
if(EXISTS /usr/bin/python3)
  set(HL_DEFAULT_TRACE ${CMAKE_BINARY_DIR}/traces/python.hlt)
  add_custom_command(OUTPUT ${HL_DEFAULT_TRACE}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/traces
    COMMAND sh ${CMAKE_SOURCE_DIR}/scripts/record-trace.sh
            $<TARGET_FILE:heaplab-trace> ${HL_DEFAULT_TRACE}
    DEPENDS heaplab-trace ${CMAKE_SOURCE_DIR}/scripts/record-trace.sh
    COMMENT "Recording the default suite's malloc trace (python3 under libheaplab-trace.so)"
    VERBATIM)
  add_custom_target(hl_default_trace ALL DEPENDS ${HL_DEFAULT_TRACE})
endif()
