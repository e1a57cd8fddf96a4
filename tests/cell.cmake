# tests/cell.cmake: the Google Benchmark shim and the cell program.
if(NOT TARGET hl_bench)
  return()
endif()

add_executable(test_shim ${CMAKE_CURRENT_LIST_DIR}/test_shim.c)
target_link_libraries(test_shim PRIVATE hl_bench hl_json)
add_test(NAME shim COMMAND test_shim ${CMAKE_CURRENT_BINARY_DIR}/shim-tmp)

# The cell program, run as a child process the way the driver runs it.  The
# test links the system variant's registry to compare --describe with it.
if(TARGET heaplab-cell-system)
  find_program(HL_VALGRIND valgrind)
  if(NOT HL_VALGRIND)
    set(HL_VALGRIND "")
  endif()
  add_executable(test_cell ${CMAKE_CURRENT_LIST_DIR}/test_cell.c)
  target_link_libraries(test_cell PRIVATE hl_workloads hl_json)
  hl_link_variant(test_cell system)
  add_dependencies(test_cell heaplab-cell-system)
  add_test(NAME cell COMMAND test_cell $<TARGET_FILE:heaplab-cell-system>
           ${CMAKE_CURRENT_BINARY_DIR}/cell-tmp "${HL_VALGRIND}")
endif()
