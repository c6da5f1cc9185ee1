#!/usr/bin/env bash
# Every test: generated-code drift, type-checks, every package's vitest suite (unit, netns and VM
# end-to-end), the conformance suite, the polyglot parity harnesses and the benchmarks in their
# bounded form (bench/run-all.sh --ci). Prints one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
export SANDBOX_TEST_REPORT_DIR="$PWD/.cache/test-reports"
rm -rf "$SANDBOX_TEST_REPORT_DIR"; mkdir -p "$SANDBOX_TEST_REPORT_DIR"
status=0
step() { echo "== $*"; "$@" || { echo "FAILED: $*"; status=1; }; }
step pnpm --silent generate --check
step pnpm --silent typecheck --continue --output-logs=errors-only
step pnpm --silent test --continue --concurrency=1 --output-logs=new-only
step pnpm --silent conformance --output-logs=new-only
step pnpm --silent conformance:polyglot
step pnpm --silent bench:ci
node scripts/test-summary.mjs "$SANDBOX_TEST_REPORT_DIR" || status=1
exit $status
