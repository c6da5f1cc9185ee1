/**
 * Property test: the compiled evaluator agrees with the naive reference (§9 with D1) on random
 * policies × probes — egress (cache / SNI / deferred), ingress, DNS queries, explicit evaluation
 * and rebind admission — over v4, v6 and mapped addresses and random cache contents (some
 * entries expired). The rule-by-rule `traceFlow` explanation must reach the same verdict.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compilePolicy,
  formatIp,
  parseIp,
  ResolvedNameCacheForTests,
  traceFlow,
  unmapIp,
  type DestinationLike,
  type IpAddr,
  type PolicyLike,
  type Protocol,
  type RuleLike,
} from "./imports.js";
import { refDns, refEgress, refExplicit, refIngress, refRebindAdmits, type RefEnv, type RefSource } from "./reference.js";

const GW4 = "172.16.0.1";
const GW6 = "fd42:6d73:62::1";
const IPS = [
  "8.8.8.8", "1.2.3.4", "10.0.0.5", "10.1.2.3", "172.16.0.1", "172.16.0.2", "192.168.1.1", "100.64.0.9",
  "127.0.0.1", "169.254.169.254", "169.254.1.1", "224.0.0.251", "0.0.0.0", "198.51.100.7", "255.255.255.255",
  "151.101.0.223", "151.101.64.223", "2606:4700::1111", "2001:db8::1", "fd42:6d73:62::1", "fd00::5", "::1",
  "::", "fe80::1", "ff02::1", "fec0::1", "::ffff:10.0.0.5", "::ffff:8.8.8.8", "::ffff:127.0.0.1",
];
const NAMES = ["a.com", "b.a.com", "x.b.a.com", "com", "evil.com", "c.evil.com", "pypi.org", "files.pypi.org", "host.internal"];
const RULE_NAMES = [...NAMES, "A.COM.", ".a.com", "*.a.com"];
const PROTOS: Protocol[] = ["tcp", "udp", "icmpv4", "icmpv6"];
const PORTS = [22, 53, 80, 443, 853, 1000, 1500, 2000, 8080];

const arbIp: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...IPS) },
  { weight: 1, arbitrary: fc.ipV4() },
  { weight: 1, arbitrary: fc.ipV6() },
);

/** A CIDR containing (or near) a pool address: same address with a random prefix length. */
const arbCidr: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...IPS.filter((s) => !s.startsWith("::ffff"))), fc.integer({ min: 0, max: 128 }))
  .map(([ip, len]) => {
    const a = parseIp(ip)!;
    return `${ip}/${a.family === 4 ? len % 33 : len}`;
  });

const arbDest = (cidrWeight: number): fc.Arbitrary<DestinationLike> => fc.oneof(
  fc.constant("any" as const),
  { weight: cidrWeight, arbitrary: arbCidr.map((cidr) => ({ cidr })) },
  fc.constantFrom(...RULE_NAMES).map((domain) => ({ domain })),
  fc.constantFrom(...RULE_NAMES).map((domain_suffix) => ({ domain_suffix })),
  fc
    .constantFrom("public", "loopback", "private", "link_local", "metadata", "multicast", "host" as const)
    .map((group) => ({ group: group as "public" })),
);

const arbRange = fc
  .tuple(fc.constantFrom(...PORTS), fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 3 }))
  .map(([a, b, mode]) => {
    const start = Math.min(a, b);
    const end = mode === 0 ? start : mode === 1 ? Math.max(a, b) : mode === 2 ? 65535 : start + 1;
    return { start: mode === 3 && start === 0 ? 0 : start, end };
  });
/** Probe ports: pool values, their neighbours (range boundaries), anything. */
const arbPort = fc.oneof(
  fc.constantFrom(...PORTS),
  fc.constantFrom(...PORTS).chain((p) => fc.constantFrom(p - 1, p + 1, p + 2)),
  fc.integer({ min: 0, max: 65535 }),
);

