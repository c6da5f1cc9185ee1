/**
 * The guest console: splitting QEMU's serial output into lines and parsing the test guest's
 * machine-readable report lines (`@@sandbox <event> key=value ...`).
 */

/** One report line of the test guest. */
export interface GuestEvent {
  /** Event name: boot, nic, lease, ready, result, done, warn. */
  event: string;
  /** The `key=value` fields (values run to the next space; the first occurrence of a key wins). */
  fields: Record<string, string>;
  /** For `result` events: everything after `status=` (e.g. `ok`, `fail connect refused`). */
  rest: string;
}

const PREFIX = "@@sandbox ";

/** Parse one console line; undefined when it is not a report line. */
export function parseGuestEvent(line: string): GuestEvent | undefined {
  const at = line.indexOf(PREFIX);
  if (at < 0) return undefined;
  const body = line.slice(at + PREFIX.length).trim();
  const [event = "", ...words] = body.split(/\s+/);
  const fields: Record<string, string> = {};
  let rest = "";
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    const eq = w.indexOf("=");
    if (eq <= 0) continue;
    const key = w.slice(0, eq);
    if (key === "status" && !("status" in fields)) rest = [w.slice(eq + 1), ...words.slice(i + 1)].join(" ");
    if (!(key in fields)) fields[key] = w.slice(eq + 1);
  }
  return { event, fields, rest };
}

/** Incremental splitter of a byte stream into text lines (CR stripped). */
export class LineSplitter {
  private pending = "";
  constructor(private readonly onLine: (line: string) => void) {}
  /** Feed a chunk. */
  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let nl: number;
    while ((nl = this.pending.indexOf("\n")) >= 0) {
      const line = this.pending.slice(0, nl).replace(/\r$/, "");
      this.pending = this.pending.slice(nl + 1);
      this.onLine(line);
    }
  }
  /** Emit a trailing partial line. */
  end(): void {
    if (this.pending) this.onLine(this.pending.replace(/\r$/, ""));
    this.pending = "";
  }
}
