/**
 * `normalizeNetworkConfig`: turns a parsed config into the canonical config.
 *
 * A config C is canonical when all of these hold (and then `normalizeNetworkConfig(C)` deep-equals
 * C, byte for byte once serialized - normalization is idempotent):
 * 1. Keys appear in schema order (enabled, policy, deny_domains, deny_domain_suffixes, dns, tls,
 *    ports, ipv4_pool, ipv6_pool, max_connections, secrets, trust_host_cas, interface,
 *    host_aliases) and every field that has a schema default is written out.
 * 2. `preset`, `profiles` and the legacy `dns_rebind_protection` are absent; `deny_domains` and
 *    `deny_domain_suffixes` are empty: all of them are folded into `policy` and `dns`:
 *    - `policy` is always present with both defaults explicit. Its rules are, in order: the
 *      deny-list rules (D1: `deny egress {domain}` per exact entry, then per suffix entry `deny
 *      egress {domain}` for the apex and `deny egress {domain_suffix}`), the preset's or profiles'
 *      rules (D2 / §2.1), then the config's own rules. No policy, preset or profiles => the
 *      `public-only` preset. With a preset, the policy defaults are the preset's unless the
 *      config set them (resolved by `parseNetworkConfig`).
 *    - the `none` preset (D2: no network interface at all) sets `enabled` to false.
 * 3. Every rule has the keys direction, destination, protocols, ports, action in that order;
 *    protocols and port ranges are de-duplicated keeping first occurrences; destinations are
 *    `"any"`, `{cidr}` as `<address>/<prefix>` with the address in canonical text (RFC 5952 for
 *    IPv6; host bits are kept), `{domain}`/`{domain_suffix}` as canonical names (§1.3: no
 *    leading/trailing dots, ASCII lower case), or `{group}`.
 * 4. Nameservers are in their serialized form (`1.1.1.1:53`, `[v6]:53`, `name:53`); pools and
 *    interface addresses are canonical CIDR text; bind addresses canonical IP text; TLS bypass
 *    patterns lower-case without trailing dots; host aliases canonical names without duplicates;
 *    every secret has its placeholder (default `$MSB_<env_var>`) and injection scopes written out.
 * Secret host patterns are kept verbatim (exact patterns are compared without trailing-dot
 * normalization, §6.2).
 */
import type { NetworkConfig, NetworkPolicy, Rule, SecretEntry } from "../gen/index.js";
import { formatCidr, parseCidr } from "../net/cidr.js";
import { formatIp, parseIp } from "../net/ip.js";
import { canonicalHost, parseDomainName } from "../policy/domain-name.js";
import { ConfigError, type ConfigResult } from "./issues.js";
import { formatNameserver, parseNameserver } from "./nameserver.js";
import { parseNetworkConfig } from "./parse.js";
import { canonicalPresetName, denyListRules, policyFromProfiles, presetPolicy } from "./presets.js";

/** A canonical config: a {@link NetworkConfig} whose policy is always present and explicit. */
export type CanonicalNetworkConfig = NetworkConfig & { policy: NetworkPolicy };

function canonName(n: string): string {
  const r = parseDomainName(n);
  return r.ok ? r.name : n;
}

function canonCidr(s: string): string {
  const c = parseCidr(s);
  return "error" in c ? s : formatCidr(c);
}

/** The canonical form of one rule destination (§1.3 names, canonical CIDR text). */
export function canonicalDestination(d: Rule["destination"]): Rule["destination"] {
  if (d === "any") return "any";
  if ("cidr" in d) return { cidr: canonCidr(d.cidr) };
  if ("domain" in d) return { domain: canonName(d.domain) };
  if ("domain_suffix" in d) return { domain_suffix: canonName(d.domain_suffix) };
  return { group: d.group };
}

