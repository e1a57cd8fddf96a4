# tests/backends.cmake: every allocator backend in every process variant.
#
# Each test source is built once per variant (test_<name>_<variant>) and
# linked with hl_link_variant, so it runs with that variant's process malloc
# and tests every backend the variant hosts.  What they check per backend
# comes from allocators/backends.def, so a new backend adds no code here.
foreach(V IN LISTS HL_VARIANTS)
  foreach(T conformance ownership stress_mt)
    add_executable(test_${T}_${V} ${CMAKE_CURRENT_LIST_DIR}/test_${T}.c)
    target_compile_definitions(test_${T}_${V} PRIVATE HL_TEST_VARIANT="${V}")
    hl_link_variant(test_${T}_${V} ${V})
    add_test(NAME ${T}_${V} COMMAND test_${T}_${V})
    set_tests_properties(${T}_${V} PROPERTIES TIMEOUT 120
                         FAIL_REGULAR_EXPRESSION "[1-9][0-9]* failed")
  endforeach()
endforeach()
