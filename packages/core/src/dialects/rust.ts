/**
 * Rust SDK dialect, network layer (semantics §3.5, seed 002): `NetworkBuilder` with `TlsBuilder`
 * and `DnsBuilder` closures, published ports, deny lists (`blockDomain`, `blockDomainSuffix`),
 * secrets, pools and limits. `build()` validates and returns the canonical config, throwing the
 * first `BuildError` with its exact text (§8). `.dns(...)` and `.tls(...)` start from defaults;
 * `.tls(...)` enables interception.
 */
import { parseNameserver } from "../config/nameserver.js";
import { canonicalizeNetworkConfig, type CanonicalNetworkConfig } from "../config/normalize.js";
import type { NetworkPolicy as WirePolicy, SecretEntryInput, ViolationActionInput } from "../gen/index.js";
import { compact } from "./common.js";
import { BuildError, NetworkPolicyBuilder } from "./rust-policy.js";

/** DNS settings closure (`.dns(d => d.nameservers([...]))`). */
export class DnsBuilder {
  /** @internal */ readonly value: { rebind_protection?: boolean; nameservers?: string[]; query_timeout_ms?: number } = {};
  /** @internal */ readonly errors: string[] = [];
  /** Rebind protection on/off (default on). */
  rebindProtection(b: boolean): this { this.value.rebind_protection = b; return this; }
  /** Upstream resolvers, parsed eagerly. */
  nameservers(list: string[]): this {
    for (const n of list) {
      const r = parseNameserver(n);
      if ("error" in r) this.errors.push(r.error);
    }
    this.value.nameservers = [...list];
    return this;
  }
  /** Per-query timeout. */
  queryTimeoutMs(ms: number): this { this.value.query_timeout_ms = ms; return this; }
}

/** TLS interception closure (`.tls(t => t.bypass("*.pinned.com"))`). */
export class TlsBuilder {
  /** @internal */ readonly value: Record<string, unknown> & { bypass: string[]; upstream_ca_cert: string[]; scoped_upstream_ca_cert: unknown[]; scoped_verify_upstream: unknown[] } = {
    enabled: true,
    bypass: [],
    upstream_ca_cert: [],
    scoped_upstream_ca_cert: [],
    scoped_verify_upstream: [],
  };
  private ca: { cert_path?: string; key_path?: string } | undefined;
  /** Skip interception for a host or `*.suffix`. */
  bypass(pattern: string): this { this.value.bypass.push(pattern); return this; }
  /** Verify upstream certificates (default true). */
  verifyUpstream(b: boolean): this { this.value.verify_upstream = b; return this; }
  /** TCP ports to intercept (default [443]). */
  interceptedPorts(ports: number[]): this { this.value.intercepted_ports = [...ports]; return this; }
  /** Drop QUIC on intercepted ports (default true). */
  blockQuic(b: boolean): this { this.value.block_quic_on_intercept = b; return this; }
  /** Interception CA certificate (PEM path). */
  interceptCaCert(path: string): this { this.ca = { ...this.ca, cert_path: path }; return this; }
  /** Interception CA private key (PEM path). */
  interceptCaKey(path: string): this { this.ca = { ...this.ca, key_path: path }; return this; }
  /** Extra upstream CA bundle. */
  upstreamCaCert(path: string): this { this.value.upstream_ca_cert.push(path); return this; }
  /** Extra upstream CA bundle for hosts matching a pattern. */
  scopedUpstreamCaCert(pattern: string, path: string): this { this.value.scoped_upstream_ca_cert.push({ pattern, path }); return this; }
  /** Verification override for hosts matching a pattern. */
  scopedVerifyUpstream(pattern: string, verify: boolean): this { this.value.scoped_verify_upstream.push({ pattern, verify }); return this; }
  /** Leaf certificate cache size. */
  cacheCapacity(n: number): this { this.value.cache = { ...(this.value.cache as object | undefined), capacity: n }; return this; }
  /** Leaf certificate validity. */
  leafValidityHours(n: number): this { this.value.cache = { ...(this.value.cache as object | undefined), validity_hours: n }; return this; }
  /** @internal */
  toJson(): Record<string, unknown> {
    return this.ca === undefined ? { ...this.value } : { ...this.value, intercept_ca: this.ca };
  }
}

