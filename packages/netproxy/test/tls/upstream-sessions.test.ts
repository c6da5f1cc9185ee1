/**
 * The interceptor's upstream session store: sessions are stored without the upstream's
 * certificate and still resume (TLS 1.3 and 1.2, real sockets); keys separate SNI, ALPN offer,
 * root set and verification; the store is bounded; malformed blobs pass through unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { X509Certificate } from "node:crypto";
import { generateCa, issueLeaf, type InterceptCa } from "../../src/tls/ca.js";
import { UpstreamSessions, withoutPeerCertificate, type SessionScope } from "../../src/tls/upstream-sessions.js";

let ca: InterceptCa;
let leafDer: Buffer;
const servers: Server[] = [];

/** A TLS server for `upstream.example.test`; records whether each connection resumed. */
async function server(maxVersion: "TLSv1.2" | "TLSv1.3"): Promise<{ port: number; resumed: boolean[] }> {
  const m = await issueLeaf(ca, "upstream.example.test", 2);
  leafDer = new X509Certificate(m.certChainPem).raw;
  const resumed: boolean[] = [];
  const srv = createServer({ key: m.keyPem, cert: m.certChainPem, maxVersion }, (s) => {
    resumed.push(s.isSessionReused());
    s.end("ok");
  });
  srv.on("tlsClientError", () => {});
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  servers.push(srv);
  return { port: (srv.address() as AddressInfo).port, resumed };
}

/** One verified client connection; resolves with whether it resumed and the sessions it was given. */
function client(port: number, ctx: SecureContext, session?: Buffer): Promise<{ reused: boolean; sessions: Buffer[]; authorized: boolean; peerRaw: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    const sessions: Buffer[] = [];
    const s: TLSSocket = connect({ port, host: "127.0.0.1", servername: "upstream.example.test", secureContext: ctx, ...(session ? { session } : {}) });
    s.on("session", (b: Buffer) => sessions.push(b));
    s.on("error", reject);
    let reused = false;
    let authorized = false;
    let peerRaw: Buffer | undefined;
    s.on("secureConnect", () => {
      reused = s.isSessionReused();
      authorized = s.authorized;
      peerRaw = s.getPeerX509Certificate()?.raw;
    });
    s.resume();
    s.on("close", () => resolve({ reused, sessions, authorized, peerRaw }));
  });
}

beforeAll(async () => {
  ({ ca } = await generateCa("session test CA"));
});
afterAll(() => {
  for (const s of servers) s.close();
});

describe("withoutPeerCertificate", () => {
  it("drops the certificate from a real TLS 1.3 session, which still resumes verified", async () => {
    const up = await server("TLSv1.3");
    const ctx = createSecureContext({ ca: [ca.certPem] });
    const first = await client(up.port, ctx);
    expect(first.reused).toBe(false);
    expect(first.sessions.length).toBeGreaterThan(0);
    const full = first.sessions.at(-1)!;
    expect(full.includes(leafDer)).toBe(true);
    const stripped = withoutPeerCertificate(full);
    expect(stripped.includes(leafDer)).toBe(false);
    expect(stripped.length).toBeLessThan(full.length - leafDer.length);
    const again = await client(up.port, ctx, stripped);
    expect(again.reused).toBe(true);
    expect(again.authorized).toBe(true);
    expect(again.peerRaw).toBeUndefined();
    expect(up.resumed).toEqual([false, true]);
  });

  it("keeps a TLS 1.2 session whole (Node counts a resumed 1.2 connection without a certificate as unverified); it resumes", async () => {
    const up = await server("TLSv1.2");
    const ctx = createSecureContext({ ca: [ca.certPem], maxVersion: "TLSv1.2" });
    const first = await client(up.port, ctx);
    const full = first.sessions.at(-1)!;
    expect(withoutPeerCertificate(full)).toBe(full);
    const again = await client(up.port, ctx, withoutPeerCertificate(full));
    expect(again.reused).toBe(true);
    expect(again.authorized).toBe(true);
    expect(up.resumed).toEqual([false, true]);
  });

  it("returns what it cannot parse unchanged", () => {
    const cases = [Buffer.alloc(0), Buffer.from([0x30]), Buffer.from([0x30, 0x05, 0x02, 0x01]), Buffer.from([0x04, 0x02, 0xa3, 0x00]), Buffer.from([0x30, 0x84, 0, 0, 0, 2, 0xa3, 0]), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01, 0xff])];
    for (const b of cases) expect(withoutPeerCertificate(b)).toBe(b);
    // A SEQUENCE without a [3] field, or of another TLS version, is returned as it is.
    const noPeer = Buffer.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04]);
    expect(withoutPeerCertificate(noPeer)).toBe(noPeer);
    const tls12 = Buffer.from([0x30, 0x0b, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x03, 0xa3, 0x02, 0x05, 0x00]);
    expect(withoutPeerCertificate(tls12)).toBe(tls12);
    const noVersion = Buffer.from([0x30, 0x04, 0xa3, 0x02, 0x05, 0x00]);
    expect(withoutPeerCertificate(noVersion)).toBe(noVersion);
    // Long-form lengths are re-encoded.
    // A TLS 1.3 session shape (version 1, ssl_version 0x0304, [3], a 255-byte OCTET STRING): the
    // [3] field goes, the long-form length is re-encoded.
    const big = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x0d, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0xa3, 0x02, 0x05, 0x00, 0x04, 0x81, 0xff]), Buffer.alloc(0xff, 7)]);
    expect(big.length).toBe(4 + 0x10d);
    expect(withoutPeerCertificate(big)).toEqual(Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x09, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0x04, 0x81, 0xff]), Buffer.alloc(0xff, 7)]));
  });
});

describe("UpstreamSessions", () => {
  const ctxA = createSecureContext({});
  const ctxB = createSecureContext({});
  const scope: SessionScope = { sni: "a.example.test", host: "192.0.2.1", port: 443, alpn: ["http/1.1"], secureContext: ctxA, rejectUnauthorized: true };

  it("keys by SNI, upstream, port, ALPN offer, root set and verification", () => {
    const s = new UpstreamSessions();
    const k = s.key(scope);
    expect(s.key({ ...scope })).toBe(k);
    for (const other of [{ sni: "b.example.test" }, { host: "192.0.2.2" }, { port: 8443 }, { alpn: ["h2", "http/1.1"] }, { secureContext: ctxB }, { rejectUnauthorized: false }]) {
      expect(s.key({ ...scope, ...other })).not.toBe(k);
    }
  });

  it("stores sessions without the certificate, at most `max` of them, oldest dropped first", async () => {
    const up = await server("TLSv1.3");
    const first = await client(up.port, createSecureContext({ ca: [ca.certPem] }));
    const s = new UpstreamSessions(2);
    const keys = ["a", "b", "c"].map((sni) => s.key({ ...scope, sni }));
    for (const k of keys) s.store(k, first.sessions[0]!);
    expect(s.size).toBe(2);
    expect(s.get(keys[0]!)).toBeUndefined();
    expect(s.get(keys[2]!)!.includes(leafDer)).toBe(false);
    // Storing again under a kept key makes it the newest.
    s.store(keys[1]!, first.sessions[0]!);
    s.store(s.key({ ...scope, sni: "d" }), first.sessions[0]!);
    expect(s.get(keys[1]!)).toBeDefined();
    expect(s.get(keys[2]!)).toBeUndefined();
  });
});
