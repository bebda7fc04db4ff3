#!/usr/bin/env bash
# The single-file static dvdcli (-DVOLUMECLI_FULLY_STATIC=ON), as for hosts without a package
# manager: built (tests off) into build-static/ (or $STATIC_BUILD_DIR), then copied alone into an
# empty root (the binary, /tmp and /proc, nothing else: no loader, no libc, no /etc), where
# `dvdcli version` runs and a volume of the built-in local driver is mounted (tmpfs), written,
# unmounted and removed. CI runs it (.ci/run). Needs root (chroot, mount).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${STATIC_BUILD_DIR:-$root/build-static}
start=$SECONDS
fail() {
  echo "test-static: FAIL: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "needs root (chroot and mount)"

BUILD_DIR=$build BUILD_TYPE=Release "$root/scripts/build.sh" -DVOLUMECLI_FULLY_STATIC=ON \
  -DVOLUMECLI_BUILD_TESTS=OFF -DVOLUMECLI_BUILD_REFERENCE_PLUGIN=OFF -DVOLUMECLI_WERROR=ON >"$build.log" 2>&1 ||
  { tail -n 30 "$build.log"; fail "the static build (log: $build.log)"; }
dvdcli=$build/cli/dvdcli
if ldd "$dvdcli" >/dev/null 2>&1; then
  fail "$dvdcli is dynamically linked: $(ldd "$dvdcli" | tr '\n' ' ')"
fi

empty=$(mktemp -d /tmp/volumecli-static-XXXXXX)
cleanup() {
  umount "$empty/tmp/volumes/demo" 2>/dev/null || true
  umount "$empty/proc" 2>/dev/null || true
  rm -rf --one-file-system "$empty"
}
trap cleanup EXIT
mkdir "$empty/tmp" "$empty/proc"
chmod 1777 "$empty/tmp"
strip -o "$empty/dvdcli" "$dvdcli"
ln -s dvdcli "$empty/flockercli"
# The local driver reads /proc/self/mountinfo, which every Linux machine has.
mount -t proc proc "$empty/proc"
chroot=$(command -v chroot)
in_empty() { "$chroot" "$empty" /dvdcli "$@"; }

version=$(env -i "$chroot" "$empty" /dvdcli version) || fail "dvdcli version in an empty root"
echo "$version"
grep -q '^SemVer: ' <<<"$version" || fail "dvdcli version prints no SemVer line"
env -i "$chroot" "$empty" /flockercli --version | grep -q '^flockercli ' || fail "flockercli --version in an empty root"
export DVDCLI_LOCAL_ROOT=/tmp/volumes DVDCLI_RUN_DIR=/tmp/run
path=$(in_empty mount --volumedriver=local --volumename=demo --volumeopts=type=tmpfs,device=tmpfs,o=size=4m) ||
  fail "dvdcli mount in an empty root"
grep -q " $empty$path tmpfs " /proc/mounts || fail "$path is not a tmpfs mount"
echo hello >"$empty$path/hello"
[ "$(in_empty path --volumedriver=local --volumename=demo)" = "$path" ] || fail "dvdcli path"
in_empty unmount --volumedriver=local --volumename=demo || fail "dvdcli unmount in an empty root"
! grep -q " $empty$path " /proc/mounts || fail "dvdcli unmount left $path mounted"
in_empty remove --volumedriver=local --volumename=demo || fail "dvdcli remove in an empty root"
[ -z "$(in_empty list --volumedriver=local)" ] || fail "dvdcli list still shows the volume"
echo "test-static: PASS ($((SECONDS - start))s): $(stat -c %s "$empty/dvdcli") bytes stripped, no shared library, runs in an empty root"
