/**
 * Go SDK dialect, wire layer (semantics §3.2): the JSON the Go SDK sends over its FFI
 * (`{custom_policy, dns, dns_rebind_protection, deny_domains, deny_domain_suffixes, tls, ports,
 * ports_udp, port_bindings, ipv4_pool, ipv6_pool, max_connections, on_secret_violation,
 * trust_host_cas, secrets}`) parsed the way the Go native layer does, into a @sandbox config, with
 * the Go native layer's error texts. Extension (D2): a `policy` key naming a preset is accepted.
 */
import { parseCidr } from "../net/cidr.js";
import { formatIp, parseIp } from "../net/ip.js";
import { parseDomainName } from "../policy/domain-name.js";
import { parseNameserver } from "../config/nameserver.js";
import type { CanonicalNetworkConfig } from "../config/normalize.js";
import type { Destination, PortRange, Protocol, Rule } from "../gen/index.js";
import { compact, finish, groupFromSpelling, isRecord, sdkAllowedHosts, sdkTls, showJson, showText } from "./common.js";
import { atPath, DialectError } from "./errors.js";

function fail(message: string): never {
  throw new DialectError("go", message);
}

/** Rust `u16` parse error texts as the Go native layer reports them. */
export function u16Error(s: string): string | undefined {
  if (s.length === 0) return "cannot parse integer from empty string";
  if (!/^\+?[0-9]+$/.test(s)) return "invalid digit found in string";
  if (Number(s.replace(/^\+/, "")) > 65535) return "number too large to fit in target type";
  return undefined;
}

/** `parse_destination`: absent/`*` -> any; group names; `.x` -> suffix; `/` -> CIDR; IP -> /32,/128; else domain. */
export function parseGoDestination(d: unknown): Destination {
  if (d === undefined || d === null || d === "" || d === "*") return "any";
  if (typeof d !== "string") fail(`invalid destination: ${showJson(d)}`);
  const g = groupFromSpelling(d);
  if (g !== undefined) return { group: g };
  if (d.startsWith(".")) {
    const r = parseDomainName(d);
    if (!r.ok) fail(`invalid domain "${d}": ${r.error}`);
    return { domain_suffix: r.name };
  }
  if (d.includes("/")) {
    const c = parseCidr(d);
    if ("error" in c) fail(`invalid CIDR "${d}": ${c.error}`);
    return { cidr: d };
  }
  const ip = parseIp(d);
  if (ip !== undefined) return { cidr: `${formatIp(ip)}/${ip.family === 4 ? 32 : 128}` };
  const r = parseDomainName(d);
  if (!r.ok) fail(`invalid domain "${d}": ${r.error}`);
  return { domain: r.name };
}

/** One `port`/`ports` value: a number or a string `"443"` / `"8000-9000"`. */
export function parseGoPortValue(v: unknown): PortRange {
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || v > 65535) fail(`port out of range: ${v}`);
    return { start: v, end: v };
  }
  if (typeof v !== "string") fail(`port must be number or string, got ${showJson(v)}`);
  const s = v.trim();
  const dash = s.indexOf("-");
  if (dash >= 0) {
    const a = s.slice(0, dash).trim();
    const b = s.slice(dash + 1).trim();
    const e = u16Error(a) ?? u16Error(b);
    if (e !== undefined) fail(`invalid port range "${v}": ${e}`);
    const start = Number(a);
    const end = Number(b);
    if (start > end) fail(`port range start > end: "${v}"`);
    return { start, end };
  }
  const e = u16Error(s);
  if (e !== undefined) fail(`invalid port "${v}": ${e}`);
  return { start: Number(s), end: Number(s) };
}

/** `port` (legacy single) and `ports`, concatenated without de-duplication. */
export function parseGoPorts(port: unknown, ports: unknown): PortRange[] {
  const out: PortRange[] = [];
  if (port !== undefined && port !== null && port !== "") out.push(parseGoPortValue(port));
  if (Array.isArray(ports)) for (const p of ports) out.push(parseGoPortValue(p));
  return out;
}

const PROTOCOLS: readonly string[] = ["tcp", "udp", "icmpv4", "icmpv6"];

