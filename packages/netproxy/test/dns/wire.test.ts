import { describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import { buildQuery, buildResponse, parseMessage, readName, RCODE, RR, udpPayloadLimit } from "../../src/dns/wire.js";

describe("dns wire reader", () => {
  it("parses a query built by dns-packet, lower-casing and trimming the name", () => {
    const q = dnsPacket.encode({ id: 7, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name: "WwW.Example.COM." }] });
    const m = parseMessage(q)!;
    expect(m.id).toBe(7);
    expect(m.questions[0]!.name.text).toBe("www.example.com");
    expect(m.questions[0]!.name.hostname).toBe(true);
    expect(m.questions[0]!.qtype).toBe(RR.A);
  });

  it("rejects a compression pointer loop (self and forward pointers) without throwing", () => {
    const self = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(parseMessage(self)).toBeUndefined();
    const two = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
    expect(parseMessage(two)).toBeUndefined();
  });

  it("follows a backward pointer and refuses names over 255 bytes", () => {
    const buf = new Uint8Array([3, 0x61, 0x62, 0x63, 0, 1, 0x78, 0xc0, 0]);
    expect(readName(buf, 5)!.name.text).toBe("x.abc");
    const long: number[] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 5; i++) long.push(63, ...new Array(63).fill(0x61));
    long.push(0, 0, 1, 0, 1);
    expect(parseMessage(Uint8Array.from(long))).toBeUndefined();
  });

  it("never throws or hangs on random and truncated bytes", () => {
    const base = dnsPacket.encode({ id: 1, type: "response", questions: [{ type: "A", name: "a.example" }], answers: [{ type: "CNAME", name: "a.example", data: "b.example" }, { type: "A", name: "b.example", data: "1.2.3.4" }] });
    for (let cut = 0; cut < base.length; cut++) expect(() => parseMessage(base.subarray(0, cut))).not.toThrow();
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let i = 0; i < 3000; i++) {
      const b = Uint8Array.from({ length: 12 + (i % 80) }, rnd);
      expect(() => parseMessage(b)).not.toThrow();
      const mut = Uint8Array.from(base);
      mut[12 + (i % (base.length - 12))] = rnd();
      expect(() => parseMessage(mut)).not.toThrow();
    }
  });

  it("marks names with odd bytes as non-hostnames and escapes them", () => {
    const buf = new Uint8Array([3, 0x61, 0x2e, 0x62, 3, 0x63, 0x6f, 0x6d, 0]);
    const n = readName(buf, 0)!.name;
    expect(n.text).toBe("a\\046b.com");
    expect(n.hostname).toBe(false);
    expect(readName(new Uint8Array([1, 0x2a, 3, 0x63, 0x6f, 0x6d, 0]), 0)!.name.hostname).toBe(true);
    expect(readName(new Uint8Array([2, 0x2d, 0x61, 0]), 0)!.name.hostname).toBe(false);
  });

  it("keeps unknown record types (HTTPS/SVCB) as raw spans", () => {
    const rdata = Buffer.from([0, 1, 0, 0, 1, 0, 3, 2, 0x68, 0x32]);
    const r = dnsPacket.encode({ id: 2, type: "response", questions: [{ type: "HTTPS" as "A", name: "svc.example" }], answers: [{ type: "UNKNOWN_65" as "A", name: "svc.example", data: rdata as unknown as string }] } as dnsPacket.Packet);
    const m = parseMessage(r)!;
    expect(m.answers[0]!.type).toBe(RR.HTTPS);
    expect(Buffer.from(m.bytes.subarray(m.answers[0]!.rdataOffset, m.answers[0]!.rdataOffset + m.answers[0]!.rdataLength))).toEqual(rdata);
  });

  it("builds responses that dns-packet decodes: FORMERR echoes the first question, TC and alias answers", () => {
    const q = parseMessage(buildQuery(0xbeef, "Host.Example", RR.A, { udpPayload: 1232 }))!;
    expect(udpPayloadLimit(q)).toBe(1232);
    const r = dnsPacket.decode(Buffer.from(buildResponse({ id: q.id, queryFlags: q.flags, rcode: RCODE.NOERROR, question: q.questions[0]!, aa: true, answers: [{ type: RR.A, ttl: 60, rdata: Uint8Array.of(172, 16, 0, 1) }] })));
    expect(r.id).toBe(0xbeef);
    expect(r.flags! & 0x0400).toBeTruthy();
    expect(r.answers![0]).toMatchObject({ name: "Host.Example", type: "A", data: "172.16.0.1", ttl: 60 });
    const tc = dnsPacket.decode(Buffer.from(buildResponse({ id: 1, queryFlags: q.flags, rcode: 0, question: q.questions[0]!, tc: true })));
    expect(tc.flags! & 0x0200).toBeTruthy();
    expect(tc.questions).toHaveLength(1);
    expect(udpPayloadLimit(parseMessage(buildQuery(1, "a", RR.A))!)).toBe(512);
  });
});
