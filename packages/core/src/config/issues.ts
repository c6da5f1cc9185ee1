/**
 * Configuration errors: one {@link ConfigIssue} per problem (JSON path, message, the bad value and
 * what would be accepted), the result type of parsing, the error class thrown by the `*OrThrow`
 * helpers and a formatter that prints a list of issues readably.
 */
import { showJson } from "./show.js";

/** One problem found in a network config. */
export interface ConfigIssue {
  /** JSON path of the offending value, e.g. `$.policy.rules[2].destination`. */
  readonly path: string;
  /** What is wrong (exact upstream text where upstream has one). */
  readonly message: string;
  /** The offending value as given (absent when the value itself is missing). */
  readonly value?: unknown;
  /** What would be accepted at this path. */
  readonly expected?: string;
}

/** Result of parsing: the value, or every issue found (never only the first). */
export type ConfigResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly ConfigIssue[] };

/** A path segment: object key or array index. */
export type PathSegment = string | number;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Formats path segments as a JSON path starting at `$` (`$.a.b[2]["odd key"]`). */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "$";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (IDENT.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Reads the value at `segments` inside `root` (undefined when any step is missing). */
export function valueAt(root: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const s of segments) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

function show(v: unknown): string {
  return v === undefined ? "nothing" : showJson(v);
}

/**
 * Prints issues one per line: `$.path: message (got <value>; expected <accepted>)`, preceded by a
 * count line when there are several.
 */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((i) => {
    const extra: string[] = [];
    if ("value" in i) extra.push(`got ${show(i.value)}`);
    if (i.expected !== undefined) extra.push(`expected ${i.expected}`);
    return `${i.path}: ${i.message}${extra.length > 0 ? ` (${extra.join("; ")})` : ""}`;
  });
  if (issues.length > 1) lines.unshift(`${issues.length} problems in the network config:`);
  return lines.join("\n");
}

/** Thrown by the throwing variants; `issues` holds every problem, `message` the formatted list. */
export class ConfigError extends Error {
  /** Every problem found. */
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(issues.length === 1 && issues[0] !== undefined ? `${issues[0].path}: ${issues[0].message}` : formatConfigIssues(issues));
    this.name = "ConfigError";
    this.issues = issues;
  }
}
