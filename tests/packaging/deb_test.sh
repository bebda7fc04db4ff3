#!/bin/sh
# cpack builds the .deb; it declares its dependencies, holds what cmake --install puts in /usr,
# and the dvdcli unpacked from it (dpkg -x into a throwaway root) runs and names its commit.
# usage: deb_test.sh BUILD_DIR COMMIT   (COMMIT: the one CMake configured; exit 77: skipped)
set -eu
build=$1
expected_commit=$2
for tool in cpack dpkg-deb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done
work=$(mktemp -d /tmp/vcli-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$work" && cpack -G DEB -B "$work/out" --config "$build/CPackConfig.cmake") >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$work"/out/volumecli_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$work/cpack.log"; fail "no volumecli_*.deb produced"; }
echo "package: $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# What the packaged dvdcli links: glibc only by default (VOLUMECLI_STATIC_DEPS), nothing when fully static.
needed=libc6
if ! ldd "$build/cli/dvdcli" >/dev/null 2>&1; then
    needed=
elif ldd "$build/cli/dvdcli" | grep -q libssl; then
    needed="libc6 libssl3 libspdlog libfmt libstdc++6"
fi
for library in $needed; do
    echo "$depends" | grep -q "$library" || fail "Depends lacks $library"
done

dpkg-deb -c "$deb" >"$work/contents"
for file in ./usr/bin/dvdcli ./usr/bin/flockercli ./usr/share/man/man1/dvdcli.1 \
    ./usr/share/bash-completion/completions/dvdcli ./usr/share/zsh/vendor-completions/_dvdcli \
    ./usr/include/volumecli/driver.hpp; do
    grep -q " $file" "$work/contents" || fail "$file is not in the package"
done

dpkg -x "$deb" "$work/root" 2>/dev/null || dpkg-deb -x "$deb" "$work/root"
version=$("$work/root/usr/bin/dvdcli" version) || fail "dvdcli version failed"
echo "$version"
echo "$version" | grep -q "^SemVer: $(dpkg-deb -f "$deb" Version)\$" || fail "SemVer is not the package version"
commit=$(echo "$version" | sed -n 's/^Commit: //p')
[ "$commit" = "$expected_commit" ] || fail "Commit \"$commit\" is not the commit of the build, $expected_commit"
"$work/root/usr/bin/flockercli" --version | grep -q '^flockercli ' || fail "flockercli from the package"
echo "PASS"
