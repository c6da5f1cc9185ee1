/** A hand-written CompiledPolicy test double: rules are plain functions over the inputs. */
import type { CompiledPolicy, Decision, HostnameSource, IpAddr, Protocol } from "@sandbox/core";

const allow = (reason = "test allow"): Decision => ({ verdict: "allow", rule: 0, reason });
const deny = (reason = "test deny"): Decision => ({ verdict: "deny", rule: null, reason });

/** Build a policy whose egress/ingress answers come from the given functions. */
export function testPolicy(p: {
  egress?: (ip: IpAddr, port: number | null, protocol: Protocol, source?: HostnameSource) => Decision["verdict"];
  ingress?: (peer: IpAddr, port: number, protocol: Protocol) => Decision["verdict"];
  hasDomainRules?: boolean;
}): CompiledPolicy & { egressCalls: { ip: IpAddr; port: number | null; protocol: Protocol; source?: HostnameSource }[] } {
  const egressCalls: { ip: IpAddr; port: number | null; protocol: Protocol; source?: HostnameSource }[] = [];
  const pick = (v: Decision["verdict"]): Decision => (v === "allow" ? allow() : v === "deny" ? deny() : { verdict: "defer", rule: null, reason: "test defer" });
  const policy = {
    egressCalls,
    egress(ip: IpAddr, port: number | null, protocol: Protocol, source?: HostnameSource): Decision {
      egressCalls.push({ ip, port, protocol, ...(source ? { source } : {}) });
      return pick(p.egress ? p.egress(ip, port, protocol, source) : "deny");
    },
    ingress(peer: IpAddr, port: number, protocol: Protocol): Decision {
      return pick(p.ingress ? p.ingress(peer, port, protocol) : "deny");
    },
    dnsQuery: () => allow(),
    explicitEgress: () => null,
    rebindAdmits: () => true,
    hasDomainRules: p.hasDomainRules ?? false,
  };
  return policy as unknown as CompiledPolicy & { egressCalls: typeof egressCalls };
}

/** True when `ip` is the IPv4 address a.b.c.d. */
export function isV4(ip: IpAddr, s: string): boolean {
  if (ip.family !== 4) return false;
  const [a, b, c, d] = s.split(".").map(Number) as [number, number, number, number];
  return ip.v4 === (((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
}
