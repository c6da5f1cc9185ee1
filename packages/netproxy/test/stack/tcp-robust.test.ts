/** TCP termination under loss, reordering, duplicates, zero windows and sequence wrap-around. */
import { createHash, randomBytes } from "node:crypto";
import type * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TCP_FLAG } from "../../src/frame/tcp.js";
import { ipFrame, parseRx, tcpL4 } from "./helpers/guest.js";
import { harness, loopbackServer, waitFor, type Harness } from "./helpers/harness.js";
import { isV4, testPolicy } from "./helpers/policy.js";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const gatewayOnly = () => testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") });

let h: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const c of cleanups.splice(0)) await c();
});

/** A server that sends `down`, collects what it receives, and reports when the client ended. */
async function sink(down: Uint8Array) {
  const got: Buffer[] = [];
  let done!: () => void;
  const ended = new Promise<void>((r) => (done = r));
  const srv = await loopbackServer((s: net.Socket) => {
    s.on("data", (d) => got.push(d));
    s.on("end", () => done());
    s.end(down);
  });
  cleanups.push(srv.close);
  return { srv, got, ended };
}

describe("tcp under adverse conditions", () => {
  it("retransmits data the link dropped towards the guest (RTO and fast retransmit)", async () => {
    const down = randomBytes(2 << 20);
    const { srv } = await sink(down);
    h = await harness({ policy: gatewayOnly() });
    let n = 0;
    h.link.filterToGuest = (f) => {
      const rx = parseRx(f);
      if (rx.tcp && rx.tcp.payload.length > 0 && ++n % 37 === 0) return "drop";
      return "pass";
    };
    const g = h.tcp({ srcPort: 41000, dstPort: srv.port, windowScale: 7, window: 1 << 20, sackPermitted: true });
    g.connect();
    await g.until(() => g.peerFin, 30_000);
    expect(sha(g.data())).toBe(sha(down));
    g.end();
    await waitFor(() => h!.events.some((e) => e.type === "flow-end"), 5000, "flow end");
    expect(h.stack.stats().tcpRetransmits).toBeGreaterThan(0);
  });

  it("recovers from loss towards a receiver that drops out-of-order data and never SACKs", async () => {
    const down = randomBytes(512 * 1024);
    const { srv } = await sink(down);
    h = await harness({ policy: gatewayOnly() });
    let n = 0;
    h.link.filterToGuest = (f) => {
      const rx = parseRx(f);
      if (rx.tcp && rx.tcp.payload.length > 0 && ++n % 53 === 0) return "drop";
      return "pass";
    };
    const g = h.tcp({ srcPort: 41006, dstPort: srv.port, window: 256 * 1024, windowScale: 3 });
    g.dropOutOfOrder = true;
    g.connect();
    await g.until(() => g.peerFin, 30_000);
    expect(sha(g.data())).toBe(sha(down));
  });

  it("accepts reordered, duplicated and lost guest segments (out-of-order buffer, SACK)", async () => {
    const up = randomBytes(2 << 20);
    const { srv, got, ended } = await sink(new Uint8Array(0));
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 41001, dstPort: srv.port, windowScale: 7, sackPermitted: true, rtoMs: 40 });
    let k = 0;
    g.mangle = (frames) => {
      const out: Uint8Array[] = [];
      for (let i = 0; i < frames.length; i += 2) {
        // swap neighbours, duplicate every 5th, drop every 41st
        const pair = frames.slice(i, i + 2).reverse();
        for (const f of pair) {
          k++;
          if (k % 41 === 0) continue;
          out.push(f);
          if (k % 5 === 0) out.push(f);
        }
      }
      return out;
    };
    g.connect();
    await g.until(() => g.state === "established");
    g.write(up);
    g.end();
    await ended;
    expect(sha(Buffer.concat(got))).toBe(sha(up));
    // The stack must have sent SACK blocks while holes were open.
    expect(g.segmentsIn.some((s) => (s.options.sack?.length ?? 0) > 0)).toBe(true);
  });

  it("persists against a zero window and resumes when the guest opens it", async () => {
    const down = randomBytes(1 << 20);
    const { srv } = await sink(down);
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 41002, dstPort: srv.port, window: 65535 });
    g.connect();
    await g.until(() => g.receivedLen >= 32 * 1024);
    g.setWindow(0);
    const at = g.receivedLen;
    await new Promise((r) => setTimeout(r, 200)); // let in-flight segments drain
    const segsBefore = g.segmentsIn.length;
    await new Promise((r) => setTimeout(r, 600));
    // Nothing accepted while closed, but the stack kept probing with backoff (not flooding).
    expect(g.receivedLen).toBe(at);
    const probes = g.segmentsIn.slice(segsBefore).filter((s) => s.payload.length > 0);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.length).toBeLessThan(12);
    expect(probes.every((s) => s.payload.length === 1)).toBe(true);
    g.setWindow(65535);
    await g.until(() => g.peerFin, 20_000);
    expect(sha(g.data())).toBe(sha(down));
  });

  it("handles sequence numbers wrapping past 2^32 in both directions", async () => {
    const up = randomBytes(1 << 20);
    const down = randomBytes(1 << 20);
    const { srv, got, ended } = await sink(down);
    h = await harness({ policy: gatewayOnly(), isn: () => 2 ** 32 - 5000 });
    const g = h.tcp({ srcPort: 41003, dstPort: srv.port, isn: 2 ** 32 - 3000, windowScale: 5, window: 512 * 1024 });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(up);
    g.end();
    await g.until(() => g.peerFin, 20_000);
    await ended;
    expect(sha(g.data())).toBe(sha(down));
    expect(sha(Buffer.concat(got))).toBe(sha(up));
    expect(g.rcvNxt).toBeLessThan(2 ** 21); // really wrapped
  });

  it("throttles the upstream when the guest window is small (bounded memory)", async () => {
    const down = randomBytes(2 << 20);
    const { srv } = await sink(down);
    h = await harness({ policy: gatewayOnly(), tuning: { tcpSndBuf: 256 * 1024 } });
    const g = h.tcp({ srcPort: 41004, dstPort: srv.port, window: 8192 });
    g.connect();
    await g.until(() => g.peerFin, 30_000);
    expect(sha(g.data())).toBe(sha(down));
  });

  it("closes its receive window while the upstream is not reading, then reopens it (nothing lost)", async () => {
    // More than loopback socket buffers can absorb, so the backlog reaches Node's write buffer.
    const up = randomBytes(16 << 20);
    const got: Buffer[] = [];
    let sock: net.Socket | null = null;
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const srv = await loopbackServer((s: net.Socket) => {
      sock = s;
      s.pause(); // a stalled upstream: the kernel buffers fill, then Node's write buffer
      s.on("data", (d) => got.push(d));
      s.on("end", () => done());
    });
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly(), tuning: { tcpRcvBuf: 256 * 1024 } });
    const g = h.tcp({ srcPort: 41007, dstPort: srv.port, windowScale: 7, sackPermitted: true });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(up);
    g.end();
    await g.until(() => g.segmentsIn.some((t) => t.window === 0 && t.payload.length === 0), 20_000);
    const zeroAt = g.segmentsIn.length;
    await new Promise((r) => setTimeout(r, 200));
    // While closed, the guest could not push anything past the promised edge.
    expect(g.segmentsIn.slice(zeroAt).every((t) => t.window === 0)).toBe(true);
    sock!.resume();
    await ended;
    expect(sha(Buffer.concat(got))).toBe(sha(up));
  });

  it("applies link backpressure and resumes on drain", async () => {
    const down = randomBytes(2 << 20);
    const { srv } = await sink(down);
    h = await harness({ policy: gatewayOnly() });
    h.link.highWater = 8;
    const g = h.tcp({ srcPort: 41005, dstPort: srv.port, windowScale: 7, window: 2 << 20 });
    g.connect();
    await g.until(() => g.peerFin, 30_000);
    expect(sha(g.data())).toBe(sha(down));
  });
});

