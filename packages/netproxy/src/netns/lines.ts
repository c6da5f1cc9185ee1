/**
 * Following what a process started in a namespace says: its stdout lines (and those that parse as
 * JSON objects) are kept, so several waits can look at the same stream, and the tail of its
 * stderr is kept for error messages.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** A child's stdout, line by line, and the tail of its stderr. */
export interface FollowedProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** The stdout lines that are JSON objects, parsed. */
  readonly messages: Record<string, unknown>[];
  /** The last 8 KiB of stderr. */
  readonly stderr: string;
  /** The first line (past or future) matching `pred`; rejects when the process exits first or after `timeoutMs`. */
  waitLine(pred: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** The first JSON message (past or future) matching `pred`; same rules as `waitLine`. */
  waitFor(pred: (m: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const followed = new WeakMap<ChildProcess, FollowedProcess>();

/** Follow `child` (idempotent: the same follower is returned for the same child). */
export function follow(child: ChildProcess): FollowedProcess {
  const known = followed.get(child);
  if (known) return known;
  const lines: string[] = [];
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let exited = child.exitCode !== null || child.signalCode !== null;
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8192)));
  // "close", not "exit": the last stdout lines may still be on their way when the process exits.
  child.once("close", () => {
    exited = true;
    for (const w of [...waiters]) w();
  });
  if (child.stdout) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      lines.push(line);
      if (line.startsWith("{")) {
        try {
          const m = JSON.parse(line) as unknown;
          if (m && typeof m === "object" && !Array.isArray(m)) messages.push(m as Record<string, unknown>);
        } catch {
          /* not JSON after all */
        }
      }
      for (const w of [...waiters]) w();
    });
  }
  const waitIn = <T>(list: T[], pred: (x: T) => boolean, what: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => done(new Error(`${what}: timed out after ${timeoutMs} ms; stderr: ${stderr.slice(-1500)}`)), timeoutMs);
      const done = (err: Error | null, x?: T): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(x as T);
      };
      const check = (): void => {
        for (; seen < list.length; seen++) if (pred(list[seen]!)) return done(null, list[seen]!);
        if (exited) done(new Error(`${what}: the process exited (${child.exitCode ?? child.signalCode}) first; stderr: ${stderr.slice(-1500)}`));
      };
      waiters.add(check);
      check();
    });
  const f: FollowedProcess = {
    child,
    lines,
    messages,
    get stderr() {
      return stderr;
    },
    waitLine: (pred, what, timeoutMs = 60_000) => waitIn(lines, pred, what, timeoutMs),
    waitFor: (pred, what, timeoutMs = 60_000) => waitIn(messages, pred, what, timeoutMs),
  };
  followed.set(child, f);
  return f;
}
