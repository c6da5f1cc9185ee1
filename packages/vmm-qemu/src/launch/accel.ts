/**
 * Choosing the accelerator: KVM only when it demonstrably works (a brief trial boot of the
 * firmware with `-cpu host` must reach its boot menu), TCG otherwise. `/dev/kvm` can exist and
 * still be unusable (an MSR write aborts QEMU, or SeaBIOS hangs).
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { QemuLaunchError } from "./binary.js";

/** Accelerator request: `auto` probes KVM and falls back to TCG. */
export type AccelRequest = "auto" | "kvm" | "tcg";

/** Result of a KVM probe. */
export interface KvmProbe {
  /** True when a KVM guest with `-cpu host` reached the firmware's boot stage. */
  usable: boolean;
  /** Why KVM is not usable (empty when usable). */
  reason: string;
}

const probeCache = new Map<string, Promise<KvmProbe>>();

/**
 * Try KVM for real: run the x86 firmware under `-accel kvm -cpu host` for up to `timeoutMs` and
 * watch its debug console for "Booting from" / "No bootable device". Cached per QEMU binary.
 */
export function probeKvm(qemu: string, timeoutMs = 3000): Promise<KvmProbe> {
  let p = probeCache.get(qemu);
  if (!p) {
    p = runProbe(qemu, timeoutMs);
    probeCache.set(qemu, p);
  }
  return p;
}

function runProbe(qemu: string, timeoutMs: number): Promise<KvmProbe> {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch (err) {
    return Promise.resolve({ usable: false, reason: `/dev/kvm is not accessible (${(err as NodeJS.ErrnoException).code ?? "error"})` });
  }
  return new Promise((resolve) => {
    const args = ["-accel", "kvm", "-machine", "q35", "-cpu", "host", "-nodefaults", "-display", "none", "-no-reboot", "-m", "64"];
    args.push("-chardev", "stdio,id=dbg", "-device", "isa-debugcon,iobase=0x402,chardev=dbg");
    // no core file when QEMU aborts on a broken KVM (it does: an assertion after a failed MSR write)
    const child = spawn("/bin/sh", ["-c", 'ulimit -c 0; exec "$0" "$@"', qemu, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let done = false;
    const finish = (r: KvmProbe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ usable: false, reason: `a KVM guest with -cpu host did not reach the firmware's boot stage within ${timeoutMs} ms (hangs)` }),
      timeoutMs,
    );
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      if (/Booting from|No bootable device/.test(out)) finish({ usable: true, reason: "" });
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e) => finish({ usable: false, reason: `cannot run ${qemu}: ${e.message}` }));
    child.on("exit", (code, signal) =>
      finish({ usable: false, reason: `QEMU with -accel kvm -cpu host exited (${signal ?? code}): ${err.trim().split("\n").slice(-2).join(" ") || "no message"}` }),
    );
  });
}

/** The accelerator to use: `{accel, cpu}` arguments plus why KVM was not chosen. */
export interface AccelChoice {
  accel: "kvm" | "tcg";
  /** Arguments for QEMU (`-accel ...`, `-cpu ...`). */
  args: string[];
  /** When TCG was chosen under `auto`, why KVM was not used. */
  kvmReason?: string;
}

/** Resolve an accelerator request. `kvm` fails with the probe's reason when KVM does not work. */
export async function chooseAccel(qemu: string, request: AccelRequest, arch: string): Promise<AccelChoice> {
  const tcg: AccelChoice = { accel: "tcg", args: ["-accel", "tcg", ...(arch === "aarch64" ? ["-cpu", "max"] : [])] };
  if (request === "tcg") return tcg;
  if (arch !== "x86_64") {
    if (request === "kvm") throw new QemuLaunchError(`KVM probing is implemented for x86_64 guests only (arch ${arch})`);
    return { ...tcg, kvmReason: `no KVM probe for arch ${arch}` };
  }
  const probe = await probeKvm(qemu);
  if (probe.usable) return { accel: "kvm", args: ["-accel", "kvm", "-cpu", "host"] };
  if (request === "kvm") throw new QemuLaunchError(`KVM was requested but does not work: ${probe.reason}`);
  return { ...tcg, kvmReason: probe.reason };
}
