/**
 * Guest payload goes upstream as views of the link's read slabs; stalled upstreams must not pin an
 * unbounded number of them (stack/tcp/pinned-views.ts): a flow's batch that waits in Node is
 * counted until flushed, and beyond the bound every batch is copied.
 */
import { createHash, randomBytes } from "node:crypto";
import type * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_PINNING_FLOWS, pinningFlows, setPinningLimit } from "../../src/stack/tcp/pinned-views.js";
import { harness, loopbackServer, waitFor, type Harness } from "./helpers/harness.js";
import { isV4, testPolicy } from "./helpers/policy.js";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

let h: Harness | null = null;
afterEach(async () => {
  setPinningLimit(MAX_PINNING_FLOWS);
  await h?.close();
  h = null;
});

describe("views of read slabs held by stalled upstream writes", () => {
  it("at most the bound of flows pin views; the rest are copied; all data arrives once the upstreams read", async () => {
    setPinningLimit(2);
    const flows = 3;
    // More than loopback socket buffers absorb, so each flow's writes end up waiting in Node.
    const payloads = Array.from({ length: flows }, () => randomBytes(16 << 20));
    const socks: net.Socket[] = [];
    const got = new Map<number, Buffer[]>();
    const ended: Promise<void>[] = [];
    const srv = await loopbackServer((s: net.Socket) => {
      socks.push(s);
      s.pause();
      const chunks: Buffer[] = [];
      got.set(s.remotePort!, chunks);
      s.on("data", (d) => chunks.push(d));
      ended.push(new Promise((r) => s.on("end", () => r())));
    });
    try {
      h = await harness({ policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }), tuning: { tcpRcvBuf: 256 * 1024 } });
      let maxSeen = 0;
      const sample = setInterval(() => (maxSeen = Math.max(maxSeen, pinningFlows())), 5);
      const guests = payloads.map((p, i) => {
        const g = h!.tcp({ srcPort: 42100 + i, dstPort: srv.port, windowScale: 7, sackPermitted: true });
        g.connect();
        return { g, p };
      });
      for (const { g, p } of guests) {
        await g.until(() => g.state === "established");
        g.write(p);
        g.end();
      }
      // Every flow stalls: its window closes while its upstream does not read.
      for (const { g } of guests) await g.until(() => g.segmentsIn.some((t) => t.window === 0 && t.payload.length === 0), 30_000);
      clearInterval(sample);
      maxSeen = Math.max(maxSeen, pinningFlows());
      expect(pinningFlows()).toBe(2); // two flows pin their waiting batch; the third one's was copied
      expect(maxSeen).toBeLessThanOrEqual(2);
      for (const s of socks) s.resume();
      await Promise.all(ended);
      await waitFor(() => pinningFlows() === 0, 10_000, "pinned views released");
      const received = [...got.values()].map((c) => sha(Buffer.concat(c))).sort();
      expect(received).toEqual(payloads.map(sha).sort());
    } finally {
      await srv.close();
    }
  }, 60_000);
});
