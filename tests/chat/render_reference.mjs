// Renders every chat template under a folder with @huggingface/jinja, the reference implementation,
// for the conversations in conversations.json (each with add_generation_prompt off and on), and writes
// the outputs, or the reference's error where it fails, as one JSON file that the C++ golden test
// (tests/unit/test_chat_golden.cpp) compares wasm-chord's interpreter against.
//   node render_reference.mjs TEMPLATE_DIR OUT_JSON
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Environment, Template } from "@huggingface/jinja";

const [templateDir, outPath] = process.argv.slice(2);
if (!templateDir || !outPath) {
  console.error("usage: node render_reference.mjs TEMPLATE_DIR OUT_JSON");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const spec = JSON.parse(readFileSync(join(here, "conversations.json"), "utf8"));

// strftime_now at a fixed moment, so that dated templates render the same every day. Same subset of
// directives as the reference's own strftime_now; month names in English.
const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
function strftimeFixed(format) {
  const d = spec.date;
  const pad2 = (n) => String(n).padStart(2, "0");
  return format.replace(/%[YmdbBHM%]/g, (t) => ({
    "%Y": String(d.year), "%m": pad2(d.month), "%d": pad2(d.day), "%b": months[d.month - 1].slice(0, 3),
    "%B": months[d.month - 1], "%H": pad2(d.hour), "%M": pad2(d.minute), "%%": "%",
  })[t]);
}

// The reference declares strftime_now (and refuses to redeclare it) when it sets up each render's globals:
// hand it the fixed clock at that moment instead of the real one.
const declare = Environment.prototype.set;
Environment.prototype.set = function (name, value) {
  return declare.call(this, name, name === "strftime_now" ? strftimeFixed : value);
};

const names = readdirSync(templateDir).filter((f) => f.endsWith(".jinja")).sort();
const result = { reference: "@huggingface/jinja " + referenceVersion(), templates: {} };
for (const name of names) {
  const source = readFileSync(join(templateDir, name), "utf8");
  const cases = {};
  let template;
  try {
    template = new Template(source);
  } catch (e) {
    result.templates[name] = { parse_error: String(e.message ?? e) };
    continue;
  }
  for (const [convName, messages] of Object.entries(spec.conversations)) {
    for (const addGenerationPrompt of [false, true]) {
      const key = `${convName}/${addGenerationPrompt ? "gen" : "nogen"}`;
      try {
        const out = template.render({
          messages,
          bos_token: spec.bos_token,
          eos_token: spec.eos_token,
          add_generation_prompt: addGenerationPrompt,
          tools: null,
        });
        cases[key] = { output: out };
      } catch (e) {
        cases[key] = { error: String(e.message ?? e) };
      }
    }
  }
  result.templates[name] = { cases };
}
writeFileSync(outPath, JSON.stringify(result, null, 1) + "\n");
const n = Object.values(result.templates);
const ok = n.filter((t) => t.cases && Object.values(t.cases).every((c) => "output" in c)).length;
console.log(`render_reference: ${names.length} templates, ${ok} render every conversation -> ${outPath}`);

function referenceVersion() {
  const pkg = JSON.parse(readFileSync(join(here, "node_modules/@huggingface/jinja/package.json"), "utf8"));
  return pkg.version;
}
