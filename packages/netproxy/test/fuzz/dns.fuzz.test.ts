/** Bounded fuzz run of the DNS wire reader and the forwarder entry (guest and upstream bytes). */
import { describe, expect, it } from "vitest";
import { DNS_TARGETS } from "./targets/dns.js";
import { runBounded } from "./lib/target.js";
import { fuzzSeed, FUZZ_STEPS } from "./lib/budget.js";

describe("fuzz: DNS", () => {
  for (const t of DNS_TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      const n = t.name === "dns-forwarder" ? Math.ceil(FUZZ_STEPS / 2) : FUZZ_STEPS;
      let stats: Record<string, number> = {};
      expect(await runBounded(t, fuzzSeed(t.name), n, (s) => (stats = s))).toBe(n);
      // The inputs reach past the first checks: some parse, some are refused, all pipeline exits occur.
      if (t.name === "dns-wire") expect(stats).toMatchObject({ parsed: expect.any(Number), rejected: expect.any(Number), chainParsed: expect.any(Number) });
      if (t.name === "dns-wire") expect(Math.min(stats.parsed!, stats.rejected!, stats.chainParsed!)).toBeGreaterThan(0);
      if (t.name === "dns-forwarder") for (const k of ["forwarded", "denied", "servfail", "formerr"]) expect(stats[k] ?? 0, `${k} in ${JSON.stringify(stats)}`).toBeGreaterThan(0);
    });
  }
});
