/**
 * What an idle flow holds: a TcpConn driven through its handshake towards a real loopback upstream
 * keeps no out-of-order store, sniff queue or RTT estimator until something needs them, drops the
 * out-of-order store once its hole is filled, and its upstream's listeners are shared functions
 * (the same for every flow), not closures created per flow.
 */
import { describe, expect, it } from "vitest";
import { TCP_FLAG } from "../../src/frame/tcp.js";
import type { TcpConn } from "../../src/stack/tcp/conn.js";
import { seqAdd } from "../../src/stack/tcp/seq.js";
import { ACK_OF_SYNACK, endBatch, establishedFlow, fakeConnHost, loopbackPair, seg } from "./helpers/conn.js";

const field = (c: TcpConn, name: string): unknown => (c as unknown as Record<string, unknown>)[name];

describe("per-flow state of an idle connection", () => {
  it("holds no out-of-order store, sniff queue or RTT estimator after the handshake; listeners are shared", async () => {
    const host = fakeConnHost();
    const [a] = await loopbackPair();
    const [b] = await loopbackPair();
    const { conn } = establishedFlow(host, a, 40000);
    const { conn: other } = establishedFlow(host, b, 40001);
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
    const host = fakeConnHost();
    const [ours, theirs] = await loopbackPair();
    const { conn, guestSeq } = establishedFlow(host, ours, 40002);
    const got: Buffer[] = [];
    theirs.on("data", (d: Buffer) => got.push(d));
    const first = Buffer.from("hello ");
    const second = Buffer.from("world");
    conn.input(seg({ seq: seqAdd(guestSeq, first.length), ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, payload: second, srcPort: 40002 }));
    expect(field(conn, "ooo")).not.toBeNull();
    expect(host.sent.at(-1)?.f.options?.sack).toEqual([{ left: seqAdd(guestSeq, first.length), right: seqAdd(guestSeq, first.length + second.length) }]);
    conn.input(seg({ seq: guestSeq, ack: ACK_OF_SYNACK, flags: TCP_FLAG.ACK, payload: first, srcPort: 40002 }));
    expect(field(conn, "ooo")).toBeNull();
    expect(conn.rcvNxt).toBe(seqAdd(guestSeq, first.length + second.length));
    endBatch(host);
    await expect.poll(() => Buffer.concat(got).length).toBeGreaterThanOrEqual(11);
    expect(Buffer.concat(got).toString()).toBe("hello world");
  });
});
