/**
 * Violation detection (semantics §6.4): a placeholder is found in its raw form, percent-decoded,
 * JSON `\u`-unescaped, or inside decoded Basic credentials - across write boundaries, by keeping
 * a sliding tail of up to 6 × the longest placeholder.
 */
import { ACTION_RANK, type BlockAction } from "./classify.js";

/** How a placeholder was found. */
export type MatchForm = "raw" | "percent_decoded" | "json_unescaped" | "basic_auth_decoded";

/** A placeholder that must not pass. */
export interface Forbidden {
  readonly placeholder: string;
  readonly action: BlockAction;
  readonly envVar: string;
}

/** A detected violation (the strictest action among all matches). */
export interface Detection {
  readonly action: BlockAction;
  readonly envVar: string;
  readonly placeholder: string;
  readonly form: MatchForm;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Lenient percent-decoding over latin1 text (invalid escapes kept literally). */
export function percentDecode(s: string): string {
  if (!s.includes("%")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length + 0) {
      const a = hex(s.charCodeAt(i + 1));
      const b = hex(s.charCodeAt(i + 2));
      if (a >= 0 && b >= 0) {
        out += String.fromCharCode(a * 16 + b);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/** Lenient JSON string unescaping of `\uXXXX`, `\/`, `\\` and `\"` (others kept). */
export function jsonUnescape(s: string): string {
  if (!s.includes("\\")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && i + 1 < s.length) {
      const n = s[i + 1];
      if (n === "u" && i + 5 < s.length) {
        const v = parseInt(s.slice(i + 2, i + 6), 16);
        if (/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
          out += String.fromCharCode(v);
          i += 5;
          continue;
        }
      }
      if (n === "/" || n === "\\" || n === '"') {
        out += n;
        i += 1;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/** Find the strictest forbidden placeholder in `text` (latin1) in raw, percent and JSON forms. */
export function detectIn(text: string, forbidden: readonly Forbidden[], extraForms: readonly MatchForm[] = []): Detection | undefined {
  if (forbidden.length === 0) return undefined;
  const forms: [MatchForm, () => string][] = [
    ["raw", () => text],
    ["percent_decoded", () => percentDecode(text)],
    ["json_unescaped", () => jsonUnescape(text)],
    ["json_unescaped", () => jsonUnescape(percentDecode(text))],
  ];
  let best: Detection | undefined;
  for (const [form, get] of forms) {
    const t = get();
    // A decoding that changed nothing finds nothing new: skip the scan.
    if (form !== "raw" && t === text) continue;
    for (const f of forbidden) {
      if (t.includes(f.placeholder) && (!best || ACTION_RANK[f.action] > ACTION_RANK[best.action])) {
        best = { action: f.action, envVar: f.envVar, placeholder: f.placeholder, form: extraForms[0] ?? form };
      }
    }
  }
  return best;
}

/** Stream scanner with a sliding tail so placeholders split across writes are still found. */
export class StreamScanner {
  private tail: Buffer = Buffer.alloc(0);
  private readonly keep: number;
  private readonly needles: readonly Buffer[];

  constructor(private readonly forbidden: readonly Forbidden[]) {
    this.keep = 6 * Math.max(0, ...forbidden.map((f) => f.placeholder.length));
    this.needles = forbidden.map((f) => Buffer.from(f.placeholder, "latin1"));
  }

  /** True when there is nothing to look for. */
  get idle(): boolean {
    return this.forbidden.length === 0;
  }

  /** Scan the next bytes; returns a detection or undefined. */
  push(chunk: Uint8Array): Detection | undefined {
    if (this.forbidden.length === 0) return undefined;
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const window = this.tail.length === 0 ? c : Buffer.concat([this.tail, c]);
    let d: Detection | undefined;
    // Raw form straight on the bytes; the decoded forms only when an escape character is present.
    if (window.includes(0x25) || window.includes(0x5c)) {
      d = detectIn(window.toString("latin1"), this.forbidden);
    } else {
      for (let i = 0; i < this.needles.length; i++) {
        const f = this.forbidden[i]!;
        if (window.includes(this.needles[i]!) && (!d || ACTION_RANK[f.action] > ACTION_RANK[d.action])) {
          d = { action: f.action, envVar: f.envVar, placeholder: f.placeholder, form: "raw" };
        }
      }
    }
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - this.keep)));
    return d;
  }

  /** Forget the tail (a new message starts). */
  reset(): void {
    this.tail = Buffer.alloc(0);
  }
}
