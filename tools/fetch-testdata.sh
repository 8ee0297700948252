#!/usr/bin/env bash
# Fetches the test data that the oracle and parity tests need; nothing it writes is committed.
#
#  1. Installs llama.cpp as the reference oracle (npm node-llama-cpp + its prebuilt linux-x64 binaries,
#     versions pinned by tests/oracle/package-lock.json) into tests/oracle/node_modules, without the
#     other platforms' optional packages and without install scripts (so nothing is built or downloaded).
#  2. Extracts from the llama.cpp source that node-llama-cpp ships as a git bundle:
#       models/ggml-vocab-*.gguf (+ .inp/.out)  ->  testdata/vocab/      (real vocabularies, tokenizer goldens)
#       models/templates/*.jinja                ->  testdata/templates/  (real chat templates)
#     then renders the chat templates with @huggingface/jinja (tests/chat) -> testdata/chat/reference.json
#  3. Installs playwright-core for the browser tests (tests/browser/node_modules), the OpenAI client
#     that the server tests use (tests/serve/node_modules) and the web demo's packages
#     (web/demo/node_modules, tests/web-demo/node_modules).
#  4. Prints a one-line summary.
#
# Re-running is a no-op once done (stamp: testdata/.fetch-testdata.stamp, keyed on the lock file and this
# script). Needs bash, git, node and npm; the only network access is npm's registry.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
oracle="$root/tests/oracle"
testdata="$root/testdata"
stamp="$testdata/.fetch-testdata.stamp"
bundle="$oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle"

summary() {
  local n_vocab n_golden n_tmpl
  n_vocab=$(find "$testdata/vocab" -maxdepth 1 -name 'ggml-vocab-*.gguf' | wc -l)
  n_golden=$(find "$testdata/vocab" -maxdepth 1 -name 'ggml-vocab-*.gguf.inp' | wc -l)
  n_tmpl=$(find "$testdata/templates" -maxdepth 1 -name '*.jinja' | wc -l)
  echo "fetch-testdata: llama.cpp oracle (node-llama-cpp $1) in tests/oracle/node_modules;" \
    "$n_vocab vocab GGUFs ($n_golden with .inp/.out) in testdata/vocab; $n_tmpl templates in testdata/templates"
}

version_of() {  # version field of an installed package, empty if absent
  node -e 'try { console.log(require(process.argv[1]).version) } catch { console.log("") }' \
    "$oracle/node_modules/$1/package.json"
}

# Chat-template goldens: @huggingface/jinja (tests/chat, its own lock file) renders every template in
# testdata/templates for tests/chat/conversations.json into testdata/chat/reference.json, which
# test_chat_golden compares against (natively and under node). Redone only when an input changes.
chat_reference() {
  local dir="$root/tests/chat" out="$testdata/chat/reference.json" chat_key
  [[ -d "$testdata/templates" ]] || return 0
  chat_key="$(cat "$dir/package-lock.json" "$dir/render_reference.mjs" "$dir/conversations.json" \
    "$testdata"/templates/*.jinja | sha256sum | cut -d' ' -f1)"
  [[ -f "$out" && "$(cat "$testdata/chat/.stamp" 2>/dev/null)" == "$chat_key" ]] && return 0
  if ! node -e 'const p = process.argv[1]; process.exit(require(p + "/node_modules/@huggingface/jinja/package.json")
      .version === require(p + "/package.json").dependencies["@huggingface/jinja"] ? 0 : 1)' "$dir" 2>/dev/null; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  fi
  mkdir -p "$testdata/chat"
  node "$dir/render_reference.mjs" "$testdata/templates" "$out" >&2
  echo "$chat_key" >"$testdata/chat/.stamp"
}
chat_reference

