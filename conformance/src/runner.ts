/**
 * The conformance runner (`pnpm conformance`): loads every vector in conformance/vectors/, sends
 * them to the testee through the protocol (a child process: `pnpm --silent conformance:testee`
 * at the repository root, or `--testee "<command>"` / `$CONFORMANCE_TESTEE`), judges each
 * response (compare.ts), applies conformance/xfail.txt and prints a per-kind report. Exit status 1
 * on any unexpected failure, on a listed vector that passes, or on an xfail line naming an unknown
 * vector. Options: `--kind <k>` (only that kind), `--verbose` (every result), `--testee <cmd>`,
 * `--json <file>` (also write the report as JSON).
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { judge } from "./compare.js";
import type { TesteeRequest, TesteeResponse, Vector } from "./protocol.js";
import { loadXfail } from "./xfail.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The conformance package directory. */
export const PACKAGE_DIR = join(HERE, "..");
/** The repository root. */
export const REPO_ROOT = join(PACKAGE_DIR, "..");

/** Outcome of one vector. */
export type Outcome = "pass" | "fail" | "xfail" | "xpass";

/** One judged vector. */
export interface Result {
  readonly id: string;
  readonly kind: string;
  readonly outcome: Outcome;
  readonly detail?: string;
  readonly reason?: string;
}

/** The run's report. */
export interface Report {
  readonly results: readonly Result[];
  /** Problems with the xfail list (unknown ids). */
  readonly listProblems: readonly string[];
  readonly ok: boolean;
}

/** Loads every vector file of a directory (sorted by file name). */
export function loadVectors(dir = join(PACKAGE_DIR, "vectors")): Vector[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Vector[]);
}

/** Runs the testee command once with the whole batch on stdin. */
export function runTestee(requests: readonly TesteeRequest[], command?: string): Promise<TesteeResponse[]> {
  const cmd = command ?? process.env.CONFORMANCE_TESTEE;
  const child = cmd === undefined || cmd === "" ? spawn("pnpm", ["--silent", "conformance:testee"], { cwd: REPO_ROOT }) : spawn(cmd, { cwd: REPO_ROOT, shell: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  child.stdin.end(JSON.stringify(requests));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const text = Buffer.concat(out).toString("utf8");
      if (code !== 0) return reject(new Error(`testee exited with ${code}: ${Buffer.concat(err).toString("utf8").slice(0, 2000)}`));
      try {
        resolve(JSON.parse(text) as TesteeResponse[]);
      } catch {
        reject(new Error(`testee wrote invalid JSON: ${text.slice(0, 500)}`));
      }
    });
  });
}

/** Runs the suite and judges every vector. */
export async function runConformance(opts: { kind?: string; testee?: string; xfailPath?: string } = {}): Promise<Report> {
  const all = loadVectors();
  const vectors = opts.kind === undefined ? all : all.filter((v) => v.probe.kind === opts.kind);
  const xfail = loadXfail(opts.xfailPath ?? join(PACKAGE_DIR, "xfail.txt"));
  const known = new Set(all.map((v) => v.id));
  const listProblems = [...xfail.values()].filter((e) => !known.has(e.id)).map((e) => `xfail.txt:${e.line}: unknown vector id ${e.id}`);
  const responses = await runTestee(
    vectors.map((v) => ({ id: v.id, config: v.config, probe: v.probe })),
    opts.testee,
  );
  const byId = new Map(responses.map((r) => [r.id, r]));
  const results = vectors.map((v): Result => {
    const detail = judge(v.expect, byId.get(v.id));
    const x = xfail.get(v.id);
    const base = { id: v.id, kind: v.probe.kind };
    if (x !== undefined) return detail === undefined ? { ...base, outcome: "xpass", reason: x.reason } : { ...base, outcome: "xfail", detail, reason: x.reason };
    return detail === undefined ? { ...base, outcome: "pass" } : { ...base, outcome: "fail", detail };
  });
  const ok = listProblems.length === 0 && results.every((r) => r.outcome === "pass" || r.outcome === "xfail");
  return { results, listProblems, ok };
}

/** Formats the per-kind report (and the details of everything that is not a plain pass when verbose, else of failures). */
export function formatReport(r: Report, verbose = false): string {
  const kinds = [...new Set(r.results.map((x) => x.kind))].sort();
  const count = (k: string, o: Outcome): number => r.results.filter((x) => x.kind === k && x.outcome === o).length;
  const lines = ["kind                  total  pass  fail  xfail  xpass", "--------------------  -----  ----  ----  -----  -----"];
  for (const k of kinds) {
    lines.push(`${k.padEnd(20)}  ${String(r.results.filter((x) => x.kind === k).length).padStart(5)}  ${String(count(k, "pass")).padStart(4)}  ${String(count(k, "fail")).padStart(4)}  ${String(count(k, "xfail")).padStart(5)}  ${String(count(k, "xpass")).padStart(5)}`);
  }
  const tot = (o: Outcome): number => r.results.filter((x) => x.outcome === o).length;
  lines.push(`${"total".padEnd(20)}  ${String(r.results.length).padStart(5)}  ${String(tot("pass")).padStart(4)}  ${String(tot("fail")).padStart(4)}  ${String(tot("xfail")).padStart(5)}  ${String(tot("xpass")).padStart(5)}`);
  for (const x of r.results) {
    if (x.outcome === "fail") lines.push(`FAIL  ${x.id} (${x.kind}): ${x.detail ?? ""}`);
    else if (x.outcome === "xpass") lines.push(`XPASS ${x.id} (${x.kind}) is on the xfail list (${x.reason ?? ""}) but passes: remove it from xfail.txt`);
    else if (verbose && x.outcome === "xfail") lines.push(`xfail ${x.id} (${x.kind}) [${x.reason ?? ""}]: ${x.detail ?? ""}`);
  }
  lines.push(...r.listProblems);
  lines.push(r.ok ? "conformance: OK" : "conformance: FAILED");
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const kind = opt("--kind");
  const testee = opt("--testee");
  const report = await runConformance({ ...(kind !== undefined ? { kind } : {}), ...(testee !== undefined ? { testee } : {}) });
  process.stdout.write(`${formatReport(report, argv.includes("--verbose"))}\n`);
  const json = opt("--json");
  if (json !== undefined) writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`conformance: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(2);
    },
  );
}
