/**
 * One TcpConn driven directly (no table, no link): a host that records what the flow sends and which
 * ACK flushes it asked for, segments from the guest, and a real loopback upstream.
 */
import * as net from "node:net";
import { expect, onTestFinished } from "vitest";
import { TCP_FLAG, type TcpHeaderFields, type TcpSegment } from "../../../src/frame/tcp.js";
import { TcpConn } from "../../../src/stack/tcp/conn.js";
import { DEFAULT_RTO } from "../../../src/stack/tcp/rto.js";
import type { TcpConnHost } from "../../../src/stack/tcp/types.js";

/** The guest's initial sequence number in {@link establishedFlow}. */
export const IRS = 1000;
/** The guest's ACK of our SYN-ACK (our ISN 5000 + 1). */
export const ACK_OF_SYNACK = 5001;

/** A host that records the segments sent (`len` = payload bytes) and the flows waiting for a batch or delayed ACK flush. */
export type FakeConnHost = TcpConnHost & {
  sent: { f: TcpHeaderFields; len: number }[];
  batch: Set<{ flushAck(): void }>;
  delayed: Set<{ flushDelayedAck(): void }>;
};

export function fakeConnHost(rcvBuf = 256 * 1024): FakeConnHost {
  const sent: FakeConnHost["sent"] = [];
  const batch = new Set<{ flushAck(): void }>();
  const delayed = new Set<{ flushDelayedAck(): void }>();
  return {
    sent,
    batch,
    delayed,
    cfg: { mss: 1460, rcvBuf, sndBuf: 256 * 1024, rto: DEFAULT_RTO, maxRetries: 8, timeWaitMs: 50, delayedAckMs: 10 },
    now: () => performance.now(),
    send: (_c, f, len) => (sent.push({ f, len }), true),
    linkBlocked: () => false,
    waitDrain: () => {},
    scheduleAck: (c) => batch.add(c),
    scheduleDelayedAck: (c) => delayed.add(c),
    finished: () => {},
  };
}

/** End the input batch (what the table does after the frames of one read). */
export function endBatch(h: FakeConnHost): void {
  const q = [...h.batch];
  h.batch.clear();
  for (const c of q) c.flushAck();
}

/** The delayed-ACK timer fires. */
export function delayedDue(h: FakeConnHost): void {
  const q = [...h.delayed];
  h.delayed.clear();
  for (const c of q) c.flushDelayedAck();
}

/** A segment from the guest (port 40000 -> 80 unless given). */
export function seg(f: Partial<TcpSegment> & Pick<TcpSegment, "seq" | "flags">): TcpSegment {
  return { srcPort: 40000, dstPort: 80, ack: 0, headerLen: 20, window: 65535, options: {}, payload: new Uint8Array(0), ...f };
}

/** A connected pair of loopback sockets, [ours, the server's], closed when the test ends. */
export async function loopbackPair(): Promise<[net.Socket, net.Socket]> {
  const srv = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => srv.once("connection", r));
  const ours = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  await new Promise<void>((r) => ours.once("connect", () => r()));
  const theirs = await accepted;
  onTestFinished(() => {
    ours.destroy();
    theirs.destroy();
    srv.close();
  });
  return [ours, theirs];
}

/**
 * A flow from guest port `guestPort` through its handshake with `upstream` attached (reset when the
 * test ends); returns it and the guest's next sequence number. What the handshake sent stays in `h.sent`.
 */
export function establishedFlow(h: FakeConnHost, upstream: net.Socket, guestPort = 40000): { conn: TcpConn; guestSeq: number } {
  const ends = { guestIp: Uint8Array.of(10, 0, 2, 100), guestPort, localIp: Uint8Array.of(10, 0, 2, 2), localPort: 80 };
  const conn = TcpConn.passive(h, ends, seg({ seq: IRS, flags: TCP_FLAG.SYN, srcPort: guestPort, options: { mss: 1460, sackPermitted: true, windowScale: 7 } }), 5000);
  conn.attachUpstream(upstream);
  conn.acceptHandshake();
  conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK, srcPort: guestPort }));
  expect(conn.state).toBe("established");
  onTestFinished(() => conn.reset("test over"));
  return { conn, guestSeq: IRS + 1 };
}
