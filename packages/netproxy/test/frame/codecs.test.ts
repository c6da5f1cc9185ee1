/** Frame codecs against hand-built byte sequences with independently computed checksums. */
import { describe, expect, it } from "vitest";
import { ARP_OP, parseArp } from "../../src/frame/arp.js";
import { internetChecksum } from "../../src/frame/checksum.js";
import { DHCP_MSG, DHCP_OPT, parseDhcp } from "../../src/frame/dhcp.js";
import { formatMac, parseEthernet, parseMac } from "../../src/frame/ethernet.js";
import { ICMP4, parseIcmpv4, parseIcmpv6, writeIcmp } from "../../src/frame/icmp.js";
import { parseIpv4, writeIpv4Header } from "../../src/frame/ipv4.js";
import { parseIpv6 } from "../../src/frame/ipv6.js";
import { parseTcp, TCP_FLAG, writeTcpHeader } from "../../src/frame/tcp.js";
import { parseUdp, writeUdpHeader } from "../../src/frame/udp.js";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

/** Reference one's-complement checksum, written independently of the codec. */
function refChecksum(...parts: Uint8Array[]): number {
  const all = Buffer.concat(parts.map((p) => Buffer.from(p)));
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += (all[i]! << 8) + (i + 1 < all.length ? all[i + 1]! : 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}
const pseudo4 = (src: Uint8Array, dst: Uint8Array, proto: number, len: number): Uint8Array =>
  Uint8Array.from([...src, ...dst, 0, proto, len >> 8, len & 0xff]);
const pseudo6 = (src: Uint8Array, dst: Uint8Array, proto: number, len: number): Uint8Array =>
  Uint8Array.from([...src, ...dst, 0, 0, len >> 8, len & 0xff, 0, 0, 0, proto]);

const SRC4 = Uint8Array.of(192, 168, 0, 1);
const DST4 = Uint8Array.of(192, 168, 0, 199);

describe("checksum", () => {
  it("matches the RFC 1071 worked example", () => {
    const b = hex("0001 f203 f4f5 f6f7");
    expect(internetChecksum(b, 0, b.length)).toBe(~0xddf2 & 0xffff);
  });
  it("handles odd lengths like the reference", () => {
    const b = hex("0102030405");
    expect(internetChecksum(b, 0, 5)).toBe(refChecksum(b));
  });
});

describe("Ethernet", () => {
  it("parses a short (unpadded) frame and MAC text", () => {
    const f = hex("ffffffffffff 026d73000002 0806 00");
    const e = parseEthernet(f)!;
    expect(formatMac(e.dst)).toBe("ff:ff:ff:ff:ff:ff");
    expect(formatMac(e.src)).toBe("02:6d:73:00:00:02");
    expect(e.etherType).toBe(0x0806);
    expect(e.payload.length).toBe(1);
    expect(parseEthernet(f.subarray(0, 13))).toBeNull();
    expect(parseMac("02-6D-73-00-00-02")).toEqual(hex("026d73000002"));
    expect(parseMac("02:6d:73:00:00")).toBeNull();
  });
});

describe("ARP", () => {
  it("parses a hand-built request", () => {
    const a = parseArp(hex("0001 0800 06 04 0001 026d73000002 ac100002 000000000000 ac100001"))!;
    expect(a.op).toBe(ARP_OP.REQUEST);
    expect([...a.targetIp]).toEqual([172, 16, 0, 1]);
    expect(parseArp(hex("0001 0800 06 04 0001 026d73000002 ac100002 000000000000 ac1000"))).toBeNull();
    expect(parseArp(hex("0006 0800 06 04 0001 026d73000002 ac100002 000000000000 ac100001"))).toBeNull();
  });
});

describe("IPv4", () => {
  const wiki = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7") ;
  it("parses a header with a known-good checksum (b861)", () => {
    const pkt = new Uint8Array(0x73);
    pkt.set(wiki);
    const p = parseIpv4(pkt);
    if (typeof p === "string") throw new Error(p);
    expect(p.protocol).toBe(17);
    expect(p.ttl).toBe(64);
    expect(p.dontFragment).toBe(true);
    expect(p.payload.length).toBe(0x73 - 20);
  });
  it("writes exactly that header", () => {
    const b = new Uint8Array(20);
    writeIpv4Header(b, 0, { src: SRC4, dst: DST4, protocol: 17, payloadLen: 0x73 - 20, id: 0 });
    expect(Buffer.from(b).toString("hex")).toBe(Buffer.from(wiki).toString("hex"));
  });
  it("rejects bad checksums, versions and lengths", () => {
    const pkt = new Uint8Array(0x73);
    pkt.set(wiki);
    pkt[11] = 0x62;
    expect(parseIpv4(pkt)).toBe("checksum");
    expect(typeof parseIpv4(pkt, false)).toBe("object");
    pkt.set(wiki);
    pkt[0] = 0x65;
    expect(parseIpv4(pkt)).toBe("version");
    pkt[0] = 0x44;
    expect(parseIpv4(pkt)).toBe("header-length");
    pkt.set(wiki);
    expect(parseIpv4(pkt.subarray(0, 0x72))).toBe("total-length");
    expect(parseIpv4(pkt.subarray(0, 19))).toBe("truncated");
  });
  it("decodes fragment fields", () => {
    const h = hex("4500 0030 1234 2005 4011 0000 c0a8 0001 c0a8 00c7");
    const c = refChecksum(h);
    h[10] = c >> 8;
    h[11] = c & 0xff;
    const pkt = new Uint8Array(0x30);
    pkt.set(h);
    const p = parseIpv4(pkt);
    if (typeof p === "string") throw new Error(p);
    expect(p.moreFragments).toBe(true);
    expect(p.fragOffset).toBe(40);
    expect(p.id).toBe(0x1234);
  });
});

describe("IPv6", () => {
  it("walks hop-by-hop and fragment headers to the upper layer", () => {
    const src = hex("fd426d73006200000000000000000002");
    const dst = hex("fd426d73006200000000000000000001");
    const hop = hex("2c00 0000 0000 0000"); // next = fragment (44), len 0 → 8 bytes
    const frag = hex("11 00 0009 00000042"); // next = UDP, offset 1 (8 bytes), M=1, id 0x42
    const payload = hex("0102030405060708");
    const fixed = Uint8Array.from([0x60, 0, 0, 0, 0, 24, 0, 64, ...src, ...dst]);
    const p = parseIpv6(Uint8Array.from([...fixed, ...hop, ...frag, ...payload]));
    if (typeof p === "string") throw new Error(p);
    expect(p.nextHeader).toBe(17);
    expect(p.fragment).toEqual({ offset: 8, moreFragments: true, id: 0x42 });
    expect([...p.payload]).toEqual([...payload]);
    expect(parseIpv6(Uint8Array.from([...fixed, ...hop]))).toBe("payload-length");
  });
});

describe("UDP", () => {
  it("verifies a hand-computed checksum over the IPv4 pseudo header", () => {
    const d = hex("d431 0035 000c 0000 61626364");
    const c = refChecksum(pseudo4(SRC4, DST4, 17, 12), d);
    d[6] = c >> 8;
    d[7] = c & 0xff;
    const u = parseUdp(d, SRC4, DST4);
    if (typeof u === "string") throw new Error(u);
    expect(u.srcPort).toBe(0xd431);
    expect(u.dstPort).toBe(53);
    expect(Buffer.from(u.payload).toString()).toBe("abcd");
    d[9] = d[9]! ^ 1;
    expect(parseUdp(d, SRC4, DST4)).toBe("checksum");
    expect(parseUdp(hex("d431 0035 0010 0000 61626364"), SRC4, DST4)).toBe("length");
  });
  it("writes the same checksum; zero checksum allowed on IPv4 only", () => {
    const b = new Uint8Array(12);
    b.set([0x61, 0x62, 0x63, 0x64], 8);
    writeUdpHeader(b, 0, SRC4, DST4, 0xd431, 53, 4);
    expect((b[6]! << 8) | b[7]!).toBe(refChecksum(pseudo4(SRC4, DST4, 17, 12), Uint8Array.from([...b.subarray(0, 6), 0, 0, ...b.subarray(8)])));
    const z = hex("d431 0035 000c 0000 61626364");
    expect(typeof parseUdp(z, SRC4, DST4)).toBe("object");
    const s6 = new Uint8Array(16).fill(1);
    expect(parseUdp(z, s6, s6)).toBe("checksum");
  });
});

describe("TCP", () => {
  it("parses MSS, NOP, window scale, SACK-permitted, SACK blocks and timestamps", () => {
    const opts = hex("020405b4 01 030307 0402 050a fffffff0 00000010 080a 00000001 00000002 0000");
    const hl = 20 + opts.length;
    const seg = Uint8Array.from([...hex("c350 0050 fffffffe 00000001"), (hl / 4) << 4, 0x12, 0xff, 0xff, 0, 0, 0, 0, ...opts, 0x41]);
    const c = refChecksum(pseudo4(SRC4, DST4, 6, seg.length), seg);
    seg[16] = c >> 8;
    seg[17] = c & 0xff;
    const t = parseTcp(seg, SRC4, DST4);
    if (typeof t === "string") throw new Error(t);
    expect(t.seq).toBe(0xfffffffe);
    expect(t.flags).toBe(TCP_FLAG.SYN | TCP_FLAG.ACK);
    expect(t.options).toEqual({
      mss: 1460,
      windowScale: 7,
      sackPermitted: true,
      sack: [{ left: 0xfffffff0, right: 0x10 }],
      timestamp: { value: 1, echo: 2 },
    });
    expect(Buffer.from(t.payload).toString()).toBe("A");
    seg[seg.length - 1] = 0x42;
    expect(parseTcp(seg, SRC4, DST4)).toBe("checksum");
  });
  it("round-trips options through the writer with a reference checksum", () => {
    const b = new Uint8Array(20 + 12 + 3);
    b.set([1, 2, 3], 32);
    writeTcpHeader(b, 0, SRC4, DST4, { srcPort: 1, dstPort: 2, seq: 2 ** 32 - 1, ack: 5, flags: TCP_FLAG.SYN, window: 1000, options: { mss: 1460, sackPermitted: true, windowScale: 9 } }, 3);
    const t = parseTcp(b, SRC4, DST4);
    if (typeof t === "string") throw new Error(t);
    expect(t.options).toEqual({ mss: 1460, sackPermitted: true, windowScale: 9 });
    expect(t.seq).toBe(2 ** 32 - 1);
    const copy = Uint8Array.from(b);
    copy[16] = 0;
    copy[17] = 0;
    expect((b[16]! << 8) | b[17]!).toBe(refChecksum(pseudo4(SRC4, DST4, 6, b.length), copy));
  });
  it("clamps window scale to 14 and ignores malformed options", () => {
    const seg = Uint8Array.from([...hex("0001 0002 00000000 00000000"), 0x70, 0x10, 0, 1, 0, 0, 0, 0, ...hex("03030f 01 0205 ffff 00 0000")]);
    const t = parseTcp(seg, SRC4, DST4, false);
    if (typeof t === "string") throw new Error(t);
    expect(t.options).toEqual({ windowScale: 14 });
  });
});

describe("ICMP", () => {
  it("parses an echo request with its checksum and builds a matching reply", () => {
    const m = hex("0800 0000 1234 0001 6869");
    const c = refChecksum(m);
    m[2] = c >> 8;
    m[3] = c & 0xff;
    const p = parseIcmpv4(m);
    if (typeof p === "string") throw new Error(p);
    expect(p.type).toBe(ICMP4.ECHO_REQUEST);
    const out = new Uint8Array(m.length);
    writeIcmp(out, 0, ICMP4.ECHO_REPLY, 0, p.body);
    expect(refChecksum(out)).toBe(0);
    m[9] = m[9]! ^ 1;
    expect(parseIcmpv4(m)).toBe("checksum");
  });
  it("checks ICMPv6 over the pseudo header", () => {
    const s = hex("fe800000000000000000000000000001");
    const d = hex("fe800000000000000000000000000002");
    const m = hex("8000 0000 0001 0002");
    const c = refChecksum(pseudo6(s, d, 58, m.length), m);
    m[2] = c >> 8;
    m[3] = c & 0xff;
    expect(typeof parseIcmpv6(m, s, d)).toBe("object");
    expect(parseIcmpv6(m, d, s.map((x, i) => (i === 15 ? 3 : x)))).toBe("checksum");
  });
});

describe("DHCP", () => {
  it("parses a hand-built DISCOVER with rapid commit and concatenates repeated options", () => {
    const b = new Uint8Array(236 + 4 + 14);
    b.set([1, 1, 6, 0, 0xca, 0xfe, 0xba, 0xbe, 0, 0, 0x80, 0]);
    b.set(hex("026d73000002"), 28);
    b.set([99, 130, 83, 99], 236);
    b.set([53, 1, DHCP_MSG.DISCOVER, 80, 0, 12, 2, 0x61, 0x62, 12, 1, 0x63, 0, 255], 240);
    const m = parseDhcp(b)!;
    expect(m.messageType).toBe(DHCP_MSG.DISCOVER);
    expect(m.xid).toBe(0xcafebabe);
    expect(m.flags).toBe(0x8000);
    expect(m.options.has(DHCP_OPT.RAPID_COMMIT)).toBe(true);
    expect(Buffer.from(m.options.get(DHCP_OPT.HOSTNAME)!).toString()).toBe("abc");
    b[236] = 0;
    expect(parseDhcp(b)).toBeNull();
  });
});

describe("truncation", () => {
  it("no codec throws on any prefix of a valid message", () => {
    const seg = new Uint8Array(40);
    writeTcpHeader(seg, 0, SRC4, DST4, { srcPort: 1, dstPort: 2, seq: 1, ack: 1, flags: TCP_FLAG.SYN, window: 1, options: { mss: 1400, windowScale: 3, sackPermitted: true } }, 0);
    const full = new Uint8Array(300);
    full.set([1, 1, 6], 0);
    full.set([99, 130, 83, 99], 236);
    for (let n = 0; n <= seg.length; n++) {
      expect(() => parseTcp(seg.subarray(0, n), SRC4, DST4)).not.toThrow();
      expect(() => parseUdp(seg.subarray(0, n), SRC4, DST4)).not.toThrow();
      expect(() => parseIpv4(seg.subarray(0, n))).not.toThrow();
      expect(() => parseIpv6(seg.subarray(0, n))).not.toThrow();
      expect(() => parseArp(seg.subarray(0, n))).not.toThrow();
      expect(() => parseIcmpv4(seg.subarray(0, n))).not.toThrow();
    }
    for (let n = 0; n <= full.length; n++) expect(() => parseDhcp(full.subarray(0, n))).not.toThrow();
  });
});

describe("checksum fast path", () => {
  it("agrees with the reference for every offset and length (aligned and unaligned views)", () => {
    const big = new Uint8Array(2048 + 8);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
    big.fill(0xff, 100, 1600); // long runs of 0xffff words stress the carries
    for (const start of [0, 1, 2, 3, 5, 6]) {
      for (const len of [0, 1, 63, 64, 65, 66, 67, 1499, 1500, 2000]) {
        const view = big.subarray(start, start + len);
        expect(internetChecksum(view, 0, len)).toBe(refChecksum(view));
        expect(internetChecksum(big, start, len)).toBe(refChecksum(view));
      }
    }
  });
});
