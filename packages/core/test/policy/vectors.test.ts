/**
 * Runs the shared conformance vectors of the kinds the policy engine owns (group, egress,
 * ingress, dns, domain_name, host_pattern, tls_pattern) against the compiled evaluator.
 */
import { describe, expect, it } from "vitest";
import { actual, agrees } from "./vector-probe.js";
import { loadVectors } from "./vector-config.js";

const KINDS = new Set(["group", "egress", "ingress", "dns", "domain_name", "host_pattern", "tls_pattern"]);

/** Vectors that cannot pass because of a decision (id → reason). Must stay empty unless justified. */
const XFAIL: Record<string, string> = {};
const vectors = loadVectors(["microsandbox.json", "seed.json"]).filter((v) => KINDS.has(v.probe.kind));

describe("shared conformance vectors (policy kinds)", () => {
  it("has vectors of every owned kind", () => {
    const kinds = new Set(vectors.map((v) => v.probe.kind));
    expect([...kinds].sort()).toEqual([...KINDS].sort());
  });
  for (const v of vectors) {
    it(`${v.id} (${v.probe.kind})`, () => {
      const got = actual(v);
      if (XFAIL[v.id] !== undefined) {
        expect(agrees(v.expect, got), `${v.id} is on the xfail list but passes`).toBe(false);
        return;
      }
      expect(agrees(v.expect, got), `expected ${JSON.stringify(v.expect)}, got ${JSON.stringify(got)}`).toBe(true);
    });
  }
});
