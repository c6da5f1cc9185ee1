/** Shared by the stream codec and arena tests: a seeded PRNG and recognisable frames. */

/** Deterministic PRNG so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A frame of `len` bytes whose content depends on `tag` and the position. */
export function frame(len: number, tag: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (tag * 31 + i * 7) & 0xff;
  return f;
}
