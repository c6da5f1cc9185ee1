/**
 * Wire codec of the control channel: msgpack (msgpackr with `useRecords: false`, so any msgpack
 * implementation reads it) with a 4-byte big-endian length prefix per message, and validation of
 * decoded messages against the generated zod schema of schemas/control.schema.json.
 */
import { Packr } from "msgpackr";
import { ControlMessage } from "../gen/control.js";

/** Largest control message accepted (bytes of msgpack, without the prefix). */
export const CONTROL_MAX_MESSAGE = 16 << 20;

const packr = new Packr({ useRecords: false, variableMapSize: true });

/** Encode one message with its length prefix. `undefined` fields are omitted. */
export function encodeControl(msg: ControlMessage): Buffer {
  const body = packr.pack(stripUndefined(msg));
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

function stripUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripUndefined);
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = stripUndefined(x);
    return o;
  }
  return v;
}

/** The result of decoding and validating one message. */
export type Decoded = { ok: true; message: ControlMessage } | { ok: false; error: string; id: number };

/** One validation problem: where (dotted path) and what. */
export interface ControlIssue {
  path: string;
  message: string;
}

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: ZodIssueLike[][];
}

function depth(issues: ZodIssueLike[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === "invalid_union" && i.errors ? 1 + Math.max(0, ...i.errors.map(depth)) : 0)));
}

/**
 * Flatten zod issues to paths. For a union (our tagged unions) the branch that got furthest
 * into the input is the one the sender meant, so only its issues are reported.
 */
export function flattenIssues(issues: readonly ZodIssueLike[], prefix: PropertyKey[] = []): ControlIssue[] {
  const out: ControlIssue[] = [];
  for (const i of issues) {
    const at = [...prefix, ...i.path];
    if (i.code === "invalid_union" && i.errors && i.errors.length) {
      const best = i.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      if (depth(best) > 0) {
        out.push(...flattenIssues(best, at));
        continue;
      }
    }
    out.push({ path: at.length ? at.map(String).join(".") : "(root)", message: i.message });
  }
  return out;
}

/** Validate an already msgpack-decoded value; errors name the path of each issue. */
export function validateControl(value: unknown): Decoded {
  const r = ControlMessage.safeParse(value);
  if (r.success) return { ok: true, message: r.data };
  const issues = flattenIssues(r.error.issues as unknown as ZodIssueLike[])
    .slice(0, 5)
    .map((i) => `at ${i.path}: ${i.message}`)
    .join("; ");
  const rawId = (value as { command?: { id?: unknown } } | null)?.command?.id;
  const id = typeof rawId === "number" && Number.isInteger(rawId) && rawId >= 0 && rawId <= 0xffffffff ? rawId : 0;
  return { ok: false, id, error: `invalid control message ${issues}; see schemas/control.schema.json` };
}

/**
 * Incremental decoder: feed socket chunks, get validated messages (or per-message errors). A
 * zero or oversized length prefix is a framing error that ends the connection.
 */
export class ControlDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private consumed = 0;

  constructor(private readonly onMessage: (d: Decoded) => void) {}

  /** Feed a chunk. Throws on a framing error (the caller closes the connection). */
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (len === 0 || len > CONTROL_MAX_MESSAGE) {
        throw new Error(
          `control channel framing error at byte offset ${this.consumed}: length ${len}; accepted 1..${CONTROL_MAX_MESSAGE} (4-byte big-endian prefix, then msgpack)`,
        );
      }
      if (this.buf.length < 4 + len) break;
      const body = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      const offset = this.consumed;
      this.consumed += 4 + len;
      let value: unknown;
      try {
        value = packr.unpack(body);
      } catch (e) {
        this.onMessage({ ok: false, id: 0, error: `message at byte offset ${offset} is not valid msgpack: ${(e as Error).message}` });
        continue;
      }
      this.onMessage(validateControl(value));
    }
  }
}
