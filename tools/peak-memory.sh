#!/usr/bin/env bash
# Peak resident memory (VmHWM) of `chord logits` filling a context of N tokens (prompt batches of 128)
# on a model, against the file size plus the KV cache size. Usage:
#   tools/peak-memory.sh MODEL.gguf [CTX...]        (default contexts: 256 2048)
# Run it under the benchmark lock. CHORD_REPACK=0 in the environment measures without repacking.
set -euo pipefail
chord=${CHORD_BIN:-build/release/apps/chord/chord}
model=$1; shift
ctxs=("${@:-256 2048}")
# kv bytes per token: 2 (K and V) x layers x kv_dim x 2 (F16)
kv_per_token=$("$chord" info -m "$model" 2>/dev/null | node -e '
  const s = require("fs").readFileSync(0, "utf8");
  const g = (key) => Number(s.match(new RegExp("\\." + key + "\\s+u32\\s+(\\d+)"))[1]);
  const dim = g("embedding_length"), heads = g("attention.head_count"), kv = g("attention.head_count_kv");
  console.log(2 * g("block_count") * kv * (dim / heads) * 2);')
file_bytes=$(stat -L -c %s "$model")
for ctx in ${ctxs[@]}; do
  ids=$(seq -s, 1 $((ctx - 1)))
  out=$( { /usr/bin/time -f "%M" "$chord" logits -m "$model" -c "$ctx" -b 128 -t 2 --top 1 --ids "$ids" >/dev/null; } 2>&1 | tail -1)
  node -e "const [f, kv, ctx, hwm] = process.argv.slice(1).map(Number); const mib = (x) => (x / 2 ** 20).toFixed(1);
    console.log('ctx ' + ctx + ': VmHWM ' + mib(hwm * 1024) + ' MiB, file ' + mib(f) + ' MiB + KV ' + mib(kv * ctx) +
      ' MiB = ' + mib(f + kv * ctx) + ' MiB, overhead ' + mib(hwm * 1024 - f - kv * ctx) + ' MiB')" \
    "$file_bytes" "$kv_per_token" "$ctx" "$out"
done
