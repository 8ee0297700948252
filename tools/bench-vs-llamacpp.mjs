#!/usr/bin/env node
// wasm-chord against llama.cpp on the CPU, side by side: the TinyLlama-shaped `chord synth` model (dim
// 2048, 22 layers, 32 heads, 4 kv heads, ffn 5632, vocab 32000) in Q4_0, Q8_0 and Q4_K_M, pp128 and tg32
// at 1 and 2 threads, `chord bench --json` and tests/oracle/llama_bench.mjs (llama.cpp through
// node-llama-cpp, the same file, threads and test definitions) run alternately in the same rounds; each
// cell is the median over the rounds. llama.cpp runs its default CPU build (the best variant for this CPU:
// the AMX one on Sapphire Rapids); when that is the AMX build, its non-AMX variant runs too.
// Writes OUT.json, OUT.md and OUT.png (gnuplot). Run it under the machine's benchmark lock:
//
//   flock /tmp/chord-heavy.lock node tools/bench-vs-llamacpp.mjs [--chord build/release/apps/chord/chord]
//       [--models /tmp/chord-bench-models] [--types q4_0,q8_0,q4_k_m] [--threads 1,2] [--rounds 3]
//       [--reps 2] [--out docs/bench-vs-llamacpp]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { values: o } = parseArgs({
  options: {
    chord: { type: "string", default: path.join(root, "build/release/apps/chord/chord") },
    models: { type: "string", default: path.join(os.tmpdir(), "chord-bench-models") },
    vocab: { type: "string", default: path.join(root, "testdata/vocab/ggml-vocab-llama-spm.gguf") },
    types: { type: "string", default: "q4_0,q8_0,q4_k_m" },
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "3" },
    reps: { type: "string", default: "2" },
    "n-prompt": { type: "string", default: "128" },
    "n-gen": { type: "string", default: "32" },
    out: { type: "string", default: path.join(root, "docs/bench-vs-llamacpp") },
  },
});
const types = o.types.split(",");
const threadCounts = o.threads.split(",").map(Number);
const rounds = Number(o.rounds), reps = Number(o.reps);
const np = Number(o["n-prompt"]), ng = Number(o["n-gen"]);
const llamaBench = path.join(root, "tests/oracle/llama_bench.mjs");
const log = (...a) => process.stderr.write(a.join(" ") + "\n");
const run = (cmd, args, env = {}) =>
  execFileSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 26 });

