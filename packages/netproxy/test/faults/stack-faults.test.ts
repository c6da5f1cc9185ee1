/**
 * Faults around the stack, driven through the in-memory link against real loopback upstreams:
 * an upstream that resets mid-transfer, stalls (neither reads nor writes for seconds) or
 * half-closes; the guest vanishing mid-flow (link closed: every upstream socket must close); and a
 * policy reload under traffic (flows still allowed finish intact, the others are reset).
 * Integrity is checked with sha256 of everything transferred.
 */
import { createHash, randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import type * as net from "node:net";
import { describe, expect, it } from "vitest";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { ipFrame, udpL4 } from "../stack/helpers/guest.js";
import { loopbackServer, waitFor } from "../stack/helpers/harness.js";
import { isV4, testPolicy } from "../stack/helpers/policy.js";
import { fdCount, retainedMiB, sleep } from "../adversarial/helpers.js";
import { perTest } from "../adversarial/per-test.js";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const gatewayOnly = () => testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") });

const { start, cleanups } = perTest();

/** A loopback server that hashes what it reads and exposes its sockets. */
async function hashingServer(onConn?: (s: net.Socket, st: { bytes: number }) => void) {
  const conns: { sock: net.Socket; bytes: number; digest: string | null; closed: boolean }[] = [];
  const srv = await loopbackServer((s) => {
    const c = { sock: s, bytes: 0, digest: null as string | null, closed: false };
    conns.push(c);
    const hh = createHash("sha256");
    s.on("data", (d: Buffer) => {
      c.bytes += d.length;
      hh.update(d);
    });
    s.on("end", () => {
      c.digest = hh.digest("hex");
      s.end();
    });
    s.on("close", () => (c.closed = true));
    onConn?.(s, c);
  });
  cleanups.push(srv.close);
  return { srv, conns };
}

describe("upstream faults", () => {
  it("upstream RST in the middle of a bulk upload and of a bulk download reaches the guest as RST; the flow and its memory are gone", async () => {
    const base = await retainedMiB();
    const up = await hashingServer((s, st) => {
      const t = setInterval(() => {
        if (st.bytes > 1 << 20) {
          clearInterval(t);
          s.resetAndDestroy();
        }
      }, 5);
      s.on("close", () => clearInterval(t));
    });
    const down = await loopbackServer((s) => {
      s.on("error", () => {});
      s.write(randomBytes(1 << 20), () => s.resetAndDestroy());
    });
    cleanups.push(down.close);
    const h = await start({ policy: gatewayOnly() });
    const a = h.tcp({ srcPort: 47000, dstPort: up.srv.port, window: 1 << 20, windowScale: 7 });
    const b = h.tcp({ srcPort: 47001, dstPort: down.port, window: 256 * 1024, windowScale: 7 });
    a.connect();
    b.connect();
    await a.until(() => a.state === "established");
    a.write(randomBytes(16 << 20));
    await a.until(() => a.state === "reset", 20_000);
    await b.until(() => b.state === "reset", 20_000);
    await waitFor(() => h!.stack.stats().tcpActive === 0, 5000, "flows removed");
    a.dispose();
    b.dispose();
    h.guests.clear();
    expect((await retainedMiB()) - base).toBeLessThan(48); // the guest emulator's own 16 MiB buffer is the bulk
  });

  it("an upstream that stalls for 3 s (neither reads nor writes) loses nothing: every byte the guest had acknowledged arrives", async () => {
    const fromGuest = randomBytes(6 << 20);
    const toGuest = randomBytes(3 << 20);
    const up = await hashingServer((s) => {
      s.pause(); // stall reading
      setTimeout(() => {
        s.resume();
        s.write(toGuest, () => s.end()); // then answer (and half-close) after the stall
      }, 3000);
    });
    const h = await start({ policy: gatewayOnly(), tuning: { tcpRcvBuf: 256 * 1024 } });
    const g = h.tcp({ srcPort: 47010, dstPort: up.srv.port, window: 1 << 20, windowScale: 7 });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(fromGuest);
    g.end();
    await sleep(1500);
    // During the stall the guest is flow-controlled (window closed), not reset or timed out.
    expect(g.state).toBe("established");
    expect(g.finAcked).toBe(false);
    expect(g.peerWnd).toBe(0); // the stack closed its window: bounded buffering, no drop
    await g.until(() => g.peerFin && g.finAcked, 30_000);
    await waitFor(() => up.conns[0]?.digest !== null, 10_000, "upstream EOF");
    expect(up.conns[0]!.digest).toBe(sha(fromGuest));
    expect(sha(g.data())).toBe(sha(toGuest));
  });

  it("upstream half-close: the guest gets FIN, keeps sending, and the upstream receives everything before it closes", async () => {
    const upload = randomBytes(2 << 20);
    let tail = "";
    const up = await hashingServer((s) => {
      s.end("bye"); // upstream closes its sending side at once
      s.on("end", () => (tail = "eof"));
    });
    const h = await start({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 47020, dstPort: up.srv.port, window: 1 << 20, windowScale: 7 });
    g.connect();
    await g.until(() => g.peerFin);
    expect(g.data().toString()).toBe("bye");
    g.write(upload);
    g.end();
    await waitFor(() => up.conns[0]?.digest !== null, 20_000, "upstream saw everything");
    expect(up.conns[0]!.digest).toBe(sha(upload));
    expect(tail).toBe("eof");
    await waitFor(() => h!.stack.stats().tcpActive === 0, 5000, "flow closed both ways");
  });
});

describe("upstream gone while the guest is not reading", () => {
  it("an upstream that sends 3 MiB, closes and is gone while the guest window is shut: the guest still gets every byte, then FIN", async () => {
    const down = randomBytes(3 << 20);
    let upstreamClosed = false;
    const srv = await loopbackServer((s) => {
      s.on("close", () => (upstreamClosed = true));
      s.end(down, () => s.destroy()); // write everything, FIN, and close the socket once flushed
    });
    cleanups.push(srv.close);
    const h = await start({ policy: gatewayOnly(), tuning: { tcpSndBuf: 4 << 20 } });
    const g = h.tcp({ srcPort: 47030, dstPort: srv.port, window: 32 * 1024 });
    g.connect();
    await g.until(() => g.receivedLen > 0);
    g.setWindow(0);
    await waitFor(() => upstreamClosed, 10_000, "upstream fully closed");
    await sleep(500);
    expect(g.state).toBe("established"); // not reset because the upstream socket is gone
    g.setWindow(1 << 20);
    await g.until(() => g.peerFin, 30_000);
    expect(sha(g.data())).toBe(sha(down));
  });
});

describe("the guest vanishes mid-flow", () => {
  it("closing the link with 24 TCP flows (bulk both ways) and 16 UDP sessions closes every upstream socket; no descriptor leaks", async () => {
    const fds0 = fdCount();
    const up = await hashingServer((s) => s.write(randomBytes(4 << 20)));
    const udp = dgram.createSocket("udp4");
    udp.on("message", (m, r) => udp.send(m, r.port, r.address));
    await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
    cleanups.push(() => void udp.close());
    const fdsServers = fdCount();
    const h = await start({ policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }) });
    const plan = h.stack.addresses;
    const gs = Array.from({ length: 24 }, (_, i) => h!.tcp({ srcPort: 48000 + i, dstPort: up.srv.port, window: 65535 }));
    for (const g of gs) g.connect();
    for (const g of gs) await g.until(() => g.state === "established");
    for (const g of gs) g.write(randomBytes(256 * 1024));
    for (let i = 0; i < 16; i++) {
      h.link.inject(ipFrame(plan, plan.v4!.guest, plan.v4!.gateway, IPPROTO.UDP, udpL4(plan.v4!.guest, plan.v4!.gateway, 30000 + i, udp.address().port, Buffer.from("u"))));
    }
    await waitFor(() => h!.stack.stats().udpSessions === 16 && up.conns.length === 24, 15_000, "flows up").catch((e: Error) => {
      throw new Error(`${e.message}: ${h!.stack.stats().udpSessions} UDP sessions, ${up.conns.length} upstream connections`);
    });
    await sleep(100);
    expect(fdCount()).toBeGreaterThan(fdsServers + 24);
    // The guest vanishes (VMM killed: its end of the link closes).
    h.link.close();
    await waitFor(() => up.conns.every((c) => c.closed), 5000, "every upstream socket closed");
    await waitFor(() => h!.stack.stats().tcpActive === 0 && h!.stack.stats().udpSessions === 0, 5000, "tables empty");
    for (const g of gs) g.dispose();
    await waitFor(() => fdCount() <= fdsServers, 5000, `descriptors back to ${fdsServers} (now ${fdCount()})`);
    expect(fdsServers - fds0).toBeLessThanOrEqual(4);
  });
});

