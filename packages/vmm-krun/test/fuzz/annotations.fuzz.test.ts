/**
 * Bounded fuzz run of the nerdbox annotation parser (seeded; FUZZ_SEED / FUZZ_STEPS override).
 * A failure names the seed and step; `bench/fuzz/run.ts --parser NAME --seed N` replays it.
 */
import { describe, expect, it } from "vitest";
import { KRUN_TARGETS } from "./targets.js";

const STEPS = Number(process.env.FUZZ_STEPS ?? 4000);

function seedOf(name: string): number {
  if (process.env.FUZZ_SEED !== undefined) return Number(process.env.FUZZ_SEED) >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

describe("fuzz: nerdbox annotations", () => {
  for (const t of KRUN_TARGETS) {
    it(`${t.name}: ${t.description}`, () => {
      const seed = seedOf(t.name);
      const s = t.open(seed);
      for (let i = 0; i < STEPS; i++) {
        try {
          s.step();
        } catch (e) {
          throw new Error(`fuzz target ${t.name} failed at seed ${seed} step ${i} (reproduce: bench/fuzz/run.ts --parser ${t.name} --seed ${seed}): ${(e as Error).message}`, { cause: e });
        }
      }
      const stats = s.stats?.() ?? {};
      // Every outcome occurs: accepted and refused networks, accepted and refused bundles.
      for (const v of Object.values(stats)) expect(v, JSON.stringify(stats)).toBeGreaterThan(0);
    });
  }
});
