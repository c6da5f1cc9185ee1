/**
 * The soak's bounded CI form: `bench/soak/run.ts --minutes 10 --no-record` (ten minutes of mixed
 * load through netproxy in netns mode, descriptors and RSS sampled every 3 s) must pass its
 * growth check (a Theil–Sen trend through window floors, test/faults/growth.ts) with intact data.
 * The recorded form is `bash bench/soak/run.sh`, longer ones `--minutes N`. SANDBOX_SOAK_MINUTES
 * shortens this test while developing; the timeout follows the minutes.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { netnsUnavailableReason } from "../../src/netns/index.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but the soak cannot run: ${reason}`);
const pkgDir = resolve(__dirname, "../..");
const driver = resolve(pkgDir, "../../bench/soak/run.ts");
const MINUTES = Number(process.env.SANDBOX_SOAK_MINUTES ?? "10");
const EVERY_S = 3;
/** The load itself, plus namespaces, test host and netproxy start-up and the report (≈ 20 s), with room for a loaded machine. */
const TIMEOUT_MS = MINUTES * 60_000 + 150_000;

describe.skipIf(reason !== null)("soak (bounded CI form)", () => {
  it(`${MINUTES} minutes of mixed load: no descriptor or RSS growth trend, no integrity failure`, async () => {
    const out = join(tmpdir(), `soak-ci-${process.pid}.json`);
    const child = spawn(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", driver, "--minutes", String(MINUTES), "--every", String(EVERY_S), "--no-record"], {
      cwd: pkgDir,
      env: { ...process.env, SOAK_SAMPLES_OUT: out },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // On a timeout the driver is told to stop (it removes its namespaces on SIGTERM).
    onTestFinished(() => void (child.exitCode === null && child.signalCode === null && child.kill("SIGTERM")));
    const text: string[] = [];
    child.stdout.on("data", (d: Buffer) => text.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => text.push(d.toString()));
    const code = await new Promise<number | null>((r) => child.once("close", (c) => r(c)));
    const report = text.join("");
    expect(code, report.slice(-3000)).toBe(0);
    expect(report).toMatch(/Verdict: \*\*pass\*\*/);
    const { samples, counts, rssTrend, fdTrend } = JSON.parse(readFileSync(out, "utf8")) as {
      samples: { fds: number }[];
      counts: Record<string, number>;
      rssTrend: { grows: boolean; points: unknown[] };
      fdTrend: { grows: boolean; points: unknown[] };
    };
    rmSync(out, { force: true });
    // Sampled all along (a stalled sampler would leave windows empty), and the trend was judged.
    expect(samples.length).toBeGreaterThanOrEqual(Math.floor((MINUTES * 60) / EVERY_S) * 0.8);
    expect(rssTrend.points.length).toBeGreaterThanOrEqual(MINUTES >= 3 ? 12 : 4);
    expect([rssTrend.grows, fdTrend.grows]).toEqual([false, false]);
    expect(counts.corrupt).toBe(0);
    expect(counts.short).toBeGreaterThan(100);
  }, TIMEOUT_MS);
});
