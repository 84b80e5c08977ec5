#!/usr/bin/env bash
# Runs the server-abuse mix (scripts/abuse-server.mjs) against `qwen3 serve`
# on the tiny fixture for SECONDS seconds (default 60) and prints the
# server's resident memory at the start, every minute and at the end.
#   scripts/abuse-server.sh [SECONDS] [serve flags...]
# QWEN3_BIN (default build/qwen3) and QWEN3_MODEL (default
# ../shared/fixtures/tiny-qwen3-a) choose the program and the model.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
exec node scripts/abuse-server.mjs "${QWEN3_BIN:-build/qwen3}" "${QWEN3_MODEL:-../shared/fixtures/tiny-qwen3-a}" \
  "$seconds" "$@"
