#!/usr/bin/env bash
# Runs every fuzz target (docs/reliability.md) for a while and collects the
# figures and any findings:
#
#   scripts/fuzz-run.sh [--jobs N] BUNDLE_DIR SECONDS OUTDIR      (a folder from scripts/fuzz-bundle.sh)
#   scripts/fuzz-run.sh [--jobs N] --build BUILD_DIR SECONDS OUTDIR   (a QWEN3_FUZZ=ON build tree)
#
# Each target is one fuzz_all process (QWEN3_FUZZ_TARGET=NAME) with
# -runs=10000000 -max_total_time=SECONDS, on a working copy of its seed
# corpus (the seeds are only read) with its dictionary; N at a time (default:
# all at once). OUTDIR/TARGET/ gets the log, the working corpus and any
# crash-*, leak-*, timeout-*, oom-* input; OUTDIR/summary.tsv and
# summary.md the executions, exec/s, coverage (edges, features), corpus
# size and findings per target. Exit status 1 when anything was found.
set -euo pipefail
JOBS=0
if [ "${1:-}" = "--jobs" ]; then JOBS="$2"; shift 2; fi
if [ "${1:-}" = "--build" ]; then
  BUILD="$(cd "$2" && pwd)"; shift 2
  SRC="$(cd "$(dirname "$0")/.." && pwd)"
  BIN="$BUILD/fuzz/fuzz_all" CORPUS="$SRC/fuzz/corpus" DICTS="$SRC/fuzz/dict"
else
  [ $# -ge 1 ] || { echo "usage: $0 [--jobs N] BUNDLE_DIR|--build BUILD_DIR SECONDS OUTDIR" >&2; exit 2; }
  BUNDLE="$(cd "$1" && pwd)"; shift
  BIN="$BUNDLE/fuzz_all" CORPUS="$BUNDLE/corpus" DICTS="$BUNDLE/dict"
  # scripts/fuzz-bundle.sh gzipped the big files: unpacked here once.
  find "$BUNDLE" -type f -name '*.gz' | while read -r f; do
    if [ ! -e "${f%.gz}" ]; then gzip -dc "$f" >"${f%.gz}.part" && mv "${f%.gz}.part" "${f%.gz}"; fi
  done
  chmod +x "$BIN"
  export LD_LIBRARY_PATH="$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
[ $# -eq 2 ] || { echo "usage: $0 [--jobs N] BUNDLE_DIR|--build BUILD_DIR SECONDS OUTDIR" >&2; exit 2; }
SECS="$1"
mkdir -p "$2"
OUT="$(cd "$2" && pwd)"
[ -x "$BIN" ] || { echo "fuzz-run: no $BIN" >&2; exit 2; }

# The dictionary of each target (fuzz/dict).
dict_of() {
  case "$1" in
    tokenizer_encode) echo tokenizer ;;
    chat_request | tokenizer_config) echo chat ;;
    server_request) echo server ;;
    tokenizer_json) echo tokenizer_json ;;
    model_config | generation_config | safetensors | safetensors_index) echo config ;;
    settings_toml) echo toml ;;
    gguf) echo gguf ;;
    ollama_manifest) echo ollama ;;
    *) echo "" ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
TARGETS=()
for d in "$CORPUS"/*/; do TARGETS+=("$(basename "$d")"); done

run_one() {
  local t="$1" dir="$OUT/$1" dict
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/tmp"
  dict="$(dict_of "$t")"
  local args=("$dir/corpus" "$CORPUS/$t" -runs=10000000 -max_total_time="$SECS" -print_final_stats=1
              -timeout=30 -rss_limit_mb=4096 -artifact_prefix="$dir/")
  [ -n "$dict" ] && args+=(-dict="$DICTS/$dict.dict")
  local rc=0
  # The targets write each input to a file (the parsers read files): in
  # memory (/dev/shm) when there is one, as on disk truncating a file costs
  # milliseconds and the executions drop tenfold.
  local tmp="$dir/tmp"
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then tmp="$(mktemp -d /dev/shm/qwen3-fuzz-"$t".XXXXXX)"; fi
  QWEN3_FUZZ_TARGET="$t" TMPDIR="$tmp" nice -n 10 "$BIN" "${args[@]}" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/status"
  rm -rf "$dir/tmp" "$tmp"
}

echo "fuzz-run: ${#TARGETS[@]} targets, ${SECS}s each, $([ "$JOBS" -gt 0 ] && echo "$JOBS at a time" || echo "all at once") -> $OUT"
running=0
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$JOBS" -gt 0 ] && [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

stat() { grep -o "^stat::$1: *[0-9]*" "$2" | tail -1 | grep -o '[0-9]*$' || echo 0; }
found=0
printf 'target\texecutions\texec_per_s\tedges\tfeatures\tcorpus\tseconds\tstatus\tfindings\n' >"$OUT/summary.tsv"
{
  echo "| target | executions | exec/s | edges (cov) | features (ft) | corpus | status | findings |"
  echo "|---|---:|---:|---:|---:|---:|---|---|"
} >"$OUT/summary.md"
for t in "${TARGETS[@]}"; do
  log="$OUT/$t/log"
  execs="$(stat number_of_executed_units "$log")"
  rate="$(stat average_exec_per_sec "$log")"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo 0)"
  ft="$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo 0)"
  corp="$(find "$OUT/$t/corpus" -type f | wc -l)"
  findings="$(cd "$OUT/$t" && ls -1 crash-* leak-* timeout-* oom-* slow-unit-* 2>/dev/null | tr '\n' ' ' || true)"
  status="$(cat "$OUT/$t/status")"
  if [ -n "$findings" ] || [ "$status" != 0 ]; then found=1; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$execs" "$rate" "$cov" "$ft" "$corp" "$SECS" "$status" "$findings" >>"$OUT/summary.tsv"
  echo "| $t | $execs | $rate | $cov | $ft | $corp | $status | ${findings:-none} |" >>"$OUT/summary.md"
done
column -t -s $'\t' "$OUT/summary.tsv"
if [ "$found" != 0 ]; then
  echo "fuzz-run: FINDINGS (see $OUT/TARGET/log and the inputs beside it)" >&2
  exit 1
fi
echo "fuzz-run: no findings"
