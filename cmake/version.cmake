# The git commit is read at configure time; builds outside a checkout say "unknown".
set(VOLUMECLI_GIT_COMMIT "unknown")
set(VOLUMECLI_GIT_BRANCH "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _commit
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _commit)
    set(VOLUMECLI_GIT_COMMIT "${_commit}")
  endif()
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --abbrev-ref HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _branch
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _branch)
    set(VOLUMECLI_GIT_BRANCH "${_branch}")
  endif()
endif()
# Honours SOURCE_DATE_EPOCH, for reproducible builds.
string(TIMESTAMP VOLUMECLI_BUILD_TIME "%a, %d %b %Y %H:%M:%S UTC" UTC)
