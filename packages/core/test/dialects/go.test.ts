import { describe, expect, it } from "vitest";
import { DialectError } from "../../src/dialects/errors.js";
import { fromGoNetworkConfig, goNetworkToFfi, GoNetworkPolicy } from "../../src/dialects/go.js";
import { fromGoFfi, parseGoDestination, parseGoPorts, parseGoProtocols, parseGoRule } from "../../src/dialects/go-ffi.js";

function goError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DialectError);
    return (e as Error).message;
  }
  throw new Error("expected a DialectError");
}

describe("Go dialect", () => {
  it("serializes the struct like the Go SDK (omitempty; custom_policy only with rules or defaults)", () => {
    expect(goNetworkToFfi({})).toEqual({});
    expect(goNetworkToFfi({ DefaultIngress: "deny" })).toEqual({ custom_policy: { default_ingress: "deny" } });
    expect(goNetworkToFfi({ Rules: [{ Action: "allow", Destination: "public", Protocols: [] }], TLS: {}, Ports: { 8080: 80 } })).toEqual({
      custom_policy: { rules: [{ action: "allow", destination: "public" }] },
      tls: {},
      ports: { "8080": 80 },
    });
  });

  it("parses destinations in the upstream order", () => {
    expect(parseGoDestination(undefined)).toBe("any");
    expect(parseGoDestination("*")).toBe("any");
    expect(parseGoDestination("link-local")).toEqual({ group: "link_local" });
    expect(parseGoDestination(".Internal")).toEqual({ domain_suffix: "internal" });
    expect(parseGoDestination("10.0.0.0/8")).toEqual({ cidr: "10.0.0.0/8" });
    expect(parseGoDestination("::1")).toEqual({ cidr: "::1/128" });
    expect(parseGoDestination("any")).toEqual({ domain: "any" });
    expect(goError(() => parseGoDestination("10.0.0.0/40"))).toMatch(/^invalid CIDR "10.0.0.0\/40": /);
    expect(goError(() => parseGoDestination("a b"))).toMatch(/^invalid domain "a b": invalid domain name/);
  });

  it("ports and protocols: union/concatenation and the exact error texts", () => {
    expect(parseGoPorts("443", ["8000-9000", 22, " 80 "])).toEqual([
      { start: 443, end: 443 },
      { start: 8000, end: 9000 },
      { start: 22, end: 22 },
      { start: 80, end: 80 },
    ]);
    expect(goError(() => parseGoPorts(70000, undefined))).toBe("port out of range: 70000");
    expect(goError(() => parseGoPorts("http", undefined))).toBe('invalid port "http": invalid digit found in string');
    expect(goError(() => parseGoPorts("1-x", undefined))).toBe('invalid port range "1-x": invalid digit found in string');
    expect(goError(() => parseGoPorts("9000-8000", undefined))).toBe('port range start > end: "9000-8000"');
    expect(goError(() => parseGoPorts(true, undefined))).toBe("port must be number or string, got true");
    expect(parseGoProtocols("udp", ["tcp", "udp"])).toEqual(["udp", "tcp"]);
    expect(goError(() => parseGoProtocols("sctp", undefined))).toBe("unknown protocol: sctp");
  });

  it("errors keep the SDK text and say where in the input they are", () => {
    try {
      fromGoFfi({ custom_policy: { rules: [{ action: "allow" }, { action: "allow", port: "x" }] } });
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(DialectError);
      expect((e as DialectError).message).toBe('invalid port "x": invalid digit found in string');
      expect((e as DialectError).path).toBe("$.custom_policy.rules[1]");
    }
  });

  it("rules: action required, direction aliases", () => {
    expect(goError(() => parseGoRule({ action: "" }))).toBe("unknown action: ");
    expect(goError(() => parseGoRule({ action: "allow", direction: "sideways" }))).toBe("unknown direction: sideways");
    expect(parseGoRule({ action: "deny", direction: "inbound" }).direction).toBe("ingress");
  });

  it("policy composition: defaults deny/allow; deny lists alone give allow/allow; presets first", () => {
    expect(fromGoFfi({ custom_policy: { rules: [] } }).policy).toEqual({ default_egress: "deny", default_ingress: "allow", rules: [] });
    expect(fromGoFfi({ deny_domains: ["x.com"] }).policy.default_egress).toBe("allow");
    const c = fromGoNetworkConfig({ Policy: "public-only", Rules: [{ Action: "deny", Destination: "8.8.8.8" }] });
    expect(c.policy.rules.map((r) => r.destination)).toEqual([{ group: "host" }, { group: "public" }, { cidr: "8.8.8.8/32" }]);
    expect(fromGoNetworkConfig(GoNetworkPolicy.None()).enabled).toBe(false);
    expect(() => GoNetworkPolicy.FromProfilesChecked("bogus")).toThrow('microsandbox: unknown network profile "bogus"');
  });

  it("other fields: DNS precedence, TLS presence, ports, secrets, violations, validation texts", () => {
    expect(fromGoNetworkConfig({ DNSRebindProtection: false }).dns.rebind_protection).toBe(false);
    expect(fromGoNetworkConfig({ DNSRebindProtection: false, DNS: { RebindProtection: true } }).dns.rebind_protection).toBe(true);
    expect(fromGoNetworkConfig({ TLS: {} }).tls.enabled).toBe(true);
    expect(fromGoNetworkConfig({ PortBindings: [{ HostPort: 53, GuestPort: 53, Protocol: "udp" }] }).ports).toEqual([{ host_port: 53, guest_port: 53, protocol: "udp", host_bind: "127.0.0.1" }]);
    expect(goError(() => fromGoNetworkConfig({ PortBindings: [{ Bind: "localhost", HostPort: 1, GuestPort: 1 }] }))).toBe("invalid bind address: localhost");
    expect(goError(() => fromGoNetworkConfig({ PortBindings: [{ HostPort: 1, GuestPort: 1, Protocol: "sctp" }] }))).toBe("invalid port protocol: sctp");
    expect(goError(() => fromGoNetworkConfig({ Secrets: [{ EnvVar: "K", Value: "v" }] }))).toBe("secret requires at least one allowed host or allowed host pattern");
    expect(fromGoNetworkConfig({ Secrets: [{ EnvVar: "K", Value: "v", AllowHosts: ["a.com"] }] }).secrets.secrets[0]).toMatchObject({ placeholder: "$MSB_K", require_tls_identity: true });
    expect(goError(() => fromGoNetworkConfig({ OnSecretViolation: "passthrough" }))).toBe("unknown violation action: passthrough");
    expect(goError(() => fromGoNetworkConfig({ DNS: { Nameservers: ["1.1.1.1:99999"] } }))).toBe('invalid nameserver: invalid nameserver "1.1.1.1:99999"; expected IP, IP:PORT, HOST, or HOST:PORT');
    expect(goError(() => fromGoNetworkConfig({ IPv4Pool: "nope" }))).toMatch(/^ipv4_pool "nope": /);
    expect(goError(() => fromGoNetworkConfig({ IPv4Pool: "10.0.0.0/31" }))).toBe("invalid IPv4 pool `10.0.0.0/31`: prefix must be /30 or shorter");
    expect(goError(() => fromGoNetworkConfig({ MaxConnections: 5000 }))).toBe("max_connections 5000 exceeds hard limit 4096");
    const e = (() => {
      try {
        fromGoNetworkConfig({ Rules: [{ Action: "allow", Direction: "ingress", Protocol: "icmpv4" }], MaxConnections: 5000 });
      } catch (x) {
        return x as DialectError;
      }
      return undefined;
    })();
    expect(e?.issues.map((i) => i.path).sort()).toEqual(["$.max_connections", "$.policy.rules[0].protocols"]);
  });
});
