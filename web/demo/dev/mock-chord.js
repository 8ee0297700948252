// mock-chord.js: a stand-in for the wasm-chord package with the same API shape, for working on the
// page's layout without building the engine (node web/demo/build.mjs --dev-mock-engine). It runs no
// model: it streams canned Markdown. Never shipped by a normal build.

const ANSWER = `Here is a small example in **C++**:

\`\`\`cpp
#include <cstdio>
int main() { std::puts("hello from wasm-chord"); }
\`\`\`

- runs in the browser
- no server needed

That is all.`;

export class ChordError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

export class Chord {
  static async load(source, opts = {}) {
    const total = source?.size ?? 1000;
    for (let i = 1; i <= 4; i++) {
      await new Promise((r) => setTimeout(r, 30));
      opts.onProgress?.({ loaded: (total * i) / 4, total });
    }
    const head = source?.slice ? new Uint8Array(await source.slice(0, 4).arrayBuffer()) : new Uint8Array([71, 71, 85, 70]);
    if (String.fromCharCode(...head) !== 'GGUF') throw new ChordError('format', 'not a GGUF file (bad magic)');
    return new Chord(opts);
  }
  constructor(opts) {
    this.info = { backend: 'cpu', threads: opts.threads ?? 1 };
    this.stats = null;
  }
  async *chat(messages, opts = {}) {
    const t0 = performance.now();
    const pieces = ANSWER.match(/\s*\S+/g);
    let n = 0;
    for (const p of pieces) {
      if (opts.signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 40));
      if (n >= (opts.maxTokens ?? 1e9)) break;
      n++;
      yield p;
    }
    const dt = (performance.now() - t0) / 1000;
    this.stats = { generatedTokens: n, timeToFirstToken: 0.04, tokensPerSecond: n / dt };
  }
  async unload() {}
}
