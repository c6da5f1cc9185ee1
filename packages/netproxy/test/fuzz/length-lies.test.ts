/**
 * "A length field that lies does not allocate what it claims": for each decoder that reads a
 * length from guest bytes, an input claiming a huge length followed by a few bytes must leave the
 * process's ArrayBuffer memory (and heap) practically unchanged while the decoder is still alive
 * and waiting for the rest.
 */
import { describe, expect, it } from "vitest";
import { SecretsConfig } from "@sandbox/core";
import { H2Filter, H2_PREFACE } from "../../src/http/h2-filter.js";
import { RequestFilter } from "../../src/http/request-filter.js";
import { HpackDecoder } from "../../src/http/hpack.js";
import { classifySecrets } from "../../src/secrets/classify.js";
import { parseMessage } from "../../src/dns/wire.js";
import { parseClientHello } from "../../src/tls/client-hello.js";
import { sniffClientHello } from "../../src/stack/tcp/sni.js";
import { StreamDecoder } from "../../src/transport/stream-codec.js";
import { ControlDecoder } from "../../src/control/codec.js";

const cfg = SecretsConfig.parse({ secrets: [{ env_var: "K", placeholder: "$KEY", value: "real", allowed_hosts: [{ exact: "api.test" }], injection: { body: true } }] });
const planFor = (h: string | null) => classifySecrets(cfg, { host: h, tlsIntercepted: true });

/** Growth of ArrayBuffer + heap memory while `f` runs and its result is kept alive. */
function growth(f: () => unknown): { mb: number; keep: unknown } {
  globalThis.gc?.();
  const m0 = process.memoryUsage();
  const keep = f();
  const m1 = process.memoryUsage();
  return { mb: (m1.arrayBuffers - m0.arrayBuffers + Math.max(0, m1.heapUsed - m0.heapUsed)) / 1048576, keep };
}

const LIMIT_MB = 8; // far below every claimed length here (16 MiB .. 4 GiB)

describe("length-field lies allocate nothing of what they claim", () => {
  it("stream codec: 4-byte prefix 65550 (max legal) then 3 bytes holds one 64 KiB frame at most; 0xffffffff is refused", () => {
    const d = new StreamDecoder({ frame: () => {} });
    const g = growth(() => (d.push(Uint8Array.of(0, 1, 0, 0x0e, 1, 2, 3)), d));
    expect(g.mb).toBeLessThan(LIMIT_MB);
    expect(() => new StreamDecoder({ frame: () => {} }).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toThrow();
  });

  it("control codec: a 16 MiB prefix and 4 bytes", () => {
    const d = new ControlDecoder(() => {});
    expect(growth(() => (d.push(Buffer.from([1, 0, 0, 0, 1, 2, 3, 4])), d)).mb).toBeLessThan(LIMIT_MB);
  });

  it("HTTP/2 filter: a frame header claiming 16 MiB and 10 bytes of it", () => {
    const f = new H2Filter({ sni: "api.test", planFor });
    const g = growth(() => (f.push(Buffer.concat([H2_PREFACE, Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1]), Buffer.alloc(10)])), f));
    expect(g.mb).toBeLessThan(LIMIT_MB);
  });

  it("HTTP/1 filter: Content-Length 999999999999999 on a body it buffers for substitution, and 10 bytes", () => {
    const f = new RequestFilter({ mode: { kind: "intercepted", sni: "api.test" }, planFor });
    const g = growth(() => (f.push(Buffer.from("POST / HTTP/1.1\r\nHost: api.test\r\nContent-Length: 999999999999999\r\n\r\n0123456789", "latin1")), f));
    expect(g.mb).toBeLessThan(LIMIT_MB);
  });

  it("HPACK: a string length of 2^28 - 1 with 3 bytes behind it is refused", () => {
    const d = new HpackDecoder();
    // literal without indexing, new name: 0x00, then a 7-bit-prefix length 127 + continuation bytes.
    const block = Uint8Array.of(0x00, 0x7f, 0x80, 0xff, 0xff, 0x7f, 0x61, 0x62, 0x63);
    const g = growth(() => d.decode(block));
    expect((g.keep as { ok: boolean }).ok).toBe(false);
    expect(g.mb).toBeLessThan(LIMIT_MB);
  });

  it("DNS: 65535 records each claiming 65535 bytes of rdata in a 40-byte message", () => {
    const m = new Uint8Array(40);
    m[6] = 0xff;
    m[7] = 0xff;
    m.set([0, 0, 1, 0, 1, 0, 0, 0, 0, 0xff, 0xff], 12);
    const g = growth(() => parseMessage(m));
    expect(g.keep).toBeUndefined();
    expect(g.mb).toBeLessThan(LIMIT_MB);
  });

  it("TLS: a handshake length of 16 MiB in a 13-byte record", () => {
    const rec = Uint8Array.of(0x16, 3, 1, 0, 8, 1, 0xff, 0xff, 0xff, 3, 3, 0, 0);
    expect(growth(() => [parseClientHello(rec), sniffClientHello(rec)]).mb).toBeLessThan(LIMIT_MB);
  });
});
