/** Tests for secret host patterns with DNS pinning (§6.2), secret classification (§6.3), TLS bypass (§5.5). */
import { describe, expect, it } from "vitest";
import {
  classifySecret,
  classifySecrets,
  hostPatternMatches,
  mostSpecificPattern,
  secretHostAllowed,
  strictestAction,
  tlsBypassed,
  tlsPatternMatches,
  type SecretConnection,
} from "./imports.js";

const conn = (host: string, pinnedNames: string[] = [], extra: Partial<SecretConnection> = {}): SecretConnection => ({
  host,
  pinned: (pred) => pinnedNames.some(pred),
  destinationIsGateway: false,
  requirePin: true,
  ...extra,
});

describe("host patterns (§6.2)", () => {
  it("match exact case-insensitively without trailing-dot stripping, wildcards with apex", () => {
    expect(hostPatternMatches({ exact: "API.openai.com" }, "api.OPENAI.com")).toBe(true);
    expect(hostPatternMatches({ exact: "api.openai.com." }, "api.openai.com")).toBe(false);
    expect(hostPatternMatches({ wildcard: "*.openai.com" }, "openai.com")).toBe(true);
    expect(hostPatternMatches({ Wildcard: "*.openai.com" }, "a.b.openai.com")).toBe(true);
    expect(hostPatternMatches({ wildcard: "*.openai.com" }, "evilopenai.com")).toBe(false);
    expect(hostPatternMatches("any", "anything")).toBe(true);
    expect(() => hostPatternMatches({ regex: "x" } as never, "x")).toThrow(/expected \{"exact": host\}/);
  });

  it("require a DNS pin unless any / CONNECT / gateway alias", () => {
    expect(secretHostAllowed({ exact: "api.openai.com" }, conn("api.openai.com"))).toBe(false);
    expect(secretHostAllowed({ exact: "api.openai.com" }, conn("api.openai.com", ["api.openai.com"]))).toBe(true);
    expect(secretHostAllowed({ wildcard: "*.openai.com" }, conn("api.openai.com", ["cdn.openai.com"]))).toBe(true);
    expect(secretHostAllowed({ exact: "api.openai.com" }, conn("api.openai.com", [], { requirePin: false }))).toBe(true);
    expect(secretHostAllowed("any", conn("x.example"))).toBe(true);
    expect(
      secretHostAllowed({ exact: "host.microsandbox.internal" }, conn("host.microsandbox.internal", [], { destinationIsGateway: true })),
    ).toBe(true);
    expect(secretHostAllowed({ exact: "host.microsandbox.internal" }, conn("host.microsandbox.internal"))).toBe(false);
  });
});

describe("secret classification (§6.3)", () => {
  const s = (on_violation?: unknown, placeholder = "$MSB_K") => ({
    env_var: "K",
    placeholder,
    allowed_hosts: [{ exact: "api.openai.com" }],
    ...(on_violation === undefined ? {} : { on_violation: on_violation as never }),
  });
  it("eligible on an allowed pinned host", () => {
    expect(classifySecret(s(), conn("api.openai.com", ["api.openai.com"]))).toEqual({ kind: "eligible" });
  });
  it("violation with per-secret or global action", () => {
    expect(classifySecret(s(), conn("evil.com"))).toEqual({ kind: "violation", action: "block-and-log" });
    expect(classifySecret(s("block-and-terminate"), conn("evil.com"))).toEqual({ kind: "violation", action: "block-and-terminate" });
    expect(classifySecret(s(), conn("evil.com"), "block")).toEqual({ kind: "violation", action: "block" });
  });
  it("passthrough only for listed hosts; non-matching passthrough falls back", () => {
    const pt = { passthrough: [{ exact: "proxy.local" }] };
    expect(classifySecret(s(pt), conn("proxy.local"))).toEqual({ kind: "passthrough" });
    expect(classifySecret(s(pt), conn("evil.com"), "block")).toEqual({ kind: "violation", action: "block" });
    expect(classifySecret(s(), conn("evil.com"), pt)).toEqual({ kind: "violation", action: "block-and-log" });
    expect(classifySecret(s(), conn("proxy.local"), pt)).toEqual({ kind: "passthrough" });
    expect(classifySecret(s("passthrough"), conn("anything"))).toEqual({ kind: "passthrough" });
  });
  it("a placeholder shared with an eligible secret is not a violation; strictest action wins", () => {
    const other = { env_var: "O", placeholder: "$MSB_K", allowed_hosts: [{ exact: "other.com" }] };
    expect(classifySecrets([s(), other], conn("api.openai.com", ["api.openai.com"]))).toEqual([{ kind: "eligible" }, { kind: "eligible" }]);
    expect(strictestAction(["block", "block-and-terminate", "block-and-log"])).toBe("block-and-terminate");
    expect(strictestAction([])).toBeUndefined();
  });
});

describe("TLS bypass patterns (§5.5)", () => {
  it("canonicalize and match exact or *.suffix (apex included)", () => {
    expect(tlsPatternMatches("*.Example.COM.", "API.example.com.")).toBe(true);
    expect(tlsPatternMatches("*.example.com", "example.com")).toBe(true);
    expect(tlsPatternMatches("*.example.com", "badexample.com")).toBe(false);
    expect(tlsPatternMatches("api.internal.", "api.internal")).toBe(true);
    expect(tlsPatternMatches("api.internal", "x.api.internal")).toBe(false);
    expect(tlsBypassed(["a.com", "*.b.com"], "x.b.com")).toBe(true);
  });
  it("pick the most specific scoped pattern", () => {
    const entries = [{ pattern: "*.com" }, { pattern: "*.example.com" }, { pattern: "api.example.com" }, { pattern: "*.other.com" }];
    expect(mostSpecificPattern(entries, "api.example.com")?.pattern).toBe("api.example.com");
    expect(mostSpecificPattern(entries, "web.example.com")?.pattern).toBe("*.example.com");
    expect(mostSpecificPattern(entries, "x.org")).toBeUndefined();
  });
});
