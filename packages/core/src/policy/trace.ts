/**
 * Rule-by-rule explanation of one egress or ingress decision (for `explain` UIs and debugging):
 * walks the rules in order like §9 and says for each rule why it was skipped, did not match,
 * matched or deferred, up to the deciding one. Slow by design; the compiled evaluator decides.
 */
import { cidrContains, parseCidr } from "../net/cidr.js";
import { formatIp, unmapIp, type IpAddr } from "../net/ip.js";
import type { ResolvedNameCache } from "./cache.js";
import { canonicalHost, parseDomainName, suffixMatches } from "./domain-name.js";
import { describeRule } from "./explain.js";
import { classifyIp } from "./groups.js";
import type { GatewayLike, HostnameSource, PolicyLike, Protocol, RuleLike } from "./types.js";

/** What happened at one rule. */
export interface TraceStep {
  readonly rule: number;
  readonly outcome: "skipped" | "no-match" | "match" | "defer";
  readonly why: string;
}

/** A full explanation: every rule visited, then the verdict and the deciding rule (null = default). */
export interface Trace {
  readonly steps: TraceStep[];
  readonly verdict: "allow" | "deny" | "defer";
  readonly rule: number | null;
  readonly summary: string;
}

/** Inputs of {@link traceFlow}. */
export interface TraceInput {
  readonly direction: "egress" | "ingress";
  /** Destination (egress) or peer (ingress). */
  readonly ip: IpAddr;
  /** Destination port (egress, null for ICMP) or guest port (ingress). */
  readonly port: number | null;
  readonly protocol: Protocol;
  readonly source?: HostnameSource;
  readonly gateway: GatewayLike;
  readonly cache: ResolvedNameCache;
}

function filterWhy(r: RuleLike, dir: "egress" | "ingress", port: number | null, proto: Protocol): string | null {
  if (r.direction !== "any" && r.direction !== dir) return `direction ${r.direction} does not apply to ${dir}`;
  const protos = r.protocols ?? [];
  if (protos.length > 0 && !protos.includes(proto)) return `protocol ${proto} not in [${protos.join(", ")}]`;
  const ports = r.ports ?? [];
  if (ports.length > 0) {
    if (port === null) return "rule has ports and the flow has none (ICMP)";
    if (!ports.some((p) => p.start <= port && port <= p.end)) return `port ${port} not in the rule's ports`;
  }
  return null;
}

function nameTest(r: RuleLike): ((h: string) => boolean) | null {
  const d = r.destination;
  if (d === "any" || "cidr" in d || "group" in d) return null;
  const raw = "domain" in d ? d.domain : d.domain_suffix;
  const n = parseDomainName(raw);
  if (!n.ok) return () => false;
  return "domain" in d ? (h) => h === n.name : (h) => suffixMatches(n.name, h);
}

/** Explains one egress/ingress decision rule by rule (§1.5, §1.6, D1). */
export function traceFlow(policy: PolicyLike, q: TraceInput): Trace {
  const steps: TraceStep[] = [];
  const ip = unmapIp(q.ip);
  const ipText = formatIp(ip);
  const src: HostnameSource = q.direction === "ingress" ? { kind: "cache" } : (q.source ?? { kind: "cache" });
  const group = classifyIp(ip, q.gateway);
  const hosts = q.cache.hostsFor(ip);
  const rules = policy.rules;
  const walk = (from: number, tail: boolean): { verdict: "allow" | "deny" | "defer"; rule: number | null } => {
    for (let i = from; i < rules.length; i++) {
      const r = rules[i]!;
      const head = describeRule(r, i);
      const skip = filterWhy(r, q.direction, q.port, q.protocol);
      if (skip !== null) {
        if (!tail) steps.push({ rule: i, outcome: "skipped", why: `${head}: ${skip}` });
        continue;
      }
      const d = r.destination;
      let outcome: "match" | "no-match" | "defer";
      let why: string;
      const test = nameTest(r);
      if (d === "any") [outcome, why] = ["match", "any destination"];
      else if ("cidr" in d) {
        const c = parseCidr(d.cidr);
        const hit = !("error" in c) && cidrContains(c, ip);
        [outcome, why] = [hit ? "match" : "no-match", `${ipText} ${hit ? "is" : "is not"} in ${d.cidr}`];
      } else if ("group" in d) {
        [outcome, why] = [group === d.group ? "match" : "no-match", `${ipText} is in group ${group}`];
      } else {
        const bound = hosts.filter(test!);
        const cached = bound.length > 0;
        const bind = cached ? `cached name ${bound[0]}` : "no cached name for it";
        const kind = tail ? "deferred" : src.kind;
        if (kind === "cache") [outcome, why] = [cached ? "match" : "no-match", `${ipText}: ${bind}`];
        else if (kind === "sni") {
          const sni = canonicalHost((src as { name: string }).name);
          const nameOk = test!(sni);
          const ok = nameOk && (r.action === "deny" || cached);
          why = !nameOk ? `SNI ${sni} does not match` : r.action === "deny" ? `SNI ${sni} matches (deny needs no DNS binding)` : `SNI ${sni} matches; ${bind}`;
          outcome = ok ? "match" : "no-match";
        } else {
          const ok = r.action === "deny" || cached;
          [outcome, why] = [ok ? "defer" : "no-match", r.action === "deny" ? "hostname not known yet" : `${ipText}: ${bind}`];
        }
      }
      if (tail) {
        if (outcome === "match") return { verdict: r.action, rule: i };
        if (outcome === "defer" && r.action === "allow") return { verdict: "allow", rule: i };
        continue;
      }
      steps.push({ rule: i, outcome, why: `${head}: ${why}` });
      if (outcome === "match") return { verdict: r.action, rule: i };
      if (outcome === "defer") {
        if (r.action === "allow") return { verdict: "defer", rule: i };
        const t = walk(i + 1, true);
        return { verdict: t.verdict === "allow" ? "defer" : "deny", rule: i };
      }
    }
    const def = q.direction === "egress" ? policy.default_egress : policy.default_ingress;
    return { verdict: def, rule: null };
  };
  const res = walk(0, false);
  const def = q.direction === "egress" ? policy.default_egress : policy.default_ingress;
  const summary =
    res.rule === null
      ? `no rule matched; default_${q.direction} ${def}`
      : `${describeRule(rules[res.rule]!, res.rule)} decided: ${res.verdict}`;
  return { steps, verdict: res.verdict, rule: res.rule, summary };
}
