/**
 * Per-test set-up of the stack-level adversarial and fault tests: `perTest()` (called at module
 * level) gives `start(opts)`, which builds a stack harness (test/stack/helpers/harness.ts), and a
 * list of cleanups; after each test the harness is closed and the cleanups run, newest first.
 */
import { afterEach } from "vitest";
import { harness, type Harness } from "../stack/helpers/harness.js";

export interface PerTest {
  /** A stack harness closed after the test. */
  start(opts: Parameters<typeof harness>[0]): Promise<Harness>;
  /** Run after the test (after the harness is closed), newest first. */
  readonly cleanups: (() => unknown)[];
}

export function perTest(): PerTest {
  const harnesses: Harness[] = [];
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    start: async (opts) => {
      const h = await harness(opts);
      harnesses.push(h);
      return h;
    },
  };
}
