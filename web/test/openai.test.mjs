// OpenAI's API shapes on the npm package (src/openai.js): chord.chat.completions.create and
// chord.completions.create, whole and streamed, checked the way tests/serve checks `chord serve`, and
// against `chord serve` itself: the same requests through the official `openai` client
// (tests/serve/node_modules) give the same objects and chunks, ids and timestamps aside. Greedy text
// equals the native `chord run`'s. Needs CHORD_BIN, the vocabulary testdata and web/dist; skips without
// them unless CHORD_REQUIRE_TESTDATA=1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Chord, BadRequestError, APIUserAbortError } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const vocab = path.join(root, 'testdata/vocab/ggml-vocab-llama-spm.gguf');
const clientPath = path.join(root, 'tests/serve/node_modules/openai/index.mjs');
const bin = process.env.CHORD_BIN;
const missing = [
  !bin && 'CHORD_BIN',
  bin && !fs.existsSync(bin) && bin,
  !fs.existsSync(vocab) && vocab,
  !fs.existsSync(path.join(root, 'web/dist/chord-threaded.mjs')) && 'web/dist (build the wasm preset)',
  !fs.existsSync(clientPath) && 'the openai client (tools/fetch-testdata.sh)',
].filter(Boolean);
if (missing.length && process.env.CHORD_REQUIRE_TESTDATA === '1') throw new Error(`missing: ${missing.join(', ')}`);
const skip = missing.length ? `missing ${missing.join(', ')}` : false;

const EOS = 2;
let dir, model, chord, server, client;

before(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chord-openai-'));
  model = path.join(dir, 'model.gguf');
  execFileSync(bin, ['synth', '--vocab', vocab, '-o', model, '--dim', '64', '--layers', '2', '--heads', '4', '--kv-heads', '2',
    '--ffn', '128', '--seed', '3']);
  chord = await Chord.load(model, { threads: 1, nCtx: 1024 });
  server = spawn(bin, ['serve', '-m', model, '--port', '0', '--no-static', '-c', '1024', '-t', '1']);
  const url = await new Promise((resolve, reject) => {
    let log = '';
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`chord serve exited ${code}: ${log}`)));
  });
  const { default: OpenAI } = await import(clientPath);
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
});

