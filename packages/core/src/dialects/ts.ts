/**
 * The idiomatic TypeScript dialect: one fluent builder, option objects instead of closures,
 * readable targets (`"public"`, `"10.0.0.0/8"`, `"1.2.3.4"`, `"api.example.com"`,
 * `"*.example.com"`), and `build()` returning the canonical config or throwing a `ConfigError`
 * that lists every problem with its JSON path.
 *
 * ```ts
 * const config = network({ preset: "public-only" })
 *   .allow("api.example.com", { protocols: "tcp", ports: 443 })
 *   .deny("10.0.0.0/8")
 *   .denyDomainSuffixes("ads.example")
 *   .publish(8080, 80)
 *   .build();
 * ```
 */
import { ConfigError } from "../config/issues.js";
import { canonicalizeNetworkConfig, type CanonicalNetworkConfig } from "../config/normalize.js";
import type { PresetName } from "../config/presets.js";
import { parseIp, formatIp } from "../net/ip.js";
import type { Destination, HostPatternInput, Protocol, RuleInput, ViolationActionInput } from "../gen/index.js";
import { compact, groupFromSpelling } from "./common.js";

/** Where a rule points: a group name, a CIDR, an IP, a domain, `*.suffix` / `.suffix`, `"any"`, or a wire destination. */
export type Target = string | Destination;
/** Ports: one port, `[lo, hi]`, `"lo-hi"`, or a list of those. */
export type PortSpec = number | string | readonly [number, number] | readonly (number | string | readonly [number, number])[];

/** Filters of one rule. */
export interface RuleOptions {
  /** One protocol or several; omitted = any. */
  protocols?: Protocol | readonly Protocol[];
  /** Ports; omitted = any. */
  ports?: PortSpec;
}

/** Turns a target into a wire destination (group names win over single-label domains; use `{domain}` for those). */
export function target(t: Target): Destination {
  if (typeof t !== "string") return t;
  if (t === "any" || t === "*") return "any";
  const g = groupFromSpelling(t);
  if (g !== undefined) return { group: g };
  if (t.startsWith("*.")) return { domain_suffix: t.slice(2) };
  if (t.startsWith(".")) return { domain_suffix: t.slice(1) };
  if (t.includes("/")) return { cidr: t };
  const ip = parseIp(t);
  if (ip !== undefined) return { cidr: `${formatIp(ip)}/${ip.family === 4 ? 32 : 128}` };
  return { domain: t };
}

function portRanges(p: PortSpec | undefined): { start: number; end: number }[] {
  if (p === undefined) return [];
  const one = (x: number | string | readonly [number, number]): { start: number; end: number } => {
    if (typeof x === "number") return { start: x, end: x };
    if (typeof x === "string") {
      const [a, b] = x.split("-");
      return { start: Number(a), end: Number(b ?? a) };
    }
    return { start: x[0], end: x[1] };
  };
  if (Array.isArray(p) && p.length === 2 && typeof p[0] === "number" && typeof p[1] === "number") return [one(p as unknown as readonly [number, number])];
  return Array.isArray(p) ? (p as readonly (number | string | readonly [number, number])[]).map(one) : [one(p as number | string)];
}

/** Secret options: hosts as `"api.x.com"` (exact), `"*.x.com"` (wildcard) or `"*"` (any). */
export interface SecretOptions {
  hosts: readonly string[];
  placeholder?: string;
  onViolation?: ViolationActionInput;
  requireTls?: boolean;
  inject?: { headers?: boolean; basicAuth?: boolean; queryParams?: boolean; body?: boolean };
}

function hostPattern(h: string): HostPatternInput {
  if (h === "*") return "any";
  return h.startsWith("*.") ? { wildcard: h } : { exact: h };
}

