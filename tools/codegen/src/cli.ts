/**
 * `pnpm generate` (write) and `pnpm generate --check` (fail on drift): JSON Schema in `schemas/` is
 * the source of truth for every generated file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { genDirs, plan } from "./generate.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const check = process.argv.includes("--check");
const onlyIdx = process.argv.indexOf("--only");
const only = onlyIdx > 0 ? process.argv[onlyIdx + 1]?.split(",") : undefined;

try {
  const outputs = await plan(repoRoot, only);
  const drift: string[] = [];
  for (const [path, text] of outputs) {
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (current === text) continue;
    drift.push(`${current === undefined ? "missing" : "changed"}: ${relative(repoRoot, path)}`);
    if (!check) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  for (const dir of only ? [] : genDirs(repoRoot, outputs)) {
    for (const f of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      const p = join(dir, f.name);
      if (f.isFile() && !outputs.has(p) && !f.name.startsWith(".")) {
        drift.push(`stale: ${relative(repoRoot, p)}`);
        if (!check) rmSync(p);
      }
    }
  }
  if (check && drift.length) {
    console.error(`generated code is out of date (run \`pnpm generate\`):\n  ${drift.join("\n  ")}`);
    process.exit(1);
  }
  console.log(check ? `generated code is current (${outputs.size} files)` : `wrote ${drift.length} of ${outputs.size} generated files`);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
