/**
 * Test helper: builds the libkrun recorder library (native/libkrun-recorder.c) with gcc into a
 * temporary directory, once per test file, and reads back its JSON-lines call log.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** One recorded libkrun call. */
export interface RecordedCall {
  fn: string;
  args: Record<string, unknown>;
  rc: number;
}

/** True when gcc is available to build the recorder. */
export function haveGcc(): boolean {
  return spawnSync("gcc", ["--version"]).status === 0;
}

/** True when python3 is available (the AF_UNIX datagram peers in the tests; Node has none). */
export function havePython(): boolean {
  return spawnSync("python3", ["--version"]).status === 0;
}

/** Fail instead of skipping when end-to-end coverage is required. */
export function requireOrSkip(ok: boolean, what: string): boolean {
  if (!ok && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but ${what} is unavailable`);
  return ok;
}

/** Compile the recorder; returns the path of the resulting libkrun.so. */
export function buildRecorder(): string {
  const dir = mkdtempSync(join(tmpdir(), "vmm-krun-recorder-"));
  const out = join(dir, "libkrun.so");
  const src = fileURLToPath(new URL("../../native/libkrun-recorder.c", import.meta.url));
  execFileSync("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-Wno-format-truncation", "-o", out, src]);
  return out;
}

/** Parse a recorder log file (missing file = no calls). */
export function readLog(path: string): RecordedCall[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as RecordedCall);
}
