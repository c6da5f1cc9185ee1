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
  constructor(dialect: DialectName, message: string, issues: readonly ConfigIssue[] = []) {
    super(message);
    this.name = "DialectError";
    this.dialect = dialect;
    this.issues = issues;
  }
}