describe("tcp close and reset", () => {
  it("guest RST resets the upstream", async () => {
    let upstreamClosed = false;
    const srv = await loopbackServer((s) => {
      s.on("close", () => (upstreamClosed = true));
      s.write("hello");
    });
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 41010, dstPort: srv.port });
    g.connect();
    await g.until(() => g.receivedLen === 5);
    g.reset();
    await waitFor(() => upstreamClosed, 5000, "upstream close");
    await waitFor(() => h!.stack.stats().tcpActive === 0, 5000, "flow removed");
  });

  it("a segment of a flow the guest just reset is answered as a stray, not taken by the old flow", async () => {
    // The table remembers the last flow looked up (bulk runs of one flow skip the key string):
    // that flow must never receive segments once it has left the table.
    const srv = await loopbackServer((s) => s.on("data", () => {}));
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly() });
    const v4 = h.stack.addresses.v4!;
    const g = h.tcp({ srcPort: 41014, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(Buffer.alloc(4000, 1)); // the flow is the last one looked up
    await g.until(() => g.sndUna === g.sndNxt);
    g.reset();
    await waitFor(() => h!.stack.stats().tcpActive === 0, 5000, "flow removed");
    g.dispose();
    h.guests.delete(41014); // what the stack sends on this 4-tuple now goes to onRx
    const seen: number[] = [];
    h.onRx = (rx) => {
      if (rx.tcp && rx.tcp.dstPort === 41014) seen.push(rx.tcp.flags, rx.tcp.seq);
    };
    const l4 = tcpL4(v4.guest, v4.gateway, { srcPort: 41014, dstPort: srv.port, seq: g.sndNxt, ack: 4242, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, window: 100 }, Buffer.from("late"));
    h.link.inject(ipFrame(h.stack.addresses, v4.guest, v4.gateway, 6, l4));
    await waitFor(() => seen.length > 0, 2000, "RST for the late segment");
    expect(seen[0]! & TCP_FLAG.RST).toBeTruthy();
    expect(seen[1]).toBe(4242);
  });

  it("upstream reset reaches the guest as RST", async () => {
    const srv = await loopbackServer((s) => {
      s.write("x", () => setTimeout(() => s.resetAndDestroy(), 20));
    });
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 41011, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "reset");
    expect(g.segmentsIn.at(-1)!.flags & TCP_FLAG.RST).toBeTruthy();
  });

  it("guest half-close: upstream sees EOF and can still answer", async () => {
    const srv = await loopbackServer((s) => {
      const parts: Buffer[] = [];
      s.on("data", (d) => parts.push(d));
      s.on("end", () => s.end(Buffer.concat(parts).toString().toUpperCase()));
    });
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 41012, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(Buffer.from("shout this"));
    g.end();
    await g.until(() => g.peerFin);
    expect(g.data().toString()).toBe("SHOUT THIS");
  });

  it("when the guest closes first the flow is forgotten once our FIN is acknowledged (no TIME-WAIT)", async () => {
    const srv = await loopbackServer((s) => {
      s.on("data", () => {});
      s.on("end", () => s.end());
    });
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly(), tuning: { timeWaitMs: 10_000 } });
    const g = h.tcp({ srcPort: 41021, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    g.end();
    await g.until(() => g.peerFin);
    await waitFor(() => h!.stack.stats().tcpActive === 0, 2000, "flow forgotten");
  });

  it("a new SYN reuses a 4-tuple still lingering in time-wait", async () => {
    const srv = await loopbackServer((s) => s.end("bye"));
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly(), tuning: { timeWaitMs: 10_000 } });
    const g = h.tcp({ srcPort: 41020, dstPort: srv.port, isn: 5000 });
    g.connect();
    await g.until(() => g.peerFin);
    g.end();
    await g.until(() => g.finAcked);
    expect(h.stack.stats().tcpActive).toBe(1); // lingering
    g.dispose();
    const g2 = h.tcp({ srcPort: 41020, dstPort: srv.port, isn: 900_000 });
    g2.connect();
    await g2.until(() => g2.peerFin, 3000);
    expect(g2.data().toString()).toBe("bye");
  });

  it("answers segments of unknown flows with RST", async () => {
    h = await harness({ policy: gatewayOnly() });
    const v4 = h.stack.addresses.v4!;
    const seen: number[] = [];
    h.onRx = (rx) => {
      if (rx.tcp) seen.push(rx.tcp.flags, rx.tcp.seq);
    };
    const l4 = tcpL4(v4.guest, v4.gateway, { srcPort: 41013, dstPort: 9, seq: 1000, ack: 777, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, window: 100 }, Buffer.from("stray"));
    h.link.inject(ipFrame(h.stack.addresses, v4.guest, v4.gateway, 6, l4));
    await waitFor(() => seen.length > 0, 2000, "RST");
    expect(seen[0]! & TCP_FLAG.RST).toBeTruthy();
    expect(seen[1]).toBe(777); // RST takes its sequence number from the stray ACK
  });
});
