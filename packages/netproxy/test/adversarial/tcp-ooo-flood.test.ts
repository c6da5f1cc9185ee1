/**
 * A guest flooding one TCP flow with tiny out-of-order segments (1 byte each, a 1-byte hole
 * between them, all inside the advertised 1 MiB window). The out-of-order store is bounded in
 * bytes, but each segment is a separate piece: without a bound on pieces, every insert rebuilt
 * the whole list (quadratic: 8,000 segments blocked the event loop ~19 s, stalling every flow),
 * and per-piece overhead made the "1 MiB" store cost ~280 bytes per byte held. The store must stay
 * cheap per segment and bounded, and the flow must still deliver correct data afterwards.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { TCP_FLAG } from "../../src/frame/tcp.js";
import { ipFrame, tcpL4 } from "../stack/helpers/guest.js";
import { loopbackServer, waitFor } from "../stack/helpers/harness.js";
import { isV4, testPolicy } from "../stack/helpers/policy.js";
import { retainedMiB } from "./helpers.js";
import { perTest } from "./per-test.js";

const { start, cleanups } = perTest();

describe("out-of-order segment flood", () => {
  it("20,000 one-byte segments with holes cost little time and memory, and the flow still delivers the right bytes", async () => {
    const got: Buffer[] = [];
    const srv = await loopbackServer((s) => s.on("data", (d: Buffer) => got.push(d)));
    cleanups.push(srv.close);
    const h = await start({ policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }) });
    const plan = h.stack.addresses;
    const src = plan.v4!.guest;
    const dst = plan.v4!.gateway;
    const g = h.tcp({ srcPort: 45600, dstPort: srv.port, window: 65535, windowScale: 7 });
    g.connect();
    await g.until(() => g.state === "established");
    await waitFor(() => srv.connections === 1);
    const isn = g.sndNxt;
    const seg = (off: number, payload: Uint8Array) =>
      ipFrame(plan, src, dst, IPPROTO.TCP, tcpL4(src, dst, { srcPort: 45600, dstPort: srv.port, seq: (isn + off) >>> 0, ack: g.rcvNxt, flags: TCP_FLAG.ACK, window: 65535 }, payload));
    const N = 20_000;
    // The stream the guest "means": byte k is (k * 7) & 0xff; the flood sends the odd bytes alone.
    const stream = Uint8Array.from({ length: 2 * N + 1 }, (_, k) => (k * 7) & 0xff);
    const base = await retainedMiB();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) h.link.injectNow(seg(1 + 2 * i, stream.subarray(1 + 2 * i, 2 + 2 * i)));
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 100)); // let the dup ACKs reach the emulated guest
    h.rx.length = 0; // (the harness keeps every frame it saw: not the stack's memory)
    g.segmentsIn.length = 0;
    const held = (await retainedMiB()) - base;
    expect(ms).toBeLessThan(8000); // was quadratic: minutes for 20,000 (about 0.7 s now)
    expect(held).toBeLessThan(8);
    // The guest fills everything in one segment: the upstream gets exactly the stream.
    h.link.injectNow(seg(0, stream));
    await waitFor(() => got.reduce((n, b) => n + b.length, 0) >= stream.length, 5000, "upstream bytes");
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    expect(sha(Buffer.concat(got))).toBe(sha(stream));
  }, 60_000);
});
