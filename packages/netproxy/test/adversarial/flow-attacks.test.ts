/**
 * A hostile guest at layer 4, driven through the in-memory link against real loopback upstreams:
 * a SYN flood against max_connections, UDP flow-table exhaustion, zero-window and slow-reader
 * attacks, slowloris on a published port, and DNS rebinding races against a domain rule. Each
 * test checks that the policy holds, memory and descriptors stay bounded, other flows keep working
 * and capacity comes back once the attack stops.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import { randomBytes } from "node:crypto";
import { compilePolicy, ResolvedNameCache, type CompiledPolicy, type PolicyLike } from "@sandbox/core";
import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { createDnsHandler } from "../../src/dns/forwarder.js";
import { TCP_FLAG } from "../../src/frame/tcp.js";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { startUpstream } from "../dns/upstream-helper.js";
import { ipFrame, udpL4 } from "../stack/helpers/guest.js";
import { loopbackServer, waitFor } from "../stack/helpers/harness.js";
import { isV4, testPolicy } from "../stack/helpers/policy.js";
import { fdCount, GuestMultiListener, rawRst, rawSyn, retainedMiB, sleep } from "./helpers.js";
import { perTest } from "./per-test.js";

const { start, cleanups } = perTest();

const gatewayOnly = () => testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") });

async function echoServer() {
  const srv = await loopbackServer((s) => s.pipe(s));
  cleanups.push(srv.close);
  return srv;
}

describe("SYN flood against max_connections", () => {
  it("excess SYNs get RST, the table stays at the cap, an established flow keeps working, capacity returns", async () => {
    const CAP = 32;
    const srv = await echoServer();
    const h = await start({ policy: gatewayOnly(), maxConnections: CAP, tuning: { rtoInitialMs: 100, rtoMinMs: 50, tcpMaxRetries: 3 } });
    const plan = h.stack.addresses;
    const gw = plan.v4!.gateway;
    // One honest flow first.
    const honest = h.tcp({ srcPort: 40000, dstPort: srv.port });
    honest.connect();
    await honest.until(() => honest.state === "established");
    // 1,000 SYNs from distinct ports, never completed (the attacker ignores SYN-ACKs).
    const rsts = new Set<number>();
    h.onRx = (rx) => {
      if (rx.tcp && rx.tcp.flags & TCP_FLAG.RST) rsts.add(rx.tcp.dstPort);
    };
    const fds0 = fdCount();
    let maxActive = 0;
    for (let p = 0; p < 1000; p++) {
      h.link.inject(rawSyn(plan, gw, 20000 + p, srv.port));
      if (p % 50 === 0) {
        await sleep(1);
        maxActive = Math.max(maxActive, h.stack.stats().tcpActive);
      }
    }
    await waitFor(() => rsts.size >= 1000 - (CAP - 1), 10_000, "RSTs for the excess SYNs");
    maxActive = Math.max(maxActive, h.stack.stats().tcpActive);
    expect(maxActive).toBeLessThanOrEqual(CAP);
    expect(h.stack.stats().tcpActive).toBe(CAP);
    expect(h.events.some((e) => e.type === "limit" && e.what === "max_connections")).toBe(true);
    // At most CAP upstream sockets were ever opened (SYN-ACK only after connect, never past the cap).
    expect(srv.connections).toBeLessThanOrEqual(CAP);
    // Both ends of each loopback upstream live in this process: two descriptors per flow.
    expect(fdCount() - fds0).toBeLessThanOrEqual(2 * CAP + 6);
    // The honest flow still moves data.
    const msg = randomBytes(100_000);
    honest.write(msg);
    await honest.until(() => honest.receivedLen === msg.length, 10_000);
    expect(honest.data().equals(msg)).toBe(true);
    // Half-open flows give up after their SYN-ACK retries: capacity returns without any help.
    await waitFor(() => h!.stack.stats().tcpActive === 1, 10_000, "half-open flows to expire");
    const after = h.tcp({ srcPort: 40001, dstPort: srv.port });
    after.connect();
    await after.until(() => after.state === "established");
    expect(fdCount() - fds0).toBeLessThanOrEqual(8);
  });

  it("a guest RST frees the slot at once (flood, then RST all, then the cap is usable again)", async () => {
    const CAP = 16;
    const srv = await echoServer();
    const h = await start({ policy: gatewayOnly(), maxConnections: CAP });
    const plan = h.stack.addresses;
    const gw = plan.v4!.gateway;
    for (let p = 0; p < 200; p++) h.link.inject(rawSyn(plan, gw, 21000 + p, srv.port));
    await waitFor(() => h!.stack.stats().tcpActive === CAP);
    await waitFor(() => srv.connections === CAP);
    // The attacker's SYN-ACKs carry our ISN; its RST with seq = its ISN + 1 is in window.
    for (let p = 0; p < 200; p++) h.link.inject(rawRst(plan, gw, 21000 + p, srv.port));
    await waitFor(() => h!.stack.stats().tcpActive === 0, 5000, "slots freed by RST");
    const gs = Array.from({ length: CAP }, (_, i) => h!.tcp({ srcPort: 41000 + i, dstPort: srv.port }));
    for (const g of gs) g.connect();
    for (const g of gs) await g.until(() => g.state === "established");
  });
});

describe("UDP flow-table exhaustion", () => {
  it("4,000 distinct flows: at most 256 sessions (oldest evicted), descriptors and memory bounded, a new flow works", async () => {
    const echo = dgram.createSocket("udp4");
    let seen = 0;
    echo.on("message", (m, r) => {
      seen++;
      echo.send(m, r.port, r.address);
    });
    await new Promise<void>((r) => echo.bind(0, "127.0.0.1", () => r()));
    cleanups.push(() => void echo.close());
    const port = echo.address().port;
    const h = await start({ policy: testPolicy({ egress: (ip, _p, proto) => (proto === "udp" && isV4(ip, "172.16.0.1") ? "allow" : "deny") }) });
    const plan = h.stack.addresses;
    const g = plan.v4!.guest;
    const gw = plan.v4!.gateway;
    const fds0 = fdCount();
    const base = await retainedMiB();
    let maxSessions = 0;
    for (let i = 0; i < 4000; i++) {
      h.link.inject(ipFrame(plan, g, gw, IPPROTO.UDP, udpL4(g, gw, 10000 + i, port, randomBytes(64))));
      if (i % 100 === 0) {
        await sleep(2);
        maxSessions = Math.max(maxSessions, h.stack.stats().udpSessions);
      }
    }
    await waitFor(() => h!.stack.stats().framesIn >= 4000, 10_000, "datagrams taken in");
    await sleep(300);
    // A session evicted before its socket's implicit bind finished loses its datagram (UDP, by
    // design under exhaustion); the 256 surviving sessions' datagrams all arrive.
    expect(seen).toBeGreaterThanOrEqual(256);
    maxSessions = Math.max(maxSessions, h.stack.stats().udpSessions);
    expect(maxSessions).toBeLessThanOrEqual(256);
    expect(h.stack.stats().udpSessions).toBe(256);
    expect(h.events.some((e) => e.type === "limit" && e.what === "udp_sessions")).toBe(true);
    expect(fdCount() - fds0).toBeLessThanOrEqual(256 + 8);
    expect((await retainedMiB()) - base).toBeLessThan(16);
    // A fresh flow still gets its answer.
    const got: string[] = [];
    h.onRx = (rx) => {
      if (rx.protocol === IPPROTO.UDP && rx.l4) got.push(Buffer.from(rx.l4.subarray(8)).toString());
    };
    h.link.inject(ipFrame(plan, g, gw, IPPROTO.UDP, udpL4(g, gw, 9999, port, Buffer.from("still here"))));
    await waitFor(() => got.includes("still here"), 5000, "fresh flow answer");
  });
});

describe("zero-window and slow-reader attacks", () => {
  it("8 flows whose guest stops reading: upstream reading pauses, proxy memory per flow stays bounded, data resumes intact", async () => {
    const FLOWS = 8;
    const RCV = 256 * 1024;
    const SND = 256 * 1024;
    const pushed = new Map<number, number>();
    const data = randomBytes(32 << 20); // one blob, shared by every upstream
    // Each upstream writes as fast as the socket accepts, up to 32 MiB, counting what the kernel took.
    const srv = await loopbackServer((s) => {
      const port = s.remotePort!;
      pushed.set(port, 0);
      let off = 0;
      const pump = (): void => {
        while (off < data.length) {
          const n = Math.min(64 * 1024, data.length - off);
          const ok = s.write(data.subarray(off, off + n));
          off += n;
          pushed.set(port, off);
          if (!ok) return void s.once("drain", pump);
        }
        s.end();
      };
      pump();
    });
    cleanups.push(srv.close);
    const h = await start({ policy: gatewayOnly(), tuning: { tcpRcvBuf: RCV, tcpSndBuf: SND } });
    const base = await retainedMiB();
    const guests = Array.from({ length: FLOWS }, (_, i) => h!.tcp({ srcPort: 43000 + i, dstPort: srv.port, window: 65535, windowScale: 2 }));
    for (const g of guests) g.connect();
    for (const g of guests) await g.until(() => g.receivedLen > 100_000, 10_000);
    // The attack: every guest advertises a zero window and stops reading.
    for (const g of guests) g.setWindow(0);
    await sleep(1500);
    const stalled = [...pushed.values()].reduce((a, b) => a + b, 0);
    await sleep(1000);
    const stalled2 = [...pushed.values()].reduce((a, b) => a + b, 0);
    // Upstream reading is paused: nothing more is taken from the upstreams while the window is shut.
    expect(stalled2).toBe(stalled);
    // Memory: the proxy holds at most its send buffer per flow (plus fixed overhead).
    const held = (await retainedMiB()) - base;
    expect(held).toBeLessThan((FLOWS * (SND + RCV)) / 2 ** 20 + 24);
    // Each upstream got far less than its 32 MiB into the pipe (kernel buffers + our send buffer).
    for (const v of pushed.values()) expect(v).toBeLessThan(16 << 20);
    // The guests reopen their windows: the stream resumes where it stopped, byte for byte.
    const had = guests.map((g) => g.receivedLen);
    for (const g of guests) g.setWindow(1 << 20);
    for (const [i, g] of guests.entries()) await g.until(() => g.receivedLen >= had[i]! + (1 << 20), 30_000);
    for (const g of guests) {
      const got = g.data();
      expect(got.equals(data.subarray(0, got.length))).toBe(true);
    }
  }, 60_000);
});

describe("slowloris on a published port", () => {
  it("300 host peers trickling bytes: at most 256 reach the guest, the rest are refused, egress is unaffected, capacity returns", async () => {
    const echo = await echoServer();
    const h = await start({ policy: testPolicy({ ingress: () => "allow", egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }) });
    const plan = h.stack.addresses;
    const listener = new GuestMultiListener(h.link, plan, 8080);
    h.onRx = (rx) => {
      if (rx.tcp && rx.tcp.dstPort === 8080) listener.input(rx.src!, rx.tcp);
    };
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const hostPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await h.stack.publish({ hostPort, guestPort: 8080, protocol: "tcp" });
    const socks: net.Socket[] = [];
    let refused = 0;
    cleanups.push(() => socks.forEach((s) => s.destroy()));
    for (let i = 0; i < 300; i++) {
      const s = net.connect(hostPort, "127.0.0.1");
      s.on("error", () => {});
      s.on("close", () => refused++);
      socks.push(s);
    }
    await waitFor(() => listener.conns.size + refused >= 300, 10_000, "all peers admitted or refused");
    expect(listener.conns.size).toBeLessThanOrEqual(256);
    expect(refused).toBeGreaterThanOrEqual(300 - 256);
    // The trickle: one byte per live peer, a few rounds.
    for (let round = 0; round < 3; round++) {
      for (const s of socks) if (!s.destroyed) s.write("x");
      await sleep(100);
    }
    await waitFor(() => [...listener.conns.values()].filter((c) => c.received >= 3).length === listener.conns.size, 5000, "trickle delivered");
    // Egress from the guest is a separate budget: still works.
    const g = h.tcp({ srcPort: 44000, dstPort: echo.port });
    g.connect();
    g.write(Buffer.from("egress ok"));
    await g.until(() => g.receivedLen === 9);
    // The attackers leave; a legitimate peer gets in.
    for (const s of socks) s.destroy();
    await waitFor(() => h!.stack.stats().tcpActive <= 1, 10_000, "attack flows closed");
    const before = listener.conns.size;
    const ok = net.connect(hostPort, "127.0.0.1");
    cleanups.push(() => void ok.destroy());
    ok.write("legit");
    await waitFor(() => listener.conns.size === before + 1 || [...listener.conns.values()].some((c) => c.received === 5), 5000, "legit peer reaches the guest");
  });
});

describe("DNS rebinding races against a domain rule", () => {
  const RULES: PolicyLike = {
    default_egress: "deny",
    default_ingress: "deny",
    rules: [
      { direction: "egress", destination: { group: "host" }, protocols: ["udp"], ports: [{ start: 53, end: 53 }], action: "allow" },
      { direction: "egress", destination: { domain: "race.example" }, protocols: ["tcp"], action: "allow" },
    ],
  };

  /** Wrap a policy so a test fails loudly (and nothing connects) if it ever allows a non-gateway address. */
  function guarded(p: CompiledPolicy, violations: string[]): CompiledPolicy {
    return new Proxy(p, {
      get(target, prop, recv) {
        if (prop !== "egress") return Reflect.get(target, prop, recv) as unknown;
        return (...a: Parameters<CompiledPolicy["egress"]>) => {
          const d = target.egress(...a);
          const ip = a[0];
          if (d.verdict !== "deny" && !isV4(ip, "172.16.0.1")) {
            violations.push(`${d.verdict} for ${JSON.stringify(ip)}`);
            return { verdict: "deny", rule: null, reason: "test guard" } as ReturnType<CompiledPolicy["egress"]>;
          }
          return d;
        };
      },
    });
  }

  it("an address the name never resolved to is refused; a TTL-0 answer that changed before the first bytes is refused too", async () => {
    const got: Buffer[] = [];
    const srv = await loopbackServer((s) => s.on("data", (d) => got.push(d)));
    cleanups.push(srv.close);
    // race.example → the gateway (TTL 0), then → another address on every later query.
    let n = 0;
    const up = await startUpstream((q) => {
      const name = q.questions![0]!.name;
      return { type: "response", answers: [{ name, type: "A" as const, ttl: 0, data: n++ === 0 ? "172.16.0.1" : "93.184.216.34" }] } as dnsPacket.Packet;
    });
    cleanups.push(up.close);
    const cache = new ResolvedNameCache();
    const gateway = { ipv4: "172.16.0.1" };
    const violations: string[] = [];
    const policy = guarded(compilePolicy(RULES, { gateway, cache }), violations);
    const dns = createDnsHandler({ policy, cache, gateway, upstreams: [{ ip: "127.0.0.1", port: up.port }], rebindProtection: false, queryTimeoutMs: 2000 });
    cleanups.push(() => dns.close());
    const h = await start({ policy, dns });
    const plan = h.stack.addresses;
    const query = (id: number) => Buffer.from(dnsPacket.encode({ id, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "race.example", type: "A" }] }));
    const answers: string[] = [];
    h.onRx = (rx) => {
      if (rx.protocol !== IPPROTO.UDP || !rx.l4) return;
      const m = dnsPacket.decode(Buffer.from(rx.l4.subarray(8)));
      for (const a of m.answers ?? []) if (a.type === "A") answers.push(a.data);
    };
    const g4 = plan.v4!.guest;
    const gw = plan.v4!.gateway;
    // 1. Before any resolution, the gateway address is not "race.example": refused at SYN.
    const early = h.tcp({ srcPort: 46000, dstPort: srv.port });
    early.connect();
    await early.until(() => early.state === "reset" || early.state === "established");
    if (early.state === "established") {
      early.write(Buffer.from("GET / HTTP/1.1\r\nHost: race.example\r\n\r\n"));
      await early.until(() => early.peerFin || early.state === "reset", 10_000);
    }
    expect(srv.connections).toBe(0);
    // 2. Resolve: race.example → 172.16.0.1 with TTL 0 (floored to 1 s in the name cache).
    h.link.inject(ipFrame(plan, g4, gw, IPPROTO.UDP, udpL4(g4, gw, 5353, 53, query(1))));
    await waitFor(() => answers.length === 1, 5000, "first answer");
    expect(answers[0]).toBe("172.16.0.1");
    // 3. The race: SYN now (bound), the answer changes, first bytes come after the binding expired.
    const racer = h.tcp({ srcPort: 46001, dstPort: srv.port });
    racer.connect();
    await racer.until(() => racer.state === "established" || racer.state === "reset");
    h.link.inject(ipFrame(plan, g4, gw, IPPROTO.UDP, udpL4(g4, gw, 5354, 53, query(2))));
    await waitFor(() => answers.length === 2, 5000, "second answer");
    expect(answers[1]).toBe("93.184.216.34");
    await sleep(1300);
    if (racer.state === "established") {
      racer.write(Buffer.from("GET / HTTP/1.1\r\nHost: race.example\r\n\r\n"));
      await racer.until(() => racer.peerFin || racer.state === "reset", 10_000);
    }
    // The unresolved address was refused at SYN; the raced flow was deferred at SYN (bound then)
    // and refused at its first bytes (binding gone, the name now points elsewhere): FIN, no connect.
    expect(early.state).toBe("reset");
    expect(racer.peerFin).toBe(true);
    expect(h.events.filter((e) => e.type === "flow").map((e) => e.type === "flow" && [e.srcPort, e.stage, e.verdict])).toEqual([
      [46000, "syn", "deny"],
      [46001, "first-flight", "deny"],
    ]);
    expect(srv.connections).toBe(0);
    expect(got.length).toBe(0);
    // 4. Nothing but the gateway was ever allowed (the guard would have recorded it and denied).
    expect(violations).toEqual([]);
    // 5. Resolving again binds the gateway for a fresh window; a prompt connection is allowed.
    n = 0;
    h.link.inject(ipFrame(plan, g4, gw, IPPROTO.UDP, udpL4(g4, gw, 5355, 53, query(3))));
    await waitFor(() => answers.length === 3, 5000, "third answer");
    const prompt = h.tcp({ srcPort: 46002, dstPort: srv.port });
    prompt.connect();
    await prompt.until(() => prompt.state === "established" || prompt.state === "reset");
    prompt.write(Buffer.from("GET / HTTP/1.1\r\nHost: race.example\r\n\r\n"));
    await waitFor(() => got.length > 0, 5000, "allowed bytes upstream");
  });
});
