/**
 * ARP responder: answers requests for the gateway address, configured host aliases, and (proxy
 * ARP) any other address of the guest's own subnet, so that every "on-link" destination is routed
 * through the stack and its policy. The guest's own address, the network and broadcast addresses
 * are never answered (duplicate-address probes must go unanswered).
 */
import { ARP_LEN, ARP_OP, parseArp, writeArp } from "../frame/arp.js";
import { ETH_HEADER_LEN, ETHERTYPE, writeEthernetHeader } from "../frame/ethernet.js";
import type { AddressPlan } from "./addr.js";
import { ipEquals } from "./ip.js";
import type { FrameOutput } from "./output.js";

/** Handle an ARP packet from the guest. Returns a drop reason, or null when handled. */
export function handleArp(payload: Uint8Array, plan: AddressPlan, aliases: readonly Uint8Array[], out: FrameOutput): string | null {
  const a = parseArp(payload);
  if (!a) return "arp-malformed";
  if (a.op !== ARP_OP.REQUEST) return null;
  const v4 = plan.v4;
  if (!v4) return null;
  if (ipEquals(a.targetIp, v4.guest)) return null;
  const ours = ipEquals(a.targetIp, v4.gateway) || aliases.some((x) => ipEquals(a.targetIp, x)) || onLinkOther(a.targetIp, v4);
  if (!ours) return null;
  const frame = Buffer.alloc(ETH_HEADER_LEN + ARP_LEN);
  writeEthernetHeader(frame, 0, a.senderMac, plan.gatewayMac, ETHERTYPE.ARP);
  writeArp(frame, ETH_HEADER_LEN, ARP_OP.REPLY, plan.gatewayMac, a.targetIp, a.senderMac, a.senderIp);
  out.sendFrame(frame);
  return null;
}

function onLinkOther(ip: Uint8Array, v4: { guest: Uint8Array; mask: Uint8Array; broadcast: Uint8Array }): boolean {
  let hostBits = false;
  for (let i = 0; i < 4; i++) {
    if ((ip[i]! & v4.mask[i]!) !== (v4.guest[i]! & v4.mask[i]!)) return false;
    if ((ip[i]! & ~v4.mask[i]! & 0xff) !== 0) hostBits = true;
  }
  return hostBits && !ipEquals(ip, v4.broadcast);
}
