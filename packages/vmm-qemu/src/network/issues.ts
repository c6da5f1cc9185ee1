/**
 * Turning the generated zod schema's issues into one `QemuSettingsError` that says what was wrong,
 * where (JSON path) and what is accepted, by looking the offending node up in the schema.
 */
import type { z } from "zod";

/** Format a zod path as a JSON path (`$.port_forwards[1].host`). */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : `${acc}.${String(seg)}`), "$");
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  values?: unknown[];
}
const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let d = def(cur); d.innerType && ["default", "prefault", "optional", "nullable"].includes(d.type); d = def(cur)) cur = d.innerType;
  return cur;
}

/** The schema node at a path (through objects, arrays and wrappers), if any. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  for (const seg of path) {
    if (!s) return undefined;
    let d = def(s);
    if (d.type === "union" && typeof seg !== "number") {
      const opt = d.options?.map(unwrap).find((o) => def(o).shape?.[String(seg)] !== undefined);
      if (opt) d = def(opt);
    }
    s = typeof seg === "number" ? d.element : d.shape?.[String(seg)];
    if (s) s = unwrap(s);
  }
  return s;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const seg of path) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

/** What a schema node accepts, in words. */
export function describeAccepted(s: z.ZodType | undefined): string {
  if (!s) return "see schemas/qemu.schema.json";
  const d = def(s);
  if (d.type === "union" && d.options) {
    const literals = d.options.map((o) => def(unwrap(o))).filter((o) => o.type === "literal");
    if (literals.length === d.options.length) return literals.flatMap((l) => l.values ?? []).join(", ");
    return d.options.map((o) => describeAccepted(unwrap(o))).join(" or ");
  }
  if (d.type === "object" && d.shape) return `{${Object.keys(d.shape).map((k) => `"${k}": …`).join(", ")}}`;
  if (d.type === "number" || d.type === "int") {
    const n = s as unknown as { minValue: number | null; maxValue: number | null; format?: string | null };
    const kind = d.type === "int" || (n.format ?? "").includes("int") ? "an integer" : "a number";
    return n.minValue !== null && n.maxValue !== null ? `${kind} ${n.minValue}-${n.maxValue}` : kind;
  }
  if (d.type === "array") return "an array";
  if (d.type === "string") return "a string";
  return d.type;
}

/** One human-readable problem for the first zod issue: `{path, message}`. */
export function explainIssue(root: z.ZodType, input: unknown, issue: z.core.$ZodIssue): { path: string; message: string } {
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const node = schemaAt(root, issue.path);
    const keys = node && def(node).shape ? Object.keys(def(node).shape!).join(", ") : "see the schema";
    return { path: jsonPath([...issue.path, key]), message: `unknown field; accepted: ${keys}` };
  }
  const value = valueAt(input, issue.path);
  const node = schemaAt(root, issue.path);
  const shown = value === undefined ? "nothing" : JSON.stringify(value);
  const accepted = describeAccepted(node);
  switch (issue.code) {
    case "invalid_union":
    case "invalid_value":
      return { path: jsonPath(issue.path), message: `unknown value ${shown}; accepted: ${accepted}` };
    case "too_small":
    case "too_big":
      return { path: jsonPath(issue.path), message: `${shown} is out of range; accepted: ${accepted}` };
    case "invalid_format":
      return { path: jsonPath(issue.path), message: `${shown} is not in the accepted format; accepted: ${accepted} matching ${issue.pattern ?? issue.format}` };
    default:
      return { path: jsonPath(issue.path), message: `${shown} is not accepted; accepted: ${accepted}` };
  }
}
