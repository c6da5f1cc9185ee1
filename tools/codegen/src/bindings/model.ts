/**
 * The language-neutral model the binding post-processor works from: every object definition of a
 * schema (its JSON keys, required keys and per-key value types with their constraints), every
 * string enum and every externally tagged union (`oneOf` of string constants/enums and single-key
 * objects). quicktype loses the unions and the constraints; the language fixers re-emit them from
 * this model.
 */
import type { SchemaNode } from "../profile.js";

/** A value type with the constraints the bindings must enforce. */
export type Ty =
  | { k: "string"; minLength?: number; maxLength?: number; pattern?: string }
  | { k: "integer"; minimum?: number; maximum?: number }
  | { k: "boolean" }
  | { k: "array"; items: Ty; minItems?: number; maxItems?: number }
  | { k: "object"; name: string }
  | { k: "enum"; name: string | undefined; values: string[] }
  | { k: "union"; name: string };

/** One property of an object definition. */
export interface PropModel {
  key: string;
  required: boolean;
  ty: Ty;
}

/** An object definition (`additionalProperties: false` is assumed: the profile demands it). */
export interface ObjModel {
  name: string;
  props: PropModel[];
}

/** One alternative of a tagged union. */
export type Variant =
  | { kind: "literal"; value: string; description?: string }
  | { kind: "single"; key: string; ty: Ty; description?: string };

/** An externally tagged union (`"any"` or `{"cidr": "..."}` style). */
export interface UnionModel {
  name: string;
  description?: string;
  variants: Variant[];
}

/** Everything the fixers need from one schema. */
export interface SchemaModel {
  root: string;
  objects: Map<string, ObjModel>;
  enums: Map<string, string[]>;
  unions: Map<string, UnionModel>;
}

/** Raised for schema constructs the bindings cannot express; names the JSON pointer. */
export class UnsupportedSchemaError extends Error {}

function refName(ref: string): string {
  const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
  if (!m) throw new UnsupportedSchemaError(`unsupported $ref ${ref}; only #/$defs/<Name> is accepted`);
  return m[1]!;
}

/** Whether a oneOf alternative is a string literal (`const`) or a string enum. */
function literals(n: SchemaNode): string[] | undefined {
  if (typeof n.const === "string") return [n.const];
  if (n.type === "string" && n.enum && n.enum.every((v) => typeof v === "string")) return n.enum as string[];
  return undefined;
}

/** Build the model; throws UnsupportedSchemaError with the pointer of anything it cannot model. */
export function buildModel(root: SchemaNode): SchemaModel {
  const defs = root.$defs ?? {};
  const model: SchemaModel = { root: root.title!, objects: new Map(), enums: new Map(), unions: new Map() };

  const tyOf = (n: SchemaNode, ptr: string): Ty => {
    if (n.$ref) {
      const name = refName(n.$ref);
      const d = defs[name];
      if (!d) throw new UnsupportedSchemaError(`${ptr}: $ref to missing definition ${name}`);
      if (d.oneOf) return { k: "union", name };
      if (d.enum) return { k: "enum", name, values: d.enum.map(String) };
      if (d.type === "object") return { k: "object", name };
      return tyOf({ ...d, description: undefined }, `/$defs/${name}`);
    }
    if (n.oneOf) {
      const lits = n.oneOf.map(literals);
      if (lits.every((l) => l)) return { k: "enum", name: undefined, values: lits.flatMap((l) => l!) };
      throw new UnsupportedSchemaError(`${ptr}: inline oneOf with objects; move it to $defs`);
    }
    switch (n.type) {
      case "string":
        if (n.enum) return { k: "enum", name: undefined, values: n.enum.map(String) };
        return { k: "string", minLength: n.minLength, maxLength: n.maxLength, pattern: n.pattern };
      case "integer":
        return { k: "integer", minimum: n.minimum, maximum: n.maximum };
      case "boolean":
        return { k: "boolean" };
      case "array":
        if (!n.items) throw new UnsupportedSchemaError(`${ptr}: array without items`);
        return { k: "array", items: tyOf(n.items, `${ptr}/items`), minItems: n.minItems, maxItems: n.maxItems };
      default:
        throw new UnsupportedSchemaError(`${ptr}: unsupported type ${JSON.stringify(n.type)}`);
    }
  };

  const objOf = (name: string, n: SchemaNode, ptr: string): ObjModel => {
    if (n.additionalProperties !== false) throw new UnsupportedSchemaError(`${ptr}: objects must set additionalProperties: false`);
    const req = new Set(n.required ?? []);
    const props = Object.entries(n.properties ?? {}).map(([key, p]) => ({
      key,
      required: req.has(key),
      ty: tyOf(p, `${ptr}/properties/${key}`),
    }));
    return { name, props };
  };

  model.objects.set(root.title!, objOf(root.title!, root, ""));
  for (const [name, d] of Object.entries(defs)) {
    const ptr = `/$defs/${name}`;
    if (d.oneOf) {
      const lits = d.oneOf.map(literals);
      if (lits.every((l) => l)) {
        model.enums.set(name, lits.flatMap((l) => l!));
        continue;
      }
      const variants: Variant[] = d.oneOf.flatMap((alt, i): Variant[] => {
        const l = literals(alt);
        if (l) return l.map((value) => ({ kind: "literal", value, description: alt.description }));
        const keys = Object.keys(alt.properties ?? {});
        if (alt.type !== "object" || keys.length !== 1 || alt.required?.[0] !== keys[0] || alt.additionalProperties !== false) {
          throw new UnsupportedSchemaError(`${ptr}/oneOf/${i}: a union alternative must be a string literal or an object with exactly one required key`);
        }
        const key = keys[0]!;
        return [{ kind: "single", key, ty: tyOf(alt.properties![key]!, `${ptr}/oneOf/${i}/properties/${key}`), description: alt.description }];
      });
      model.unions.set(name, { name, description: d.description, variants });
    } else if (d.enum) {
      model.enums.set(name, d.enum.map(String));
    } else if (d.type === "object") {
      model.objects.set(name, objOf(name, d, ptr));
    }
  }
  return model;
}

/** PascalCase of a JSON key or literal (`block-and-log` → `BlockAndLog`, `link_local` → `LinkLocal`). */
export function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

/** Translate an ECMAScript `\uXXXX` pattern escape to the `\x{XXXX}` form RE2 and Rust regex accept. */
export function patternForRe2(p: string): string {
  return p.replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => `\\x{${h}}`);
}

/** A one-line description of the accepted shape of a union, for error messages. */
export function unionExpectation(u: UnionModel): string {
  const lits = u.variants.filter((v) => v.kind === "literal").map((v) => JSON.stringify((v as { value: string }).value));
  const keys = u.variants.filter((v) => v.kind === "single").map((v) => (v as { key: string }).key);
  const parts = [];
  if (lits.length) parts.push(`one of ${lits.join(", ")}`);
  if (keys.length) parts.push(`an object with exactly one key of ${keys.join(", ")}`);
  return parts.join(" or ");
}

/** Key set signature used to match quicktype's classes to schema objects. */
export function keySig(keys: Iterable<string>): string {
  return [...keys].sort().join(",");
}
