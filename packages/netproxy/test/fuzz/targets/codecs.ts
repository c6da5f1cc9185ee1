/**
 * Fuzz targets for the incremental decoders that sit on the transports: the u32be stream frame
 * codec (every stream transport: QEMU stream/socket, libkrun unixstream, passt, gvproxy) and the
 * control channel codec (length-prefixed msgpack validated by zod). Datagram transports carry one
 * frame per datagram and have no decoder of their own.
 *
 * Properties: valid streams decode to exactly the encoded frames under any chunking; mutated
 * streams either decode or raise the documented framing error (StreamProtocolError / "control
 * channel framing error"), never anything else; a length prefix is never allocated before its
 * bytes arrive beyond the decoder's documented maximum.
 */
import { StreamDecoder, StreamProtocolError, encodeStreamFrame, STREAM_MAX_PREFIX } from "../../../src/transport/stream-codec.js";
import { ControlDecoder, encodeControl, type Decoded } from "../../../src/control/codec.js";
import type { ControlMessage } from "../../../src/gen/control.js";
import { Rng, hex } from "../lib/rng.js";
import { chunks, concat, mutate } from "../lib/mutate.js";
import { check, FuzzFailure, sameBytes, type FuzzTarget } from "../lib/target.js";

const stream: FuzzTarget = {
  name: "stream-codec",
  description: "u32be stream decoder: round trip under random chunking, mutated streams, length-prefix lies",
  open(seed) {
    const rng = new Rng(seed);
    const encode = (frames: Uint8Array[]) => concat(frames.map((f) => encodeStreamFrame(f)));
    const frameSet = () => Array.from({ length: 1 + rng.int(6) }, () => rng.bytes(1 + rng.smallLen(rng.chance(0.05) ? STREAM_MAX_PREFIX - 1 : 1600)));
    return {
      step() {
        const frames = frameSet();
        const maxFrame = rng.chance(0.3) ? 1 + rng.int(2000) : STREAM_MAX_PREFIX;
        const valid = rng.chance(0.4);
        const wire = valid ? encode(frames) : mutate(rng, encode(frames), [], 1 << 18);
        const got: Uint8Array[] = [];
        let oversize = 0;
        let partialMax = 0;
        const d = new StreamDecoder({ frame: (f) => got.push(Uint8Array.from(f)), oversize: () => oversize++ }, maxFrame);
        let err: unknown = null;
        for (const c of chunks(rng, wire, 12)) {
          try {
            d.push(c);
          } catch (e) {
            err = e;
            break;
          }
          // The decoder's own buffer (a partial frame) never exceeds the delivered-frame maximum.
          const partial = (d as unknown as { partial: Uint8Array | null }).partial;
          if (partial) partialMax = Math.max(partialMax, partial.length);
        }
        check(partialMax <= maxFrame, "stream-codec", `partial buffer ${partialMax} exceeds maxFrameSize ${maxFrame}`, wire);
        if (err !== null && !(err instanceof StreamProtocolError)) throw new FuzzFailure("stream-codec", "threw something other than StreamProtocolError", hex(wire), err);
        if (valid) {
          const expected = frames.filter((f) => f.length <= maxFrame);
          check(err === null && d.idle && oversize === frames.length - expected.length && got.length === expected.length && got.every((f, i) => sameBytes(f, expected[i]!)), "stream-codec", "valid stream round trip", wire);
        }
      },
    };
  },
};

const CONTROL_SEEDS: ControlMessage[] = [
  { command: { id: 1, command: "get_stats" } },
  { command: { id: 4294967295, command: "shutdown" } },
  { command: { id: 2, command: { reload_policy: { config_json: '{"preset":"public-only"}' } } } },
  { command: { id: 3, command: { add_published_port: { host_port: 8080, guest_port: 80, protocol: "tcp", host_bind: "127.0.0.1" } } } },
  { command: { id: 3, command: { remove_published_port: { host_port: 8080, protocol: "udp", host_bind: "::1" } } } },
  { response: { id: 9, outcome: { ok: "done" } } },
  { event: { seq: 1, time_ms: 2, event: { link: { state: "down", transport: "t", error: "gone" } } } },
] as unknown as ControlMessage[];

const control: FuzzTarget = {
  name: "control-codec",
  description: "control channel decoder: round trip of schema-valid messages under chunking; mutated msgpack and length prefixes",
  open(seed) {
    const rng = new Rng(seed);
    const encoded = CONTROL_SEEDS.map((m) => Uint8Array.from(encodeControl(m)));
    return {
      step() {
        const picks = Array.from({ length: 1 + rng.int(4) }, () => rng.int(encoded.length));
        const wireValid = concat(picks.map((i) => encoded[i]!));
        const valid = rng.chance(0.3);
        const wire = valid ? wireValid : mutate(rng, wireValid, encoded, 1 << 16);
        const got: Decoded[] = [];
        const d = new ControlDecoder((m) => got.push(m));
        let err: unknown = null;
        for (const c of chunks(rng, wire, 10)) {
          try {
            d.push(Buffer.from(c.buffer, c.byteOffset, c.length));
          } catch (e) {
            err = e;
            break;
          }
        }
        if (err !== null && !(err instanceof Error && err.message.startsWith("control channel framing error"))) throw new FuzzFailure("control-codec", "threw something other than the framing error", hex(wire), err);
        for (const m of got) check(m.ok || (typeof m.error === "string" && Number.isInteger(m.id) && m.id >= 0), "control-codec", "decoded messages are ok or carry an error", wire);
        if (valid) {
          check(err === null && got.length === picks.length, "control-codec", "valid messages all decode", wire);
          got.forEach((m, k) => {
            check(m.ok, "control-codec", `message ${k} valid`, wire);
            const again = Uint8Array.from(encodeControl(m.message));
            check(sameBytes(again, encoded[picks[k]!]!), "control-codec", "decode(encode(m)) re-encodes to the same bytes", wire);
          });
        }
      },
    };
  },
};

/** The transport/control decoder targets. */
export const CODEC_TARGETS: readonly FuzzTarget[] = [stream, control];
