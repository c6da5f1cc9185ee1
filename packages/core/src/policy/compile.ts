/**
 * The compiled policy evaluator (§1.5-§1.8, §4.4). Rules are bucketed by (direction, protocol);
 * each bucket indexes IP-level destinations (any / group / v4 and v6 prefix tries with port
 * indexes); Domain/DomainSuffix rules sit in one label trie queried with cached names or the SNI.
 * First-match-wins = the minimum rule index over all candidate structures. `egressCode` is the
 * allocation-free fast path (packed verdict + rule index).
 */
import { isMappedV6, type IpAddr } from "../net/ip.js";
import { buildBucket, buildCandList, firstIn, firstIpMatch, type Bucket, type CandList } from "./bucket.js";
import type { ResolvedNameCache } from "./cache.js";
import { EvalDecision, How, packCode, V_ALLOW, V_DEFER, V_DENY } from "./decision.js";
import { canonicalHost, parseDomainName, suffixMatches } from "./domain-name.js";
import { classifyV4Parts, classifyV6, groupCode, parseGateway, type ParsedGateway } from "./groups.js";
import { LabelTrie } from "./label-trie.js";
import { isRebindReserved } from "./rebind.js";
import {
  buildRuleTable,
  D_EGRESS,
  D_INGRESS,
  K_CIDR4,
  K_CIDR6,
  K_DOMAIN,
  K_GROUP,
  K_SUFFIX,
  K_ANY,
  NONE,
  portOk,
  protocolIndex,
  type RuleTable,
} from "./rule-table.js";
import type { Decision, GatewayLike, HostnameSource, PolicyLike, Protocol } from "./types.js";

/** What a compiled policy needs from its sandbox: gateway addresses and the name cache. */
export interface PolicyEnv {
  readonly gateway: GatewayLike;
  readonly cache: ResolvedNameCache;
}

/** The evaluator contract shared with @sandbox/netproxy. */
export interface CompiledPolicy {
  /** §1.5 egress decision; `port` null for ICMP; `source` defaults to the cache. */
  egress(ip: IpAddr, port: number | null, protocol: Protocol, source?: HostnameSource): Decision;
  /** Allocation-free egress decision: packed code (see `codeVerdict`/`codeRule`). */
  egressCode(ip: IpAddr, port: number | null, protocol: Protocol, source?: HostnameSource): number;
  /** §1.6 ingress decision for a published port. */
  ingress(peer: IpAddr, guestPort: number, protocol: Protocol): Decision;
  /** Allocation-free ingress decision (packed code). */
  ingressCode(peer: IpAddr, guestPort: number, protocol: Protocol): number;
  /** §1.7 DNS-query decision; `name` null (or unparseable) takes the nameless path. */
  dnsQuery(name: string | null, protocol: "udp" | "tcp", port: number): Decision;
  /** §1.8 explicit evaluation (Cidr/Group, no ports); null when no rule decides. */
  explicitEgress(ip: IpAddr, protocol: Protocol): "allow" | "deny" | null;
  /** §4.4: false if the answer address is reserved and not admitted by explicit tcp or udp. */
  rebindAdmits(ip: IpAddr): boolean;
  /** True when any rule is a Domain/DomainSuffix rule (decides first-flight re-evaluation). */
  readonly hasDomainRules: boolean;
  /** The policy this was compiled from. */
  readonly policy: PolicyLike;
}

const HOST_GROUP = groupCode("host");

class Compiled implements CompiledPolicy {
  readonly hasDomainRules: boolean;
  readonly policy: PolicyLike;
  private readonly t: RuleTable;
  private readonly gw: ParsedGateway;
  /** Gateway IPv4 halves (-1 / -1 when there is no IPv4 gateway). */
  private readonly gwHi: number;
  private readonly gwLo: number;
  private readonly cache: ResolvedNameCache;
  /** Per (direction, protocol): index 0-3 egress tcp/udp/icmpv4/icmpv6, 4-7 ingress; built on first use. */
  private readonly buckets: (Bucket | undefined)[] = new Array<Bucket | undefined>(8).fill(undefined);
  /** Per protocol, §1.8 explicit rules only (Cidr/Group, no ports); built on first use. */
  private readonly explicit: (Bucket | undefined)[] = new Array<Bucket | undefined>(4).fill(undefined);
  private readonly dnsLists: CandList[] = [];
  private readonly labels = new LabelTrie();
  // Scratch outputs of the last evaluation (for reasons).
  private how: How = How.Ip;
  private host: string | null = null;
  private group = -1;

