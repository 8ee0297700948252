#!/usr/bin/env bash
# Writes the built-in demo model, models/demo.gguf: a small random-weight Llama with the real Llama 2
# SentencePiece vocabulary (from tools/fetch-testdata.sh), F16, seeded so every machine gets the same file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p models
[[ -f models/demo.gguf ]] && exit 0
build/release/apps/chord/chord synth --vocab testdata/vocab/ggml-vocab-llama-spm.gguf -o models/demo.gguf \
  --shape tiny --type f16 --seed 42 --name "wasm-chord demo (random weights)"
