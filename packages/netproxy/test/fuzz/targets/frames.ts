/**
 * Fuzz targets for the frame codecs (Ethernet, ARP, IPv4, IPv6, ICMPv4/v6, UDP, TCP, DHCPv4).
 * Seeds come from the real writers with random fields; properties: the parser never throws and
 * returns its documented error value, every returned view lies inside the input, and
 * parse(write(fields)) gives the fields back.
 */
import { writeEthernetHeader, parseEthernet, ETHERTYPE } from "../../../src/frame/ethernet.js";
import { parseArp, writeArp, ARP_LEN } from "../../../src/frame/arp.js";
import { parseIpv4, writeIpv4Header, IPV4_HEADER_LEN } from "../../../src/frame/ipv4.js";
import { parseIpv6, writeIpv6Header, IPV6_HEADER_LEN } from "../../../src/frame/ipv6.js";
import { parseIcmpv4, parseIcmpv6, writeIcmp } from "../../../src/frame/icmp.js";
import { parseUdp, writeUdpHeader, UDP_HEADER_LEN } from "../../../src/frame/udp.js";
import { parseTcp, writeTcpHeader, tcpOptionsLength, TCP_HEADER_LEN, type TcpOptions } from "../../../src/frame/tcp.js";
import { parseDhcp, buildDhcpReply } from "../../../src/frame/dhcp.js";
import { Rng, hex } from "../lib/rng.js";
import { mutate } from "../lib/mutate.js";
import { check, noThrow, sameBytes, type FuzzTarget } from "../lib/target.js";

/** True when `view` is a subarray of `input` (shares its buffer and lies within it). */
function within(view: Uint8Array, input: Uint8Array): boolean {
  return view.buffer === input.buffer && view.byteOffset >= input.byteOffset && view.byteOffset + view.length <= input.byteOffset + input.length;
}

/** Random addresses of one family. */
function addrs(rng: Rng, v6: boolean): { src: Uint8Array; dst: Uint8Array } {
  return { src: rng.bytes(v6 ? 16 : 4), dst: rng.bytes(v6 ? 16 : 4) };
}

/**
 * A target that keeps a small corpus of valid encodings from `seed()`, and on each step either
 * checks a fresh round trip (`roundTrip`) or runs `parse` on a mutated / random input.
 */
function byteTarget(
  name: string,
  description: string,
  seed: (rng: Rng) => Uint8Array,
  parse: (rng: Rng, input: Uint8Array) => void,
  roundTrip: (rng: Rng) => void,
  maxRandom = 256,
): FuzzTarget {
  return {
    name,
    description,
    open(s) {
      const rng = new Rng(s);
      const corpus: Uint8Array[] = [];
      for (let i = 0; i < 32; i++) corpus.push(seed(rng));
      return {
        step() {
          const r = rng.int(10);
          if (r === 0) return roundTrip(rng);
          if (r === 1) {
            const input = rng.bytes(rng.smallLen(maxRandom));
            return noThrow(name, input, () => parse(rng, input));
          }
          if (rng.chance(0.05)) corpus[rng.int(corpus.length)] = seed(rng);
          const input = mutate(rng, rng.pick(corpus), corpus);
          noThrow(name, input, () => parse(rng, input));
        },
      };
    },
  };
}

const ethernet = byteTarget(
  "ethernet",
  "parseEthernet on mutated frames; views inside the input; header round trip",
  (rng) => {
    const f = new Uint8Array(14 + rng.smallLen(100));
    writeEthernetHeader(f, 0, rng.bytes(6), rng.bytes(6), rng.pick([ETHERTYPE.IPV4, ETHERTYPE.ARP, ETHERTYPE.IPV6, rng.int(65536)]));
    return f;
  },
  (_rng, input) => {
    const e = parseEthernet(input);
    if (input.length < 14) check(e === null, "ethernet", "short frame must be null", input);
    else check(e && within(e.payload, input) && e.payload.length === input.length - 14 && e.etherType < 65536, "ethernet", "views inside the frame", input);
  },
  (rng) => {
    const dst = rng.bytes(6);
    const src = rng.bytes(6);
    const et = rng.int(65536);
    const f = new Uint8Array(14 + rng.int(64));
    writeEthernetHeader(f, 0, dst, src, et);
    const e = parseEthernet(f);
    check(e && sameBytes(e.dst, dst) && sameBytes(e.src, src) && e.etherType === et, "ethernet", "round trip", f);
  },
);

