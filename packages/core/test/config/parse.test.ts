import { describe, expect, it } from "vitest";
import { formatConfigIssues, parseNetworkConfig } from "../../src/config/index.js";

function errors(input: unknown) {
  const r = parseNetworkConfig(input);
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.errors;
}

describe("parseNetworkConfig", () => {
  it("accepts an empty object and fills defaults", () => {
    const r = parseNetworkConfig({});
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.max_connections).toBe(256);
      expect(r.value.dns.rebind_protection).toBe(true);
      expect(r.value.policy).toBeUndefined();
    }
  });

  it("reports every problem at once, each with its JSON path, value and what is accepted", () => {
    const errs = errors({
      max_connections: 4097,
      ipv4_pool: "10.0.0.0/31",
      ipv6_pool: "fd00::/96",
      policy: {
        rules: [
          { direction: "egress", destination: "any", action: "allow" },
          { direction: "egress", destination: "any", action: "allow" },
          { direction: "egress", destination: { ip: "1.2.3.4" }, action: "allow" },
          { direction: "ingress", destination: "any", protocols: ["icmpv4"], action: "deny" },
          { direction: "egress", destination: { cidr: "10.0.0.0/33" }, ports: [{ start: 9000, end: 8000 }], action: "allow" },
        ],
      },
      dns: { nameservers: ["1.1.1.1:99999", "dns.google"] },
      tls: { enabled: true, intercept_ca: { key_path: "/k" } },
      bogus: true,
    });
    const byPath = new Map(errs.map((e) => [e.path, e]));
    expect(byPath.get("$.max_connections")?.message).toBe("max_connections 4097 exceeds hard limit 4096");
    expect(byPath.get("$.ipv4_pool")?.message).toBe("invalid IPv4 pool `10.0.0.0/31`: prefix must be /30 or shorter");
    expect(byPath.get("$.ipv6_pool")?.message).toBe("invalid IPv6 pool `fd00::/96`: prefix must be /64 or shorter");
    expect(byPath.get("$.policy.rules[2].destination")?.value).toEqual({ ip: "1.2.3.4" });
    expect(byPath.get("$.policy.rules[2].destination")?.expected).toContain('{"cidr"');
    expect(byPath.get("$.policy.rules[3].protocols")?.message).toBe(
      "rule #3: ICMP protocols are egress-only; ingress and any-direction rules cannot include icmpv4 or icmpv6",
    );
    expect(byPath.get("$.policy.rules[4].destination.cidr")?.message).toMatch(/^invalid CIDR `10.0.0.0\/33`/);
    expect(byPath.get("$.policy.rules[4].ports[0]")?.message).toBe("rule #4: invalid port range 9000..8000; lo must be <= hi");
    expect(byPath.get("$.dns.nameservers[0]")?.message).toBe(
      'invalid nameserver "1.1.1.1:99999"; expected IP, IP:PORT, HOST, or HOST:PORT',
    );
    expect(byPath.has("$.dns.nameservers[1]")).toBe(false);
    expect(byPath.get("$.tls.intercept_ca")?.message).toBe("intercept CA config is incomplete; set both cert_path and key_path");
    expect(byPath.get("$.bogus")?.message).toBe("unknown field `bogus`");
    // one issue per problem: zod's generic messages for owned paths are dropped
    expect(errs.filter((e) => e.path === "$.max_connections")).toHaveLength(1);
    const text = formatConfigIssues(errs);
    expect(text.split("\n")[0]).toBe(`${errs.length} problems in the network config:`);
    expect(text).toContain('$.policy.rules[2].destination: unknown destination kind `ip` (got {"ip":"1.2.3.4"}; expected');
  });

  it("D4: rejects ICMP in ingress and any-direction rules, accepts it in egress rules", () => {
    expect(errors({ policy: { rules: [{ direction: "any", destination: "any", protocols: ["icmpv6"], action: "allow" }] } })[0]?.path).toBe(
      "$.policy.rules[0].protocols",
    );
    expect(parseNetworkConfig({ policy: { rules: [{ direction: "egress", destination: "any", protocols: ["icmpv6"], action: "allow" }] } }).ok).toBe(true);
  });

  it("the intercept CA pair is only required when TLS interception is enabled", () => {
    expect(parseNetworkConfig({ tls: { enabled: false, intercept_ca: { cert_path: "/c" } } }).ok).toBe(true);
    expect(parseNetworkConfig({ tls: { enabled: true, intercept_ca: { cert_path: "/c", key_path: "/k" } } }).ok).toBe(true);
  });

  it("domain names follow §1.3", () => {
    expect(errors({ deny_domains: ["..."] })[0]).toMatchObject({ path: "$.deny_domains[0]", message: "domain name is empty" });
    expect(errors({ policy: { rules: [{ direction: "egress", destination: { domain: "example.com/path" }, action: "deny" }] } })[0]?.message).toMatch(
      /^invalid domain name: /,
    );
    expect(parseNetworkConfig({ policy: { rules: [{ direction: "egress", destination: { domain_suffix: "com" }, action: "deny" }] } }).ok).toBe(true);
  });

  it("secrets use the §6.1 texts", () => {
    const errs = errors({
      secrets: {
        secrets: [
          { env_var: "A=B", value: "v", allowed_hosts: ["any"] },
          { env_var: "K", value: "v", allowed_hosts: [], placeholder: "x\ny" },
        ],
      },
    });
    expect(errs.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        "secret #0: env_var must not contain `=`",
        "secret #1: at least one allowed host is required",
        "secret #1: placeholder must not contain CR or LF",
      ]),
    );
  });

  it("non-objects are rejected at $", () => {
    expect(errors(42)[0]?.path).toBe("$");
  });
});

describe("unknown fields", () => {
  it("say which fields the schema accepts at that path", () => {
    const r = parseNetworkConfig({ dns: { rebind: true }, policy: { rules: [{ direction: "egress", destination: "any", action: "allow", portz: 3 }] } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.find((e) => e.path === "$.dns.rebind")?.expected).toBe("one of rebind_protection, nameservers, query_timeout_ms");
      expect(r.errors.find((e) => e.path === "$.policy.rules[0].portz")?.expected).toBe("one of direction, destination, protocols, ports, action");
    }
  });
});

describe("issue order and missing fields", () => {
  it("lists issues in document order and says which fields are missing", () => {
    const r = parseNetworkConfig({ ports: [{}], max_connections: 9999, policy: { rules: [{ destination: "any" }] } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => e.path)).toEqual([
        "$.ports[0].host_port",
        "$.ports[0].guest_port",
        "$.max_connections",
        "$.policy.rules[0].direction",
        "$.policy.rules[0].action",
      ]);
      expect(r.errors[0]).toEqual({ path: "$.ports[0].host_port", message: "missing required field", expected: "number" });
      expect(r.errors[3]?.expected).toBe('one of "egress", "ingress", "any"');
    }
  });
});
