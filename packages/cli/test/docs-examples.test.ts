/**
 * Every runnable example in the READMEs and docs/ runs as written. A fenced block whose info
 * string is `sh exec` is a transcript: lines starting with `$ ` are commands (run with bash from
 * the repo root, `sandbox` being the built CLI), the lines after a command are its expected
 * stdout (`...` on a line of its own matches any lines; `[exit N]` expects that exit status, else 0). Commands in a block share a temp dir
 * exported as $TMP. Blocks whose info string is `ts exec` are TypeScript run with tsx.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../../..");
const binDir = mkdtempSync(join(tmpdir(), "sandbox-bin-"));
writeFileSync(join(binDir, "sandbox"), `#!/bin/sh\nexec "${process.execPath}" --conditions=@sandbox/source --import tsx "${join(root, "packages/cli/src/bin.ts")}" "$@"\n`, { mode: 0o755 });

function docFiles(): string[] {
  const files = ["README.md", ...["packages", "tools"].flatMap((d) => readdirSync(join(root, d)).map((p) => `${d}/${p}/README.md`))];
  const docs = readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
  return [...files, ...docs].filter((f) => {
    try {
      readFileSync(join(root, f));
      return true;
    } catch {
      return false;
    }
  });
}

interface Block {
  file: string;
  line: number;
  lang: "sh" | "ts";
  body: string;
}

function blocks(file: string): Block[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: Block[] = [];
  const re = /^```(sh|ts) exec\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ file, line: text.slice(0, m.index).split("\n").length, lang: m[1] as "sh" | "ts", body: m[2]! });
  }
  return out;
}

function matches(expected: string[], actual: string[]): boolean {
  if (expected.length === 0) return true;
  const [head, ...rest] = expected;
  if (head === "...") {
    for (let i = 0; i <= actual.length; i++) if (matches(rest, actual.slice(i))) return true;
    return false;
  }
  return actual.length > 0 && actual[0]!.trimEnd() === head!.trimEnd() && matches(rest, actual.slice(1));
}

const env = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, NO_COLOR: "1" };

describe("documentation examples", () => {
  const all = docFiles().flatMap(blocks);
  it("exist", () => expect(all.length).toBeGreaterThan(0));
  for (const b of all) {
    it(`${b.file}:${b.line} runs as written`, () => {
      const tmp = mkdtempSync(join(tmpdir(), "sandbox-doc-"));
      if (b.lang === "ts") {
        // Inside this package's node_modules so that `@sandbox/*` imports resolve as they would for a user.
        const dir = mkdtempSync(join(root, "packages/cli/node_modules/.docs-example-"));
        const file = join(dir, "example.mts");
        writeFileSync(file, b.body);
        const r = spawnSync(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", file], { cwd: join(root, "packages/cli"), env, encoding: "utf8" });
        rmSync(dir, { recursive: true, force: true });
        expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
        return;
      }
      const steps: { cmd: string; out: string[] }[] = [];
      for (const l of b.body.split("\n")) {
        if (l.startsWith("$ ")) steps.push({ cmd: l.slice(2), out: [] });
        else if (steps.length && l !== "") steps.at(-1)!.out.push(l);
      }
      for (const s of steps) {
        const r = spawnSync("bash", ["-c", s.cmd], { cwd: root, env: { ...env, TMP: tmp }, encoding: "utf8" });
        const actual = r.stdout.split("\n").filter((l) => l !== "");
        const exitLine = s.out.find((l) => /^\[exit \d+\]$/.test(l));
        const wantStatus = exitLine ? Number(/\d+/.exec(exitLine)![0]) : 0;
        expect(r.status, `\`${s.cmd}\` exited ${r.status}:\n${r.stdout}${r.stderr}`).toBe(wantStatus);
        expect(matches(s.out.filter((l) => l !== exitLine), actual), `${relative(root, join(root, b.file))}:${b.line}: \`${s.cmd}\` printed:\n${r.stdout}${r.stderr}`).toBe(true);
      }
    });
  }
});
