/**
 * IPv4 headers (RFC 791): parse with header-checksum verification and length checks, and write
 * option-less 20-byte headers with their checksum.
 */
import { internetChecksum } from "./checksum.js";

/** IP protocol numbers used by this stack. */
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, FRAGMENT_V6: 44 } as const;

/** Length of an IPv4 header without options. */
export const IPV4_HEADER_LEN = 20;

/** A parsed IPv4 packet; `payload` is a view limited to the header's total length. */
export interface Ipv4Packet {
  readonly headerLen: number;
  readonly totalLen: number;
  readonly id: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in bytes. */
  readonly fragOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly payload: Uint8Array;
}

/** Why an IPv4 packet was rejected. */
export type Ipv4Error = "truncated" | "version" | "header-length" | "total-length" | "checksum";

/**
 * Parse an IPv4 packet. Trailing bytes past `totalLen` (Ethernet padding) are ignored. With
 * `verifyChecksum` (default) a wrong header checksum rejects the packet.
 */
export function parseIpv4(b: Uint8Array, verifyChecksum = true): Ipv4Packet | Ipv4Error {
  if (b.length < IPV4_HEADER_LEN) return "truncated";
  if (b[0]! >>> 4 !== 4) return "version";
  const headerLen = (b[0]! & 0x0f) * 4;
  if (headerLen < IPV4_HEADER_LEN || headerLen > b.length) return "header-length";
  const totalLen = (b[2]! << 8) | b[3]!;
  if (totalLen < headerLen || totalLen > b.length) return "total-length";
  if (verifyChecksum && internetChecksum(b, 0, headerLen) !== 0) return "checksum";
  const flagsFrag = (b[6]! << 8) | b[7]!;
  return {
    headerLen,
    totalLen,
    id: (b[4]! << 8) | b[5]!,
    dontFragment: (flagsFrag & 0x4000) !== 0,
    moreFragments: (flagsFrag & 0x2000) !== 0,
    fragOffset: (flagsFrag & 0x1fff) * 8,
    ttl: b[8]!,
    protocol: b[9]!,
    src: b.subarray(12, 16),
    dst: b.subarray(16, 20),
    payload: b.subarray(headerLen, totalLen),
  };
}

/** Fields of an IPv4 header to write. */
export interface Ipv4HeaderFields {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly protocol: number;
  /** Payload length (excluding the 20-byte header). */
  readonly payloadLen: number;
  readonly id?: number;
  readonly ttl?: number;
  readonly dontFragment?: boolean;
}

/** Write a 20-byte IPv4 header with its checksum at `off`. Returns the offset after it. */
export function writeIpv4Header(buf: Uint8Array, off: number, f: Ipv4HeaderFields): number {
  const total = IPV4_HEADER_LEN + f.payloadLen;
  const id = f.id ?? 0;
  buf[off] = 0x45;
  buf[off + 1] = 0;
  buf[off + 2] = total >>> 8;
  buf[off + 3] = total & 0xff;
  buf[off + 4] = (id >>> 8) & 0xff;
  buf[off + 5] = id & 0xff;
  buf[off + 6] = f.dontFragment === false ? 0 : 0x40;
  buf[off + 7] = 0;
  buf[off + 8] = f.ttl ?? 64;
  buf[off + 9] = f.protocol;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  const sa = f.src;
  const da = f.dst;
  buf[off + 12] = sa[0]!;
  buf[off + 13] = sa[1]!;
  buf[off + 14] = sa[2]!;
  buf[off + 15] = sa[3]!;
  buf[off + 16] = da[0]!;
  buf[off + 17] = da[1]!;
  buf[off + 18] = da[2]!;
  buf[off + 19] = da[3]!;
  // Header checksum: ten big-endian words, folded.
  let sum = 0;
  for (let i = off; i < off + IPV4_HEADER_LEN; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c & 0xff;
  return off + IPV4_HEADER_LEN;
}
