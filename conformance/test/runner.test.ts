/**
 * Runs the whole conformance suite through the testee protocol (a child process), as
 * `pnpm conformance` does, and checks the xfail machinery on small runs.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXECUTORS } from "../src/kinds/index.js";
import { formatReport, loadVectors, runConformance } from "../src/runner.js";
import { parseXfail } from "../src/xfail.js";

describe("conformance suite", () => {
  it("every probe kind in the vectors has an executor", () => {
    const kinds = new Set(loadVectors().map((v) => v.probe.kind));
    for (const k of kinds) expect(EXECUTORS[k], k).toBeDefined();
  });

  it("passes: every vector passes or is an expected failure", { timeout: 120_000 }, async () => {
    const report = await runConformance();
    const text = formatReport(report);
    expect(report.ok, text).toBe(true);
    expect(report.results.length).toBe(loadVectors().length);
    expect(report.results.filter((r) => r.outcome === "pass").length).toBeGreaterThan(250);
  });

  it("a listed vector that passes, or a listed unknown id, fails the run", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "xfail-"));
    const path = join(dir, "xfail.txt");
    writeFileSync(path, "preset-001 D2: pretend\nno-such-vector upstream: pretend\n");
    const report = await runConformance({ kind: "preset_policy", xfailPath: path });
    expect(report.ok).toBe(false);
    expect(report.results.find((r) => r.id === "preset-001")?.outcome).toBe("xpass");
    expect(report.listProblems.join("\n")).toContain("no-such-vector");
    expect(formatReport(report)).toContain("XPASS preset-001");
  });

  it("a wrong implementation is caught (the testee protocol is honoured)", { timeout: 60_000 }, async () => {
    const fake = `node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.stringify(JSON.parse(s).map(r=>({id:r.id,actual:'allow'})))))"`;
    const report = await runConformance({ kind: "ingress", testee: fake });
    expect(report.ok).toBe(false);
    const wrong = loadVectors().filter((v) => v.probe.kind === "ingress" && v.expect !== "allow").map((v) => v.id);
    expect(wrong.length).toBeGreaterThanOrEqual(4);
    expect(report.results.filter((r) => r.outcome === "fail").map((r) => r.id).sort()).toEqual(wrong.sort());
  });

  it("the runner program prints the per-kind report and exits 0", { timeout: 60_000 }, () => {
    const r = spawnSync("pnpm", ["exec", "tsx", "--conditions=@sandbox/source", "src/runner.ts", "--kind", "group"], { cwd: join(import.meta.dirname, ".."), encoding: "utf8" });
    expect(r.stdout).toMatch(/^group\s+18\s+18\s+0\s+0\s+0$/m);
    expect(r.stdout).toContain("conformance: OK");
    expect(r.status).toBe(0);
  });

  it("the xfail list needs a decision or upstream reason per line", () => {
    expect(() => parseXfail("a-1\n")).toThrow(/expected "<id> <reason>"/);
    expect(() => parseXfail("a-1 because\n")).toThrow(/decision/);
    expect(parseXfail("# c\na-1 D5: x # tail\n").get("a-1")?.reason).toBe("D5: x");
  });
});
