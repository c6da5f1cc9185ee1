/**
 * Garbage collection on the main thread only, for a netproxy process. The data path allocates
 * an ArrayBuffer per upstream read and per link slab (hundreds of MB/s at MTU 65520), so V8
 * scavenges for external memory every ~15 ms; by default every such GC hands array-buffer
 * sweeping, sweeping and the scavenge itself to background threads. On a machine whose cores are
 * shared with the guest (its vCPU, or the namespace's iperf3 and kernel), those wake-ups cost more
 * than the work: measured A/B interleaved on 2 cores (load ~2, MTU 65520), node + helper CPU per
 * Gbit host->guest 0.34-0.45 -> 0.19-0.20, guest->host 0.26-0.33 -> 0.11-0.14.
 *
 * These three flags take effect at the next GC, so they may be set while the process runs (unlike
 * `--single-threaded-gc`, whose concurrent-marking part aborts V8 when switched on mid-run).
 */
import { setFlagsFromString } from "node:v8";

/** The V8 flags {@link keepGcOnMainThread} sets. */
export const MAIN_THREAD_GC_FLAGS = "--no-parallel-scavenge --no-concurrent-array-buffer-sweeping --no-concurrent-sweeping";

/** Keep the young-generation GC and sweeping on the main thread (process-wide; for a netproxy process's entry point). */
export function keepGcOnMainThread(): void {
  setFlagsFromString(MAIN_THREAD_GC_FLAGS);
}
