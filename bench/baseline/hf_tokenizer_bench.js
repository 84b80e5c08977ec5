// The baseline: Hugging Face's own tokenizer (the Rust library through its
// official Node binding, npm `tokenizers`) on the same corpus as
// bench_tokenizer. Prints one JSON line: load time, the first (cold) encode and
// the best of later (warm) encodes, both as wall-clock and process CPU time.
// Writes the ids of the corpus to IDS_OUT (for the equality check).
// Usage: RAYON_NUM_THREADS=1 node hf_tokenizer_bench.js TOKENIZER_JSON CORPUS IDS_OUT
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

const [tokenizerJson, corpusFile, idsOut] = process.argv.slice(2);
const text = fs.readFileSync(corpusFile, 'utf8');
const mb = Buffer.byteLength(text) / 1e6;

function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { result, wall, cpu: (c.user + c.system) / 1000 };
}

(async () => {
  const loads = [];
  let tokenizer;
  for (let i = 0; i < 5; i++) {
    const t = timed(() => Tokenizer.fromFile(tokenizerJson));
    tokenizer = t.result;
    loads.push(t);
  }
  loads.sort((a, b) => a.wall - b.wall);
  const encodeOnce = async (tok) => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const enc = await tok.encode(text);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    return { ids: enc.getIds(), wall, cpu: (c.user + c.system) / 1000 };
  };
  // Cold: a fresh tokenizer per run (empty BPE cache); median of 5.
  const cold = [];
  for (let i = 0; i < 5; i++) cold.push(await encodeOnce(Tokenizer.fromFile(tokenizerJson)));
  cold.sort((a, b) => a.wall - b.wall);
  const warm = [];
  for (let i = 0; i < 5; i++) warm.push(await encodeOnce(tokenizer));
  warm.sort((a, b) => a.wall - b.wall);
  fs.writeFileSync(idsOut, JSON.stringify(Array.from(cold[0].ids)) + '\n');
  console.log(JSON.stringify({
    corpus_mb: mb,
    tokens: cold[0].ids.length,
    load_ms_median: loads[2].wall,
    load_cpu_ms_median: loads.map((l) => l.cpu).sort((a, b) => a - b)[2],
    cold_mb_per_s_median: mb / (cold[2].wall / 1000),
    cold_cpu_mb_per_s_median: mb / (cold.map((c) => c.cpu).sort((a, b) => a - b)[2] / 1000),
    warm_mb_per_s_best: mb / (warm[0].wall / 1000),
  }));
})();
