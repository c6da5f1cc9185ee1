/** Tests for the resolved-name cache (§1.9): TTL with an injected clock, CNAME chains, families. */
import { describe, expect, it } from "vitest";
import { compilePolicy, extractAddresses, formatIp, parseIp, ResolvedNameCacheForTests as ResolvedNameCache } from "./imports.js";

const ip = (s: string) => parseIp(s)!;

describe("ResolvedNameCache", () => {
  it("expires entries by TTL on the injected clock and replaces per (name, family)", () => {
    let now = 0;
    const c = new ResolvedNameCache(() => now);
    c.record("PyPI.org.", "ipv4", [ip("151.101.0.223")], 30);
    expect(c.hostsFor(ip("151.101.0.223"))).toEqual(["pypi.org"]);
    expect(c.anyHostFor(ip("::ffff:151.101.0.223"), (h) => h === "pypi.org")).toBe(true);
    now = 29_999;
    expect(c.hostsFor(ip("151.101.0.223"))).toEqual(["pypi.org"]);
    now = 30_000;
    expect(c.hostsFor(ip("151.101.0.223"))).toEqual([]);
    c.record("pypi.org", "ipv4", [ip("1.1.1.1")], 0); // floored at 1 s
    expect(c.hostsFor(ip("151.101.0.223"))).toEqual([]);
    expect(c.hostsFor(ip("1.1.1.1"))).toEqual(["pypi.org"]);
    now = 31_000;
    expect(c.hostsFor(ip("1.1.1.1"))).toEqual([]);
  });

  it("keeps families independent and clears one family", () => {
    const c = new ResolvedNameCache(() => 0);
    c.record("a.com", "ipv4", [ip("1.2.3.4")], 60);
    c.record("a.com", "ipv6", [ip("2001:db8::1"), ip("::ffff:5.6.7.8")], 60);
    expect(c.hostsFor(ip("2001:db8::1"))).toEqual(["a.com"]);
    expect(c.hostsFor(ip("5.6.7.8"))).toEqual(["a.com"]); // mapped answers stored as IPv4
    c.clear("a.com", "ipv6");
    expect(c.hostsFor(ip("2001:db8::1"))).toEqual([]);
    expect(c.hostsFor(ip("1.2.3.4"))).toEqual(["a.com"]);
  });

  it("shares an IP between several names (CDN)", () => {
    const c = new ResolvedNameCache(() => 0);
    c.record("a.com", "ipv4", [ip("9.9.9.9")], 60);
    c.record("b.com", "ipv4", [ip("9.9.9.9")], 60);
    expect(c.hostsFor(ip("9.9.9.9")).sort()).toEqual(["a.com", "b.com"]);
  });

  it("keeps many names on one IP exact through replacements, clears and expiry (lazy removal)", () => {
    let now = 0;
    const c = new ResolvedNameCache(() => now);
    const shared = ip("9.9.9.9");
    const v6 = ip("2001:db8::9");
    const live = new Set<string>();
    for (let i = 0; i < 300; i++) {
      c.record(`n${i}.cdn.com`, "ipv4", [shared, ip(`10.0.${i >> 8}.${i & 255}`)], 60);
      c.record(`n${i}.cdn.com`, "ipv6", [v6], 60);
      live.add(`n${i}.cdn.com`);
    }
    // Replace a third with another address, clear a third of the v4 entries, re-record some.
    for (let i = 0; i < 300; i += 3) {
      c.record(`n${i}.cdn.com`, "ipv4", [ip("8.8.4.4")], 60);
      live.delete(`n${i}.cdn.com`);
    }
    for (let i = 1; i < 300; i += 3) {
      c.clear(`n${i}.cdn.com`, "ipv4");
      live.delete(`n${i}.cdn.com`);
    }
    for (let i = 1; i < 300; i += 30) {
      c.record(`n${i}.cdn.com`, "ipv4", [shared], 60);
      live.add(`n${i}.cdn.com`);
    }
    expect(c.hostsFor(shared).sort()).toEqual([...live].sort());
    expect(c.hostsFor(ip("8.8.4.4"))).toHaveLength(100);
    expect(c.hostsFor(v6)).toHaveLength(300);
    expect(c.anyHostFor(shared, (h) => h === "n0.cdn.com")).toBe(false);
    expect(c.anyHostFor(shared, (h) => h === "n2.cdn.com")).toBe(true);
    expect(c.anyHostFor(ip("10.0.0.0"), (h) => h === "n0.cdn.com")).toBe(false); // replaced entry
    expect(c.anyHostFor(ip("10.0.0.2"), (h) => h === "n2.cdn.com")).toBe(true);
    now = 61_000;
    c.record("late.cdn.com", "ipv4", [shared], 60); // sweeps the expired ones
    expect(c.hostsFor(shared)).toEqual(["late.cdn.com"]);
    expect(c.hostsFor(v6)).toEqual([]);
  });

  it("refreshes the expiry of an unchanged answer in place; a changed answer replaces it", () => {
    let now = 0;
    const c = new ResolvedNameCache(() => now);
    c.record("a.com", "ipv4", [ip("1.1.1.1"), ip("2.2.2.2")], 10);
    now = 9_000;
    c.record("A.com.", "ipv4", [ip("::ffff:2.2.2.2"), ip("1.1.1.1"), ip("1.1.1.1")], 10); // same set
    now = 15_000;
    expect(c.hostsFor(ip("2.2.2.2"))).toEqual(["a.com"]);
    expect(c.entries()).toHaveLength(1);
    c.record("a.com", "ipv4", [ip("1.1.1.1")], 10); // a subset is a different answer
    expect(c.hostsFor(ip("2.2.2.2"))).toEqual([]);
    expect(c.hostsFor(ip("1.1.1.1"))).toEqual(["a.com"]);
    c.record("a.com", "ipv4", [ip("1.1.1.1"), ip("3.3.3.3")], 10); // a superset too
    expect(c.hostsFor(ip("3.3.3.3"))).toEqual(["a.com"]);
    now = 26_000;
    expect(c.hostsFor(ip("1.1.1.1"))).toEqual([]);
  });

  it("follows CNAME chains, ignores unrelated records, takes the min TTL, clears on errors", () => {
    const answers = [
      { name: "www.example.com.", type: "CNAME", ttl: 300, data: "edge.cdn.net." },
      { name: "edge.cdn.net", type: "CNAME", ttl: 120, data: "e1.cdn.net" },
      { name: "e1.cdn.net", type: "A", ttl: 60, data: "93.184.216.34" },
      { name: "unrelated.org", type: "A", ttl: 5, data: "6.6.6.6" },
      { name: "e1.cdn.net", type: "AAAA", ttl: 1, data: "2001:db8::7" },
    ];
    const got = extractAddresses("WWW.example.com", "ipv4", answers)!;
    expect(got.ips.map(formatIp)).toEqual(["93.184.216.34"]);
    expect(got.ttlSecs).toBe(60);
    expect(extractAddresses("www.example.com", "ipv6", answers)!.ttlSecs).toBe(1);
    expect(extractAddresses("other.com", "ipv4", answers)).toBeNull();

    const c = new ResolvedNameCache(() => 0);
    c.recordAnswer("www.example.com", "ipv4", "NOERROR", answers);
    expect(c.hostsFor(ip("93.184.216.34"))).toEqual(["www.example.com"]); // CNAME targets are not keys
    expect(c.hostsFor(ip("6.6.6.6"))).toEqual([]);
    c.recordAnswer("www.example.com", "ipv4", "SERVFAIL", []);
    expect(c.hostsFor(ip("93.184.216.34"))).toEqual([]);
  });

  it("feeds the evaluator: a domain rule stops matching once the entry expires", () => {
    let now = 0;
    const cache = new ResolvedNameCache(() => now);
    const p = compilePolicy(
      { default_egress: "deny", default_ingress: "deny", rules: [{ direction: "egress", destination: { domain: "pypi.org" }, action: "allow" }] },
      { gateway: {}, cache },
    );
    cache.record("pypi.org", "ipv4", [ip("151.101.0.223")], 10);
    expect(p.egress(ip("151.101.0.223"), 443, "tcp").verdict).toBe("allow");
    expect(p.egress(ip("2a04:4e42::223"), 443, "tcp").verdict).toBe("deny"); // A never admits IPv6
    now = 10_000;
    expect(p.egress(ip("151.101.0.223"), 443, "tcp").verdict).toBe("deny");
  });
});
