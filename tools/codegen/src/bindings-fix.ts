/**
 * Post-processing of quicktype's bindings where its output is lossy: object unions merged into
 * all-optional structs, dropped constraints (lengths, patterns, ranges, item counts), unknown keys
 * accepted, `null` read as absent, integers typed without their range. Each language fixer keeps
 * quicktype's type names, docs and field order and re-emits fields, unions and checks from the
 * schema model (bindings/model.ts); the result is deterministic for a given schema.
 */
import { buildModel } from "./bindings/model.js";
import { fixGo } from "./bindings/go.js";
import { fixPython } from "./bindings/python.js";
import { fixRust } from "./bindings/rust.js";
import type { SchemaNode } from "./profile.js";

/** A binding language quicktype renders. */
export type BindingLang = "python" | "go" | "rust";

/** Rewrite quicktype's output for `lang` so it is lossless and strict for the schema `root`. */
export function fixBindings(lang: BindingLang, text: string, root: SchemaNode): string {
  const model = buildModel(root);
  switch (lang) {
    case "rust":
      return fixRust(text, model);
    case "go":
      return fixGo(text, model);
    case "python":
      return fixPython(text, model);
  }
}
