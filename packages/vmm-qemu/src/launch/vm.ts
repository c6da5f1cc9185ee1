/**
 * The QEMU launcher: builds the full argv (machine, accelerator, kernel/initrd or disk, console,
 * network), starts QEMU so that it dies with its parent (`setpriv --pdeathsig KILL`, plus a
 * pidfile and an exit hook), captures the serial console, reports readiness and stops cleanly.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { networkArgsFor, qemuOptEscape } from "../network/argv.js";
import type { QemuNetworkSettingsInput } from "../gen/index.js";
import { normalizeSettings, type Arch, type ResolvedQemuSettings } from "../network/settings.js";
import { chooseAccel, type AccelRequest } from "./accel.js";
import { findQemu, QemuLaunchError, which } from "./binary.js";
import { LineSplitter, parseGuestEvent, type GuestEvent } from "./console.js";

/** What to boot: a kernel (+ initrd), or a disk image booted by the firmware. */
export type BootSource = { kernel: string; initrd?: string; append?: string } | { disk: string; format?: "raw" | "qcow2" };

/** Options of {@link startVm}. */
export interface StartVmOptions {
  /** Kernel + initrd (e.g. the test guest from `buildGuest`) or a disk image. */
  boot: BootSource;
  /** Network settings (schemas/qemu.schema.json); `arch` and `machine` come from here. */
  network?: QemuNetworkSettingsInput;
  /** The sandbox policy for mode `policy` (the `none` preset attaches no NIC). */
  policy?: unknown;
  /** `auto` (default): KVM if it demonstrably works, else TCG. */
  accel?: AccelRequest;
  /** QEMU binary (default `qemu-system-<arch>` on PATH). */
  qemu?: string;
  /** Guest memory in MiB (default 256). */
  memoryMiB?: number;
  /** vCPUs (default 1). */
  cpus?: number;
  /** Scenario script for the test guest, handed in through fw_cfg `opt/sandbox/scenario`. */
  scenario?: string;
  /** Extra fw_cfg blobs: name (e.g. `opt/x`) to file path. */
  fwCfg?: Record<string, string>;
  /** Also write QEMU's pid to this file (it always writes one in its private work directory). */
  pidfile?: string;
  /** Extra QEMU arguments, appended last. */
  extraArgs?: string[];
  /** Called with every console line. */
  onLine?: (line: string) => void;
  /** Also append every console line to this file. */
  consoleLog?: string;
}

/** How QEMU ended. */
export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

/** A running QEMU guest. */
export class QemuVm {
  /** Console lines so far. */
  readonly lines: string[] = [];
  /** The test guest's report lines so far. */
  readonly events: GuestEvent[] = [];
  /** QEMU's stderr so far. */
  stderr = "";
  /** Resolves when QEMU has exited. */
  readonly exited: Promise<VmExit>;
  /** Set once QEMU has exited. */
  exit: VmExit | undefined;
  private waiters = new Set<() => void>();

