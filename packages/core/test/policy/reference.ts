/**
 * Test helper: a plain, deliberately naive reference evaluator written straight from the §9
 * pseudo-code (with D1: suffix rules match strict subdomains only), §1.6–§1.8 and §4.4. It walks
 * every rule in order; the compiled evaluator must agree with it.
 */
import {
  formatIp,
  isRebindReserved,
  parseDomainName,
  parseIp,
  unmapIp,
  type IpAddr,
  type PolicyLike,
  type Protocol,
  type RuleLike,
} from "./imports.js";

/** A plain cache entry: name, family, IP texts (mapped IPv6 already collapsed), expiry. */
export interface RefCacheEntry {
  host: string;
  family: "ipv4" | "ipv6";
  ips: string[];
  expires: number;
}

/** Reference environment. */
export interface RefEnv {
  gateway: { ipv4?: string; ipv6?: string };
  cache: RefCacheEntry[];
  now: number;
}

/** Reference source kinds. */
export type RefSource = { kind: "cache" } | { kind: "sni"; name: string } | { kind: "deferred" };

const bitsMemo = new WeakMap<IpAddr, string>();

function bits(a: IpAddr): string {
  let b = bitsMemo.get(a);
  if (b === undefined) {
    b = a.family === 4 ? (a.v4 >>> 0).toString(2).padStart(32, "0") : [...a.v6].map((x) => x.toString(2).padStart(8, "0")).join("");
    bitsMemo.set(a, b);
  }
  return b;
}

const netMemo = new Map<string, { family: number; prefix: string }>();

const unmapMemo = new WeakMap<IpAddr, IpAddr>();

/** Mapped-IPv6 collapse, memoized per address object so repeated rules reuse one object. */
function unmapped(ip: IpAddr): IpAddr {
  let u = unmapMemo.get(ip);
  if (u === undefined) {
    u = unmapIp(ip);
    unmapMemo.set(ip, u);
  }
  return u;
}

function inNet(ip: IpAddr, net: string): boolean {
  let m = netMemo.get(net);
  if (m === undefined) {
    const [addr, len] = net.split("/");
    const n = parseIp(addr!)!;
    const l = len === undefined ? (n.family === 4 ? 32 : 128) : Number(len);
    m = { family: n.family, prefix: bits(n).slice(0, l) };
    if (netMemo.size > 100_000) netMemo.clear();
    netMemo.set(net, m);
  }
  return m.family === ip.family && bits(ip).startsWith(m.prefix);
}

/** Reference group classification from the §1.4 table. */
export function refClassify(raw: IpAddr, gw: RefEnv["gateway"]): string {
  const ip = unmapIp(raw);
  const text = formatIp(ip);
  if (text === "0.0.0.0" || text === "::") return "none";
  if ((ip.family === 4 && gw.ipv4 === text) || (ip.family === 6 && gw.ipv6 !== undefined && formatIp(parseIp(gw.ipv6)!) === text)) {
    return "host";
  }
  const v4 = ip.family === 4;
  if (v4 && text === "169.254.169.254") return "metadata";
  if (v4 ? inNet(ip, "127.0.0.0/8") : text === "::1") return "loopback";
  const priv = v4 ? ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] : ["fc00::/7"];
  if (priv.some((n) => inNet(ip, n))) return "private";
  if (inNet(ip, v4 ? "169.254.0.0/16" : "fe80::/10")) return "link_local";
  if (inNet(ip, v4 ? "224.0.0.0/4" : "ff00::/8")) return "multicast";
  return "public";
}

function canon(d: string): string {
  const r = parseDomainName(d);
  if (!r.ok) throw new Error(r.error);
  return r.name;
}

function nameTest(r: RuleLike): ((h: string) => boolean) | null {
  const d = r.destination;
  if (d === "any" || "cidr" in d || "group" in d) return null;
  if ("domain" in d) {
    const x = canon(d.domain);
    return (h) => h === x;
  }
  const s = canon(d.domain_suffix);
  return (h) => h !== s && h.endsWith(`.${s}`);
}

function cached(ip: IpAddr, test: (h: string) => boolean, env: RefEnv): boolean {
  const text = formatIp(unmapIp(ip));
  return env.cache.some((e) => e.expires > env.now && e.ips.includes(text) && test(e.host));
}

function filters(r: RuleLike, port: number | null, proto: Protocol): boolean {
  const protos = r.protocols ?? [];
  const ports = r.ports ?? [];
  if (protos.length > 0 && !protos.includes(proto)) return false;
  if (ports.length > 0 && (port === null || !ports.some((x) => x.start <= port && port <= x.end))) return false;
  return true;
}

