// llama-bench's pp/tg tests run on llama.cpp through node-llama-cpp (the oracle package's prebuilt CPU
// build), so wasm-chord's `chord bench` can be compared with llama.cpp on the same file and threads:
//   ppN: N prompt tokens evaluated in one batch on an empty context (no logits requested but the last),
//   tgN: N tokens evaluated one at a time from an empty context.
// Each test runs once to warm up, then -r times. Prints what `chord bench --json` prints:
//   [{"test":"pp128","avg_ts":..,"stddev_ts":..,"samples_ts":[..],"threads":N,"cpu_variant":"zen4"}, ...]
// cpu_variant is the ggml CPU library llama.cpp loaded (it picks the best one this CPU runs: on Intel
// Sapphire Rapids the AMX build "sapphirerapids", on AMD Zen 4 "zen4", ...). --exclude-variants
// sapphirerapids hides those libraries from it (a shadow copy of the package with symlinks, loaded with
// node's --preserve-symlinks), so that the next best one is measured.
//
//   node tests/oracle/llama_bench.mjs -m F.gguf [-t 2] [-p 128] [-n 32] [-r 3] [--exclude-variants a,b]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    model: { type: "string", short: "m" },
    threads: { type: "string", short: "t", default: "2" },
    "n-prompt": { type: "string", short: "p", default: "128" },
    "n-gen": { type: "string", short: "n", default: "32" },
    repetitions: { type: "string", short: "r", default: "3" },
    "exclude-variants": { type: "string", default: "" },
    "in-shadow": { type: "boolean", default: false },
  },
});
if (!opts.model) {
  process.stderr.write("usage: node llama_bench.mjs -m F.gguf [-t N] [-p 128] [-n 32] [-r 3] [--exclude-variants a,b]\n");
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));

// Re-runs this script from a copy of node_modules where the excluded ggml CPU libraries are missing.
function runInShadow(exclude) {
  const shadow = fs.mkdtempSync(path.join(os.tmpdir(), "llama-bench-"));
  const realModules = path.join(here, "node_modules");
  const mirror = (src, dst) => {
    fs.mkdirSync(dst, { recursive: true });
    for (const e of fs.readdirSync(src, { withFileTypes: true })) {
      const s = path.join(src, e.name), d = path.join(dst, e.name);
      const m = /^libggml-cpu-(.+)\.so$/.exec(e.name);
      if (m && exclude.includes(m[1])) continue;
      if (e.isDirectory() && (src.includes("@node-llama-cpp") || e.name === "@node-llama-cpp")) mirror(s, d);
      else fs.symlinkSync(fs.realpathSync(s), d);
    }
  };
  mirror(realModules, path.join(shadow, "node_modules"));
  fs.symlinkSync(fs.realpathSync(fileURLToPath(import.meta.url)), path.join(shadow, "llama_bench.mjs"));
  const args = process.argv.slice(2).filter((a, i, all) => a !== "--exclude-variants" && all[i - 1] !== "--exclude-variants");
  const r = spawnSync(process.execPath, ["--preserve-symlinks", "--preserve-symlinks-main",
    path.join(shadow, "llama_bench.mjs"), ...args, "--in-shadow"], { stdio: "inherit" });
  fs.rmSync(shadow, { recursive: true, force: true });
  process.exit(r.status ?? 1);
}

const exclude = opts["exclude-variants"].split(",").filter(Boolean);
if (exclude.length && !opts["in-shadow"]) runInShadow(exclude);
else await main();

async function main() {
  const { getLlama, LlamaLogLevel, readGgufFileInfo } = await import("node-llama-cpp");
  const threads = Number(opts.threads), nPrompt = Number(opts["n-prompt"]), nGen = Number(opts["n-gen"]);
  const reps = Number(opts.repetitions);
  let variant = null;
  const logger = (level, message) => {
    const m = /libggml-cpu-([\w-]+)\.so/.exec(message);
    if (m && /load/i.test(message)) variant = m[1];
  };
  console.log = console.info = console.error;
  const llama = await getLlama({
    gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true, progressLogs: false,
    logLevel: LlamaLogLevel.debug, logger, maxThreads: threads,
  });
  const model = await llama.loadModel({ modelPath: opts.model, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: Math.max(nPrompt, nGen, 64), batchSize: Math.max(nPrompt, 1), sequences: 1,
    threads: { ideal: threads, min: threads }, flashAttention: false,
  });
  const seq = context.getSequence();
  const info = await readGgufFileInfo(opts.model, { logWarnings: false, ignoreKeys: ["tokenizer.ggml.merges"] });
  const nVocab = info.metadata.tokenizer.ggml.tokens.length;
  // The same ids as chord bench: spread over the vocabulary, deterministic.
  const ids = (n) => Array.from({ length: n }, (_, i) => (7919 * (i + 1)) % nVocab);

  const runTest = async (name, n, batch) => {
    const toks = ids(n);
    const rates = [];
    for (let rep = -1; rep < reps; ++rep) {
      await seq.clearHistory();
      const t0 = process.hrtime.bigint();
      if (batch) await seq.evaluateWithoutGeneratingNewTokens(toks);
      else for (const t of toks) await seq.evaluateWithoutGeneratingNewTokens([t]);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (rep >= 0) rates.push(n / s);
    }
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    const sd = rates.length > 1 ? Math.sqrt(rates.reduce((a, r) => a + (r - mean) ** 2, 0) / (rates.length - 1)) : 0;
    return { test: name, avg_ts: mean, stddev_ts: sd, samples_ts: rates, threads, cpu_variant: variant };
  };
  const out = [];
  if (nPrompt > 0) out.push(await runTest(`pp${nPrompt}`, nPrompt, true));
  if (nGen > 0) out.push(await runTest(`tg${nGen}`, nGen, false));
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  await llama.dispose();
}
