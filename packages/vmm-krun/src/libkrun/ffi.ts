/**
 * Executes a libkrun call plan through koffi. Only ever used inside the dedicated child process
 * (`child.ts`): `krun_start_enter` takes over the process and never returns on success.
 */
import { createRequire } from "node:module";
import { KRUN_SIGNATURES, type KrunFn, type PlanArg, type PlanCall, type ArgKind } from "./signatures.js";

/** Progress of a plan, reported by the executor. */
export type ExecEvent =
  | { event: "call"; fn: KrunFn; rc: number }
  | { event: "entering" }
  | { event: "error"; message: string; fn?: KrunFn; rc?: number };

type Koffi = typeof import("koffi");

function loadKoffi(): Koffi {
  const require = createRequire(import.meta.url);
  try {
    return require("koffi") as Koffi;
  } catch (e) {
    throw new Error(`koffi (an optional dependency of @sandbox/vmm-krun) is not installed: ${(e as Error).message}`);
  }
}

function convert(kind: ArgKind, v: PlanArg): unknown {
  switch (kind) {
    case "strv":
      return v === null ? null : [...(v as string[]), null];
    case "mac":
      return Buffer.from(v as number[]);
    default:
      return v;
  }
}

/**
 * Run `calls` against the libkrun at `libraryPath`, reporting each step. Stops at the first call
 * returning a negative value (`<fn> failed: <rc>`). Returns only if `krun_start_enter` returns
 * (which libkrun does only on failure) or a call fails. `opts.ctx` is the context id for plans
 * that do not start with `krun_create_ctx`.
 */
export function executePlan(libraryPath: string, calls: PlanCall[], report: (e: ExecEvent) => void, opts: { ctx?: number } = {}): void {
  const koffi = loadKoffi();
  let lib;
  try {
    lib = koffi.load(libraryPath);
  } catch (e) {
    report({ event: "error", message: `cannot load libkrun from ${libraryPath}: ${(e as Error).message}` });
    return;
  }
  let ctx = opts.ctx ?? -1;
  for (const call of calls) {
    const sig = KRUN_SIGNATURES[call.fn];
    let f;
    try {
      f = lib.func(sig.proto);
    } catch (e) {
      report({ event: "error", fn: call.fn, message: `${libraryPath} lacks ${call.fn}: ${(e as Error).message}` });
      return;
    }
    const args = call.args.map((a, i) => convert(sig.args[i]!, a));
    if (sig.ctx) args.unshift(ctx);
    if (call.fn === "krun_start_enter") report({ event: "entering" });
    const rc = f(...args) as number;
    report({ event: "call", fn: call.fn, rc });
    if (call.fn === "krun_create_ctx") {
      if (rc < 0) {
        report({ event: "error", fn: call.fn, rc, message: `krun_create_ctx failed: ${rc}` });
        return;
      }
      ctx = rc;
      continue;
    }
    if (rc < 0) {
      report({ event: "error", fn: call.fn, rc, message: `${call.fn} failed: ${rc}` });
      return;
    }
  }
}
