/**
 * The testee protocol: the runner writes a JSON array of {@link TesteeRequest} to the testee's
 * stdin and reads a JSON array of {@link TesteeResponse} (same order, same ids) from its stdout.
 * `actual` has the shape of the vector kind's `expect` (for `sdk_translation`, a superset the
 * runner projects onto the expected keys); `error` is the text of a rejected input.
 */

/** A probe: its `kind` and kind-specific fields. */
export interface Probe {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** One request. */
export interface TesteeRequest {
  readonly id: string;
  readonly config: Record<string, unknown>;
  readonly probe: Probe;
}

/** One response: the result, or the error text. */
export type TesteeResponse = { readonly id: string; readonly actual: unknown } | { readonly id: string; readonly error: string };

/** A shared vector as stored in conformance/vectors/*.json. */
export interface Vector {
  readonly id: string;
  readonly source?: string;
  readonly config: Record<string, unknown>;
  readonly probe: Probe;
  readonly expect: unknown;
  readonly inferred?: boolean;
  readonly note?: string;
}
