// qwen3 serve driven by the official clients (the `openai` and `ollama` npm
// packages pinned in package.json). Run by CTest, one case per test:
//   node clients.mjs CASE
// with QWEN3_BIN (the qwen3 program) and QWEN3_SHARED_DIR (the fixtures) in
// the environment. Each case starts `qwen3 serve` on fixture tiny-qwen3-a on
// 127.0.0.1 and a free port, talks to nothing else, and stops it (SIGTERM:
// it must drain and exit 0). The whole run is bounded in time.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import path from 'node:path';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { Ollama } from 'ollama';

const BIN = process.env.QWEN3_BIN;
const SHARED = process.env.QWEN3_SHARED_DIR;
if (!BIN || !SHARED) throw new Error('QWEN3_BIN and QWEN3_SHARED_DIR must be set (run through ctest)');
const MODEL = path.join(SHARED, 'fixtures', 'tiny-qwen3-a');
const THINK_START = 151667;
const THINK_END = 151668;

let server = null;
const watchdog = setTimeout(() => {
  console.error('clients.mjs: time limit reached');
  if (server) server.proc.kill('SIGKILL');
  process.exit(3);
}, 240_000);

async function startServer(args = []) {
  const proc = spawn(BIN, ['serve', '--model', MODEL, '--host', '127.0.0.1', '--port', '0', '--threads', '2', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`qwen3 serve exited (${code}) before listening:\n${log}`)));
  });
  server = {
    proc,
    port,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      const [code] = await once(proc, 'exit');
      assert.equal(code, 0, `qwen3 serve exited with ${code} after SIGTERM:\n${log}`);
    },
  };
  return server;
}

