/**
 * Human-readable rule descriptions and decision reasons, e.g.
 * `rule #1 (egress allow group public) matched 8.8.8.8 (group public)` or
 * `no rule matched; default_egress deny`.
 */
import type { DestinationLike, RuleLike } from "./types.js";

/** Short text for a destination: `any`, `cidr 10.0.0.0/8`, `domain x`, `domain_suffix x`, `group g`. */
export function describeDestination(d: DestinationLike): string {
  if (d === "any") return "any";
  if ("cidr" in d) return `cidr ${d.cidr}`;
  if ("domain" in d) return `domain ${d.domain}`;
  if ("domain_suffix" in d) return `domain_suffix ${d.domain_suffix}`;
  return `group ${d.group}`;
}

/** `rule #<i> (<direction> <action> <destination>[ <protocols>][ port <ranges>])`. */
export function describeRule(rule: RuleLike, index: number): string {
  let s = `rule #${index} (${rule.direction} ${rule.action} ${describeDestination(rule.destination)}`;
  const protos = rule.protocols ?? [];
  if (protos.length > 0) s += ` ${protos.join("/")}`;
  const ports = rule.ports ?? [];
  if (ports.length > 0) {
    s += ` port ${ports.map((p) => (p.start === p.end ? `${p.start}` : `${p.start}-${p.end}`)).join(",")}`;
  }
  return `${s})`;
}

/** Reason text when no rule decided. */
export function defaultReason(direction: "egress" | "ingress", action: "allow" | "deny", extra = ""): string {
  return `no rule matched${extra}; default_${direction} ${action}`;
}
