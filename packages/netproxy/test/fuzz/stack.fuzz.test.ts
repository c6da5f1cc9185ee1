/**
 * Bounded whole-stack fuzz run: generated and mutated guest frames into a live stack on an
 * in-memory link (deny-all policy, nothing leaves the process). Also checks that the frames reach
 * the stack's handlers (DHCP leases, echo replies, DNS queries, TCP refusals all happen).
 */
import { describe, expect, it } from "vitest";
import { STACK_TARGETS } from "./targets/stack.js";
import { runBounded } from "./lib/target.js";
import { fuzzSeed, FUZZ_STEPS } from "./lib/budget.js";

describe("fuzz: whole stack", () => {
  for (const t of STACK_TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      let stats: Record<string, number> = {};
      expect(await runBounded(t, fuzzSeed(t.name), FUZZ_STEPS, (s) => (stats = s))).toBe(FUZZ_STEPS);
      for (const k of ["dhcpLeases", "icmpEchoReplies", "dnsQueries", "tcpDenied", "sent"]) expect(stats[k] ?? 0, `${k} in ${JSON.stringify(stats)}`).toBeGreaterThan(0);
    });
  }
});
