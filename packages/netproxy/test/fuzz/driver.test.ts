/**
 * The long-run driver (bench/fuzz/run.ts) itself: its watchdog turns an input that never returns
 * into a recorded hang (the child is killed), property violations are counted without stopping
 * the run, and pausing the driver's process group (SIGSTOP ... SIGCONT, for longer than the hang
 * limit) is not taken for a hang. Uses the driver's self-test targets and temporary results
 * directories.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const driver = fileURLToPath(new URL("../../../../bench/fuzz/run.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "fuzz-driver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bench/fuzz/run.ts", () => {
  it("records a hang (watchdog kill) and counts crashes without stopping", () => {
    const r = spawnSync(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", driver, "--parser", "selftest-hang,selftest-crash", "--inputs", "5000", "--hang-seconds", "3", "--results-dir", dir], {
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(r.status, r.stderr).toBe(1);
    const results = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>);
    const hang = results.find((x) => x.parser === "selftest-hang");
    const crash = results.find((x) => x.parser === "selftest-crash");
    expect(hang).toMatchObject({ hangs: 1, stoppedBy: "hang" });
    expect(crash).toMatchObject({ inputs: 5000, crashes: 50, hangs: 0, stoppedBy: "inputs" });
    expect((crash!.firstFailures as string[]).length).toBe(5);
    expect(crash!.maxRssMB as number).toBeGreaterThan(0);
  }, 120_000);

  it("tolerates its process group being paused for longer than the hang limit", async () => {
    const pausedDir = mkdtempSync(join(tmpdir(), "fuzz-driver-pause-"));
    try {
      // ~1 ms per input: the run takes several seconds, and is paused in its middle for 6 s,
      // twice the 3 s hang limit.
      const p = spawn(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", driver, "--parser", "selftest-steady", "--inputs", "6000", "--hang-seconds", "3", "--results-dir", pausedDir], {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      p.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((r) => p.on("exit", (code) => r(code)));
      await new Promise<void>((resolve, reject) => {
        p.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("started selftest-steady")) resolve();
        });
        p.on("exit", () => reject(new Error(`driver exited before starting: ${out}${err}`)));
      });
      await new Promise((r) => setTimeout(r, 1000));
      const wallStart = performance.now();
      process.kill(-p.pid!, "SIGSTOP");
      await new Promise((r) => setTimeout(r, 6000));
      process.kill(-p.pid!, "SIGCONT");
      expect(await exited, err).toBe(0);
      const wall = (performance.now() - wallStart) / 1000;
      const [result] = readdirSync(pausedDir).map((f) => JSON.parse(readFileSync(join(pausedDir, f), "utf8")) as Record<string, number | string>);
      expect(result).toMatchObject({ parser: "selftest-steady", inputs: 6000, hangs: 0, crashes: 0, stoppedBy: "inputs" });
      // The pause is counted as such and left out of the running time, and the input that was
      // running when the group was stopped is not recorded as a 6 s input.
      expect(result!.pausedSeconds as number).toBeGreaterThan(5);
      expect(result!.seconds as number).toBeLessThan(wall + 1 - 5);
      expect(result!.slowestInputMs as number).toBeLessThan(3000);
    } finally {
      rmSync(pausedDir, { recursive: true, force: true });
    }
  }, 120_000);
});