after(async () => {
  await chord?.unload();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const chordRun = (prompt, n) =>
  execFileSync(bin, ['run', '-m', model, '-p', prompt, '-n', String(n), '--temp', '0', '--no-display-prompt', '--no-perf',
    '-t', '1'], { encoding: 'utf8' });

async function collect(stream) {
  const out = [];
  for await (const c of stream) out.push(c);
  return out;
}

// An answer without what differs between two answers to the same request.
const strip = (x) => {
  const { id, created, model: m, ...rest } = x;
  void id, created, m;
  return rest;
};

test('completions.create: greedy text equals chord run, whole and streamed', { skip }, async () => {
  const prompt = 'Once upon a time';
  const expected = chordRun(prompt, 16);
  const r = await chord.completions.create({ model: 'm', prompt, max_tokens: 16, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.match(r.id, /^cmpl-/);
  assert.equal(typeof r.created, 'number');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].text, expected);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.prompt_tokens, 5);
  assert.equal(r.usage.completion_tokens, 16);
  assert.equal(r.usage.total_tokens, 21);

  const stream = await chord.completions.create({ prompt, max_tokens: 16, temperature: 0, stream: true,
    stream_options: { include_usage: true } });
  assert.ok(stream.controller instanceof AbortController);
  const chunks = await collect(stream);
  assert.equal(chunks.flatMap((c) => c.choices.map((ch) => ch.text)).join(''), expected);
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
  assert.deepEqual(chunks.at(-1).usage, r.usage);
  assert.equal(chunks.at(-1).choices.length, 0);
  for (const c of chunks) assert.equal(c.id, chunks[0].id);
});

test('chat.completions.create: whole and streamed; chord.chat is still the iterator', { skip }, async () => {
  const messages = [{ role: 'user', content: 'Hi there' }];
  const r = await chord.chat.completions.create({ messages, max_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  let plain = '';
  for await (const piece of chord.chat(messages, { maxTokens: 12, temperature: 0, topK: 0, topP: 1, minP: 0 })) plain += piece;
  assert.equal(r.choices[0].message.content, plain);

  const chunks = await collect(await chord.chat.completions.create({ messages, max_tokens: 12, temperature: 0, stream: true }));
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
  assert.equal(chunks.map((c) => c.choices[0].delta.content ?? '').join(''), plain);
  assert.equal(chunks.at(-1).choices[0].finish_reason, r.choices[0].finish_reason);
  assert.deepEqual(chunks.at(-1).choices[0].delta, {});
});

test('the same requests through chord serve and the openai client give the same objects', { skip }, async () => {
  const bodies = [
    ['chat', { model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }], max_tokens: 10, temperature: 0 }],
    ['chat', { model: 'm', messages: [{ role: 'user', content: 'Tell me' }], max_tokens: 10, temperature: 1, seed: 42 }],
    ['completion', { model: 'm', prompt: 'The', max_tokens: 10, temperature: 0.7, top_p: 0.9, seed: 7 }],
    ['completion', { model: 'm', prompt: 'Hello', max_tokens: 12, temperature: 0, presence_penalty: 1.5, frequency_penalty: 1 }],
    ['completion', { model: 'm', prompt: 'Once', max_tokens: 8, temperature: 0, echo: true, stop: ['zz'] }],
  ];
  for (const [kind, body] of bodies) {
    const local = kind === 'chat' ? chord.chat.completions : chord.completions;
    const remote = kind === 'chat' ? client.chat.completions : client.completions;
    assert.deepEqual(strip(await local.create(body)), strip(await remote.create(body)), JSON.stringify(body));
    const streamBody = { ...body, stream: true, stream_options: { include_usage: true } };
    const a = (await collect(await local.create(streamBody))).map(strip);
    const b = (await collect(await remote.create(streamBody))).map(strip);
    assert.deepEqual(a, b, JSON.stringify(streamBody));
  }
});

test('stop strings, seeds and abort', { skip }, async () => {
  const args = { prompt: 'The', max_tokens: 24, temperature: 0 };
  const full = (await chord.completions.create(args)).choices[0].text;
  const stop = full.slice(8, 11);
  const cut = await chord.completions.create({ ...args, stop });
  assert.equal(cut.choices[0].text, full.slice(0, full.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, 'stop');

  const seeded = { prompt: 'Hello', max_tokens: 12, temperature: 1, seed: 1234 };
  const a = await chord.completions.create(seeded);
  const b = await chord.completions.create(seeded);
  assert.equal(a.choices[0].text, b.choices[0].text);
  assert.notEqual(a.choices[0].text, (await chord.completions.create({ ...seeded, seed: 99 })).choices[0].text);

  // An aborted whole answer rejects like the client's; an aborted stream ends quietly. (Greedy, 'Tell me'
  // runs 227 tokens before the end-of-generation token: far longer than the 5 ms.)
  const controller = new AbortController();
  const pending = chord.completions.create({ prompt: 'Tell me', max_tokens: 900, temperature: 0 }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 5);
  await assert.rejects(pending, (e) => e instanceof APIUserAbortError);
  const stream = await chord.completions.create({ prompt: 'Tell me', max_tokens: 900, temperature: 0, stream: true });
  let n = 0;
  for await (const c of stream) {
    void c;
    if (++n === 3) stream.controller.abort();
  }
  assert.ok(n < 10, `${n} chunks after the abort`);
  assert.ok(chord.stats.generatedTokens < 100, `${chord.stats.generatedTokens} tokens`);
  // Leaving the loop stops the generation too, and the model answers again.
  for await (const c of await chord.chat.completions.create({ messages: [{ role: 'user', content: 'x' }], stream: true })) {
    void c;
    break;
  }
  assert.equal((await chord.completions.create({ prompt: 'Once upon a time', max_tokens: 16, temperature: 0 })).choices[0].text,
    chordRun('Once upon a time', 16));
});

test('bad requests: BadRequestError with status 400 and the parameter, as from the server', { skip }, async () => {
  const messages = [{ role: 'user', content: 'Hi' }];
  const cases = [
    [{ messages, n: 2 }, 'n'],
    [{ messages, temperature: 5 }, 'temperature'],
    [{ messages, top_p: -1 }, 'top_p'],
    [{ messages, max_tokens: 0 }, 'max_tokens'],
    [{ messages, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    [{ messages: [] }, 'messages'],
    [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
    [{ messages, stream: 'yes' }, 'stream'],
    [{ messages: [{ role: 'user', content: 'x '.repeat(1500) }] }, 'messages'],
    [{}, 'messages'],
  ];
  for (const [body, param] of cases) {
    for (const create of [(b) => chord.chat.completions.create(b), (b) => client.chat.completions.create(b)]) {
      await assert.rejects(create({ model: 'm', ...body }), (e) => {
        assert.equal(e.status, 400, `${JSON.stringify(body).slice(0, 60)}: ${e}`);
        assert.equal(e.param, param);
        assert.equal(e.type, 'invalid_request_error');
        return true;
      });
    }
    await assert.rejects(chord.chat.completions.create({ model: 'm', ...body }), BadRequestError);
  }
  await assert.rejects(chord.completions.create({ prompt: ['a', 'b'] }), BadRequestError);
  await assert.rejects(chord.completions.create({ prompt: 'x '.repeat(1500) }), (e) => e.code === 'context_length_exceeded');
  await assert.rejects(chord.completions.create({ prompt: 'x', logit_bias: { [EOS]: -100 } }), (e) => e.param === 'logit_bias');
  const models = await chord.models.list();
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].object, 'model');
});
