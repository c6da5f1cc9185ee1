/**
 * The model of libkrun's argument checks (`upstreamResult`) against the library itself: a matrix
 * of `krun_add_net_*` calls (path/fd, feature bits, flag bits) executed through the koffi executor
 * in-process (no `krun_start_enter`), each on a fresh context. Runs against the recorder always,
 * and against a real libkrun too when one is installed (`findLibkrun` without $SANDBOX_LIBKRUN).
 */
import { describe, expect, it } from "vitest";
import { executePlan, type ExecEvent } from "../src/libkrun/ffi.js";
import { upstreamResult, type NetCall } from "../src/libkrun/plan.js";
import { findLibkrun } from "../src/libkrun/find.js";
import { buildRecorder, haveGcc } from "./helpers/recorder.js";

let real: string | null = null;
try {
  real = findLibkrun({});
} catch {
  real = null;
}

function matrix(): NetCall[] {
  const out: NetCall[] = [];
  for (const fn of ["krun_add_net_unixstream", "krun_add_net_unixgram"] as const) {
    for (const [c_path, fd] of [["/tmp/x.sock", -1], ["/tmp/x.sock", -7], ["", -1], ["", 3], ["/tmp/x.sock", 3]] as const) {
      for (const features of [0, 1, 0x4c83, 0x5d83, 0x5d83 | (1 << 5), 1 << 31 >>> 0]) {
        for (const flags of [0, 1, 2, 3, 4]) out.push({ fn, c_path, fd, mac: "02:00:00:00:00:01", features, flags });
      }
    }
  }
  return out;
}

function run(lib: string, call: NetCall): number {
  const events: ExecEvent[] = [];
  executePlan(
    lib,
    [
      { fn: "krun_create_ctx", args: [] },
      // fd mode with an empty path means c_path = NULL, as a C caller would pass it.
      { fn: call.fn, args: [call.c_path === "" ? null : call.c_path, call.fd, [2, 0, 0, 0, 0, 1], call.features, call.flags] },
      { fn: "krun_free_ctx", args: [] },
    ],
    (e) => events.push(e),
  );
  const add = events.find((e): e is Extract<ExecEvent, { event: "call" }> => e.event === "call" && e.fn === call.fn);
  expect(add, JSON.stringify(events)).toBeDefined();
  if (add!.rc < 0) {
    // The executor stopped at the failing call; free the context it left behind.
    const created = events.find((e): e is Extract<ExecEvent, { event: "call" }> => e.event === "call" && e.fn === "krun_create_ctx")!;
    executePlan(lib, [{ fn: "krun_free_ctx", args: [] }], () => {}, { ctx: created.rc });
  }
  return add!.rc;
}

const libs: [string, () => string][] = [];
if (haveGcc()) libs.push(["recorder", buildRecorder]);
if (real) libs.push([`real libkrun at ${real}`, () => real!]);

describe.each(libs)("upstreamResult agrees with %s", (_name, get) => {
  it("on every call of the matrix", () => {
    const lib = get();
    const mismatches = matrix()
      .map((c) => ({ c, want: upstreamResult(c), got: run(lib, c) }))
      .filter((x) => x.want !== x.got)
      .map((x) => `${JSON.stringify(x.c)}: model ${x.want}, library ${x.got}`);
    expect(mismatches).toEqual([]);
  }, 60_000);
});
