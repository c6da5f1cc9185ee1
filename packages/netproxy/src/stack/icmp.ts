/**
 * ICMP echo (semantics.md §7.4): an echo request to a gateway address is answered locally when the
 * policy allows (gateway, icmpv4|icmpv6); an allowed echo to any other address is relayed through
 * an unprivileged ICMP socket (`IcmpRelay`) and the answer injected from that address; denied or
 * unrelayable requests get no reply. Other ICMP types are not relayed.
 */
import { echoIdSeq, ICMP4, ICMP6, parseIcmpv4, parseIcmpv6, writeIcmp } from "../frame/icmp.js";
import { IPPROTO } from "../frame/ipv4.js";
import { formatIpBytes, toIpAddr } from "./ip.js";
import type { IcmpRelay } from "./icmp-relay.js";
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
  /** Relay for echo to other addresses; null disables external echo. */
  readonly relay: IcmpRelay | null;
}

/** Outcome of handling an ICMP message. */
export type EchoOutcome = "replied" | "relayed" | "denied" | "unrelayable" | "ignored" | "malformed";

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
  const echo = echoIdSeq(m.body)!;
  const replyType = v6 ? ICMP6.ECHO_REPLY : ICMP4.ECHO_REPLY;
  const guest = Uint8Array.from(src);
  const remote = Uint8Array.from(dst);
  const sendReply = (body: Uint8Array): void => {
    d.out.sendIp(remote, guest, v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP, 4 + body.length, (b, off) => {
      writeIcmp(b, off, replyType, 0, body, v6 ? { src: remote, dst: guest } : undefined);
    });
  };
  let relayed = false;
  if (allowed && !local && d.relay) {
    relayed = d.relay.echo({ dst: remote, id: echo.id, seq: echo.seq, data: m.body.subarray(4) }, (seq, data) => {
      const body = new Uint8Array(4 + data.length);
      body[0] = echo.id >>> 8;
      body[1] = echo.id & 0xff;
      body[2] = seq >>> 8;
      body[3] = seq & 0xff;
      body.set(data, 4);
      sendReply(body);
    });
  }
  const why = !allowed || local || relayed ? decision.reason : `${decision.reason}; external echo relay unavailable (${d.relay?.unavailable ?? "disabled"}), dropped`;
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
    reason: why,
  });
  if (!allowed) return "denied";
  if (!local) return relayed ? "relayed" : "unrelayable";
  sendReply(Uint8Array.from(m.body));
  return "replied";
}
