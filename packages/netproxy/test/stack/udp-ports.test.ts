/** UDP relay, DNS over UDP, published ports (TCP and UDP) with ingress policy, IPv6 TCP. */
import * as dgram from "node:dgram";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { parseUdp } from "../../src/frame/udp.js";
import { formatIpBytes } from "../../src/stack/ip.js";
import { ipFrame, udpL4, type Rx } from "./helpers/guest.js";
import { echoDns, harness, loopbackServer, waitFor, type Harness } from "./helpers/harness.js";
import { testPolicy } from "./helpers/policy.js";

let h: Harness | null = null;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const c of cleanups.splice(0)) await c();
});

async function udpEcho(): Promise<{ port: number; seen: number }> {
  const s = dgram.createSocket("udp4");
  const st = { port: 0, seen: 0 };
  s.on("message", (m, r) => {
    st.seen++;
    s.send(Buffer.concat([Buffer.from("echo:"), m]), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  st.port = s.address().port;
  cleanups.push(() => void s.close());
  return st;
}

function udpPayloads(got: Rx[]): { src: string; sp: number; dp: number; data: string }[] {
  return got
    .filter((r) => r.protocol === IPPROTO.UDP)
    .map((r) => {
      const u = parseUdp(r.l4!, r.src!, r.dst!);
      if (typeof u === "string") throw new Error(u);
      return { src: formatIpBytes(r.src!), sp: u.srcPort, dp: u.dstPort, data: Buffer.from(u.payload).toString() };
    });
}

describe("UDP", () => {
  it("relays to a loopback echo server via the gateway and injects replies from the original destination", async () => {
    const echo = await udpEcho();
    h = await harness({ policy: testPolicy({ egress: (_ip, _p, proto) => (proto === "udp" ? "allow" : "deny") }) });
    const got: Rx[] = [];
    h.onRx = (rx) => got.push(rx);
    const p = h.stack.addresses;
    h.link.inject(ipFrame(p, p.v4!.guest, p.v4!.gateway, IPPROTO.UDP, udpL4(p.v4!.guest, p.v4!.gateway, 6000, echo.port, Buffer.from("ping"))));
    await waitFor(() => got.length === 1);
    expect(udpPayloads(got)[0]).toEqual({ src: "172.16.0.1", sp: echo.port, dp: 6000, data: "echo:ping" });
    expect(h.stack.stats().udpSessions).toBe(1);
  });

  it("drops denied datagrams silently without touching the network", async () => {
    const echo = await udpEcho();
    h = await harness({ policy: testPolicy({ egress: () => "deny" }) });
    const got: Rx[] = [];
    h.onRx = (rx) => got.push(rx);
    const p = h.stack.addresses;
    h.link.inject(ipFrame(p, p.v4!.guest, p.v4!.gateway, IPPROTO.UDP, udpL4(p.v4!.guest, p.v4!.gateway, 6001, echo.port, Buffer.from("x"))));
    await new Promise((r) => setTimeout(r, 50));
    expect(got.length).toBe(0);
    expect(echo.seen).toBe(0);
    expect(h.stack.stats().udpDenied).toBe(1);
  });

  it("evicts the oldest session beyond the cap and closes idle sessions", async () => {
    const echo = await udpEcho();
    h = await harness({ policy: testPolicy({ egress: () => "allow" }), tuning: { udpMaxSessions: 2, udpIdleMs: 300 } });
    const p = h.stack.addresses;
    for (const sp of [7001, 7002, 7003]) {
      h.link.inject(ipFrame(p, p.v4!.guest, p.v4!.gateway, IPPROTO.UDP, udpL4(p.v4!.guest, p.v4!.gateway, sp, echo.port, Buffer.from("a"))));
    }
    await waitFor(() => h!.events.some((e) => e.type === "limit" && e.what === "udp_sessions"));
    expect(h.stack.stats().udpSessions).toBe(2);
    await waitFor(() => h!.stack.stats().udpSessions === 0, 3000, "idle expiry");
  });

  it("hands port 53 on any address to the DnsHandler and answers from that address", async () => {
    h = await harness({ policy: testPolicy({ egress: () => "deny" }) });
    const got: Rx[] = [];
    h.onRx = (rx) => got.push(rx);
    const p = h.stack.addresses;
    const resolver = Uint8Array.of(1, 1, 1, 1);
    const q = Buffer.from([0, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const before = echoDns.queries.length;
    h.link.inject(ipFrame(p, p.v4!.guest, resolver, IPPROTO.UDP, udpL4(p.v4!.guest, resolver, 5353 + 1, 53, q)));
    await waitFor(() => got.length === 1);
    const a = udpPayloads(got)[0]!;
    expect(a.src).toBe("1.1.1.1");
    expect(a.sp).toBe(53);
    expect(echoDns.queries.length).toBe(before + 1);
  });

  it("answers DNS over IPv6 from the address the guest used", async () => {
    h = await harness({ policy: testPolicy({ egress: () => "deny" }) });
    const got: Rx[] = [];
    h.onRx = (rx) => got.push(rx);
    const v6 = h.stack.addresses.v6!;
    const q = Buffer.from([0, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.link.inject(ipFrame(h.stack.addresses, v6.guest, v6.gateway, IPPROTO.UDP, udpL4(v6.guest, v6.gateway, 5000, 53, q)));
    await waitFor(() => got.length === 1);
    const a = udpPayloads(got)[0]!;
    expect(a.src).toBe("fd42:6d73:62::1");
    expect(a.dp).toBe(5000);
  });

  it("drops QUIC-blocked ports and DoQ/mDNS/LLMNR before policy", async () => {
    const policy = testPolicy({ egress: () => "allow" });
    h = await harness({ policy, blockUdpPorts: [443] });
    const p = h.stack.addresses;
    for (const dp of [443, 853, 5353, 5355, 137]) {
      h.link.inject(ipFrame(p, p.v4!.guest, p.v4!.gateway, IPPROTO.UDP, udpL4(p.v4!.guest, p.v4!.gateway, 8000, dp, Buffer.from("q"))));
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(policy.egressCalls.length).toBe(0);
    expect(h.stack.stats().udpSessions).toBe(0);
  });
});

describe("published ports", () => {
  it("TCP: a host connection reaches the guest listener, both ways", async () => {
    h = await harness({ policy: testPolicy({ ingress: () => "allow" }) });
    const g = h.tcp({ srcPort: 8080, dstPort: 0, windowScale: 4 });
    g.listen();
    const hostPort = await freePort();
    await h.stack.publish({ hostPort, guestPort: 8080, protocol: "tcp" });
    const sock = net.connect(hostPort, "127.0.0.1");
    cleanups.push(() => void sock.destroy());
    const fromGuest: Buffer[] = [];
    sock.on("data", (d) => fromGuest.push(d));
    sock.write("hello guest");
    await g.until(() => g.receivedLen === 11);
    expect(g.data().toString()).toBe("hello guest");
    expect(g.o.dstPort).toBeGreaterThanOrEqual(49152);
    g.write(Buffer.from("hello host"));
    await waitFor(() => Buffer.concat(fromGuest).toString() === "hello host");
    const ended = new Promise<void>((r) => sock.on("end", () => r()));
    g.end();
    await ended;
    expect(h.stack.stats().publishedPorts).toBe(1);
  });

  it("TCP: a policy reload that denies the peer resets live published-port connections", async () => {
    h = await harness({ policy: testPolicy({ ingress: () => "allow" }) });
    const g = h.tcp({ srcPort: 8082, dstPort: 0 });
    g.listen();
    const hostPort = await freePort();
    await h.stack.publish({ hostPort, guestPort: 8082, protocol: "tcp" });
    const sock = net.connect(hostPort, "127.0.0.1");
    cleanups.push(() => void sock.destroy());
    const closed = new Promise<void>((r) => sock.on("close", () => r()));
    sock.on("error", () => {});
    await g.until(() => g.state === "established");
    h.stack.reloadPolicy(testPolicy({ ingress: () => "deny" }));
    await g.until(() => g.state === "reset");
    await closed;
  });

  it("TCP: ingress deny resets the host connection and never reaches the guest", async () => {
    h = await harness({ policy: testPolicy({ ingress: () => "deny" }) });
    const g = h.tcp({ srcPort: 8081, dstPort: 0 });
    g.listen();
    const hostPort = await freePort();
    await h.stack.publish({ hostPort, guestPort: 8081, protocol: "tcp" });
    const sock = net.connect(hostPort, "127.0.0.1");
    const err = await new Promise<NodeJS.ErrnoException | null>((r) => {
      sock.on("error", (e) => r(e));
      sock.on("close", () => r(null));
    });
    expect(err?.code).toBe("ECONNRESET");
    expect(g.state).toBe("listen");
    expect(h.events.some((e) => e.type === "flow" && e.direction === "ingress" && e.verdict === "deny")).toBe(true);
  });

  it("UDP: datagrams go into the guest and replies return to the host peer", async () => {
    h = await harness({ policy: testPolicy({ ingress: () => "allow" }) });
    const p = h.stack.addresses;
    h.onRx = (rx) => {
      if (rx.protocol !== IPPROTO.UDP) return;
      const u = parseUdp(rx.l4!, rx.src!, rx.dst!);
      if (typeof u === "string" || u.dstPort !== 5000) return;
      const reply = Buffer.concat([Buffer.from("re:"), Buffer.from(u.payload)]);
      h!.link.inject(ipFrame(p, p.v4!.guest, rx.src!, IPPROTO.UDP, udpL4(p.v4!.guest, rx.src!, 5000, u.srcPort, reply)));
    };
    const hostPort = await freePort();
    await h.stack.publish({ hostPort, guestPort: 5000, protocol: "udp" });
    const c = dgram.createSocket("udp4");
    cleanups.push(() => void c.close());
    const answer = new Promise<string>((r) => c.on("message", (m) => r(m.toString())));
    c.send("hi", hostPort, "127.0.0.1");
    expect(await answer).toBe("re:hi");
    await h.stack.unpublish({ hostPort, protocol: "udp" });
    expect(h.stack.stats().publishedPorts).toBe(0);
  });
});

describe("IPv6 TCP", () => {
  it("connections to the IPv6 gateway reach ::1", async () => {
    let srv: Awaited<ReturnType<typeof loopbackServer>>;
    try {
      srv = await loopbackServer((s) => s.end("v6 ok"), "::1");
    } catch {
      return; // no IPv6 loopback on this host
    }
    cleanups.push(srv.close);
    h = await harness({ policy: testPolicy({ egress: (ip) => (ip.family === 6 ? "allow" : "deny") }) });
    const v6 = h.stack.addresses.v6!;
    const g = h.tcp({ srcPort: 43000, dstPort: srv.port, src: v6.guest, dst: v6.gateway });
    g.connect();
    await g.until(() => g.peerFin);
    expect(g.data().toString()).toBe("v6 ok");
    expect(g.segmentsIn[0]!.options.mss).toBe(1440);
  });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
