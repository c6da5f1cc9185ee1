/**
 * Python SDK dialect, wire layer (semantics §3.3): the dict `Network._to_dict()` produces
 * (`{custom_policy: {default_egress, default_ingress, rules: [{action, direction,
 * destination_kind?, destination, protocol, port}]}, ports, deny_domains, deny_domain_suffixes,
 * dns, tls, ipv4_pool, ipv6_pool, max_connections, on_secret_violation, trust_host_cas}`) parsed
 * the way the Python native layer does, with its error texts. D5: port ranges are real ranges,
 * `block_quic: false` turns QUIC blocking off and `trust_host_cas` is honoured. D2: a `policy`
 * key naming a preset is accepted (preset rules first, then the custom ones).
 */
import { parseCidr } from "../net/cidr.js";
import { formatIp, parseIp } from "../net/ip.js";
import { parseDomainName } from "../policy/domain-name.js";
import type { CanonicalNetworkConfig } from "../config/normalize.js";
import type { Destination, PortRange, Protocol, Rule } from "../gen/index.js";
import { compact, finish, groupFromSpelling, isRecord, sdkAllowedHosts, sdkTls, showJson, showText } from "./common.js";
import { atPath, DialectError } from "./errors.js";
import { u16Error } from "./go-ffi.js";

function fail(message: string): never {
  throw new DialectError("python", message);
}

function name(s: string): string {
  const r = parseDomainName(s);
  if (!r.ok) fail(`invalid domain "${s}": ${r.error}`);
  return r.name;
}

function cidr(s: string): Destination {
  if (!s.includes("/")) {
    const ip = parseIp(s);
    if (ip === undefined) fail(`invalid IP address "${s}"`);
    return { cidr: `${formatIp(ip)}/${ip.family === 4 ? 32 : 128}` };
  }
  const c = parseCidr(s);
  if ("error" in c) fail(`invalid CIDR "${s}": ${c.error}`);
  return { cidr: s };
}

/** String shorthand: absent/`*` -> any; `domain=`/`suffix=`; groups; `.x` -> suffix; `/` -> CIDR; IP; else domain. */
export function parsePyShorthand(d: unknown): Destination {
  if (d === undefined || d === null || d === "" || d === "*") return "any";
  if (typeof d !== "string") fail(`invalid destination: ${showJson(d)}`);
  if (d.startsWith("domain=")) return { domain: name(d.slice(7)) };
  if (d.startsWith("suffix=")) return { domain_suffix: name(d.slice(7)) };
  const g = groupFromSpelling(d);
  if (g !== undefined) return { group: g };
  if (d.startsWith(".")) return { domain_suffix: name(d) };
  if (d.includes("/")) return cidr(d);
  if (parseIp(d) !== undefined) return cidr(d);
  return { domain: name(d) };
}

/** Typed destination (`destination_kind` + `destination`). */
export function parsePyDestination(kind: unknown, d: unknown): Destination {
  if (kind === undefined || kind === null) return parsePyShorthand(d);
  const k = showText(kind);
  if (k === "any") return "any";
  if (!["ip", "cidr", "domain", "domain_suffix", "domain-suffix", "group"].includes(k)) fail(`unknown destination kind: ${k}`);
  if (typeof d !== "string" || d === "") fail(`destination is required for destination kind \`${k}\``);
  switch (k) {
    case "ip":
    case "cidr":
      return cidr(d);
    case "domain":
      return { domain: name(d) };
    case "group": {
      const g = groupFromSpelling(d);
      if (g === undefined) fail(`unknown destination group: ${d}`);
      return { group: g };
    }
    default:
      return { domain_suffix: name(d) };
  }
}

