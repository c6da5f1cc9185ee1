/**
 * netproxy for benchmarks runs from an esbuild bundle of a runner entry (as a built package would,
 * without tsx's on-the-fly transpiler in the process), so its CPU and RSS are the proxy's own.
 * Used by bench/netproxy and bench/vm/g2h-micro.
 */
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The netproxy package directory. */
export const netproxyPkgDir = resolve(fileURLToPath(new URL(".", import.meta.url)), "../packages/netproxy");

/** Bundle `entry` (default: the netns runner, src/netns/netproxy-main.ts) to `dir/name.mjs` and return its path. */
export function bundleNetproxy(dir: string, entry = join(netproxyPkgDir, "src/netns/netproxy-main.ts"), name = "netproxy-bench"): string {
  const req = createRequire(join(netproxyPkgDir, "package.json"));
  const esbuildPath = createRequire(req.resolve("tsx")).resolve("esbuild");
  const esbuild = createRequire(import.meta.url)(esbuildPath) as { buildSync(o: Record<string, unknown>): unknown };
  const out = join(dir, `${name}.mjs`);
  esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    conditions: ["@sandbox/source"],
    outfile: out,
    logLevel: "error",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  // V8 stores a script's source at one byte per character only if all of it is Latin-1; esbuild
  // escapes strings but keeps comments, and one dash in a dependency's comment would store the whole
  // ~2 MB bundle at two bytes per character, which an unbundled install does only for that one file.
  // A \uXXXX escape means the same in a comment, string, template, regex or identifier.
  const src = readFileSync(out, "utf8");
  if (/[^\u0000-\u00ff]/.test(src)) writeFileSync(out, src.replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  return out;
}
