/**
 * Which ACKs a flow sends: the ACK of the guest's bytes rides on the segment we send next when one
 * goes out before it is due (no pure ACK after it), a small request's ACK waits for the upstream's
 * reply and the guest's FIN's ACK for our FIN, bulk arrivals are acknowledged at the end of each
 * input batch, and a pure ACK still goes out when nothing carries it or the window must open.
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

type Host = TcpConnHost & { sent: { f: TcpHeaderFields; len: number }[]; batch: Set<{ flushAck(): void }>; delayed: Set<{ flushDelayedAck(): void }> };

function fakeHost(rcvBuf = 256 * 1024): Host {
  const sent: { f: TcpHeaderFields; len: number }[] = [];
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
function endBatch(h: Host): void {
  const q = [...h.batch];
  h.batch.clear();
  for (const c of q) c.flushAck();
}

/** The delayed-ACK timer fires. */
function delayedDue(h: Host): void {
  const q = [...h.delayed];
  h.delayed.clear();
  for (const c of q) c.flushDelayedAck();
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

const IRS = 1000;
const ACK_OF_SYNACK = 5001;

async function established(h: Host): Promise<{ conn: TcpConn; theirs: net.Socket }> {
  const [ours, theirs] = await socketPair();
  const ends = { guestIp: Uint8Array.of(10, 0, 2, 100), guestPort: 40000, localIp: Uint8Array.of(10, 0, 2, 2), localPort: 80 };
  const conn = TcpConn.passive(h, ends, seg({ seq: IRS, flags: TCP_FLAG.SYN, options: { mss: 1460, sackPermitted: true, windowScale: 7 } }), 5000);
  conn.attachUpstream(ours);
  conn.acceptHandshake();
  conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK }));
  expect(conn.state).toBe("established");
  cleanups.push(() => conn.reset("test over"));
  h.sent.length = 0;
  return { conn, theirs };
}

const pureAcks = (h: Host) => h.sent.filter((s) => s.len === 0 && s.f.flags === TCP_FLAG.ACK);

describe("ACKs towards the guest", () => {
  it("sends no pure ACK after a data segment that already carried the batch's ACK", async () => {
    const h = fakeHost();
    const { conn } = await established(h);
    const bulk = new Uint8Array(3 * 1460); // more than two segments: acknowledged at the end of the batch
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK, payload: bulk }));
    conn.onUpstreamData(Buffer.from("reply")); // before the batch ends
    const data = h.sent.find((s) => s.len > 0)!;
    expect(data.f.ack).toBe(seqAdd(IRS + 1, bulk.length));
    endBatch(h);
    expect(pureAcks(h)).toEqual([]);
  });

  it("still sends the window update when the batch's ACK was carried before the window opened", async () => {
    const h = fakeHost(64 * 1024);
    const { conn } = await established(h);
    // Three quarters of the buffer in one batch: the data segment sent meanwhile advertises what is
    // left while the batch is corked; once it is written the window can more than double.
    const bulk = new Uint8Array(48 * 1024);
    for (let off = 0; off < bulk.length; off += 1460) {
      conn.input(seg({ seq: seqAdd(IRS + 1, off), ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK, payload: bulk.subarray(off, off + 1460) }));
    }
    conn.onUpstreamData(Buffer.from("reply"));
    expect(pureAcks(h)).toEqual([]);
    endBatch(h);
    const acks = pureAcks(h);
    expect(acks.length).toBe(1);
    expect(acks[0]!.f.ack).toBe(seqAdd(IRS + 1, bulk.length));
  });

  it("lets the upstream's reply carry the ACK of a small request (no pure ACK, not even when the timer fires)", async () => {
    const h = fakeHost();
    const { conn, theirs } = await established(h);
    const got = new Promise<Buffer>((r) => theirs.once("data", r));
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, payload: Uint8Array.of(120) }));
    endBatch(h);
    expect(h.sent).toEqual([]);
    theirs.write(await got); // echo
    await new Promise<void>((r) => {
      const check = (): void => (h.sent.length > 0 ? r() : void setTimeout(check, 2));
      check();
    });
    expect(h.sent[0]!.len).toBe(1);
    expect(h.sent[0]!.f.ack).toBe(IRS + 2);
    delayedDue(h);
    expect(pureAcks(h)).toEqual([]);
  });

  it("sends the delayed ACK of a small request when no reply comes", async () => {
    const h = fakeHost();
    const { conn } = await established(h);
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, payload: Uint8Array.of(1, 2, 3) }));
    endBatch(h);
    expect(h.sent).toEqual([]);
    delayedDue(h);
    expect(pureAcks(h).map((s) => s.f.ack)).toEqual([IRS + 4]);
  });

  it("acknowledges the guest's FIN with our FIN when the upstream ends soon after", async () => {
    const h = fakeHost();
    const { conn, theirs } = await established(h);
    theirs.on("end", () => theirs.end());
    theirs.resume();
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK | TCP_FLAG.FIN }));
    endBatch(h);
    expect(h.sent).toEqual([]);
    await new Promise<void>((r) => {
      const check = (): void => (h.sent.length > 0 ? r() : void setTimeout(check, 2));
      check();
    });
    expect(h.sent[0]!.f.flags).toBe(TCP_FLAG.FIN | TCP_FLAG.ACK);
    expect(h.sent[0]!.f.ack).toBe(IRS + 2);
    delayedDue(h);
    expect(pureAcks(h)).toEqual([]);
  });

  it("acknowledges the guest's FIN at once when our FIN is already out", async () => {
    const h = fakeHost();
    const { conn } = await established(h);
    conn.upstreamEnd();
    expect(h.sent.map((s) => s.f.flags)).toEqual([TCP_FLAG.FIN | TCP_FLAG.ACK]);
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK + 1, flags: TCP_FLAG.ACK | TCP_FLAG.FIN }));
    expect(pureAcks(h).map((s) => s.f.ack)).toEqual([IRS + 2]);
  });
});