/** One `port` value: a number, `"443"` or (D5) a real range `"8000-9000"`. */
export function parsePyPort(p: unknown): PortRange[] {
  if (p === undefined || p === null || p === "") return [];
  if (typeof p === "number") {
    if (!Number.isInteger(p) || p < 0 || p > 65535) fail(`port out of range: ${p}`);
    return [{ start: p, end: p }];
  }
  const s = showText(p).trim();
  const m = /^(\d+)\s*-\s*(\d+)$/.exec(s);
  if (m !== null && m[1] !== undefined && m[2] !== undefined) {
    const e = u16Error(m[1]) ?? u16Error(m[2]);
    if (e !== undefined) fail(`invalid port range "${s}": ${e}`);
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (start > end) fail(`port range start > end: "${s}"`);
    return [{ start, end }];
  }
  const e = u16Error(s);
  if (e !== undefined) fail(`invalid port "${s}": ${e}`);
  return [{ start: Number(s), end: Number(s) }];
}

/** One `protocol` value (Python rules carry at most one). */
export function parsePyProtocol(p: unknown): Protocol[] {
  if (p === undefined || p === null || p === "") return [];
  if (p === "tcp" || p === "udp" || p === "icmpv4" || p === "icmpv6") return [p];
  return fail(`unknown protocol: ${showText(p)}`);
}

/** Rule direction: `egress` (default), `ingress` or `any` (no aliases). */
export function parsePyDirection(d: unknown): Rule["direction"] {
  if (d === undefined || d === null) return "egress";
  if (d === "egress" || d === "ingress" || d === "any") return d;
  return fail(`unknown rule direction: ${showText(d)}`);
}

/** Rule action. */
export function parsePyAction(a: unknown): Rule["action"] {
  if (a === "allow" || a === "deny") return a;
  return fail(`unknown rule action: ${showText(a)}`);
}

/** One rule dict. */
export function parsePyRule(r: unknown): Rule {
  if (!isRecord(r)) fail(`invalid rule: ${showJson(r)}`);
  return {
    direction: parsePyDirection(r.direction),
    destination: parsePyDestination(r.destination_kind, r.destination),
    protocols: parsePyProtocol(r.protocol),
    ports: parsePyPort(r.port),
    action: parsePyAction(r.action),
  };
}

/** `on_secret_violation`: a string (bare `passthrough` = every host) or `{"passthrough": {hosts, host_patterns, all_hosts}}`. */
export function parsePyViolation(v: unknown): unknown {
  if (typeof v === "string") {
    switch (v) {
      case "block":
      case "block-and-log":
      case "block-and-terminate":
        return v;
      case "block_and_log":
        return "block-and-log";
      case "block_and_terminate":
        return "block-and-terminate";
      case "passthrough":
        return { passthrough: ["any"] };
      default:
        return fail(`unknown violation action: ${v}`);
    }
  }
  if (isRecord(v) && isRecord(v.passthrough)) {
    const p = v.passthrough;
    const hosts = [
      ...(Array.isArray(p.hosts) ? p.hosts.map((h) => ({ exact: h })) : []),
      ...(Array.isArray(p.host_patterns) ? p.host_patterns.map((h) => ({ wildcard: h })) : []),
      ...(p.all_hosts === true ? ["any"] : []),
    ];
    return { passthrough: hosts };
  }
  return fail(`unknown violation action: ${showJson(v)}`);
}

function defaultAction(v: unknown, which: string, dflt: "allow" | "deny"): "allow" | "deny" {
  if (v === undefined || v === null) return dflt;
  if (v === "allow" || v === "deny") return v;
  return fail(`unknown ${which}: ${showText(v)}`);
}

function ports(p: unknown): Record<string, unknown>[] {
  if (Array.isArray(p)) {
    return p.map((b) => {
      if (!isRecord(b)) fail(`invalid port mapping: ${showJson(b)}`);
      return compact({ host_port: b.host_port, guest_port: b.guest_port, protocol: b.protocol ?? "tcp", host_bind: b.bind ?? "127.0.0.1" });
    });
  }
  if (isRecord(p)) return Object.entries(p).map(([h, g]) => ({ host_port: Number(h), guest_port: g, protocol: "tcp", host_bind: "127.0.0.1" }));
  return [];
}

