/**
 * `parseNetworkConfig`: the generated zod schema plus the semantic checks, every problem reported
 * at once with its JSON path, the bad value and what is accepted.
 *
 * Two presence-dependent rules are resolved here, before zod fills in defaults (afterwards an
 * absent field can no longer be told from a default one):
 * - D2: with a `preset` (or `profiles`) and a `policy` that omits `default_egress` /
 *   `default_ingress`, the preset's defaults apply instead of the fail-closed wire defaults.
 * - Legacy `dns_rebind_protection`: used for `dns.rebind_protection` only when the nested field is
 *   absent (the nested value wins).
 * Legacy rule fields (`protocol`, `port`) are folded into `protocols` / `ports` here as well
 * (legacy.ts).
 */
import type { z } from "zod";
import { NetworkConfig, networkJsonSchema } from "../gen/index.js";
import { formatPath, valueAt, type ConfigIssue, type ConfigResult, type PathSegment, ConfigError } from "./issues.js";
import { foldLegacyRule } from "./legacy.js";
import { canonicalPresetName, policyFromProfiles, presetPolicy, type ProfileName } from "./presets.js";
import { checkSemantics, IssueSink } from "./semantic.js";

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Applies the presence-dependent rules (see module doc) to a shallow copy of the raw input. */
function resolvePresence(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  let base: { default_egress: string; default_ingress: string } | undefined;
  if (typeof raw.preset === "string") {
    const p = canonicalPresetName(raw.preset);
    if (p !== undefined) base = presetPolicy(p);
  } else if (Array.isArray(raw.profiles) && raw.profiles.every((p) => p === "public" || p === "private" || p === "host")) {
    base = policyFromProfiles(raw.profiles as ProfileName[]);
  }
  if (base !== undefined && isObj(raw.policy)) {
    const pol: Record<string, unknown> = { ...raw.policy };
    if (pol.default_egress === undefined) pol.default_egress = base.default_egress;
    if (pol.default_ingress === undefined) pol.default_ingress = base.default_ingress;
    out.policy = pol;
  }
  if (isObj(out.policy) && Array.isArray(out.policy.rules)) {
    out.policy = { ...out.policy, rules: out.policy.rules.map((r) => (isObj(r) ? foldLegacyRule(r) : r)) };
  }
  if (typeof raw.dns_rebind_protection === "boolean") {
    const dns = isObj(raw.dns) ? raw.dns : raw.dns === undefined ? {} : undefined;
    if (dns !== undefined && dns.rebind_protection === undefined) out.dns = { ...dns, rebind_protection: raw.dns_rebind_protection };
  }
  return out;
}

type ZodIssue = z.core.$ZodIssue;

type SchemaNode = { $ref?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode; oneOf?: SchemaNode[] };

function deref(n: SchemaNode | undefined): SchemaNode | undefined {
  let cur = n;
  for (let i = 0; i < 8 && cur?.$ref !== undefined; i++) {
    const name = cur.$ref.replace("#/$defs/", "");
    cur = (networkJsonSchema as unknown as { $defs: Record<string, SchemaNode> }).$defs[name];
  }
  return cur;
}

/** The field names the schema accepts for the object at `segs` (undefined when unknown). */
export function knownFields(segs: readonly PathSegment[]): string[] | undefined {
  let node = deref(networkJsonSchema as unknown as SchemaNode);
  for (const s of segs) {
    if (node === undefined) return undefined;
    if (typeof s === "number") node = deref(node.items);
    else if (node.properties?.[s] !== undefined) node = deref(node.properties[s]);
    else node = deref(node.oneOf?.find((o) => deref(o)?.properties?.[s] !== undefined)?.properties?.[s]);
  }
  if (node?.properties === undefined && node?.oneOf !== undefined) {
    const keys = node.oneOf.flatMap((o) => Object.keys(deref(o)?.properties ?? {}));
    return keys.length > 0 ? keys : undefined;
  }
  return node?.properties === undefined ? undefined : Object.keys(node.properties).filter((k) => !k.startsWith("$"));
}

