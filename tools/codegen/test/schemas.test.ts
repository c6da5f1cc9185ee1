/**
 * The schema suite: every valid and deliberately invalid fixture under schemas/fixtures/<schema>/
 * goes through three oracles — ajv (2020-12), the generated zod, and `z.fromJSONSchema` — which
 * must agree; invalid fixtures must fail with an error naming the expected JSON path.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as core from "@sandbox/core";
import * as netproxy from "@sandbox/netproxy";
import * as krun from "@sandbox/vmm-krun";
import * as qemu from "@sandbox/vmm-qemu";

const root = resolve(import.meta.dirname, "../../..");
const fixtures = join(root, "schemas/fixtures");

/** Generated zod schemas by schema file base name (root type). */
const generated: Record<string, z.ZodType> = {
  network: core.NetworkConfig,
  control: netproxy.controlProtocol.ControlMessage,
  krun: krun.KrunNetworkSettings,
  qemu: qemu.QemuNetworkSettings,
};

function jsonPath(path: readonly PropertyKey[]): string {
  return "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

/** Every path a zod error names, including those inside union branches (a tagged union reports its branches' issues nested). */
function issuePaths(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((i) => {
    const at = [...prefix, ...i.path];
    const nested = i.code === "invalid_union" ? i.errors.flatMap((branch) => issuePaths(branch, at)) : [];
    return [jsonPath(at), ...nested];
  });
}

function loadDir(dir: string): [string, unknown][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8"))]);
}

for (const base of readdirSync(fixtures).sort()) {
  const schema = JSON.parse(readFileSync(join(root, "schemas", `${base}.schema.json`), "utf8"));
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  ajv.addKeyword({ keyword: "x-package" });
  const ajvValidate = ajv.compile(schema);
  const fromJson = z.fromJSONSchema(schema);
  const gen = generated[base];
  const paths: Record<string, string> = existsSync(join(fixtures, `${base}/../${base}/invalid.paths.json`))
    ? JSON.parse(readFileSync(join(fixtures, base, "invalid.paths.json"), "utf8"))
    : {};

  describe(`schemas/${base}.schema.json`, () => {
    it("has a generated zod schema registered in this test", () => {
      expect(gen, `add the generated root schema of ${base} to \`generated\``).toBeDefined();
    });

    for (const [name, value] of loadDir(join(fixtures, base, "valid"))) {
      it(`accepts valid/${name} in all three oracles`, () => {
        expect(ajvValidate(value), JSON.stringify(ajvValidate.errors)).toBe(true);
        expect(fromJson.safeParse(value).success).toBe(true);
        const r = gen!.safeParse(value);
        expect(r.success, r.success ? "" : JSON.stringify(r.error.issues)).toBe(true);
      });
    }

    for (const [name, value] of loadDir(join(fixtures, base, "invalid"))) {
      it(`rejects invalid/${name} in all three oracles, naming the path`, () => {
        expect(ajvValidate(value)).toBe(false);
        expect(fromJson.safeParse(value).success).toBe(false);
        const r = gen!.safeParse(value);
        expect(r.success).toBe(false);
        const want = paths[name];
        expect(want, `invalid.paths.json must give the expected path of ${name}`).toBeDefined();
        const got = issuePaths(r.error!.issues);
        expect(got).toContain(want);
        const ajvPaths = (ajvValidate.errors ?? []).map((e) => {
          const at = "$" + e.instancePath.replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".");
          return e.keyword === "required" ? `${at}.${(e.params as { missingProperty: string }).missingProperty}` : at;
        });
        expect(ajvPaths.some((p) => p === want || p.startsWith(want!))).toBe(true);
      });
    }

    // Only an object root without required keys can be parsed from `{}` (a union root such as the control protocol cannot).
    if (schema.properties && !schema.required?.length) it("fills every default the schema writes out", () => {
      const parsed = gen!.parse({}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(schema.properties ?? {}) as [string, { default?: unknown }][]) {
        if (v.default !== undefined) expect(parsed[k], k).toBeDefined();
      }
    });
  });
}

describe("generated code", () => {
  it("is current (pnpm generate --check)", async () => {
    const { plan } = await import("../src/generate.js");
    const outputs = await plan(root);
    const drift = [...outputs].filter(([p, text]) => !existsSync(p) || readFileSync(p, "utf8") !== text).map(([p]) => p);
    expect(drift).toEqual([]);
  }, 120_000);
});