const arp = byteTarget(
  "arp",
  "parseArp on mutated packets; round trip of writeArp",
  (rng) => {
    const b = new Uint8Array(ARP_LEN + rng.int(18));
    writeArp(b, 0, rng.range(1, 2), rng.bytes(6), rng.bytes(4), rng.bytes(6), rng.bytes(4));
    return b;
  },
  (_rng, input) => {
    const a = parseArp(input);
    if (a) check(within(a.senderMac, input) && within(a.targetIp, input) && a.op < 65536, "arp", "views inside the packet", input);
    else check(true, "arp", "", input);
  },
  (rng) => {
    const f = [rng.int(65536), rng.bytes(6), rng.bytes(4), rng.bytes(6), rng.bytes(4)] as const;
    const b = new Uint8Array(ARP_LEN);
    writeArp(b, 0, ...f);
    const a = parseArp(b);
    check(a && a.op === f[0] && sameBytes(a.senderMac, f[1]) && sameBytes(a.senderIp, f[2]) && sameBytes(a.targetMac, f[3]) && sameBytes(a.targetIp, f[4]), "arp", "round trip", b);
  },
);

function ipv4Seed(rng: Rng): Uint8Array {
  const payloadLen = rng.smallLen(200);
  const b = new Uint8Array(IPV4_HEADER_LEN + payloadLen + (rng.chance(0.2) ? rng.int(20) : 0));
  writeIpv4Header(b, 0, { ...addrs(rng, false), protocol: rng.pick([1, 6, 17, rng.int(256)]), payloadLen, id: rng.int(65536), ttl: rng.int(256), dontFragment: rng.chance(0.5) });
  b.set(rng.bytes(payloadLen), IPV4_HEADER_LEN);
  return b;
}

const ipv4 = byteTarget(
  "ipv4",
  "parseIpv4 (with and without checksum verification) on mutated packets; round trip",
  ipv4Seed,
  (rng, input) => {
    const p = parseIpv4(input, rng.chance(0.5));
    if (typeof p === "string") return check(["truncated", "version", "header-length", "total-length", "checksum"].includes(p), "ipv4", "documented error", input);
    check(within(p.payload, input) && p.headerLen >= 20 && p.totalLen <= input.length && p.payload.length === p.totalLen - p.headerLen && p.fragOffset <= 0x1fff * 8, "ipv4", "fields within bounds", input);
  },
  (rng) => {
    const src = rng.bytes(4);
    const dst = rng.bytes(4);
    const f = { src, dst, protocol: rng.int(256), payloadLen: rng.int(300), id: rng.int(65536), ttl: rng.int(256), dontFragment: rng.chance(0.5) };
    const b = new Uint8Array(IPV4_HEADER_LEN + f.payloadLen);
    writeIpv4Header(b, 0, f);
    const p = parseIpv4(b);
    check(typeof p !== "string" && sameBytes(p.src, src) && sameBytes(p.dst, dst) && p.protocol === f.protocol && p.id === f.id && p.ttl === f.ttl && p.dontFragment === f.dontFragment && p.payload.length === f.payloadLen && !p.moreFragments && p.fragOffset === 0, "ipv4", "round trip", b);
  },
);

