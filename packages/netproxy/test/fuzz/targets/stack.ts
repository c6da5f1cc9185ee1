/**
 * Whole-stack fuzz target: structure-aware and mutated guest frames into `createNetworkStack`
 * over the in-memory FrameLink of the stack tests. The policy denies every egress and ingress, so
 * no frame ever makes the stack open a socket; DNS goes to an in-process echo handler.
 *
 * Seeds: ARP requests, DHCP DISCOVER/REQUEST, ICMP and ICMPv6 echo / NS / RS, TCP SYNs and
 * segments with options, UDP (DNS, DHCP, other), IPv4 fragments of a UDP datagram (in order,
 * shuffled, overlapping), IPv6 with extension headers and fragment headers, VLAN tags.
 * Properties: input never throws out of the link handler; the stack never counts an internal
 * exception (`dropped.exception`); every frame it sends parses as Ethernet; its flow tables stay
 * within the configured limits.
 */
import { createNetworkStack } from "../../../src/stack/engine.js";
import type { NetworkStack } from "../../../src/stack/types.js";
import { ETHERTYPE, ETH_HEADER_LEN, writeEthernetHeader, parseEthernet } from "../../../src/frame/ethernet.js";
import { ARP_LEN, writeArp } from "../../../src/frame/arp.js";
import { internetChecksum } from "../../../src/frame/checksum.js";
import { writeIcmp } from "../../../src/frame/icmp.js";
import { buildDhcpReply } from "../../../src/frame/dhcp.js";
import { buildQuery } from "../../../src/dns/wire.js";
import { MemoryLink } from "../../stack/helpers/link.js";
import { echoDns } from "../../stack/helpers/harness.js";
import { testPolicy } from "../../stack/helpers/policy.js";
import { ipFrame, tcpL4, udpL4 } from "../../stack/helpers/guest.js";
import type { AddressPlan } from "../../../src/stack/addr.js";
import { Rng, hex } from "../lib/rng.js";
import { concat, mutate } from "../lib/mutate.js";
import { check, FuzzFailure, type FuzzTarget } from "../lib/target.js";

const MAX_CONNECTIONS = 64;

function arpFrame(p: AddressPlan, rng: Rng): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
  writeEthernetHeader(f, 0, rng.chance(0.8) ? Uint8Array.of(255, 255, 255, 255, 255, 255) : p.gatewayMac, p.guestMac, ETHERTYPE.ARP);
  writeArp(f, ETH_HEADER_LEN, rng.range(1, 2), rng.chance(0.8) ? p.guestMac : rng.bytes(6), rng.chance(0.8) ? p.v4!.guest : rng.bytes(4), new Uint8Array(6), rng.chance(0.8) ? p.v4!.gateway : rng.bytes(4));
  return f;
}

function dhcpFrame(p: AddressPlan, rng: Rng): Uint8Array {
  const opts: [number, Uint8Array][] = [[53, Uint8Array.of(rng.pick([1, 3, 8, 7, 4]))]];
  if (rng.chance(0.5)) opts.push([50, rng.chance(0.7) ? p.v4!.guest : rng.bytes(4)]);
  if (rng.chance(0.5)) opts.push([54, p.v4!.gateway]);
  if (rng.chance(0.3)) opts.push([80, new Uint8Array(0)]);
  if (rng.chance(0.3)) opts.push([55, rng.bytes(rng.int(20))]);
  const m = buildDhcpReply({ xid: rng.u32(), flags: rng.chance(0.5) ? 0x8000 : 0, ciaddr: new Uint8Array(4), yiaddr: new Uint8Array(4), siaddr: new Uint8Array(4), giaddr: new Uint8Array(4), chaddr: p.guestMac, options: opts });
  m[0] = 1;
  const src = new Uint8Array(4);
  const dst = Uint8Array.of(255, 255, 255, 255);
  return ipFrame(p, src, dst, 17, udpL4(src, dst, 68, 67, m), Uint8Array.of(255, 255, 255, 255, 255, 255));
}

