/**
 * Address helpers for the stack: IPv4/IPv6 text <-> bytes, compact keys, and conversion to the
 * `IpAddr` shape that @sandbox/core's policy evaluator takes.
 */
import type { IpAddr } from "@sandbox/core";

/** Parse a dotted-quad IPv4 address (exactly four decimal octets). */
export function parseIpv4Bytes(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** Parse an IPv6 address (with `::` compression and an optional dotted-quad tail). */
export function parseIpv6Bytes(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 45) return null;
  const dbl = s.indexOf("::");
  if (dbl !== -1 && s.indexOf("::", dbl + 1) !== -1) return null;
  const parseSide = (side: string): number[] | null => {
    if (side === "") return [];
    const groups = side.split(":");
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIpv4Bytes(g);
        if (!v4) return null;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  let words: number[];
  if (dbl === -1) {
    const w = parseSide(s);
    if (!w || w.length !== 8) return null;
    words = w;
  } else {
    const head = parseSide(s.slice(0, dbl));
    const tail = parseSide(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >>> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

/** Parse an IPv4 or IPv6 address into 4 or 16 bytes. */
export function parseIpBytes(s: string): Uint8Array | null {
  return s.includes(":") ? parseIpv6Bytes(s) : parseIpv4Bytes(s);
}

/** Format 4 or 16 address bytes as text (RFC 5952 for IPv6). */
export function formatIpBytes(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((x) => x.toString(16)).join(":");
  if (bestStart === -1) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
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
