/**
 * Young-generation collection paced by relayed bytes. Every chunk the L7 relay moves is a fresh
 * Buffer (the plaintext a TLS socket reads, the ciphertext Node copies out of a TLS socket over a
 * JS stream), and V8 counts Buffer memory as external. Freed young Buffers are reclaimed only by
 * a scavenge, and scavenges follow JS-heap allocation, which is small per relayed byte; when
 * external memory grows 64 MiB past its level after the last full GC first, V8 starts a full
 * mark-compact instead ("external memory pressure"). Measured on a bulk HTTPS download through
 * interception (bench/netproxy-l7, 768 MiB): 31-49 such full GCs and ~4.5 CPU-s/GiB in the bad
 * runs, 2 and ~3.0 CPU-s/GiB with a scavenge requested every 8 MiB relayed. The pacing is
 * process-wide (all flows share one byte count), so it costs at most one scavenge per
 * {@link RELAYED_BYTES_PER_SCAVENGE} bytes whatever the number of flows.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Relayed bytes between two requested scavenges. */
export const RELAYED_BYTES_PER_SCAVENGE = 8 * 1024 * 1024;

/**
 * V8's `gc` as this module calls it: a scavenge only. On Node 20 (V8 11.3) an options object is
 * honoured only for `type: "minor"` and `execution: "async"`; any other object (`{ type: "major" }`
 * included) falls back to the legacy truthy-argument meaning and also runs a scavenge. A full
 * mark-compact is `gc()` with no argument, and even that one does not shrink a grown young
 * generation while the allocation rate of the last seconds is high (V8 shrinks it in its
 * memory reducer's collections, which start at the earliest 8 s after the last full GC).
 */
type GcFn = (opts: { type: "minor"; execution: "sync" }) => void;

let gcFn: GcFn | undefined;
let relayed = 0;

/**
 * V8's `gc`. When the process was not started with --expose-gc, the flag is switched on just long
 * enough to create one context that has it, then off again, so no other context of an embedding
 * application ever sees a `gc` global.
 */
function gc(): GcFn {
  if (!gcFn) {
    const g = (globalThis as { gc?: GcFn }).gc;
    if (g) gcFn = g;
    else {
      setFlagsFromString("--expose-gc");
      try {
        gcFn = runInNewContext("gc") as GcFn;
      } finally {
        setFlagsFromString("--no-expose-gc");
      }
    }
  }
  return gcFn;
}

/** Count `bytes` relayed; every {@link RELAYED_BYTES_PER_SCAVENGE} bytes, run a scavenge. */
export function noteRelayed(bytes: number): void {
  relayed += bytes;
  if (relayed < RELAYED_BYTES_PER_SCAVENGE) return;
  relayed = 0;
  gc()({ type: "minor", execution: "sync" });
}
