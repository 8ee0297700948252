// demo.test.mjs: the chat page (web/demo) end to end in headless Chromium, served by
// tools/serve-demo.mjs like a user would: load a synthesized model from a file, send a message and see
// tokens stream, stop mid-answer, regenerate, reload and find the model cached and the conversation
// restored, export Markdown and JSON, share by link, dark mode, a phone-sized screen, the errors for a
// file that is not a GGUF and for a page without cross-origin isolation. Each step asserts on what the
// page shows.
//
// Needs: the wasm preset's builds in web/dist (tools/test.sh builds it first), the native chord CLI
// (CHORD_BIN) for `chord synth`, testdata/vocab (tools/fetch-testdata.sh), web/demo/node_modules and
// tests/web-demo/node_modules (tools/fetch-testdata.sh), /usr/bin/chromium. Skips when one is missing
// unless CHORD_REQUIRE_TESTDATA=1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const chordBin = process.env.CHORD_BIN ?? join(repo, 'build/release/apps/chord/chord');
const vocab = join(repo, 'testdata/vocab/ggml-vocab-phi-3.gguf');
const wasmDir = join(repo, 'web/dist');

function missing() {
  if (!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM) return 'no /usr/bin/chromium';
  if (!existsSync(join(repo, 'tests/web-demo/node_modules/playwright-core'))) return 'no playwright-core (tools/fetch-testdata.sh)';
  if (!existsSync(join(repo, 'web/demo/node_modules/esbuild'))) return 'no web/demo/node_modules (tools/fetch-testdata.sh)';
  if (!existsSync(chordBin)) return `no chord CLI at ${chordBin}`;
  if (!existsSync(vocab)) return 'no testdata/vocab (tools/fetch-testdata.sh)';
  if (!existsSync(wasmDir) || !readdirSync(wasmDir).some((f) => /^chord-(single|threaded)\.wasm$/.test(f))) return 'no wasm builds in web/dist (build the wasm preset)';
  return null;
}
const why = missing();
if (why && process.env.CHORD_REQUIRE_TESTDATA === '1') throw new Error(`web.demo: ${why}`);
const skip = why ? `skipped: ${why}` : false;

let tmp, site, model, model2, srv, plainSrv, browser, page;

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'chord-demo-test-'));
  site = join(tmp, 'site');
  model = join(tmp, 'tiny-chat.gguf');
  // A small random-weight Llama with Phi-3's vocabulary, whose file carries a chat template.
  execFileSync(chordBin, ['synth', '--vocab', vocab, '-o', model, '--dim', '64', '--layers', '2', '--heads', '4',
    '--kv-heads', '2', '--ffn', '128', '--type', 'f16', '--seed', '7', '--name', 'tiny chat test model'], { stdio: 'pipe' });
  // and one without a chat template (Llama 2's vocabulary)
  model2 = join(tmp, 'plain-text.gguf');
  execFileSync(chordBin, ['synth', '--vocab', vocab.replace('phi-3', 'llama-spm'), '-o', model2, '--dim', '64', '--layers', '1',
    '--heads', '4', '--kv-heads', '2', '--ffn', '128', '--type', 'f16'], { stdio: 'pipe' });
  writeFileSync(join(tmp, 'notes.txt'), 'this is not a model\n');
  // the same file claiming an architecture wasm-chord does not run
  const bytes = readFileSync(model2);
  const at = bytes.indexOf('general.architecture') + 'general.architecture'.length + 4 + 8;
  assert.equal(bytes.toString('latin1', at, at + 5), 'llama');
  bytes.write('mamba', at, 'latin1');
  writeFileSync(join(tmp, 'mamba.gguf'), bytes);
  execFileSync(process.execPath, [join(repo, 'web/demo/build.mjs'), '--out', site, '--wasm', wasmDir, '--model', model2], { stdio: 'pipe' });
  const { serve, launch } = await import('./browser.mjs');
  srv = await serve({ dir: site });
  plainSrv = await serve({ dir: site, isolation: false });
  browser = await launch();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  srv?.close();
  plainSrv?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const text = (sel) => page.locator(sel).innerText();

async function setSetting(name, value) {
  await page.locator(`#settings-form [name="${name}"]`).fill(String(value));
  await page.locator(`#settings-form [name="${name}"]`).dispatchEvent('change');
}

async function waitAnswerDone() {
  await page.waitForSelector('#send:not([hidden])', { timeout: 30_000 });
  await page.waitForSelector('.msg.assistant:last-child .stats:has-text("TTFT")');
}

test('the page opens, cross-origin isolated, with nothing loaded', { skip }, async () => {
  await page.goto(srv.url);
  await page.waitForSelector('body[data-ready=true]');
  assert.equal(await text('#model-chip'), 'No model loaded');
  assert.match(await text('#empty'), /Chat with a language model/);
  assert.match(await text('#env-line'), /multi-threaded/);
  assert.match(await text('#cache-note'), /cached in this browser/i);
});

