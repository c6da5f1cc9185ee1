#!/usr/bin/env bash
# Polyglot conformance (issue 9): proves the canonical wire format (schemas/network.schema.json)
# in Python, Go and Rust with the generated bindings in conformance/{python,go,rust}/gen, and
# checks the recorded upstream SDK outputs against the TypeScript dialects.
#
# Steps: export the wire cases (vectors + fixtures + canonical forms, refereed by the JSON Schema);
# per language, a negative control (a harness fed misfiled cases must fail), the round trip and
# the language's own unit tests (pytest, go test, cargo test); the same harnesses on bindings of a
# stress schema (polyglot/stress: constructs the network schema lacks); then the upstream-fixture test. A missing toolchain is a SKIP (printed), or a failure when
# SANDBOX_REQUIRE_POLYGLOT=1 or SANDBOX_REQUIRE_E2E=1. Ends with `polyglot: N passed, M failed`.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/polyglot.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
REQUIRE=0
if [ "${SANDBOX_REQUIRE_POLYGLOT:-}" = 1 ] || [ "${SANDBOX_REQUIRE_E2E:-}" = 1 ]; then REQUIRE=1; fi

passed=0
failed=0
ran=()
skipped=()

ok() { passed=$((passed + 1)); echo "polyglot: PASS $1"; }
bad() { failed=$((failed + 1)); echo "polyglot: FAIL $1"; }
skip() {
  skipped+=("$1")
  if [ "$REQUIRE" = 1 ]; then bad "$1 skipped but required: $2"; else echo "polyglot: SKIP $1: $2"; fi
}

echo "polyglot: exporting wire cases"
if node --version >/dev/null 2>&1 \
  && npx --no-install tsx --conditions=@sandbox/source conformance/polyglot/export-wire.ts "$WORK/cases.json"; then
  ok "export-wire"
else
  bad "export-wire (cannot build the cases; nothing else can run)"
  echo "polyglot: ${passed} passed, ${failed} failed"
  exit 1
fi
# Negative control: one invalid case filed as valid and one valid case filed as invalid.
node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  fs.writeFileSync(process.argv[2], JSON.stringify({ valid: [c.invalid[0]], invalid: [c.valid[0]] }));
' "$WORK/cases.json" "$WORK/control.json"

# run_lang NAME CMD...: the negative control must fail, the real cases must pass.
run_lang() {
  local name=$1
  shift
  ran+=("$name")
  if "$@" "$WORK/control.json" >"$WORK/$name.control.log" 2>&1; then
    bad "$name negative control (a harness that accepts misfiled cases proves nothing)"
    cat "$WORK/$name.control.log"
  else
    ok "$name negative control"
  fi
  if "$@" "$WORK/cases.json"; then ok "$name round trip"; else bad "$name round trip"; fi
}

if command -v python3 >/dev/null 2>&1; then
  echo "polyglot: python: $(python3 --version 2>&1)"
  run_lang python python3 conformance/python/roundtrip.py
  if python3 -c 'import pytest' 2>/dev/null; then
    if python3 -m pytest -q -p no:cacheprovider conformance/python/test_bindings.py; then ok "python unit tests (pytest)"; else bad "python unit tests (pytest)"; fi
  else
    skip "python unit tests" "pytest not installed"
  fi
else
  skip python "python3 not found"
fi

if command -v go >/dev/null 2>&1; then
  echo "polyglot: go: $(go version)"
  if (cd conformance/go && go vet ./... && go build -o "$WORK/go-roundtrip" ./cmd/roundtrip); then
    run_lang go "$WORK/go-roundtrip"
    if (cd conformance/go && go test ./...); then ok "go unit tests"; else bad "go unit tests"; fi
  else
    ran+=(go)
    bad "go build"
  fi
else
  skip go "go not found"
fi

if command -v cargo >/dev/null 2>&1; then
  echo "polyglot: rust: $(cargo --version)"
  if (cd conformance/rust && cargo build --release --locked -q); then
    run_lang rust conformance/rust/target/release/roundtrip
    if (cd conformance/rust && cargo test --release --locked -q); then ok "rust unit tests"; else bad "rust unit tests"; fi
  else
    ran+=(rust)
    bad "rust build (first build needs crates.io for serde, serde_json, regex-lite; later builds are offline)"
  fi
else
  skip rust "cargo not found"
fi

# Stress schema: the codegen path on constructs the network schema does not use (generic fixer).
echo "polyglot: stress bindings (conformance/polyglot/stress)"
S="$WORK/stress"
STRESS_CASES="$ROOT/conformance/polyglot/stress/cases.json"
if npx --no-install tsx conformance/polyglot/gen-stress.ts "$S"; then
  ok "stress bindings generated"
  if command -v python3 >/dev/null 2>&1; then
    cp conformance/python/roundtrip.py "$S/python/"
    if python3 "$S/python/roundtrip.py" "$STRESS_CASES"; then ok "python stress"; else bad "python stress"; fi
  fi
  if command -v go >/dev/null 2>&1; then
    cp -r conformance/go/go.mod conformance/go/cmd "$S/go/" && rm -f "$S/go/cmd/roundtrip/"*_test.go
    if (cd "$S/go" && go vet ./... && go run ./cmd/roundtrip "$STRESS_CASES"); then ok "go stress"; else bad "go stress"; fi
  fi
  if command -v cargo >/dev/null 2>&1; then
    mkdir -p "$S/rust/src" && cp conformance/rust/Cargo.toml conformance/rust/Cargo.lock "$S/rust/" && cp conformance/rust/src/main.rs "$S/rust/src/"
    if (cd "$S/rust" && CARGO_TARGET_DIR="$ROOT/conformance/rust/target/stress" cargo run --release --locked -q -- "$STRESS_CASES"); then ok "rust stress"; else bad "rust stress"; fi
  fi
else
  bad "stress bindings generated"
fi

echo "polyglot: upstream fixtures vs the TypeScript dialects"
if (cd conformance && npx --no-install vitest run test/upstream-fixtures.test.ts); then
  ok "upstream fixtures"
else
  bad "upstream fixtures"
fi

echo "polyglot: languages run: ${ran[*]:-none}; skipped: ${skipped[*]:-none}"
echo "polyglot: ${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
