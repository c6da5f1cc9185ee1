/**
 * A flood of host peers on a published UDP port (every new source port is a new peer session on
 * a gateway-side ephemeral port, 49152-65535). The peer table must stay bounded, and a port must
 * never be handed to a second peer while the first still owns it: otherwise the guest's replies
 * to one host peer are delivered to another. (Regression: before the fix the table grew without
 * bound for 60 s and the port counter wrapped onto live sessions, so after 16,384 peers a new
 * peer took the first peer's port and received the guest's replies meant for it.)
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { parseUdp } from "../../src/frame/udp.js";
import { ipFrame, udpL4 } from "../stack/helpers/guest.js";
import { waitFor, type Harness } from "../stack/helpers/harness.js";
import { testPolicy } from "../stack/helpers/policy.js";
import { sleep } from "./helpers.js";
import { perTest } from "./per-test.js";

const { start, cleanups } = perTest();

async function freeUdpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("published UDP port flooded by host peers", () => {
  it("16,384 other peers within the idle window: an active peer keeps its port and its replies, no reply reaches another peer, the table is bounded", async () => {
    const h = await start({ policy: testPolicy({ ingress: () => "allow" }) });
    const plan = h.stack.addresses;
    const fromHost: { localPort: number; data: string }[] = [];
    h.onRx = (rx) => {
      if (rx.protocol !== IPPROTO.UDP || !rx.l4) return;
      const u = parseUdp(rx.l4, rx.src!, rx.dst!);
      if (typeof u === "string" || u.dstPort !== 5000) return;
      fromHost.push({ localPort: u.srcPort, data: Buffer.from(u.payload).toString() });
    };
    const hostPort = await freeUdpPort();
    await h.stack.publish({ hostPort, guestPort: 5000, protocol: "udp" });
    const open = (): dgram.Socket => {
      const s = dgram.createSocket("udp4");
      s.on("error", () => {});
      cleanups.push(() => s.close());
      return s;
    };
    const a = open();
    const gotA: string[] = [];
    a.on("message", (m) => gotA.push(m.toString()));
    a.send("A", hostPort, "127.0.0.1");
    await waitFor(() => fromHost.some((x) => x.data === "A"));
    const portA = fromHost.find((x) => x.data === "A")!.localPort;
    // 16,384 more peers, each a fresh source port, within the idle window.
        // Flood until every gateway-side port (49152-65535) has been handed to a peer. (The kernel may
    // reuse a closed socket's source port: that is the same peer again. Loopback may drop
    // datagrams under the burst: those did not create a peer.)
    const floodPorts = new Set<number>();
    const seenPorts = new Set<number>([portA]);
    let wrapped = false;
    h.onRx = ((prev) => (rx: Parameters<NonNullable<Harness["onRx"]>>[0]) => {
      const before = fromHost.length;
      prev?.(rx);
      const last = fromHost.length > before ? fromHost.at(-1) : undefined;
      if (last && last.data === "x") {
        seenPorts.add(last.localPort);
        if (seenPorts.size >= 16_384) wrapped = true;
      }
    })(h.onRx);
    const deadline = Date.now() + 40_000;
    while (!wrapped && Date.now() < deadline) {
      // A stays active: refreshed every batch of 64 new peers (well under the 256-peer cap, so
      // A is never the least recently active one).
      a.send("A", hostPort, "127.0.0.1");
      await Promise.all(
        Array.from({ length: 64 }, () =>
          new Promise<void>((r) => {
            const s = dgram.createSocket("udp4");
            s.on("error", () => r());
            s.send("x", hostPort, "127.0.0.1", () => {
              floodPorts.add(s.address().port);
              s.close(() => r());
            });
          }),
        ),
      );
      await sleep(2);
    }
    await sleep(200);
    expect(wrapped).toBe(true);
    // B: a peer the proxy has not seen (a source port no flood socket used).
    let b = open();
    await new Promise<void>((r) => b.bind(0, "127.0.0.1", () => r()));
    while (floodPorts.has(b.address().port)) {
      b = open();
      await new Promise<void>((r) => b.bind(0, "127.0.0.1", () => r()));
    }
    const gotB: string[] = [];
    b.on("message", (m) => gotB.push(m.toString()));
    b.send("B", hostPort, "127.0.0.1");
    await waitFor(() => fromHost.some((x) => x.data === "B"));
    const portB = fromHost.find((x) => x.data === "B")!.localPort;
    // The guest answers peer A (to the gateway port A's datagrams came from).
    const g = plan.v4!.guest;
    const gw = plan.v4!.gateway;
    h.link.inject(ipFrame(plan, g, gw, IPPROTO.UDP, udpL4(g, gw, 5000, portA, Buffer.from("for-A"))));
    await sleep(200);
    expect(gotB).toEqual([]); // never another peer's reply
    expect(gotA).toEqual(["for-A"]); // the active peer kept its session through the flood
    // No two live peers share a gateway-side port, and the peer table is bounded (idle ones evicted).
    expect(portB).not.toBe(portA);
    expect(h.events.some((e) => e.type === "limit" && e.what === "udp_sessions")).toBe(true);
  }, 60_000);
});
