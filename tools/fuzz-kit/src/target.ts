/**
 * The fuzz target contract (the shape bench/fuzz/run.ts drives) and the property-violation error.
 */

/** One fuzzing session: a deterministic stream of inputs from one seed. */
export interface FuzzSession {
  /** Generate, run and check one input; throws a {@link FuzzFailure} when a property does not hold. */
  step(): void;
  /** Counters of the outcomes seen (e.g. accepted vs rejected), to show the inputs reach deep code. */
  stats?(): Record<string, number>;
}

/** A named parser under test. */
export interface FuzzTarget {
  /** Short stable name (`--parser NAME` in the driver). */
  readonly name: string;
  /** What is fed and which properties are checked. */
  readonly description: string;
  open(seed: number): FuzzSession;
}

/** A property violation, with the offending input shown as JSON (truncated). */
export class FuzzFailure extends Error {
  constructor(target: string, property: string, input: unknown, cause?: unknown) {
    let shown: string;
    try {
      shown = JSON.stringify(input)?.slice(0, 1500) ?? String(input);
    } catch {
      shown = String(input);
    }
    super(`${target}: ${property}; input ${shown}${cause instanceof Error ? `; cause: ${cause.stack ?? cause.message}` : ""}`);
    this.name = "FuzzFailure";
  }
}
