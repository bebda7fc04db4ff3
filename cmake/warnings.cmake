# Warnings for our own targets only; CMAKE_CXX_FLAGS is left alone.
add_library(volumecli_warnings INTERFACE)
target_compile_options(volumecli_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual)
if(VOLUMECLI_WERROR)
  target_compile_options(volumecli_warnings INTERFACE -Werror)
endif()

if(VOLUMECLI_SANITIZE AND VOLUMECLI_FUZZ)
  message(FATAL_ERROR "VOLUMECLI_SANITIZE and VOLUMECLI_FUZZ are separate builds: pick one")
endif()

# The sanitizer runtimes are shared libraries that intercept libc and libstdc++ calls (malloc,
# __cxa_throw, ...); a statically linked libc or libstdc++ would bypass them. So sanitized and
# fuzzing builds link dynamically: the static defaults are turned off (normal variables, so the
# cache keeps the user's choice for other builds).
if(VOLUMECLI_SANITIZE OR VOLUMECLI_FUZZ)
  set(VOLUMECLI_FULLY_STATIC OFF)
  set(VOLUMECLI_STATIC_DEPS OFF)
endif()

# Sanitizers apply to every target of the tree (libraries, dvdcli, test binaries, support code,
# the Catch2 main), not only those linking volumecli_warnings, so no object escapes them. Any
# finding aborts the process (no recovery), so a test or fuzz run cannot pass over one.
if(VOLUMECLI_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # GCC 12's ASan instrumentation makes -Wmaybe-uninitialized report false positives inside
  # libstdc++ (<regex>'s std::function moves, reached through cpp-httplib); -Werror must not
  # turn them into a failed build. The normal build keeps the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(volumecli_warnings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()

# libFuzzer (clang only): the libraries get coverage instrumentation without libFuzzer's main;
# fuzz/CMakeLists.txt links the fuzz targets with -fsanitize=fuzzer.
if(VOLUMECLI_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "VOLUMECLI_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
