/**
 * `startKrunSandbox` with preset `none`: no provider is started, libkrun gets no NIC and TSI is
 * switched off (vsock without hijacking), so the guest has no network path at all.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startKrunSandbox } from "../src/provider/sandbox.js";
import { buildRecorder, haveGcc, readLog, requireOrSkip } from "./helpers/recorder.js";

describe.skipIf(!requireOrSkip(haveGcc(), "gcc (to build the libkrun recorder)"))("startKrunSandbox, preset none", () => {
  let lib = "";
  beforeAll(() => void (lib = buildRecorder()), 60_000);

  it("starts no provider and leaves the guest without any network", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "vmm-krun-none-"));
    const log = join(runDir, "calls.jsonl");
    let netproxyStarted = false;
    const sb = await startKrunSandbox({
      vm: { vcpus: 1, ramMib: 64, root: runDir },
      config: { preset: "none" },
      runDir,
      startNetproxy: async () => {
        netproxyStarted = true;
        throw new Error("must not be called");
      },
      krun: { library: lib, env: { KRUN_RECORDER_LOG: log } },
    });
    await sb.vm.started;
    await sb.vm.exited;
    expect(netproxyStarted).toBe(false);
    expect(sb.provider).toBeNull();
    expect(sb.annotations).toEqual({});
    const fns = readLog(log).map((c) => c.fn);
    expect(fns).toContain("krun_disable_implicit_vsock");
    expect(readLog(log).find((c) => c.fn === "krun_add_vsock")?.args.tsi_features).toBe(0);
    expect(fns.filter((f) => f.startsWith("krun_add_net") || f === "krun_set_port_map")).toEqual([]);
  });
});
