/**
 * HTTP/2 through interception over real sockets: ALPN h2 negotiated end to end (upstream first),
 * HPACK decoded and re-encoded, secrets substituted in headers, `:authority` = SNI enforced,
 * placeholders towards other hosts blocked in headers and DATA.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as h2connect, createSecureServer, type Http2SecureServer, type IncomingHttpHeaders } from "node:http2";
import type { AddressInfo } from "node:net";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseIp, type NetworkPolicy } from "@sandbox/core";
import { generateCa } from "../../src/tls/ca.js";
import { LeafCache } from "../../src/tls/leaf-cache.js";
import { encodeLiterals, HpackDecoder, huffmanDecode } from "../../src/http/hpack.js";
import { makeRig, type Rig, type TestHttps } from "./harness.js";

const DST = "93.184.216.34";
const POLICY: NetworkPolicy = { default_egress: "allow", default_ingress: "allow", rules: [] };
const SECRETS = { secrets: [{ env_var: "API_KEY", placeholder: "$API_KEY", value: "real-secret-value", allowed_hosts: [{ exact: "api.example.test" }] }], on_violation: "block" as const };

let server: Http2SecureServer;
let up: TestHttps;
const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
let rig: Rig;

beforeAll(async () => {
  const { ca } = await generateCa("h2 upstream CA");
  const leaves = new LeafCache(ca);
  const dflt = await leaves.get("default.example.test");
  server = createSecureServer({ SNICallback: (n, cb) => void leaves.get(n).then((l) => cb(null, l.context), cb), allowHTTP1: false });
  void dflt;
  server.on("stream", (stream, headers) => {
    let body = "";
    stream.on("data", (d: Buffer) => (body += d.toString()));
    stream.on("end", () => {
      seen.push({ headers, body });
      stream.respond({ ":status": 200, "content-type": "text/plain" });
      stream.end("h2 hello");
    });
  });
  server.on("sessionError", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const dir = await mkdtemp(join(tmpdir(), "l7-h2-"));
  const caFile = join(dir, "ca.pem");
  await writeFile(caFile, ca.certPem);
  up = { port: (server.address() as AddressInfo).port, ca, caFile, received: [], handshakes: [], close: async () => void server.close() };
  rig = await makeRig({ upstream: up, policy: POLICY, secrets: SECRETS });
  rig.cache.record("api.example.test", "ipv4", [parseIp(DST)!], 300);
  rig.cache.record("other.example.test", "ipv4", [parseIp(DST)!], 300);
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

async function request(sni: string, headers: Record<string, string>, body?: string): Promise<{ status?: number; text: string; error?: string }> {
  const g = await rig.guest(DST, sni, { alpn: ["h2", "http/1.1"] });
  if (!g.tls) return { text: "", error: "refused" };
  const session = h2connect(`https://${sni}`, { createConnection: () => g.tls! });
  session.on("error", () => {});
  return await new Promise((resolve) => {
    const req = session.request({ ":method": body ? "POST" : "GET", ":path": "/x", ...headers });
    let text = "";
    let status: number | undefined;
    const t = setTimeout(() => done("timeout"), 3000);
    const done = (error?: string) => {
      clearTimeout(t);
      session.destroy();
      resolve({ ...(status !== undefined ? { status } : {}), text, ...(error ? { error } : {}) });
    };
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => done());
    req.on("error", (e) => done(e.message));
    req.on("close", () => done(status === undefined ? "closed" : undefined));
    if (body) {
      const parts = body.split("|");
      for (const p of parts) req.write(p);
    }
    req.end();
  });
}

describe("HPACK", () => {
  it("round-trips literals and decodes Huffman strings (RFC 7541 C.4.1)", () => {
    const block = encodeLiterals([{ name: ":method", value: "GET", sensitive: false }, { name: "x-secret", value: "v\u00ff", sensitive: true }], [0]);
    const d = new HpackDecoder().decode(block);
    expect(d).toEqual({ ok: true, sizeUpdates: [0], fields: [{ name: ":method", value: "GET", sensitive: false }, { name: "x-secret", value: "v\u00ff", sensitive: true }] });
    expect(huffmanDecode(Buffer.from("f1e3c2e5f23a6ba0ab90f4ff", "hex"))).toBe("www.example.com");
    const c41 = new HpackDecoder().decode(Buffer.from("828684418cf1e3c2e5f23a6ba0ab90f4ff", "hex"));
    expect(c41.ok && c41.fields.map((f) => `${f.name}=${f.value}`)).toEqual([":method=GET", ":scheme=http", ":path=/", ":authority=www.example.com"]);
    expect(new HpackDecoder().decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).ok).toBe(false);
    expect(new HpackDecoder().decode(Buffer.from([0x3f, 0xff, 0xff, 0x7f])).ok).toBe(false);
  });
});

describe("HTTP/2 through interception", () => {
  it("negotiates h2, substitutes the secret in a header and relays the response", async () => {
    const n = seen.length;
    const r = await request("api.example.test", { authorization: "Bearer $API_KEY", "x-plain": "keep" }, "a|b");
    expect(r).toMatchObject({ status: 200, text: "h2 hello" });
    expect(seen[n]!.headers.authorization).toBe("Bearer real-secret-value");
    expect(seen[n]!.headers["x-plain"]).toBe("keep");
    expect(seen[n]!.body).toBe("ab");
  });

  it("blocks an :authority that differs from the SNI", async () => {
    const n = seen.length;
    const r = await request("api.example.test", { ":authority": "evil.example.test" });
    expect(r.status).toBeUndefined();
    expect(seen.length).toBe(n);
    expect(rig.events.at(-1)).toMatchObject({ type: "http_block" });
  });

  it("blocks the placeholder towards another host in a header and in DATA split across frames", async () => {
    const n = seen.length;
    expect((await request("other.example.test", { "x-key": "$API_KEY" })).status).toBeUndefined();
    expect((await request("other.example.test", {}, "xx$AP|I_KEYyy")).status).toBeUndefined();
    expect(seen.length).toBe(n);
    expect(rig.events.filter((e) => e.type === "secret_violation").length).toBeGreaterThanOrEqual(2);
  });
});
