/**
 * The proxy's sources stay Latin-1. V8 keeps the text of every loaded script in the heap (lazy
 * compilation and `Function#toString` read it again), as a one-byte string only when every
 * character is Latin-1: a single arrow or dash in a comment stores the whole module at two bytes
 * per character. For the single-file bundle the benchmark runs, that was the whole 2.2 MB bundle
 * held as 4.3 MB in the large-object space; for the built package it is each such module.
 * Non-Latin-1 text in string literals is written as `\u` escapes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
/** Source trees the netproxy process loads: its own and @sandbox/core's. */
const roots = ["packages/netproxy/src", "packages/core/src"];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

describe("runtime sources", () => {
  it("contain only Latin-1 characters (V8 holds each script's source one byte per character)", () => {
    const found: string[] = [];
    for (const root of roots) {
      for (const file of sources(join(repo, root))) {
        const lines = readFileSync(file, "utf8").split("\n");
        lines.forEach((line, i) => {
          for (const ch of line) {
            if (ch.codePointAt(0)! > 0xff) {
              found.push(`${relative(repo, file)}:${i + 1}: U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} in ${line.trim().slice(0, 80)}`);
              break;
            }
          }
        });
      }
    }
    expect(found).toEqual([]);
  });
});
