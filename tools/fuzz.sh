#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset: clang 14, ASan + UBSan) and runs each for a while.
#   tools/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Corpora live in build/fuzz/corpus/<target> (kept between runs, git-ignored), seeded from llama.cpp's
# files (tools/fetch-testdata.sh): vocabulary GGUFs for the reader, tokenizer test strings for the
# tokenizers, chat templates for the template interpreter. A crash leaves its input in build/fuzz/ and
# fails the script.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
shift || true
targets=("$@")

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz >/dev/null
if [[ ${#targets[@]} -eq 0 ]]; then
  for t in build/fuzz/tests/fuzz/fuzz_*; do [[ -x $t ]] && targets+=("$(basename "$t")"); done
fi

seed() {  # seed TARGET CORPUS: a few real inputs to start from
  local target=$1 corpus=$2 f i=0
  [[ -d testdata/vocab ]] || return 0
  case $target in
    fuzz_gguf)
      # The first 64 KiB of each vocabulary (header, tokens) keeps executions fast.
      for f in testdata/vocab/*.gguf; do
        [[ -f "$corpus/seed-$(basename "$f")" ]] || head -c 65536 "$f" >"$corpus/seed-$(basename "$f")"
      done ;;
    fuzz_tokenizer)
      # The first byte picks the vocabulary and flags; the rest is llama.cpp's tokenizer test text.
      for f in testdata/vocab/*.inp; do
        i=$((i + 1))
        [[ -f "$corpus/seed-$i" ]] || { printf "\\x$(printf %02x $((i * 37 % 256)))"; head -c 4096 "$f"; } >"$corpus/seed-$i"
      done ;;
    fuzz_chat_template)
      for f in testdata/templates/*.jinja; do
        [[ -f "$corpus/seed-$(basename "$f")" ]] || cp "$f" "$corpus/seed-$(basename "$f")"
      done ;;
  esac
}

for target in "${targets[@]}"; do
  corpus="build/fuzz/corpus/$target"
  mkdir -p "$corpus"
  seed "$target" "$corpus"
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
