# cmake --install (and debian/, which runs it): the tools, man pages and shell completion, and libvolumecli for C++
# callers (headers, static libraries, a CMake package volumecli::volumecli and volumecli.pc).
include(CMakePackageConfigHelpers)

set(VOLUMECLI_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/volumecli)
set(VOLUMECLI_BASH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  CACHE STRING "Where the bash completion is installed, relative to the prefix")
set(VOLUMECLI_ZSH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
  CACHE STRING "Where the zsh completion is installed, relative to the prefix")

# volumecli::volumecli (the Driver abstraction and its implementations) and volumecli::discovery
# (finding plugins by name), which links volumecli::volumecli.
set_target_properties(volumecli-discovery PROPERTIES EXPORT_NAME discovery)
install(TARGETS volumecli volumecli-discovery EXPORT volumecli-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY lib/include/ plugins-discovery/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT volumecli-targets NAMESPACE volumecli:: DESTINATION ${VOLUMECLI_CMAKE_DIR})
configure_package_config_file(cmake/volumecli-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/volumecli-config.cmake INSTALL_DESTINATION ${VOLUMECLI_CMAKE_DIR})
# 0.x: a new minor version may break the API.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/volumecli-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/volumecli-config.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/volumecli-config-version.cmake DESTINATION ${VOLUMECLI_CMAKE_DIR})
# Relocatable: the prefix is found from the .pc file's own place (cmake --install --prefix, DESTDIR).
file(RELATIVE_PATH VOLUMECLI_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/volumecli.pc.in ${CMAKE_CURRENT_BINARY_DIR}/volumecli.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/volumecli.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# bash-completion loads a completion by the command's name, so flockercli gets the same file.
install(FILES cli/completions/dvdcli.bash DESTINATION ${VOLUMECLI_BASH_COMPLETION_DIR} RENAME dvdcli)
install(FILES cli/completions/dvdcli.bash DESTINATION ${VOLUMECLI_BASH_COMPLETION_DIR} RENAME flockercli)
install(FILES cli/completions/_dvdcli DESTINATION ${VOLUMECLI_ZSH_COMPLETION_DIR})
