/**
 * HPACK (RFC 7541) for the guest->server direction of intercepted HTTP/2: a decoder that follows
 * the guest encoder's dynamic table (Huffman, integer and table-size guards; it never throws on
 * guest bytes), and an encoder that emits literals only (without indexing, or never-indexed for
 * sensitive fields), so the upstream decoder's table is never touched by what the proxy rewrites.
 * Strings are latin1 so every octet round-trips.
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS, STATIC_TABLE } from "./hpack-tables.js";

/** A decoded header field. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
  /** The guest sent it as never-indexed. */
  readonly sensitive: boolean;
}

/** Decoder result. */
export type DecodeResult = { readonly ok: true; readonly fields: HeaderField[]; readonly sizeUpdates: number[] } | { readonly ok: false; readonly reason: string };

// Huffman decoding trie: node i has children at trie[2i], trie[2i+1]; leaves store -(symbol+1).
const trie: number[] = [0, 0];
(() => {
  let next = 1;
  const add = (code: number, len: number, sym: number) => {
    let node = 0;
    for (let b = len - 1; b >= 0; b--) {
      const bit = (code >>> b) & 1;
      const slot = node * 2 + bit;
      if (b === 0) {
        trie[slot] = -(sym + 1);
        return;
      }
      if (!trie[slot]) {
        trie[slot] = next;
        trie.push(0, 0);
        next++;
      }
      node = trie[slot]!;
    }
  };
  for (let s = 0; s < 256; s++) add(HUFFMAN_CODES[s]!, HUFFMAN_LENGTHS[s]!, s);
  add(0x3fffffff, 30, 256);
})();

/** Huffman-decode `b`; undefined on EOS, an incomplete code or bad padding. */
export function huffmanDecode(b: Uint8Array): string | undefined {
  let out = "";
  let node = 0;
  let depth = 0;
  let ones = true;
  for (let i = 0; i < b.length; i++) {
    const byte = b[i]!;
    for (let k = 7; k >= 0; k--) {
      const bit = (byte >> k) & 1;
      const v = trie[node * 2 + bit];
      if (v === undefined || v === 0) return undefined;
      depth++;
      ones = ones && bit === 1;
      if (v < 0) {
        if (v === -257) return undefined;
        out += String.fromCharCode(-v - 1);
        node = 0;
        depth = 0;
        ones = true;
      } else node = v;
    }
  }
  if (depth > 7 || !ones) return undefined;
  return out;
}

const MAX_INT = 1 << 28;

/** Largest dynamic table a guest may ask for (bounds memory; servers rarely allow more). */
export const MAX_TABLE_SIZE = 65536;

/** Largest decoded header list (octets, RFC 7540 accounting) accepted per block. */
export const MAX_HEADER_LIST = 256 * 1024;

/** The guest encoder's view, mirrored. */
export class HpackDecoder {
  private dyn: [string, string][] = [];
  private size = 0;
  private max = 4096;

