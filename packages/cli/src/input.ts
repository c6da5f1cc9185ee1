/**
 * Reading inputs for the `sandbox` command: a JSON file (or `-` for stdin) with syntax errors
 * reported by line, column and byte offset.
 */
import { readFileSync } from "node:fs";
import { CliError } from "./command.js";
import { Exit } from "./exit-codes.js";

/** Read a file (or stdin for `-`) as UTF-8 text. */
export function readText(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${path === "-" ? "stdin" : path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, Exit.invalid);
  }
}

/** Parse JSON text; a syntax error names the file, line, column and byte offset. */
export function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    if (m) {
      const offset = Number(m[1]);
      const before = text.slice(0, offset);
      const line = before.split("\n").length;
      const col = offset - before.lastIndexOf("\n");
      const byteOffset = Buffer.byteLength(before, "utf8");
      throw new CliError(`${name}:${line}:${col}: invalid JSON at byte offset ${byteOffset}: ${msg.replace(/ in JSON at position \d+.*$/, "")}`, Exit.invalid);
    }
    throw new CliError(`${name}: invalid JSON: ${msg}`, Exit.invalid);
  }
}

/** Read and parse a JSON file (or stdin). */
export function readJson(path: string): unknown {
  return parseJson(readText(path), path === "-" ? "<stdin>" : path);
}
