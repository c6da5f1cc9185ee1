/**
 * Python SDK dialect, object layer: the microsandbox Python classes mirrored in TypeScript with
 * their Python names (`Network`, `NetworkPolicy`, `Rule`, `Destination`, `Protocol`,
 * `NetworkProfile`, `DnsConfig`, `TlsConfig`), keyword arguments passed as one options object.
 * Each has `_to_dict()` producing the dict the Python SDK sends; `fromPythonNetwork` turns a
 * `Network` into the canonical config through the wire layer (`python-dict.ts`). D5: `TlsConfig`
 * sends an explicit `block_quic=False`, and `Network` has `trust_host_cas`.
 */
import type { CanonicalNetworkConfig } from "../config/normalize.js";
import { compact } from "./common.js";
import { DialectError } from "./errors.js";
import { fromPythonDict } from "./python-dict.js";

/** `Protocol` enum members (their values are the wire strings). */
export const PyProtocol = { TCP: "tcp", UDP: "udp", ICMPV4: "icmpv4", ICMPV6: "icmpv6" } as const;

/** A `NetworkProfile` member. */
export class PyNetworkProfile {
  /** `NetworkProfile.PUBLIC`. */
  static readonly PUBLIC = new PyNetworkProfile("public");
  /** `NetworkProfile.PRIVATE`. */
  static readonly PRIVATE = new PyNetworkProfile("private");
  /** `NetworkProfile.HOST`. */
  static readonly HOST = new PyNetworkProfile("host");
  private constructor(readonly value: "public" | "private" | "host") {}
}

/** A typed destination (`Destination.ip('1.1.1.1')`, ...). */
export class PyDestination {
  constructor(
    readonly kind: "any" | "ip" | "cidr" | "domain" | "domain_suffix" | "group",
    readonly value?: string,
  ) {}
  /** Any address. */
  static any(): PyDestination {
    return new PyDestination("any");
  }
  /** One address (/32 or /128). */
  static ip(ip: string): PyDestination {
    return new PyDestination("ip", ip);
  }
  /** A CIDR network. */
  static cidr(c: string): PyDestination {
    return new PyDestination("cidr", c);
  }
  /** An exact domain. */
  static domain(d: string): PyDestination {
    return new PyDestination("domain", d);
  }
  /** A domain suffix. */
  static domain_suffix(d: string): PyDestination {
    return new PyDestination("domain_suffix", d);
  }
  /** A destination group (`public`, `link-local`, ...). */
  static group(g: string): PyDestination {
    return new PyDestination("group", g);
  }
}

/** Keyword arguments of `Rule(...)`. */
export interface PyRuleArgs {
  action?: string;
  direction?: string;
  destination?: string | PyDestination;
  protocol?: string;
  port?: number | string;
}

/** A rule: one protocol and one port at most. */
export class PyRule {
  readonly action: string;
  readonly direction: string;
  readonly destination: string | PyDestination | undefined;
  readonly protocol: string | undefined;
  readonly port: number | string | undefined;
  constructor(args: PyRuleArgs = {}) {
    this.action = args.action ?? "allow";
    this.direction = args.direction ?? "egress";
    this.destination = args.destination;
    this.protocol = args.protocol;
    this.port = args.port;
  }
  /** `Rule.allow(destination=..., protocol=..., port=..., direction=...)`. */
  static allow(args: Omit<PyRuleArgs, "action"> = {}): PyRule {
    return new PyRule({ ...args, action: "allow" });
  }
  /** `Rule.deny(...)`. */
  static deny(args: Omit<PyRuleArgs, "action"> = {}): PyRule {
    return new PyRule({ ...args, action: "deny" });
  }
  /** Two rules (udp/53 then tcp/53) to the host group: Python has one protocol per rule. */
  static allow_dns(): PyRule[] {
    return ["udp", "tcp"].map((protocol) => new PyRule({ action: "allow", direction: "egress", destination: "host", protocol, port: 53 }));
  }
  /** As `allow_dns` with action deny. */
  static deny_dns(): PyRule[] {
    return ["udp", "tcp"].map((protocol) => new PyRule({ action: "deny", direction: "egress", destination: "host", protocol, port: 53 }));
  }
  /** The rule dict the SDK sends. */
  _to_dict(): Record<string, unknown> {
    const d = this.destination;
    return compact({
      action: this.action,
      direction: this.direction,
      destination_kind: d instanceof PyDestination ? d.kind : undefined,
      destination: d instanceof PyDestination ? d.value : d,
      protocol: this.protocol,
      port: this.port === undefined ? undefined : String(this.port),
    });
  }
}