/** Secret closure (`.secret(s => s.env("API_KEY").value("sk-...").allowHost("api.example.com"))`). */
export class SecretBuilder {
  private readonly entry: Record<string, unknown> & { allowed_hosts: unknown[]; injection: Record<string, boolean> } = { allowed_hosts: [], injection: {} };
  /** Environment variable the guest sees the placeholder in. */
  env(name: string): this { this.entry.env_var = name; return this; }
  /** The secret value. */
  value(v: string): this { this.entry.value = v; return this; }
  /** Placeholder text (default `$MSB_<env>`). */
  placeholder(p: string): this { this.entry.placeholder = p; return this; }
  /** An exact allowed host. */
  allowHost(h: string): this { this.entry.allowed_hosts.push({ exact: h }); return this; }
  /** A `*.suffix` allowed host pattern. */
  allowHostPattern(p: string): this { this.entry.allowed_hosts.push({ wildcard: p }); return this; }
  /** Allow every host (dangerous). */
  allowAnyHostDangerous(b: boolean): this { if (b) this.entry.allowed_hosts.push("any"); return this; }
  /** Substitute only on TLS-intercepted connections whose SNI proves the host (default true). */
  requireTlsIdentity(b: boolean): this { this.entry.require_tls_identity = b; return this; }
  /** Per-secret violation action. */
  onViolation(a: ViolationActionInput): this { this.entry.on_violation = a; return this; }
  /** Substitute in headers (default true). */
  injectHeaders(b: boolean): this { this.entry.injection.headers = b; return this; }
  /** Substitute in Basic credentials (default true). */
  injectBasicAuth(b: boolean): this { this.entry.injection.basic_auth = b; return this; }
  /** Substitute in the query string (default false). */
  injectQueryParams(b: boolean): this { this.entry.injection.query_params = b; return this; }
  /** Substitute in bodies (default false). */
  injectBody(b: boolean): this { this.entry.injection.body = b; return this; }
  /** @internal The entry, or what is missing. */
  result(): { entry: SecretEntryInput } | { error: string } {
    if (typeof this.entry.env_var !== "string") return { error: "secret builder: .env() is required" };
    if (typeof this.entry.value !== "string") return { error: "secret builder: .value() is required" };
    if (this.entry.allowed_hosts.length === 0) return { error: "secret builder: at least one allowed host is required (.allowHost(), .allowHostPattern() or .allowAnyHostDangerous(true))" };
    return { entry: { ...this.entry } as unknown as SecretEntryInput };
  }
}

/** Anything `.policy(...)` accepts: a wire policy or a policy builder. */
export type PolicyArg = WirePolicy | { buildWire(): WirePolicy } | { build(): WirePolicy };

