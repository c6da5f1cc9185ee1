/** UDP (RFC 768): parse with optional checksum verification, and write headers with checksums. */
import { internetChecksum, pseudoHeaderSum } from "./checksum.js";
import { IPPROTO } from "./ipv4.js";

/** Length of a UDP header. */
export const UDP_HEADER_LEN = 8;

/** A parsed UDP datagram; `payload` is limited to the header's length field. */
export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** Why a UDP datagram was rejected. */
export type UdpError = "truncated" | "length" | "checksum";

/**
 * Parse a UDP datagram carried between `src` and `dst` (4- or 16-byte addresses). A zero checksum
 * means "none" for IPv4 and is rejected for IPv6 (RFC 8200 §8.1) when `verify` is on.
 */
export function parseUdp(b: Uint8Array, src: Uint8Array, dst: Uint8Array, verify = true): UdpDatagram | UdpError {
  if (b.length < UDP_HEADER_LEN) return "truncated";
  const len = (b[4]! << 8) | b[5]!;
  if (len < UDP_HEADER_LEN || len > b.length) return "length";
  const ck = (b[6]! << 8) | b[7]!;
  if (verify) {
    if (ck === 0) {
      if (src.length === 16) return "checksum";
    } else if (internetChecksum(b, 0, len, pseudoHeaderSum(src, dst, IPPROTO.UDP, len)) !== 0) {
      return "checksum";
    }
  }
  return { srcPort: (b[0]! << 8) | b[1]!, dstPort: (b[2]! << 8) | b[3]!, payload: b.subarray(UDP_HEADER_LEN, len) };
}

/**
 * Write a UDP header at `off` for a payload already placed at `off + 8`, computing the checksum
 * over the pseudo header. Returns the offset after the datagram.
 */
export function writeUdpHeader(
  buf: Uint8Array,
  off: number,
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  payloadLen: number,
): number {
  const len = UDP_HEADER_LEN + payloadLen;
  buf[off] = srcPort >>> 8;
  buf[off + 1] = srcPort & 0xff;
  buf[off + 2] = dstPort >>> 8;
  buf[off + 3] = dstPort & 0xff;
  buf[off + 4] = len >>> 8;
  buf[off + 5] = len & 0xff;
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  let c = internetChecksum(buf, off, len, pseudoHeaderSum(src, dst, IPPROTO.UDP, len));
  if (c === 0) c = 0xffff;
  buf[off + 6] = c >>> 8;
  buf[off + 7] = c & 0xff;
  return off + len;
}
