/**
 * Go SDK dialect, struct layer (seed 003): the `NetworkConfig` struct with Go field names
 * (`Policy`, `Rules`, `DefaultEgress`, `DenyDomains`, `DNS`, `TLS`, `Ports`, `PortBindings`,
 * `IPv4Pool`, `MaxConnections`, `OnSecretViolation`, `TrustHostCAs`, ...), the `NetworkPolicy`
 * factory (`PublicOnly`, `None`, `AllowAll`, `NonLocal`, `FromProfiles`) and `Rule.AllowDNS`,
 * serialized to the FFI JSON exactly as the Go SDK does (snake_case, `omitempty`), then parsed by
 * the wire layer (`go-ffi.ts`) into the canonical config.
 */
import type { CanonicalNetworkConfig } from "../config/normalize.js";
import { compact } from "./common.js";
import { DialectError } from "./errors.js";
import { fromGoFfi } from "./go-ffi.js";

/** `PolicyRule`: strings as in the Go SDK. */
export interface GoPolicyRule {
  Action: string;
  Direction?: string;
  Destination?: string;
  Protocol?: string;
  Protocols?: string[];
  Port?: string;
  Ports?: string[];
}

/** `DNSConfig`. */
export interface GoDNSConfig {
  RebindProtection?: boolean;
  Nameservers?: string[];
  QueryTimeoutMs?: number;
}

/** `TLSConfig` (its presence enables interception). */
export interface GoTLSConfig {
  Bypass?: string[];
  VerifyUpstream?: boolean;
  InterceptedPorts?: number[];
  BlockQUIC?: boolean;
  CACert?: string;
  CAKey?: string;
  UpstreamCACerts?: string[];
}

/** `PortBinding`. */
export interface GoPortBinding {
  Bind?: string;
  HostPort: number;
  GuestPort: number;
  Protocol?: string;
}

/** `SecretEntry` of the Go SDK (no injection scopes, no passthrough). */
export interface GoSecretEntry {
  EnvVar: string;
  Value: string;
  AllowHosts?: string[];
  AllowHostPatterns?: string[];
  Placeholder?: string;
  RequireTLS?: boolean;
  OnViolation?: string;
}

/** The Go `NetworkConfig` struct (seed 003), plus `Secrets` (passed with `WithSecrets`). */
export interface GoNetworkConfig {
  Policy?: string;
  Rules?: GoPolicyRule[];
  DefaultEgress?: string;
  DefaultIngress?: string;
  DenyDomains?: string[];
  DenyDomainSuffixes?: string[];
  DNS?: GoDNSConfig;
  DNSRebindProtection?: boolean;
  TLS?: GoTLSConfig;
  Ports?: Record<number, number>;
  PortBindings?: GoPortBinding[];
  IPv4Pool?: string;
  IPv6Pool?: string;
  MaxConnections?: number;
  OnSecretViolation?: string;
  TrustHostCAs?: boolean;
  Secrets?: GoSecretEntry[];
}

const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a !== undefined && a.length > 0 ? a : undefined);
const str = (s: string | undefined): string | undefined => (s === undefined || s === "" ? undefined : s);

function ruleToFfi(r: GoPolicyRule): Record<string, unknown> {
  return compact({
    action: r.Action,
    direction: str(r.Direction),
    destination: str(r.Destination),
    protocol: str(r.Protocol),
    protocols: nonEmpty(r.Protocols),
    port: str(r.Port),
    ports: nonEmpty(r.Ports),
  });
}

