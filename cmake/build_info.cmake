# build_info.cmake - run at every build (cmake -P) to write build_info.c:
# the git commit the binaries are built from, whether tracked files differed
# from it (dirty), and the configuration facts the caller passes with -D.
# configure_file rewrites the output only when its text changes, so an
# unchanged tree recompiles nothing.
#
# Inputs (-D): SRC (source dir), OUT (file to write), TEMPLATE, and the
# configuration strings HL_VERSION, HL_BUILD_TYPE, HL_COMPILER, HL_C_FLAGS,
# HL_VARIANTS, HL_PLOTS_DIR.
set(HL_GIT_COMMIT "unknown")
set(HL_GIT_DIRTY "false")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${SRC}" OUTPUT_VARIABLE _commit
                  RESULT_VARIABLE _rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_rc EQUAL 0 AND _commit)
    set(HL_GIT_COMMIT "${_commit}")
    # Tracked files only: build trees and result directories are not
    # changes to the program.
    execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no
                    WORKING_DIRECTORY "${SRC}" OUTPUT_VARIABLE _status
                    RESULT_VARIABLE _rc2 ERROR_QUIET)
    if(_rc2 EQUAL 0 AND NOT "${_status}" STREQUAL "")
      set(HL_GIT_DIRTY "true")
    endif()
  endif()
endif()
configure_file("${TEMPLATE}" "${OUT}" @ONLY)
