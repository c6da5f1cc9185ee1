/**
 * JSON Schema → Python, Go and Rust bindings with quicktype-core, for the polyglot conformance
 * harnesses in conformance/{python,go,rust}/gen/. quicktype ignores 2020-12 `$defs` names, so the
 * schema is handed over with draft-07 `definitions` (which keep them).
 */
import { FetchingJSONSchemaStore, InputData, JSONSchemaInput, quicktype } from "quicktype-core";
import type { SchemaNode } from "./profile.js";

/** One binding language: quicktype's language name, output file name and renderer options. */
interface Target {
  lang: "python" | "go" | "rust";
  file: (base: string) => string;
  options: Record<string, string | boolean>;
}

const TARGETS: Target[] = [
  { lang: "python", file: (b) => `${b}.py`, options: { "python-version": "3.7", "just-types": false, "nice-property-names": false } },
  { lang: "go", file: (b) => `${b}.go`, options: { package: "gen", "just-types-and-package": false } },
  { lang: "rust", file: (b) => `${b}.rs`, options: { density: "normal", visibility: "public", "derive-debug": true, "derive-clone": true, "derive-partial-eq": true } },
];

/** Rewrite `$defs` refs to draft-07 `definitions` so quicktype keeps the type names. */
function toDraft07(root: SchemaNode): unknown {
  // The root `$schema` *property* is editor metadata, not part of the canonical wire format.
  const { $schema: _editorHint, ...properties } = root.properties ?? {};
  const draft = { ...root, $schema: "http://json-schema.org/draft-07/schema#", properties };
  const text = JSON.stringify(draft)
    .replaceAll('"#/$defs/', '"#/definitions/')
    .replace('"$defs":', '"definitions":');
  return JSON.parse(text);
}

/** Render bindings for one schema in every target language: path (relative to conformance/) → text. */
export async function emitBindings(root: SchemaNode, baseName: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of TARGETS) {
    const input = new JSONSchemaInput(new FetchingJSONSchemaStore());
    await input.addSource({ name: root.title!, schema: JSON.stringify(toDraft07(root)) });
    const data = new InputData();
    data.addInput(input);
    const result = await quicktype({ inputData: data, lang: t.lang, rendererOptions: t.options, leadingComments: [] });
    out.set(`${t.lang}/gen/${t.file(baseName)}`, result.lines.join("\n") + "\n");
  }
  return out;
}