describe("policy reload under traffic", () => {
  it("two bulk uploads; a reload that denies one port: the allowed flow completes intact, the other is reset", async () => {
    const keep = await hashingServer();
    const cut = await hashingServer();
    const allowPorts = new Set([keep.srv.port, cut.srv.port]);
    const policyFor = () => testPolicy({ egress: (ip, port) => (isV4(ip, "172.16.0.1") && port !== null && allowPorts.has(port) ? "allow" : "deny") });
    const h = await start({ policy: policyFor(), tuning: { tcpRcvBuf: 512 * 1024 } });
    const dataKeep = randomBytes(12 << 20);
    const dataCut = randomBytes(12 << 20);
    const a = h.tcp({ srcPort: 49000, dstPort: keep.srv.port, window: 1 << 20, windowScale: 7 });
    const b = h.tcp({ srcPort: 49001, dstPort: cut.srv.port, window: 1 << 20, windowScale: 7 });
    a.connect();
    b.connect();
    await a.until(() => a.state === "established");
    await b.until(() => b.state === "established");
    a.write(dataKeep);
    a.end();
    b.write(dataCut);
    b.end();
    await waitFor(() => (keep.conns[0]?.bytes ?? 0) > 2 << 20 && (cut.conns[0]?.bytes ?? 0) > 2 << 20, 20_000, "both flows moving");
    // Reload mid-transfer: the same policy (nothing may drop), then one without the second port.
    h.stack.reloadPolicy(policyFor());
    await sleep(20);
    expect(a.state).toBe("established");
    expect(b.state).toBe("established");
    allowPorts.delete(cut.srv.port);
    h.stack.reloadPolicy(policyFor());
    await b.until(() => b.state === "reset", 5000);
    await waitFor(() => cut.conns[0]!.closed, 5000, "denied upstream closed");
    expect(cut.conns[0]!.bytes).toBeLessThan(dataCut.length);
    await a.until(() => a.finAcked, 30_000);
    await waitFor(() => keep.conns[0]?.digest !== null, 10_000, "allowed upstream EOF");
    expect(keep.conns[0]!.digest).toBe(sha(dataKeep));
    expect(h.events.some((e) => e.type === "flow" && e.verdict === "deny" && e.reason.startsWith("policy reload"))).toBe(true);
  });
});
