/**
 * IP addresses in a parsed, allocation-light form: strict parsing (no legacy short forms),
 * RFC 5952 formatting, byte conversion and IPv4-mapped IPv6 handling.
 */

/** An IPv4 address as an unsigned 32-bit integer, or an IPv6 address as 16 bytes. */
export type IpAddr =
  | { readonly family: 4; readonly v4: number }
  | { readonly family: 6; readonly v6: Uint8Array };

/** Builds an IPv4 address from its uint32 value (masked to 32 bits). */
export function ipv4(v4: number): IpAddr {
  return { family: 4, v4: v4 >>> 0 };
}

/** Parses a strict dotted-quad IPv4 address (no leading zeros, no short forms) into a uint32. */
export function parseIpv4Number(s: string): number | undefined {
  let value = 0;
  let parts = 0;
  let i = 0;
  const n = s.length;
  while (parts < 4) {
    const start = i;
    let octet = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
      if (i - start > 3) return undefined;
    }
    const len = i - start;
    if (len === 0 || octet > 255) return undefined;
    if (len > 1 && s.charCodeAt(start) === 48) return undefined; // leading zero
    value = value * 256 + octet;
    parts++;
    if (parts < 4) {
      if (i >= n || s.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === n ? value >>> 0 : undefined;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses an IPv6 address (with optional `::` and trailing dotted IPv4; no zone id) into 16 bytes. */
export function parseIpv6Bytes(s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  const n = s.length;
  if (s.startsWith("::")) {
    gap = 0;
    i = 2;
    if (i === n) return new Uint8Array(16);
  } else if (s.charCodeAt(0) === 58) {
    return undefined;
  }
  let tailV4: number | undefined;
  while (i < n) {
    // Is the remainder a dotted IPv4?
    const rest = s.slice(i);
    if (rest.includes(".") && !rest.includes(":")) {
      const v4 = parseIpv4Number(rest);
      if (v4 === undefined) return undefined;
      tailV4 = v4;
      i = n;
      break;
    }
    let val = 0;
    let len = 0;
    while (i < n) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      val = val * 16 + h;
      len++;
      i++;
      if (len > 4) return undefined;
    }
    if (len === 0) return undefined;
    groups.push(val);
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return undefined; // trailing single colon
    }
  }
  const words = groups.length + (tailV4 === undefined ? 0 : 2);
  if (gap < 0 ? words !== 8 : words > 7) return undefined;
  const out = new Uint8Array(16);
  const all = tailV4 === undefined ? groups : [...groups, tailV4 >>> 16, tailV4 & 0xffff];
  const headCount = gap < 0 ? all.length : gap;
  for (let g = 0; g < headCount; g++) {
    out[g * 2] = (all[g]! >> 8) & 0xff;
    out[g * 2 + 1] = all[g]! & 0xff;
  }
  if (gap >= 0) {
    const tail = all.length - gap;
    for (let t = 0; t < tail; t++) {
      const g = 8 - tail + t;
      out[g * 2] = (all[gap + t]! >> 8) & 0xff;
      out[g * 2 + 1] = all[gap + t]! & 0xff;
    }
  }
  return out;
}

/**
 * Parses an IP address strictly: dotted-quad IPv4 without leading zeros or short forms
 * (`10.1` is rejected) or an IPv6 address (`[...]` brackets and zone ids are rejected).
 */
export function parseIp(s: string): IpAddr | undefined {
  if (s.includes(":")) {
    const b = parseIpv6Bytes(s);
    return b === undefined ? undefined : { family: 6, v6: b };
  }
  const v4 = parseIpv4Number(s);
  return v4 === undefined ? undefined : { family: 4, v4 };
}

/** Formats a uint32 as dotted-quad IPv4. */
export function formatIpv4(v4: number): string {
  return `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
}

/** True when the 16 bytes are an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`). */
export function isMappedV6(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The embedded IPv4 of a mapped address, as a uint32 (caller checks {@link isMappedV6}). */
export function mappedV4(b: Uint8Array): number {
  return ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
}

/** Formats 16 bytes as IPv6 text per RFC 5952 (mapped addresses as `::ffff:a.b.c.d`). */
export function formatIpv6(b: Uint8Array): string {
  if (isMappedV6(b)) return `::ffff:${formatIpv4(mappedV4(b))}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestLen = j - i;
      bestStart = i;
    }
    i = j;
  }
  if (bestLen < 2) return w.map((x) => x.toString(16)).join(":");
  const head = w.slice(0, bestStart).map((x) => x.toString(16)).join(":");
  const tail = w.slice(bestStart + bestLen).map((x) => x.toString(16)).join(":");
  return `${head}::${tail}`;
}

/** Formats an address: dotted-quad for IPv4, RFC 5952 for IPv6. */
export function formatIp(a: IpAddr): string {
  return a.family === 4 ? formatIpv4(a.v4) : formatIpv6(a.v6);
}

/** Builds an address from 4 or 16 network-order bytes (the bytes are copied). */
export function ipFromBytes(b: Uint8Array): IpAddr {
  if (b.length === 4) return { family: 4, v4: ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 };
  if (b.length === 16) return { family: 6, v6: Uint8Array.from(b) };
  throw new RangeError(`ipFromBytes: expected 4 or 16 bytes, got ${b.length}`);
}

/** Network-order bytes of an address (4 or 16 bytes, freshly allocated). */
export function ipToBytes(a: IpAddr): Uint8Array {
  if (a.family === 6) return Uint8Array.from(a.v6);
  return Uint8Array.of(a.v4 >>> 24, (a.v4 >>> 16) & 255, (a.v4 >>> 8) & 255, a.v4 & 255);
}

/** Collapses an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) to IPv4; other addresses unchanged. */
export function unmapIp(a: IpAddr): IpAddr {
  if (a.family === 6 && isMappedV6(a.v6)) return { family: 4, v4: mappedV4(a.v6) };
  return a;
}

/** Address equality after mapped-IPv6 collapse. */
export function ipEquals(a: IpAddr, b: IpAddr): boolean {
  const x = unmapIp(a);
  const y = unmapIp(b);
  if (x.family === 4) return y.family === 4 && x.v4 === y.v4;
  if (y.family !== 6) return false;
  for (let i = 0; i < 16; i++) if (x.v6[i] !== y.v6[i]) return false;
  return true;
}