const arbRule = (portWeight: number): fc.Arbitrary<RuleLike> => fc.record({
  direction: fc.constantFrom("egress", "ingress", "any" as const),
  destination: arbDest(portWeight === 9 ? 8 : 1),
  protocols: fc.oneof(fc.constant([] as Protocol[]), fc.subarray(PROTOS, { minLength: 1 })),
  ports: fc.oneof(
    { weight: 10 - portWeight, arbitrary: fc.constant([]) },
    { weight: portWeight, arbitrary: fc.array(arbRange, { minLength: 1, maxLength: 2 }) },
  ),
  action: fc.constantFrom("allow", "deny" as const),
});

const arbPolicy = (maxRules: number, portWeight: number): fc.Arbitrary<PolicyLike> =>
  fc.record({
    default_egress: fc.constantFrom("allow", "deny" as const),
    default_ingress: fc.constantFrom("allow", "deny" as const),
    rules: fc.array(arbRule(portWeight), { minLength: maxRules > 20 ? 40 : 0, maxLength: maxRules, size: "max" }),
  });

const arbCache = fc.array(
  fc.record({
    host: fc.constantFrom(...NAMES),
    ips: fc.array(fc.constantFrom(...IPS), { minLength: 1, maxLength: 3 }),
    ttl: fc.integer({ min: 1, max: 10 }),
  }),
  { maxLength: 6 },
);

const arbGateway = fc.record({ ipv4: fc.constantFrom(GW4, undefined), ipv6: fc.constantFrom(GW6, undefined) });

const arbSource: fc.Arbitrary<RefSource> = fc.oneof(
  fc.constant({ kind: "cache" as const }),
  fc.constantFrom(...NAMES, "A.Com.", "other.org").map((name) => ({ kind: "sni" as const, name })),
  fc.constant({ kind: "deferred" as const }),
);

/** One generated probe (used for every decision kind). */
interface ProbeT {
  ip: string;
  proto: Protocol;
  port: number;
  source: RefSource;
  dnsName: string | null;
  dnsTransport: ["udp" | "tcp", number];
}

const arbProbe: fc.Arbitrary<ProbeT> = fc.record({
  ip: arbIp,
  proto: fc.constantFrom(...PROTOS),
  port: arbPort,
  source: arbSource,
  dnsName: fc.constantFrom<string | null>(...NAMES, "X.B.A.COM.", "", ".", null, "bad name!"),
  dnsTransport: fc.constantFrom(["udp", 53], ["tcp", 53], ["tcp", 853]) as fc.Arbitrary<["udp" | "tcp", number]>,
});

/** Builds both caches: the real one (clock at 5 s) and the reference's plain list. */
function caches(entries: { host: string; ips: string[]; ttl: number }[]): { real: ResolvedNameCacheForTests; ref: RefEnv["cache"] } {
  let now = 0;
  const real = new ResolvedNameCacheForTests(() => now);
  const byKey = new Map<string, RefEnv["cache"][number]>();
  for (const e of entries) {
    for (const family of ["ipv4", "ipv6"] as const) {
      const ips = e.ips.map((s) => parseIp(s)!).filter((a) => (family === "ipv4" ? a.family === 4 : a.family === 6));
      if (ips.length === 0) continue;
      real.record(e.host, family, ips, e.ttl);
      byKey.set(`${family} ${e.host}`, {
        host: e.host,
        family,
        ips: ips.map((a: IpAddr) => formatIp(unmapIp(a))),
        expires: e.ttl * 1000,
      });
    }
  }
  now = 5000;
  return { real, ref: [...byKey.values()] };
}

