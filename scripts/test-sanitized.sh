#!/usr/bin/env bash
# The test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (VOLUMECLI_SANITIZE:
# libraries, dvdcli, the reference plugin, test support and test programs alike) into
# build-asan/ (or $ASAN_BUILD_DIR), run by CTest. Extra arguments go to ctest (e.g. -R unit).
# Any sanitizer report, including a leak at exit, aborts the process that made it, so the test
# fails however it checks exit codes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${ASAN_BUILD_DIR:-$root/build-asan}

BUILD_DIR=$build_dir "$root/scripts/build.sh" -DVOLUMECLI_SANITIZE=ON -DVOLUMECLI_WERROR=ON \
  -DVOLUMECLI_BUILD_TESTS=ON

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
# The packaging tests are left out: they install the (sanitized) library and link a consumer
# project against it without the sanitizer runtimes, which cannot work; they test the install
# layout, which the normal run covers.
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300 -LE packaging "$@"
