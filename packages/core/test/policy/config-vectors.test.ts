/**
 * End-to-end over the canonical config: every egress / ingress / dns vector (shared vectors plus
 * the repo's decision vectors) whose config is a network config is normalized by
 * `canonicalizeNetworkConfigOrThrow` and its policy evaluated by the compiled evaluator.
 * (`profiles` vectors describe `from_profiles` expansion, not a config, and stay in vectors.test.ts.)
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalizeNetworkConfigOrThrow } from "../../src/config/index.js";
import type { PolicyLike } from "./imports.js";
import { loadVectors, type Vector } from "./vector-config.js";
import { actual, agrees } from "./vector-probe.js";

const KINDS = new Set(["egress", "ingress", "dns"]);
/** Vector-harness keys that are not part of a network config. */
const HARNESS_KEYS = new Set(["gateway", "dns_cache", "profiles", "prepend_rules", "rebind_protection"]);

function canonicalPolicy(config: Record<string, unknown>): PolicyLike {
  const cfg = Object.fromEntries(Object.entries(config).filter(([k]) => !HARNESS_KEYS.has(k)));
  return canonicalizeNetworkConfigOrThrow(cfg).policy as PolicyLike;
}

const decisionsFile = fileURLToPath(new URL("../../../../conformance/vectors/decisions.json", import.meta.url));
const vectors: Vector[] = [
  ...loadVectors(["microsandbox.json", "seed.json"]),
  ...(existsSync(decisionsFile) ? (JSON.parse(readFileSync(decisionsFile, "utf8")) as Vector[]) : []),
].filter((v) => KINDS.has(v.probe.kind) && v.config.profiles === undefined);

describe("policy vectors through the canonical config", () => {
  it("covers presets, deny lists and raw policies", () => {
    expect(vectors.some((v) => v.config.preset !== undefined)).toBe(true);
    expect(vectors.some((v) => v.config.deny_domain_suffixes !== undefined)).toBe(true);
    expect(vectors.length).toBeGreaterThan(80);
  });
  for (const v of vectors) {
    it(`${v.id} (${v.probe.kind})`, () => {
      const got = actual(v, canonicalPolicy);
      expect(agrees(v.expect, got), `expected ${JSON.stringify(v.expect)}, got ${JSON.stringify(got)}`).toBe(true);
    });
  }
});
