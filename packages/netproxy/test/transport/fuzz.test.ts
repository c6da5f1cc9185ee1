/**
 * Bounded fuzz runs (seeded, a few thousand inputs each) for the parsers this package exposes to
 * untrusted bytes: the u32be stream decoder, the control-channel decoder and the --listen grammar.
 * Invariants: only the documented error types escape, delivered frames respect the size limits,
 * and valid input split anywhere decodes identically.
 */
import { describe, expect, it } from "vitest";
import { ControlDecoder, encodeControl } from "../../src/control/codec.js";
import { parseListen } from "../../src/transport/listen-spec.js";
import { encodeStreamFrame, StreamDecoder, StreamProtocolError } from "../../src/transport/stream-codec.js";

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
const bytes = (r: () => number, n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));

describe("fuzz", () => {
  it("stream decoder: random bytes only ever yield bounded frames or StreamProtocolError", () => {
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      const max = 1 + Math.floor(r() * 2000);
      const d = new StreamDecoder({ frame: (f) => expect(f.length >= 1 && f.length <= max).toBe(true) }, max);
      // Bias towards small length prefixes so that frames are actually found.
      const buf = bytes(r, Math.floor(r() * 600));
      for (let j = 0; j + 3 < buf.length; j += 50) if (r() < 0.7) buf[j] = buf[j + 1] = 0;
      try {
        let pos = 0;
        while (pos < buf.length) {
          const n = 1 + Math.floor(r() * 64);
          d.push(buf.subarray(pos, pos + n));
          pos += n;
        }
        expect(d.offset).toBe(buf.length);
      } catch (e) {
        expect(e).toBeInstanceOf(StreamProtocolError);
        expect((e as StreamProtocolError).offset).toBeLessThanOrEqual(buf.length - 4);
      }
    }
  });

  it("stream decoder: any split of a valid stream decodes to the same frames", () => {
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const frames = Array.from({ length: 1 + Math.floor(r() * 8) }, () => bytes(r, 1 + Math.floor(r() * 300)));
      const wire = Buffer.concat(frames.map(encodeStreamFrame));
      const got: string[] = [];
      const d = new StreamDecoder({ frame: (f) => got.push(Buffer.from(f).toString("hex")) });
      let pos = 0;
      while (pos < wire.length) {
        const n = Math.floor(r() * 40) + 1;
        d.push(wire.subarray(pos, pos + n));
        pos += n;
      }
      expect(got).toEqual(frames.map((f) => Buffer.from(f).toString("hex")));
    }
  });

  it("control decoder: random and mutated messages never escape as anything but a framing error", () => {
    const r = rng(5);
    const valid = encodeControl({ command: { id: 1, command: { add_published_port: { host_port: 1, guest_port: 2, protocol: "tcp", host_bind: "127.0.0.1" } } } });
    for (let i = 0; i < 1500; i++) {
      const m = Buffer.from(valid);
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) m[4 + Math.floor(r() * (m.length - 4))] = Math.floor(r() * 256);
      const results: boolean[] = [];
      const d = new ControlDecoder((x) => {
        results.push(x.ok);
        if (!x.ok) expect(x.error).toMatch(/invalid control message|not valid msgpack/);
      });
      d.push(r() < 0.5 ? m : Buffer.concat([Buffer.from([0, 0, 0, 20]), bytes(r, 20)]));
      expect(results.length).toBeLessThanOrEqual(1);
    }
  });

  it("listen grammar: arbitrary strings parse or fail with the accepted forms named", () => {
    const r = rng(3);
    const parts = ["stream:", "dgram:", "unix:", "fd:", "tcp:", "netns:", "[", "]", ":", "/", "1", "65536", "::1", "a", ""];
    for (let i = 0; i < 3000; i++) {
      const s = Array.from({ length: Math.floor(r() * 5) }, () => parts[Math.floor(r() * parts.length)]).join("");
      try {
        parseListen(s);
      } catch (e) {
        expect((e as Error).message).toMatch(/^invalid --listen `/);
      }
    }
  });
});
