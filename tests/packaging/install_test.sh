#!/bin/sh
# cmake --install puts the tools, man pages, completions, headers, static libraries, the CMake
# package and volumecli.pc in a prefix; a small C++ project then builds against that prefix,
# with find_package(volumecli) and with pkg-config, and runs.
# usage: install_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
source=$2
work=$(mktemp -d /tmp/vcli-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }

for file in bin/dvdcli bin/flockercli share/man/man1/dvdcli.1 share/man/man1/flockercli.1 \
    share/bash-completion/completions/dvdcli share/bash-completion/completions/flockercli \
    share/zsh/vendor-completions/_dvdcli include/volumecli/driver.hpp include/volumecli/discovery.hpp \
    include/volumecli/managed_plugins.hpp; do
    [ -e "$prefix/$file" ] || fail "$file not installed"
done
libdir=$(cd "$prefix" && ls -d lib*/libvolumecli.a | head -n 1 | xargs dirname)
for file in libvolumecli.a libvolumecli-discovery.a cmake/volumecli/volumecli-config.cmake \
    cmake/volumecli/volumecli-config-version.cmake pkgconfig/volumecli.pc; do
    [ -e "$prefix/$libdir/$file" ] || fail "$libdir/$file not installed"
done
[ "$(readlink "$prefix/bin/flockercli")" = dvdcli ] || fail "bin/flockercli is not a symlink to dvdcli"
"$prefix/bin/dvdcli" version | grep -q '^Commit: ' || fail "installed dvdcli version has no Commit line"
# No test-only file leaks into the install.
if find "$prefix" -name '*reference-plugin*' | grep -q .; then fail "the reference plugin was installed"; fi

echo "--- find_package(volumecli)"
cmake -S "$source/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "consumer configure"; }
cmake --build "$work/consumer" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "consumer build"; }
mkdir "$work/empty"
out=$("$work/consumer/consumer" "$work/empty") || fail "consumer run: $out"
echo "$out"
[ "$out" = "volumecli $("$prefix/bin/dvdcli" --version | cut -d' ' -f2)
exit code 3" ] || fail "unexpected consumer output"

echo "--- pkg-config volumecli"
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --exists volumecli || fail "pkg-config cannot find volumecli"
flags=$(PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --cflags --libs volumecli)
# shellcheck disable=SC2086
${CXX:-c++} -std=c++17 -o "$work/consumer-pc" "$source/tests/packaging/consumer/main.cpp" $flags \
    || fail "building with pkg-config flags: $flags"
[ "$("$work/consumer-pc" "$work/empty")" = "$out" ] || fail "pkg-config consumer output differs"
echo "PASS"
