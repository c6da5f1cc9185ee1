/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums that TCP, UDP and ICMPv6 fold in.
 * Sums are kept as unfolded 32-bit-safe accumulators and folded once at the end.
 */

/** Add the bytes `buf[off, off+len)` as big-endian 16-bit words to `acc` (odd tail padded with 0). */
export function sumWords(buf: Uint8Array, off: number, len: number, acc = 0): number {
  let sum = acc;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** Fold an accumulator to 16 bits and take the one's complement: the value to put on the wire. */
export function foldChecksum(acc: number): number {
  let sum = acc;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
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
