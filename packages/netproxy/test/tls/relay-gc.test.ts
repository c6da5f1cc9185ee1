import { describe, expect, it } from "vitest";
import { runInNewContext } from "node:vm";
import { PerformanceObserver, constants, type PerformanceEntry } from "node:perf_hooks";
import { noteRelayed, RELAYED_BYTES_PER_SCAVENGE } from "../../src/tls/relay-gc.js";

/** Minor GCs (scavenges) observed while `fn` runs. */
async function scavengesDuring(fn: () => void): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  obs.observe({ entryTypes: ["gc"] });
  fn();
  // GC entries are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return seen.filter((e) => (e as unknown as { detail: { kind: number } }).detail.kind === constants.NODE_PERFORMANCE_GC_MINOR).length;
}

describe("relay GC pacing", () => {
  it("runs one scavenge per RELAYED_BYTES_PER_SCAVENGE bytes relayed, none below it", async () => {
    // Flush any partial count from other tests in this process.
    noteRelayed(RELAYED_BYTES_PER_SCAVENGE);
    // Almost a full period, in chunk-sized steps, allocating nothing of note: no scavenge.
    const below = await scavengesDuring(() => {
      for (let n = 0; n + 16384 < RELAYED_BYTES_PER_SCAVENGE; n += 16384) noteRelayed(16384);
    });
    expect(below).toBe(0);
    noteRelayed(RELAYED_BYTES_PER_SCAVENGE); // close that period
    const five = await scavengesDuring(() => {
      for (let i = 0; i < 5; i++) noteRelayed(RELAYED_BYTES_PER_SCAVENGE);
    });
    expect(five).toBeGreaterThanOrEqual(5);
  });

  it("leaves no gc global behind for the embedding application's contexts", () => {
    noteRelayed(RELAYED_BYTES_PER_SCAVENGE); // gc obtained (and run) at least once
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe("undefined");
    expect(runInNewContext("typeof gc")).toBe("undefined");
  });
});
