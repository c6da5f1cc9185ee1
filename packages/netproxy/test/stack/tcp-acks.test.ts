/**
 * Which ACKs a flow sends: the ACK of the guest's bytes rides on the segment we send next when one
 * goes out before it is due (no pure ACK after it), a small request's ACK waits for the upstream's
 * reply and the guest's FIN's ACK for our FIN, bulk arrivals are acknowledged at the end of each
 * input batch, and a pure ACK still goes out when nothing carries it or the window must open.
 */
import { describe, expect, it } from "vitest";
import { TCP_FLAG } from "../../src/frame/tcp.js";
import { seqAdd } from "../../src/stack/tcp/seq.js";
import { ACK_OF_SYNACK, delayedDue, endBatch, establishedFlow, fakeConnHost, IRS, loopbackPair, seg, type FakeConnHost as Host } from "./helpers/conn.js";

/** A flow through its handshake towards a loopback upstream, with what the handshake sent forgotten. */
async function established(h: Host) {
  const [ours, theirs] = await loopbackPair();
  const { conn } = establishedFlow(h, ours);
  h.sent.length = 0;
  return { conn, theirs };
}

const pureAcks = (h: Host) => h.sent.filter((s) => s.len === 0 && s.f.flags === TCP_FLAG.ACK);

describe("ACKs towards the guest", () => {
  it("sends no pure ACK after a data segment that already carried the batch's ACK", async () => {
    const h = fakeConnHost();
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
    const h = fakeConnHost(64 * 1024);
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
    const h = fakeConnHost();
    const { conn, theirs } = await established(h);
    const got = new Promise<Buffer>((r) => theirs.once("data", r));
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, payload: Uint8Array.of(120) }));
    endBatch(h);
    expect(h.sent).toEqual([]);
    theirs.write(await got); // echo
    await expect.poll(() => h.sent.length).toBeGreaterThan(0);
    expect(h.sent[0]!.len).toBe(1);
    expect(h.sent[0]!.f.ack).toBe(IRS + 2);
    delayedDue(h);
    expect(pureAcks(h)).toEqual([]);
  });

  it("sends the delayed ACK of a small request when no reply comes", async () => {
    const h = fakeConnHost();
    const { conn } = await established(h);
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, payload: Uint8Array.of(1, 2, 3) }));
    endBatch(h);
    expect(h.sent).toEqual([]);
    delayedDue(h);
    expect(pureAcks(h).map((s) => s.f.ack)).toEqual([IRS + 4]);
  });

  it("acknowledges the guest's FIN with our FIN when the upstream ends soon after", async () => {
    const h = fakeConnHost();
    const { conn, theirs } = await established(h);
    theirs.on("end", () => theirs.end());
    theirs.resume();
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK | TCP_FLAG.FIN }));
    endBatch(h);
    expect(h.sent).toEqual([]);
    await expect.poll(() => h.sent.length).toBeGreaterThan(0);
    expect(h.sent[0]!.f.flags).toBe(TCP_FLAG.FIN | TCP_FLAG.ACK);
    expect(h.sent[0]!.f.ack).toBe(IRS + 2);
    delayedDue(h);
    expect(pureAcks(h)).toEqual([]);
  });

  it("acknowledges the guest's FIN at once when our FIN is already out", async () => {
    const h = fakeConnHost();
    const { conn } = await established(h);
    conn.upstreamEnd();
    expect(h.sent.map((s) => s.f.flags)).toEqual([TCP_FLAG.FIN | TCP_FLAG.ACK]);
    conn.input(seg({ seq: IRS + 1, ack: ACK_OF_SYNACK + 1, flags: TCP_FLAG.ACK | TCP_FLAG.FIN }));
    expect(pureAcks(h).map((s) => s.f.ack)).toEqual([IRS + 2]);
  });
});
