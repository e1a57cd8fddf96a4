add_executable(test_json ${CMAKE_CURRENT_SOURCE_DIR}/test_json.c)
target_link_libraries(test_json PRIVATE hl_json)
add_test(NAME json COMMAND test_json)
