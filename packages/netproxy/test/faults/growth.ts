/**
 * The soak's growth check (used by bench/soak/run.ts): is there a trend in a sampled series (RSS, descriptors) under constant
 * load, as opposed to the sawtooth a garbage-collected heap draws?
 *
 * Method: drop the warm-up (V8 sizes its young generation and compiles hot code in the first
 * minute); cut the rest into windows of equal time; take each window's floor (its minimum: the
 * level right after a collection, which is what a leak raises) or its median (descriptors, which
 * have no sawtooth, only the connections in flight at the sampling instant); fit a Theil–Sen line
 * through the window values (the median of all pairwise slopes: one odd window, e.g. a late major
 * GC, cannot tilt it). The projected growth is that slope over the measured span; the series grows
 * when the projection exceeds the tolerance. A sawtooth of any amplitude whose floors stay level
 * passes; a steady leak of tolerance/span per second fails, however noisy the peaks.
 */

export interface TrendInput {
  /** Seconds since the start of the run. */
  t: number[];
  /** The sampled values (same length as t). */
  v: number[];
  /** Seconds at the start that do not count (warm-up). */
  warmupS: number;
  /** Number of windows the rest is cut into (at least 4). */
  windows: number;
  /** "floor" = each window's minimum (GC sawtooth); "median" = each window's median. */
  reduce: "floor" | "median";
  /** Growth over the measured span that still counts as flat (same unit as v). */
  tolerance: number;
}

export interface TrendResult {
  /** Window values (time of the window's middle, reduced value). */
  points: { t: number; v: number }[];
  /** Theil–Sen slope (unit of v per second). */
  slopePerS: number;
  /** Seconds between the first and the last window's middle. */
  spanS: number;
  /** slope × span. */
  projected: number;
  tolerance: number;
  grows: boolean;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Theil–Sen estimator: the median of the slopes between every pair of points. */
export function theilSen(points: readonly { t: number; v: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j]!.t - points[i]!.t;
      if (dt > 0) slopes.push((points[j]!.v - points[i]!.v) / dt);
    }
  return slopes.length ? median(slopes) : 0;
}

export function trend(inp: TrendInput): TrendResult {
  if (inp.t.length !== inp.v.length) throw new Error("trend: t and v differ in length");
  const kept = inp.t.map((t, i) => ({ t, v: inp.v[i]! })).filter((p) => p.t >= inp.warmupS && Number.isFinite(p.v));
  const n = Math.max(4, Math.floor(inp.windows));
  if (kept.length < n * 2) throw new Error(`trend: ${kept.length} samples after the warm-up are too few for ${n} windows`);
  const t0 = kept[0]!.t;
  const width = (kept[kept.length - 1]!.t - t0) / n || 1;
  const points: { t: number; v: number }[] = [];
  for (let w = 0; w < n; w++) {
    const lo = t0 + w * width;
    const inWin = kept.filter((p) => p.t >= lo && (w === n - 1 ? p.t <= lo + width : p.t < lo + width));
    if (inWin.length === 0) continue;
    const vs = inWin.map((p) => p.v);
    points.push({ t: lo + width / 2, v: inp.reduce === "floor" ? Math.min(...vs) : median(vs) });
  }
  const slopePerS = theilSen(points);
  const spanS = points.length > 1 ? points[points.length - 1]!.t - points[0]!.t : 0;
  const projected = slopePerS * spanS;
  return { points, slopePerS, spanS, projected, tolerance: inp.tolerance, grows: projected > inp.tolerance };
}