  /** @internal use {@link startVm}. */
  constructor(
    readonly child: ChildProcess,
    /** Full QEMU argv (without the binary). */
    readonly argv: string[],
    /** The accelerator in use. */
    readonly accel: "kvm" | "tcg",
    /** Normalised network settings. */
    readonly network: ResolvedQemuSettings,
    /** Mode `policy` with an fd transport: the launcher's end of the socketpair QEMU streams frames on. */
    readonly frameSocket: Socket | undefined,
    private readonly workDir: string,
    /** Pidfile QEMU wrote. */
    readonly pidfile: string,
    onLine?: (line: string) => void,
  ) {
    const splitter = new LineSplitter((line) => {
      this.lines.push(line);
      const ev = parseGuestEvent(line);
      if (ev) this.events.push(ev);
      onLine?.(line);
      this.wake();
    });
    child.stdout?.on("data", (d: Buffer) => splitter.push(d));
    child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        splitter.end();
        live.delete(child);
        this.exit = { code, signal };
        rmSync(this.workDir, { recursive: true, force: true });
        this.wake();
        resolve(this.exit);
      });
    });
  }

  /** QEMU's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Wait until `test` holds on the state (checked at every console line or exit). Rejects on
   * timeout or when QEMU exits first, quoting the end of the console and stderr.
   */
  waitUntil<T>(test: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const r = test();
        if (r !== undefined) {
          cleanup();
          resolve(r);
        } else if (this.exit) {
          cleanup();
          reject(new QemuLaunchError(`QEMU exited (${this.exit.signal ?? `code ${this.exit.code}`}) before ${what}${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new QemuLaunchError(`timed out after ${timeoutMs} ms waiting for ${what}${this.tail()}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Wait for a console line matching `pattern`; resolves with the line. */
  waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    return this.waitUntil(() => this.lines.find((l) => pattern.test(l)), timeoutMs, `a console line matching ${pattern}`);
  }

  /** Wait for the test guest's report event `name` (e.g. `lease`, `ready`, `done`). */
  waitForEvent(name: string, timeoutMs = 60_000): Promise<GuestEvent> {
    return this.waitUntil(() => this.events.find((e) => e.event === name), timeoutMs, `the guest's "@@sandbox ${name}" line`);
  }

  /** Readiness of the test guest: its `@@sandbox ready` line (network configured, scenario about to run). */
  ready(timeoutMs = 60_000): Promise<GuestEvent> {
    return this.waitForEvent("ready", timeoutMs);
  }

  /** The `result` events reported so far, by name. */
  results(): Map<string, GuestEvent> {
    return new Map(this.events.filter((e) => e.event === "result").map((e) => [e.fields.name ?? "", e]));
  }

  private tail(): string {
    const con = this.lines.slice(-15).join("\n");
    const err = this.stderr.trim().split("\n").slice(-5).join("\n");
    return `${err ? `\n--- QEMU stderr ---\n${err}` : ""}${con ? `\n--- console (last lines) ---\n${con}` : ""}`;
  }

  /** Stop QEMU: SIGTERM (QEMU shuts down), SIGKILL after `graceMs`. Resolves once it has exited. */
  async stop(graceMs = 3000): Promise<VmExit> {
    if (this.exit) return this.exit;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const r = await this.exited;
    clearTimeout(timer);
    this.frameSocket?.destroy();
    return r;
  }
}

function machineArgs(s: ResolvedQemuSettings): string[] {
  if (s.machine === "microvm") return ["-machine", "microvm,isa-serial=on"];
  return ["-machine", s.machine];
}

/**
 * Start a QEMU guest. Resolves once QEMU is running (not yet ready: use `vm.ready()`); rejects
 * with {@link QemuLaunchError} when QEMU, the kernel/disk or (if requested) KVM is missing.
 */
export async function startVm(opts: StartVmOptions): Promise<QemuVm> {
  const network = normalizeSettings(opts.network ?? {});
  const arch: Arch = network.arch;
  const qemu = findQemu(arch, opts.qemu);
  const boot = opts.boot;
  const bootArgs: string[] = [];
  if ("kernel" in boot) {
    if (!existsSync(boot.kernel)) {
      throw new QemuLaunchError(`kernel not found: ${boot.kernel}; build the test guest with \`pnpm --filter @sandbox/vmm-qemu build-guest\` or pass your own kernel`);
    }
    if (boot.initrd !== undefined && !existsSync(boot.initrd)) throw new QemuLaunchError(`initrd not found: ${boot.initrd}`);
    const console = arch === "aarch64" ? "ttyAMA0" : "ttyS0";
    bootArgs.push("-kernel", boot.kernel, "-append", boot.append ?? `console=${console} quiet loglevel=1 panic=-1`);
    if (boot.initrd !== undefined) bootArgs.push("-initrd", boot.initrd);
  } else {
    if (!existsSync(boot.disk)) throw new QemuLaunchError(`disk image not found: ${boot.disk}`);
    bootArgs.push("-drive", `file=${qemuOptEscape(boot.disk)},if=virtio,format=${boot.format ?? "raw"}`);
  }
  const accel = await chooseAccel(qemu, opts.accel ?? "auto", arch);
  if (network.machine === "microvm" && accel.accel !== "kvm") {
    throw new QemuLaunchError(
      `machine "microvm" needs KVM (under TCG the guest never reaches its console); KVM is not used here${accel.kvmReason ? `: ${accel.kvmReason}` : ""}; use machine "q35" or "pc"`,
    );
  }

  const workDir = mkdtempSync(join(tmpdir(), "sandbox-qemu-"));
  const pidfile = opts.pidfile ?? join(workDir, "qemu.pid");
  const fw: string[] = [];
  if (opts.scenario !== undefined) {
    const p = join(workDir, "scenario.sh");
    writeFileSync(p, opts.scenario);
    fw.push("-fw_cfg", `name=opt/sandbox/scenario,file=${qemuOptEscape(p)}`);
  }
  for (const [name, file] of Object.entries(opts.fwCfg ?? {})) fw.push("-fw_cfg", `name=${qemuOptEscape(name)},file=${qemuOptEscape(file)}`);

  const argv = [
    "-nodefaults",
    "-no-reboot",
    ...machineArgs(network),
    ...accel.args,
    "-m",
    String(opts.memoryMiB ?? 256),
    "-smp",
    String(opts.cpus ?? 1),
    "-display",
    "none",
    "-serial",
    "stdio",
    "-pidfile",
    pidfile,
    ...bootArgs,
    ...networkArgsFor(network, { policy: opts.policy }),
    ...fw,
    ...(opts.extraArgs ?? []),
  ];

  const stdio: StdioOptions = ["ignore", "pipe", "pipe"];
  const fdTransport = network.network_mode === "policy" && "fd" in network.frame_transport ? network.frame_transport.fd : undefined;
  const wantsFrames = fdTransport !== undefined && argv.includes("-netdev");
  if (wantsFrames) {
    for (let i = 3; i < fdTransport; i++) stdio.push("ignore");
    stdio.push("pipe");
  }
  const setpriv = which("setpriv");
  const [cmd, args] = setpriv ? [setpriv, ["--pdeathsig", "KILL", "--", qemu, ...argv]] : [qemu, argv];
  const child = spawn(cmd, args, { stdio });
  installExitHook();
  live.add(child);
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (e) => {
      live.delete(child);
      rmSync(workDir, { recursive: true, force: true });
      reject(new QemuLaunchError(`cannot start ${cmd}: ${e.message}`));
    });
  });
  const frameSocket = wantsFrames ? (child.stdio[fdTransport] as Socket) : undefined;
  const log = opts.consoleLog;
  const onLine =
    log === undefined
      ? opts.onLine
      : (line: string): void => {
          appendFileSync(log, `${line}\n`);
          opts.onLine?.(line);
        };
  return new QemuVm(child, argv, accel.accel, network, frameSocket, workDir, pidfile, onLine);
}
