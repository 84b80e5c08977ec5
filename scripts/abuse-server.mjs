// The server under abuse for SECONDS seconds (docs/reliability.md, "Server
// under abuse"): starts `qwen3 serve` on 127.0.0.1 and a free port, then runs
// at once: 500 slow clients (one byte a second) and 200 idle connections,
// request lines of 200 MB, 1 GiB bodies announced by
// Content-Length, chunked and length-less bodies, invalid UTF-8 and deeply
// nested JSON, connections opened and dropped (10,000 a round), streams the
// client abandons mid-way, and normal chat completions whose latency is
// measured. It prints the server's resident memory at the start, every
// minute and at the end, and fails if the server stops answering, leaks a
// slot or answers a normal request with anything but 200.
//
//   node scripts/abuse-server.mjs QWEN3_BIN MODEL_DIR [SECONDS=60] [serve flags...]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const [bin, model, secondsArg = '60', ...flags] = process.argv.slice(2);
if (!bin || !model) {
  console.error('usage: node scripts/abuse-server.mjs QWEN3_BIN MODEL_DIR [SECONDS] [serve flags...]');
  process.exit(2);
}
const seconds = Number(secondsArg);
const proc = spawn(bin, ['serve', '--model', model, '--port', '0', '--log-format', 'json', ...flags], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
const port = await new Promise((resolve, reject) => {
  proc.stderr.on('data', (d) => {
    if (log.length < 100000) log += d;
    const m = log.match(/listening on http:\/\/[\d.]+:(\d+)/);
    if (m) resolve(Number(m[1]));
  });
  proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
});
proc.stderr.removeAllListeners('data');
proc.stderr.resume(); // the request log is read and dropped
let exited = null;
proc.on('exit', (code, signal) => (exited = signal ?? code));

const rssMiB = () => {
  const m = readFileSync(`/proc/${proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
};
const start = Date.now();
const elapsed = () => ((Date.now() - start) / 1000).toFixed(0);
const deadline = start + seconds * 1000;
const running = () => Date.now() < deadline && exited === null;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const counts = {};
const count = (k) => (counts[k] = (counts[k] ?? 0) + 1);
const failures = [];
const fail = (what) => {
  if (failures.length < 20) failures.push(`${elapsed()} s: ${what}`);
};

// One raw exchange: writes `chunks` (strings or Buffers, `gap` ms apart),
// resolves with what came back before the server closed or `timeout` passed.
function exchange(chunks, { gap = 0, timeout = 10000, closeAfterFirstData = false } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(finish, timeout);
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (closeAfterFirstData && out.includes('data: ')) finish();
    });
    s.on('error', finish);
    s.on('close', finish);
    s.on('connect', async () => {
      for (const c of chunks) {
        if (done) return;
        s.write(c);
        if (gap) await sleep(gap);
      }
    });
  });
}
const statusOf = (r) => (r.startsWith('HTTP/1.1 ') ? Number(r.slice(9, 12)) : 0);
const post = (path, body, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
const chat = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8, seed: 1 });

async function http(path, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, body ? { method: 'POST', body } : {});
  return { status: res.status, text: await res.text() };
}

// Normal clients: their latency is the measure of starvation.
const latencies = [];
async function normal() {
  while (running()) {
    const t = Date.now();
    try {
      const r = await http('/v1/chat/completions', chat);
      if (r.status === 200) latencies.push(Date.now() - t);
      else fail(`normal request: ${r.status} ${r.text.slice(0, 120)}`);
      count(`normal ${r.status}`);
    } catch (e) {
      fail(`normal request: ${e.message} (${e.cause?.code ?? e.cause?.message ?? ""})`);
    }
  }
}

// Slow clients: one byte a second of a valid request (answered 408 when
// --request-timeout passes before it is whole).
async function slow() {
  while (running()) {
    const bytes = [...(post('/v1/chat/completions', chat) + chat)];
    const r = await exchange(bytes, { gap: 1000, timeout: Math.max(1000, deadline - Date.now()) });
    count(statusOf(r) ? `slow ${statusOf(r)}` : 'slow unfinished');
    if (statusOf(r) === 503) count(`slow 503: ${(r.match(/"message":"([^"]*)"/) ?? [])[1]}`);
  }
}

// The connections the server holds, sampled every second.
let openMax = 0;
async function connections() {
  while (running()) {
    try {
      const m = (await http('/metrics')).text.match(/qwen3_connections_open (\d+)/);
      if (m) openMax = Math.max(openMax, Number(m[1]));
    } catch (e) {
      fail(`/metrics: ${e.message} (${e.cause?.code ?? e.cause?.message ?? ""})`);
    }
    await sleep(1000);
  }
}

// Idle connections: connected, saying nothing (closed by the server after 5 s).
async function idle() {
  while (running()) {
    await exchange([], { timeout: Math.max(1000, deadline - Date.now()) });
    count('idle closed');
  }
}

// A request line of 200 MB, sent as fast as the server takes it: refused
// with 414 once it passes 8 KiB; the server's memory must not follow it.
const longLineGrowth = [];
async function longLine() {
  const chunk = Buffer.alloc(1 << 20, 'a');
  while (running()) {
    const before = rssMiB();
    let peak = before;
    const r = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let out = '';
      let sent = 0;
      const finish = () => {
        s.destroy();
        resolve(out);
      };
      s.on('data', (d) => (out += d.toString('latin1')));
      s.on('error', finish);
      s.on('close', finish);
      const pump = () => {
        while (sent < 200 << 20 && !s.destroyed) {
          peak = Math.max(peak, rssMiB());
          sent += chunk.length;
          if (!s.write(sent === chunk.length ? Buffer.concat([Buffer.from('GET /'), chunk]) : chunk)) return;
        }
        if (!s.destroyed) s.end();
      };
      s.on('drain', pump);
      s.on('connect', pump);
    });
    peak = Math.max(peak, rssMiB());
    longLineGrowth.push(peak - before);
    if (peak - before > 64) fail(`a 200 MB request line grew the server by ${(peak - before).toFixed(1)} MiB`);
    count(statusOf(r) ? `long line ${statusOf(r)}` : 'long line reset before the answer');
    await sleep(5000);
  }
}

