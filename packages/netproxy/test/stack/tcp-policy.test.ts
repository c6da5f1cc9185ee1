/** TCP admission: policy deny/allow/defer, connect failure, max_connections, DNS/DoT ports, interception. */
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { FlowInterceptor, InterceptedFlow } from "../../src/stack/types.js";
import { harness, loopbackServer, waitFor, type Harness } from "./helpers/harness.js";
import { MemoryLink } from "./helpers/link.js";
import { isV4, testPolicy } from "./helpers/policy.js";
import { clientHello } from "./helpers/tls.js";

let h: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const c of cleanups.splice(0)) await c();
});

const GW = "172.16.0.1";

describe("tcp admission by policy", () => {
  it("denied SYN gets RST and nothing is opened upstream", async () => {
    const srv = await loopbackServer(() => {});
    cleanups.push(srv.close);
    const policy = testPolicy({ egress: () => "deny" });
    h = await harness({ policy });
    const g = h.tcp({ srcPort: 42000, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "reset");
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.connections).toBe(0);
    expect(policy.egressCalls[0]!.source).toEqual({ kind: "deferred" });
    const ev = h.events.find((e) => e.type === "flow");
    expect(ev).toMatchObject({ type: "flow", verdict: "deny", stage: "syn", protocol: "tcp", dstPort: srv.port });
    expect(h.stack.stats().tcpDenied).toBe(1);
  });

  it("denies a non-gateway destination before any socket exists", async () => {
    h = await harness({ policy: testPolicy({ egress: (ip) => (isV4(ip, GW) ? "allow" : "deny") }) });
    const g = h.tcp({ srcPort: 42001, dstPort: 443, dst: Uint8Array.of(203, 0, 113, 9) });
    g.connect();
    await g.until(() => g.state === "reset");
    expect(h.stack.stats().tcpActive).toBe(0);
  });

  it("a host alias address maps to the host loopback like the gateway", async () => {
    const srv = await loopbackServer((s) => s.end("alias"));
    cleanups.push(srv.close);
    h = await harness({ policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.254") ? "allow" : "deny") }), hostAliasIps: ["172.16.0.254"] });
    const g = h.tcp({ srcPort: 42003, dstPort: srv.port, dst: Uint8Array.of(172, 16, 0, 254) });
    g.connect();
    await g.until(() => g.peerFin);
    expect(g.data().toString()).toBe("alias");
  });

  it("upstream connect failure answers the SYN with RST", async () => {
    const srv = await loopbackServer(() => {});
    const port = srv.port;
    await srv.close(); // nothing listens there any more
    h = await harness({ policy: testPolicy({ egress: () => "allow" }) });
    const g = h.tcp({ srcPort: 42002, dstPort: port });
    g.connect();
    await g.until(() => g.state === "reset");
    expect(g.segmentsIn.every((s) => !(s.flags & 0x02))).toBe(true); // never a SYN-ACK
  });

  it("max_connections: a SYN beyond the limit gets RST", async () => {
    const srv = await loopbackServer(() => {});
    cleanups.push(srv.close);
    h = await harness({ policy: testPolicy({ egress: () => "allow" }), maxConnections: 2 });
    const a = h.tcp({ srcPort: 42010, dstPort: srv.port });
    const b = h.tcp({ srcPort: 42011, dstPort: srv.port });
    a.connect();
    b.connect();
    await a.until(() => a.state === "established");
    await b.until(() => b.state === "established");
    const c = h.tcp({ srcPort: 42012, dstPort: srv.port });
    c.connect();
    await c.until(() => c.state === "reset");
    expect(srv.connections).toBe(2);
    expect(h.events.some((e) => e.type === "limit" && e.what === "max_connections")).toBe(true);
  });

  it("rejects an MTU larger than the link's frame limit", async () => {
    await expect(harness({ policy: testPolicy({}), addresses: { mtu: 65520 }, link: Object.assign(new MemoryLink(), { maxFrameSize: 1514 }) })).rejects.toThrow(
      "MTU 65520 needs frames of 65534 bytes but the link carries at most 1514",
    );
  });

  it("rejects max_connections above the hard limit", async () => {
    await expect(harness({ policy: testPolicy({}), maxConnections: 5000 })).rejects.toThrow("max_connections 5000 exceeds hard limit 4096");
  });

  it("defer: handshake first, then SNI decides; allowed SNI reaches upstream with the first bytes", async () => {
    const got: Buffer[] = [];
    const srv = await loopbackServer((s) => s.on("data", (d) => got.push(d)));
    cleanups.push(srv.close);
    const policy = testPolicy({
      egress: (_ip, _port, _proto, source) =>
        source?.kind === "deferred" ? "defer" : source?.kind === "sni" && source.name === "good.example" ? "allow" : "deny",
      hasDomainRules: true,
    });
    h = await harness({ policy });
    const g = h.tcp({ srcPort: 42020, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    expect(srv.connections).toBe(0); // no upstream before the first flight
    const hello = clientHello("good.example", true);
    g.write(hello);
    await waitFor(() => Buffer.concat(got).length === hello.length, 5000, "hello upstream");
    expect(Buffer.concat(got).equals(Buffer.from(hello))).toBe(true);
    expect(h.events.some((e) => e.type === "flow" && e.stage === "first-flight" && e.verdict === "allow" && e.sni === "good.example")).toBe(true);
  });

  it("defer: a denied SNI closes with FIN and never connects", async () => {
    const srv = await loopbackServer(() => {});
    cleanups.push(srv.close);
    const policy = testPolicy({ egress: (_i, _p, _pr, source) => (source?.kind === "deferred" ? "defer" : "deny"), hasDomainRules: true });
    h = await harness({ policy });
    const g = h.tcp({ srcPort: 42021, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(clientHello("evil.example"));
    await g.until(() => g.peerFin);
    expect(g.state).toBe("established"); // FIN, not RST
    expect(srv.connections).toBe(0);
    expect(policy.egressCalls.at(-1)!.source).toEqual({ kind: "sni", name: "evil.example" });
  });

  it("defer: non-TLS first bytes are re-evaluated with the name cache", async () => {
    const srv = await loopbackServer((s) => s.end("ok"));
    cleanups.push(srv.close);
    const policy = testPolicy({ egress: (_i, _p, _pr, source) => (source?.kind === "deferred" ? "defer" : source?.kind === "cache" ? "allow" : "deny"), hasDomainRules: true });
    h = await harness({ policy });
    const g = h.tcp({ srcPort: 42022, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    await g.until(() => g.peerFin);
    expect(g.data().toString()).toBe("ok");
  });

  it("hands intercepted flows to the FlowInterceptor with first bytes and SNI", async () => {
    let seen: InterceptedFlow | null = null;
    const written: Buffer[] = [];
    const interceptor: FlowInterceptor = {
      intercepts: (f) => f.dstPort === 8443,
      async intercept(flow) {
        seen = flow;
        return new Duplex({
          read() {},
          write(chunk, _e, cb) {
            written.push(chunk);
            this.push(Buffer.from("answer"));
            this.push(null);
            cb();
          },
        });
      },
    };
    h = await harness({ policy: testPolicy({ egress: () => "allow" }), interceptor });
    const g = h.tcp({ srcPort: 42030, dstPort: 8443 });
    g.connect();
    await g.until(() => g.state === "established");
    const hello = clientHello("intercept.example");
    g.write(hello);
    await g.until(() => g.peerFin);
    expect(g.data().toString()).toBe("answer");
    expect(seen!.sni).toBe("intercept.example");
    expect(seen!.decision.verdict).toBe("allow");
    expect(seen!.upstreamHost).toBe("127.0.0.1");
    expect(Buffer.concat(written).equals(Buffer.from(hello))).toBe(true);
  });

  it("streams at once when the interceptor needs no first bytes (server-first protocols are not held up)", async () => {
    let seen: InterceptedFlow | null = null;
    const interceptor: FlowInterceptor = {
      intercepts: (f) => f.dstPort === 2222,
      needsFirstBytes: () => false,
      async intercept(flow) {
        seen = flow;
        const d = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
        d.push(Buffer.from("SSH-2.0-banner\r\n")); // the server speaks first
        return d;
      },
    };
    h = await harness({ policy: testPolicy({ egress: () => "allow" }), interceptor });
    const g = h.tcp({ srcPort: 42031, dstPort: 2222 });
    g.connect();
    // The guest sends nothing; the banner arrives long before the 5 s first-bytes wait would end.
    await g.until(() => g.data().toString().includes("SSH-2.0"), 2000);
    expect(seen!.firstBytes.length).toBe(0);
    expect(seen!.sni).toBeNull();
    expect(seen!.decision.verdict).toBe("allow");
  });

  it("refuses TCP/853 with RST when no DoT handler is set", async () => {
    h = await harness({ policy: testPolicy({ egress: () => "allow" }) });
    const g = h.tcp({ srcPort: 42040, dstPort: 853 });
    g.connect();
    await g.until(() => g.state === "reset");
  });

  it("answers DNS over TCP (any address) through the DnsHandler with 2-byte framing", async () => {
    h = await harness({ policy: testPolicy({ egress: () => "deny" }) });
    const g = h.tcp({ srcPort: 42041, dstPort: 53, dst: Uint8Array.of(9, 9, 9, 9) });
    g.connect();
    await g.until(() => g.state === "established");
    const q = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
    const framed = Buffer.concat([Buffer.from([0, q.length]), q, Buffer.from([0, q.length]), q]);
    g.write(framed.subarray(0, 5));
    g.write(framed.subarray(5));
    await g.until(() => g.receivedLen === framed.length);
    const a = g.data();
    expect(a.readUInt16BE(0)).toBe(12);
    expect(a[4]! & 0x80).toBe(0x80);
    g.end();
    await g.until(() => g.peerFin);
  });

  it("policy reload resets flows the new policy denies", async () => {
    const srv = await loopbackServer(() => {});
    cleanups.push(srv.close);
    h = await harness({ policy: testPolicy({ egress: () => "allow" }) });
    const g = h.tcp({ srcPort: 42050, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    h.stack.reloadPolicy(testPolicy({ egress: () => "allow" }));
    await new Promise((r) => setTimeout(r, 30));
    expect(g.state).toBe("established");
    h.stack.reloadPolicy(testPolicy({ egress: () => "deny" }));
    await g.until(() => g.state === "reset");
  });
});
