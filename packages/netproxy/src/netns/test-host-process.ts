/**
 * Spawning a test host inside a namespace of a {@link Topology} and following its reports:
 * `waitReady()`, the list of hits so far, and `count(pred)` to assert on them.
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { follow } from "./lines.js";
import type { TestHostHit } from "./test-host.js";
import type { Topology } from "./topology.js";

/** A running test host process. */
export interface TestHostProcess {
  readonly child: ChildProcess;
  /** Every hit reported so far. */
  readonly hits: TestHostHit[];
  /** Resolves once the host listens on everything; rejects if it exits first or after `timeoutMs`. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Number of reported hits matching `pred`. */
  count(pred: (h: TestHostHit) => boolean): number;
}

/** The node arguments that run the test host entry (TypeScript source in-repo, JS when built). */
export function testHostCommand(): string[] {
  const self = import.meta.url;
  if (self.endsWith(".ts")) return ["--conditions=@sandbox/source", "--import", "tsx", fileURLToPath(new URL("./test-host-main.ts", self))];
  return [fileURLToPath(new URL("./test-host-main.js", self))];
}

/** Start a test host in namespace `ns` with the given command-line options. */
export function spawnTestHost(topo: Topology, ns: string, args: string[]): TestHostProcess {
  const child = topo.spawn(ns, process.execPath, [...testHostCommand(), ...args]);
  const out = follow(child);
  const hits = out.messages as unknown as TestHostHit[];
  const isHit = (h: TestHostHit) => typeof h.hit === "string";
  return {
    child,
    get hits() {
      return hits.filter(isHit);
    },
    count: (pred) => hits.filter((h) => isHit(h) && pred(h)).length,
    waitReady: async (timeoutMs = 30_000) => {
      await out.waitFor((m) => m.ready === true, `test host in ${ns}`, timeoutMs);
    },
  };
}
