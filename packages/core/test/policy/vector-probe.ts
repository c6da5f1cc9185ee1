/** Test helper: computes a policy-kind vector's actual result in the shape of its `expect`. */
import {
  classifyIp,
  compilePolicy,
  dnsPipeline,
  hostPatternMatches,
  parseDomainName,
  parseDomainSuffix,
  parseIp,
  tlsPatternMatches,
  type HostPattern,
  type HostnameSource,
  type PolicyLike,
  type Protocol,
} from "./imports.js";
import { cacheOf, policyOf, type Vector } from "./vector-config.js";

function ip(s: unknown): NonNullable<ReturnType<typeof parseIp>> {
  const a = parseIp(String(s));
  if (a === undefined) throw new Error(`bad ip in vector: ${String(s)}`);
  return a;
}

/** Computes a vector's actual result in the shape of its `expect`. */
export function actual(v: Vector, policyFor: (config: Record<string, unknown>) => PolicyLike = policyOf): unknown {
  const c = v.config;
  const p = v.probe;
  const gateway = (c.gateway as { ipv4?: string; ipv6?: string } | undefined) ?? {};
  switch (p.kind) {
    case "group":
      return classifyIp(ip(p.ip), gateway);
    case "egress": {
      const compiled = compilePolicy(policyFor(c), { gateway, cache: cacheOf(c) });
      const srcKind = (p.hostname_source as string | undefined) ?? "cache";
      const source: HostnameSource =
        srcKind === "sni" ? { kind: "sni", name: String(p.sni) } : srcKind === "deferred" ? { kind: "deferred" } : { kind: "cache" };
      const port = p.port === undefined ? null : Number(p.port);
      return compiled.egress(ip(p.ip), port, p.protocol as Protocol, source).verdict;
    }
    case "ingress": {
      const compiled = compilePolicy(policyFor(c), { gateway, cache: cacheOf(c) });
      return compiled.ingress(ip(p.peer_ip), Number(p.guest_port), p.protocol as Protocol).verdict;
    }
    case "dns": {
      const compiled = compilePolicy(policyFor(c), { gateway, cache: cacheOf(c) });
      const r = dnsPipeline(compiled, {
        name: p.query_name as string,
        transport: p.transport as "udp" | "tcp" | "dot",
        resolverIp: p.resolver_ip as string | undefined,
        answers: p.answers as string[] | undefined,
        rebindProtection: c.rebind_protection as boolean | undefined,
        gateway,
      });
      return r.rcode.toLowerCase();
    }
    case "domain_name": {
      const r = p.as_suffix ? parseDomainSuffix(String(p.input)) : parseDomainName(String(p.input));
      return r.ok ? r.name : `error: ${r.error}`;
    }
    case "host_pattern":
      return hostPatternMatches(p.pattern as HostPattern, String(p.hostname)) ? "match" : "no_match";
    case "tls_pattern":
      return tlsPatternMatches(String(p.pattern), String(p.sni)) ? "match" : "no_match";
    default:
      throw new Error(`unsupported kind ${p.kind}`);
  }
}

/** `error` / `error: prefix` expectations compare by prefix. */
export function agrees(expected: unknown, got: unknown): boolean {
  if (typeof expected === "string" && expected.startsWith("error") && typeof got === "string") {
    return got.startsWith(expected);
  }
  return expected === got;
}
