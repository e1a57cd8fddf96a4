# allocators/pool.cmake: heaplab's pymalloc (pool.c) lives in hl_alloc_core,
# shared by every process variant (backends.cmake hosts it in each registry
# once it sees pool.c among the core's sources).
target_sources(hl_alloc_core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/pool.c)
