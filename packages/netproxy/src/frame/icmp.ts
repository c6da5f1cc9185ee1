/**
 * ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) messages: parse with checksum verification (ICMPv6 over
 * its pseudo header) and write messages with checksums. Echo and destination-unreachable helpers.
 */
import { internetChecksum, pseudoHeaderSum } from "./checksum.js";
import { IPPROTO } from "./ipv4.js";

/** ICMPv4 types used here. */
export const ICMP4 = { ECHO_REPLY: 0, DEST_UNREACH: 3, ECHO_REQUEST: 8 } as const;
/** ICMPv6 types used here. */
export const ICMP6 = {
  DEST_UNREACH: 1,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
} as const;

/** A parsed ICMP message; `body` is everything after the 4-byte type/code/checksum. */
export interface IcmpMessage {
  readonly type: number;
  readonly code: number;
  readonly body: Uint8Array;
}

/** Parse an ICMPv4 message, verifying its checksum. */
export function parseIcmpv4(b: Uint8Array): IcmpMessage | "truncated" | "checksum" {
  if (b.length < 8) return "truncated";
  if (internetChecksum(b, 0, b.length) !== 0) return "checksum";
  return { type: b[0]!, code: b[1]!, body: b.subarray(4) };
}

/** Parse an ICMPv6 message between `src` and `dst`, verifying the pseudo-header checksum. */
export function parseIcmpv6(b: Uint8Array, src: Uint8Array, dst: Uint8Array): IcmpMessage | "truncated" | "checksum" {
  if (b.length < 4) return "truncated";
  if (internetChecksum(b, 0, b.length, pseudoHeaderSum(src, dst, IPPROTO.ICMPV6, b.length)) !== 0) return "checksum";
  return { type: b[0]!, code: b[1]!, body: b.subarray(4) };
}

/**
 * Write an ICMP message (type, code, body) at `off` and fill its checksum: plain for ICMPv4
 * (`pseudo` omitted), over the IPv6 pseudo header when `pseudo` is given. Returns the end offset.
 */
export function writeIcmp(
  buf: Uint8Array,
  off: number,
  type: number,
  code: number,
  body: Uint8Array,
  pseudo?: { src: Uint8Array; dst: Uint8Array },
): number {
  const len = 4 + body.length;
  buf[off] = type;
  buf[off + 1] = code;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf.set(body, off + 4);
  const acc = pseudo ? pseudoHeaderSum(pseudo.src, pseudo.dst, IPPROTO.ICMPV6, len) : 0;
  const c = internetChecksum(buf, off, len, acc);
  buf[off + 2] = c >>> 8;
  buf[off + 3] = c & 0xff;
  return off + len;
}

/** Identifier and sequence of an echo request/reply body. */
export function echoIdSeq(body: Uint8Array): { id: number; seq: number } | null {
  if (body.length < 4) return null;
  return { id: (body[0]! << 8) | body[1]!, seq: (body[2]! << 8) | body[3]! };
}