/** `protocol` (legacy single, first) plus `protocols`, de-duplicated; `""` means any. */
export function parseGoProtocols(protocol: unknown, protocols: unknown): Protocol[] {
  const list = [...(protocol === undefined || protocol === null || protocol === "" ? [] : [protocol]), ...(Array.isArray(protocols) ? protocols : [])];
  const out: Protocol[] = [];
  for (const p of list) {
    if (typeof p !== "string" || !PROTOCOLS.includes(p)) fail(`unknown protocol: ${showText(p)}`);
    if (!out.includes(p as Protocol)) out.push(p as Protocol);
  }
  return out;
}

/** Rule direction with the Go aliases (`outbound`, `inbound`, `both`); absent = egress. */
export function parseGoDirection(d: unknown): Rule["direction"] {
  if (d === undefined || d === null || d === "") return "egress";
  switch (d) {
    case "egress":
    case "outbound":
      return "egress";
    case "ingress":
    case "inbound":
      return "ingress";
    case "any":
    case "both":
      return "any";
    default:
      return fail(`unknown direction: ${showText(d)}`);
  }
}

/** Rule action (required). */
export function parseGoAction(a: unknown): Rule["action"] {
  if (a === "allow" || a === "deny") return a;
  return fail(`unknown action: ${a === undefined ? "" : showText(a)}`);
}

/** One FFI rule `{action, direction, destination, protocol, protocols, port, ports}`. ICMP in ingress is not rejected here (D4 rejects it at validation). */
export function parseGoRule(r: unknown): Rule {
  if (!isRecord(r)) fail(`invalid rule: ${showJson(r)}`);
  return {
    direction: parseGoDirection(r.direction),
    destination: parseGoDestination(r.destination),
    protocols: parseGoProtocols(r.protocol, r.protocols),
    ports: parseGoPorts(r.port, r.ports),
    action: parseGoAction(r.action),
  };
}

/** `OnSecretViolation` strings (no passthrough in Go). */
export function parseGoViolation(v: unknown): "block" | "block-and-log" | "block-and-terminate" {
  switch (v) {
    case "block":
      return "block";
    case "block-and-log":
    case "block_and_log":
      return "block-and-log";
    case "block-and-terminate":
    case "block_and_terminate":
      return "block-and-terminate";
    default:
      return fail(`unknown violation action: ${showText(v)}`);
  }
}

function portMap(m: unknown, protocol: "tcp" | "udp"): Record<string, unknown>[] {
  if (!isRecord(m)) return [];
  return Object.entries(m).map(([h, g]) => ({ host_port: Number(h), guest_port: g, protocol, host_bind: "127.0.0.1" }));
}

function portBinding(b: unknown): Record<string, unknown> {
  if (!isRecord(b)) fail(`invalid port binding: ${showJson(b)}`);
  const bind = b.bind === undefined || b.bind === "" ? "127.0.0.1" : showText(b.bind);
  if (parseIp(bind) === undefined) fail(`invalid bind address: ${bind}`);
  const protocol = b.protocol === undefined || b.protocol === "" ? "tcp" : b.protocol;
  if (protocol !== "tcp" && protocol !== "udp") fail(`invalid port protocol: ${showText(protocol)}`);
  return { host_port: b.host_port, guest_port: b.guest_port, protocol, host_bind: bind };
}

function secret(s: unknown): Record<string, unknown> {
  if (!isRecord(s)) fail(`invalid secret: ${showJson(s)}`);
  const hosts = sdkAllowedHosts(s);
  if (hosts.length === 0) fail("secret requires at least one allowed host or allowed host pattern");
  return compact({
    env_var: s.env_var,
    value: s.value,
    placeholder: typeof s.placeholder === "string" && s.placeholder !== "" ? s.placeholder : undefined,
    allowed_hosts: hosts,
    on_violation: s.on_violation === undefined || s.on_violation === "" ? undefined : parseGoViolation(s.on_violation),
    require_tls_identity: typeof s.require_tls === "boolean" ? s.require_tls : true,
  });
}

function pool(v: unknown, key: "ipv4_pool" | "ipv6_pool"): string | undefined {
  if (v === undefined || v === "") return undefined;
  const c = typeof v === "string" ? parseCidr(v) : { error: "not a string" };
  if ("error" in c) fail(`${key} "${showText(v)}": ${c.error}`);
  return v as string;
}

/**
 * Converts the Go SDK's FFI network JSON into a @sandbox config input (not yet validated).
 * `custom_policy` defaults: egress deny, ingress allow. Without a custom policy or preset, deny
 * lists yield allow/allow plus the denies (§2.3); with nothing at all the runtime default applies.
 */
