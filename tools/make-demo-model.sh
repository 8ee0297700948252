#!/usr/bin/env bash
# Puts the built-in demo model in place: models/demo.gguf, a copy of the committed
# assets/fortune-demo.f16.gguf (a 4.3M-parameter Llama trained on Debian's fortune cookies by
# tools/train_demo_model.py; docs/BENCHMARKS.md has its perplexity). `chord run` / `chord chat`
# without -m load models/demo.gguf.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p models
cmp -s assets/fortune-demo.f16.gguf models/demo.gguf 2>/dev/null || cp assets/fortune-demo.f16.gguf models/demo.gguf
