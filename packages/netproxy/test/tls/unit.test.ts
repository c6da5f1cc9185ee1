import { describe, expect, it } from "vitest";
import { connect as tlsConnect } from "node:tls";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalSni, parseClientHello } from "../../src/tls/client-hello.js";
import { generateCa, loadOrCreateCa } from "../../src/tls/ca.js";
import { LeafCache } from "../../src/tls/leaf-cache.js";
import { duplexPair } from "../../src/tls/duplex-pair.js";
import { guestTrustBundle, splitPemCertificates, UpstreamTrust } from "../../src/tls/roots.js";
import { isQuicBlocked, quicBlockedUdpPorts } from "../../src/tls/interceptor.js";
import { isDroppedDnsUdpPort } from "../../src/dns/stream.js";

/** The first flight a real node TLS client sends. */
async function clientHello(opts: { servername?: string; ALPNProtocols?: string[] }): Promise<Buffer> {
  const [a, b] = duplexPair();
  const c = tlsConnect({ socket: a as never, ...opts, rejectUnauthorized: false });
  c.on("error", () => {});
  const chunk = await new Promise<Buffer>((r) => b.once("data", r));
  c.destroy();
  return chunk;
}

describe("ClientHello reader", () => {
  it("extracts SNI and ALPN from a real ClientHello, reports need-more on every prefix", async () => {
    const hello = await clientHello({ servername: "Api.Example.COM", ALPNProtocols: ["h2", "http/1.1"] });
    const r = parseClientHello(hello);
    expect(r).toEqual({ kind: "hello", sni: "Api.Example.COM", alpn: ["h2", "http/1.1"] });
    expect(canonicalSni("Api.Example.COM.")).toBe("api.example.com");
    for (let i = 0; i < hello.length; i++) expect(parseClientHello(hello.subarray(0, i)).kind).toBe("need-more");
  });

  it("reassembles a ClientHello split over two TLS records", async () => {
    const hello = await clientHello({ servername: "split.example" });
    const body = hello.subarray(5);
    const rec = (b: Buffer) => Buffer.concat([Buffer.from([0x16, 3, 1, b.length >> 8, b.length & 255]), b]);
    const two = Buffer.concat([rec(body.subarray(0, 40)), rec(body.subarray(40))]);
    expect(parseClientHello(two)).toMatchObject({ kind: "hello", sni: "split.example" });
  });

  it("reports no SNI for an IP-literal connection and not-tls for HTTP or junk, never throwing", async () => {
    const hello = await clientHello({});
    expect(parseClientHello(hello)).toMatchObject({ kind: "hello", sni: undefined });
    expect(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n")).kind).toBe("not-tls");
    expect(canonicalSni("10.0.0.1")).toBeUndefined();
    expect(canonicalSni("bad host")).toBeUndefined();
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(hello);
      for (let k = 0; k < 3; k++) m[(seed = (seed * 48271) % 2147483647) % m.length] = seed & 255;
      expect(() => parseClientHello(m)).not.toThrow();
    }
  });
});

describe("interception CA and leaves", () => {
  it("generates and persists a CA (key 0600), then loads the same one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "l7-ca-"));
    try {
      const a = await loadOrCreateCa({ dir });
      expect((await stat(join(dir, "ca.key"))).mode & 0o777).toBe(0o600);
      const b = await loadOrCreateCa({ dir });
      expect(b.certPem).toBe(a.certPem);
      const x = new X509Certificate(a.certPem);
      expect(x.ca).toBe(true);
      await expect(loadOrCreateCa({ certPath: join(dir, "ca.crt") })).rejects.toThrow("intercept CA config is incomplete; set both cert_path and key_path");
      const user = await loadOrCreateCa({ certPath: join(dir, "ca.crt"), keyPath: join(dir, "ca.key") });
      expect(user.certPem).toBe(a.certPem);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("issues ECDSA P-256 leaves with SAN = [SNI], serverAuth, chained to the CA; LRU evicts", async () => {
    const { ca } = await generateCa("test CA");
    const leaves = new LeafCache(ca, { capacity: 2, validityHours: 1 });
    const l = await leaves.get("api.example.com");
    const [leafPem] = splitPemCertificates(l.certChainPem);
    const x = new X509Certificate(leafPem!);
    expect(x.subjectAltName).toBe("DNS:api.example.com");
    expect(x.keyUsage).toContain("1.3.6.1.5.5.7.3.1");
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect(new Date(x.validTo).getTime() - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(await leaves.get("api.example.com")).toBe(l);
    await Promise.all([leaves.get("b.example"), leaves.get("b.example")]);
    expect(leaves.issued).toBe(2);
    await leaves.get("c.example");
    expect(leaves.size).toBe(2);
    expect(leaves.peek("api.example.com")).toBeUndefined();
    const ipLeaf = new X509Certificate(splitPemCertificates((await leaves.get("10.0.0.1")).certChainPem)[0]!);
    expect(ipLeaf.subjectAltName).toBe("IP Address:10.0.0.1");
  });

  it("builds the guest trust bundle (CA + deduplicated host roots) and scoped upstream choices", async () => {
    const { ca } = await generateCa("bundle CA");
    const only = await guestTrustBundle({ interceptCaPem: ca.certPem, trustHostCas: false });
    expect(splitPemCertificates(only)).toHaveLength(1);
    const withHost = await guestTrustBundle({ interceptCaPem: ca.certPem + ca.certPem, trustHostCas: true });
    const n = splitPemCertificates(withHost).length;
    expect(n).toBeGreaterThan(50);
    expect(new Set(splitPemCertificates(withHost)).size).toBe(n);
    const dir = await mkdtemp(join(tmpdir(), "l7-roots-"));
    try {
      await writeFile(join(dir, "scoped.pem"), ca.certPem);
      const t = await UpstreamTrust.load(
        { verify_upstream: true, scoped_upstream_ca_cert: [{ pattern: "*.corp.example", path: join(dir, "scoped.pem") }], scoped_verify_upstream: [{ pattern: "*.example", verify: false }, { pattern: "api.corp.example", verify: true }] },
        { hostRoots: false },
      );
      expect(t.choose("api.corp.example")).toMatchObject({ rejectUnauthorized: true, ca: [ca.certPem] });
      expect(t.choose("x.corp.example").rejectUnauthorized).toBe(false);
      expect(t.choose("other.org")).toMatchObject({ rejectUnauthorized: true, ca: [] });
      expect((await readFile(join(dir, "scoped.pem"), "utf8")).length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("port predicates", () => {
  it("drops DoQ/mDNS/LLMNR/NetBIOS UDP and QUIC on intercepted ports", () => {
    for (const p of [853, 5353, 5355, 137]) expect(isDroppedDnsUdpPort(p)).toBe(true);
    expect(isDroppedDnsUdpPort(53)).toBe(false);
    const tls = { enabled: true, intercepted_ports: [443, 8443], block_quic_on_intercept: true };
    expect(isQuicBlocked(tls, 443)).toBe(true);
    expect(isQuicBlocked({ ...tls, block_quic_on_intercept: false }, 443)).toBe(false);
    expect(isQuicBlocked({ ...tls, enabled: false }, 443)).toBe(false);
    expect(quicBlockedUdpPorts(tls)).toEqual([443, 8443]);
  });
});
