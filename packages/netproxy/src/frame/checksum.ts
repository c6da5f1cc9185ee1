/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums that TCP, UDP and ICMPv6 fold in.
 * Sums are kept as unfolded 32-bit-safe accumulators and folded once at the end.
 */

import { instantiateSimdChecksum, SIMD_CHUNK, type SimdChecksum } from "./checksum-simd.js";

function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/** Byte-wise sum of big-endian 16-bit words (any alignment). */
function sumBytes(buf: Uint8Array, off: number, len: number): number {
  let sum = 0;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** Inputs at least this long go through the SIMD kernel (below it, the copy costs more than it saves). */
const SIMD_MIN = 128;
let simd: SimdChecksum | null = null;

/**
 * Add the bytes `buf[off, off+len)` as big-endian 16-bit words to `acc` (odd tail padded with 0).
 * Long runs are copied into the WebAssembly kernel's memory and summed there with SIMD as
 * little-endian words (the one's-complement sum is byte-order independent, RFC 1071 §2(B): the
 * folded result is swapped back); the result is always an unfolded big-endian-word accumulator
 * below 2^53.
 */
export function sumWords(buf: Uint8Array, off: number, len: number, acc = 0): number {
  if (len < SIMD_MIN) return acc + sumBytes(buf, off, len);
  simd ??= instantiateSimdChecksum();
  let le = 0;
  let done = 0;
  // Whole 32-byte blocks through the kernel, chunk by chunk (even lengths keep the word phase).
  const bulk = len & ~31;
  while (done < bulk) {
    const n = Math.min(SIMD_CHUNK, bulk - done);
    simd.mem.set(buf.subarray(off + done, off + done + n), 0);
    le += simd.sum(n);
    done += n;
  }
  let folded = le;
  while (folded > 0xffff) folded = (folded % 0x10000) + Math.floor(folded / 0x10000);
  return acc + swap16(folded) + sumBytes(buf, off + done, len - done);
}

/** Fold an accumulator to 16 bits and take the one's complement: the value to put on the wire. */
export function foldChecksum(acc: number): number {
  let sum = acc;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum of `buf[off, off+len)`. A region that already holds its checksum yields 0. */
export function internetChecksum(buf: Uint8Array, off: number, len: number, acc = 0): number {
  return foldChecksum(sumWords(buf, off, len, acc));
}

/**
 * The pseudo-header sum for an upper-layer checksum: source and destination addresses (4 or 16
 * bytes each), the protocol number and the upper-layer length (RFC 793 / RFC 8200 §8.1).
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = sumWords(src, 0, src.length);
  sum = sumWords(dst, 0, dst.length, sum);
  sum += protocol;
  sum += (length >>> 16) + (length & 0xffff);
  return sum;
}
