#!/usr/bin/env bash
# The whole test suite from a fresh clone: install packages, build with -Werror, check the
# formatting, run every unit and end-to-end test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps.sh --with-tests
scripts/check-format.sh
BUILD_DIR=${BUILD_DIR:-$root/build} scripts/build.sh -DVOLUMECLI_WERROR=ON -DVOLUMECLI_BUILD_TESTS=ON
ctest --test-dir "${BUILD_DIR:-$root/build}" --output-on-failure -j2 --timeout 300
