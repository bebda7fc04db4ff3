#!/usr/bin/env bash
# Fails when a C++ source differs from what .clang-format asks for.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
clang_format=$(command -v clang-format || command -v clang-format-14 || true)
if [ -z "$clang_format" ]; then
  echo "check-format: clang-format not installed (scripts/install-deps.sh --with-tests installs it)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' 2>/dev/null || find cli lib plugins-discovery tests bench -name '*.[ch]pp')
bad=()
for file in "${files[@]}"; do
  [ -f "$file" ] || continue
  if ! "$clang_format" --style=file "$file" | cmp -s - "$file"; then
    bad+=("$file")
  fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: these files need clang-format: ${bad[*]}" >&2
  echo "check-format: fix with: clang-format -i ${bad[*]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
