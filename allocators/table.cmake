# allocators/table.cmake - reads allocators/backends.def (the table of
# backends; its top comment explains the format) and finds the libraries of
# the process variants.  Included by the top CMakeLists.txt, so that every
# directory sees the results and the imported targets:
#
#   HL_BACKENDS              every backend name, in table order
#   HL_BACKEND_<name>_KIND   PROCESS, REFERENCE, WRAPPER, DEBUG or FAULT
#   HL_BACKEND_<name>_VARIANT, _LIBRARY, _PACKAGES (the table's columns)
#   HL_WRAPPERS              the WRAPPER, DEBUG and FAULT backends (hosted by every
#                            PROCESS variant)
#   HL_VARIANTS              the variants this build has: a PROCESS or
#                            REFERENCE row whose library was found
#   HL_VARIANT_<V>_BACKEND   the backend that defines variant V
#   HL_VARIANT_<V>_LIBS      the targets V links as its process malloc (and
#                            its backend file compiles against); empty: glibc
#
# Editing backends.def re-runs CMake (CMAKE_CONFIGURE_DEPENDS).

set(HL_BACKEND_TABLE ${CMAKE_CURRENT_LIST_DIR}/backends.def)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${HL_BACKEND_TABLE})

set(_hl_columns NAME KIND VARIANT LIBRARY PACKAGES MALLOC_SO ENTRY ENTRY_SO PROBE OPTIONS SUMMARY)
set(HL_BACKENDS "")
set(HL_WRAPPERS "")
file(STRINGS ${HL_BACKEND_TABLE} _hl_rows REGEX "^HL_BACKEND\\(")
foreach(_row IN LISTS _hl_rows)
  string(REGEX REPLACE "^HL_BACKEND\\((.*)\\)[ \t]*$" "\\1" _body "${_row}")
  # Words and "quoted strings"; the commas and blanks between them drop out.
  string(REGEX MATCHALL "\"[^\"]*\"|[A-Za-z0-9_]+" _fields "${_body}")
  list(LENGTH _fields _n)
  list(LENGTH _hl_columns _want)
  if(NOT _n EQUAL _want)
    message(FATAL_ERROR "backends.def: a row has ${_n} fields, not ${_want} "
                        "(one row per line, no '\"' or ';' inside a field):\n${_row}")
  endif()
  list(GET _fields 0 _name)
  math(EXPR _last "${_want} - 1")
  foreach(_i RANGE 1 ${_last})
    list(GET _hl_columns ${_i} _col)
    list(GET _fields ${_i} _value)
    string(REGEX REPLACE "^\"(.*)\"$" "\\1" _value "${_value}")
    set(HL_BACKEND_${_name}_${_col} "${_value}")
  endforeach()
  list(APPEND HL_BACKENDS ${_name})
  if(HL_BACKEND_${_name}_KIND MATCHES "^(WRAPPER|DEBUG|FAULT)$")
    list(APPEND HL_WRAPPERS ${_name})
  elseif(NOT HL_BACKEND_${_name}_KIND MATCHES "^(PROCESS|REFERENCE)$")
    message(FATAL_ERROR "backends.def: ${_name} has an unknown kind '${HL_BACKEND_${_name}_KIND}'")
  endif()
endforeach()

# Finds a variant's library: sets <out>_FOUND and <out>_TARGETS.
function(_hl_find_library name spec out)
  set(_found FALSE)
  set(_targets "")
  if(spec STREQUAL "")
    set(_found TRUE)
  elseif(spec MATCHES "^pkg:(.+)$")
    pkg_check_modules(HL_LIB_${name} QUIET IMPORTED_TARGET GLOBAL ${CMAKE_MATCH_1})
    if(HL_LIB_${name}_FOUND)
      set(_found TRUE)
      set(_targets PkgConfig::HL_LIB_${name})
    endif()
  elseif(spec MATCHES "^cmake:([^:]+):(.+)$")
    set(_package ${CMAKE_MATCH_1})
    string(REPLACE "," ";" _wanted "${CMAKE_MATCH_2}")
    find_package(${_package} CONFIG QUIET)
    set(_found TRUE)
    foreach(_t IN LISTS _wanted)
      if(TARGET ${_t})
        # Imported targets are directory-scoped: make them visible to the
        # directories that link the variant.
        get_target_property(_global ${_t} IMPORTED_GLOBAL)
        if(NOT _global)
          set_target_properties(${_t} PROPERTIES IMPORTED_GLOBAL TRUE)
        endif()
        list(APPEND _targets ${_t})
      else()
        set(_found FALSE)
      endif()
    endforeach()
  else()
    message(FATAL_ERROR "backends.def: ${name} has a library '${spec}' that is neither \"\", "
                        "\"pkg:MODULE\" nor \"cmake:PACKAGE:TARGET[,TARGET...]\"")
  endif()
  set(${out}_FOUND ${_found} PARENT_SCOPE)
  set(${out}_TARGETS "${_targets}" PARENT_SCOPE)
endfunction()

set(HL_VARIANTS "")
foreach(_name IN LISTS HL_BACKENDS)
  if(NOT HL_BACKEND_${_name}_KIND MATCHES "^(PROCESS|REFERENCE)$")
    continue()
  endif()
  set(_v ${HL_BACKEND_${_name}_VARIANT})
  _hl_find_library(${_name} "${HL_BACKEND_${_name}_LIBRARY}" _lib)
  if(_lib_FOUND)
    list(APPEND HL_VARIANTS ${_v})
    set(HL_VARIANT_${_v}_BACKEND ${_name})
    set(HL_VARIANT_${_v}_LIBS "${_lib_TARGETS}")
  else()
    message(STATUS "heaplab: no ${_name} (${HL_BACKEND_${_name}_LIBRARY}); "
                   "install ${HL_BACKEND_${_name}_PACKAGES} for the ${_v} variant")
  endif()
endforeach()
message(STATUS "heaplab process variants: ${HL_VARIANTS}")
