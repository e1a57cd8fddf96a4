# tests/harness.cmake: the driver's tests.
#   test_driver_stats  statistics against known values and brute force
#   test_driver_plan   routing, run order, plan invariants, cell.json reader
#   test_driver        `heaplab` end to end with tests/fake_cell.c as the cell
if(NOT TARGET heaplab)
  return()
endif()

add_executable(test_driver_stats ${CMAKE_CURRENT_LIST_DIR}/test_driver_stats.c)
target_link_libraries(test_driver_stats PRIVATE hl_driver m)
add_test(NAME driver_stats COMMAND test_driver_stats)

add_executable(test_driver_plan ${CMAKE_CURRENT_LIST_DIR}/test_driver_plan.c)
target_link_libraries(test_driver_plan PRIVATE hl_driver m)
target_compile_definitions(test_driver_plan PRIVATE DATA_DIR="${CMAKE_CURRENT_LIST_DIR}/data")
add_test(NAME driver_plan COMMAND test_driver_plan)

# The fake cell must not be named heaplab-cell-* nor sit next to heaplab:
# the driver only reaches it through its test hook.
add_executable(hl-fake-cell ${CMAKE_CURRENT_LIST_DIR}/fake_cell.c)

add_executable(test_driver ${CMAKE_CURRENT_LIST_DIR}/test_driver.c)
target_link_libraries(test_driver PRIVATE hl_json hl_trace_format)
target_compile_definitions(test_driver PRIVATE
  HEAPLAB_EXE="$<TARGET_FILE:heaplab>"
  FAKE_CELL="$<TARGET_FILE:hl-fake-cell>"
  DATA_DIR="${CMAKE_CURRENT_LIST_DIR}/data")
add_dependencies(test_driver heaplab hl-fake-cell)
add_test(NAME driver COMMAND test_driver)
set_tests_properties(driver PROPERTIES TIMEOUT 120)
