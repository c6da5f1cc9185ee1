/**
 * The error every dialect throws: the message is the SDK's own text (so callers and the
 * conformance suite can compare it verbatim); when the failure came from validating the produced
 * config, every issue is attached.
 */
import type { ConfigIssue } from "../config/issues.js";

/** Which front-end produced an error. */
export type DialectName = "go" | "python" | "rust" | "typescript" | "quicksand" | "runtime";

/** An error in a dialect's input, with the SDK's error text as message. */
export class DialectError extends Error {
  /** The dialect that rejected the input. */
  readonly dialect: DialectName;
  /** All validation issues, when the error came from validating the produced config. */
  readonly issues: readonly ConfigIssue[];
  /** JSON path of the offending value in the dialect's input, when known (e.g. `$.custom_policy.rules[2]`). */
  readonly path: string | undefined;
  constructor(dialect: DialectName, message: string, issues: readonly ConfigIssue[] = [], path?: string) {
    super(message);
    this.name = "DialectError";
    this.dialect = dialect;
    this.issues = issues;
    this.path = path ?? (issues.length === 1 ? issues[0]?.path : undefined);
  }
}

/** Runs `f`; a {@link DialectError} without a path gets `path` (the message stays the SDK's text). */
export function atPath<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DialectError && e.path === undefined) throw new DialectError(e.dialect, e.message, e.issues, path);
    throw e;
  }
}
