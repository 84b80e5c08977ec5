#!/usr/bin/env bash
# Tokenizer speed against Hugging Face's own tokenizer, in one run on one corpus:
#   bench/tokenizer_vs_hf.sh [BUILD_DIR]      (default build-tok; needs bench_tokenizer and qwen3 built)
# 1. builds the ~0.9 MB mixed corpus (bench/baseline/make_corpus.js);
# 2. runs HF (npm `tokenizers`, the Rust library, one thread) on it: load time,
#    encode throughput, and the ids;
# 3. runs bench_tokenizer (load, cold and warm encode) on it;
# 4. checks that `qwen3 tokenize` gives exactly HF's ids for the whole corpus;
# 5. prints the figures and the ratios.
# Needs node and `npm install --ignore-scripts` in bench/baseline (offline-safe).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build-tok}" && pwd)"
tok_dir="${QWEN3_TOKENIZER_DIR:-$("$here/../scripts/fetch-tokenizer.sh" --print-dir)}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

[ -d "$here/baseline/node_modules/tokenizers" ] || (cd "$here/baseline" && npm install --ignore-scripts --silent)
node "$here/baseline/make_corpus.js" "$tok_dir/tokenizer.json" "$work/corpus.txt"

export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
node "$here/baseline/hf_tokenizer_bench.js" "$tok_dir/tokenizer.json" "$work/corpus.txt" "$work/hf_ids.json" > "$work/hf.json"
QWEN3_TOKENIZER_DIR="$tok_dir" QWEN3_TOKENIZER_CORPUS="$work/corpus.txt" \
  "$build/bench/bench_tokenizer" --benchmark_format=json --benchmark_out="$work/ours.json" --benchmark_out_format=json >/dev/null

"$build/qwen3" tokenize --model "$tok_dir" --json < "$work/corpus.txt" > "$work/our_ids.json"
if cmp -s "$work/our_ids.json" "$work/hf_ids.json"; then ids="identical"; else ids="DIFFERENT"; fi

node - "$work/hf.json" "$work/ours.json" "$ids" <<'JS'
const fs = require('fs');
const [hfFile, oursFile, ids] = process.argv.slice(2);
const hf = JSON.parse(fs.readFileSync(hfFile, 'utf8'));
const ours = JSON.parse(fs.readFileSync(oursFile, 'utf8'));
const bench = (name) => ours.benchmarks.find((b) => b.name.startsWith(name));
const toMs = (b, t) => b[t] * ({ ns: 1e-6, us: 1e-3, ms: 1, s: 1e3 }[b.time_unit]);
const load = bench('BM_Load'), cold = bench('BM_EncodeCold'), warm = bench('BM_EncodeWarm');
const mbs = (b, t) => hf.corpus_mb / (toMs(b, t) / 1000);
const f = (x) => x.toFixed(1);
console.log(`corpus: ${hf.corpus_mb.toFixed(3)} MB, ${hf.tokens} tokens; ids of qwen3 vs HF: ${ids}`);
console.log(`load (ms, wall):          qwen3 ${f(toMs(load, 'real_time'))}  HF ${f(hf.load_ms_median)}  -> ${f(hf.load_ms_median / toMs(load, 'real_time'))}x faster`);
console.log(`load (ms, CPU):           qwen3 ${f(toMs(load, 'cpu_time'))}  HF ${f(hf.load_cpu_ms_median)}  -> ${f(hf.load_cpu_ms_median / toMs(load, 'cpu_time'))}x`);
console.log(`encode cold (MB/s, wall): qwen3 ${f(mbs(cold, 'real_time'))}  HF ${f(hf.cold_mb_per_s_median)}  -> ${f(mbs(cold, 'real_time') / hf.cold_mb_per_s_median)}x`);
console.log(`encode cold (MB/s, CPU):  qwen3 ${f(mbs(cold, 'cpu_time'))}  HF ${f(hf.cold_cpu_mb_per_s_median)}  -> ${f(mbs(cold, 'cpu_time') / hf.cold_cpu_mb_per_s_median)}x`);
console.log(`encode warm (MB/s, wall): qwen3 ${f(mbs(warm, 'real_time'))}  HF ${f(hf.warm_mb_per_s_best)}  -> ${f(mbs(warm, 'real_time') / hf.warm_mb_per_s_best)}x`);
if (ids !== 'identical') process.exit(1);
JS
