#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds the native release, makes the built-in
# demo model (models/demo.gguf) and generates text with it.
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
echo "Next: build/release/apps/chord/chord chat   (interactive; the demo model knows only fortune cookies)"
