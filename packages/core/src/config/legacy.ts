/**
 * Legacy rule fields accepted on input (seed 003 / the Go wire format): a single `protocol`
 * unioned with `protocols` (single first, de-duplicated) and a single `port` (a number, `"443"` or
 * `"8000-9000"`) put before the `ports` list. They are folded into `protocols`/`ports` before
 * schema validation, so the canonical config never carries them.
 */

/** Protocols a legacy `protocol` field may name. */
export const LEGACY_PROTOCOLS: readonly string[] = ["tcp", "udp", "icmpv4", "icmpv6"];

/** Parses a legacy `port` value into a range, or explains what is wrong. */
export function legacyPortRange(v: unknown): { start: number; end: number } | { error: string } {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;
  if (typeof v === "number") return ok(v) ? { start: v, end: v } : { error: `port out of range: ${v}` };
  if (typeof v !== "string") return { error: `port must be a number or a string, got ${JSON.stringify(v)}` };
  const m = /^\s*([0-9]{1,5})\s*(?:-\s*([0-9]{1,5})\s*)?$/.exec(v);
  if (m === null || m[1] === undefined) return { error: `invalid port "${v}"` };
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (!ok(start) || !ok(end)) return { error: `port out of range: "${v}"` };
  if (start > end) return { error: `port range start > end: "${v}"` };
  return { start, end };
}

/** Folds `protocol` / `port` of one raw rule into `protocols` / `ports` (invalid values are dropped here and reported by the semantic checks). */
export function foldLegacyRule(rule: Record<string, unknown>): Record<string, unknown> {
  if (!("protocol" in rule) && !("port" in rule)) return rule;
  const { protocol, port, ...rest } = rule;
  if (protocol !== undefined && protocol !== null && protocol !== "" && LEGACY_PROTOCOLS.includes(protocol as string)) {
    const list = Array.isArray(rest.protocols) ? rest.protocols : [];
    rest.protocols = [protocol, ...list.filter((p) => p !== protocol)];
  }
  if (port !== undefined && port !== null && port !== "") {
    const r = legacyPortRange(port);
    if (!("error" in r)) rest.ports = [r, ...(Array.isArray(rest.ports) ? rest.ports : [])];
  }
  return rest;
}
