/** Tests for decision reasons, the packed fast-path codes, DNS pipeline steps and compile errors. */
import { describe, expect, it } from "vitest";
import {
  codeRule,
  codeVerdict,
  compilePolicy,
  dnsPipeline,
  parseIp,
  ResolvedNameCacheForTests as ResolvedNameCache,
  traceFlow,
  V_ALLOW,
  V_DENY,
  type PolicyLike,
} from "./imports.js";

const ip = (s: string) => parseIp(s)!;
const GW = { ipv4: "172.16.0.1", ipv6: "fd42:6d73:62::1" };
const PUBLIC_ONLY: PolicyLike = {
  default_egress: "deny",
  default_ingress: "allow",
  rules: [
    { direction: "egress", destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }], action: "allow" },
    { direction: "egress", destination: { group: "public" }, protocols: [], ports: [], action: "allow" },
  ],
};

describe("Decision reasons", () => {
  it("name the deciding rule or the default", () => {
    const p = compilePolicy(PUBLIC_ONLY, { gateway: GW, cache: new ResolvedNameCache() });
    const d = p.egress(ip("8.8.8.8"), 443, "tcp");
    expect(d).toMatchObject({ verdict: "allow", rule: 1 });
    expect(d.reason).toBe("rule #1 (egress allow group public) matched 8.8.8.8 (group public)");
    const n = p.egress(ip("10.0.0.5"), 443, "tcp");
    expect(n).toMatchObject({ verdict: "deny", rule: null, reason: "no rule matched; default_egress deny" });
    expect(JSON.parse(JSON.stringify(d))).toEqual({ verdict: "allow", rule: 1, reason: d.reason });
    expect(p.egress(ip("172.16.0.1"), 53, "udp").reason).toBe(
      "rule #0 (egress allow group host udp/tcp port 53) matched 172.16.0.1 (group host)",
    );
  });

  it("explain cache, SNI and deferred matches", () => {
    const cache = new ResolvedNameCache(() => 0);
    cache.record("pypi.org", "ipv4", [ip("151.101.0.223")], 60);
    const p = compilePolicy(
      {
        default_egress: "deny",
        default_ingress: "deny",
        rules: [
          { direction: "egress", destination: { domain: "evil.com" }, action: "deny" },
          { direction: "egress", destination: { domain: "pypi.org" }, action: "allow" },
          { direction: "egress", destination: { cidr: "151.101.0.0/16" }, action: "allow" },
        ],
      },
      { gateway: GW, cache },
    );
    expect(p.egress(ip("151.101.0.223"), 443, "tcp").reason).toBe(
      "rule #1 (egress allow domain pypi.org) matched 151.101.0.223 (resolved from pypi.org)",
    );
    expect(p.egress(ip("151.101.0.223"), 443, "tcp", { kind: "sni", name: "EVIL.com." }).reason).toBe(
      "rule #0 (egress deny domain evil.com) matched SNI evil.com (deny rules need no DNS binding)",
    );
    const def = p.egress(ip("151.101.9.9"), 443, "tcp", { kind: "deferred" });
    expect(def).toMatchObject({ verdict: "defer", rule: 0 });
    expect(def.reason).toContain("a later rule or the default could allow; deferred");
    expect(p.hasDomainRules).toBe(true);
  });

  it("ingress and DNS reasons", () => {
    const p = compilePolicy(
      {
        default_egress: "allow",
        default_ingress: "allow",
        rules: [
          { direction: "ingress", destination: { group: "loopback" }, action: "deny" },
          { direction: "egress", destination: { domain_suffix: "ads.example" }, action: "deny" },
        ],
      },
      { gateway: GW, cache: new ResolvedNameCache() },
    );
    expect(p.ingress(ip("127.0.0.1"), 80, "tcp").reason).toBe("rule #0 (ingress deny group loopback) matched peer 127.0.0.1 (group loopback)");
    expect(p.dnsQuery("x.ADS.example.", "udp", 53).reason).toBe("rule #1 (egress deny domain_suffix ads.example) matched query name x.ads.example");
    expect(p.dnsQuery("ads.example", "udp", 53)).toMatchObject({ verdict: "allow", rule: null }); // D1: apex not covered
  });
});