/** The fluent network builder. */
export class Network {
  private readonly cfg: Record<string, unknown> = {};
  private readonly rules: RuleInput[] = [];
  private defaults: { egress?: "allow" | "deny"; ingress?: "allow" | "deny" } = {};
  private readonly ports: Record<string, unknown>[] = [];
  private readonly secrets: Record<string, unknown>[] = [];
  private readonly denyNames: string[] = [];
  private readonly denySuffixes: string[] = [];
  constructor(opts: { preset?: PresetName } = {}) {
    if (opts.preset !== undefined) this.cfg.preset = opts.preset;
  }
  /** Start from a preset (D2); rules added here come after the preset's. */
  preset(p: PresetName): this { this.cfg.preset = p; return this; }
  /** Start from upstream profiles. */
  profiles(...p: ("public" | "private" | "host")[]): this { this.cfg.profiles = p; return this; }
  /** Fall-through actions. */
  defaultAction(d: { egress?: "allow" | "deny"; ingress?: "allow" | "deny" }): this { this.defaults = { ...this.defaults, ...d }; return this; }
  private push(direction: RuleInput["direction"], action: RuleInput["action"], t: Target, o: RuleOptions = {}): this {
    const protocols = o.protocols === undefined ? [] : typeof o.protocols === "string" ? [o.protocols] : [...o.protocols];
    this.rules.push({ direction, destination: target(t), protocols, ports: portRanges(o.ports), action });
    return this;
  }
  /** Allow outbound traffic to a target. */ allow(t: Target, o?: RuleOptions): this { return this.push("egress", "allow", t, o); }
  /** Deny outbound traffic to a target. */ deny(t: Target, o?: RuleOptions): this { return this.push("egress", "deny", t, o); }
  /** Allow inbound traffic from a peer to published ports. */ allowInbound(t: Target, o?: RuleOptions): this { return this.push("ingress", "allow", t, o); }
  /** Deny inbound traffic from a peer. */ denyInbound(t: Target, o?: RuleOptions): this { return this.push("ingress", "deny", t, o); }
  /** Allow both directions. */ allowBoth(t: Target, o?: RuleOptions): this { return this.push("any", "allow", t, o); }
  /** Deny both directions. */ denyBoth(t: Target, o?: RuleOptions): this { return this.push("any", "deny", t, o); }
  /** A prepared wire rule. */ rule(r: RuleInput): this { this.rules.push(r); return this; }
  /** Refuse exact domain names. */ denyDomains(...names: string[]): this { this.denyNames.push(...names); return this; }
  /** Refuse domains with all their subdomains (apex included, D1). */ denyDomainSuffixes(...names: string[]): this { this.denySuffixes.push(...names); return this; }
  /** DNS interception settings. */
  dns(o: { rebindProtection?: boolean; nameservers?: string[]; queryTimeoutMs?: number }): this {
    this.cfg.dns = compact({ rebind_protection: o.rebindProtection, nameservers: o.nameservers, query_timeout_ms: o.queryTimeoutMs });
    return this;
  }
  /** Enables TLS interception with these settings. */
  tls(o: { bypass?: string[]; interceptedPorts?: number[]; verifyUpstream?: boolean; blockQuic?: boolean; ca?: { cert?: string; key?: string }; upstreamCaCerts?: string[] } = {}): this {
    this.cfg.tls = compact({
      enabled: true,
      bypass: o.bypass,
      intercepted_ports: o.interceptedPorts,
      verify_upstream: o.verifyUpstream,
      block_quic_on_intercept: o.blockQuic,
      upstream_ca_cert: o.upstreamCaCerts,
      intercept_ca: o.ca === undefined ? undefined : compact({ cert_path: o.ca.cert, key_path: o.ca.key }),
    });
    return this;
  }
  /** Publish a host port into the guest (loopback by default). */
  publish(hostPort: number, guestPort: number, o: { protocol?: "tcp" | "udp"; bind?: string } = {}): this {
    this.ports.push({ host_port: hostPort, guest_port: guestPort, protocol: o.protocol ?? "tcp", host_bind: o.bind ?? "127.0.0.1" });
    return this;
  }
  /** A secret the proxy substitutes towards the given hosts. */
  secret(envVar: string, value: string, o: SecretOptions): this {
    this.secrets.push(
      compact({
        env_var: envVar,
        value,
        placeholder: o.placeholder,
        allowed_hosts: o.hosts.map(hostPattern),
        injection: o.inject === undefined ? undefined : compact({ headers: o.inject.headers, basic_auth: o.inject.basicAuth, query_params: o.inject.queryParams, body: o.inject.body }),
        on_violation: o.onViolation,
        require_tls_identity: o.requireTls,
      }),
    );
    return this;
  }
  /** Sandbox-wide secret violation action. */ onSecretViolation(a: ViolationActionInput): this { this.cfg.on_violation = a; return this; }
  /** Cap on concurrent connections. */ maxConnections(n: number): this { this.cfg.max_connections = n; return this; }
  /** Address pools. */ pools(p: { ipv4?: string; ipv6?: string }): this { Object.assign(this.cfg, compact({ ipv4_pool: p.ipv4, ipv6_pool: p.ipv6 })); return this; }
  /** Ship the host's CAs into the guest. */ trustHostCas(b = true): this { this.cfg.trust_host_cas = b; return this; }
  /** No network interface at all. */ disable(): this { this.cfg.enabled = false; return this; }
  /** The config input (not validated). */
  toConfig(): Record<string, unknown> {
    const { on_violation, ...rest } = this.cfg;
    const hasPolicy = this.rules.length > 0 || this.defaults.egress !== undefined || this.defaults.ingress !== undefined;
    return compact({
      ...rest,
      policy: hasPolicy ? compact({ default_egress: this.defaults.egress ?? (rest.preset === undefined && rest.profiles === undefined ? "deny" : undefined), default_ingress: this.defaults.ingress ?? (rest.preset === undefined && rest.profiles === undefined ? "allow" : undefined), rules: [...this.rules] }) : undefined,
      deny_domains: this.denyNames.length > 0 ? [...this.denyNames] : undefined,
      deny_domain_suffixes: this.denySuffixes.length > 0 ? [...this.denySuffixes] : undefined,
      ports: this.ports.length > 0 ? [...this.ports] : undefined,
      secrets: this.secrets.length > 0 || on_violation !== undefined ? compact({ secrets: [...this.secrets], on_violation }) : undefined,
    });
  }
  /** The canonical config; throws {@link ConfigError} listing every problem. */
  build(): CanonicalNetworkConfig {
    const r = canonicalizeNetworkConfig(this.toConfig());
    if (!r.ok) throw new ConfigError(r.errors);
    return r.value;
  }
}

/** Starts a {@link Network} builder. */
export function network(opts: { preset?: PresetName } = {}): Network {
  return new Network(opts);
}