export function goFfiToConfig(ffi: unknown): Record<string, unknown> {
  if (!isRecord(ffi)) fail(`network must be an object, got ${showJson(ffi)}`);
  if (ffi.rate_limiter !== undefined) fail("rate_limiter is not supported by @sandbox (no rate-limiter field in the network config)");
  const out: Record<string, unknown> = {};
  const cp = ffi.custom_policy;
  for (const key of ["custom_policy", "dns", "tls"] as const) {
    const v = ffi[key];
    if (v !== undefined && v !== null && !isRecord(v)) fail(`${key} must be an object, got ${showJson(v)}`);
  }
  const hasDeny = (Array.isArray(ffi.deny_domains) && ffi.deny_domains.length > 0) || (Array.isArray(ffi.deny_domain_suffixes) && ffi.deny_domain_suffixes.length > 0);
  if (ffi.policy !== undefined) out.preset = ffi.policy;
  if (isRecord(cp)) {
    const de = cp.default_egress === undefined ? undefined : atPath("$.custom_policy.default_egress", () => parseGoAction(cp.default_egress));
    const di = cp.default_ingress === undefined ? undefined : atPath("$.custom_policy.default_ingress", () => parseGoAction(cp.default_ingress));
    const rules = Array.isArray(cp.rules) ? cp.rules.map((r, i) => atPath(`$.custom_policy.rules[${i}]`, () => parseGoRule(r))) : [];
    out.policy = compact({
      default_egress: de ?? (ffi.policy === undefined ? "deny" : undefined),
      default_ingress: di ?? (ffi.policy === undefined ? "allow" : undefined),
      rules,
    });
  } else if (ffi.policy === undefined && hasDeny) {
    out.policy = { default_egress: "allow", default_ingress: "allow", rules: [] };
  }
  if (Array.isArray(ffi.deny_domains)) out.deny_domains = ffi.deny_domains;
  if (Array.isArray(ffi.deny_domain_suffixes)) out.deny_domain_suffixes = ffi.deny_domain_suffixes;
  const dns = isRecord(ffi.dns) ? ffi.dns : undefined;
  if (dns !== undefined) {
    if (Array.isArray(dns.nameservers)) {
      dns.nameservers.forEach((n, i) => {
        const r = parseNameserver(showText(n));
        if ("error" in r) atPath(`$.dns.nameservers[${i}]`, () => fail(`invalid nameserver: ${r.error}`));
      });
    }
    out.dns = compact({ rebind_protection: dns.rebind_protection, nameservers: dns.nameservers, query_timeout_ms: dns.query_timeout_ms });
  }
  if (typeof ffi.dns_rebind_protection === "boolean") out.dns_rebind_protection = ffi.dns_rebind_protection;
  if (isRecord(ffi.tls)) out.tls = sdkTls(ffi.tls, true);

  const ports = [...portMap(ffi.ports, "tcp"), ...portMap(ffi.ports_udp, "udp"), ...(Array.isArray(ffi.port_bindings) ? ffi.port_bindings.map((b, i) => atPath(`$.port_bindings[${i}]`, () => portBinding(b))) : [])];
  if (ports.length > 0) out.ports = ports;
  const v4 = atPath("$.ipv4_pool", () => pool(ffi.ipv4_pool, "ipv4_pool"));
  const v6 = atPath("$.ipv6_pool", () => pool(ffi.ipv6_pool, "ipv6_pool"));
  if (v4 !== undefined) out.ipv4_pool = v4;
  if (v6 !== undefined) out.ipv6_pool = v6;
  if (ffi.max_connections !== undefined) out.max_connections = ffi.max_connections;
  const secrets = Array.isArray(ffi.secrets) ? ffi.secrets.map((x, i) => atPath(`$.secrets[${i}]`, () => secret(x))) : [];
  const onViolation = ffi.on_secret_violation === undefined || ffi.on_secret_violation === "" ? undefined : atPath("$.on_secret_violation", () => parseGoViolation(ffi.on_secret_violation));
  if (secrets.length > 0 || onViolation !== undefined) out.secrets = compact({ secrets, on_violation: onViolation });
  if (ffi.trust_host_cas !== undefined) out.trust_host_cas = ffi.trust_host_cas;
  return out;
}

/** Go FFI network JSON -> the canonical config (throws {@link DialectError} with Go's texts). */
export function fromGoFfi(ffi: unknown): CanonicalNetworkConfig {
  return finish("go", goFfiToConfig(ffi));
}
