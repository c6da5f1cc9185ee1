/**
 * Structure-blind byte mutators applied on top of structure-aware seeds: bit flips, interesting
 * values, length-field lies (u8/u16/u24/u32 set to boundary or huge values), truncation, random
 * extension, insertion/deletion, block duplication and splicing with another seed.
 */
import type { Rng } from "./rng.js";

const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x3f, 0x40, 0xc0, 0x10, 0x20];
const INTERESTING16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x05dc, 0x0800];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 0x1000000, 0x00ffffff];

/** One mutation step. `others` supplies splice partners. */
function mutateOnce(rng: Rng, b: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  const n = b.length;
  switch (rng.int(12)) {
    case 0: // bit flip
      if (n) b[rng.int(n)]! ^= 1 << rng.int(8);
      return b;
    case 1: // random byte
      if (n) b[rng.int(n)] = rng.u32() & 0xff;
      return b;
    case 2: // interesting byte
      if (n) b[rng.int(n)] = rng.pick(INTERESTING8);
      return b;
    case 3: {
      // u16 length lie
      if (n < 2) return b;
      const o = rng.int(n - 1);
      const v = rng.chance(0.5) ? rng.pick(INTERESTING16) : (((b[o]! << 8) | b[o + 1]!) + rng.range(-4, 4)) & 0xffff;
      b[o] = v >>> 8;
      b[o + 1] = v & 0xff;
      return b;
    }
    case 4: {
      // u24/u32 length lie
      if (n < 4) return b;
      const o = rng.int(n - 3);
      const v = rng.pick(INTERESTING32);
      if (rng.chance(0.5)) {
        b[o] = v >>> 24;
        b[o + 1] = (v >>> 16) & 0xff;
        b[o + 2] = (v >>> 8) & 0xff;
        b[o + 3] = v & 0xff;
      } else {
        b[o] = (v >>> 16) & 0xff;
        b[o + 1] = (v >>> 8) & 0xff;
        b[o + 2] = v & 0xff;
      }
      return b;
    }
    case 5: // truncate
      return b.subarray(0, rng.int(n + 1));
    case 6: {
      // extend with random bytes
      const extra = rng.bytes(rng.smallLen(64));
      const out = new Uint8Array(n + extra.length);
      out.set(b);
      out.set(extra, n);
      return out;
    }
    case 7: {
      // delete a block
      if (!n) return b;
      const o = rng.int(n);
      const len = rng.range(1, Math.min(16, n - o));
      const out = new Uint8Array(n - len);
      out.set(b.subarray(0, o));
      out.set(b.subarray(o + len), o);
      return out;
    }
    case 8: {
      // insert random bytes
      const o = rng.int(n + 1);
      const ins = rng.bytes(rng.range(1, 16));
      const out = new Uint8Array(n + ins.length);
      out.set(b.subarray(0, o));
      out.set(ins, o);
      out.set(b.subarray(o), o + ins.length);
      return out;
    }
    case 9: {
      // duplicate a block in place (repeated options/extensions/records)
      if (!n) return b;
      const o = rng.int(n);
      const len = rng.range(1, Math.min(64, n - o));
      const out = new Uint8Array(n + len);
      out.set(b.subarray(0, o + len));
      out.set(b.subarray(o, o + len), o + len);
      out.set(b.subarray(o + len), o + 2 * len);
      return out;
    }
    case 10: {
      // splice: our head, another seed's tail
      if (!others.length) return b;
      const other = rng.pick(others);
      const cut = rng.int(n + 1);
      const from = rng.int(other.length + 1);
      const out = new Uint8Array(cut + other.length - from);
      out.set(b.subarray(0, cut));
      out.set(other.subarray(from), cut);
      return out;
    }
    default: {
      // overwrite a block with a copy of another part of the input
      if (n < 2) return b;
      const src = rng.int(n);
      const dst = rng.int(n);
      const len = rng.range(1, Math.min(16, n - Math.max(src, dst)));
      b.copyWithin(dst, src, src + len);
      return b;
    }
  }
}

/** A mutated copy of `seed` (1–8 stacked mutations); the seed itself is never modified. */
export function mutate(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[] = [], maxLen = 1 << 17): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  const rounds = 1 + rng.int(rng.chance(0.7) ? 3 : 8);
  for (let i = 0; i < rounds; i++) b = mutateOnce(rng, b, others);
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

/** Split `b` into 1..n random chunks (for incremental decoders). */
export function chunks(rng: Rng, b: Uint8Array, maxPieces = 8): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  const pieces = 1 + rng.int(maxPieces);
  for (let i = 0; i < pieces - 1 && p < b.length; i++) {
    const len = rng.chance(0.3) ? rng.range(0, 4) : rng.int(b.length - p + 1);
    out.push(b.subarray(p, p + len));
    p += len;
  }
  out.push(b.subarray(p));
  return out;
}

/** Concatenate byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
