#!/usr/bin/env bash
# The whole test suite from a fresh clone, what a contributor runs before a commit: install
# Debian's packages, check the formatting, build with -Werror, and run every unit and end-to-end
# test with CTest. CI (.ci/run) runs this, then the suite under AddressSanitizer and
# UndefinedBehaviorSanitizer (scripts/test-sanitized.sh) and the fuzzing pass (scripts/fuzz.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

start=$SECONDS
scripts/install-deps.sh --with-tests
scripts/check-format.sh
BUILD_DIR=${BUILD_DIR:-$root/build} scripts/build.sh -DVOLUMECLI_WERROR=ON -DVOLUMECLI_BUILD_TESTS=ON
ctest --test-dir "${BUILD_DIR:-$root/build}" --output-on-failure -j2 --timeout 300
echo "test: install, format check, build and tests took $((SECONDS - start))s"
