/**
 * IPv6 neighbour discovery for the guest link (RFC 4861): answers neighbour solicitations for the
 * gateway's addresses, and router solicitations with a router advertisement carrying the source
 * link-layer address, the MTU, the gateway as DNS server (RDNSS) and the sandbox /64 as an
 * on-link, autonomous prefix (SLAAC; the
 * planned static address prefix::2 is accepted as well). When IPv6 is disabled the stack sends no
 * RA at all, so guests never get an IPv6 default route and fall back to IPv4 at once.
 */
import { ETH_HEADER_LEN, ETHERTYPE, writeEthernetHeader } from "../frame/ethernet.js";
import { ICMP6, parseIcmpv6, writeIcmp } from "../frame/icmp.js";
import { IPPROTO } from "../frame/ipv4.js";
import { IPV6_HEADER_LEN, writeIpv6Header } from "../frame/ipv6.js";
import type { AddressPlan, Ipv6Plan } from "./addr.js";
import { ipEquals, parseIpv6Bytes } from "./ip.js";
import type { FrameOutput } from "./output.js";

const ALL_NODES = parseIpv6Bytes("ff02::1")!;
const UNSPECIFIED = new Uint8Array(16);

function multicastMac(ip: Uint8Array): Uint8Array {
  return Uint8Array.of(0x33, 0x33, ip[12]!, ip[13]!, ip[14]!, ip[15]!);
}

function sendNd(out: FrameOutput, plan: AddressPlan, src: Uint8Array, dst: Uint8Array, dstMac: Uint8Array, type: number, body: Uint8Array): void {
  const l4 = 4 + body.length;
  const frame = Buffer.alloc(ETH_HEADER_LEN + IPV6_HEADER_LEN + l4);
  writeEthernetHeader(frame, 0, dstMac, plan.gatewayMac, ETHERTYPE.IPV6);
  writeIpv6Header(frame, ETH_HEADER_LEN, { src, dst, nextHeader: IPPROTO.ICMPV6, payloadLen: l4, hopLimit: 255 });
  writeIcmp(frame, ETH_HEADER_LEN + IPV6_HEADER_LEN, type, 0, body, { src, dst });
  out.sendFrame(frame);
}

/** Build the router advertisement body (after type/code/checksum). */
export function routerAdvertBody(plan: AddressPlan, v6: Ipv6Plan): Uint8Array {
  const b = new Uint8Array(12 + 8 + 8 + 32 + 24);
  b[0] = 64; // cur hop limit
  b[1] = 0; // M=0 O=0
  b[2] = 1800 >>> 8;
  b[3] = 1800 & 0xff; // router lifetime
  let o = 12;
  b.set([1, 1], o); // source link-layer address
  b.set(plan.gatewayMac, o + 2);
  o += 8;
  b.set([5, 1, 0, 0], o); // MTU
  new DataView(b.buffer).setUint32(o + 4, plan.mtu);
  o += 8;
  b.set([3, 4, 64, 0xc0], o); // prefix information: /64, on-link + autonomous
  new DataView(b.buffer).setUint32(o + 4, 86400);
  new DataView(b.buffer).setUint32(o + 8, 14400);
  b.set(v6.prefix.subarray(0, 8), o + 16);
  o += 32;
  b.set([25, 3, 0, 0], o); // RDNSS (RFC 8106): the gateway answers DNS
  new DataView(b.buffer).setUint32(o + 4, 1800);
  b.set(v6.gateway, o + 8);
  return b;
}

/**
 * Handle an ICMPv6 ND message (RS/NS) from the guest. Returns true when the message was an ND
 * message (answered or deliberately ignored), false for other ICMPv6 types.
 */
export function handleNdp(src: Uint8Array, dst: Uint8Array, hopLimit: number, icmp: Uint8Array, plan: AddressPlan, out: FrameOutput): boolean {
  const v6 = plan.v6;
  if (!v6) return false;
  const m = parseIcmpv6(icmp, src, dst);
  if (typeof m === "string") return false;
  if (m.type !== ICMP6.NEIGHBOR_SOLICIT && m.type !== ICMP6.ROUTER_SOLICIT) return false;
  if (hopLimit !== 255 || m.code !== 0) return true; // RFC 4861 §6.1 / §7.1.1 validation
  if (m.type === ICMP6.ROUTER_SOLICIT) {
    const to = ipEquals(src, UNSPECIFIED) ? ALL_NODES : src;
    const mac = ipEquals(src, UNSPECIFIED) ? multicastMac(ALL_NODES) : out.guestMac;
    sendNd(out, plan, v6.gatewayLinkLocal, to, mac, ICMP6.ROUTER_ADVERT, routerAdvertBody(plan, v6));
    return true;
  }
  if (m.body.length < 20) return true;
  const target = m.body.subarray(4, 20);
  if (!ipEquals(target, v6.gateway) && !ipEquals(target, v6.gatewayLinkLocal)) return true;
  const dad = ipEquals(src, UNSPECIFIED);
  const body = new Uint8Array(4 + 16 + 8);
  body[0] = dad ? 0xa0 : 0xe0; // Router, (Solicited unless answering DAD), Override
  body.set(target, 4);
  body.set([2, 1], 20);
  body.set(plan.gatewayMac, 22);
  sendNd(out, plan, target, dad ? ALL_NODES : src, dad ? multicastMac(ALL_NODES) : out.guestMac, ICMP6.NEIGHBOR_ADVERT, body);
  return true;
}
