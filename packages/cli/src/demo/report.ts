/**
 * The demo's output: decisions streamed live as netproxy makes them, one row per guest check as
 * its result arrives, and a closing summary table with counts.
 */
import type { ControlEvent } from "@sandbox/netproxy";
import { dnsOutcomeKind, renderEvent } from "../events.js";
import type { Out } from "../io.js";
import type { DemoCheck } from "./checks.js";

/** One finished check. */
export interface CheckRow {
  check: DemoCheck;
  /** What the guest reported (ok, fail, nxdomain) or `missing`. */
  got: string;
  detail: string;
  /** Packets that reached a target that had to stay untouched. */
  leaked: number;
  pass: boolean;
}

/** Counters over the proxy's events. */
export class Tally {
  flowsAllowed = 0;
  flowsDenied = 0;
  dnsAnswered = 0;
  dnsBlocked = 0;
  add(e: ControlEvent): void {
    if ("flow" in e) e.flow.verdict === "allow" ? this.flowsAllowed++ : this.flowsDenied++;
    if ("dns" in e) {
      const kind = dnsOutcomeKind(e.dns.outcome);
      if (kind === "answered") this.dnsAnswered++;
      else if (kind === "blocked") this.dnsBlocked++;
    }
  }
}

/** Print a decision line as it happens. */
export function liveDecision(out: Out, e: ControlEvent): void {
  const line = renderEvent(e, out);
  if (line && !("flow_closed" in e)) out.line(`  ${out.dim("proxy")}  ${line}`);
}

/** Print a check's row as its result arrives. */
export function liveCheck(out: Out, row: CheckRow): void {
  const mark = row.pass ? out.green("✓") : out.red("✗");
  out.line(`${mark} ${out.bold("guest")}  ${row.check.title}: ${row.got}${row.detail ? ` (${row.detail})` : ""}`);
}

/** The closing summary. */
export function summary(out: Out, rows: CheckRow[], tally: Tally, extra: { published: CheckRow; lease: CheckRow; seconds: number }): boolean {
  const all = [extra.lease, ...rows, extra.published];
  const w = Math.max(...all.map((r) => r.check.title.length));
  out.line("");
  out.line(out.bold("Summary"));
  out.line(`  ${"check".padEnd(w)}  expected  got       untouched`);
  for (const r of all) {
    const untouched = r.check.untouched ? (r.leaked === 0 ? "yes" : `NO (${r.leaked} hits)`) : "";
    const line = `  ${r.check.title.padEnd(w)}  ${r.check.expect.padEnd(8)}  ${r.got.padEnd(8)}  ${untouched}`;
    out.line(r.pass ? line : out.red(line));
  }
  const passed = all.filter((r) => r.pass).length;
  out.line("");
  out.line(
    `${passed === all.length ? out.green("demo: OK") : out.red("demo: FAILED")} — ${passed} of ${all.length} checks as expected; ` +
      `netproxy allowed ${tally.flowsAllowed} and denied ${tally.flowsDenied} flows, answered ${tally.dnsAnswered} and blocked ${tally.dnsBlocked} DNS queries; ${extra.seconds.toFixed(1)} s`,
  );
  return passed === all.length;
}
