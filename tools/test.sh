#!/usr/bin/env bash
# The README's second command and what CI runs: the whole test suite.
#   wasm preset (emscripten): unit tests under node; writes the npm package's modules into web/dist
#   native release build: unit tests + parity tests against llama.cpp + the npm package in node and
#   headless Chromium (ctest)
#   asan preset (clang 14, ASan + UBSan): unit tests
#   fuzz smoke: each libFuzzer target for CHORD_FUZZ_SECONDS (default 30)
# Exits non-zero when anything fails; the last line sums up every ctest run.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CHORD_REQUIRE_TESTDATA=1 NODE_PATH=/usr/share/nodejs
jobs=$(nproc)

tools/install-deps.sh || exit 1
tools/fetch-testdata.sh || exit 1

passed=0
failed=0
status=0
run_preset() {  # configure, build and test one preset, adding its counts to the totals
  local preset=$1 log
  echo "== $preset =="
  if ! cmake --preset "$preset" >/dev/null || ! cmake --build --preset "$preset" -j "$jobs"; then
    echo "test.sh: $preset build FAILED"
    status=1
    failed=$((failed + 1))
    return
  fi
  log=$(mktemp)
  ctest --preset "$preset" -j "$jobs" 2>&1 | tee "$log" | grep -vE '^ +Start |Test +#[0-9]+: .* Passed'
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
  local line total failures
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  failures=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
  passed=$((passed + ${total:-0} - ${failures:-0}))
  failed=$((failed + ${failures:-1}))
  rm -f "$log"
}

# wasm first: it writes web/dist, which the release preset's web.api and web.browser tests load.
run_preset wasm
run_preset release
run_preset asan

echo "== fuzz smoke =="
if tools/fuzz.sh "${CHORD_FUZZ_SECONDS:-30}"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi

echo
echo "all suites: $passed passed, $failed failed"
exit $status
