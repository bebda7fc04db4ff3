#!/usr/bin/env bash
# The benchmark (issue #5): what one dvdcli invocation costs, against the least any client can do.
# Builds the default dvdcli (shared system libraries, PIE; what the Debian package holds), the
# benchmark plugin, the floor client, the Flocker latency and the worst-case reply programs into
# build-bench/ (or $BENCH_BUILD_DIR), and the fully static dvdcli (-DVOLUMECLI_FULLY_STATIC=ON)
# with its own floor client into build-bench-static/ (or $BENCH_STATIC_BUILD_DIR); runs every
# measure, prints a table and writes it to bench/results.md (or $BENCH_RESULTS). Not part of the
# test suite: it measures, on a quiet machine.
# Usage: scripts/bench.sh        (BENCH_RUNS: invocations per loop, default 300;
#        BENCH_PEER=/path/to/dvdcli adds dvdcli 0.2 (the Go original) as a column: it finds the
#        benchmark plugin through a link /run/docker/plugins/volumecli-bench.sock, so it needs root)
# Like with like: each floor client is linked as the dvdcli it is compared with (bench/CMakeLists.txt).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
results=${BENCH_RESULTS:-$root/bench/results.md}
runs=${BENCH_RUNS:-300}
volumes=10000
concurrent=200

# --- what it needs: the build dependencies, hyperfine and GNU time (Debian packages)
"$root/scripts/install-deps.sh" --with-reference-plugin
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "bench: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- build: the default dvdcli, as the Debian package has it, and the fully static one
fresh=()
[ -f "$build/CMakeCache.txt" ] || fresh=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVOLUMECLI_BUILD_TESTS=OFF)
cmake -S "$root" -B "$build" "${fresh[@]}" -DVOLUMECLI_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target dvdcli volumecli-bench-plugin volumecli-floor-client \
  volumecli-bench-flocker volumecli-bench-measure volumecli-bench-worst-case >/dev/null
dvdcli=$build/cli/dvdcli
floor=$build/bench/volumecli-floor-client
static_build=${BENCH_STATIC_BUILD_DIR:-$root/build-bench-static}
fresh=()
[ -f "$static_build/CMakeCache.txt" ] || fresh=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVOLUMECLI_BUILD_TESTS=OFF)
cmake -S "$root" -B "$static_build" "${fresh[@]}" -DVOLUMECLI_FULLY_STATIC=ON -DVOLUMECLI_BUILD_BENCH=ON >/dev/null
cmake --build "$static_build" -j"$(nproc)" --target dvdcli volumecli-floor-client >/dev/null
static=$static_build/cli/dvdcli
static_floor=$static_build/bench/volumecli-floor-client
peer=${BENCH_PEER:-}
if [ -n "$peer" ]; then
  [ -x "$peer" ] || { echo "bench: BENCH_PEER=$peer is not an executable" >&2; exit 2; }
  [ "$(id -u)" = 0 ] || { echo "bench: BENCH_PEER needs root (dvdcli 0.2 looks only in /run/docker/plugins)" >&2; exit 2; }
  [ ! -e /run/docker/plugins/volumecli-bench.sock ] ||
    { echo "bench: /run/docker/plugins/volumecli-bench.sock exists; remove it first" >&2; exit 2; }
fi