// Bodies that must be refused before they are read, and malformed JSON.
async function refused() {
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const cases = [
    [[post('/v1/chat/completions', '').replace('Content-Length: 0', 'Content-Length: 1073741824'), 'x'.repeat(1 << 20)], 413],
    [['POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', '100000\r\n' + 'x'.repeat(1 << 16)], 411],
    [['POST /api/chat HTTP/1.1\r\nHost: x\r\n\r\n{}'], 411],
    [[post('/v1/chat/completions', 'x'.repeat(20)), Buffer.from('{"messages": "\xff\xfe\xc3\x28"}'.padEnd(20), 'latin1')], 400],
    [[post('/v1/chat/completions', deep) + deep], 400],
    [[post('/api/chat', `{"messages": [{"role": "user", "content": ${deep}}]}`) + `{"messages": [{"role": "user", "content": ${deep}}]}`], 400],
  ];
  while (running()) {
    for (const [chunks, want] of cases) {
      // (The body, if any, follows the headers a second later: the answer
      // has come by then, and the server closes the connection unread; sent
      // at once, the client may see the reset before the answer.)
      const r = await exchange(chunks, { gap: 1000, timeout: 10000 });
      if (statusOf(r) !== want) fail(`expected ${want}, got: ${r.slice(0, 120)}`);
      count(`refused ${statusOf(r)}`);
    }
  }
}

// Connections opened and dropped, 10,000 a round, some with half a request.
async function churn() {
  while (running()) {
    const batch = [];
    for (let i = 0; i < 10000 && running(); i++) {
      batch.push(
        new Promise((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            if (i % 3 === 1) s.write('GET /heal');
            if (i % 3 === 2) s.write('POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{');
            s.destroy();
            resolve();
          });
          s.on('error', resolve);
        }),
      );
      if (batch.length >= 200) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    count('churn rounds');
  }
}

// Streams abandoned after their first event; afterwards no slot may stay held.
async function abandon() {
  const body = JSON.stringify({ prompt: 'x', max_tokens: 30000, ignore_eos: true, repetition_guard: 0, stream: true });
  while (running()) {
    const r = await exchange([post('/v1/completions', body) + body], { closeAfterFirstData: true, timeout: 10000 });
    count(r.includes('data: ') ? 'abandoned streams' : 'abandon: no stream');
    await sleep(200);
  }
}

const rss = [];
const report = (label) => {
  const v = rssMiB();
  rss.push(v);
  console.log(`${label.padEnd(8)} t=${elapsed().padStart(4)} s  RSS ${v.toFixed(1)} MiB`);
};
report('start');
const minutes = setInterval(() => report('minute'), 60000);
// ABUSE_ONLY=normal,slow,... runs only those parts of the mix.
const only = process.env.ABUSE_ONLY ? process.env.ABUSE_ONLY.split(',') : null;
const part = (name, n, f) => (only && !only.includes(name) ? [] : Array.from({ length: n }, f));
const tasks = [
  ...part('normal', 4, normal),
  ...part('slow', 500, slow),
  ...part('idle', 200, idle),
  ...part('longLine', 1, longLine),
  ...part('connections', 1, connections),
  ...part('refused', 1, refused),
  ...part('churn', 1, churn),
  ...part('abandon', 1, abandon),
];
await Promise.all(tasks);
clearInterval(minutes);
// Every slot free again: nothing running once the abandoned streams are cancelled.
let metrics = '';
for (let i = 0; i < 100 && exited === null; i++) {
  metrics = (await http('/metrics')).text;
  if (/qwen3_requests_running 0\b/.test(metrics)) break;
  await sleep(100);
}
if (!/qwen3_requests_running 0\b/.test(metrics)) fail('slots still held at the end');
report('end');
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
console.log(`normal requests: ${latencies.length}, latency p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`);
console.log(`counts: ${JSON.stringify(counts)}`);
console.log(`cancelled: ${(metrics.match(/qwen3_requests_cancelled_total (\d+)/) ?? [])[1]}`);
console.log(`connections open: at most ${openMax} (sampled every second)`);
console.log(`200 MB request lines: ${longLineGrowth.length}, server RSS growth max ${Math.max(...longLineGrowth).toFixed(1)} MiB`);
console.log(`RSS MiB: min ${Math.min(...rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)}`);
if (exited !== null) fail(`the server exited: ${exited}`);
proc.kill('SIGTERM');
for (const f of failures) console.log(`FAIL ${f}`);
process.exit(failures.length ? 1 : 0);
