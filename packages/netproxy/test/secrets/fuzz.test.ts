/** Guest bytes are untrusted: the HTTP/1 and HTTP/2 filters and the HPACK decoder never throw or hang on them. */
import { describe, expect, it } from "vitest";
import { SecretsConfig } from "@sandbox/core";
import { RequestFilter } from "../../src/http/request-filter.js";
import { H2Filter, H2_PREFACE } from "../../src/http/h2-filter.js";
import { HpackDecoder } from "../../src/http/hpack.js";
import { classifySecrets } from "../../src/secrets/classify.js";

const cfg = SecretsConfig.parse({ secrets: [{ env_var: "K", placeholder: "$KEY", value: "real", allowed_hosts: [{ exact: "api.test" }], injection: { body: true, query_params: true } }] });
const planFor = (h: string | null) => classifySecrets(cfg, { host: h, tlsIntercepted: true });

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  "GET /?q=$KEY HTTP/1.1\r\nHost: api.test\r\nAuthorization: Basic JEtFWTp4\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n$KEY\r\n0\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: api.test\r\nContent-Length: 4\r\n\r\n$KEY",
];

describe("fuzz", () => {
  it("HTTP/1 filter: mutated and randomly split requests never throw", () => {
    const r = rng(1);
    for (let i = 0; i < 3000; i++) {
      const base = Buffer.from(SEEDS[i % SEEDS.length]!, "latin1");
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) base[Math.floor(r() * base.length)] = Math.floor(r() * 256);
      const f = new RequestFilter({ mode: i % 2 ? { kind: "intercepted", sni: "api.test" } : { kind: "plain" }, planFor });
      let p = 0;
      while (p < base.length) {
        const n = 1 + Math.floor(r() * 20);
        expect(() => f.push(base.subarray(p, p + n))).not.toThrow();
        p += n;
      }
    }
  });

  it("HTTP/2 filter and HPACK: random frames and blocks never throw", () => {
    const r = rng(2);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * 200);
      const junk = Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
      expect(() => new HpackDecoder().decode(junk)).not.toThrow();
      const f = new H2Filter({ sni: "api.test", planFor });
      const hdr = Buffer.from([0, 0, Math.min(len, 255), Math.floor(r() * 10), Math.floor(r() * 256), 0, 0, 0, 1]);
      expect(() => f.push(Buffer.concat([H2_PREFACE, hdr, junk]))).not.toThrow();
    }
  });
});
