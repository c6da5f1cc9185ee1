/**
 * Exports the wire-config cases the Python, Go and Rust harnesses round-trip: every NetworkConfig
 * that appears in the vectors (`config` objects, `policy_json` probes and their expected JSON,
 * preset expectations, `validate` probes, SDK translation results), the hand-written fixtures in
 * conformance/fixtures/wire/{valid,invalid}/ (vectors: conformance/vectors/*.json, or $SANDBOX_VECTORS_DIR),
 * seeded random configs and single-mutation invalid variants (random-wire.ts), and for each valid
 * one that @sandbox/core accepts its
 * canonical form (`canonicalizeNetworkConfig`: every default written out). The JSON Schema (ajv,
 * 2020-12) is the referee: a valid case must satisfy it, an invalid one must not, otherwise the
 * export fails.
 *
 * Usage: tsx --conditions=@sandbox/source conformance/polyglot/export-wire.ts <out.json>
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { canonicalizeNetworkConfig } from "@sandbox/core";
import { randomWire } from "./random-wire.js";

const here = dirname(fileURLToPath(import.meta.url));
/** Seed and size of the random part (override with POLYGLOT_SEED / POLYGLOT_RANDOM to explore). */
const SEED = Number(process.env.POLYGLOT_SEED ?? 20261123);
const RANDOM_COUNT = Number(process.env.POLYGLOT_RANDOM ?? 150);
const repo = join(here, "..", "..");
const VECTORS = process.env.SANDBOX_VECTORS_DIR ?? join(repo, "conformance", "vectors");

/** One case: `input` must decode; re-encoding must give `input` back. */
export interface WireCase {
  id: string;
  input: unknown;
  note?: string;
}

/** The file the harnesses read. */
export interface CasesFile {
  valid: WireCase[];
  invalid: WireCase[];
}

const CONFIG_KEYS = [
  "enabled", "preset", "profiles", "policy", "deny_domains", "deny_domain_suffixes", "dns", "dns_rebind_protection", "tls",
  "ports", "ipv4_pool", "ipv6_pool", "max_connections", "secrets", "trust_host_cas", "interface", "host_aliases",
];

interface Vector {
  id: string;
  config: Record<string, unknown>;
  probe: Record<string, unknown> & { kind?: string };
  expect: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function pick(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return Object.keys(out).length ? out : undefined;
}

/**
 * Wire configs found in one vector file. `maybe` collects SDK-translation results that may be
 * wire fragments or SDK-side dicts (e.g. a Python `tls` dict); only those the schema accepts are kept.
 */
function fromVectors(file: string, vs: Vector[], valid: WireCase[], invalid: WireCase[], maybe: WireCase[]): void {
  const tag = file.replace(/\.json$/, "");
  for (const v of vs) {
    const cfg = pick(v.config);
    if (cfg) valid.push({ id: `${tag}/${v.id}/config`, input: cfg });
    const p = v.probe;
    if (p.kind === "policy_json") {
      if (v.expect === "error") invalid.push({ id: `${tag}/${v.id}/probe.json`, input: { policy: p.json } });
      else {
        valid.push({ id: `${tag}/${v.id}/probe.json`, input: { policy: p.json } });
        if (typeof v.expect === "string") valid.push({ id: `${tag}/${v.id}/expect`, input: { policy: JSON.parse(v.expect) } });
      }
    }
    if (p.kind === "validate" && isObj(p.config)) {
      valid.push({ id: `${tag}/${v.id}/probe.config`, input: p.config, note: "schema-valid; any rejection is semantic (not a binding concern)" });
    }
    if (p.kind === "preset_policy" && isObj(v.expect)) valid.push({ id: `${tag}/${v.id}/expect`, input: { policy: v.expect } });
    if (p.kind === "sdk_translation" && isObj(v.expect)) {
      const e = v.expect;
      const cfg2: Record<string, unknown> = {};
      if (isObj(e.policy)) cfg2.policy = e.policy;
      if (Array.isArray(e.ports) && e.ports.every((x) => isObj(x) && "host_port" in x)) cfg2.ports = e.ports;
      if (isObj(e.dns)) cfg2.dns = e.dns;
      if (isObj(e.tls)) cfg2.tls = e.tls;
      if (e.on_violation !== undefined) cfg2.secrets = { on_violation: e.on_violation };
      if (Object.keys(cfg2).length) maybe.push({ id: `${tag}/${v.id}/expect`, input: cfg2 });
    }
  }
}

function fromFixtures(dir: string, out: WireCase[], kind: string): void {
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    out.push({ id: `fixtures/${kind}/${f.replace(/\.json$/, "")}`, input: JSON.parse(readFileSync(join(dir, f), "utf8")) });
  }
}

