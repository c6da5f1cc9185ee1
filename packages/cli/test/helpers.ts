/** Runs the `sandbox` command in-process with captured output. */
import { Writable } from "node:stream";
import { resolve } from "node:path";
import { main } from "../src/main.js";

/** Repository root (examples/ lives there). */
export const root = resolve(import.meta.dirname, "../../..");

/** What one invocation printed and returned. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string; isTTY: boolean };
  w.text = "";
  w.isTTY = isTTY;
  return w;
}

/** Run `sandbox ...args` with cwd-relative paths resolved against the repo root. */
export async function sandbox(args: string[], opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const stdout = sink(opts.tty ?? false);
  const stderr = sink(false);
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const code = await main(args, { stdout, stderr, env: opts.env ?? {} });
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    process.chdir(cwd);
  }
}
