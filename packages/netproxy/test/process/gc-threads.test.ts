/**
 * keepGcOnMainThread (applied by tuneProxyProcess, which netproxy's entry points call): with it,
 * the GC work of an allocation pattern like the data path's (an ArrayBuffer per read) stays on
 * the main thread; without it, V8's background threads do part of it (the control run shows the
 * test can fail).
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const child = fileURLToPath(new URL("./gc-threads.child.ts", import.meta.url));

/** Share of the CPU time (not wall time: load elsewhere does not change it) spent off the main thread. */
function offMainShare(mode: "keep" | "default"): number {
  const out = execFileSync(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", child, mode], { encoding: "utf8" });
  const t = JSON.parse(out.trim().split("\n").pop()!) as { main: number; others: number };
  expect(t.main).toBeGreaterThan(5);
  return t.others / (t.main + t.others);
}

// Measured on 2 cores: 0.09-0.15 with it (concurrent marking of the rare full GCs remains), 0.28-0.45 without.
describe("keepGcOnMainThread", () => {
  it("keeps most GC work of data-path-like allocation on the main thread", () => {
    expect(offMainShare("keep")).toBeLessThan(0.25);
  });

  it("control: without it V8's background threads do a large share", () => {
    expect(offMainShare("default")).toBeGreaterThan(0.25);
  });
});
