#!/bin/sh
# The package build's check (debian/rules, override_dh_auto_test): the dvdcli just built prints
# its version and creates, lists and removes a volume of the built-in local driver in a
# temporary directory. No mount(2), so no root; a few milliseconds.
# usage: debian/smoke-test.sh PATH/TO/dvdcli
set -eu
dvdcli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "smoke test: $*" >&2; exit 1; }

"$dvdcli" version | grep -q '^SemVer: ' || fail "dvdcli version prints no SemVer line"
export DVDCLI_LOCAL_ROOT="$work/volumes" DVDCLI_RUN_DIR="$work/run"
"$dvdcli" create --volumedriver=local --volumename=smoke >/dev/null || fail "create failed"
[ "$("$dvdcli" list --volumedriver=local)" = smoke ] || fail "list does not print the volume created"
"$dvdcli" remove --volumedriver=local --volumename=smoke || fail "remove failed"
[ -z "$("$dvdcli" list --volumedriver=local)" ] || fail "list still prints the volume removed"
echo "smoke test: dvdcli version, create, list and remove passed"
