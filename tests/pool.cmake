# tests/pool.cmake: the pool backend's tests (tests/test_pool.c), linked into
# the system variant, whose malloc is the pool's raw allocator there.
add_executable(test_pool ${CMAKE_CURRENT_LIST_DIR}/test_pool.c)
hl_link_variant(test_pool system)
add_test(NAME pool COMMAND test_pool)
set_tests_properties(pool PROPERTIES TIMEOUT 120
                     FAIL_REGULAR_EXPRESSION "[1-9][0-9]* failed")
