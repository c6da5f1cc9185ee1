/**
 * Rust SDK dialect, policy layer (semantics §1, §2.1, §8): `NetworkPolicy.publicOnly()` and the
 * other constructors, `NetworkPolicy.builder()` with the closure-style rule builder
 * (`.egress(e => e.tcp().port(443).allowPublic())`, `.any(a => a.deny(d => d.ip(...)))`,
 * `e.allow().ip(...)`), `Rule.allowOutbound(...)`, `Destination.*` and `PortRange.range(...)`,
 * with the exact `BuildError` texts, accumulated lazily and the first one thrown by `build()`.
 * Semantics copied from upstream: direction/protocols/ports accumulate within one closure and are
 * not reset between rule-adders; protocols and identical port ranges de-duplicate; `allowLocal()`
 * adds loopback, link_local and host rules; the port-range error's rule index is the number of
 * rules already added in the current closure (an upstream quirk kept for parity).
 */
import { parseCidr } from "../net/cidr.js";
import { formatIp, parseIp } from "../net/ip.js";
import { parseDomainName, parseDomainSuffix } from "../policy/domain-name.js";
import { allowDnsRule, policyFromProfiles, presetPolicy, type ProfileName } from "../config/presets.js";
import type { Destination as WireDestination, DestinationGroup, NetworkPolicy as WirePolicy, PortRange as WirePortRange, Protocol, Rule as WireRule } from "../gen/index.js";
import { groupFromSpelling } from "./common.js";
import { DialectError } from "./errors.js";

/** A Rust `BuildError` (message = the exact upstream text). */
export class BuildError extends DialectError {
  constructor(message: string) {
    super("rust", message);
    this.name = "BuildError";
  }
}

type Dir = WireRule["direction"];
type Act = WireRule["action"];

/** Rule-destination builder handed to `allow(d => ...)` / returned by `allow()`. */
export class DestinationBuilder {
  /** @internal */
  constructor(private readonly done: (d: WireDestination | { error: (i: number) => string }) => RuleBuilder) {}
  /** One address (-> /32 or /128). */
  ip(raw: string): RuleBuilder {
    const a = parseIp(raw);
    return this.done(a === undefined ? { error: (i) => `rule #${i}: invalid IP address \`${raw}\`` } : { cidr: `${formatIp(a)}/${a.family === 4 ? 32 : 128}` });
  }
  /** A CIDR network. */
  cidr(raw: string): RuleBuilder {
    return this.done("error" in parseCidr(raw) ? { error: (i) => `rule #${i}: invalid CIDR \`${raw}\`` } : { cidr: raw });
  }
  /** An exact domain. */
  domain(raw: string): RuleBuilder {
    const r = parseDomainName(raw);
    return this.done(r.ok ? { domain: r.name } : { error: (i) => `rule #${i}: invalid domain \`${raw}\`: ${r.error}` });
  }
  /** A domain suffix (single-label suffixes are rejected). */
  domainSuffix(raw: string): RuleBuilder {
    const r = parseDomainSuffix(raw);
    return this.done(r.ok ? { domain_suffix: r.name } : { error: (i) => `rule #${i}: invalid domain \`${raw}\`: ${r.error}` });
  }
  /** A destination group (`public`, `link-local`, ...). */
  group(g: string): RuleBuilder {
    const w = groupFromSpelling(g);
    return this.done(w === undefined ? { error: () => `unknown destination group \`${g}\`` } : { group: w });
  }
  /** Any address. */
  any(): RuleBuilder {
    return this.done("any");
  }
}

const ICMP = (p: Protocol): boolean => p === "icmpv4" || p === "icmpv6";

