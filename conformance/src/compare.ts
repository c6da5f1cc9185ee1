/**
 * Comparing a testee response with a vector's `expect`.
 *
 * - `"error"` expects any rejection; `"error: <text>"` a rejection whose message starts with
 *   `<text>`. Internal testee errors never count as rejections.
 * - Otherwise deep equality, where an expected object is a *projection*: each expected key is
 *   resolved on the actual value (driven by the expected keys, not by the vector ids) as
 *   1. the key itself;
 *   2. `effective_<k>`: `<k>` looked up in the actual's `effective` view (the canonical config);
 *   3. `<k>Contains`: the actual's `<k>` string must contain the expected text;
 *   4. a plural `<k>s`: `<k>` (found at any depth) of every element of the first list of objects
 *      in the actual that has it (e.g. `directions` over `rules[].direction`);
 *   5. `<k>` at any depth (breadth-first, shallowest first);
 *   and extra actual keys are ignored. Arrays compare element-wise with equal length.
 * - An expected string compared with an actual object renders the object (a rule as
 *   `allow egress host udp/53`, a policy equal to a profile expansion as `from_profiles([public])`,
 *   anything else as JSON) and matches when equal or when the expected prose contains it.
 * - An expected string `<value> (<comment>)` matches the actual string `<value>`.
 * - Expected keys `note`, `notes` and `note_<x>` are prose for readers, not assertions.
 */
import { policyFromProfiles, type NetworkPolicy, type Rule } from "@sandbox/core";
import type { TesteeResponse } from "./protocol.js";

type Found = { found: true; value: unknown } | { found: false };

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepFind(root: unknown, key: string): Found {
  const queue: unknown[] = [root];
  const seen = new Set<unknown>();
  while (queue.length > 0) {
    const v = queue.shift();
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    seen.add(v);
    if (isObj(v) && Object.prototype.hasOwnProperty.call(v, key)) return { found: true, value: v[key] };
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (typeof c === "object" && c !== null) queue.push(c);
  }
  return { found: false };
}

function lists(root: unknown): unknown[][] {
  const out: unknown[][] = [];
  const queue: unknown[] = [root];
  while (queue.length > 0) {
    const v = queue.shift();
    if (Array.isArray(v)) {
      if (v.length > 0 && v.every(isObj)) out.push(v);
    } else if (isObj(v)) queue.push(...Object.values(v));
  }
  return out;
}

/** Resolves an expected key on an actual value (see the module doc). */
export function resolveKey(actual: unknown, key: string): Found {
  if (isObj(actual) && Object.prototype.hasOwnProperty.call(actual, key)) return { found: true, value: actual[key] };
  if (key.startsWith("effective_") && isObj(actual) && actual.effective !== undefined) {
    const f = deepFind(actual.effective, key.slice("effective_".length));
    if (f.found) return f;
  }
  if (key.endsWith("s") && key.length > 1) {
    const singular = key.slice(0, -1);
    for (const list of lists(actual)) {
      const vals = list.map((el) => deepFind(el, singular));
      if (vals.every((f) => f.found)) return { found: true, value: vals.map((f) => (f as { value: unknown }).value) };
    }
  }
  return deepFind(actual, key);
}

function isRule(v: unknown): v is Rule {
  return isObj(v) && "direction" in v && "destination" in v && "action" in v;
}

function isPolicy(v: unknown): v is NetworkPolicy {
  return isObj(v) && "default_egress" in v && "default_ingress" in v && Array.isArray(v.rules);
}

/** Renders a rule as `allow egress host udp/53`, `deny any cidr 10.0.0.0/8`, ... */
export function renderRule(r: Rule): string {
  const d = r.destination;
  const dest = d === "any" ? "any" : "cidr" in d ? d.cidr : "domain" in d ? d.domain : "domain_suffix" in d ? `.${d.domain_suffix}` : d.group;
  const ports = r.ports.map((p) => (p.start === p.end ? `${p.start}` : `${p.start}-${p.end}`)).join(",");
  const protos = r.protocols.join("+");
  const filt = protos && ports ? `${protos}/${ports}` : protos ? protos : ports ? `port ${ports}` : "";
  return `${r.action} ${r.direction} ${dest}${filt ? ` ${filt}` : ""}`;
}

const SUBSETS: ("public" | "private" | "host")[][] = [["public"], ["private"], ["host"], ["public", "private"], ["public", "host"], ["private", "host"], ["public", "private", "host"], []];

/** Renders a policy as `from_profiles([...])` when it is a profile expansion, else JSON. */
export function renderPolicy(p: NetworkPolicy): string {
  for (const s of SUBSETS) if (JSON.stringify(policyFromProfiles(s)) === JSON.stringify({ default_egress: p.default_egress, default_ingress: p.default_ingress, rules: p.rules })) return `from_profiles([${s.join(", ")}])`;
  return JSON.stringify(p);
}

function render(v: unknown): string {
  if (isRule(v)) return renderRule(v);
  if (isPolicy(v)) return renderPolicy(v);
  return JSON.stringify(v);
}

/** Why a comparison failed (path and both values), or undefined when it matched. */
export function mismatch(expected: unknown, actual: unknown, path = "$"): string | undefined {
  if (typeof expected === "string") {
    if (typeof actual === "string") {
      if (actual === expected) return undefined;
      const m = /^(.*) \((.*)\)$/s.exec(expected);
      if (m !== null && m[1] === actual) return undefined;
      return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    }
    if (typeof actual === "object" && actual !== null) {
      const r = render(actual);
      if (r === expected || (r.length > 0 && expected.includes(r))) return undefined;
      return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(r)}`;
    }
    return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(expected[i], actual[i], `${path}[${i}]`);
      if (m !== undefined) return m;
    }
    return undefined;
  }
  if (isObj(expected)) {
    if (typeof actual !== "object" || actual === null) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, ev] of Object.entries(expected)) {
      if (k === "note" || k === "notes" || k.startsWith("note_")) continue;
      if (k.endsWith("Contains") && typeof ev === "string") {
        const base = resolveKey(actual, k.slice(0, -"Contains".length));
        if (base.found && typeof base.value === "string" && base.value.includes(ev)) continue;
        if (!base.found || typeof base.value === "string") return `${path}.${k}: expected ${k.slice(0, -8)} to contain ${JSON.stringify(ev)}, got ${JSON.stringify(base.found ? base.value : undefined)}`;
      }
      const f = resolveKey(actual, k);
      if (!f.found) return `${path}.${k}: missing in ${JSON.stringify(actual).slice(0, 300)}`;
      const m = mismatch(ev, f.value, `${path}.${k}`);
      if (m !== undefined) return m;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** Compares a response with an expectation; returns the failure reason or undefined. */
export function judge(expected: unknown, res: TesteeResponse | undefined): string | undefined {
  if (res === undefined) return "no response";
  if (typeof expected === "string" && (expected === "error" || expected.startsWith("error:"))) {
    if (!("error" in res)) return `expected ${JSON.stringify(expected)}, got ${JSON.stringify(res.actual).slice(0, 300)}`;
    if (res.error.startsWith("internal error:")) return res.error;
    if (expected === "error") return undefined;
    const want = expected.slice("error:".length).trim();
    return res.error.startsWith(want) ? undefined : `expected error starting ${JSON.stringify(want)}, got ${JSON.stringify(res.error)}`;
  }
  if ("error" in res) return `expected ${JSON.stringify(expected).slice(0, 200)}, got error ${JSON.stringify(res.error)}`;
  return mismatch(expected, res.actual);
}