function secret(s: unknown): Record<string, unknown> {
  if (!isRecord(s)) fail(`invalid secret: ${showJson(s)}`);
  const hosts = sdkAllowedHosts(s);
  if (hosts.length === 0) fail("SecretEntry requires at least one allowed host or allowed host pattern");
  return compact({
    env_var: s.env_var,
    value: s.value,
    placeholder: s.placeholder ?? undefined,
    allowed_hosts: hosts,
    injection: isRecord(s.injection) ? s.injection : undefined,
    on_violation: s.on_violation === undefined || s.on_violation === null ? undefined : parsePyViolation(s.on_violation),
    require_tls_identity: typeof s.require_tls === "boolean" ? s.require_tls : undefined,
  });
}

/** Converts a Python `Network._to_dict()` dict into a @sandbox config input (not yet validated). */
export function pyDictToConfig(d: unknown): Record<string, unknown> {
  if (!isRecord(d)) fail(`network must be a dict, got ${showJson(d)}`);
  if (d.rate_limiter !== undefined) fail("rate_limiter is not supported by @sandbox (no rate-limiter field in the network config)");
  const out: Record<string, unknown> = {};
  if (d.policy !== undefined && d.policy !== null) out.preset = d.policy;
  const cp = d.custom_policy;
  for (const key of ["custom_policy", "dns", "tls"] as const) {
    const v = d[key];
    if (v !== undefined && v !== null && !isRecord(v)) fail(`${key} must be a dict, got ${showJson(v)}`);
  }
  const hasDeny = (Array.isArray(d.deny_domains) && d.deny_domains.length > 0) || (Array.isArray(d.deny_domain_suffixes) && d.deny_domain_suffixes.length > 0);
  if (isRecord(cp)) {
    const preset = out.preset !== undefined;
    out.policy = compact({
      default_egress: cp.default_egress === undefined && preset ? undefined : defaultAction(cp.default_egress, "default_egress", "deny"),
      default_ingress: cp.default_ingress === undefined && preset ? undefined : defaultAction(cp.default_ingress, "default_ingress", "allow"),
      rules: Array.isArray(cp.rules) ? cp.rules.map((r, i) => atPath(`$.custom_policy.rules[${i}]`, () => parsePyRule(r))) : [],
    });
  } else if (out.preset === undefined && hasDeny) {
    out.policy = { default_egress: "allow", default_ingress: "allow", rules: [] };
  }
  if (Array.isArray(d.deny_domains)) out.deny_domains = d.deny_domains;
  if (Array.isArray(d.deny_domain_suffixes)) out.deny_domain_suffixes = d.deny_domain_suffixes;
  if (isRecord(d.dns)) out.dns = compact({ rebind_protection: d.dns.rebind_protection, nameservers: d.dns.nameservers, query_timeout_ms: d.dns.query_timeout_ms });
  if (isRecord(d.tls)) out.tls = sdkTls(d.tls, false);

  const p = atPath("$.ports", () => ports(d.ports));
  if (p.length > 0) out.ports = p;
  for (const k of ["ipv4_pool", "ipv6_pool", "max_connections", "trust_host_cas"] as const) if (d[k] !== undefined && d[k] !== null) out[k] = d[k];
  const secrets = Array.isArray(d.secrets) ? d.secrets.map((x, i) => atPath(`$.secrets[${i}]`, () => secret(x))) : [];
  const ov = d.on_secret_violation === undefined || d.on_secret_violation === null ? undefined : atPath("$.on_secret_violation", () => parsePyViolation(d.on_secret_violation));
  if (secrets.length > 0 || ov !== undefined) out.secrets = compact({ secrets, on_violation: ov });
  return out;
}

/** Python network dict -> the canonical config (throws {@link DialectError} with Python's texts). */
export function fromPythonDict(d: unknown): CanonicalNetworkConfig {
  return finish("python", pyDictToConfig(d));
}
