#!/usr/bin/env bash
# The demo model's held-out perplexity by quantization type (docs/BENCHMARKS.md): each type made from
# assets/fortune-demo.f16.gguf with `chord quantize`, scored on the whole held-out text with
# `chord perplexity` (ctx 512, all chunks) and with llama.cpp (the oracle's perplexity command, same
# method). Slow: the oracle builds a full probability map per scored token (~4 minutes per type here).
#   tools/demo-ppl-table.sh [TYPES...]    (default: F16 Q8_0 Q6_K Q5_K_M Q4_K_M Q4_0 Q3_K_M Q2_K)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
chord=${CHORD_BIN:-build/release/apps/chord/chord}
threads=${THREADS:-2}
out=build/demo-quants
mkdir -p "$out"
[[ -f build/corpus/fortunes-heldout.txt ]] || tools/make-fortune-corpus.sh build/corpus >/dev/null
text=build/corpus/fortunes-heldout.txt
types=("$@")
[[ ${#types[@]} -gt 0 ]] || types=(F16 Q8_0 Q6_K Q5_K_M Q4_K_M Q4_0 Q3_K_M Q2_K)
echo "| type | file size | PPL (chord) | PPL (llama.cpp) | difference |"
echo "| --- | ---: | ---: | ---: | ---: |"
for t in "${types[@]}"; do
  f="$out/fortune-demo.$t.gguf"
  if [[ $t == F16 ]]; then cp assets/fortune-demo.f16.gguf "$f"; else "$chord" quantize -t "$threads" assets/fortune-demo.f16.gguf "$f" "$t" >/dev/null; fi
  ours=$("$chord" perplexity -m "$f" -f "$text" -c 512 -t "$threads" --json)
  theirs=$(node tests/oracle/oracle.mjs perplexity --model "$f" --text-file "$text" --ctx 512 --threads "$threads")
  python3 - "$t" "$f" "$ours" "$theirs" <<'PY'
import json, os, sys
t, f, a, b = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
assert a["tokens"] == b["tokens"] and a["scored"] == b["scored"], (a, b)
size = os.path.getsize(f)
print(f"| {t} | {size / 1e6:.2f} MB | {a['ppl']:.4f} ± {a['error']:.2f} | {b['ppl']:.4f} ± {b['error']:.2f} | "
      f"{(a['ppl'] / b['ppl'] - 1) * 100:+.4f}% |", flush=True)
PY
done