function destMatch(r: RuleLike, ip: IpAddr, src: RefSource, env: RefEnv): "match" | "nomatch" | "defer" {
  const d = r.destination;
  if (d === "any") return "match";
  if ("cidr" in d) return inNet(unmapped(ip), d.cidr) ? "match" : "nomatch";
  if ("group" in d) return refClassify(ip, env.gateway) === d.group ? "match" : "nomatch";
  const test = nameTest(r)!;
  switch (src.kind) {
    case "cache":
      return cached(ip, test, env) ? "match" : "nomatch";
    case "sni": {
      const name = src.name.toLowerCase().replace(/\.+$/, "");
      return test(name) && (r.action === "deny" || cached(ip, test, env)) ? "match" : "nomatch";
    }
    case "deferred":
      return r.action === "deny" || cached(ip, test, env) ? "defer" : "nomatch";
  }
}

function tailCanAllow(p: PolicyLike, from: number, ip: IpAddr, port: number | null, proto: Protocol, env: RefEnv): boolean {
  for (let i = from; i < p.rules.length; i++) {
    const r = p.rules[i]!;
    if (r.direction === "ingress" || !filters(r, port, proto)) continue;
    const m = destMatch(r, ip, { kind: "deferred" }, env);
    if (m === "match") return r.action === "allow";
    if (m === "defer" && r.action === "allow") return true;
  }
  return p.default_egress === "allow";
}

/** Reference egress: verdict and deciding rule (-1 = default). */
export function refEgress(
  p: PolicyLike,
  ip: IpAddr,
  port: number | null,
  proto: Protocol,
  src: RefSource,
  env: RefEnv,
): [string, number] {
  for (let i = 0; i < p.rules.length; i++) {
    const r = p.rules[i]!;
    if (r.direction === "ingress" || !filters(r, port, proto)) continue;
    const m = destMatch(r, ip, src, env);
    if (m === "match") return [r.action, i];
    if (m === "defer") return [r.action === "deny" && !tailCanAllow(p, i + 1, ip, port, proto, env) ? "deny" : "defer", i];
  }
  return [p.default_egress, -1];
}

/** Reference ingress (§1.6). */
export function refIngress(p: PolicyLike, peer: IpAddr, guestPort: number, proto: Protocol, env: RefEnv): [string, number] {
  for (let i = 0; i < p.rules.length; i++) {
    const r = p.rules[i]!;
    if (r.direction === "egress" || !filters(r, guestPort, proto)) continue;
    if (destMatch(r, peer, { kind: "cache" }, env) === "match") return [r.action, i];
  }
  return [p.default_ingress, -1];
}

/** Reference DNS-query decision (§1.7, D1). */
export function refDns(p: PolicyLike, name: string | null, proto: "udp" | "tcp", port: number): [string, number] {
  let n: string | null = null;
  if (name !== null) {
    const r = parseDomainName(name);
    if (r.ok) n = r.name;
  }
  for (let i = 0; i < p.rules.length; i++) {
    const r = p.rules[i]!;
    if (r.direction === "ingress") continue;
    const d = r.destination;
    let matched = false;
    if (d === "any" || ("group" in d && d.group === "host")) matched = filters(r, port, proto);
    else if ("domain" in d || "domain_suffix" in d) matched = n !== null && nameTest(r)!(n);
    if (matched) return [r.action, i];
  }
  return [p.default_egress, -1];
}

/** Reference explicit evaluation (§1.8). */
export function refExplicit(p: PolicyLike, ip: IpAddr, proto: Protocol, env: RefEnv): string | null {
  for (const r of p.rules) {
    if (r.direction === "ingress") continue;
    const d = r.destination;
    if (d === "any" || !("cidr" in d || "group" in d)) continue;
    if ((r.ports ?? []).length > 0) continue;
    const protos = r.protocols ?? [];
    if (protos.length > 0 && !protos.includes(proto)) continue;
    if (destMatch(r, ip, { kind: "cache" }, env) === "match") return r.action;
  }
  return null;
}

/** Reference rebind admission (§4.4). */
export function refRebindAdmits(p: PolicyLike, ip: IpAddr, env: RefEnv): boolean {
  if (!isRebindReserved(ip)) return true;
  return refExplicit(p, ip, "tcp", env) === "allow" || refExplicit(p, ip, "udp", env) === "allow";
}
