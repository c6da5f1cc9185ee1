/**
 * Destination-group classification (§1.4, D6): every address belongs to at most one group; mapped
 * IPv6 is collapsed to IPv4 first; `host` = the gateway address(es). Group codes are small integers
 * so the compiled evaluator can index arrays with them.
 */
import { isMappedV6, mappedV4, parseIp, type IpAddr } from "../net/ip.js";
import type { DestinationGroup, GatewayLike } from "./types.js";

/** Group names indexed by group code. */
export const GROUP_NAMES: readonly DestinationGroup[] = [
  "host",
  "metadata",
  "loopback",
  "private",
  "link_local",
  "multicast",
  "public",
];
/** Code returned for addresses in no group (unspecified `0.0.0.0` / `::`). */
export const GROUP_NONE = -1;

/** Code of a group name, or -1 for an unknown name. */
export function groupCode(g: string): number {
  return GROUP_NAMES.indexOf(g as DestinationGroup);
}

/** Gateway addresses parsed for fast comparison. */
export interface ParsedGateway {
  /** Gateway IPv4 as uint32, or -1 when the family is inactive. */
  readonly v4: number;
  /** Gateway IPv6 bytes, or null when the family is inactive. */
  readonly v6: Uint8Array | null;
}

/** Parses gateway address strings; throws with the field name when one is malformed. */
export function parseGateway(g: GatewayLike | undefined): ParsedGateway {
  let v4 = -1;
  let v6: Uint8Array | null = null;
  if (g?.ipv4 !== undefined) {
    const a = parseIp(g.ipv4);
    if (a === undefined || a.family !== 4) throw new Error(`gateway.ipv4: \`${g.ipv4}\` is not an IPv4 address`);
    v4 = a.v4;
  }
  if (g?.ipv6 !== undefined) {
    const a = parseIp(g.ipv6);
    if (a === undefined || a.family !== 6) throw new Error(`gateway.ipv6: \`${g.ipv6}\` is not an IPv6 address`);
    v6 = a.v6;
  }
  return { v4, v6 };
}

/** Group code of an IPv4 address given as uint32. */
export function classifyV4(a: number, gwV4: number): number {
  if (a === 0) return GROUP_NONE;
  if (a === gwV4) return 0;
  if (a === 0xa9fea9fe) return 1; // 169.254.169.254
  const o1 = a >>> 24;
  if (o1 === 127) return 2;
  if (o1 === 10) return 3;
  const o2 = (a >>> 16) & 255;
  if (o1 === 172 && (o2 & 0xf0) === 16) return 3;
  if (o1 === 192 && o2 === 168) return 3;
  if (o1 === 100 && (o2 & 0xc0) === 64) return 3;
  if (o1 === 169 && o2 === 254) return 4;
  if ((o1 & 0xf0) === 224) return 5;
  return 6;
}

/**
 * Group code of an IPv4 address given as its high and low 16-bit halves, with the gateway split
 * the same way (`gwHi` -1 = no IPv4 gateway). Every argument is a small integer, so calling it
 * from optimized code never boxes a number (the evaluator's allocation-free path).
 */
export function classifyV4Parts(hi: number, lo: number, gwHi: number, gwLo: number): number {
  if (hi === 0 && lo === 0) return GROUP_NONE;
  if (hi === gwHi && lo === gwLo) return 0;
  if (hi === 0xa9fe && lo === 0xa9fe) return 1; // 169.254.169.254
  const o1 = hi >>> 8;
  if (o1 === 127) return 2;
  if (o1 === 10) return 3;
  const o2 = hi & 255;
  if (o1 === 172 && (o2 & 0xf0) === 16) return 3;
  if (o1 === 192 && o2 === 168) return 3;
  if (o1 === 100 && (o2 & 0xc0) === 64) return 3;
  if (o1 === 169 && o2 === 254) return 4;
  if ((o1 & 0xf0) === 224) return 5;
  return 6;
}

/** Group code of a native (not mapped) IPv6 address. */
export function classifyV6(b: Uint8Array, gwV6: Uint8Array | null): number {
  let zero = true;
  for (let i = 0; i < 16; i++) {
    if (b[i] !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) return GROUP_NONE;
  if (gwV6 !== null) {
    let eq = true;
    for (let i = 0; i < 16; i++) {
      if (b[i] !== gwV6[i]) {
        eq = false;
        break;
      }
    }
    if (eq) return 0;
  }
  let loop = b[15] === 1;
  if (loop) for (let i = 0; i < 15; i++) if (b[i] !== 0) loop = false;
  if (loop) return 2;
  const b0 = b[0]!;
  if ((b0 & 0xfe) === 0xfc) return 3;
  if (b0 === 0xfe && (b[1]! & 0xc0) === 0x80) return 4;
  if (b0 === 0xff) return 5;
  return 6;
}

/** Group code of any address (mapped IPv6 collapsed first). */
export function classifyCode(ip: IpAddr, gw: ParsedGateway): number {
  if (ip.family === 4) return classifyV4(ip.v4, gw.v4);
  if (isMappedV6(ip.v6)) return classifyV4(mappedV4(ip.v6), gw.v4);
  return classifyV6(ip.v6, gw.v6);
}

/** Classifies an address into its destination group (§1.4), or `"none"` for unspecified addresses. */
export function classifyIp(ip: IpAddr, gateway: GatewayLike | ParsedGateway = {}): DestinationGroup | "none" {
  const gw = "v4" in gateway && typeof gateway.v4 === "number" ? (gateway as ParsedGateway) : parseGateway(gateway as GatewayLike);
  const c = classifyCode(ip, gw);
  return c < 0 ? "none" : GROUP_NAMES[c]!;
}
