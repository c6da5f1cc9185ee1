/**
 * Fuzz targets for the HTTP layer the secrets filter reads guest bytes with: HTTP/1 request
 * heads (`parseRequestHead`), the HPACK decoder, and the streaming HTTP/1 and HTTP/2 request
 * filters fed mutated requests in random chunkings.
 *
 * Properties: never throws; `parseRequestHead(serializeHead(x))` gives x's headers back; HPACK
 * `decode(encodeLiterals(fields))` gives the fields back (name, value, never-indexed flag, table
 * size updates); the decoder's dynamic table stays within its size limit; a filter forwards
 * nothing after it blocked.
 */
import { SecretsConfig } from "@sandbox/core";
import { parseRequestHead, serializeHead, type HeaderLine } from "../../../src/http/head.js";
import { encodeLiterals, HpackDecoder, MAX_TABLE_SIZE, type HeaderField } from "../../../src/http/hpack.js";
import { RequestFilter } from "../../../src/http/request-filter.js";
import { H2Filter, H2_PREFACE } from "../../../src/http/h2-filter.js";
import { classifySecrets } from "../../../src/secrets/classify.js";
import { Rng } from "../lib/rng.js";
import { chunks, concat, mutate } from "../lib/mutate.js";
import { check, FuzzFailure, noThrow, type FuzzTarget } from "../lib/target.js";

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

function token(rng: Rng, max = 12): string {
  let s = "";
  for (let i = 0, n = 1 + rng.int(max); i < n; i++) s += TOKEN_CHARS[rng.int(TOKEN_CHARS.length)];
  return s;
}

function fieldValue(rng: Rng): string {
  let s = "";
  for (let i = 0, n = rng.int(30); i < n; i++) {
    const c = rng.chance(0.9) ? 0x21 + rng.int(94) : rng.pick([0x20, 0x09, 0x80 + rng.int(128)]);
    s += String.fromCharCode(c);
  }
  return s.replace(/^[ \t]+|[ \t]+$/g, "");
}

function randomHeaders(rng: Rng): HeaderLine[] {
  const h: HeaderLine[] = [];
  if (rng.chance(0.9)) h.push({ name: "Host", value: rng.pick(["api.test", "API.test:443", "other.test", "[::1]:8080"]) });
  for (let i = 0, n = rng.int(6); i < n; i++) h.push({ name: token(rng), value: fieldValue(rng) });
  if (rng.chance(0.3)) h.push({ name: "Content-Length", value: String(rng.int(100)) });
  else if (rng.chance(0.2)) h.push({ name: "Transfer-Encoding", value: "chunked" });
  if (rng.chance(0.2)) h.push({ name: "Authorization", value: `Basic ${Buffer.from("$KEY:x").toString("base64")}` });
  return h;
}

function requestLine(rng: Rng): string {
  return `${rng.pick(["GET", "POST", "PUT", "CONNECT", token(rng, 8)])} ${rng.pick(["/", "/a?q=$KEY", "http://api.test/x", "*", "/" + token(rng)])} ${rng.pick(["HTTP/1.1", "HTTP/1.0"])}`;
}

const head: FuzzTarget = {
  name: "http-head",
  description: "parseRequestHead on generated and mutated request heads; serializeHead round trip",
  open(seed) {
    const rng = new Rng(seed);
    const corpus = Array.from({ length: 32 }, () => {
      const b = serializeHead(requestLine(rng), randomHeaders(rng));
      return Uint8Array.from(b.subarray(0, b.length - 4));
    });
    return {
      step() {
        if (rng.chance(0.15)) {
          const line = requestLine(rng);
          const headers = randomHeaders(rng);
          const wire = serializeHead(line, headers);
          const r = parseRequestHead(wire.subarray(0, wire.length - 4).toString("latin1"));
          check(r.ok && r.head.headers.length === headers.length && r.head.headers.every((x, i) => x.name === headers[i]!.name && x.value === headers[i]!.value), "http-head", "serializeHead round trip", Uint8Array.from(wire));
          return;
        }
        const input = mutate(rng, rng.pick(corpus), corpus, 70_000);
        const r = noThrow("http-head", input, () => parseRequestHead(Buffer.from(input).toString("latin1")));
        check(r.ok || (typeof r.reason === "string" && r.reason.length > 0), "http-head", "ok or a reason", input);
        if (r.ok && r.head.body.kind === "length") check(Number.isSafeInteger(r.head.body.length) && r.head.body.length > 0, "http-head", "content length is a safe positive integer", input);
      },
    };
  },
};

