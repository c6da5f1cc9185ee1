/**
 * ICMP echo (semantics.md §7.4): an echo request to a gateway address is answered locally when the
 * policy allows (gateway, icmpv4|icmpv6); echo to any other address is dropped without a reply
 * (the unprivileged ICMP-socket relay is not implemented: Node has no ICMP sockets). Other ICMP
 * types are not relayed.
 */
import { echoIdSeq, ICMP4, ICMP6, parseIcmpv4, parseIcmpv6, writeIcmp } from "../frame/icmp.js";
import { IPPROTO } from "../frame/ipv4.js";
import { formatIpBytes, toIpAddr } from "./ip.js";
import type { FrameOutput } from "./output.js";
import type { PolicyGate } from "./policy-gate.js";
import type { StackEvent } from "./types.js";

/** Dependencies of the echo responder. */
export interface EchoDeps {
  readonly out: FrameOutput;
  readonly gate: PolicyGate;
  readonly event: (ev: StackEvent) => void;
  /** Whether `dst` is one of the gateway's own addresses. */
  readonly isGateway: (dst: Uint8Array) => boolean;
}

/** Outcome of handling an ICMP message. */
export type EchoOutcome = "replied" | "denied" | "not-local" | "ignored" | "malformed";

/** Handle an ICMPv4 or ICMPv6 echo request from the guest (`src` guest, `dst` target). */
export function handleEcho(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array, d: EchoDeps): EchoOutcome {
  const v6 = src.length === 16;
  const m = v6 ? parseIcmpv6(icmp, src, dst) : parseIcmpv4(icmp);
  if (typeof m === "string") return "malformed";
  const request = v6 ? ICMP6.ECHO_REQUEST : ICMP4.ECHO_REQUEST;
  if (m.type !== request || m.code !== 0 || !echoIdSeq(m.body)) return "ignored";
  const protocol = v6 ? "icmpv6" : "icmpv4";
  const decision = d.gate.egress(toIpAddr(dst), null, protocol, { kind: "cache" });
  const allowed = decision.verdict === "allow";
  const local = d.isGateway(dst);
  d.event({
    type: "flow",
    protocol,
    direction: "egress",
    stage: "echo",
    src: formatIpBytes(src),
    srcPort: null,
    dst: formatIpBytes(dst),
    dstPort: null,
    verdict: allowed ? "allow" : "deny",
    rule: decision.rule,
    reason: allowed && !local ? `${decision.reason}; external echo relay unavailable, dropped` : decision.reason,
  });
  if (!allowed) return "denied";
  if (!local) return "not-local";
  const body = Uint8Array.from(m.body);
  const replyType = v6 ? ICMP6.ECHO_REPLY : ICMP4.ECHO_REPLY;
  d.out.sendIp(dst, src, v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP, 4 + body.length, (b, off) => {
    writeIcmp(b, off, replyType, 0, body, v6 ? { src: dst, dst: src } : undefined);
  });
  return "replied";
}
