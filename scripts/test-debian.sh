#!/usr/bin/env bash
# The Debian packages, built and checked the Debian way (CI runs this after fuzzing):
#   1. the committed tree (plus uncommitted changes to tracked files; never build*/ or .git) is
#      exported with git archive into a fresh Debian bookworm root (debootstrap minbase), its
#      Build-Depends (debian/control) installed there and nothing else, and built with
#      `dpkg-buildpackage -us -uc -b`: so the build needs nothing the control file does not name
#      (cpp-httplib, the test servers' library, is not named: the tests are off);
#   2. lintian --pedantic on the .changes: any error, warning, info, pedantic or experimental tag
#      that is not overridden (debian/*.lintian-overrides) fails;
#   3. in a second fresh root, `apt-get install` of dvdcli and libvolumecli-dev: dvdcli and
#      flockercli run, a volume of the local driver is mounted (tmpfs) and unmounted, the man
#      pages and completions are where man, bash-completion and zsh look, a C++ consumer builds
#      against the library with pkg-config and with CMake using only what the -dev package
#      pulls in; then `dpkg --purge` leaves none of the packages' files behind.
# Needs root (chroot, mount), debootstrap and lintian (scripts/install-deps.sh --with-packaging)
# and network access to a Debian mirror (VOLUMECLI_DEBIAN_MIRROR). The minbase root is made once
# and cached as a tarball (VOLUMECLI_FRESH_CACHE). The .debs are left in $VOLUMECLI_DEBIAN_OUT
# (default build-debian/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mirror=${VOLUMECLI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${VOLUMECLI_FRESH_CACHE:-/tmp/volumecli-fresh/bookworm-minbase.tar}
out=${VOLUMECLI_DEBIAN_OUT:-$root/build-debian}
start=$SECONDS

fail() {
  echo "test-debian: FAIL: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot and mounts)"
for tool in debootstrap lintian git; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --with-packaging)"
done

