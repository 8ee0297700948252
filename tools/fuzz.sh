#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset: clang 14, ASan + UBSan) and runs each for a while.
#   tools/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Corpora live in build/fuzz/corpus/<target> (kept between runs, git-ignored), seeded from the llama.cpp
# vocabulary files (tools/fetch-testdata.sh). A crash leaves its input in build/fuzz/ and fails the script.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_gguf)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz >/dev/null

for target in "${targets[@]}"; do
  corpus="build/fuzz/corpus/$target"
  mkdir -p "$corpus"
  if [[ -d testdata/vocab ]]; then
    for f in testdata/vocab/*.gguf; do
      # Seeds: the first 64 KiB of each vocabulary (header, tokens) keeps executions fast.
      [[ -f "$corpus/seed-$(basename "$f")" ]] || head -c 65536 "$f" >"$corpus/seed-$(basename "$f")"
    done
  fi
  echo "fuzz.sh: $target for ${seconds}s"
  log="build/fuzz/$target.log"
  status=0
  "build/fuzz/tests/fuzz/$target" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="build/fuzz/$target-" >"$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)" "$log" || true
  if [[ $status -ne 0 ]]; then
    grep -E "==[0-9]+==|SUMMARY|Test unit written|ERROR" "$log" | head -20
    echo "fuzz.sh: $target FAILED (log: $log)"
    exit 1
  fi
done
