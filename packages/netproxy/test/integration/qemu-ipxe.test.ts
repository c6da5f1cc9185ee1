/**
 * Real QEMU against the transports: QEMU 7.2+ boots only its iPXE virtio-net ROM (`-boot n`, TCG,
 * no guest image), whose DHCP client must complete a lease against netproxy's stack, once over
 * `-netdev dgram` (unix datagram, through the native helper) and once over `-netdev stream`
 * (QEMU connecting to our unix listener).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startNetproxy, type Netproxy } from "../../src/main.js";

const qemu = spawnSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" });
const reason = qemu.status === 0 ? null : "qemu-system-x86_64 is not installed";
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but the QEMU tests cannot run: ${reason}`);

const CONFIG = { preset: "public-only", interface: { ipv4_address: "192.168.127.2/24" } };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function mac(np: Netproxy): string {
  return Array.from(np.addresses.guestMac, (x) => x.toString(16).padStart(2, "0")).join(":");
}

function runQemu(netdev: string, np: Netproxy): ChildProcess {
  const child = spawn(
    "qemu-system-x86_64",
    ["-nodefaults", "-display", "none", "-machine", "q35", "-accel", "tcg", "-m", "128", "-boot", "n", "-netdev", netdev, "-device", `virtio-net-pci,netdev=n0,mac=${mac(np)}`],
    { stdio: "ignore" },
  );
  cleanups.push(() => {
    child.kill("SIGKILL");
  });
  return child;
}

async function expectLease(np: Netproxy) {
  await expect.poll(() => np.stats().counters.dhcp_leases ?? 0, { timeout: 60_000, interval: 250 }).toBeGreaterThan(0);
  expect(np.stats().link.rx_frames).toBeGreaterThan(1);
}

describe.skipIf(reason !== null)("QEMU + iPXE against netproxy", () => {
  it("completes DHCP over -netdev dgram (unix datagram with peer locking)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-qemu-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const np = await startNetproxy({ config: CONFIG, listen: `dgram:unix:${join(dir, "np.sock")}` });
    cleanups.push(() => np.close());
    await np.attached;
    runQemu(`dgram,id=n0,local.type=unix,local.path=${join(dir, "qemu.sock")},remote.type=unix,remote.path=${join(dir, "np.sock")}`, np);
    await expectLease(np);
  }, 90_000);

  it("completes DHCP over -netdev stream,server=on (we connect, retrying until QEMU listens)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-qemu-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "qemu.sock");
    const np = await startNetproxy({ config: CONFIG, listen: `stream:connect:unix:${path}` });
    cleanups.push(() => np.close());
    runQemu(`stream,id=n0,server=on,addr.type=unix,addr.path=${path}`, np);
    await np.attached;
    await expectLease(np);
  }, 90_000);

  it("completes DHCP over -netdev stream (QEMU connects to our unix listener)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-qemu-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const np = await startNetproxy({ config: CONFIG, listen: `stream:unix:${join(dir, "np.sock")}` });
    cleanups.push(() => np.close());
    runQemu(`stream,id=n0,server=off,addr.type=unix,addr.path=${join(dir, "np.sock")}`, np);
    await np.attached;
    await expectLease(np);
  }, 90_000);
});
