#!/usr/bin/env bash
# Packs the fuzz targets into one folder that runs on another x86-64-v3
# Linux machine with glibc (no compiler, no qwen3 checkout):
#
#   scripts/fuzz-bundle.sh OUT_DIR
#
# It builds fuzz_all in build-fuzz-v3/ (clang, ASan+UBSan, libFuzzer,
# -march=x86-64-v3 rather than this machine's CPU, -O1) and packs it.
#
# OUT_DIR gets fuzz_all (ASan+UBSan+libFuzzer, -march=x86-64-v3), lib/
# (the shared libraries it needs beyond glibc: libstdc++, ICU, PCRE2,
# Highway, simdjson, toml++, libomp, libcurl and its own; libstdc++ is not
# linked statically because the shared C++ libraries need the shared one,
# and exceptions crossing two C++ runtimes abort),
# corpus/ and dict/ (the seeds and dictionaries), data/ (the Qwen3 tokenizer
# and the tiny fixture's config, which the targets read) and fuzz-run.sh.
# Files over 1 MB are gzipped (the bundle is about 25 MB, not 90: ICU's data
# alone is 30 MB); fuzz-run.sh unpacks them in place on its first run.
# There:   ./fuzz-run.sh . SECONDS OUTDIR     (LD_LIBRARY_PATH is set by it)
# fuzz_all is stripped of its line tables: symbolize a report's
# (fuzz_all+0xOFFSET) frames here with
#   llvm-symbolizer-14 --obj=build-fuzz-v3/fuzz/fuzz_all 0xOFFSET
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
OUT="$1"
BUILD="${QWEN3_FUZZ_BUILD:-build-fuzz-v3}"
BIN="$BUILD/fuzz/fuzz_all"
TOKENIZER_DIR="$(./scripts/fetch-tokenizer.sh --print-dir)"
LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# QWEN3_FUZZ_BUILD=DIR: that tree's configuration is kept (it must already be
# an x86-64-v3 fuzz build); only fuzz_all is brought up to date.
[ -n "${QWEN3_FUZZ_BUILD:-}" ] || cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
  -DQWEN3_BUILD_BENCH=OFF -DQWEN3_BUILD_TESTS=OFF -DQWEN3_TOKENIZER_DIR="$TOKENIZER_DIR" "${LAUNCHER[@]}" \
  -DCMAKE_CXX_COMPILER=clang++ -DQWEN3_NATIVE=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3 \
  -DQWEN3_SANITIZE=address,undefined -DQWEN3_FUZZ=ON >/dev/null
grep -q 'CMAKE_CXX_FLAGS:STRING=-march=x86-64-v3' "$BUILD/CMakeCache.txt" ||
  { echo "fuzz-bundle: $BUILD is not an x86-64-v3 build" >&2; exit 2; }
cmake --build "$BUILD" -j"${QWEN3_JOBS:-2}" --target fuzz_all
SHARED="$(grep -oP '^QWEN3_SHARED_DIR:PATH=\K.*' "$BUILD/CMakeCache.txt")"

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/data/tokenizer" "$OUT/data/tiny-qwen3-a"
objcopy --strip-debug "$BIN" "$OUT/fuzz_all"
cp -r fuzz/corpus fuzz/dict "$OUT/"
cp scripts/fuzz-run.sh "$OUT/"
cp "$TOKENIZER_DIR/tokenizer.json" "$TOKENIZER_DIR/tokenizer_config.json" "$OUT/data/tokenizer/"
cp "$SHARED/fixtures/tiny-qwen3-a/"{config.json,dummy.json,generation_config.json} "$OUT/data/tiny-qwen3-a/"

# Every shared library fuzz_all loads, except glibc's own (the machine has those).
ldd "$BIN" | awk '/=> \// {print $1, $3}' | while read -r name path; do
  case "$name" in
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux* | libresolv.so.* | libutil.so.*) ;;
    *) cp -L "$path" "$OUT/lib/$name" ;;
  esac
done
# The bundle alone: every library found inside it.
if LD_LIBRARY_PATH="$OUT/lib" ldd "$OUT/fuzz_all" | grep -q 'not found'; then
  echo "fuzz-bundle: missing libraries:" >&2
  LD_LIBRARY_PATH="$OUT/lib" ldd "$OUT/fuzz_all" | grep 'not found' >&2
  exit 1
fi
find "$OUT" -type f -size +1M -exec gzip -9 {} +
echo "fuzz-bundle: $OUT: $(du -sh "$OUT" | cut -f1) ($(ls "$OUT/lib" | wc -l) libraries: $(ls "$OUT/lib" | tr '\n' ' '))"
