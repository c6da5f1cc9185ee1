/**
 * Test helper: loads the shared conformance vectors and turns a vector `config` into a wire
 * policy (raw `policy` with wire defaults; `profiles` = from_profiles with `prepend_rules` first;
 * `preset` per D2 with deny lists per D1) plus a primed resolved-name cache.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseIp, ResolvedNameCacheForTests, type PolicyLike, type RuleLike } from "./imports.js";

/** One shared vector. */
export interface Vector {
  id: string;
  source?: string;
  config: Record<string, unknown>;
  probe: Record<string, unknown> & { kind: string };
  expect: unknown;
}

/** Directory holding the shared vectors (`../shared/vectors` beside the repo). */
export function vectorsDir(): string {
  const rel = fileURLToPath(new URL("../../../../../shared/vectors/", import.meta.url));
  return existsSync(rel) ? rel : "/work/shared/vectors/";
}

/** Loads the given vector files. */
export function loadVectors(files: string[]): Vector[] {
  return files.flatMap((f) => JSON.parse(readFileSync(vectorsDir() + f, "utf8")) as Vector[]);
}

const ALLOW_DNS: RuleLike = {
  direction: "egress",
  destination: { group: "host" },
  protocols: ["udp", "tcp"],
  ports: [{ start: 53, end: 53 }],
  action: "allow",
};

/** `NetworkPolicy::from_profiles` (§2.1). */
export function fromProfiles(profiles: string[]): PolicyLike {
  const set = new Set(profiles);
  const rules: RuleLike[] = [];
  if (set.size > 0) rules.push(ALLOW_DNS);
  for (const g of ["public", "private", "host"] as const) {
    if (set.has(g)) rules.push({ direction: "egress", destination: { group: g }, protocols: [], ports: [], action: "allow" });
  }
  return { default_egress: "deny", default_ingress: "allow", rules };
}

/** Presets per D2. */
export function presetPolicy(preset: string): PolicyLike {
  const p = preset.replace(/_/g, "-");
  const group = (g: "public" | "private"): RuleLike => ({ direction: "egress", destination: { group: g }, protocols: [], ports: [], action: "allow" });
  switch (p) {
    case "none":
      return { default_egress: "deny", default_ingress: "deny", rules: [] };
    case "allow-all":
      return { default_egress: "allow", default_ingress: "allow", rules: [] };
    case "public-only":
      return { default_egress: "deny", default_ingress: "allow", rules: [ALLOW_DNS, group("public")] };
    case "non-local":
      return { default_egress: "deny", default_ingress: "allow", rules: [ALLOW_DNS, group("public"), group("private")] };
    default:
      throw new Error(`unknown preset ${preset}`);
  }
}

/** The wire policy a vector config describes. */
export function policyOf(config: Record<string, unknown>): PolicyLike {
  let base: PolicyLike;
  if (config.policy !== undefined) {
    const p = config.policy as Partial<PolicyLike>;
    base = { default_egress: p.default_egress ?? "deny", default_ingress: p.default_ingress ?? "deny", rules: p.rules ?? [] };
  } else if (config.profiles !== undefined) {
    const fp = fromProfiles(config.profiles as string[]);
    base = { ...fp, rules: [...((config.prepend_rules as RuleLike[] | undefined) ?? []), ...fp.rules] };
  } else {
    base = presetPolicy((config.preset as string | undefined) ?? "public-only");
  }
  const deny: RuleLike[] = [];
  for (const d of (config.deny_domains as string[] | undefined) ?? []) {
    deny.push({ direction: "egress", destination: { domain: d }, protocols: [], ports: [], action: "deny" });
  }
  for (const s of (config.deny_domain_suffixes as string[] | undefined) ?? []) {
    // D1: a deny-list suffix = exact apex rule + strict-subdomain suffix rule.
    deny.push({ direction: "egress", destination: { domain: s }, protocols: [], ports: [], action: "deny" });
    deny.push({ direction: "egress", destination: { domain_suffix: s }, protocols: [], ports: [], action: "deny" });
  }
  return deny.length === 0 ? base : { ...base, rules: [...deny, ...base.rules] };
}

/** A cache primed with the vector's `dns_cache` (live TTL of one hour). */
export function cacheOf(config: Record<string, unknown>): InstanceType<typeof ResolvedNameCacheForTests> {
  const cache = new ResolvedNameCacheForTests(() => 1_000_000);
  for (const e of (config.dns_cache as { host: string; family: "ipv4" | "ipv6"; ips: string[] }[] | undefined) ?? []) {
    cache.record(e.host, e.family, e.ips.map((s) => parseIp(s)!), 3600);
  }
  return cache;
}