function ipv6Seed(rng: Rng): Uint8Array {
  // Fixed header plus a random chain of extension headers (hop-by-hop, routing, dst opts, fragment).
  const exts: Uint8Array[] = [];
  const chain: number[] = [];
  for (let i = 0, n = rng.int(4); i < n; i++) {
    const t = rng.pick([0, 43, 60, 44]);
    chain.push(t);
    exts.push(t === 44 ? rng.bytes(8) : rng.bytes(8 * (1 + rng.int(3))));
  }
  const upper = rng.pick([6, 17, 58, rng.int(256)]);
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i]!;
    e[0] = i + 1 < chain.length ? chain[i + 1]! : upper;
    if (chain[i] !== 44) e[1] = e.length / 8 - 1;
  }
  const payload = rng.bytes(rng.smallLen(120));
  const extLen = exts.reduce((a, e) => a + e.length, 0);
  const b = new Uint8Array(IPV6_HEADER_LEN + extLen + payload.length);
  writeIpv6Header(b, 0, { ...addrs(rng, true), nextHeader: chain[0] ?? upper, payloadLen: extLen + payload.length, hopLimit: rng.int(256) });
  let o = IPV6_HEADER_LEN;
  for (const e of exts) {
    b.set(e, o);
    o += e.length;
  }
  b.set(payload, o);
  return b;
}

const ipv6 = byteTarget(
  "ipv6",
  "parseIpv6 with extension-header chains (hop-by-hop, routing, dst opts, fragment) mutated; round trip",
  ipv6Seed,
  (_rng, input) => {
    const p = parseIpv6(input);
    if (typeof p === "string") return check(["truncated", "version", "payload-length", "extension-header"].includes(p), "ipv6", "documented error", input);
    check(within(p.payload, input) && p.payload.byteOffset + p.payload.length - input.byteOffset === 40 + p.payloadLen, "ipv6", "payload ends at 40+payloadLen", input);
  },
  (rng) => {
    const { src, dst } = addrs(rng, true);
    const nh = rng.pick([6, 17, 58]);
    const payload = rng.bytes(rng.int(100));
    const b = new Uint8Array(IPV6_HEADER_LEN + payload.length);
    writeIpv6Header(b, 0, { src, dst, nextHeader: nh, payloadLen: payload.length, hopLimit: 9 });
    b.set(payload, IPV6_HEADER_LEN);
    const p = parseIpv6(b);
    check(typeof p !== "string" && sameBytes(p.src, src) && sameBytes(p.dst, dst) && p.nextHeader === nh && p.hopLimit === 9 && sameBytes(p.payload, payload) && p.fragment === null, "ipv6", "round trip", b);
  },
);

function icmpSeed(rng: Rng, v6: boolean, a: { src: Uint8Array; dst: Uint8Array }): Uint8Array {
  const body = rng.bytes(rng.smallLen(100));
  const b = new Uint8Array(4 + body.length);
  writeIcmp(b, 0, rng.pick(v6 ? [128, 129, 133, 134, 135, 136, 1] : [0, 3, 8, 11]), rng.int(4), body, v6 ? a : undefined);
  return b;
}

const FIXED4 = { src: Uint8Array.of(10, 0, 2, 15), dst: Uint8Array.of(10, 0, 2, 2) };
const FIXED6 = { src: Uint8Array.from([0xfd, 0, ...new Array<number>(13).fill(0), 2]), dst: Uint8Array.from([0xfd, 0, ...new Array<number>(13).fill(0), 1]) };

const icmp = byteTarget(
  "icmp",
  "parseIcmpv4 / parseIcmpv6 (pseudo-header checksum) on mutated messages; round trip",
  (rng) => {
    const v6 = rng.chance(0.5);
    return icmpSeed(rng, v6, v6 ? FIXED6 : FIXED4);
  },
  (_rng, input) => {
    const a = parseIcmpv4(input);
    const b = parseIcmpv6(input, FIXED6.src, FIXED6.dst);
    for (const m of [a, b]) {
      if (typeof m === "string") check(m === "truncated" || m === "checksum", "icmp", "documented error", input);
      else check(within(m.body, input) && m.body.length === input.length - 4, "icmp", "body view", input);
    }
  },
  (rng) => {
    const v6 = rng.chance(0.5);
    const a = addrs(rng, v6);
    const body = rng.bytes(4 + rng.int(60));
    const type = rng.int(256);
    const code = rng.int(256);
    const b = new Uint8Array(4 + body.length);
    writeIcmp(b, 0, type, code, body, v6 ? a : undefined);
    const m = v6 ? parseIcmpv6(b, a.src, a.dst) : parseIcmpv4(b);
    check(typeof m !== "string" && m.type === type && m.code === code && sameBytes(m.body, body), "icmp", "round trip", b);
  },
);

