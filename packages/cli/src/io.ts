/**
 * Output for the `sandbox` command: colour only on a TTY and never with NO_COLOR, JSON for
 * scripting with --json, progress lines on stderr for anything slow.
 */
import type { Writable } from "node:stream";

/** Where a command writes, and the environment it reads. */
export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Output helpers bound to one invocation. */
export interface Out {
  /** Whether ANSI colours are used on stdout. */
  readonly color: boolean;
  line(text?: string): void;
  err(text: string): void;
  json(value: unknown): void;
  progress(text: string): void;
  green(t: string): string;
  red(t: string): string;
  yellow(t: string): string;
  dim(t: string): string;
  bold(t: string): string;
}

/** Build the output helpers; `forceNoColor` is set by --json and --no-color. */
export function makeOut(io: Io, forceNoColor = false): Out {
  const color = !forceNoColor && Boolean(io.stdout.isTTY) && io.env.NO_COLOR === undefined && io.env.TERM !== "dumb";
  const wrap = (code: number) => (t: string) => (color ? `\u001b[${code}m${t}\u001b[0m` : t);
  return {
    color,
    line: (t = "") => void io.stdout.write(t + "\n"),
    err: (t) => void io.stderr.write(t + "\n"),
    json: (v) => void io.stdout.write(JSON.stringify(v, null, 2) + "\n"),
    progress: (t) => void io.stderr.write((io.stderr.isTTY && io.env.NO_COLOR === undefined ? `\u001b[2m${t}\u001b[0m` : t) + "\n"),
    green: wrap(32),
    red: wrap(31),
    yellow: wrap(33),
    dim: wrap(2),
    bold: wrap(1),
  };
}
