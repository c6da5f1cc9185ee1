/** TCP termination against real loopback servers: handshake, bulk data both ways, half-close. */
import { createHash, randomBytes } from "node:crypto";
import type * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { harness, loopbackServer, type Harness } from "./helpers/harness.js";
import { isV4, testPolicy } from "./helpers/policy.js";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

let h: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const c of cleanups.splice(0)) await c();
});

const gatewayOnly = () => testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") });

describe("tcp handshake and data", () => {
  it("completes the handshake only after the upstream accepted, with MSS/WS/SACK options", async () => {
    const srv = await loopbackServer((s) => s.end());
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 40000, dstPort: srv.port, windowScale: 7, sackPermitted: true });
    g.connect();
    await g.until(() => g.state === "established");
    expect(srv.connections).toBe(1);
    const synAck = g.segmentsIn[0]!;
    expect(synAck.options.mss).toBe(1460);
    expect(synAck.options.sackPermitted).toBe(true);
    expect(synAck.options.windowScale).toBeGreaterThan(0);
    await g.until(() => g.peerFin);
  });

  it("does not offer window scaling or SACK when the guest did not", async () => {
    const srv = await loopbackServer((s) => s.end());
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 40001, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    const synAck = g.segmentsIn[0]!;
    expect(synAck.options.windowScale).toBeUndefined();
    expect(synAck.options.sackPermitted).toBeUndefined();
  });

  it("moves 8 MiB each way intact (sha256) and half-closes both ways", async () => {
    const up = randomBytes(8 << 20);
    const down = randomBytes(8 << 20);
    let serverGot: Buffer[] = [];
    let serverDone!: () => void;
    const serverEnded = new Promise<void>((r) => (serverDone = r));
    const srv = await loopbackServer((s: net.Socket) => {
      serverGot = [];
      s.on("data", (d) => serverGot.push(d));
      s.on("end", () => serverDone());
      s.end(down);
    });
    cleanups.push(srv.close);
    h = await harness({ policy: gatewayOnly() });
    const g = h.tcp({ srcPort: 40002, dstPort: srv.port, windowScale: 7, window: 4 << 20, sackPermitted: true, mss: 1460 });
    g.connect();
    await g.until(() => g.state === "established");
    g.write(up);
    g.end();
    await g.until(() => g.peerFin, 30_000);
    await serverEnded;
    expect(sha(g.data())).toBe(sha(down));
    expect(sha(Buffer.concat(serverGot))).toBe(sha(up));
    await g.until(() => g.finAcked);
  });
});