test('a file that is not a GGUF gets a clear error', { skip }, async () => {
  await page.setInputFiles('#file-input', join(tmp, 'notes.txt'));
  await page.waitForSelector('.banner.error');
  assert.match(await text('.banner.error'), /not a GGUF file/);
  assert.equal(await text('#model-chip'), 'No model loaded');
  await page.click('.banner.error .link-btn');
});

test('an unsupported architecture gets a clear error before anything is copied', { skip }, async () => {
  await page.setInputFiles('#file-input', join(tmp, 'mamba.gguf'));
  await page.waitForSelector('.banner.error');
  assert.match(await text('.banner.error'), /Unsupported architecture "mamba"/);
  assert.equal(await page.locator('#model-list li').count(), 0);
  await page.click('.banner.error .link-btn');
});

test('a synthesized model loads from a file, with its details and in the cache list', { skip }, async () => {
  await page.setInputFiles('#file-input', model);
  await page.waitForSelector('.model-chip.loaded', { timeout: 30_000 });
  assert.match(await text('#model-chip'), /tiny-chat\.gguf/);
  assert.match(await text('#model-chip'), /CPU · 2 threads|CPU · \d+ threads/);
  assert.equal(await page.locator('#model-list li').count(), 1);
  assert.match(await text('#model-list li'), /tiny-chat\.gguf.*\n?.*8\.\d+ MiB · F16/);
  await page.click('#model-details summary');
  const details = await text('#model-info');
  assert.match(details, /architecture\s+llama/);
  assert.match(details, /layers\s+2/);
  assert.match(details, /chat template\s+from the file/);
});

test('a message streams an answer with tokens/s and time to first token', { skip }, async () => {
  await setSetting('maxTokens', 64);
  await setSetting('seed', 1);
  // Records the answer's lengths while it is being written, to see it grow piece by piece.
  await page.evaluate(() => {
    window.seenLengths = new Set();
    new MutationObserver(() => {
      const body = document.querySelector('.msg.assistant.streaming .msg-body');
      if (body?.textContent) window.seenLengths.add(body.textContent.length);
    }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true });
  });
  await page.fill('#prompt', 'Hello there, who are you?');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.msg.user');
  assert.equal(await text('.msg.user .msg-body'), 'Hello there, who are you?');
  await waitAnswerDone();
  const seen = await page.evaluate(() => window.seenLengths.size);
  assert.ok(seen >= 2, `the answer grew in ${seen} steps while streaming`);
  const stats = await text('.msg.assistant .stats');
  assert.match(stats, /[\d.]+ tok\/s · TTFT \d+ ms · \d+ tokens/);
  assert.ok((await text('.msg.assistant .msg-body')).length > 0);
  assert.match(await text('#conv-list'), /Hello there, who are you\?/);
});

test('Esc stops an answer mid-way; Regenerate writes a new one', { skip }, async () => {
  await setSetting('maxTokens', 1500);
  await page.fill('#prompt', 'Tell me a very long story.');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('.msg.assistant.streaming .msg-body')?.textContent.length > 20);
  assert.equal(await page.locator('#stop').isVisible(), true);
  await page.keyboard.press('Escape');
  await waitAnswerDone();
  const stats = await text('.msg.assistant:last-child .stats');
  assert.match(stats, /stopped/);
  const tokens = Number(/(\d+) tokens/.exec(stats)[1]);
  assert.ok(tokens < 1500, `stopped after ${tokens} tokens`);
  assert.equal(await page.locator('.msg').count(), 4);

  await setSetting('maxTokens', 30);
  await setSetting('seed', 2);
  await page.click('.msg.assistant:last-child .regenerate');
  await waitAnswerDone();
  assert.equal(await page.locator('.msg').count(), 4, 'the answer is replaced, not added');
  assert.doesNotMatch(await text('.msg.assistant:last-child .stats'), /stopped/);
});

