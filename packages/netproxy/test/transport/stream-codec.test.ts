/** Tests of the u32be stream codec: random chunking, oversize skipping, protocol errors with offsets. */
import { describe, expect, it } from "vitest";
import { encodeStreamFrame, StreamDecoder, StreamProtocolError } from "../../src/transport/stream-codec.js";
import { frame, rng } from "./helpers.js";

function chunked(buf: Uint8Array, rand: () => number, maxChunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const n = 1 + Math.floor(rand() * maxChunk);
    out.push(buf.slice(pos, pos + n));
    pos += n;
  }
  return out;
}

describe("StreamDecoder", () => {
  it("reassembles frames across arbitrary chunk boundaries", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = rng(seed);
      const frames = Array.from({ length: 30 }, (_, i) => frame(1 + Math.floor(rand() * 3000), i));
      const wire = Buffer.concat(frames.map(encodeStreamFrame));
      const got: Uint8Array[] = [];
      const d = new StreamDecoder({ frame: (f) => got.push(Uint8Array.from(f)) });
      for (const c of chunked(wire, rand, seed % 2 ? 7 : 5000)) d.push(c);
      expect(got.length).toBe(frames.length);
      got.forEach((g, i) => expect(Buffer.from(g).equals(Buffer.from(frames[i]!))).toBe(true));
      expect(d.idle).toBe(true);
      expect(d.offset).toBe(wire.length);
    }
  });

  it("skips frames above maxFrameSize without losing sync", () => {
    const frames = [frame(100, 1), frame(2000, 2), frame(60, 3), frame(1515, 4), frame(1514, 5)];
    const wire = Buffer.concat(frames.map(encodeStreamFrame));
    for (let seed = 1; seed <= 10; seed++) {
      const got: number[] = [];
      const over: [number, number][] = [];
      const d = new StreamDecoder({ frame: (f) => got.push(f.length), oversize: (l, o) => over.push([l, o]) }, 1514);
      for (const c of chunked(wire, rng(seed), 300)) d.push(c);
      expect(got).toEqual([100, 60, 1514]);
      expect(over).toEqual([
        [2000, 104],
        [1515, 104 + 2004 + 64],
      ]);
    }
  });

  it("rejects a zero length with the byte offset of its prefix", () => {
    const wire = Buffer.concat([encodeStreamFrame(frame(10, 1)), Buffer.from([0, 0, 0, 0, 1, 2])]);
    const d = new StreamDecoder({ frame: () => {} });
    let err: unknown;
    try {
      for (const c of chunked(wire, rng(3), 3)) d.push(c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StreamProtocolError);
    expect((err as StreamProtocolError).offset).toBe(14);
    expect((err as Error).message).toMatch(/byte offset 14: length prefix 0 is zero/);
    expect(() => d.push(new Uint8Array([1]))).toThrow(StreamProtocolError);
  });

  it("rejects a length above 65550 and accepts exactly 65550", () => {
    const ok = new StreamDecoder({ frame: () => {} });
    ok.push(encodeStreamFrame(frame(65550, 9)));
    const d = new StreamDecoder({ frame: () => {} });
    const bad = Buffer.from([0, 1, 0, 0x0f]); // 65551
    expect(() => d.push(Buffer.concat([encodeStreamFrame(frame(5, 1)), bad]))).toThrow(/byte offset 9: length prefix 65551 exceeds the maximum 65550/);
  });
});