/** `NetworkBuilder` (`SandboxBuilder::network(|n| ...)`). */
export class NetworkBuilder {
  /** @internal */ protected readonly cfg: Record<string, unknown> = {};
  /** @internal */ protected readonly errors: string[] = [];
  private readonly ports: Record<string, unknown>[] = [];
  private readonly secrets: Record<string, unknown>[] = [];
  private readonly denyDomains: string[] = [];
  private readonly denySuffixes: string[] = [];
  /** `NetworkBuilder::new()`. */
  static new(): NetworkBuilder { return new NetworkBuilder(); }
  /** Whether the sandbox gets a NIC. */
  enabled(b: boolean): this { this.cfg.enabled = b; return this; }
  /** Replaces the policy. */
  policy(p: PolicyArg): this {
    if (("buildWire" in p && typeof p.buildWire === "function") || ("build" in p && typeof p.build === "function")) {
      try {
        this.cfg.policy = "buildWire" in p ? p.buildWire() : (p as { build(): WirePolicy }).build();
      } catch (e) {
        this.errors.push((e as Error).message);
      }
    } else this.cfg.policy = p;
    return this;
  }
  /** Refuse one domain (DNS NXDOMAIN, SNI and resolved-address denial). */
  blockDomain(d: string): this { this.denyDomains.push(d); return this; }
  /** Refuse a domain and all its subdomains (D1: the apex included). */
  blockDomainSuffix(s: string): this { this.denySuffixes.push(s); return this; }
  /** Legacy convenience for `dns(d => d.rebindProtection(b))`. */
  dnsRebindProtection(b: boolean): this { this.cfg.dns = { ...(this.cfg.dns as object | undefined), rebind_protection: b }; return this; }
  /** DNS settings, starting from defaults. */
  dns(cb: (d: DnsBuilder) => unknown): this {
    const d = new DnsBuilder();
    cb(d);
    this.errors.push(...d.errors);
    this.cfg.dns = d.value;
    return this;
  }
  /** TLS interception settings, starting from defaults; enables interception. */
  tls(cb: (t: TlsBuilder) => unknown): this {
    const t = new TlsBuilder();
    cb(t);
    this.cfg.tls = t.toJson();
    return this;
  }
  /** Publish a TCP port on 127.0.0.1. */
  port(host: number, guest: number): this { return this.portBind("127.0.0.1", host, guest); }
  /** Publish a UDP port on 127.0.0.1. */
  portUdp(host: number, guest: number): this { return this.portUdpBind("127.0.0.1", host, guest); }
  /** Publish a TCP port on a bind address. */
  portBind(bind: string, host: number, guest: number): this { this.ports.push({ host_port: host, guest_port: guest, protocol: "tcp", host_bind: bind }); return this; }
  /** Publish a UDP port on a bind address. */
  portUdpBind(bind: string, host: number, guest: number): this { this.ports.push({ host_port: host, guest_port: guest, protocol: "udp", host_bind: bind }); return this; }
  /** Adds a secret: a closure over a {@link SecretBuilder}, or an entry in wire shape. */
  secret(entry: SecretEntryInput | ((s: SecretBuilder) => unknown)): this {
    if (typeof entry !== "function") {
      this.secrets.push({ ...entry });
      return this;
    }
    const b = new SecretBuilder();
    entry(b);
    const r = b.result();
    if ("error" in r) this.errors.push(r.error);
    else this.secrets.push({ ...r.entry });
    return this;
  }
  /** `secret_env(env, value, placeholder, host)`: an exact allowed host. */
  secretEnv(env: string, value: string, placeholder: string, host: string): this {
    return this.secret({ env_var: env, value, placeholder, allowed_hosts: [{ exact: host }] });
  }
  /** Sandbox-wide violation action. */
  onSecretViolation(a: ViolationActionInput): this { this.cfg.on_violation = a; return this; }
  /** Cap on concurrent connections (hard limit 4096). */
  maxConnections(n: number): this { this.cfg.max_connections = n; return this; }
  /** IPv4 pool (/30 or shorter). */
  ipv4Pool(p: string): this { this.cfg.ipv4_pool = p; return this; }
  /** IPv6 pool (/64 or shorter). */
  ipv6Pool(p: string): this { this.cfg.ipv6_pool = p; return this; }
  /** Ship the host's CA certificates into the guest. */
  trustHostCas(b: boolean): this { this.cfg.trust_host_cas = b; return this; }
  /** The config input this builder describes (not validated). */
  toConfig(): Record<string, unknown> {
    const { on_violation, ...rest } = this.cfg;
    return compact({
      ...rest,
      deny_domains: this.denyDomains.length > 0 ? [...this.denyDomains] : undefined,
      deny_domain_suffixes: this.denySuffixes.length > 0 ? [...this.denySuffixes] : undefined,
      ports: this.ports.length > 0 ? [...this.ports] : undefined,
      secrets: this.secrets.length > 0 || on_violation !== undefined ? compact({ secrets: [...this.secrets], on_violation }) : undefined,
    });
  }
  /** Validates and returns the canonical config; throws the first {@link BuildError}. */
  build(): CanonicalNetworkConfig {
    const e = this.errors[0];
    if (e !== undefined) throw this.error(e);
    const r = canonicalizeNetworkConfig(this.toConfig());
    if (!r.ok) throw this.error(r.errors[0]?.message ?? "invalid network config");
    return r.value;
  }
  /** @internal The error thrown by `build()` (the TS SDK adds its prefix). */
  protected error(message: string): Error {
    return new BuildError(message);
  }
}

export { BuildError, NetworkPolicyBuilder };
