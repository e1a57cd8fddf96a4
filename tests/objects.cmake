# tests/objects.cmake: the object layer's tests (tests/test_obj_*.c), each
# registered twice: on the system backend and on the pool.
if(NOT TARGET hl_objects OR NOT COMMAND hl_link_variant OR NOT TARGET hl_variant_system)
  return()
endif()

foreach(T basic gc deep introspect)
  if(NOT EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_obj_${T}.c)
    continue()
  endif()
  add_executable(test_obj_${T} ${CMAKE_CURRENT_LIST_DIR}/test_obj_${T}.c)
  target_link_libraries(test_obj_${T} PRIVATE hl_objects)
  hl_link_variant(test_obj_${T} system)
  foreach(B system pool)
    add_test(NAME obj_${T}_${B} COMMAND test_obj_${T} --backend ${B})
    set_tests_properties(obj_${T}_${B} PROPERTIES TIMEOUT 120
                         FAIL_REGULAR_EXPRESSION "[1-9][0-9]* failed")
  endforeach()
endforeach()
