// Differential check against Hugging Face's tokenizer (npm `tokenizers`, the
// Rust library): random texts are encoded by HF one by one, and by `qwen3
// tokenize` all at once, joined with <|endoftext|> (an added token, so each
// text is tokenized independently); the id lists must be equal.
// Usage: node fuzz_vs_hf.js QWEN3_BIN TOKENIZER_DIR [COUNT] [SEED]
// Two kinds of text: words from a pool covering every split-regex case, and
// random code points from all of Unicode (which also shows where the Unicode
// versions of HF's regex engine and ours differ).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { Tokenizer } = require('tokenizers');

const [bin, dir, countArg, seedArg] = process.argv.slice(2);
const count = Number(countArg || 20000);
let seed = Number(seedArg || 1) >>> 0;
const rand = (n) => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
};

const pool = ["hello", "World", "'s", "'T", "'re", "'VE", "'m", "'ll", "'D", "'", "x", "7", "42", ".", ",", "!?",
  "(", "{", "_", "-", "\"", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\u00a0", "\u0085", "\u2028",
  "\u3000", "\u2009", "é", "ß", "ſ", "ǅ", "Ω", "Привет", "مرحبا", "नमस्ते", "ไทย", "中", "文", "ア", "한",
  "\u1100\u1161", "，", "٣", "½", "Ⅻ", "😀", "👍🏽", "❤️", "👨‍👩‍👧", "\u0301", "\u0323", "e\u0301", "\u212b",
  "<|im_start|>", "<think>", "<|im_", "\ufeff", "\u200b", "\u0000", "\u00ad", "\u1df9", "\ud806\udd35\ud806\udd30"];

function poolText() {
  let s = '';
  for (let n = rand(30); n > 0; n--) s += pool[rand(pool.length)];
  return s;
}
function codePointText() {
  let s = '';
  for (let n = rand(12); n > 0; n--) {
    let cp;
    const r = rand(4);
    if (r === 0) cp = rand(0x80);
    else if (r === 1) cp = rand(0x3000);
    else if (r === 2) cp = rand(0x10000);
    else cp = rand(0x110000);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
    s += String.fromCodePoint(cp) + (rand(3) === 0 ? ' ' : '');
  }
  return s;
}

(async () => {
  const tok = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
  const texts = [];
  for (let i = 0; i < count; i++) texts.push(i % 2 ? poolText() : codePointText());
  const expected = [];
  for (const t of texts) expected.push(Array.from((await tok.encode(t)).getIds()));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qwen3-fuzz-'));
  const input = path.join(tmp, 'in.txt');
  fs.writeFileSync(input, texts.join('<|endoftext|>'));
  const out = execFileSync(bin, ['tokenize', '--model', dir, '--json'], { input: fs.readFileSync(input), maxBuffer: 1 << 30 });
  fs.rmSync(tmp, { recursive: true });
  const ours = JSON.parse(out.toString());
  const groups = [[]];
  for (const id of ours) id === 151643 ? groups.push([]) : groups[groups.length - 1].push(id);
  let bad = 0;
  for (let i = 0; i < texts.length; i++) {
    if (JSON.stringify(groups[i]) !== JSON.stringify(expected[i])) {
      if (bad++ < 10) console.log(JSON.stringify({ text: texts[i], hf: expected[i], ours: groups[i] }));
    }
  }
  console.log(`${texts.length} texts, ${bad} differ`);
  process.exit(bad ? 1 : 0);
})();
