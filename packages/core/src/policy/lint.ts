/**
 * Policy lint (issue deliverable 5): warnings with JSON paths for rules that are legal but almost
 * certainly not what the author meant - a deny suffix without its apex (D1), `"any"` or `*.x`
 * written as a domain, single-label suffixes, rules shadowed by an earlier broader rule, and rules
 * that can never match.
 */
import { cidrCovers, parseCidr, type Cidr } from "../net/cidr.js";
import { isMappedV6 } from "../net/ip.js";
import { describeRule } from "./explain.js";
import { parseDomainName, suffixMatches } from "./domain-name.js";
import type { PolicyLike, Protocol, RuleLike } from "./types.js";

/** Lint warning codes. */
export type LintCode =
  | "suffix-deny-without-apex"
  | "domain-any-literal"
  | "domain-wildcard-literal"
  | "single-label-suffix"
  | "shadowed-rule"
  | "never-matches";

/** One lint finding. */
export interface LintWarning {
  readonly code: LintCode;
  /** JSON path of the offending value, e.g. `policy.rules[3].destination.domain_suffix`. */
  readonly path: string;
  readonly message: string;
  /** For `shadowed-rule`: index of the earlier rule that shadows this one. */
  readonly shadowedBy?: number;
}

/** Lint options. */
export interface LintOptions {
  /** JSON path of the policy object (default `policy`). */
  readonly path?: string;
}

const ALL: readonly Protocol[] = ["tcp", "udp", "icmpv4", "icmpv6"];
const isIcmp = (p: Protocol) => p === "icmpv4" || p === "icmpv6";

interface Norm {
  readonly r: RuleLike;
  readonly dirs: Set<"egress" | "ingress">;
  readonly protos: Set<Protocol>;
  readonly ports: readonly { start: number; end: number }[];
  readonly kind: "any" | "cidr" | "domain" | "suffix" | "group" | "invalid";
  readonly cidr: Cidr | null;
  readonly name: string | null;
  readonly group: string | null;
}

function norm(r: RuleLike): Norm {
  const dirs = new Set<"egress" | "ingress">(r.direction === "any" ? ["egress", "ingress"] : [r.direction]);
  const protos = new Set<Protocol>((r.protocols ?? []).length === 0 ? ALL : r.protocols);
  const ports = r.ports ?? [];
  const d = r.destination;
  const base = { r, dirs, protos, ports, cidr: null, name: null, group: null };
  if (d === "any") return { ...base, kind: "any" };
  if ("cidr" in d) {
    const c = parseCidr(d.cidr);
    return "error" in c ? { ...base, kind: "invalid" } : { ...base, kind: "cidr", cidr: c };
  }
  if ("group" in d) return { ...base, kind: "group", group: d.group };
  const raw = "domain" in d ? d.domain : d.domain_suffix;
  const n = parseDomainName(raw);
  if (!n.ok) return { ...base, kind: "invalid" };
  return { ...base, kind: "domain" in d ? "domain" : "suffix", name: n.name };
}

