/**
 * The policy part of the DNS forwarder pipeline (§4.2 steps 2, 5, 7): query-name policy ->
 * resolver policy (only when the guest addressed a non-gateway resolver) -> rebind protection over
 * the upstream answers. Pure: the caller supplies the answers.
 */
import { formatIp, parseIp, unmapIp, type IpAddr } from "../net/ip.js";
import type { CompiledPolicy } from "./compile.js";
import { parseGateway } from "./groups.js";
import type { Decision, GatewayLike } from "./types.js";

/** DNS transport of the guest's query: UDP/53, TCP/53 or DoT (TCP/853). */
export type DnsTransport = "udp" | "tcp" | "dot";

/** Inputs of {@link dnsPipeline}. */
export interface DnsPipelineInput {
  /** Query name as seen on the wire; null / empty / `.` take the nameless path. */
  readonly name: string | null;
  readonly transport: DnsTransport;
  /** Destination IP the guest sent the query to (undefined = unknown -> configured upstreams). */
  readonly resolverIp?: IpAddr | string | undefined;
  /** Upstream A/AAAA answer addresses (only the rebind step looks at them). */
  readonly answers?: readonly (IpAddr | string)[] | undefined;
  /** `dns.rebind_protection` (default true). */
  readonly rebindProtection?: boolean | undefined;
  /** Gateway addresses (to decide whether the resolver is the gateway). */
  readonly gateway: GatewayLike;
}

/** Outcome: the response code the guest gets and which step decided. */
export interface DnsPipelineResult {
  readonly rcode: "NXDOMAIN" | "NOERROR";
  readonly step: "name" | "resolver" | "rebind" | "passed";
  readonly reason: string;
  /** The policy decision of the deciding step, when a policy decided. */
  readonly decision?: Decision;
}

/** (protocol, port) of a DNS transport: UDP->(udp,53), TCP->(tcp,53), DoT->(tcp,853). */
export function dnsTransportTuple(t: DnsTransport): { protocol: "udp" | "tcp"; port: number } {
  return t === "udp" ? { protocol: "udp", port: 53 } : t === "tcp" ? { protocol: "tcp", port: 53 } : { protocol: "tcp", port: 853 };
}

function asIp(x: IpAddr | string, what: string): IpAddr {
  if (typeof x !== "string") return x;
  const a = parseIp(x);
  if (a === undefined) throw new Error(`${what}: \`${x}\` is not an IP address`);
  return a;
}

/** Runs the name -> resolver -> rebind policy steps of one DNS query. */
export function dnsPipeline(policy: CompiledPolicy, q: DnsPipelineInput): DnsPipelineResult {
  const { protocol, port } = dnsTransportTuple(q.transport);
  const nameDecision = policy.dnsQuery(q.name, protocol, port);
  if (nameDecision.verdict !== "allow") {
    return { rcode: "NXDOMAIN", step: "name", reason: nameDecision.reason, decision: nameDecision };
  }
  if (q.resolverIp !== undefined) {
    const ip = unmapIp(asIp(q.resolverIp, "resolverIp"));
    const gw = parseGateway(q.gateway);
    const isGateway =
      (ip.family === 4 && ip.v4 === gw.v4) ||
      (ip.family === 6 && gw.v6 !== null && ip.v6.every((b, i) => b === gw.v6![i]));
    if (!isGateway) {
      const d = policy.egress(ip, port, protocol, { kind: "cache" });
      if (d.verdict !== "allow") {
        return { rcode: "NXDOMAIN", step: "resolver", reason: `resolver ${formatIp(ip)}: ${d.reason}`, decision: d };
      }
    }
  }
  if (q.rebindProtection !== false) {
    for (const a of q.answers ?? []) {
      const ip = asIp(a, "answers");
      if (!policy.rebindAdmits(ip)) {
        return {
          rcode: "NXDOMAIN",
          step: "rebind",
          reason: `answer ${formatIp(ip)} is a reserved address not admitted by an explicit allow rule (rebind protection)`,
        };
      }
    }
  }
  return { rcode: "NOERROR", step: "passed", reason: nameDecision.reason, decision: nameDecision };
}
