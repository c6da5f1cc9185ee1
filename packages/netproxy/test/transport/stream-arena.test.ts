/**
 * Arena reads (stream-arena.ts): the u32be parser over slabs with random read sizes and slab
 * switches, and StreamLink reading a child's socketpair into slabs. Frames are kept as views (not
 * copied) and checked only at the end: a slab region reused or overwritten by a later read
 * would corrupt them.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ARENA_SLAB_BYTES, ArenaStreamReader } from "../../src/transport/stream-arena.js";
import { encodeStreamFrame, StreamProtocolError } from "../../src/transport/stream-codec.js";
import { StreamLink } from "../../src/transport/stream-link.js";
import { frame, rng } from "./helpers.js";

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b));

/** Feed `wire` through the reader as reads of random sizes (each at most what buffer() offers). */
function feed(r: ArenaStreamReader, wire: Uint8Array, rand: () => number, maxRead: number): void {
  let pos = 0;
  while (pos < wire.length) {
    const region = r.buffer();
    const n = Math.min(region.length, wire.length - pos, 1 + Math.floor(rand() * maxRead));
    region.set(wire.subarray(pos, pos + n));
    // Scribble over the rest of the region: a later read may write there, frames must not see it.
    region.fill(0xee, n, Math.min(region.length, n + 4096));
    pos += n;
    r.commit(n);
  }
}

describe("ArenaStreamReader", () => {
  it("delivers every frame intact across random reads and slab switches, and never reuses a delivered byte", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = rng(seed);
      const frames = Array.from({ length: 80 }, (_, i) => frame(1 + Math.floor(rand() * (seed % 3 === 0 ? 65559 : 3000)), i));
      const wire = Buffer.concat(frames.map(encodeStreamFrame));
      const got: Uint8Array[] = [];
      // Small slabs force many switches (the partial frame is carried into the next slab).
      const r = new ArenaStreamReader({ frame: (f) => got.push(f) }, 65559, 65559, seed % 2 ? 200_000 : ARENA_SLAB_BYTES);
      feed(r, wire, rand, seed % 2 ? 9 : 300_000);
      expect(got.length).toBe(frames.length);
      got.forEach((g, i) => expect(same(g, frames[i]!)).toBe(true));
      expect(r.idle).toBe(true);
      expect(r.offset).toBe(wire.length);
    }
  });

  it("skips oversize frames without losing sync and rejects a zero or too large prefix with its offset", () => {
    const frames = [frame(100, 1), frame(2000, 2), frame(60, 3)];
    const wire = Buffer.concat(frames.map(encodeStreamFrame));
    const got: Uint8Array[] = [];
    const skipped: number[] = [];
    const r = new ArenaStreamReader({ frame: (f) => got.push(f), oversize: (len) => skipped.push(len) }, 1514, 65550);
    feed(r, wire, rng(7), 13);
    expect(got.map((f) => f.length)).toEqual([100, 60]);
    expect(skipped).toEqual([2000]);

    const bad = new ArenaStreamReader({ frame: () => {} }, 1514, 65550);
    const w2 = Buffer.concat([encodeStreamFrame(frame(10, 1)), Buffer.from([0, 1, 0, 16])]);
    expect(() => feed(bad, w2, rng(1), 100)).toThrow(StreamProtocolError);
    expect(() => bad.commit(0)).toThrow(/byte offset 14: length prefix 65552 exceeds/);
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A child that writes `wire` to its fd 3 (our socketpair end) and exits; the link reads it. */
function childWriting(wire: Uint8Array, delayMs = 0) {
  const d = mkdtempSync(join(tmpdir(), "np-arena-"));
  dirs.push(d);
  writeFileSync(join(d, "wire"), wire);
  const script = `${delayMs ? `sleep ${delayMs / 1000}; ` : ""}cat "$0" >&3`;
  return spawn("sh", ["-c", script, join(d, "wire")], { stdio: ["ignore", "ignore", "inherit", "pipe"] });
}

describe("StreamLink with arena reads", () => {
  it("reads frames over 64 KiB as single slab views, intact after all later reads, early frames included", async () => {
    const rand = rng(42);
    const frames = Array.from({ length: 120 }, (_, i) => frame(i % 3 === 0 ? 65559 : 1 + Math.floor(rand() * 65559), i));
    const child = childWriting(Buffer.concat(frames.map(encodeStreamFrame)));
    const link = new StreamLink(child.stdio[3] as Socket, { arenaReads: true, maxFrameSize: 65559 });
    const closed = new Promise<Error | undefined>((r) => link.onClose(r));
    // Attach late: the first frames wait in the link's early queue (as views, not copies).
    await new Promise((r) => setTimeout(r, 300));
    const got: Uint8Array[] = [];
    link.onFrame((f) => got.push(f));
    expect(await closed).toBeUndefined(); // EOF at a frame boundary: a clean close
    expect(got.length).toBe(frames.length);
    got.forEach((g, i) => expect(same(g, frames[i]!)).toBe(true));
    // Read into slabs, not Node's per-read 64 KiB buffers (a 65559-byte frame could not be one view of those).
    expect(got.every((g) => g.buffer.byteLength >= ARENA_SLAB_BYTES)).toBe(true);
    expect(link.stats.rxFrames).toBe(frames.length);
  });

  it("closes with the framing error and its offset on a bad prefix", async () => {
    const child = childWriting(Buffer.concat([encodeStreamFrame(frame(40, 1)), Buffer.from([0, 0, 0, 0, 1, 2])]));
    const link = new StreamLink(child.stdio[3] as Socket, { arenaReads: true });
    const got: Uint8Array[] = [];
    link.onFrame((f) => got.push(f));
    const err = await new Promise<Error | undefined>((r) => link.onClose(r));
    expect(err?.message).toMatch(/byte offset 44: length prefix 0 is zero/);
    expect(got.length).toBe(1);
  });

  it("reports a stream that ends inside a frame", async () => {
    const child = childWriting(encodeStreamFrame(frame(70_000, 1)).subarray(0, 50_000));
    const link = new StreamLink(child.stdio[3] as Socket, { arenaReads: true, maxFrameSize: 70_000 });
    link.onFrame(() => {});
    const err = await new Promise<Error | undefined>((r) => link.onClose(r));
    expect(err?.message).toMatch(/in the middle of a frame at byte offset 0/);
  });

  it("sends frames on the adopted socket", async () => {
    const child = spawn("sh", ["-c", "head -c 1518 <&3 | od -An -tu1 -N8 -v"], { stdio: ["ignore", "pipe", "inherit", "pipe"] });
    const link = new StreamLink(child.stdio[3] as Socket, { arenaReads: true });
    let out = "";
    child.stdout!.on("data", (c) => (out += c));
    // The child's stdout ending, not its exit: 'exit' can come before the last stdout data is read.
    const done = new Promise((r) => child.stdout!.on("end", r));
    expect(link.send(frame(1514, 3))).toBe(true);
    await done;
    expect(out.trim().split(/\s+/).map(Number)).toEqual([0, 0, 5, 234, ...Array.from(frame(4, 3))]);
    link.close();
  });
});
