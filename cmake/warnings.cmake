# Warnings and sanitizers for our own targets only; CMAKE_CXX_FLAGS is left alone.
add_library(volumecli_warnings INTERFACE)
target_compile_options(volumecli_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual)
if(VOLUMECLI_WERROR)
  target_compile_options(volumecli_warnings INTERFACE -Werror)
endif()
if(VOLUMECLI_SANITIZE)
  target_compile_options(volumecli_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(volumecli_warnings INTERFACE -fsanitize=address,undefined)
endif()
