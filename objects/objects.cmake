# objects/objects.cmake: the object layer (CPython's memory model) and the
# GC benchmark hl-gcbench.
add_library(hl_objects STATIC
  ${CMAKE_CURRENT_LIST_DIR}/runtime.c
  ${CMAKE_CURRENT_LIST_DIR}/scalars.c
  ${CMAKE_CURRENT_LIST_DIR}/str.c
  ${CMAKE_CURRENT_LIST_DIR}/tuple.c
  ${CMAKE_CURRENT_LIST_DIR}/list.c
  ${CMAKE_CURRENT_LIST_DIR}/dict.c
  ${CMAKE_CURRENT_LIST_DIR}/instance.c
  ${CMAKE_CURRENT_LIST_DIR}/gc.c
  ${CMAKE_CURRENT_LIST_DIR}/introspect.c
  ${CMAKE_CURRENT_LIST_DIR}/timeline.c
)
target_include_directories(hl_objects PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(hl_objects PUBLIC hl_alloc_core Threads::Threads)

# hl-gcbench: full-collection cost per object and object churn throughput
# (scripts/gc_vs_cpython.py compares it with CPython).  System variant:
# --backend picks any backend it hosts (system, pool, guard).
if(COMMAND hl_link_variant AND TARGET hl_variant_system
   AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/gcbench.c)
  add_executable(hl-gcbench ${CMAKE_CURRENT_LIST_DIR}/gcbench.c)
  target_link_libraries(hl-gcbench PRIVATE hl_objects)
  hl_link_variant(hl-gcbench system)
  set_target_properties(hl-gcbench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
endif()
