/**
 * Starts a libkrun VM in a dedicated child process (libkrun's `krun_start_enter` takes over the
 * calling process and never returns). The plan is validated in the parent first (nothing starts
 * when it is refused), then executed in the child through koffi; the child reports each call's
 * return value on fd 3 and is killed if this process dies (setpriv --pdeathsig when available).
 */
import { spawn, type StdioOptions } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { findLibkrun } from "./find.js";
import { planVm, type KrunPlan, type KrunVmNetwork, type KrunVmSpec } from "./vm-plan.js";
import type { ExecEvent } from "./ffi.js";
import type { ChildPlan } from "./child.js";

/** How one of the VM process's standard streams is wired. */
export type StdioName = "ignore" | "inherit" | "pipe";

/** Options of {@link startKrunVm}. */
export interface StartKrunOptions {
  /** libkrun shared library; default `findLibkrun()` ($SANDBOX_LIBKRUN, then the library dirs). */
  library?: string;
  /** stdin/stdout/stderr of the VM process (its console); default inherit. */
  stdio?: [StdioName, StdioName, StdioName];
  /** Extra environment for the VM process (for example TMPDIR, where libkrun binds unixgram sockets). */
  env?: Record<string, string>;
  /** Receives plan warnings (TSI egress is unfiltered); default `process.emitWarning`. */
  onWarning?: (warning: string) => void;
}

/** A running (or starting) libkrun VM. */
export interface KrunVmHandle {
  /** PID of the VM process. */
  readonly pid: number;
  /** The validated plan being executed. */
  readonly plan: KrunPlan;
  /** Every event the child reported so far. */
  readonly events: ExecEvent[];
  /** Resolves once every configuration call succeeded and `krun_start_enter` is being entered; rejects with `<fn> failed: <rc>` otherwise. */
  readonly started: Promise<void>;
  /** Resolves when the VM process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The VM process's stdout (guest console) when `stdio[1]` is "pipe". */
  readonly stdout: Readable | null;
  /** The VM process's stderr (libkrun's log) when `stdio[2]` is "pipe". */
  readonly stderr: Readable | null;
  /** Send a signal (default SIGTERM) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function childCommand(): { args: string[] } {
  const js = new URL("./child.js", import.meta.url);
  if (existsSync(fileURLToPath(js))) return { args: [fileURLToPath(js)] };
  const ts = fileURLToPath(new URL("./child.ts", import.meta.url));
  const require = createRequire(import.meta.url);
  const loader = pathToFileURL(require.resolve("tsx")).href;
  return { args: ["--conditions=@sandbox/source", "--import", loader, ts] };
}

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/**
 * Validate and start a VM.
 * @throws KrunRefusedError when libkrun or the guest would reject the configuration (nothing started).
 * @throws LibkrunNotFoundError when no libkrun is available.
 */
export function startKrunVm(vm: KrunVmSpec, network: KrunVmNetwork, opts: StartKrunOptions = {}): KrunVmHandle {
  const plan = planVm(vm, network);
  const warn = opts.onWarning ?? ((w: string) => process.emitWarning(w, { code: "SANDBOX_KRUN_TSI" }));
  plan.warnings.forEach(warn);
  const library = opts.library ?? findLibkrun();
  const message: ChildPlan = { library, calls: plan.calls };
  const { args } = childCommand();
  const [cmd, argv] = SETPRIV
    ? [SETPRIV, ["--pdeathsig", "SIGKILL", "--", process.execPath, ...args]]
    : [process.execPath, args];
  const stdio = opts.stdio ?? ["ignore", "inherit", "inherit"];
  const child = spawn(cmd, argv, {
    stdio: [stdio[0], stdio[1], stdio[2], "pipe"] as StdioOptions,
    env: { ...process.env, ...opts.env, SANDBOX_KRUN_PLAN: JSON.stringify(message) },
  });
  const events: ExecEvent[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const started = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    const status = child.stdio[3] as Readable;
    createInterface({ input: status }).on("line", (line) => {
      let e: ExecEvent;
      try {
        e = JSON.parse(line) as ExecEvent;
      } catch {
        return;
      }
      events.push(e);
      if (e.event === "entering") resolve();
      if (e.event === "error") reject(new Error(e.message));
    });
    void exited.then(({ code, signal }) => reject(new Error(`libkrun child exited before starting the VM (code ${code}, signal ${signal})`)));
  });
  started.catch(() => {});
  return {
    pid: child.pid ?? -1,
    plan,
    events,
    started,
    exited,
    stdout: child.stdout,
    stderr: child.stderr,
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
