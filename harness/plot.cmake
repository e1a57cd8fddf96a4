# harness/plot.cmake: hl_plot, the charts of a result set drawn by gnuplot
# (harness/plot.h), and hl_cli_plot, the `heaplab plot` command handler the
# driver links into `heaplab`.
#
# HL_PLOTS_DIR compiles in where the gnuplot scripts are (the source tree's
# plots/); HEAPLAB_PLOTS_DIR overrides it at run time.
add_library(hl_plot STATIC
  ${CMAKE_CURRENT_LIST_DIR}/plot.c
  ${CMAKE_CURRENT_LIST_DIR}/plot_run.c
  ${CMAKE_CURRENT_LIST_DIR}/cli_plot.c)
target_include_directories(hl_plot PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(hl_plot PUBLIC hl_json m)
target_compile_definitions(hl_plot PRIVATE HL_PLOTS_DIR="${PROJECT_SOURCE_DIR}/plots")
