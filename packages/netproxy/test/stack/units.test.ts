/** Unit tests: sequence arithmetic, byte queue, out-of-order store, RTO, fragments, SNI sniffing, IP text. */
import { describe, expect, it } from "vitest";
import { MAX_PIECES, Reassembler } from "../../src/stack/fragments.js";
import { formatIpBytes, parseIpBytes } from "../../src/stack/ip.js";
import { ByteQueue } from "../../src/stack/tcp/byte-queue.js";
import { OutOfOrderBuffer } from "../../src/stack/tcp/reassembly.js";
import { RtoEstimator } from "../../src/stack/tcp/rto.js";
import { seqAdd, seqDiff, seqGt, seqInRange, seqLt } from "../../src/stack/tcp/seq.js";
import { sniffClientHello } from "../../src/stack/tcp/sni.js";
import { ednsPayloadLimit } from "../../src/stack/udp.js";
import { clientHello } from "./helpers/tls.js";

describe("sequence arithmetic", () => {
  it("wraps modulo 2^32", () => {
    const top = 2 ** 32 - 10;
    expect(seqAdd(top, 20)).toBe(10);
    expect(seqLt(top, 10)).toBe(true);
    expect(seqGt(10, top)).toBe(true);
    expect(seqDiff(10, top)).toBe(20);
    expect(seqInRange(5, top, 30)).toBe(true);
    expect(seqInRange(25, top, 30)).toBe(false);
  });
});

describe("ByteQueue", () => {
  it("copies ranges across chunks and consumes from the head", () => {
    const q = new ByteQueue();
    q.push(Uint8Array.of(1, 2, 3));
    q.push(Uint8Array.of(4, 5));
    q.push(Uint8Array.of(6, 7, 8, 9));
    const out = new Uint8Array(5);
    q.copyOut(2, 5, out, 0);
    expect([...out]).toEqual([3, 4, 5, 6, 7]);
    q.consume(4);
    expect(q.length).toBe(5);
    q.copyOut(0, 2, out, 0);
    expect([...out.subarray(0, 2)]).toEqual([5, 6]);
    expect(() => q.copyOut(4, 2, out, 0)).toThrow(RangeError);
  });
});

describe("OutOfOrderBuffer", () => {
  it("merges, bounds, releases in order and reports SACK blocks (wrapping)", () => {
    const base = 2 ** 32 - 4;
    const o = new OutOfOrderBuffer(10);
    expect(o.insert(seqAdd(base, 6), Uint8Array.of(6, 7), false)).toBe(true);
    expect(o.insert(seqAdd(base, 2), Uint8Array.of(2, 3), false)).toBe(true);
    expect(o.insert(seqAdd(base, 3), Uint8Array.of(3, 4, 5), false)).toBe(true);
    expect(o.size).toBe(6);
    expect(o.sackBlocks(4)).toEqual([{ left: seqAdd(base, 2), right: seqAdd(base, 8) }]);
    expect(o.insert(seqAdd(base, 20), new Uint8Array(8), false)).toBe(false); // over the bound
    const t = o.take(base);
    expect(t.data.length).toBe(0); // gap at base..base+2
    const t2 = o.take(seqAdd(base, 2));
    expect(Buffer.concat(t2.data.map((d) => Buffer.from(d)))).toEqual(Buffer.from([2, 3, 4, 5, 6, 7]));
    expect(t2.next).toBe(seqAdd(base, 8));
    expect(o.empty).toBe(true);
  });
  it("carries a FIN through", () => {
    const o = new OutOfOrderBuffer(100);
    o.insert(10, Uint8Array.of(1), true);
    const t = o.take(10);
    expect(t.fin).toBe(true);
    expect(t.next).toBe(11);
  });
});

describe("RTO", () => {
  it("follows RFC 6298 and backs off exponentially within bounds", () => {
    const r = new RtoEstimator({ initialMs: 1000, minMs: 200, maxMs: 5000 });
    expect(r.current).toBe(1000);
    r.sample(100);
    expect(r.current).toBe(300); // 100 + 4·50
    r.backoff = 2;
    expect(r.current).toBe(1200);
    r.backoff = 10;
    expect(r.current).toBe(5000);
  });
});

