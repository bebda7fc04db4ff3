# How dvdcli is linked. Two builds:
#
# The default, the conventional build (what Debian's package uses): dvdcli is a position
# independent executable linked against the system's shared libraries (libssl3, libspdlog, libfmt,
# libstdc++), so it gets their security updates; the compiler's and dpkg-buildflags' hardening
# applies as to any program.
#
# VOLUMECLI_FULLY_STATIC=ON: one file that runs on any x86-64 Linux, for hosts without a package
# manager (CoreOS, DC/OS agents with a read-only /usr). Isolators start dvdcli once per volume
# operation, so start-up is what users pay (bench/): a static binary loads no shared library.
# It implies VOLUMECLI_STATIC_DEPS. glibc resolves host names from /etc/hosts and DNS itself;
# other NSS modules (mdns, resolve, ldap) are loaded from the glibc it was built with, so host
# names only they know need an address or the default build.
# VOLUMECLI_STATIC_DEPS (default OFF; ON with VOLUMECLI_FULLY_STATIC): spdlog and fmt header-only,
# OpenSSL from libssl.a and libcrypto.a (initialised only when an https endpoint or Flocker is
# used), libstdc++ and libgcc linked in, not PIE; alone it gives a dvdcli needing only glibc.
# The tests' own programs keep Debian's shared OpenSSL (cpp-httplib's .so links it, and one
# process must not hold two copies).
option(VOLUMECLI_FULLY_STATIC "Link dvdcli with -static: one file for hosts without a package manager" OFF)
option(VOLUMECLI_STATIC_DEPS "Link OpenSSL, spdlog/fmt (header-only), libstdc++ and libgcc into dvdcli" OFF)
if(VOLUMECLI_FULLY_STATIC AND NOT VOLUMECLI_STATIC_DEPS)
  # A normal variable: the cache keeps the user's own choice.
  set(VOLUMECLI_STATIC_DEPS ON)
endif()