// The models: synthesized once, kept between runs.
fs.mkdirSync(o.models, { recursive: true });
function model(type) {
  const file = path.join(o.models, `tinyllama-${type}.gguf`);
  if (fs.existsSync(file)) return file;
  log(`synthesizing ${file}`);
  if (type === "q4_k_m") {
    const f16 = model("f16");
    run(o.chord, ["quantize", f16, file, "Q4_K_M"]);
  } else {
    run(o.chord, ["synth", "-o", file, "--vocab", o.vocab, "--shape", "tinyllama", "--type", type]);
  }
  return file;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const byTest = (rows) => Object.fromEntries(rows.map((r) => [r.test, r]));

function chordBench(file, t) {
  return byTest(JSON.parse(run(o.chord, ["bench", "-m", file, "-t", String(t), "-p", String(np), "-n", String(ng),
    "-r", String(reps), "--json"])));
}
function llamaBenchRun(file, t, exclude) {
  const args = [llamaBench, "-m", file, "-t", String(t), "-p", String(np), "-n", String(ng), "-r", String(reps)];
  if (exclude) args.push("--exclude-variants", exclude);
  return byTest(JSON.parse(run(process.execPath, args)));
}

const cpu = os.cpus()[0]?.model ?? "?";
const flags = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
const amx = flags.includes("amx_tile");
const loadBefore = os.loadavg();
const started = new Date().toISOString();
const pp = `pp${np}`, tg = `tg${ng}`;

const cells = [];
for (const type of types) {
  const file = model(type);
  const sizeMiB = fs.statSync(file).size / 2 ** 20;
  for (const t of threadCounts) {
    const samples = { chord: { [pp]: [], [tg]: [] }, llama: { [pp]: [], [tg]: [] }, llama_noamx: { [pp]: [], [tg]: [] } };
    let variant = null, kernels = null;
    for (let r = 0; r < rounds; ++r) {
      const c = chordBench(file, t);
      const l = llamaBenchRun(file, t, null);
      variant = l[pp]?.cpu_variant ?? l[tg]?.cpu_variant;
      kernels = c[pp]?.kernels;
      const n = variant === "sapphirerapids" ? llamaBenchRun(file, t, "sapphirerapids") : null;
      for (const test of [pp, tg]) {
        samples.chord[test].push(c[test].avg_ts);
        samples.llama[test].push(l[test].avg_ts);
        if (n) samples.llama_noamx[test].push(n[test].avg_ts);
      }
      log(`${type} t=${t} round ${r + 1}: chord ${c[pp].avg_ts.toFixed(1)} / ${c[tg].avg_ts.toFixed(1)}, ` +
        `llama.cpp (${variant}) ${l[pp].avg_ts.toFixed(1)} / ${l[tg].avg_ts.toFixed(1)}` +
        (n ? `, no AMX ${n[pp].avg_ts.toFixed(1)} / ${n[tg].avg_ts.toFixed(1)}` : ""));
    }
    const cell = { type, threads: t, size_mib: sizeMiB, chord_kernels: kernels, llama_variant: variant, samples };
    for (const test of [pp, tg]) {
      cell[`chord_${test}`] = median(samples.chord[test]);
      cell[`llama_${test}`] = median(samples.llama[test]);
      cell[`ratio_${test}`] = cell[`chord_${test}`] / cell[`llama_${test}`];
      if (samples.llama_noamx[test].length) {
        cell[`llama_noamx_${test}`] = median(samples.llama_noamx[test]);
        cell[`ratio_noamx_${test}`] = cell[`chord_${test}`] / cell[`llama_noamx_${test}`];
      }
    }
    cells.push(cell);
  }
}
const loadAfter = os.loadavg();

const result = { started, finished: new Date().toISOString(), cpu, amx, load_before: loadBefore, load_after: loadAfter,
  n_prompt: np, n_gen: ng, rounds, reps_per_round: reps, cells };
fs.writeFileSync(`${o.out}.json`, JSON.stringify(result, null, 2) + "\n");

// Markdown table.
const f1 = (x) => (x === undefined ? "–" : x.toFixed(1));
const f2 = (x) => (x === undefined ? "–" : `${x.toFixed(2)}x`);
const noamx = cells.some((c) => c[`llama_noamx_${pp}`] !== undefined);
let md = `# wasm-chord vs llama.cpp, CPU\n\n` +
  `TinyLlama-shaped \`chord synth\` models, ${pp} and ${tg} tokens/s, median of ${rounds} alternating rounds ` +
  `(each the mean of ${reps} repetitions after a warm-up). CPU: ${cpu}, ${amx ? "with" : "without"} AMX; ` +
  `llama.cpp's CPU build: ${[...new Set(cells.map((c) => c.llama_variant))].join(", ")}; wasm-chord's kernels: ` +
  `${[...new Set(cells.map((c) => c.chord_kernels))].join(", ")}. Load average before / after: ` +
  `${loadBefore.map((x) => x.toFixed(2)).join(" ")} / ${loadAfter.map((x) => x.toFixed(2)).join(" ")}. ${started}.\n\n` +
  `| model | MiB | threads | chord ${pp} | llama.cpp ${pp} | ratio | chord ${tg} | llama.cpp ${tg} | ratio |` +
  (noamx ? ` llama.cpp no-AMX ${pp} | ratio | no-AMX ${tg} | ratio |` : "") + "\n" +
  `|---|---:|---:|---:|---:|---:|---:|---:|---:|` + (noamx ? "---:|---:|---:|---:|" : "") + "\n";
for (const c of cells) {
  md += `| ${c.type.toUpperCase()} | ${c.size_mib.toFixed(0)} | ${c.threads} | ${f1(c[`chord_${pp}`])} | ` +
    `${f1(c[`llama_${pp}`])} | ${f2(c[`ratio_${pp}`])} | ${f1(c[`chord_${tg}`])} | ${f1(c[`llama_${tg}`])} | ` +
    `${f2(c[`ratio_${tg}`])} |` +
    (noamx ? ` ${f1(c[`llama_noamx_${pp}`])} | ${f2(c[`ratio_noamx_${pp}`])} | ${f1(c[`llama_noamx_${tg}`])} | ` +
      `${f2(c[`ratio_noamx_${tg}`])} |` : "") + "\n";
}
md += `\nCommand: \`flock /tmp/chord-heavy.lock node tools/bench-vs-llamacpp.mjs\` ` +
  `(raw samples in ${path.basename(o.out)}.json; chart ${path.basename(o.out)}.png).\n`;
fs.writeFileSync(`${o.out}.md`, md);

// Chart: tokens/s, wasm-chord next to llama.cpp, prompt and generation side by side.
const dat = path.join(os.tmpdir(), `bench-vs-llamacpp-${process.pid}.dat`);
fs.writeFileSync(dat, cells.map((c) => `"${c.type.toUpperCase()} ${c.threads}t" ${c[`chord_${pp}`]} ${c[`llama_${pp}`]} ` +
  `${c[`chord_${tg}`]} ${c[`llama_${tg}`]}`).join("\n") + "\n");
const gp = `set terminal pngcairo size 1100,450 font "sans,10" noenhanced
set output "${o.out}.png"
set multiplot layout 1,2 title "wasm-chord vs llama.cpp (${[...new Set(cells.map((c) => c.llama_variant))].join(", ")}), TinyLlama shape, ${cpu}"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set ylabel "tokens/s"
set yrange [0:*]
set key top right
set xtics rotate by -30
set title "prompt (${pp})"
plot "${dat}" using 2:xtic(1) title "wasm-chord" lc rgb "#1f77b4", "" using 3 title "llama.cpp" lc rgb "#ff7f0e"
set title "generation (${tg})"
plot "${dat}" using 4:xtic(1) title "wasm-chord" lc rgb "#1f77b4", "" using 5 title "llama.cpp" lc rgb "#ff7f0e"
unset multiplot
`;
try {
  execFileSync("gnuplot", [], { input: gp, stdio: ["pipe", "inherit", "inherit"] });
} catch (e) {
  log(`gnuplot failed (${e.message}); install gnuplot-nox (tools/install-deps.sh)`);
}
fs.rmSync(dat, { force: true });
process.stdout.write(md);
