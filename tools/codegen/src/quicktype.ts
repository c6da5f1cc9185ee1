/**
 * JSON Schema → Python, Go and Rust bindings with quicktype-core, for the polyglot conformance
 * harnesses in conformance/{python,go,rust}/gen/. quicktype ignores 2020-12 `$defs` names, so the
 * schema is handed over with draft-07 `definitions` (which keep them). quicktype's output is then
 * made lossless and strict by bindings-fix.ts. Bindings are emitted for the wire-format schemas
 * (`"x-package": "core"`) only: the others describe host-side settings no SDK sends.
 */
import { FetchingJSONSchemaStore, InputData, JSONSchemaInput, quicktype } from "quicktype-core";
import { fixBindings } from "./bindings-fix.js";
import type { SchemaNode } from "./profile.js";

/** One binding language: quicktype's language name, output file name and renderer options. */
interface Target {
  lang: "python" | "go" | "rust";
  file: (base: string) => string;
  options: Record<string, string | boolean>;
}

const TARGETS: Target[] = [
  { lang: "python", file: (b) => `${b}.py`, options: { "python-version": "3.7", "just-types": false, "nice-property-names": true } },
  { lang: "go", file: (b) => `${b}.go`, options: { package: "gen", "just-types-and-package": false } },
  { lang: "rust", file: (b) => `${b}.rs`, options: { density: "normal", visibility: "public", "derive-debug": true, "derive-clone": true, "derive-partial-eq": true } },
];

/** The schema the bindings describe: the root `$schema` *property* is editor metadata, not wire format. */
function bindingRoot(root: SchemaNode): SchemaNode {
  const { $schema: _editorHint, ...properties } = root.properties ?? {};
  return { ...root, properties };
}

/** Rewrite `$defs` refs to draft-07 `definitions` so quicktype keeps the type names. */
function toDraft07(root: SchemaNode): unknown {
  const draft = { ...root, $schema: "http://json-schema.org/draft-07/schema#" };
  const text = JSON.stringify(draft)
    .replaceAll('"#/$defs/', '"#/definitions/')
    .replace('"$defs":', '"definitions":');
  return JSON.parse(text);
}

/** Render bindings for one schema in every target language: path (relative to conformance/) → text. */
export async function emitBindings(root: SchemaNode, baseName: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (root["x-package"] !== "core") return out;
  root = bindingRoot(root);
  for (const t of TARGETS) {
    const input = new JSONSchemaInput(new FetchingJSONSchemaStore());
    await input.addSource({ name: root.title!, schema: JSON.stringify(toDraft07(root)) });
    const data = new InputData();
    data.addInput(input);
    const result = await quicktype({ inputData: data, lang: t.lang, rendererOptions: t.options, leadingComments: [] });
    const text = fixBindings(t.lang, result.lines.join("\n"), root);
    out.set(`${t.lang}/gen/${t.file(baseName)}`, text.replace(/[ \t]+$/gm, "").replace(/\n*$/, "\n"));
  }
  return out;
}