# What libvolumecli and the CLI compile spdlog (and fmt) as; the exported package names the same.
if(VOLUMECLI_STATIC_DEPS)
  # spdlog::spdlog_header_only would still link Debian's libfmt.so (fmt::fmt): name the headers'
  # settings here instead. The installed package asks for spdlog's header-only target.
  find_package(fmt REQUIRED)
  add_library(volumecli_spdlog_header_only INTERFACE)
  target_compile_definitions(volumecli_spdlog_header_only INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY=1)
  target_include_directories(volumecli_spdlog_header_only SYSTEM INTERFACE
    $<TARGET_PROPERTY:spdlog::spdlog_header_only,INTERFACE_INCLUDE_DIRECTORIES>
    $<TARGET_PROPERTY:fmt::fmt-header-only,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(volumecli_spdlog_header_only INTERFACE Threads::Threads)
  set(VOLUMECLI_SPDLOG_TARGETS $<BUILD_INTERFACE:volumecli_spdlog_header_only>
                               $<INSTALL_INTERFACE:spdlog::spdlog_header_only>)
  set(VOLUMECLI_PC_REQUIRES "openssl")
else()
  set(VOLUMECLI_SPDLOG_TARGETS spdlog::spdlog)
  set(VOLUMECLI_PC_REQUIRES "spdlog openssl")
endif()

# The OpenSSL libvolumecli links: static archives for an executable with the target property
# VOLUMECLI_STATIC_OPENSSL set (dvdcli), Debian's shared libraries for everything else (tests,
# installed consumers). $<TARGET_PROPERTY:...> is evaluated on the target being linked.
if(VOLUMECLI_STATIC_DEPS)
  find_library(VOLUMECLI_LIBSSL_ARCHIVE NAMES libssl.a REQUIRED)
  find_library(VOLUMECLI_LIBCRYPTO_ARCHIVE NAMES libcrypto.a REQUIRED)
  add_library(volumecli_crypto_archive STATIC IMPORTED)
  set_target_properties(volumecli_crypto_archive PROPERTIES
    IMPORTED_LOCATION ${VOLUMECLI_LIBCRYPTO_ARCHIVE}
    INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS}")
  add_library(volumecli_ssl_archive STATIC IMPORTED)
  set_target_properties(volumecli_ssl_archive PROPERTIES
    IMPORTED_LOCATION ${VOLUMECLI_LIBSSL_ARCHIVE}
    INTERFACE_LINK_LIBRARIES volumecli_crypto_archive)
  set(static_openssl "$<BOOL:$<TARGET_PROPERTY:VOLUMECLI_STATIC_OPENSSL>>")
  set(VOLUMECLI_OPENSSL_LINK
    "$<BUILD_INTERFACE:$<${static_openssl}:volumecli_ssl_archive>>"
    "$<BUILD_INTERFACE:$<$<NOT:${static_openssl}>:OpenSSL::SSL>>"
    "$<BUILD_INTERFACE:$<$<NOT:${static_openssl}>:OpenSSL::Crypto>>"
    "$<INSTALL_INTERFACE:OpenSSL::SSL>" "$<INSTALL_INTERFACE:OpenSSL::Crypto>")
  find_library(VOLUMECLI_LIBM_ARCHIVE NAMES libm.a)
else()
  set(VOLUMECLI_OPENSSL_LINK OpenSSL::SSL OpenSSL::Crypto)
endif()

# Section-per-function so the linker drops what dvdcli never calls (less to map and page in).
add_library(volumecli_lean INTERFACE)
if(VOLUMECLI_STATIC_DEPS)
  target_compile_options(volumecli_lean INTERFACE -ffunction-sections -fdata-sections)
endif()

# Applies the choices above to an executable (dvdcli).
function(volumecli_lean_executable target)
  if(NOT VOLUMECLI_STATIC_DEPS)
    return()
  endif()
  set_target_properties(${target} PROPERTIES VOLUMECLI_STATIC_OPENSSL ON)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,-O1 -Wl,--as-needed)
  # Not position independent: a PIE with OpenSSL linked in carries about 22,000 relative
  # relocations that the loader applies at every start, dirtying the pages they touch (measured:
  # 20 % of the instructions of a `mount`, 0.5 MiB of RSS). The price is a fixed load address for
  # dvdcli's own code (libc and the stack are still randomised).
  target_link_options(${target} PRIVATE -no-pie)
  if(VOLUMECLI_FULLY_STATIC)
    target_link_options(${target} PRIVATE -static)
    # A static link starts with crtbeginT.o, which registers .eh_frame with libgcc's unwinder;
    # libgcc 12 then sorts all of dvdcli's ~20,000 frame descriptions at the first exception
    # thrown (51 million instructions, 7 ms, on every error path). crtbegin.o, what dynamic
    # executables start with, leaves the lookup to the binary-search table of --eh-frame-hdr
    # (PT_GNU_EH_FRAME, found through dl_iterate_phdr, which static glibc provides). The
    # compiler driver looks for crtbeginT.o in -B directories first: one holds crtbegin.o under
    # that name.
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=crtbegin.o
      OUTPUT_VARIABLE crtbegin OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(IS_ABSOLUTE "${crtbegin}" AND EXISTS "${crtbegin}")
      set(startfiles "${CMAKE_BINARY_DIR}/static-startfiles")
      configure_file("${crtbegin}" "${startfiles}/crtbeginT.o" COPYONLY)
      target_link_options(${target} PRIVATE "-B${startfiles}/" -Wl,--eh-frame-hdr)
    endif()
  elseif(VOLUMECLI_LIBM_ARCHIVE)
    # dvdcli needs one function of libm (llround); loading libm.so for it costs a library load
    # and about 0.4 MiB of RSS per process. libm.a is glibc's own and matches the libc linked.
    target_link_libraries(${target} PRIVATE ${VOLUMECLI_LIBM_ARCHIVE})
  endif()
endfunction()
