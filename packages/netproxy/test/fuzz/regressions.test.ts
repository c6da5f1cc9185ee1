/**
 * Regression tests for defects the fuzzers found, and the "a length field that lies does not
 * allocate" checks: each input here once crashed, hung or would allocate what a length field
 * claims rather than what arrived.
 */
import { describe, expect, it } from "vitest";
import { parseDhcp } from "../../src/frame/dhcp.js";
import { parseMessage } from "../../src/dns/wire.js";
import { Reassembler } from "../../src/stack/fragments.js";
import { SecretsConfig } from "@sandbox/core";
import { H2Filter, H2_PREFACE } from "../../src/http/h2-filter.js";
import { classifySecrets } from "../../src/secrets/classify.js";
import { pointerChain } from "./targets/dns.js";
import { Rng } from "./lib/rng.js";

/** A BOOTREQUEST of `size` bytes whose options area is `fill` repeated. */
function dhcpWithOptions(size: number, fill: readonly number[]): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  b.set([99, 130, 83, 99], 236);
  for (let i = 240; i + fill.length <= size; i += fill.length) b.set(fill, i);
  return b;
}

describe("fuzz regressions", () => {
  it("DHCP: 21k repeats of one option are joined once (was quadratic: ~50 s for one 64 KiB datagram)", () => {
    const size = 65507 - 8; // largest UDP payload in a reassembled IPv4 datagram, minus the UDP header
    const b = dhcpWithOptions(size, [60, 1, 0x41]);
    const t0 = performance.now();
    const m = parseDhcp(b);
    const ms = performance.now() - t0;
    const repeats = Math.floor((size - 240) / 3);
    expect(m?.options.get(60)?.length).toBe(repeats);
    expect(m?.options.get(60)?.every((x) => x === 0x41)).toBe(true);
    // Generous: a hang guard, not a benchmark (the linear walk takes milliseconds).
    expect(ms).toBeLessThan(5000);
  });

  it("DHCP: repeated options are concatenated in order (RFC 3396), single ones stay views", () => {
    const b = dhcpWithOptions(300, [0]);
    b.set([12, 2, 0x61, 0x62, 53, 1, 3, 12, 1, 0x63, 12, 0, 12, 2, 0x64, 0x65, 255], 240);
    const m = parseDhcp(b)!;
    expect(Buffer.from(m.options.get(12)!).toString("latin1")).toBe("abcde");
    expect(m.messageType).toBe(3);
    expect(m.options.get(53)!.buffer).toBe(b.buffer);
  });
});

describe("fuzz regressions: DNS compression pointers", () => {
  it("a 64 KiB message whose 4123 owner names each walk 8000 backward pointers is rejected quickly (was ~0.5 s of CPU per message)", () => {
    const records = Math.floor((65507 - 23 - (1 + 2 * 8000)) / 12);
    const msg = pointerChain(new Rng(1), 8000, records);
    expect(msg.length).toBeLessThanOrEqual(65507);
    const t0 = performance.now();
    expect(parseMessage(msg)).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(2000); // hang guard only; the walk stops at 128 jumps
  });

  it("127 pointer jumps in one name are followed, 128 are not", () => {
    // An owner name points at the last of `hops` chained pointers: hops + 1 jumps.
    expect(parseMessage(pointerChain(new Rng(1), 126, 3))?.answers.length).toBe(4);
    expect(parseMessage(pointerChain(new Rng(1), 127, 3))).toBeUndefined();
  });
});

describe("fuzz regressions: IP fragment reassembly", () => {
  it("a final fragment that ends before an already-held piece drops the datagram (add threw RangeError)", () => {
    const r = new Reassembler({ maxDatagrams: 4, maxBytes: 1 << 20, timeoutMs: 1000, now: () => 0 });
    // [16,24) held with MF set; then a final fragment [8,16) says the datagram is 16 bytes long.
    // The 16 bytes held equal the claimed total, with a hole at [0,8) and a piece past the end.
    expect(r.add("k", 16, true, new Uint8Array(8))).toEqual({ pending: true });
    let res: unknown;
    expect(() => (res = r.add("k", 8, false, new Uint8Array(8)))).not.toThrow();
    expect(res).toMatchObject({ dropped: expect.any(String) });
    expect(r.add("k", 0, true, new Uint8Array(8))).toMatchObject({ dropped: expect.any(String) });
  });

  it("the same datagram in a sane order still reassembles", () => {
    const r = new Reassembler({ maxDatagrams: 4, maxBytes: 1 << 20, timeoutMs: 1000, now: () => 0 });
    r.add("k", 8, false, Uint8Array.of(9, 9, 9));
    expect(r.add("k", 0, true, new Uint8Array(8).fill(1))).toEqual({ done: Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9) });
  });
});

describe("fuzz regressions: HTTP/2 filter buffering", () => {
  const cfg = SecretsConfig.parse({ secrets: [{ env_var: "K", placeholder: "$KEY", value: "real", allowed_hosts: [{ exact: "api.test" }] }] });
  const planFor = (h: string | null) => classifySecrets(cfg, { host: h, tlsIntercepted: true });

  it("a 16 MiB DATA frame arriving in 16 KiB chunks is joined once, not per chunk (was quadratic: ~47 s of CPU)", () => {
    const f = new H2Filter({ sni: "api.test", planFor });
    const len = (16 << 20) - 1; // the largest length the 24-bit field can claim
    const header = Buffer.from([len >> 16, (len >> 8) & 0xff, len & 0xff, 0, 0, 0, 0, 0, 1]);
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    expect(f.push(Buffer.concat([H2_PREFACE, settings, header])).out.map((b) => b.length)).toEqual([24, 9]);
    const chunk = Buffer.alloc(16384, 0x41);
    const t0 = performance.now();
    let sent = 0;
    const out: Buffer[] = [];
    while (sent < len) {
      const n = Math.min(chunk.length, len - sent);
      const r = f.push(chunk.subarray(0, n));
      expect(r.block).toBeUndefined();
      out.push(...r.out);
      sent += n;
    }
    // The whole frame is forwarded once complete, byte for byte.
    expect(Buffer.concat(out).length).toBe(9 + len);
    expect(Buffer.concat(out).subarray(0, 9)).toEqual(header);
    expect(performance.now() - t0).toBeLessThan(5000); // hang guard; linear work takes milliseconds
  });

  it("frames split at every byte still come out whole and in order", () => {
    const f = new H2Filter({ sni: "api.test", planFor });
    const frames = [Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 3, 0, 1, 0, 0, 0, 1, 0x61, 0x62, 0x63]), Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0])];
    const wire = Buffer.concat([H2_PREFACE, ...frames]);
    const out: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) out.push(...f.push(wire.subarray(i, i + 1)).out);
    expect(out.map((b) => b.toString("hex"))).toEqual([H2_PREFACE, ...frames].map((b) => b.toString("hex")));
  });
});