function check(
  policy: PolicyLike,
  cacheEntries: { host: string; ips: string[]; ttl: number }[],
  gateway: RefEnv["gateway"],
  probes: ProbeT[],
  withTrace = false,
): void {
  const gw = { ...(gateway.ipv4 ? { ipv4: gateway.ipv4 } : {}), ...(gateway.ipv6 ? { ipv6: gateway.ipv6 } : {}) };
  const { real, ref } = caches(cacheEntries);
  const env: RefEnv = { gateway: gw, cache: ref, now: 5000 };
  const compiled = compilePolicy(policy, { gateway: gw, cache: real });
  for (const pr of probes) {
    const ip = parseIp(pr.ip)!;
    const isIcmp = pr.proto === "icmpv4" || pr.proto === "icmpv6";
    const port = isIcmp ? null : pr.port;
    const same = (what: string, got: unknown, want: unknown): void => {
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        expect(got, `${what} ${JSON.stringify({ policy, cacheEntries, gw, pr })}`).toEqual(want);
      }
    };

    const e = compiled.egress(ip, port, pr.proto, pr.source);
    const [ev, er] = refEgress(policy, ip, port, pr.proto, pr.source, env);
    same("egress", [e.verdict, e.rule ?? -1], [ev, er]);
    if (withTrace) {
      const tr = traceFlow(policy, { direction: "egress", ip, port, protocol: pr.proto, source: pr.source, gateway: gw, cache: real });
      same("egress trace", [tr.verdict, tr.rule ?? -1], [ev, er]);
      const ti = traceFlow(policy, { direction: "ingress", ip, port: pr.port, protocol: pr.proto, gateway: gw, cache: real });
      same("ingress trace", [ti.verdict, ti.rule ?? -1], refIngress(policy, ip, pr.port, pr.proto, env));
    }

    const i = compiled.ingress(ip, pr.port, pr.proto);
    same("ingress", [i.verdict, i.rule ?? -1], refIngress(policy, ip, pr.port, pr.proto, env));

    const [dp, dport] = pr.dnsTransport;
    const d = compiled.dnsQuery(pr.dnsName, dp, dport);
    same("dns", [d.verdict, d.rule ?? -1], refDns(policy, pr.dnsName, dp, dport));

    same("explicit", compiled.explicitEgress(ip, pr.proto), refExplicit(policy, ip, pr.proto, env));
    same("rebind", compiled.rebindAdmits(ip), refRebindAdmits(policy, ip, env));
  }
}

describe("compiled evaluator ≡ reference (§9 + D1)", () => {
  it("agrees on 10,000 small random policies (4 probes × 5 decision kinds each)", () => {
    fc.assert(
      fc.property(arbPolicy(12, 3), arbCache, arbGateway, fc.array(arbProbe, { minLength: 4, maxLength: 4 }), (p, c, g, probes) =>
        check(p, c, g, probes, true),
      ),
      { numRuns: 10_000 },
    );
  }, 300_000);

  it("agrees on 300 large random policies (port-segment indexes, deep tries)", () => {
    fc.assert(
      fc.property(arbPolicy(120, 9), arbCache, arbGateway, fc.array(arbProbe, { minLength: 20, maxLength: 20 }), (p, c, g, probes) =>
        check(p, c, g, probes),
      ),
      { numRuns: 300 },
    );
  }, 300_000);

  it("agrees on 2,000 port-heavy policies (≥ 8 same-destination rules, probes at range boundaries)", () => {
    const arbPortRule: fc.Arbitrary<RuleLike> = fc.record({
      direction: fc.constantFrom("egress", "any" as const),
      destination: fc.constantFrom<DestinationLike>("any", { group: "public" }, { cidr: "8.0.0.0/8" }),
      protocols: fc.constantFrom<Protocol[]>([], ["tcp"], ["udp"]),
      ports: fc.array(
        fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 3 })).map(([a, w]) => ({ start: a * 10, end: a * 10 + w })),
        { minLength: 0, maxLength: 2 },
      ),
      action: fc.constantFrom("allow", "deny" as const),
    });
    const arbPortPolicy = fc.record({
      default_egress: fc.constantFrom("allow", "deny" as const),
      default_ingress: fc.constantFrom("allow", "deny" as const),
      rules: fc.array(arbPortRule, { minLength: 8, maxLength: 40, size: "max" }),
    });
    fc.assert(
      fc.property(
        arbPortPolicy,
        fc.array(
          fc.record({
            ip: fc.constantFrom("8.8.8.8", "1.2.3.4"),
            proto: fc.constantFrom<Protocol>("tcp", "udp", "icmpv4"),
            port: fc.integer({ min: 0, max: 420 }),
            source: fc.constant<RefSource>({ kind: "cache" }),
            dnsName: fc.constant<string | null>(null),
            dnsTransport: fc.constant<["udp" | "tcp", number]>(["udp", 53]),
          }),
          { minLength: 10, maxLength: 10 },
        ),
        (p, probes) => check(p, [], {}, probes),
      ),
      { numRuns: 2000 },
    );
  }, 300_000);
});