  /** Decode one complete header block. */
  decode(block: Uint8Array): DecodeResult {
    const fields: HeaderField[] = [];
    const sizeUpdates: number[] = [];
    let p = 0;
    let listSize = 0;
    const int = (prefixBits: number): number => {
      if (p >= block.length) return -1;
      const mask = (1 << prefixBits) - 1;
      let v = block[p++]! & mask;
      if (v < mask) return v;
      let m = 0;
      for (;;) {
        if (p >= block.length) return -1;
        const c = block[p++]!;
        v += (c & 0x7f) * 2 ** m;
        if (v > MAX_INT) return -1;
        m += 7;
        if ((c & 0x80) === 0) return v;
      }
    };
    const str = (): string | undefined => {
      if (p >= block.length) return undefined;
      const huff = (block[p]! & 0x80) !== 0;
      const len = int(7);
      if (len < 0 || p + len > block.length) return undefined;
      const raw = block.subarray(p, p + len);
      p += len;
      return huff ? huffmanDecode(raw) : Buffer.from(raw).toString("latin1");
    };
    const entry = (idx: number): readonly [string, string] | undefined => {
      if (idx <= 0) return undefined;
      if (idx <= STATIC_TABLE.length) return STATIC_TABLE[idx - 1];
      return this.dyn[idx - STATIC_TABLE.length - 1];
    };
    let sawField = false;
    while (p < block.length) {
      const b = block[p]!;
      if (b & 0x80) {
        const e = entry(int(7));
        if (!e) return { ok: false, reason: `HPACK: bad index at byte ${p}` };
        fields.push({ name: e[0], value: e[1], sensitive: false });
        sawField = true;
      } else if ((b & 0xe0) === 0x20) {
        if (sawField) return { ok: false, reason: "HPACK: table size update after a header field" };
        const n = int(5);
        if (n < 0 || n > MAX_TABLE_SIZE) return { ok: false, reason: `HPACK: table size ${n} out of range (max ${MAX_TABLE_SIZE})` };
        this.max = n;
        this.evict(0);
        sizeUpdates.push(n);
      } else {
        const incremental = (b & 0xc0) === 0x40;
        const sensitive = (b & 0xf0) === 0x10;
        const idx = int(incremental ? 6 : 4);
        if (idx < 0) return { ok: false, reason: `HPACK: truncated index at byte ${p}` };
        let name: string | undefined;
        if (idx === 0) name = str();
        else name = entry(idx)?.[0];
        const value = name === undefined ? undefined : str();
        if (name === undefined || value === undefined) return { ok: false, reason: `HPACK: bad literal at byte ${p}` };
        fields.push({ name, value, sensitive });
        sawField = true;
        if (incremental) this.insert(name, value);
      }
      const last = fields[fields.length - 1];
      if (sawField && last && (b & 0xe0) !== 0x20) listSize += last.name.length + last.value.length + 32;
      if (listSize > MAX_HEADER_LIST) return { ok: false, reason: `HPACK: header list over ${MAX_HEADER_LIST} octets` };
    }
    return { ok: true, fields, sizeUpdates };
  }

  private insert(name: string, value: string): void {
    const sz = name.length + value.length + 32;
    if (sz > this.max) {
      this.dyn = [];
      this.size = 0;
      return;
    }
    this.evict(sz);
    this.dyn.unshift([name, value]);
    this.size += sz;
  }

  private evict(room: number): void {
    while (this.size + room > this.max && this.dyn.length > 0) {
      const [n, v] = this.dyn.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }
}

function encInt(out: number[], v: number, prefixBits: number, first: number): void {
  const mask = (1 << prefixBits) - 1;
  if (v < mask) {
    out.push(first | v);
    return;
  }
  out.push(first | mask);
  v -= mask;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function encStr(out: number[], s: string): void {
  encInt(out, s.length, 7, 0);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
}

const STATIC_NAME = new Map<string, number>();
STATIC_TABLE.forEach(([n], i) => {
  if (!STATIC_NAME.has(n)) STATIC_NAME.set(n, i + 1);
});

/**
 * Encode fields as literals (no Huffman, no dynamic-table insertions), preceded by the given
 * table-size updates so the upstream decoder sees the same size signalling as the guest sent.
 */
export function encodeLiterals(fields: readonly HeaderField[], sizeUpdates: readonly number[] = []): Uint8Array {
  const out: number[] = [];
  for (const n of sizeUpdates) encInt(out, n, 5, 0x20);
  for (const f of fields) {
    const first = f.sensitive ? 0x10 : 0x00;
    const idx = STATIC_NAME.get(f.name);
    if (idx !== undefined) encInt(out, idx, 4, first);
    else {
      out.push(first);
      encStr(out, f.name);
    }
    encStr(out, f.value);
  }
  return Uint8Array.from(out);
}