const udp = byteTarget(
  "udp",
  "parseUdp over IPv4 and IPv6 pseudo headers (verify on/off) on mutated datagrams; round trip",
  (rng) => {
    const v6 = rng.chance(0.5);
    const a = v6 ? FIXED6 : FIXED4;
    const n = rng.smallLen(200);
    const b = new Uint8Array(UDP_HEADER_LEN + n + (rng.chance(0.2) ? rng.int(8) : 0));
    b.set(rng.bytes(n), UDP_HEADER_LEN);
    writeUdpHeader(b, 0, a.src, a.dst, rng.int(65536), rng.pick([53, 67, 68, rng.int(65536)]), n);
    return b;
  },
  (rng, input) => {
    const a = rng.chance(0.5) ? FIXED6 : FIXED4;
    const d = parseUdp(input, a.src, a.dst, rng.chance(0.5));
    if (typeof d === "string") return check(["truncated", "length", "checksum"].includes(d), "udp", "documented error", input);
    check(within(d.payload, input) && d.payload.length + 8 <= input.length, "udp", "payload view bounded by length field", input);
  },
  (rng) => {
    const v6 = rng.chance(0.5);
    const a = addrs(rng, v6);
    const payload = rng.bytes(rng.int(300));
    const sp = rng.int(65536);
    const dp = rng.int(65536);
    const b = new Uint8Array(UDP_HEADER_LEN + payload.length);
    b.set(payload, UDP_HEADER_LEN);
    writeUdpHeader(b, 0, a.src, a.dst, sp, dp, payload.length);
    const d = parseUdp(b, a.src, a.dst);
    check(typeof d !== "string" && d.srcPort === sp && d.dstPort === dp && sameBytes(d.payload, payload), "udp", "round trip", b);
  },
);

function randomTcpOptions(rng: Rng): TcpOptions {
  const o: TcpOptions = {};
  if (rng.chance(0.5)) o.mss = rng.int(65536);
  if (rng.chance(0.5)) o.windowScale = rng.int(15);
  if (rng.chance(0.5)) o.sackPermitted = true;
  if (rng.chance(0.3)) o.sack = Array.from({ length: 1 + rng.int(3) }, () => ({ left: rng.u32(), right: rng.u32() }));
  if (rng.chance(0.5)) o.timestamp = { value: rng.u32(), echo: rng.u32() };
  // The header holds at most 40 option bytes.
  while (tcpOptionsLength(o) > 40 && o.sack && o.sack.length > 0) o.sack.pop();
  if (o.sack && o.sack.length === 0) delete o.sack;
  return o;
}

function tcpSegment(rng: Rng, a: { src: Uint8Array; dst: Uint8Array }, payload: Uint8Array, options: TcpOptions) {
  const f = { srcPort: rng.int(65536), dstPort: rng.int(65536), seq: rng.u32(), ack: rng.u32(), flags: rng.int(64), window: rng.int(65536), options };
  const hl = TCP_HEADER_LEN + tcpOptionsLength(options);
  const b = new Uint8Array(hl + payload.length);
  b.set(payload, hl);
  writeTcpHeader(b, 0, a.src, a.dst, f, payload.length);
  return { b, f };
}

