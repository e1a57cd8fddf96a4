# tests/wl_objects.cmake - the object-layer workloads (workloads/objwl.cmake)
# on every backend of the system variant: system, pool, guard; `faulty` only
# in forked children, to prove verification catches corruption.
if(NOT TARGET hl_objects OR NOT COMMAND hl_link_variant OR NOT TARGET hl_variant_system)
  return()
endif()

add_executable(test_wl_objects ${CMAKE_CURRENT_LIST_DIR}/test_wl_objects.c)
target_include_directories(test_wl_objects PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_wl_objects PRIVATE hl_workloads hl_objects)
hl_link_variant(test_wl_objects system)
add_test(NAME test_wl_objects COMMAND test_wl_objects)
set_tests_properties(test_wl_objects PROPERTIES TIMEOUT 180
                     FAIL_REGULAR_EXPRESSION "[1-9][0-9]* failed")