# --- the plugin: on a unix socket in a temporary socket directory, found by discovery as a user's
work=$(mktemp -d /tmp/volumecli-bench-XXXXXX)
plugin_pid=
peer_link=
cleanup() {
  [ -z "$plugin_pid" ] || kill "$plugin_pid" 2>/dev/null || true
  [ -z "$peer_link" ] || rm -f "$peer_link"
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/empty"
socket=$work/plugins/bench.sock
"$build/bench/volumecli-bench-plugin" "$socket" "$work/volumes" "$volumes" &
plugin_pid=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.05; done
[ -S "$socket" ] || { echo "bench: the plugin did not start" >&2; exit 1; }
export DVDCLI_SOCKET_DIR=$work/plugins DVDCLI_SPEC_DIRS=$work/empty
if [ -n "$peer" ]; then
  mkdir -p /run/docker/plugins
  peer_link=/run/docker/plugins/volumecli-bench.sock
  ln -s "$socket" "$peer_link"
fi

# hyperfine -N: RUNS sequential invocations without a shell; prints "total_ms median_ms".
loop() {
  local count=$1
  shift
  hyperfine -N --style none --warmup 10 --runs "$count" --export-csv "$work/run.csv" "$*" >/dev/null 2>&1
  awk -F, -v n="$count" 'NR == 2 { printf "%.1f %.3f\n", $2 * 1000 * n, $4 * 1000 }' "$work/run.csv"
}
# The sequential loops, interleaved: ROUNDS rounds of RUNS/ROUNDS invocations of each command in
# turn, so that a machine getting faster or slower during the run weighs on every command alike.
# Prints one line per command: "total_ms median_ms" (the median of the rounds' medians).
rounds=6
interleaved() {
  local per_round=$((runs / rounds))
  rm -f "$work"/round-*.csv
  for round in $(seq "$rounds"); do
    hyperfine -N --style none --warmup 5 --runs "$per_round" --export-csv "$work/round-$round.csv" "$@" >/dev/null 2>&1
  done
  for index in $(seq "$#"); do
    awk -F, -v row=$((index + 1)) -v n="$per_round" 'FNR == row { total += $2 * 1000 * n; print $4 * 1000 > "/dev/stderr" }
      END { printf "%.1f ", total }' "$work"/round-*.csv 2>"$work/medians"
    sort -n "$work/medians" | awk '{ m[NR] = $1 } END { printf "%.3f\n", (NR % 2) ? m[(NR + 1) / 2] : (m[NR / 2] + m[NR / 2 + 1]) / 2 }'
  done
}
# Peak RSS in KiB of one invocation, the median of 5.
peak_rss() {
  for _ in 1 2 3 4 5; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; done | sort -n | sed -n 3p
}
verdict() { awk -v value="$1" -v limit="$2" 'BEGIN { print (value <= limit) ? "pass" : "FAIL" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $runs sequential invocations each, in $rounds interleaved rounds ..."
commands=("/bin/true" "$floor $socket vol1" "$dvdcli mount --volumedriver=bench --volumename=vol1"
  "$dvdcli path --volumedriver=bench --volumename=vol1")
commands+=("$static mount --volumedriver=bench --volumename=vol1"
  "$static path --volumedriver=bench --volumename=vol1" "$static_floor $socket vol1")
[ -z "$peer" ] || commands+=("$peer mount --volumedriver=volumecli-bench --volumename=vol1")
mapfile -t measured < <(interleaved "${commands[@]}")
read -r true_total true_median <<<"${measured[0]}"
read -r floor_total floor_median <<<"${measured[1]}"
read -r mount_total mount_median <<<"${measured[2]}"
read -r path_total path_median <<<"${measured[3]}"
mount_ratio=$(ratio "$mount_total" "$floor_total")
path_ratio=$(ratio "$path_total" "$floor_total")
mount_true=$(ratio "$mount_total" "$true_total")
floor_true=$(ratio "$floor_total" "$true_total")

echo "bench: peak RSS ..."
rss_kib=$(peak_rss "$dvdcli" mount --volumedriver=bench --volumename=vol1)
floor_rss_kib=$(peak_rss "$floor" "$socket" vol1)
rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.2f", k / 1024 }')
floor_rss_mib=$(awk -v k="$floor_rss_kib" 'BEGIN { printf "%.2f", k / 1024 }')

# The fully static build (-DVOLUMECLI_FULLY_STATIC=ON), against a floor client linked -static.
read -r static_mount_total static_mount_median <<<"${measured[4]}"
read -r static_path_total static_path_median <<<"${measured[5]}"
read -r static_floor_total static_floor_median <<<"${measured[6]}"
static_mount_ratio=$(ratio "$static_mount_total" "$static_floor_total")
static_path_ratio=$(ratio "$static_path_total" "$static_floor_total")
static_rss=$(awk -v k="$(peak_rss "$static" mount --volumedriver=bench --volumename=vol1)" \
  'BEGIN { printf "%.2f", k / 1024 }')
static_floor_rss=$(awk -v k="$(peak_rss "$static_floor" "$socket" vol1)" 'BEGIN { printf "%.2f", k / 1024 }')
static_rows="| static build: \`mount\` x$runs vs the floor client x$runs (both -static) | ${static_mount_total} ms vs ${static_floor_total} ms = **${static_mount_ratio}x** (median ${static_mount_median} vs ${static_floor_median} ms) | <= 1.3x | $(verdict "$static_mount_ratio" 1.3) |
| static build: \`path\` x$runs vs the floor client x$runs | ${static_path_total} ms vs ${static_floor_total} ms = **${static_path_ratio}x** (median ${static_path_median} ms) | <= 1.3x | $(verdict "$static_path_ratio" 1.3) |
| static build: peak RSS of one \`mount\` | **${static_rss} MiB** (floor client ${static_floor_rss} MiB) | <= 3 MiB | $(verdict "$static_rss" 3) |
| start-up cost, default vs static: \`mount\` median, \`path\` median | ${mount_median} vs ${static_mount_median} ms, ${path_median} vs ${static_path_median} ms | - | - |"

echo "bench: list of $volumes volumes ..."
listed=$("$dvdcli" list --volumedriver=bench | wc -l)
[ "$listed" = "$volumes" ] || { echo "bench: list printed $listed names, not $volumes" >&2; exit 1; }
read -r _ list_median < <(loop 50 "$dvdcli" list --volumedriver=bench)

# dvdcli 0.2, when given: the same mount loop (interleaved above) and the same list, side by side.
peer_rows="| \`mount\` and \`list\` vs dvdcli 0.2 | not measured: give its binary as BENCH_PEER=/path/to/dvdcli | <= 0.8x, <= 0.5x | - |"
if [ -n "$peer" ]; then
  echo "bench: dvdcli 0.2 ($peer) ..."
  read -r peer_mount_total peer_mount_median <<<"${measured[${#measured[@]} - 1]}"
  peer_listed=$("$peer" list --volumedriver=volumecli-bench | wc -l)
  read -r _ peer_list_median < <(loop 50 "$peer" list --volumedriver=volumecli-bench)
  peer_mount_ratio=$(ratio "$mount_total" "$peer_mount_total")
  peer_list_ratio=$(ratio "$list_median" "$peer_list_median")
  peer_rows="| \`mount\` x$runs vs dvdcli 0.2 x$runs | ${mount_total} ms vs ${peer_mount_total} ms = **${peer_mount_ratio}x** (median ${mount_median} vs ${peer_mount_median} ms) | <= 0.8x | $(verdict "$peer_mount_ratio" 0.8) |
| \`list\` of $volumes volumes vs dvdcli 0.2 (medians of 50) | ${list_median} ms vs ${peer_list_median} ms (it printed ${peer_listed} lines) = **${peer_list_ratio}x** | <= 0.5x | $(verdict "$peer_list_ratio" 0.5) |"
fi

echo "bench: $concurrent concurrent mounts ..."
concurrent_run() {
  local start end failed=0
  local pids=()
  start=$(date +%s%N)
  for i in $(seq 0 $((concurrent - 1))); do
    "$@" "$i" >/dev/null 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  end=$(date +%s%N)
  echo "$(((end - start) / 1000000)) $failed"
}
mount_concurrent() { "$dvdcli" mount --volumedriver=bench --volumename="vol$1"; }
floor_concurrent() { "$floor" "$socket" "vol$1"; }
read -r concurrent_ms concurrent_failed < <(concurrent_run mount_concurrent)
read -r floor_concurrent_ms _ < <(concurrent_run floor_concurrent)

echo "bench: no plugin, --retry-timeout=0 ..."
set +e
"$dvdcli" mount --volumedriver=absent --volumename=vol1 --retry-timeout=0 >/dev/null 2>&1
absent_status=$?
set -e
hyperfine -N --style none -i --warmup 5 --runs 50 --export-csv "$work/run.csv" \
  "$dvdcli mount --volumedriver=absent --volumename=vol1 --retry-timeout=0" >/dev/null 2>&1
absent_max=$(awk -F, 'NR == 2 { printf "%.2f", $8 * 1000 }' "$work/run.csv")

echo "bench: Flocker mount latency ..."
read -r flocker_median flocker_max < <("$build/bench/volumecli-bench-flocker" "$build/cli/flockercli" 10)

echo "bench: worst-case replies ..."
# One line per case: "name exit wall_ms rss_kib stdout_ok cpu_ms" (bench/worst_case.cpp).
worst=$("$build/bench/volumecli-bench-worst-case" "$build/bench/volumecli-bench-measure" "$dvdcli" "$build/cli/flockercli")
worst_field() { awk -v name="$1" -v field="$2" '$1 == name { print $field }' <<<"$worst"; }
# A table row for case NAME: exit status, wall ms and peak RSS MiB against the caps' promise
# (expected exit EXPECTED, <= 256 MiB, under --timeout=30, stdout as the case expects).
worst_row() {
  local label=$1 name=$2 expected=$3 note=${4:-}
  local status wall rss_kib stdout_ok cpu rss_mib result=FAIL
  read -r _ status wall rss_kib stdout_ok cpu < <(awk -v name="$name" '$1 == name' <<<"$worst")
  rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
  if [ "$status" = "$expected" ] && [ "$stdout_ok" = 1 ] && [ "$rss_kib" -le $((256 * 1024)) ] &&
    awk -v w="$wall" 'BEGIN { exit !(w < 30000) }'; then
    result=pass
  fi
  echo "| $label | exit ${status}, **${wall} ms** (CPU ${cpu} ms), **${rss_mib} MiB**${note} | linear; <= 256 MiB peak RSS, within \`--timeout\`; exit $expected | $result |"
}
flocker_ratio() { ratio "$(worst_field "flocker-$1-2mib" 3)" "$(worst_field "flocker-$1-1mib" 3)"; }
version_before=$(worst_field version-before 4)
version_holding=$(worst_field version-holding-31mib 4)
worst_rows=$(
  worst_row "worst case: \`list\`, 31 MiB List reply (\`{}\` x 10.8 M in one Status)" list-31mib 5
  worst_row "worst case: \`list\`, List of 1,000,000 \`{}\` (prints \`v1\`)" list-1m-values 0
  worst_row "worst case: \`path\`, 31 MiB Get reply (Get cap 1 MiB)" get-31mib 5
  worst_row "worst case: \`flockercli list\`, 1 MiB \`[{},...]\` configuration" flocker-configuration-1mib 5
  worst_row "worst case: \`flockercli list\`, 2 MiB \`[{},...]\` configuration" flocker-configuration-2mib 5 \
    " ($(flocker_ratio configuration)x the 1 MiB time)"
  worst_row "worst case: \`flockercli list\`, 1 MiB \`[{},...]\` state" flocker-state-1mib 5
  worst_row "worst case: \`flockercli list\`, 2 MiB \`[{},...]\` state" flocker-state-2mib 5 \
    " ($(flocker_ratio state)x the 1 MiB time)"
  echo "| worst-case check: peak RSS of \`dvdcli version\` while the benchmark holds the 31 MiB reply vs before | ${version_holding} vs ${version_before} KiB | the benchmark's memory not counted (within 1 MiB) | $([ "$version_holding" -le $((version_before + 1024)) ] && echo pass || echo FAIL) |"
)

# --- the table
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
linked=$({ ldd "$dvdcli" 2>/dev/null || true; } | awk '/=>/ { print $1 }' | tr '\n' ' ')
table=$(cat <<EOF
# volumecli benchmark results

- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r)
- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
- dvdcli: the default build (shared libraries: ${linked:-none}) and the fully static build (\`-DVOLUMECLI_FULLY_STATIC=ON\`, rows "static build"); every other row is the default build
- load: load average ${load_start} when the measures began, $(cut -d' ' -f1-3 /proc/loadavg) when the table was written (1, 5, 15 min; ${BENCH_LOAD_NOTE:-other work on the machine not stopped})
- command: \`scripts/bench.sh\`; times are wall times from hyperfine (no shell), the loops in $rounds interleaved rounds; ratios are what counts

| measure | value | target | result |
|---|---|---|---|
| default build: \`mount\` x$runs vs the floor client x$runs (linked as dvdcli is) | ${mount_total} ms vs ${floor_total} ms = **${mount_ratio}x** (median ${mount_median} vs ${floor_median} ms) | <= 1.3x | $(verdict "$mount_ratio" 1.3) |
| default build: \`path\` x$runs vs the floor client x$runs | ${path_total} ms vs ${floor_total} ms = **${path_ratio}x** (median ${path_median} ms) | <= 1.3x | $(verdict "$path_ratio" 1.3) |
| exec baseline: \`/bin/true\` x$runs | ${true_total} ms (floor ${floor_true}x, \`mount\` ${mount_true}x of it) | - | - |
| default build: peak RSS of one \`mount\` | **${rss_mib} MiB** (floor client ${floor_rss_mib} MiB) | <= 3 MiB | $(verdict "$rss_mib" 3) |
| \`list\` of $volumes volumes (median of 50) | **${list_median} ms** | <= 18 ms | $(verdict "$list_median" 18) |
${peer_rows}
| $concurrent concurrent \`mount\`s of distinct volumes | ${concurrent_ms} ms, ${concurrent_failed} failed (floor client ${floor_concurrent_ms} ms) | all succeed | $([ "$concurrent_failed" = 0 ] && echo pass || echo FAIL) |
| Flocker \`mount\` return after the state shows it mounted (10 runs) | median ${flocker_median} ms, **max ${flocker_max} ms** | <= 250 ms | $(verdict "$flocker_max" 250) |
| no plugin, \`--retry-timeout=0\`: exit status, slowest of 50 | exit ${absent_status}, **${absent_max} ms** | exit 3, < 50 ms | $([ "$absent_status" = 3 ] && verdict "$absent_max" 50 || echo FAIL) |
${static_rows}
${worst_rows}
EOF
)
echo
echo "$table"
echo "$table" >"$results"
echo
echo "bench: written to $results"
