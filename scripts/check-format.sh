#!/usr/bin/env bash
# Checks that every C++ file in the repository is formatted by .clang-format
# (clang-format 14, Debian bookworm's). `--fix` rewrites the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/qwen3-format.$$; then
  grep -o '^[^:]*:[0-9]*:[0-9]*' /tmp/qwen3-format.$$ | cut -d: -f1 | sort -u | sed 's/^/not formatted: /'
  rm -f /tmp/qwen3-format.$$
  echo "check-format: run scripts/check-format.sh --fix" >&2
  exit 1
fi
rm -f /tmp/qwen3-format.$$
echo "check-format: ${#files[@]} files formatted"