/** A policy: defaults (egress deny, ingress allow) and rules. */
export class PyNetworkPolicy {
  readonly default_egress: string;
  readonly default_ingress: string;
  readonly rules: PyRule[];
  constructor(args: { default_egress?: string; default_ingress?: string; rules?: (PyRule | PyRule[])[] } = {}) {
    this.default_egress = args.default_egress ?? "deny";
    this.default_ingress = args.default_ingress ?? "allow";
    this.rules = (args.rules ?? []).flat();
  }
  /** Deny both ways (the NIC is kept). */
  static none(): PyNetworkPolicy {
    return new PyNetworkPolicy({ default_egress: "deny", default_ingress: "deny" });
  }
  /** Allow both ways. */
  static allow_all(): PyNetworkPolicy {
    return new PyNetworkPolicy({ default_egress: "allow", default_ingress: "allow" });
  }
  /** `[udp-dns, tcp-dns, public, private, host]` for the requested profiles (deduplicated, canonical order). */
  static from_profiles(...profiles: (PyNetworkProfile | PyNetworkProfile[])[]): PyNetworkPolicy {
    const flat = profiles.flat();
    for (const p of flat) {
      if (!(p instanceof PyNetworkProfile)) throw new DialectError("python", `TypeError: from_profiles() expects NetworkProfile members, got ${JSON.stringify(p)}`);
    }
    const set = new Set(flat.map((p) => p.value));
    const rules: PyRule[] = set.size > 0 ? PyRule.allow_dns() : [];
    for (const g of ["public", "private", "host"] as const) if (set.has(g)) rules.push(PyRule.allow({ destination: g }));
    return new PyNetworkPolicy({ default_egress: "deny", default_ingress: "allow", rules });
  }
  /** The `custom_policy` dict (rules only when there are some). */
  _to_dict(): Record<string, unknown> {
    return compact({ default_egress: this.default_egress, default_ingress: this.default_ingress, rules: this.rules.length > 0 ? this.rules.map((r) => r._to_dict()) : undefined });
  }
}

/** `DnsConfig`: only non-default values are sent. */
export class PyDnsConfig {
  constructor(readonly args: { rebind_protection?: boolean; nameservers?: string[]; query_timeout_ms?: number } = {}) {}
  /** The `dns` dict. */
  _to_dict(): Record<string, unknown> {
    const a = this.args;
    return compact({
      rebind_protection: a.rebind_protection === false ? false : undefined,
      nameservers: a.nameservers !== undefined && a.nameservers.length > 0 ? a.nameservers : undefined,
      query_timeout_ms: a.query_timeout_ms,
    });
  }
}

/** `TlsConfig`: its presence enables interception; only non-default values are sent (D5: an explicit `block_quic=False` is sent). */
export class PyTlsConfig {
  constructor(
    readonly args: {
      bypass?: string[];
      verify_upstream?: boolean;
      intercepted_ports?: number[];
      block_quic?: boolean;
      ca_cert?: string;
      ca_key?: string;
      ca_cn?: string;
      upstream_ca_certs?: string[];
    } = {},
  ) {}
  /** The `tls` dict. */
  _to_dict(): Record<string, unknown> {
    const a = this.args;
    return compact({
      bypass: a.bypass !== undefined && a.bypass.length > 0 ? a.bypass : undefined,
      verify_upstream: a.verify_upstream === false ? false : undefined,
      intercepted_ports: a.intercepted_ports,
      block_quic: a.block_quic,
      ca_cert: a.ca_cert,
      ca_key: a.ca_key,
      ca_cn: a.ca_cn,
      upstream_ca_certs: a.upstream_ca_certs !== undefined && a.upstream_ca_certs.length > 0 ? a.upstream_ca_certs : undefined,
    });
  }
}

