/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums that TCP, UDP and ICMPv6 fold in.
 * Sums are kept as unfolded 32-bit-safe accumulators and folded once at the end.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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

/**
 * Add the bytes `buf[off, off+len)` as big-endian 16-bit words to `acc` (odd tail padded with 0).
 * Long, 4-byte-aligned even-offset runs are summed as native 32-bit words (the one's-complement
 * sum is byte-order independent, RFC 1071 §2(B)); the result is always an unfolded
 * big-endian-word accumulator below 2^53.
 */
export function sumWords(buf: Uint8Array, off: number, len: number, acc = 0): number {
  if (len < 64) return acc + sumBytes(buf, off, len);
  const abs = buf.byteOffset + off;
  const lead = (4 - (abs & 3)) & 3;
  if (lead & 1 || !LITTLE_ENDIAN) return acc + sumBytes(buf, off, len);
  // Leading 0 or 2 bytes to reach 4-byte alignment (even: word phase is preserved).
  let sum = sumBytes(buf, off, lead);
  const words = (len - lead) >>> 2;
  const u32 = new Uint32Array(buf.buffer, abs + lead, words);
  let wide = 0;
  for (let k = 0; k < words; k++) wide += u32[k]!;
  // Fold the little-endian 32-bit sum to 16 bits, then swap to big-endian word order.
  let folded = (wide % 0x10000) + Math.floor(wide / 0x10000);
  while (folded > 0xffff) folded = (folded & 0xffff) + (folded >>> 16);
  sum += swap16(folded);
  const done = lead + words * 4;
  sum += sumBytes(buf, off + done, len - done);
  return acc + sum;
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
