/**
 * Entry point of the dedicated libkrun child process. Reads the plan from `$SANDBOX_KRUN_PLAN`
 * (removed from the environment at once so the guest never sees it), executes it with koffi and
 * reports progress as JSON lines on fd 3. `krun_start_enter` never returns on success: the process
 * becomes the VM and exits when the guest does.
 */
import { writeSync } from "node:fs";
import { executePlan, type ExecEvent } from "./ffi.js";
import type { PlanCall } from "./signatures.js";

/** The message the launcher passes in `$SANDBOX_KRUN_PLAN`. */
export interface ChildPlan {
  library: string;
  calls: PlanCall[];
}

const STATUS_FD = 3;

function report(e: ExecEvent): void {
  try {
    writeSync(STATUS_FD, JSON.stringify(e) + "\n");
  } catch {
    // The launcher went away; keep going, the VM's fate no longer depends on it.
  }
}

const raw = process.env.SANDBOX_KRUN_PLAN;
delete process.env.SANDBOX_KRUN_PLAN;
if (!raw) {
  report({ event: "error", message: "SANDBOX_KRUN_PLAN is not set" });
  process.exit(2);
}
const plan = JSON.parse(raw) as ChildPlan;
executePlan(plan.library, plan.calls, report);
process.exit(1);
