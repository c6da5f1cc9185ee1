/**
 * Fuzz targets for the two ClientHello readers: `parseClientHello` (tls/client-hello.ts, used by
 * the interceptor) and `sniffClientHello` (stack/tcp/sni.ts, the first-flight policy check).
 *
 * Seeds are generated ClientHellos: random session ids and cipher lists, SNI and ALPN extensions,
 * GREASE / padding / key_share-like filler extensions (up to ~15 KiB), the handshake message split
 * over 1..n TLS records. Mutations add nested-length lies (server_name list vs. extension
 * length), oversized extension blocks and record-layer damage.
 * Properties: never throws; a whole generated hello yields its SNI and ALPN in both readers; every
 * strict prefix of it is `need-more`; results are one of the documented kinds.
 */
import { parseClientHello, canonicalSni, CLIENT_HELLO_MAX } from "../../../src/tls/client-hello.js";
import { sniffClientHello } from "../../../src/stack/tcp/sni.js";
import { Rng, hex } from "../lib/rng.js";
import { concat, mutate } from "../lib/mutate.js";
import { check, noThrow, type FuzzTarget } from "../lib/target.js";

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function ext(type: number, body: Uint8Array): Uint8Array {
  return concat([u16(type), u16(body.length), body]);
}

const HOST_LABELS = ["api", "example", "com", "WWW", "a-b", "x1", "test", "internal", "_s"];

/** A generated ClientHello and what the readers should find in it. */
export interface Hello {
  readonly wire: Uint8Array;
  readonly handshakeLen: number;
  readonly sni: string | undefined;
  readonly alpn: string[];
}

/** Generate a ClientHello split into TLS records. */
export function clientHello(rng: Rng, big = rng.chance(0.05)): Hello {
  const sni = rng.chance(0.85) ? Array.from({ length: 1 + rng.int(4) }, () => rng.pick(HOST_LABELS)).join(".") + (rng.chance(0.1) ? "." : "") : undefined;
  const alpn = rng.chance(0.6) ? rng.pick([["h2", "http/1.1"], ["http/1.1"], ["h2"], ["x".repeat(1 + rng.int(60))]]) : [];
  const exts: Uint8Array[] = [];
  const filler = () => ext(rng.pick([0x0a0a, 0x2a2a, 10, 11, 13, 43, 45, 51, 21, 0xff01]), rng.bytes(big ? rng.int(4000) : rng.smallLen(120)));
  for (let i = 0, n = rng.int(4); i < n; i++) exts.push(filler());
  if (sni !== undefined) {
    const name = Buffer.from(sni, "latin1");
    const entry = concat([Uint8Array.of(0), u16(name.length), name]);
    exts.push(ext(0, concat([u16(entry.length), entry])));
  }
  if (alpn.length) {
    const list = concat(alpn.map((p) => concat([Uint8Array.of(p.length), Buffer.from(p, "latin1")])));
    exts.push(ext(16, concat([u16(list.length), list])));
  }
  for (let i = 0, n = rng.int(3); i < n; i++) exts.push(filler());
  let extBlock = concat(exts);
  // Keep the handshake within the readers' 16 KiB cap.
  while (extBlock.length > CLIENT_HELLO_MAX - 400 && exts.length > 0) {
    exts.pop();
    extBlock = concat(exts);
  }
  const sid = rng.bytes(rng.pick([0, 32, rng.int(33)]));
  const suites = rng.bytes(2 * (1 + rng.int(40)));
  const body = concat([Uint8Array.of(3, 3), rng.bytes(32), Uint8Array.of(sid.length), sid, u16(suites.length), suites, Uint8Array.of(1, 0), u16(extBlock.length), extBlock]);
  const hs = concat([Uint8Array.of(1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff), body]);
  const records: Uint8Array[] = [];
  let p = 0;
  while (p < hs.length) {
    const n = rng.chance(0.7) ? hs.length - p : Math.min(hs.length - p, 1 + rng.int(Math.max(1, hs.length - p)));
    records.push(concat([Uint8Array.of(0x16, 3, rng.pick([1, 3])), u16(n), hs.subarray(p, p + n)]));
    p += n;
  }
  // Only SNI-extension-visible names are expected (the whole hello is within the cap).
  return { wire: concat(records), handshakeLen: hs.length, sni, alpn };
}

const KINDS = new Set(["need-more", "not-tls", "hello"]);

function checkAny(input: Uint8Array): void {
  const a = noThrow("tls-client-hello", input, () => parseClientHello(input));
  check(KINDS.has(a.kind), "tls-client-hello", "documented result kind", input);
  const b = noThrow("tls-client-hello", input, () => sniffClientHello(input));
  check(b.state === "need-more" || b.state === "done", "tls-client-hello", "sniff result kind", input);
  if (a.kind === "hello") canonicalSni(a.sni);
}

const clientHelloTarget: FuzzTarget = {
  name: "tls-client-hello",
  description: "parseClientHello and sniffClientHello on generated ClientHellos (split records, SNI/ALPN, large filler extensions), their prefixes and mutations",
  open(seed) {
    const rng = new Rng(seed);
    const corpus: Uint8Array[] = Array.from({ length: 24 }, () => clientHello(rng).wire);
    return {
      step() {
        const r = rng.int(10);
        if (r < 2) {
          const h = clientHello(rng);
          const a = parseClientHello(h.wire);
          check(a.kind === "hello" && a.sni === h.sni && JSON.stringify(a.alpn) === JSON.stringify(h.alpn), "tls-client-hello", `parseClientHello finds sni ${h.sni} alpn ${h.alpn}`, h.wire);
          const b = sniffClientHello(h.wire);
          const want = h.sni === undefined ? null : h.sni.toLowerCase().replace(/\.$/, "");
          check(b.state === "done" && b.tls && b.sni === want, "tls-client-hello", `sniffClientHello finds sni ${want}`, h.wire);
          const cut = rng.int(h.wire.length);
          const prefix = h.wire.subarray(0, cut);
          check(parseClientHello(prefix).kind === "need-more" && sniffClientHello(prefix).state === "need-more", "tls-client-hello", `prefix of ${cut}/${h.wire.length} bytes is need-more`, h.wire);
          if (rng.chance(0.1)) corpus[rng.int(corpus.length)] = h.wire;
          return;
        }
        if (r === 2) return checkAny(concat([Uint8Array.of(0x16, 3, 1), rng.bytes(rng.smallLen(600))]));
        checkAny(mutate(rng, rng.pick(corpus), corpus, 1 << 15));
      },
    };
  },
};

/** The TLS targets. */
export const TLS_TARGETS: readonly FuzzTarget[] = [clientHelloTarget];
void hex;
