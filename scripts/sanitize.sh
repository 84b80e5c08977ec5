#!/usr/bin/env bash
# The sanitizer and fuzzing checks CI runs after the ordinary build
# (.ci/run; docs/reliability.md), one command locally:
#
#   scripts/sanitize.sh [asan] [fuzz] [tsan]     (default: all three, as CI)
#
# asan  one clang build in build-san/ with -fsanitize=address,undefined
#       (-fno-sanitize-recover=undefined) and libFuzzer's coverage
#       instrumentation, -O1 (the kernels -O2, src/kernels/CMakeLists.txt),
#       no benchmarks: the test suite runs there, all but the few cases
#       labelled sanitizer_skip (each with its reason in its CMakeLists.txt).
# fuzz  the same build's fuzz programs, each for $QWEN3_FUZZ_SECONDS (10),
#       $QWEN3_JOBS at a time, from its seed corpus (fuzz/corpus/TARGET, only
#       read) with its dictionary (scripts/fuzz-run.sh); a finding fails the
#       script, the input left in build-san/fuzz-findings/TARGET/.
# tsan  test_server (the scheduler, the HTTP server and their threads)
#       built with -fsanitize=thread in build-tsan/, and its tests run
#       (all but the official clients, TSAN_SKIP).
#
# QWEN3_JOBS (2) sets the build's parallelism. The compiler cache (ccache)
# is used when present.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${QWEN3_JOBS:-2}"
SECONDS_PER_TARGET="${QWEN3_FUZZ_SECONDS:-10}"
STEPS=("$@")
((${#STEPS[@]})) || STEPS=(asan fuzz tsan)
TOKENIZER_DIR="$(./scripts/fetch-tokenizer.sh --print-dir)"
LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1 with line tables: sanitizer reports with file:line, a third of -O2's build time.
COMMON=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
        -DQWEN3_BUILD_BENCH=OFF -DQWEN3_TOKENIZER_DIR="$TOKENIZER_DIR" "${LAUNCHER[@]}")
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"

want() { [[ " ${STEPS[*]} " == *" $1 "* ]]; }

if want asan || want fuzz; then
  echo "sanitize: building build-san (clang, ASan+UBSan, libFuzzer)"
  # -march=native as the ordinary build: the kernel tests expect this
  # machine's kernels (on x86-64-v3, Bf16ActivationsMode falls back to exact
  # products and its tests fail). The portable bundle has its own build
  # (scripts/fuzz-bundle.sh).
  cmake -S . -B build-san "${COMMON[@]}" -DCMAKE_CXX_COMPILER=clang++ -DQWEN3_NATIVE=ON -DCMAKE_CXX_FLAGS= \
    -DQWEN3_SANITIZE=address,undefined -DQWEN3_FUZZ=ON >/dev/null
  if want asan; then
    cmake --build build-san -j"$JOBS"  # the tests, the program they run and the fuzz programs
  else
    cmake --build build-san -j"$JOBS" --target fuzz
  fi
  echo "sanitize: build-san built ($SECONDS s)"
fi

if want asan; then
  echo "sanitize: the test suite under ASan+UBSan"
  # QWEN3_ASAN_SKIP: a CTest regex of tests to leave out (CI time; docs/reliability.md).
  ctest --test-dir build-san --output-on-failure -j"$JOBS" --timeout 600 -LE sanitizer_skip \
    ${QWEN3_ASAN_SKIP:+-E "$QWEN3_ASAN_SKIP"}
fi

if want fuzz; then
  echo "sanitize: each fuzz target for ${SECONDS_PER_TARGET}s"
  ./scripts/fuzz-run.sh --jobs "$JOBS" --build build-san "$SECONDS_PER_TARGET" build-san/fuzz-findings
fi

# Not under TSan: the official clients (node, against a TSan-built `qwen3
# serve`, which this step does not build; the ASan step runs them), and
# AFullQueueIs503WithRetryAfter and Abuse.SlowClientsAndIdleConnectionsDoNotStarveOthers,
# whose httplib::Client::stop() (inline in the test, its mutex locked inside
# Debian's uninstrumented libcpp-httplib) TSan reports as "unlock of an
# unlocked mutex": the test client's, not the server's; the ASan step runs them.
TSAN_SKIP='^(ServerClients\.|Http\.AFullQueueIs503WithRetryAfter$|Abuse\.SlowClientsAndIdleConnectionsDoNotStarveOthers$)'
if want tsan; then
  echo "sanitize: test_server under TSan"
  # clang's libomp tells TSan about its barriers (GCC's libgomp does not).
  cmake -S . -B build-tsan "${COMMON[@]}" -DCMAKE_CXX_COMPILER=clang++ -DQWEN3_SANITIZE=thread >/dev/null
  cmake --build build-tsan -j"$JOBS" --target test_server
  echo "sanitize: build-tsan built ($SECONDS s)"
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp" \
    ctest --test-dir build-tsan/tests/server --output-on-failure -j"$JOBS" --timeout 600 -LE sanitizer_skip -E "$TSAN_SKIP"
fi
echo "sanitize: done ($SECONDS s)"
