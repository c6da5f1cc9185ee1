import { describe, expect, it } from "vitest";
import { fromPythonDict, parsePyDestination, parsePyPort, parsePyShorthand, parsePyViolation } from "../../src/dialects/python-dict.js";
import { fromPythonNetwork, PyDestination, PyNetwork, PyNetworkPolicy, PyRule, PySecretEntry, PyTlsConfig } from "../../src/dialects/python.js";

describe("Python dialect", () => {
  it("string shorthand and typed destinations", () => {
    expect(parsePyShorthand("domain=Example.com")).toEqual({ domain: "example.com" });
    expect(parsePyShorthand("suffix=.example.com")).toEqual({ domain_suffix: "example.com" });
    expect(parsePyShorthand("link_local")).toEqual({ group: "link_local" });
    expect(parsePyShorthand("1.2.3.4")).toEqual({ cidr: "1.2.3.4/32" });
    expect(parsePyShorthand("any")).toEqual({ domain: "any" });
    expect(parsePyDestination("domain-suffix", "x.com")).toEqual({ domain_suffix: "x.com" });
    expect(() => parsePyDestination("host", "x")).toThrow("unknown destination kind: host");
    expect(() => parsePyDestination("group", "lan")).toThrow("unknown destination group: lan");
    expect(() => parsePyDestination("cidr", "")).toThrow("destination is required for destination kind `cidr`");
  });

  it("D5: port ranges are real ranges", () => {
    expect(parsePyPort("8000-9000")).toEqual([{ start: 8000, end: 9000 }]);
    expect(parsePyPort(443)).toEqual([{ start: 443, end: 443 }]);
    expect(() => parsePyPort("9000-8000")).toThrow('port range start > end: "9000-8000"');
  });

  it("rules: one protocol and one port; actions and defaults with their texts", () => {
    expect(PyRule.allow({ destination: PyDestination.ip("1.1.1.1"), protocol: "tcp", port: 443 })._to_dict()).toEqual({
      action: "allow",
      direction: "egress",
      destination_kind: "ip",
      destination: "1.1.1.1",
      protocol: "tcp",
      port: "443",
    });
    expect(() => fromPythonDict({ custom_policy: { rules: [{ action: "permit" }] } })).toThrow("unknown rule action: permit");
    expect(() => fromPythonDict({ custom_policy: { default_egress: "maybe" } })).toThrow("unknown default_egress: maybe");
  });

  it("violations: bare passthrough = every host; the dict form", () => {
    expect(parsePyViolation("passthrough")).toEqual({ passthrough: ["any"] });
    expect(parsePyViolation({ passthrough: { hosts: ["a.com"], host_patterns: ["*.b.com"], all_hosts: false } })).toEqual({ passthrough: [{ exact: "a.com" }, { wildcard: "*.b.com" }] });
  });

  it("Network: none keeps the NIC; deny lists alone give allow/allow; D5 block_quic and trust_host_cas", () => {
    const none = fromPythonNetwork(PyNetwork.none());
    expect(none.enabled).toBe(true);
    expect(none.policy).toEqual({ default_egress: "deny", default_ingress: "deny", rules: [] });
    expect(fromPythonNetwork(new PyNetwork({ deny_domains: ["x.com"] })).policy.default_egress).toBe("allow");
    expect(new PyTlsConfig({ block_quic: false })._to_dict()).toEqual({ block_quic: false });
    expect(fromPythonNetwork(new PyNetwork({ tls: new PyTlsConfig({ block_quic: false }) })).tls.block_quic_on_intercept).toBe(false);
    expect(fromPythonNetwork(new PyNetwork({ trust_host_cas: true })).trust_host_cas).toBe(true);
    expect(new PyNetworkPolicy()._to_dict()).toEqual({ default_egress: "deny", default_ingress: "allow" });
    expect(() => new PySecretEntry({ env_var: "K", value: "v" })).toThrow("SecretEntry requires at least one allowed host or allowed host pattern");
    const c = fromPythonNetwork(new PyNetwork({ secrets: [new PySecretEntry({ env_var: "K", value: "v", allow_host_patterns: ["*.x.com"], require_tls: false, on_violation: "passthrough" })] }));
    expect(c.secrets.secrets[0]).toMatchObject({ allowed_hosts: [{ wildcard: "*.x.com" }], require_tls_identity: false, on_violation: { passthrough: ["any"] } });
  });
});
