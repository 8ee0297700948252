#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds the native release, makes the built-in
# demo model (models/demo.gguf), generates text with it, then builds the WebAssembly modules and the
# browser chat page (web/dist) and says how to serve it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tools/install-deps.sh
tools/fetch-testdata.sh
cmake --preset release >/dev/null
cmake --build --preset release
tools/make-demo-model.sh
echo
build/release/apps/chord/chord info
echo
build/release/apps/chord/chord run -n 80 --seed 3
echo
echo "quickstart: building the WebAssembly modules and the chat page (web/dist)"
export NODE_PATH=/usr/share/nodejs   # emscripten 3.1.6 needs it (TOOLCHAIN.md)
cmake --preset wasm >/dev/null
cmake --build --preset wasm --target chord-threaded chord-single
node web/demo/build.mjs
cat <<'EOT'

Next:
  build/release/apps/chord/chord chat       interactive chat in the terminal (the demo model knows fortune cookies)
  node tools/serve-demo.mjs                  the chat page at http://127.0.0.1:8080/ (press "Try the demo model")
  build/release/apps/chord/chord serve       OpenAI-compatible API on :8080, serving the chat page at / too
EOT