function subset<T>(a: Set<T>, b: Set<T>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Every port admitted by `inner` is admitted by `outer` (empty = every port). */
function portsCovered(inner: Norm, outer: Norm): boolean {
  if (outer.ports.length === 0) return true;
  if (inner.ports.length === 0) return false;
  return inner.ports.every((p) => {
    // Walk the union of outer ranges from p.start.
    let at = p.start;
    for (;;) {
      const next = outer.ports.filter((o) => o.start <= at && o.end >= at).reduce((m, o) => Math.max(m, o.end), -1);
      if (next < 0) return false;
      if (next >= p.end) return true;
      at = next + 1;
    }
  });
}

/**
 * The static address ranges of each group (semantics §1.4) for provable CIDR-in-group containment.
 * `host` is the gateway, unknown to a lint: it is assumed to lie in the (private) address pool.
 */
const GROUP_RANGES: Readonly<Record<string, readonly Cidr[]>> = Object.fromEntries(
  Object.entries({
    unspecified: ["0.0.0.0/32", "::/128"],
    metadata: ["169.254.169.254/32"],
    loopback: ["127.0.0.0/8", "::1/128"],
    private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"],
    link_local: ["169.254.0.0/16", "fe80::/10"],
    multicast: ["224.0.0.0/4", "ff00::/8"],
  }).map(([g, list]) => [g, list.map((c) => parseCidr(c) as Cidr)]),
);

const overlaps = (a: Cidr, b: Cidr) => cidrCovers(a, b) || cidrCovers(b, a);

/** Every address of `c` classifies into `group` (provable from the static ranges). */
function cidrInGroup(c: Cidr, group: string): boolean {
  if (group === "public") return !Object.values(GROUP_RANGES).some((ranges) => ranges.some((r) => overlaps(r, c)));
  const ranges = GROUP_RANGES[group];
  if (!ranges?.some((r) => cidrCovers(r, c))) return false;
  // Earlier groups in the classification order take addresses out of later ones.
  if (group === "link_local") return !GROUP_RANGES.metadata!.some((m) => overlaps(m, c));
  return true;
}

/** Every destination `inner` matches is matched by `outer` (provable cases only). */
function destCovered(inner: Norm, outer: Norm): boolean {
  switch (outer.kind) {
    case "any":
      // Any matches every address first; a name rule below it only still decides DNS queries
      // when the Any rule has protocol/port filters.
      return inner.kind !== "domain" && inner.kind !== "suffix" ? true : outer.ports.length === 0 && outer.protos.size === 4;
    case "cidr":
      return inner.kind === "cidr" && cidrCovers(outer.cidr!, inner.cidr!);
    case "group":
      return (inner.kind === "group" && inner.group === outer.group) || (inner.kind === "cidr" && cidrInGroup(inner.cidr!, outer.group!));
    case "domain":
      return inner.kind === "domain" && inner.name === outer.name && nameActionsCompatible(inner, outer);
    case "suffix":
      return (
        nameActionsCompatible(inner, outer) &&
        ((inner.kind === "domain" && suffixMatches(outer.name!, inner.name!)) ||
          (inner.kind === "suffix" && (inner.name === outer.name || suffixMatches(outer.name!, inner.name!))))
      );
    default:
      return false;
  }
}

/** A deny name rule matches on SNI alone; an allow rule also needs a DNS binding (§1.5). */
function nameActionsCompatible(inner: Norm, outer: Norm): boolean {
  return outer.r.action === "deny" || inner.r.action === "allow";
}

/** Lints a wire policy; returns warnings in rule order. */
export function lintPolicy(policy: PolicyLike, opts: LintOptions = {}): LintWarning[] {
  const root = opts.path ?? "policy";
  const out: LintWarning[] = [];
  const rules = policy.rules ?? [];
  const norms = rules.map(norm);
  norms.forEach((n, i) => {
    const r = n.r;
    const at = `${root}.rules[${i}]`;
    const head = describeRule(r, i);
    const d = r.destination;
    const field = d !== "any" && "domain" in d ? "domain" : "domain_suffix";
    // Names that never match.
    if ((n.kind === "domain" || n.kind === "suffix") && n.name !== null) {
      if (n.name === "any") {
        out.push({
          code: "domain-any-literal",
          path: `${at}.destination.${field}`,
          message: `${head}: "any" written as a domain is the literal hostname \`any\` and never matches real traffic; use the destination "any"`,
        });
      } else if (n.name.split(".").includes("*")) {
        const fix = n.name.startsWith("*.") ? `; use {"domain_suffix": "${n.name.slice(2)}"}` : "";
        out.push({
          code: "domain-wildcard-literal",
          path: `${at}.destination.${field}`,
          message: `${head}: \`*\` is a literal label here, so \`${n.name}\` never matches${fix}`,
        });
      }
    }
    if (n.kind === "suffix" && n.name !== null && !n.name.includes(".")) {
      out.push({
        code: "single-label-suffix",
        path: `${at}.destination.domain_suffix`,
        message: `${head}: suffix \`${n.name}\` is a single DNS label and matches every domain under that TLD; add a parent label (e.g. \`myco.${n.name}\`)`,
      });
    }
    // D1: a deny suffix rule does not cover its apex.
    if (n.kind === "suffix" && r.action === "deny" && n.name !== null) {
      const apex = norms.some((m) => m.kind === "domain" && m.name === n.name && m.r.action === "deny" && subset(n.dirs, m.dirs));
      if (!apex) {
        out.push({
          code: "suffix-deny-without-apex",
          path: `${at}.destination.domain_suffix`,
          message: `${head}: a suffix rule matches subdomains only (D1), so \`${n.name}\` itself stays reachable; add a deny rule for {"domain": "${n.name}"}`,
        });
      }
    }
    // Rules that can never match.
    const protos = [...n.protos];
    if (protos.every(isIcmp) && n.ports.length > 0) {
      out.push({ code: "never-matches", path: `${at}.ports`, message: `${head}: ICMP has no ports, so a port-filtered ICMP-only rule never matches` });
    }
    if (protos.every(isIcmp) && n.dirs.has("ingress")) {
      out.push({
        code: "never-matches",
        path: `${at}.direction`,
        message: `${head}: ICMP never reaches ingress evaluation (only published TCP/UDP ports do)${r.direction === "any" ? "; the ingress half is dead" : ""}`,
      });
    }
    if (n.kind === "cidr" && n.cidr !== null) {
      const c = n.cidr;
      if (protos.every((p) => p === "icmpv4") && c.family === 6) {
        out.push({ code: "never-matches", path: `${at}.destination.cidr`, message: `${head}: icmpv4 never goes to an IPv6 network` });
      } else if (protos.every((p) => p === "icmpv6") && c.family === 4) {
        out.push({ code: "never-matches", path: `${at}.destination.cidr`, message: `${head}: icmpv6 never goes to an IPv4 network` });
      }
      if (c.family === 6 && c.prefix >= 96 && isMappedV6(c.v6)) {
        out.push({
          code: "never-matches",
          path: `${at}.destination.cidr`,
          message: `${head}: IPv4-mapped addresses are matched as IPv4, so an \`::ffff:0:0/96\` network never matches; write the IPv4 CIDR`,
        });
      }
    }
    // Shadowing by an earlier broader rule.
    for (let j = 0; j < i; j++) {
      const m = norms[j]!;
      if (!subset(n.dirs, m.dirs) || !subset(n.protos, m.protos) || !portsCovered(n, m) || !destCovered(n, m)) continue;
      const same = m.r.action === r.action;
      out.push({
        code: "shadowed-rule",
        path: at,
        shadowedBy: j,
        message: `${head} is shadowed by the earlier ${describeRule(m.r, j)}: every flow it matches is decided first by rule #${j}${same ? " (same action: redundant)" : ` (opposite action: this ${r.action} never applies)`}`,
      });
      break;
    }
  });
  return out;
}
