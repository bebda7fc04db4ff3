#!/usr/bin/env bash
# The quick start: install the packages, build dvdcli, and run it end to end on the embedded
# default, the built-in local driver; then the same through a Docker volume plugin (the
# project's reference plugin on a temporary unix socket).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps.sh --with-reference-plugin
BUILD_DIR=${BUILD_DIR:-$root/build} BUILD_TYPE=Release scripts/build.sh -DVOLUMECLI_BUILD_TESTS=OFF \
  -DVOLUMECLI_BUILD_REFERENCE_PLUGIN=ON
build_dir=${BUILD_DIR:-$root/build}
dvdcli=$build_dir/cli/dvdcli

work=$(mktemp -d /tmp/dvdcli-quickstart.XXXXXX)
plugin_pid=
cleanup() {
  if [ -n "$plugin_pid" ]; then kill "$plugin_pid" 2>/dev/null || true; wait "$plugin_pid" 2>/dev/null || true; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

run() {
  printf '$ %s\n' "dvdcli $*" >&2
  "$dvdcli" "$@"
}

echo "== the built-in local driver (volumes under $work/volumes)" >&2
export DVDCLI_LOCAL_ROOT=$work/volumes
run version
path=$(run mount --volumedriver=local --volumename=demo)
echo "$path"
echo "hello from volumecli" > "$path/hello.txt"
run path --volumedriver=local --volumename=demo
run list --volumedriver=local
run get --volumedriver=local --volumename=demo --format=json
printf '$ %s\n' "DVDI_VOLUME_NAME=demo DVDI_VOLUME_DRIVER=local DVDI_VOLUME_CONTAINERPATH=$work/task dvdcli exec -- cat $work/task/hello.txt" >&2
DVDI_VOLUME_NAME=demo DVDI_VOLUME_DRIVER=local DVDI_VOLUME_CONTAINERPATH="$work/task" \
  "$dvdcli" exec -- cat "$work/task/hello.txt"
run unmount --volumedriver=local --volumename=demo
run remove --volumedriver=local --volumename=demo

echo "== a Docker volume plugin (the reference plugin on $work/plugins/reference.sock)" >&2
mkdir -p "$work/plugins" "$work/plugin-volumes"
"$build_dir/tests/support/volumecli-reference-plugin" --socket "$work/plugins/reference.sock" \
  --root "$work/plugin-volumes" &
plugin_pid=$!
# dvdcli waits for a plugin that is still starting (--retry-timeout), as Docker does.
export DVDCLI_SOCKET_DIR=$work/plugins DVDCLI_SPEC_DIRS=
path=$(run mount --volumedriver=reference --volumename=demo --volumeopts=size=1)
echo "$path"
run capabilities --volumedriver=reference
run unmount --volumedriver=reference --volumename=demo
run remove --volumedriver=reference --volumename=demo
echo "quickstart: volumes mounted, used by a task, unmounted and removed through dvdcli" >&2
