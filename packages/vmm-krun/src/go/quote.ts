/**
 * Go's `strconv.Quote`, byte for byte, so that error texts quoting user input (`ParseBool`,
 * `netip.ParsePrefix`, vminitd's `%q`) match what the Go programs print. Input is a JS string
 * (encoded as UTF-8) or raw bytes (Go strings are byte strings and may hold invalid UTF-8).
 */

const HEX = "0123456789abcdef";

/** One decoded UTF-8 sequence: the rune (or -1 for an invalid byte) and its width in bytes. */
interface Rune {
  r: number;
  width: number;
}

/** Decode the rune at `i` like Go's utf8.DecodeRune: invalid sequences yield width 1 and r = -1. */
export function decodeRune(b: Uint8Array, i: number): Rune {
  const c0 = b[i]!;
  if (c0 < 0x80) return { r: c0, width: 1 };
  const cont = (k: number) => {
    const c = b[i + k];
    return c !== undefined && (c & 0xc0) === 0x80 ? c & 0x3f : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    if (c1 >= 0) return { r: ((c0 & 0x1f) << 6) | c1, width: 2 };
  } else if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 >= 0 && c2 >= 0) {
      const r = ((c0 & 0x0f) << 12) | (c1 << 6) | c2;
      if (r >= 0x800 && !(r >= 0xd800 && r <= 0xdfff)) return { r, width: 3 };
    }
  } else if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 >= 0 && c2 >= 0 && c3 >= 0) {
      const r = ((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
      if (r >= 0x10000 && r <= 0x10ffff) return { r, width: 4 };
    }
  }
  return { r: -1, width: 1 };
}

const GRAPHIC = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(r: number): boolean {
  if (r <= 0xff) {
    if (r >= 0x20 && r <= 0x7e) return true;
    if (r >= 0xa1 && r <= 0xff) return r !== 0xad;
    return false;
  }
  return GRAPHIC.test(String.fromCodePoint(r));
}

function hex(n: number, digits: number): string {
  let s = "";
  for (let k = digits - 1; k >= 0; k--) s += HEX[(n >>> (4 * k)) & 0xf];
  return s;
}

/** Convert a JS string to the bytes Go would hold for it (UTF-8). */
export function utf8(s: string): Uint8Array {
  return Buffer.from(s, "utf8");
}

/** Go's `strconv.Quote(s)`: a double-quoted Go string literal. */
export function goQuote(input: string | Uint8Array): string {
  const b = typeof input === "string" ? utf8(input) : input;
  let out = '"';
  for (let i = 0; i < b.length; ) {
    const { r, width } = decodeRune(b, i);
    if (r < 0) {
      out += "\\x" + hex(b[i]!, 2);
      i += 1;
      continue;
    }
    i += width;
    if (r === 0x22 || r === 0x5c) {
      out += "\\" + String.fromCharCode(r);
      continue;
    }
    if (isPrint(r)) {
      out += String.fromCodePoint(r);
      continue;
    }
    switch (r) {
      case 0x07: out += "\\a"; continue;
      case 0x08: out += "\\b"; continue;
      case 0x0c: out += "\\f"; continue;
      case 0x0a: out += "\\n"; continue;
      case 0x0d: out += "\\r"; continue;
      case 0x09: out += "\\t"; continue;
      case 0x0b: out += "\\v"; continue;
    }
    if (r < 0x20 || r === 0x7f) out += "\\x" + hex(r, 2);
    else if (r < 0x10000) out += "\\u" + hex(r, 4);
    else out += "\\U" + hex(r, 8);
  }
  return out + '"';
}

/** Decode bytes back to a JS string for messages that print a value with `%s` (lossy only for invalid UTF-8). */
export function bytesToString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
}
