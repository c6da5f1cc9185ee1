/**
 * The expected-failure list (`conformance/xfail.txt`): one line per vector, `<id> <reason>`,
 * where the reason names a decision (`D1`..`D9`) or an upstream bug; `#` starts a comment. A
 * listed vector that passes fails the run, as does a line without a reason or for an unknown id.
 */
import { readFileSync } from "node:fs";

/** One parsed line. */
export interface XfailEntry {
  readonly id: string;
  readonly reason: string;
  readonly line: number;
}

/** Parses the xfail file text; throws with the line number on a malformed line. */
export function parseXfail(text: string): Map<string, XfailEntry> {
  const out = new Map<string, XfailEntry>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`xfail.txt:${i + 1}: expected "<id> <reason>", got ${JSON.stringify(raw)}`);
    if (!/^(D[0-9]+\b|upstream\b)/.test(m[2])) throw new Error(`xfail.txt:${i + 1}: the reason must start with a decision (D1..D9) or "upstream", got ${JSON.stringify(m[2])}`);
    if (out.has(m[1])) throw new Error(`xfail.txt:${i + 1}: ${m[1]} is listed twice`);
    out.set(m[1], { id: m[1], reason: m[2], line: i + 1 });
  });
  return out;
}

/** Reads and parses an xfail file. */
export function loadXfail(path: string): Map<string, XfailEntry> {
  return parseXfail(readFileSync(path, "utf8"));
}
