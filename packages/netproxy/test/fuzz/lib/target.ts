/**
 * The fuzz target contract shared by the vitest suite and the long-run driver
 * (bench/fuzz/run.ts): a target opens a deterministic session from a seed, and each `step()`
 * makes one input, feeds it to the parser and checks the properties, throwing a
 * {@link FuzzFailure} (with the input, for reproduction) when one does not hold.
 */
import { hex } from "./rng.js";

/** One fuzzing session: a deterministic stream of inputs from one seed. */
export interface FuzzSession {
  /**
   * Generate, run and check one input. Throws (or rejects) with a {@link FuzzFailure} on a
   * property violation. Asynchronous for targets whose parser is (the DNS forwarder).
   */
  step(): void | Promise<void>;
  /** Let asynchronous work settle (stack targets); called every few hundred steps. */
  settle?(): Promise<void>;
  /** Counters of the outcomes seen (e.g. accepted vs rejected), to show the inputs reach deep code. */
  stats?(): Record<string, number>;
  /** Release resources (sockets, timers). */
  close?(): Promise<void>;
}

/** A named parser under test. */
export interface FuzzTarget {
  /** Short stable name (`--parser NAME` in the driver). */
  readonly name: string;
  /** What is fed and which properties are checked. */
  readonly description: string;
  /** Open a session; async for targets that need a live stack. */
  open(seed: number): FuzzSession | Promise<FuzzSession>;
}

/** A property violation, carrying what is needed to reproduce it. */
export class FuzzFailure extends Error {
  constructor(
    readonly target: string,
    readonly property: string,
    readonly input: string,
    override readonly cause?: unknown,
  ) {
    super(`${target}: ${property}; input ${input.length > 600 ? input.slice(0, 600) + "…" : input}${cause instanceof Error ? `; cause: ${cause.stack ?? cause.message}` : cause !== undefined ? `; cause: ${String(cause)}` : ""}`);
    this.name = "FuzzFailure";
  }
}

/**
 * Run `fn(input)`; an exception becomes a FuzzFailure naming the input (hex). Use for parsers whose
 * contract is "returns an error value, never throws".
 */
export function noThrow<T>(target: string, input: Uint8Array, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    throw new FuzzFailure(target, "threw on untrusted bytes", hex(input), e);
  }
}

/** Assert a property; on failure throw a FuzzFailure with the input. */
export function check(cond: unknown, target: string, property: string, input: Uint8Array | string): asserts cond {
  if (!cond) throw new FuzzFailure(target, property, typeof input === "string" ? input : hex(input));
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Run `count` steps of a target with `seed`, as the vitest suite does. Returns the number of
 * steps run; rethrows the first failure with the seed and step index prepended.
 */
export async function runBounded(t: FuzzTarget, seed: number, count: number, onStats?: (s: Record<string, number>) => void): Promise<number> {
  const s = await t.open(seed);
  let i = 0;
  try {
    for (; i < count; i++) {
      try {
        const r = s.step();
        if (r) await r;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new Error(`fuzz target ${t.name} failed at seed ${seed} step ${i} (reproduce: bench/fuzz/run.ts --parser ${t.name} --seed ${seed}): ${msg}`, { cause: e });
      }
      if (s.settle && i % 200 === 199) await s.settle();
    }
    if (s.settle) await s.settle();
    if (onStats && s.stats) onStats(s.stats());
  } finally {
    await s.close?.();
  }
  return i;
}