/** The per-closure rule builder (`e` in `.egress(e => ...)`). */
export class RuleBuilder {
  private direction: Dir | undefined;
  private readonly protocols: Protocol[] = [];
  private readonly ports: WirePortRange[] = [];
  private addedHere = 0;
  /** @internal */
  pending = false;
  /** @internal */
  constructor(
    private readonly owner: NetworkPolicyBuilder<unknown>,
    direction: Dir | undefined,
  ) {
    this.direction = direction;
  }
  /** Sets the direction (inside `rule(r => ...)`). */
  egress(): this {
    this.direction = "egress";
    return this;
  }
  /** Sets the direction to ingress. */
  ingress(): this {
    this.direction = "ingress";
    return this;
  }
  /** Sets the direction to any. */
  any(): this {
    this.direction = "any";
    return this;
  }
  /** Adds a protocol (de-duplicated). */
  protocol(p: Protocol): this {
    if (!this.protocols.includes(p)) this.protocols.push(p);
    return this;
  }
  /** TCP. */
  tcp(): this {
    return this.protocol("tcp");
  }
  /** UDP. */
  udp(): this {
    return this.protocol("udp");
  }
  /** ICMPv4 (egress only). */
  icmpv4(): this {
    return this.protocol("icmpv4");
  }
  /** ICMPv6 (egress only). */
  icmpv6(): this {
    return this.protocol("icmpv6");
  }
  /** One port. */
  port(p: number): this {
    return this.portRange(p, p);
  }
  /** Several single ports. */
  portList(ps: number[]): this {
    for (const p of ps) this.port(p);
    return this;
  }
  /** An inclusive port range (identical ranges de-duplicate). */
  portRange(lo: number, hi: number): this {
    for (const p of [lo, hi]) {
      if (!Number.isInteger(p) || p < 0 || p > 65535) {
        this.owner.recordError("port out of range (0..=65535)");
        return this;
      }
    }
    if (lo > hi) {
      this.owner.recordError(`rule #${this.addedHere}: invalid port range ${lo}..${hi}; lo must be <= hi`);
      return this;
    }
    if (!this.ports.some((r) => r.start === lo && r.end === hi)) this.ports.push({ start: lo, end: hi });
    return this;
  }
  private add(action: Act, d: WireDestination | { error: (i: number) => string }): this {
    const index = this.owner.nextIndex();
    this.addedHere++;
    if (this.direction === undefined) {
      this.owner.recordError(`rule #${index}: direction not set; call .egress(), .ingress(), or .any() before the rule-adder`);
      return this;
    }
    if (typeof d === "object" && "error" in d) {
      this.owner.recordError(d.error(index));
      return this;
    }
    if (this.direction !== "egress" && this.protocols.some(ICMP)) {
      this.owner.recordError(`rule #${index}: ICMP protocols are egress-only; ingress and any-direction rules cannot include icmpv4 or icmpv6`);
      return this;
    }
    this.owner.pushRule({ direction: this.direction, destination: d, protocols: [...this.protocols], ports: this.ports.map((p) => ({ ...p })), action });
    return this;
  }
  private adder(action: Act, cb?: (d: DestinationBuilder) => unknown): DestinationBuilder | this {
    let set = false;
    const db = new DestinationBuilder((d) => {
      set = true;
      this.pending = false;
      return this.add(action, d);
    });
    if (cb === undefined) {
      this.pending = true;
      return db;
    }
    cb(db);
    if (!set) this.missingDestination();
    return this;
  }
  /** @internal */
  missingDestination(): void {
    const index = this.owner.nextIndex();
    this.addedHere++;
    this.pending = false;
    this.owner.recordError(`rule #${index}: destination not set; call .ip(), .cidr(), .domain(), .domain_suffix(), .group(), or .any() on the rule-destination builder`);
  }
  /** Allow rule: `allow(d => d.ip(...))`, or `allow().ip(...)`. */
  allow(): DestinationBuilder;
  allow(cb: (d: DestinationBuilder) => unknown): this;
  allow(cb?: (d: DestinationBuilder) => unknown): DestinationBuilder | this {
    return this.adder("allow", cb);
  }
  /** Deny rule: `deny(d => d.cidr(...))`, or `deny().cidr(...)`. */
  deny(): DestinationBuilder;
  deny(cb: (d: DestinationBuilder) => unknown): this;
  deny(cb?: (d: DestinationBuilder) => unknown): DestinationBuilder | this {
    return this.adder("deny", cb);
  }
  private grp(action: Act, g: DestinationGroup): this {
    return this.add(action, { group: g });
  }
  /** Allow the public group. */ allowPublic(): this { return this.grp("allow", "public"); }
  /** Deny the public group. */ denyPublic(): this { return this.grp("deny", "public"); }
  /** Allow the private group. */ allowPrivate(): this { return this.grp("allow", "private"); }
  /** Deny the private group. */ denyPrivate(): this { return this.grp("deny", "private"); }
  /** Allow the loopback group. */ allowLoopback(): this { return this.grp("allow", "loopback"); }
  /** Deny the loopback group. */ denyLoopback(): this { return this.grp("deny", "loopback"); }
  /** Allow the link-local group. */ allowLinkLocal(): this { return this.grp("allow", "link_local"); }
  /** Deny the link-local group. */ denyLinkLocal(): this { return this.grp("deny", "link_local"); }
  /** Allow the metadata group. */ allowMetadata(): this { return this.grp("allow", "metadata"); }
  /** Deny the metadata group. */ denyMetadata(): this { return this.grp("deny", "metadata"); }
  /** Allow the multicast group. */ allowMulticast(): this { return this.grp("allow", "multicast"); }
  /** Deny the multicast group. */ denyMulticast(): this { return this.grp("deny", "multicast"); }
  /** Allow the host group (the gateway). */ allowHost(): this { return this.grp("allow", "host"); }
  /** Deny the host group. */ denyHost(): this { return this.grp("deny", "host"); }
  /** Allow any address. */ allowAny(): this { return this.add("allow", "any"); }
  /** Deny any address. */ denyAny(): this { return this.add("deny", "any"); }
  /** Three rules: loopback, link_local, host (metadata excluded). */
  allowLocal(): this {
    return this.grp("allow", "loopback").grp("allow", "link_local").grp("allow", "host");
  }
  /** Three deny rules: loopback, link_local, host. */
  denyLocal(): this {
    return this.grp("deny", "loopback").grp("deny", "link_local").grp("deny", "host");
  }
  /** Allow one domain. */ allowDomain(d: string): this { return this.allow().domain(d) as this; }
  /** Deny one domain. */ denyDomain(d: string): this { return this.deny().domain(d) as this; }
  /** Allow a domain suffix. */ allowDomainSuffix(d: string): this { return this.allow().domainSuffix(d) as this; }
  /** Deny a domain suffix. */ denyDomainSuffix(d: string): this { return this.deny().domainSuffix(d) as this; }
  /** Allow one IP. */ allowIp(ip: string): this { return this.allow().ip(ip) as this; }
  /** Deny one IP. */ denyIp(ip: string): this { return this.deny().ip(ip) as this; }
  /** Allow a CIDR. */ allowCidr(c: string): this { return this.allow().cidr(c) as this; }
  /** Deny a CIDR. */ denyCidr(c: string): this { return this.deny().cidr(c) as this; }
}

