/**
 * A ClientHello reader for possibly partial guest bytes: it never throws, reassembles a
 * handshake message spread over several TLS records, and reports `need-more` until the whole
 * ClientHello is present (capped at 16 KiB), `not-tls` for anything else, or the SNI host name
 * and offered ALPN protocols.
 */

/** Largest amount of guest bytes buffered while waiting for a ClientHello. */
export const CLIENT_HELLO_MAX = 16 * 1024;

/** Outcome of {@link parseClientHello}. */
export type ClientHelloResult =
  | { readonly kind: "need-more" }
  | { readonly kind: "not-tls"; readonly reason: string }
  | { readonly kind: "hello"; readonly sni: string | undefined; readonly alpn: readonly string[] };

const NEED_MORE: ClientHelloResult = { kind: "need-more" };

function notTls(reason: string): ClientHelloResult {
  return { kind: "not-tls", reason };
}

/** Parse the first flight of a TLS connection. */
export function parseClientHello(buf: Uint8Array): ClientHelloResult {
  // Reassemble the handshake bytes from consecutive handshake records.
  const hs: number[] = [];
  let pos = 0;
  let needed = -1;
  while (needed < 0 || hs.length < needed) {
    if (pos + 5 > buf.length) return buf.length >= CLIENT_HELLO_MAX ? notTls("no ClientHello within 16 KiB") : NEED_MORE;
    if (buf[pos] !== 0x16) return notTls(`byte ${pos}: record type ${buf[pos]} is not handshake (22)`);
    if (buf[pos + 1] !== 0x03) return notTls(`byte ${pos + 1}: record version major ${buf[pos + 1]} is not 3`);
    const len = (buf[pos + 3]! << 8) | buf[pos + 4]!;
    if (len === 0 || len > 16384 + 2048) return notTls(`byte ${pos + 3}: record length ${len} out of range`);
    const end = pos + 5 + len;
    const avail = Math.min(end, buf.length);
    for (let i = pos + 5; i < avail; i++) hs.push(buf[i]!);
    if (needed < 0 && hs.length >= 4) {
      if (hs[0] !== 1) return notTls(`handshake type ${hs[0]} is not ClientHello (1)`);
      needed = 4 + ((hs[1]! << 16) | (hs[2]! << 8) | hs[3]!);
      if (needed > CLIENT_HELLO_MAX) return notTls(`ClientHello of ${needed} bytes exceeds 16 KiB`);
    }
    if (end > buf.length) {
      if (needed >= 0 && hs.length >= needed) break;
      return buf.length >= CLIENT_HELLO_MAX ? notTls("no ClientHello within 16 KiB") : NEED_MORE;
    }
    pos = end;
  }
  return parseBody(Uint8Array.from(hs.slice(4, needed)));
}

function parseBody(b: Uint8Array): ClientHelloResult {
  let p = 2 + 32; // client_version, random
  if (p >= b.length) return notTls("ClientHello truncated before session id");
  p += 1 + b[p]!; // session id
  if (p + 2 > b.length) return notTls("ClientHello truncated before cipher suites");
  p += 2 + ((b[p]! << 8) | b[p + 1]!);
  if (p + 1 > b.length) return notTls("ClientHello truncated before compression methods");
  p += 1 + b[p]!;
  if (p === b.length) return { kind: "hello", sni: undefined, alpn: [] };
  if (p + 2 > b.length) return notTls("ClientHello truncated before extensions");
  const extEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!);
  if (extEnd > b.length) return notTls("ClientHello extensions overrun the message");
  p += 2;
  let sni: string | undefined;
  const alpn: string[] = [];
  while (p + 4 <= extEnd) {
    const type = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    const body = p + 4;
    if (body + len > extEnd) return notTls(`extension ${type} overruns the extensions block`);
    if (type === 0 && len >= 2) {
      const listEnd = Math.min(body + 2 + ((b[body]! << 8) | b[body + 1]!), body + len);
      let q = body + 2;
      while (q + 3 <= listEnd) {
        const nameType = b[q]!;
        const nlen = (b[q + 1]! << 8) | b[q + 2]!;
        if (q + 3 + nlen > listEnd) break;
        if (nameType === 0 && sni === undefined) sni = Buffer.from(b.subarray(q + 3, q + 3 + nlen)).toString("latin1");
        q += 3 + nlen;
      }
    } else if (type === 16 && len >= 2) {
      const listEnd = Math.min(body + 2 + ((b[body]! << 8) | b[body + 1]!), body + len);
      let q = body + 2;
      while (q + 1 <= listEnd) {
        const l = b[q]!;
        if (q + 1 + l > listEnd) break;
        alpn.push(Buffer.from(b.subarray(q + 1, q + 1 + l)).toString("latin1"));
        q += 1 + l;
      }
    }
    p = body + len;
  }
  return { kind: "hello", sni, alpn };
}

const HOST = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,62})?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62})?)*$/;

/**
 * Canonical SNI: lower-case, trailing dots trimmed; undefined when it is not a host name (empty,
 * bytes outside letters/digits/`-`/`_`/`.`, an IP literal, over-long labels).
 */
export function canonicalSni(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const s = raw.toLowerCase().replace(/\.+$/, "");
  if (!HOST.test(s)) return undefined;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) return undefined;
  return s;
}
