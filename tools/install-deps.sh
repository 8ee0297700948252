#!/usr/bin/env bash
# Installs what building and testing wasm-chord needs on Debian 12 (apt; npm packages come from
# tools/fetch-testdata.sh). Quiet and quick when everything is already there. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache git python3 xz-utils
  clang-14 libclang-rt-14-dev clang-format              # asan/fuzz presets, formatting
  libgtest-dev googletest libbenchmark-dev              # unit tests, kernel benchmarks
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev    # the chord CLI and server
  emscripten                                            # the wasm preset (3.1.6)
  chromium                                              # the npm package's browser tests and benchmark
  unicode-data                                          # tokenizer Unicode tables
  fortunes fortunes-min fortunes-bofh-excuses fortunes-debian-hints  # the demo model's corpus
  libvulkan1 mesa-vulkan-drivers                        # WebGPU tests (SwiftShader comes with chromium)
  gnuplot-nox linux-perf valgrind                       # benchmark charts, profiling
)
# node runs the wasm tests and the llama.cpp oracle; one from another source (NodeSource) is fine.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# WebGPU tests use Mesa 25's lavapipe from bookworm-backports (tools/fetch-testdata.sh extracts it).
if ! apt-cache madison mesa-vulkan-drivers 2>/dev/null | grep -q bookworm-backports; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "install-deps: adding the bookworm-backports source (for Mesa 25's lavapipe)"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
    $sudo tee /etc/apt/sources.list.d/chord-backports.sources >/dev/null
  $sudo apt-get update -qq
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [[ $node_major -lt 20 ]]; then
  echo "install-deps: node $(node --version) is too old: the llama.cpp oracle (node-llama-cpp) needs node 20 or newer" >&2
  exit 1
fi
