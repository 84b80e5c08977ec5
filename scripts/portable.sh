#!/usr/bin/env bash
# The build for any x86-64 (-DQWEN3_NATIVE=OFF: no -march=native, so the
# portable kernels instead of the AVX-512 ones) and the test suite on it,
# in build-portable/. Not part of .ci/run (a second full build would take
# CI past its time budget); run it when changing a kernel or its fallback.
#
#   scripts/portable.sh
#
# QWEN3_JOBS (2) sets the build's parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${QWEN3_JOBS:-2}"
TOKENIZER_DIR="$(./scripts/fetch-tokenizer.sh --print-dir)"
cmake -S . -B build-portable -DCMAKE_BUILD_TYPE=Release -DQWEN3_NATIVE=OFF -DQWEN3_BUILD_BENCH=OFF \
  -DQWEN3_TOKENIZER_DIR="$TOKENIZER_DIR" >/dev/null
cmake --build build-portable -j"$JOBS"
ctest --test-dir build-portable --output-on-failure -j"$JOBS"
