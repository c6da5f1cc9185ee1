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

describe("fuzz regressions: canonicalization is a fixed point for secrets", () => {
  // Found by core-config seed 12, step 6861949: a secret without a placeholder gets the default
  // `$MSB_<env_var>`; a ~5,000-byte env_var was accepted, but the canonical form (which writes the
  // default out) failed the 1,024-byte placeholder limit when parsed again. The default
  // placeholder is now checked like an explicit one, at the env_var's path.
  const secret = (env_var: string, extra: Record<string, unknown> = {}) => ({
    secrets: { secrets: [{ env_var, value: "v", allowed_hosts: [{ exact: "api.example.com" }], ...extra }] },
  });

  it("an env_var whose default placeholder is over 1,024 bytes is refused at $.secrets.secrets[0].env_var", () => {
    const r = parseNetworkConfig(secret("A".repeat(5000)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((i) => i.path)).toEqual(["$.secrets.secrets[0].env_var"]);
    expect(r.errors[0]?.message).toMatch(/placeholder must be at most 1024 bytes, got 5005 \(the default placeholder/);
  });

  it("the limit is exact: 1,019 bytes of env_var canonicalize and parse again; 1,020 do not", () => {
    const ok = canonicalizeNetworkConfig(secret("B".repeat(1019)));
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(parseNetworkConfig(ok.value).ok).toBe(true);
    expect(parseNetworkConfig(secret("B".repeat(1020))).ok).toBe(false);
  });

  it("an explicit placeholder lifts the bound; a line break in env_var needs one too", () => {
    expect(parseNetworkConfig(secret("C".repeat(5000), { placeholder: "$KEY" })).ok).toBe(true);
    expect(parseNetworkConfig(secret("A\nB")).ok).toBe(false);
    expect(parseNetworkConfig(secret("A\nB", { placeholder: "$KEY" })).ok).toBe(true);
  });

  it("the default placeholder is still checked when another field of the secret has an issue", () => {
    const r = parseNetworkConfig(secret("A".repeat(5000), { allowed_hosts: [] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((i) => i.path).sort()).toEqual(["$.secrets.secrets[0].allowed_hosts", "$.secrets.secrets[0].env_var"]);
  });

  it("a bad env_var is reported once, not again as its default placeholder", () => {
    const r = parseNetworkConfig(secret("A\0B"));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toHaveLength(1);
  });
});
