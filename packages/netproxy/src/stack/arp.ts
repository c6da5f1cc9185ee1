/** ARP responder: answers requests for the gateway address and configured host aliases. */
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
  const gw = plan.v4?.gateway;
  const ours = (gw && ipEquals(a.targetIp, gw)) || aliases.some((x) => ipEquals(a.targetIp, x));
  if (!ours) return null;
  // Never answer for the guest's own address (duplicate-address probes must go unanswered).
  if (plan.v4 && ipEquals(a.targetIp, plan.v4.guest)) return null;
  const frame = Buffer.alloc(ETH_HEADER_LEN + ARP_LEN);
  writeEthernetHeader(frame, 0, a.senderMac, plan.gatewayMac, ETHERTYPE.ARP);
  writeArp(frame, ETH_HEADER_LEN, ARP_OP.REPLY, plan.gatewayMac, a.targetIp, a.senderMac, a.senderIp);
  out.sendFrame(frame);
  return null;
}