describe("fast path codes", () => {
  it("pack verdict and rule without allocating a Decision", () => {
    const p = compilePolicy(PUBLIC_ONLY, { gateway: GW, cache: new ResolvedNameCache() });
    const a = p.egressCode(ip("8.8.8.8"), 443, "tcp");
    expect([codeVerdict(a), codeRule(a)]).toEqual([V_ALLOW, 1]);
    const d = p.egressCode(ip("10.0.0.1"), 443, "tcp");
    expect([codeVerdict(d), codeRule(d)]).toEqual([V_DENY, -1]);
    const i = p.ingressCode(ip("127.0.0.1"), 8080, "tcp");
    expect([codeVerdict(i), codeRule(i)]).toEqual([V_ALLOW, -1]);
  });
});

describe("dnsPipeline", () => {
  it("reports which step decided", () => {
    const p = compilePolicy(PUBLIC_ONLY, { gateway: GW, cache: new ResolvedNameCache() });
    const q = (extra: object) => dnsPipeline(p, { name: "example.com", transport: "udp", gateway: GW, ...extra });
    expect(q({})).toMatchObject({ rcode: "NOERROR", step: "passed" });
    expect(q({ transport: "dot" })).toMatchObject({ rcode: "NXDOMAIN", step: "name" });
    expect(q({ resolverIp: "10.0.0.53" })).toMatchObject({ rcode: "NXDOMAIN", step: "resolver" });
    expect(q({ resolverIp: "172.16.0.1", answers: ["93.184.216.34"] })).toMatchObject({ rcode: "NOERROR" });
    expect(q({ resolverIp: "::ffff:172.16.0.1" })).toMatchObject({ rcode: "NOERROR" }); // mapped gateway is the gateway
    expect(q({ answers: ["10.0.0.1"] })).toMatchObject({ rcode: "NXDOMAIN", step: "rebind" });
    expect(q({ answers: ["10.0.0.1"], rebindProtection: false })).toMatchObject({ rcode: "NOERROR" });
  });
});

describe("compile errors", () => {
  it("name the JSON path, the bad value and what is accepted", () => {
    const cache = new ResolvedNameCache();
    const bad = (rules: unknown[]) => () =>
      compilePolicy({ default_egress: "deny", default_ingress: "deny", rules } as unknown as PolicyLike, { gateway: {}, cache });
    expect(bad([{ direction: "egress", destination: { cidr: "10.1/8" }, action: "allow" }])).toThrow(
      /^rules\[0\]\.destination\.cidr: invalid value "10\.1\/8"; expected an IPv4 or IPv6 network/,
    );
    expect(bad([{ direction: "out", destination: "any", action: "allow" }])).toThrow(/rules\[0\]\.direction: .*"egress", "ingress" or "any"/);
    expect(bad([{ direction: "egress", destination: { group: "link-local" }, action: "allow" }])).toThrow(/rules\[0\]\.destination\.group: .*"link_local"/);
    expect(bad([{ direction: "egress", destination: "any", ports: [{ start: 9, end: 1 }], action: "allow" }])).toThrow(/rules\[0\]\.ports\[0\]/);
    expect(bad([{ direction: "egress", destination: { domain: "a b" }, action: "allow" }])).toThrow(/rules\[0\]\.destination\.domain/);
    expect(() => compilePolicy(PUBLIC_ONLY, { gateway: { ipv4: "fd00::1" }, cache })).toThrow(/gateway\.ipv4/);
  });
});

describe("traceFlow", () => {
  it("explains rule by rule up to the deciding rule", () => {
    const t = traceFlow(PUBLIC_ONLY, {
      direction: "egress",
      ip: ip("10.0.0.5"),
      port: 443,
      protocol: "tcp",
      gateway: GW,
      cache: new ResolvedNameCache(),
    });
    expect(t.steps).toEqual([
      { rule: 0, outcome: "skipped", why: "rule #0 (egress allow group host udp/tcp port 53): port 443 not in the rule's ports" },
      { rule: 1, outcome: "no-match", why: "rule #1 (egress allow group public): 10.0.0.5 is in group private" },
    ]);
    expect(t).toMatchObject({ verdict: "deny", rule: null, summary: "no rule matched; default_egress deny" });
    const a = traceFlow(PUBLIC_ONLY, { direction: "egress", ip: ip("8.8.8.8"), port: 53, protocol: "udp", gateway: GW, cache: new ResolvedNameCache() });
    expect(a.steps.map((s) => s.outcome)).toEqual(["no-match", "match"]);
    expect(a.summary).toBe("rule #1 (egress allow group public) decided: allow");
  });
});
