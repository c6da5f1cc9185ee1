/**
 * Peek at a guest's first flight for a TLS ClientHello and extract its server_name (RFC 6066).
 * Handles a ClientHello split across several TLS records and reports when more bytes are needed.
 */

/** Outcome of sniffing the first bytes. */
export type SniffResult =
  | { readonly state: "need-more" }
  | { readonly state: "done"; readonly tls: boolean; readonly sni: string | null };

const NOT_TLS: SniffResult = { state: "done", tls: false, sni: null };
const NEED_MORE: SniffResult = { state: "need-more" };

/** Inspect `b` (the first bytes of a flow). Never throws. */
export function sniffClientHello(b: Uint8Array): SniffResult {
  if (b.length === 0) return NEED_MORE;
  if (b[0] !== 0x16) return NOT_TLS;
  // Reassemble the handshake layer from consecutive handshake records.
  const hs: number[] = [];
  let off = 0;
  let need = -1;
  while (off + 5 <= b.length) {
    if (b[off] !== 0x16 || b[off + 1] !== 0x03) return hs.length > 0 ? { state: "done", tls: true, sni: null } : NOT_TLS;
    const len = (b[off + 3]! << 8) | b[off + 4]!;
    if (len === 0 || len > 16384 + 2048) return NOT_TLS;
    const avail = Math.min(len, b.length - off - 5);
    for (let i = 0; i < avail; i++) hs.push(b[off + 5 + i]!);
    if (avail < len) break;
    off += 5 + len;
    if (hs.length >= 4 && need < 0) {
      if (hs[0] !== 1) return { state: "done", tls: true, sni: null };
      need = 4 + ((hs[1]! << 16) | (hs[2]! << 8) | hs[3]!);
    }
    if (need >= 0 && hs.length >= need) break;
  }
  if (hs.length >= 4 && need < 0) {
    if (hs[0] !== 1) return { state: "done", tls: true, sni: null };
    need = 4 + ((hs[1]! << 16) | (hs[2]! << 8) | hs[3]!);
  }
  if (need < 0 || hs.length < need) return NEED_MORE;
  return { state: "done", tls: true, sni: parseHelloSni(Uint8Array.from(hs.slice(4, need))) };
}

function parseHelloSni(h: Uint8Array): string | null {
  let p = 2 + 32; // legacy_version + random
  if (p + 1 > h.length) return null;
  p += 1 + h[p]!; // session id
  if (p + 2 > h.length) return null;
  p += 2 + ((h[p]! << 8) | h[p + 1]!); // cipher suites
  if (p + 1 > h.length) return null;
  p += 1 + h[p]!; // compression methods
  if (p + 2 > h.length) return null;
  const extEnd = Math.min(h.length, p + 2 + ((h[p]! << 8) | h[p + 1]!));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = (h[p]! << 8) | h[p + 1]!;
    const len = (h[p + 2]! << 8) | h[p + 3]!;
    const body = p + 4;
    if (body + len > extEnd) return null;
    if (type === 0) {
      let q = body + 2;
      const listEnd = Math.min(body + len, body + 2 + ((h[body]! << 8) | h[body + 1]!));
      while (q + 3 <= listEnd) {
        const nameType = h[q]!;
        const nameLen = (h[q + 1]! << 8) | h[q + 2]!;
        if (q + 3 + nameLen > listEnd) return null;
        if (nameType === 0) {
          const name = Buffer.from(h.subarray(q + 3, q + 3 + nameLen)).toString("latin1");
          return /^[\x21-\x7e]+$/.test(name) ? name.toLowerCase().replace(/\.$/, "") : null;
        }
        q += 3 + nameLen;
      }
      return null;
    }
    p = body + len;
  }
  return null;
}
