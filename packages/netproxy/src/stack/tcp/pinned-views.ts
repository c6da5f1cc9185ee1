/**
 * A process-wide bound on the link read slabs that stalled upstream writes can pin.
 *
 * Guest payload goes upstream as views of the frames the link delivered (no copy). A view keeps
 * its whole read slab (1 MiB, see transport/stream-arena.ts) alive for as long as the write
 * waits. A batch whose writev the kernel does not take completely waits in Node until the upstream
 * reads; a guest that opened many flows to a host that never reads could otherwise pin one slab
 * per flow. At most {@link MAX_PINNING_FLOWS} flows may hold waiting views at once; while that
 * many do, every other batch is copied. A flow's later batches are copied anyway while its own
 * earlier bytes still wait (receiver.ts), so one flow pins at most one batch.
 */
import type { FlowUpstream } from "./upstream.js";

/** Flows whose waiting writes may hold views at once (each batch spans one or two slabs). */
export const MAX_PINNING_FLOWS = 16;
let limit = MAX_PINNING_FLOWS;

const EMPTY = Buffer.alloc(0);
let pinning = 0;

/**
 * Reserves a place for a batch about to be written as views; false (nothing reserved) when the
 * bound is reached and the batch must be copied. Every reservation ends in {@link settle}.
 */
export function reserveViews(): boolean {
  if (pinning >= limit) return false;
  pinning++;
  return true;
}

/** Test hook: a smaller bound (restore with {@link MAX_PINNING_FLOWS}). */
export function setPinningLimit(n: number): void {
  limit = n;
}

/** Flows currently holding waiting views (for tests and stats). */
export function pinningFlows(): number {
  return pinning;
}

/**
 * Called after a batch written as views under a reservation was uncorked: the reservation ends at
 * once when `d` took everything; otherwise it lasts until everything written so far is flushed (an
 * empty write's callback fires after the earlier writes, or with an error when `d` is destroyed)
 * or `d` closes.
 */
export function settle(d: FlowUpstream): void {
  if (d.writableLength === 0 || d.destroyed) {
    pinning--;
    return;
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    pinning--;
    d.off("close", release);
    d.off("finish", release);
  };
  d.once("close", release);
  d.once("finish", release);
  if (!d.writableEnded) d.write(EMPTY, release);
}
