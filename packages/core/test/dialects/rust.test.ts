import { describe, expect, it } from "vitest";
import { NetworkBuilder } from "../../src/dialects/rust.js";
import { BuildError, Destination, NetworkPolicy, PortRange, Rule } from "../../src/dialects/rust-policy.js";
import { fromRuntimeConfig } from "../../src/dialects/runtime.js";
import { TsNetworkBuilder, TsNetworkPolicy, tsPolicyToWire } from "../../src/dialects/ts-sdk.js";

function buildError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BuildError);
    return (e as Error).message;
  }
  throw new Error("expected a BuildError");
}

describe("Rust-style policy builder", () => {
  it("state accumulates within a closure and dedupes; allowLocal adds three rules", () => {
    const p = NetworkPolicy.builder()
      .egress((e) => e.tcp().port(443).port(443).allowPublic().udp().allowPrivate())
      .egress((e) => e.allowLocal())
      .build();
    expect(p.rules.map((r) => [r.protocols, r.ports.length, r.destination])).toEqual([
      [["tcp"], 1, { group: "public" }],
      [["tcp", "udp"], 1, { group: "private" }],
      [[], 0, { group: "loopback" }],
      [[], 0, { group: "link_local" }],
      [[], 0, { group: "host" }],
    ]);
    expect(p.default_ingress).toBe("allow");
  });

  it("BuildError texts with global rule indexes", () => {
    expect(buildError(() => NetworkPolicy.builder().egress((e) => e.allowAny()).rule((r) => r.allowAny()).build())).toBe(
      "rule #1: direction not set; call .egress(), .ingress(), or .any() before the rule-adder",
    );
    expect(buildError(() => NetworkPolicy.builder().egress((e) => e.allow((d) => d)).build())).toMatch(/^rule #0: destination not set; call \.ip\(\)/);
    expect(buildError(() => NetworkPolicy.builder().egress((e) => e.allowAny().deny().cidr("10/8")).build())).toBe("rule #1: invalid CIDR `10/8`");
    expect(buildError(() => NetworkPolicy.builder().egress((e) => e.allow().domain("a..b")).build())).toMatch(/^rule #0: invalid domain `a\.\.b`: invalid domain name/);
    expect(buildError(() => NetworkPolicy.builder().ingress((i) => i.icmpv6().allowAny()).build())).toMatch(/^rule #0: ICMP protocols are egress-only/);
    expect(buildError(() => NetworkPolicy.builder().egress((e) => e.allow().group("lan")).build())).toBe("unknown destination group `lan`");
  });

  it("constructors", () => {
    expect(Rule.allowOutbound(Destination.ip("::1"), { ports: [PortRange.range(1, 2)] })).toEqual({
      direction: "egress",
      destination: { cidr: "::1/128" },
      protocols: [],
      ports: [{ start: 1, end: 2 }],
      action: "allow",
    });
    expect(() => PortRange.range(3, 2)).toThrow(BuildError);
    expect(NetworkPolicy.fromProfiles("host", "public").rules).toHaveLength(3);
  });
});

describe("NetworkBuilder", () => {
  it("tls() enables interception and starts from defaults; dns() parses nameservers eagerly", () => {
    const c = NetworkBuilder.new().tls((t) => t.bypass("*.x.com")).build();
    expect(c.tls).toMatchObject({ enabled: true, bypass: ["*.x.com"], intercepted_ports: [443] });
    expect(buildError(() => NetworkBuilder.new().dns((d) => d.nameservers(["bad host"])).build())).toBe('invalid nameserver "bad host"; expected IP, IP:PORT, HOST, or HOST:PORT');
    expect(buildError(() => NetworkBuilder.new().tls((t) => t.interceptCaKey("/k")).build())).toBe("intercept CA config is incomplete; set both cert_path and key_path");
    expect(buildError(() => NetworkBuilder.new().ipv6Pool("fd00::/80").build())).toBe("invalid IPv6 pool `fd00::/80`: prefix must be /64 or shorter");
  });
  it("secret closures", () => {
    const c = NetworkBuilder.new()
      .secret((s) => s.env("API_KEY").value("sk").allowHost("api.x.com").allowHostPattern("*.y.com").injectBody(true))
      .build();
    expect(c.secrets.secrets[0]).toMatchObject({ placeholder: "$MSB_API_KEY", allowed_hosts: [{ exact: "api.x.com" }, { wildcard: "*.y.com" }], injection: { body: true, headers: true } });
    expect(buildError(() => NetworkBuilder.new().secret((s) => s.env("K").value("v")).build())).toMatch(/at least one allowed host/);
    expect(buildError(() => NetworkBuilder.new().secret((s) => s.env("A=B").value("v").allowAnyHostDangerous(true)).build())).toBe("secret #0: env_var must not contain `=`");
  });
  it("block lists become D1 deny rules", () => {
    const c = NetworkBuilder.new().policy(NetworkPolicy.allowAll()).blockDomainSuffix(".ads.example").build();
    expect(c.policy.rules.map((r) => r.destination)).toEqual([{ domain: "ads.example" }, { domain_suffix: "ads.example" }]);
  });
});

describe("TypeScript SDK shapes", () => {
  it("plain objects get wire defaults deny/deny; kebab groups convert", () => {
    expect(tsPolicyToWire({ rules: [{ direction: "egress", destination: { kind: "group", group: "link-local" }, action: "allow" }] })).toEqual({
      default_egress: "deny",
      default_ingress: "deny",
      rules: [{ direction: "egress", destination: { group: "link_local" }, protocols: [], ports: [], action: "allow" }],
    });
    expect(() => tsPolicyToWire({ rules: [{ direction: "egress", destination: { kind: "ip" }, action: "allow" }] })).toThrow(/^invalid policy JSON: /);
    expect(() => TsNetworkPolicy.fromProfiles("bogus")).toThrow(RangeError);
  });
  it("NetworkBuilder accepts plain objects and prefixes its errors", () => {
    const c = new TsNetworkBuilder().policy(TsNetworkPolicy.allowAll()).secretEnvSimple("K", "v", "api.x.com").build();
    expect(c.policy.default_egress).toBe("allow");
    expect(c.secrets.secrets[0]?.placeholder).toBe("$MSB_K");
    expect(() => new TsNetworkBuilder().maxConnections(9999).build()).toThrow("[InvalidConfig] network builder: max_connections 9999 exceeds hard limit 4096");
    const v = new TsNetworkBuilder().onSecretViolation((b) => b.passthroughHost("api.a.com").passthroughAllHosts(true)).build();
    expect(v.secrets.on_violation).toEqual({ passthrough: [{ exact: "api.a.com" }, "any"] });
    expect(new TsNetworkBuilder().onSecretViolation((b) => b.blockAndTerminate()).build().secrets.on_violation).toBe("block-and-terminate");
  });
});

describe("runtime dialect", () => {
  it("accepts legacy port protocol spellings and applies multi-tenant", () => {
    expect(fromRuntimeConfig({ ports: [{ host_port: 1, guest_port: 2, protocol: "Udp" }] }).config.ports[0]?.protocol).toBe("udp");
    const r = fromRuntimeConfig({ deployment_profile: "multi-tenant", max_connections: 4000, trust_host_cas: true, dns: { rebind_protection: false, nameservers: ["1.1.1.1"] }, ports: [{ host_port: 1, guest_port: 2 }] });
    expect(r.config).toMatchObject({ max_connections: 256, trust_host_cas: false, ports: [], dns: { rebind_protection: true, nameservers: [] } });
    expect(r.platformPolicy?.rules).toHaveLength(2);
  });
});
