// A load test of `qwen3 serve` (docs/performance.md, "Server"): CLIENTS
// concurrent clients send chat completions (half of them streamed) for
// SECONDS seconds against a server this script starts on 127.0.0.1 and a
// free port; it reports requests, errors by kind (503s are deliberate: the
// queue is bounded), tokens/s and the server's resident memory over time.
//
//   node bench/server_load.mjs QWEN3_BIN MODEL_DIR [CLIENTS=64] [SECONDS=60] [serve flags...]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

const [bin, model, clientsArg = '64', secondsArg = '60', ...flags] = process.argv.slice(2);
if (!bin || !model) {
  console.error('usage: node bench/server_load.mjs QWEN3_BIN MODEL_DIR [CLIENTS] [SECONDS] [serve flags...]');
  process.exit(2);
}
const clients = Number(clientsArg);
const seconds = Number(secondsArg);

const proc = spawn(bin, ['serve', '--model', model, '--port', '0', ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const port = await new Promise((resolve, reject) => {
  proc.stderr.on('data', (d) => {
    log += d;
    const m = log.match(/listening on http:\/\/[\d.]+:(\d+)/);
    if (m) resolve(Number(m[1]));
  });
  proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
});

const rssMiB = () => {
  const m = readFileSync(`/proc/${proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
};

const stats = { ok: 0, busy: 0, errors: 0, tokens: 0, kinds: {} };
const rss = [];
const deadline = Date.now() + seconds * 1000;
const sampler = setInterval(() => rss.push(rssMiB()), 1000);

async function client(i) {
  let n = 0;
  while (Date.now() < deadline) {
    const stream = (i + n) % 2 === 0;
    const body = {
      model: 'm',
      messages: [{ role: 'user', content: `Request ${i}.${n}: tell me something.` }],
      max_tokens: 8 + ((i * 7 + n) % 24),
      stream,
      seed: i * 1000 + n,
    };
    n++;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      if (r.status === 503) {
        stats.busy++;
        await new Promise((res) => setTimeout(res, 200));
        continue;
      }
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${text.slice(0, 200)}`);
      if (stream) {
        if (!text.endsWith('data: [DONE]\n\n')) throw new Error('stream without [DONE]');
        stats.tokens += (text.match(/"delta":\{"(content|reasoning_content)"/g) ?? []).length;
      } else {
        stats.tokens += JSON.parse(text).usage.completion_tokens;
      }
      stats.ok++;
    } catch (e) {
      stats.errors++;
      const kind = String(e.message).slice(0, 60);
      stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1;
    }
  }
}

const t0 = Date.now();
await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
const elapsed = (Date.now() - t0) / 1000;
clearInterval(sampler);
const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
proc.kill('SIGTERM');
const [code] = await once(proc, 'exit');

const third = Math.max(1, Math.floor(rss.length / 3));
const avg = (a) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(JSON.stringify({
  clients, seconds: elapsed, ok: stats.ok, busy_503: stats.busy, errors: stats.errors, error_kinds: stats.kinds,
  requests_per_second: +(stats.ok / elapsed).toFixed(2), streamed_pieces_and_tokens: stats.tokens,
  rss_mib: { first_third: +avg(rss.slice(0, third)).toFixed(1), last_third: +avg(rss.slice(-third)).toFixed(1),
    max: +Math.max(...rss).toFixed(1) },
  server_decode_tokens_per_second: Number((metrics.match(/^qwen3_decode_tokens_per_second (\S+)$/m) ?? [])[1]),
  server_exit: code,
}, null, 1));
