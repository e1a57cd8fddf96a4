# harness/driver.cmake: the `heaplab` command-line driver.
#
# hl_driver holds the driver's modules (planning, running, recording,
# statistics) so the tests can link them; `heaplab` adds main and the
# command handlers.  The driver must run on plain glibc malloc: it links no
# allocator library and no workload code (it learns both from the cells).

# The flags the project compiles with: CMAKE_C_FLAGS[_<TYPE>] plus the
# directory's compile options (warnings, sanitizers), recorded in results.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _hl_bt_upper)
get_directory_property(_hl_dir_opts COMPILE_OPTIONS)
string(REPLACE ";" " " _hl_dir_opts "${_hl_dir_opts}")
set(_hl_cflags "${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${_hl_bt_upper}} ${_hl_dir_opts}")
string(STRIP "${_hl_cflags}" _hl_cflags)
string(REPLACE ";" "," _hl_variants "${HL_VARIANTS}")

add_library(hl_driver STATIC
  ${CMAKE_CURRENT_LIST_DIR}/catalog.c
  ${CMAKE_CURRENT_LIST_DIR}/fsutil.c
  ${CMAKE_CURRENT_LIST_DIR}/metadata.c
  ${CMAKE_CURRENT_LIST_DIR}/plan.c
  ${CMAKE_CURRENT_LIST_DIR}/progress.c
  ${CMAKE_CURRENT_LIST_DIR}/results.c
  ${CMAKE_CURRENT_LIST_DIR}/route.c
  ${CMAKE_CURRENT_LIST_DIR}/runner.c
  ${CMAKE_CURRENT_LIST_DIR}/stats.c
  ${CMAKE_CURRENT_LIST_DIR}/table.c)
target_include_directories(hl_driver PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(hl_driver PUBLIC hl_json hl_trace_format hl_backend_table m)
target_compile_definitions(hl_driver PRIVATE
  HL_C_COMPILER="${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}"
  HL_C_FLAGS="${_hl_cflags}"
  HL_BUILD_TYPE="${CMAKE_BUILD_TYPE}"
  HL_GIT_COMMIT="${HL_GIT_COMMIT}"
  HL_VERSION="${PROJECT_VERSION}"
  HL_CONFIGURED_VARIANTS="${_hl_variants}")

add_executable(heaplab
  ${CMAKE_CURRENT_LIST_DIR}/heaplab.c
  ${CMAKE_CURRENT_LIST_DIR}/cli_common.c
  ${CMAKE_CURRENT_LIST_DIR}/cli_list.c
  ${CMAKE_CURRENT_LIST_DIR}/cli_run.c
  ${CMAKE_CURRENT_LIST_DIR}/cli_show.c
  ${CMAKE_CURRENT_LIST_DIR}/cli_compare.c)
# The plotting library (harness/plot.cmake) is defined after this file is
# included, so its presence is decided at generate time.
target_link_libraries(heaplab PRIVATE hl_driver hl_json m $<TARGET_NAME_IF_EXISTS:hl_plot>)
target_compile_definitions(heaplab PRIVATE
  HL_HAVE_PLOT=$<TARGET_EXISTS:hl_plot>
  HL_VERSION="${PROJECT_VERSION}")
set_target_properties(heaplab PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
