/**
 * Go's `net.ParseMAC` and `net.HardwareAddr.String`, byte for byte: the three notations
 * (`aa:bb:..`, `aa-bb-..`, `aabb.ccdd.eeff`), 6-, 8- (EUI-64) and 20-octet (IPoIB) lengths, and
 * the `net.AddrError` text `address <s>: invalid MAC address`.
 */
import { GoError } from "./strconv.js";
import { utf8 } from "./quote.js";

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Go's xtoi2: two hex digits at `off`, and if a third byte exists (within `end`) it must equal `sep`. */
function xtoi2(b: Uint8Array, off: number, end: number, sep: number): number {
  if (end - off > 2 && b[off + 2] !== sep) return -1;
  if (end - off < 2) {
    return -1;
  }
  const hi = hexDigit(b[off]!);
  const lo = hexDigit(b[off + 1]!);
  if (hi < 0 || lo < 0) return -1;
  return hi * 16 + lo;
}

function macError(s: string): GoError {
  // net.AddrError{Err: "invalid MAC address", Addr: s}.Error()
  return new GoError(s === "" ? "invalid MAC address" : `address ${s}: invalid MAC address`);
}

/**
 * Go `net.ParseMAC`.
 * @throws GoError `address <s>: invalid MAC address` (or `invalid MAC address` for the empty string).
 */
export function parseMAC(s: string): Uint8Array {
  const b = utf8(s);
  const len = b.length;
  if (len < 14) throw macError(s);
  if (b[2] === 0x3a || b[2] === 0x2d) {
    if ((len + 1) % 3 !== 0) throw macError(s);
    const n = (len + 1) / 3;
    if (n !== 6 && n !== 8 && n !== 20) throw macError(s);
    const hw = new Uint8Array(n);
    for (let x = 0, i = 0; i < n; i++) {
      const v = xtoi2(b, x, len, b[2]);
      if (v < 0) throw macError(s);
      hw[i] = v;
      x += 3;
    }
    return hw;
  }
  if (b[4] === 0x2e) {
    if ((len + 1) % 5 !== 0) throw macError(s);
    const n = (2 * (len + 1)) / 5;
    if (n !== 6 && n !== 8 && n !== 20) throw macError(s);
    const hw = new Uint8Array(n);
    for (let x = 0, i = 0; i < n; i += 2) {
      const a = xtoi2(b, x, x + 2, 0);
      const c = xtoi2(b, x + 2, len, b[4]);
      if (a < 0 || c < 0) throw macError(s);
      hw[i] = a;
      hw[i + 1] = c;
      x += 5;
    }
    return hw;
  }
  throw macError(s);
}

/** Go `net.HardwareAddr.String`: lower-case hex octets joined by `:`. */
export function macString(hw: Uint8Array): string {
  return Array.from(hw, (v) => v.toString(16).padStart(2, "0")).join(":");
}

/** True when the I/G bit (bit 0 of the first octet) is set: a multicast/broadcast address. */
export function isMulticastMAC(hw: Uint8Array): boolean {
  return ((hw[0] ?? 0) & 1) === 1;
}