const openai = (s, key = 'none') =>
  new OpenAI({ baseURL: `http://127.0.0.1:${s.port}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
const ollama = (s) => new Ollama({ host: `http://127.0.0.1:${s.port}` });
const hi = [{ role: 'user', content: 'Hi' }];

// Concatenates a chat stream's deltas.
async function collect(stream) {
  const out = { reasoning: '', content: '', finish: null, usage: null, chunks: 0, toolCalls: [] };
  for await (const chunk of stream) {
    out.chunks++;
    if (chunk.usage) out.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    out.reasoning += choice.delta.reasoning_content ?? '';
    out.content += choice.delta.content ?? '';
    for (const call of choice.delta.tool_calls ?? []) out.toolCalls.push(call);
    if (choice.finish_reason) out.finish = choice.finish_reason;
  }
  return out;
}

// A seed whose reply has both reasoning and an answer: the tiny random model
// rarely writes <think> ... </think> by itself, so the two tags are favoured
// with logit_bias (about as likely as its best token), sampled from the
// whole distribution, and the seeds tried in turn.
const THINK_BIAS = { [THINK_START]: 41, [THINK_END]: 40 };
const THINK = { logit_bias: THINK_BIAS, temperature: 1, top_p: 1, top_k: 0 };
async function seedWithReasoning(client) {
  for (let seed = 1; seed <= 60; seed++) {
    const r = await client.chat.completions.create({ model: 'm', messages: hi, max_tokens: 24, seed, ...THINK });
    const m = r.choices[0].message;
    if (m.reasoning_content && m.content) return { seed, message: m, usage: r.usage };
  }
  throw new Error('no seed in 1..60 gave both reasoning and content');
}

const cases = {
  // chat.completions.create in both modes, not streaming; the reasoning in reasoning_content.
  async 'openai-chat'() {
    const s = await startServer();
    const c = openai(s);
    const models = await c.models.list();
    assert.equal(models.data[0].id, 'tiny-qwen3-a');
    const thinking = await c.chat.completions.create({ model: 'tiny-qwen3-a', messages: hi, max_tokens: 8, seed: 1 });
    assert.equal(thinking.object, 'chat.completion');
    assert.equal(thinking.choices[0].message.role, 'assistant');
    assert.equal(thinking.usage.completion_tokens, 8);
    assert.equal(typeof thinking.usage.completion_tokens_details.reasoning_tokens, 'number');
    const plain = await c.chat.completions.create({
      model: 'tiny-qwen3-a', messages: hi, max_tokens: 8, seed: 1, chat_template_kwargs: { enable_thinking: false },
    });
    assert.equal(plain.choices[0].message.reasoning_content, null);
    assert.equal(plain.usage.completion_tokens_details.reasoning_tokens, 0);
    const none = await c.chat.completions.create({ model: 'm', messages: hi, max_tokens: 8, seed: 1, reasoning_effort: 'none' });
    assert.equal(none.choices[0].message.content, plain.choices[0].message.content);
    const { message, usage } = await seedWithReasoning(c);
    assert.ok(!message.content.includes('</think>'));
    assert.ok(usage.completion_tokens_details.reasoning_tokens > 0);
    await s.stop();
  },

  // Streaming: the deltas add up to the non-streamed reply, reasoning apart.
  async 'openai-stream'() {
    const s = await startServer();
    const c = openai(s);
    const { seed, message } = await seedWithReasoning(c);
    const stream = await c.chat.completions.create({
      model: 'm', messages: hi, max_tokens: 24, seed, ...THINK, stream: true,
      stream_options: { include_usage: true },
    });
    const got = await collect(stream);
    assert.equal(got.reasoning, message.reasoning_content);
    assert.equal(got.content, message.content);
    assert.ok(got.usage && got.usage.completion_tokens === 24);
    assert.ok(['length', 'stop'].includes(got.finish));
    // Non-thinking mode, streamed.
    const plain = await collect(await c.chat.completions.create({
      model: 'm', messages: hi, max_tokens: 6, seed: 2, stream: true, chat_template_kwargs: { enable_thinking: false },
    }));
    assert.equal(plain.reasoning, '');
    assert.ok(plain.content.length > 0);
    await s.stop();
  },

  // The server's reasoning and content equal `qwen3 generate --json` for the same request.
  async 'openai-equals-generate'() {
    const s = await startServer();
    const c = openai(s);
    for (const think of [true, false]) {
      // (Asynchronously: a blocked event loop would keep a connection the server has closed.)
      const { stdout } = await promisify(execFile)(BIN, [
        'generate', '--model', MODEL, '--threads', '2', '--prompt', 'Why is the sky blue?', '--seed', '42',
        '--max-new-tokens', '20', think ? '--think' : '--no-think', '--json',
      ], { encoding: 'utf8' });
      const cli = JSON.parse(stdout);
      const r = await c.chat.completions.create({
        model: 'm', messages: [{ role: 'user', content: 'Why is the sky blue?' }], max_tokens: 20, seed: 42,
        chat_template_kwargs: { enable_thinking: think },
      });
      assert.equal(r.choices[0].message.content, cli.content);
      assert.equal(r.choices[0].message.reasoning_content ?? '', cli.reasoning);
      assert.equal(r.usage.completion_tokens, cli.usage.generated_tokens);
    }
    await s.stop();
  },

  // Tools go through the template; a <tool_call> block becomes tool_calls.
  async 'openai-tools'() {
    const s = await startServer();
    const c = openai(s);
    const tools = [{
      type: 'function',
      function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    }];
    // The tiny model cannot call tools by itself: the test ends its answer
    // with a stop string and checks the request path; the parsing of real
    // calls is tested in C++ (tool_calls_test.cpp) and through the prompt here.
    const tok = await fetch(`http://127.0.0.1:${s.port}/tokenize`, {
      method: 'POST', body: JSON.stringify({ messages: hi, tools }),
    }).then((r) => r.json());
    const prompt = await fetch(`http://127.0.0.1:${s.port}/detokenize`, {
      method: 'POST', body: JSON.stringify({ tokens: tok.tokens }),
    }).then((r) => r.json());
    assert.ok(prompt.content.includes('get_weather'), 'the template renders the tools');
    const r = await c.chat.completions.create({ model: 'm', messages: hi, tools, max_tokens: 5, seed: 3 });
    assert.ok(['length', 'stop', 'tool_calls'].includes(r.choices[0].finish_reason));
    // A tool result continues the conversation.
    const follow = await c.chat.completions.create({
      model: 'm', max_tokens: 4, seed: 3, tools,
      messages: [
        ...hi,
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
      ],
    });
    assert.equal(follow.choices[0].message.role, 'assistant');
    await s.stop();
  },

  // Errors reach the client as APIError with the status and the field.
  async 'openai-errors'() {
    const s = await startServer(['--api-key', 'k3y']);
    await assert.rejects(openai(s, 'wrong').models.list(), (e) => e.status === 401);
    const c = openai(s, 'k3y');
    await assert.rejects(
      c.chat.completions.create({ model: 'm', messages: hi, temperature: -1 }),
      (e) => e.status === 400 && e.error?.param === 'temperature' || e.param === 'temperature',
    );
    await assert.rejects(c.chat.completions.create({ model: 'm', messages: hi, n: 3 }), (e) => e.status === 400);
    await assert.rejects(
      c.chat.completions.create({ model: 'm', messages: hi, max_tokens: 1_000_000 }),
      (e) => e.status === 400 && /context of/.test(e.message),
    );
    await s.stop();
  },

  // Aborting a stream frees the slot: with one slot, the next request still runs.
  async 'openai-abort'() {
    const s = await startServer(['--parallel', '1', '--queue', '0']);
    const c = openai(s);
    const controller = new AbortController();
    const stream = await c.chat.completions.create(
      { model: 'm', messages: hi, max_tokens: 30000, stream: true, ignore_eos: true, repetition_guard: 0 },
      { signal: controller.signal },
    );
    let n = 0;
    try {
      for await (const chunk of stream) if (++n === 5) controller.abort();
    } catch (e) {
      assert.ok(e.name === 'AbortError' || e.constructor.name === 'APIUserAbortError', String(e));
    }
    let r = null;
    for (let i = 0; i < 100 && !r; i++) {
      try {
        r = await c.chat.completions.create({ model: 'm', messages: hi, max_tokens: 3 });
      } catch (e) {
        if (e.status !== 503) throw e;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    assert.ok(r, 'the slot was not freed');
    const metrics = await fetch(`http://127.0.0.1:${s.port}/metrics`).then((x) => x.text());
    assert.match(metrics, /qwen3_requests_cancelled_total 1/);
    await s.stop();
  },

  // The Ollama client: chat and generate, streamed (the default) and not, think on and off.
  async 'ollama'() {
    const s = await startServer();
    const o = ollama(s);
    const tags = await o.list();
    assert.equal(tags.models[0].name, 'tiny-qwen3-a');
    const version = await o.version();
    assert.ok(version.version);
    const r = await o.chat({ model: 'tiny-qwen3-a', messages: hi, think: false, options: { num_predict: 6, seed: 1 } });
    assert.equal(r.done, true);
    assert.equal(r.message.role, 'assistant');
    assert.equal(r.eval_count, 6);
    assert.equal(r.message.thinking, undefined);
    let streamed = '';
    let last = null;
    for await (const part of await o.chat({ model: 'm', messages: hi, think: false, stream: true, options: { num_predict: 6, seed: 1 } })) {
      streamed += part.message.content;
      last = part;
    }
    assert.equal(streamed, r.message.content);
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'length');
    // Thinking in message.thinking.
    let thinking = '';
    let content = '';
    for (let seed = 1; seed <= 60 && !(thinking && content); seed++) {
      const t = await o.chat({
        model: 'm', messages: hi, think: true, logit_bias: THINK_BIAS,
        options: { num_predict: 24, seed, temperature: 1, top_p: 1, top_k: 0 },
      });
      thinking = t.message.thinking ?? '';
      content = t.message.content;
    }
    assert.ok(thinking && content, 'no seed gave both message.thinking and content');
    const g = await o.generate({ model: 'm', prompt: 'Hi', think: false, options: { num_predict: 5, seed: 4 } });
    assert.equal(g.done, true);
    assert.equal(typeof g.response, 'string');
    let text = '';
    for await (const part of await o.generate({ model: 'm', prompt: 'Hi', think: false, stream: true, options: { num_predict: 5, seed: 4 } }))
      text += part.response;
    assert.equal(text, g.response);
    const show = await o.show({ model: 'tiny-qwen3-a' });
    assert.ok(show.capabilities.includes('thinking'));
    await assert.rejects(o.chat({ model: 'm', messages: hi, options: { top_p: 3 } }), (e) => /top_p/.test(e.message));
    await s.stop();
  },
};

const name = process.argv[2];
if (!cases[name]) {
  console.error(`usage: node clients.mjs CASE (${Object.keys(cases).join(', ')})`);
  process.exit(2);
}
try {
  await cases[name]();
  clearTimeout(watchdog);
  console.log(`${name}: ok`);
} catch (e) {
  console.error(`${name}: FAILED: ${e.stack ?? e}`);
  if (server) {
    console.error(server.log());
    server.proc.kill('SIGKILL');
  }
  process.exit(1);
}
