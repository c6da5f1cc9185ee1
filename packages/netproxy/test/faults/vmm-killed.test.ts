/**
 * "QEMU killed": the guest's VMM dies with SIGKILL in the middle of bulk flows on the real
 * stream transport (`stream:unix:PATH`, what QEMU's `-netdev stream` connects to). A child process
 * plays the VMM (it owns the unix connection and relays frames for emulated guest TCP endpoints
 * in this process). When it is killed, netproxy must close every upstream socket, report closed,
 * and leak no descriptor. The same fault with a real QEMU guest in the netns world is
 * packages/vmm-qemu/test/e2e/qemu-killed.test.ts; this stand-in adds what a real guest cannot
 * control as precisely (a frozen VMM, exact flow sizes, descriptors of an in-process netproxy).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startNetproxy } from "../../src/main.js";
import { encodeStreamFrame, StreamDecoder } from "../../src/transport/stream-codec.js";
import { GuestTcp, parseRx } from "../stack/helpers/guest.js";
import { loopbackServer, waitFor } from "../stack/helpers/harness.js";
import type { MemoryLink } from "../stack/helpers/link.js";
import { fdCount, retainedMiB, sleep } from "../adversarial/helpers.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The fake VMM: connects to netproxy's unix socket and relays stdin → socket → stdout. */
const VMM = `const s = require("node:net").connect(process.argv[1]); process.stdin.pipe(s); s.pipe(process.stdout); s.on("error", () => process.exit(3));`;

/** Start netproxy on stream:unix with a fake VMM child and emulated guests behind it. */
async function vmmWorld(srvPort: number) {
  const dir = mkdtempSync(join(tmpdir(), "np-vmm-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    preset: "public-only",
    policy: {
      default_egress: "deny",
      default_ingress: "allow",
      rules: [{ direction: "egress", destination: { group: "host" }, protocols: ["tcp"], ports: [{ start: srvPort, end: srvPort }], action: "allow" }],
    },
  };
  const path = join(dir, "np.sock");
  const np = await startNetproxy({ config, listen: `stream:unix:${path}` });
  cleanups.push(() => np.close());
  const vmm = spawn(process.execPath, ["-e", VMM, path], { stdio: ["pipe", "pipe", "inherit"] });
  cleanups.push(() => {
    vmm.kill("SIGCONT");
    vmm.kill("SIGKILL");
  });
  vmm.stdin.on("error", () => {});
  await np.attached;
  const link = { inject: (f: Uint8Array) => void vmm.stdin.write(encodeStreamFrame(f)) } as unknown as MemoryLink;
  const plan = np.addresses;
  const guests = new Map<number, GuestTcp>();
  const dec = new StreamDecoder({
    frame: (f) => {
      const rx = parseRx(Uint8Array.from(f));
      if (rx.tcp) guests.get(rx.tcp.dstPort)?.input(rx.tcp);
    },
  });
  vmm.stdout.on("data", (c: Buffer) => dec.push(c));
  const guest = (srcPort: number): GuestTcp => {
    const g = new GuestTcp(link, plan, { src: plan.v4!.guest, dst: plan.v4!.gateway, srcPort, dstPort: srvPort, window: 1 << 20, windowScale: 7 });
    guests.set(srcPort, g);
    cleanups.push(() => g.dispose());
    return g;
  };
  return { np, vmm, guest };
}

describe("the VMM stops reading (SIGSTOP) while upstreams push data", () => {
  it("8 downloads of 16 MiB: the proxy's memory stays bounded while the VMM is frozen, and every byte arrives after it resumes", async () => {
    const blob = randomBytes(16 << 20);
    const srv = await loopbackServer((s) => {
      s.on("error", () => {});
      s.end(blob);
    });
    cleanups.push(srv.close);
    const base = await retainedMiB();
    const { vmm, guest } = await vmmWorld(srv.port);
    const gs = Array.from({ length: 8 }, (_, i) => guest(51000 + i));
    for (const g of gs) g.connect();
    for (const g of gs) await g.until(() => g.receivedLen > 128 * 1024, 20_000);
    vmm.kill("SIGSTOP");
    await sleep(3000);
    // Frozen: the TX queue towards the VMM is bounded and every flow's upstream reading paused.
    const held = (await retainedMiB()) - base;
    expect(held).toBeLessThan(8 * 2 + 48); // per flow: send + receive buffers (1 MiB each); plus the stream link queue
    vmm.kill("SIGCONT");
    for (const g of gs) await g.until(() => g.peerFin, 60_000);
    for (const g of gs) expect(g.data().equals(blob)).toBe(true);
  }, 90_000);
});

describe("the VMM is killed mid-flow (stream:unix transport)", () => {
  it("SIGKILL of the VMM with 8 bulk flows: netproxy closes every upstream socket, reports closed, leaks no descriptor", async () => {
    const upstream: { sock: net.Socket; closed: boolean }[] = [];
    const srv = await loopbackServer((s) => {
      const c = { sock: s, closed: false };
      upstream.push(c);
      s.on("close", () => (c.closed = true));
      s.on("data", () => {});
      s.write(randomBytes(4 << 20));
    });
    cleanups.push(srv.close);
    const fds0 = fdCount();
    const { np, vmm, guest } = await vmmWorld(srv.port);
    const guests = Array.from({ length: 8 }, (_, i) => guest(50000 + i));
    for (const g of guests) g.connect();
    for (const g of guests) await g.until(() => g.state === "established", 10_000);
    for (const g of guests) g.write(randomBytes(1 << 20));
    for (const g of guests) await g.until(() => g.receivedLen > 256 * 1024, 20_000);
    expect(upstream.length).toBe(8);
    expect(upstream.every((u) => !u.closed)).toBe(true);
    // The VMM dies without any goodbye.
    vmm.kill("SIGKILL");
    const cause = await Promise.race([np.closed, sleep(10_000).then(() => "still running" as const)]);
    expect(cause).not.toBe("still running");
    await waitFor(() => upstream.every((u) => u.closed), 10_000, "every upstream socket closed");
    for (const g of guests) g.dispose();
    await waitFor(() => fdCount() <= fds0, 10_000, "descriptors back to where they were");
  }, 60_000);
});
