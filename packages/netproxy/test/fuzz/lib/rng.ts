/**
 * The fuzzers' deterministic random source: a seeded sfc32 generator with the few draws the
 * mutators need. The same seed always yields the same input stream, so a failure is reproduced by
 * re-running with the printed seed and input index.
 */

/** A seeded pseudo-random generator (sfc32). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any 32-bit integer; equal seeds give equal streams. */
  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }

  /** An integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    // The low byte of n successive u32() draws, with the generator state held in locals: the same
    // bytes and final state as calling u32() n times, ~5x faster (the big fuzz inputs spent most
    // of their time here).
    const out = new Uint8Array(n);
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    for (let i = 0; i < n; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      out[i] = t & 0xff;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return out;
  }

  /** A length biased towards small values (most parsers' interesting inputs are short). */
  smallLen(max: number): number {
    const r = this.int(4);
    if (r === 0) return this.int(Math.min(max, 8) + 1);
    if (r === 1) return this.int(Math.min(max, 64) + 1);
    return this.int(max + 1);
  }
}

/** Hex dump of an input, for failure reports. */
export function hex(b: Uint8Array, max = 1024): string {
  const s = Buffer.from(b.subarray(0, max)).toString("hex");
  return b.length > max ? `${s}…(+${b.length - max} bytes)` : s;
}
