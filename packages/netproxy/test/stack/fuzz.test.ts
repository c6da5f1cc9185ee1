/**
 * Bounded robustness run: random, mutated and truncated frames (seeded, deterministic) fed into a
 * live stack, including into an established TCP flow. The stack must never throw or hit an
 * internal error, and must keep serving afterwards.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { TCP_FLAG } from "../../src/frame/tcp.js";
import { ipFrame, tcpL4, udpL4 } from "./helpers/guest.js";
import { harness, loopbackServer, type Harness } from "./helpers/harness.js";
import { isV4, testPolicy } from "./helpers/policy.js";

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

let h: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const c of cleanups.splice(0)) await c();
});

describe("robustness", () => {
  it("survives 20k garbage/mutated/truncated frames and still works", async () => {
    const srv = await loopbackServer((s) => s.on("data", () => {}));
    cleanups.push(srv.close);
    // Only the gateway (→ loopback) is ever allowed: a mutated destination must never leave the host.
    h = await harness({ policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }) });
    const p = h.stack.addresses;
    const g = h.tcp({ srcPort: 44000, dstPort: srv.port, windowScale: 2, sackPermitted: true });
    g.connect();
    await g.until(() => g.state === "established");
    const rnd = prng(1234);
    const v4 = p.v4!;
    const seeds: Uint8Array[] = [
      ipFrame(p, v4.guest, v4.gateway, 6, tcpL4(v4.guest, v4.gateway, { srcPort: 44000, dstPort: srv.port, seq: g.sndNxt, ack: g.rcvNxt, flags: TCP_FLAG.ACK, window: 1000 }, Buffer.from("data"))),
      ipFrame(p, v4.guest, v4.gateway, 6, tcpL4(v4.guest, v4.gateway, { srcPort: 44001, dstPort: 22, seq: 5, ack: 0, flags: TCP_FLAG.SYN, window: 1000, options: { mss: 1000, windowScale: 3, sackPermitted: true } })),
      ipFrame(p, v4.guest, v4.gateway, 17, udpL4(v4.guest, v4.gateway, 1000, 53, randomBytes(40))),
      ipFrame(p, v4.guest, v4.gateway, 17, udpL4(v4.guest, v4.gateway, 68, 67, randomBytes(300))),
      ipFrame(p, v4.guest, v4.gateway, 1, Uint8Array.of(8, 0, 0xf7, 0xff, 0, 0, 0, 0)),
      ipFrame(p, p.v6!.guest, p.v6!.gateway, 58, Uint8Array.of(135, 0, 0, 0, 0, 0, 0, 0)),
    ];
    let thrown: unknown = null;
    for (let i = 0; i < 20_000; i++) {
      const kind = rnd();
      let f: Uint8Array;
      if (kind < 0.2) {
        f = randomBytes(Math.floor(rnd() * 200));
      } else {
        f = Uint8Array.from(seeds[Math.floor(rnd() * seeds.length)]!);
        const flips = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < flips; k++) f[Math.floor(rnd() * f.length)] = Math.floor(rnd() * 256);
        if (rnd() < 0.3) f = f.subarray(0, Math.floor(rnd() * f.length));
      }
      try {
        h.link.injectNow(f);
      } catch (e) {
        thrown = e;
      }
    }
    expect(thrown).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.stack.stats().dropped.exception).toBeUndefined();
    // Still serving: a fresh flow works.
    const g2 = h.tcp({ srcPort: 44002, dstPort: srv.port });
    g2.connect();
    await g2.until(() => g2.state === "established");
  });
});
