# workloads/objwl.cmake - the object-layer workloads (HL_LAYER_OBJECTS), listed
# in list_objects.c.  Owner: object workloads engineer.  They need the object
# layer (hl_objects), which workloads/CMakeLists.txt links when it exists.
if(TARGET hl_objects)
  target_sources(hl_workloads PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/objwl_util.c
    ${CMAKE_CURRENT_LIST_DIR}/churn.c
    ${CMAKE_CURRENT_LIST_DIR}/binary_trees.c
    ${CMAKE_CURRENT_LIST_DIR}/list_grow.c
    ${CMAKE_CURRENT_LIST_DIR}/dict_churn.c
    ${CMAKE_CURRENT_LIST_DIR}/cycles.c
    ${CMAKE_CURRENT_LIST_DIR}/gen_mix.c
    ${CMAKE_CURRENT_LIST_DIR}/fragmentation.c
    ${CMAKE_CURRENT_LIST_DIR}/fork_cow.c
  )
  # list_objects.c lists the workloads only when they are compiled in.
  target_compile_definitions(hl_workloads PRIVATE HL_HAVE_OBJWL=1)
endif()
