/** StreamLink over real sockets: unix listen, TCP, inherited fd; framing, backpressure, errors. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeStreamFrame, StreamDecoder } from "../../src/transport/stream-codec.js";
import { listenTcpStream, listenUnixStream } from "../../src/transport/stream-endpoints.js";
import type { StreamLink } from "../../src/transport/stream-link.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "np-stream-"));
  dirs.push(d);
  return d;
}

function connected(path: string | { host: string; port: number }): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = typeof path === "string" ? connect({ path }) : connect(path);
    s.once("connect", () => res(s));
    s.once("error", rej);
  });
}

function frame(len: number, tag: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (tag + i * 7) & 0xff;
  return f;
}

async function roundTrip(link: StreamLink, peer: Socket) {
  const got: Uint8Array[] = [];
  link.onFrame((f) => got.push(Uint8Array.from(f)));
  const frames = Array.from({ length: 50 }, (_, i) => frame(40 + i * 97, i));
  const wire = Buffer.concat(frames.map(encodeStreamFrame));
  // Write in odd-sized pieces with pauses so the link sees split prefixes.
  for (let pos = 0; pos < wire.length; pos += 333) {
    peer.write(wire.subarray(pos, pos + 333));
    if (pos % 3000 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await expect.poll(() => got.length).toBe(50);
  got.forEach((g, i) => expect(Buffer.from(g).equals(Buffer.from(frames[i]!))).toBe(true));

  const back: Uint8Array[] = [];
  const d = new StreamDecoder({ frame: (f) => back.push(Uint8Array.from(f)) });
  peer.on("data", (c) => d.push(c));
  for (const f of frames) link.send(f);
  await expect.poll(() => back.length).toBe(50);
  back.forEach((g, i) => expect(Buffer.from(g).equals(Buffer.from(frames[i]!))).toBe(true));
}

describe("StreamLink", () => {
  it("carries frames both ways over a unix listener and refuses a second peer", async () => {
    const path = join(tmp(), "p.sock");
    const pending = await listenUnixStream(path);
    const peer = await connected(path);
    const link = await pending.link;
    await roundTrip(link, peer);
    await expect(connected(path)).rejects.toThrow(/ENOENT|ECONNREFUSED/);
    const closed = new Promise<Error | undefined>((r) => link.onClose(r));
    peer.end();
    expect(await closed).toBeUndefined();
  });

  it("carries frames over TCP on loopback", async () => {
    const pending = await listenTcpStream("127.0.0.1", 0);
    const peer = await connected({ host: "127.0.0.1", port: pending.port! });
    await roundTrip(await pending.link, peer);
    peer.destroy();
  });

  it("closes with an offset-naming error on a bad length prefix", async () => {
    const path = join(tmp(), "bad.sock");
    const pending = await listenUnixStream(path);
    const peer = await connected(path);
    const link = await pending.link;
    const got: number[] = [];
    link.onFrame((f) => got.push(f.length));
    const closed = new Promise<Error | undefined>((r) => link.onClose(r));
    peer.write(Buffer.concat([encodeStreamFrame(frame(20, 1)), Buffer.from([0, 2, 0, 0])]));
    const err = await closed;
    expect(err?.message).toMatch(/byte offset 24: length prefix 131072 exceeds the maximum 65550/);
    expect(got).toEqual([20]);
    await new Promise<void>((r) => peer.on("close", () => r()));
  });

  it("survives a frame handler that throws, counting the failure", async () => {
    const path = join(tmp(), "throw.sock");
    const pending = await listenUnixStream(path);
    const peer = await connected(path);
    const link = await pending.link;
    const got: number[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    link.onFrame((f) => {
      if (f.length === 13) throw new Error("boom");
      got.push(f.length);
    });
    peer.write(Buffer.concat([frame(10, 1), frame(13, 2), frame(20, 3)].map(encodeStreamFrame)));
    await expect.poll(() => got).toEqual([10, 20]);
    expect(link.stats.rxHandlerErrors).toBe(1);
    await expect.poll(() => warnings.some((w) => /frame handler threw: Error: boom/.test(w))).toBe(true);
    process.off("warning", onWarning);
    peer.destroy();
  });

  it("sendWith builds frames in place; a fill that throws queues nothing and later frames stay in sync", async () => {
    const path = join(tmp(), "with.sock");
    const pending = await listenUnixStream(path);
    const peer = await connected(path);
    const link = await pending.link;
    const back: Uint8Array[] = [];
    const d = new StreamDecoder({ frame: (f) => back.push(Uint8Array.from(f)) });
    peer.on("data", (c) => d.push(c));
    const a = frame(300, 1);
    const b = frame(70_000 > link.maxFrameSize ? 1500 : 70_000, 2);
    expect(link.sendWith!(a.length, (buf, off) => buf.set(a, off))).toBe(true);
    expect(() =>
      link.sendWith!(999, (buf, off) => {
        buf.fill(0xee, off, off + 999); // scribbles, then fails: must not reach the peer
        throw new Error("fill failed");
      }),
    ).toThrow(/fill failed/);
    expect(link.sendWith!(b.length, (buf, off) => buf.set(b, off))).toBe(true);
    await expect.poll(() => back.length).toBe(2);
    expect(Buffer.from(back[0]!).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(back[1]!).equals(Buffer.from(b))).toBe(true);
    expect(link.stats.txFrames).toBe(2);
    peer.destroy();
  });

  it("skips oversize frames, counts them and keeps the stream in sync", async () => {
    const path = join(tmp(), "mtu.sock");
    const pending = await listenUnixStream(path, { maxFrameSize: 1514 });
    const peer = await connected(path);
    const link = await pending.link;
    const got: number[] = [];
    link.onFrame((f) => got.push(f.length));
    peer.write(Buffer.concat([frame(1514, 1), frame(9000, 2), frame(42, 3)].map(encodeStreamFrame)));
    await expect.poll(() => got).toEqual([1514, 42]);
    expect(link.stats.rxOversize).toBe(1);
    expect(() => link.send(frame(1515, 0))).toThrow(/accepted sizes are 1..1514/);
    peer.destroy();
  });

  it("applies backpressure: send() returns false at the high-water mark and onDrain fires", async () => {
    const path = join(tmp(), "bp.sock");
    const pending = await listenUnixStream(path, { highWater: 256 << 10, lowWater: 64 << 10, hardLimit: 512 << 10 });
    const peer = await connected(path);
    peer.pause();
    const link = await pending.link;
    let drained = 0;
    link.onDrain(() => drained++);
    let sent = 0;
    let refused = false;
    // The kernel socket buffers absorb some; keep going until the link pushes back.
    for (let i = 0; i < 20000 && !refused; i++) {
      if (link.send(frame(1500, i))) sent++;
      else refused = true;
      if (i % 64 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(refused).toBe(true);
    expect(link.queuedBytes).toBeGreaterThan(0);
    // Past the hard limit frames are dropped and counted, never queued without bound.
    for (let i = 0; i < 1000; i++) link.send(frame(1500, i));
    expect(link.stats.txDropped).toBeGreaterThan(0);
    expect(link.queuedBytes).toBeLessThanOrEqual(512 << 10);
    let total = 0;
    peer.on("data", (c) => (total += c.length));
    peer.resume();
    await expect.poll(() => drained, { timeout: 5000 }).toBeGreaterThan(0);
    expect(link.send(frame(100, 1))).toBe(true);
    expect(sent).toBeGreaterThan(0);
    peer.destroy();
  });

  it("wraps an inherited socketpair fd in a child process (fd:3)", async () => {
    const child = spawn(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", join(__dirname, "fixtures/fd-echo.ts")], {
      stdio: ["ignore", "inherit", "inherit", "pipe"],
    });
    const sock = child.stdio[3] as Socket;
    const back: Uint8Array[] = [];
    const d = new StreamDecoder({ frame: (f) => back.push(Uint8Array.from(f)) });
    sock.on("data", (c) => d.push(c));
    const frames = [frame(60, 1), frame(1514, 2), frame(65535, 3)];
    sock.write(Buffer.concat(frames.map(encodeStreamFrame)));
    await expect.poll(() => back.length, { timeout: 15000 }).toBe(3);
    back.forEach((g, i) => expect(Buffer.from(g).equals(Buffer.from(Uint8Array.from(frames[i]!).reverse()))).toBe(true));
    const exited = new Promise((r) => child.on("exit", r));
    sock.end();
    expect(await exited).toBe(0);
  });
});
