/**
 * The soak's growth check (test/faults/growth.ts, used by bench/soak/run.ts) on synthetic series: a GC sawtooth with level
 * floors passes however tall its teeth, the same sawtooth over a slow leak fails, and descriptors
 * that jitter with the connections in flight pass while one leaked per few seconds fails.
 */
import { describe, expect, it } from "vitest";
import { theilSen, trend } from "./growth.js";

/** A seeded generator (mulberry32), so every run sees the same series. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RSS in MiB sampled every 3 s for 10 min: a warm-up ramp, then a sawtooth (heap filled, then collected) plus `leakPerS`. */
function rssSeries(leakPerS: number, seed = 1): { t: number[]; v: number[] } {
  const r = rng(seed);
  const t: number[] = [];
  const v: number[] = [];
  let heap = 0;
  for (let s = 0; s <= 600; s += 3) {
    heap += 2 + 3 * r(); // allocation between collections
    if (heap > 30 + 15 * r()) heap = r() * 3; // a collection returns most of it
    const warm = s < 40 ? 25 * (s / 40) : 25;
    t.push(s);
    v.push(120 + warm + heap + leakPerS * s + 2 * r());
  }
  return { t, v };
}

const rssCheck = (s: { t: number[]; v: number[] }) => trend({ ...s, warmupS: 60, windows: 12, reduce: "floor", tolerance: 16 });

describe("soak growth check", () => {
  it("Theil–Sen ignores one outlier", () => {
    const pts = Array.from({ length: 10 }, (_, i) => ({ t: i, v: 2 * i }));
    pts[7]!.v = 1000;
    expect(theilSen(pts)).toBeCloseTo(2, 5);
  });

  it("a sawtooth with level floors (45 MiB teeth) passes, for several seeds", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rssCheck(rssSeries(0, seed));
      expect(Math.max(...rssSeries(0, seed).v) - Math.min(...rssSeries(0, seed).v.slice(20))).toBeGreaterThan(30);
      expect(r.grows, JSON.stringify(r)).toBe(false);
      expect(Math.abs(r.projected)).toBeLessThan(8);
    }
  });

  it("the same sawtooth over a leak of 3 MiB per minute fails", () => {
    for (const seed of [1, 2, 3]) {
      const r = rssCheck(rssSeries(3 / 60, seed));
      expect(r.grows, JSON.stringify(r)).toBe(true);
      expect(r.projected).toBeGreaterThan(20);
    }
  });

  it("descriptors jittering with connections in flight pass; one leaked every 5 s fails", () => {
    const r = rng(9);
    const t = Array.from({ length: 201 }, (_, i) => i * 3);
    const flat = t.map(() => 45 + Math.floor(12 * r()));
    const leaky = t.map((s, i) => flat[i]! + Math.floor(s / 5));
    const check = (v: number[]) => trend({ t, v, warmupS: 60, windows: 12, reduce: "median", tolerance: 6 });
    expect(check(flat).grows).toBe(false);
    expect(check(leaky).grows).toBe(true);
  });

  it("refuses too few samples instead of passing", () => {
    expect(() => trend({ t: [0, 1, 2], v: [1, 1, 1], warmupS: 0, windows: 4, reduce: "floor", tolerance: 1 })).toThrow(/too few/);
  });
});
