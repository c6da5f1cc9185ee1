#!/usr/bin/env bash
# The main job: `sandbox demo` (root is needed for the network namespaces; sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=(node packages/cli/dist/bin.js demo "$@")
if [ "$(id -u)" = 0 ]; then exec "${bin[@]}"; else exec sudo "${bin[@]}"; fi
