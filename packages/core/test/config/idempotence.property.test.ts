/**
 * Property: for random configs (presets in both spellings, profiles, legacy fields, deny lists,
 * rules with mixed-case names, dotted names, bare-IP CIDRs, duplicate protocols and ports),
 * normalization is idempotent, survives a JSON round trip and re-parsing, and leaves no
 * presence-dependent field behind.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalizeNetworkConfig, normalizeNetworkConfig, parseNetworkConfig } from "../../src/config/index.js";

const label = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,6}[a-zA-Z0-9]$/);
const name = fc.array(label, { minLength: 2, maxLength: 4 }).map((l) => l.join("."));
const decorated = fc.tuple(fc.constantFrom("", ".", ".."), name, fc.constantFrom("", ".")).map(([a, n, b]) => `${a}${n}${b}`);
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const cidr = fc.oneof(
  v4,
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.constantFrom("2001:DB8::1", "fd00::/8", "::ffff:10.0.0.1/128", "2001:0db8:0000::/48"),
);
const destination = fc.oneof(
  fc.constant("any" as const),
  cidr.map((c) => ({ cidr: c })),
  decorated.map((d) => ({ domain: d })),
  decorated.map((d) => ({ domain_suffix: d })),
  fc.constantFrom("public", "loopback", "private", "link_local", "metadata", "multicast", "host").map((g) => ({ group: g })),
);
const port = fc.integer({ min: 0, max: 65535 });
const range = fc.tuple(port, port).map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) }));
const rule = fc.record(
  {
    direction: fc.constantFrom("egress", "ingress", "any"),
    destination,
    protocols: fc.array(fc.constantFrom("tcp", "udp"), { maxLength: 4 }),
    ports: fc.array(range, { maxLength: 3 }).chain((r) => fc.constant([...r, ...r.slice(0, 1)])),
    action: fc.constantFrom("allow", "deny"),
    protocol: fc.constantFrom("tcp", "udp"),
    port: fc.oneof(port, range.map((r) => `${r.start}-${r.end}`)),
  },
  { requiredKeys: ["direction", "destination", "action"] },
);
const config = fc.record(
  {
    preset: fc.constantFrom("none", "public-only", "public_only", "allow-all", "allow_all", "non-local", "non_local"),
    policy: fc.record({ default_egress: fc.constantFrom("allow", "deny"), default_ingress: fc.constantFrom("allow", "deny"), rules: fc.array(rule, { maxLength: 6 }) }, { requiredKeys: [] }),
    deny_domains: fc.array(decorated, { maxLength: 3 }),
    deny_domain_suffixes: fc.array(decorated, { maxLength: 3 }),
    dns_rebind_protection: fc.boolean(),
    dns: fc.record({ rebind_protection: fc.boolean(), nameservers: fc.array(fc.oneof(v4, v4.map((a) => `${a}:5353`), name), { maxLength: 3 }) }, { requiredKeys: [] }),
    tls: fc.record({ enabled: fc.boolean(), bypass: fc.array(decorated.map((d) => `*.${d.replace(/^\.+/, "")}`), { maxLength: 2 }) }, { requiredKeys: [] }),
    host_aliases: fc.array(decorated, { maxLength: 2 }),
    max_connections: fc.integer({ min: 1, max: 4096 }),
  },
  { requiredKeys: [] },
);
const withProfiles = fc.oneof(config, fc.tuple(config, fc.array(fc.constantFrom("public", "private", "host"), { maxLength: 4 })).map(([c, p]) => ({ ...c, preset: undefined, profiles: p })));

describe("normalization is idempotent (property)", () => {
  it("holds for 300 random configs", () => {
    fc.assert(
      fc.property(withProfiles, (raw) => {
        const input = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
        const parsed = parseNetworkConfig(input);
        if (!parsed.ok) {
          // the generator only produces valid configs
          throw new Error(`rejected: ${JSON.stringify(parsed.errors)}`);
        }
        const once = normalizeNetworkConfig(parsed.value);
        expect(JSON.stringify(normalizeNetworkConfig(once))).toBe(JSON.stringify(once));
        const again = canonicalizeNetworkConfig(JSON.parse(JSON.stringify(once)));
        expect(again.ok).toBe(true);
        if (again.ok) expect(JSON.stringify(again.value)).toBe(JSON.stringify(once));
        expect(once).not.toHaveProperty("preset");
        expect(once).not.toHaveProperty("profiles");
        expect(once).not.toHaveProperty("dns_rebind_protection");
        expect(once.deny_domains).toEqual([]);
        expect(once.deny_domain_suffixes).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
