/**
 * The soak's bounded CI form: `bench/soak/run.ts --minutes 1 --no-record` (one minute of mixed
 * load through netproxy in netns mode, descriptors and RSS sampled every 3 s) must pass its
 * growth check with intact data. The full form (10 minutes, recorded) is `bash bench/soak/run.sh`.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { netnsUnavailableReason } from "../../src/netns/index.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but the soak cannot run: ${reason}`);
const pkgDir = resolve(__dirname, "../..");
const driver = resolve(pkgDir, "../../bench/soak/run.ts");

describe.skipIf(reason !== null)("soak (bounded CI form)", () => {
  it("one minute of mixed load: no descriptor or RSS growth, no integrity failure", async () => {
    const out = join(tmpdir(), `soak-ci-${process.pid}.json`);
    const child = spawn(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", driver, "--minutes", "1", "--every", "2", "--no-record"], {
      cwd: pkgDir,
      env: { ...process.env, SOAK_SAMPLES_OUT: out },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const text: string[] = [];
    child.stdout.on("data", (d: Buffer) => text.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => text.push(d.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    const report = text.join("");
    expect(code, report.slice(-3000)).toBe(0);
    expect(report).toMatch(/Verdict: \*\*pass\*\*/);
    const { samples, counts } = JSON.parse(readFileSync(out, "utf8")) as { samples: { fds: number }[]; counts: Record<string, number> };
    rmSync(out, { force: true });
    expect(samples.length).toBeGreaterThanOrEqual(20);
    expect(counts.corrupt).toBe(0);
    expect(counts.short).toBeGreaterThan(100);
  }, 150_000);
});
