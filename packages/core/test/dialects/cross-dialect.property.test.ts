/**
 * Property: a random policy (defaults, rules with any destination kind, at most one protocol and
 * one port range so Python can express it) written in the Go FFI JSON, the Python dict, the
 * Rust-style builder and the idiomatic TypeScript builder yields the same canonical config as the
 * wire form itself.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalizeNetworkConfigOrThrow } from "../../src/config/index.js";
import { fromGoFfi } from "../../src/dialects/go-ffi.js";
import { fromPythonDict } from "../../src/dialects/python-dict.js";
import { NetworkBuilder } from "../../src/dialects/rust.js";
import { NetworkPolicy } from "../../src/dialects/rust-policy.js";
import { network } from "../../src/dialects/ts.js";
import type { Destination, Rule } from "../../src/gen/index.js";

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
const name = fc.array(label, { minLength: 2, maxLength: 3 }).map((l) => l.join("."));
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const dest: fc.Arbitrary<Destination> = fc.oneof(
  fc.constant("any" as const),
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => ({ cidr: `${a}/${p}` })),
  fc.constantFrom("2001:db8::/32", "fd00::1/128").map((c) => ({ cidr: c })),
  name.map((d) => ({ domain: d })),
  name.map((d) => ({ domain_suffix: d })),
  fc.constantFrom("public", "loopback", "private", "link_local", "metadata", "multicast", "host" as const).map((g) => ({ group: g })),
);
const port = fc.integer({ min: 0, max: 65535 });
const rule: fc.Arbitrary<Rule> = fc.record({
  direction: fc.constantFrom("egress", "ingress", "any" as const),
  destination: dest,
  protocols: fc.oneof(fc.constant([]), fc.constantFrom("tcp", "udp" as const).map((p) => [p])),
  ports: fc.oneof(fc.constant([]), fc.tuple(port, port).map(([a, b]) => [{ start: Math.min(a, b), end: Math.max(a, b) }])),
  action: fc.constantFrom("allow", "deny" as const),
}).map((r) => r as Rule);
const policy = fc.record({ default_egress: fc.constantFrom("allow", "deny" as const), default_ingress: fc.constantFrom("allow", "deny" as const), rules: fc.array(rule, { maxLength: 5 }) });

const shorthand = (d: Destination): string =>
  d === "any" ? "*" : "cidr" in d ? d.cidr : "domain" in d ? d.domain : "domain_suffix" in d ? `.${d.domain_suffix}` : d.group;
const portString = (r: Rule): string | undefined => (r.ports[0] === undefined ? undefined : `${r.ports[0].start}-${r.ports[0].end}`);

describe("every dialect agrees with the wire form (property)", () => {
  it("holds for 200 random policies", () => {
    fc.assert(
      fc.property(policy, (p) => {
        const wire = JSON.stringify(canonicalizeNetworkConfigOrThrow({ policy: p }));
        const go = fromGoFfi({
          custom_policy: { ...p, rules: p.rules.map((r) => ({ action: r.action, direction: r.direction, destination: shorthand(r.destination), protocols: r.protocols, ports: r.ports.map((x) => `${x.start}-${x.end}`) })) },
        });
        expect(JSON.stringify(go), "go").toBe(wire);
        const py = fromPythonDict({
          custom_policy: { ...p, rules: p.rules.map((r) => ({ action: r.action, direction: r.direction, destination: shorthand(r.destination), protocol: r.protocols[0], port: portString(r) })) },
        });
        expect(JSON.stringify(py), "python").toBe(wire);
        let b = NetworkPolicy.builder().defaultEgress(p.default_egress).defaultIngress(p.default_ingress);
        for (const r of p.rules) {
          b = b[r.direction]((e) => {
            for (const proto of r.protocols) e.protocol(proto);
            for (const x of r.ports) e.portRange(x.start, x.end);
            e[r.action]((d) => {
              const t = r.destination;
              if (t === "any") d.any();
              else if ("cidr" in t) d.cidr(t.cidr);
              else if ("domain" in t) d.domain(t.domain);
              else if ("domain_suffix" in t) d.domainSuffix(t.domain_suffix);
              else d.group(t.group);
            });
          });
        }
        expect(JSON.stringify(NetworkBuilder.new().policy(b).build()), "rust").toBe(wire);
        const ts = network().defaultAction({ egress: p.default_egress, ingress: p.default_ingress });
        for (const r of p.rules) {
          const t = r.destination;
          const target = t === "any" ? "any" : "domain_suffix" in t ? `*.${t.domain_suffix}` : t;
          const opts = { protocols: r.protocols, ports: r.ports.map((x) => [x.start, x.end] as const) };
          const m = { egress: { allow: "allow", deny: "deny" }, ingress: { allow: "allowInbound", deny: "denyInbound" }, any: { allow: "allowBoth", deny: "denyBoth" } } as const;
          ts[m[r.direction][r.action]](target, opts);
        }
        expect(JSON.stringify(ts.build()), "ts").toBe(wire);
      }),
      { numRuns: 200 },
    );
  });
});