describe("Reassembler", () => {
  const now = { t: 0 };
  const mk = () => new Reassembler({ maxDatagrams: 2, maxBytes: 1000, timeoutMs: 100, now: () => now.t });
  it("reassembles out of order, drops overlaps, expires and bounds", () => {
    const r = mk();
    expect(r.add("a", 8, false, new Uint8Array(4).fill(2))).toEqual({ pending: true });
    const d = r.add("a", 0, true, new Uint8Array(8).fill(1));
    expect("done" in d && [...d.done]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    r.add("b", 0, true, new Uint8Array(8));
    expect(r.add("b", 0, true, new Uint8Array(16))).toEqual({ dropped: "overlapping fragments" });
    expect(r.add("c", 0, true, new Uint8Array(7))).toEqual({ dropped: "non-final fragment not a multiple of 8 bytes" });
    expect(r.add("d", 65530, false, new Uint8Array(16))).toEqual({ dropped: "fragment beyond 65535 bytes" });
    r.add("e", 0, true, new Uint8Array(8));
    r.add("f", 0, true, new Uint8Array(8));
    expect(r.pending).toBeLessThanOrEqual(2);
    now.t = 1000;
    r.add("g", 0, true, new Uint8Array(8));
    expect(r.pending).toBe(1);
    expect(r.add("h", 0, true, new Uint8Array(1200 & ~7))).toEqual({ dropped: "reassembly memory exhausted" });
  });

  it("discards a datagram sent in more than MAX_PIECES tiny fragments", () => {
    const r = new Reassembler({ maxDatagrams: 4, maxBytes: 1 << 20, timeoutMs: 1000, now: () => 0 });
    for (let i = 0; i < MAX_PIECES; i++) expect(r.add("tiny", i * 8, true, new Uint8Array(8))).toEqual({ pending: true });
    expect(r.add("tiny", MAX_PIECES * 8, true, new Uint8Array(8))).toEqual({ dropped: `more than ${MAX_PIECES} fragments` });
    expect(r.add("tiny", 0, false, new Uint8Array(8))).toEqual({ dropped: "datagram already discarded" });
    // A normal datagram still reassembles: 119 fragments of 552 bytes (IPv4 minimum MTU) and a tail.
    const r2 = new Reassembler({ maxDatagrams: 4, maxBytes: 1 << 20, timeoutMs: 1000, now: () => 0 });
    for (let i = 0; i < 118; i++) r2.add("big", i * 552, true, new Uint8Array(552));
    expect("done" in r2.add("big", 118 * 552, false, new Uint8Array(100))).toBe(true);
  });
});

describe("sniffClientHello", () => {
  it("finds the SNI, also across records, and asks for more when cut", () => {
    const h = clientHello("Example.COM.");
    expect(sniffClientHello(h)).toEqual({ state: "done", tls: true, sni: "example.com" });
    expect(sniffClientHello(clientHello("split.example", true))).toEqual({ state: "done", tls: true, sni: "split.example" });
    expect(sniffClientHello(h.subarray(0, 30))).toEqual({ state: "need-more" });
    expect(sniffClientHello(clientHello(null))).toEqual({ state: "done", tls: true, sni: null });
    expect(sniffClientHello(Buffer.from("GET / HTTP/1.1"))).toEqual({ state: "done", tls: false, sni: null });
    for (let n = 0; n < h.length; n++) expect(() => sniffClientHello(h.subarray(0, n))).not.toThrow();
  });
});

describe("IP text", () => {
  it("parses and formats v4/v6 (RFC 5952)", () => {
    expect(formatIpBytes(parseIpBytes("fd42:6d73:62:0:0:0:0:1")!)).toBe("fd42:6d73:62::1");
    expect(formatIpBytes(parseIpBytes("::ffff:1.2.3.4")!)).toBe("::ffff:1.2.3.4"); // RFC 5952 §5: mapped addresses keep the dotted quad;
    expect(formatIpBytes(parseIpBytes("1:0:0:2:0:0:0:3")!)).toBe("1:0:0:2::3");
    expect(parseIpBytes("1.2.3")).toBeNull();
    expect(parseIpBytes("01.2.3.4")).toBeNull();
    expect(parseIpBytes("1::2::3")).toBeNull();
  });
});

describe("EDNS payload limit", () => {
  it("reads the OPT record's UDP size, 512 otherwise, and never throws", () => {
    const q = Buffer.from("abcd01000001000000000001" + "0000010001" + "00" + "0029" + "1000" + "00000000" + "0000", "hex");
    expect(ednsPayloadLimit(q)).toBe(4096);
    expect(ednsPayloadLimit(q.subarray(0, 17))).toBe(512);
    for (let n = 0; n < q.length; n++) expect(() => ednsPayloadLimit(q.subarray(0, n))).not.toThrow();
  });
});

describe("DNS over TCP stream", () => {
  it("frames answers, keeps order, and ends (FIN) when idle", async () => {
    const { createDnsStream } = await import("../../src/stack/tcp/dns-stream.js");
    const slowFirst = {
      async handle(q: Uint8Array) {
        if (q[1] === 1) await new Promise((r) => setTimeout(r, 30));
        return Uint8Array.from(q);
      },
    };
    const ip = { family: 4 as const, v4: 1 };
    const d = createDnsStream(slowFirst, { transport: "tcp", resolverIp: ip, clientIp: ip }, 100);
    const out: Buffer[] = [];
    d.on("data", (b: Buffer) => out.push(b));
    const ended = new Promise<void>((r) => d.on("end", () => r()));
    d.write(Buffer.from([0, 2, 0, 1, 0, 2, 0, 2]));
    await ended;
    expect([...Buffer.concat(out)]).toEqual([0, 2, 0, 1, 0, 2, 0, 2]);
  });
});

describe("DNS over TCP backpressure", () => {
  it("holds writes while 64 queries are unanswered, then releases them", async () => {
    const { createDnsStream } = await import("../../src/stack/tcp/dns-stream.js");
    const waiting: (() => void)[] = [];
    const slow = {
      handle(q: Uint8Array) {
        return new Promise<Uint8Array>((r) => waiting.push(() => r(Uint8Array.from(q))));
      },
    };
    const ip = { family: 4 as const, v4: 1 };
    const d = createDnsStream(slow, { transport: "tcp", resolverIp: ip, clientIp: ip });
    d.on("data", () => {});
    const q = Buffer.from([0, 2, 0, 1]);
    let ok = true;
    for (let i = 0; i < 200 && ok; i++) ok = d.write(q);
    expect(waiting.length).toBe(64);
    expect(d.writableLength).toBeGreaterThan(0);
    while (waiting.length > 0) {
      waiting.splice(0).forEach((w) => w());
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(d.writableLength).toBe(0);
    d.destroy();
  });
});
