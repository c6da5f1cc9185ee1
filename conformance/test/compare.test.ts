import { describe, expect, it } from "vitest";
import { judge, mismatch, renderPolicy, renderRule, resolveKey } from "../src/compare.js";

describe("judge", () => {
  it("error expectations need a rejection; internal errors never count", () => {
    expect(judge("error", { id: "a", error: "bad" })).toBeUndefined();
    expect(judge("error: max_connections 5", { id: "a", error: "max_connections 5 exceeds hard limit 4096" })).toBeUndefined();
    expect(judge("error: other", { id: "a", error: "max_connections 5" })).toMatch(/expected error starting/);
    expect(judge("error", { id: "a", actual: "allow" })).toMatch(/expected "error"/);
    expect(judge("error", { id: "a", error: "internal error: TypeError: x" })).toMatch(/^internal error/);
    expect(judge("allow", { id: "a", error: "nope" })).toMatch(/got error/);
    expect(judge("allow", undefined)).toBe("no response");
  });
  it("scalars compare exactly", () => {
    expect(judge("allow", { id: "a", actual: "allow" })).toBeUndefined();
    expect(judge("allow", { id: "a", actual: "deny" })).toMatch(/expected "allow", got "deny"/);
    expect(mismatch(true, false)).toBeDefined();
    expect(mismatch(3, 3)).toBeUndefined();
  });
});

describe("projection by expected keys", () => {
  const bag = {
    rules: [
      { direction: "egress", destination: { group: "loopback" }, protocols: [], ports: [], action: "allow" },
      { direction: "any", destination: { group: "host" }, protocols: ["tcp"], ports: [{ start: 53, end: 53 }], action: "deny" },
    ],
    secrets: { on_violation: "block" },
    effective: { tls: { block_quic_on_intercept: true } },
  };
  it("resolves own keys, plurals over lists, effective_ views and deep keys", () => {
    expect(resolveKey(bag, "directions")).toEqual({ found: true, value: ["egress", "any"] });
    expect(resolveKey(bag, "groups")).toEqual({ found: true, value: ["loopback", "host"] });
    expect(resolveKey(bag, "on_violation")).toEqual({ found: true, value: "block" });
    expect(resolveKey(bag, "effective_block_quic_on_intercept")).toEqual({ found: true, value: true });
    expect(resolveKey(bag, "nothing_here").found).toBe(false);
  });
  it("fails on a wrong projected value, a missing key or a length mismatch", () => {
    expect(mismatch({ directions: ["egress", "egress"] }, bag)).toMatch(/\$\.directions\[1\]/);
    expect(mismatch({ nothing_here: 1 }, bag)).toMatch(/missing/);
    expect(mismatch({ groups: ["loopback"] }, bag)).toMatch(/expected 1 items, got 2/);
    expect(mismatch({ rules: [{ action: "allow" }, { action: "deny" }] }, bag)).toBeUndefined();
  });
  it("renders rules and profile policies for prose expectations", () => {
    expect(renderRule(bag.rules[1] as never)).toBe("deny any host tcp/53");
    expect(renderPolicy({ default_egress: "deny", default_ingress: "allow", rules: [] })).toBe("from_profiles([])");
    expect(mismatch(["allow egress loopback", "deny any host tcp/53"], bag.rules)).toBeUndefined();
    expect(mismatch(["allow egress loopback", "deny any host udp/53"], bag.rules)).toBeDefined();
  });
  it("parenthesised comments and notes are not assertions; *Contains checks substrings", () => {
    expect(mismatch("unchanged (placeholder kept)", "unchanged")).toBeUndefined();
    expect(mismatch("unchanged (placeholder kept)", "substituted")).toBeDefined();
    expect(mismatch({ ok: 1, notes: "prose", note_d7: "more" }, { ok: 1 })).toBeUndefined();
    expect(mismatch({ error: "x: bad mode", errorContains: "bad mode" }, { error: "x: bad mode" })).toBeUndefined();
    expect(mismatch({ errorContains: "other" }, { error: "x: bad mode" })).toMatch(/to contain/);
  });
});
