/**
 * One-line renderings of netproxy control events (flows, DNS decisions, violations, link state),
 * shared by `sandbox netproxy` and `sandbox demo`.
 */
import type { ControlEvent } from "@sandbox/netproxy";
import type { Out } from "./io.js";

function hostPort(ip: string, port?: number): string {
  if (port === undefined) return ip;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Verdict word coloured for a terminal. */
function verdict(out: Out, allowed: boolean): string {
  return allowed ? out.green("ALLOW") : out.red("DENY ");
}

/** How a DNS outcome counts: answered from upstream or the alias, blocked by policy, or neither (no data, errors). */
export function dnsOutcomeKind(outcome: string): "answered" | "blocked" | "other" {
  if (outcome === "forwarded" || outcome === "host_alias") return "answered";
  if (outcome === "denied" || outcome === "resolver_denied" || outcome === "rebind_blocked") return "blocked";
  return "other";
}

/** Render one event as a line, or null for events not worth a line (periodic counters). */
export function renderEvent(e: ControlEvent, out: Out): string | null {
  if ("flow" in e) {
    const f = e.flow;
    const name = f.hostname ? ` (${f.hostname})` : "";
    return `${verdict(out, f.verdict === "allow")} ${f.direction.padEnd(7)} ${f.protocol.padEnd(6)} ${hostPort(f.src_ip, f.src_port)} → ${hostPort(f.dst_ip, f.dst_port)}${name}  ${out.dim(f.reason)}`;
  }
  if ("dns" in e) {
    const d = e.dns;
    const kind = dnsOutcomeKind(d.outcome);
    const word = kind === "answered" ? out.green("ALLOW") : kind === "blocked" ? out.red("DENY ") : out.yellow("NOANS");
    return `${word} dns     ${d.transport.padEnd(6)} ${d.name ?? "(no name)"} via ${d.resolver}: ${d.outcome}  ${out.dim(d.reason)}`;
  }
  if ("violation" in e) return `${out.red("BLOCK")} secret  ${e.violation.kind}: ${e.violation.detail}`;
  if ("link" in e) return `${out.bold("LINK ")} ${e.link.state} ${e.link.transport}${e.link.error ? `: ${e.link.error}` : ""}`;
  if ("flow_closed" in e) {
    const c = e.flow_closed;
    return out.dim(`CLOSE   ${c.protocol} ${hostPort(c.src_ip, c.src_port)} → ${hostPort(c.dst_ip, c.dst_port)} ↑${c.bytes_from_guest} ↓${c.bytes_to_guest} ${c.reason}`);
  }
  return null;
}