function icmpFrame(p: AddressPlan, rng: Rng): Uint8Array {
  if (rng.chance(0.5) || !p.v6) {
    const body = concat([Uint8Array.of(0, rng.int(256), 0, rng.int(256)), rng.bytes(rng.smallLen(64))]);
    const l4 = new Uint8Array(4 + body.length);
    writeIcmp(l4, 0, rng.pick([8, 8, 0, 3, 13]), 0, body);
    return ipFrame(p, p.v4!.guest, rng.chance(0.8) ? p.v4!.gateway : rng.bytes(4), 1, l4);
  }
  const v6 = p.v6;
  const type = rng.pick([128, 133, 135, 136, 134]);
  const body = type === 128 ? concat([Uint8Array.of(0, 1, 0, rng.int(256)), rng.bytes(rng.smallLen(32))]) : type === 135 ? concat([new Uint8Array(4), v6.gateway, Uint8Array.of(1, 1), p.guestMac]) : rng.bytes(4 + rng.int(24));
  const dst = type === 133 ? Uint8Array.from([0xff, 2, ...new Array<number>(13).fill(0), 2]) : v6.gateway;
  const l4 = new Uint8Array(4 + body.length);
  writeIcmp(l4, 0, type, 0, body, { src: v6.guest, dst });
  return ipFrame(p, v6.guest, dst, 58, l4);
}

function tcpFrame(p: AddressPlan, rng: Rng): Uint8Array {
  const v6 = p.v6 && rng.chance(0.3);
  const src = v6 ? p.v6!.guest : p.v4!.guest;
  const dst = v6 ? p.v6!.gateway : rng.chance(0.7) ? p.v4!.gateway : Uint8Array.of(192, 0, 2, 1);
  const flags = rng.pick([0x02, 0x02, 0x10, 0x18, 0x11, 0x04, 0x12, rng.int(64)]);
  const options = rng.chance(0.5) ? { mss: rng.pick([536, 1460, 65535, 0]), windowScale: rng.int(15), sackPermitted: true } : undefined;
  const l4 = tcpL4(src, dst, { srcPort: 40000 + rng.int(200), dstPort: rng.pick([80, 443, 22, 853, 53, rng.int(65536)]), seq: rng.u32(), ack: rng.u32(), flags, window: rng.int(65536), ...(options ? { options } : {}) }, rng.bytes(rng.smallLen(200)));
  return ipFrame(p, src, dst, 6, l4);
}

function udpFrame(p: AddressPlan, rng: Rng): Uint8Array {
  const v6 = p.v6 && rng.chance(0.3);
  const src = v6 ? p.v6!.guest : p.v4!.guest;
  const dst = v6 ? p.v6!.gateway : rng.chance(0.7) ? p.v4!.gateway : Uint8Array.of(198, 51, 100, 1);
  const dport = rng.pick([53, 53, 443, 123, 67, rng.int(65536)]);
  const payload = dport === 53 ? buildQuery(rng.int(65536), rng.pick(["example.com", "a.b.c", "host.microsandbox.internal"]), rng.pick([1, 28, 16])) : rng.bytes(rng.smallLen(300));
  return ipFrame(p, src, dst, 17, udpL4(src, dst, 30000 + rng.int(100), dport, payload));
}

/** IPv4 fragments of one UDP datagram (offsets in 8-byte units, MF set on all but the last). */
function ipv4Fragments(p: AddressPlan, rng: Rng): Uint8Array[] {
  const src = p.v4!.guest;
  const dst = p.v4!.gateway;
  const l4 = udpL4(src, dst, 30000, rng.pick([53, 67, 9999]), rng.bytes(100 + rng.int(3000)));
  const unit = 8 * (1 + rng.int(100));
  const id = rng.int(65536);
  const out: Uint8Array[] = [];
  for (let off = 0; off < l4.length; off += unit) {
    const end = Math.min(l4.length, off + unit);
    const f = ipFrame(p, src, dst, 17, l4.subarray(off, end));
    const ip = f.subarray(ETH_HEADER_LEN);
    const ff = ((end < l4.length ? 0x2000 : 0) | (off / 8)) & 0xffff;
    ip[4] = id >> 8;
    ip[5] = id & 0xff;
    ip[6] = ff >> 8;
    ip[7] = ff & 0xff;
    ip[10] = 0;
    ip[11] = 0;
    const c = internetChecksum(ip, 0, 20);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    out.push(f);
  }
  if (rng.chance(0.5)) {
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
  }
  if (rng.chance(0.3) && out.length) out.push(mutate(rng, rng.pick(out)));
  return out;
}

/** IPv6 with a random extension-header chain (incl. a fragment header) before UDP. */
function ipv6Ext(p: AddressPlan, rng: Rng): Uint8Array {
  const v6 = p.v6!;
  const udp = udpL4(v6.guest, v6.gateway, 30000, 53, buildQuery(1, "example.com", 28));
  const chain = Array.from({ length: 1 + rng.int(3) }, () => rng.pick([0, 60, 43, 44]));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < chain.length; i++) {
    const next = i + 1 < chain.length ? chain[i + 1]! : 17;
    if (chain[i] === 44) parts.push(Uint8Array.of(next, 0, 0, rng.chance(0.5) ? 1 : 0, rng.int(256), rng.int(256), rng.int(256), rng.int(256)));
    else parts.push(Uint8Array.of(next, 0, 1, 4, 0, 0, 0, 0));
  }
  return ipFrame(p, v6.guest, v6.gateway, chain[0]!, concat([...parts, udp]));
}