function action(a: unknown): Act {
  if (a === "allow" || a === "Allow") return "allow";
  if (a === "deny" || a === "Deny") return "deny";
  throw new BuildError(`unknown action \`${String(a)}\``);
}

/** `NetworkPolicy.builder()`: defaults egress deny / ingress allow, rules appended in call order. `Out` is the shape `build()` returns (the wire policy by default; the TS SDK returns its camelCase objects). */
export class NetworkPolicyBuilder<Out = WirePolicy> {
  private egressDefault: Act = "deny";
  private ingressDefault: Act = "allow";
  private readonly committed: WireRule[] = [];
  private readonly errors: string[] = [];
  private count = 0;
  /** @param convert maps the built wire policy to the returned shape. */
  constructor(private readonly convert: (p: WirePolicy) => Out = (p) => p as unknown as Out) {}
  /** @internal */ nextIndex(): number { return this.count++; }
  /** @internal */ recordError(e: string): void { this.errors.push(e); }
  /** @internal */ pushRule(r: WireRule): void { this.committed.push(r); }
  /** Default for outbound traffic. */
  defaultEgress(a: Act | "Allow" | "Deny"): this { this.egressDefault = action(a); return this; }
  /** Default for inbound traffic. */
  defaultIngress(a: Act | "Allow" | "Deny"): this { this.ingressDefault = action(a); return this; }
  /** Both defaults allow. */
  defaultAllow(): this { this.egressDefault = this.ingressDefault = "allow"; return this; }
  /** Both defaults deny. */
  defaultDeny(): this { this.egressDefault = this.ingressDefault = "deny"; return this; }
  private closure(dir: Dir | undefined, cb: (r: RuleBuilder) => unknown): this {
    const rb = new RuleBuilder(this, dir);
    cb(rb);
    if (rb.pending) rb.missingDestination();
    return this;
  }
  /** Egress rules. */ egress(cb: (e: RuleBuilder) => unknown): this { return this.closure("egress", cb); }
  /** Ingress rules. */ ingress(cb: (i: RuleBuilder) => unknown): this { return this.closure("ingress", cb); }
  /** Rules for both directions. */ any(cb: (a: RuleBuilder) => unknown): this { return this.closure("any", cb); }
  /** Rules whose direction is set inside the closure; or one prepared wire rule. */
  rule(cb: ((r: RuleBuilder) => unknown) | WireRule): this {
    if (typeof cb !== "function") {
      this.nextIndex();
      this.committed.push(cb);
      return this;
    }
    return this.closure(undefined, cb);
  }
  /** Several prepared rules, appended. */
  rules(list: WireRule[]): this { for (const r of list) this.rule(r); return this; }
  /** The policy in the builder's output shape; throws the first {@link BuildError}. */
  build(): Out {
    return this.convert(this.buildWire());
  }
  /** The policy in wire form; throws the first {@link BuildError}. */
  buildWire(): WirePolicy {
    const e = this.errors[0];
    if (e !== undefined) throw new BuildError(e);
    return { default_egress: this.egressDefault, default_ingress: this.ingressDefault, rules: this.committed.map((r) => ({ ...r })) };
  }
}

