/**
 * Renders the bindings of conformance/polyglot/stress/stress.schema.json (a schema exercising
 * constructs the network schema does not use) with the real codegen path (quicktype + the
 * bindings post-processor) into a scratch tree, and referees stress/cases.json with ajv, so
 * polyglot.sh can compile and run the harnesses on it: the post-processor must stay generic.
 *
 * Usage: tsx conformance/polyglot/gen-stress.ts <out-dir>   (writes <out-dir>/{python,go,rust}/gen/network.*)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";

const here = dirname(fileURLToPath(import.meta.url));

/** tools/codegen's `emitBindings` (loaded by path: the codegen is a separate private package). */
type EmitBindings = (root: object, baseName: string) => Promise<Map<string, string>>;
async function loadEmitBindings(): Promise<EmitBindings> {
  const url = pathToFileURL(join(here, "..", "..", "tools", "codegen", "src", "quicktype.ts")).href;
  return ((await import(url)) as { emitBindings: EmitBindings }).emitBindings;
}

/** Write the stress bindings under `out`; throws if a stress case is misfiled against the schema. */
export async function genStress(out: string): Promise<number> {
  const schema = JSON.parse(readFileSync(join(here, "stress", "stress.schema.json"), "utf8")) as object;
  const cases = JSON.parse(readFileSync(join(here, "stress", "cases.json"), "utf8")) as { valid: { id: string; input: unknown }[]; invalid: { id: string; input: unknown }[] };
  const validate = new Ajv2020({ strict: false }).compile(schema as object);
  const bad = [
    ...cases.valid.filter((c) => !validate(c.input)).map((c) => `${c.id}: filed valid, schema rejects`),
    ...cases.invalid.filter((c) => validate(c.input)).map((c) => `${c.id}: filed invalid, schema accepts`),
  ];
  if (bad.length) throw new Error(`stress cases disagree with stress.schema.json:\n${bad.join("\n")}`);
  const files = await (await loadEmitBindings())(schema, "network");
  for (const [rel, text] of files) {
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    writeFileSync(join(out, rel), text);
  }
  return files.size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: gen-stress.ts <out-dir>");
    process.exit(2);
  }
  const n = await genStress(out);
  console.log(`gen-stress: ${n} binding files -> ${out}`);
}