function vlanWrap(f: Uint8Array, rng: Rng): Uint8Array {
  const out = new Uint8Array(f.length + 4);
  out.set(f.subarray(0, 12));
  out[12] = 0x81;
  out[13] = 0;
  out[14] = 0;
  out[15] = rng.int(256);
  out.set(f.subarray(12), 16);
  return out;
}

const stack: FuzzTarget = {
  name: "stack",
  description: "createNetworkStack over an in-memory link (deny-all policy): generated ARP/DHCP/ICMP/ICMPv6/TCP/UDP/fragment/IPv6-extension frames and their mutations",
  async open(seed) {
    const rng = new Rng(seed);
    const link = new MemoryLink();
    let bad: string | null = null;
    let sent = 0;
    link.guestReceive = (f) => {
      sent++;
      if (!parseEthernet(f)) bad = `stack sent a frame that is not Ethernet: ${hex(f)}`;
    };
    // Deny everything except ICMP echo to the gateway itself (answered by the stack, never relayed).
    let gw4 = -1;
    let gw6: Uint8Array | null = null;
    const isGateway = (ip: { family: number; v4?: number; v6?: Uint8Array }) => (ip.family === 4 ? ip.v4 === gw4 : !!gw6 && !!ip.v6 && ip.v6.every((b, i) => b === gw6![i]));
    const policy = testPolicy({ egress: (ip, _port, proto) => (proto.startsWith("icmp") && isGateway(ip as never) ? "allow" : "deny") });
    const s: NetworkStack = await createNetworkStack({
      link,
      dns: echoDns,
      policy,
      maxConnections: MAX_CONNECTIONS,
      events: () => {},
      tuning: { rtoInitialMs: 200, rtoMinMs: 50, timeWaitMs: 50 },
    });
    const p = s.addresses;
    gw4 = ((p.v4!.gateway[0]! << 24) | (p.v4!.gateway[1]! << 16) | (p.v4!.gateway[2]! << 8) | p.v4!.gateway[3]!) >>> 0;
    gw6 = p.v6?.gateway ?? null;
    const gens = [arpFrame, dhcpFrame, icmpFrame, tcpFrame, udpFrame, ipv6Ext];
    const corpus: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) corpus.push(rng.pick(gens)(p, rng));
    const feed = (f: Uint8Array) => {
      try {
        link.injectNow(f);
      } catch (e) {
        throw new FuzzFailure("stack", "the link frame handler threw", hex(f), e);
      }
    };
    return {
      step() {
        const r = rng.int(20);
        let last: Uint8Array;
        if (r === 0) {
          const frags = ipv4Fragments(p, rng);
          for (const f of frags) feed(f);
          last = frags[frags.length - 1] ?? new Uint8Array(0);
        } else if (r < 6) {
          last = rng.pick(gens)(p, rng);
          if (rng.chance(0.05)) last = vlanWrap(last, rng);
          if (rng.chance(0.05)) corpus[rng.int(corpus.length)] = last;
          feed(last);
        } else if (r === 6) {
          last = rng.bytes(rng.smallLen(200));
          feed(last);
        } else {
          last = mutate(rng, rng.pick(corpus), corpus, 66000);
          feed(last);
        }
        const st = s.stats();
        check(!st.dropped.exception, "stack", `internal exception counted (${st.dropped.exception})`, last);
        check(st.tcpActive <= MAX_CONNECTIONS, "stack", `tcpActive ${st.tcpActive} over maxConnections`, last);
        if (bad) throw new FuzzFailure("stack", bad, hex(last));
      },
      async settle() {
        // The test doubles record every call; drop the records so they do not pass for stack memory.
        policy.egressCalls.length = 0;
        echoDns.queries.length = 0;
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      },
      stats() {
        const st = s.stats();
        return { framesIn: st.framesIn, framesOut: st.framesOut, sent, dhcpLeases: st.dhcpLeases, icmpEchoReplies: st.icmpEchoReplies, dnsQueries: st.dnsQueries, tcpDenied: st.tcpDenied, ...Object.fromEntries(Object.entries(st.dropped).map(([k, v]) => [`dropped.${k}`, v])) };
      },
      async close() {
        await s.close();
      },
    };
  },
};

/** The whole-stack target. */
export const STACK_TARGETS: readonly FuzzTarget[] = [stack];
