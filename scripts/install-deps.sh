#!/usr/bin/env bash
# Installs what volumecli needs to build, from Debian bookworm's packages only.
# Usage: scripts/install-deps.sh [--with-tests] [--with-reference-plugin] [--with-packaging]
#   (no option)              building dvdcli, flockercli and libvolumecli (tests off)
#   --with-reference-plugin  and the reference plugin (cpp-httplib; scripts/quickstart.sh)
#   --with-tests             and the test suite, formatting check, sanitizers and fuzzing
#   --with-packaging         and the Debian packaging tools (scripts/test-debian.sh, Dockerfile)
# Run as root, or with sudo available.
set -euo pipefail

packages=(build-essential cmake pkg-config git ca-certificates
          libcli11-dev nlohmann-json3-dev libspdlog-dev libssl-dev)
for mode in "$@"; do
  case $mode in
    --with-reference-plugin)
      packages+=(libcpp-httplib-dev)
      ;;
    --with-tests)
      packages+=(libcpp-httplib-dev catch2 clang-format zsh tmux bash-completion file ccache)
      # libFuzzer and the sanitizer runtimes for clang (scripts/fuzz.sh).
      packages+=(clang-14 libclang-rt-14-dev)
      ;;
    --with-packaging)
      packages+=(debhelper devscripts lintian fakeroot debootstrap)
      ;;
    *)
      echo "install-deps: unknown option $mode (--with-tests, --with-reference-plugin, --with-packaging)" >&2
      exit 2
      ;;
  esac
done

sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo=(sudo)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