/** `NetworkPolicy` constructors (values are wire policies). */
export const NetworkPolicy = {
  /** DNS to the host plus public addresses (the default). */ publicOnly: (): WirePolicy => presetPolicy("public-only"),
  /** Deny both ways, no rules. */ none: (): WirePolicy => presetPolicy("none"),
  /** Allow both ways, no rules. */ allowAll: (): WirePolicy => presetPolicy("allow-all"),
  /** Public and private addresses. */ nonLocal: (): WirePolicy => presetPolicy("non-local"),
  /** `from_profiles` (§2.1). */
  fromProfiles: (...profiles: ProfileName[]): WirePolicy => policyFromProfiles(profiles.flat()),
  /** A rule builder. */ builder: (): NetworkPolicyBuilder => new NetworkPolicyBuilder(),
};

/** `Destination` constructors (throw {@link BuildError} on malformed input). */
export const Destination = {
  /** Any address. */ any: (): WireDestination => "any",
  /** A CIDR network. */
  cidr(c: string): WireDestination {
    if ("error" in parseCidr(c)) throw new BuildError(`invalid CIDR \`${c}\``);
    return { cidr: c };
  },
  /** One address (-> /32 or /128). */
  ip(ip: string): WireDestination {
    const a = parseIp(ip);
    if (a === undefined) throw new BuildError(`invalid IP address \`${ip}\``);
    return { cidr: `${formatIp(a)}/${a.family === 4 ? 32 : 128}` };
  },
  /** An exact domain. */
  domain(d: string): WireDestination {
    const r = parseDomainName(d);
    if (!r.ok) throw new BuildError(`invalid domain \`${d}\`: ${r.error}`);
    return { domain: r.name };
  },
  /** A domain suffix. */
  domainSuffix(d: string): WireDestination {
    const r = parseDomainName(d);
    if (!r.ok) throw new BuildError(`invalid domain \`${d}\`: ${r.error}`);
    return { domain_suffix: r.name };
  },
  /** A destination group. */
  group(g: string): WireDestination {
    const w = groupFromSpelling(g);
    if (w === undefined) throw new BuildError(`unknown destination group \`${g}\``);
    return { group: w };
  },
};

/** `PortRange` constructors. */
export const PortRange = {
  /** An inclusive range. */
  range(start: number, end: number): WirePortRange {
    if (start > end) throw new BuildError(`invalid port range ${start}..${end}; lo must be <= hi`);
    return { start, end };
  },
  /** One port. */ single: (p: number): WirePortRange => ({ start: p, end: p }),
};

/** Optional filters of the `Rule` constructors. */
export interface RuleFilters {
  protocols?: Protocol[];
  ports?: WirePortRange[];
}

const mk = (direction: Dir, action: Act, destination: WireDestination, f: RuleFilters = {}): WireRule => ({
  direction,
  destination,
  protocols: f.protocols ?? [],
  ports: f.ports ?? [],
  action,
});

/** `Rule` constructors (values are wire rules). */
export const Rule = {
  /** Outbound allow. */ allowOutbound: (d: WireDestination, f?: RuleFilters): WireRule => mk("egress", "allow", d, f),
  /** Outbound deny. */ denyOutbound: (d: WireDestination, f?: RuleFilters): WireRule => mk("egress", "deny", d, f),
  /** Inbound allow. */ allowInbound: (d: WireDestination, f?: RuleFilters): WireRule => mk("ingress", "allow", d, f),
  /** Inbound deny. */ denyInbound: (d: WireDestination, f?: RuleFilters): WireRule => mk("ingress", "deny", d, f),
  /** `allow egress udp+tcp/53 to host`. */ allowDns: (): WireRule => allowDnsRule(),
  /** `deny egress udp+tcp/53 to host`. */ denyDns: (): WireRule => ({ ...allowDnsRule(), action: "deny" }),
};
