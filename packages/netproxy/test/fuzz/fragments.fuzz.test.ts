/** Bounded fuzz run of IP fragment reassembly. */
import { describe, expect, it } from "vitest";
import { FRAGMENT_TARGETS } from "./targets/fragments.js";
import { runBounded } from "./lib/target.js";
import { fuzzSeed, FUZZ_STEPS } from "./lib/budget.js";

describe("fuzz: IP fragment reassembly", () => {
  for (const t of FRAGMENT_TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      const n = Math.ceil(FUZZ_STEPS / 4);
      expect(await runBounded(t, fuzzSeed(t.name), n)).toBe(n);
    });
  }
});