# WebGPU tests (tests/webgpu): Dawn for node (npm webgpu, pinned by tests/webgpu/package-lock.json) and
# Mesa 25's lavapipe, extracted from bookworm-backports' mesa-vulkan-drivers into testdata/lavapipe with
# an ICD file pointing at it by absolute path (Debian 12's own Mesa 22 lavapipe is too old for Dawn).
# SwiftShader comes with Debian's chromium (tools/install-deps.sh). Redone only when missing.
webgpu_deps() {
  local dir="$root/tests/webgpu" have want ver d lvp="$testdata/lavapipe"
  want="$(node -p 'require(process.argv[1] + "/package.json").dependencies.webgpu' "$dir")"
  have="$(node -p 'try { require(process.argv[1] + "/node_modules/webgpu/package.json").version } catch { "" }' "$dir")"
  if [[ "$have" != "$want" ]]; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  fi
  [[ -f "$lvp/lvp_icd.json" ]] && return 0
  ver="$(apt-cache madison mesa-vulkan-drivers 2>/dev/null | awk '/bookworm-backports/ { print $3; exit }')"
  if [[ -z "$ver" ]]; then
    echo "fetch-testdata: no mesa-vulkan-drivers in bookworm-backports (tools/install-deps.sh adds it); the lavapipe WebGPU tests will skip" >&2
    return 0
  fi
  d="$(mktemp -d)"
  (cd "$d" && apt-get download -qq "mesa-vulkan-drivers=$ver" >/dev/null 2>&1) || true
  if compgen -G "$d/mesa-vulkan-drivers_*.deb" >/dev/null; then
    rm -rf "$lvp" && mkdir -p "$lvp"
    dpkg-deb -x "$d"/mesa-vulkan-drivers_*.deb "$lvp/root"
    sed "s#\"library_path\": \"[^\"]*\"#\"library_path\": \"$lvp/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so\"#" \
      "$lvp/root/usr/share/vulkan/icd.d/lvp_icd.json" >"$lvp/lvp_icd.json"
  else
    echo "fetch-testdata: could not download mesa-vulkan-drivers=$ver; the lavapipe WebGPU tests will skip" >&2
  fi
  rm -rf "$d"
}
webgpu_deps

# The official OpenAI client (npm `openai`, pinned by tests/serve/package-lock.json) that drives
# `chord serve` in tests/serve and bench/serve_load.mjs.
serve_client() {
  local dir="$root/tests/serve"
  if ! node -e 'const p = process.argv[1]; process.exit(require(p + "/node_modules/openai/package.json")
      .version === require(p + "/package.json").dependencies.openai ? 0 : 1)' "$dir" 2>/dev/null; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  fi
}
serve_client

# The browser tests' playwright-core (tests/browser, pinned by its lock file; it drives Debian's
# /usr/bin/chromium and downloads no browser).
browser_deps() {
  local dir="$root/tests/browser"
  if ! node -e 'const p = process.argv[1]; process.exit(require(p + "/node_modules/playwright-core/package.json")
      .version === require(p + "/package.json").dependencies["playwright-core"] ? 0 : 1)' "$dir" 2>/dev/null; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  fi
}
browser_deps

# The web demo's npm packages, pinned by their lock files: web/demo (marked, DOMPurify, highlight.js,
# esbuild: its build) and tests/web-demo (playwright-core: its end-to-end test).
demo_deps() {
  local dir
  for dir in "$root/web/demo" "$root/tests/web-demo"; do
    if ! node -e 'const p = process.argv[1], deps = {...require(p + "/package.json").dependencies, ...require(p + "/package.json").devDependencies};
        for (const [n, v] of Object.entries(deps)) if (require(p + "/node_modules/" + n + "/package.json").version !== v) process.exit(1)' "$dir" 2>/dev/null; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
  done
}
demo_deps

key="$(cat "$oracle/package-lock.json" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$key" && -f "$bundle" && -d "$testdata/vocab" && -d "$testdata/templates" ]]; then
  summary "$(version_of node-llama-cpp)"
  exit 0
fi

# --- 1. the oracle ----------------------------------------------------------------------------------
want="$(node -e 'console.log(require(process.argv[1]).dependencies["node-llama-cpp"])' "$oracle/package.json")"
if [[ "$(version_of node-llama-cpp)" != "$want" || "$(version_of @node-llama-cpp/linux-x64)" != "$want" ]]; then
  (cd "$oracle" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
    npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
fi

# --- 2. data from the llama.cpp source bundle -------------------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --bare "$bundle" "$tmp/src.git"
mkdir "$tmp/out"
git -C "$tmp/src.git" archive --format=tar HEAD -- 'models/ggml-vocab-*' 'models/templates/*.jinja' |
  tar -x -C "$tmp/out"

mkdir -p "$testdata"
rm -rf "$testdata/vocab" "$testdata/templates"
mv "$tmp/out/models/templates" "$testdata/templates"
mkdir "$testdata/vocab"
mv "$tmp/out/models"/ggml-vocab-* "$testdata/vocab/"

echo "$key" >"$stamp"
chat_reference
summary "$want"