const tcp = byteTarget(
  "tcp",
  "parseTcp with options (MSS, wscale, SACK, timestamps) over v4/v6 pseudo headers, mutated; round trip",
  (rng) => {
    const a = rng.chance(0.5) ? FIXED6 : FIXED4;
    return tcpSegment(rng, a, rng.bytes(rng.smallLen(100)), randomTcpOptions(rng)).b;
  },
  (rng, input) => {
    const a = rng.chance(0.5) ? FIXED6 : FIXED4;
    const s = parseTcp(input, a.src, a.dst, rng.chance(0.5));
    if (typeof s === "string") return check(["truncated", "header-length", "checksum"].includes(s), "tcp", "documented error", input);
    const o = s.options;
    check(within(s.payload, input) && s.headerLen >= 20 && s.headerLen <= 60 && (o.windowScale === undefined || o.windowScale <= 14) && (!o.sack || o.sack.length <= 4), "tcp", "fields within bounds", input);
  },
  (rng) => {
    const v6 = rng.chance(0.5);
    const a = addrs(rng, v6);
    const options = randomTcpOptions(rng);
    const payload = rng.bytes(rng.int(200));
    const { b, f } = tcpSegment(rng, a, payload, options);
    const s = parseTcp(b, a.src, a.dst);
    const ok =
      typeof s !== "string" &&
      s.srcPort === f.srcPort && s.dstPort === f.dstPort && s.seq === f.seq && s.ack === f.ack && s.flags === f.flags && s.window === f.window &&
      sameBytes(s.payload, payload) &&
      s.options.mss === options.mss && s.options.windowScale === options.windowScale && (s.options.sackPermitted ?? false) === (options.sackPermitted ?? false) &&
      JSON.stringify(s.options.sack ?? []) === JSON.stringify(options.sack ?? []) && JSON.stringify(s.options.timestamp) === JSON.stringify(options.timestamp);
    check(ok, "tcp", `round trip of ${JSON.stringify(options)}`, b);
  },
);

function dhcpSeed(rng: Rng): Uint8Array {
  const options: [number, Uint8Array][] = [[53, Uint8Array.of(rng.range(1, 8))]];
  for (let i = 0, n = rng.int(6); i < n; i++) options.push([rng.pick([50, 54, 55, 61, 12, rng.range(1, 254)]), rng.bytes(rng.int(20))]);
  const b = buildDhcpReply({ xid: rng.u32(), flags: rng.int(65536), ciaddr: rng.bytes(4), yiaddr: rng.bytes(4), siaddr: rng.bytes(4), giaddr: rng.bytes(4), chaddr: rng.bytes(6), options });
  b[0] = 1; // BOOTREQUEST, as a guest sends it
  return b;
}

const dhcp = byteTarget(
  "dhcp",
  "parseDhcp on mutated BOOTREQUESTs (options, repeated options, overruns); round trip of buildDhcpReply",
  dhcpSeed,
  (_rng, input) => {
    const m = parseDhcp(input);
    if (!m) return;
    let total = 0;
    for (const v of m.options.values()) total += v.length;
    check(total <= input.length && within(m.chaddr, input) && m.messageType < 256, "dhcp", "options bounded by the input", input);
  },
  (rng) => {
    const options: [number, Uint8Array][] = [];
    const used = new Set<number>();
    for (let i = 0, n = rng.int(8); i < n; i++) {
      const code = rng.range(1, 254);
      if (used.has(code)) continue;
      used.add(code);
      options.push([code, rng.bytes(rng.int(40))]);
    }
    const r = { xid: rng.u32(), flags: rng.int(65536), ciaddr: rng.bytes(4), yiaddr: rng.bytes(4), siaddr: rng.bytes(4), giaddr: rng.bytes(4), chaddr: rng.bytes(6), options };
    const b = buildDhcpReply(r);
    const m = parseDhcp(b);
    check(m && m.xid === r.xid && m.flags === r.flags && sameBytes(m.ciaddr, r.ciaddr) && sameBytes(m.chaddr, r.chaddr) && options.every(([c, v]) => sameBytes(m.options.get(c) ?? new Uint8Array(1), v)), "dhcp", "round trip", b);
  },
  600,
);

/** The frame-codec targets. */
export const FRAME_TARGETS: readonly FuzzTarget[] = [ethernet, arp, ipv4, ipv6, icmp, udp, tcp, dhcp];
void hex;
