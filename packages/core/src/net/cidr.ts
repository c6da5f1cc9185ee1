/**
 * CIDR networks: parsing (`a.b.c.d/n`, `v6/n`, a bare address = full-length prefix), formatting
 * and containment. Host bits may be set (they are masked when testing containment), as the
 * upstream `ipnetwork` parser allows.
 */
import { formatIp, parseIp, type IpAddr } from "./ip.js";

/** A parsed CIDR: the address as written plus its prefix length. */
export type Cidr =
  | { readonly family: 4; readonly v4: number; readonly prefix: number }
  | { readonly family: 6; readonly v6: Uint8Array; readonly prefix: number };

/** Mask of the top `prefix` bits of a uint32 (0 for /0). */
export function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses `addr/prefix` or a bare address (-> /32 or /128). Returns an error string saying what
 * was wrong, or the CIDR.
 */
export function parseCidr(s: string): Cidr | { error: string } {
  const slash = s.indexOf("/");
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const addr = parseIp(addrText);
  if (addr === undefined) return { error: `invalid CIDR \`${s}\`: \`${addrText}\` is not an IPv4 or IPv6 address` };
  const max = addr.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) {
      return { error: `invalid CIDR \`${s}\`: prefix must be an integer 0..${max}` };
    }
    prefix = Number(p);
  }
  return addr.family === 4 ? { family: 4, v4: addr.v4, prefix } : { family: 6, v6: addr.v6, prefix };
}

/** Formats a CIDR as `addr/prefix`. */
export function formatCidr(c: Cidr): string {
  const a: IpAddr = c.family === 4 ? { family: 4, v4: c.v4 } : { family: 6, v6: c.v6 };
  return `${formatIp(a)}/${c.prefix}`;
}

/** True when `a` lies in `c`. Families must agree (no mapped-address magic here). */
export function cidrContains(c: Cidr, a: IpAddr): boolean {
  if (c.family === 4) {
    if (a.family !== 4) return false;
    const m = v4Mask(c.prefix);
    return ((a.v4 & m) >>> 0) === ((c.v4 & m) >>> 0);
  }
  if (a.family !== 6) return false;
  return bytesPrefixEqual(c.v6, a.v6, c.prefix);
}

/** True when the first `bits` bits of two byte arrays agree. */
export function bytesPrefixEqual(x: Uint8Array, y: Uint8Array, bits: number): boolean {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (x[i] !== y[i]) return false;
  const rem = bits & 7;
  if (rem === 0) return true;
  const m = (0xff << (8 - rem)) & 0xff;
  return ((x[full]! ^ y[full]!) & m) === 0;
}

/** True when network `inner` is contained in network `outer` (same family, prefix >=, same bits). */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  if (outer.family === 4 && inner.family === 4) {
    const m = v4Mask(outer.prefix);
    return ((outer.v4 & m) >>> 0) === ((inner.v4 & m) >>> 0);
  }
  if (outer.family === 6 && inner.family === 6) return bytesPrefixEqual(outer.v6, inner.v6, outer.prefix);
  return false;
}
