/**
 * The same scenario written in each dialect (Go struct, Python objects, Rust-style builder,
 * idiomatic TypeScript builder) yields byte-identical canonical JSON.
 */
import { describe, expect, it } from "vitest";
import type { CanonicalNetworkConfig } from "../../src/config/index.js";
import { fromGoNetworkConfig, GoNetworkPolicy } from "../../src/dialects/go.js";
import { fromPythonNetwork, PyDnsConfig, PyNetwork, PyNetworkPolicy, PyNetworkProfile, PyRule, PyDestination, PySecretEntry, PyTlsConfig } from "../../src/dialects/python.js";
import { NetworkBuilder } from "../../src/dialects/rust.js";
import { NetworkPolicy } from "../../src/dialects/rust-policy.js";
import { network } from "../../src/dialects/ts.js";

interface Scenario {
  name: string;
  go: () => CanonicalNetworkConfig;
  python: () => CanonicalNetworkConfig;
  rust: () => CanonicalNetworkConfig;
  ts: () => CanonicalNetworkConfig;
}

const SCENARIOS: Scenario[] = [
  {
    name: "defaults: public-only",
    go: () => fromGoNetworkConfig({}),
    python: () => fromPythonNetwork(new PyNetwork()),
    rust: () => NetworkBuilder.new().build(),
    ts: () => network().build(),
  },
  {
    name: "none preset: no NIC",
    go: () => fromGoNetworkConfig(GoNetworkPolicy.None()),
    python: () => fromPythonNetwork(new PyNetwork({ policy: "none" })),
    rust: () => NetworkBuilder.new().enabled(false).policy(NetworkPolicy.none()).build(),
    ts: () => network({ preset: "none" }).build(),
  },
  {
    name: "allow-all minus deny lists (D1 apex)",
    go: () => fromGoNetworkConfig({ Policy: "allow-all", DenyDomains: ["tracker.example"], DenyDomainSuffixes: [".ads.example"] }),
    python: () => fromPythonNetwork(new PyNetwork({ policy: "allow_all", deny_domains: ["tracker.example"], deny_domain_suffixes: [".ads.example"] })),
    rust: () => NetworkBuilder.new().policy(NetworkPolicy.allowAll()).blockDomain("tracker.example").blockDomainSuffix(".ads.example").build(),
    ts: () => network({ preset: "allow-all" }).denyDomains("tracker.example").denyDomainSuffixes("ads.example").build(),
  },
  {
    name: "public profile + api domain + private deny, custom order",
    go: () =>
      fromGoNetworkConfig({
        DefaultEgress: "deny",
        Rules: [
          { Action: "deny", Destination: "10.0.0.0/8" },
          { Action: "allow", Destination: "API.Example.com.", Protocol: "tcp", Port: "443" },
          { Action: "allow", Destination: "host", Protocol: "udp", Port: "53" },
          { Action: "allow", Destination: "host", Protocols: ["tcp"], Ports: ["53"] },
          { Action: "allow", Destination: "public" },
        ],
      }),
    python: () =>
      fromPythonNetwork(
        new PyNetwork({
          policy: new PyNetworkPolicy({
            rules: [
              PyRule.deny({ destination: PyDestination.cidr("10.0.0.0/8") }),
              PyRule.allow({ destination: "api.example.com", protocol: "tcp", port: 443 }),
              new PyRule({ action: "allow", destination: "host", protocol: "udp", port: 53 }),
              new PyRule({ action: "allow", destination: "host", protocol: "tcp", port: 53 }),
              PyRule.allow({ destination: "public" }),
            ],
          }),
        }),
      ),
    rust: () =>
      NetworkBuilder.new()
        .policy(
          NetworkPolicy.builder()
            .egress((e) => e.denyCidr("10.0.0.0/8"))
            .egress((e) => e.tcp().port(443).allowDomain("api.example.com"))
            .egress((e) => e.udp().port(53).allowHost())
            .egress((e) => e.tcp().port(53).allowHost())
            .egress((e) => e.allowPublic()),
        )
        .build(),
    ts: () =>
      network()
        .deny("10.0.0.0/8")
        .allow("api.example.com", { protocols: "tcp", ports: 443 })
        .allow("host", { protocols: "udp", ports: 53 })
        .allow("host", { protocols: "tcp", ports: 53 })
        .allow("public")
        .build(),
  },
  {
    name: "inbound firewall with port range and an any-direction deny",
    go: () =>
      fromGoNetworkConfig({
        DefaultEgress: "deny",
        DefaultIngress: "deny",
        Rules: [
          { Action: "allow", Direction: "inbound", Destination: "loopback", Protocol: "tcp", Port: "8000-9000" },
          { Action: "deny", Direction: "both", Destination: "198.51.100.5" },
          { Action: "allow", Direction: "egress", Destination: "*", Protocol: "udp" },
        ],
      }),
    python: () =>
      fromPythonNetwork(
        new PyNetwork({
          policy: new PyNetworkPolicy({
            default_egress: "deny",
            default_ingress: "deny",
            rules: [
              PyRule.allow({ direction: "ingress", destination: "loopback", protocol: "tcp", port: "8000-9000" }),
              PyRule.deny({ direction: "any", destination: PyDestination.ip("198.51.100.5") }),
              PyRule.allow({ destination: "*", protocol: "udp" }),
            ],
          }),
        }),
      ),
    rust: () =>
      NetworkBuilder.new()
        .policy(
          NetworkPolicy.builder()
            .defaultDeny()
            .ingress((i) => i.tcp().portRange(8000, 9000).allowLoopback())
            .any((a) => a.deny((d) => d.ip("198.51.100.5")))
            .egress((e) => e.udp().allowAny()),
        )
        .build(),
    ts: () =>
      network()
        .defaultAction({ egress: "deny", ingress: "deny" })
        .allowInbound("loopback", { protocols: "tcp", ports: [8000, 9000] })
        .denyBoth("198.51.100.5")
        .allow("any", { protocols: ["udp"] })
        .build(),
  },
  {
    name: "DNS, TLS, published ports, pools and limits",
    go: () =>
      fromGoNetworkConfig({
        DNSRebindProtection: true,
        DNS: { RebindProtection: false, Nameservers: ["1.1.1.1", "dns.google:53"], QueryTimeoutMs: 3000 },
        TLS: { Bypass: ["*.pinned.example"], InterceptedPorts: [443, 8443], BlockQUIC: false },
        Ports: { 8080: 80 },
        PortBindings: [{ Bind: "0.0.0.0", HostPort: 5353, GuestPort: 53, Protocol: "udp" }],
        IPv4Pool: "172.31.240.0/24",
        MaxConnections: 512,
        TrustHostCAs: true,
      }),
    python: () =>
      fromPythonNetwork(
        new PyNetwork({
          dns: new PyDnsConfig({ rebind_protection: false, nameservers: ["1.1.1.1:53", "dns.google"], query_timeout_ms: 3000 }),
          tls: new PyTlsConfig({ bypass: ["*.pinned.example"], intercepted_ports: [443, 8443], block_quic: false }),
          ports: [
            { host_port: 8080, guest_port: 80 },
            { host_port: 5353, guest_port: 53, bind: "0.0.0.0", protocol: "udp" },
          ],
          ipv4_pool: "172.31.240.0/24",
          max_connections: 512,
          trust_host_cas: true,
        }),
      ),
    rust: () =>
      NetworkBuilder.new()
        .dns((d) => d.rebindProtection(false).nameservers(["1.1.1.1", "dns.google"]).queryTimeoutMs(3000))
        .tls((t) => t.bypass("*.pinned.example").interceptedPorts([443, 8443]).blockQuic(false))
        .port(8080, 80)
        .portUdpBind("0.0.0.0", 5353, 53)
        .ipv4Pool("172.31.240.0/24")
        .maxConnections(512)
        .trustHostCas(true)
        .build(),
    ts: () =>
      network()
        .dns({ rebindProtection: false, nameservers: ["1.1.1.1", "dns.google"], queryTimeoutMs: 3000 })
        .tls({ bypass: ["*.pinned.example"], interceptedPorts: [443, 8443], blockQuic: false })
        .publish(8080, 80)
        .publish(5353, 53, { protocol: "udp", bind: "0.0.0.0" })
        .pools({ ipv4: "172.31.240.0/24" })
        .maxConnections(512)
        .trustHostCas()
        .build(),
  },
  {
    name: "secrets with exact and wildcard hosts",
    go: () =>
      fromGoNetworkConfig({
        OnSecretViolation: "block-and-terminate",
        Secrets: [{ EnvVar: "API_KEY", Value: "sk-1", AllowHosts: ["api.openai.com"], AllowHostPatterns: ["*.anthropic.com"] }],
      }),
    python: () =>
      fromPythonNetwork(
        new PyNetwork({
          on_secret_violation: "block-and-terminate",
          secrets: [new PySecretEntry({ env_var: "API_KEY", value: "sk-1", allow_hosts: ["api.openai.com"], allow_host_patterns: ["*.anthropic.com"] })],
        }),
      ),
    rust: () =>
      NetworkBuilder.new()
        .secret({ env_var: "API_KEY", value: "sk-1", allowed_hosts: [{ exact: "api.openai.com" }, { wildcard: "*.anthropic.com" }] })
        .onSecretViolation("block-and-terminate")
        .build(),
    ts: () => network().secret("API_KEY", "sk-1", { hosts: ["api.openai.com", "*.anthropic.com"] }).onSecretViolation("block-and-terminate").build(),
  },
  {
    name: "profiles public+private (from_profiles)",
    go: () => fromGoNetworkConfig(GoNetworkPolicy.FromProfiles("private", "public")),
    python: () => fromPythonNetwork(new PyNetwork({ policy: "non-local" })),
    rust: () => NetworkBuilder.new().policy(NetworkPolicy.fromProfiles("public", "private")).build(),
    ts: () => network().profiles("private", "public").build(),
  },
];

describe("the same scenario in every dialect yields identical canonical JSON", () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      const go = JSON.stringify(s.go());
      expect(JSON.stringify(s.python()), "python").toBe(go);
      expect(JSON.stringify(s.rust()), "rust").toBe(go);
      expect(JSON.stringify(s.ts()), "ts").toBe(go);
    });
  }
  it("covers at least 6 scenarios", () => expect(SCENARIOS.length).toBeGreaterThanOrEqual(6));
  it("python from_profiles uses two DNS rules (not identical to the others by design)", () => {
    const c = fromPythonNetwork(PyNetwork.from_profiles(PyNetworkProfile.PUBLIC));
    expect(c.policy.rules.map((r) => r.protocols)).toEqual([["udp"], ["tcp"], []]);
  });
});