test('export as Markdown and JSON', { skip }, async () => {
  const [md] = await Promise.all([page.waitForEvent('download'), page.click('#export-md')]);
  assert.match(md.suggestedFilename(), /^hello-there-who-are-you\.md$/);
  const mdText = readFileSync(await md.path(), 'utf8');
  assert.match(mdText, /^# Hello there, who are you\?/);
  assert.match(mdText, /\*\*You:\*\*\n\nTell me a very long story\./);
  const [js] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const data = JSON.parse(readFileSync(await js.path(), 'utf8'));
  assert.equal(data.format, 'wasm-chord-conversation');
  assert.equal(data.messages.length, 4);
  assert.equal(data.messages[2].content, 'Tell me a very long story.');
  assert.ok(data.messages[3].stats.tokensPerSecond > 0);
});

test('after a reload the model comes from the cache and the conversation is restored', { skip }, async () => {
  const answer = await text('.msg.assistant:last-child .msg-body');
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForSelector('.model-chip.loaded', { timeout: 30_000 });
  assert.match(await text('#model-chip'), /tiny-chat\.gguf/);
  assert.equal(await page.locator('#model-list li').count(), 1);
  assert.match(await text('#model-list li'), /Loaded/);
  assert.equal(await page.locator('.msg').count(), 4);
  assert.equal(await text('.msg.user >> nth=0'), 'You\nHello there, who are you?');
  assert.equal(await text('.msg.assistant:last-child .msg-body'), answer);
  assert.equal(await page.inputValue('#settings-form [name="maxTokens"]'), '30');
  // and it still answers
  await page.fill('#prompt', 'One more?');
  await page.keyboard.press('Enter');
  await waitAnswerDone();
  assert.equal(await page.locator('.msg').count(), 6);
});

test('a share link carries the conversation to a fresh page', { skip }, async () => {
  await page.evaluate(() => { delete Navigator.prototype.share; });
  await page.click('#share');
  const link = await page.locator('#share-note a').getAttribute('href');
  assert.match(link, /#c=[A-Za-z0-9_-]+$/);
  await page.click('#new-chat');
  await page.waitForFunction(() => !document.querySelector('.msg'));
  assert.equal(await page.locator('#empty').isVisible(), true);
  await page.goto('about:blank');
  await page.goto(link);
  await page.waitForSelector('body[data-ready=true]');
  assert.match(await text('#banners'), /Opened a shared chat/);
  assert.equal(await page.locator('.msg').count(), 6);
  assert.equal(new URL(page.url()).hash, '');
});

test('dark mode: the toggle switches and is remembered', { skip }, async () => {
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await bg(), 'rgb(247, 247, 251)');
  await page.click('#toggle-theme');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  assert.equal(await bg(), 'rgb(17, 17, 24)');
  assert.equal(await page.getAttribute('#toggle-theme', 'aria-label'), 'Theme: dark');
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  assert.equal(await bg(), 'rgb(17, 17, 24)');
  await page.click('#toggle-theme');
  assert.equal(await bg(), 'rgb(247, 247, 251)');
  assert.equal(await page.getAttribute('#toggle-theme', 'aria-label'), 'Theme: follow the system');
});

test('a phone-sized screen: one column, drawers, nothing wider than the screen', { skip }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#toggle-sidebar').isVisible(), true);
  const inView = (sel) => page.locator(sel).evaluate((e) => {
    const r = e.getBoundingClientRect();
    return r.right > 0 && r.left < innerWidth;
  });
  assert.equal(await inView('#sidebar'), false);
  assert.equal(await inView('#settings'), false);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth));
  const composer = await page.locator('#composer').boundingBox();
  assert.ok(composer.x >= 0 && composer.x + composer.width <= 390 && composer.y + composer.height <= 844);
  await page.click('#toggle-sidebar');
  await page.waitForTimeout(300);
  assert.equal(await inView('#sidebar'), true);
  assert.equal(await page.getAttribute('#toggle-sidebar', 'aria-expanded'), 'true');
  await page.keyboard.press('Escape');
  await page.waitForTimeout(300);
  assert.equal(await inView('#sidebar'), false);
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('a second model by URL ("Try the demo model"): both cached, switched, one deleted', { skip }, async () => {
  const progress = page.waitForSelector('#progress:not([hidden])');
  await page.click('#demo-model');
  await progress;
  await page.waitForSelector('.model-chip.loaded:has-text("wasm-chord synthetic")', { timeout: 30_000 });
  assert.match(await text('#banners'), /no chat template, so it is a plain text model/);
  assert.equal(await page.locator('#model-list li').count(), 2);
  await page.click('#model-list li:has-text("tiny-chat.gguf") >> text=Use');
  await page.waitForSelector('.model-chip.loaded:has-text("tiny-chat.gguf")', { timeout: 30_000 });
  assert.match(await text('#model-list li.active'), /tiny-chat\.gguf/);
  await page.click('#model-list li:has-text("wasm-chord synthetic") >> text=Delete');
  await page.waitForFunction(() => document.querySelectorAll('#model-list li').length === 1);
  assert.match(await text('#model-list'), /tiny-chat\.gguf/);
});

test('without COOP/COEP the page runs single-threaded and says so', { skip }, async () => {
  const p = await browser.context.newPage();
  await p.goto(plainSrv.url);
  await p.waitForSelector('body[data-ready=true]');
  assert.match(await p.locator('#env-line').innerText(), /single-threaded/);
  assert.match(await p.locator('#banners').innerText(), /not cross-origin isolated/);
  await p.setInputFiles('#file-input', model);
  await p.waitForSelector('.model-chip.loaded', { timeout: 30_000 });
  assert.match(await p.locator('#model-chip').innerText(), /CPU · 1 thread\b/);
  await p.close();
});
