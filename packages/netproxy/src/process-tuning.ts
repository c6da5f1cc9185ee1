/**
 * How a process whose only job is to be a netproxy tunes itself at start: V8's garbage collection
 * stays on the main thread (gc-threads.ts) and, unless `normal` is asked for, the process runs
 * under SCHED_BATCH (sched.ts). Both keep the proxy's CPU from competing with the guest's on a
 * small host. Not for embedders that run netproxy inside a larger application: these settings
 * are process-wide.
 */
import { keepGcOnMainThread } from "./gc-threads.js";
import { type NetproxySched, useBatchScheduling } from "./sched.js";

/** Apply the netproxy process settings; `sched` from {@link parseSched} (default `batch`). */
export function tuneProxyProcess(sched: NetproxySched = "batch"): void {
  keepGcOnMainThread();
  if (sched === "batch") useBatchScheduling();
}