/** Collect, referee (ajv) and canonicalize every case. Throws listing every misfiled case. */
export function exportCases(): CasesFile {
  const valid: WireCase[] = [];
  const invalid: WireCase[] = [];
  const maybe: WireCase[] = [];
  for (const f of readdirSync(VECTORS).filter((n) => n.endsWith(".json")).sort()) {
    fromVectors(f, JSON.parse(readFileSync(join(VECTORS, f), "utf8")) as Vector[], valid, invalid, maybe);
  }
  fromFixtures(join(repo, "conformance", "fixtures", "wire", "valid"), valid, "valid");
  fromFixtures(join(repo, "conformance", "fixtures", "wire", "invalid"), invalid, "invalid");

  const schema = JSON.parse(readFileSync(join(repo, "schemas", "network.schema.json"), "utf8")) as Record<string, unknown>;
  const props = { ...(schema.properties as Record<string, unknown>) };
  delete props.$schema; // editor metadata, not wire format (the bindings omit it too)
  const validate = new Ajv2020({ strict: false, allErrors: false }).compile({ ...schema, properties: props });
  valid.push(...maybe.filter((c) => validate(c.input)));
  const random = randomWire({ ...schema, properties: props } as Parameters<typeof randomWire>[0], SEED, RANDOM_COUNT);
  valid.push(...random.valid);
  invalid.push(...random.mutated.filter((c) => !validate(c.input)));
  const problems: string[] = [];
  for (const c of valid) if (!validate(c.input)) problems.push(`${c.id}: filed valid but the schema rejects it: ${JSON.stringify(validate.errors?.[0])}`);
  for (const c of invalid) if (validate(c.input)) problems.push(`${c.id}: filed invalid but the schema accepts it`);
  if (problems.length) throw new Error(`wire cases disagree with schemas/network.schema.json:\n${problems.join("\n")}`);

  const canonical: WireCase[] = [];
  for (const c of valid) {
    const r = canonicalizeNetworkConfig(c.input);
    if (r.ok) canonical.push({ id: `${c.id}#canonical`, input: r.value });
    else c.note = `${c.note ? `${c.note}; ` : ""}@sandbox/core rejects it: ${r.errors[0]?.message ?? "?"}`;
  }
  for (const c of canonical) {
    if (!validate(c.input)) throw new Error(`${c.id}: the canonical form violates the schema: ${JSON.stringify(validate.errors?.[0])}`);
  }
  return { valid: [...valid, ...canonical], invalid };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: export-wire.ts <out.json>");
    process.exit(2);
  }
  const cases = exportCases();
  writeFileSync(out, JSON.stringify(cases, null, 1) + "\n");
  const n = (pred: (c: WireCase) => boolean) => cases.valid.filter(pred).length;
  const canon = n((c) => c.id.endsWith("#canonical"));
  const fixtures = n((c) => c.id.startsWith("fixtures/") && !c.id.endsWith("#canonical"));
  const rand = n((c) => c.id.startsWith("random/") && !c.id.endsWith("#canonical"));
  console.log(
    `export-wire: ${cases.valid.length} valid (${cases.valid.length - canon - fixtures - rand} from vectors, ${fixtures} fixtures, ${rand} random with seed ${SEED}, ${canon} canonical forms from @sandbox/core) and ${cases.invalid.length} invalid (${cases.invalid.filter((c) => c.id.startsWith("random/")).length} random mutations) wire configs -> ${out}`,
  );
  for (const c of cases.valid.filter((x) => x.note && !x.id.startsWith("random/"))) console.log(`export-wire: note ${c.id}: ${c.note}`);
}
