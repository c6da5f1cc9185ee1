/** Modulo-2^32 TCP sequence-number arithmetic (RFC 9293 §3.4): every comparison wraps. */

/** `a + n` modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance `a - b` in sequence space (valid while |a - b| < 2^31). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a < b` in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** `a <= b` in sequence space. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** `a > b` in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** `a >= b` in sequence space. */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** `start <= x < start + len` in sequence space. */
export function seqInRange(x: number, start: number, len: number): boolean {
  return ((x - start) >>> 0) < len;
}
