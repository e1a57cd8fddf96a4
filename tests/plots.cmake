# tests/plots.cmake: the chart front end (harness/plot.c) against the small
# fixture result set in tests/data/plots-small.  Needs gnuplot with the
# pngcairo and svg terminals at test time; without gnuplot the chart tests
# report themselves skipped and only the error paths are checked.
add_executable(test_plot ${CMAKE_CURRENT_SOURCE_DIR}/test_plot.c)
target_link_libraries(test_plot PRIVATE hl_plot)
target_compile_definitions(test_plot PRIVATE
  HL_TEST_PLOTS_FIXTURE="${CMAKE_CURRENT_SOURCE_DIR}/data/plots-small"
  HL_TEST_PLOTS_SCRIPTS="${PROJECT_SOURCE_DIR}/plots")
add_test(NAME plots COMMAND test_plot)
set_tests_properties(plots PROPERTIES TIMEOUT 300)
