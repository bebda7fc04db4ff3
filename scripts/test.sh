#!/usr/bin/env bash
# The whole test suite from a fresh clone: install packages, build with -Werror, check the
# formatting, run every unit and end-to-end test; then the same suite built with AddressSanitizer
# and UndefinedBehaviorSanitizer (scripts/test-sanitized.sh), and each libFuzzer target for a
# bounded time (scripts/fuzz.sh).
#   VOLUMECLI_FUZZ_SECONDS: seconds per fuzz target (default 60; 0 skips fuzzing).
#   VOLUMECLI_SANITIZED=0: skips the sanitized run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

phase_start=$SECONDS
phase_done() {
  echo "test: $1 took $((SECONDS - phase_start))s"
  phase_start=$SECONDS
}

scripts/install-deps.sh --with-tests
scripts/check-format.sh
BUILD_DIR=${BUILD_DIR:-$root/build} scripts/build.sh -DVOLUMECLI_WERROR=ON -DVOLUMECLI_BUILD_TESTS=ON
ctest --test-dir "${BUILD_DIR:-$root/build}" --output-on-failure -j2 --timeout 300
phase_done "install, format check, build and tests"

if [ "${VOLUMECLI_SANITIZED:-1}" != 0 ]; then
  scripts/test-sanitized.sh
  phase_done "sanitized build and tests"
fi

fuzz_seconds=${VOLUMECLI_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ]; then
  scripts/fuzz.sh "$fuzz_seconds"
  phase_done "fuzzing"
fi
