/**
 * The parts of Go's `net/netip` nerdbox relies on, ported byte for byte (current Go, checked
 * against Go 1.26): `ParseAddr`, `ParsePrefix` with their error texts, `Addr.String` (RFC 5952 for
 * IPv6, `::ffff:a.b.c.d` for IPv4-mapped), `Prefix.Masked` and `Addr.Next`.
 */
import { goQuote, utf8, bytesToString } from "./quote.js";
import { GoError } from "./strconv.js";

/** A parsed IP address: IPv4 (`is4`, 32-bit value) or IPv6 (128-bit value, optional zone). */
export interface Addr {
  /** True for an IPv4 address (Go `Is4()`); IPv4-mapped IPv6 addresses are not IPv4. */
  readonly is4: boolean;
  /** The address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint;
  /** IPv6 zone (`%eth0`), empty when none. */
  readonly zone: string;
}

/** A parsed prefix: the address as written (host bits kept) and the prefix length. */
export interface Prefix {
  /** The address, host bits not cleared (Go keeps them). */
  readonly addr: Addr;
  /** Prefix length in bits. */
  readonly bits: number;
}

const MAX128 = (1n << 128n) - 1n;

function addrError(inB: Uint8Array, msg: string, at?: Uint8Array): GoError {
  let s = `ParseAddr(${goQuote(inB)}): ${msg}`;
  if (at !== undefined && at.length > 0) s += ` (at ${goQuote(at)})`;
  return new GoError(s);
}

/** Parse IPv4 dotted decimal fields of in[off:end] into `fields` (Go parseIPv4Fields). */
function parseIPv4Fields(inB: Uint8Array, off: number, end: number, fields: number[]): void {
  let val = 0;
  let pos = 0;
  let digLen = 0;
  const s = inB.subarray(off, end);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (digLen === 1 && val === 0) throw addrError(inB, "IPv4 field has octet with leading zero");
      val = val * 10 + (c - 0x30);
      digLen++;
      if (val > 255) throw addrError(inB, "IPv4 field has value >255");
    } else if (c === 0x2e) {
      if (i === 0 || i === s.length - 1 || s[i - 1] === 0x2e) {
        throw addrError(inB, "IPv4 field must have at least one digit", s.subarray(i));
      }
      if (pos === 3) throw addrError(inB, "IPv4 address too long");
      fields[pos] = val;
      pos++;
      val = 0;
      digLen = 0;
    } else {
      throw addrError(inB, "unexpected character", s.subarray(i));
    }
  }
  if (pos < 3) throw addrError(inB, "IPv4 address too short");
  fields[3] = val;
}

function parseIPv4(inB: Uint8Array): Addr {
  const f = [0, 0, 0, 0];
  parseIPv4Fields(inB, 0, inB.length, f);
  return { is4: true, value: BigInt(((f[0]! << 24) >>> 0) + (f[1]! << 16) + (f[2]! << 8) + f[3]!), zone: "" };
}

