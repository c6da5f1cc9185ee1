// Assembles bench/RESULTS.md from the fragments each benchmark writes (bench/*/RESULTS.fragment.md).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const order = ["policy", "netproxy", "netproxy-l7", "vm", "fuzz", "soak"];
const parts = [
  "# Benchmark results",
  "",
  "Recorded by `bash bench/run-all.sh` (full forms); each section names its machine and load. Every",
  "comparison ran side by side in one run against the named peer. This file is generated from",
  "`bench/*/RESULTS.fragment.md` by `node bench/compose.mjs`.",
  "",
];
for (const name of order) {
  const f = join(here, name, "RESULTS.fragment.md");
  if (existsSync(f)) parts.push(readFileSync(f, "utf8").trim(), "");
}
writeFileSync(join(here, "RESULTS.md"), parts.join("\n"));
console.log(`bench/RESULTS.md written from ${order.filter((n) => existsSync(join(here, n, "RESULTS.fragment.md"))).join(", ")}`);
