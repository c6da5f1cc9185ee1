/**
 * The restricted JSON Schema profile every file in `schemas/` must follow (see schemas/README.md).
 * Checking it here keeps the schemas expressible both as zod and as serde-shaped bindings.
 */

/** A JSON Schema node as read from disk (the subset of keywords the profile allows). */
export interface SchemaNode {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Record<string, SchemaNode>;
  title?: string;
  description?: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean" | "null";
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  enum?: (string | number)[];
  const?: string | number | boolean;
  oneOf?: SchemaNode[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  [hint: `x-${string}`]: unknown;
}

const ALLOWED = new Set([
  "$schema", "$id", "$ref", "$defs", "title", "description", "type", "properties", "required",
  "additionalProperties", "propertyNames", "items", "enum", "const", "oneOf", "default", "minimum",
  "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
]);
const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** A profile violation with the JSON pointer of the offending node. */
export interface ProfileIssue {
  pointer: string;
  message: string;
}

/** Check a whole schema file against the restricted profile; returns every violation found. */
export function checkProfile(root: SchemaNode, file: string): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const add = (pointer: string, message: string) => issues.push({ pointer: `${file}#${pointer}`, message });
  if (root.$schema !== "https://json-schema.org/draft/2020-12/schema") {
    add("/$schema", "must be https://json-schema.org/draft/2020-12/schema");
  }
  if (typeof root["x-package"] !== "string") add("/x-package", "must name the owning package (e.g. \"core\")");
  if (!root.title || !/^[A-Z][A-Za-z0-9]*$/.test(root.title)) add("/title", "must be a PascalCase type name");
  const defs = root.$defs ?? {};
  for (const name of Object.keys(defs)) {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) add(`/$defs/${name}`, "definition names must be PascalCase");
  }
  walk(root, "", true);
  return issues;

  function walk(node: SchemaNode, ptr: string, describedByParent: boolean): void {
    for (const key of Object.keys(node)) {
      if (!ALLOWED.has(key) && !key.startsWith("x-")) add(`${ptr}/${key}`, `keyword "${key}" is outside the profile`);
    }
    if (!node.description && !describedByParent && node.$ref === undefined) add(ptr, "every node needs a description (a $ref inherits its definition's)");
    if (node.$ref !== undefined) {
      const m = /^#\/\$defs\/([A-Za-z0-9]+)$/.exec(node.$ref);
      if (!m || !defs[m[1]!]) add(`${ptr}/$ref`, `only local refs to existing #/$defs/<Name> are allowed, got ${node.$ref}`);
    }
    if (node.type === "object" || node.properties) {
      if (node.additionalProperties === undefined || node.additionalProperties === true) {
        add(ptr, "objects must set additionalProperties: false (or a value schema for maps)");
      }
      for (const [k, v] of Object.entries(node.properties ?? {})) {
        if (!SNAKE.test(k) && !(k === "$schema" && ptr === "")) add(`${ptr}/properties/${k}`, "property names must be snake_case");
        walk(v, `${ptr}/properties/${k}`, false);
      }
      for (const r of node.required ?? []) {
        if (!node.properties?.[r]) add(`${ptr}/required`, `required property "${r}" is not declared`);
        else if (node.properties[r]!.default !== undefined) add(`${ptr}/properties/${r}`, "a required property cannot have a default");
      }
      if (typeof node.additionalProperties === "object") walk(node.additionalProperties, `${ptr}/additionalProperties`, true);
      if (node.propertyNames) walk(node.propertyNames, `${ptr}/propertyNames`, true);
    }
    if (node.type === "integer" && (node.minimum === undefined || node.maximum === undefined)) {
      add(ptr, "integers need an explicit minimum and maximum");
    }
    if (node.items) walk(node.items, `${ptr}/items`, true);
    if (node.oneOf) {
      node.oneOf.forEach((alt, i) => {
        const single = alt.type === "object" && Object.keys(alt.properties ?? {}).length === 1 && alt.required?.length === 1;
        const constant = alt.const !== undefined || (alt.type === "string" && alt.enum !== undefined);
        if (!single && !constant) add(`${ptr}/oneOf/${i}`, "union members must be string constants or single-key objects (external tagging)");
        walk(alt, `${ptr}/oneOf/${i}`, false);
      });
    }
    for (const [name, def] of Object.entries(ptr === "" ? defs : {})) walk(def, `/$defs/${name}`, false);
  }
}
