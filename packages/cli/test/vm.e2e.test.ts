/**
 * `sandbox demo` and `sandbox run` for real: QEMU guests behind netproxy, in network namespaces
 * this test builds (the demo builds its own). Skips without root, netns or QEMU, except under
 * SANDBOX_REQUIRE_E2E=1, where a skip is a failure.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canRunNetns, netnsUnavailableReason, spawnTestHost, Topology } from "@sandbox/netproxy";
import { which } from "@sandbox/vmm-qemu";
import { describe, expect, it } from "vitest";
import { cliCommand } from "../src/self.js";
import { sandbox } from "./helpers.js";

const reason =
  process.getuid?.() !== 0 ? "needs root" : !canRunNetns() ? `no network namespaces: ${netnsUnavailableReason()}` : !which("qemu-system-x86_64") ? "qemu-system-x86_64 is not installed" : undefined;
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`CLI VM end-to-end tests cannot run (SANDBOX_REQUIRE_E2E=1): ${reason}`);

describe.skipIf(reason !== undefined)(`sandbox demo and run on real VMs${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("demo: every check as expected, denied targets untouched", async () => {
    const r = await sandbox(["demo"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/demo: OK — 9 of 9 checks as expected/);
    expect(r.stdout).toMatch(/DENY\s+egress\s+tcp\s+172\.16\.0\.2:\d+ → 10\.77\.0\.10:80/);
    expect(r.stdout).not.toMatch(/NO \(\d+ hits\)/);
  }, 300_000);

  it("run: the command's output and exit status; a denied target sees nothing", async () => {
    const topo = new Topology("sbxrun");
    try {
      const np = await topo.netns("np");
      const pub = await topo.netns("pub");
      const priv = await topo.netns("priv");
      await topo.veth(np, "vp0", "203.0.113.1/24", pub, "vp1", "203.0.113.10/24");
      await topo.veth(np, "vq0", "10.77.0.1/24", priv, "vq1", "10.77.0.10/24");
      const publicHost = spawnTestHost(topo, pub, ["--http", "203.0.113.10:80:reached-public"]);
      const privateHost = spawnTestHost(topo, priv, ["--http", "10.77.0.10:80:reached-private"]);
      await Promise.all([publicHost.waitReady(), privateHost.waitReady()]);
      const dir = mkdtempSync(join(tmpdir(), "sandbox-run-test-"));
      const cfg = join(dir, "net.json");
      writeFileSync(cfg, JSON.stringify({ preset: "public-only" }));
      const command = "curl -sS -m 5 http://203.0.113.10/ && ! curl -sS -m 3 http://10.77.0.10/ 2>/dev/null && echo private-denied";
      const child = spawn("ip", ["netns", "exec", np, process.execPath, ...cliCommand(), "run", "--config", cfg, "--", command], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code, stdout + stderr).toBe(0);
      expect(stdout).toContain("reached-public");
      expect(stdout).toContain("private-denied");
      expect(stderr).toMatch(/netproxy: DENY\s+egress\s+tcp .*→ 10\.77\.0\.10:80/);
      expect(privateHost.count(() => true)).toBe(0);
      expect(publicHost.count((h) => h.hit === "http")).toBe(1);
    } finally {
      await topo.destroy();
    }
  }, 300_000);
});