  constructor(policy: PolicyLike, env: PolicyEnv) {
    this.policy = policy;
    this.t = buildRuleTable(policy);
    this.gw = parseGateway(env.gateway);
    this.gwHi = this.gw.v4 < 0 ? -1 : this.gw.v4 >>> 16;
    this.gwLo = this.gw.v4 < 0 ? -1 : this.gw.v4 & 0xffff;
    this.cache = env.cache;
    const t = this.t;
    let domains = false;
    for (let r = 0; r < t.n; r++) {
      if (t.kind[r] === K_DOMAIN) this.labels.addExact(t.names[r]!, r);
      else if (t.kind[r] === K_SUFFIX) this.labels.addSuffix(t.names[r]!, r);
      else continue;
      domains = true;
    }
    this.hasDomainRules = domains;
    for (const name of ["udp", "tcp"] as const) {
      const bit = 1 << protocolIndex(name);
      const picked: number[] = [];
      for (let r = 0; r < t.n; r++) {
        if ((t.dir[r]! & D_EGRESS) === 0 || (t.proto[r]! & bit) === 0) continue;
        if (t.kind[r] === K_ANY || (t.kind[r] === K_GROUP && t.group[r] === HOST_GROUP)) picked.push(r);
      }
      this.dnsLists.push(buildCandList(t, picked));
    }
  }

  private bucket(i: number): Bucket {
    const t = this.t;
    const d = i < 4 ? D_EGRESS : D_INGRESS;
    const bit = 1 << (i & 3);
    const b = buildBucket(t, (r) => (t.dir[r]! & d) !== 0 && (t.proto[r]! & bit) !== 0);
    this.buckets[i] = b;
    return b;
  }

  private explicitBucket(p: number): Bucket {
    const t = this.t;
    const bit = 1 << p;
    const b = buildBucket(
      t,
      (r) =>
        (t.dir[r]! & D_EGRESS) !== 0 &&
        (t.proto[r]! & bit) !== 0 &&
        t.portLen[r] === 0 &&
        (t.kind[r] === K_CIDR4 || t.kind[r] === K_CIDR6 || t.kind[r] === K_GROUP),
    );
    this.explicit[p] = b;
    return b;
  }

  private ruleNameMatch(r: number, h: string): boolean {
    const n = this.t.names[r]!;
    return this.t.kind[r] === K_DOMAIN ? h === n : suffixMatches(n, h);
  }

