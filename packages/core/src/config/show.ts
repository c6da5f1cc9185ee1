/** Values in error messages: rendered without ever throwing, whatever a parsed document holds. */

/**
 * A value as JSON for an error message, never throwing: values too deep for JSON.stringify, cyclic
 * ones or ones without a JSON form are described instead. Long renderings are cut at 200 characters.
 */
export function showJson(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = Array.isArray(v) ? "[\u2026]" : "{\u2026}";
  }
  if (s === undefined) s = typeof v;
  return s.length > 200 ? `${s.slice(0, 200)}\u2026` : s;
}

/** A value as text (what `String(v)` gives for strings and numbers), never throwing on odd objects. */
export function showText(v: unknown): string {
  if (v === null || typeof v !== "object") return String(v);
  try {
    return String(v);
  } catch {
    return showJson(v);
  }
}
