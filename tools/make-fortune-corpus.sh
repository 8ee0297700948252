#!/usr/bin/env bash
# Makes the demo model's corpus: Debian's English fortune cookies (packages fortunes, fortunes-min,
# fortunes-bofh-excuses, fortunes-debian-hints; tools/install-deps.sh installs them), cleaned into one
# text with a fixed split: fortune i (0-based, after cleaning) is held out when i % 20 == 19.
#   tools/make-fortune-corpus.sh [OUTDIR]   (default build/corpus)
# Writes OUTDIR/fortunes-train.txt, fortunes-heldout.txt, fortunes-all.txt (each entry followed by a
# line '%', the fortune file format) and corpus-stats.txt. tools/fortune_corpus.py says how it cleans.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/build/corpus}"
python3 "$root/tools/fortune_corpus.py" "$out"