function latin1String(rng: Rng, max: number): string {
  let s = "";
  for (let i = 0, n = rng.int(max); i < n; i++) s += String.fromCharCode(rng.int(256));
  return s;
}

const STATIC_NAMES = [":authority", ":method", ":path", ":scheme", "authorization", "cookie", "content-type", "user-agent", "x-api-key"];

function randomFields(rng: Rng): HeaderField[] {
  return Array.from({ length: rng.int(8) }, () => ({ name: rng.chance(0.5) ? rng.pick(STATIC_NAMES) : latin1String(rng, 20).toLowerCase(), value: latin1String(rng, rng.chance(0.05) ? 3000 : 40), sensitive: rng.chance(0.3) }));
}

/** Hand-made HPACK seeds exercising indexed fields, incremental indexing and size updates. */
const HPACK_SEEDS: Uint8Array[] = [
  Uint8Array.of(0x82, 0x86, 0x84, 0x41, 0x08, 0x61, 0x70, 0x69, 0x2e, 0x74, 0x65, 0x73, 0x74),
  Uint8Array.of(0x3f, 0xe1, 0x1f, 0x82, 0x40, 0x01, 0x61, 0x01, 0x62, 0xbe),
  Uint8Array.of(0x20, 0x82, 0x10, 0x01, 0x61, 0x01, 0x62),
  // Huffman "www.example.com" as :authority with incremental indexing (RFC 7541 C.4.1).
  Uint8Array.of(0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff),
];

const hpack: FuzzTarget = {
  name: "hpack",
  description: "HpackDecoder on mutated blocks (stateful across blocks: dynamic table, size updates, Huffman); encodeLiterals round trip",
  open(seed) {
    const rng = new Rng(seed);
    let dec = new HpackDecoder();
    const corpus = [...HPACK_SEEDS, ...Array.from({ length: 16 }, () => encodeLiterals(randomFields(rng)))];
    return {
      step() {
        if (rng.chance(0.1)) {
          const fields = randomFields(rng);
          const updates = rng.chance(0.2) ? [rng.int(MAX_TABLE_SIZE + 1)] : [];
          const block = encodeLiterals(fields, updates);
          const r = new HpackDecoder().decode(block);
          check(r.ok && JSON.stringify(r.fields) === JSON.stringify(fields) && JSON.stringify(r.sizeUpdates) === JSON.stringify(updates), "hpack", "encodeLiterals round trip", block);
          return;
        }
        if (rng.chance(0.01)) dec = new HpackDecoder();
        const input = mutate(rng, rng.pick(corpus), corpus, 1 << 16);
        const r = noThrow("hpack", input, () => dec.decode(input));
        if (!r.ok) check(typeof r.reason === "string", "hpack", "reason", input);
        const st = dec as unknown as { size: number; max: number; dyn: [string, string][] };
        check(st.size <= st.max && st.max <= MAX_TABLE_SIZE && st.size === st.dyn.reduce((a, [n, v]) => a + n.length + v.length + 32, 0), "hpack", "dynamic table within its size and accounted", input);
      },
    };
  },
};

const cfg = SecretsConfig.parse({ secrets: [{ env_var: "K", placeholder: "$KEY", value: "real-secret", allowed_hosts: [{ exact: "api.test" }], injection: { body: true, query_params: true } }] });
const planFor = (h: string | null) => classifySecrets(cfg, { host: h, tlsIntercepted: true });

function h2Frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(9);
  h[0] = (payload.length >> 16) & 0xff;
  h[1] = (payload.length >> 8) & 0xff;
  h[2] = payload.length & 0xff;
  h[3] = type;
  h[4] = flags;
  h[5] = (stream >>> 24) & 0x7f;
  h[6] = (stream >>> 16) & 0xff;
  h[7] = (stream >>> 8) & 0xff;
  h[8] = stream & 0xff;
  return concat([h, payload]);
}

