#!/usr/bin/env bash
# The quick start: install the packages, build dvdcli, and run it end to end against the
# embedded default driver: the project's reference volume plugin on a temporary unix socket.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-$root/build} BUILD_TYPE=Release scripts/build.sh -DVOLUMECLI_BUILD_TESTS=OFF
build_dir=${BUILD_DIR:-$root/build}
dvdcli=$build_dir/cli/dvdcli

work=$(mktemp -d /tmp/dvdcli-quickstart.XXXXXX)
plugin_pid=
cleanup() {
  if [ -n "$plugin_pid" ]; then kill "$plugin_pid" 2>/dev/null || true; wait "$plugin_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/plugins" "$work/volumes"
"$build_dir/tests/support/volumecli-reference-plugin" --socket "$work/plugins/reference.sock" --root "$work/volumes" &
plugin_pid=$!
# dvdcli itself waits for a plugin that is still starting (--retry-timeout), as Docker does.
export DVDCLI_SOCKET_DIR=$work/plugins DVDCLI_SPEC_DIRS=

run() {
  printf '$ %s\n' "dvdcli $*" >&2
  "$dvdcli" "$@"
}

run version
path=$(run mount --volumedriver=reference --volumename=demo --volumeopts=size=1)
echo "$path"
echo "hello from volumecli" > "$path/hello.txt"
run path --volumedriver=reference --volumename=demo
run list --volumedriver=reference
run get --volumedriver=reference --volumename=demo --format=json
run unmount --volumedriver=reference --volumename=demo
run remove --volumedriver=reference --volumename=demo
echo "quickstart: mounted, wrote $path/hello.txt, unmounted and removed volume \"demo\" through dvdcli"
