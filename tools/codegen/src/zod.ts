/**
 * JSON Schema (restricted profile) → zod 4 source text. One exported schema constant per
 * `$defs` entry plus the root, each with `z.output`/`z.input` type aliases and JSDoc taken from
 * the schema's `description`. Definitions are emitted in dependency order (the profile has no
 * recursion), so no `z.lazy` is needed.
 */
import type { SchemaNode } from "./profile.js";

/** Emit the zod module body (without the @generated header) for one schema file. */
export function emitZod(root: SchemaNode): string {
  const defs = root.$defs ?? {};
  const rootName = root.title!;
  const all: Record<string, SchemaNode> = { ...defs, [rootName]: stripDefs(root) };
  const order = dependencyOrder(all);
  const out: string[] = ['import { z } from "zod";', ""];
  for (const name of order) {
    const node = all[name]!;
    out.push(jsdoc(node.description, ""));
    out.push(`export const ${name} = ${expr(node, "")};`);
    out.push(`/** Parsed (output) form of {@link ${name}}: defaults applied. */`);
    out.push(`export type ${name} = z.output<typeof ${name}>;`);
    out.push(`/** Accepted (input) form of {@link ${name}}: fields with defaults may be omitted. */`);
    out.push(`export type ${name}Input = z.input<typeof ${name}>;`);
    out.push("");
  }
  return out.join("\n");
}

function stripDefs(root: SchemaNode): SchemaNode {
  const { $defs: _d, $schema: _s, $id: _i, ...rest } = root;
  return rest;
}

function refName(ref: string): string {
  return ref.slice("#/$defs/".length);
}

function dependencyOrder(all: Record<string, SchemaNode>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (name: string, stack: string[]) => {
    if (done.has(name)) return;
    if (stack.includes(name)) throw new Error(`recursive $ref cycle: ${[...stack, name].join(" -> ")}`);
    for (const dep of refsOf(all[name]!)) visit(dep, [...stack, name]);
    done.add(name);
    order.push(name);
  };
  for (const name of Object.keys(all).sort()) visit(name, []);
  return order;
}

function refsOf(node: SchemaNode): string[] {
  const refs: string[] = [];
  const walk = (n: SchemaNode) => {
    if (n.$ref) refs.push(refName(n.$ref));
    Object.values(n.properties ?? {}).forEach(walk);
    if (n.items) walk(n.items);
    if (typeof n.additionalProperties === "object") walk(n.additionalProperties);
    if (n.propertyNames) walk(n.propertyNames);
    n.oneOf?.forEach(walk);
  };
  walk(node);
  return refs;
}

function jsdoc(text: string | undefined, indent: string): string {
  if (!text) return "";
  const lines = text.replace(/\*\//g, "*\\/").split("\n");
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join("\n");
}

function lit(v: unknown): string {
  return JSON.stringify(v);
}

/** The zod expression for a node, without default/optional wrappers. */
function base(node: SchemaNode, indent: string): string {
  if (node.$ref) return refName(node.$ref);
  if (node.oneOf) {
    const alts = node.oneOf.map((a) => expr(a, indent + "  "));
    return `z.union([\n${alts.map((a) => `${indent}  ${a},`).join("\n")}\n${indent}])`;
  }
  if (node.const !== undefined) return `z.literal(${lit(node.const)})`;
  if (node.enum) {
    if (node.enum.every((e) => typeof e === "string")) return `z.enum(${lit(node.enum)})`;
    return `z.union([${node.enum.map((e) => `z.literal(${lit(e)})`).join(", ")}])`;
  }
  switch (node.type) {
    case "string": {
      let s = "z.string()";
      if (node.minLength !== undefined) s += `.min(${node.minLength})`;
      if (node.maxLength !== undefined) s += `.max(${node.maxLength})`;
      if (node.pattern !== undefined) s += `.regex(new RegExp(${lit(node.pattern)}, "u"))`;
      return s;
    }
    case "integer":
    case "number": {
      let s = node.type === "integer" ? "z.int()" : "z.number()";
      if (node.minimum !== undefined) s += `.min(${node.minimum})`;
      if (node.maximum !== undefined) s += `.max(${node.maximum})`;
      return s;
    }
    case "boolean":
      return "z.boolean()";
    case "null":
      return "z.null()";
    case "array": {
      let s = `z.array(${expr(node.items!, indent)})`;
      if (node.minItems !== undefined) s += `.min(${node.minItems})`;
      if (node.maxItems !== undefined) s += `.max(${node.maxItems})`;
      return s;
    }
    case "object": {
      if (typeof node.additionalProperties === "object") {
        const key = node.propertyNames ? expr(node.propertyNames, indent) : "z.string()";
        return `z.record(${key}, ${expr(node.additionalProperties, indent)})`;
      }
      const req = new Set(node.required ?? []);
      const fields = Object.entries(node.properties ?? {}).map(([k, v]) => {
        let e = expr(v, indent + "  ");
        if (v.default === undefined && !req.has(k)) e += ".optional()";
        const doc = jsdoc(v.description, indent + "  ");
        const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k);
        return `${doc ? doc + "\n" : ""}${indent}  ${key}: ${e},`;
      });
      return `z.strictObject({\n${fields.join("\n")}\n${indent}})`;
    }
    default:
      throw new Error(`unsupported schema node: ${JSON.stringify(node).slice(0, 120)}`);
  }
}

/** The zod expression for a node including its default. */
function expr(node: SchemaNode, indent: string): string {
  const b = base(node, indent);
  const v = node.default;
  if (v === undefined) return b;
  // Object defaults go through the schema (zod's prefault) so that nested defaults apply too;
  // arrays get a fresh copy per parse.
  if (v !== null && typeof v === "object" && !Array.isArray(v)) return `${b}.prefault(${lit(v)})`;
  if (Array.isArray(v)) return `${b}.default(() => ${lit(v)})`;
  return `${b}.default(${lit(v)})`;
}
