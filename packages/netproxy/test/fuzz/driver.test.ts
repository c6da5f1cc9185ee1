/**
 * The long-run driver (bench/fuzz/run.ts) itself: its watchdog turns an input that never returns
 * into a recorded hang (the child is killed), and property violations are counted without
 * stopping the run. Uses the driver's two self-test targets and a temporary results directory.
 */
import { spawnSync } from "node:child_process";
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
});
