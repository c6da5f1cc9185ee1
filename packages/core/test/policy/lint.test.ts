/** Tests for the policy lint: each warning code, its JSON path, and silence on clean policies. */
import { describe, expect, it } from "vitest";
import { lintPolicy, type PolicyLike, type RuleLike } from "./imports.js";

const rule = (r: Partial<RuleLike> & Pick<RuleLike, "destination">): RuleLike => ({
  direction: "egress",
  protocols: [],
  ports: [],
  action: "allow",
  ...r,
});
const pol = (...rules: RuleLike[]): PolicyLike => ({ default_egress: "deny", default_ingress: "allow", rules });
const codes = (p: PolicyLike) => lintPolicy(p).map((w) => `${w.code} ${w.path}`);

describe("lintPolicy", () => {
  it("is silent on the public-only preset", () => {
    expect(
      lintPolicy(
        pol(
          rule({ destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }] }),
          rule({ destination: { group: "public" } }),
        ),
      ),
    ).toEqual([]);
  });

  it("warns on a deny suffix without its apex (D1), not when the apex rule exists", () => {
    expect(codes(pol(rule({ destination: { domain_suffix: "ads.example" }, action: "deny" })))).toEqual([
      "suffix-deny-without-apex policy.rules[0].destination.domain_suffix",
    ]);
    expect(
      codes(pol(rule({ destination: { domain: "ads.example" }, action: "deny" }), rule({ destination: { domain_suffix: "ads.example" }, action: "deny" }))),
    ).toEqual([]);
  });

  it("warns on `any` and `*.x` written as domains", () => {
    const w = lintPolicy(pol(rule({ destination: { domain: "any" } }), rule({ destination: { domain: "*.example.com" } })), { path: "network.policy" });
    expect(w.map((x) => [x.code, x.path])).toEqual([
      ["domain-any-literal", "network.policy.rules[0].destination.domain"],
      ["domain-wildcard-literal", "network.policy.rules[1].destination.domain"],
    ]);
    expect(w[1]!.message).toContain(`{"domain_suffix": "example.com"}`);
  });

  it("warns on single-label suffixes", () => {
    expect(codes(pol(rule({ destination: { domain_suffix: ".internal" } })))).toEqual(["single-label-suffix policy.rules[0].destination.domain_suffix"]);
  });

  it("finds rules shadowed by an earlier broader CIDR / group / any rule with protocol and port subsets", () => {
    const p = pol(
      rule({ destination: { cidr: "10.0.0.0/8" }, action: "deny" }),
      rule({ destination: { cidr: "10.1.2.0/24" }, protocols: ["tcp"], ports: [{ start: 443, end: 443 }] }),
      rule({ destination: { group: "public" }, protocols: ["tcp"], ports: [{ start: 1, end: 1000 }, { start: 1001, end: 2000 }] }),
      rule({ destination: { group: "public" }, protocols: ["tcp"], ports: [{ start: 500, end: 1500 }] }),
      rule({ destination: { group: "public" }, protocols: ["udp"], ports: [{ start: 500, end: 1500 }] }),
      rule({ destination: "any", direction: "any" }),
      rule({ destination: { cidr: "2001:db8::/32" }, direction: "ingress" }),
    );
    const w = lintPolicy(p).filter((x) => x.code === "shadowed-rule");
    expect(w.map((x) => [x.path, x.shadowedBy])).toEqual([
      ["policy.rules[1]", 0],
      ["policy.rules[3]", 2],
      ["policy.rules[6]", 5],
    ]);
    expect(w[0]!.message).toContain("opposite action");
    expect(w[1]!.message).toContain("redundant");
  });

  it("does not call a port-scoped earlier rule a shadow of an unscoped later one", () => {
    const p = pol(rule({ destination: { cidr: "10.0.0.0/8" }, ports: [{ start: 22, end: 22 }] }), rule({ destination: { cidr: "10.0.0.0/16" } }));
    expect(lintPolicy(p)).toEqual([]);
  });

  it("handles name-rule shadowing with the SNI/cache asymmetry", () => {
    const denyFirst = pol(rule({ destination: { domain_suffix: "example.com" }, action: "deny" }), rule({ destination: { domain: "api.example.com" } }));
    expect(lintPolicy(denyFirst).filter((x) => x.code === "shadowed-rule").map((x) => x.path)).toEqual(["policy.rules[1]"]);
    // An allow suffix needs a DNS binding; a later deny exact rule still fires on SNI alone.
    const allowFirst = pol(rule({ destination: { domain_suffix: "example.com" } }), rule({ destination: { domain: "api.example.com" }, action: "deny" }));
    expect(lintPolicy(allowFirst).filter((x) => x.code === "shadowed-rule")).toEqual([]);
  });

  it("finds rules that can never match", () => {
    const p = pol(
      rule({ destination: { group: "public" }, protocols: ["icmpv4"], ports: [{ start: 1, end: 1 }] }),
      rule({ destination: "any", direction: "ingress", protocols: ["icmpv4", "icmpv6"] }),
      rule({ destination: { cidr: "2001:db8::/32" }, protocols: ["icmpv4"] }),
      rule({ destination: { cidr: "::ffff:10.0.0.0/104" } }),
    );
    expect(codes(p)).toEqual([
      "never-matches policy.rules[0].ports",
      "never-matches policy.rules[1].direction",
      "never-matches policy.rules[2].destination.cidr",
      "never-matches policy.rules[3].destination.cidr",
    ]);
  });
  it("knows which CIDRs lie wholly inside a group (the gateway assumed in the private pool)", () => {
    const shadowed = (group: string, cidr: string) =>
      codes(pol(rule({ destination: { group } as RuleLike["destination"] }), rule({ destination: { cidr } }))).includes(
        "shadowed-rule policy.rules[1]",
      );
    expect(shadowed("public", "203.0.113.0/24")).toBe(true);
    expect(shadowed("public", "2001:db8::/32")).toBe(true);
    expect(shadowed("public", "10.0.0.0/8")).toBe(false);
    expect(shadowed("public", "0.0.0.0/0")).toBe(false);
    expect(shadowed("public", "0.0.0.0/8")).toBe(false); // holds the unspecified address (no group)
    expect(shadowed("private", "10.1.0.0/16")).toBe(true);
    expect(shadowed("private", "172.15.0.0/16")).toBe(false);
    expect(shadowed("link_local", "169.254.1.0/24")).toBe(true);
    expect(shadowed("link_local", "169.254.169.0/24")).toBe(false); // holds the metadata address
    expect(shadowed("metadata", "169.254.169.254/32")).toBe(true);
  });
});
