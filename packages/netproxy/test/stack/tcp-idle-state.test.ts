/**
 * What an idle flow holds: a TcpConn driven through its handshake towards a real loopback upstream
 * keeps no out-of-order store, sniff queue or RTT estimator until something needs them, drops the
 * out-of-order store once its hole is filled, and its upstream's listeners are shared functions
 * (the same for every flow), not closures created per flow.
 */
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TCP_FLAG, type TcpHeaderFields, type TcpSegment } from "../../src/frame/tcp.js";
import { TcpConn } from "../../src/stack/tcp/conn.js";
import { DEFAULT_RTO } from "../../src/stack/tcp/rto.js";
import { seqAdd } from "../../src/stack/tcp/seq.js";
import type { TcpConnHost } from "../../src/stack/tcp/types.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function fakeHost(): TcpConnHost & { sent: TcpHeaderFields[]; acks: Set<{ flushAck(): void }> } {
  const sent: TcpHeaderFields[] = [];
  const acks = new Set<{ flushAck(): void }>();
  return {
    sent,
    acks,
    cfg: { mss: 1460, rcvBuf: 256 * 1024, sndBuf: 256 * 1024, rto: DEFAULT_RTO, maxRetries: 8, timeWaitMs: 50, delayedAckMs: 10 },
    now: () => performance.now(),
    send: (_c, f) => (sent.push(f), true),
    linkBlocked: () => false,
    waitDrain: () => {},
    scheduleAck: (c) => acks.add(c),
    scheduleDelayedAck: () => {},
    finished: () => {},
  };
}

function seg(f: Partial<TcpSegment> & Pick<TcpSegment, "seq" | "flags">): TcpSegment {
  return { srcPort: 40000, dstPort: 80, ack: 0, headerLen: 20, window: 65535, options: {}, payload: new Uint8Array(0), ...f };
}

/** A connected pair of loopback sockets: [ours, the server's]. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const srv = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => srv.once("connection", r));
  const ours = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  await new Promise<void>((r) => ours.once("connect", () => r()));
  const theirs = await accepted;
  cleanups.push(() => {
    ours.destroy();
    theirs.destroy();
    srv.close();
  });
  return [ours, theirs];
}

/** A flow through its handshake with `upstream` attached; returns the flow and the guest's next sequence number. */
function established(host: TcpConnHost & { sent: TcpHeaderFields[] }, upstream: net.Socket, guestPort: number): { conn: TcpConn; guestSeq: number } {
  const ends = { guestIp: Uint8Array.of(10, 0, 2, 100), guestPort, localIp: Uint8Array.of(10, 0, 2, 2), localPort: 80 };
  const irs = 1000;
  const conn = TcpConn.passive(host, ends, seg({ seq: irs, flags: TCP_FLAG.SYN, srcPort: guestPort, options: { mss: 1460, sackPermitted: true, windowScale: 7 } }), 5000);
  conn.attachUpstream(upstream);
  conn.acceptHandshake();
  conn.input(seg({ seq: irs + 1, ack: 5001, flags: TCP_FLAG.ACK, srcPort: guestPort }));
  expect(conn.state).toBe("established");
  cleanups.push(() => conn.reset("test over"));
  return { conn, guestSeq: irs + 1 };
}

const field = (c: TcpConn, name: string): unknown => (c as unknown as Record<string, unknown>)[name];

describe("per-flow state of an idle connection", () => {
  it("holds no out-of-order store, sniff queue or RTT estimator after the handshake; listeners are shared", async () => {
    const host = fakeHost();
    const [a] = await socketPair();
    const [b] = await socketPair();
    const { conn } = established(host, a, 40000);
    const { conn: other } = established(host, b, 40001);
    for (const c of [conn, other]) {
      expect(field(c, "ooo")).toBeNull();
      expect(field(c, "sniffQ")).toBeNull();
      expect(field(c, "rtoEst")).toBeNull();
    }
    for (const ev of ["data", "end", "drain", "error", "close"]) {
      const mine = a.listeners(ev).at(-1);
      expect(mine).toBeTypeOf("function");
      expect(b.listeners(ev).at(-1)).toBe(mine);
    }
  });

  it("creates the out-of-order store for a hole and drops it once the hole is filled (data intact)", async () => {
    const host = fakeHost();
    const [ours, theirs] = await socketPair();
    const { conn, guestSeq } = established(host, ours, 40002);
    const got: Buffer[] = [];
    theirs.on("data", (d: Buffer) => got.push(d));
    const first = Buffer.from("hello ");
    const second = Buffer.from("world");
    conn.input(seg({ seq: seqAdd(guestSeq, first.length), ack: 5001, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, payload: second, srcPort: 40002 }));
    expect(field(conn, "ooo")).not.toBeNull();
    expect(host.sent.at(-1)?.options?.sack).toEqual([{ left: seqAdd(guestSeq, first.length), right: seqAdd(guestSeq, first.length + second.length) }]);
    conn.input(seg({ seq: guestSeq, ack: 5001, flags: TCP_FLAG.ACK, payload: first, srcPort: 40002 }));
    expect(field(conn, "ooo")).toBeNull();
    expect(conn.rcvNxt).toBe(seqAdd(guestSeq, first.length + second.length));
    for (const c of host.acks) c.flushAck();
    await new Promise<void>((r) => {
      const check = (): void => (Buffer.concat(got).length >= 11 ? r() : void setTimeout(check, 5));
      check();
    });
    expect(Buffer.concat(got).toString()).toBe("hello world");
  });
});