work=$(mktemp -d /tmp/volumecli-debian-XXXXXX)
roots=()
cleanup() {
  local fresh
  for fresh in "${roots[@]+"${roots[@]}"}"; do
    for mount in dev/pts dev proc sys run; do umount -l "$fresh/$mount" 2>/dev/null || true; done
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# --- a fresh bookworm minbase root, from the cached tarball (made on first use)
if [ ! -f "$cache" ]; then
  echo "test-debian: debootstrap --variant=minbase bookworm (once; cached in $cache)"
  mkdir -p "$(dirname "$cache")"
  debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log"; fail "debootstrap"; }
  tar -C "$work/base" -cf "$cache.partial" . && mv "$cache.partial" "$cache"
  rm -rf --one-file-system "$work/base"
fi
# fresh_root NAME: unpacks the cache into $work/NAME with /proc, /sys, /dev and a network
# configuration; sets $fresh to the root's path (not printed: cleanup must see roots+=).
fresh_root() {
  fresh=$work/$1
  mkdir "$fresh"
  tar -C "$fresh" -xf "$cache"
  cp /etc/resolv.conf "$fresh/etc/resolv.conf"
  mount -t proc proc "$fresh/proc"
  mount --rbind /sys "$fresh/sys"
  mount --rbind /dev "$fresh/dev"
  mount -t tmpfs tmpfs "$fresh/run"
  roots+=("$fresh")
}
# in_root ROOT COMMANDS: runs COMMANDS with bash as root in ROOT, with a clean environment.
in_root() {
  chroot "$1" /usr/bin/env -i HOME=/root TERM=dumb DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -euo pipefail -c "$2"
}

# --- 1. build in a fresh root with only the Build-Depends (VOLUMECLI_DEBIAN_REUSE=1: check the
# packages already in $out instead; for working on the checks below)
if [ "${VOLUMECLI_DEBIAN_REUSE:-0}" = 1 ]; then
  ls "$out"/*.changes >/dev/null 2>&1 || fail "VOLUMECLI_DEBIAN_REUSE=1 but no .changes in $out"
else
  fresh_root builder
  builder=$fresh
  tree=$(git stash create)
  mkdir -p "$builder/build/src"
  git archive "${tree:-HEAD}" | tar -x -C "$builder/build/src"
  echo "test-debian: installing the Build-Depends in a fresh root"
  in_root "$builder" 'apt-get update -qq && apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null &&
    apt-get build-dep -y -qq --no-install-recommends /build/src >/dev/null' >"$work/build-deps.log" 2>&1 ||
    { tail -n 20 "$work/build-deps.log"; fail "installing the Build-Depends"; }
  if in_root "$builder" 'pkg-config --exists cpp-httplib || [ -e /usr/include/httplib.h ]'; then
    fail "cpp-httplib is installed in the build root: the build would not prove it is not needed"
fi
echo "test-debian: dpkg-buildpackage -us -uc -b (tests off, cpp-httplib absent)"
build_start=$SECONDS
in_root "$builder" "cd /build/src && DEB_BUILD_OPTIONS=parallel=$(nproc) dpkg-buildpackage -us -uc -b" \
  >"$work/dpkg-buildpackage.log" 2>&1 || { tail -n 40 "$work/dpkg-buildpackage.log"; fail "dpkg-buildpackage"; }
echo "test-debian: the package build took $((SECONDS - build_start))s"
rm -rf "$out"
mkdir -p "$out"
cp "$builder"/build/*.deb "$builder"/build/*.changes "$builder"/build/*.buildinfo "$out/"
cp "$work/dpkg-buildpackage.log" "$out/"
fi
ls "$out"

# --- 2. lintian: nothing but overridden tags
echo "test-debian: lintian --pedantic"
changes=$(ls "$out"/*.changes)
lintian --pedantic --display-info --display-experimental --tag-display-limit 0 "$changes" >"$work/lintian.log" 2>&1 ||
  true
sed -i '/running with root privileges is not recommended/d' "$work/lintian.log"
if grep -q . "$work/lintian.log"; then
  cat "$work/lintian.log"
  fail "lintian has something to say (fix it, or override it with a comment saying why)"
fi

# --- the binary: hardened (PIE, relro, bindnow, fortify, stack protector; not control flow
# integrity, which bookworm's start files cannot give: debian/rules), stripped, its debug
# symbols in dvdcli-dbgsym, and OpenSSL from Debian's shared libssl3
ls "$out"/dvdcli-dbgsym_*.deb >/dev/null 2>&1 || fail "no dvdcli-dbgsym package"
dpkg-deb -x "$out"/dvdcli_*.deb "$work/unpacked"
binary=$work/unpacked/usr/bin/dvdcli
if command -v hardening-check >/dev/null; then
  hardening-check --nocfprotection "$binary" || fail "hardening-check"
else
    fail "hardening-check is not installed (devscripts; scripts/install-deps.sh --with-packaging)"
fi
readelf -S "$binary" | grep -q '\.debug_info' && fail "dvdcli is not stripped"
readelf -d "$binary" | grep -q 'NEEDED.*\[libssl\.so\.3\]' || fail "dvdcli does not link libssl.so.3"
dpkg-deb -f "$out"/dvdcli_*.deb Depends | grep -q 'libssl3' || fail "dvdcli does not depend on libssl3"

# --- 3. install, use and purge in another fresh root
fresh_root target
target=$fresh
mkdir -p "$target/debs"
cp "$out"/dvdcli_*.deb "$out"/libvolumecli-dev_*.deb "$target/debs/"
cp -r tests/packaging/consumer "$target/consumer"
echo "test-debian: apt-get install ./dvdcli_*.deb ./libvolumecli-dev_*.deb in a fresh root"
in_root "$target" 'apt-get update -qq && apt-get install -y -qq --no-install-recommends \
  bash-completion zsh g++ make cmake pkg-config >/dev/null' >"$work/target-deps.log" 2>&1 ||
  { tail -n 20 "$work/target-deps.log"; fail "installing the consumer's tools"; }
in_root "$target" 'find / -xdev -not -path "/proc/*" -not -path "/tmp/*" -not -path "/debs/*" | sort' \
  >"$work/files-before"
in_root "$target" 'cd /debs && apt-get install -y -qq --no-install-recommends ./dvdcli_*.deb ./libvolumecli-dev_*.deb' \
  >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install of the packages"; }
in_root "$target" 'dpkg -L dvdcli libvolumecli-dev | sort -u' >"$work/package-files"

in_root "$target" '
fail() { echo "FAIL: $*" >&2; exit 1; }
version=$(dvdcli version)
echo "$version" | grep -qx "SemVer: $(dpkg-query -W -f="\${Version}" dvdcli)" || fail "dvdcli version: $version"
flockercli --version | grep -q "^flockercli " || fail "flockercli --version"
export DVDCLI_LOCAL_ROOT=/tmp/volumes
path=$(dvdcli mount --volumedriver=local --volumename=demo --volumeopts=type=tmpfs,device=tmpfs,o=size=4m)
grep -q " $path tmpfs " /proc/mounts || fail "dvdcli mount: $path is not a tmpfs mount"
echo hello >"$path/hello"
dvdcli unmount --volumedriver=local --volumename=demo
! grep -q " $path " /proc/mounts || fail "dvdcli unmount left $path mounted"
dvdcli remove --volumedriver=local --volumename=demo
for file in /usr/share/man/man1/dvdcli.1.gz /usr/share/man/man1/flockercli.1.gz \
  /usr/share/bash-completion/completions/dvdcli /usr/share/bash-completion/completions/flockercli \
  /usr/share/zsh/vendor-completions/_dvdcli; do
  [ -f "$file" ] || fail "$file is not installed"
done
zcat /usr/share/man/man1/dvdcli.1.gz >/tmp/dvdcli.1
grep -q "^\.TH DVDCLI 1" /tmp/dvdcli.1 || fail "dvdcli.1.gz is not the man page"
# bash-completion loads the completion on demand, by the command name.
for command in dvdcli flockercli; do
  bash -c ". /usr/share/bash-completion/bash_completion; _completion_loader $command; complete -p $command" |
    grep -q "$command\$" || fail "bash-completion does not load a completion for $command"
done
zsh -f -c "autoload -Uz compinit; compinit -u -D; [[ \${_comps[dvdcli]} = _dvdcli ]]" ||
  fail "zsh compinit does not find _dvdcli"
echo "--- a consumer of libvolumecli-dev, with pkg-config and with CMake"
mkdir /tmp/empty
c++ -std=c++17 -o /tmp/consumer-pc /consumer/main.cpp $(pkg-config --cflags --libs volumecli)
/tmp/consumer-pc /tmp/empty | grep -q "^volumecli " || fail "pkg-config consumer"
cmake -S /consumer -B /tmp/consumer >/dev/null && cmake --build /tmp/consumer >/dev/null
/tmp/consumer/consumer /tmp/empty | grep -q "^volumecli " || fail "CMake consumer"
pkg-config --variable=URL volumecli >/dev/null
grep -q "^URL: https://github.com/volumecli/" "$(pkg-config --variable=pcfiledir volumecli)/volumecli.pc" ||
  fail "volumecli.pc URL does not name this project"
echo "installed packages work"
' || fail "the installed packages"

echo "test-debian: dpkg --purge"
# The packages, then what apt installed only for them (libssl-dev, libspdlog-dev, ...): the
# root must be file for file as it was before.
in_root "$target" 'dpkg --purge dvdcli libvolumecli-dev >/dev/null
apt-get autoremove --purge -y -qq >/dev/null
for package in dvdcli libvolumecli-dev; do
  status=$(dpkg-query -W -f="\${Status}" "$package" 2>/dev/null || true)
  case $status in "" | *" not-installed") ;; *) echo "$package: $status" >&2; exit 1 ;; esac
done' || fail "dpkg --purge, or a package is left in a state other than not-installed"
in_root "$target" 'find / -xdev -not -path "/proc/*" -not -path "/tmp/*" -not -path "/debs/*" | sort' \
  >"$work/files-after"
left=$(comm -13 "$work/files-before" "$work/files-after")
# What apt and dpkg keep about any package they handled, not files of ours.
left=$(grep -v -e '^/var/lib/apt/' -e '^/var/cache/' -e '^/var/log/' -e '^/var/lib/dpkg/' <<<"$left" || true)
[ -z "$left" ] || fail "left after purge: $left"
while read -r file; do
  [ -d "$target$file" ] || [ ! -e "$target$file" ] || fail "$file is left after purge"
done <"$work/package-files"
echo "test-debian: PASS ($((SECONDS - start))s): built in a fresh root, lintian clean, installed, used and purged"
