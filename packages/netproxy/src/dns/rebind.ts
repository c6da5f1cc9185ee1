/**
 * Rebind protection (semantics §4.4): the exact reserved ranges an upstream answer may not carry
 * unless the policy's explicit address rules admit them, and the check over a whole answer.
 */
import type { IpAddr } from "@sandbox/core";

type V4Range = readonly [base: number, prefix: number];

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

/** IPv4 ranges that trip rebind protection. */
export const REBIND_V4: readonly V4Range[] = [
  [v4(0, 0, 0, 0), 8],
  [v4(127, 0, 0, 0), 8],
  [v4(10, 0, 0, 0), 8],
  [v4(172, 16, 0, 0), 12],
  [v4(192, 168, 0, 0), 16],
  [v4(100, 64, 0, 0), 10],
  [v4(169, 254, 0, 0), 16],
  [v4(192, 0, 0, 0), 24],
  [v4(192, 0, 2, 0), 24],
  [v4(192, 88, 99, 0), 24],
  [v4(198, 18, 0, 0), 15],
  [v4(198, 51, 100, 0), 24],
  [v4(203, 0, 113, 0), 24],
  [v4(224, 0, 0, 0), 4],
  [v4(240, 0, 0, 0), 4],
];

/** IPv6 ranges that trip rebind protection, as [16-byte prefix, prefix length]. */
const REBIND_V6: readonly (readonly [number[], number])[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128], // ::1
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 128], // ::
  [[0xff], 8],
  [[0xfc], 7],
  [[0xfe, 0x80], 10],
  [[0xfe, 0xc0], 10],
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // 100::/64
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48], // 64:ff9b:1::/48
  [[0x20, 0x01, 0x0d, 0xb8], 32],
  [[0x3f, 0xff], 20],
];

function v6InPrefix(b: Uint8Array, prefix: readonly number[], len: number): boolean {
  let bits = len;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((b[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function isMappedV4(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** True when `ip` lies in a §4.4 reserved range (IPv4-mapped IPv6 is judged by its IPv4 part). */
export function isRebindReserved(ip: IpAddr): boolean {
  let n: number;
  if (ip.family === 6) {
    const b = ip.v6;
    if (!isMappedV4(b)) return REBIND_V6.some(([p, l]) => v6InPrefix(b, p, l));
    n = ((b[12]! << 24) >>> 0) + (b[13]! << 16) + (b[14]! << 8) + b[15]!;
  } else {
    n = ip.v4 >>> 0;
  }
  for (const [base, prefix] of REBIND_V4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if (((n & mask) >>> 0) === base) return true;
  }
  return false;
}

/** Decides whether a reserved address is admitted (the policy's explicit rules, §1.8). */
export type RebindAdmitter = (ip: IpAddr) => boolean;

/**
 * The first offending address among `ips` (reserved and not admitted), or undefined when the
 * whole answer may pass.
 */
export function firstRebindOffender(ips: readonly IpAddr[], admits: RebindAdmitter): IpAddr | undefined {
  for (const ip of ips) if (isRebindReserved(ip) && !admits(ip)) return ip;
  return undefined;
}
