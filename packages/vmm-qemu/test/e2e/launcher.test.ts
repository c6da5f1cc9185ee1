/**
 * Launcher tests with real QEMU processes: clear errors for a missing QEMU, kernel or KVM; a clean
 * stop; and no QEMU left behind when the parent process is killed.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { gzipReproducible, probeKvm, QemuLaunchError, startVm, which, writeCpio } from "../../src/index.js";
import { bootSectorDisk, guestOrReason, requireE2E } from "./harness.js";

const reason = guestOrReason().reason;
if (reason && requireE2E) throw new Error(`launcher tests cannot run: ${reason}`);
const busybox = which("busybox");
const pkgDir = fileURLToPath(new URL("../../", import.meta.url));

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("launcher errors", () => {
  it("names a missing QEMU binary", async () => {
    await expect(startVm({ boot: { kernel: "/nonexistent" }, qemu: "/nonexistent/qemu-system-x86_64" })).rejects.toThrow(
      /QEMU not found: `\/nonexistent\/qemu-system-x86_64` is not an executable/,
    );
  });
  it.skipIf(!which("qemu-system-x86_64"))("names a missing kernel", async () => {
    const err = await startVm({ boot: { kernel: "/nonexistent/vmlinuz" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QemuLaunchError);
    expect((err as Error).message).toMatch(/kernel not found: \/nonexistent\/vmlinuz; build the test guest/);
  });
  it.skipIf(!which("qemu-system-x86_64"))("uses KVM only when a trial boot works, and says why not", async () => {
    const probe = await probeKvm(which("qemu-system-x86_64")!);
    const image = guestOrReason().image;
    if (!image) return;
    if (probe.usable) {
      const vm = await startVm({ boot: { kernel: image.kernel, initrd: image.initrd }, accel: "kvm", network: { network_mode: "none" } });
      expect(vm.accel).toBe("kvm");
      await vm.stop();
    } else {
      expect(probe.reason).not.toBe("");
      await expect(startVm({ boot: { kernel: image.kernel, initrd: image.initrd }, accel: "kvm" })).rejects.toThrow(/KVM was requested but does not work: /);
    }
  });
});

describe.skipIf(reason !== undefined)("launcher lifecycle", () => {
  it("refuses microvm without KVM, saying why", async () => {
    const image = guestOrReason().image!;
    const probe = await probeKvm(which("qemu-system-x86_64")!);
    if (probe.usable) return; // microvm is allowed with KVM
    await expect(startVm({ boot: { kernel: image.kernel, initrd: image.initrd }, network: { machine: "microvm", network_mode: "none" } })).rejects.toThrow(
      /machine "microvm" needs KVM .*use machine "q35" or "pc"/,
    );
  });

  it("reports QEMU's own start-up error (a forwarded host port already taken)", async () => {
    const image = guestOrReason().image!;
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    try {
      const vm = await startVm({ boot: { kernel: image.kernel, initrd: image.initrd }, network: { network_mode: "full", port_forwards: [{ host: port, guest: 80 }] } });
      await expect(vm.ready(30_000)).rejects.toThrow(new RegExp(`QEMU exited \\(code 1\\) before the guest's "@@sandbox ready" line[\\s\\S]*Could not set up host forwarding rule 'tcp:127.0.0.1:${port}-:80'`));
    } finally {
      taken.close();
    }
  });

  it("reports readiness, captures the console, stops cleanly", async () => {
    const image = guestOrReason().image!;
    // the scenario travels on the kernel command line here (the path for VMMs without fw_cfg)
    const b64 = Buffer.from("echo scenario-says-hi; sleep 300\n").toString("base64");
    const pidfile = join(mkdtempSync(join(tmpdir(), "vmq-pid-")), "qemu.pid");
    const vm = await startVm({
      boot: { kernel: image.kernel, initrd: image.initrd, append: `console=ttyS0 quiet loglevel=1 panic=-1 sandbox.scenario_b64=${b64}` },
      network: { network_mode: "none" },
      pidfile,
    });
    await vm.ready(60_000);
    await vm.waitForLine(/scenario-says-hi/, 10_000);
    expect(vm.lines.some((l) => l.includes("@@sandbox boot"))).toBe(true);
    const pid = vm.pid!;
    expect(Number(readFileSync(pidfile, "utf8").trim())).toBe(pid); // setpriv execs QEMU: same pid
    const exit = await vm.stop();
    expect(exit.signal === "SIGTERM" || exit.code === 0).toBe(true);
    expect(alive(pid)).toBe(false);
  }, 90_000);

  it.skipIf(busybox === undefined && !requireE2E)("boots a user's own kernel + initrd the same way (custom init, own ready line)", async () => {
    const image = guestOrReason().image!;
    const dir = mkdtempSync(join(tmpdir(), "own-initrd-"));
    const init = "#!/bin/busybox sh\n/bin/busybox echo my-own-guest-up\n/bin/busybox poweroff -f\n";
    const initrd = gzipReproducible(
      writeCpio([
        { path: "/bin", kind: "dir" },
        { path: "/bin/busybox", kind: "file", data: readFileSync(busybox!), mode: 0o755 },
        { path: "/dev", kind: "dir" },
        { path: "/dev/console", kind: "chardev", major: 5, minor: 1 },
        { path: "/init", kind: "file", data: Buffer.from(init), mode: 0o755 },
      ]),
    );
    writeFileSync(join(dir, "initrd.gz"), initrd);
    const vm = await startVm({ boot: { kernel: image.kernel, initrd: join(dir, "initrd.gz"), append: "console=ttyS0 quiet panic=-1" }, network: { network_mode: "none" } });
    await vm.waitForLine(/my-own-guest-up/, 60_000);
    expect((await vm.exited).code).toBe(0); // the guest powered off; -no-reboot makes QEMU exit
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it("policy mode with a unix path: QEMU 7.2 accepts the -netdev stream syntax and connects at start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmq-unix-"));
    const disk = bootSectorDisk(dir);
    const server = createServer();
    const sock = join(dir, "frames.sock");
    await new Promise<void>((r) => server.listen(sock, r));
    const connected = new Promise<void>((r) => server.once("connection", () => r()));
    const vm = await startVm({ boot: { disk }, network: { network_mode: "policy", frame_transport: { unix_path: sock } } });
    try {
      expect(vm.argv).toContain(`stream,id=net0,server=off,addr.type=unix,addr.path=${sock}`);
      await Promise.race([connected, vm.exited.then(() => Promise.reject(new Error(`QEMU exited: ${vm.stderr}`)))]);
    } finally {
      await vm.stop();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("boots a disk image through the firmware (boot sector printing to COM1)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "own-disk-"));
    bootSectorDisk(dir);
    const vm = await startVm({ boot: { disk: join(dir, "disk.img") }, network: { network_mode: "none" }, consoleLog: join(dir, "console.log") });
    try {
      await vm.waitForLine(/disk-boot-ok/, 60_000);
      expect(readFileSync(join(dir, "console.log"), "utf8")).toContain("disk-boot-ok\n");
      expect(vm.argv).toContain(`file=${join(dir, "disk.img")},if=virtio,format=raw`);
    } finally {
      await vm.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("never leaves QEMU behind when the parent is SIGKILLed", async () => {
    // node itself (not the tsx wrapper, which would leave its node child alive) is the parent
    const child = spawn(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", `${pkgDir}test/fixtures/orphan.ts`], {
      cwd: pkgDir,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        if (buf.includes("\n")) resolve(buf.split("\n")[0]!);
      });
      child.on("exit", (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(alive(pid)).toBe(true);
    child.kill("SIGKILL");
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  }, 60_000);
});
