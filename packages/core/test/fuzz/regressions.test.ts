/**
 * Defects the config fuzzers found (now fixed): deeply nested or odd values in the dialects must
 * end in a DialectError, never in a RangeError/TypeError from building the error message.
 *
 */
import { describe, expect, it } from "vitest";
import { fromGoFfi } from "../../src/dialects/go-ffi.js";
import { fromPythonDict } from "../../src/dialects/python-dict.js";
import { DialectError } from "../../src/dialects/errors.js";
import { canonicalizeNetworkConfig, parseNetworkConfig } from "../../src/config/index.js";

function deep(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
    return null;
  } catch (e) {
    return e;
  }
}

describe("fuzz regressions: deeply nested values in the dialects", () => {
  it("the canonical parser refuses a 5000-deep value with issues, not an exception", () => {
    const x = { policy: { rules: [deep(5000)] } };
    expect(parseNetworkConfig(x).ok).toBe(false);
    expect(canonicalizeNetworkConfig(x).ok).toBe(false);
  });

  // go-ffi.ts parseGoRule and python-dict.ts parsePyRule / pyDictToConfig put JSON.stringify(value)
  // into their messages; a 5000-deep value (valid JSON text) makes that throw RangeError instead
  // of the documented DialectError.
  it("Go FFI: a 5000-deep rule is a DialectError", () => {
    expect(thrown(() => fromGoFfi({ custom_policy: { rules: [deep(5000)] } }))).toBeInstanceOf(DialectError);
  });

  it("Python dict: a 5000-deep rule is a DialectError", () => {
    expect(thrown(() => fromPythonDict({ custom_policy: { rules: [deep(5000)] } }))).toBeInstanceOf(DialectError);
  });

  it("Python dict: a 5000-deep custom_policy is a DialectError", () => {
    expect(thrown(() => fromPythonDict({ custom_policy: deep(5000) }))).toBeInstanceOf(DialectError);
  });
});

describe("fuzz regressions: values whose toString is not a function", () => {
  // go-ffi.ts (parseGoAction, parseGoDirection, ...) and python-dict.ts build messages with
  // String(value); a JSON object with a "toString" key ({"toString": 1}, valid JSON text) makes that
  // throw TypeError ("Cannot convert object to primitive value") instead of the DialectError.
  const odd = JSON.parse('{"toString": 1}') as unknown;

  it("Go FFI: default_egress {\"toString\": 1} is a DialectError", () => {
    expect(thrown(() => fromGoFfi({ custom_policy: { default_egress: odd, default_ingress: "deny", rules: [] } }))).toBeInstanceOf(DialectError);
  });

  it("Go FFI: rule direction {\"toString\": 1} is a DialectError", () => {
    expect(thrown(() => fromGoFfi({ custom_policy: { rules: [{ direction: odd, destination: "any", action: "allow" }] } }))).toBeInstanceOf(DialectError);
  });

  it("the canonical parser refuses the same values with issues", () => {
    expect(parseNetworkConfig({ policy: { default_egress: odd, default_ingress: "deny", rules: [] } }).ok).toBe(false);
  });
});

describe("fuzz regressions: config values rendered into messages", () => {
  // Found by core-config seed 3, step 651885: config/semantic.ts checkDestination built
  // "unknown destination group `${String(v)}`"; a group given as a JSON object with a "toString"
  // key threw TypeError ("Cannot convert object to primitive value") out of parseNetworkConfig,
  // whose contract is to return issues. Messages now render values with config/show.ts.
  const odd = JSON.parse('{"toString": 15}') as unknown;
  const config = { policy: { default_egress: "deny", rules: [{ direction: "egress", destination: { group: odd }, action: "allow" }] } };

  it("a destination group {\"toString\": 15} is refused with issues, not a TypeError", () => {
    expect(thrown(() => parseNetworkConfig(config))).toBe(null);
    expect(parseNetworkConfig(config).ok).toBe(false);
    expect(canonicalizeNetworkConfig(config).ok).toBe(false);
  });
});
