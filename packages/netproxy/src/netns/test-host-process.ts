/**
 * Spawning a test host inside a namespace of a {@link Topology} and following its reports:
 * `waitReady()`, the list of hits so far, and `hits(pred)` to assert on them.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
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
  const hits: TestHostHit[] = [];
  let ready = false;
  const readyWaiters: (() => void)[] = [];
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (m.ready === true) {
      ready = true;
      readyWaiters.splice(0).forEach((w) => w());
    } else if (typeof m.hit === "string") hits.push(m as unknown as TestHostHit);
  });
  return {
    child,
    hits,
    count: (pred) => hits.filter(pred).length,
    waitReady: (timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (ready) return resolve();
        const t = setTimeout(() => reject(new Error(`test host in ${ns} not ready after ${timeoutMs} ms: ${stderr}`)), timeoutMs);
        child.once("exit", (code) => reject(new Error(`test host in ${ns} exited (${code}) before it was ready: ${stderr}`)));
        readyWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}
