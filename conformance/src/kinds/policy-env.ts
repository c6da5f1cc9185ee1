/**
 * Turns a vector's `config` into what the policy probes need: the canonical policy (through
 * @sandbox/core's parser and normalizer, so vectors exercise them too), the gateway, a resolved
 * name cache primed from `dns_cache`, and the rebind-protection flag. Vector-only keys: `gateway`,
 * `dns_cache` (live entries), `prepend_rules` (inserted before the `profiles` rules, §11) and
 * `rebind_protection` (→ `dns.rebind_protection`).
 */
import {
  canonicalizeNetworkConfigOrThrow,
  compilePolicy,
  parseIp,
  policyFromProfiles,
  ResolvedNameCache,
  type CanonicalNetworkConfig,
  type CompiledPolicy,
  type NetworkPolicy,
  type IpAddr,
} from "@sandbox/core";

/** Everything a policy probe needs. */
export interface PolicyEnv {
  readonly config: CanonicalNetworkConfig;
  readonly policy: NetworkPolicy;
  readonly compiled: CompiledPolicy;
  readonly gateway: { ipv4?: string; ipv6?: string };
  readonly cache: ResolvedNameCache;
}

const ENV_KEYS = new Set(["gateway", "dns_cache", "prepend_rules", "rebind_protection"]);

/** Parses an IP or throws saying which field was wrong. */
export function ip(s: unknown, field: string): IpAddr {
  const a = typeof s === "string" ? parseIp(s) : undefined;
  if (a === undefined) throw new Error(`probe.${field}: ${JSON.stringify(s)} is not an IP address`);
  return a;
}

/** The network config a vector config describes (vector-only keys removed or mapped). */
export function vectorNetworkConfig(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (!ENV_KEYS.has(k)) out[k] = v;
  if (Array.isArray(c.prepend_rules) && Array.isArray(c.profiles)) {
    const fp = policyFromProfiles(c.profiles as ("public" | "private" | "host")[]);
    delete out.profiles;
    out.policy = { ...fp, rules: [...(c.prepend_rules as unknown[]), ...fp.rules] };
  }
  if (typeof c.rebind_protection === "boolean") out.dns = { ...(out.dns as object | undefined), rebind_protection: c.rebind_protection };
  return out;
}

/** Builds the policy environment of a vector config; the clock is fixed so cache entries are live. */
export function policyEnv(c: Record<string, unknown>): PolicyEnv {
  const config = canonicalizeNetworkConfigOrThrow(vectorNetworkConfig(c));
  const gateway = (c.gateway as { ipv4?: string; ipv6?: string } | undefined) ?? {};
  const cache = new ResolvedNameCache(() => 1_000_000);
  for (const e of (c.dns_cache as { host: string; family: "ipv4" | "ipv6"; ips: string[] }[] | undefined) ?? []) {
    cache.record(e.host, e.family, e.ips.map((s) => ip(s, "dns_cache.ips")), 3600);
  }
  return { config, policy: config.policy, compiled: compilePolicy(config.policy, { gateway, cache }), gateway, cache };
}