function h2Conversation(rng: Rng): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from(H2_PREFACE), h2Frame(4, 0, 0, new Uint8Array(0))];
  for (let s = 1, n = 1 + rng.int(3); s <= 2 * n; s += 2) {
    const fields: HeaderField[] = [
      { name: ":method", value: "POST", sensitive: false },
      { name: ":scheme", value: "https", sensitive: false },
      { name: ":authority", value: rng.pick(["api.test", "other.test"]), sensitive: false },
      { name: ":path", value: rng.pick(["/", "/?k=$KEY"]), sensitive: false },
      ...(rng.chance(0.5) ? [{ name: "authorization", value: "Bearer $KEY", sensitive: rng.chance(0.5) }] : []),
    ];
    const block = encodeLiterals(fields);
    if (rng.chance(0.3) && block.length > 4) {
      const cut = 1 + rng.int(block.length - 1);
      parts.push(h2Frame(1, 0, s, block.subarray(0, cut)), h2Frame(9, 4, s, block.subarray(cut)));
    } else parts.push(h2Frame(1, 4, s, block));
    parts.push(h2Frame(0, 1, s, Buffer.from(rng.pick(["hello", "$KEY", "{\"k\":\"$KEY\"}"]), "latin1")));
  }
  return concat(parts);
}

function http1Conversation(rng: Rng): Uint8Array {
  const reqs: string[] = [];
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
    const body = rng.pick(["", "$KEY", "a=1&b=$KEY"]);
    const chunked = rng.chance(0.3);
    reqs.push(`${rng.pick(["GET /?q=$KEY", "POST /", "PUT /x"])} HTTP/1.1\r\nHost: api.test\r\n${rng.chance(0.3) ? `Authorization: Basic ${Buffer.from("$KEY:x").toString("base64")}\r\n` : ""}${chunked ? "Transfer-Encoding: chunked\r\n\r\n" + (body ? `${body.length.toString(16)}\r\n${body}\r\n` : "") + "0\r\n\r\n" : `Content-Length: ${body.length}\r\n\r\n${body}`}`);
  }
  return Buffer.from(reqs.join(""), "latin1");
}

function filterTarget(name: string, description: string, conv: (rng: Rng) => Uint8Array, make: (rng: Rng) => { push(c: Buffer): { out: Buffer[]; block?: unknown } }): FuzzTarget {
  return {
    name,
    description,
    open(seed) {
      const rng = new Rng(seed);
      const corpus = Array.from({ length: 24 }, () => conv(rng));
      return {
        step() {
          const input = rng.chance(0.2) ? conv(rng) : mutate(rng, rng.pick(corpus), corpus, 1 << 16);
          const f = make(rng);
          let blocked = false;
          for (const c of chunks(rng, input, 10)) {
            let r: { out: Buffer[]; block?: unknown };
            try {
              r = f.push(Buffer.from(c));
            } catch (e) {
              throw new FuzzFailure(name, "push threw on guest bytes", Buffer.from(input).toString("hex").slice(0, 2048), e);
            }
            check(Array.isArray(r.out) && r.out.every((b) => b instanceof Uint8Array), name, "output is a list of buffers", input);
            if (blocked) check(r.out.length === 0, name, "nothing forwarded after a block", input);
            if (r.block) blocked = true;
          }
        },
      };
    },
  };
}

const h1 = filterTarget(
  "http1-filter",
  "RequestFilter (plain and intercepted) on mutated pipelined requests (Content-Length, chunked, Basic) in random chunkings",
  http1Conversation,
  (rng) => new RequestFilter({ mode: rng.chance(0.5) ? { kind: "intercepted", sni: "api.test" } : { kind: "plain" }, planFor }),
);

const h2 = filterTarget(
  "h2-filter",
  "H2Filter on mutated HTTP/2 connections (preface, SETTINGS, HEADERS+CONTINUATION, DATA) in random chunkings",
  h2Conversation,
  () => new H2Filter({ sni: "api.test", planFor }),
);

/** The HTTP targets. */
export const HTTP_TARGETS: readonly FuzzTarget[] = [head, hpack, h1, h2];