/** The canonical form of one rule (key order, de-duplicated protocols and ports). */
export function canonicalRule(r: Rule): Rule {
  const protocols = [...new Set(r.protocols)];
  const seen = new Set<string>();
  const ports = r.ports.filter((p) => {
    const k = `${p.start}-${p.end}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return {
    direction: r.direction,
    destination: canonicalDestination(r.destination),
    protocols,
    ports: ports.map((p) => ({ start: p.start, end: p.end })),
    action: r.action,
  };
}

/** The canonical form of a wire policy (explicit defaults, canonical rules). */
export function canonicalPolicy(p: NetworkPolicy): NetworkPolicy {
  return { default_egress: p.default_egress, default_ingress: p.default_ingress, rules: p.rules.map(canonicalRule) };
}

function basePolicy(c: NetworkConfig): NetworkPolicy {
  const preset = c.preset !== undefined ? canonicalPresetName(c.preset) : undefined;
  const base = preset !== undefined ? presetPolicy(preset) : c.profiles !== undefined ? policyFromProfiles(c.profiles) : undefined;
  if (c.policy === undefined) return base ?? presetPolicy("public-only");
  if (base === undefined) return c.policy;
  return { default_egress: c.policy.default_egress, default_ingress: c.policy.default_ingress, rules: [...base.rules, ...c.policy.rules] };
}

function canonicalSecret(s: SecretEntry): SecretEntry {
  const out: SecretEntry = {
    env_var: s.env_var,
    value: s.value,
    placeholder: s.placeholder ?? `$MSB_${s.env_var}`,
    allowed_hosts: s.allowed_hosts.map((h) => (typeof h === "string" ? h : "exact" in h ? { exact: h.exact } : { wildcard: h.wildcard })),
    injection: { headers: s.injection.headers, basic_auth: s.injection.basic_auth, query_params: s.injection.query_params, body: s.injection.body },
    require_tls_identity: s.require_tls_identity,
  };
  if (s.on_violation !== undefined) out.on_violation = s.on_violation;
  return reorder(out, ["env_var", "value", "placeholder", "allowed_hosts", "injection", "on_violation", "require_tls_identity"]);
}

function reorder<T extends object>(o: T, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((o as Record<string, unknown>)[k] !== undefined) out[k] = (o as Record<string, unknown>)[k];
  return out as T;
}

function canonIp(s: string): string {
  const a = parseIp(s);
  return a === undefined ? s : formatIp(a);
}

/** Normalizes a parsed config (see the module doc for what "canonical" means). */
export function normalizeNetworkConfig(c: NetworkConfig): CanonicalNetworkConfig {
  const denyDomains = c.deny_domains.map(canonName);
  const denySuffixes = c.deny_domain_suffixes.map(canonName);
  const base = basePolicy(c);
  const policy = canonicalPolicy({ ...base, rules: [...denyListRules(denyDomains, denySuffixes), ...base.rules] });
  const preset = c.preset !== undefined ? canonicalPresetName(c.preset) : undefined;
  const tls = c.tls;
  const tlsOut: NetworkConfig["tls"] = {
    enabled: tls.enabled,
    intercepted_ports: [...tls.intercepted_ports],
    bypass: tls.bypass.map((p) => canonicalHost(p)),
    verify_upstream: tls.verify_upstream,
    block_quic_on_intercept: tls.block_quic_on_intercept,
    upstream_ca_cert: [...tls.upstream_ca_cert],
    scoped_upstream_ca_cert: tls.scoped_upstream_ca_cert.map((s) => ({ pattern: s.pattern, path: s.path })),
    scoped_verify_upstream: tls.scoped_verify_upstream.map((s) => ({ pattern: s.pattern, verify: s.verify })),
    cache: { capacity: tls.cache.capacity, validity_hours: tls.cache.validity_hours },
  };
  if (tls.intercept_ca !== undefined) {
    const ca: { cert_path?: string; key_path?: string } = {};
    if (tls.intercept_ca.cert_path !== undefined) ca.cert_path = tls.intercept_ca.cert_path;
    if (tls.intercept_ca.key_path !== undefined) ca.key_path = tls.intercept_ca.key_path;
    tlsOut.intercept_ca = ca;
  }
  const iface: NetworkConfig["interface"] = { mtu: c.interface.mtu };
  if (c.interface.mac !== undefined) iface.mac = c.interface.mac.toLowerCase();
  if (c.interface.ipv4_address !== undefined) iface.ipv4_address = canonCidr(c.interface.ipv4_address);
  if (c.interface.ipv6_address !== undefined) iface.ipv6_address = canonCidr(c.interface.ipv6_address);
  return {
    enabled: preset === "none" ? false : c.enabled,
    policy,
    deny_domains: [],
    deny_domain_suffixes: [],
    dns: {
      rebind_protection: c.dns.rebind_protection,
      nameservers: c.dns.nameservers.map((n) => {
        const r = parseNameserver(n);
        return "error" in r ? n : formatNameserver(r);
      }),
      query_timeout_ms: c.dns.query_timeout_ms,
    },
    tls: reorder(tlsOut, [
      "enabled",
      "intercepted_ports",
      "bypass",
      "verify_upstream",
      "block_quic_on_intercept",
      "upstream_ca_cert",
      "scoped_upstream_ca_cert",
      "scoped_verify_upstream",
      "intercept_ca",
      "cache",
    ]),
    ports: c.ports.map((p) => ({ host_port: p.host_port, guest_port: p.guest_port, protocol: p.protocol, host_bind: canonIp(p.host_bind) })),
    ipv4_pool: canonCidr(c.ipv4_pool),
    ipv6_pool: canonCidr(c.ipv6_pool),
    max_connections: c.max_connections,
    secrets: { secrets: c.secrets.secrets.map(canonicalSecret), on_violation: c.secrets.on_violation },
    trust_host_cas: c.trust_host_cas,
    interface: reorder(iface, ["mac", "mtu", "ipv4_address", "ipv6_address"]),
    host_aliases: [...new Set(c.host_aliases.map(canonName))],
  };
}

/** Parses, validates and normalizes in one step. */
export function canonicalizeNetworkConfig(input: unknown): ConfigResult<CanonicalNetworkConfig> {
  const r = parseNetworkConfig(input);
  return r.ok ? { ok: true, value: normalizeNetworkConfig(r.value) } : r;
}

/** Like {@link canonicalizeNetworkConfig} but throws a {@link ConfigError} listing every problem. */
export function canonicalizeNetworkConfigOrThrow(input: unknown): CanonicalNetworkConfig {
  const r = canonicalizeNetworkConfig(input);
  if (!r.ok) throw new ConfigError(r.errors);
  return r.value;
}
