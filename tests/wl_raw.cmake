# tests/wl_raw.cmake - the raw-allocator workloads and the trace tools.
#
#   test_wl_raw_<variant>  every raw workload on every backend of the variant
#   test_trace             trace format, validation messages, the recorder
#   test_fuzz_trace        the fuzz entry point over generated mutations
#   fuzz_trace             libFuzzer target (HL_FUZZ=ON with clang only)
#   trace_python_record / trace_python_replay
#                          records /usr/bin/python3 with libheaplab-trace.so
#                          and replays it on the native backend

if(COMMAND hl_link_variant)
  foreach(V IN LISTS HL_VARIANTS)
    add_executable(test_wl_raw_${V} ${CMAKE_CURRENT_LIST_DIR}/test_wl_raw.c)
    target_include_directories(test_wl_raw_${V} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
    target_link_libraries(test_wl_raw_${V} PRIVATE hl_workloads)
    hl_link_variant(test_wl_raw_${V} ${V})
    add_test(NAME test_wl_raw_${V} COMMAND test_wl_raw_${V})
    set_tests_properties(test_wl_raw_${V} PROPERTIES TIMEOUT 120)
  endforeach()
endif()

add_executable(test_trace ${CMAKE_CURRENT_LIST_DIR}/test_trace.c)
target_include_directories(test_trace PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_trace PRIVATE hl_trace_format Threads::Threads)
# The program the recorder test traces: never sanitized (see raw.cmake).
add_executable(test_trace_child ${CMAKE_CURRENT_LIST_DIR}/test_trace.c)
target_compile_definitions(test_trace_child PRIVATE HL_TRACE_CHILD=1)
# -fno-builtin: the compiler must not elide or merge the calls it records.
target_compile_options(test_trace_child PRIVATE -fno-sanitize=all -fno-builtin)
target_link_options(test_trace_child PRIVATE -fno-sanitize=all)
target_link_libraries(test_trace_child PRIVATE Threads::Threads)
target_include_directories(test_trace_child PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../workloads)
target_compile_definitions(test_trace PRIVATE
  HL_TRACE_LIB="$<TARGET_FILE:heaplab-trace>"
  HL_TRACE_CHILD_EXE="$<TARGET_FILE:test_trace_child>")
add_dependencies(test_trace heaplab-trace test_trace_child)
add_test(NAME test_trace COMMAND test_trace)

add_executable(test_fuzz_trace ${CMAKE_CURRENT_LIST_DIR}/fuzz_trace.c)
target_link_libraries(test_fuzz_trace PRIVATE hl_trace_format)
add_test(NAME test_fuzz_trace COMMAND test_fuzz_trace 4000)

if(HL_FUZZ)
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
    add_executable(fuzz_trace ${CMAKE_CURRENT_LIST_DIR}/fuzz_trace.c
                              ${CMAKE_CURRENT_LIST_DIR}/../workloads/trace_format.c)
    target_include_directories(fuzz_trace PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../workloads)
    target_compile_definitions(fuzz_trace PRIVATE HL_LIBFUZZER=1)
    target_compile_options(fuzz_trace PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_trace PRIVATE -fsanitize=fuzzer,address,undefined)
    set_target_properties(fuzz_trace PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  else()
    message(STATUS "heaplab: HL_FUZZ=ON needs clang (CC=clang); fuzz_trace not built")
  endif()
endif()

# A real trace: python3 with PYTHONMALLOC=malloc so that every object
# allocation reaches malloc.  Skipped (exit 77) when /usr/bin/python3 is
# missing.
if(TARGET test_wl_raw_system)
  add_test(NAME trace_python_record
           COMMAND ${CMAKE_SOURCE_DIR}/scripts/record-trace.sh
                   $<TARGET_FILE:heaplab-trace> ${CMAKE_BINARY_DIR}/python.hlt)
  set_tests_properties(trace_python_record PROPERTIES
    FIXTURES_SETUP python_trace SKIP_RETURN_CODE 77 TIMEOUT 120)
  add_test(NAME trace_python_replay
           COMMAND test_wl_raw_system --replay ${CMAKE_BINARY_DIR}/python.hlt)
  set_tests_properties(trace_python_replay PROPERTIES
    FIXTURES_REQUIRED python_trace TIMEOUT 120)
endif()
