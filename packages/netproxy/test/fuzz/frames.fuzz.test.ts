/**
 * Bounded fuzz run (CI budget) of the frame codecs: a few thousand seeded, structure-aware inputs
 * per codec. A failure names the seed and step; `bench/fuzz/run.ts --parser NAME --seed N`
 * replays the same stream.
 */
import { describe, expect, it } from "vitest";
import { FRAME_TARGETS } from "./targets/frames.js";
import { runBounded } from "./lib/target.js";
import { fuzzSeed, FUZZ_STEPS } from "./lib/budget.js";

describe("fuzz: frame codecs", () => {
  for (const t of FRAME_TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      expect(await runBounded(t, fuzzSeed(t.name), FUZZ_STEPS)).toBe(FUZZ_STEPS);
    });
  }
});