  /** Lowest domain rule in [from, bound) matched through a live cached name bound to the address. */
  private cacheFirst(
    fam: number,
    hi: number,
    lo: number,
    b6: Uint8Array | null,
    dirBit: number,
    protoBit: number,
    port: number,
    from: number,
    bound: number,
    allowOnly: boolean,
  ): number {
    const cache = this.cache;
    const list = fam === 4 ? cache.entriesV4(((hi << 16) | lo) >>> 0) : cache.entriesV6(b6!);
    if (list === undefined || list.length === 0) return NONE;
    const t = this.t;
    const now = cache.now();
    let best = NONE;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.expires <= now) continue;
      if (fam === 6 && !cache.entryHasV6(e, b6!)) continue;
      const m = this.labels.lookup(e.name);
      for (let k = 0; k < m.length; k++) {
        const r = m[k]!;
        if (r >= bound) break;
        if (r < from) continue;
        if ((t.dir[r]! & dirBit) === 0 || (t.proto[r]! & protoBit) === 0) continue;
        if (allowOnly && t.deny[r] === 1) continue;
        if (!portOk(t, r, port)) continue;
        bound = r;
        best = r;
        this.host = e.name;
        break;
      }
    }
    return best;
  }

  /** True when a live cached name bound to the address satisfies rule `r`. */
  private cacheBinds(r: number, fam: number, hi: number, lo: number, b6: Uint8Array | null): boolean {
    const cache = this.cache;
    const list = fam === 4 ? cache.entriesV4(((hi << 16) | lo) >>> 0) : cache.entriesV6(b6!);
    if (list === undefined) return false;
    const now = cache.now();
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.expires <= now) continue;
      if (fam === 6 && !cache.entryHasV6(e, b6!)) continue;
      if (this.ruleNameMatch(r, e.name)) {
        this.host = e.name;
        return true;
      }
    }
    return false;
  }

  egressCode(ip: IpAddr, port: number | null, protocol: Protocol, source?: HostnameSource): number {
    const p = protocolIndex(protocol);
    if (p < 0) throw new Error(`egress: unknown protocol \`${String(protocol)}\`; expected tcp, udp, icmpv4 or icmpv6`);
    // The IPv4 address travels as two 16-bit halves (small integers: never boxed).
    let fam = 4;
    let hi = 0;
    let lo = 0;
    let b6: Uint8Array | null = null;
    if (ip.family === 4) {
      const v = ip.v4;
      hi = v >>> 16;
      lo = v & 0xffff;
    } else {
      const x = ip.v6;
      if (isMappedV6(x)) {
        hi = (x[12]! << 8) | x[13]!;
        lo = (x[14]! << 8) | x[15]!;
      } else {
        fam = 6;
        b6 = x;
      }
    }
    const gw = this.gw;
    const g = fam === 4 ? classifyV4Parts(hi, lo, this.gwHi, this.gwLo) : classifyV6(b6!, gw.v6);
    this.group = g;
    this.how = How.Ip;
    this.host = null;
    const t = this.t;
    const b = this.buckets[p] ?? this.bucket(p);
    const prt = port ?? -1;
    const pbit = 1 << p;
    const ipBest = firstIpMatch(t, b, fam, hi, lo, b6, g, prt, 0, NONE);
    const kind = source === undefined ? "cache" : source.kind;
    if (kind === "cache") {
      let best = ipBest;
      if (b.minDomain < best) {
        const d = this.cacheFirst(fam, hi, lo, b6, D_EGRESS, pbit, prt, 0, best, false);
        if (d < best) {
          best = d;
          this.how = How.Cache;
        }
      }
      return best === NONE ? packCode(t.defaultDenyEgress ? V_DENY : V_ALLOW, -1) : packCode(t.deny[best]!, best);
    }
    if (kind === "sni") {
      let best = ipBest;
      if (b.minDomain < best) {
        const name = canonicalHost((source as { name: string }).name);
        const m = this.labels.lookup(name);
        for (let k = 0; k < m.length; k++) {
          const r = m[k]!;
          if (r >= best) break;
          if ((t.dir[r]! & D_EGRESS) === 0 || (t.proto[r]! & pbit) === 0 || !portOk(t, r, prt)) continue;
          if (t.deny[r] === 1 || this.cacheBinds(r, fam, hi, lo, b6)) {
            best = r;
            this.how = How.Sni;
            break;
          }
        }
      }
      return best === NONE ? packCode(t.defaultDenyEgress ? V_DENY : V_ALLOW, -1) : packCode(t.deny[best]!, best);
    }
    // Deferred (TCP SYN time).
    if (b.minDomain >= ipBest) {
      return ipBest === NONE ? packCode(t.defaultDenyEgress ? V_DENY : V_ALLOW, -1) : packCode(t.deny[ipBest]!, ipBest);
    }
    const denyD = firstIn(t, b.domainDeny, prt, 0, ipBest);
    const bound = denyD < ipBest ? denyD : ipBest;
    const allowD = this.cacheFirst(fam, hi, lo, b6, D_EGRESS, pbit, prt, 0, bound, true);
    if (allowD < bound) {
      this.how = How.DeferAllow;
      return packCode(V_DEFER, allowD);
    }
    if (denyD < ipBest) {
      const can = this.tailCanAllow(b, fam, hi, lo, b6, g, prt, pbit, denyD + 1);
      this.host = null;
      this.how = can ? How.DeferDeny : How.DenyNoTail;
      return packCode(can ? V_DEFER : V_DENY, denyD);
    }
    return ipBest === NONE ? packCode(t.defaultDenyEgress ? V_DENY : V_ALLOW, -1) : packCode(t.deny[ipBest]!, ipBest);
  }

  private tailCanAllow(
    b: Bucket,
    fam: number,
    hi: number,
    lo: number,
    b6: Uint8Array | null,
    g: number,
    prt: number,
    pbit: number,
    from: number,
  ): boolean {
    const t = this.t;
    const ipB = firstIpMatch(t, b, fam, hi, lo, b6, g, prt, from, NONE);
    const allowD = this.cacheFirst(fam, hi, lo, b6, D_EGRESS, pbit, prt, from, ipB, true);
    if (allowD < ipB) return true;
    if (ipB !== NONE) return t.deny[ipB] === 0;
    return !t.defaultDenyEgress;
  }

  egress(ip: IpAddr, port: number | null, protocol: Protocol, source?: HostnameSource): Decision {
    const code = this.egressCode(ip, port, protocol, source);
    return new EvalDecision(code, {
      rules: this.t.rules,
      direction: "egress",
      defaultAction: this.t.defaultDenyEgress ? "deny" : "allow",
      how: this.how,
      ip,
      group: this.group,
      host: this.host,
      subject: source?.kind === "sni" ? canonicalHost(source.name) : null,
    });
  }

  ingressCode(peer: IpAddr, guestPort: number, protocol: Protocol): number {
    const p = protocolIndex(protocol);
    if (p < 0) throw new Error(`ingress: unknown protocol \`${String(protocol)}\`; expected tcp, udp, icmpv4 or icmpv6`);
    // The IPv4 address travels as two 16-bit halves (small integers: never boxed).
    let fam = 4;
    let hi = 0;
    let lo = 0;
    let b6: Uint8Array | null = null;
    if (peer.family === 4) {
      const v = peer.v4;
      hi = v >>> 16;
      lo = v & 0xffff;
    } else {
      const x = peer.v6;
      if (isMappedV6(x)) {
        hi = (x[12]! << 8) | x[13]!;
        lo = (x[14]! << 8) | x[15]!;
      } else {
        fam = 6;
        b6 = x;
      }
    }
    const g = fam === 4 ? classifyV4Parts(hi, lo, this.gwHi, this.gwLo) : classifyV6(b6!, this.gw.v6);
    this.group = g;
    this.how = How.Ip;
    this.host = null;
    const t = this.t;
    const b = this.buckets[4 + p] ?? this.bucket(4 + p);
    let best = firstIpMatch(t, b, fam, hi, lo, b6, g, guestPort, 0, NONE);
    if (b.minDomain < best) {
      const d = this.cacheFirst(fam, hi, lo, b6, D_INGRESS, 1 << p, guestPort, 0, best, false);
      if (d < best) {
        best = d;
        this.how = How.Cache;
      }
    }
    return best === NONE ? packCode(t.defaultDenyIngress ? V_DENY : V_ALLOW, -1) : packCode(t.deny[best]!, best);
  }

  ingress(peer: IpAddr, guestPort: number, protocol: Protocol): Decision {
    const code = this.ingressCode(peer, guestPort, protocol);
    return new EvalDecision(code, {
      rules: this.t.rules,
      direction: "ingress",
      defaultAction: this.t.defaultDenyIngress ? "deny" : "allow",
      how: this.how,
      ip: peer,
      group: this.group,
      host: this.host,
      subject: null,
    });
  }

  dnsQuery(name: string | null, protocol: "udp" | "tcp", port: number): Decision {
    const t = this.t;
    const pi = protocol === "udp" ? 0 : protocol === "tcp" ? 1 : -1;
    if (pi < 0) throw new Error(`dnsQuery: protocol must be udp or tcp, got \`${String(protocol)}\``);
    let best = firstIn(t, this.dnsLists[pi]!, port, 0, NONE);
    let how: How = How.DnsTransport;
    let canon: string | null = null;
    if (name !== null) {
      const parsed = parseDomainName(name);
      if (parsed.ok) canon = parsed.name;
    }
    if (canon !== null && this.hasDomainRules) {
      const m = this.labels.lookup(canon);
      for (let k = 0; k < m.length; k++) {
        const r = m[k]!;
        if (r >= best) break;
        if ((t.dir[r]! & D_EGRESS) !== 0) {
          best = r;
          how = How.DnsName;
          break;
        }
      }
    }
    const code = best === NONE ? packCode(t.defaultDenyEgress ? V_DENY : V_ALLOW, -1) : packCode(t.deny[best]!, best);
    return new EvalDecision(code, {
      rules: t.rules,
      direction: "egress",
      defaultAction: t.defaultDenyEgress ? "deny" : "allow",
      how,
      ip: null,
      group: -1,
      host: null,
      subject: how === How.DnsName ? canon : `${protocol}/${port}`,
    });
  }

  explicitEgress(ip: IpAddr, protocol: Protocol): "allow" | "deny" | null {
    const p = protocolIndex(protocol);
    if (p < 0) throw new Error(`explicitEgress: unknown protocol \`${String(protocol)}\``);
    // The IPv4 address travels as two 16-bit halves (small integers: never boxed).
    let fam = 4;
    let hi = 0;
    let lo = 0;
    let b6: Uint8Array | null = null;
    if (ip.family === 4) {
      const v = ip.v4;
      hi = v >>> 16;
      lo = v & 0xffff;
    } else {
      const x = ip.v6;
      if (isMappedV6(x)) {
        hi = (x[12]! << 8) | x[13]!;
        lo = (x[14]! << 8) | x[15]!;
      } else {
        fam = 6;
        b6 = x;
      }
    }
    const g = fam === 4 ? classifyV4Parts(hi, lo, this.gwHi, this.gwLo) : classifyV6(b6!, this.gw.v6);
    const r = firstIpMatch(this.t, this.explicit[p] ?? this.explicitBucket(p), fam, hi, lo, b6, g, -1, 0, NONE);
    if (r === NONE) return null;
    return this.t.deny[r] === 1 ? "deny" : "allow";
  }

  rebindAdmits(ip: IpAddr): boolean {
    if (!isRebindReserved(ip)) return true;
    return this.explicitEgress(ip, "tcp") === "allow" || this.explicitEgress(ip, "udp") === "allow";
  }
}

/** Compiles a canonical wire policy for a sandbox; throws (with JSON path) on malformed input. */
export function compilePolicy(policy: PolicyLike, env: PolicyEnv): CompiledPolicy {
  return new Compiled(policy, env);
}