/** Serializes a Go `NetworkConfig` to the FFI network JSON (`omitempty` semantics). */
export function goNetworkToFfi(c: GoNetworkConfig): Record<string, unknown> {
  const rules = c.Rules ?? [];
  const custom =
    rules.length > 0 || str(c.DefaultEgress) !== undefined || str(c.DefaultIngress) !== undefined
      ? compact({ default_egress: str(c.DefaultEgress), default_ingress: str(c.DefaultIngress), rules: rules.length > 0 ? rules.map(ruleToFfi) : undefined })
      : undefined;
  const dns = c.DNS === undefined ? undefined : compact({ rebind_protection: c.DNS.RebindProtection, nameservers: nonEmpty(c.DNS.Nameservers), query_timeout_ms: c.DNS.QueryTimeoutMs });
  const tls =
    c.TLS === undefined
      ? undefined
      : compact({
          bypass: nonEmpty(c.TLS.Bypass),
          verify_upstream: c.TLS.VerifyUpstream,
          intercepted_ports: nonEmpty(c.TLS.InterceptedPorts),
          block_quic: c.TLS.BlockQUIC,
          ca_cert: str(c.TLS.CACert),
          ca_key: str(c.TLS.CAKey),
          upstream_ca_certs: nonEmpty(c.TLS.UpstreamCACerts),
        });
  const ports = c.Ports !== undefined && Object.keys(c.Ports).length > 0 ? Object.fromEntries(Object.entries(c.Ports).map(([h, g]) => [String(h), g])) : undefined;
  const bindings = nonEmpty(c.PortBindings)?.map((b) => compact({ bind: str(b.Bind), host_port: b.HostPort, guest_port: b.GuestPort, protocol: str(b.Protocol) }));
  const secrets = nonEmpty(c.Secrets)?.map((s) =>
    compact({
      env_var: s.EnvVar,
      value: s.Value,
      allow_hosts: nonEmpty(s.AllowHosts),
      allow_host_patterns: nonEmpty(s.AllowHostPatterns),
      placeholder: str(s.Placeholder),
      require_tls: s.RequireTLS,
      on_violation: str(s.OnViolation),
    }),
  );
  return compact({
    policy: str(c.Policy),
    custom_policy: custom,
    dns,
    dns_rebind_protection: c.DNSRebindProtection,
    deny_domains: nonEmpty(c.DenyDomains),
    deny_domain_suffixes: nonEmpty(c.DenyDomainSuffixes),
    tls,
    ports,
    port_bindings: bindings,
    ipv4_pool: str(c.IPv4Pool),
    ipv6_pool: str(c.IPv6Pool),
    max_connections: c.MaxConnections,
    on_secret_violation: str(c.OnSecretViolation),
    trust_host_cas: c.TrustHostCAs,
    secrets,
  });
}

/** Go `NetworkConfig` -> the canonical config (throws {@link DialectError} with Go's texts). */
export function fromGoNetworkConfig(c: GoNetworkConfig): CanonicalNetworkConfig {
  return fromGoFfi(goNetworkToFfi(c));
}

/** `Rule.AllowDNS()` / `Rule.DenyDNS()` of the Go SDK. */
export const GoRule = {
  /** `{allow, egress, "host", Protocols [udp, tcp], Port "53"}`. */
  AllowDNS(): GoPolicyRule {
    return { Action: "allow", Direction: "egress", Destination: "host", Protocols: ["udp", "tcp"], Port: "53" };
  },
  /** As AllowDNS with action deny. */
  DenyDNS(): GoPolicyRule {
    return { Action: "deny", Direction: "egress", Destination: "host", Protocols: ["udp", "tcp"], Port: "53" };
  },
};

const PROFILE_ORDER = ["public", "private", "host"] as const;

/** The Go `NetworkPolicy` factory (seed 003 presets and the upstream profiles). */
export const GoNetworkPolicy = {
  /** Preset `public-only` (the default). */
  PublicOnly: (): GoNetworkConfig => ({ Policy: "public-only" }),
  /** Preset `none`: no network interface at all (D2). */
  None: (): GoNetworkConfig => ({ Policy: "none" }),
  /** Preset `allow-all`. */
  AllowAll: (): GoNetworkConfig => ({ Policy: "allow-all" }),
  /** Preset `non-local`. */
  NonLocal: (): GoNetworkConfig => ({ Policy: "non-local" }),
  /** `FromProfilesChecked`: `{deny, allow, [AllowDNS, profiles in canonical order]}`. */
  FromProfilesChecked(...profiles: string[]): GoNetworkConfig {
    for (const p of profiles) {
      if (!(PROFILE_ORDER as readonly string[]).includes(p)) throw new DialectError("go", `microsandbox: unknown network profile "${p}"`);
    }
    const set = new Set(profiles);
    const rules: GoPolicyRule[] = set.size > 0 ? [GoRule.AllowDNS()] : [];
    for (const p of PROFILE_ORDER) if (set.has(p)) rules.push({ Action: "allow", Direction: "egress", Destination: p });
    return { DefaultEgress: "deny", DefaultIngress: "allow", Rules: rules };
  },
  /** `FromProfiles` (panics on an unknown profile in Go; throws here). */
  FromProfiles(...profiles: string[]): GoNetworkConfig {
    return GoNetworkPolicy.FromProfilesChecked(...profiles);
  },
};
