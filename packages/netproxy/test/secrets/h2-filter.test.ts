/** The HTTP/2 filter on hand-built frames: CONTINUATION, padding, priority, size updates, PUSH_PROMISE, DATA scanning. */
import { describe, expect, it } from "vitest";
import { SecretsConfig } from "@sandbox/core";
import { H2Filter, H2_PREFACE } from "../../src/http/h2-filter.js";
import { encodeLiterals, HpackDecoder, type HeaderField } from "../../src/http/hpack.js";
import { classifySecrets } from "../../src/secrets/classify.js";

const cfg = SecretsConfig.parse({ secrets: [{ env_var: "K", placeholder: "$KEY", value: "real", allowed_hosts: [{ exact: "api.test" }] }], on_violation: "block-and-log" });
const filter = (sni: string) => new H2Filter({ sni, planFor: (h) => classifySecrets(cfg, { host: h, tlsIntercepted: true }) });

function frame(type: number, flags: number, stream: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}
const f = (name: string, value: string): HeaderField => ({ name, value, sensitive: false });
const req = (authority: string, extra: HeaderField[] = []) => encodeLiterals([f(":method", "GET"), f(":scheme", "https"), f(":path", "/p"), f(":authority", authority), ...extra]);

function frames(out: Buffer[]): { type: number; flags: number; stream: number; payload: Buffer }[] {
  let b = Buffer.concat(out).subarray(H2_PREFACE.length);
  const r = [];
  while (b.length >= 9) {
    const len = b.readUIntBE(0, 3);
    r.push({ type: b[3]!, flags: b[4]!, stream: b.readUInt32BE(5), payload: b.subarray(9, 9 + len) });
    b = b.subarray(9 + len);
  }
  return r;
}

describe("H2Filter", () => {
  it("reassembles HEADERS+CONTINUATION with padding and priority, substitutes, keeps END_STREAM", () => {
    const block = req("api.test", [f("authorization", "Bearer $KEY")]);
    const padded = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 16]), block.subarray(0, 10), Buffer.alloc(3)]);
    const h = filter("api.test");
    const out = h.push(Buffer.concat([H2_PREFACE, frame(1, 0x1 | 0x8 | 0x20, 1, padded), frame(9, 0x4, 1, block.subarray(10)), frame(4, 0, 0, Buffer.alloc(0))]));
    expect(out.block).toBeUndefined();
    const fr = frames(out.out);
    expect(fr[0]).toMatchObject({ type: 1, stream: 1 });
    expect(fr[0]!.flags & 0x1).toBe(1);
    expect(fr[0]!.flags & 0x4).toBe(4);
    expect(fr[0]!.flags & 0x20).toBe(0x20);
    const d = new HpackDecoder().decode(fr[0]!.payload.subarray(5));
    expect(d.ok && d.fields.find((x) => x.name === "authorization")).toMatchObject({ value: "Bearer real", sensitive: true });
    expect(fr[1]).toMatchObject({ type: 4 });
  });

  it("follows the guest's dynamic table across blocks and forwards size updates", () => {
    const h = filter("api.test");
    const first = Buffer.concat([Buffer.from([0x3f, 0xe1, 0x1f]), Buffer.from([0x40, 3, 0x78, 0x2d, 0x6b, 4]), Buffer.from("$KEY"), req("api.test")]);
    const out = h.push(Buffer.concat([H2_PREFACE, frame(1, 0x5, 1, first), frame(1, 0x5, 3, Buffer.concat([Buffer.from([0xbe]), req("api.test")]))]));
    expect(out.block).toBeUndefined();
    const fr = frames(out.out);
    const a = new HpackDecoder().decode(fr[0]!.payload);
    expect(a.ok && a.sizeUpdates).toEqual([4096]);
    const b = new HpackDecoder().decode(fr[1]!.payload);
    expect(b.ok && b.fields[0]).toMatchObject({ name: "x-k", value: "real" });
  });

  it("judges a request without :authority or host by the SNI (as HTTP/1 without Host, vectors secret-004/007)", () => {
    const noAuthority = encodeLiterals([f(":method", "GET"), f(":scheme", "https"), f(":path", "/p"), f("authorization", "Bearer $KEY")]);
    const ok = filter("api.test").push(Buffer.concat([H2_PREFACE, frame(1, 0x5, 1, noAuthority)]));
    expect(ok.block).toBeUndefined();
    const d = new HpackDecoder().decode(frames(ok.out)[0]!.payload);
    expect(d.ok && d.fields.find((x) => x.name === "authorization")).toMatchObject({ value: "Bearer real" });
    const other = filter("other.test").push(Buffer.concat([H2_PREFACE, frame(1, 0x5, 1, noAuthority)]));
    expect(other.block).toMatchObject({ action: "block-and-log", violation: { envVar: "K" } });
  });

  it("blocks :authority mismatch, PUSH_PROMISE, stray CONTINUATION, a bad preface and DATA violations", () => {
    expect(filter("api.test").push(Buffer.concat([H2_PREFACE, frame(1, 0x5, 1, req("evil.test"))])).block?.reason).toMatch(/does not match the SNI/);
    expect(filter("api.test").push(Buffer.concat([H2_PREFACE, frame(5, 0x4, 1, Buffer.alloc(4))])).block).toBeDefined();
    expect(filter("api.test").push(Buffer.concat([H2_PREFACE, frame(9, 0x4, 1, Buffer.alloc(1))])).block).toBeDefined();
    expect(filter("api.test").push(Buffer.from("GET / HTTP/1.1\r\n\r\n")).block).toBeDefined();
    const h = filter("other.test");
    const r1 = h.push(Buffer.concat([H2_PREFACE, frame(1, 0x4, 1, req("other.test")), frame(0, 0, 1, Buffer.from("aa$K"))]));
    expect(r1.block).toBeUndefined();
    const r2 = h.push(frame(0, 0x1, 1, Buffer.from("EYbb")));
    expect(r2.block).toMatchObject({ action: "block-and-log", violation: { location: "body" } });
  });
});
