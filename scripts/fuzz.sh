#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz/ (or $FUZZ_BUILD_DIR) and runs
# each for a bounded time, from a temporary copy of its committed corpus and with its dictionary.
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]
#   seconds: the argument, else $VOLUMECLI_FUZZ_SECONDS, else 60.
# Fails on the first crash, sanitizer report, leak, per-input timeout or out-of-memory, printing
# the reproducer's path and how to replay it. Coverage and speed of each run are summed up at
# the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-${VOLUMECLI_FUZZ_SECONDS:-60}}
shift || true
build_dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for source in "$root"/fuzz/*_fuzzer.cpp; do
    name=$(basename "$source" _fuzzer.cpp)
    targets+=("$name")
  done
fi

clang_cxx=$(command -v clang++ || command -v clang++-14 || true)
clang_c=$(command -v clang || command -v clang-14 || true)
if [ -z "$clang_cxx" ] || [ -z "$clang_c" ]; then
  echo "fuzz: clang not installed (scripts/install-deps.sh --with-tests installs clang-14)" >&2
  exit 1
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# -Werror is the g++ build's job (scripts/test.sh); clang's extra warnings must not fail fuzzing.
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$clang_cxx" -DCMAKE_C_COMPILER="$clang_c" "${launcher[@]}" \
  -DVOLUMECLI_FUZZ=ON -DVOLUMECLI_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]/%/_fuzzer}"

work=$(mktemp -d "${TMPDIR:-/tmp}/volumecli-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Reproducers outlive the run: they are what a regression test is made from.
artifacts=$build_dir/fuzz-artifacts
mkdir -p "$artifacts"

summary=()
for target in "${targets[@]}"; do
  binary=$build_dir/fuzz/${target}_fuzzer
  corpus=$work/corpus-$target
  mkdir -p "$corpus" "$artifacts/$target"
  cp "$root/fuzz/corpus/$target"/* "$corpus"/
  if [ -d "$root/fuzz/regressions/$target" ]; then
    cp "$root/fuzz/regressions/$target"/* "$corpus"/
  fi
  options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1
           -artifact_prefix="$artifacts/$target/")
  if [ -f "$root/fuzz/$target.dict" ]; then
    options+=(-dict="$root/fuzz/$target.dict")
  fi
  log=$work/$target.log
  echo "fuzz: $target for ${seconds}s"
  if ! ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$binary" "${options[@]}" "$corpus" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "fuzz: $target FAILED; reproducer: ${reproducer:-(none written, see the log above)}" >&2
    if [ -n "$reproducer" ]; then
      echo "fuzz: replay with: $binary $reproducer" >&2
      echo "fuzz: then fix it, and keep it as fuzz/regressions/$target/<what-it-is> (see CONTRIBUTING.md)" >&2
    fi
    exit 1
  fi
  # "#12345 DONE cov: 1234 ft: 2345 corp: 56/7890b lim: ... exec/s: 205 rss: 80Mb"
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  coverage=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corpus_size=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
  echo "fuzz: $target: ${runs:-?} runs, ${speed:-?} exec/s, cov ${coverage:-?}, ft ${features:-?}, corpus ${corpus_size:-?}"
  summary+=("$(printf '%-16s %10s %8s %8s %8s %8s' "$target" "${runs:-?}" "${speed:-?}" "${coverage:-?}" \
    "${features:-?}" "${corpus_size:-?}")")
done

printf '%-16s %10s %8s %8s %8s %8s\n' target runs exec/s cov ft corpus
printf '%s\n' "${summary[@]}"
echo "fuzz: ${#targets[@]} target(s), ${seconds}s each, no crash"