function describeZodIssue(issue: ZodIssue, root: unknown): ConfigIssue[] {
  const segs = issue.path.filter((s): s is string | number => typeof s !== "symbol") as PathSegment[];
  const value = valueAt(root, segs);
  const path = formatPath(segs);
  if (value === undefined && issue.code !== "unrecognized_keys") {
    const expected =
      issue.code === "invalid_value"
        ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`
        : issue.code === "invalid_type"
          ? String(issue.expected)
          : issue.code === "invalid_union"
            ? (unionExpected(segs) ?? (segs[segs.length - 1] === "destination" ? '"any", {"cidr": ...}, {"domain": ...}, {"domain_suffix": ...} or {"group": ...}' : undefined))
            : undefined;
    return [expected === undefined ? { path, message: "missing required field" } : { path, message: "missing required field", expected }];
  }
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({
        path: formatPath([...segs, k]),
        message: `unknown field \`${k}\``,
        value: valueAt(root, [...segs, k]),
        expected: ((f) => (f === undefined ? "a field of schemas/network.schema.json (snake_case)" : `one of ${f.join(", ")}`))(knownFields(segs)),
      }));
    case "invalid_type":
      return [{ path, message: `wrong type: expected ${issue.expected}`, value, expected: String(issue.expected) }];
    case "invalid_value":
      return [{ path, message: "unknown value", value, expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
    case "too_big":
      return [{ path, message: `value is too large`, value, expected: `${issue.inclusive === false ? "<" : "<="} ${String(issue.maximum)}${issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : ""}` }];
    case "too_small":
      return [{ path, message: `value is too small`, value, expected: `${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}${issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : ""}` }];
    case "invalid_union":
      return [{ path, message: "does not match any accepted shape", value, expected: unionExpected(segs) }];
    default:
      return [{ path, message: issue.message, value }];
  }
}

function unionExpected(segs: readonly PathSegment[]): string | undefined {
  const last = [...segs].reverse().find((s) => typeof s === "string");
  if (last === "allowed_hosts" || last === "passthrough") return '{"exact": "<host>"}, {"wildcard": "*.<suffix>"} or "any"';
  if (last === "on_violation") return '"block", "block-and-log", "block-and-terminate" or {"passthrough": [<host pattern>, ...]}';
  return undefined;
}

function owned(path: string, owners: ReadonlySet<string>): boolean {
  for (const o of owners) if (path === o || path.startsWith(`${o}.`) || path.startsWith(`${o}[`)) return true;
  return false;
}

/**
 * Parses and validates a network config (the canonical wire format, D3). On success the value has
 * every default filled in (zod output); normalize it with `normalizeNetworkConfig`. On failure
 * every problem is listed.
 */
export function parseNetworkConfig(input: unknown): ConfigResult<NetworkConfig> {
  if (!isObj(input)) {
    return { ok: false, errors: [{ path: "$", message: "a network config must be a JSON object", value: input, expected: "an object such as {\"preset\": \"public-only\"}" }] };
  }
  const prepared = resolvePresence(input);
  const sink = new IssueSink();
  checkSemantics(input, sink);
  const r = NetworkConfig.safeParse(prepared);
  const errors: ConfigIssue[] = [];
  if (!r.success) {
    for (const issue of r.error.issues) {
      for (const ci of describeZodIssue(issue, input)) if (!owned(ci.path, sink.owned)) errors.push(ci);
    }
  }
  errors.push(...sink.issues);
  if (errors.length > 0 || !r.success) return { ok: false, errors: inDocumentOrder(dedupe(errors), input) };
  return { ok: true, value: r.data };
}

/** Splits a formatted path (`$.a[2]["b c"]`) back into segments. */
function pathSegments(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3] ?? '""') as string)));
  }
  return out;
}

/** Position of a path in the input document: per level, the key's (or index's) rank; absent keys sort last. */
function documentRank(root: unknown, segs: readonly PathSegment[]): number[] {
  const rank: number[] = [];
  let cur: unknown = root;
  for (const s of segs) {
    if (typeof s === "number") rank.push(s);
    else {
      const keys = cur !== null && typeof cur === "object" ? Object.keys(cur) : [];
      const i = keys.indexOf(s);
      rank.push(i < 0 ? Number.MAX_SAFE_INTEGER : i);
    }
    cur = cur !== null && typeof cur === "object" ? (cur as Record<string | number, unknown>)[s] : undefined;
  }
  return rank;
}

/** Sorts issues in the order their paths appear in the input (stable for equal paths). */
function inDocumentOrder(issues: ConfigIssue[], root: unknown): ConfigIssue[] {
  const ranked = issues.map((issue, i) => ({ issue, i, rank: documentRank(root, pathSegments(issue.path)) }));
  ranked.sort((a, b) => {
    for (let k = 0; k < Math.min(a.rank.length, b.rank.length); k++) if (a.rank[k] !== b.rank[k]) return a.rank[k]! - b.rank[k]!;
    return a.rank.length - b.rank.length || a.i - b.i;
  });
  return ranked.map((r) => r.issue);
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Like {@link parseNetworkConfig} but throws a {@link ConfigError} listing every problem. */
export function parseNetworkConfigOrThrow(input: unknown): NetworkConfig {
  const r = parseNetworkConfig(input);
  if (!r.ok) throw new ConfigError(r.errors);
  return r.value;
}
