/**
 * DHCPv4 server for the single guest (RFC 2131): OFFER/ACK with options 1, 3, 6, 26, 51 and 54
 * (plus 58/59), Rapid Commit (RFC 4039) answering DISCOVER with ACK, NAK for requests of another
 * address, INFORM, and replies broadcast or unicast per the client's broadcast flag and ciaddr.
 */
import { buildDhcpReply, DHCP_MSG, DHCP_OPT, parseDhcp } from "../frame/dhcp.js";
import { ETH_HEADER_LEN, ETHERTYPE, formatMac, writeEthernetHeader } from "../frame/ethernet.js";
import { IPPROTO, IPV4_HEADER_LEN, writeIpv4Header } from "../frame/ipv4.js";
import { UDP_HEADER_LEN, writeUdpHeader } from "../frame/udp.js";
import type { AddressPlan } from "./addr.js";
import { formatIpBytes, ipEquals } from "./ip.js";
import type { FrameOutput } from "./output.js";
import type { StackEvent } from "./types.js";

/** DHCP server settings. */
export interface DhcpSettings {
  readonly leaseSecs: number;
  readonly dnsServers: readonly Uint8Array[];
}

const BROADCAST_IP = Uint8Array.of(255, 255, 255, 255);
const BROADCAST_MAC = Uint8Array.of(255, 255, 255, 255, 255, 255);
const ZERO4 = new Uint8Array(4);

function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Handle a DHCP message (UDP payload from port 68 to 67). Returns true when a lease was acknowledged. */
export function handleDhcp(
  payload: Uint8Array,
  plan: AddressPlan,
  settings: DhcpSettings,
  out: FrameOutput,
  event: (ev: StackEvent) => void,
): boolean {
  const v4 = plan.v4;
  if (!v4) return false;
  const m = parseDhcp(payload);
  if (!m || m.op !== 1) return false;
  const requested = m.options.get(DHCP_OPT.REQUESTED_IP);
  let reply: number;
  switch (m.messageType) {
    case DHCP_MSG.DISCOVER:
      reply = m.options.has(DHCP_OPT.RAPID_COMMIT) ? DHCP_MSG.ACK : DHCP_MSG.OFFER;
      break;
    case DHCP_MSG.REQUEST: {
      const want = requested && requested.length === 4 ? requested : m.ciaddr;
      const sid = m.options.get(DHCP_OPT.SERVER_ID);
      if (sid && sid.length === 4 && !ipEquals(sid, v4.gateway)) return false; // chose another server
      reply = ipEquals(want, v4.guest) ? DHCP_MSG.ACK : DHCP_MSG.NAK;
      break;
    }
    case DHCP_MSG.INFORM:
      reply = DHCP_MSG.ACK;
      break;
    default:
      return false;
  }
  const inform = m.messageType === DHCP_MSG.INFORM;
  const opts: [number, Uint8Array][] = [[DHCP_OPT.MSG_TYPE, Uint8Array.of(reply)], [DHCP_OPT.SERVER_ID, v4.gateway]];
  if (reply !== DHCP_MSG.NAK) {
    if (!inform) {
      opts.push([DHCP_OPT.LEASE_TIME, u32(settings.leaseSecs)]);
      opts.push([DHCP_OPT.RENEWAL, u32(Math.floor(settings.leaseSecs / 2))]);
      opts.push([DHCP_OPT.REBINDING, u32(Math.floor((settings.leaseSecs * 7) / 8))]);
    }
    opts.push([DHCP_OPT.SUBNET_MASK, v4.mask]);
    opts.push([DHCP_OPT.ROUTER, v4.gateway]);
    if (settings.dnsServers.length > 0) {
      const dns = new Uint8Array(4 * settings.dnsServers.length);
      settings.dnsServers.forEach((d, i) => dns.set(d, 4 * i));
      opts.push([DHCP_OPT.DNS, dns]);
    }
    opts.push([DHCP_OPT.MTU, Uint8Array.of(plan.mtu >>> 8, plan.mtu & 0xff)]);
    if (reply === DHCP_MSG.ACK && m.messageType === DHCP_MSG.DISCOVER) opts.push([DHCP_OPT.RAPID_COMMIT, new Uint8Array(0)]);
  }
  const body = buildDhcpReply({
    xid: m.xid,
    flags: m.flags,
    ciaddr: inform ? m.ciaddr : ZERO4,
    yiaddr: reply === DHCP_MSG.NAK || inform ? ZERO4 : v4.guest,
    siaddr: ZERO4,
    giaddr: m.giaddr,
    chaddr: m.chaddr,
    options: opts,
  });
  // RFC 2131 §4.1: NAK and broadcast-flag replies are broadcast; a client with ciaddr gets unicast.
  const hasCiaddr = !ipEquals(m.ciaddr, ZERO4);
  const broadcast = reply === DHCP_MSG.NAK || (!hasCiaddr && (m.flags & 0x8000) !== 0);
  const dstIp = broadcast ? BROADCAST_IP : hasCiaddr ? m.ciaddr : v4.guest;
  const dstMac = broadcast ? BROADCAST_MAC : m.chaddr;
  const frame = Buffer.alloc(ETH_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN + body.length);
  writeEthernetHeader(frame, 0, dstMac, plan.gatewayMac, ETHERTYPE.IPV4);
  writeIpv4Header(frame, ETH_HEADER_LEN, { src: v4.gateway, dst: dstIp, protocol: IPPROTO.UDP, payloadLen: UDP_HEADER_LEN + body.length });
  frame.set(body, ETH_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN);
  writeUdpHeader(frame, ETH_HEADER_LEN + IPV4_HEADER_LEN, v4.gateway, dstIp, 67, 68, body.length);
  out.sendFrame(frame);
  const kind = reply === DHCP_MSG.OFFER ? "offer" : reply === DHCP_MSG.ACK ? "ack" : "nak";
  event({ type: "dhcp", message: kind, ip: formatIpBytes(v4.guest), mac: formatMac(m.chaddr) });
  return reply === DHCP_MSG.ACK && !inform;
}
