/**
 * The CI fuzz budget: steps per target and the seed. The seed is fixed per target name (so CI is
 * reproducible) unless FUZZ_SEED is set; FUZZ_STEPS scales the budget for a local deeper run.
 */

/** Inputs per target in the bounded suite (env FUZZ_STEPS overrides). */
export const FUZZ_STEPS = Number(process.env.FUZZ_STEPS ?? 3000);

/** The seed for a target: FUZZ_SEED if set, else a stable hash of the target name. */
export function fuzzSeed(name: string): number {
  if (process.env.FUZZ_SEED !== undefined) return Number(process.env.FUZZ_SEED) >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
