import { describe, expect, it } from "vitest";
import { canonicalizeNetworkConfigOrThrow, normalizeNetworkConfig, parseNetworkConfigOrThrow } from "../../src/config/index.js";

const dns = { direction: "egress", destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }], action: "allow" };
const allowGroup = (group: string) => ({ direction: "egress", destination: { group }, protocols: [], ports: [], action: "allow" });
const deny = (destination: unknown) => ({ direction: "egress", destination, protocols: [], ports: [], action: "deny" });

const SAMPLES: unknown[] = [
  {},
  { preset: "none" },
  { preset: "allow_all", deny_domains: ["Evil.COM."], deny_domain_suffixes: [".ads.example"] },
  { preset: "non-local", policy: { default_egress: "allow", rules: [{ direction: "any", destination: { cidr: "2001:DB8:0::1" }, protocols: ["tcp", "tcp"], action: "deny" }] } },
  { profiles: ["host", "public", "host"], dns_rebind_protection: false },
  { dns_rebind_protection: false, dns: { rebind_protection: true, nameservers: ["1.1.1.1", "[2606:4700:4700::1111]", "Dns.Google"] } },
  { policy: { rules: [] }, tls: { enabled: true, bypass: ["*.Pinned.Example."] }, ports: [{ host_port: 8080, guest_port: 80 }] },
  { secrets: { secrets: [{ env_var: "API_KEY", value: "sk", allowed_hosts: [{ exact: "api.example.com." }] }] }, host_aliases: ["Host.Local.", "host.local"] },
];

