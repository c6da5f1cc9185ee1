#!/usr/bin/env bash
# Runs every benchmark and assembles bench/RESULTS.md from their fragments.
#   bash bench/run-all.sh          full forms (tens of minutes; root for the netns/VM benchmarks)
#   bash bench/run-all.sh --ci     bounded forms (smoke: the harnesses work; figures not recorded)
# Benchmarks compare side by side in one run against their peers (a naive scan, slirp4netns, veth,
# passt, direct TLS); the numbers are medians, the ratios are what to read.
set -uo pipefail
cd "$(dirname "$0")/.."
ci=0
[ "${1:-}" = "--ci" ] && ci=1
status=0
run() { echo "== bench: $*"; "$@" || { echo "bench FAILED: $*"; status=1; }; }
tsx=(node --conditions=@sandbox/source --import tsx)
if [ $ci = 1 ]; then
  run "${tsx[@]}" bench/policy/run.ts --quick
  run bash bench/netproxy-l7/run.sh --quick
  run bash bench/netproxy/run.sh
  run "${tsx[@]}" bench/fuzz/run.ts --inputs 20000 --results-dir "$(mktemp -d)"
else
  run "${tsx[@]}" bench/policy/run.ts
  run bash bench/netproxy-l7/run.sh
  run bash bench/netproxy/run.sh --full
  run pnpm --filter @sandbox/vmm-qemu bench:vm
  run bash bench/soak/run.sh
  run "${tsx[@]}" bench/fuzz/run.ts --top-up --inputs 10000000
  run "${tsx[@]}" bench/fuzz/run.ts --report
  node bench/compose.mjs
fi
exit $status
