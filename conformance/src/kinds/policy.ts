/**
 * Executors of the policy-engine kinds: `group`, `egress`, `ingress`, `dns`, `domain_name`,
 * `policy_json`, `host_pattern`, `tls_pattern`, `preset_policy`, `validate` — all via
 * @sandbox/core.
 */
import {
  canonicalPolicy,
  canonicalPresetName,
  classifyIp,
  dnsPipeline,
  formatConfigIssues,
  hostPatternMatches,
  parseDomainName,
  parseDomainSuffix,
  parseNetworkConfig,
  presetPolicy,
  tlsPatternMatches,
  type HostnameSource,
  type HostPattern,
  type Protocol,
} from "@sandbox/core";
import type { Probe } from "../protocol.js";
import { ip, policyEnv } from "./policy-env.js";

/** A rejected probe input: the testee answers `{id, error}` with this text. */
export class ProbeError extends Error {}

function protocol(p: unknown): Protocol {
  if (p === "tcp" || p === "udp" || p === "icmpv4" || p === "icmpv6") return p;
  throw new Error(`probe.protocol: ${JSON.stringify(p)}; expected tcp, udp, icmpv4 or icmpv6`);
}

/** `group`: the destination group of an address. */
export function runGroup(c: Record<string, unknown>, p: Probe): string {
  return classifyIp(ip(p.ip, "ip"), (c.gateway as { ipv4?: string; ipv6?: string } | undefined) ?? {});
}

/** `egress`: allow / deny / defer. */
export function runEgress(c: Record<string, unknown>, p: Probe): string {
  const env = policyEnv(c);
  const kind = (p.hostname_source as string | undefined) ?? "cache";
  const source: HostnameSource = kind === "sni" ? { kind: "sni", name: String(p.sni) } : kind === "deferred" ? { kind: "deferred" } : { kind: "cache" };
  const port = p.port === undefined || p.port === null ? null : Number(p.port);
  return env.compiled.egress(ip(p.ip, "ip"), port, protocol(p.protocol), source).verdict;
}

/** `ingress`: allow / deny. */
export function runIngress(c: Record<string, unknown>, p: Probe): string {
  const env = policyEnv(c);
  return env.compiled.ingress(ip(p.peer_ip, "peer_ip"), Number(p.guest_port), protocol(p.protocol)).verdict;
}

/** `dns`: nxdomain / noerror (name policy → resolver policy → rebind). */
export function runDns(c: Record<string, unknown>, p: Probe): string {
  const env = policyEnv(c);
  const t = p.transport;
  if (t !== "udp" && t !== "tcp" && t !== "dot") throw new Error(`probe.transport: ${JSON.stringify(t)}; expected udp, tcp or dot`);
  const r = dnsPipeline(env.compiled, {
    name: (p.query_name as string | null | undefined) ?? null,
    transport: t,
    resolverIp: p.resolver_ip as string | undefined,
    answers: p.answers as string[] | undefined,
    rebindProtection: env.config.dns.rebind_protection,
    gateway: env.gateway,
  });
  return r.rcode.toLowerCase();
}

/** `domain_name`: the canonical name, or an error. */
export function runDomainName(_c: Record<string, unknown>, p: Probe): string {
  const r = p.as_suffix === true ? parseDomainSuffix(String(p.input)) : parseDomainName(String(p.input));
  if (!r.ok) throw new ProbeError(r.error);
  return r.name;
}

/** `policy_json`: the canonical re-serialization of a wire policy, or an error. */
export function runPolicyJson(_c: Record<string, unknown>, p: Probe): string {
  const r = parseNetworkConfig({ policy: p.json });
  if (!r.ok) throw new ProbeError(formatConfigIssues(r.errors));
  if (r.value.policy === undefined) throw new ProbeError("no policy");
  return JSON.stringify(canonicalPolicy(r.value.policy));
}

/** `host_pattern`: match / no_match. */
export function runHostPattern(_c: Record<string, unknown>, p: Probe): string {
  return hostPatternMatches(p.pattern as HostPattern, String(p.hostname)) ? "match" : "no_match";
}

/** `tls_pattern`: match / no_match. */
export function runTlsPattern(_c: Record<string, unknown>, p: Probe): string {
  return tlsPatternMatches(String(p.pattern), String(p.sni)) ? "match" : "no_match";
}

/** `preset_policy`: the policy of a preset (D2). */
export function runPresetPolicy(_c: Record<string, unknown>, p: Probe): unknown {
  const name = canonicalPresetName(String(p.preset));
  if (name === undefined) throw new ProbeError(`unknown preset ${JSON.stringify(p.preset)}`);
  return presetPolicy(name);
}

/** `validate`: "ok", or the formatted issues as an error. */
export function runValidate(_c: Record<string, unknown>, p: Probe): string {
  const r = parseNetworkConfig(p.config);
  if (!r.ok) throw new ProbeError(formatConfigIssues(r.errors));
  return "ok";
}
