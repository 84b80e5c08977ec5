#!/usr/bin/env bash
# install_test.sh MODE CMAKE BUILD_DIR SOURCE_DIR FIXTURE TOKENIZER_DIR CXX [SANITIZE]
# MODE program: install, move the prefix, run the moved program on carried data.
# MODE example: install, build examples/chat against the prefix, run it.
# SANITIZE: the build's QWEN3_SANITIZE (a sanitized build's libraries need
# their user compiled and linked with the same sanitizers, as any user would).
set -euo pipefail
mode=$1 cmake=$2 build=$3 source=$4 fixture=$5 tokenizer=$6 cxx=$7 sanitize=${8:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/qwen3-install-$mode.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "install_test ($mode): $*" >&2; exit 1; }

prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }

for f in bin/qwen3 include/qwen3/engine.h include/qwen3/error.h share/qwen3/models/qwen3-4b/config.json; do
  [ -e "$prefix/$f" ] || fail "$f was not installed"
done
config=$(find "$prefix" -name qwen3Config.cmake | head -n 1)
[ -n "$config" ] || fail "no qwen3Config.cmake installed"

case $mode in
program)
  # A moved prefix: the program can only find its data beside itself
  # (<exe>/../share/qwen3). A model that only the moved copy carries proves it
  # is not read from the source tree or the configured install prefix.
  moved=$work/moved
  mv "$prefix" "$moved"
  mkdir "$moved/share/qwen3/models/install-probe"
  cp "$fixture/config.json" "$moved/share/qwen3/models/install-probe/"
  cd "$work"
  run() { env -u QWEN3_DATA_DIR "$moved/bin/qwen3" "$@"; }
  out=$(run info --model-config install-probe) || fail "info --model-config install-probe failed"
  grep -q '^layers *3$' <<<"$out" || fail "unexpected info for install-probe: $out"
  out=$(run info --model-config qwen3-4b) || fail "info --model-config qwen3-4b failed"
  grep -q '^layers *36$' <<<"$out" || fail "unexpected info for qwen3-4b: $out"
  out=$(run info --model "$fixture") || fail "info --model $fixture failed"
  grep -q '^layers *3$' <<<"$out" || fail "unexpected info for the fixture: $out"
  ;;
example)
  # A separate project that knows only the prefix.
  flags=()
  [ -n "$sanitize" ] && flags=("-DCMAKE_CXX_FLAGS=-fsanitize=$sanitize" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=$sanitize")
  "$cmake" -S "$source/examples/chat" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" "${flags[@]}" >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; fail "configuring examples/chat failed"; }
  grep -q "^qwen3_DIR:PATH=$prefix/" "$work/build/CMakeCache.txt" ||
    fail "find_package(qwen3) did not use the installed package: $(grep '^qwen3_DIR' "$work/build/CMakeCache.txt")"
  "$cmake" --build "$work/build" -j2 >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; fail "building examples/chat failed"; }
  # The fixture may come without a tokenizer: then the fetched one.
  args=("$fixture")
  [ -e "$fixture/tokenizer.json" ] || args+=("$tokenizer")
  cd "$work"
  out=$("$work/build/chat" "${args[@]}") || fail "chat exited with $?: $out"
  echo "$out"
  for line in '== thinking mode' '== non-thinking mode' 'reasoning: ' 'answer: '; do
    grep -q "^$line" <<<"$out" || fail "no '$line' in the output"
  done
  [ "$(grep -c '^reasoning: ' <<<"$out")" -eq 2 ] || fail "expected a reasoning section per mode"
  [ "$(grep -c '^answer: ' <<<"$out")" -eq 2 ] || fail "expected an answer section per mode"
  ;;
*) fail "unknown mode" ;;
esac
echo "install_test ($mode): ok"