/** Keyword arguments of `SecretEntry(...)`. */
export interface PySecretEntryArgs {
  env_var: string;
  value: string;
  allow_hosts?: string[];
  allow_host_patterns?: string[];
  placeholder?: string;
  require_tls?: boolean;
  on_violation?: unknown;
  injection?: { headers?: boolean; basic_auth?: boolean; query_params?: boolean; body?: boolean };
}

/** `SecretEntry`: a secret with its allowed hosts (at least one); only non-defaults are sent. */
export class PySecretEntry {
  constructor(readonly args: PySecretEntryArgs) {
    if ((args.allow_hosts ?? []).length + (args.allow_host_patterns ?? []).length === 0) {
      throw new DialectError("python", "SecretEntry requires at least one allowed host or allowed host pattern");
    }
  }
  /** The secret dict. */
  _to_dict(): Record<string, unknown> {
    const a = this.args;
    return compact({
      env_var: a.env_var,
      value: a.value,
      allow_hosts: a.allow_hosts,
      allow_host_patterns: a.allow_host_patterns,
      placeholder: a.placeholder,
      require_tls: a.require_tls === false ? false : undefined,
      on_violation: a.on_violation,
      injection: a.injection,
    });
  }
}

/** Keyword arguments of `Network(...)`. */
export interface PyNetworkArgs {
  /** A `NetworkPolicy` (sent as `custom_policy`) or a preset name (D2). */
  policy?: PyNetworkPolicy | string;
  ports?: Record<number, number> | { host_port: number; guest_port: number; bind?: string; protocol?: string }[];
  deny_domains?: string[];
  deny_domain_suffixes?: string[];
  dns?: PyDnsConfig;
  tls?: PyTlsConfig;
  ipv4_pool?: string;
  ipv6_pool?: string;
  max_connections?: number;
  on_secret_violation?: unknown;
  trust_host_cas?: boolean;
  /** Secrets (passed to `Sandbox.create(secrets=...)` in the SDK). */
  secrets?: (PySecretEntry | Record<string, unknown>)[];
}

/** `Network`: the sandbox network settings. */
export class PyNetwork {
  constructor(readonly args: PyNetworkArgs = {}) {}
  /** `custom_policy {deny, deny}` - the NIC is kept. */
  static none(): PyNetwork {
    return new PyNetwork({ policy: PyNetworkPolicy.none() });
  }
  /** `custom_policy {allow, allow}`. */
  static allow_all(): PyNetwork {
    return new PyNetwork({ policy: PyNetworkPolicy.allow_all() });
  }
  /** `custom_policy` from profiles. */
  static from_profiles(...profiles: (PyNetworkProfile | PyNetworkProfile[])[]): PyNetwork {
    return new PyNetwork({ policy: PyNetworkPolicy.from_profiles(...profiles) });
  }
  /** The dict the SDK sends. */
  _to_dict(): Record<string, unknown> {
    const a = this.args;
    const nonEmpty = <T>(x: T[] | undefined): T[] | undefined => (x !== undefined && x.length > 0 ? x : undefined);
    const dns = a.dns?._to_dict();
    return compact({
      custom_policy: a.policy instanceof PyNetworkPolicy ? a.policy._to_dict() : undefined,
      policy: typeof a.policy === "string" ? a.policy : undefined,
      ports: a.ports,
      deny_domains: nonEmpty(a.deny_domains),
      deny_domain_suffixes: nonEmpty(a.deny_domain_suffixes),
      dns: dns !== undefined && Object.keys(dns).length > 0 ? dns : undefined,
      tls: a.tls?._to_dict(),
      ipv4_pool: a.ipv4_pool,
      ipv6_pool: a.ipv6_pool,
      max_connections: a.max_connections,
      on_secret_violation: a.on_secret_violation,
      trust_host_cas: a.trust_host_cas,
      secrets: nonEmpty(a.secrets)?.map((x) => (x instanceof PySecretEntry ? x._to_dict() : x)),
    });
  }
}

/** Python `Network` -> the canonical config (throws {@link DialectError} with Python's texts). */
export function fromPythonNetwork(n: PyNetwork): CanonicalNetworkConfig {
  return fromPythonDict(n._to_dict());
}
