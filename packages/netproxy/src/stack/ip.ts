/**
 * Address helpers for the stack: IPv4/IPv6 text <-> bytes, compact keys, and conversion to the
 * `IpAddr` shape that @sandbox/core's policy evaluator takes.
 */
import { formatIpv6, parseIpv4Number, parseIpv6Bytes as coreParseIpv6Bytes, type IpAddr } from "@sandbox/core";

// Text parsing and formatting are @sandbox/core's (one implementation); this module adapts them
// to the byte arrays the frame codecs work on.

/** Parse a dotted-quad IPv4 address (exactly four decimal octets) into 4 bytes. */
export function parseIpv4Bytes(s: string): Uint8Array | null {
  const n = parseIpv4Number(s);
  return n === undefined ? null : Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Parse an IPv6 address (with `::` compression and an optional dotted-quad tail) into 16 bytes. */
export function parseIpv6Bytes(s: string): Uint8Array | null {
  return coreParseIpv6Bytes(s) ?? null;
}

/** Parse an IPv4 or IPv6 address into 4 or 16 bytes. */
export function parseIpBytes(s: string): Uint8Array | null {
  return s.includes(":") ? parseIpv6Bytes(s) : parseIpv4Bytes(s);
}

/** Format 4 or 16 address bytes as text (RFC 5952 for IPv6). */
export function formatIpBytes(b: Uint8Array): string {
  return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : formatIpv6(b);
}

/** Compare two address byte arrays. */
export function ipEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Convert address bytes into core's `IpAddr` (copies). */
export function toIpAddr(b: Uint8Array): IpAddr {
  if (b.length === 4) return { family: 4, v4: ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 };
  return { family: 6, v6: Uint8Array.from(b) };
}

/** Convert core's `IpAddr` into 4 or 16 bytes. */
export function fromIpAddr(a: IpAddr): Uint8Array {
  if (a.family === 4) return Uint8Array.of(a.v4 >>> 24, (a.v4 >>> 16) & 0xff, (a.v4 >>> 8) & 0xff, a.v4 & 0xff);
  return Uint8Array.from(a.v6);
}

/** A compact string key for an address (used in flow tables). */
export function ipKey(b: Uint8Array): string {
  return b.length === 4 ? String(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) : Buffer.from(b).toString("hex");
}

/** True for IPv4 addresses in 127.0.0.0/8 or the IPv6 loopback ::1. */
export function isLoopbackBytes(b: Uint8Array): boolean {
  if (b.length === 4) return b[0] === 127;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1;
}
