// Builds the tokenizer benchmark corpus (~1 MB, mixed) reproducibly:
//   English prose: the licence texts of Debian's base-files (/usr/share/common-licenses)
//   code:          two libstdc++ 12 headers (bits/stl_algo.h, bits/basic_string.h)
//   CJK:           ~300 KB generated from the Qwen3 vocabulary itself: tokens made
//                  only of CJK ideographs, drawn by a fixed-seed generator and
//                  joined into sentences with CJK punctuation.
// Usage: node make_corpus.js TOKENIZER_JSON OUT_FILE
'use strict';
const fs = require('fs');

const [tokenizerJson, outFile] = process.argv.slice(2);
if (!tokenizerJson || !outFile) {
  console.error('usage: node make_corpus.js TOKENIZER_JSON OUT_FILE');
  process.exit(2);
}

const licences = ['GPL-3', 'GPL-2', 'GPL-1', 'LGPL-3', 'LGPL-2.1', 'LGPL-2', 'GFDL-1.3', 'GFDL-1.2', 'MPL-2.0', 'MPL-1.1',
                  'Apache-2.0', 'Artistic', 'BSD', 'CC0-1.0'];
const prose = licences.map((f) => fs.readFileSync('/usr/share/common-licenses/' + f, 'utf8')).join('\n');
const headers = ['/usr/include/c++/12/bits/stl_algo.h', '/usr/include/c++/12/bits/basic_string.h'];
const code = headers.map((f) => fs.readFileSync(f, 'utf8')).join('\n');

// GPT-2 byte alphabet: token string -> bytes.
const byteOf = new Map();
let next = 256;
for (let b = 0; b < 256; b++) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
  byteOf.set(String.fromCodePoint(printable ? b : next++), b);
}
const vocab = JSON.parse(fs.readFileSync(tokenizerJson, 'utf8')).model.vocab;
const cjkWords = [];
for (const token of Object.keys(vocab).sort((a, b) => vocab[a] - vocab[b])) {
  const bytes = Buffer.from([...token].map((c) => byteOf.get(c) ?? 0));
  const text = bytes.toString('utf8');
  if (/^[\u4e00-\u9fff]+$/u.test(text)) cjkWords.push(text);
}
let seed = 20260101;
const rand = (n) => {  // 32-bit LCG (Numerical Recipes): same corpus everywhere
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
};
let cjk = '';
while (Buffer.byteLength(cjk) < 300000) {
  let sentence = '';
  const words = 4 + rand(12);
  for (let i = 0; i < words; i++) sentence += cjkWords[rand(cjkWords.length)] + (rand(5) === 0 ? '，' : '');
  cjk += sentence + (rand(8) === 0 ? '。\n' : '。');
}

const corpus = prose + '\n' + code + '\n' + cjk + '\n';
fs.writeFileSync(outFile, corpus);
console.error(`corpus: ${Buffer.byteLength(corpus)} bytes (prose ${Buffer.byteLength(prose)}, code ${Buffer.byteLength(code)}, CJK ${Buffer.byteLength(cjk)}; ${cjkWords.length} CJK vocabulary words) -> ${outFile}`);
