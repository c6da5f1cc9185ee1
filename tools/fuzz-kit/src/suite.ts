/**
 * The bounded fuzz run every package's vitest suite makes of its targets: one test per target,
 * seeded from the target's name (FUZZ_SEED overrides), FUZZ_STEPS steps (default per suite). A
 * failure names the seed and step, which `bench/fuzz/run.ts --parser NAME --seed N` replays; at
 * the end every outcome counter the target keeps must be non-zero (the inputs are not all turned
 * away at the door).
 */
import { describe, expect, it } from "vitest";
import type { FuzzTarget } from "./target.js";

/** The seed a target's bounded run uses: FUZZ_SEED, or a hash (FNV-1a) of its name. */
export function seedOf(name: string): number {
  if (process.env.FUZZ_SEED !== undefined) return Number(process.env.FUZZ_SEED) >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Define the bounded run of `targets` as a vitest suite. */
export function fuzzSuite(title: string, targets: readonly FuzzTarget[], defaultSteps: number): void {
  const steps = Number(process.env.FUZZ_STEPS ?? defaultSteps);
  describe(title, () => {
    for (const t of targets) {
      it(`${t.name}: ${t.description}`, () => {
        const seed = seedOf(t.name);
        const s = t.open(seed);
        for (let i = 0; i < steps; i++) {
          try {
            s.step();
          } catch (e) {
            throw new Error(`fuzz target ${t.name} failed at seed ${seed} step ${i} (reproduce: bench/fuzz/run.ts --parser ${t.name} --seed ${seed}): ${(e as Error).message}`, { cause: e });
          }
        }
        const stats = s.stats?.() ?? {};
        for (const v of Object.values(stats)) expect(v, JSON.stringify(stats)).toBeGreaterThan(0);
      });
    }
  });
}
