/**
 * The netproxy process's CPU scheduling. A guest's vCPU and netproxy share the host's cores, and
 * every frame netproxy handles wakes it (and it the guest's emulator back). Under the default
 * policy each such wake-up may preempt the thread running on that core, often the vCPU, for a few
 * microseconds of work; on a small host the vCPU then waits and the guest sends less. SCHED_BATCH
 * keeps netproxy's share of CPU time (same nice value) but drops wake-up preemption, so its work
 * runs when a core is free or at the next tick instead of interrupting the vCPU.
 * bench/vm (QEMU TCG, 1 vCPU, 2 shared cores), interleaved rounds against the default policy:
 * guest->host higher in 6 of 6 rounds at 1-min load 2 to 5 (+2 to +20%); no difference in 3 rounds at load 5 to 6.
 */
import { execFileSync } from "node:child_process";

/** How the netproxy process is scheduled: `batch` (default for the netproxy process) or `normal` (left as started). */
export type NetproxySched = "batch" | "normal";

/** Parse a `--sched` value. */
export function parseSched(v: string | undefined): NetproxySched {
  if (v === undefined || v === "batch") return "batch";
  if (v === "normal") return "normal";
  throw new Error(`--sched: expected batch or normal, got ${JSON.stringify(v)}`);
}

/**
 * Put every thread of process `pid` (default: this one) under SCHED_BATCH, keeping its nice value;
 * threads and children it starts later inherit the policy. Uses util-linux `chrt` (Node has no
 * sched_setscheduler). Returns false, changing nothing, where that is not possible (not Linux, no
 * chrt); the proxy works the same either way, so that is not an error.
 */
export function useBatchScheduling(pid: number = process.pid): boolean {
  if (process.platform !== "linux") return false;
  try {
    execFileSync("chrt", ["--all-tasks", "--batch", "--pid", "0", String(pid)], { stdio: "ignore", timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}
