/**
 * IPv6 headers (RFC 8200): parse the fixed header and walk extension headers (hop-by-hop, routing,
 * destination options, fragment) to the upper layer; write a 40-byte fixed header.
 */

/** Length of the IPv6 fixed header. */
export const IPV6_HEADER_LEN = 40;

/** Fragment header information (RFC 8200 §4.5). */
export interface Ipv6Fragment {
  readonly offset: number;
  readonly moreFragments: boolean;
  readonly id: number;
}

/** A parsed IPv6 packet; `payload` is the upper-layer part after all extension headers. */
export interface Ipv6Packet {
  readonly payloadLen: number;
  readonly hopLimit: number;
  /** The upper-layer protocol after extension headers. */
  readonly nextHeader: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly payload: Uint8Array;
  readonly fragment: Ipv6Fragment | null;
}

/** Why an IPv6 packet was rejected. */
export type Ipv6Error = "truncated" | "version" | "payload-length" | "extension-header";

const EXT_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_DSTOPTS = 60;

/** Parse an IPv6 packet and its extension-header chain. */
export function parseIpv6(b: Uint8Array): Ipv6Packet | Ipv6Error {
  if (b.length < IPV6_HEADER_LEN) return "truncated";
  if (b[0]! >>> 4 !== 6) return "version";
  const payloadLen = (b[4]! << 8) | b[5]!;
  if (IPV6_HEADER_LEN + payloadLen > b.length) return "payload-length";
  const end = IPV6_HEADER_LEN + payloadLen;
  let next = b[6]!;
  let off = IPV6_HEADER_LEN;
  let fragment: Ipv6Fragment | null = null;
  for (let guard = 0; guard < 8; guard++) {
    if (next === EXT_HOP || next === EXT_ROUTING || next === EXT_DSTOPTS) {
      if (off + 8 > end) return "extension-header";
      const len = (b[off + 1]! + 1) * 8;
      if (off + len > end) return "extension-header";
      next = b[off]!;
      off += len;
    } else if (next === EXT_FRAGMENT) {
      if (off + 8 > end || fragment) return "extension-header";
      const fo = (b[off + 2]! << 8) | b[off + 3]!;
      fragment = {
        offset: fo & 0xfff8,
        moreFragments: (fo & 1) === 1,
        id: ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0,
      };
      next = b[off]!;
      off += 8;
    } else {
      return {
        payloadLen,
        hopLimit: b[7]!,
        nextHeader: next,
        src: b.subarray(8, 24),
        dst: b.subarray(24, 40),
        payload: b.subarray(off, end),
        fragment,
      };
    }
  }
  return "extension-header";
}

/** Write a 40-byte IPv6 fixed header at `off`. Returns the offset after it. */
export function writeIpv6Header(
  buf: Uint8Array,
  off: number,
  f: { src: Uint8Array; dst: Uint8Array; nextHeader: number; payloadLen: number; hopLimit?: number },
): number {
  buf[off] = 0x60;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = f.payloadLen >>> 8;
  buf[off + 5] = f.payloadLen & 0xff;
  buf[off + 6] = f.nextHeader;
  buf[off + 7] = f.hopLimit ?? 64;
  buf.set(f.src.subarray(0, 16), off + 8);
  buf.set(f.dst.subarray(0, 16), off + 24);
  return off + IPV6_HEADER_LEN;
}
