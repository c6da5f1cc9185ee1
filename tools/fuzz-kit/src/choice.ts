/**
 * The seeded source of a fuzz target's decisions: an sfc32 generator (the same seed always gives
 * the same stream, so a failure is replayed from its seed and step).
 */
export class Choice {
  private s: [number, number, number, number];

  constructor(seed: number) {
    this.s = [0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0];
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const [a, b, c, d] = this.s;
    const t = (((a + b) | 0) + d) | 0;
    this.s = [b ^ (b >>> 9), (c + (c << 3)) | 0, (((c << 21) | (c >>> 11)) + t) | 0, (d + 1) | 0];
    return t >>> 0;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }

  /** A uniform element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}