function parseIPv6(inB: Uint8Array): Addr {
  let s: Uint8Array = inB;
  let zone: Uint8Array = new Uint8Array(0);
  const pct = s.indexOf(0x25);
  if (pct !== -1) {
    zone = s.subarray(pct + 1);
    s = s.subarray(0, pct);
    if (zone.length === 0) throw addrError(inB, "zone must be a non-empty string");
  }
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  if (s.length >= 2 && s[0] === 0x3a && s[1] === 0x3a) {
    ellipsis = 0;
    s = s.subarray(2);
    if (s.length === 0) return { is4: false, value: 0n, zone: bytesToString(zone) };
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const c = s[off]!;
      if (c >= 0x30 && c <= 0x39) acc = acc * 16 + (c - 0x30);
      else if (c >= 0x61 && c <= 0x66) acc = acc * 16 + (c - 0x61 + 10);
      else if (c >= 0x41 && c <= 0x46) acc = acc * 16 + (c - 0x41 + 10);
      else break;
      if (off > 3) throw addrError(inB, "each group must have 4 or less digits", s);
      if (acc > 0xffff) throw addrError(inB, "IPv6 field has value >=2^16", s);
    }
    if (off === 0) throw addrError(inB, "each colon-separated field must have at least one digit", s);
    if (off < s.length && s[off] === 0x2e) {
      if (ellipsis < 0 && i !== 12) {
        throw addrError(inB, "embedded IPv4 address must replace the final 2 fields of the address", s);
      }
      if (i + 4 > 16) {
        throw addrError(inB, "too many hex fields to fit an embedded IPv4 at the end of the address", s);
      }
      let end = inB.length;
      if (zone.length > 0) end -= zone.length + 1;
      const f = [0, 0, 0, 0];
      parseIPv4Fields(inB, end - s.length, end, f);
      ip.set(f, i);
      s = new Uint8Array(0);
      i += 4;
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.subarray(off);
    if (s.length === 0) break;
    if (s[0] !== 0x3a) throw addrError(inB, "unexpected character, want colon", s);
    if (s.length === 1) throw addrError(inB, "colon must be followed by more characters", s);
    s = s.subarray(1);
    if (s[0] === 0x3a) {
      if (ellipsis >= 0) throw addrError(inB, "multiple :: in address", s);
      ellipsis = i;
      s = s.subarray(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) throw addrError(inB, "trailing garbage after address", s);
  if (i < 16) {
    if (ellipsis < 0) throw addrError(inB, "address string too short");
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j]!;
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    throw addrError(inB, "the :: must expand to at least one field of zeros");
  }
  let value = 0n;
  for (const byte of ip) value = (value << 8n) | BigInt(byte);
  return { is4: false, value, zone: bytesToString(zone) };
}

function parseAddrBytes(b: Uint8Array): Addr {
  for (const c of b) {
    if (c === 0x2e) return parseIPv4(b);
    if (c === 0x3a) return parseIPv6(b);
    if (c === 0x25) throw addrError(b, "missing IPv6 address");
  }
  throw addrError(b, "unable to parse IP");
}

/**
 * Go `netip.ParseAddr`.
 * @throws GoError e.g. `ParseAddr("1.2.3"): IPv4 address too short`.
 */
export function parseAddr(s: string): Addr {
  return parseAddrBytes(utf8(s));
}

/**
 * Go `netip.ParsePrefix`: CIDR required, host bits kept, no zones, no sign or leading zero in the length.
 * @throws GoError e.g. `netip.ParsePrefix("10.0.0.1"): no '/'`.
 */
export function parsePrefix(s: string): Prefix {
  const b = utf8(s);
  const fail = (msg: string) => new GoError(`netip.ParsePrefix(${goQuote(b)}): ${msg}`);
  const slash = b.lastIndexOf(0x2f);
  if (slash < 0) throw fail("no '/'");
  let addr: Addr;
  try {
    addr = parseAddrBytes(b.subarray(0, slash));
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (!addr.is4 && addr.zone !== "") throw fail("IPv6 zones cannot be present in a prefix");
  const bitsB = b.subarray(slash + 1);
  const bad = () => fail(`bad bits after slash: ${goQuote(bitsB)}`);
  if (bitsB.length > 1 && (bitsB[0]! < 0x31 || bitsB[0]! > 0x39)) throw bad();
  // strconv.Atoi: optional sign, then decimal digits, no overflow of int64.
  let k = 0;
  let neg = false;
  if (bitsB.length > 0 && (bitsB[0] === 0x2b || bitsB[0] === 0x2d)) {
    neg = bitsB[0] === 0x2d;
    k = 1;
  }
  if (k >= bitsB.length) throw bad();
  let v = 0n;
  for (; k < bitsB.length; k++) {
    const c = bitsB[k]!;
    if (c < 0x30 || c > 0x39) throw bad();
    v = v * 10n + BigInt(c - 0x30);
  }
  if (neg) v = -v;
  if (v > 9223372036854775807n || v < -9223372036854775808n) throw bad();
  const maxBits = addr.is4 ? 32n : 128n;
  if (v < 0n || v > maxBits) throw fail("prefix length out of range");
  return { addr, bits: Number(v) };
}

function string4(v: bigint): string {
  const n = Number(v);
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

/** Go `Addr.String`. */
export function addrString(a: Addr): string {
  if (a.is4) return string4(a.value);
  const zone = a.zone ? `%${a.zone}` : "";
  if (a.value >> 32n === 0xffffn) return `::ffff:${string4(a.value & 0xffffffffn)}${zone}`;
  const groups: number[] = [];
  for (let g = 7; g >= 0; g--) groups.push(Number((a.value >> BigInt(16 * g)) & 0xffffn));
  let zs = 255;
  let ze = 255;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    const l = j - i;
    if (l >= 2 && l > ze - zs) {
      zs = i;
      ze = j;
    }
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === zs) {
      out += "::";
      i = ze;
      if (i >= 8) break;
    } else if (i > 0) {
      out += ":";
    }
    out += groups[i]!.toString(16);
  }
  return out + zone;
}

/** Go `Prefix.String`: the address as written, a slash, the length. */
export function prefixString(p: Prefix): string {
  return `${addrString(p.addr)}/${p.bits}`;
}

/** Go `Prefix.Masked`: the network address (host bits cleared, zone dropped). */
export function prefixMasked(p: Prefix): Prefix {
  const width = p.addr.is4 ? 32n : 128n;
  const all = p.addr.is4 ? 0xffffffffn : MAX128;
  const mask = (all >> (width - BigInt(p.bits))) << (width - BigInt(p.bits));
  return { addr: { is4: p.addr.is4, value: p.addr.value & mask & all, zone: "" }, bits: p.bits };
}

/** Go `Addr.Next`: the following address, or null when it wraps around (Go's invalid Addr). */
export function addrNext(a: Addr): Addr | null {
  const max = a.is4 ? 0xffffffffn : MAX128;
  if (a.value === max) return null;
  return { ...a, value: a.value + 1n };
}
