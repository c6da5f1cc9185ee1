/** DoT termination (TCP/853 with TLS on) and the L7 service factory. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as tlsConnect } from "node:tls";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import { compilePolicy, parseIp, ResolvedNameCache, SecretsConfig, TlsConfig, type NetworkPolicy } from "@sandbox/core";
import { createDnsHandler, type DnsEvent } from "../../src/dns/forwarder.js";
import { NodeDnsTransport } from "../../src/dns/transport.js";
import { createServer as createTlsServer } from "node:tls";
import type { AddressInfo } from "node:net";
import { generateCa } from "../../src/tls/ca.js";
import { LeafCache } from "../../src/tls/leaf-cache.js";
import { createDotHandler } from "../../src/tls/dot.js";
import { createL7Services, l7EventToControl } from "../../src/tls/services.js";
import { Event as ControlEvent } from "../../src/gen/control.js";
import { startUpstream, type TestUpstream } from "../dns/upstream-helper.js";

const GW = { ipv4: "172.16.0.1" };
let up: TestUpstream;
beforeAll(async () => {
  up = await startUpstream((q) => ({ type: "response", answers: [{ name: q.questions![0]!.name, type: "A", ttl: 60, data: "93.184.216.34" }] }) as dnsPacket.Packet);
});
afterAll(() => up.close());

describe("DNS over TLS", () => {
  it("terminates DoT with a leaf for the SNI and applies the DoT policy tuple (tcp/853)", async () => {
    const policy: NetworkPolicy = { default_egress: "deny", default_ingress: "allow", rules: [{ direction: "egress", destination: "any", protocols: ["tcp"], ports: [{ start: 853, end: 853 }], action: "allow" }] };
    const cache = new ResolvedNameCache();
    const events: DnsEvent[] = [];
    const dns = createDnsHandler({ policy: compilePolicy(policy, { gateway: GW, cache }), cache, gateway: GW, upstreams: [{ ip: "127.0.0.1", port: up.port }], events: (e) => events.push(e) });
    const { ca } = await generateCa("dot CA");
    const dot = createDotHandler({ leaves: new LeafCache(ca), dns });
    const stackEnd = dot({ guestIp: parseIp("172.16.0.2")!, guestPort: 5555, dstIp: parseIp(GW.ipv4)!, dstPort: 853 });
    const guest = tlsConnect({ socket: stackEnd as never, servername: "dns.example.test", ca: [ca.certPem] });
    await new Promise((r) => guest.once("secureConnect", r));
    expect(new X509Certificate(guest.getPeerX509Certificate()!.raw).subjectAltName).toBe("DNS:dns.example.test");
    const q = dnsPacket.encode({ id: 9, type: "query", questions: [{ name: "dot.example", type: "A" }] });
    guest.write(Buffer.concat([Buffer.from([0, q.length]), q]));
    const answer = await new Promise<Buffer>((r) => guest.once("data", r));
    const r = dnsPacket.decode(answer.subarray(2));
    expect(r.id).toBe(9);
    expect(r.answers![0]).toMatchObject({ data: "93.184.216.34" });
    expect(events.at(-1)).toMatchObject({ transport: "dot", outcome: "forwarded" });
    expect(up.seen.at(-1)).toMatchObject({ name: "dot.example", transport: "tcp" });
    guest.destroy();
    dns.close();
  });
});

describe("DoT towards a guest-chosen resolver", () => {
  it("re-encrypts to the resolver on its DoT port with the guest's SNI, verifying its certificate", async () => {
    const { ca: upCa } = await generateCa("resolver CA");
    const upLeaves = new LeafCache(upCa);
    const seenSni: string[] = [];
    const resolver = createTlsServer({ SNICallback: (n, cb) => void upLeaves.get(n).then((l) => { seenSni.push(n); cb(null, l.context); }, cb) }, (s) => {
      let buf = Buffer.alloc(0);
      s.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const q = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        const out = dnsPacket.encode({ id: q.id, type: "response", questions: q.questions, answers: [{ name: q.questions![0]!.name, type: "A", ttl: 30, data: "93.184.216.35" }] });
        s.write(Buffer.concat([Buffer.from([out.length >> 8, out.length & 255]), out]));
      });
      s.on("error", () => {});
    });
    await new Promise<void>((r) => resolver.listen(0, "127.0.0.1", r));
    const port = (resolver.address() as AddressInfo).port;
    const policy: NetworkPolicy = { default_egress: "deny", default_ingress: "allow", rules: [{ direction: "egress", destination: "any", protocols: ["tcp"], ports: [{ start: 853, end: 853 }], action: "allow" }] };
    const cache = new ResolvedNameCache();
    const events: DnsEvent[] = [];
    const dns = createDnsHandler({
      policy: compilePolicy(policy, { gateway: GW, cache }),
      cache,
      gateway: GW,
      upstreams: [{ ip: "127.0.0.1", port: up.port }],
      transport: new NodeDnsTransport({ tls: { ca: [upCa.certPem] } }),
      directResolverPorts: { dot: port },
      events: (e) => events.push(e),
    });
    const q = dnsPacket.encode({ id: 3, type: "query", questions: [{ name: "chosen.example", type: "A" }] });
    const out = await dns.handle(q, { transport: "dot", resolverIp: parseIp("127.0.0.1")!, clientIp: parseIp("172.16.0.2")!, sni: "resolver.example.test" });
    expect(events.at(-1)).toMatchObject({ outcome: "forwarded" });
    expect(dnsPacket.decode(Buffer.from(out!)).answers![0]).toMatchObject({ data: "93.184.216.35" });
    expect(seenSni).toEqual(["resolver.example.test"]);
    expect(events.at(-1)).toMatchObject({ outcome: "forwarded", upstream: `127.0.0.1:${port}` });
    // An untrusted resolver certificate is no usable answer.
    const strict = createDnsHandler({ policy: compilePolicy(policy, { gateway: GW, cache }), cache, gateway: GW, upstreams: [{ ip: "127.0.0.1", port: up.port }], directResolverPorts: { dot: port }, queryTimeoutMs: 1000 });
    const bad = await strict.handle(q, { transport: "dot", resolverIp: parseIp("127.0.0.1")!, clientIp: parseIp("172.16.0.2")!, sni: "resolver.example.test" });
    expect((dnsPacket.decode(Buffer.from(bad!)) as { rcode?: string }).rcode).toBe("SERVFAIL");
    dns.close();
    strict.close();
    resolver.close();
  });
});

describe("createL7Services", () => {
  it("builds interceptor, DoT, QUIC ports and a persisted CA when TLS is on; nothing when off", async () => {
    const dir = await mkdtemp(join(tmpdir(), "l7-svc-"));
    try {
      const cache = new ResolvedNameCache();
      const on = await createL7Services({ tls: TlsConfig.parse({ enabled: true, intercepted_ports: [443, 8443] }), secrets: SecretsConfig.parse({}), trustHostCas: false, gateway: GW, cache, dns: { handle: async () => null }, caDir: dir });
      expect(on.interceptor).toBeDefined();
      expect(on.dot).toBeDefined();
      expect(on.blockUdpPorts).toEqual([443, 8443]);
      expect(on.guestTrustPem).toBe(on.caPem);
      expect((await stat(join(dir, "ca.key"))).mode & 0o777).toBe(0o600);
      expect(on.interceptor!.intercepts({ guestIp: parseIp("172.16.0.2")!, guestPort: 1, dstIp: parseIp("1.2.3.4")!, dstPort: 8443 })).toBe(true);
      expect(on.interceptor!.intercepts({ guestIp: parseIp("172.16.0.2")!, guestPort: 1, dstIp: parseIp("1.2.3.4")!, dstPort: 80 })).toBe(false);
      const off = await createL7Services({ tls: TlsConfig.parse({}), secrets: SecretsConfig.parse({}), trustHostCas: false, gateway: GW, cache, caDir: dir });
      expect(off).toEqual({ blockUdpPorts: [], guestTrustPem: "" });
      const secretsOnly = await createL7Services({ tls: TlsConfig.parse({}), secrets: SecretsConfig.parse({ secrets: [{ env_var: "K", value: "v", allowed_hosts: ["any"] }] }), trustHostCas: false, gateway: GW, cache, caDir: dir });
      expect(secretsOnly.interceptor!.intercepts({ guestIp: parseIp("172.16.0.2")!, guestPort: 1, dstIp: parseIp("1.2.3.4")!, dstPort: 80 })).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("L7 events on the control channel", () => {
  const at = { src: "172.16.0.2", srcPort: 40000, dst: "93.184.216.34", dstPort: 443 };
  it("maps interception and bypass to schema-valid `tls` events", () => {
    const i = l7EventToControl({ type: "tls", action: "intercept", sni: "api.example.test", ...at, reason: "terminated" });
    expect(i).toEqual({ tls: { action: "intercepted", sni: "api.example.test", src_ip: "172.16.0.2", src_port: 40000, dst_ip: "93.184.216.34", dst_port: 443, reason: "terminated" } });
    const b = l7EventToControl({ type: "tls", action: "bypass", sni: "pinned.example.test", ...at, reason: "bypass" });
    expect(b).toMatchObject({ tls: { action: "bypassed", sni: "pinned.example.test" } });
    for (const e of [i, b]) expect(ControlEvent.safeParse(e).success).toBe(true);
  });

  it("maps secret violations, SNI mismatches, missing SNI and upstream failures to `violation` events", () => {
    const cases = [
      [l7EventToControl({ type: "secret_violation", action: "block", envVar: "K", placeholder: "$MSB_K", location: "header", form: "raw", dst: "1.2.3.4", dstPort: 443 }), "secret_leak"],
      [l7EventToControl({ type: "http_block", reason: 'Host "a" does not match the SNI "b"', sni: "b", dst: "1.2.3.4", dstPort: 443 }), "sni_mismatch"],
      [l7EventToControl({ type: "tls", action: "no_sni", sni: null, ...at, reason: "no SNI" }), "no_sni"],
      [l7EventToControl({ type: "tls", action: "upstream_error", sni: "a.example", ...at, reason: "bad cert" }), "upstream_tls"],
    ] as const;
    for (const [e, kind] of cases) {
      expect(e).toMatchObject({ violation: { kind } });
      expect(ControlEvent.safeParse(e).success).toBe(true);
    }
    // A policy deny is the stack's `flow` event already.
    expect(l7EventToControl({ type: "tls", action: "deny", sni: "evil.example", ...at, reason: "rule 0" })).toBeNull();
  });
});
