/**
 * Bounded fuzz run of the transport stream codec and the control channel codec, plus the
 * "a lying length prefix allocates nothing" checks.
 */
import { describe, expect, it } from "vitest";
import { CODEC_TARGETS } from "./targets/codecs.js";
import { runBounded } from "./lib/target.js";
import { fuzzSeed, FUZZ_STEPS } from "./lib/budget.js";
import { StreamDecoder, StreamProtocolError } from "../../src/transport/stream-codec.js";
import { ControlDecoder } from "../../src/control/codec.js";

describe("fuzz: transport and control codecs", () => {
  for (const t of CODEC_TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      expect(await runBounded(t, fuzzSeed(t.name), Math.ceil(FUZZ_STEPS / 2))).toBe(Math.ceil(FUZZ_STEPS / 2));
    });
  }

  it("stream codec: a 4 GiB length prefix is a framing error at once, nothing allocated", () => {
    const d = new StreamDecoder({ frame: () => {} });
    const before = process.memoryUsage().arrayBuffers;
    expect(() => d.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3))).toThrow(StreamProtocolError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    expect(() => d.push(Uint8Array.of(1))).toThrow(StreamProtocolError);
  });

  it("stream codec: the largest legal prefix buffers at most maxFrameSize; an oversize frame is skipped without buffering", () => {
    const frames: number[] = [];
    const d = new StreamDecoder({ frame: (f) => frames.push(f.length), oversize: () => frames.push(-1) }, 1500);
    d.push(Uint8Array.of(0, 1, 0, 0x0e)); // 65550: legal on the wire, over maxFrameSize
    expect((d as unknown as { partial: Uint8Array | null }).partial).toBeNull();
    d.push(new Uint8Array(65550));
    d.push(Uint8Array.of(0, 0, 0, 2, 7, 7));
    expect(frames).toEqual([-1, 2]);
  });

  it("control codec: a 16 MiB prefix with 4 bytes behind it buffers only what arrived", () => {
    const got: unknown[] = [];
    const d = new ControlDecoder((m) => got.push(m));
    const before = process.memoryUsage().arrayBuffers;
    d.push(Buffer.from([0x01, 0x00, 0x00, 0x00, 1, 2, 3, 4]));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    expect(got).toEqual([]);
    expect(() => new ControlDecoder(() => {}).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/control channel framing error at byte offset 0/);
  });
});
