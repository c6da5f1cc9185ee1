/**
 * Flattens a wire policy into a struct-of-arrays rule table: per-rule direction/protocol bit
 * masks, destination kind, canonical domain, parsed CIDR, group code and flattened port ranges.
 * Malformed input throws an error naming the JSON path, the bad value and what is accepted.
 */
import { parseCidr, type Cidr } from "../net/cidr.js";
import { parseDomainName } from "./domain-name.js";
import { groupCode, GROUP_NAMES } from "./groups.js";
import type { PolicyLike, Protocol, RuleLike } from "./types.js";

/** Destination kinds. */
export const K_ANY = 0;
/** IPv4 CIDR destination. */
export const K_CIDR4 = 1;
/** IPv6 CIDR destination. */
export const K_CIDR6 = 2;
/** Group destination. */
export const K_GROUP = 3;
/** Exact domain destination. */
export const K_DOMAIN = 4;
/** Domain suffix destination (strict subdomains, D1). */
export const K_SUFFIX = 5;

/** Direction bits. */
export const D_EGRESS = 1;
/** Ingress direction bit. */
export const D_INGRESS = 2;

/** Protocol indices (bit = 1 << index). */
export const PROTOCOLS: readonly Protocol[] = ["tcp", "udp", "icmpv4", "icmpv6"];
/** All protocol bits (an empty `protocols` list). */
export const P_ALL = 15;

/** Protocol index of a protocol name, -1 when unknown. */
export function protocolIndex(p: string): number {
  switch (p) {
    case "tcp":
      return 0;
    case "udp":
      return 1;
    case "icmpv4":
      return 2;
    case "icmpv6":
      return 3;
    default:
      return -1;
  }
}

/** Sentinel rule index meaning "no rule". */
export const NONE = 0x3fffffff; // the largest small integer (Smi) on 64-bit V8: no boxing when returned

/** Struct-of-arrays view of a policy's rules. */
export interface RuleTable {
  readonly n: number;
  /** 0 = allow, 1 = deny. */
  readonly deny: Uint8Array;
  readonly dir: Uint8Array;
  readonly proto: Uint8Array;
  readonly kind: Uint8Array;
  readonly group: Int8Array;
  readonly portOff: Int32Array;
  readonly portLen: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Canonical domain / suffix per rule (null for other kinds). */
  readonly names: readonly (string | null)[];
  readonly cidrs: readonly (Cidr | null)[];
  readonly rules: readonly RuleLike[];
  /** 1 = default deny, per direction index 0 egress / 1 ingress. */
  readonly defaultDenyEgress: boolean;
  readonly defaultDenyIngress: boolean;
}

function fail(path: string, value: unknown, accepted: string): never {
  throw new Error(`${path}: invalid value ${JSON.stringify(value)}; expected ${accepted}`);
}

/** Builds the rule table; throws on malformed input (with the JSON path). */
export function buildRuleTable(policy: PolicyLike): RuleTable {
  const rules = policy.rules ?? [];
  const n = rules.length;
  if (policy.default_egress !== "allow" && policy.default_egress !== "deny") {
    fail("default_egress", policy.default_egress, `"allow" or "deny"`);
  }
  if (policy.default_ingress !== "allow" && policy.default_ingress !== "deny") {
    fail("default_ingress", policy.default_ingress, `"allow" or "deny"`);
  }
  const deny = new Uint8Array(n);
  const dir = new Uint8Array(n);
  const proto = new Uint8Array(n);
  const kind = new Uint8Array(n);
  const group = new Int8Array(n).fill(-1);
  const portOff = new Int32Array(n);
  const portLen = new Int32Array(n);
  const lo: number[] = [];
  const hi: number[] = [];
  const names: (string | null)[] = [];
  const cidrs: (Cidr | null)[] = [];
  for (let i = 0; i < n; i++) {
    const r = rules[i]!;
    const p = `rules[${i}]`;
    if (r.action === "allow") deny[i] = 0;
    else if (r.action === "deny") deny[i] = 1;
    else fail(`${p}.action`, r.action, `"allow" or "deny"`);
    if (r.direction === "egress") dir[i] = D_EGRESS;
    else if (r.direction === "ingress") dir[i] = D_INGRESS;
    else if (r.direction === "any") dir[i] = D_EGRESS | D_INGRESS;
    else fail(`${p}.direction`, r.direction, `"egress", "ingress" or "any"`);
    const protos = r.protocols ?? [];
    let mask = 0;
    protos.forEach((x, j) => {
      const k = protocolIndex(x);
      if (k < 0) fail(`${p}.protocols[${j}]`, x, `"tcp", "udp", "icmpv4" or "icmpv6"`);
      mask |= 1 << k;
    });
    proto[i] = protos.length === 0 ? P_ALL : mask;
    const ports = r.ports ?? [];
    portOff[i] = lo.length;
    portLen[i] = ports.length;
    ports.forEach((pr, j) => {
      const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
      if (!ok(pr.start) || !ok(pr.end) || pr.start > pr.end) {
        fail(`${p}.ports[${j}]`, pr, `{start, end} with 0 <= start <= end <= 65535`);
      }
      lo.push(pr.start);
      hi.push(pr.end);
    });
    const d = r.destination;
    names.push(null);
    cidrs.push(null);
    if (d === "any") {
      kind[i] = K_ANY;
    } else if (typeof d === "object" && d !== null && "cidr" in d) {
      const c = parseCidr(d.cidr);
      if ("error" in c) fail(`${p}.destination.cidr`, d.cidr, "an IPv4 or IPv6 network like `10.0.0.0/8` or `2001:db8::/32`");
      kind[i] = c.family === 4 ? K_CIDR4 : K_CIDR6;
      cidrs[i] = c;
    } else if (typeof d === "object" && d !== null && "domain" in d) {
      const nm = parseDomainName(d.domain);
      if (!nm.ok) fail(`${p}.destination.domain`, d.domain, `a domain name (${nm.error})`);
      kind[i] = K_DOMAIN;
      names[i] = nm.name;
    } else if (typeof d === "object" && d !== null && "domain_suffix" in d) {
      const nm = parseDomainName(d.domain_suffix);
      if (!nm.ok) fail(`${p}.destination.domain_suffix`, d.domain_suffix, `a domain name (${nm.error})`);
      kind[i] = K_SUFFIX;
      names[i] = nm.name;
    } else if (typeof d === "object" && d !== null && "group" in d) {
      const g = groupCode(d.group);
      if (g < 0) fail(`${p}.destination.group`, d.group, GROUP_NAMES.map((x) => `"${x}"`).join(", "));
      kind[i] = K_GROUP;
      group[i] = g;
    } else {
      fail(`${p}.destination`, d, `"any", {cidr}, {domain}, {domain_suffix} or {group}`);
    }
  }
  return {
    n,
    deny,
    dir,
    proto,
    kind,
    group,
    portOff,
    portLen,
    lo: Int32Array.from(lo),
    hi: Int32Array.from(hi),
    names,
    cidrs,
    rules,
    defaultDenyEgress: policy.default_egress === "deny",
    defaultDenyIngress: policy.default_ingress === "deny",
  };
}

/** True when rule `r`'s port filter admits `port` (-1 = no port, e.g. ICMP). */
export function portOk(t: RuleTable, r: number, port: number): boolean {
  const len = t.portLen[r]!;
  if (len === 0) return true;
  if (port < 0) return false;
  const off = t.portOff[r]!;
  for (let k = off; k < off + len; k++) if (t.lo[k]! <= port && port <= t.hi[k]!) return true;
  return false;
}