describe("normalizeNetworkConfig", () => {
  it("no policy ⇒ public-only (D2)", () => {
    const c = canonicalizeNetworkConfigOrThrow({});
    expect(c.policy).toEqual({ default_egress: "deny", default_ingress: "allow", rules: [dns, allowGroup("public")] });
    expect(c.enabled).toBe(true);
  });

  it("presets use one canonical spelling; none removes the NIC", () => {
    const c = canonicalizeNetworkConfigOrThrow({ preset: "none" });
    expect(c.enabled).toBe(false);
    expect(c.policy).toEqual({ default_egress: "deny", default_ingress: "deny", rules: [] });
    expect(c).not.toHaveProperty("preset");
    expect(canonicalizeNetworkConfigOrThrow({ preset: "public_only" })).toEqual(canonicalizeNetworkConfigOrThrow({ preset: "public-only" }));
  });

  it("preset + rules: preset rules first, preset defaults unless set (D2)", () => {
    const custom = deny({ cidr: "10.0.0.0/8" });
    const c = canonicalizeNetworkConfigOrThrow({ preset: "non-local", policy: { rules: [custom] } });
    expect(c.policy).toEqual({ default_egress: "deny", default_ingress: "allow", rules: [dns, allowGroup("public"), allowGroup("private"), custom] });
    const d = canonicalizeNetworkConfigOrThrow({ preset: "allow-all", policy: { default_ingress: "deny", rules: [] } });
    expect(d.policy).toMatchObject({ default_egress: "allow", default_ingress: "deny" });
  });

  it("a raw policy without defaults fails closed (D3)", () => {
    expect(canonicalizeNetworkConfigOrThrow({ policy: {} }).policy).toEqual({ default_egress: "deny", default_ingress: "deny", rules: [] });
  });

  it("deny lists become rules before all others; suffixes add the apex (D1)", () => {
    const c = canonicalizeNetworkConfigOrThrow({ preset: "allow-all", deny_domains: ["Evil.COM."], deny_domain_suffixes: [".ads.example", "t.example"] });
    expect(c.policy.rules).toEqual([
      deny({ domain: "evil.com" }),
      deny({ domain: "ads.example" }),
      deny({ domain_suffix: "ads.example" }),
      deny({ domain: "t.example" }),
      deny({ domain_suffix: "t.example" }),
    ]);
    expect(c.deny_domains).toEqual([]);
  });

  it("profiles expand like from_profiles (§2.1)", () => {
    expect(canonicalizeNetworkConfigOrThrow({ profiles: ["host", "public", "host"] }).policy.rules).toEqual([dns, allowGroup("public"), allowGroup("host")]);
    expect(canonicalizeNetworkConfigOrThrow({ profiles: [] }).policy).toEqual({ default_egress: "deny", default_ingress: "allow", rules: [] });
  });

  it("legacy dns_rebind_protection applies only when the nested value is absent", () => {
    expect(canonicalizeNetworkConfigOrThrow({ dns_rebind_protection: false }).dns.rebind_protection).toBe(false);
    expect(canonicalizeNetworkConfigOrThrow({ dns_rebind_protection: false, dns: { rebind_protection: true } }).dns.rebind_protection).toBe(true);
  });

  it("canonicalizes names, CIDRs, nameservers, bypass patterns and secrets", () => {
    const c = canonicalizeNetworkConfigOrThrow({
      policy: { rules: [{ direction: "egress", destination: { cidr: "2001:DB8:0::1" }, protocols: ["tcp", "udp", "tcp"], ports: [{ start: 1, end: 2 }, { start: 1, end: 2 }], action: "deny" }] },
      dns: { nameservers: ["1.1.1.1", "[2606:4700:4700::1111]", "Dns.Google:5353"] },
      tls: { bypass: ["*.Pinned.Example."] },
      secrets: { secrets: [{ env_var: "API_KEY", value: "sk", allowed_hosts: [{ exact: "api.example.com." }] }] },
    });
    expect(c.policy.rules[0]).toEqual({ direction: "egress", destination: { cidr: "2001:db8::1/128" }, protocols: ["tcp", "udp"], ports: [{ start: 1, end: 2 }], action: "deny" });
    expect(c.dns.nameservers).toEqual(["1.1.1.1:53", "[2606:4700:4700::1111]:53", "dns.google:5353"]);
    expect(c.tls.bypass).toEqual(["*.pinned.example"]);
    expect(c.secrets.secrets[0]?.placeholder).toBe("$MSB_API_KEY");
    expect(c.secrets.secrets[0]?.allowed_hosts).toEqual([{ exact: "api.example.com." }]);
  });

  it("is idempotent: normalize(normalize(x)) == normalize(x), also through JSON and re-parsing", () => {
    for (const s of SAMPLES) {
      const once = normalizeNetworkConfig(parseNetworkConfigOrThrow(s));
      const twice = normalizeNetworkConfig(once);
      expect(JSON.stringify(twice)).toBe(JSON.stringify(once));
      const reparsed = canonicalizeNetworkConfigOrThrow(JSON.parse(JSON.stringify(once)));
      expect(JSON.stringify(reparsed)).toBe(JSON.stringify(once));
    }
  });
});

describe("legacy rule fields", () => {
  it("protocol ∪ protocols (single first) and port + ports", () => {
    const c = canonicalizeNetworkConfigOrThrow({
      policy: { rules: [{ direction: "egress", destination: "any", protocol: "udp", protocols: ["tcp", "udp"], port: "8000-9000", ports: [{ start: 443, end: 443 }], action: "allow" }] },
    });
    expect(c.policy.rules[0]).toMatchObject({ protocols: ["udp", "tcp"], ports: [{ start: 8000, end: 9000 }, { start: 443, end: 443 }] });
  });
  it("invalid legacy values are reported at their own paths; D4 sees the legacy protocol", async () => {
    const { parseNetworkConfig } = await import("../../src/config/index.js");
    const r = parseNetworkConfig({ policy: { rules: [{ direction: "egress", destination: "any", protocol: "sctp", port: "9-1", action: "allow" }, { direction: "ingress", destination: "any", protocol: "icmpv4", action: "allow" }] } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => [e.path, e.message])).toEqual(
        expect.arrayContaining([
          ["$.policy.rules[0].protocol", "unknown protocol: sctp"],
          ["$.policy.rules[0].port", 'port range start > end: "9-1"'],
          ["$.policy.rules[1].protocol", "rule #1: ICMP protocols are egress-only; ingress and any-direction rules cannot include icmpv4 or icmpv6"],
        ]),
      );
      expect(r.errors).toHaveLength(3);
    }
  });
});
