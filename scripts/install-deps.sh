#!/usr/bin/env bash
# Installs what volumecli needs to build and test, from Debian bookworm's packages only.
# Usage: scripts/install-deps.sh [--with-tests]   (run as root, or with sudo available)
set -euo pipefail

packages=(build-essential cmake pkg-config git ca-certificates
          libcli11-dev libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libssl-dev)
if [ "${1:-}" = "--with-tests" ]; then
  packages+=(catch2 clang-format zsh tmux bash-completion file ccache)
  # libFuzzer and the sanitizer runtimes for clang (scripts/fuzz.sh).
  packages+=(clang-14 libclang-rt-14-dev)
fi

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
